"""Find, describe and verify an exported model folder (`style.onnx`, `glyph.onnx`, `model.json`).

`export/` writes the folder; `generate` reads it. Every graph's sha256 is recorded in `model.json` and
checked here at load, so a truncated download or an edited file fails with a clear error instead of
producing garbage glyphs:

    info = modelfiles.load()          # the default model shipped in fontgen/assets/default/
    info.size, info.margin            # raster geometry the model was trained at
    info.graph("glyph")               # verified path of glyph.onnx
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from fontgen import outfiles
from fontgen.errors import InputError

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "assets" / "default"  # fontgen/assets, shipped as package data
MODEL_JSON = "model.json"
FORMAT_VERSION = 1
REQUIRED_GRAPHS = ("style", "glyph")
REEXPORT = "re-export it with `fontgen export --checkpoint CKPT --out DIR` or reinstall fontgen for the default model"


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelInfo:
    """The parsed `model.json` of a model folder whose graphs have been verified."""

    folder: Path
    size: int
    margin: int
    style_names: tuple[str, ...]
    charset: str
    graphs: dict[str, str]  # graph name -> file name inside `folder`
    meta: dict = field(repr=False)
    content_font: str = ""  # family of the second template channel's font; "" = one channel

    def graph(self, name: str) -> Path:
        """Path of a verified graph (`style`, `glyph` or `critic`)."""
        if name not in self.graphs:
            raise InputError(f"the model has no {name} graph", self.folder / MODEL_JSON, REEXPORT)
        return self.folder / self.graphs[name]


def resolve_dir(folder: str | Path | None) -> Path:
    """The model folder to use: the given one, else the default shipped in the package."""
    return DEFAULT_DIR if folder is None else Path(folder)


def read_json(folder: Path) -> dict:
    """`model.json` of a model folder, with a precise error when it is missing or unreadable."""
    path = folder / MODEL_JSON
    if not folder.is_dir():
        raise InputError("model folder not found", folder, "pass --model with a folder made by `fontgen export`")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("model.json is missing", path, REEXPORT)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"model.json is not valid JSON ({exc})", path, REEXPORT)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        raise InputError(f"model.json is not a fontgen model description (format {FORMAT_VERSION})", path, REEXPORT)
    return meta


def verify_graph(folder: Path, name: str, entry: dict) -> str:
    """Check one graph file against its recorded sha256; returns its file name."""
    try:
        file, expected = entry["file"], entry["sha256"]
    except (TypeError, KeyError):
        raise InputError(f"model.json lacks the file or sha256 of the {name} graph", folder / MODEL_JSON, REEXPORT)
    path = folder / str(file)
    if folder.resolve() not in path.resolve().parents:
        raise InputError(f"model.json names a {name} graph outside the model folder ({file!r})", folder / MODEL_JSON,
                         "keep every graph inside the model folder; " + REEXPORT)
    if not path.is_file():
        raise InputError(f"{name} graph is missing", path, REEXPORT)
    if sha256_file(path) != expected:
        raise InputError(f"{name} graph is corrupt (sha256 does not match model.json)", path, REEXPORT)
    return file


def load(folder: str | Path | None = None) -> ModelInfo:
    """Read and verify a model folder (default: the shipped one); raises InputError naming the bad file."""
    folder = resolve_dir(folder)
    meta = read_json(folder)
    entries = meta.get("graphs") or {}
    if not isinstance(entries, dict):
        raise InputError("model.json's graphs is not a table of graph files", folder / MODEL_JSON, REEXPORT)
    for name in REQUIRED_GRAPHS:
        if name not in entries:
            raise InputError(f"model.json lists no {name} graph", folder / MODEL_JSON, REEXPORT)
    graphs = {name: verify_graph(folder, name, entry) for name, entry in entries.items()}
    try:
        info = ModelInfo(
            folder=folder,
            size=int(meta["image_size"]),
            margin=int(meta["margin"]),
            style_names=tuple(meta["style_outputs"]),
            charset=str(meta.get("charset", "")),
            graphs=graphs,
            meta=meta,
            content_font=str(meta.get("content_font", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"model.json lacks a valid field ({exc})", folder / MODEL_JSON, REEXPORT)
    if not (8 <= info.size <= 4096 and 0 <= info.margin < info.size // 2 and info.style_names
            and all(isinstance(n, str) for n in info.style_names)):
        raise InputError("model.json's image_size, margin or style_outputs are out of range", folder / MODEL_JSON,
                         REEXPORT)
    return info


def writer_identity(writer: dict) -> dict:
    """What identifies a dataset writer (a manifest entry) across datasets: its name and kind, and for a
    font the package and face it was drawn from."""
    source = writer.get("source", {})
    out = {"name": writer["name"], "kind": writer.get("kind", "")}
    if writer.get("kind") == "font":
        out |= {"package": source.get("package", ""), "face": source.get("face", "")}
    return out


def trained_on(info: ModelInfo, writers: list[dict]) -> set[str] | None:
    """Names of `writers` (manifest entries) the model was trained on, by name or by font (package and
    face); None when its model.json does not list its training writers (models exported before it did)."""
    listed = info.meta.get("dataset", {}).get("train_writers")
    if listed is None:
        return None

    def font(w: dict) -> tuple[str, str] | None:
        key = (w.get("package", ""), w.get("face", ""))
        return key if w.get("kind") == "font" and all(key) else None

    names = {w["name"] for w in listed}
    fonts = {font(w) for w in listed} - {None}
    return {w["name"] for w in writers if w["name"] in names or font(writer_identity(w)) in fonts}


def record_metrics(folder: str | Path, metrics: dict) -> Path:
    """Write measured metrics into a model folder's model.json (atomically); graphs stay untouched."""
    folder = Path(folder)
    meta = read_json(folder)
    meta["metrics"] = metrics
    return outfiles.write_atomic(folder / MODEL_JSON, json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"),
                                 force=True)
