"""Evaluation-only sources: fonts that must never enter a training dataset.

`heldout_sha256.txt` lists SHA-256 hashes (hex, of the UTF-8 text) of package names and of family
names (name ID 1 or 16, lower-cased, stripped). Only hashes are kept, so nobody tuning the model can
look at the held-out hands by name. The builder asks `refused` about every font source before it
renders a glyph, and records each refusal in the manifest (without the name that matched).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

LIST = Path(__file__).with_name("heldout_sha256.txt")
REASON = "evaluation-only source (its hash is in training/data/heldout_sha256.txt)"


@functools.lru_cache(maxsize=None)
def hashes(path: Path = LIST) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(s.strip().lower() for s in lines if s.strip() and not s.lstrip().startswith("#"))


def digest(name: str) -> str:
    return hashlib.sha256(name.strip().lower().encode("utf-8")).hexdigest()


def refused(package: str, families: list[str], path: Path | None = None) -> bool:
    """Whether a source whose package is `package` and whose faces carry `families` is evaluation-only."""
    listed = hashes(path or LIST)
    return any(digest(n) in listed for n in [package, *families] if n and n.strip())


def family_names(font) -> list[str]:
    """Name IDs 1 and 16 of a fontTools TTFont, every platform's record."""
    return sorted({str(rec.toUnicode()) for rec in font["name"].names if rec.nameID in (1, 16)})


def digest_file(path: Path | None = None) -> str:
    """The list's own SHA-256, recorded in each manifest so a dataset says which list it was checked against."""
    return hashlib.sha256((path or LIST).read_bytes()).hexdigest()
