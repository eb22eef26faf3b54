"""Several outputs in one run: --out repeated (format by extension), --ttf as an alias, --web; all or none."""

from __future__ import annotations

import io
import os
import re

import pytest
from click.testing import CliRunner
from fontTools.ttLib import TTFont

from fontgen import outfiles
from fontgen.cli import cli
from fontgen.font import webfont
from clicheck import assert_one_line_error as one_line_error
from test_build_font_cli import glyph_dir  # noqa: F401 (a fixture)
from tinymodel import CHARSET, export_tiny, write_samples

MAGIC = {".otf": b"OTTO", ".ttf": b"\x00\x01\x00\x00", ".woff2": b"wOF2", ".woff": b"wOFF"}


def build(glyph_dir, *args):
    return CliRunner().invoke(cli, ["build-font", "--glyphs", str(glyph_dir), "--workers", "1", *map(str, args)])


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_every_format_from_one_run(glyph_dir, tmp_path):
    outs = [tmp_path / f"a{suffix}" for suffix in MAGIC]
    result = build(glyph_dir, *[x for o in outs[:3] for x in ("--out", o)], "--out", outs[3], "--web", tmp_path / "web")
    assert result.exit_code == 0, result.output
    for out in outs:
        assert out.read_bytes()[:4] == MAGIC[out.suffix], out
        assert str(out) in result.output
    otf = TTFont(str(tmp_path / "a.otf"))
    for suffix in (".woff2", ".woff"):  # the web formats carry the CFF font, glyph for glyph
        wrapped = TTFont(io.BytesIO((tmp_path / f"a{suffix}").read_bytes()))
        assert wrapped.flavor == suffix[1:]
        assert wrapped.getBestCmap() == otf.getBestCmap()
        strings, ref = wrapped["CFF "].cff.topDictIndex[0].CharStrings, otf["CFF "].cff.topDictIndex[0].CharStrings
        assert all(strings[g].bytecode == ref[g].bytecode for g in otf.getGlyphOrder())
    web = tmp_path / "web"
    css = next(web.glob("*.css")).read_text(encoding="utf-8")
    listed = [cp for r in re.findall(r"unicode-range: ([^;]+);", css) for cp in webfont.parse_unicode_range(r)]
    assert sorted(listed) == sorted(otf.getBestCmap())
    assert (web / "index.html").exists() and "WOFF2 chunks" in result.output
    assert leftovers(tmp_path) == []


def test_ttf_stays_an_alias(glyph_dir, tmp_path):
    result = build(glyph_dir, "--out", tmp_path / "a.otf", "--ttf", tmp_path / "b.ttf")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b.ttf").read_bytes()[:4] == MAGIC[".ttf"]


def test_web_alone(glyph_dir, tmp_path):
    result = build(glyph_dir, "--web", tmp_path / "web")
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in (tmp_path / "web").iterdir()) == [".css", ".html", ".woff2"]


def test_all_outputs_or_none(glyph_dir, tmp_path, monkeypatch):
    """The last rename fails (the web folder): the fonts renamed before it are put back as they were."""
    (tmp_path / "a.otf").write_bytes(b"old otf")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "old.css").write_text("old")
    real = os.replace

    def failing(src, dst):
        if str(dst) == str(tmp_path / "web") and ".tmp" in str(src):
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(outfiles.os, "replace", failing)
    result = build(glyph_dir, "--out", tmp_path / "a.otf", "--out", tmp_path / "a.woff2", "--web", tmp_path / "web",
                   "--force")
    one_line_error(result, "no space left on the disk", "nothing was written")
    assert (tmp_path / "a.otf").read_bytes() == b"old otf"
    assert not (tmp_path / "a.woff2").exists()
    assert [p.name for p in (tmp_path / "web").iterdir()] == ["old.css"]
    assert leftovers(tmp_path) == []


def test_web_folder_checked_before_any_work(glyph_dir, tmp_path):
    (tmp_path / "file").write_text("x")
    result = build(glyph_dir, "--web", tmp_path / "file")  # click's own check of the option
    assert result.exit_code == 2 and "is a file" in result.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    one_line_error(build(glyph_dir, "--web", tmp_path / "full"), "not empty", "--force")
    one_line_error(build(glyph_dir, "--out", tmp_path / "full" / "a.otf", "--web", tmp_path / "full", "--force"),
                   "inside the --web folder")
    one_line_error(build(glyph_dir, "--web", tmp_path / "no" / "web"), "does not exist")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "full", "glyphs"]


def test_make_font_writes_every_output_and_names_missing_characters(tmp_path, caplog):
    (tmp_path / "chars.txt").write_text(CHARSET + "ऄ", encoding="utf-8")  # Noto Sans CJK has no Devanagari
    charset = f"{tmp_path / 'chars.txt'}+symbols"  # symbols hold U+3000, which the font builds as an empty glyph
    args = ["make-font", "--model", str(export_tiny(tmp_path / "model")), "--charset", charset,
            "--samples", str(write_samples(tmp_path / "samples")), "--out", str(tmp_path / "a.otf"),
            "--out", str(tmp_path / "a.woff2"), "--web", str(tmp_path / "web")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.woff2").read_bytes()[:4] == b"wOF2" and list((tmp_path / "web").glob("*.woff2"))
    notice = [r.getMessage() for r in caplog.records if "lacks" in r.getMessage()]
    assert len(notice) == 1 and "lacks 1 characters" in notice[0] and notice[0].endswith("ऄ (U+0904)")
    assert TTFont(str(tmp_path / "a.otf")).getBestCmap()[0x3000]  # the ideographic space is there
