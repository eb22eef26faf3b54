"""Image and distribution metrics for comparing generated glyphs with a writer's real ones.

All glyph arguments are uint8 ink maps [N, S, S] (255 = ink) compared pair by pair; functions return
one value per glyph so callers can split seen and unseen characters before averaging.

- `ssim`, `l1`: on the normalized S×S glyphs, as the seed reports them.
- `style_distance`: L1 after cropping each glyph to its ink box, padding square and resizing to 64 px,
  so the comparison is about the shape of the strokes, not where the glyph sat in its box;
  `style_gain = 1 - d(generated, real) / d(template font, real)`.
- `frechet_distance` (FID) and `inception_score` (IS) on feature vectors and class probabilities of
  whatever network the caller has (here: the project's OCR critic).
- `edge_length` and `specks`: how ragged a glyph is: the length of its half-ink outline (in pixels) and its
  ink fragments too small to be a stroke or a dot. A rough, blotted drawing has more of both than the
  writer's own glyphs; a clotted one less outline.
- `counters` and `counters_kept`: enclosed counters (holes, `fontgen.font.topology`) of glyphs drawn at
  128 px, and how many of a dense character's counters the generated glyph keeps.
"""

from __future__ import annotations

import cv2
import numpy as np

from fontgen import raster
from fontgen.font import closing

STYLE_SIZE = 64
COUNTER_PX = closing.COUNTER_PX  # counters are counted on glyphs drawn at this size
DENSE_COUNTERS = 3    # characters whose real glyph has at least this many counters count
SPECK_FRACTION = 1e-3  # an ink fragment under this share of the frame (4 px at 64 px) is a speck, not a dot
SSIM_SIGMA = 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03


def _unit(ink: np.ndarray) -> np.ndarray:
    return ink.astype(np.float64) / 255.0


def l1(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean absolute difference per glyph, in [0, 1]: [N, S, S] × [N, S, S] → [N]."""
    return np.abs(_unit(a) - _unit(b)).mean(axis=(1, 2))


def ssim(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Structural similarity per glyph (Gaussian window σ 1.5, as Wang et al. 2004): → [N]."""
    c1, c2 = SSIM_K1 ** 2, SSIM_K2 ** 2
    out = np.empty(len(a))
    for i, (x, y) in enumerate(zip(_unit(a), _unit(b))):
        blur = lambda img: cv2.GaussianBlur(img, (11, 11), SSIM_SIGMA, borderType=cv2.BORDER_REFLECT)
        mx, my = blur(x), blur(y)
        vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
        score = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
        out[i] = score.mean()
    return out


def ink_box(ink: np.ndarray, size: int = STYLE_SIZE) -> np.ndarray:
    """Glyphs cropped to their ink box, padded square and resized to size×size (blank stays blank)."""
    out = np.zeros((len(ink), size, size), np.uint8)
    for i, glyph in enumerate(ink):
        norm = raster.normalize(glyph, size, margin=0)
        if norm is not None:
            out[i] = norm
    return out


def style_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """d(a, b) per glyph: L1 of the ink-box-normalized 64 px glyphs, in [0, 1]."""
    return l1(ink_box(a), ink_box(b))


def style_gain(d_generated: float, d_template: float) -> float:
    """1 − d(generated, real) / d(template, real): 0 is no better than the template font, 1 is exact."""
    return 1.0 - d_generated / d_template if d_template > 0 else float("nan")


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets [N, D] (the FID formula), exactly.

    tr(sqrt(Σa Σb)) is the sum of square roots of the eigenvalues of Σa Σb. With fewer samples than
    dimensions (200 glyphs, thousands of critic logits) those are the squared singular values of
    Xa Xb^T / sqrt((Na-1)(Nb-1)) over the centred samples, a small matrix; otherwise they are the
    eigenvalues of sqrt(Σa) Σb sqrt(Σa), symmetric and positive semi-definite. No scipy needed.
    """
    a, b = np.asarray(feats_a, np.float64), np.asarray(feats_b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    xa, xb = a - mu_a, b - mu_b
    na, nb = len(a) - 1, len(b) - 1
    trace_a, trace_b = (xa * xa).sum() / na, (xb * xb).sum() / nb
    if a.shape[1] > min(na, nb):
        tr_root = np.linalg.svd(xa @ xb.T, compute_uv=False).sum() / np.sqrt(na * nb)
    else:
        cov_a, cov_b = xa.T @ xa / na, xb.T @ xb / nb
        w, v = np.linalg.eigh(cov_a)
        root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
        tr_root = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + trace_a + trace_b - 2 * tr_root)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def inception_score(probs: np.ndarray, splits: int = 1) -> float:
    """exp(E_x KL(p(y|x) ‖ p(y))) of class probabilities [N, C], averaged over `splits` chunks."""
    scores = []
    for chunk in np.array_split(np.asarray(probs, np.float64), splits):
        marginal = chunk.mean(axis=0, keepdims=True)
        kl = (chunk * (np.log(chunk + 1e-12) - np.log(marginal + 1e-12))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores))


def edge_length(ink: np.ndarray) -> np.ndarray:
    """Outline length per glyph ([N, S, S] → [N]): half-ink pixels with a 4-neighbour on paper."""
    mask = np.pad(ink >= 128, ((0, 0), (1, 1), (1, 1)))
    inner = mask[:, 1:-1, 1:-1] & mask[:, :-2, 1:-1] & mask[:, 2:, 1:-1] & mask[:, 1:-1, :-2] & mask[:, 1:-1, 2:]
    return (mask[:, 1:-1, 1:-1] & ~inner).sum(axis=(1, 2))


def specks(ink: np.ndarray) -> np.ndarray:
    """Ink fragments per glyph ([N, S, S] → [N]): 8-connected half-ink components under `SPECK_FRACTION`
    of the frame."""
    least = SPECK_FRACTION * ink.shape[1] * ink.shape[2]
    out = np.zeros(len(ink), np.int64)
    for i, glyph in enumerate(ink):
        n, _, stats, _ = cv2.connectedComponentsWithStats((glyph >= 128).view(np.uint8), connectivity=8)
        out[i] = int((stats[1:n, cv2.CC_STAT_AREA] < least).sum())
    return out


def counters(ink: np.ndarray) -> np.ndarray:
    """Enclosed counters per glyph ([N, S, S] → [N] ints): holes of the half-ink mask of at least
    `topology.min_area(S)` pixels."""
    from fontgen.font import topology

    return np.array([topology.topology(g).holes for g in ink], np.int64)


def counters_kept(generated: np.ndarray, real: np.ndarray, least: int = DENSE_COUNTERS) -> tuple[int, int]:
    """(kept, total) over the characters whose real glyph has at least `least` counters: total is the sum of
    their real counts, kept the sum of min(generated count, real count). Counts from `counters`; kept ÷ total
    is the issue's counters-kept ratio (summed, so pools of writers add up)."""
    dense = real >= least
    return int(np.minimum(generated[dense], real[dense]).sum()), int(real[dense].sum())
