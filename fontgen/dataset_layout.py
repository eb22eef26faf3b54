"""The on-disk dataset layout shared by the builder and the CASIA importer (the trainer reads it).

    DIR/manifest.json
    DIR/script/<writer>/<char>.png   training writers
    DIR/test/<writer>/<char>.png     held-out writers
    DIR/template/<char>.png          content-font templates

Every PNG is an 8-bit grayscale S×S normalized glyph, black ink on white (255 - ink map), named by
the character itself. A dataset is written into `DIR.tmp` and renamed into place when complete, so
a crash never leaves a half-built DIR.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np

from fontgen import outfiles, raster
from fontgen.errors import InputError

FORMAT = 1
SPLIT_DIRS = {"train": "script", "test": "test"}
TEMPLATE_DIR = "template"
MANIFEST = "manifest.json"


def glyph_path(root: Path, split: str, writer: str, ch: str) -> Path:
    return Path(root) / SPLIT_DIRS[split] / writer / f"{ch}.png"


def write_glyph(path: Path, ink: np.ndarray) -> None:
    """Save a normalized uint8 ink map (255 = ink) as black-on-white 8-bit grayscale PNG."""
    if not cv2.imwrite(str(path), 255 - ink):
        raise OSError(f"could not write {path}")


def read_glyph(path: Path) -> np.ndarray:
    """A dataset PNG back as a uint8 ink map (255 = ink)."""
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise InputError("not a readable PNG image", path, "rebuild the dataset")
    return 255 - img


def begin(out: Path, force: bool) -> Path:
    """Check `out` may be written and return a fresh `out.tmp` staging folder next to it."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise InputError("output folder exists and is not empty", out, "choose another --out or pass --force")
    staging = out.with_name(out.name + ".tmp")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def manifest(size: int, charset: str, seed: int | None, template: dict, unseen_chars: str,
             writers: list[dict], skipped: list[dict], started: float) -> dict:
    """The manifest.json of a finished build (format, geometry, writers, build time)."""
    return {
        "format": FORMAT, "size": size, "margin": raster.default_margin(size), "charset": charset,
        "seed": seed, "template": template, "unseen_chars": unseen_chars,
        "writers": writers, "skipped": skipped,
        "build": {"seconds": round(time.time() - started, 1),
                  "created": datetime.now(timezone.utc).isoformat(timespec="seconds")},
    }


def commit(staging: Path, out: Path, manifest: dict) -> None:
    """Write the manifest last, then swap the staging folder into place."""
    outfiles.write_atomic(staging / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"),
                          force=False)
    if out.exists() and not out.is_dir():
        out.unlink()
    outfiles.replace_folder(staging, out)


def abort(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def load_manifest(root: Path) -> dict:
    path = Path(root) / MANIFEST
    if not path.exists():
        raise InputError("no manifest.json: not a fontgen dataset", root, "build one with `fontgen data build`")
    manifest = parse_manifest(path)
    if manifest.get("format") != FORMAT:
        raise InputError(f"dataset format {manifest.get('format')!r} is not {FORMAT}", path, "rebuild the dataset")
    return manifest


def parse_manifest(path: Path) -> dict:
    """A manifest.json read and checked for what every reader relies on (size, writers with name and
    split), so a damaged one is one line naming it rather than a traceback wherever a field is used."""
    fix = "rebuild the dataset with `fontgen data build`"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError("the manifest is not UTF-8 text", path, fix)
    except json.JSONDecodeError as exc:
        raise InputError(f"the manifest is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                         path, fix)
    except OSError as exc:
        raise InputError(f"cannot read the manifest ({exc.strerror})", path, fix)
    if not isinstance(manifest, dict):
        raise InputError(f"the manifest holds a JSON {type(manifest).__name__}, not an object", path, fix)
    size = manifest.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise InputError(f"the manifest's size is {size!r}, not a glyph size in pixels", path, fix)
    writers = manifest.get("writers")
    if not isinstance(writers, list) or not all(
            isinstance(w, dict) and isinstance(w.get("name"), str) and isinstance(w.get("split"), str) for w in writers):
        raise InputError("the manifest's writers are not a list of {name, split} records", path, fix)
    if not isinstance(manifest.get("unseen_chars", ""), str):
        raise InputError("the manifest's unseen_chars is not a string of characters", path, fix)
    return manifest


def write_templates(staging: Path, chars: list[str], ink: np.ndarray) -> None:
    folder = staging / TEMPLATE_DIR
    folder.mkdir(exist_ok=True)
    for ch, glyph in zip(chars, ink):
        write_glyph(folder / f"{ch}.png", glyph)

