"""`fontgen scan`: synthetic photos of a filled-in sheet must give back what was written.

A sheet is rendered, glyphs from Noto Sans CJK SC Bold (monoline, like a felt pen) are "written"
into its boxes, and the page is photographed synthetically (perspective, rotation incl. 180°, blur,
noise, uneven light, JPEG).
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageFont

from fontgen import raster
from fontgen.cli import cli
from fontgen.errors import InputError
from fontgen.samples import glyphfiles, scan, sheet
from fontgen.templates import find_face

DPI = 200
CHARS = "永和我你的是国爱"
WRITTEN = "永和我你的国爱"  # 是 is left empty on purpose
NORM = 64


def write_glyphs(page_img: Image.Image, page: sheet.Page, chars: str) -> dict[str, np.ndarray]:
    """Draw `chars` into their boxes like a writer would; returns what was written (ink maps)."""
    face = find_face("Noto Sans CJK SC", "Bold")
    dpmm = DPI / 25.4
    em = round(sheet.BOX_MM * 0.62 * dpmm)
    font = ImageFont.truetype(str(face.path), em, index=face.index)
    written = {}
    for i, ch in enumerate(page.chars):
        if ch not in chars:
            continue
        x, y, w, h = (round(v * dpmm) for v in page.layout.box(i))
        glyph = Image.new("L", (w, h), 0)
        ImageDraw.Draw(glyph).text((w * 0.56, h * 0.56), ch, fill=255, font=font, anchor="mm")
        page_img.paste((20, 20, 60), (x, y), glyph)
        written[ch] = np.asarray(glyph)
    return written


def photograph(img: Image.Image, *, angle=0.0, tilt=0.0, blur=0.0, noise=0.0, light=0.0, jpeg=95,
               scale=0.8, seed=0) -> bytes:
    """A synthetic phone photo of a page: placed on a dark table, warped, blurred, lit, noised, JPEG'd."""
    rng = np.random.default_rng(seed)
    src = np.asarray(img.convert("RGB")).astype(np.float32)
    h, w = src.shape[:2]
    quad = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    a = np.deg2rad(angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    dst = (quad - [w / 2, h / 2]) * scale
    dst[:2, 0] *= 1 - tilt  # top edge shorter: the camera leans toward the bottom
    dst += rng.normal(0, 0.01 * w * scale, dst.shape)
    dst = dst @ rot.T
    border = 0.12 * w * scale  # some table around the page
    dst -= dst.min(axis=0) - border
    out_w, out_h = (np.ceil(dst.max(axis=0) + border)).astype(int)
    m = cv2.getPerspectiveTransform(quad, dst.astype(np.float32))
    table = np.full((out_h, out_w, 3), (70, 60, 50), np.float32)
    photo = cv2.warpPerspective(src, m, (out_w, out_h), dst=table, borderMode=cv2.BORDER_TRANSPARENT)
    if light:
        yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
        gain = 1.0 - light * (0.6 * xx / out_w + 0.4 * yy / out_h)
        photo *= gain[..., None]
    if blur:
        photo = cv2.GaussianBlur(photo, (0, 0), blur)
    if noise:
        photo += rng.normal(0, noise, photo.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=jpeg)
    return buf.getvalue()


def read_sample(path) -> np.ndarray:
    """A written sample PNG read the way make-font reads it (glyphfiles.load_ink), as a uint8 ink map."""
    return np.round(glyphfiles.load_ink(path) * 255).astype(np.uint8)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 127, b > 127
    return float((a & b).sum() / max(1, (a | b).sum()))


@pytest.fixture(scope="module")
def filled():
    page = sheet.paginate(CHARS, "A4")[0]
    img = sheet.render_page(page, DPI)
    written = write_glyphs(img, page, WRITTEN)
    return img, {ch: raster.normalize(ink, NORM) for ch, ink in written.items()}


VARIANTS = {
    "flat scan": dict(scale=1.0, jpeg=90),
    "tilted photo": dict(angle=4, tilt=0.15, blur=0.8, noise=4, light=0.3, jpeg=80, seed=1),
    "upside down": dict(angle=180, tilt=0.1, blur=0.6, noise=3, light=0.2, jpeg=85, seed=2),
    "quarter turn, dim corner": dict(angle=-90, tilt=0.05, blur=0.7, noise=5, light=0.5, jpeg=75, seed=3),
    "blurred, noisy, low quality": dict(angle=-8, tilt=0.2, blur=1.3, noise=8, light=0.35, jpeg=60, seed=4),
    "small and far": dict(angle=170, tilt=0.12, blur=0.5, noise=4, light=0.25, jpeg=80, scale=0.6, seed=5),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_scan_recovers_written_characters(tmp_path, filled, name):
    img, truth = filled
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(photograph(img, **VARIANTS[name]))
    out = tmp_path / "samples"
    pages = scan.scan([photo], out, debug=tmp_path / "debug.png")
    assert pages[0].empty == ["是"]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{ch}.png" for ch in WRITTEN)
    for ch, want in truth.items():
        got = raster.normalize(read_sample(out / f"{ch}.png"), NORM)
        assert iou(got, want) >= 0.80, f"{name}: {ch} IoU {iou(got, want):.3f}"
    assert (tmp_path / "debug.png").is_file()


def test_scan_several_pages_and_cli(tmp_path):
    chars = "".join(chr(0x4E00 + i) for i in range(50))  # more than one A4 page holds
    pages = sheet.paginate(chars, "A4")
    assert len(pages) == 2
    photos = []
    for k, page in enumerate(pages):
        img = sheet.render_page(page, DPI)
        write_glyphs(img, page, page.chars[:3])
        photos.append(tmp_path / f"p{k}.jpg")
        photos[-1].write_bytes(photograph(img, angle=90 * k, tilt=0.05, seed=k))
    out = tmp_path / "samples"
    res = CliRunner().invoke(cli, ["scan", *map(str, photos), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.stem for p in out.iterdir()) == sorted(pages[0].chars[:3] + pages[1].chars[:3])
    again = CliRunner().invoke(cli, ["scan", *map(str, photos), "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    assert CliRunner().invoke(cli, ["scan", *map(str, photos), "--out", str(out), "--force"]).exit_code == 0


def bad_photos(img: Image.Image) -> dict[str, bytes]:
    """Photos that must be refused, each with what the error should mention."""
    arr = np.asarray(img.convert("RGB")).copy()
    hidden = arr.copy()
    x, y, s, _ = (round(v * DPI / 25.4) for v in sheet.Layout("A4").marker(2))
    hidden[y - 10:y + s + 10, x - 10:x + s + 10] = (200, 180, 150)  # a thumb over a corner
    foreign = Image.fromarray(arr.copy())
    qx, qy, qs, _ = (round(v * DPI / 25.4) for v in sheet.Layout("A4").qr())
    foreign.paste(Image.fromarray(sheet.qr_image("HTTPS://EXAMPLE.COM/", qs)).convert("RGB"), (qx, qy))
    other_paper = Image.fromarray(arr.copy())
    other_qr = sheet.Page("Letter", 1, 1, "永").payload()
    other_paper.paste(Image.fromarray(sheet.qr_image(other_qr, qs)).convert("RGB"), (qx, qy))
    smudged = Image.fromarray(arr.copy())
    ImageDraw.Draw(smudged).rectangle([qx + qs // 4, qy + qs // 4, qx + 3 * qs // 4, qy + 3 * qs // 4], fill="black")
    rng = np.random.default_rng(0)
    no_sheet = Image.fromarray(rng.integers(0, 255, (600, 800, 3), np.uint8))
    return {
        "no sheet": (_jpeg(no_sheet), "no fontgen sheet"),
        "corner hidden": (_jpeg(Image.fromarray(hidden)), "bottom-right"),
        "heavily skewed": (photograph(img, tilt=0.75, angle=10), "angle"),
        "blurred": (photograph(img, blur=7, angle=3), ""),
        "foreign QR": (_jpeg(foreign), "not a fontgen sheet layout"),
        "QR from another paper": (_jpeg(other_paper), "Letter"),
        "QR unreadable": (_jpeg(smudged), "QR code"),
        "not an image": (b"this is not a picture", "not a readable image"),
    }


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_bad_photos_are_refused_naming_the_page(tmp_path, filled):
    img, _ = filled
    good = tmp_path / "good.jpg"
    good.write_bytes(photograph(img, angle=2))
    for name, (data, words) in bad_photos(img).items():
        bad = tmp_path / f"{name.replace(' ', '_')}.jpg"
        bad.write_bytes(data)
        out = tmp_path / "samples"
        with pytest.raises(InputError) as err:
            scan.scan([good, bad], out, debug=tmp_path / "debug.png")
        assert bad.name in err.value.message and words in err.value.message, f"{name}: {err.value.message}"
        assert not out.exists() and not (tmp_path / "debug.png").exists(), name
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_empty_sheet_and_cli_error(tmp_path):
    img = sheet.render_page(sheet.paginate("永和", "A4")[0], DPI)
    photo = tmp_path / "blank.jpg"
    photo.write_bytes(photograph(img, angle=1))
    res = CliRunner().invoke(cli, ["scan", str(photo), "--out", str(tmp_path / "s")])
    assert res.exit_code == 2 and res.output.startswith("Error:") and "every box is empty" in res.output
    assert not (tmp_path / "s").exists()


def test_sample_filenames_are_safe():
    assert scan.sample_filename("永") == "永.png"
    assert scan.sample_filename("/") == "U+002F.png"
    assert scan.sample_filename(".") == "U+002E.png"
