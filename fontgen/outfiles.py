"""Output files that are either complete or absent: checked before the work, written together after.

One transaction for every command that writes files (make-font, build-font, preview):

    out, ttf = check_outputs([(out, (".otf",), 16 << 20), (ttf, (".ttf",), 16 << 20)], force)  # fail in seconds
    ...                                            # the long work
    write_all({out: otf_bytes, ttf: ttf_bytes}, force)  # temp files beside the targets, renamed together
    write_all({out: otf_bytes}, force, folders={web: {"a.css": css, ...}})  # a folder in the same transaction

    write_atomic(out, data, force)                 # the one-file case
    with staged_folder(out) as tmp:                # a folder: filled beside `out`, swapped on in one rename
        ...
    replace_folder(staging, out)                   # a finished folder swapped onto `out` in one rename

If any output cannot be written (a full disk, a folder gone read-only) no target changes and no temp
file is left: the error names the file and the fix.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from fontgen.errors import InputError

MB = 1 << 20


def check_output(path: str | Path, force: bool, suffixes: tuple[str, ...] = (), room: int = 0) -> Path:
    """Raise InputError unless `path` can be written: right suffix, folder exists and takes a file,
    no clobbering without `force`, and (with `room`) that many bytes free on its disk."""
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
    _probe(path)
    if room:
        _check_room({path: room})
    return path


def check_outputs(targets, force: bool) -> list[Path | None]:
    """`check_output` for each (path, suffixes, room) of one transaction (a None path is skipped and
    returned as None); also refuses one file named twice and sums the room asked of each disk."""
    checked = [None if path is None else check_output(path, force, suffixes) for path, suffixes, _ in targets]
    seen: dict[Path, Path] = {}
    for path in filter(None, checked):
        key = path.resolve()
        if key in seen:
            raise InputError("the same file is given for two outputs", path, "give each output its own name")
        seen[key] = path
    _check_room({path: room for path, (_, _, room) in zip(checked, targets) if path is not None and room})
    return checked


def check_folder(path: str | Path, force: bool, room: int = 0) -> Path:
    """Raise InputError unless folder `path` can be written whole: its parent exists and takes files, it is
    not a file, an existing non-empty folder only with `force`, and (with `room`) that many bytes free."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError("the folder it goes in does not exist", path, f"create {path.parent} first")
    if path.exists() and not path.is_dir():
        raise InputError("the output folder is a file", path, "give a folder name, or remove the file")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise InputError("the output folder exists and is not empty", path,
                         "pass --force to replace it, or choose another name")
    _probe(path)
    if room:
        _check_room({path: room})
    return path


def write_atomic(path: str | Path, data: bytes, force: bool) -> Path:
    """Write `data` to a temp file beside `path` and rename it into place; never a half-written file."""
    return write_all({Path(path): data}, force)[0]


def write_all(files: dict[Path, bytes], force: bool, folders: dict[Path, dict[str, bytes]] | None = None) -> list[Path]:
    """Write every file or none: each goes to a temp file beside its target first, then all are renamed
    into place; on any failure every temp file is removed and targets already replaced are put back.
    `folders` (folder → {file name: bytes}) join the same transaction: each is filled in a temp folder
    beside it and renamed into place with the files (an existing folder is replaced whole)."""
    folders = folders or {}
    paths = [check_output(path, force) for path in files]  # again: time has passed since the first check
    dirs = [check_folder(path, force) for path in folders]
    staged: dict[Path, Path] = {}
    current = None  # the output being staged, for the error
    try:
        for current, data in zip(paths, files.values()):
            staged[current] = _stage(current, data)
        for current, contents in zip(dirs, folders.values()):
            staged[current] = _stage_folder(current, contents)
        current = None
        _commit(staged)
    except OSError as exc:
        problem = "no space left on the disk" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "cannot write it"
        raise InputError(f"{problem} ({exc.strerror or exc}); nothing was written", current or (paths + dirs)[0],
                         "free some space or choose another folder, then run again") from exc
    finally:
        for tmp in staged.values():
            _remove(tmp)
    return paths + dirs


def _stage_folder(path: Path, contents: dict[str, bytes]) -> Path:
    """A new temp folder beside `path` holding `contents`, each file flushed to disk."""
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        for name, data in contents.items():
            with open(tmp / name, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp / name, 0o644)
        os.chmod(tmp, 0o755)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _stage(path: Path, data: bytes) -> Path:
    """`data` in a new temp file in `path`'s folder (same disk, so the rename is atomic), flushed to disk."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _commit(staged: dict[Path, Path]) -> None:
    """Rename each temp file (or folder) onto its target; if one rename fails, undo the ones before it."""
    done: list[tuple[Path, Path | None]] = []  # (target, what it replaced: a link to the file, the old folder)
    try:
        for path, tmp in staged.items():
            done.append((path, _keep(path) if path.exists() else None))
            os.replace(tmp, path)
    except BaseException:
        for path, old in reversed(done):
            _remove(path)  # the new output, or (its rename failed) the old file that `old` also holds
            if old is not None:
                os.replace(old, path)
        raise
    finally:
        for _, old in done:
            if old is not None:
                _remove(old)


def _keep(path: Path) -> Path:
    """A second name for the file at `path` (a hard link, else a copy), to put it back if the commit fails;
    a folder is moved aside instead (a folder cannot be renamed onto a non-empty one)."""
    old = path.with_name(f".{path.name}.{secrets.token_hex(4)}.old")
    if path.is_dir() and not path.is_symlink():
        os.replace(path, old)
        return old
    try:
        os.link(path, old)
    except OSError:
        shutil.copy2(path, old)
    return old


def _probe(path: Path) -> None:
    """Create and delete a file beside `path`: the one test of writability that holds for root too."""
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".probe")
    except OSError as exc:
        raise InputError(f"cannot write in the output folder ({exc.strerror or exc})", path,
                         "choose a folder you can write to, or make this one writable") from None
    os.close(fd)
    os.unlink(name)


def _check_room(needs: dict[Path, int]) -> None:
    """Refuse when a disk has less free space than the outputs on it are estimated to take."""
    by_disk: dict[int, tuple[Path, int]] = {}
    for path, need in needs.items():
        disk = os.stat(path.parent).st_dev
        first, total = by_disk.get(disk, (path, 0))
        by_disk[disk] = (first, total + need)
    for path, need in by_disk.values():
        free = shutil.disk_usage(path.parent).free
        if free < need:
            raise InputError(f"not enough free space: {free / MB:.1f} MB free, about {need / MB:.0f} MB needed",
                             path, "free some space or choose another folder")


def replace_folder(staging: Path, out: Path) -> None:
    """Rename a finished folder onto `out`; an existing `out` (the caller checked --force) goes after."""
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        os.replace(out, old / out.name)
        os.replace(staging, out)
        shutil.rmtree(old)
    else:
        os.replace(staging, out)


@contextmanager
def staged_folder(out: Path):
    """A new temp folder beside `out` to fill; when the block ends it replaces `out` in one rename, and
    when the block raises it is removed, so `out` is either as it was or complete."""
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield staging
        os.chmod(staging, 0o755)
        replace_folder(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
