"""Writers drawn from font files: find the face, map characters to files, render normalized glyphs.

A writer font is one file (a face of a .ttc chosen by family name) or, for web-font packages, many
woff2 files each holding one Unicode-range subset; `open_font_writer` maps every character to the
file whose cmap holds it. Rendering reuses the template renderer, so fonts and templates are
normalized the same way; glyphs without ink (placeholder blanks) are never written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from fontgen import dataset_layout, raster, templates
from fontgen.errors import InputError
from training.data import heldout
from training.data.sources import FontSource


class UnreadableFont(Exception):
    """A font file that fontTools or FreeType cannot parse: the writer is skipped with a warning."""


class RefusedFont(UnreadableFont):
    """An evaluation-only font (`heldout`): never rendered into a dataset."""


@dataclass(frozen=True)
class FontWriter:
    source: FontSource
    files: tuple[Path, ...]
    index: int                    # face index inside a collection
    face: str                     # family and style from the name table
    char_file: dict[str, int]     # character → position in `files`

    def manifest_source(self, record: dict) -> dict:
        files = self.files[0].name
        if len(self.files) > 1:
            files = f"{self.files[0].parent.name}/*.woff2 ({len(self.files)} subsets)"
        return {"package": record["package"], "version": record["version"], "file": files,
                "face": self.face, "licence": record["licence"]}


def _face_index(path: Path, family: str) -> tuple[int, str, list[str]]:
    """Index, full name and family names (IDs 1 and 16) of the face of `path` whose family is `family`
    (any face if not given)."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() in (".ttc", ".otc"):
        fonts = list(TTCollection(str(path), lazy=True).fonts)
    else:
        fonts = [TTFont(str(path), lazy=True)]
    for i, font in enumerate(fonts):
        name = font["name"]
        fam = str(name.getDebugName(16) or name.getDebugName(1) or "")
        if not family or fam == family:
            full = f"{fam} {name.getDebugName(17) or name.getDebugName(2) or ''}".strip()
            return i, full, heldout.family_names(font)
    raise UnreadableFont(f"no face named {family!r}")


def open_font_writer(source: FontSource, files: list[Path], chars: list[str]) -> FontWriter:
    """Resolve a writer font to its face and per-character file; raises UnreadableFont."""
    from fontTools.ttLib import TTFont

    if not files:
        raise UnreadableFont(f"no font file matching {source.pattern} in package {source.package}")
    try:
        index, face, families = _face_index(files[0], source.family)
        if heldout.refused(source.package, families):
            raise RefusedFont(heldout.REASON)
        char_file: dict[str, int] = {}
        wanted = {ord(ch): ch for ch in chars}
        for pos, path in enumerate(files):
            cmap = TTFont(str(path), fontNumber=index, lazy=True).getBestCmap() or {}
            for cp in wanted.keys() & cmap.keys():
                char_file.setdefault(wanted[cp], pos)
        ImageFont.truetype(str(files[0]), templates.RENDER_PX, index=index)
    except UnreadableFont:
        raise
    except Exception as exc:  # fontTools and FreeType raise many types on broken files
        raise UnreadableFont(f"{files[0]}: {exc}") from exc
    return FontWriter(source, tuple(files), index, face, char_file)


def render_chunk(files: tuple[Path, ...], index: int, items: list[tuple[str, int]], size: int,
                 folder: Path) -> list[str]:
    """Render `items` (character, file position) into `folder`; returns the characters written."""
    fonts: dict[int, ImageFont.FreeTypeFont] = {}
    written = []
    for ch, pos in items:
        if pos not in fonts:
            try:
                fonts[pos] = ImageFont.truetype(str(files[pos]), templates.RENDER_PX, index=index)
            except OSError as exc:
                raise InputError(f"cannot open the font ({exc})", files[pos], "fetch the sources again") from exc
        ink, _ = templates.render_char(fonts[pos], ch)
        glyph = raster.normalize(ink, size)
        if glyph is None:
            continue
        dataset_layout.write_glyph(folder / f"{ch}.png", glyph)
        written.append(ch)
    return written
