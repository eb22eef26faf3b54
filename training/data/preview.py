"""A PNG contact sheet of a dataset: one row per writer (name on the left), one column per character.

Meant for people: look at it to judge whether the writers look like different hands.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fontgen import dataset_layout
from fontgen.errors import InputError

LABEL_PX = 170
GAP = 2
MISSING = 225  # light grey cell for a character the writer does not have


def pick_writers(writers: list[dict], count: int) -> list[dict]:
    """`count` writers spread evenly over the manifest's list (fonts and pens alike)."""
    if count >= len(writers):
        return writers
    idx = np.linspace(0, len(writers) - 1, count).round().astype(int)
    return [writers[i] for i in dict.fromkeys(idx.tolist())]


def write_grid(root: Path, out: Path, writers: int = 24, chars: str = "永和我你的是国爱写字飞龙",
               force: bool = False) -> Path:
    """Write the writers × characters grid of dataset `root` to PNG file `out`."""
    manifest = dataset_layout.load_manifest(root)
    out = Path(out)
    if out.exists() and not force:
        raise InputError("output file exists", out, "choose another --out or pass --force")
    chars = [ch for ch in chars if not ch.isspace()]
    if not chars:
        raise InputError("no characters to show", None, "pass --chars with a few characters")
    size = manifest["size"]
    rows = pick_writers(manifest["writers"], writers)
    rows = [{"name": "template", "split": None}] + rows
    width = LABEL_PX + len(chars) * (size + GAP)
    sheet = Image.new("L", (width, len(rows) * (size + GAP)), 255)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for r, writer in enumerate(rows):
        y = r * (size + GAP)
        label = writer["name"] if writer["split"] is None else f"{writer['name']} ({writer['split']})"
        draw.text((4, y + size // 2 - 6), label, fill=0, font=font)
        for c, ch in enumerate(chars):
            path = (Path(root) / dataset_layout.TEMPLATE_DIR / f"{ch}.png" if writer["split"] is None
                    else dataset_layout.glyph_path(root, writer["split"], writer["name"], ch))
            cell = (Image.open(path).convert("L") if path.exists()
                    else Image.new("L", (size, size), MISSING))
            sheet.paste(cell, (LABEL_PX + c * (size + GAP), y))
    tmp = out.with_name(out.name + ".tmp.png")
    sheet.save(tmp)
    os.replace(tmp, out)
    return out
