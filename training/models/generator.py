"""DSF-GAN generator: structure U-Net + dual-branch style encoder + denormalization decoder.

The generator is split in two so a font needs the style pass once (export makes two ONNX graphs):

    styles = G.style(refs)              # refs [B, R, S, S] in [-1, 1], ink = +1, any R >= 1
    out = G.glyph(*styles, templates)   # templates [B, C, S, S] → glyphs [B, 1, S, S] in [-1, 1]
    G(refs, templates) == G.glyph(*G.style(refs), templates)

The style tensors are the writer style and the glyph style, plus the reference cells with
`model.ref_attention` (the decoder's 16 × 16 block then reads the references cell by cell). Style
tensors with batch 1 are broadcast over the template batch. C is 1 (the template font's glyph)
or 2 with `model.content_font`: the same character in a second font, a kaishu whose strokes are
closer to handwriting than the sans template's, for the structure encoder to draw on.
"""

from __future__ import annotations

from dataclasses import asdict

import torch
from torch import nn
import torch.nn.functional as F

from training.config import ModelConfig
from training.models.blocks import ReferenceAttention
from training.models.structure import StructureEncoder
from training.models.style import StyleEncoder


class AdaptiveFusion(nn.Module):
    """Per decoder block, a learned channel gate mixes writer style and glyph style."""

    def __init__(self, style_dim: int, blocks: int):
        super().__init__()
        self.gates = nn.ModuleList(nn.Linear(2 * style_dim, style_dim) for _ in range(blocks))

    def forward(self, writer: torch.Tensor, glyph: torch.Tensor) -> list[torch.Tensor]:
        both = torch.cat([writer, glyph], 1)
        mixed = []
        for gate in self.gates:
            g = torch.sigmoid(gate(both))                       # [B, D]
            mixed.append(g * writer + (1 - g) * glyph)
        return mixed


class Denormalization(nn.Module):
    """Normalize, then modulate twice — spatially by structure, per channel by style — and mix the two
    with a learned spatial mask."""

    def __init__(self, channels: int, structure_channels: int, style_dim: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.structure = nn.Conv2d(structure_channels, 2 * channels, 1)
        self.style = nn.Linear(style_dim, 2 * channels)
        self.mask = nn.Conv2d(channels, 1, 1)

    def forward(self, x: torch.Tensor, structure: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        x = self.norm(x)
        s_gamma, s_beta = self.structure(structure).chunk(2, 1)               # [B, C, H, W] each
        t_gamma, t_beta = self.style(style)[:, :, None, None].chunk(2, 1)     # [B, C, 1, 1] each
        m = torch.sigmoid(self.mask(x))                                       # [B, 1, H, W]
        return (1 - m) * (x * (1 + s_gamma) + s_beta) + m * (x * (1 + t_gamma) + t_beta)


class DenormBlock(nn.Module):
    """Residual block of two denormalized 3×3 convolutions."""

    def __init__(self, cin: int, cout: int, structure_channels: int, style_dim: int):
        super().__init__()
        self.norm1 = Denormalization(cin, structure_channels, style_dim)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm2 = Denormalization(cout, structure_channels, style_dim)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1, bias=False) if cin != cout else nn.Identity()

    def forward(self, x, structure, style):
        h = self.conv1(F.relu(self.norm1(x, structure, style)))
        h = self.conv2(F.relu(self.norm2(h, structure, style)))
        return h + self.skip(x)


class Generator(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.structure_encoder = StructureEncoder(cfg.size, cfg.base, cfg.max_mult, cfg.attn_level,
                                                  cfg.template_channels)
        self.style_encoder = StyleEncoder(cfg.size, cfg.style_base, cfg.style_dim, cfg.style_layers,
                                          cfg.style_heads, cfg.proj_dim, cfg.ref_attention)
        ch = self.structure_encoder.channels                    # level 0 (S×S) .. L (2×2)
        levels = self.structure_encoder.levels
        self.fusion = AdaptiveFusion(cfg.style_dim, levels + 1)
        self.boot = nn.Linear(cfg.style_dim, ch[levels] * 4)   # style → 2×2 seed map
        self.blocks = nn.ModuleList(
            DenormBlock(ch[min(i + 1, levels)], ch[i], ch[i], cfg.style_dim) for i in reversed(range(levels + 1)))
        self.to_image = nn.Conv2d(ch[0], 1, 3, 1, 1)
        self.attn_block = levels - 2                            # the block that draws S/4 × S/4 (16 at 64 px)
        c = ch[2]
        self.ref_attention = (ReferenceAttention(c, c, cfg.ref_attention, 2 * cfg.ref_attention)
                              if cfg.ref_attention else None)

    def config_dict(self) -> dict:
        return asdict(self.cfg)

    def style(self, refs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """References [B, R, S, S] → (writer style [B, D], glyph style [B, D][, cells [B, R*64, 3K]])."""
        return self.style_encoder(refs)

    def synthesize(self, styles: tuple[torch.Tensor, ...], structure: list[torch.Tensor]) -> torch.Tensor:
        """Decode from 2×2 to S×S; `styles` as `style` returns them, structure features as returned by the
        structure encoder."""
        batch = structure[0].shape[0]
        writer = styles[0].expand(batch, -1)                    # batch-1 style broadcasts over templates
        glyph = styles[1].expand(batch, -1)
        mixed = self.fusion(writer, glyph)
        c = self.boot.out_features // 4
        x = self.boot(mixed[0]).reshape(batch, c, 2, 2)         # [B, ch_L, 2, 2]
        for i, block in enumerate(self.blocks):
            if i:
                x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = block(x, structure[i], mixed[i])                # [B, ch, 2^(i+1), 2^(i+1)]
            if i == self.attn_block and self.ref_attention is not None:
                x = self.ref_attention(x, structure[i], styles[2])
        return torch.tanh(self.to_image(F.relu(x)))             # [B, 1, S, S]

    def glyph(self, *styles_then_templates: torch.Tensor) -> torch.Tensor:
        """Style tensors (batch B or 1), then templates [B, C, S, S] → glyphs [B, 1, S, S] in [-1, 1]."""
        *styles, templates = styles_then_templates
        return self.synthesize(tuple(styles), self.structure_encoder(templates))

    def forward(self, refs: torch.Tensor, templates: torch.Tensor) -> torch.Tensor:
        return self.glyph(*self.style(refs), templates)


class GeneratorStep(nn.Module):
    """Everything the generator loss needs from one call, so DDP sees a single forward per step.

    With `restyle`, the output is also read back by the style encoder as a one-reference set (the
    seed's Gram term compares that with the references' writer style)."""

    def __init__(self, generator: Generator, restyle: bool = False):
        super().__init__()
        self.generator = generator
        self.restyle = restyle

    def forward(self, refs, templates):
        g = self.generator
        styles = g.style(refs)
        writer = styles[0]
        structure = g.structure_encoder(templates)
        fake = g.synthesize(styles, structure)
        # structure consistency: re-encode the output, beside the same content-font channel (if any)
        restructure = g.structure_encoder(torch.cat([fake, templates[:, 1:]], 1))
        restyled = g.style(fake)[0] if self.restyle else None
        return fake, g.style_encoder.embed(writer), structure, restructure, writer, restyled
