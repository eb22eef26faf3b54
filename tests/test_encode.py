"""`fontgen.font._encode`, the C twin of the per-glyph outline steps: the Python reference's results.

Every comparison runs the public function twice, natively and with the modules' `_native` switched
off (the reference and fallback path): traced contours, charstrings, bounds, cubics and glyf records
must be equal.
"""

import struct
from pathlib import Path

import numpy as np
import pytest

from fontgen import templates
from fontgen.font import build, cff, glyphdata, potrace_lib, quadratic, ttglyph, vectorize
from fontgen.font.constants import CU2QU_MAX_ERR
from fontgen.font.vectorize import Outline

try:
    from fontgen.font import _encode
except ImportError:
    _encode = None

pytestmark = pytest.mark.skipif(_encode is None, reason="fontgen.font._encode not built (no C compiler at install)")

NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
WIDTHS = (None, 0, 250, -5, 1000, 1131, 1132, 5000, 40000)
NO_SPLINES = (np.zeros((0, 2)), np.zeros(0, np.int64))  # an outline without cubics


@pytest.fixture
def reference(monkeypatch):
    """`reference(fn, *args)`: fn on the numpy path (the extension switched off in every module)."""
    def call(fn, *args):
        with monkeypatch.context() as patch:
            for module in (cff, glyphdata, ttglyph):
                patch.setattr(module, "_native", None)
            return fn(*args)
    return call


def assert_same(reference, outline: Outline, splines=None, widths=(None,), glyf: bool = True) -> None:
    """Native and reference agree on the outline's charstrings, bounds, cubics and glyf record."""
    assert glyphdata._native is _encode  # the native path is the one under test
    for width in widths:
        assert cff.charstring_program(outline, width) == reference(cff.charstring_program, outline, width)
    assert glyphdata.outline_bounds(outline) == reference(glyphdata.outline_bounds, outline)
    cubics, want = glyphdata.cubics(outline), reference(glyphdata.cubics, outline)
    assert cubics.shape == want.shape and cubics.dtype == want.dtype and cubics.tobytes() == want.tobytes()
    assert cubics.flags.writeable
    if glyf:
        if splines is None:
            splines = quadratic.splines(want, CU2QU_MAX_ERR)
        assert ttglyph.encode(outline, splines) == reference(ttglyph.encode, outline, splines)


@pytest.fixture(scope="module")
def traced() -> list[Outline]:
    """300 CJK glyphs of Noto Sans CJK, rendered at 64 px and traced (in font units, 2 ems of canvas)."""
    if not NOTO_CJK.exists():
        pytest.skip(f"{NOTO_CJK} not installed")
    from PIL import ImageFont

    font = ImageFont.truetype(str(NOTO_CJK), 64)
    frame = vectorize.PixelFrame.canvas(128)
    return [vectorize.trace(templates.render_ink(font, chr(0x4E00 + 67 * i))[0], frame) for i in range(300)]


def test_traced_glyphs_encode_identically(traced, reference):
    for outline in traced:
        assert_same(reference, outline, widths=(None, 600))
    far = [outline.translated(20000, -20000) for outline in traced[:20]]  # 2-byte charstring numbers
    for outline in far:
        assert_same(reference, outline)
    for outline in traced[:20]:  # beyond 16 bits: Type 2's 4-byte numbers; no glyf record can hold it
        assert_same(reference, outline.translated(-70000, 40000), glyf=False)
    beyond = traced[0].translated(0, 40000)
    splines = quadratic.splines(glyphdata.cubics(beyond), CU2QU_MAX_ERR)
    with pytest.raises(OverflowError):
        ttglyph.encode(beyond, splines)
    with pytest.raises(struct.error):  # the header's bounds do not pack
        reference(ttglyph.encode, beyond, splines)


def test_prepare_glyphs_in_a_batch_agrees(traced, reference):
    keys = [str(i) for i in range(60)]
    assert sum(len(glyphdata.cubics(o)) for o in traced[:60]) >= quadratic.BATCH  # the chunk's batched splines
    native = build.prepare_glyphs(keys, traced[:60], ("otf", "ttf"))
    want = reference(build.prepare_glyphs, keys, traced[:60], ("otf", "ttf"))
    assert native == want


def ramp(n: int, start=(0, 0), step=(10, 5)) -> Outline:
    """n lines, n - 1 of them equal steps: a run of equal glyf flags (and long rlineto runs)."""
    x, y = start
    return Outline(((start, (*((x + step[0] * i, y + step[1] * i) for i in range(1, n)), (x, y + 3000))),))


EDGE_CASES = [
    Outline(()),
    Outline((((5, 5), ()),)),                                          # a bare moveto
    Outline((((5, 5), ((5, 5),)),)),                                   # a line back onto the start
    Outline((((0, 0), ((100, 0),)),)),                                 # two points
    Outline((((0, 0), ((0, 0), (900, 0), (900, 900))),)),              # a zero-length line
    Outline((((0, 0), ((500, 0), (500, 900, 200, 950, -300, 700))),)),  # ends off the start
    Outline((((34, -87), ((34, -87, 105, -88, 191, -87), (348, -87), (348, 232), (34, -87))),)),
    Outline((((0, 0), ((0, 0, 0, 0, 0, 0),)), ((10, 10), ((20, 10), (20, 20))))),  # a point-cubic, then a triangle
    Outline((((0, 0), tuple((i * 37 % 211, i * 53 % 197) for i in range(1, 60))),)),  # lines only, > 24 a run
    Outline((((0, 0), tuple((i, -i, 2 * i, 0, 3 * i % 50, i % 7) for i in range(1, 30))),)),  # > 8 cubics a run
    Outline((((-3000, 2500), ((3000, -2500), (3000, 2500, -3000, -2500, -2047, 2047), (2048, -2048))),)),
    Outline((((-30000, 0), ((30000, 0), (30000, 100), (-30000, 100))),)),  # glyf deltas beyond 16 bits wrap
    Outline((((107, -107), ((215, -214), (1346, -1345), (1347, -1346), (2479, -2478), (2371, -2586),
                            (-32000, 32000))),)),  # each Type 2 number range's ends, 4-byte ones
    *(ramp(n) for n in (255, 256, 257, 258, 259, 600)),
    ramp(300, (-1000, 800), (0, -1)),
]


@pytest.mark.parametrize("outline", EDGE_CASES)
def test_edge_cases_encode_identically(outline, reference):
    assert_same(reference, outline, widths=WIDTHS)


def test_long_flag_runs_and_empty_glyphs_give_the_expected_records():
    """Not only equal to the reference: a 600-point ramp packs its flags in runs of at most 256."""
    data, bounds, points, contours = _encode.glyf(ramp(600).contours, *NO_SPLINES)
    assert (points, contours, bounds) == (601, 1, (0, 0, 5990, 3000))
    # Reversed: the start, (0, 3000), (5990, 2995), then 598 steps of (-10, -5): runs of 256, 256, 86.
    assert data[14:23] == bytes([0x31, 0x11, 0x05, 0x0F, 255, 0x0F, 255, 0x0F, 85])
    assert _encode.glyf((), *NO_SPLINES) == (b"", None, 0, 0)
    assert _encode.glyf((((5, 5), ((5, 5),)),), *NO_SPLINES) == (b"", None, 0, 0)
    assert _encode.charstring((), 250) == bytes([247, 250 - 108, 14])  # endchar with the width
    assert _encode.charstring(()) == bytes([14])


# Two one-control-point splines, (0, 0) → (10, 0) → back: the on-curve points between the control
# points are dropped at the exact midpoint, within math.isclose's 1e-9, or where the rounded points
# agree (.5 rounds up), and kept otherwise; 4 points keep both, 3 drop one.
MID_OUTLINE = Outline((((0, 0), ((3, 4, 7, 4, 10, 0), (13, -4, 7, -4, 0, 0))),))
MIDPOINTS = [
    ((5, 5), (15, -5), 3), ((4.5, 5), (15.5 + 1e-8, -5), 3), ((4.5, 5), (15.5 + 3e-8, -5), 4),
    ((5, 5), (15.4, -5), 3), ((5, 5), (15.5, -5), 4), ((4.5, 4.5), (15.5, -4.5), 3),
    ((5, 5), (-5, -5), 3), ((5, 5), (-5.5, -5.5), 3), ((5, 5), (-4.5, -5), 4), ((5.5, 5), (-4.5, -5), 4),
]


@pytest.mark.parametrize("first, second, points", MIDPOINTS)
def test_implied_points_are_dropped_alike(first, second, points, reference):
    splines = (np.array([first, second], np.float64), np.array([1, 1]))
    assert_same(reference, MID_OUTLINE, splines)
    assert _encode.glyf(MID_OUTLINE.contours, *splines)[2] == points


def random_outline(rng) -> Outline:
    """Small coordinates, lines and cubics, some contours closed onto their start by the last segment."""
    contours = []
    for _ in range(rng.integers(1, 4)):
        start = tuple(int(v) for v in rng.integers(0, 4, 2))
        segments = [tuple(int(v) for v in rng.integers(0, 4, 2 if rng.random() < 0.25 else 6))
                    for _ in range(rng.integers(0, 7))]
        if segments and rng.random() < 0.5:
            segments[-1] = (*segments[-1][:-2], *start)  # closed onto its start
        contours.append((start, tuple(segments)))
    return Outline(tuple(contours))


def points_before_dropping(outline: Outline, counts: np.ndarray) -> int:
    """The glyf points of an outline before implied on-curve points go (closing points and 1-point paths gone)."""
    total, at = 0, 0
    for start, segments in outline.contours:
        cubics = sum(len(seg) == 6 for seg in segments)
        n = 1 + len(segments) + int(counts[at:at + cubics].sum()) - bool(segments and segments[-1][-2:] == start)
        at += cubics
        total += n if n >= 2 else 0
    return total


NUDGES = (0.0, 0.0, 0.0, 1e-10, 1e-7, 0.25, 0.5, -0.5)


def random_splines(outline: Outline, rng) -> tuple[np.ndarray, np.ndarray]:
    """0 to 3 control points a cubic (0: its chord) on a 0.25 grid; a spline after a spline mostly starts
    mirroring the last control point around the on-curve point between, nudged: an implied point or not."""
    points, counts = [], []
    for _, segments in outline.contours:
        last = on_curve = None  # the previous segment's last control point and end
        for seg in segments:
            n = int(rng.integers(0, 4)) if len(seg) == 6 else 0
            counts += [n] if len(seg) == 6 else []
            for k in range(n):
                if k == 0 and last is not None and rng.random() < 0.7:
                    points.append(2 * np.array(on_curve) - last + rng.choice(NUDGES, 2))
                else:
                    points.append(rng.integers(-4, 16, 2) / 4)
            last = points[-1] if n else None
            on_curve = seg[-2:]
    return np.array(points, np.float64).reshape(-1, 2), np.array(counts, np.int64)


def test_random_splines_and_implied_points(reference):
    rng = np.random.default_rng(7)
    dropped = 0
    for _ in range(1500):
        outline = random_outline(rng)
        offcurve, counts = random_splines(outline, rng)
        assert_same(reference, outline, (offcurve, counts))
        dropped += points_before_dropping(outline, counts) - _encode.glyf(outline.contours, offcurve, counts)[2]
    assert dropped > 300  # implied points were dropped, not just kept


def test_random_bulging_cubics_bound_alike(reference):
    rng = np.random.default_rng(3)
    for _ in range(500):
        pts = rng.integers(-3000, 3000, (rng.integers(1, 6), 3, 2))
        segs = tuple(tuple(int(v) for v in seg.ravel()) for seg in pts)
        outline = Outline((((int(rng.integers(-50, 50)), int(rng.integers(-50, 50))), segs),))
        assert_same(reference, outline, glyf=False)


def test_65536_points_fit_and_more_do_not(reference):
    segments = tuple((i % 100, i // 100) for i in range(1, 65536))
    outline = Outline((((0, 0), segments),))
    assert ttglyph.encode(outline, NO_SPLINES) == reference(ttglyph.encode, outline, NO_SPLINES)
    with pytest.raises(OverflowError):
        _encode.glyf((((0, 0), (*segments, (7, 7))),), *NO_SPLINES)


@pytest.mark.parametrize("contours, error", [
    (None, TypeError),
    (5, TypeError),
    ([(0, 0)], TypeError),                                   # a contour that is not (start, segments)
    ([((0, 0), (), ())], ValueError),
    ([((0, 0, 0), ())], ValueError),                         # a 3-int start
    ([((0, 0), ((1, 2, 3, 4),))], ValueError),               # a 4-int segment
    ([((0, 0), ((1.0, 2),))], TypeError),                    # a float coordinate
    ([((0, "0"), ())], TypeError),
    ([((0, 2 ** 63), ())], OverflowError),
    ([((0, 0), ((1, 2), None))], TypeError),
])
def test_bad_outlines_raise(contours, error):
    with pytest.raises(error):
        _encode.bounds(contours)
    with pytest.raises(error):
        _encode.cubics(contours)
    with pytest.raises(error):
        _encode.charstring(contours)
    with pytest.raises(error):
        _encode.glyf(contours, *NO_SPLINES)


def test_lists_read_as_tuples_even_when_changed_while_read():
    segments = [(1, 2)]

    class Sneaky:
        def __index__(self):
            segments.clear()  # the list under a reader that kept its items pointer would be freed
            return 5

    segments.append([Sneaky(), 3])
    assert _encode.bounds([[[0, 0], segments]]) == (0, 0, 5, 3)
    assert _encode.charstring([[[0, 0], [[1, 2], [5, 3]]]]) == _encode.charstring((((0, 0), ((1, 2), (5, 3))),))


def test_bad_widths_and_far_charstring_moves_raise():
    with pytest.raises(TypeError):
        _encode.charstring((), 1.5)
    with pytest.raises(OverflowError):
        _encode.charstring((), 2 ** 31)
    with pytest.raises(OverflowError):
        _encode.charstring((((2 ** 31, 0), ()),))
    with pytest.raises(OverflowError):  # a move beyond 64 bits
        _encode.charstring((((0, 0), ((-2 ** 62, 0), (2 ** 63 - 1, 0))),))


TRIANGLE = (((0, 0), ((10, 0), (10, 10, 5, 20, 0, 10))),)
OFF, COUNTS = np.array([[10.0, 15.0], [3.0, 12.0]]), np.array([2])


def test_splines_as_int32_counts_or_read_only_arrays():
    data = _encode.glyf(TRIANGLE, OFF, COUNTS)
    assert data[2] == 5
    off, counts = OFF.copy(), COUNTS.astype(np.int32)
    off.flags.writeable = False
    assert _encode.glyf(TRIANGLE, off, counts) == data


@pytest.mark.parametrize("offcurve, counts, error", [
    (OFF.tolist(), COUNTS, TypeError),                       # not a buffer
    (OFF.astype(np.float32), COUNTS, TypeError),
    (np.repeat(OFF, 2, axis=0)[::2], COUNTS, TypeError),     # not contiguous
    (OFF.ravel(), COUNTS, TypeError),                        # not [n, 2]
    (OFF.astype(">f8"), COUNTS, TypeError),                  # not native byte order
    (OFF, COUNTS.astype(np.float64), TypeError),
    (OFF, COUNTS.astype(np.uint8), TypeError),
    (OFF, COUNTS[None], TypeError),                          # not one-dimensional
    (OFF, np.array([1, 1]), ValueError),                     # not one count per cubic
    (OFF, np.array([1]), ValueError),                        # counts short of the points
    (OFF, np.array([3]), ValueError),                        # counts beyond the points
    (OFF, np.array([-1]), ValueError),
    (OFF * 1e4, COUNTS, OverflowError),                      # beyond 16 bits
    (np.array([[np.nan, 0.0], [1.0, 2.0]]), COUNTS, OverflowError),
])
def test_bad_splines_raise(offcurve, counts, error):
    with pytest.raises(error):
        _encode.glyf(TRIANGLE, offcurve, counts)


# ---- vectorize.trace: potrace's curves to contours ------------------------------------------------

CORNER, CURVE = potrace_lib.CORNER, potrace_lib.CURVETO
FRAMES = (
    vectorize.PixelFrame.canvas(128),            # the em box over the 2-em canvas
    vectorize.PixelFrame(2.0, -100.0, 50.0),     # a negative x0, half-unit steps: .5 ties
    vectorize.PixelFrame(7.3, -512.25, 1200.5),
    vectorize.PixelFrame(16.0, 3000, -0.5),      # an int offset
)
ONE_PIXEL = np.full((1, 1), 255, np.uint8)
UNSCALED = vectorize.TraceOptions(min_px=1)  # no upsampling: potrace's pixels are the frame's


def assert_plain(outline: Outline) -> None:
    """Nested tuples of Python ints, as the reference builds them (numpy ints would compare equal too)."""
    assert type(outline.contours) is tuple
    for contour in outline.contours:
        assert type(contour) is tuple and len(contour) == 2 and type(contour[1]) is tuple
        for point in (contour[0], *contour[1]):
            assert type(point) is tuple and len(point) in (2, 6) and all(type(v) is int for v in point)


def traced_both(monkeypatch, ink, frame, options=vectorize.TraceOptions()) -> tuple[Outline, Outline]:
    """vectorize.trace natively, and on the Python reference path."""
    assert vectorize._native is _encode
    native = vectorize.trace(ink, frame, options)
    with monkeypatch.context() as patch:
        patch.setattr(vectorize, "_native", None)
        want = vectorize.trace(ink, frame, options)
    assert_plain(native)
    return native, want


def from_curves(monkeypatch, curves, frame) -> tuple[Outline, Outline]:
    """`traced_both` of these potrace curves (potrace answered by a stand-in, the frame's scale unchanged)."""
    with monkeypatch.context() as patch:
        patch.setattr(potrace_lib, "trace_mask", lambda mask, **_: curves)
        return traced_both(patch, ONE_PIXEL, frame, UNSCALED)


def curve(*rows, tags_dtype=np.int32) -> tuple[np.ndarray, np.ndarray]:
    """A potrace curve from (tag, c1, c2, end) rows; it starts at its last end."""
    tags = np.array([row[0] for row in rows], tags_dtype)
    return tags, np.array([row[1:] for row in rows], np.float64).reshape(-1, 3, 2)


@pytest.fixture(scope="module")
def cjk_inks() -> list[np.ndarray]:
    """300 CJK glyphs of Noto Sans CJK at 64 px (2-em canvases of 128 px), other ones than `traced`'s."""
    if not NOTO_CJK.exists():
        pytest.skip(f"{NOTO_CJK} not installed")
    from PIL import ImageFont

    font = ImageFont.truetype(str(NOTO_CJK), 64)
    return [templates.render_ink(font, chr(0x4E00 + 67 * i + 29))[0] for i in range(300)]


def test_traced_glyphs_have_the_reference_contours(cjk_inks, monkeypatch):
    for i, ink in enumerate(cjk_inks):
        native, want = traced_both(monkeypatch, ink, FRAMES[i % len(FRAMES)])
        assert native == want and native


UNIT = vectorize.PixelFrame(1.0, 0.0, 0.0)
SQUARE = curve((CORNER, (0, 0), (0, 0), (10, 0)),      # its vertex is the current point: one line
               (CORNER, (0, 0), (10, 10), (10, 10)),   # its end is its vertex: one line
               (CORNER, (0, 0), (0, 10), (0, 0)))
SYNTHETIC = [
    ([], UNIT, ()),
    ([SQUARE], UNIT, (((0, 0), ((0, -10), (10, -10), (10, 0), (0, 0))),)),
    # A curve that stays on the current point is dropped; one that moves with c1 = c2 = end is kept.
    ([curve((CURVE, (5, 5), (5, 5), (5, 5)), (CURVE, (5, 5), (5, 5), (5, 5)), (CURVE, (1, 2), (3, 4), (5, 5)),
           (CURVE, (9, 9), (9, 9), (9, 9)), (CORNER, (0, 0), (5, 5), (5, 5)))],
     UNIT, (((5, -5), ((9, -9), (9, -9, 9, -9, 5, -5), (3, -4, 1, -2, 5, -5))),)),
    # Half-unit ties round to even: 0.5 → 0, 1.5 → 2, 2.5 → 2, -0.5 → -0, -1.5 → -2 (y flipped).
    ([curve((CORNER, (0, 0), (0.5, -1.5), (1.5, 2.5)), (CURVE, (-0.5, 0.5), (2.5, -2.5), (-1.5, 1.5)))],
     UNIT, (((-2, -2), ((2, 2, 0, 0, 2, -2), (0, 2), (-2, -2))),)),
    # ... and ties made by the frame: (3 · 0.5 + 0.5, 5 · -0.5 + 0) = (2, -2.5 → -2).
    ([curve((CORNER, (0, 0), (3, 5), (7, 1)), (CORNER, (0, 0), (1, 9), (-3, 3)))],
     vectorize.PixelFrame(0.5, 0.5, 0.0), (((-1, -2), ((1, -4), (4, 0), (2, -2), (-1, -2))),)),
    # Too short: one segment (a curve that ends where it starts), none (all dropped); the next one stays.
    ([curve((CURVE, (1, 2), (3, 4), (7, 7))), curve((CORNER, (0, 0), (7, 7), (7, 7))),
      curve((CURVE, (7, 7), (7, 7), (7, 7)), (CORNER, (0, 0), (7.4, 6.6), (7, 7))), SQUARE],
     UNIT, (((0, 0), ((0, -10), (10, -10), (10, 0), (0, 0))),)),
    # Two segments, the fewest a contour keeps; int64 tags (any tag but CORNER is a curve, as in the reference).
    ([curve((7, (1, 1), (2, 2), (3, 0)), (CORNER, (0, 0), (0, 0), (0, 0)), tags_dtype=np.int64)],
     UNIT, (((0, 0), ((3, 0), (2, -2, 1, -1, 0, 0))),)),
]


@pytest.mark.parametrize("curves, frame, expected", SYNTHETIC)
def test_synthetic_curves_map_like_the_reference(curves, frame, expected, monkeypatch):
    native, want = from_curves(monkeypatch, curves, frame)
    assert native == want == Outline(expected)
    assert _encode.contours(curves, frame.scale, frame.x0, frame.y0) == expected


def test_random_curves_map_like_the_reference(monkeypatch):
    """Points on a quarter-pixel grid: repeated corner points, curves that stay put, ties, short contours."""
    rng = np.random.default_rng(11)
    frames = [*FRAMES, UNIT, vectorize.PixelFrame(0.5, -0.5, 0.5), vectorize.PixelFrame(1.25, -7.0, 3.0)]
    ties = kept = dropped = 0
    for _ in range(800):
        curves = []
        for _ in range(rng.integers(0, 4)):
            n = int(rng.integers(1, 6))
            tags = rng.choice([CORNER, CURVE], n).astype(np.int32)
            points = rng.integers(0, 3, (n, 3, 2)) / 4
            points[rng.random(n) < 0.3] = points[-1, 2]  # curves that stay on the start, corners at it
            curves.append((tags, points))
        frame = frames[rng.integers(len(frames))]
        native, want = from_curves(monkeypatch, curves, frame)
        assert native == want
        kept += len(native.contours)
        dropped += len(curves) - len(native.contours)
        for _, points in curves:
            mapped = points * (frame.scale, -frame.scale) + (frame.x0, frame.y0)
            ties += int(np.count_nonzero(mapped % 1 == 0.5))
    assert ties > 1000 and kept > 300 and dropped > 300


def test_frames_on_real_curves_and_array_layouts(cjk_inks, monkeypatch):
    """Frames beyond FRAMES on a glyph's own curves; read-only, unaligned and int64 arrays read alike."""
    mask, k = vectorize.binarize(cjk_inks[0])
    curves = potrace_lib.trace_mask(mask, turdsize=2, alphamax=1.0, opttolerance=0.5)
    want = _encode.contours(curves, 2.0, -100.0, 50.0)
    for frame in (vectorize.PixelFrame(2.0, -100.0, 50.0), vectorize.PixelFrame(0.1, -3.5, -2.5),
                  vectorize.PixelFrame(123.456, -98765.4321, 2.0 ** 40)):
        native, reference = from_curves(monkeypatch, curves, frame)
        assert native == reference
    assert Outline(want) == from_curves(monkeypatch, curves, vectorize.PixelFrame(2.0, -100.0, 50.0))[0]

    def unaligned(array):
        raw = np.frombuffer(b"\0" + array.tobytes(), np.uint8)[1:]
        out = raw.view(array.dtype).reshape(array.shape)
        assert not out.flags.aligned and not out.flags.writeable
        return out

    moved = [(unaligned(tags.astype(np.int64)), unaligned(points)) for tags, points in curves]
    assert _encode.contours(moved, 2.0, -100.0, 50.0) == want


def test_a_corners_unused_control_point_is_not_read():
    """potrace leaves a corner's c1 unset; the reference computes and drops it, so garbage must not raise."""
    tags, points = SQUARE
    points = points.copy()
    points[:, 0] = np.nan
    assert _encode.contours([(tags, points)], 1.0, 0.0, 0.0) == _encode.contours([SQUARE], 1.0, 0.0, 0.0)


def test_coordinates_beyond_64_bits_raise(monkeypatch):
    edge = 2.0 ** 63
    ok = [curve((CORNER, (0, 0), (edge - 1024, 0), (0, 0)), (CORNER, (0, 0), (0, edge), (0, 0)))]
    native, want = from_curves(monkeypatch, ok, UNIT)  # the last doubles that fit
    assert native == want
    assert native.contours == (((0, 0), ((0, -2 ** 63), (0, 0), (2 ** 63 - 1024, 0), (0, 0))),)
    for bad in (edge, -edge - 2048, np.inf, np.nan):
        with pytest.raises(OverflowError):
            _encode.contours([curve((CORNER, (0, 0), (bad, 0), (0, 0)), (CORNER, (0, 0), (1, 1), (0, 0)))],
                             1.0, 0.0, 0.0)
    with pytest.raises(OverflowError):
        _encode.contours([SQUARE], 1e300, 0.0, 0.0)
    with pytest.raises(OverflowError):
        _encode.contours([SQUARE], 1.0, 0.0, 2 ** 64)


TAGS, POINTS = SQUARE


@pytest.mark.parametrize("curves, error", [
    (None, TypeError),
    (5, TypeError),
    ([None], TypeError),
    ([(TAGS,)], ValueError),                                          # not a (tags, points) pair
    ([(TAGS, POINTS, TAGS)], ValueError),
    ([(TAGS.tolist(), POINTS)], TypeError),                           # not a buffer
    ([(TAGS, POINTS.tolist())], TypeError),
    ([(TAGS.astype(np.float64), POINTS)], TypeError),
    ([(TAGS.astype(np.uint8), POINTS)], TypeError),
    ([(TAGS[None], POINTS)], TypeError),                              # not one-dimensional
    ([(np.repeat(TAGS, 2)[::2], POINTS)], TypeError),                 # not contiguous
    ([(TAGS, POINTS.astype(np.float32))], TypeError),
    ([(TAGS, POINTS.astype(">f8"))], TypeError),                      # not native byte order
    ([(TAGS, POINTS.reshape(3, 6))], TypeError),                      # not [n, 3, 2]
    ([(TAGS, POINTS[:, :, :1].copy())], TypeError),
    ([(TAGS, np.repeat(POINTS, 2, axis=0)[::2])], TypeError),         # not contiguous
    ([(TAGS[:2], POINTS)], ValueError),                               # not a tag a segment
    ([(TAGS[:0], POINTS[:0])], ValueError),                           # no segment
    ([SQUARE, (TAGS, POINTS[:2])], ValueError),                       # a bad curve after a good one
])
def test_bad_curves_raise(curves, error):
    with pytest.raises(error):
        _encode.contours(curves, 1.0, 0.0, 0.0)


def test_bad_frames_raise():
    with pytest.raises(TypeError):
        _encode.contours([SQUARE], "1", 0.0, 0.0)
    with pytest.raises(TypeError):
        _encode.contours([SQUARE], 1.0, 0.0)
