"""The generator's inference form: the same function in fewer, cheaper operations, for export.

At inference the decoder's denormalization layers spend most of their time on element-wise passes
over full-resolution maps (batch norm, two modulations, the mask mix, the channel splits of the
modulation convolutions). With frozen statistics all of it is affine in x, so it folds exactly:

    x̂ = a·x + c                                     (batch norm, eval mode: a = 1/√(var+ε), c = −mean·a)
    x̂·(1+γs) + βs = x·G + B                          G, B: 1×1 convolutions of the structure features
    x̂·(1+γt) + βt = x·T + U                          T, U: linear maps of the style vector
    σ(mask(x̂))   = σ(mask'(x))                      mask' absorbs a and c
    (1−m)·p + m·q = p + m·(q − p)

The structure encoder's decoder convolves the concatenation of a ×2 nearest-upsampled map and a skip
map. The upsampled half of that convolution runs at the low resolution instead: each of the four output
phases (py, px) of a 3×3 kernel on the upsampled grid is a 3×3 kernel (2×2 non-zero taps) on the
low-resolution grid, so one convolution with 4·C outputs and a pixel shuffle give the same map, without
materialising the upsampled input or its 4× larger column buffer:

    relu(bn(conv(cat(up(f), s)))) = relu(conv_s(s) + shuffle(conv'(f)))      batch norm folded in

(the skip half first, so onnxruntime fuses the addition and the ReLU into its convolution).

`inference_form(generator)` returns a copy with every `Denormalization` and the structure encoder replaced
by these forms. The parity check on export compares the graphs against the original module, so the
folding is verified on every model that ships.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
import torch.nn.functional as F

from training.models.generator import Denormalization
from training.models.structure import StructureEncoder


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


# Which low-resolution tap (row) each tap of a 3×3 kernel on the ×2 upsampled grid (column) lands on,
# for output phase 0 and 1: phase 0 reads rows 2i−1, 2i, 2i+1 = low rows i−1, i, i; phase 1 reads i, i, i+1.
_PHASE_TAPS = torch.tensor([[[1., 0., 0.], [0., 1., 1.], [0., 0., 0.]],
                            [[0., 0., 0.], [1., 1., 0.], [0., 0., 1.]]])


class SubpixelUpConv(nn.Module):
    """`conv_bn_relu` over cat(up×2(f), s) with the up-sampled half run at f's resolution (eval mode)."""

    @torch.no_grad()
    def __init__(self, block: nn.Sequential, up_channels: int):
        super().__init__()
        conv, bn = block[0], block[1]
        if conv.kernel_size != (3, 3) or conv.stride != (1, 1) or conv.padding != (1, 1) or conv.bias is not None:
            raise ValueError("only a bias-free 3×3 stride-1 convolution with padding 1 folds into sub-pixel form")
        scale = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
        weight = conv.weight * scale[:, None, None, None]                 # [C, Cf + Cs, 3, 3], batch norm folded
        up, skip = weight[:, :up_channels], weight[:, up_channels:]
        cout = weight.shape[0]
        phases = torch.einsum("yak,xbl,oikl->oyxiab", _PHASE_TAPS, _PHASE_TAPS, up)  # [C, 2, 2, Cf, 3, 3]
        self.low = nn.Conv2d(up_channels, 4 * cout, 3, 1, 1, bias=False)
        self.low.weight.data.copy_(phases.reshape(4 * cout, up_channels, 3, 3))
        self.skip = nn.Conv2d(skip.shape[1], cout, 3, 1, 1)
        self.skip.weight.data.copy_(skip)
        self.skip.bias.data.copy_(bn.bias - bn.running_mean * scale)
        # The pixel shuffle as a stride-2 transposed convolution that copies channel 4c + 2py + px to
        # (c, 2i + py, 2j + px): onnxruntime runs it faster than DepthToSpace, a 6-D transpose.
        self.register_buffer("shuffle", torch.eye(4 * cout).reshape(4 * cout, cout, 2, 2))

    def forward(self, f: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.skip(s) + F.conv_transpose2d(self.low(f), self.shuffle, stride=2))


class SubpixelStructureEncoder(nn.Module):
    """`StructureEncoder` (eval mode) with every decoder convolution in `SubpixelUpConv` form."""

    def __init__(self, encoder: StructureEncoder):
        super().__init__()
        self.stem, self.downs = encoder.stem, encoder.downs
        self.ups = nn.ModuleList(SubpixelUpConv(block, encoder.channels[i + 1]) for i, block in enumerate(encoder.ups))

    def forward(self, template: torch.Tensor) -> list[torch.Tensor]:
        skips = [self.stem(template)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        feats = [skips[-1]]
        for i in reversed(range(len(self.ups))):
            feats.append(self.ups[i](feats[-1], skips[i]))
        return feats


def inference_form(generator: nn.Module) -> nn.Module:
    """An eval-mode copy of `generator` with its denormalization layers and structure decoder folded
    (same outputs)."""
    folded = copy.deepcopy(generator).eval()
    for module in list(folded.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, Denormalization):
                setattr(module, child_name, FoldedDenormalization(child))
            elif isinstance(child, StructureEncoder):
                setattr(module, child_name, SubpixelStructureEncoder(child))
    return folded
