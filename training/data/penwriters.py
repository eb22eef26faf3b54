"""Synthetic pen writers: characters drawn along real stroke skeletons in a per-writer hand.

The skeletons are hanzi-writer-data's stroke medians (1024-unit em, y up, baseline offset 900). A
writer is a `PenStyle` drawn once from its seed — pen width and pressure taper, stroke-end shape,
slant, aspect, corner rounding, stroke length, spacing, curvature wobble, joined strokes, ink — so
every character of one writer shares the hand while writers differ the way people do:

    style = PenStyle.sample(np.random.default_rng(seed))
    skeleton = Skeleton.of(load_medians(strokes_dir, "永"))   # once per character, shared by writers
    ink = draw_glyph(skeleton, style, np.random.default_rng([seed, ord("永")]), 64)

Glyphs are drawn at 4× with OpenCV (variable-width polylines: segments grouped by thickness) and
normalized with `raster.normalize`, which also does the antialiasing downsample.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from fontgen import raster

VERSION = 2  # bump when the drawing changes: the same seed then draws a different hand
EM = 1024.0
Y_ORIGIN = 900.0  # hanzi-writer: y up, baseline offset, so image y = 900 - y
SUPERSAMPLE = 4
POINTS = 28  # points per resampled stroke: fixed, so every step vectorizes over strokes
SHIFT = 2  # OpenCV sub-pixel bits for drawing


@dataclass(frozen=True)
class PenStyle:
    """One writer's hand. Lengths are in em units (1024 per em); probabilities in [0, 1]."""

    width: float          # pen width
    start_taper: float    # 0 = blunt start, 1 = the stroke starts from a point
    end_taper: float      # same at the stroke's end
    blob: float           # ink pooling at stroke ends: end radius factor (1 = none)
    nib: float            # 0 = round pen; larger = width depends on direction (flat nib, brush)
    nib_angle: float      # direction of the nib's broad side, radians
    pressure: float       # amplitude of slow pressure waves along a stroke
    slant: float          # shear: positive leans the tops to the right
    rise: float           # horizontals climb to the right (rotation-like shear)
    aspect: float         # glyph width / height
    length: float         # stroke length scale around each stroke's centre
    compact: float        # stroke centres pulled to (<1) or pushed from (>1) the glyph centre
    wobble: float         # smooth curvature noise amplitude
    offset: float         # per-stroke position noise (spacing irregularity)
    turn: float           # per-stroke rotation noise, radians
    rounding: float       # corner rounding: smoothing sigma along the stroke, em units
    ligature: float       # chance that consecutive strokes are joined by a faint line
    flick: float          # chance of an exit flick at a stroke's end
    ink: float            # ink darkness
    widen: float          # proportions habit: >0 widens the left part of a glyph, <0 the right
    heighten: float       # >0 gives the top part more room, <0 the bottom
    shear_mid: float      # the left/right split drifts between top and bottom
    warp_jitter: float    # how much those proportions vary from character to character
    dense_thin: float     # how much the pen thins on characters with many strokes (keeps them legible)

    @classmethod
    def sample(cls, rng: np.random.Generator) -> "PenStyle":
        """A random but plausible hand; `quick` writers are rounder, more joined and less neat."""
        quick = rng.uniform(0.0, 1.0)     # 0 = slow careful printing, 1 = fast running hand
        messy = rng.uniform(0.2, 1.0)     # neatness is independent of speed, mostly
        nib = rng.choice([0.0, 0.0, rng.uniform(0.2, 0.55)])
        return cls(
            width=float(rng.choice([rng.uniform(22, 40), rng.uniform(38, 60), rng.uniform(55, 75)],
                                   p=[0.35, 0.45, 0.2])),
            start_taper=float(rng.choice([rng.uniform(0.0, 0.2), rng.uniform(0.4, 0.8)])),
            end_taper=float(rng.uniform(0.0, 0.85) * (0.5 + 0.5 * quick)),
            blob=float(rng.choice([1.0, 1.0, rng.uniform(1.15, 1.45)])),
            nib=float(nib),
            nib_angle=float(rng.uniform(0.3, 1.2)),
            pressure=float(rng.uniform(0.0, 0.3)),
            slant=float(rng.normal(0.08, 0.1)),
            rise=float(rng.normal(0.05, 0.05)),
            aspect=float(np.exp(rng.normal(-0.03, 0.1))),
            length=float(rng.uniform(0.85, 1.08)),
            compact=float(rng.uniform(0.82, 1.06)),
            wobble=float(rng.uniform(3, 14) * messy),
            offset=float(rng.uniform(6, 28) * messy),
            turn=float(rng.uniform(0.02, 0.1) * messy),
            rounding=float(rng.uniform(4, 16) + 40 * quick ** 2),
            ligature=float(max(0.0, quick - 0.45) * rng.uniform(0.5, 1.2)),
            flick=float(rng.uniform(0.0, 0.4) * quick),
            ink=float(rng.uniform(0.78, 1.0)),
            widen=float(rng.normal(0, 0.09)),
            heighten=float(rng.normal(0, 0.09)),
            shear_mid=float(rng.normal(0, 0.12)),
            warp_jitter=float(rng.uniform(0.02, 0.07) * messy),
            dense_thin=float(rng.uniform(0.3, 0.6)),
        )

    def params(self) -> dict:
        """Parameters for the manifest, rounded for reading."""
        return {k: round(float(v), 4) for k, v in asdict(self).items()}


def load_medians(strokes_dir: Path, ch: str) -> list[np.ndarray] | None:
    """Stroke medians of `ch` in image coordinates (em units, y down), or None if there is no data."""
    path = Path(strokes_dir) / f"{ch}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    strokes = []
    for median in data.get("medians", []):
        pts = np.asarray(median, np.float64).reshape(-1, 2)
        pts[:, 1] = Y_ORIGIN - pts[:, 1]
        strokes.append(pts)
    return strokes or None


@dataclass(frozen=True)
class Skeleton:
    """A character's strokes resampled to `POINTS` evenly spaced points each: [K, POINTS, 2] plus lengths [K]."""

    points: np.ndarray
    lengths: np.ndarray

    @classmethod
    def of(cls, medians: list[np.ndarray]) -> "Skeleton":
        out = np.empty((len(medians), POINTS, 2))
        lengths = np.empty(len(medians))
        for k, pts in enumerate(medians):
            dist = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
            lengths[k] = max(dist[-1], 1.0)
            t = np.linspace(0.0, dist[-1], POINTS)
            out[k, :, 0] = np.interp(t, dist, pts[:, 0])
            out[k, :, 1] = np.interp(t, dist, pts[:, 1])
        return cls(out, lengths)


def _smooth(pts: np.ndarray, sigma: np.ndarray, iterations: int = 8) -> np.ndarray:
    """Round corners: Laplacian smoothing with fixed ends; per-stroke strength ~ Gaussian sigma [K] in points."""
    lam = np.clip(sigma ** 2 / iterations * 2.0, 0.0, 0.5)[:, None, None]  # variance 0.5 per step at lam 0.5
    pts = pts.copy()
    for _ in range(iterations):
        inner = pts[:, 1:-1]
        pts[:, 1:-1] = inner + lam * (pts[:, :-2] + pts[:, 2:] - 2 * inner)
    return pts


def _segments(pts: np.ndarray, radii: np.ndarray, scale: float, offset: float) -> tuple[np.ndarray, np.ndarray]:
    """Polylines [K, N, 2] → fixed-point segments [K*(N-1), 2, 2] and integer thicknesses [K*(N-1)]."""
    px = np.round((pts * scale + offset) * (1 << SHIFT)).astype(np.int32)
    thick = np.maximum(1, np.round(2 * radii * scale)).astype(np.int32)
    segs = np.stack([px[:, :-1], px[:, 1:]], axis=2).reshape(-1, 2, 2)
    return segs, np.maximum(thick[:, :-1], thick[:, 1:]).reshape(-1)


def _draw(canvas: np.ndarray, segs: np.ndarray, thick: np.ndarray, value: int) -> None:
    """Variable-width strokes: one OpenCV call per thickness; thick lines get round caps, so joins are smooth."""
    for t in np.unique(thick):
        cv2.polylines(canvas, list(segs[thick == t]), False, value, thickness=int(t), lineType=cv2.LINE_8, shift=SHIFT)


def _shape(skel: Skeleton, style: PenStyle, rng: np.random.Generator) -> np.ndarray:
    """Stroke medians [K, N, 2] in this writer's hand, centred on the em: rounded, wobbled, resized,
    turned and moved per stroke, then aspect, slant and rise for the whole glyph."""
    pts, k = skel.points, len(skel.points)
    spacing = skel.lengths / (POINTS - 1)
    pts = _smooth(pts, style.rounding / spacing)
    t = np.linspace(0.0, 1.0, POINTS)[None, :, None, None]              # [1, N, 1, 1]
    harmonic = np.array([1.0, 2.0])[None, None, :, None]                # [1, 1, H, 1]
    gain = rng.normal(size=(k, 1, 2, 2)) * style.wobble / harmonic      # [K, 1, H, axis]
    phase = rng.uniform(0, 2 * np.pi, size=(k, 1, 2, 2))
    pts = pts + (gain * np.sin(np.pi * harmonic * t + phase)).sum(axis=2)

    allpts = skel.points.reshape(-1, 2)
    centre = (allpts.min(axis=0) + allpts.max(axis=0)) / 2
    mid = pts.mean(axis=1, keepdims=True)                               # [K, 1, 2]
    scale = style.length * (1.0 + rng.normal(0, 0.05, (k, 1, 1)))
    a = rng.normal(0, style.turn, k)
    cos, sin = np.cos(a)[:, None], np.sin(a)[:, None]
    rel = pts - mid
    rel = np.stack([rel[..., 0] * cos - rel[..., 1] * sin, rel[..., 0] * sin + rel[..., 1] * cos], axis=-1)
    new_mid = centre + (mid - centre) * style.compact + rng.normal(0, style.offset, (k, 1, 2))
    rel = rel * scale + new_mid - centre
    rel = _warp(rel, allpts - centre, style, rng)

    sx, sy = np.sqrt(style.aspect), 1.0 / np.sqrt(style.aspect)
    x = rel[..., 0] * sx - style.slant * rel[..., 1] * sy
    y = rel[..., 1] * sy - style.rise * rel[..., 0] * sx
    return np.stack([x, y], axis=-1) + EM / 2


def _warp(rel: np.ndarray, box_pts: np.ndarray, style: PenStyle, rng: np.random.Generator) -> np.ndarray:
    """A writer's sense of proportion: a smooth monotone remap of the glyph box that gives one side
    or the top more room (the same habit for every character, plus a little per-character drift)."""
    lo, hi = box_pts.min(axis=0), box_pts.max(axis=0)
    extent = np.maximum(hi - lo, 1.0)
    u = np.clip((rel - lo) / extent, 0.0, 1.0)                         # [K, N, 2] in the glyph box
    a, c, e = np.array([style.widen, style.heighten, style.shear_mid]) + rng.normal(0, style.warp_jitter, 3)
    a, c = np.clip([a, c], -0.25, 0.25)                                # |a| < 1/pi keeps the remap monotone
    du = a * np.sin(np.pi * u[..., 0]) + e * np.sin(np.pi * u[..., 0]) * (u[..., 1] - 0.5)
    dv = c * np.sin(np.pi * u[..., 1])
    return rel + np.stack([du, dv], axis=-1) * extent


def _radii(pts: np.ndarray, lengths: np.ndarray, style: PenStyle, rng: np.random.Generator,
           char_width: float) -> np.ndarray:
    """Pen radius [K, N] along each stroke: taper at both ends, pressure waves, direction-dependent nib."""
    k = len(pts)
    t = np.linspace(0.0, 1.0, POINTS)[None, :]
    ramp_in = np.minimum(0.35, 120.0 / lengths)[:, None]
    ramp_out = np.minimum(0.45, 160.0 / lengths)[:, None]
    start = 1.0 - style.start_taper * np.clip(1.0 - t / ramp_in, 0.0, 1.0) ** 1.5
    end = 1.0 - style.end_taper * np.clip(1.0 - (1.0 - t) / ramp_out, 0.0, 1.0) ** 1.5
    freq = rng.uniform(1, 3, (k, 1))
    wave = 1.0 + style.pressure * np.sin(np.pi * t * freq + rng.uniform(0, 2 * np.pi, (k, 1)))
    radius = 0.5 * char_width * start * end * wave
    if style.nib > 0:
        d = np.gradient(pts, axis=1)
        angle = np.arctan2(d[..., 1], d[..., 0])
        radius *= 1.0 + style.nib * (np.abs(np.sin(angle - style.nib_angle)) - 0.5) * 2
    radius[:, -1] *= style.blob
    return np.maximum(radius, 0.15 * char_width)


def _flicks(pts: np.ndarray, radii: np.ndarray, rng: np.random.Generator, chance: float):
    """Short exit strokes curling down-left from some stroke ends, as a quick hand leaves the paper."""
    chosen = np.flatnonzero(rng.uniform(size=len(pts)) < chance)
    if chosen.size == 0:
        return None
    d = pts[chosen, -1] - pts[chosen, -3]
    d /= np.linalg.norm(d, axis=1, keepdims=True) + 1e-9
    direction = d * 0.3 + np.array([-0.6, 0.8]) * 0.7
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    length = rng.uniform(30, 70, (len(chosen), 1, 1))
    steps = np.linspace(0.0, 1.0, 4)[None, :, None]
    tail = pts[chosen, -1][:, None] + direction[:, None] * length * steps   # [F, 4, 2]
    r = radii[chosen, -1][:, None] * np.linspace(1.0, 0.4, 4)[None, :]
    return tail, r


def draw_glyph(skel: Skeleton, style: PenStyle, rng: np.random.Generator, size: int) -> np.ndarray | None:
    """The normalized size×size uint8 ink map of one character in `style`; None if nothing was drawn."""
    canvas_px = SUPERSAMPLE * size * 5 // 4
    scale = SUPERSAMPLE * size / EM
    offset = SUPERSAMPLE * size / 8
    crowding = min(1.0, (9.0 / max(len(skel.points), 1)) ** style.dense_thin)
    char_width = style.width * crowding * (1.0 + rng.normal(0, 0.06))
    pts = _shape(skel, style, rng)
    canvas = np.zeros((canvas_px, canvas_px), np.uint8)

    if len(pts) > 1:
        a, b = pts[:-1, -1], pts[1:, 0]                                   # ends and next starts [K-1, 2]
        joined = (rng.uniform(size=len(a)) < style.ligature) & (np.linalg.norm(a - b, axis=1) < 420)
        if joined.any():
            a, b = a[joined][:, None], b[joined][:, None]
            t = np.linspace(0, 1, 10)[None, :, None]
            mid = (a + b) / 2 + rng.normal(0, 25, a.shape)
            curve = (1 - t) ** 2 * a + 2 * (1 - t) * t * mid + t ** 2 * b
            _draw(canvas, *_segments(curve, np.full(curve.shape[:2], 0.17 * char_width), scale, offset), 150)

    radii = _radii(pts, skel.lengths, style, rng, char_width)
    segs, thick = _segments(pts, radii, scale, offset)
    flicks = _flicks(pts, radii, rng, style.flick)
    if flicks is not None:
        fsegs, fthick = _segments(*flicks, scale, offset)
        segs, thick = np.concatenate([segs, fsegs]), np.concatenate([thick, fthick])
    _draw(canvas, segs, thick, 255)
    ink = canvas.astype(np.float32) * (style.ink / 255.0)
    return raster.normalize(ink, size)
