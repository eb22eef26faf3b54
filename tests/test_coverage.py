"""`template --count`: greedy coverage must beat arbitrary choices on the measured features."""

from __future__ import annotations

import random

from fontgen import charsets
from fontgen.samples import coverage

UNIVERSE = charsets.gb2312_level1()[::6]  # every 6th common hanzi keeps the test fast


def test_greedy_covers_more_than_arbitrary_choices():
    feats = coverage.measure(UNIVERSE)
    chosen = coverage.greedy(feats, 8)
    assert len(set(chosen)) == 8 and set(chosen) <= set(UNIVERSE)
    assert coverage.greedy(feats, 4) == chosen[:4]  # nested answers
    rng = random.Random(0)
    randoms = [feats.covered(rng.sample(feats.chars, 8)) for _ in range(20)]
    assert feats.covered(chosen) > max(randoms)
    assert feats.covered(chosen) > feats.covered(feats.chars[:8])
    assert coverage.measure(UNIVERSE).features == feats.features  # deterministic
