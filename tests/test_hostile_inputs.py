"""Hostile and careless input against the CLI: each is one line naming the file and the fix (exit 2),
or, where the input is usable, handled with a notice; never a traceback.

Kept fast: make-font runs with a charset file of a few characters, everything else fails before
any generation.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from clicheck import assert_one_line_error
from fontgen import charsets, templates
from fontgen.cli import cli
from fontgen.errors import InputError
from fontgen.samples import glyphfiles, references, scan
from training import config

ROOT = Path(__file__).resolve().parents[1]
WRITER = ROOT / "examples" / "writer"


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def stroke_image(size: int = 64) -> np.ndarray:
    """uint8 greyscale, white paper with a black cross (a glyph any reader finds)."""
    img = np.full((size, size), 255, np.uint8)
    img[size // 4:3 * size // 4, size // 2 - 3:size // 2 + 3] = 0
    img[size // 2 - 3:size // 2 + 3, size // 4:3 * size // 4] = 0
    return img


def glyph_folder(tmp_path: Path, name: str = "glyphs") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    Image.fromarray(stroke_image()).save(folder / "十.png")
    return folder


def build_font(folder: Path, tmp_path: Path):
    return run("build-font", "--glyphs", folder, "--out", tmp_path / "out.otf")


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height greyscale pixels, with almost no data behind it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


@pytest.fixture
def small_charset(tmp_path) -> Path:
    path = tmp_path / "chars.txt"
    path.write_text("永和九年", encoding="utf-8")
    return path


# ---- sample and glyph images ------------------------------------------------------------------


def test_16_bit_greyscale_png_is_read_at_its_depth(tmp_path):
    grey = np.where(stroke_image() > 0, 60000, 8000).astype(np.uint16)  # a scanner's paper and ink levels
    folder = tmp_path / "glyphs"
    folder.mkdir()
    Image.fromarray(grey).save(folder / "十.png")
    assert Image.open(folder / "十.png").mode.startswith("I;16")
    ink = glyphfiles.load_ink(folder / "十.png")
    assert ink[32, 32] > 0.9 and ink[2, 2] < 0.1
    result = build_font(folder, tmp_path)
    assert result.exit_code == 0, result.output


def test_16_bit_greyscale_scan_keeps_its_ink(tmp_path):
    grey = np.where(stroke_image() > 0, 60000, 8000).astype(np.uint16)
    Image.fromarray(grey).save(tmp_path / "page.png")
    bgr = scan.read_photo(tmp_path / "page.png")
    assert bgr[32, 32].max() < 60 and bgr[2, 2].min() > 200


def test_decompression_bomb_photo_is_called_one(tmp_path):
    (tmp_path / "page.png").write_bytes(png_claiming(20000, 20000))
    result = run("scan", tmp_path / "page.png", "--out", tmp_path / "samples")
    assert_one_line_error(result, "page.png", "decompression bomb")


@pytest.mark.parametrize("name, kind", [("U+0301", "combining mark"), ("U+200B", "format character"),
                                        ("U+0020", "space"), ("U+3000", "space"), ("U+0007", "control character"),
                                        ("\u0301", "combining mark")])
def test_sample_named_for_a_code_point_without_a_glyph_is_refused(tmp_path, name, kind):
    folder = glyph_folder(tmp_path)
    Image.fromarray(stroke_image()).save(folder / f"{name}.png")
    result = build_font(folder, tmp_path)
    assert_one_line_error(result, f"{name}.png", kind)


def test_make_font_refuses_a_combining_mark_sample(tmp_path, small_charset):
    folder = tmp_path / "samples"
    shutil.copytree(WRITER, folder)
    shutil.copy(WRITER / "永.png", folder / "U+0301.png")
    result = run("make-font", "--samples", folder, "--charset", small_charset, "--out", tmp_path / "a.otf")
    assert_one_line_error(result, "U+0301.png", "combining mark")
    assert not (tmp_path / "a.otf").exists()


def test_decompression_bomb_is_called_one(tmp_path):
    folder = glyph_folder(tmp_path)
    (folder / "永.png").write_bytes(png_claiming(20000, 20000))
    assert_one_line_error(build_font(folder, tmp_path), "永.png", "decompression bomb")


def test_all_black_sample_is_all_ink_not_blank(tmp_path):
    folder = glyph_folder(tmp_path)
    Image.new("L", (64, 64), 0).save(folder / "永.png")
    result = build_font(folder, tmp_path)
    assert_one_line_error(result, "永.png", "all ink")
    assert "blank" not in result.output and "no ink" not in result.output


def test_dangling_symlink_in_the_samples_is_reported(tmp_path):
    folder = glyph_folder(tmp_path)
    (folder / "永.png").symlink_to(tmp_path / "gone.png")
    assert_one_line_error(build_font(folder, tmp_path), "永.png", "broken symbolic link")


def test_fifo_in_the_samples_is_reported(tmp_path):
    folder = glyph_folder(tmp_path)
    os.mkfifo(folder / "永.png")
    assert_one_line_error(build_font(folder, tmp_path), "永.png", "FIFO")


def test_one_or_two_samples_give_a_quality_warning(tmp_path, caplog):
    folder = tmp_path / "two"
    folder.mkdir()
    for name in ("永.png", "和.png"):
        shutil.copy(WRITER / name, folder / name)
    with caplog.at_level(logging.WARNING):
        references.load(folder, 64)
    assert "only 2 samples" in caplog.text
    caplog.clear()
    for name in ("我.png", "你.png"):
        shutil.copy(WRITER / name, folder / name)
    with caplog.at_level(logging.WARNING):
        references.load(folder, 64)
    assert "sample" not in caplog.text


def test_make_font_with_one_sample_works_and_warns(tmp_path, caplog):
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(WRITER / "永.png", folder / "永.png")
    charset = tmp_path / "chars.txt"
    charset.write_text("和九\u200b年\u0301\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        result = run("make-font", "--samples", folder, "--charset", charset, "--out", tmp_path / "a.otf")
    assert result.exit_code == 0, result.output
    assert "only 1 sample" in caplog.text
    assert "U+200B" in caplog.text and "U+0301" in caplog.text
    assert "4 glyphs" in result.output  # 永 from the sample, 和九年 generated


# ---- charsets ----------------------------------------------------------------------------------


def test_charset_file_skips_characters_without_a_glyph(tmp_path, caplog):
    path = tmp_path / "chars.txt"
    path.write_text("永\u0301和\u200d\x07\u2028九", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert charsets.resolve(str(path)) == ("永", "和", "九")
    assert "U+0301" in caplog.text and "U+200D" in caplog.text and "U+0007" in caplog.text


def test_charset_file_byte_order_mark_is_ignored(tmp_path, caplog):
    path = tmp_path / "chars.txt"
    path.write_bytes("永和".encode("utf-8-sig"))
    with caplog.at_level(logging.WARNING):
        assert charsets.resolve(str(path)) == ("永", "和")
    assert caplog.text == ""


def test_charset_file_with_plus_in_its_name_is_one_file(tmp_path):
    path = tmp_path / "my+chars.txt"
    path.write_text("永和", encoding="utf-8")
    assert charsets.resolve(str(path)) == ("永", "和")
    assert charsets.resolve(f"{path}+ascii")[:3] == ("永", "和", "!")


def test_charset_that_is_a_folder_is_one_line(tmp_path):
    result = run("make-font", "--samples", WRITER, "--charset", tmp_path, "--out", tmp_path / "a.otf")
    assert_one_line_error(result, str(tmp_path), "folder")


def test_cache_that_is_a_file_is_one_line(tmp_path, small_charset):
    cache = tmp_path / "cache"
    cache.write_text("not a folder")
    result = run("make-font", "--samples", WRITER, "--charset", small_charset, "--out", tmp_path / "a.otf",
                 env={"FONTGEN_CACHE": str(cache)})
    assert_one_line_error(result, str(cache), "FONTGEN_CACHE")
    result = run("make-font", "--samples", WRITER, "--charset", small_charset, "--out", tmp_path / "a.otf",
                 env={"FONTGEN_CACHE": str(cache / "below")})
    assert_one_line_error(result, str(cache), "FONTGEN_CACHE")


# ---- preview -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["永\\n" * 201, "永" * 5001])
def test_preview_text_is_limited(tmp_path, text):
    font = templates.find_face("AR PL KaitiM GB").path
    result = run("preview", font, "--text", text, "--out", tmp_path / "p.png")
    assert_one_line_error(result, "too long", "at most")
    assert not (tmp_path / "p.png").exists()


# ---- eval manifest and training config ---------------------------------------------------------


@pytest.mark.parametrize("manifest", ['{"format": 1, "size": 64, "writers": [', '[1, 2]',
                                      '{"format": 1, "size": "big", "writers": []}',
                                      '{"format": 1, "size": 64, "writers": ["a", "b"]}',
                                      '{"format": 1, "size": 64}'])
def test_malformed_eval_manifest_is_one_line(tmp_path, manifest):
    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.json").write_text(manifest, encoding="utf-8")
    result = run("eval", "--data", data, "--out", tmp_path / "report")
    assert_one_line_error(result, "manifest.json")


@pytest.mark.parametrize("text", ["model: [1, 2\n", "- 1\n- 2\n", "train:\n  iterations: 5\n bad indent: 1\n"])
def test_broken_yaml_config_is_one_line(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="bad.yaml"):
        config.load(str(path))


def test_train_with_broken_yaml_config_is_one_line(tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "bad.yaml"
    path.write_text("model: [1, 2\n", encoding="utf-8")
    result = run("train", "ocr", "--config", path, "--data", tmp_path, "--out", tmp_path / "run")
    assert_one_line_error(result, "bad.yaml", "YAML")
    result = run("train", "ocr", "--config", tmp_path, "--data", tmp_path, "--out", tmp_path / "run")
    assert_one_line_error(result, str(tmp_path), "folder")


@pytest.mark.parametrize("override", ["train.iterations=-5", "critic.iterations=0", "data.batch=1",
                                      "critic.batch=0", "optim.lr_g=-1e-4", "optim.lr_d=.nan", "train.log_every=0",
                                      "loss.l1=-1", "optim.ema=1.5", "model.style_heads=5", "train.iterations=[1"])
def test_invalid_config_values_are_refused(override):
    with pytest.raises(InputError, match=override.split("=")[0]):
        config.load("cpu", [override])


def test_presets_stay_valid():
    config.load("cpu")
    config.load("paper")


def test_train_refuses_bad_data_before_it_starts(tmp_path):
    pytest.importorskip("torch")
    empty = tmp_path / "data"
    empty.mkdir()
    out = tmp_path / "run"
    result = run("train", "ocr", "--config", "cpu", "--data", empty, "--out", out)
    assert_one_line_error(result, "manifest.json")
    assert not out.exists()
    result = run("train", "ocr", "--config", "cpu", "--data", empty, "--out", out, "train.iterations=-5")
    assert_one_line_error(result, "train.iterations")
    assert not out.exists()


def _model_copy(tmp_path, edit):
    import shutil

    from fontgen.model import modelfiles

    folder = tmp_path / "model"
    shutil.copytree(modelfiles.DEFAULT_DIR, folder)
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    edit(meta)
    (folder / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


@pytest.mark.parametrize("edit, message", [
    (lambda m: m["graphs"]["glyph"].update(file="../../etc/passwd"), "outside the model folder"),
    (lambda m: m.update(graphs=["style.onnx"]), "not a table of graph files"),
    (lambda m: m.update(image_size=128), "do not match model.json"),
    (lambda m: m.update(style_outputs=["writer_style"]), "do not match model.json"),
    (lambda m: m.update(content_font=""), "do not match model.json"),
    (lambda m: m.update(margin=40), "out of range"),
])
def test_model_json_inconsistent_with_its_graphs_is_refused(tmp_path, edit, message):
    from fontgen.errors import InputError
    from fontgen.model import generate

    folder = _model_copy(tmp_path, edit)
    with pytest.raises(InputError, match=message):
        generate.Generator(folder, device="cpu")


def test_internal_errors_are_one_line_exit_1_and_traceback_with_v(monkeypatch, tmp_path):
    from fontgen.cli import cli
    from fontgen.font import makefont

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(makefont, "make_font", broken)
    args = ["make-font", "--samples", "examples/writer", "--out", str(tmp_path / "a.otf")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: internal error (ZeroDivisionError: division by zero); run with -v for details"]
    verbose = CliRunner().invoke(cli, ["-v", *args])
    assert isinstance(verbose.exception, ZeroDivisionError)
