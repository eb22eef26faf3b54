"""The C speed-ups (setup.py): built wherever set-up had a compiler, and a font built without them is
the same font. Each module's own tests compare its C and numpy twins function by function."""

from __future__ import annotations

import importlib
import os
import shutil
import sysconfig

import pytest
from fontTools.ttLib import TTFont

from clicheck import run_without, write_glyph_folder

SPEEDUPS = ("fontgen.font._topology", "fontgen.font._encode")
CHARS = "永和我你的是口回"

def can_compile() -> bool:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return bool(shutil.which(compiler)) and os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))


@pytest.mark.parametrize("name", SPEEDUPS)
def test_speedups_are_built_where_a_compiler_exists(name):
    if not can_compile():
        pytest.skip("no C compiler or Python headers here: fontgen runs its numpy twins (tested everywhere)")
    importlib.import_module(name)


def build(folder, out, blocked: str) -> str:
    """build-font (OTF + TTF) in a fresh interpreter that cannot import `blocked` (a failed optional build)."""
    done = run_without(blocked, ["build-font", "--glyphs", folder, "--out", out, "--ttf", out.with_suffix(".ttf"),
                                 "--workers", "1"])
    assert done.returncode == 0, done.stderr
    return done.stdout


def report(stdout: str) -> str:
    """The summary's render-back IoU and outline faults (not its file names and times)."""
    return stdout[stdout.index("IoU"):stdout.index("; trace")]


def test_a_font_built_without_the_speedups_is_the_same_font(tmp_path):
    folder = write_glyph_folder(tmp_path / "glyphs", CHARS)
    with_c = build(folder, tmp_path / "c.otf", "")
    without = build(folder, tmp_path / "numpy.otf", ",".join(SPEEDUPS))
    assert report(with_c) == report(without)
    for suffix in (".otf", ".ttf"):
        a, b = TTFont(tmp_path / f"c{suffix}"), TTFont(tmp_path / f"numpy{suffix}")
        per_build = {"head", "name"}  # the build time, and the unique ID made new for every build
        tags = sorted(set(a.reader.keys()) - per_build)
        assert tags == sorted(set(b.reader.keys()) - per_build) and {"CFF ", "glyf"} & set(tags)
        for tag in tags:
            assert a.reader[tag] == b.reader[tag], tag
