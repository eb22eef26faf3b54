"""Outputs are one transaction: every target checked before the work, all written or none, no temp files."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections import namedtuple

import pytest
from click.testing import CliRunner

import evalfixtures as ef
from clicheck import assert_one_line_error, write_glyph_folder
from fontgen import outfiles
from fontgen.cli import cli
from fontgen.errors import InputError
from fontgen.font import factory
from fontgen.model import generate
from tinymodel import write_samples

CHARS = "永和我"


@pytest.fixture
def glyph_dir(tmp_path):
    return write_glyph_folder(tmp_path / "glyphs", CHARS)


@pytest.fixture
def no_generator(monkeypatch):
    """make-font and preview --samples must refuse a bad target before the model is even loaded."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("the generator was started before the outputs were checked")

    monkeypatch.setattr(generate, "Generator", refuse)
    return calls


def _writable(folder) -> bool:
    try:
        (folder / ".probe").touch()
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


@pytest.fixture
def readonly_dir(tmp_path):
    """A folder nobody can create files in: mode 555, and for root (who ignores modes) immutable too."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = False
    if _writable(folder) and shutil.which("chattr"):
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    try:
        if _writable(folder):
            pytest.skip("cannot make a read-only folder here (root without chattr +i)")
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_read_only_folder_fails_before_any_work(readonly_dir, glyph_dir, tmp_path, no_generator):
    samples = write_samples(tmp_path / "samples")
    out = readonly_dir / "Hand.otf"
    result = CliRunner().invoke(cli, ["make-font", "--samples", str(samples), "--out", str(out)])
    assert_one_line_error(result, str(out), "cannot write", "folder")
    ttf = readonly_dir / "Hand.ttf"
    result = CliRunner().invoke(cli, ["make-font", "--samples", str(samples), "--out", str(tmp_path / "a.otf"),
                                      "--ttf", str(ttf)])
    assert_one_line_error(result, str(ttf), "cannot write")
    result = CliRunner().invoke(cli, ["preview", "--samples", str(samples), "--out", str(readonly_dir / "p.png")])
    assert_one_line_error(result, "p.png", "cannot write")
    assert not no_generator
    result = CliRunner().invoke(cli, ["build-font", "--glyphs", str(glyph_dir), "--out", str(out)])
    assert_one_line_error(result, str(out), "cannot write")
    assert not (tmp_path / "a.otf").exists() and not list(readonly_dir.iterdir())


def test_full_disk_and_a_folder_as_target_fail_before_any_work(tmp_path, monkeypatch, no_generator):
    samples = write_samples(tmp_path / "samples")
    (tmp_path / "Hand.ttf").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        factory.check_fonts(tmp_path / "Hand.otf", tmp_path / "Hand.ttf", force=True)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 20 * outfiles.MB, 20 * outfiles.MB))
    result = CliRunner().invoke(cli, ["make-font", "--samples", str(samples), "--out", str(tmp_path / "a.otf"),
                                      "--ttf", str(tmp_path / "a.ttf")])
    assert_one_line_error(result, "a.otf", "not enough free space", "20.0 MB free")
    assert not no_generator


def test_existing_outputs_need_force(tmp_path, no_generator):
    samples = write_samples(tmp_path / "samples")
    old_otf, old_ttf, new_otf = tmp_path / "Hand.otf", tmp_path / "Hand.ttf", tmp_path / "new.otf"
    old_otf.write_bytes(b"keep me")
    old_ttf.write_bytes(b"keep me too")
    make = ["make-font", "--samples", str(samples), "--out"]
    assert_one_line_error(CliRunner().invoke(cli, make + [str(old_otf)]), "Hand.otf", "exists", "--force")
    assert_one_line_error(CliRunner().invoke(cli, make + [str(new_otf), "--ttf", str(old_ttf)]),
                          "Hand.ttf", "exists", "--force")
    assert old_otf.read_bytes() == b"keep me" and old_ttf.read_bytes() == b"keep me too"
    assert not no_generator and not new_otf.exists()


def _second_write_fails(monkeypatch):
    """The disk fills up while the second output is written."""
    stage, calls = outfiles._stage, []

    def failing(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return stage(path, data)

    monkeypatch.setattr(outfiles, "_stage", failing)
    return calls


@pytest.mark.parametrize("existing", [False, True])
def test_failing_second_output_leaves_neither(glyph_dir, tmp_path, monkeypatch, existing):
    out, ttf = tmp_path / "Hand.otf", tmp_path / "Hand.ttf"
    if existing:
        out.write_bytes(b"old otf")
        ttf.write_bytes(b"old ttf")
    calls = _second_write_fails(monkeypatch)
    result = CliRunner().invoke(cli, ["build-font", "--glyphs", str(glyph_dir), "--out", str(out), "--ttf", str(ttf),
                                      "--workers", "1", *(["--force"] if existing else [])])
    assert_one_line_error(result, "Hand.ttf", "no space left")
    assert calls == [out, ttf]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == (["Hand.otf", "Hand.ttf", "glyphs"] if existing else ["glyphs"])  # and no temp file
    if existing:
        assert out.read_bytes() == b"old otf" and ttf.read_bytes() == b"old ttf"


def test_failing_rename_puts_back_what_was_replaced(tmp_path, monkeypatch):
    a, b = tmp_path / "a.otf", tmp_path / "b.ttf"
    a.write_bytes(b"old a")
    replace, renames = os.replace, []

    def failing(src, dst):
        if str(src).endswith(".tmp"):
            renames.append(dst)
            if len(renames) == 2:
                raise OSError(errno.EIO, os.strerror(errno.EIO), str(dst))
        return replace(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(InputError, match="cannot write it"):
        outfiles.write_all({a: b"new a", b: b"new b"}, force=True)
    assert a.read_bytes() == b"old a" and not b.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.otf"]


def test_preview_writes_both_outputs_or_neither(tmp_path, monkeypatch):
    font = ef.subset_font(tmp_path / "Serif.otf", "永和")
    png, page = tmp_path / "p.png", tmp_path / "p.html"
    page.write_text("keep me")
    result = CliRunner().invoke(cli, ["preview", str(font), "--text", "永和", "--out", str(png), "--html", str(page)])
    assert_one_line_error(result, "p.html", "exists", "--force")
    assert not png.exists() and page.read_text() == "keep me"
    page.unlink()
    _second_write_fails(monkeypatch)
    result = CliRunner().invoke(cli, ["preview", str(font), "--text", "永和", "--out", str(png), "--html", str(page)])
    assert_one_line_error(result, "p.html", "no space left")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Serif.otf"]
    monkeypatch.undo()
    result = CliRunner().invoke(cli, ["preview", str(font), "--text", "永和", "--out", str(png), "--html", str(page)])
    assert result.exit_code == 0, result.output
    assert png.stat().st_size > 0 and "永和" in page.read_text(encoding="utf-8")


def test_one_file_named_for_two_outputs(tmp_path):
    with pytest.raises(InputError, match="two outputs"):
        outfiles.check_outputs([(tmp_path / "a.png", (), 0), (tmp_path / "." / "a.png", (), 0)], force=False)


def test_staged_folder_replaces_whole_or_not_at_all(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with outfiles.staged_folder(out) as staging:
            (staging / "new.txt").write_text("new", encoding="utf-8")
            raise RuntimeError("the work failed half-way")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no staging folder left behind
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    with outfiles.staged_folder(out) as staging:
        (staging / "new.txt").write_text("new", encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert out.stat().st_mode & 0o777 == 0o755
