"""Reading character images: polarity, transparency, paper texture and thick strokes all give clean ink."""

import numpy as np
import pytest
from PIL import Image

from fontgen import templates
from fontgen.errors import InputError
from fontgen.samples import glyphfiles


def _glyph(ch="永", px=160):
    font = templates.ImageFont.truetype(str(templates.find_face().path), px, index=templates.find_face().index)
    img = Image.new("L", (px + 40, px + 40), 0)
    templates.ImageDraw.Draw(img).text((20, 20 + int(px * 0.88)), ch, fill=255, font=font, anchor="ls")
    return np.asarray(img, np.float32) / 255.0


def _iou(a, b):
    a, b = a > 0.5, b > 0.5
    return (a & b).sum() / max(1, (a | b).sum())


def _rgba(gray):
    g = (gray * 255).astype(np.uint8)
    return np.dstack([g, g, g, np.full_like(g, 255)]).astype(np.float32) / 255.0


def test_black_on_white_and_white_on_black_agree():
    ink = _glyph()
    a = glyphfiles.ink_from_rgba(_rgba(1.0 - ink))
    b = glyphfiles.ink_from_rgba(_rgba(ink))
    assert _iou(a, ink) > 0.95 and _iou(b, ink) > 0.95


def test_thick_strokes_survive_paper_levelling():
    ink = _glyph()
    import cv2
    thick = cv2.dilate((ink > 0.5).astype(np.float32), np.ones((15, 15), np.uint8))
    out = glyphfiles.ink_from_rgba(_rgba(1.0 - thick))
    assert _iou(out, thick) > 0.95


def test_textured_paper_is_removed():
    ink = _glyph()
    h, w = ink.shape
    rng = np.random.default_rng(0)
    paper = 0.93 - 0.25 * np.linspace(0, 1, w)[None, :] + rng.normal(0, 0.03, (h, w))
    gray = np.clip(paper * (1 - 0.85 * ink), 0, 1)
    out = glyphfiles.ink_from_rgba(_rgba(gray))
    assert _iou(out, ink) > 0.85
    assert (out[ink < 0.05] > 0.5).mean() < 0.01


def test_transparent_colour_image(tmp_path):
    ink = _glyph()
    rgba = np.zeros(ink.shape + (4,), np.uint8)
    rgba[..., 2] = 200  # blue pen
    rgba[..., 3] = (ink * 255).astype(np.uint8)
    path = tmp_path / "永.png"
    Image.fromarray(rgba, "RGBA").save(path)
    assert _iou(glyphfiles.load_ink(path), ink) > 0.9


@pytest.mark.parametrize("name,expected", [("永.png", "永"), ("U+6C38.png", "永"), ("uni6C38.jpg", "永")])
def test_names(tmp_path, name, expected):
    assert glyphfiles.char_from_name(tmp_path / name) == expected


def test_bad_name(tmp_path):
    with pytest.raises(InputError, match="not one character"):
        glyphfiles.char_from_name(tmp_path / "yong.png")
