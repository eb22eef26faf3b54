"""fontTools' cu2qu (cubic → quadratic splines) for many cubics at once, bit for bit.

TrueType outlines are quadratic. fontTools' compiled `curve_to_quadratic` costs about 5 µs a call and
a traced glyph has about 100 cubics, so it was two thirds of the glyf encoding. Here the same
arithmetic runs on whole arrays: for n = 1 … `N_HERE` segments, every cubic still without a spline is
split into n parts, its spline built and checked with cu2qu's recursive error test, run breadth first
(a pure test: the order of its pieces does not change its answer). Cubics that need more segments
(0.3 % of traced ones) go to fontTools itself.

Every step is cu2qu's operation in cu2qu's order on IEEE doubles (complex products, real divisions
done part by part as its `_complex_div_by_real` does, `hypot` for the modulus), so the splines are the
same floats; tests/test_quadratic.py checks that against fontTools on traced glyphs and random cubics.

    offcurve, counts = splines(cubics, max_err)   # cubics [N, 4, 2] → off-curve points [Σ counts, 2]
"""

from __future__ import annotations

import numpy as np
from fontTools.cu2qu import curve_to_quadratic

N_HERE = 4        # segment counts solved here; cu2qu has special splits for 2, 3 and 4
BATCH = 256       # fewer cubics than this are cheaper one by one through fontTools (~60 array passes a batch)
MAX_DEPTH = 64    # error-test subdivisions before a cubic is left to fontTools (never reached in practice)


def _div(z: np.ndarray, den: float) -> np.ndarray:
    """Complex ÷ real as two real divisions (cu2qu's `_complex_div_by_real`)."""
    out = np.empty_like(z)
    out.real = z.real / den
    out.imag = z.imag / den
    return out


def _dot(v1: np.ndarray, v2: np.ndarray) -> np.ndarray:
    result = (v1 * v2.conjugate()).real
    return np.where(np.abs(result) < 1e-15, 0.0, result)


def _intersect(a, b, c, d) -> np.ndarray:
    """cu2qu's `calc_intersect` of lines a-b and c-d; NaN where there is none."""
    ab, cd = b - a, d - c
    p = ab * 1j
    num, den = _dot(p, a - c), _dot(p, cd)
    zero = den == 0
    h = num / np.where(zero, 1.0, den)
    out = c + cd * h
    if zero.any():
        degenerate = (b == c) & ((a == b) | (c == d))
        out[zero] = np.where(degenerate[zero], b[zero], complex(np.nan, np.nan))
    return out


def _fits(p0, p1, p2, p3, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """(fits, decided) per cubic: cu2qu's `cubic_farthest_fit_inside`, breadth first."""
    fits = np.ones(len(p0), bool)
    owner = np.arange(len(p0))
    for _ in range(MAX_DEPTH):
        near = (np.abs(p2) <= tolerance) & (np.abs(p1) <= tolerance)
        owner, p0, p1, p2, p3 = owner[~near], p0[~near], p1[~near], p2[~near], p3[~near]
        if not owner.size:
            return fits, np.ones(len(fits), bool)
        mid = (p0 + 3 * (p1 + p2) + p3) * 0.125
        far = np.abs(mid) > tolerance
        fits[owner[far]] = False
        go = ~far & fits[owner]
        owner, p0, p1, p2, p3, mid = owner[go], p0[go], p1[go], p2[go], p3[go], mid[go]
        deriv3 = (p3 + p2 - p1 - p0) * 0.125
        owner = np.concatenate([owner, owner])
        p0, p1, p2, p3 = (np.concatenate([p0, mid]), np.concatenate([(p0 + p1) * 0.5, mid + deriv3]),
                          np.concatenate([mid - deriv3, (p2 + p3) * 0.5]), np.concatenate([mid, p3]))
    decided = np.ones(len(fits), bool)
    decided[owner] = False
    return fits, decided


def _split_two(p0, p1, p2, p3):
    mid = (p0 + 3 * (p1 + p2) + p3) * 0.125
    deriv3 = (p3 + p2 - p1 - p0) * 0.125
    return [(p0, (p0 + p1) * 0.5, mid - deriv3, mid), (mid, mid + deriv3, (p2 + p3) * 0.5, p3)]


def _split_three(p0, p1, p2, p3):
    mid1 = (8 * p0 + 12 * p1 + 6 * p2 + p3) * (1 / 27)
    deriv1 = (p3 + 3 * p2 - 4 * p0) * (1 / 27)
    mid2 = (p0 + 6 * p1 + 12 * p2 + 8 * p3) * (1 / 27)
    deriv2 = (4 * p3 - 3 * p1 - p0) * (1 / 27)
    return [(p0, _div(2 * p0 + p1, 3.0), mid1 - deriv1, mid1), (mid1, mid1 + deriv1, mid2 - deriv2, mid2),
            (mid2, mid2 + deriv2, _div(p2 + 2 * p3, 3.0), p3)]


def _split(cubic, n: int):
    if n == 2:
        return _split_two(*cubic)
    if n == 3:
        return _split_three(*cubic)
    a, b = _split_two(*cubic)
    return _split_two(*a) + _split_two(*b)


def _control(t: float, p0, p1, p2, p3):
    _p1 = p0 + (p1 - p0) * 1.5
    _p2 = p3 + (p2 - p3) * 1.5
    return _p1 + (_p2 - _p1) * t


def _approx(cubic, n: int, tolerance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(off-curve points [k, n], fits, decided) of n-segment splines: cu2qu's `cubic_approx_spline`."""
    c0, c1, c2, c3 = cubic
    if n == 1:
        q1 = _intersect(c0, c1, c2, c3)
        fits, decided = ~np.isnan(q1.imag), np.ones(len(c0), bool)
        at = np.flatnonzero(fits)
        zero = np.zeros(len(at), np.complex128)
        fits[at], decided[at] = _fits(zero, c0[at] + (q1[at] - c0[at]) * (2 / 3) - c1[at],
                                      c3[at] + (q1[at] - c3[at]) * (2 / 3) - c2[at], zero, tolerance)
        return q1[:, None], fits, decided | ~fits
    parts = _split(cubic, n)
    next_q1 = _control(0, *parts[0])
    q2, d1 = c0, np.zeros_like(c0)
    qs, close, tests = [next_q1], np.ones(len(c0), bool), []
    for i in range(1, n + 1):
        s0, s1, s2, s3 = parts[i - 1]
        q0, q1 = q2, next_q1
        if i < n:
            next_q1 = _control(i / (n - 1), *parts[i])
            qs.append(next_q1)
            q2 = (q1 + next_q1) * 0.5
        else:
            q2 = s3
        d0, d1 = d1, q2 - s3
        close &= ~(np.abs(d1) > tolerance)
        tests.append((d0, q0 + (q1 - q0) * (2 / 3) - s1, q2 + (q1 - q2) * (2 / 3) - s2, d1))
    fits, decided = _fits(*(np.concatenate(p) for p in zip(*tests)), tolerance)
    fits, decided = fits.reshape(n, -1).all(axis=0), decided.reshape(n, -1).all(axis=0)
    return np.stack(qs, axis=1), close & fits, decided | ~close | ~fits


def splines(cubics: np.ndarray, max_err: float) -> tuple[np.ndarray, np.ndarray]:
    """(off-curve points [Σ counts, 2], counts [N]) of each cubic's quadratic spline, in cubic order;
    the spline's on-curve ends are the cubic's own, its inner on-curve points implied (midpoints)."""
    cubics = np.asarray(cubics, np.float64).reshape(-1, 4, 2)
    if len(cubics) < BATCH:
        found = [curve_to_quadratic(c, max_err)[1:-1] for c in cubics.tolist()]
        return (np.array([p for spline in found for p in spline], np.float64).reshape(-1, 2),
                np.array([len(spline) for spline in found], np.int64))
    z = np.empty(cubics.shape[:2], np.complex128)
    z.real, z.imag = cubics[..., 0], cubics[..., 1]
    found: dict[int, tuple[np.ndarray, np.ndarray]] = {}   # n → (cubic indices, points [k, n])
    todo, undecided = np.arange(len(z)), []
    for n in range(1, N_HERE + 1):
        if not todo.size:
            break
        points, fits, decided = _approx(tuple(z[todo, j] for j in range(4)), n, max_err)
        found[n] = todo[fits & decided], points[fits & decided]
        undecided.append(todo[~decided])
        todo = todo[decided & ~fits]
    counts = np.zeros(len(z), np.int64)
    rest = {}
    for i in np.concatenate([todo, *undecided]).tolist():
        rest[i] = np.array(curve_to_quadratic(cubics[i].tolist(), max_err)[1:-1], np.float64)
        counts[i] = len(rest[i])
    for n, (index, _) in found.items():
        counts[index] = n
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = np.empty((int(counts.sum()), 2), np.float64)
    for n, (index, points) in found.items():
        at = (starts[index][:, None] + np.arange(n)).ravel()
        out[at, 0], out[at, 1] = points.real.ravel(), points.imag.ravel()
    for i, points in rest.items():
        out[starts[i]:starts[i] + len(points)] = points
    return out, counts
