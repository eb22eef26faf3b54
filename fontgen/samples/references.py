"""A writer's sample images → clean ink maps and normalized style references.

Each file of the samples folder is one character (`永.png`, `U+6C38.png`, `uni6C38.png`; see
`glyphfiles`), in any image format Pillow reads; colour, transparency, white-on-black and paper
texture are handled by `glyphfiles.read_folder`. Here each ink map is cleaned (specks of dust and
scanner noise dropped, so they do not stretch the ink box) and normalized exactly like the training
glyphs:

    s = references.load("my_chars/", size=64)
    s.refs          # uint8 [R, 64, 64], the model's style references (R >= 1)
    s.glyph(i, 256) # the same sample normalized at 256 px, for tracing the writer's own glyph

Every sample is a style reference, whether or not its character is in the font's charset.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fontgen import raster
from fontgen.errors import InputError
from fontgen.samples import glyphfiles

SPECK_FRACTION = 0.005  # components under this share of all ink are dust, not strokes
INK_LEVEL = 0.5
ENOUGH = 3  # below this many samples the style is guessed from too little: say so
EXAMPLE_NAME = "example"
EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "assets" / "example"  # examples/writer links here

log = logging.getLogger(__name__)


def clean(ink: np.ndarray) -> np.ndarray | None:
    """Drop specks from a float ink map and keep the soft edges of the strokes; None if no ink is left."""
    mask = (ink >= INK_LEVEL).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    if areas.size == 0:
        return None
    keep = np.zeros(count, np.uint8)
    keep[1:] = areas >= SPECK_FRACTION * areas.sum()
    strokes = keep[labels]
    # Grow the kept strokes by a pixel so their anti-aliased rims survive the mask.
    strokes = cv2.dilate(strokes, np.ones((3, 3), np.uint8))
    return ink * strokes


@dataclass
class Samples:
    """A writer's samples: characters, source files, cleaned ink and the model-size references."""

    chars: list[str]
    paths: list[Path]
    ink: list[np.ndarray]  # cleaned float ink maps at the images' own resolution
    refs: np.ndarray  # uint8 [R, S, S]
    margin_ratio: float

    def glyph(self, i: int, size: int) -> np.ndarray:
        """Sample `i` normalized at `size` px with the model's margin ratio (same placement geometry)."""
        return raster.normalize(self.ink[i], size, round(size * self.margin_ratio))


def resolve_folder(folder: str | Path) -> Path:
    """`example` is the bundled example writer (eight samples, `fontgen/assets/example`) unless a folder
    of that name is where the command runs."""
    folder = Path(folder)
    return EXAMPLE_DIR if str(folder) == EXAMPLE_NAME and not folder.exists() else folder


def load(folder: str | Path, size: int, margin: int | None = None) -> Samples:
    """Read a samples folder (or `example`) into references at the model size; InputError names any unusable file."""
    margin = raster.default_margin(size) if margin is None else margin
    found = glyphfiles.read_folder(resolve_folder(folder))
    chars, paths, inks, refs = [], [], [], []
    for ch, (path, ink) in found.items():
        cleaned = clean(ink)
        if cleaned is None:
            raise InputError("image is blank (no ink found)", path,
                             "write the character darker, or remove the file")
        chars.append(ch)
        paths.append(path)
        inks.append(cleaned)
        refs.append(raster.normalize(cleaned, size, margin))
    if len(chars) == 1:
        log.warning("warning: %s: only 1 sample; the style is guessed from a single character, so the font "
                    "may look little like your hand. Write 4 or more characters", folder)
    elif len(chars) < ENOUGH:
        log.warning("notice: %s: only %d samples; 4 or more give a closer likeness of your hand", folder, len(chars))
    return Samples(chars, paths, inks, np.stack(refs), margin / size)
