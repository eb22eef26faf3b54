"""Training speed of a config preset on this machine: GAN it/s and samples/s, OCR critic it/s, and the
generator's GFLOPs per glyph. Writes bench/results/train_speed.json.

    .venv/bin/python bench/train_speed.py                      # cpu.yaml, a generated tiny dataset
    .venv/bin/python bench/train_speed.py --data /work/data/ds64 --iterations 30 model.base=8

Timing skips the first iterations (warm-up) and excludes data packing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from training import config, ocr, trainer  # noqa: E402
from training.models import build_generator  # noqa: E402


def glyph_gflops(cfg) -> float:
    """Forward FLOPs of `glyph()` for one template (the per-glyph cost of making a font)."""
    gen = build_generator(cfg.model).eval().requires_grad_(False)
    s = cfg.model.size
    styles = gen.style(torch.zeros(1, 4, s, s))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        gen.glyph(*styles, torch.zeros(1, cfg.model.template_channels, s, s))
    return counter.get_total_flops() / 1e9


def per_second(stamps: list[float], warmup: int) -> float:
    """Iterations per second after the warm-up iterations, from per-iteration end times."""
    return (len(stamps) - warmup) / (stamps[-1] - stamps[warmup - 1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="cpu")
    p.add_argument("--data", help="dataset folder (default: a tiny generated one)")
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "train_speed.json"))
    p.add_argument("overrides", nargs="*")
    a = p.parse_args()
    base = [f"train.iterations={a.iterations}", f"critic.iterations={a.iterations}", "train.save_every=0",
            "train.sample_every=0", "train.max_minutes=0", "critic.max_minutes=0"]
    cfg = config.load(a.config, base + a.overrides)
    gflops = glyph_gflops(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = Path(a.data) if a.data else None
        if data is None:
            from tinydata import make_dataset
            data = make_dataset(tmp / "data", chars=60, size=cfg.model.size)
        stamps = []
        quiet = lambda _msg: None  # noqa: E731
        ocr.train_ocr(cfg, data, tmp / "ocr", log=quiet, on_iteration=lambda: stamps.append(time.perf_counter()))
        ocr_its = per_second(stamps, a.warmup)
        stamps = []
        trainer.train_gan(cfg, data, tmp / "ocr" / "last.pth", tmp / "gan", log=quiet,
                          on_iteration=lambda: stamps.append(time.perf_counter()))
        gan_its = per_second(stamps, a.warmup)
    report = {
        "config": a.config, "overrides": a.overrides, "data": str(a.data or "tiny generated"),
        "threads": torch.get_num_threads(), "machine": platform.processor() or platform.machine(),
        "gan_it_per_s": round(gan_its, 3), "gan_samples_per_s": round(gan_its * cfg.data.batch, 2),
        "ocr_it_per_s": round(ocr_its, 3), "ocr_samples_per_s": round(ocr_its * cfg.critic.batch, 2),
        "generator_gflops_per_glyph": round(gflops, 4),
        "generator_params_m": round(sum(t.numel() for t in build_generator(cfg.model).parameters()) / 1e6, 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(report, indent=2))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
