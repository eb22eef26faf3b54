"""TrueType glyf records encoded directly from a traced outline, byte for byte what fontTools writes.

    data, bounds, points, contours = encode(outline)

fontTools' route (Cu2QuPen → ReverseContourPen → TTGlyphPen → `dropImpliedOnCurvePoints` →
`Glyph.compile`) spent two thirds of the tracing stage in per-point Python: the implied-point test
alone builds three `Vector`s per on-curve point. Here the cubic → quadratic conversion is cu2qu's
arithmetic on all of a glyph's cubics, or a worker chunk's (`quadratic.splines`, the same floats the
pen gets); reversal, implied on-curve dropping, rounding, bounds and the flag/delta packing
(`compileDeltasGreedy`) work on whole glyphs in numpy. tests/test_vectorize.py compares the bytes with
fontTools' route. Where the extension was built, all but the splines runs in C (`_encode.glyf`, the
same bytes, 30× faster); tests/test_encode.py compares the two.
"""

from __future__ import annotations

import struct

import numpy as np

from fontgen.font import quadratic
from fontgen.font.constants import CU2QU_MAX_ERR
from fontgen.font.glyphdata import cubics

try:  # the C twin (fontgen/font/_encode.c), built where a compiler was at install
    from fontgen.font import _encode as _native
except ImportError:
    _native = None

ON_CURVE, X_SHORT, Y_SHORT, REPEAT, X_SAME, Y_SAME = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_HEADER = struct.Struct(">hhhhh")


def _contour_points(start, segments, offcurve: list, at: int) -> tuple[list, list, int]:
    """One closed contour as TTGlyphPen receives it from ReverseContourPen: points and on-curve bits.

    `offcurve[at:]` holds the off-curve points of this contour's cubics, converted forwards in order
    (`quadratic.splines`, cu2qu's own floats); the pen stack then replays the contour backwards from the
    same start point; the closing point is never repeated. Returns the index after this contour's.
    """
    pts = [start]
    on = [1]
    for seg in segments:
        if len(seg) == 6:
            n = len(offcurve[at])
            pts.extend(offcurve[at])
            on.extend([0] * n)
            at += 1
        pts.append(seg[-2:])
        on.append(1)
    if len(pts) > 1 and tuple(pts[-1]) == tuple(pts[0]):  # the implied closing line
        pts.pop()
        on.pop()
    return [pts[0], *pts[:0:-1]], [on[0], *on[:0:-1]], at


def _isclose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """math.isclose with its defaults (relative 1e-9, no absolute tolerance), elementwise."""
    return (a == b) | (np.abs(a - b) <= 1e-9 * np.maximum(np.abs(a), np.abs(b)))


def _implied(xy: np.ndarray, on: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """bool [n]: on-curve points halfway between off-curve neighbours (fontTools' `_is_mid_point`)."""
    starts = np.concatenate([[0], ends[:-1] + 1])
    idx = np.arange(len(on))
    prv, nxt = idx - 1, idx + 1
    prv[starts], nxt[ends] = ends, starts  # each contour is closed
    candidate = on & ~on[prv] & ~on[nxt]
    if not candidate.any():
        return candidate
    p0, p1, p2 = xy[prv], xy, xy[nxt]
    exact = _isclose((p0 + p2) * 0.5, p1).all(axis=1)
    rounded = (np.floor(p0 + 0.5) + np.floor(p2 + 0.5) == np.floor(p1 + 0.5) * 2).all(axis=1)
    return candidate & (exact | rounded)


def _coordinate_bytes(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, bytes, bytes]:
    """Greedy encoding of the deltas [n, (x, y)]: (short bits, same-or-positive bits, x bytes, y bytes)."""
    mag = np.abs(d)
    short = (d != 0) & (mag <= 255)
    same = (d == 0) | (short & (d > 0))
    size = np.where(d == 0, 0, np.where(short, 1, 2))
    word = (d & 0xFFFF).astype(np.uint16)
    buf = np.empty((2, len(d), 2), np.uint8)  # [axis, point, byte]
    buf[:, :, 0] = np.where(short, mag, word >> 8).T
    buf[:, :, 1] = (word & 0xFF).T
    used = np.arange(2) < size.T[:, :, None]
    return short, same, buf[0][used[0]].tobytes(), buf[1][used[1]].tobytes()


def _packed_flags(flags: np.ndarray) -> bytes:
    """`compileDeltasGreedy`'s flag runs: a run of m ≥ 3 equal flags is (flag | REPEAT, m − 1), 256 at most."""
    bounds = np.concatenate([[0], np.flatnonzero(flags[1:] != flags[:-1]) + 1, [len(flags)]])
    runs, values = np.diff(bounds), flags[bounds[:-1]]
    if runs.max() > 256:  # a run of more than 256 restarts after each 256
        pieces = -(-runs // 256)
        values = np.repeat(values, pieces)
        last = np.cumsum(pieces) - 1
        runs = np.full(len(values), 256)
        runs[last] = np.diff(bounds) - 256 * (pieces - 1)
    buf = np.empty((len(runs), 2), np.uint8)
    buf[:, 0] = np.where(runs <= 2, values, values | REPEAT)
    buf[:, 1] = np.where(runs <= 2, values, runs - 1)
    return buf[np.arange(2) < np.minimum(runs, 2)[:, None]].tobytes()


def encode(outline, splines: tuple[np.ndarray, np.ndarray] | None = None
           ) -> tuple[bytes, tuple[int, int, int, int] | None, int, int]:
    """(glyf bytes, (xMin, yMin, xMax, yMax) or None, points, contours) of the quadratic glyph;
    `splines` is `quadratic.splines(cubics(outline), CU2QU_MAX_ERR)` where a caller batched it."""
    offcurve, counts = splines if splines is not None else quadratic.splines(cubics(outline), CU2QU_MAX_ERR)
    if _native is not None:
        return _native.glyf(outline.contours, offcurve, counts)
    flat, stops = list(map(tuple, offcurve.tolist())), np.cumsum(counts).tolist()
    offcurve = [flat[a:b] for a, b in zip([0, *stops], stops)]
    pts: list = []
    on: list = []
    ends: list[int] = []
    at = 0
    for start, segments in outline.contours:
        cp, co, at = _contour_points(start, segments, offcurve, at)
        if len(cp) < 2:  # TTGlyphPen drops one-point paths
            continue
        pts.extend(cp)
        on.extend(co)
        ends.append(len(pts) - 1)
    if not ends:
        return b"", None, 0, 0
    xy = np.array(pts, np.float64)
    oncurve = np.array(on, bool)
    end_pts = np.array(ends, np.int64)
    drop = _implied(xy, oncurve, end_pts)
    if drop.any():
        keep = ~drop
        end_pts = end_pts - np.cumsum(drop)[end_pts]
        xy, oncurve = xy[keep], oncurve[keep]
    ixy = np.floor(xy + 0.5).astype(np.int64)  # otRound
    lo, hi = ixy.min(axis=0), ixy.max(axis=0)
    bounds = (int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1]))
    deltas = np.diff(ixy, axis=0, prepend=np.zeros((1, 2), np.int64))
    short, same, xs, ys = _coordinate_bytes(deltas)
    flags = (oncurve * ON_CURVE | short[:, 0] * X_SHORT | short[:, 1] * Y_SHORT | same[:, 0] * X_SAME
             | same[:, 1] * Y_SAME).astype(np.uint8)
    data = b"".join((_HEADER.pack(len(ends), *bounds), end_pts.astype(">u2").tobytes(), b"\0\0",
                     _packed_flags(flags), xs, ys))
    return data, bounds, len(ixy), len(ends)
