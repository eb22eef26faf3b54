"""Fixtures for the eval and preview tests, made from installed Noto CJK faces (torch only for the model).

    root = make_dataset(tmp / "ds")               # 2 training fonts, 2 held-out writers, 32 px
    model = make_model(tmp / "model", root)       # tinymodel's random generator + a briefly trained critic
    font = subset_font(tmp / "f.otf", "永和")      # a small real OTF (Noto Serif CJK SC subset)
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from fontgen import charsets, templates

SIZE = 32
CHARS = 48
UNSEEN = 8
TRAIN_FONTS = {"sans-bold": ("Noto Sans CJK SC", "Bold"), "serif-bold": ("Noto Serif CJK SC", "Bold")}
TEST_FONT = {"serif-regular": ("Noto Serif CJK SC", "Regular")}
SYNTHETIC = "sans-slanted"  # Noto Sans CJK SC Regular, sheared and thickened: a "hand" no font has


def chars() -> list[str]:
    return list(charsets.gb2312_level1()[100:100 + CHARS])


def render(family: str, style: str) -> templates.Templates:
    return templates.render(chars(), SIZE, templates.find_face(family, style), cache=False)


def slanted(ink: np.ndarray) -> np.ndarray:
    """Shear by 0.25, thicken by one pixel, re-normalize: a consistent style the template lacks."""
    from fontgen import raster

    out = []
    for glyph in ink:
        big = cv2.resize(glyph, (4 * SIZE, 4 * SIZE), interpolation=cv2.INTER_CUBIC)
        shear = np.float32([[1, -0.25, 0.125 * 4 * SIZE], [0, 1, 0]])
        big = cv2.warpAffine(big, shear, big.shape[::-1])
        big = cv2.dilate(big, np.ones((5, 5), np.uint8))
        out.append(raster.normalize(big, SIZE))
    return np.stack(out)


def make_dataset(root: Path) -> Path:
    """A dataset in the fontgen layout; the template font is Noto Sans CJK SC Regular."""
    from fontgen import dataset_layout

    def write(folder: Path, ink: np.ndarray, names: list[str]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for ch, glyph in zip(names, ink):
            dataset_layout.write_glyph(folder / f"{ch}.png", glyph)

    writers = []
    for name, (family, style) in TRAIN_FONTS.items():
        tpl = render(family, style)
        write(dataset_layout.glyph_path(root, "train", name, "x").parent, tpl.ink, tpl.chars)
        writers.append({"name": name, "split": "train", "kind": "font", "family": family, "style": style})
    for name, (family, style) in TEST_FONT.items():
        tpl = render(family, style)
        write(dataset_layout.glyph_path(root, "test", name, "x").parent, tpl.ink, tpl.chars)
        writers.append({"name": name, "split": "test", "kind": "font", "family": family, "style": style})
    base = render("Noto Sans CJK SC", "Regular")
    write(dataset_layout.glyph_path(root, "test", SYNTHETIC, "x").parent, slanted(base.ink), base.chars)
    writers.append({"name": SYNTHETIC, "split": "test", "kind": "synthetic"})
    write(root / dataset_layout.TEMPLATE_DIR, base.ink, base.chars)
    manifest = {"format": dataset_layout.FORMAT, "size": SIZE, "unseen_chars": "".join(chars()[-UNSEEN:]),
                "writers": writers}
    (root / dataset_layout.MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return root


def train_critic(root: Path, steps: int = 60):
    """A tiny OCR critic trained for a few seconds on the training fonts (+ light jitter)."""
    import torch
    import torch.nn.functional as F
    from fontgen import dataset_layout
    from training.models.critic import Critic

    charset = chars()
    ink = np.stack([dataset_layout.read_glyph(dataset_layout.glyph_path(root, "train", w, c))
                    for w in TRAIN_FONTS for c in charset])
    labels = torch.tensor([i for _ in TRAIN_FONTS for i in range(len(charset))])
    x = torch.from_numpy(ink.astype(np.float32) / 127.5 - 1.0)[:, None]
    torch.manual_seed(0)
    critic = Critic(8, len(charset))
    opt = torch.optim.Adam(critic.parameters(), lr=3e-3)
    for _ in range(steps):
        shift = torch.randint(-2, 3, (2,))
        batch = torch.roll(x, shifts=(int(shift[0]), int(shift[1])), dims=(2, 3))
        loss = F.cross_entropy(critic(batch), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return critic.eval(), "".join(charset)


def make_model(folder: Path, root: Path, critic: bool = True) -> Path:
    """Export the random-init tiny generator of `tinymodel` at this dataset's size (and the trained critic)."""
    import dataclasses

    import torch
    from export.onnx_export import write_model
    from training.models import build_generator

    import tinymodel

    torch.manual_seed(0)
    generator = build_generator(dataclasses.replace(tinymodel.tiny_config(), size=SIZE)).eval()
    net, charset = train_critic(root) if critic else (None, "".join(chars()))
    write_model(generator, folder, training={"note": "random-init test model"}, charset=charset,
                critic=net, critic_charset=charset if critic else "")
    return folder


def subset_font(path: Path, text: str, family: str = "Noto Serif CJK SC") -> Path:
    """An OTF holding only `text`'s characters, cut from an installed Noto CJK face."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    face = templates.find_face(family)
    font = TTFont(str(face.path), fontNumber=face.index)
    options = subset.Options()
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    font.save(str(path))
    return path
