"""Helpers shared by the CLI tests: the one-line error check, the CLI run in a fresh interpreter
without some modules, a folder of glyph images."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from fontgen import templates

# Runs the CLI in a fresh interpreter in which the modules named in argv[1] (a top-level package and
# everything under it, or one module by its full name) cannot be imported: an install without those
# extras, or without an optional compiled module, whatever this virtual environment has.
WITHOUT = """
import sys

blocked = sys.argv.pop(1).split(",")

class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name in blocked or name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, Blocked())
from fontgen.cli import main
main(sys.argv[1:], prog_name="fontgen")
"""


def run_without(modules: str, args: list[str], cwd=None) -> subprocess.CompletedProcess:
    """`fontgen ARGS` in a fresh interpreter that cannot import `modules` (comma-separated)."""
    return subprocess.run([sys.executable, "-c", WITHOUT, modules, *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def write_glyph_folder(folder: Path, chars: str, px: int = 96) -> Path:
    """One black-on-white PNG per character, drawn in the template font, named as build-font reads them."""
    face = templates.find_face()
    font = ImageFont.truetype(str(face.path), px, index=face.index)
    folder.mkdir()
    for ch in chars:
        img = Image.new("L", (px, px), 255)
        ImageDraw.Draw(img).text((0, round(px * 0.88)), ch, fill=0, font=font, anchor="ls")
        img.save(folder / f"{ch}.png")
    return folder


def assert_one_line_error(result, *words):
    """Bad input: exit code 2 and a single `Error: …` line that contains every one of `words`."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    for word in words:
        assert word in lines[0], (word, lines[0])
