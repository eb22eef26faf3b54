"""Style encoder: two branches over the R reference glyphs of one writer.

- global writer style: a CNN embeds each reference into a token, a transformer encoder mixes the R
  tokens, their mean is the writer style (the reference set is unordered, so no positions);
- detailed glyph style: attention pooling over every spatial cell of every reference's feature map
  picks out the distinctive strokes.
- with `cells` > 0, reference cells: every reference's 8 × 8 feature map (plus a learned position)
  projected to `cells` keys and `2 * cells` values, one token per cell, for the decoder's
  `ReferenceAttention`; computed once per writer like the two vectors.
A projection head maps the writer style to the unit sphere for the supervised contrastive loss.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from training.models.blocks import TransformerLayer, conv_bn_relu


class StyleEncoder(nn.Module):
    CELL_STAGE = 3  # cells from the third stage: S/8 (8 × 8 at 64 px)

    def __init__(self, size: int, style_base: int, style_dim: int, layers: int, heads: int, proj_dim: int,
                 cells: int = 0):
        super().__init__()
        b = style_base
        chans = [b, 2 * b, 4 * b, 8 * b]
        self.cell_width = 3 * cells
        if cells:
            side = size // 2 ** self.CELL_STAGE
            self.cell_position = nn.Parameter(torch.zeros(1, chans[2], side, side))
            self.cell_proj = nn.Conv2d(chans[2], self.cell_width, 1)
        stages, cin = [], 1
        for c in chans:                                         # S → S/16 (64 → 4)
            stages += [conv_bn_relu(cin, c, stride=2), conv_bn_relu(c, c)]
            cin = c
        stages.append(nn.Conv2d(cin, style_dim, 1))
        self.cnn = nn.Sequential(*stages)
        self.token = nn.Sequential(nn.LayerNorm(style_dim), nn.Linear(style_dim, style_dim))
        self.transformer = nn.Sequential(*(TransformerLayer(style_dim, heads) for _ in range(layers)))
        self.writer_norm = nn.LayerNorm(style_dim)
        self.attn_logit = nn.Conv2d(style_dim, 1, 1)
        self.glyph_out = nn.Sequential(nn.LayerNorm(style_dim), nn.Linear(style_dim, style_dim))
        self.projection = nn.Sequential(nn.Linear(style_dim, 2 * style_dim), nn.ReLU(inplace=True),
                                        nn.Linear(2 * style_dim, proj_dim))

    def forward(self, refs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """refs [B, R, S, S] → (writer style [B, D], glyph style [B, D][, cells [B, R*64, 3*cells]])."""
        b, r, s, _ = refs.shape
        x = refs.reshape(b * r, 1, s, s)
        cells = None
        if self.cell_width:
            x = self.cnn[:2 * self.CELL_STAGE](x)               # [B*R, 4b, S/8, S/8], after its ReLU
            cells = self.cell_proj(x + self.cell_position).flatten(2).transpose(1, 2)  # [B*R, 64, 3c]
            cells = cells.reshape(b, -1, self.cell_width)       # [B, R*64, 3c]
            x = self.cnn[2 * self.CELL_STAGE:](x)
        else:
            x = self.cnn(x)
        feat = F.relu(x)                                        # [B*R, D, h, w]
        d = feat.shape[1]
        tokens = self.token(feat.mean((2, 3)).reshape(b, r, d))  # [B, R, D]
        writer = self.writer_norm(self.transformer(tokens).mean(1))  # [B, D]
        logits = self.attn_logit(feat).reshape(b, -1)           # [B, R*h*w]
        spots = feat.reshape(b, r, d, -1).transpose(2, 3).reshape(b, -1, d)  # [B, R*h*w, D]
        glyph = (torch.softmax(logits, 1).unsqueeze(-1) * spots).sum(1)      # [B, D]
        if cells is None:
            return writer, self.glyph_out(glyph)
        return writer, self.glyph_out(glyph), cells

    def embed(self, writer: torch.Tensor) -> torch.Tensor:
        """Writer style [B, D] → unit-norm contrastive embedding [B, P]."""
        return F.normalize(self.projection(writer), dim=1)
