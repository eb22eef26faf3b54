"""Validation catches broken fonts: unreadable data, OTS rejections, missing characters, wrong glyphs."""

import io
from functools import partial

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from fontgen import templates
from fontgen.font import build, validate, vectorize

CHARS = list("永和我你的是国爱")


@pytest.fixture(scope="module")
def built():
    tpl = templates.render(CHARS, size=64)
    glyphs = dict(zip(tpl.chars, tpl.ink))
    frames = {c: vectorize.PixelFrame.content(64, tpl.placement[c]) for c in tpl.chars}
    traced = vectorize.trace_many(glyphs, frames, workers=1, progress=False,
                                  finish=partial(build.prepare_glyphs, flavours=("otf",)))
    return glyphs, frames, traced, build.compile_otf(traced)


def test_good_font_passes_with_high_iou(built):
    glyphs, frames, _, otf = built
    report = validate.check_font(otf, glyphs, frames, workers=1, progress=False)
    assert set(report.iou) == set(glyphs)
    assert report.iou_min >= 0.9 and report.failures == []
    assert report.glyphs == len(glyphs) + 6  # .notdef, three spaces, caron, macron


def test_swapped_glyphs_are_caught(built):
    glyphs, frames, traced, _ = built
    swapped = dict(traced)
    swapped["永"], swapped["和"] = traced["和"], traced["永"]
    with pytest.raises(validate.FontCheckError) as err:
        validate.check_font(build.compile_otf(swapped), glyphs, frames, workers=1, progress=False)
    assert set(err.value.chars) == {"永", "和"}


def test_misplaced_glyph_is_caught(built):
    glyphs, frames, _, otf = built
    moved = dict(frames)
    f = frames["我"]
    moved["我"] = vectorize.PixelFrame(f.scale, f.x0 + 150, f.y0)
    scores = {ch: m.iou for ch, m in validate.match_glyphs(otf, glyphs, moved, workers=1, progress=False).items()}
    assert scores["我"] < 0.6 and scores["你"] >= 0.9


def test_missing_character_is_caught(built):
    glyphs, frames, _, otf = built
    with pytest.raises(validate.FontCheckError, match="does not map 1 characters: 龙"):
        validate.check_font(otf, {**glyphs, "龙": glyphs["永"]}, {**frames, "龙": frames["永"]}, progress=False)


def test_ots_rejects_a_bad_units_per_em(built):
    *_, otf = built
    font = TTFont(io.BytesIO(otf))
    font["head"].unitsPerEm = 10
    buf = io.BytesIO()
    font.save(buf)
    with pytest.raises(validate.FontCheckError, match="OTS rejects"):
        validate.sanitize(buf.getvalue())


def test_garbage_is_not_a_font():
    with pytest.raises(validate.FontCheckError, match="cannot read"):
        validate.reload(b"OTTO" + bytes(100), "a")


def test_iou():
    a = np.zeros((10, 10), np.uint8)
    b = a.copy()
    a[0:4] = 255
    b[2:6] = 255
    assert validate.iou(a, b) == pytest.approx(2 / 6)
    assert validate.iou(a, a) == 1.0


def test_cropped_rendering_has_the_canvas_pixels(built):
    """`render` gives FreeType's pixels of the 2-em canvas, cropped, with the origin moved to match."""
    from PIL import ImageFont

    _, _, _, otf = built
    font = ImageFont.truetype(io.BytesIO(otf), 242)
    for ch in CHARS + ["A", "g"]:
        canvas, (cx, cy) = templates.render_ink(font, ch)
        crop, (ox, oy) = validate.render(font, ch)
        y0, x0 = cy - oy, cx - ox
        assert canvas[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]].tolist() == crop.tolist()
        assert canvas.sum() == crop.astype(np.int64).sum()  # nothing outside the crop
