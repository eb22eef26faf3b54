"""Content-guided super-resolution: a generated 64 px glyph + its template at 128 px → the glyph at 128 px.

The 64 px generator loses the counters of dense characters (a 15-stroke character has 1-2 px gaps at
64 px, drawn as grey). The template font is available at any size, so this network sees, besides
the generated glyph, the character's template and content-font glyphs at the output size and
restores the gaps there, while the generated glyph decides where strokes are and how heavy.

    net = SRNet(SRConfig())
    hi = net(low, guide)      # low [B, 1, 64, 64], guide [B, G, 128, 128], all in [-1, 1] (ink = +1)

It works on a 4× pixel-unshuffled grid (32 × 32 cells for 128 px) so the 3×3 convolutions see a
wide neighbourhood at little cost; a small full-resolution head then sharpens the edges. The output
is the bilinear upsampling of `low` plus a learned correction, clipped to [-1, 1]. Every shape
follows the weights and the scale, so the ONNX graph has a dynamic batch only.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class SRConfig:
    """SR network sizes (the `model` section of `training/configs/sr.yaml`)."""

    scale: int = 2          # output side ÷ input side
    guides: int = 2         # guide channels at the output size: template, content font
    channels: int = 32      # body width on the unshuffled grid
    blocks: int = 4         # residual blocks (two 3×3 convolutions each)
    cell: int = 4           # pixel-unshuffle factor of the output size
    head: int = 16          # channels of the full-resolution head (0: none)


class ResBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(x)))


class SRNet(nn.Module):
    def __init__(self, cfg: SRConfig):
        super().__init__()
        if cfg.cell % cfg.scale:
            raise ValueError(f"model.cell {cfg.cell} must be a multiple of model.scale {cfg.scale}")
        self.cfg = cfg
        low_cell = cfg.cell // cfg.scale
        cin = low_cell * low_cell + cfg.guides * cfg.cell * cfg.cell + cfg.cell * cfg.cell
        self.stem = nn.Conv2d(cin, cfg.channels, 3, padding=1)
        self.body = nn.Sequential(*[ResBlock(cfg.channels) for _ in range(cfg.blocks)])
        self.out = nn.Conv2d(cfg.channels, cfg.cell * cfg.cell, 3, padding=1)
        if cfg.head:
            self.head1 = nn.Conv2d(2 + cfg.guides, cfg.head, 3, padding=1)
            self.head2 = nn.Conv2d(cfg.head, 1, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, low: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        up = F.interpolate(low, scale_factor=float(cfg.scale), mode="bilinear", align_corners=False)
        x = torch.cat([F.pixel_unshuffle(low, cfg.cell // cfg.scale), F.pixel_unshuffle(guide, cfg.cell),
                       F.pixel_unshuffle(up, cfg.cell)], 1)
        x = F.relu(self.stem(x))
        y = up + F.pixel_shuffle(self.out(self.body(x)), cfg.cell)
        if cfg.head:
            y = y + self.head2(F.relu(self.head1(torch.cat([y, up, guide], 1))))
        return y.clamp(-1.0, 1.0) if not self.training else y
