"""Training pairs for the super-resolution stage (`training.models.sr`), cached in one .npz.

Two datasets of the same build (same fonts, seed and split; `fontgen data build --size 64` and
`--size 128` with a smaller charset) give, for each *training* writer, the same character at the
generator's size and at the SR size. Held-out writers never enter: only writers in the training
split of both manifests are used, each checked again against the evaluation-only list
(`training.data.heldout`), and the manifest's unseen characters (never GAN targets) are left out.

Each pair stores two low-resolution inputs of one target:
- `real`: the writer's glyph at 64 px, degraded at training time (`degrade`) like generator output;
- `made`: what the shipped generator draws for that character in that writer's style (from 8 of the
  writer's glyphs) at the ink level fitted to them, as make-font feeds the SR stage.
The guides (template and content-font glyphs at the SR size) are rendered by `fontgen.templates`, the
same call make-font uses:

    path = build_pairs(Path("/data/ds128"), Path("/data/ds64"), None, Path("runs/sr/pairs.npz"))
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from fontgen import dataset_layout as layout
from fontgen import templates
from fontgen.errors import InputError
from fontgen.font import inklevel
from fontgen.model import modelfiles
from training.data import heldout

log = logging.getLogger(__name__)
REFS = 8


def _train_writers(hi: dict, lo: dict, hi_root: Path) -> list[str]:
    lo_split = {w["name"]: w["split"] for w in lo["writers"]}
    names = []
    for w in hi["writers"]:
        if w["split"] != "train" or lo_split.get(w["name"]) != "train":
            continue
        source = w.get("source", {})
        if heldout.refused(str(source.get("package", "")), [str(source.get("face", ""))]):
            raise InputError(f"writer {w['name']} is an evaluation-only source", hi_root / layout.MANIFEST,
                             "rebuild the dataset with `fontgen data build` (it refuses such sources)")
        names.append(w["name"])
    return names


def guides(chars: list[str], size: int, content_font: str) -> np.ndarray:
    """uint8 [N, G, size, size]: each character's template glyph and (if named) its content-font glyph,
    normalized as make-font renders them."""
    tpl = templates.render(chars, size=size)
    if tpl.chars != list(chars):
        missing = sorted(set(chars) - set(tpl.chars))[:5]
        raise InputError(f"the template font cannot render {''.join(missing)}", None, "drop these characters")
    if not content_font:
        return tpl.ink[:, None]
    return np.stack([tpl.ink, templates.content_ink(list(chars), tpl.ink, content_font, size)], 1)


def build_pairs(hi_root: Path, lo_root: Path, model: str | Path | None, out: Path, per_writer: int = 600,
                seed: int = 0) -> Path:
    """Write the pair cache `out` (.npz) and return its path; see the module docstring."""
    from fontgen.model import generate

    hi, lo = layout.load_manifest(hi_root), layout.load_manifest(lo_root)
    gen = generate.Generator(model, device="cpu")
    if int(lo["size"]) != gen.size:
        raise InputError(f"the low-resolution dataset is {lo['size']} px, the generator {gen.size} px",
                         lo_root / layout.MANIFEST, "give the dataset the generator was trained on")
    if int(hi["size"]) <= int(lo["size"]) or int(hi["size"]) % int(lo["size"]):
        raise InputError(f"the high-resolution dataset ({hi['size']} px) is not a multiple of {lo['size']} px",
                         hi_root / layout.MANIFEST, "build it with --size 128 (or 256)")
    if hi.get("seed") != lo.get("seed"):
        raise InputError("the two datasets were built with different seeds (different splits)",
                         hi_root / layout.MANIFEST, f"build it with --seed {lo.get('seed')}")
    rng = np.random.default_rng(seed)
    unseen = set(lo.get("unseen_chars", ""))
    names = _train_writers(hi, lo, hi_root)
    size = int(hi["size"])
    chosen: dict[str, list[str]] = {}
    for name in names:
        hi_dir = layout.glyph_path(hi_root, "train", name, "x").parent
        lo_dir = layout.glyph_path(lo_root, "train", name, "x").parent
        have = sorted(p.stem for p in hi_dir.glob("*.png") if len(p.stem) == 1 and p.stem not in unseen
                      and (lo_dir / p.name).is_file())
        if len(have) < REFS + 1:
            continue
        chosen[name] = [have[i] for i in np.sort(rng.choice(len(have), min(per_writer, len(have)), replace=False))]
    if not chosen:
        raise InputError("no training writer has glyphs in both datasets", hi_root, "build both from the same sources")
    chars = sorted({c for cs in chosen.values() for c in cs})
    index = {c: i for i, c in enumerate(chars)}
    guide = guides(chars, size, gen.info.content_font)

    real, made, target, char_idx, writer_idx = [], [], [], [], []
    lo_tpl = templates.render(chars, size=gen.size, margin=gen.info.margin)
    for w, (name, cs) in enumerate(chosen.items()):
        lo_dir = layout.glyph_path(lo_root, "train", name, "x").parent
        hi_dir = layout.glyph_path(hi_root, "train", name, "x").parent
        lows = np.stack([layout.read_glyph(lo_dir / f"{c}.png") for c in cs])
        highs = np.stack([layout.read_glyph(hi_dir / f"{c}.png") for c in cs])
        pick = rng.choice(len(cs), REFS, replace=False)
        style = gen.style(lows[pick])
        inputs = gen.inputs(lo_tpl.ink[[index[c] for c in cs]], cs)
        glyphs = gen.glyphs(style, inputs, progress=False)
        level = inklevel.fit(glyphs[pick], lows[pick])
        real.append(lows)
        made.append(inklevel.adjust(glyphs, level))
        target.append(highs)
        char_idx.append([index[c] for c in cs])
        writer_idx.append(np.full(len(cs), w))
        log.info("%s: %d pairs, ink level %d", name, len(cs), level)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with open(tmp, "wb") as f:
        np.savez(f, chars=np.array("".join(chars)), writers=np.array("\n".join(chosen)), guides=guide,
                 real=np.concatenate(real), made=np.concatenate(made), target=np.concatenate(target),
                 char=np.concatenate(char_idx).astype(np.int32), writer=np.concatenate(writer_idx).astype(np.int32),
                 model_json_sha256=np.array(modelfiles.sha256_file(gen.info.folder / modelfiles.MODEL_JSON)))
    tmp.replace(out)
    return out


class Pairs:
    """The pair cache in memory, with the training-time degradation and guide jitter."""

    def __init__(self, path: Path):
        try:
            with np.load(path, allow_pickle=False) as z:
                self.guides, self.real, self.made = z["guides"], z["real"], z["made"]
                self.target, self.char, self.writer = z["target"], z["char"], z["writer"]
                self.chars = str(z["chars"])
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(f"not an SR pair cache ({exc})", path, "make it with `python -m training.sr_train pairs`")
        self.size = self.target.shape[-1]
        self.low = self.real.shape[-1]

    def __len__(self) -> int:
        return len(self.target)

    def split(self, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(train, validation) pair indices, split by character so validation characters are unseen."""
        n_chars = len(self.chars)
        held = np.random.default_rng([seed, 3]).random(n_chars) < fraction
        val = held[self.char]
        return np.flatnonzero(~val), np.flatnonzero(val)

    def batch(self, idx: np.ndarray, rng: np.random.Generator, made_p: float, blur: float, clot_p: float,
              jitter: float, crop: int = 0, cell: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(low [B,1,s,s], guides [B,G,S,S], target [B,1,S,S]) as float32 in [-1, 1]; with `crop`, one
        random `crop`-pixel square of the output per pair (on the `cell` grid; the network is convolutional,
        so training on crops costs a fraction and the full glyph is run as it is)."""
        lows, guides = [], []
        for i in idx:
            if rng.random() < made_p:
                lows.append(self.made[i])
            else:
                lows.append(degrade(self.real[i], rng, blur, clot_p))
            guides.append(np.stack([jittered(g, rng, jitter) for g in self.guides[self.char[i]]]))
        low, guide, target = np.stack(lows)[:, None], np.stack(guides), self.target[idx][:, None]
        if crop and crop < self.size:
            k = self.size // self.low
            at = rng.integers(0, (self.size - crop) // cell + 1, (len(idx), 2)) * cell
            low = np.stack([x[:, y // k:(y + crop) // k, c // k:(c + crop) // k] for x, (y, c) in zip(low, at)])
            guide = np.stack([x[:, y:y + crop, c:c + crop] for x, (y, c) in zip(guide, at)])
            target = np.stack([x[:, y:y + crop, c:c + crop] for x, (y, c) in zip(target, at)])
        f = lambda a: a.astype(np.float32) / 127.5 - 1.0  # noqa: E731
        return f(low), f(guide), f(target)


def degrade(ink: np.ndarray, rng: np.random.Generator, blur: float, clot_p: float) -> np.ndarray:
    """A real 64 px glyph made to look generated: soft edges (Gaussian blur) and, with probability
    `clot_p`, grey filling its narrow gaps (a blend with its grey-level closing), as a clot."""
    x = ink.astype(np.float32)
    if clot_p and rng.random() < clot_p:
        k = int(rng.integers(2, 4))
        closed = cv2.morphologyEx(x, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
        x = x + float(rng.uniform(0.3, 0.8)) * (closed - x)
    sigma = float(rng.uniform(0.0, blur))
    if sigma > 0.05:
        x = cv2.GaussianBlur(x, (0, 0), sigma)
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def jittered(ink: np.ndarray, rng: np.random.Generator, jitter: float) -> np.ndarray:
    """A guide moved by up to `jitter` of its side, scaled by up to ±2 jitter and turned up to 3°: the
    generated glyph, not the template, decides where strokes are."""
    if jitter <= 0:
        return ink
    s = ink.shape[-1]
    angle = float(rng.uniform(-3, 3))
    scale = 1.0 + float(rng.uniform(-2, 2)) * jitter
    m = cv2.getRotationMatrix2D((s / 2, s / 2), angle, scale)
    m[:, 2] += rng.uniform(-jitter, jitter, 2) * s
    return cv2.warpAffine(ink, m, (s, s), flags=cv2.INTER_LINEAR, borderValue=0)
