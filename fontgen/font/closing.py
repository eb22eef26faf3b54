"""Match how the writer's strokes meet: one closing size fitted per font, beside the ink level.

The generator draws where strokes meet as its content font (a kaishu that leaves many joins open)
does. A writer who closes every box then loses counters: 口 drawn with an open corner has none. A
closing (dilate, then erode, by a size × size square) of the glyph's half-ink mask fills gaps
narrower than the square; only the pieces of it that shut a counter are kept, so strokes that run
close together without enclosing anything are not blotted into one. How much to close is fitted
like the ink level, on the writer's own sample characters only: for each size, the ink level whose
traced samples hold the samples' ink (`inklevel.fit`), then the size whose drawn samples keep most
of the samples' own enclosed counters, counted at `COUNTER_PX`; a larger size only on clear
evidence, so a hand whose joins the model already draws is left as drawn, and a bold hand whose
small counters a closing would fill keeps them.

    size, level = fit(gen.glyphs(style, sample_inputs), sample_refs)
    glyphs = finish(gen.glyphs(style, inputs), size, level)     # what the tracer gets
"""

from __future__ import annotations

import cv2
import numpy as np

from fontgen.font import inklevel, topology
from fontgen.font.vectorize import TraceOptions

SIZES = (1, 2, 3)   # candidates in pixels of the generated bitmap; 1 = as drawn, first so ties keep it
EVIDENCE = 2        # a larger closing must win back this many more of the samples' counters than a smaller one
PAPER = TraceOptions().paper  # a counter holds a pixel under this ink level; a pocket without one is a smudge
COUNTER_PX = 128    # counters are counted at this size (`fontgen eval` too: quality.metrics)


def close(ink: np.ndarray, size: int) -> np.ndarray:
    """uint8 ink maps [N, S, S], at the ink level they are traced at, with their open boxes closed by a
    size × size square (size 1: unchanged). Of the paper the closing of the half-ink mask fills, the
    pieces that border a counter it made become full ink (`_closing_boxes`); the rest of the glyph stays
    as drawn. Pockets left that hold no paper (every pixel over `vectorize`'s paper level) are inked
    too: the tracer fills such a pocket as a smudge, and the font's check would report it."""
    if int(size) != size or size < 1:
        raise ValueError(f"closing size {size} is not a whole number of pixels from 1")
    if size == 1 or not len(ink):
        return ink
    kernel, a = np.ones((size, size), np.uint8), (size - 1) // 2
    out = np.array(ink)
    for glyph in out:
        mask = (glyph >= inklevel.HALF).view(np.uint8)
        # The erosion's anchor mirrors the dilation's, so an even square closes in place (OpenCV's
        # MORPH_CLOSE keeps one anchor and shifts the result by a pixel).
        closed = cv2.erode(cv2.dilate(mask, kernel, anchor=(a, a)), kernel, anchor=(size - 1 - a, size - 1 - a))
        glyph[_closing_boxes(mask, closed)] = 255
        glyph[_enclosed(glyph < inklevel.HALF, clear=glyph < PAPER)] = 255  # pockets: smudges to the tracer
    return out


def finish(ink: np.ndarray, size: int, level: int) -> np.ndarray:
    """Generated glyphs as they go to the tracer: moved to ink `level` (`inklevel.adjust`), then closed."""
    return close(inklevel.adjust(ink, level), size)


def _closing_boxes(mask: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """bool [S, S]: the closing's new ink that borders a counter it made. Ink that only fills a notch or
    the slit between two strokes (no counter behind it) is left out: it would blot a dense component."""
    new = (closed > mask).view(np.uint8)
    if not new.any():
        return new.astype(bool)
    made = _enclosed(closed == 0) & ~_enclosed(mask == 0)
    n, labels = cv2.connectedComponents(new, connectivity=8)
    keep = np.zeros(n, bool)
    keep[labels[cv2.dilate(made.view(np.uint8), np.ones((3, 3), np.uint8)) > 0]] = True
    keep[0] = False
    return keep[labels]


def _enclosed(paper: np.ndarray, clear: np.ndarray | None = None) -> np.ndarray:
    """bool [S, S]: `paper` pixels in regions that do not reach the map's edge (`topology.Labels`) and,
    with `clear`, hold no `clear` pixel."""
    labels = topology.Labels.of(~paper)
    inside = labels.holes()
    if clear is not None:
        inside[labels.regions[clear & paper]] = False
    return inside[labels.regions]


def counters(ink: np.ndarray, side: int = COUNTER_PX) -> np.ndarray:
    """Enclosed counters per glyph ([N] ints) of uint8 ink maps as their traced outlines fill them at `side`."""
    return np.array([topology.topology(g).holes for g in inklevel.as_traced(ink, side)], np.int64)


def fit(generated: np.ndarray, real: np.ndarray, level: int | None = None,
        size: int | None = None) -> tuple[int, int]:
    """(closing size, ink level) for generated glyphs of the characters in `real`, the writer's own; a
    `level` or `size` given is kept as it is.

    Each size gets the ink level that matches the real glyphs' ink; the size kept is the one whose
    traced glyphs lose the fewest of the real glyphs' counters (per glyph: counters over the real
    count do not make up for a loss elsewhere), a larger size only when it loses `EVIDENCE` fewer
    than the smaller one kept (one counter among a few samples is no evidence of how a hand joins)."""
    if len(generated) != len(real) or not len(real):
        raise ValueError(f"need matching, non-empty stacks, got {len(generated)} and {len(real)}")
    levels, sizes = (level,) if level else inklevel.LEVELS, (size,) if size else SIZES
    want = counters(real)
    best: tuple[int, int, int] | None = None
    for s in sizes:
        v = inklevel.fit(generated, real, levels, finish=lambda ink: close(ink, s))
        lost = int(np.maximum(want - counters(finish(generated, s, v)), 0).sum())
        if best is None or lost <= best[0] - EVIDENCE:
            best = (lost, s, v)
    return best[1], best[2]


def fit_to_samples(gen, style: dict[str, np.ndarray], writer, tpl, level: int | None = None,
                   size: int | None = None) -> tuple[int, int]:
    """`fit` for a writer's samples (`samples.Samples`), given templates (`templates.Templates`) that
    include their characters. Half ink, as drawn, when the template font has none of them."""
    if level is not None and size is not None:
        return size, level
    index = tpl.index()
    known = [i for i, c in enumerate(writer.chars) if c in index]
    if not known:
        return size or 1, level or inklevel.HALF
    chars = [writer.chars[i] for i in known]
    made = gen.glyphs(style, gen.inputs(tpl.ink[[index[c] for c in chars]], chars), progress=False)
    return fit(made, writer.refs[known], level, size)
