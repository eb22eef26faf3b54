"""OCR critic: a compact ResNet that reads a glyph as one character of the dataset charset.

Trained first (training.ocr), then frozen: its classification of generated glyphs is the GAN's
recognizability loss and its mid-level features feed the Gram style loss. The seed used a DenseNet;
a four-stage ResNet of basic blocks reads 64 px glyphs as well at a fraction of the CPU cost.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from training.models.blocks import conv_bn_relu


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = conv_bn_relu(cin, cout, stride)
        self.conv2 = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.skip = nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return F.relu(self.conv2(self.conv1(x)) + self.skip(x))


class Critic(nn.Module):
    def __init__(self, base: int, classes: int):
        super().__init__()
        self.stem = conv_bn_relu(1, base, stride=2)             # S/2 at once: full-res maps cost most on CPUs
        self.stage1 = BasicBlock(base, base, 1)                 # S/2
        self.stage2 = BasicBlock(base, 2 * base, 2)             # S/4: features for the Gram loss
        self.stage3 = BasicBlock(2 * base, 4 * base, 2)         # S/8
        self.stage4 = BasicBlock(4 * base, 8 * base, 2)         # S/16
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(8 * base, classes)

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """[B, 1, S, S] → (logits [B, classes], stage-2 features [B, 2*base, S/4, S/4])."""
        mid = self.stage2(self.stage1(self.stem(x)))
        pooled = self.stage4(self.stage3(mid)).mean((2, 3))
        return self.head(self.dropout(pooled)), mid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)[0]
