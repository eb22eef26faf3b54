"""Where fontgen keeps what it can rebuild: rendered templates and fetched source packages.

    cachepaths.root()         # $FONTGEN_CACHE, else $XDG_CACHE_HOME/fontgen, else ~/.cache/fontgen
    cachepaths.sources_dir()  # fetched packages: <deb|npm>/<name>/ (package_dir)
    cachepaths.strokes_dir()  # hanzi-writer-data's per-character JSON files, or None

One place for the layout, so the font factory (templates, stroke counts) and the dataset builder
(`training/data/sources.py`, which fetches the packages) agree on it.
"""

from __future__ import annotations

import os
from pathlib import Path

from fontgen.errors import InputError

STROKES_PACKAGE = "hanzi-writer-data"


def root() -> Path:
    """The cache folder; InputError if it, or the nearest part of its path that exists, is not a folder."""
    path = Path(os.environ.get("FONTGEN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "fontgen"))
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        problem = "the cache folder is a file" if existing == path else f"a file, in the way of the cache {path}"
        raise InputError(problem, existing, "set FONTGEN_CACHE to a folder (or unset it)")
    return path


def sources_dir() -> Path:
    return root() / "sources"


def package_dir(cache: Path, package: str, manager: str) -> Path:
    """Folder of a fetched package: `<cache>/<deb|npm>/<name, / as __>`; it holds `source.json` once complete."""
    return Path(cache) / manager / package.replace("/", "__")


def strokes_dir(cache: Path | None = None) -> Path | None:
    """hanzi-writer-data's per-character JSON files under `cache` (default `sources_dir()`); None if not fetched."""
    package = package_dir(cache or sources_dir(), STROKES_PACKAGE, "npm")
    return package / "package" if (package / "source.json").exists() else None
