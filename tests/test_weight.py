"""Stroke-weight matching: the levels curve, glyphs as traced, the fit to a writer's references and
make-font's --weight."""

import numpy as np
import pytest

from fontgen import templates
from fontgen.font import inklevel
from fontgen.quality import metrics

CHARS = "永和我你的是国爱写字"


@pytest.fixture(scope="module")
def glyphs():
    return templates.render(CHARS, size=64).ink


def half_ink_area(ink: np.ndarray) -> np.ndarray:
    return (ink >= 128).sum(axis=(1, 2))


def test_curve_moves_the_level_to_half_ink_and_keeps_paper_and_full_ink():
    for level in (64, 96, 160, 176, 250):
        lut = inklevel.curve(level)
        assert lut[0] == 0 and lut[255] == 255 and lut[level] == 128
        assert np.all(np.diff(lut.astype(int)) >= 0)
        assert lut[level - 1] < 128 <= lut[level]


def test_adjust_thins_above_half_ink_and_thickens_below(glyphs):
    assert inklevel.adjust(glyphs, inklevel.HALF) is glyphs
    base = half_ink_area(glyphs)
    thin, thinner, bold = (half_ink_area(inklevel.adjust(glyphs, v)) for v in (160, 200, 96))
    assert np.all(thinner <= thin) and np.all(thin < base) and np.all(bold > base)
    assert np.array_equal(inklevel.adjust(glyphs, 176) >= 128, glyphs >= 176)


@pytest.mark.parametrize("bad", [0, 255, 300, 150.5])
def test_adjust_rejects_levels_outside_1_to_254(glyphs, bad):
    with pytest.raises(ValueError, match="ink level"):
        inklevel.adjust(glyphs, bad)


def test_as_traced_keeps_crisp_glyphs_and_blank_paper(glyphs):
    traced = inklevel.as_traced(glyphs)
    assert traced.shape == glyphs.shape and traced.dtype == np.uint8
    assert metrics.style_distance(traced, glyphs).mean() < 0.05
    assert not inklevel.as_traced(np.zeros((1, 64, 64), np.uint8)).any()
    # Grey ramps are what tracing removes: a faint blur of a glyph traces to far less ink.
    faint = (glyphs // 3).astype(np.uint8)
    assert inklevel.as_traced(faint).sum() < 0.2 * traced.sum()


def test_fit_undoes_a_known_level(glyphs):
    assert inklevel.fit(glyphs, glyphs) == inklevel.HALF
    heavy = inklevel.adjust(glyphs, 96)  # bolder than the real glyphs: trace it at a higher level
    assert inklevel.fit(heavy, glyphs) > inklevel.HALF
    light = inklevel.adjust(glyphs, 176)
    assert inklevel.fit(light, glyphs) < inklevel.HALF
    with pytest.raises(ValueError):
        inklevel.fit(glyphs[:3], glyphs[:2])


def test_weight_option_parses_auto_and_levels():
    import click

    from fontgen.cli import InkLevel

    option = InkLevel()
    assert option.convert("auto", None, None) is None
    assert option.convert("160", None, None) == 160 and option.convert("1", None, None) == 1
    for bad in ("0", "255", "thin", "0.5", "nan"):
        with pytest.raises(click.BadParameter):
            option.convert(bad, None, None)
