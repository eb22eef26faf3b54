"""`fontgen build-font`: a font from a folder of images, and every bad input of issue 2."""

import numpy as np
import pytest
from click.testing import CliRunner
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from fontgen import templates
from clicheck import assert_one_line_error
from fontgen.cli import cli

CHARS = "永和我你的是"
PX = 96


def draw(ch: str, ink=(0, 0, 0, 255), paper=(255, 255, 255, 255), size: int = PX) -> Image.Image:
    """The character's em square, as build-font reads it: baseline at 88 % of the height."""
    face = templates.find_face()
    font = ImageFont.truetype(str(face.path), size, index=face.index)
    img = Image.new("RGBA", (size, size), paper)
    ImageDraw.Draw(img).text((0, round(size * 0.88)), ch, fill=ink, font=font, anchor="ls")
    return img


@pytest.fixture
def glyph_dir(tmp_path):
    folder = tmp_path / "glyphs"
    folder.mkdir()
    for ch in CHARS:
        draw(ch).convert("L").save(folder / f"{ch}.png")
    return folder


def run(*args):
    return CliRunner().invoke(cli, ["build-font", *map(str, args)])


def test_help_has_an_example():
    result = CliRunner().invoke(cli, ["build-font", "--help"])
    assert result.exit_code == 0 and "fontgen build-font --glyphs" in result.output


def test_builds_otf_and_ttf(glyph_dir, tmp_path):
    out, ttf = tmp_path / "Hand.otf", tmp_path / "Hand.ttf"
    result = run("--glyphs", glyph_dir, "--out", out, "--ttf", ttf, "--name", "Test Hand", "--workers", "1")
    assert result.exit_code == 0, result.output
    summary = result.output.strip().splitlines()[-1]
    assert summary.startswith(f"{len(CHARS)} glyphs") and "KB" in summary and "trace" in summary
    for path in (out, ttf):
        font = TTFont(path)
        assert {ord(c) for c in CHARS} <= set(font.getBestCmap())
        assert font["name"].getDebugName(1) == "Test Hand"


def test_chinese_name(glyph_dir, tmp_path):
    """The family keeps its Chinese name (English and zh-CN records); the PostScript name is ASCII and
    differs between two Chinese names."""
    ps_names = set()
    for name in ("小明手写", "小红手写"):
        out, ttf = tmp_path / f"{name}.otf", tmp_path / f"{name}.ttf"
        result = run("--glyphs", glyph_dir, "--out", out, "--ttf", ttf, "--name", name, "--workers", "1")
        assert result.exit_code == 0, result.output
        for path in (out, ttf):
            table = TTFont(path)["name"]
            assert table.getName(1, 3, 1, 0x409).toUnicode() == table.getName(1, 3, 1, 0x804).toUnicode() == name
            ps = table.getName(6, 3, 1, 0x409).toUnicode()
            assert ps.isascii() and " " not in ps
            ps_names.add(ps)
    assert len(ps_names) == 2


def test_glyphs_keep_their_layout(tmp_path):
    """A character drawn small in the corner of its image stays small and in that corner."""
    folder = tmp_path / "g"
    folder.mkdir()
    img = Image.new("L", (200, 200), 255)
    img.paste(draw("永", size=50).convert("L"), (0, 0))
    img.save(folder / "永.png")
    out = tmp_path / "a.otf"
    assert run("--glyphs", folder, "--out", out, "--workers", "1").exit_code == 0
    font = TTFont(out)
    pen = BoundsPen(font.getGlyphSet())
    font.getGlyphSet()["uni6C38"].draw(pen)
    x0, y0, x1, y1 = pen.bounds
    assert x1 < 300 and y0 > 880 - 300  # top-left quarter of the em box (0..1000 × -120..880)


def test_transparent_colour_and_inverted_images_are_handled(glyph_dir, tmp_path):
    reference = tmp_path / "ref.otf"
    assert run("--glyphs", glyph_dir, "--out", reference, "--workers", "1").exit_code == 0
    variants = tmp_path / "variants"
    variants.mkdir()
    draw("永", ink=(0, 0, 0, 255), paper=(0, 0, 0, 0)).save(variants / "永.png")            # transparent
    draw("和", ink=(200, 20, 20, 255), paper=(250, 240, 180, 255)).save(variants / "和.png")  # colour
    draw("我", ink=(255, 255, 255, 255), paper=(0, 0, 0, 255)).convert("RGB").save(variants / "我.jpg")  # inverted
    out = tmp_path / "var.otf"
    result = run("--glyphs", variants, "--out", out, "--workers", "1")
    assert result.exit_code == 0, result.output
    ref, var = TTFont(reference), TTFont(out)
    for ch in "永和我":
        boxes = []
        for font in (ref, var):
            pen = BoundsPen(font.getGlyphSet())
            font.getGlyphSet()[f"uni{ord(ch):04X}"].draw(pen)
            boxes.append(np.array(pen.bounds))
        assert np.abs(boxes[0] - boxes[1]).max() <= 25, (ch, boxes)


def test_empty_folder(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("--glyphs", empty, "--out", tmp_path / "a.otf")
    assert_one_line_error(result, "empty", str(empty))
    assert not (tmp_path / "a.otf").exists()


def test_missing_folder(tmp_path):
    assert_one_line_error(run("--glyphs", tmp_path / "nope", "--out", tmp_path / "a.otf"), "not a folder")


def test_not_an_image(glyph_dir, tmp_path):
    (glyph_dir / "notes.txt").write_text("hello")
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", tmp_path / "a.otf"), "notes.txt", "not an image")
    (glyph_dir / "notes.txt").unlink()
    (glyph_dir / "龙.png").write_bytes(b"not really a png")
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", tmp_path / "a.otf"), "龙.png", "not a readable image")
    assert not (tmp_path / "a.otf").exists()


def test_name_that_is_not_one_character(glyph_dir, tmp_path):
    draw("龙").save(glyph_dir / "dragon.png")
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", tmp_path / "a.otf"), "dragon.png", "one character")


def test_two_files_for_one_character(glyph_dir, tmp_path):
    draw("永").save(glyph_dir / "U+6C38.png")
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", tmp_path / "a.otf"), "U+6C38.png", "two files")


def test_huge_image(glyph_dir, tmp_path):
    Image.new("L", (5000, 5000), 255).save(glyph_dir / "龙.png")
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", tmp_path / "a.otf"), "龙.png", "too large")
    assert not (tmp_path / "a.otf").exists()


def test_blank_image(glyph_dir, tmp_path):
    Image.new("L", (PX, PX), 255).save(glyph_dir / "龙.png")
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", tmp_path / "a.otf", "--workers", "1"),
                          "龙.png", "no ink")
    assert not (tmp_path / "a.otf").exists()


def test_output_in_missing_folder(glyph_dir, tmp_path):
    out = tmp_path / "missing" / "a.otf"
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", out), "does not exist", str(out))
    assert not out.parent.exists()


def test_existing_output_needs_force(glyph_dir, tmp_path):
    out, ttf = tmp_path / "a.otf", tmp_path / "a.ttf"
    out.write_bytes(b"keep me")
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", out), "exists", "--force")
    assert out.read_bytes() == b"keep me"
    ttf.write_bytes(b"keep me too")
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", tmp_path / "b.otf", "--ttf", ttf), "a.ttf", "--force")
    assert not (tmp_path / "b.otf").exists()
    result = run("--glyphs", glyph_dir, "--out", out, "--ttf", ttf, "--force", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] == b"OTTO" and ttf.read_bytes()[:4] == b"\x00\x01\x00\x00"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.otf", "a.ttf", "glyphs"]  # no temp files


def test_extensions_are_checked(glyph_dir, tmp_path):
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", tmp_path / "a.svg"), "a.svg", ".otf or .ttf or .woff2")
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", tmp_path / "a.otf", "--ttf", tmp_path / "b.otf"),
                          "b.otf", ".ttf")
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", tmp_path / "a.otf", "--out", tmp_path / "a.otf"),
                          "the same file is given for two outputs")
    assert_one_line_error(run("--glyphs", glyph_dir), "no output given", "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["glyphs"]
