"""Direct ctypes binding to libpotrace: boolean mask in, Bézier curves out, as numpy arrays.

A binding such as pypotrace copies the mask one pixel at a time through Python indexing (about
10 ms for a 256×256 glyph, 20× the trace itself), which alone would blow the GB2312 time budget, and
needs a compiler to install. Here the mask is bit-packed with numpy and the curves are read back as
arrays, so tracing costs what potrace costs. libpotrace is the system library (Debian: `libpotrace0`).

    for tags, points in trace_mask(mask, turdsize=8, alphamax=1.0, opttolerance=1.0):
        ...  # tags [n] (CURVETO or CORNER), points [n, 3, 2] in pixel units (x right, y = row)
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

import numpy as np

CURVETO, CORNER = 1, 2
TURNPOLICY_MINORITY = 4


class _Progress(ctypes.Structure):
    _fields_ = [("callback", ctypes.c_void_p), ("data", ctypes.c_void_p),
                ("min", ctypes.c_double), ("max", ctypes.c_double), ("epsilon", ctypes.c_double)]


class _Param(ctypes.Structure):
    _fields_ = [("turdsize", ctypes.c_int), ("turnpolicy", ctypes.c_int), ("alphamax", ctypes.c_double),
                ("opticurve", ctypes.c_int), ("opttolerance", ctypes.c_double), ("progress", _Progress)]


class _Bitmap(ctypes.Structure):
    _fields_ = [("w", ctypes.c_int), ("h", ctypes.c_int), ("dy", ctypes.c_int),
                ("map", ctypes.POINTER(ctypes.c_ulong))]


class _Curve(ctypes.Structure):
    # c is potrace_dpoint_t (*)[3]; read as a flat array of doubles, n * 3 points * (x, y).
    _fields_ = [("n", ctypes.c_int), ("tag", ctypes.POINTER(ctypes.c_int)), ("c", ctypes.POINTER(ctypes.c_double))]


class _Path(ctypes.Structure):
    pass


_Path._fields_ = [("area", ctypes.c_int), ("sign", ctypes.c_int), ("curve", _Curve),
                  ("next", ctypes.POINTER(_Path)), ("childlist", ctypes.POINTER(_Path)),
                  ("sibling", ctypes.POINTER(_Path)), ("priv", ctypes.c_void_p)]


class _State(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("plist", ctypes.POINTER(_Path)), ("priv", ctypes.c_void_p)]


@lru_cache(maxsize=None)
def _lib() -> ctypes.CDLL:
    name = ctypes.util.find_library("potrace") or "libpotrace.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise RuntimeError(f"libpotrace not found ({exc}); install it: apt-get install libpotrace0") from exc
    lib.potrace_param_default.restype = ctypes.POINTER(_Param)
    lib.potrace_param_free.argtypes = [ctypes.POINTER(_Param)]
    lib.potrace_trace.restype = ctypes.POINTER(_State)
    lib.potrace_trace.argtypes = [ctypes.POINTER(_Param), ctypes.POINTER(_Bitmap)]
    lib.potrace_state_free.argtypes = [ctypes.POINTER(_State)]
    lib.potrace_version.restype = ctypes.c_char_p
    return lib


def version() -> str:
    return _lib().potrace_version().decode()


def trace_mask(mask: np.ndarray, *, turdsize: int = 2, alphamax: float = 1.0, opticurve: bool = True,
               opttolerance: float = 0.2, turnpolicy: int = TURNPOLICY_MINORITY
               ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Trace a boolean mask (True = ink); one (tags [n], points [n, 3, 2]) pair per closed curve.

    Curves come in potrace's order (each outer contour followed by its holes), with opposite
    orientations for outer contours and holes. A curve starts at its last segment's end point.
    """
    h, w = mask.shape
    bits = ctypes.sizeof(ctypes.c_ulong) * 8  # potrace_word is an unsigned long
    words_per_row = (w + bits - 1) // bits
    padded = np.zeros((h, words_per_row * bits), bool)
    padded[:, :w] = mask
    # potrace wants native machine words whose most significant bit is the leftmost pixel.
    big_endian = np.packbits(padded, axis=1).view(f">u{bits // 8}")
    words = np.ascontiguousarray(big_endian.astype(f"=u{bits // 8}"))
    bitmap = _Bitmap(w, h, words_per_row, words.ctypes.data_as(ctypes.POINTER(ctypes.c_ulong)))

    lib = _lib()
    param = lib.potrace_param_default()
    try:
        param.contents.turdsize = int(turdsize)
        param.contents.turnpolicy = int(turnpolicy)
        param.contents.alphamax = float(alphamax)
        param.contents.opticurve = int(bool(opticurve))
        param.contents.opttolerance = float(opttolerance)
        state = lib.potrace_trace(param, ctypes.byref(bitmap))
    finally:
        lib.potrace_param_free(param)
    if not state:
        raise MemoryError("potrace_trace failed")
    try:
        if state.contents.status != 0:
            raise RuntimeError("potrace did not finish tracing")
        curves = []
        node = state.contents.plist
        while node:
            curve = node.contents.curve
            n = curve.n
            tags = np.ctypeslib.as_array(curve.tag, shape=(n,)).copy()
            points = np.ctypeslib.as_array(curve.c, shape=(n * 6,)).reshape(n, 3, 2).copy()
            curves.append((tags, points))
            node = node.contents.next
        return curves
    finally:
        lib.potrace_state_free(state)
