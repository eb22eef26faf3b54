"""Read folders of per-character images (`永.png`, `U+6C38.png`, `uni6C38.png`) into ink maps.

Used by `build-font` (a complete glyph set) and by `references` (a writer's few references). Any image
Pillow reads is accepted: transparent, colour, white-on-black and scanned pages with paper texture are
turned into a clean ink map (0 = paper, 1 = ink). Anything unusable raises `InputError` naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from fontgen.charsets import not_a_glyph
from fontgen.errors import InputError

MAX_PIXELS = 4096 * 4096
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm"}
_CODEPOINT = re.compile(r"^(?:U\+|u\+|uni|UNI|u)([0-9A-Fa-f]{4,6})$")


def char_from_name(path: Path) -> str:
    """The character a file stands for: its stem is the character itself or a code point.

    Marks, format, control and space characters are refused: they have no glyph of their own.
    """
    stem = path.stem
    ch = stem if len(stem) == 1 else None
    m = _CODEPOINT.match(stem)
    if m:
        cp = int(m.group(1), 16)
        if cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF:
            ch = chr(cp)
    if ch is None:
        raise InputError(
            "file name is not one character", path,
            "name each image after its character, e.g. 永.png, U+6C38.png or uni6C38.png",
        )
    kind = not_a_glyph(ch)
    if kind:
        raise InputError(f"U+{ord(ch):04X} is {kind}, not a character with a glyph of its own", path,
                         "remove the file, or name it after the character it shows")
    return ch


def load_ink(path: str | Path) -> np.ndarray:
    """Read an image as a float32 ink map in [0, 1], paper removed; raises InputError if unusable."""
    path = Path(path)
    too_large = "scale it down to at most 4096×4096 px; 256 px per character is plenty"
    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PIXELS:
                raise InputError(f"image is too large ({im.width}×{im.height} px)", path, too_large)
            im.load()
            rgba = np.asarray(eight_bit(im).convert("RGBA"), np.float32) / 255.0
    except Image.DecompressionBombError as exc:
        raise InputError(f"image refused as a decompression bomb ({exc})", path, too_large)
    except ValueError as exc:  # Pillow's limit on decompressed metadata (a zTXt/iCCP bomb)
        if "decompressed" not in str(exc).lower():
            raise
        raise InputError("image refused as a decompression bomb (its compressed data unpacks too large)",
                         path, "save the image again without its metadata")
    except (UnidentifiedImageError, OSError):
        raise InputError("not a readable image", path, "use PNG, JPEG or another format Pillow reads")
    if is_solid_ink(rgba):
        raise InputError("image is all ink (one dark colour, no paper)", path,
                         "photograph or scan the character on light paper, or remove the file")
    return ink_from_rgba(rgba)


def eight_bit(im: Image.Image) -> Image.Image:
    """16- and 32-bit greys (scanners write them) as 8-bit greys, scaled: Pillow's convert clips at 255,
    which turns all but the darkest ink into paper. Other modes are returned as they are."""
    if not (im.mode.startswith("I;16") or im.mode in ("I", "F")):
        return im
    grey = np.asarray(im, np.float32)
    if im.mode.startswith("I;16"):
        full = 65535.0
    elif im.mode == "F" and grey.max(initial=0.0) <= 1.0:
        full = 1.0
    else:
        full = 65535.0 if grey.max(initial=0.0) > 255 else 255.0
    return Image.fromarray(np.round(np.clip(grey / full, 0.0, 1.0) * 255).astype(np.uint8))


def is_solid_ink(rgba: np.ndarray) -> bool:
    """An opaque image with nothing lighter than dark grey: no paper, so no character to find."""
    if float(rgba[..., 3].min()) < 0.99:
        return False
    gray = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    return float(np.percentile(gray, 99.9)) < 0.35


def ink_from_rgba(rgba: np.ndarray) -> np.ndarray:
    """Ink map from an RGBA float image: alpha-composited on white, polarity fixed, paper levelled."""
    alpha = rgba[..., 3]
    gray = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    if alpha.min() < 0.99:
        # Transparent background: ink is what is opaque and not white-ish against white paper.
        gray = gray * alpha + (1.0 - alpha)
    darkness = 1.0 - gray
    # White-on-black: the border is mostly "ink", so flip polarity.
    border = np.concatenate([darkness[0], darkness[-1], darkness[:, 0], darkness[:, -1]])
    if np.median(border) > 0.5:
        darkness = 1.0 - darkness
    darkness = level_paper(darkness)
    peak = float(np.percentile(darkness, 99.5))
    if peak < 0.15:
        return np.zeros_like(darkness)
    # Stretch so the strokes reach full ink; below a noise floor it is paper.
    ink = np.clip((darkness - 0.12 * peak) / (0.75 * peak), 0.0, 1.0)
    return ink.astype(np.float32)


def level_paper(darkness: np.ndarray) -> np.ndarray:
    """Subtract uneven paper (texture, shading) estimated by an opening wider than any stroke.

    The kernel is sized from the stroke width (distance transform of an Otsu mask), so thick strokes
    and joins are never mistaken for background; clean black-and-white images are left alone.
    """
    h, w = darkness.shape
    midtones = np.mean((darkness > 0.1) & (darkness < 0.9))
    if min(h, w) < 32 or midtones < 0.02:
        return darkness
    u8 = np.round(darkness * 255).astype(np.uint8)
    _, mask = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dist = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    inside = dist[mask > 0]
    half_width = float(np.percentile(inside, 99)) if inside.size else 1.0
    k = int(max(15, 8 * half_width)) | 1
    if k >= min(h, w) // 2:
        return darkness
    background = cv2.morphologyEx(darkness, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return np.clip(darkness - background, 0.0, 1.0)


def read_folder(folder: str | Path) -> dict[str, tuple[Path, np.ndarray]]:
    """All character images in a folder: {char: (path, ink map)}; errors on duplicates and bad files."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder", folder, "give a folder of per-character images")
    # Subfolders and hidden files are skipped; anything else that is not a file is reported, not skipped.
    files = sorted(p for p in folder.iterdir() if not p.name.startswith(".") and not p.is_dir())
    for path in files:
        if path.is_symlink() and not path.exists():
            raise InputError("broken symbolic link (its target does not exist)", path,
                             "point it at an image, or remove it")
        if not path.is_file():
            raise InputError("not a regular file (a FIFO, socket or device)", path, "remove it from the folder")
    if not files:
        raise InputError("folder is empty", folder, "put one image per character in it, e.g. 永.png")
    found: dict[str, tuple[Path, np.ndarray]] = {}
    for path in files:
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise InputError("not an image file", path, "remove it or convert it to PNG")
        ch = char_from_name(path)
        if ch in found:
            raise InputError(
                f"two files for the character {ch!r} ({found[ch][0].name} and {path.name})", path,
                "keep only one image per character",
            )
        found[ch] = (path, load_ink(path))
    return found
