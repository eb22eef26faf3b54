"""Import CASIA-HWDB `.gnt` files (one writer per file) into the dataset layout.

A .gnt file is a run of samples, little-endian:

    uint32 total size (10 + width*height) | 2 bytes GB2312 tag code | uint16 width | uint16 height
    | width*height uint8 gray bitmap (ink dark, 255 = paper)

Writers go to splits by the CASIA-HWDB rule (`SPLIT_RULES`): the number a file's name starts with is
its writer (`1241-c.gnt` → 1241); HWDB1.0 writers 1–336 and HWDB1.1 writers 1001–1240 train, 337–420
and 1241–1300 are the test writers. `auto` applies that rule when every file is numbered inside those
ranges and puts every writer in training otherwise; the manifest records the rule used.

A file that is truncated or not GNT does not lose what came before: its samples up to the bad byte
are converted with all the other files, the dataset is written, and then the error names the file
and the offset (exit code 2):

    import_gnt([Path("1001-c.gnt"), Path("1241-c.gnt")], Path("/work/data/casia64"), size=64)
"""

from __future__ import annotations

import re
import struct
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from fontgen import dataset_layout, raster, templates
from fontgen.errors import InputError
from training.data import sources

HEADER = struct.Struct("<I2sHH")
RECOPY = "re-copy the .gnt file and convert again"
SPLIT_RULES = ("auto", "hwdb", "none")
# (first, last, first test writer) per CASIA-HWDB release: HWDB1.0 and HWDB1.1's standard splits.
HWDB_RANGES = ((1, 420, 337), (1001, 1300, 1241))


class GntError(InputError):
    """A bad sample: `offset` is its first byte; the samples before it were read."""

    def __init__(self, problem: str, path: Path, offset: int):
        super().__init__(problem, path, RECOPY)
        self.offset = offset


def read_gnt(path: Path) -> Iterator[tuple[str, np.ndarray]]:
    """Yield (character, uint8 ink map with 255 = ink) for each sample; GntError names the bad offset."""
    data = Path(path).read_bytes()
    offset = 0
    while offset < len(data):
        if len(data) - offset < HEADER.size:
            raise GntError(f"truncated sample header at byte {offset}", path, offset)
        total, tag, width, height = HEADER.unpack_from(data, offset)
        if total != HEADER.size + width * height or width == 0 or height == 0:
            raise GntError(f"not GNT data at byte {offset}: size {total} does not match a "
                           f"{width}x{height} bitmap", path, offset)
        if offset + total > len(data):
            raise GntError(f"truncated sample at byte {offset}: needs {total} bytes, "
                           f"{len(data) - offset} left", path, offset)
        try:
            ch = tag.decode("gb2312")
        except UnicodeDecodeError:
            raise GntError(f"not GNT data at byte {offset}: tag code {tag.hex()} is not GB2312", path, offset) from None
        gray = np.frombuffer(data, np.uint8, width * height, offset + HEADER.size).reshape(height, width)
        yield ch, 255 - gray
        offset += total


def writer_number(name: str) -> int | None:
    """The writer a CASIA file name starts with (`1241-c` → 1241), or None."""
    found = re.match(r"\d+", name)
    return int(found.group()) if found else None


def hwdb_split(name: str) -> str | None:
    """'train' or 'test' by the HWDB rule, None for a name outside every HWDB writer range."""
    number = writer_number(name)
    for first, last, first_test in HWDB_RANGES:
        if number is not None and first <= number <= last:
            return "test" if number >= first_test else "train"
    return None


def assign_splits(names: list[str], rule: str, files: list[Path]) -> tuple[str, dict[str, str]]:
    """(rule applied, {writer: split}); `auto` is `hwdb` when every name is an HWDB writer, else `none`."""
    if rule not in SPLIT_RULES:
        raise InputError(f"unknown split rule {rule!r}", None, f"use one of {', '.join(SPLIT_RULES)}")
    splits = {name: hwdb_split(name) for name in names}
    if rule == "auto":
        rule = "hwdb" if all(splits.values()) else "none"
    if rule == "none":
        return rule, {name: "train" for name in names}
    for name, path in zip(names, files):
        if splits[name] is None:
            raise InputError("the file name does not start with a CASIA-HWDB writer number (1-420 or 1001-1300)",
                             path, "name it by its writer (e.g. 1241-c.gnt) or pass --split-rule none")
    return rule, splits


def read_writer(path: Path, size: int) -> tuple[dict[str, np.ndarray], GntError | None]:
    """A file's normalized glyphs (the first sample of each character) and the error that stopped it, if any."""
    glyphs: dict[str, np.ndarray] = {}
    try:
        for ch, ink in read_gnt(path):
            if ch not in glyphs:
                norm = raster.normalize(ink, size)
                if norm is not None:
                    glyphs[ch] = norm
    except GntError as exc:
        return glyphs, exc
    return glyphs, None


def import_gnt(files: list[Path], out: Path, size: int = 64, force: bool = False, split_rule: str = "auto") -> dict:
    """Write every file's samples as one writer (named by the file stem) in its split, plus templates.

    Returns the manifest; raises GntError after writing the dataset when a file stopped early."""
    from tqdm import tqdm

    start = time.time()
    files = [Path(f) for f in files]
    stems = [f.stem for f in files]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if dupes:
        raise InputError(f"several files share the writer name {dupes[0]!r}", None,
                         "give each writer's .gnt file a distinct name")
    rule, split_of = assign_splits(stems, split_rule, files)
    writers: dict[str, dict[str, np.ndarray]] = {}
    errors: list[GntError] = []
    for path in tqdm(files, desc="read .gnt", unit="file", disable=None):
        writers[path.stem], error = read_writer(path, size)
        if error:
            errors.append(error)
    found = list(dict.fromkeys(ch for glyphs in writers.values() for ch in glyphs))
    if not found:
        raise errors[0] if errors else InputError("no character with ink in the .gnt files", files[0],
                                                  "check the files are CASIA-HWDB .gnt")
    face = templates.find_face()
    tpl = templates.render(found, size=size, face=face, progress=True)
    if not tpl.chars:
        raise InputError("no character of the .gnt files has a template glyph", files[0],
                         "check the files are CASIA-HWDB .gnt")

    staging = dataset_layout.begin(out, force)
    try:
        dataset_layout.write_templates(staging, tpl.chars, tpl.ink)
        entries = []
        has_template = tpl.index()
        stopped = {e.path: e for e in errors}
        for (name, glyphs), path in zip(writers.items(), files):
            kept = [ch for ch in glyphs if ch in has_template]
            if kept:
                folder = dataset_layout.glyph_path(staging, split_of[name], name, "x").parent
                folder.mkdir(parents=True)
                for ch in kept:
                    dataset_layout.write_glyph(folder / f"{ch}.png", glyphs[ch])
            entry = {"name": name, "split": split_of[name], "kind": "gnt",
                     "source": {"file": str(path.resolve()), "format": "CASIA-HWDB gnt"}, "coverage": len(kept)}
            if path in stopped:
                entry["source"]["stopped_at_byte"] = stopped[path].offset
            entries.append(entry)
        manifest = dataset_layout.manifest(size, "gnt", None, sources.template_record(face), "", entries, [], start)
        manifest["split_rule"] = rule
        dataset_layout.commit(staging, out, manifest)
    except BaseException:
        dataset_layout.abort(staging)
        raise
    if errors:
        first = errors[0]
        kept = len(writers[first.path.stem])
        more = f"; {len(errors) - 1} more file(s) stopped early, see stopped_at_byte in the manifest" if len(errors) > 1 else ""
        raise GntError(f"{first.problem} ({kept} characters before it were converted into {out}{more})",
                       first.path, first.offset)
    return manifest
