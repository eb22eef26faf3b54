"""OCR critic trainer: a handwritten-character classifier over the dataset charset, trained before
the GAN and frozen during it.

    fontgen train ocr --config cpu --data /work/data/ds64 --out runs/ocr
    torchrun --nproc_per_node=4 -m training.ocr --config paper --data DIR --out runs/ocr

It reads every glyph of the training writers plus the templates (unseen characters included: the
critic must read the characters the GAN never trains on). Light affine jitter keeps it from keying
on exact stroke positions, so it also reads generated glyphs. Held-out writers give the test accuracy.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from fontgen.errors import InputError
from fontgen.raster import to_model
from training import checkpoint, config, datasets, runtime
from training.config import Config
from training.models import build_critic


def jitter(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random rotation ±6°, scale 0.9-1.1, shift ±6 %, per glyph; paper stays paper (-1)."""
    b = len(x)
    u = torch.rand(b, 4, generator=gen, device="cpu").to(x.device) * 2 - 1
    angle, scale, shift = u[:, 0] * math.radians(6), 1 + 0.1 * u[:, 1], 0.06 * u[:, 2:]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x + 1, grid, align_corners=False, padding_mode="zeros") - 1


def accuracy(critic, glyphs: datasets.GlyphSet, device, batch: int = 256, limit: int = 20000) -> float:
    """Top-1 accuracy over (up to `limit` evenly spaced) glyphs whose char is in the charset."""
    keep = np.flatnonzero(glyphs.char_id >= 0)
    keep = keep[np.linspace(0, len(keep) - 1, min(limit, len(keep))).astype(int)] if len(keep) else keep
    correct = 0
    critic.eval()
    with torch.no_grad():
        for i in range(0, len(keep), batch):
            idx = keep[i:i + batch]
            x = torch.from_numpy(to_model(glyphs.ink[idx])[:, None]).to(device)
            pred = critic(x).argmax(1).cpu().numpy()
            correct += int((pred == glyphs.char_id[idx]).sum())
    return correct / max(1, len(keep))


def train_ocr(cfg: Config, data_dir: str | Path, out_dir: str | Path, resume: bool = False, log=print, on_iteration=None) -> dict:
    """Train the critic in `out_dir`; returns {"history": [...], "train_acc": …, "test_acc": … or None}."""
    rt = runtime.start(cfg.train.device, cfg.train.amp, cfg.train.seed)
    try:
        return _train(cfg, Path(data_dir), Path(out_dir), resume, rt, log, on_iteration)
    finally:
        rt.finish()


def _train(cfg, data_dir, out_dir, resume, rt, log, on_iteration):
    cc, dev = cfg.critic, rt.device
    last = checkpoint.last_in(out_dir, resume)
    state = checkpoint.load(last, map_location=dev) if resume else None  # a bad checkpoint is refused before any work
    if cc.batch % rt.world:
        raise InputError(f"critic.batch {cc.batch} does not split over {rt.world} processes")
    datasets.check(data_dir)  # a wrong --data is refused before the run folder is made
    if rt.master:
        checkpoint.open_run(cfg, out_dir, last, rt, log)
        datasets.load_split(data_dir, "train")
        datasets.load_split(data_dir, "template")
    rt.barrier()
    train, templates = datasets.load_split(data_dir, "train"), datasets.load_split(data_dir, "template")
    charset = train.charset
    sampler = datasets.CharSampler([train, templates], cc.batch // rt.world, seed=cfg.train.seed * 7919 + rt.rank)
    aug = torch.Generator().manual_seed(cfg.train.seed + rt.rank)

    critic = build_critic(cc, len(charset)).to(dev)
    model = rt.wrap(critic)
    opt = torch.optim.AdamW(critic.parameters(), lr=cc.lr, weight_decay=cc.weight_decay)
    scaler = rt.scaler()
    start = 0
    if resume:
        critic.load_state_dict(state["critic"])
        opt.load_state_dict(state["opt"])
        scaler.load_state_dict(state["scaler"])
        start = state["iteration"]
        mine = state["rank_states"][rt.rank] if len(state["rank_states"]) == rt.world else None
        if mine:
            runtime.set_rng_state(mine["rng"])
            sampler.rng.bit_generator.state = mine["sampler"]
            aug.set_state(mine["aug"])

    def save(iteration):
        ranks = rt.gather({"rng": runtime.rng_state(), "sampler": sampler.rng.bit_generator.state,
                           "aug": aug.get_state()})
        if rt.master:
            checkpoint.save({"iteration": iteration, "critic_config": config.to_dict(cfg)["critic"],
                             "charset": charset, "config": config.to_dict(cfg), "critic": critic.state_dict(),
                             "opt": opt.state_dict(), "scaler": scaler.state_dict(), "rank_states": ranks},
                            out_dir, iteration, cfg.train.keep)

    history, began, correct, seen = [], time.monotonic(), 0, 0
    budget = cc.max_minutes
    bar = tqdm(range(start, cc.iterations), initial=start, total=cc.iterations, desc="ocr",
               disable=None if rt.master else True)
    critic.train()
    for it in bar:
        runtime.set_lr(opt, runtime.learning_rate(it, cc.lr, cc.warmup, cc.iterations, 0.02))
        x, y = sampler.sample()
        x, y = torch.from_numpy(x).to(dev), torch.from_numpy(y).to(dev)
        if cc.augment:
            x = jitter(x, aug)
        with rt.autocast():
            logits = model(x)
            loss = F.cross_entropy(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        correct += int((logits.argmax(1) == y).sum())
        seen += len(y)
        if on_iteration:
            on_iteration()
        history.append({"iteration": it + 1, "loss": loss.item()})
        if rt.master and ((it + 1) % cfg.train.log_every == 0 or it == start):
            bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{correct / seen:.3f}", refresh=False)
            correct = seen = 0
        stop = rt.any_true(budget > 0 and time.monotonic() - began > budget * 60)
        if stop or (cfg.train.save_every and (it + 1) % cfg.train.save_every == 0):
            save(it + 1)
        if stop:
            if rt.master:
                log(f"time budget of {budget} min reached at iteration {it + 1}")
            break
    else:
        if history and (not cfg.train.save_every or cc.iterations % cfg.train.save_every):
            save(cc.iterations)
    bar.close()
    result = {"history": history, "train_acc": None, "test_acc": None}
    if rt.master:
        result["train_acc"] = accuracy(critic, train, dev)
        test_dir = data_dir / datasets.SPLITS["test"]
        if test_dir.is_dir() and any(test_dir.iterdir()):
            result["test_acc"] = accuracy(critic, datasets.load_split(data_dir, "test"), dev)
        log(f"critic accuracy: train {result['train_acc']:.3f}"
            + (f", held-out writers {result['test_acc']:.3f}" if result["test_acc"] is not None else "")
            + f"\ncheckpoint: {last}")
    return result


def main(argv=None) -> None:
    """`python -m training.ocr …`, for torchrun (the same options as `fontgen train ocr`)."""
    import argparse

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="cpu")
    p.add_argument("--data", required=True)
    p.add_argument("--out", default="runs/ocr")
    p.add_argument("--resume", action="store_true")
    p.add_argument("overrides", nargs="*")
    a = p.parse_args(argv)
    train_ocr(config.load(a.config, a.overrides), a.data, a.out, a.resume)


if __name__ == "__main__":
    main()
