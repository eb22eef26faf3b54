"""Give a trained GAN checkpoint a content font: a second template channel, read from the start as nothing.

    fontgen train add-content-font --checkpoint runs/gan/last.pth --out runs/gan-kai --font "AR PL KaitiM GB"
    fontgen train gan --config cpu ... --out runs/gan-kai --resume model.content_font="AR PL KaitiM GB"

The structure encoder's first convolution gets a second input channel with zero weights, so the new
checkpoint computes exactly what the old one did until fine-tuning teaches it to read the content
font. The generator's Adam state grows with it: a zero first moment, and the second moment of the
template channel's weights, so the new weights start with the step sizes of their neighbours rather
than Adam's first-step jump. Everything else (EMA copy, discriminator, data order) carries over.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import torch

from fontgen.errors import InputError
from training import checkpoint
from training.config import ModelConfig
from training.models import build_generator

STEM = "structure_encoder.stem.0.weight"  # [C_out, C_in, 3, 3]


def add_content_font(src: str | Path, out_dir: str | Path, family: str) -> Path:
    """Write `out_dir/last.pth`: the GAN checkpoint `src` with content font `family` (a zero-weight channel)."""
    if not family:
        raise InputError("no content font given", None, 'pass --font, e.g. --font "AR PL KaitiM GB"')
    state = checkpoint.load_gan(src)
    old = ModelConfig(**state["model_config"])
    if old.content_font:
        raise InputError(f"the checkpoint already reads a content font ({old.content_font})", src,
                         "start from a one-channel checkpoint")
    new = replace(old, content_font=family)
    out_dir = Path(out_dir)
    checkpoint.last_in(out_dir, resume=False)

    def widen(t: torch.Tensor, fill) -> torch.Tensor:
        return torch.cat([t, fill(t)], 1)

    out = dict(state)
    for part in ("generator", "generator_ema"):
        out[part] = dict(state[part], **{STEM: widen(state[part][STEM], torch.zeros_like)})
    index = [name for name, _ in build_generator(old).named_parameters()].index(STEM)
    opt = {"state": dict(state["opt_g"]["state"]), "param_groups": state["opt_g"]["param_groups"]}
    moments = opt["state"][index]
    opt["state"][index] = dict(moments, exp_avg=widen(moments["exp_avg"], torch.zeros_like),
                               exp_avg_sq=widen(moments["exp_avg_sq"], torch.clone))
    out["opt_g"] = opt
    out["model_config"] = asdict(new)
    out["config"] = dict(state["config"], model=asdict(new))
    out["content_added"] = {"checkpoint": str(src), "iteration": state["iteration"], "content_font": family}
    return checkpoint.save(out, out_dir, state["iteration"])
