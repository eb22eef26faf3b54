"""Glyph raster conventions shared by templates, datasets, samples and generation.

An *ink map* is a 2-D array where 0 is paper and 1 (float) or 255 (uint8) is full ink. Every glyph
that meets the model is *normalized*: cropped to its ink box, padded to a square around its centre and
resized so the longer side spans `size - 2 * margin` pixels, centred in a `size`×`size` canvas. The
model sees floats in [-1, 1] with ink = +1 and paper = -1.

Because normalization throws away where the glyph sat in the em square, `Placement` keeps it: the
square (in font units) that the normalized canvas's content maps back to.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

INK_THRESHOLD = 0.5


def default_margin(size: int) -> int:
    """Margin in pixels around the normalized glyph: 1/16 of the canvas (4 px at 64)."""
    return max(1, round(size / 16))


def ink_bbox(ink: np.ndarray, threshold: float = 0.1) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1), exclusive end, of pixels with ink above `threshold` (of full ink); None if blank."""
    full = 255.0 if ink.dtype == np.uint8 else 1.0
    mask = ink > threshold * full
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def normalize(ink: np.ndarray, size: int, margin: int | None = None) -> np.ndarray | None:
    """Crop an ink map to its ink box, pad square, resize into a size×size uint8 canvas; None if blank."""
    margin = default_margin(size) if margin is None else margin
    box = ink_bbox(ink)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    crop = ink[y0:y1, x0:x1].astype(np.float32)
    if ink.dtype == np.uint8:
        crop /= 255.0
    h, w = crop.shape
    side = max(h, w)
    square = np.zeros((side, side), np.float32)
    oy, ox = (side - h) // 2, (side - w) // 2
    square[oy:oy + h, ox:ox + w] = crop
    inner = size - 2 * margin
    interp = cv2.INTER_AREA if side > inner else cv2.INTER_CUBIC
    resized = np.clip(cv2.resize(square, (inner, inner), interpolation=interp), 0.0, 1.0)
    out = np.zeros((size, size), np.uint8)
    out[margin:margin + inner, margin:margin + inner] = np.round(resized * 255).astype(np.uint8)
    return out


def full_ink(ink: np.ndarray) -> np.ndarray:
    """Glyphs (uint8 [..., S, S]) scaled so each one's darkest pixel is full ink: a pen drawn in grey ink
    becomes black, as `samples.glyphfiles` stretches a writer's scanned samples; a font has no grey."""
    peak = ink.max(axis=(-2, -1), keepdims=True).astype(np.float32)
    scaled = ink.astype(np.float32) * (255.0 / np.maximum(peak, 1.0))
    return np.where(peak > 0, np.round(scaled), 0).astype(np.uint8)


def to_model(ink_u8: np.ndarray) -> np.ndarray:
    """uint8 ink map(s) → float32 in [-1, 1], ink = +1."""
    return ink_u8.astype(np.float32) / 127.5 - 1.0


def from_model(x: np.ndarray) -> np.ndarray:
    """Model output in [-1, 1] (ink = +1) → uint8 ink map."""
    return np.round((np.clip(x, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)


@dataclass(frozen=True)
class Placement:
    """Where a normalized glyph's content square goes in the em: centre and side, in font units (y up)."""

    cx: float
    cy: float
    side: float

    @classmethod
    def full_em(cls, upm: int = 1000, descender: int = -120, fill: float = 0.92) -> "Placement":
        """Default for glyphs with no known position: centred in the ideographic em box."""
        return cls(upm / 2, descender + upm / 2, upm * fill)
