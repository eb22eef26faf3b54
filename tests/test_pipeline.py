"""End to end: ≥ 300 glyphs rendered from an installed font at 64 and 128 px → OTF + TTF that reload,
cover every character, pass OTS, and render back to IoU ≥ 0.90 with each source bitmap.

The IoU here is computed by the test itself, independently of `validate`: each glyph is rendered by
FreeType (Pillow) so that its source canvas (the content square plus the normalization margin,
from the glyph's placement) covers 1024 px, area-averaged to 256 px and compared with the source
upsampled to 256 px.
"""

import io

import cv2
import numpy as np
import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from fontgen import charsets, raster, templates
from fontgen.errors import InputError
from fontgen.font import factory, validate

CHARS = list(charsets.gb2312_level1()[::12][:300]) + list("，。、")
COMPARE_PX = 256


def rendered_canvas(font_bytes: bytes, ch: str, size: int, place: raster.Placement) -> np.ndarray:
    """The glyph as FreeType draws it, over the area its size×size source canvas stands for.

    Pillow puts text at whole pixels, so it is drawn 4× larger and area-averaged down: the
    placement error stays under 1/8 px.
    """
    m = raster.default_margin(size)
    side = place.side * size / (size - 2 * m)  # the whole canvas, in font units
    hi = 4 * COMPARE_PX
    em_px = 1000 * hi / side
    font = ImageFont.truetype(io.BytesIO(font_bytes), em_px)
    scale = em_px / 1000
    left, top = place.cx - side / 2, place.cy + side / 2
    img = Image.new("L", (hi, hi), 0)
    ImageDraw.Draw(img).text((round(-left * scale), round(top * scale)), ch, fill=255, font=font, anchor="ls")
    return cv2.resize(np.asarray(img), (COMPARE_PX, COMPARE_PX), interpolation=cv2.INTER_AREA)


def own_iou(font_bytes: bytes, ch: str, src: np.ndarray, place: raster.Placement) -> float:
    got = rendered_canvas(font_bytes, ch, src.shape[0], place) >= 128
    want = cv2.resize(src, (COMPARE_PX, COMPARE_PX), interpolation=cv2.INTER_CUBIC) >= 128
    return float((got & want).sum() / (got | want).sum())


@pytest.mark.parametrize("size", [64, 128])
def test_300_glyphs_round_trip(tmp_path, size):
    tpl = templates.render(CHARS, size=size)
    assert len(tpl.chars) >= 300
    glyphs = dict(zip(tpl.chars, tpl.ink))
    out, ttf = tmp_path / "Hand.otf", tmp_path / "Hand.ttf"
    report = factory.build_font(glyphs, out, ttf=ttf, name="Test Hand", placements=tpl.placement,
                                workers=2, progress=False)
    assert report.glyphs == len(glyphs) and set(report.files) == {out, ttf}
    assert set(report.seconds) == {"trace", "otf", "ttf", "check", "write"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Hand.otf", "Hand.ttf"]  # no temp files left
    for path in (out, ttf):
        data = path.read_bytes()
        font = TTFont(path)
        cmap = font.getBestCmap()
        assert all(ord(ch) in cmap for ch in glyphs)
        validate.sanitize(data)
        scores = {ch: own_iou(data, ch, ink, tpl.placement[ch]) for ch, ink in glyphs.items()}
        worst = min(scores, key=scores.get)
        assert scores[worst] >= 0.90, (path.suffix, worst, scores[worst])
        # The pipeline's own check agrees with the test's measurement.
        flavour = path.suffix[1:]
        assert report.checks[flavour].iou_min == pytest.approx(min(scores.values()), abs=0.03)


def test_ttf_only_and_blank_glyph(tmp_path):
    tpl = templates.render(list("永和"), size=64)
    glyphs = dict(zip(tpl.chars, tpl.ink))
    report = factory.build_font(glyphs, tmp_path / "a.ttf", workers=1, progress=False)
    assert "glyf" in TTFont(tmp_path / "a.ttf")
    assert set(report.checks) == {"ttf"}
    glyphs["空"] = np.zeros((64, 64), np.uint8)
    with pytest.raises(InputError, match="has no ink"):
        factory.build_font(glyphs, tmp_path / "b.otf", workers=1, progress=False)
    assert not (tmp_path / "b.otf").exists()


def test_square_canvas_keeps_layout_and_limits_size():
    ink = np.zeros((300, 600), np.float32)
    ink[0:50, 0:50] = 1.0  # top-left corner of a wide image
    canvas = factory.square_canvas(ink)
    assert canvas.shape == (256, 256) and canvas.dtype == np.uint8
    x0, y0, x1, y1 = raster.ink_bbox(canvas)
    assert x0 == 0 and 60 <= y0 <= 66  # padded above by (600 - 300) / 2, scaled by 256 / 600


def test_margins_override_the_default(tmp_path):
    """A glyph normalized with a wider margin lands where the default-margin one does."""
    from fontTools.pens.boundsPen import BoundsPen

    wide = templates.render(["永"], size=64, margin=8)
    plain = templates.render(["永"], size=64)
    bounds = []
    for tpl, margins, name in ((plain, None, "a.otf"), (wide, {"永": 8}, "b.otf")):
        factory.build_font({"永": tpl.ink[0]}, tmp_path / name, placements=tpl.placement, margins=margins,
                           workers=1, progress=False)
        font = TTFont(tmp_path / name)
        pen = BoundsPen(font.getGlyphSet())
        font.getGlyphSet()["uni6C38"].draw(pen)
        bounds.append(np.array(pen.bounds))
    assert np.abs(bounds[0] - bounds[1]).max() <= 15
