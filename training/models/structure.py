"""Structure encoder: a U-Net over the template glyph giving multi-scale structure features.

For S = 64 the encoder goes 64 → 32 → 16 → 8 → 4 → 2 (self-attention at `attn_level`), the decoder
comes back up with skip connections; the features at 2, 4, …, S (coarse to fine) modulate the
generator's decoder blocks of the same resolution.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from training.models.blocks import SelfAttention2d, conv_bn_relu


def level_channels(base: int, max_mult: int, levels: int) -> list[int]:
    """Channels per U-Net level 0 (full resolution) .. levels (2×2): doubling, capped."""
    return [base * min(2 ** i, max_mult) for i in range(levels + 1)]


class StructureEncoder(nn.Module):
    def __init__(self, size: int, base: int, max_mult: int, attn_level: int, inputs: int = 1):
        super().__init__()
        self.levels = size.bit_length() - 2                     # 64 → 5 halvings down to 2×2
        ch = level_channels(base, max_mult, self.levels)
        self.channels = ch
        self.stem = conv_bn_relu(inputs, ch[0])
        downs = []
        for i in range(1, self.levels + 1):
            block = [conv_bn_relu(ch[i - 1], ch[i], stride=2), conv_bn_relu(ch[i], ch[i])]
            if i == attn_level:
                block.append(SelfAttention2d(ch[i]))
            downs.append(nn.Sequential(*block))
        self.downs = nn.ModuleList(downs)
        self.ups = nn.ModuleList(conv_bn_relu(ch[i + 1] + ch[i], ch[i]) for i in range(self.levels))

    def forward(self, template: torch.Tensor) -> list[torch.Tensor]:
        """[B, inputs, S, S] → features at 2×2, 4×4, …, S×S with channels ch[levels], …, ch[0]."""
        skips = [self.stem(template)]                           # [B, ch0, S, S]
        for down in self.downs:
            skips.append(down(skips[-1]))                       # [B, ch_i, S/2^i, S/2^i]
        feats = [skips[-1]]                                      # [B, ch_L, 2, 2]
        for i in reversed(range(self.levels)):
            up = F.interpolate(feats[-1], scale_factor=2.0, mode="nearest")
            feats.append(self.ups[i](torch.cat([up, skips[i]], 1)))
        return feats
