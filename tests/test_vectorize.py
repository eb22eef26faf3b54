"""Tracing: winding, mapping into font units, despeckling, parallel runs, the libpotrace binding."""

import cv2
import numpy as np
import pytest

from fontgen import raster, templates
from fontgen.font import build, glyphdata, potrace_lib, quadratic, vectorize


def ring(size=64, outer=(8, 8, 56, 56), inner=(24, 24, 40, 40)) -> np.ndarray:
    """A square ring: ink between the outer and the inner box (x0, y0, x1, y1)."""
    ink = np.zeros((size, size), np.uint8)
    x0, y0, x1, y1 = outer
    ink[y0:y1, x0:x1] = 255
    x0, y0, x1, y1 = inner
    ink[y0:y1, x0:x1] = 0
    return ink


def test_trace_mask_returns_pixel_corners():
    mask = np.zeros((40, 70), bool)
    mask[10:20, 5:65] = True  # wider than one 64-bit word, to exercise the packing
    curves = potrace_lib.trace_mask(mask, turdsize=0, alphamax=0.0)
    assert len(curves) == 1
    tags, points = curves[0]
    assert set(tags.tolist()) == {potrace_lib.CORNER}
    corners = {tuple(p) for p in points[:, 1].tolist()}  # a corner segment's vertex
    assert corners == {(5.0, 10.0), (65.0, 10.0), (65.0, 20.0), (5.0, 20.0)}


def test_outer_contour_is_counter_clockwise_and_hole_clockwise():
    frame = vectorize.PixelFrame.canvas(64)
    outline = vectorize.trace(ring(), frame)
    assert len(outline.contours) == 2
    areas = sorted(outline.signed_areas(), key=abs, reverse=True)
    assert areas[0] > 0 > areas[1]  # after the y flip: outer CCW (CFF), hole CW


def test_canvas_frame_maps_the_canvas_onto_the_em_box():
    frame = vectorize.PixelFrame.canvas(64)
    assert frame(0, 0) == (0, 880)
    assert frame(64, 64) == (1000, -120)
    outline = vectorize.trace(ring(), frame, vectorize.TraceOptions(blur=0, alphamax=0))
    xs = [p[0] for start, segs in outline.contours for p in [start, *[s[-2:] for s in segs]]]
    ys = [p[1] for start, segs in outline.contours for p in [start, *[s[-2:] for s in segs]]]
    # ink box 8..56 px → 125..875 units across, 880 - 125 .. 880 - 875 down
    assert min(xs) == pytest.approx(125, abs=2) and max(xs) == pytest.approx(875, abs=2)
    assert max(ys) == pytest.approx(755, abs=2) and min(ys) == pytest.approx(5, abs=2)


def test_content_frame_maps_the_content_square_onto_the_placement():
    size = 64
    m = raster.default_margin(size)
    place = raster.Placement(cx=400, cy=300, side=800)
    frame = vectorize.PixelFrame.content(size, place)
    assert frame(m, m) == (0, 700)
    assert frame(size - m, size - m) == (800, -100)


def test_blank_bitmap_traces_to_an_empty_outline():
    outline = vectorize.trace(np.zeros((64, 64), np.uint8), vectorize.PixelFrame.canvas(64))
    assert not outline and outline.contours == ()


def test_specks_are_dropped_but_strokes_kept():
    ink = ring()
    ink[2, 2] = 255  # a one-pixel speck far from the ring
    outline = vectorize.trace(ink, vectorize.PixelFrame.canvas(64))
    assert len(outline.contours) == 2


def test_grey_pockets_do_not_become_holes_but_real_counters_stay():
    ink = np.zeros((64, 64), np.uint8)
    ink[8:56, 8:56] = 255
    ink[14:22, 14:22] = 0                       # a counter: paper in the source
    ink[40:46, 40:46] = 110                     # a grey pocket of a smudge: under 128, never paper
    holes = lambda m: cv2.connectedComponents((~m).view(np.uint8), connectivity=4)[0] - 2
    smudged, _ = vectorize.binarize(ink, vectorize.TraceOptions(paper=0))
    cleaned, k = vectorize.binarize(ink)
    assert holes(smudged) == 2 and holes(cleaned) == 1
    assert not cleaned[18 * k, 18 * k] and cleaned[43 * k, 43 * k]


def test_upsampling_factor_reaches_min_px():
    opts = vectorize.TraceOptions()
    assert opts.factor(64) == 4 and opts.factor(128) == 2 and opts.factor(300) == 1
    mask, k = vectorize.binarize(ring(), opts)
    assert mask.shape == (256, 256) and k == 4


def test_binarize_rejects_non_square_or_float_input():
    with pytest.raises(ValueError):
        vectorize.binarize(np.zeros((64, 32), np.uint8))
    with pytest.raises(ValueError):
        vectorize.binarize(np.zeros((64, 64), np.float32))


def _count_contours(keys, outlines):
    return [(key, len(outline.contours)) for key, outline in zip(keys, outlines)]


def test_trace_many_in_workers_matches_in_process_and_keeps_order():
    tpl = templates.render(list("永和我你的是国爱"), size=64)
    glyphs = dict(zip(reversed(tpl.chars), tpl.ink[::-1]))
    frames = {c: vectorize.PixelFrame.content(64, tpl.placement[c]) for c in glyphs}
    one = vectorize.trace_many(glyphs, frames, workers=1, progress=False)
    two = vectorize.trace_many(glyphs, frames, workers=2, progress=False)
    assert list(two) == list(glyphs)
    assert one == two
    assert all(outline for outline in one.values())
    counted = vectorize.trace_many(glyphs, frames, finish=_count_contours, workers=2, progress=False)
    assert counted == {c: (c, len(one[c].contours)) for c in glyphs}


def test_translated_moves_every_point():
    outline = vectorize.trace(ring(), vectorize.PixelFrame.canvas(64))
    moved = outline.translated(10, -5)
    (s0, segs0), (s1, segs1) = outline.contours[0], moved.contours[0]
    assert (s1[0] - s0[0], s1[1] - s0[1]) == (10, -5)
    assert segs1[0][-2] - segs0[0][-2] == 10 and segs1[0][-1] - segs0[0][-1] == -5


def fill_curves(curves, shape, scale=4) -> np.ndarray:
    """Flatten potrace curves (Béziers and corners) and fill them even-odd, at `scale` x the mask."""
    polygons = []
    for tags, points in curves:
        pts, start = [], points[-1, 2]
        for tag, (c1, c2, end) in zip(tags, points):
            if tag == potrace_lib.CURVETO:
                t = np.linspace(0, 1, 12)[1:, None]
                pts.extend((1 - t) ** 3 * start + 3 * (1 - t) ** 2 * t * c1 + 3 * (1 - t) * t ** 2 * c2 + t ** 3 * end)
            else:
                pts.extend([c2, end])
            start = end
        polygons.append(np.round(np.array(pts) * scale).astype(np.int32))
    filled = np.zeros((shape[0] * scale, shape[1] * scale), np.uint8)
    cv2.fillPoly(filled, polygons, 1)
    return cv2.resize(filled.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_AREA) > 0.5


def test_ctypes_tracer_outlines_fill_back_to_the_mask():
    """The binding reads potrace's curves right: filled back, they cover the traced mask."""
    tpl = templates.render(["永", "國", "蠢"], 64, cache=False)
    for ink in tpl.ink:
        mask = cv2.resize(ink, (256, 256), interpolation=cv2.INTER_CUBIC) > 127
        curves = potrace_lib.trace_mask(mask, turdsize=8, alphamax=1.0, opttolerance=1.0)
        back = fill_curves(curves, mask.shape)
        iou = (back & mask).sum() / (back | mask).sum()
        assert iou > 0.95, iou  # 0.976-0.977; x and y swapped gives 0.25-0.43


def fonttools_glyf(outline: vectorize.Outline) -> tuple:
    """The pen route `ttglyph.encode` replaces: Cu2QuPen → ReverseContourPen → TTGlyphPen → compile."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    outline.draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
    glyph = pen.glyph(dropImpliedOnCurves=True)
    if glyph.numberOfContours == 0:
        return b"", None, 0, 0
    glyph.recalcBounds(None)
    bounds = (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)
    return glyph.compile(None, recalcBBoxes=False), bounds, len(glyph.coordinates), glyph.numberOfContours


def test_glyf_records_are_byte_identical_to_fonttools():
    """Traced glyphs and edge cases: a control point on the start, an open end, long deltas, 300 equal flags."""
    from fontgen.font import ttglyph

    tpl = templates.render(list("永國蠢口日鬱"), 64)
    outlines = [vectorize.trace(ink, vectorize.PixelFrame.content(64, tpl.placement[ch]))
                for ink, ch in zip(tpl.ink, tpl.chars)]
    ramp = tuple((10 * i, 5 * i) for i in range(1, 300))  # 299 equal flags in a row
    outlines += [
        vectorize.Outline((((34, -87), ((34, -87, 105, -88, 191, -87), (348, -87), (348, 232), (34, -87))),)),
        vectorize.Outline((((0, 0), ((500, 0), (500, 900, 200, 950, -300, 700))),)),  # ends off the start
        vectorize.Outline((((0, 0), ((0, 0), (900, 0), (900, 900))),)),                # a zero-length line
        vectorize.Outline((((0, 0), (*ramp, (0, 1500))),)),
        vectorize.Outline(()),
    ]
    for outline in outlines:
        assert ttglyph.encode(outline) == fonttools_glyf(outline)
    # The same glyphs as a worker chunk, their cubics converted in one batch (`quadratic.BATCH` or more).
    assert sum(len(glyphdata.cubics(outline)) for outline in outlines) >= quadratic.BATCH
    batched = build.prepare_glyphs([str(i) for i in range(len(outlines))], outlines, ("otf", "ttf"))
    for outline, data in zip(outlines, batched):
        record = data.glyf
        assert (record.data, record.bounds, record.points, record.contours) == fonttools_glyf(outline)
