"""The generator's inference form: the same function in fewer, cheaper operations, for export.

At inference the decoder's denormalization layers spend most of their time on element-wise passes
over full-resolution maps (batch norm, two modulations, the mask mix, the channel splits of the
modulation convolutions). With frozen statistics all of it is affine in x, so it folds exactly:

    x̂ = a·x + c                                     (batch norm, eval mode: a = 1/√(var+ε), c = −mean·a)
    x̂·(1+γs) + βs = x·G + B                          G, B: 1×1 convolutions of the structure features
    x̂·(1+γt) + βt = x·T + U                          T, U: linear maps of the style vector
    σ(mask(x̂))   = σ(mask'(x))                      mask' absorbs a and c
    (1−m)·p + m·q = p + m·(q − p)

`inference_form(generator)` returns a copy with every `Denormalization` replaced by that folded form.
The parity check on export compares the graphs against the original module, so the folding is
verified on every model that ships.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from training.models.generator import Denormalization


def _conv1x1(weight: torch.Tensor, bias: torch.Tensor) -> nn.Conv2d:
    conv = nn.Conv2d(weight.shape[1], weight.shape[0], 1)
    conv.weight.data.copy_(weight)
    conv.bias.data.copy_(bias)
    return conv


def _linear(weight: torch.Tensor, bias: torch.Tensor) -> nn.Linear:
    linear = nn.Linear(weight.shape[1], weight.shape[0])
    linear.weight.data.copy_(weight)
    linear.bias.data.copy_(bias)
    return linear


class FoldedDenormalization(nn.Module):
    """`Denormalization` in eval mode as x·G + B + m·(x·T + U − x·G − B), with no norm and no splits."""

    @torch.no_grad()
    def __init__(self, d: Denormalization):
        super().__init__()
        bn = d.norm
        if bn.affine or not bn.track_running_stats:
            raise ValueError("only the affine-free batch norm with running statistics folds")
        a = torch.rsqrt(bn.running_var + bn.eps)
        c = -bn.running_mean * a
        channels = bn.num_features
        ws, bs = d.structure.weight, d.structure.bias                      # [2C, Cs, 1, 1], [2C]
        wg, wb, bg, bb = ws[:channels], ws[channels:], bs[:channels], bs[channels:]
        col = lambda v: v[:, None, None, None]
        self.gain = _conv1x1(col(a) * wg, a * (1 + bg))                   # G = a·(1 + γs)
        self.shift = _conv1x1(col(c) * wg + wb, c * (1 + bg) + bb)         # B = c·(1 + γs) + βs
        wt, bt = d.style.weight, d.style.bias                             # [2C, D], [2C]
        wtg, wtb, btg, btb = wt[:channels], wt[channels:], bt[:channels], bt[channels:]
        self.style_gain = _linear(a[:, None] * wtg, a * (1 + btg))         # T = a·(1 + γt)
        self.style_shift = _linear(c[:, None] * wtg + wtb, c * (1 + btg) + btb)  # U = c·(1 + γt) + βt
        wm, bm = d.mask.weight, d.mask.bias                               # [1, C, 1, 1], [1]
        self.mask = _conv1x1(wm * a[None, :, None, None], bm + (wm[0, :, 0, 0] * c).sum()[None])

    def forward(self, x: torch.Tensor, structure: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        p = x * self.gain(structure) + self.shift(structure)
        q = x * self.style_gain(style)[:, :, None, None] + self.style_shift(style)[:, :, None, None]
        return p + torch.sigmoid(self.mask(x)) * (q - p)


def inference_form(generator: nn.Module) -> nn.Module:
    """An eval-mode copy of `generator` with its denormalization layers folded (same outputs)."""
    folded = copy.deepcopy(generator).eval()
    for module in list(folded.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, Denormalization):
                setattr(module, child_name, FoldedDenormalization(child))
    return folded
