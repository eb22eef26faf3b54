"""Narrow a trained GAN checkpoint to fewer channels, so a lighter generator starts from trained weights.

    fontgen train narrow --checkpoint runs/gan/last.pth --out runs/gan-narrow model.max_mult=4
    fontgen train gan --config cpu ... --out runs/gan-narrow --resume model.max_mult=4 train.iterations=N

Every tensor of the generator, its EMA copy and the generator's Adam state keeps its first channels
along each dimension that shrinks. Taking the *first* k channels of every feature map keeps the
residual streams consistent without tracking which layer feeds which. Two layouts are not a plain
list of channels and are narrowed part by part: the concatenated (upsampled, skip) input of the
structure U-Net's up convolutions, and the (gamma, beta) halves of the denormalization layers. A
layer the narrow model no longer has (a 1×1 skip that became an identity) is dropped; fine-tuning
has to make up for it. The discriminator and its optimizer are kept as they are.
"""

from __future__ import annotations

import re
from dataclasses import asdict, fields
from pathlib import Path

import torch

from fontgen.errors import InputError
from training import checkpoint
from training.config import Config, ModelConfig
from training.models import build_generator
from training.models.structure import level_channels

HALVES = re.compile(r"blocks\.\d+\.norm[12]\.(structure|style)\.(weight|bias)$")
UP_CONV = re.compile(r"structure_encoder\.ups\.(\d+)\.0\.weight$")
WIDTHS = ("base", "max_mult")  # the only fields a checkpoint may be narrowed along


def _first(t: torch.Tensor, dim: int, n: int) -> torch.Tensor:
    return t.narrow(dim, 0, n)


def _parts(t: torch.Tensor, dim: int, old: list[int], new: list[int]) -> torch.Tensor:
    """Keep the first new[i] channels of each consecutive part of old[i] channels along `dim`."""
    return torch.cat([_first(p, dim, n) for p, n in zip(t.split(old, dim), new)], dim)


def narrow_tensor(name: str, t: torch.Tensor, shape: torch.Size, old: ModelConfig, new: ModelConfig) -> torch.Tensor:
    """`t` (a tensor of the wide generator) cut to `shape` (its counterpart in the narrow one)."""
    levels = old.size.bit_length() - 2
    ch_old = level_channels(old.base, old.max_mult, levels)
    ch_new = level_channels(new.base, new.max_mult, levels)
    for dim, (a, b) in enumerate(zip(t.shape, shape)):
        if a == b:
            continue
        if dim == 0 and HALVES.search(name):
            t = _parts(t, 0, [a // 2] * 2, [b // 2] * 2)
        elif dim == 1 and (m := UP_CONV.search(name)):
            i = int(m.group(1))
            t = _parts(t, 1, [ch_old[i + 1], ch_old[i]], [ch_new[i + 1], ch_new[i]])
        else:
            t = _first(t, dim, b)
    if t.shape != shape:
        raise ValueError(f"{name}: cannot narrow {tuple(t.shape)} to {tuple(shape)}")
    return t.clone()


def narrow_state(state: dict, old: ModelConfig, new: ModelConfig) -> dict:
    target = build_generator(new).state_dict()
    return {k: narrow_tensor(k, state[k], v.shape, old, new) if k in state else v for k, v in target.items()}


def _narrow_adam(opt: dict, old: ModelConfig, new: ModelConfig) -> dict:
    """Adam moments follow their parameters; moments of dropped parameters go, new ones start empty."""
    names_old = [n for n, _ in build_generator(old).named_parameters()]
    params_new = list(build_generator(new).named_parameters())
    by_name = {names_old[i]: s for i, s in opt["state"].items()}
    state = {j: {k: narrow_tensor(name, v, p.shape, old, new) if v.dim() else v.clone() for k, v in by_name[name].items()}
             for j, (name, p) in enumerate(params_new) if name in by_name}
    groups = [dict(g, params=list(range(len(params_new)))) for g in opt["param_groups"]]
    return {"state": state, "param_groups": groups}


def narrow_checkpoint(src: str | Path, out_dir: str | Path, cfg: Config) -> Path:
    """Write `out_dir/last.pth`: the GAN checkpoint `src` narrowed to `cfg.model` (base, max_mult)."""
    state = checkpoint.load_gan(src)
    old = ModelConfig(**state["model_config"])
    new = cfg.model
    changed = [f.name for f in fields(ModelConfig) if getattr(old, f.name) != getattr(new, f.name)]
    if not changed:
        raise InputError("the model config is the checkpoint's own", src, "pass e.g. model.max_mult=4")
    if any(f not in WIDTHS for f in changed):
        raise InputError(f"only {' and '.join(WIDTHS)} can be narrowed, not {', '.join(changed)}", src,
                         "keep the checkpoint's other model settings")
    if any(getattr(new, f) > getattr(old, f) for f in WIDTHS):
        raise InputError("narrowing cannot add channels", src, "give a base and max_mult no larger than the checkpoint's")
    out_dir = Path(out_dir)
    checkpoint.last_in(out_dir, resume=False)

    out = dict(state)
    out["model_config"] = asdict(new)
    out["config"] = dict(state["config"], model=asdict(new))
    out["generator"] = narrow_state(state["generator"], old, new)
    out["generator_ema"] = narrow_state(state["generator_ema"], old, new)
    out["opt_g"] = _narrow_adam(state["opt_g"], old, new)
    out["narrowed_from"] = {"checkpoint": str(src), "iteration": state["iteration"], "model_config": asdict(old)}
    if "narrowed_from" in state:                               # narrowed twice: keep the whole chain
        out["narrowed_from"]["narrowed_from"] = state["narrowed_from"]
    return checkpoint.save(out, out_dir, state["iteration"])
