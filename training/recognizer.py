"""The seed protocol's recognizer: DenseNet-121 (torchvision, no pretrained weights) with a 1-channel
first convolution, 3,755 classes (GB2312 level 1), trained on a dataset's training writers.

The seed measures a generator's recognizable accuracy (RA) with such a network trained on the real
training writers of CASIA-HWDB1.1 (its evaluate/densenet_train.py: Adam 1e-4, batch 256, cross
entropy). Batches are drawn uniformly with replacement from a seeded generator whose state goes into
every checkpoint, so `--resume` continues the same run. One process; on CUDA it runs under autocast
(`train.device`, `train.amp`).

    fontgen train recognizer --data data/casia64 --out runs/recognizer
    fontgen train recognizer --data data/casia64 --out runs/recognizer --resume recognizer.iterations=60000
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from fontgen.errors import InputError
from fontgen.raster import to_model
from training import checkpoint, datasets, runtime
from training.config import Config, RecognizerConfig

TEST_LIMIT = 20000  # held-out glyphs scored at the end of a run (evenly spaced)


def classes() -> str:
    """The 3,755 GB2312 level-1 characters, in GB2312 order (class i reads as classes()[i])."""
    from fontgen import charsets

    return "".join(charsets.gb2312_level1())


def build(n_classes: int) -> nn.Module:
    """DenseNet-121 with random weights, reading one grey channel."""
    from torchvision.models import densenet121

    model = densenet121(weights=None, num_classes=n_classes)
    first = model.features.conv0
    model.features.conv0 = nn.Conv2d(1, first.out_channels, first.kernel_size, first.stride, first.padding, bias=False)
    return model


def logits_and_features(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Class logits [B, K] and the pooled 1,024-d features [B, 1024] the classifier reads (FID space)."""
    pooled = F.adaptive_avg_pool2d(F.relu(model.features(x)), 1).flatten(1)
    return model.classifier(pooled), pooled


def level1_ids(glyphs: datasets.GlyphSet, names: str) -> np.ndarray:
    """Each glyph's class among `names`, -1 for characters outside GB2312 level 1."""
    index = {c: i for i, c in enumerate(names)}
    of_char = np.array([index.get(c, -1) for c in glyphs.charset], np.int64)
    return of_char[glyphs.char_id]


def load(path: str | Path, device="cpu") -> tuple[nn.Module, str, dict]:
    """(model in eval mode on `device`, class characters, the checkpoint's other fields)."""
    state = checkpoint.load(path)
    if "recognizer_config" not in state:
        raise InputError("not a recognizer checkpoint", path, "pass a checkpoint from `fontgen train recognizer`")
    model = build(len(state["classes"]))
    model.load_state_dict(state["model"])
    info = {k: v for k, v in state.items() if k not in ("model", "optimizer", "scaler", "rng", "sampler")}
    return model.to(device).eval(), state["classes"], info


def finished(path: Path) -> bool:
    """Whether the checkpoint reached the iterations its run was set for."""
    state = checkpoint.load(path)
    return state.get("iteration", 0) >= state.get("recognizer_config", {}).get("iterations", 1 << 62)


def accuracy(model, ink: np.ndarray, labels: np.ndarray, device, batch: int = 256) -> float | None:
    """Top-1 accuracy over glyphs with a class (label >= 0), at most TEST_LIMIT evenly spaced."""
    keep = np.flatnonzero(labels >= 0)
    if not len(keep):
        return None
    keep = keep[np.linspace(0, len(keep) - 1, min(TEST_LIMIT, len(keep))).astype(int)]
    correct = 0
    model.eval()
    with torch.no_grad():
        for i in range(0, len(keep), batch):
            idx = keep[i:i + batch]
            x = torch.from_numpy(to_model(ink[idx])[:, None]).to(device)
            correct += int((model(x).argmax(1).cpu().numpy() == labels[idx]).sum())
    return correct / len(keep)


def train_recognizer(cfg: Config, data_dir: str | Path, out_dir: str | Path, resume: bool = False,
                     log=print) -> dict:
    """Train (or resume) in `out_dir`; returns {"iteration", "train_loss", "test_acc", "seconds"}."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    last = checkpoint.last_in(out_dir, resume)
    state = checkpoint.load(last) if resume else None
    if state is not None:
        if "recognizer_config" not in state:
            raise InputError("not a recognizer checkpoint", last, "choose the recognizer's run folder as --out")
        cfg.recognizer = RecognizerConfig(**{**state["recognizer_config"], "iterations": cfg.recognizer.iterations})
    datasets.check(data_dir, ("train",))
    names = classes()
    train = datasets.load_split(data_dir, "train")
    labels = level1_ids(train, names)
    usable = np.flatnonzero(labels >= 0)
    if not len(usable):
        raise InputError("no training glyph is a GB2312 level-1 character", data_dir,
                         "train the recognizer on a CASIA-HWDB conversion (fontgen data from-gnt)")
    rc = cfg.recognizer
    rt = runtime.start(cfg.train.device, cfg.train.amp, cfg.train.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    log(rt.describe())
    log(f"recognizer: DenseNet-121, {len(names)} classes, {len(usable)} training glyphs of "
        f"{len(np.unique(labels[usable]))} characters, {train.ink.shape[1]} px")
    model = build(len(names)).to(rt.device)
    opt = torch.optim.Adam(model.parameters(), lr=rc.lr)
    scaler = rt.scaler()
    rng = np.random.default_rng(cfg.train.seed)
    start, began = 0, time.monotonic()
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        runtime.set_rng_state(state["rng"])
        rng.bit_generator.state = state["sampler"]
        start = state["iteration"]
        log(f"resumed at iteration {start}")

    def save(iteration, test_acc=None):
        checkpoint.save({
            "recognizer_config": dataclasses.asdict(rc), "classes": names, "size": int(train.ink.shape[1]),
            "data": str(data_dir.resolve()), "model": model.state_dict(), "optimizer": opt.state_dict(),
            "scaler": scaler.state_dict(), "rng": runtime.rng_state(), "sampler": rng.bit_generator.state,
            "iteration": iteration, "test_acc": test_acc,
        }, out_dir, iteration, rc.keep)

    loss_value, it = float("nan"), start
    model.train()
    bar = tqdm(range(start, rc.iterations), initial=start, total=rc.iterations, desc="recognizer", disable=None)
    for it in bar:
        idx = np.sort(usable[rng.integers(0, len(usable), rc.batch)])
        x = torch.from_numpy(to_model(train.ink[idx])[:, None]).to(rt.device)
        y = torch.from_numpy(labels[idx]).to(rt.device)
        with rt.autocast():
            loss = F.cross_entropy(model(x).float(), y)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        loss_value = loss.item()
        bar.set_postfix(loss=f"{loss_value:.3f}", refresh=False)
        out_of_time = rc.max_minutes > 0 and time.monotonic() - began > rc.max_minutes * 60
        if out_of_time or (rc.save_every and (it + 1) % rc.save_every == 0 and it + 1 < rc.iterations):
            save(it + 1)
            model.train()
        if out_of_time:
            log(f"time budget of {rc.max_minutes} min reached at iteration {it + 1}; continue with --resume")
            break
    bar.close()
    done = it + 1 if rc.iterations > start else start
    test_acc = None
    if (data_dir / datasets.SPLITS["test"]).is_dir():
        test = datasets.load_split(data_dir, "test")
        test_acc = accuracy(model, test.ink, level1_ids(test, names), rt.device)
    save(done, test_acc)
    seconds = time.monotonic() - began
    held = "no test writers" if test_acc is None else f"accuracy on the test writers' real glyphs {test_acc:.4f}"
    log(f"recognizer at iteration {done} ({seconds:.0f} s): last loss {loss_value:.3f}, {held}: {out_dir / 'last.pth'}")
    return {"iteration": done, "train_loss": loss_value, "test_acc": test_acc, "seconds": seconds}

