"""One traced glyph ready for assembly: its outline, exact bounds and pre-compiled programs.

`build.prepare_glyphs` makes a `GlyphData` per glyph in `trace_many`'s worker processes, so the
compilers only concatenate bytes. The bounds are computed here once (fontTools' recalculation is
switched off at save time), with the same arithmetic as fontTools' BoundsPen. Where the extension
was built, `outline_bounds` and `cubics` run in C (`_encode`, the same doubles): this numpy glue cost
as much CPU per glyph as potrace. The numpy code is the reference and the fallback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fontgen.font.vectorize import Outline

try:  # the C twin (fontgen/font/_encode.c), built where a compiler was at install
    from fontgen.font import _encode as _native
except ImportError:
    _native = None


@dataclass(frozen=True)
class GlyfRecord:
    """A compiled TrueType glyph (quadratic, clockwise outer contours) and what maxp/hmtx need of it."""

    data: bytes
    bounds: tuple[int, int, int, int] | None
    points: int
    contours: int


@dataclass(frozen=True)
class GlyphData:
    """One glyph ready for assembly: its outline, exact bounds and pre-compiled programs.

    `charstring` is a Type 2 program without a width (the advance is the default, 1000).
    """

    outline: Outline
    bounds: tuple[int, int, int, int] | None
    charstring: bytes | None = None
    glyf: GlyfRecord | None = None

def cubics(outline: Outline) -> np.ndarray:
    """[N, 4, 2] every cubic segment of the outline with its start point, in contour order."""
    if _native is not None:
        return np.frombuffer(_native.cubics(outline.contours), np.float64).reshape(-1, 4, 2)
    flat: list[int] = []
    for start, segments in outline.contours:
        current = start
        for seg in segments:
            if len(seg) == 6:
                flat += current
                flat += seg
            current = seg[-2:]
    return np.array(flat, np.float64).reshape(-1, 4, 2)  # a flat list converts ~10x faster than nested


def outline_bounds(outline: Outline) -> tuple[int, int, int, int] | None:
    """Exact (curve-extrema) bounds, widened to integers as fontTools does for FontBBox; None if empty.

    The same arithmetic as fontTools' BoundsPen (`calcCubicBounds`), over all of a glyph's cubics at
    once in numpy: the pen's per-segment Python calls were a fifth of the tracing stage.
    """
    if _native is not None:
        return _native.bounds(outline.contours)
    points = [p for start, segments in outline.contours for p in (start, *(seg[-2:] for seg in segments))]
    if not points:
        return None
    pts = np.asarray(points, np.float64)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    c = cubics(outline)  # [n, (p0, p1, p2, p3), (x, y)]
    if len(c):
        hull_lo, hull_hi = c.min(axis=1), c.max(axis=1)
        bulge = ((hull_lo < lo) | (hull_hi > hi)).any(axis=1)  # control points outside: extrema may count
        if bulge.any():
            ext = _cubic_extrema(c[bulge])  # a curve never leaves its control points' hull
            ext_lo = np.maximum(ext, hull_lo[bulge][:, None]).reshape(-1, 2)  # NaN stays NaN
            ext_hi = np.minimum(ext, hull_hi[bulge][:, None]).reshape(-1, 2)
            lo = np.fmin(lo, np.fmin.reduce(ext_lo, axis=0))  # fmin/fmax skip the NaNs of absent roots
            hi = np.fmax(hi, np.fmax.reduce(ext_hi, axis=0))
    return (math.floor(lo[0]), math.floor(lo[1]), math.ceil(hi[0]), math.ceil(hi[1]))


def _cubic_extrema(c: np.ndarray) -> np.ndarray:
    """Points [n, 4, 2] of cubics [n, 4, 2] at the roots in [0, 1) of dx/dt and dy/dt (NaN where none).

    Power-basis coefficients and the quadratic solve follow fontTools' calcCubicParameters and
    solveQuadratic term by term, so the integer bounds agree with BoundsPen's.
    """
    p1, p2, p3, p4 = c[:, 0], c[:, 1], c[:, 2], c[:, 3]
    cc = (p2 - p1) * 3.0
    b = (p3 - p2) * 3.0 - cc
    a = p4 - p1 - cc - b
    qa, qb, qc = a * 3.0, b * 2.0, cc  # derivative, per axis [n, 2]
    eps = 1e-10
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = qb * qb - 4.0 * qa * qc
        root = np.sqrt(disc)
        quad = np.abs(qa) >= eps
        lin = ~quad & (np.abs(qb) >= eps)
        t1 = np.where(quad, (-qb + root) / 2.0 / qa, np.where(lin, -qc / qb, np.nan))
        t2 = np.where(quad, (-qb - root) / 2.0 / qa, np.nan)
    t = np.concatenate([t1, t2], axis=1)  # [n, 4]: x roots then y roots
    t = np.where((t >= 0) & (t < 1), t, np.nan)[..., None]
    return a[:, None] * t * t * t + b[:, None] * t * t + cc[:, None] * t + p1[:, None]
