"""Generator and discriminator losses, each a small function; the trainer weights them by name.

    terms = {"l1": pixel_l1(fake, target), ...}
    total = weighted(terms, cfg.loss)   # Σ weight[name] * term
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from fontgen.font import topology
from training.config import LossConfig


def d_adversarial(real: list[torch.Tensor], fake: list[torch.Tensor], kind: str) -> torch.Tensor:
    """Discriminator loss over every scale's patch logits (hinge or BCE)."""
    total = 0.0
    for r, f in zip(real, fake):
        if kind == "hinge":
            total = total + F.relu(1 - r).mean() + F.relu(1 + f).mean()
        else:
            total = total + F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) \
                + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))
    return total / len(real)


def g_adversarial(fake: list[torch.Tensor], kind: str) -> torch.Tensor:
    total = 0.0
    for f in fake:
        total = total + (-f.mean() if kind == "hinge" else F.binary_cross_entropy_with_logits(f, torch.ones_like(f)))
    return total / len(fake)


def supervised_contrastive(z: torch.Tensor, labels: torch.Tensor, temperature: float) -> torch.Tensor:
    """SupCon (Khosla et al. 2020) on unit embeddings z [B, P]: pull together same-writer samples."""
    sim = z @ z.t() / temperature                               # [B, B]
    eye = torch.eye(len(z), dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(eye, float("-inf"))
    log_prob = sim - torch.logsumexp(sim, 1, keepdim=True)
    pos = (labels[:, None] == labels[None, :]) & ~eye
    count = pos.sum(1)
    has = count > 0
    if not has.any():
        return z.sum() * 0
    per_anchor = -(log_prob.masked_fill(~pos, 0).sum(1)[has] / count[has])
    return per_anchor.mean()


def gram(x: torch.Tensor) -> torch.Tensor:
    b, c, h, w = x.shape
    f = x.reshape(b, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)                   # [B, C, C]


def gram_style(fake_feat: torch.Tensor, real_feat: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(gram(fake_feat), gram(real_feat))


SEED_GRAM_SCALE = 1e4


def seed_gram(fake_style: torch.Tensor, ref_style: torch.Tensor) -> torch.Tensor:
    """The seed's Gram term: style vectors [B, D] → batch Gram [B, B] / (B * D), MSE, x 1e4."""
    def batch_gram(v):
        return v @ v.t() / v.numel()
    return SEED_GRAM_SCALE * F.mse_loss(batch_gram(fake_style), batch_gram(ref_style))


SOBEL = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def edges(x: torch.Tensor) -> torch.Tensor:
    """Sobel gradient magnitude of [B, 1, S, S] images."""
    k = SOBEL.to(x)
    kernel = torch.stack([k, k.t()])[:, None]                   # [2, 1, 3, 3]
    g = F.conv2d(x, kernel, padding=1)
    return torch.sqrt(g.pow(2).sum(1, keepdim=True) + 1e-6)


def outline(fake: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The seed's outline loss: L1 between Sobel gradient magnitudes."""
    return F.l1_loss(edges(fake), edges(target))


def contour(fake: torch.Tensor, target: torch.Tensor, sharpness: float) -> torch.Tensor:
    """L1 of soft half-ink masks: the shape a font keeps of a glyph (its half-ink contour, which the
    tracer follows), not the grey ramps around it that pixel L1 also rewards."""
    return F.l1_loss(torch.sigmoid(sharpness * fake), torch.sigmoid(sharpness * target))


def counter_mask(targets: torch.Tensor, ring: int) -> torch.Tensor:
    """Where the targets' counters are ([B, 1, S, S] in [-1, 1] → 0/1 of the same shape): every enclosed
    paper region of the half-ink target that `topology` counts, grown by `ring` pixels into the strokes
    around it. Those strokes are what closes a box; an open join misses a few of their pixels, too few
    for pixel L1 over the whole frame to notice. Computed on the host from the targets (no gradient)."""
    ink = (targets.detach().float().cpu().numpy()[:, 0] > 0)
    least = topology.min_area(ink.shape[-1])
    kernel = np.ones((2 * ring + 1, 2 * ring + 1), np.uint8)
    out = np.zeros(ink.shape, np.float32)
    for i, mask in enumerate(ink):
        labels = topology.Labels.of(mask)
        hole = labels.holes() & (labels.areas() >= least)
        if hole.any():
            out[i] = cv2.dilate(hole[labels.regions].view(np.uint8), kernel)
    return torch.from_numpy(out)[:, None].to(targets)


def counters(fake: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Pixel L1 inside `counter_mask`, averaged over the mask: a counter drawn open or inked over costs
    as much as the frame's whole L1 would for a stroke."""
    return (mask * (fake - target).abs()).sum() / mask.sum().clamp(min=1)


def structure_consistency(restructure: list[torch.Tensor], structure: list[torch.Tensor]) -> torch.Tensor:
    """Re-encoded output vs the template's structure features, every scale (template side fixed)."""
    return sum(F.l1_loss(a, b.detach()) for a, b in zip(restructure, structure)) / len(structure)


def classification(logits: torch.Tensor, char_id: torch.Tensor) -> torch.Tensor:
    """OCR critic cross-entropy; characters outside the critic's charset (id -1) are ignored."""
    if not (char_id >= 0).any():
        return logits.sum() * 0
    return F.cross_entropy(logits, char_id, ignore_index=-1)


def weighted(terms: dict[str, torch.Tensor], cfg: LossConfig) -> torch.Tensor:
    return sum(getattr(cfg, name) * value for name, value in terms.items())
