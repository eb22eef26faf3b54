"""Import CASIA-HWDB `.gnt` files (one writer per file) into the dataset layout.

A .gnt file is a run of samples, little-endian:

    uint32 total size (10 + width*height) | 2 bytes GB2312 tag code | uint16 width | uint16 height
    | width*height uint8 gray bitmap (ink dark, 255 = paper)

Every file is parsed completely before anything is written, so a corrupt or truncated file stops
the import with its byte offset and leaves no output behind:

    import_gnt([Path("001-f.gnt")], Path("/work/data/casia64"), size=64)
"""

from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from fontgen import raster, templates
from fontgen.errors import InputError
from training.data import layout

HEADER = struct.Struct("<I2sHH")


def read_gnt(path: Path) -> Iterator[tuple[str, np.ndarray]]:
    """Yield (character, uint8 ink map with 255 = ink) for each sample; InputError names the bad offset."""
    data = Path(path).read_bytes()
    offset = 0
    while offset < len(data):
        if len(data) - offset < HEADER.size:
            raise InputError(f"truncated sample header at byte {offset}", path, "re-copy the .gnt file")
        total, tag, width, height = HEADER.unpack_from(data, offset)
        if total != HEADER.size + width * height or width == 0 or height == 0:
            raise InputError(f"corrupt sample at byte {offset}: size {total} does not match "
                             f"{width}x{height} bitmap", path, "re-copy the .gnt file")
        if offset + total > len(data):
            raise InputError(f"truncated sample at byte {offset}: needs {total} bytes, "
                             f"{len(data) - offset} left", path, "re-copy the .gnt file")
        try:
            ch = tag.decode("gb2312")
        except UnicodeDecodeError:
            raise InputError(f"corrupt sample at byte {offset}: tag code {tag.hex()} is not GB2312",
                             path, "re-copy the .gnt file") from None
        gray = np.frombuffer(data, np.uint8, width * height, offset + HEADER.size).reshape(height, width)
        yield ch, 255 - gray
        offset += total


def import_gnt(files: list[Path], out: Path, size: int = 64, force: bool = False) -> dict:
    """Write every file's samples as one training writer (named by the file stem) plus templates."""
    from tqdm import tqdm

    start = time.time()
    stems = [Path(f).stem for f in files]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if dupes:
        raise InputError(f"several files share the writer name {dupes[0]!r}", None,
                         "give each writer's .gnt file a distinct name")
    writers: dict[str, dict[str, np.ndarray]] = {}
    for path in tqdm(files, desc="read .gnt", unit="file", disable=None):
        glyphs: dict[str, np.ndarray] = {}
        for ch, ink in read_gnt(path):
            if ch in glyphs:
                continue  # a repeated sample of the same character: keep the first
            norm = raster.normalize(ink, size)
            if norm is not None:
                glyphs[ch] = norm
        writers[Path(path).stem] = glyphs
    found = list(dict.fromkeys(ch for glyphs in writers.values() for ch in glyphs))
    face = templates.find_face()
    tpl = templates.render(found, size=size, face=face, progress=True)
    if not tpl.chars:
        raise InputError("no character with ink in the .gnt files", files[0], "check the files are CASIA-HWDB .gnt")

    staging = layout.begin(out, force)
    try:
        layout.write_templates(staging, tpl.chars, tpl.ink)
        entries = []
        has_template = tpl.index()
        for (name, glyphs), path in zip(writers.items(), files):
            folder = layout.glyph_path(staging, "train", name, "x").parent
            folder.mkdir(parents=True)
            kept = [ch for ch in glyphs if ch in has_template]
            for ch in kept:
                layout.write_glyph(folder / f"{ch}.png", glyphs[ch])
            entries.append({"name": name, "split": "train", "kind": "gnt",
                            "source": {"file": str(Path(path).resolve()), "format": "CASIA-HWDB gnt"},
                            "coverage": len(kept)})
        manifest = layout.manifest(size, "gnt", None, layout.template_record(face), "", entries, [], start)
        layout.commit(staging, out, manifest)
    except BaseException:
        layout.abort(staging)
        raise
    return manifest
