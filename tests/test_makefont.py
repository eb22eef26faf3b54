"""`fontgen make-font` end to end with a tiny exported model, and every bad input of the issue."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from fontgen import charsets, raster, templates
from fontgen.cli import cli
from fontgen.samples import references
from tinymodel import CHARSET, SAMPLE_CHARS, export_tiny, write_samples

EM = 256


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("makefont")
    (root / "chars.txt").write_text(CHARSET, encoding="utf-8")
    return {"root": root, "model": export_tiny(root / "model"), "samples": write_samples(root / "samples"),
            "charset": str(root / "chars.txt")}


def run(work, *args: str):
    base = ["make-font", "--model", str(work["model"]), "--charset", work["charset"]]
    return CliRunner().invoke(cli, base + list(args))


@pytest.fixture(scope="module")
def built(work):
    out, ttf = work["root"] / "Hand.otf", work["root"] / "Hand.ttf"
    result = run(work, "--samples", str(work["samples"]), "--out", str(out), "--ttf", str(ttf), "--name", "Test Hand")
    assert result.exit_code == 0, result.output
    return out, ttf, result.output


def rendered_ink(font: ImageFont.FreeTypeFont, ch: str) -> tuple[np.ndarray, tuple[int, int]]:
    origin = (EM // 2, EM // 2 + round(EM * 0.88))
    img = Image.new("L", (2 * EM, 2 * EM), 0)
    ImageDraw.Draw(img).text(origin, ch, fill=255, font=font, anchor="ls")
    return np.asarray(img), origin


def test_font_covers_the_charset_and_the_samples(built):
    out, ttf, output = built
    expected = set(CHARSET) | set(SAMPLE_CHARS)
    for path in (out, ttf):
        font = TTFont(str(path))
        assert expected <= {chr(cp) for cp in font.getBestCmap()}
        assert font["name"].getDebugName(1) == "Test Hand"
    assert "CFF " in TTFont(str(out)) and "glyf" in TTFont(str(ttf))
    assert "8 from samples" in output and "generated" in output
    for stage in ("style", "generate", "vectorize", "build", "validate"):
        assert f"{stage} " in output


def test_samples_become_their_own_glyphs_at_the_template_position(built, work):
    out, _, _ = built
    font = ImageFont.truetype(str(out), EM)
    writer = references.load(work["samples"], 64)
    tpl = templates.render(SAMPLE_CHARS, size=64)
    for i, ch in enumerate(writer.chars):
        ink, origin = rendered_ink(font, ch)
        back = raster.normalize(ink, 128)
        source = writer.glyph(i, 128)
        inter = np.logical_and(back >= 128, source >= 128).sum()
        union = np.logical_or(back >= 128, source >= 128).sum()
        assert inter / union >= 0.85, ch
        place = templates.placement_of(ink / 255.0, origin, EM)
        want = tpl.placement[ch]
        assert abs(place.cx - want.cx) < 30 and abs(place.cy - want.cy) < 30 and abs(place.side - want.side) < 40, ch


def test_symbols_come_from_the_template_font(built):
    out, _, _ = built
    font = ImageFont.truetype(str(out), EM)
    noto = ImageFont.truetype(str(templates.find_face().path), EM, index=templates.find_face().index)
    for ch in "，A1":
        a = raster.normalize(rendered_ink(font, ch)[0], 64)
        b = raster.normalize(rendered_ink(noto, ch)[0], 64)
        assert np.logical_and(a >= 128, b >= 128).sum() / np.logical_or(a >= 128, b >= 128).sum() > 0.8, ch


def test_hairline_symbols_trace_back_above_0_9(tmp_path):
    """Symbols are traced at SYMBOL_PX: at 128 px these hairlines came back at IoU 0.88-0.89."""
    from fontgen.font import factory, makefont

    sym = templates.render("｜＿〗―│─", size=makefont.SYMBOL_PX)
    report = factory.build_font(dict(zip(sym.chars, sym.ink)), tmp_path / "s.otf", ttf=tmp_path / "s.ttf",
                                placements=sym.placement, progress=False, workers=1)
    for flavour, check in report.checks.items():
        assert check.iou_min >= 0.9, (flavour, sorted(check.iou.items(), key=lambda t: t[1])[:3])
        assert not check.outline_faults, flavour


def test_ink_level_thins_generated_glyphs_only(work, tmp_path):
    from fontgen.font import makefont

    fonts, said = {}, {}
    for level in (128, 176):
        out = tmp_path / f"w{level}.otf"
        report = makefont.make_font(work["samples"], out, charset=work["charset"], model=work["model"],
                                    weight=level, progress=False, workers=1)
        fonts[level], said[level] = ImageFont.truetype(str(out), EM), report.summary()
    assert "outlines at half ink" in said[128] and "outlines at ink level 176 (thinner" in said[176]
    generated = [c for c in CHARSET if charsets.is_hanzi(c) and c not in SAMPLE_CHARS]
    for ch in generated:
        heavy, light = ((rendered_ink(fonts[v], ch)[0] >= 128).sum() for v in (128, 176))
        assert light < heavy, ch
    for ch in SAMPLE_CHARS:  # the writer's own glyphs are never shifted
        assert np.array_equal(rendered_ink(fonts[128], ch)[0], rendered_ink(fonts[176], ch)[0]), ch


def test_closing_is_reported_and_leaves_the_samples(work, tmp_path):
    fonts = {}
    for size in (1, 3):
        out = tmp_path / f"c{size}.otf"
        result = run(work, "--samples", str(work["samples"]), "--out", str(out), "--closing", str(size))
        assert result.exit_code == 0, result.output
        assert ("joins closed by 3 px" in result.output) == (size == 3)
        fonts[size] = ImageFont.truetype(str(out), EM)
    for ch in SAMPLE_CHARS:  # the tiny model draws no joins to close (tests/test_closing.py closes real ones)
        assert np.array_equal(rendered_ink(fonts[1], ch)[0], rendered_ink(fonts[3], ch)[0]), ch
    bad = run(work, "--samples", str(work["samples"]), "--out", str(tmp_path / "b.otf"), "--closing", "9")
    assert bad.exit_code == 2 and "--closing" in bad.output and not (tmp_path / "b.otf").exists()


def test_bad_weight_is_refused(work, tmp_path):
    out = tmp_path / "W.otf"
    result = run(work, "--samples", str(work["samples"]), "--out", str(out), "--weight", "heavy")
    assert result.exit_code == 2 and "--weight" in result.output and "auto" in result.output
    assert not out.exists()


def test_force_overwrites_and_without_force_nothing_changes(work, built):
    out, _, _ = built
    before = out.read_bytes()
    result = run(work, "--samples", str(work["samples"]), "--out", str(out))
    assert result.exit_code == 2 and str(out) in result.output and "--force" in result.output
    assert out.read_bytes() == before
    result = run(work, "--samples", str(work["samples"]), "--out", str(out), "--force", "--batch", "5")
    assert result.exit_code == 0, result.output


def _bad(work, tmp_path, samples_dir, *extra, model=None):
    out = tmp_path / "Bad.otf"
    args = ["make-font", "--model", str(model or work["model"]), "--charset", work["charset"],
            "--samples", str(samples_dir), "--out", str(out), *extra]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert not out.exists() and not list(tmp_path.glob(".Bad.otf*"))
    return lines[0]


def test_samples_folder_without_usable_glyph(work, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert str(empty) in _bad(work, tmp_path, empty)
    (empty / "notes.txt").write_text("hello")
    assert "notes.txt" in _bad(work, tmp_path, empty)


def test_blank_image_is_named(work, tmp_path):
    folder = write_samples(tmp_path / "s", "永和")
    Image.new("RGB", (120, 120), "white").save(folder / "我.png")
    line = _bad(work, tmp_path, folder)
    assert "我.png" in line and "blank" in line


@pytest.mark.parametrize("graph", ["glyph.onnx", "style.onnx"])
@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_model_with_a_missing_or_corrupt_graph(work, tmp_path, graph, damage):
    model = tmp_path / "model"
    shutil.copytree(work["model"], model)
    if damage == "missing":
        (model / graph).unlink()
    else:
        data = bytearray((model / graph).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (model / graph).write_bytes(bytes(data))
    line = _bad(work, tmp_path, work["samples"], model=model)
    assert graph in line and damage in line and "fontgen export" in line


def test_device_cuda_without_a_gpu(work, tmp_path):
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("onnxruntime-gpu is installed here")
    assert "--device cuda" in _bad(work, tmp_path, work["samples"], "--device", "cuda")


@pytest.mark.parametrize("name", ["Bad.svg", "Bad.png", "Bad"])
def test_output_extension_must_be_otf_or_ttf(work, tmp_path, name):
    out = tmp_path / name
    result = run(work, "--samples", str(work["samples"]), "--out", str(out))
    assert result.exit_code == 2 and ".otf or .ttf" in result.output and str(out) in result.output
    assert not out.exists()


def test_ttf_option_must_be_ttf(work, tmp_path):
    line = _bad(work, tmp_path, work["samples"], "--ttf", str(tmp_path / "Other.otf"))
    assert "Other.otf" in line and "must end in .ttf" in line


def test_charset_split_sends_only_hanzi_to_the_model():
    from fontgen.font.makefont import split_charset

    hanzi, others = split_charset(tuple("永和，A1天"))
    assert hanzi == ["永", "和", "天"] and others == ["，", "A", "1"]
    assert all(charsets.is_hanzi(c) for c in hanzi)
