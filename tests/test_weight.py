"""Stroke-weight matching: the edge shift, its fit to a writer's references, and make-font's --weight."""

import numpy as np
import pytest

from fontgen import templates, weight

CHARS = "永和我你的是国爱写字"


@pytest.fixture(scope="module")
def glyphs():
    return templates.render(CHARS, size=64).ink


def half_ink_area(ink: np.ndarray) -> np.ndarray:
    return (ink >= 128).sum(axis=(1, 2))


def test_adjust_moves_edges_by_the_amount(glyphs):
    assert weight.adjust(glyphs, 0.0) is glyphs
    base = half_ink_area(glyphs)
    thin, thinner, bold = (half_ink_area(weight.adjust(glyphs, a)) for a in (0.25, 0.5, -0.5))
    assert np.all(thinner <= thin) and np.all(thin <= base) and np.all(bold > base)
    # Half a pixel off each side of every stroke: about the half-ink perimeter / 2 pixels of area.
    mask = (glyphs >= 128).astype(np.int32)
    perimeter = np.abs(np.diff(mask, axis=1)).sum(axis=(1, 2)) + np.abs(np.diff(mask, axis=2)).sum(axis=(1, 2))
    lost = (base - thinner) / (perimeter * 0.5)
    assert 0.5 < np.median(lost) < 1.5


def test_adjust_rejects_shifts_beyond_a_pixel(glyphs):
    with pytest.raises(ValueError, match="outside"):
        weight.adjust(glyphs, 1.5)


def test_fit_undoes_a_known_shift(glyphs):
    assert weight.fit(glyphs, glyphs) == 0.0
    heavy = weight.adjust(glyphs, -0.5)
    assert weight.fit(heavy, glyphs) > 0  # too heavy: thin it
    assert weight.fit(glyphs, heavy) == -0.5  # too light: thicken it
    with pytest.raises(ValueError):
        weight.fit(glyphs[:3], glyphs[:2])


def test_weight_option_parses_auto_and_pixels():
    import click

    from fontgen.cli import WeightShift

    option = WeightShift()
    assert option.convert("auto", None, None) is None
    assert option.convert("0.25", None, None) == 0.25 and option.convert("-1", None, None) == -1.0
    for bad in ("2", "thin", "nan"):
        with pytest.raises(click.BadParameter):
            option.convert(bad, None, None)
