"""Numerical parity of exported ONNX graphs with the torch modules they came from.

An export is only shipped if onnxruntime reproduces torch within `TOLERANCE` (max absolute
difference, fp32) for several reference counts and batch sizes, so the dynamic axes are exercised:

    report = check_generator(generator, folder, style_names)   # raises ParityError when violated
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

TOLERANCE = 1e-3
REF_COUNTS = (1, 4, 8)
BATCHES = (1, 7)


class ParityError(RuntimeError):
    """onnxruntime and torch disagree beyond the tolerance: the graph must not be shipped."""


def _session(path: Path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def _max_abs(a: torch.Tensor, b: np.ndarray) -> float:
    return float(np.abs(a.detach().numpy() - b).max())


def _fail_if_over(report: dict, tolerance: float, what: str) -> dict:
    worst = max(v for k, v in report.items() if k.endswith("max_abs"))
    if not worst <= tolerance:  # also catches NaN
        raise ParityError(f"{what}: onnxruntime differs from torch by {worst:.3g} > {tolerance:g} (max abs)")
    return report


@torch.no_grad()
def check_generator(generator, folder: Path, style_names: tuple[str, ...], tolerance: float = TOLERANCE,
                    seed: int = 0) -> dict:
    """Compare style.onnx and glyph.onnx with `generator` on random inputs; returns the max differences.

    The glyph graph is fed the style graph's own outputs, so the figure covers the whole ONNX chain.
    """
    size = generator.cfg.size
    style_sess, glyph_sess = _session(folder / "style.onnx"), _session(folder / "glyph.onnx")
    rng = torch.Generator().manual_seed(seed)
    style_diff = glyph_diff = 0.0
    for r in REF_COUNTS:
        refs = torch.rand(1, r, size, size, generator=rng) * 2 - 1
        torch_style = generator.style(refs)
        onnx_style = style_sess.run(list(style_names), {"refs": refs.numpy()})
        style_diff = max(style_diff, *(_max_abs(t, o) for t, o in zip(torch_style, onnx_style)))
        for b in BATCHES:
            templates = torch.rand(b, generator.cfg.template_channels, size, size, generator=rng) * 2 - 1
            expected = generator.glyph(*torch_style, templates)
            got = glyph_sess.run(["glyphs"], {**dict(zip(style_names, onnx_style)), "templates": templates.numpy()})[0]
            if got.shape != tuple(expected.shape):
                raise ParityError(f"glyph.onnx returned {got.shape}, torch {tuple(expected.shape)} (R={r}, B={b})")
            glyph_diff = max(glyph_diff, _max_abs(expected, got))
    report = {"tolerance": tolerance, "ref_counts": list(REF_COUNTS), "batches": list(BATCHES),
              "style_max_abs": style_diff, "glyph_max_abs": glyph_diff}
    return _fail_if_over(report, tolerance, "generator")


@torch.no_grad()
def check_critic(critic, path: Path, size: int, tolerance: float = TOLERANCE, seed: int = 0) -> dict:
    """Compare critic.onnx logits with `critic` on random batches of 1 and 7 glyphs."""
    sess = _session(path)
    rng = torch.Generator().manual_seed(seed)
    diff = 0.0
    for b in BATCHES:
        x = torch.rand(b, 1, size, size, generator=rng) * 2 - 1
        diff = max(diff, _max_abs(critic(x), sess.run(["logits"], {"glyphs": x.numpy()})[0]))
    return _fail_if_over({"tolerance": tolerance, "batches": list(BATCHES), "logits_max_abs": diff},
                         tolerance, "critic")
