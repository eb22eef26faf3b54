"""Building blocks shared by the generator, discriminator and critic.

Everything here is plain tensor ops with shapes fixed by the weights, never by the data, so the
generator exports to ONNX with dynamic batch and reference counts.
"""

from __future__ import annotations

import torch
from torch import nn


def conv_bn_relu(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SelfAttention2d(nn.Module):
    """SAGAN self-attention over the pixels of a feature map; starts as the identity (gamma = 0)."""

    def __init__(self, channels: int):
        super().__init__()
        inner = max(channels // 8, 4)
        self.query = nn.Conv2d(channels, inner, 1)
        self.key = nn.Conv2d(channels, inner, 1)
        self.value = nn.Conv2d(channels, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(1))
        self.scale = inner ** -0.5  # a constant, so the exported graph scales q, not the HW×HW matrix

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q = self.query(x).flatten(2).transpose(1, 2) * self.scale  # [B, HW, c']
        k = self.key(x).flatten(2)                             # [B, c', HW]
        v = self.value(x).flatten(2)                           # [B, C, HW]
        attn = torch.softmax(q @ k, -1)                        # [B, HW, HW]
        out = (v @ attn.transpose(1, 2)).reshape(b, c, h, w)
        return x + self.gamma * out


class TransformerLayer(nn.Module):
    """Pre-norm transformer encoder layer over a token set [B, T, D] (T may vary at run time)."""

    def __init__(self, dim: int, heads: int, ff_mult: int = 4):
        super().__init__()
        if dim % heads:
            raise ValueError(f"style_dim {dim} is not divisible by style_heads {heads}")
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, ff_mult * dim), nn.GELU(), nn.Linear(ff_mult * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = torch.softmax(q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5, -1)  # [B, H, T, T]
        x = x + self.out((attn @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.ff(self.norm2(x))


class ReferenceAttention(nn.Module):
    """Cross-attention from a decoder map to the reference glyphs' cells; starts as the identity (gamma = 0).

    Each position asks, with the template's structure there, how this writer draws such strokes; the
    references answer cell by cell, so a writer's quirks reach the glyph beyond what two style vectors
    hold, and more references give more cells to draw from. `cells` [B or 1, T, K + V] come from the
    style encoder (keys first); T = R · cells per reference may vary at run time.
    """

    def __init__(self, channels: int, structure_channels: int, key: int, value: int):
        super().__init__()
        self.key = key
        self.query = nn.Conv2d(channels + structure_channels, key, 1)
        self.out = nn.Conv2d(value, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(1))
        self.scale = key ** -0.5

    def forward(self, x: torch.Tensor, structure: torch.Tensor, cells: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q = self.query(torch.cat([x, structure], 1)).flatten(2).transpose(1, 2) * self.scale  # [B, HW, K]
        k, v = cells[..., :self.key], cells[..., self.key:]                 # [B|1, T, K], [B|1, T, V]
        attn = torch.softmax(q @ k.transpose(1, 2), -1)                     # [B, HW, T]
        read = (attn @ v).transpose(1, 2).reshape(b, -1, h, w)              # [B, V, H, W]
        return x + self.gamma * self.out(read)
