"""Match the stroke weight of a font to the writer's: one ink level, fitted per font.

A font's outline follows the half-ink contour of each generated bitmap (`vectorize.binarize`). The
generator's stroke edges are wide grey ramps, so where that contour falls is a matter of where the
ramps cross half ink, not of the writer's pen. So the writer's own sample characters are generated
too, traced as the font will trace them, and the ink level at which they hold as much ink as the
samples (traced the same way) becomes the level every glyph is traced at:

    level = fit(gen.glyphs(style, sample_inputs), sample_refs)     # 128 = half ink; higher thins
    glyphs = adjust(gen.glyphs(style, inputs), level)              # its `level` contour now at half ink
    shown = drawn(gen.glyphs(style, inputs), level)                 # what the font draws, bitmap-sized

`fontgen.font.closing` fits this level together with how much to close the strokes' joins.

Only the references are used, never the characters being generated. `adjust` is a levels curve
(0 and 255 stay put, `level` goes to 128), so everything downstream traces and checks at half ink.
Why ink, not the eval's style distance: fitted to that L1, the level erased a light pen's strokes
to dots (an empty cell is close to a thin stroke in L1) and PP-OCRv5 fell to 0.83 of the real
glyphs' accuracy; matching ink keeps it at 0.93 (`training/NOTES.md`, run 10). Levels stop at 176:
above it the thinned strokes of a light pen no longer trace back to IoU 0.9 (level 192: one glyph
of the example font; 224: 4,032).
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from fontgen.font import vectorize

HALF = 128
LEVELS = (128, 144, 112, 160, 96, 176, 80, 64)  # candidates, no change first so ties keep the glyphs as made


@functools.lru_cache(maxsize=None)
def curve(level: int) -> np.ndarray:
    """The levels lookup table: 0 → 0, `level` → 128, 255 → 255, linear in between."""
    v = np.arange(256, dtype=np.float64)
    lut = np.where(v <= level, v * HALF / level, HALF + (v - level) * (255 - HALF) / (255 - level))
    return np.clip(np.rint(lut), 0, 255).astype(np.uint8)


def adjust(ink: np.ndarray, level: int) -> np.ndarray:
    """uint8 ink maps whose `level` contour is moved to half ink (level > 128 thins the strokes)."""
    if not 1 <= level <= 254 or int(level) != level:
        raise ValueError(f"ink level {level} is not a whole number from 1 to 254")
    return ink if level == HALF else curve(int(level))[ink]


def as_traced(ink: np.ndarray, side: int | None = None) -> np.ndarray:
    """The glyphs as their traced outlines fill them: the trace mask area-averaged back to the bitmap size
    (or to `side` pixels: 128 shows the counters a 64 px bitmap's outline keeps at 128)."""
    side = side or ink.shape[-1]
    out = np.empty((len(ink), side, side), np.uint8)
    for i, glyph in enumerate(ink):
        mask, _ = vectorize.binarize(glyph)
        out[i] = cv2.resize(mask.view(np.uint8) * np.uint8(255), (side, side), interpolation=cv2.INTER_AREA)
    return out


def drawn(ink: np.ndarray, level: int, finish=None) -> np.ndarray:
    """Generated glyphs as the font draws them when traced at `level`; `finish` (ink maps → ink maps) is
    what is done to them between the levels curve and the tracer (`closing.close`)."""
    adjusted = adjust(ink, level)
    return as_traced(finish(adjusted) if finish else adjusted)


def fit(generated: np.ndarray, real: np.ndarray, levels: tuple[int, ...] = LEVELS, finish=None) -> int:
    """The level in `levels` at which the traced glyphs hold as much ink as the real ones of the same
    characters, traced the same way; `finish` as in `drawn`."""
    if len(generated) != len(real) or not len(real):
        raise ValueError(f"need matching, non-empty stacks, got {len(generated)} and {len(real)}")
    target = float(as_traced(real).sum(dtype=np.float64))
    ink = {v: float(drawn(generated, v, finish).sum(dtype=np.float64)) for v in levels}
    return min(levels, key=lambda v: abs(math.log((ink[v] + 1.0) / (target + 1.0))))  # first of equals
