"""`fontgen.font.quadratic`: fontTools' cu2qu for many cubics at once gives cu2qu's own splines."""

import numpy as np
import pytest
from fontTools.cu2qu import curve_to_quadratic

from fontgen import templates
from fontgen.font import glyphdata, quadratic, vectorize
from fontgen.font.constants import CU2QU_MAX_ERR


def _fonttools(cubics: np.ndarray, max_err: float) -> tuple[np.ndarray, np.ndarray]:
    found = [curve_to_quadratic(c, max_err)[1:-1] for c in cubics.tolist()]
    return (np.array([p for spline in found for p in spline], np.float64).reshape(-1, 2),
            np.array([len(spline) for spline in found]))


def _same(cubics: np.ndarray, max_err: float = CU2QU_MAX_ERR) -> None:
    points, counts = quadratic.splines(cubics, max_err)
    want_points, want_counts = _fonttools(cubics, max_err)
    assert np.array_equal(counts, want_counts)
    # Equal floats; only the sign of a zero may differ, which rounding to font units removes.
    assert np.array_equal(points, want_points)


def test_traced_glyphs_get_cu2qus_splines():
    tpl = templates.render(list("永國蠢鬱醒赢"), 64)
    cubics = np.concatenate([glyphdata.cubics(vectorize.trace(ink, vectorize.PixelFrame.content(64, tpl.placement[ch])))
                             for ink, ch in zip(tpl.ink, tpl.chars)])
    assert len(cubics) >= quadratic.BATCH  # the batched path, not the one-by-one one
    _same(cubics)
    points, counts = quadratic.splines(cubics, CU2QU_MAX_ERR)
    assert counts.min() >= 1 and counts.sum() == len(points)


@pytest.mark.parametrize("scale", [1, 20, 1000])
def test_random_and_degenerate_cubics_get_cu2qus_splines(scale):
    """Whole-unit cubics from tiny (coincident points, parallel handles, no intersection) to long ones
    (more than `N_HERE` segments: handed to fontTools)."""
    cubics = np.round(np.random.default_rng(scale).normal(0, scale, (20000, 4, 2)))
    cubics[:50] = cubics[:50, :1]  # a point
    cubics[50:100, 1] = cubics[50:100, 0]  # a handle on its end
    _same(cubics)
    if scale == 1000:
        assert quadratic.splines(cubics, CU2QU_MAX_ERR)[1].max() > quadratic.N_HERE


def test_small_and_empty_batches():
    _same(np.zeros((0, 4, 2)))
    _same(np.array([[[0, 0], [10, 40], [50, 40], [60, 0]]], np.float64))


def test_cubics_whose_error_test_runs_long_go_to_fonttools(monkeypatch):
    """A cubic whose breadth-first error test is still undecided after MAX_DEPTH levels is left to
    fontTools (with the real depth this never happens on traced glyphs); the result is unchanged."""
    cubics = np.round(np.random.default_rng(5).normal(0, 5, (2000, 4, 2)))
    assert quadratic.splines(cubics, CU2QU_MAX_ERR)[1].max() <= quadratic.N_HERE  # all solved here, normally
    handed = []
    monkeypatch.setattr(quadratic, "curve_to_quadratic", lambda c, e: handed.append(c) or curve_to_quadratic(c, e))
    monkeypatch.setattr(quadratic, "MAX_DEPTH", 1)
    _same(cubics)
    assert handed
