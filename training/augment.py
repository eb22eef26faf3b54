"""Geometric and stroke augmentation of a writer's glyphs, so thin, slanted, narrow and
soft-ended hands lie inside the training distribution although few fonts draw them.

One draw of `Params` is applied to a writer's references *and* its targets within a batch: the
style encoder reads the slant/weight from the references and the generator must draw it in the
target, so both must carry the same change, or the model would learn that the references say
nothing about the target. The contrastive loss pulls a batch's rows of one writer together, so all
those rows share the draw too. The template is never augmented: it is the content, not the hand.

    aug = Augmenter(cfg.augment)                 # AugmentConfig
    params = aug.draw(rng)                       # None: leave this writer as it is
    ink = apply(ink_uint8_stack, params)         # [N, S, S] uint8, same shape and dtype
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
THIN_SCALE = 4  # thinning works on the shape at 4× (quarter-pixel steps)


@dataclass(frozen=True)
class Params:
    """One writer's augmentation. shear: x shift per pixel of height above the centre (> 0 leans
    right); aspect: log of width/height scale (< 0 narrower: only the shrinking axis is scaled, so
    nothing leaves the em); weight: stroke growth in pixels per side (< 0 thinner, never below 1.5 px
    strokes: `apply` caps it by the stack's measured stroke width); spread: Gaussian
    sigma in pixels of ink spread, re-thresholded (rounds stroke ends and corners)."""

    shear: float = 0.0
    aspect: float = 0.0
    weight: float = 0.0
    spread: float = 0.0


class Augmenter:
    """Draws `Params` from an `AugmentConfig`: each component is switched on with its own probability
    once the writer is picked (probability `p`), then drawn uniformly within its magnitude."""

    def __init__(self, cfg):
        self.cfg = cfg

    @property
    def active(self) -> bool:
        return self.cfg.p > 0

    def draw(self, rng: np.random.Generator) -> Params | None:
        c = self.cfg
        if c.p <= 0 or rng.random() >= c.p:
            return None
        u = rng.random(4)
        v = rng.uniform(-1.0, 1.0, 4)
        return Params(
            shear=c.shear * v[0] if u[0] < c.p_shear else 0.0,
            aspect=c.aspect * v[1] if u[1] < c.p_aspect else 0.0,
            weight=c.weight * v[2] if u[2] < c.p_weight else 0.0,
            spread=c.spread * abs(v[3]) if u[3] < c.p_spread else 0.0,
        )


def _affine(params: Params, size: int, ink: np.ndarray) -> np.ndarray | None:
    """The 2×3 warp about the image centre. A slant widens the glyph, so x is shrunk (one factor for the
    whole stack: the writer's glyphs keep their relative widths) until the stack's union ink box
    stays inside the image: the slanted hand still fits the em, as a slanted font's glyphs do."""
    if params.shear == 0 and params.aspect == 0:
        return None
    sx = math.exp(min(params.aspect, 0.0))
    sy = math.exp(-max(params.aspect, 0.0))
    c = (size - 1) / 2
    a = np.array([[sx, -params.shear * sy], [0.0, sy]])          # x' = sx·x − shear·y', y' = sy·y
    rows = np.flatnonzero((ink > 32).any(axis=(0, 2)))
    cols = np.flatnonzero((ink > 32).any(axis=(0, 1)))
    if rows.size:
        box = np.array([[cols[0], rows[0]], [cols[-1], rows[0]], [cols[0], rows[-1]], [cols[-1], rows[-1]]], float)
        reach = np.abs((box - c) @ a[0]).max()                # only x can grow: y is never enlarged
        a[0] *= min(1.0, (c - 0.5) / max(reach, 1e-6))
    return np.hstack([a, (c - a @ np.array([c, c]))[:, None]]).astype(np.float32)


def _weight(img: np.ndarray, px: float) -> np.ndarray:
    """Grow (px > 0) or thin (px < 0) strokes by |px| pixels per side."""
    return _grow(img, px) if px > 0 else _thin(img, -px)


def _grow(img: np.ndarray, px: float) -> np.ndarray:
    """Whole steps of a 3×3 cross dilation, the fraction as a blend with one more step (sub-pixel
    weight at 64 px). Grey dilation keeps a stroke's core at full ink and widens its edges."""
    steps, frac = divmod(px, 1.0)
    out = cv2.dilate(img, CROSS, iterations=int(steps)) if steps else img
    if frac:
        out = (1 - frac) * out + frac * cv2.dilate(out, CROSS)
    return out


def _thin(img: np.ndarray, px: float) -> np.ndarray:
    """Thin the glyph's shape, not its ink: the glyph at 4× read at half ink, eroded by a disk of
    4·px, area-averaged back. Strokes stay at full ink with anti-aliased edges; grey erosion of the
    anti-aliased glyph left thin strokes grey and broken, and a model trained on that drew thin pens
    patchy (training/NOTES.md, run 22)."""
    size, k = img.shape[0], THIN_SCALE
    shape = (cv2.resize(img, (size * k, size * k), interpolation=cv2.INTER_LINEAR) >= 0.5).astype(np.float32)
    r = round(px * k)
    if r:
        shape = cv2.erode(shape, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    return cv2.resize(shape, (size, size), interpolation=cv2.INTER_AREA)


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width of a glyph stack in pixels: 2 × ink area / edge pixels (a stroke of width w
    and length L has area wL and about 2L edge pixels)."""
    solid = (np.asarray(ink) > 127).astype(np.uint8)
    edge = sum(int((solid[i] - cv2.erode(solid[i], CROSS)).sum()) for i in range(len(solid)))
    return 2.0 * int(solid.sum()) / edge if edge else 0.0


def _thinning_cap(ink: np.ndarray) -> float:
    """The most a stack may be thinned: its strokes keep at least 1.5 px, so hairlines stay drawn."""
    return max(0.0, (stroke_width(ink) - 1.5) / 2)


def _spread(img: np.ndarray, sigma: float) -> np.ndarray:
    """Blur then a soft threshold at half ink: ink spreads into corners and stroke ends round off,
    while the stroke keeps its width and an anti-aliased edge."""
    blurred = cv2.GaussianBlur(img, (0, 0), sigma)
    return np.clip((blurred - 0.5) * 2.5 + 0.5, 0.0, 1.0)


def apply(ink: np.ndarray, params: Params | None) -> np.ndarray:
    """Augment a stack of uint8 ink glyphs [N, S, S] (255 = ink) with one `Params`; None → the input."""
    if params is None or params == Params():
        return ink
    ink = np.asarray(ink)
    size = ink.shape[-1]
    warp = _affine(params, size, ink)
    weight = max(params.weight, -_thinning_cap(ink)) if params.weight < 0 else params.weight
    out = np.empty(ink.shape, np.uint8)
    for i, glyph in enumerate(ink):
        img = glyph.astype(np.float32) / 255.0
        if warp is not None:
            img = cv2.warpAffine(img, warp, (size, size), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
        if weight:
            img = _weight(img, weight)
        if params.spread:
            img = _spread(img, params.spread)
        out[i] = np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)
    return out
