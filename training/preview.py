"""Sample grid PNGs for watching a run: one row per sample, references | template | generated | target."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from fontgen import raster


def grid(refs: np.ndarray, templates: np.ndarray, fakes: np.ndarray, targets: np.ndarray,
         max_refs: int = 4, gap: int = 2) -> np.ndarray:
    """Model-range arrays (refs [B, R, S, S], others [B, 1, S, S]) → uint8 image, black ink on white."""
    b, r, s, _ = refs.shape
    cols = [refs[:, i] for i in range(min(r, max_refs))] + [templates[:, 0], fakes[:, 0], targets[:, 0]]
    h = b * (s + gap) + gap
    w = len(cols) * (s + gap) + 3 * gap
    out = np.full((h, w), 200, np.uint8)
    for j, col in enumerate(cols):
        x = gap + j * (s + gap) + (3 * gap if j >= len(cols) - 3 else 0)
        for i in range(b):
            y = gap + i * (s + gap)
            out[y:y + s, x:x + s] = 255 - raster.from_model(col[i])
    return out


def save_grid(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    Image.fromarray(image).save(tmp)
    os.replace(tmp, path)
