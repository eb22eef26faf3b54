"""Tiny datasets in the fontgen dataset layout, rendered from installed Noto CJK faces as "writers".

    root = make_dataset(tmp_path, chars=40, size=32)
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from fontgen import charsets, templates

WRITER_FACES = [("Noto Sans CJK SC", "Bold"), ("Noto Serif CJK SC", "Regular"), ("Noto Serif CJK SC", "Bold")]
TEST_FACE = ("Noto Sans CJK SC", "Regular")


def _write(folder: Path, tpl: templates.Templates) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for ch, ink in zip(tpl.chars, tpl.ink):
        Image.fromarray(255 - ink).save(folder / f"{ch}.png")


def make_dataset(root: Path, chars: int = 40, size: int = 32, unseen: int = 4) -> Path:
    """Three training writers, one held-out writer, templates from Noto Sans CJK SC Regular."""
    chosen = charsets.gb2312_level1()[:chars]
    margin = max(1, size // 16)
    writers = []
    for i, (family, style) in enumerate(WRITER_FACES):
        name = f"w{i}"
        _write(root / "script" / name, templates.render(chosen, size, templates.find_face(family, style), margin))
        writers.append({"name": name, "split": "train", "kind": "font", "font": f"{family} {style}"})
    test_face = templates.find_face(*TEST_FACE)
    _write(root / "test" / "t0", templates.render(chosen, size, test_face, margin))
    writers.append({"name": "t0", "split": "test", "kind": "font", "font": " ".join(TEST_FACE)})
    _write(root / "template", templates.render(chosen, size, test_face, margin))
    manifest = {"size": size, "margin": margin, "unseen_chars": "".join(chosen[-unseen:]), "writers": writers}
    (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return root
