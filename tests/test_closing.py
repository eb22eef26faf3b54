"""Closing the strokes' joins: the closing itself, its fit to a writer's references, and --closing."""

import numpy as np
import pytest

from fontgen.font import closing, inklevel


def box(gap: int = 0, side: int = 64) -> np.ndarray:
    """口 as a 4 px square ring, its top stroke cut by a `gap` px wide opening (0: closed)."""
    ink = np.zeros((side, side), np.uint8)
    ink[16:48, 16:48] = 255
    ink[20:44, 20:44] = 0
    ink[16:20, 32:32 + gap] = 0
    return ink


def bars(apart: int) -> np.ndarray:
    """目's inside: two 4 px bars with `apart` px of paper between them, inside a closed box."""
    ink = box()
    ink[30:34, 20:44] = 255
    ink[34 + apart:38 + apart, 20:44] = 255
    return ink


def test_close_fills_gaps_under_its_size_and_leaves_straight_strokes():
    glyphs = np.stack([box(1), box(2)])
    assert closing.close(glyphs, 1) is glyphs
    assert list(closing.counters(glyphs)) == [0, 0]
    assert list(closing.counters(closing.close(glyphs, 2))) == [1, 0]
    assert list(closing.counters(closing.close(glyphs, 3))) == [1, 1]
    solid = np.stack([box(), bars(3)])
    for size in (2, 3):                                     # nothing to fill, and nothing moves
        assert np.array_equal(closing.close(solid, size), solid)
    slit = np.zeros((1, 64, 64), np.uint8)                  # two strokes 2 px apart, no counter between
    slit[0, 30:34, 20:44] = slit[0, 36:40, 20:44] = 255
    assert np.array_equal(closing.close(slit, 3), slit)     # a closing there would only blot them together
    with pytest.raises(ValueError, match="closing size"):
        closing.close(glyphs, 0)


def test_fit_closes_a_hand_whose_boxes_are_closed_and_nothing_else():
    real = np.stack([box(), box(), bars(2)])
    assert closing.fit(real, real) == (1, inklevel.HALF)           # drawn right: left as drawn
    drawn_open = np.stack([box(1), box(1), bars(2)])
    size, _ = closing.fit(drawn_open, real)
    assert size == 2                                              # the smallest closing that keeps the counters
    one_open = np.stack([box(1), box(), bars(2)])
    assert closing.fit(one_open, real)[0] == 1                    # one counter is no evidence
    # A hand whose boxes are open gains nothing from closing the model's open boxes: it stays as drawn.
    open_hand = np.stack([box(1), box(1), bars(2)])
    assert closing.fit(open_hand, open_hand)[0] == 1
    # A narrow counter the closing would fill: never closed, however open the other joins are.
    tight = np.stack([bars(1), bars(1), box()])
    assert closing.fit(tight, tight)[0] == 1
    assert closing.fit(drawn_open, real, level=144, size=3) == (3, 144)


def test_fit_rejects_stacks_that_do_not_match():
    with pytest.raises(ValueError, match="matching"):
        closing.fit(np.stack([box()]), np.stack([box(), box()]))


def test_closing_option_parses_auto_and_sizes():
    import click

    from fontgen.cli import Closing

    option = Closing()
    assert option.convert("auto", None, None) is None
    assert [option.convert(v, None, None) for v in ("1", "2", "3")] == [1, 2, 3]
    for bad in ("0", "4", "wide", "2.5"):
        with pytest.raises(click.BadParameter):
            option.convert(bad, None, None)
