"""Match the weight of generated strokes to the writer's: one correction, fitted per font.

The generator carries a writer's shapes better than their pen width: on the held-out writers its
strokes come out heavier than the real ones for 11 of 16 (kiloji and most pens; `training/NOTES.md`,
run 7). So the writer's own sample characters are generated too, the edge shift that brings them
closest to the real samples is found (by the eval's style distance), and every generated glyph
gets that shift:

    amount = fit(gen.glyphs(style, sample_templates), sample_refs)   # px per side; > 0 thins
    glyphs = adjust(gen.glyphs(style, templates), amount)
    amount = fit_to_samples(gen, style, writer, tpl)                  # the same, for a samples folder

Only the references are used, never the characters being generated. The shift is a grey-level
erosion (or dilation) blended in by `amount`, so a quarter pixel moves the half-ink edge by about a
quarter pixel. Thickening goes to half a pixel, thinning only to a quarter: thinner strokes are
fainter, and at half a pixel the traced outlines of a light pen no longer render back to IoU 0.9
(1,348 of the example writer's glyphs), nor read as well (PP-OCRv5 0.888 → 0.878, run 7).
"""

from __future__ import annotations

import cv2
import numpy as np

from fontgen import metrics

STEPS = (0.0, 0.25, -0.25, -0.5)  # candidates, smallest shift first so ties keep the glyphs as made
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def adjust(ink: np.ndarray, amount: float) -> np.ndarray:
    """uint8 ink maps [N, S, S] with their stroke edges moved `amount` px inward (> 0) or outward (< 0)."""
    if not -1.0 <= amount <= 1.0:
        raise ValueError(f"weight shift {amount} px is outside -1..1")
    if amount == 0:
        return ink
    op = cv2.erode if amount > 0 else cv2.dilate
    out = np.empty_like(ink)
    for i, glyph in enumerate(ink):
        cv2.addWeighted(glyph, 1.0 - abs(amount), op(glyph, _CROSS), abs(amount), 0.0, dst=out[i])
    return out


def fit(generated: np.ndarray, real: np.ndarray, steps: tuple[float, ...] = STEPS) -> float:
    """The shift in `steps` that brings generated glyphs closest to the real ones of the same characters."""
    if len(generated) != len(real) or not len(real):
        raise ValueError(f"need matching, non-empty stacks, got {len(generated)} and {len(real)}")
    distance = {a: float(metrics.style_distance(adjust(generated, a), real).mean()) for a in steps}
    return min(steps, key=lambda a: distance[a])  # min keeps the first of equal distances


def fit_to_samples(gen, style: dict[str, np.ndarray], writer, tpl) -> float:
    """`fit` for a writer's samples (`samples.Samples`), given templates (`templates.Templates`) that
    include their characters; 0 when the template font has none of them."""
    index = tpl.index()
    drawn = [i for i, c in enumerate(writer.chars) if c in index]
    if not drawn:
        return 0.0
    made = gen.glyphs(style, tpl.ink[[index[writer.chars[i]] for i in drawn]], progress=False)
    return fit(made, writer.refs[drawn])
