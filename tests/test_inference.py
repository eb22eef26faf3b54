"""The generator's inference form computes the same glyphs with the denormalization layers and the
structure decoder folded."""

from __future__ import annotations

import torch

from export.inference import FoldedDenormalization, SubpixelStructureEncoder, inference_form
from tinymodel import tiny_generator
from training.models.generator import Denormalization


def test_folded_generator_gives_the_same_glyphs():
    generator = tiny_generator(seed=3)
    folded = inference_form(generator)
    assert not any(isinstance(m, Denormalization) for m in folded.modules())
    assert sum(isinstance(m, FoldedDenormalization) for m in folded.modules()) == 2 * len(generator.blocks)
    assert isinstance(folded.structure_encoder, SubpixelStructureEncoder)
    g = torch.Generator().manual_seed(0)
    refs = torch.rand(1, 5, 64, 64, generator=g) * 2 - 1
    templates = torch.rand(6, 1, 64, 64, generator=g) * 2 - 1
    with torch.no_grad():
        styles = generator.style(refs)
        want = generator.glyph(*styles, templates)
        got = folded.glyph(*styles, templates)
    assert (want - got).abs().max() < 1e-5
    # Statistics matter and are folded in: shifting one layer's mean moves both forms alike.
    generator.blocks[-1].norm1.norm.running_mean += 1.0
    with torch.no_grad():
        moved = generator.glyph(*styles, templates)
        moved_folded = inference_form(generator).glyph(*styles, templates)
    assert (moved - want).abs().max() > 1e-3
    assert (moved - moved_folded).abs().max() < 1e-5


def test_subpixel_structure_features_match_at_every_level():
    """Each decoder level on its own, so an error in one phase of the kernel cannot hide in the glyph."""
    encoder = tiny_generator(seed=5).structure_encoder
    subpixel = SubpixelStructureEncoder(encoder)
    templates = torch.rand(3, 1, 64, 64, generator=torch.Generator().manual_seed(1)) * 2 - 1
    with torch.no_grad():
        want, got = encoder(templates), subpixel(templates)
    assert [f.shape for f in got] == [f.shape for f in want]
    for level, (w, g) in enumerate(zip(want, got)):
        assert (w - g).abs().max() < 1e-5, level
        assert w.abs().max() > 0.1, level  # not vacuous: every level carries signal


def test_folding_leaves_the_original_untouched():
    generator = tiny_generator(seed=4)
    before = {k: v.clone() for k, v in generator.state_dict().items()}
    inference_form(generator)
    assert all(torch.equal(before[k], v) for k, v in generator.state_dict().items())
    assert any(isinstance(m, Denormalization) for m in generator.modules())
