"""Train the super-resolution stage (`training.models.sr`) on a pair cache (`training.sr_data`).

    python -m training.sr_train pairs --hi data/ds128 --lo data/ds64 --out runs/sr/pairs.npz
    python -m training.sr_train train --config sr --pairs runs/sr/pairs.npz --out runs/sr train.max_minutes=60
    python -m training.sr_train train --config sr --pairs runs/sr/pairs.npz --out runs/sr --resume

Config: `training/configs/sr.yaml` (sections model, data, loss, optim, train), then section.key=value
overrides. Checkpoints (NNNNNN.pth + last.pth, weights only) hold the model, its EMA, the optimizer,
the RNG states and the iteration, so `--resume` continues exactly. The loss is L1 on the ink map plus
L1 on soft half-ink masks (the contour the tracer follows), so a counter that stays grey costs more
than a soft edge.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import logging
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from fontgen.errors import InputError
from training import checkpoint, config, runtime
from training.models.sr import SRConfig, SRNet
from training.sr_data import Pairs, build_pairs


@dataclass
class SRData:
    batch: int = 16
    made_p: float = 0.3        # share of inputs drawn by the generator (the rest: degraded real glyphs)
    blur: float = 0.9          # largest Gaussian sigma (64 px pixels) of the degradation
    clot_p: float = 0.5        # share of degraded inputs with grey-filled gaps
    jitter: float = 0.02       # guide shift (fraction of the side), scale ±2× this, rotation ±3°
    val_fraction: float = 0.05  # characters kept out of training, for the validation loss
    crop: int = 64             # train on random crops of this many output pixels (0: whole glyphs)


@dataclass
class SRLoss:
    l1: float = 1.0
    contour: float = 1.0
    sharpness: float = 8.0     # slope of the soft mask at half ink, in [-1, 1] units


@dataclass
class SROptim:
    lr: float = 2e-3
    warmup: int = 100
    decay_to: float = 0.05
    ema: float = 0.998


@dataclass
class SRTrain:
    iterations: int = 6000
    max_minutes: float = 0.0   # 0 = no wall-clock budget
    seed: int = 0
    log_every: int = 50
    save_every: int = 250
    keep: int = 3
    threads: int = 2


@dataclass
class SRTrainConfig:
    model: SRConfig = field(default_factory=SRConfig)
    data: SRData = field(default_factory=SRData)
    loss: SRLoss = field(default_factory=SRLoss)
    optim: SROptim = field(default_factory=SROptim)
    train: SRTrain = field(default_factory=SRTrain)


def load_config(preset: str = "sr", overrides: list[str] = ()) -> SRTrainConfig:
    """Defaults ← preset YAML ← overrides, checked."""
    path = config.preset_path(preset)
    cfg = config.merge(SRTrainConfig(), config.read_yaml(path), str(path))
    for text in overrides:
        config.merge(cfg, config.parse_override(text), "overrides")
    m, d, t = cfg.model, cfg.data, cfg.train
    checks = [(m.scale >= 1 and m.cell >= 1 and m.cell % m.scale == 0, "model.cell must be a multiple of model.scale"),
              (m.channels >= 1 and m.blocks >= 0 and m.head >= 0 and m.guides >= 0, "model sizes must be positive"),
              (d.batch >= 1, "data.batch must be at least 1"),
              (d.crop >= 0 and d.crop % m.cell == 0, "data.crop must be a multiple of model.cell"),
              (all(0 <= v <= 1 for v in (d.made_p, d.clot_p, d.val_fraction)), "data shares must lie in [0, 1]"),
              (t.iterations >= 1 and t.max_minutes >= 0 and t.threads >= 1, "train.iterations, threads >= 1"),
              (math.isfinite(cfg.optim.lr) and cfg.optim.lr > 0, "optim.lr must be positive"),
              (0 <= cfg.optim.ema < 1, "optim.ema must lie in [0, 1)")]
    for ok, what in checks:
        if not ok:
            raise InputError(f"bad SR config: {what}", path, "fix the value or the override")
    return cfg


def loss_terms(pred: torch.Tensor, target: torch.Tensor, lc: SRLoss) -> dict[str, torch.Tensor]:
    soft = lambda x: torch.sigmoid(lc.sharpness * x)  # noqa: E731
    return {"l1": F.l1_loss(pred, target), "contour": F.l1_loss(soft(pred), soft(target))}


def train(cfg: SRTrainConfig, pairs_path: Path, out: Path, resume: bool = False, log=print) -> dict:
    """Train (or continue) in `out`; returns the final validation losses."""
    torch.set_num_threads(cfg.train.threads)
    last = checkpoint.last_in(out, resume)
    pairs = Pairs(pairs_path)
    if pairs.size != pairs.low * cfg.model.scale or pairs.guides.shape[1] != cfg.model.guides:
        raise InputError(f"the pairs are {pairs.low} → {pairs.size} px with {pairs.guides.shape[1]} guides, the "
                         f"model ×{cfg.model.scale} with {cfg.model.guides}", pairs_path,
                         "set model.scale and model.guides to match, or build other pairs")
    train_idx, val_idx = pairs.split(cfg.data.val_fraction, cfg.train.seed)
    runtime.seed_everything(cfg.train.seed)
    net = SRNet(cfg.model)
    ema = copy.deepcopy(net).eval()
    opt = torch.optim.Adam(net.parameters(), lr=cfg.optim.lr, betas=(0.9, 0.99))
    start = 0
    rng = np.random.default_rng(cfg.train.seed)
    if resume:
        state = checkpoint.load(last)
        if "sr_config" not in state:
            raise InputError("not an SR checkpoint", last, "resume a run folder made by `training.sr_train train`")
        net.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["optimizer"])
        start = int(state["iteration"])
        runtime.set_rng_state(state["rng"])
        rng.bit_generator.state = state["sampler"]
        log(f"resumed at iteration {start}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(dump(cfg), encoding="utf-8")
    val_rng_seed = [cfg.train.seed, 5]
    began = time.monotonic()
    tc, dc = cfg.train, cfg.data
    running: dict[str, float] = {}

    def save(it: int) -> None:
        checkpoint.save({"sr_config": dataclasses.asdict(cfg.model), "config": to_dict(cfg),
                         "model": net.state_dict(), "ema": ema.state_dict(), "optimizer": opt.state_dict(),
                         "iteration": it, "rng": runtime.rng_state(), "sampler": rng.bit_generator.state,
                         "val": validate(ema, pairs, val_idx, cfg, val_rng_seed)}, out, it, tc.keep)

    it = start
    for it in range(start, tc.iterations):
        runtime.set_lr(opt, runtime.learning_rate(it, cfg.optim.lr, cfg.optim.warmup, tc.iterations,
                                                  cfg.optim.decay_to))
        net.train()
        low, guide, target = map(torch.from_numpy, pairs.batch(rng.choice(train_idx, dc.batch), rng, dc.made_p,
                                                               dc.blur, dc.clot_p, dc.jitter, dc.crop,
                                                               cfg.model.cell))
        terms = loss_terms(net(low, guide), target, cfg.loss)
        loss = cfg.loss.l1 * terms["l1"] + cfg.loss.contour * terms["contour"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), net.parameters()):
                pe.lerp_(p, 1 - cfg.optim.ema)
        for k, v in terms.items():
            running[k] = running.get(k, 0.0) + float(v.detach())
        done = it + 1
        if done % tc.log_every == 0:
            log(f"it {done} " + " ".join(f"{k} {v / tc.log_every:.4f}" for k, v in running.items())
                + f" ({(time.monotonic() - began) / 60:.1f} min)")
            running = {}
        out_of_time = tc.max_minutes > 0 and time.monotonic() - began > tc.max_minutes * 60
        if (tc.save_every and done % tc.save_every == 0) or done == tc.iterations or out_of_time:
            save(done)
        if out_of_time:
            log(f"time budget of {tc.max_minutes} min reached at iteration {done}")
            break
    else:
        if start >= tc.iterations:
            log("nothing to do: the run is at train.iterations already")
    result = validate(ema, pairs, val_idx, cfg, val_rng_seed)
    log("validation (EMA): " + " ".join(f"{k} {v:.4f}" for k, v in result.items()))
    return result


@torch.no_grad()
def validate(net: SRNet, pairs: Pairs, idx: np.ndarray, cfg: SRTrainConfig, seed) -> dict[str, float]:
    """Loss terms on the validation characters' generator-drawn inputs (no jitter), and the same for
    the bilinear upsampling the model improves on."""
    if not len(idx):
        return {}
    idx = idx[np.random.default_rng(seed).permutation(len(idx))[:256]]
    net.eval()
    low, guide, target = map(torch.from_numpy, pairs.batch(idx, np.random.default_rng(seed), 1.0, 0.0, 0.0, 0.0))
    pred = torch.cat([net(low[i:i + 64], guide[i:i + 64]) for i in range(0, len(idx), 64)])
    up = F.interpolate(low, scale_factor=float(cfg.model.scale), mode="bilinear", align_corners=False)
    model, base = loss_terms(pred, target, cfg.loss), loss_terms(up, target, cfg.loss)
    return {**{k: float(v) for k, v in model.items()}, **{f"bilinear_{k}": float(v) for k, v in base.items()}}


def to_dict(cfg: SRTrainConfig) -> dict:
    return dataclasses.asdict(cfg)


def dump(cfg: SRTrainConfig) -> str:
    import yaml

    return yaml.safe_dump(to_dict(cfg), sort_keys=False)


def load_model(path: str | Path, ema: bool = True) -> SRNet:
    """The SR network of a checkpoint (EMA weights by default), in eval mode."""
    state = checkpoint.load(path)
    if "sr_config" not in state:
        raise InputError("not an SR checkpoint (no sr_config)", path, "give a checkpoint of `training.sr_train train`")
    net = SRNet(SRConfig(**state["sr_config"]))
    net.load_state_dict(state["ema" if ema else "model"])
    return net.eval()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.sr_train", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pairs", help="build the pair cache")
    p.add_argument("--hi", type=Path, required=True)
    p.add_argument("--lo", type=Path, required=True)
    p.add_argument("--model", type=Path, default=None)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--per-writer", type=int, default=600)
    p.add_argument("--seed", type=int, default=0)
    t = sub.add_parser("train", help="train the SR network")
    t.add_argument("--config", default="sr")
    t.add_argument("--pairs", type=Path, required=True)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--resume", action="store_true")
    t.add_argument("overrides", nargs="*")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.cmd == "pairs":
            print(build_pairs(args.hi, args.lo, args.model, args.out, args.per_writer, args.seed))
        else:
            train(load_config(args.config, args.overrides), args.pairs, args.out, args.resume,
                  log=lambda m: print(m, flush=True))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
