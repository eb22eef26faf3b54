"""Glyph datasets: pack a PNG dataset folder into memory-mapped uint8 arrays, and sample batches.

Layout read (see DESIGN.md): DIR/manifest.json, DIR/script/<writer>/<char>.png (training writers),
DIR/test/<writer>/<char>.png (held-out writers), DIR/template/<char>.png — black ink on white,
already normalized. On first use each split is packed once into DIR/cache/:

    <split>.npy        uint8 ink [N, S, S] (255 = ink), memory-mapped
    <split>-index.npz  writer_id [N], char_id [N] (int32; ids into the json's writers / charset)
    <split>.json       writers, charset, file count (a stale cache is rebuilt)

Sampling happens in the main process from the memory maps with a numpy Generator whose state goes
into checkpoints, so a resumed run draws the same batches.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from fontgen import dataset_layout, raster
from fontgen.errors import InputError
from fontgen.raster import to_model
from training import augment as augmentation

SPLITS = {"train": "script", "test": "test", "template": "template"}
CACHE_VERSION = 1


def read_manifest(root: Path) -> dict:
    path = root / "manifest.json"
    if not path.is_file():
        raise InputError("not a dataset folder (no manifest.json)", root,
                         "build one with the dataset builder, or point --data at its folder")
    return dataset_layout.parse_manifest(path)


def check(root: str | Path, splits: tuple[str, ...] = ("train", "template")) -> None:
    """Refuse a folder that is not a dataset with these splits, in moments: before a run starts."""
    root = Path(root)
    read_manifest(root)
    for split in splits:
        folder = root / SPLITS[split]
        if not folder.is_dir() or next(folder.iterdir(), None) is None:
            raise InputError(f"the dataset has no '{split}' glyphs", folder, "rebuild the dataset")


def _list_split(root: Path, split: str) -> list[tuple[str, str, Path]]:
    """(writer, char, path) for every PNG of a split; templates have writer ''."""
    base = root / SPLITS[split]
    if not base.is_dir():
        return []
    if split == "template":
        return [("", p.stem, p) for p in sorted(base.glob("*.png")) if len(p.stem) == 1]
    items = []
    for wdir in sorted(d for d in base.iterdir() if d.is_dir()):
        items += [(wdir.name, p.stem, p) for p in sorted(wdir.glob("*.png")) if len(p.stem) == 1]
    return items


def dataset_charset(root: Path) -> str:
    """Every character of the templates and the training writers, sorted by code point."""
    chars = {c for _, c, _ in _list_split(root, "template")} | {c for _, c, _ in _list_split(root, "train")}
    return "".join(sorted(chars))


@dataclass
class GlyphSet:
    """One packed split: ink [N, S, S] uint8 plus per-glyph writer and char ids."""

    ink: np.ndarray
    writer_id: np.ndarray
    char_id: np.ndarray
    writers: list[str]
    charset: str

    def __len__(self) -> int:
        return len(self.ink)


def _pack(items, size: int, charset: str, writers: list[str], npy: Path) -> tuple[np.ndarray, np.ndarray]:
    index = {c: i for i, c in enumerate(charset)}
    wid = {w: i for i, w in enumerate(writers)}
    tmp = npy.with_suffix(".tmp.npy")
    ink = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(items), size, size))
    writer_id = np.empty(len(items), np.int32)
    char_id = np.empty(len(items), np.int32)
    for i, (w, c, path) in enumerate(tqdm(items, desc=f"packing {npy.stem}", unit="glyph", disable=None)):
        img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if img is None or img.shape != (size, size):
            raise InputError(f"glyph image is unreadable or not {size}×{size}", path, "rebuild the dataset")
        ink[i] = 255 - img
        writer_id[i] = wid.get(w, -1)
        char_id[i] = index.get(c, -1)
    ink.flush()
    del ink
    os.replace(tmp, npy)
    return writer_id, char_id


def load_split(root: str | Path, split: str) -> GlyphSet:
    """Pack `split` (train | test | template) into DIR/cache on first use; memory-map it after."""
    root = Path(root)
    manifest = read_manifest(root)
    size = int(manifest["size"])
    items = _list_split(root, split)
    if not items:
        raise InputError(f"the dataset has no '{split}' glyphs", root / SPLITS[split], "rebuild the dataset")
    charset = dataset_charset(root)
    writers = sorted({w for w, _, _ in items})
    stamp = {"version": CACHE_VERSION, "size": size, "files": len(items), "charset": charset, "writers": writers}
    cache = root / "cache"
    meta, npy, idx = cache / f"{split}.json", cache / f"{split}.npy", cache / f"{split}-index.npz"
    if not (meta.is_file() and npy.is_file() and idx.is_file()
            and json.loads(meta.read_text(encoding="utf-8")) == stamp):
        cache.mkdir(exist_ok=True)
        writer_id, char_id = _pack(items, size, charset, writers, npy)
        tmp = idx.with_suffix(".tmp.npz")
        np.savez(tmp, writer_id=writer_id, char_id=char_id)
        os.replace(tmp, idx)
        tmp = meta.with_suffix(".tmp")
        tmp.write_text(json.dumps(stamp, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, meta)
    with np.load(idx) as z:
        writer_id, char_id = z["writer_id"], z["char_id"]
    return GlyphSet(np.load(npy, mmap_mode="r"), writer_id, char_id, writers, charset)


@dataclass
class GanBatch:
    refs: np.ndarray       # float32 [B, R, S, S]
    templates: np.ndarray  # float32 [B, C, S, S]: template font, then content font (if any)
    targets: np.ndarray    # float32 [B, 1, S, S]
    writer_id: np.ndarray  # int64 [B]
    char_id: np.ndarray    # int64 [B] (dataset charset ids)


class GanSampler:
    """Draws (references, template, target) batches: B/2 writers × 2 samples each, so every writer
    embedding has a positive for the contrastive loss. Targets and references never use
    `unseen` characters; references are other characters of the target's writer. `content` (uint8
    [N, S, S], aligned with `templates`) is the content font's glyph, the second template channel.
    `augmenter` (training/augment.py) changes each drawn writer's references and targets with one
    draw per writer per batch; `eligible` (bool per writer id) says which writers it may touch.
    `full_ink` scales every drawn glyph to full ink first (`raster.full_ink`): make-font's references
    are always stretched so, and the synthetic pens' grey ink (0.78-1.0) would otherwise teach the
    model that a thin pen is drawn grey."""

    def __init__(self, train: GlyphSet, templates: GlyphSet, unseen: str, refs_min: int, refs_max: int,
                 batch: int, writers_per_batch: int = 0, seed: int = 0, content: np.ndarray | None = None,
                 augmenter: augmentation.Augmenter | None = None, eligible: np.ndarray | None = None,
                 full_ink: bool = False):
        self.train, self.refs_min, self.refs_max, self.batch = train, refs_min, refs_max, batch
        self.full_ink = full_ink
        self.writers_per_batch = writers_per_batch or max(1, batch // 2)
        self.template_of = np.full(len(train.charset), -1, np.int64)
        self.template_of[templates.char_id] = np.arange(len(templates))
        banned = np.array([c in set(unseen) for c in train.charset] + [True])   # index -1 → banned
        ok = ~banned[train.char_id] & (train.char_id >= 0)
        ok &= self.template_of[train.char_id] >= 0
        order = np.argsort(train.writer_id, kind="stable")
        self.by_writer = [idx for idx in np.split(order, np.cumsum(np.bincount(train.writer_id))[:-1])]
        self.by_writer = [idx[ok[idx]] for idx in self.by_writer]
        self.writers = np.array([w for w, idx in enumerate(self.by_writer) if len(idx) > refs_max])
        if len(self.writers) == 0:
            raise InputError(f"no training writer has more than {refs_max} usable glyphs",
                             None, "lower data.refs_max or add glyphs")
        self.template_ink = np.array(templates.ink)
        if content is not None:
            self.template_ink = np.stack([self.template_ink, content], 1)  # [N, 2, S, S]
        self.rng = np.random.default_rng(seed)
        self.augmenter = augmenter if augmenter is not None and augmenter.active else None
        self.eligible = np.ones(len(train.writers), bool) if eligible is None else np.asarray(eligible, bool)

    def _augment(self, glyphs: np.ndarray, writer_id: np.ndarray) -> np.ndarray:
        """glyphs uint8 [B, R+1, S, S] (target, then references): one draw per distinct writer, so a
        writer's rows (its contrastive positives) and its references and target change alike."""
        out = np.array(glyphs)
        for w in np.unique(writer_id):
            params = self.augmenter.draw(self.rng) if self.eligible[w] else None
            if params is not None:
                rows = np.flatnonzero(writer_id == w)
                out[rows] = augmentation.apply(out[rows].reshape(-1, *out.shape[2:]), params).reshape(out[rows].shape)
        return out

    def sample(self) -> GanBatch:
        rng, ink = self.rng, self.train.ink
        r = int(rng.integers(self.refs_min, self.refs_max + 1))
        writers = rng.choice(self.writers, self.writers_per_batch, replace=len(self.writers) < self.writers_per_batch)
        picks = []
        for i in range(self.batch):
            pool = self.by_writer[writers[i % len(writers)]]
            picks.append(pool[rng.choice(len(pool), r + 1, replace=False)])
        picks = np.stack(picks)                                  # [B, R+1]: target, then references
        char_id = self.train.char_id[picks[:, 0]].astype(np.int64)
        writer_id = self.train.writer_id[picks[:, 0]].astype(np.int64)
        size = ink.shape[1:]
        glyphs = ink[picks.ravel()].reshape(self.batch, r + 1, *size)
        if self.full_ink:
            glyphs = raster.full_ink(glyphs)
        if self.augmenter is not None:
            glyphs = self._augment(glyphs, writer_id)
        return GanBatch(
            refs=to_model(glyphs[:, 1:].reshape(-1, *size)).reshape(self.batch, r, *size),
            templates=to_model(self.template_ink[self.template_of[char_id]].reshape(self.batch, -1, *size)),
            targets=to_model(glyphs[:, 0])[:, None],
            writer_id=writer_id,
            char_id=char_id,
        )


class CharSampler:
    """Uniform glyphs with their char ids from one or more glyph sets (the OCR critic's data)."""

    def __init__(self, sets: list[GlyphSet], batch: int, seed: int = 0):
        self.sets = [s for s in sets if len(s)]
        self.offsets = np.cumsum([0] + [len(s) for s in self.sets])
        self.batch = batch
        self.rng = np.random.default_rng(seed)

    def sample(self) -> tuple[np.ndarray, np.ndarray]:
        """(glyphs float32 [B, 1, S, S], char ids int64 [B])."""
        picks = np.sort(self.rng.integers(0, self.offsets[-1], self.batch))
        which = np.searchsorted(self.offsets, picks, side="right") - 1
        ink = np.stack([self.sets[w].ink[p - self.offsets[w]] for w, p in zip(which, picks)])
        ids = np.array([self.sets[w].char_id[p - self.offsets[w]] for w, p in zip(which, picks)], np.int64)
        return to_model(ink)[:, None], ids
