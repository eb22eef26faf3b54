"""Multi-scale patch discriminator: the same conv stack judges the glyph at S, S/2, S/4, …

Spectral normalization keeps it Lipschitz so hinge and BCE losses both train stably on small batches.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm


def _patch_net(base: int) -> nn.Sequential:
    def sn_conv(cin, cout, k, s, p):
        return spectral_norm(nn.Conv2d(cin, cout, k, s, p))

    return nn.Sequential(
        sn_conv(1, base, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
        sn_conv(base, 2 * base, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
        sn_conv(2 * base, 4 * base, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True),
        sn_conv(4 * base, 1, 3, 1, 1),
    )


class MultiScaleDiscriminator(nn.Module):
    def __init__(self, base: int, scales: int):
        super().__init__()
        self.nets = nn.ModuleList(_patch_net(base) for _ in range(scales))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """[B, 1, S, S] → one patch-logit map per scale, [B, 1, S/4, S/4], [B, 1, S/8, S/8], …"""
        out = []
        for i, net in enumerate(self.nets):
            if i:
                x = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
            out.append(net(x))
        return out
