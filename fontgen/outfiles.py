"""Output files that are either complete or absent: checked before the work, written atomically after.

    check_output(out, force, suffixes=(".otf",))   # before a long job: fail fast on a bad path
    write_atomic(out, data, force)                 # temp file in the same folder, then os.replace
    replace_folder(staging, out)                   # a finished folder swapped onto `out` in one rename
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from fontgen.errors import InputError


def check_output(path: str | Path, force: bool, suffixes: tuple[str, ...] = ()) -> Path:
    """Raise InputError unless `path` can be written: right suffix, folder exists, no clobbering."""
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise InputError(f"output must end in {' or '.join(suffixes)}", path,
                         f"name the file e.g. MyHand{suffixes[0]}")
    if not path.parent.is_dir():
        raise InputError("the output folder does not exist", path, f"create {path.parent} first")
    if path.is_dir():
        raise InputError("the output is a folder", path, "give a file name")
    if path.exists() and not force:
        raise InputError("the output exists", path, "pass --force to overwrite it, or choose another name")
    return path


def write_atomic(path: str | Path, data: bytes, force: bool) -> Path:
    """Write `data` to a temp file beside `path` and rename it into place; never a half-written file."""
    path = check_output(path, force)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def replace_folder(staging: Path, out: Path) -> None:
    """Rename a finished folder onto `out`; an existing `out` (the caller checked --force) goes after."""
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        os.replace(out, old / out.name)
        os.replace(staging, out)
        shutil.rmtree(old)
    else:
        os.replace(staging, out)
