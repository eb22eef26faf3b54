"""Render template glyphs from a font file into normalized S×S ink maps (cached as .npz, checked at load).

The template font gives the model each character's structure. Faces are found with fontconfig by
family name (never by collection index) so the same call works wherever the font is installed:

    tpl = templates.render(charsets.resolve("gb2312"), size=64)
    tpl.ink        # uint8 [N, S, S], 255 = ink
    tpl.chars      # the characters that rendered (unmapped and blank ones are skipped)
    tpl.placement  # per character: where the normalized content sits in the em (font units)

A model may also read each character in a second, "content" font (`content_ink`): a kaishu, whose
strokes are where a hand puts them, beside the sans template that fixes the glyph's place in the em.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fontgen import cachepaths, outfiles, raster
from fontgen.errors import InputError

log = logging.getLogger(__name__)
DEFAULT_FAMILY = "Noto Sans CJK SC"
PACKAGES = {DEFAULT_FAMILY: "fonts-noto-cjk", "Noto Serif CJK SC": "fonts-noto-cjk",  # Debian
            "AR PL KaitiM GB": "fonts-arphic-gkai00mp", "AR PL UKai CN": "fonts-arphic-ukai",
            "LXGW WenKai": "fonts-lxgw-wenkai"}
REGULAR_SYNONYMS = ("Book", "Normal")
CACHE_VERSION = 1
RENDER_PX = 256  # em size in pixels for the master rendering, before normalization


@dataclass(frozen=True)
class FontFace:
    """One face of a font file: the path plus its index inside a collection (.ttc)."""

    path: Path
    index: int = 0
    family: str = ""

    @property
    def key(self) -> str:
        st = self.path.stat()
        return f"{self.path.resolve()}|{self.index}|{st.st_size}|{int(st.st_mtime)}"


def _style_rank(wanted: str, styles: list[str]) -> int | None:
    """How well a face's style names fit the one wanted: 0 its own style, 1 one of its other names (a
    Light face also lists "Regular" as the style within its "… Light" family), 2 a regular synonym
    ("Book": AR PL UKai); None: not a match."""
    if styles[0] == wanted:
        return 0
    if wanted in styles:
        return 1
    if wanted == "Regular" and styles[0] in REGULAR_SYNONYMS:
        return 2
    return None


def find_face(family: str = DEFAULT_FAMILY, style: str = "Regular") -> FontFace:
    """Locate an installed face by family and style name with fontconfig (`fc-list`)."""
    try:
        out = subprocess.run(
            ["fc-list", "--format", "%{file}|%{index}|%{family}|%{style}\n"],
            capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        raise InputError("fontconfig's fc-list is not available", None, "install fontconfig (apt-get install fontconfig)")
    found = []
    for line in sorted(out.splitlines()):
        parts = line.split("|")
        if len(parts) != 4:
            continue
        file, index, families, styles = parts
        rank = _style_rank(style, styles.split(","))
        if family in families.split(",") and rank is not None:
            found.append((rank, file, int(index)))
    if found:
        _, file, index = min(found)
        return FontFace(Path(file), index, family)
    package = PACKAGES.get(family)
    raise InputError(
        f"font '{family}' ({style}) is not installed", None,
        f"install it (apt-get install {package})" if package else "install it or pass a font file",
    )


def face_from_path(path: str | Path, index: int = 0) -> FontFace:
    """A face from an explicit font file (index selects the face of a .ttc collection)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("font file not found", path, "give the path of a .ttf/.otf/.ttc file")
    return FontFace(path, index, path.stem)


def mapped_chars(face: FontFace) -> set[str]:
    """Characters the face's cmap maps (PIL would silently draw .notdef for the rest)."""
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(str(face.path), fontNumber=face.index, lazy=True)
        cmap = font.getBestCmap() or {}
    except Exception as exc:  # fontTools raises many types on broken files
        raise InputError(f"cannot read the font ({exc})", face.path, "use a valid OpenType/TrueType file")
    return {chr(cp) for cp in cmap}


def render_ink(font: ImageFont.FreeTypeFont, ch: str, em_px: int | None = None) -> tuple[np.ndarray, tuple[int, int]]:
    """FreeType rendering of one character on a 2-em canvas as a uint8 ink map, and the pixel position
    of its origin (x, baseline); `em_px` defaults to the font's size."""
    em = em_px or font.size
    pad = em // 2
    origin = (pad, pad + round(em * 0.88))
    img = Image.new("L", (2 * em, 2 * em), 0)
    ImageDraw.Draw(img).text(origin, ch, fill=255, font=font, anchor="ls")
    return np.asarray(img), origin


def render_char(font: ImageFont.FreeTypeFont, ch: str, em_px: int = RENDER_PX) -> tuple[np.ndarray, tuple[int, int]]:
    """`render_ink` as a float ink map in [0, 1]."""
    ink, origin = render_ink(font, ch, em_px)
    return ink.astype(np.float32) / 255.0, origin


def placement_of(ink: np.ndarray, origin: tuple[int, int], em_px: int, upm: int = 1000) -> raster.Placement:
    """The em square (font units, y up) that the normalized content of `ink` corresponds to."""
    x0, y0, x1, y1 = raster.ink_bbox(ink)
    scale = upm / em_px
    cx = ((x0 + x1) / 2 - origin[0]) * scale
    cy = (origin[1] - (y0 + y1) / 2) * scale
    side = max(x1 - x0, y1 - y0) * scale
    return raster.Placement(cx, cy, side)


@dataclass
class Templates:
    chars: list[str]
    ink: np.ndarray  # uint8 [N, S, S]
    placement: dict[str, raster.Placement]

    def index(self) -> dict[str, int]:
        return {ch: i for i, ch in enumerate(self.chars)}


def cache_dir() -> Path:
    return cachepaths.root() / "templates"


def render(chars, size: int = 64, face: FontFace | None = None, margin: int | None = None,
           cache: bool = True, progress: bool = False) -> Templates:
    """Normalized templates for `chars` from `face` (default Noto Sans CJK SC), cached per (font, chars, size)."""
    face = face or find_face()
    margin = raster.default_margin(size) if margin is None else margin
    chars = list(dict.fromkeys(chars))
    digest = hashlib.sha256(
        json.dumps([CACHE_VERSION, face.key, size, margin, "".join(chars)]).encode()).hexdigest()[:20]
    path = cache_dir() / f"{face.path.stem}-{size}-{digest}.npz"
    cached = _read_cache(path, chars, size) if cache else None
    if cached is not None:
        return cached

    mapped = mapped_chars(face)
    font = ImageFont.truetype(str(face.path), RENDER_PX, index=face.index)
    kept, inks, place = [], [], {}
    items = chars
    if progress:
        from tqdm import tqdm
        items = tqdm(chars, desc="templates", unit="glyph", disable=None)
    for ch in items:
        if ch not in mapped:
            continue
        ink, origin = render_char(font, ch)
        norm = raster.normalize(ink, size, margin)
        if norm is None:  # mapped but blank (e.g. a space, or a font's empty placeholder)
            continue
        kept.append(ch)
        inks.append(norm)
        place[ch] = placement_of(ink, origin, RENDER_PX)
    arr = np.stack(inks) if inks else np.zeros((0, size, size), np.uint8)
    if cache:
        _write_cache(path, kept, arr, place)
    return Templates(kept, arr, place)


_noticed: set[Path] = set()  # cache entries already reported as bad in this process


def _read_cache(path: Path, chars: list[str], size: int) -> Templates | None:
    """The cached templates, or None if there are none or the entry is unusable (truncated, garbage,
    wrong shapes): it is then rendered again and replaced, with one notice, instead of failing every run."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:  # a zip: members are CRC-checked as they are read
            if sorted(z.files) != ["chars", "ink", "placement"]:
                raise ValueError(f"members {sorted(z.files)}")
            names, ink, placement = z["chars"], z["ink"], z["placement"]
        if names.dtype.kind != "U" or names.ndim != 0:
            raise ValueError(f"chars is {names.dtype} {names.shape}")
        kept = list(str(names))
        n = len(kept)
        if ink.dtype != np.uint8 or ink.shape != (n, size, size):
            raise ValueError(f"ink is {ink.dtype} {ink.shape}, expected uint8 {(n, size, size)}")
        if placement.dtype != np.float32 or placement.shape != (n, 3) or not np.isfinite(placement).all():
            raise ValueError(f"placement is {placement.dtype} {placement.shape}")
        wanted = iter(chars)
        if not all(ch in wanted for ch in kept):  # the kept characters, in the order asked for
            raise ValueError("characters that were not asked for")
        if n and not ink.reshape(n, -1).any(axis=1).all():
            raise ValueError("a blank glyph")
    except Exception as exc:  # whatever a damaged file raises (BadZipFile, EOFError, ValueError, ...)
        if path not in _noticed:
            _noticed.add(path)
            log.warning("notice: the template cache entry %s is damaged (%s); rendering it again", path,
                        str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return None
    place = {c: raster.Placement(*p) for c, p in zip(kept, placement.tolist())}
    return Templates(kept, ink, place)


def _write_cache(path: Path, kept: list[str], ink: np.ndarray, place: dict[str, raster.Placement]) -> None:
    """Write the entry atomically (`outfiles` stages it under a name of its own): concurrent runs never
    mix their bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    placement = np.array([[place[c].cx, place[c].cy, place[c].side] for c in kept], np.float32).reshape(-1, 3)
    buf = io.BytesIO()
    np.savez(buf, chars=np.array("".join(kept)), ink=ink, placement=placement)
    outfiles.write_atomic(path, buf.getvalue(), force=True)


def content_ink(chars: list[str], fallback: np.ndarray, family: str, size: int,
                margin: int | None = None) -> np.ndarray:
    """`chars` drawn in the content font `family`, normalized as templates are: uint8 [N, S, S].

    Where that font lacks a character, its template glyph from `fallback` (aligned with `chars`)
    stands in, as it did in training.
    """
    drawn = render(chars, size=size, face=find_face(family), margin=margin)
    index = drawn.index()
    out = np.array(fallback, copy=True)
    for i, ch in enumerate(chars):
        if ch in index:
            out[i] = drawn.ink[index[ch]]
    return out
