"""Benchmark `make-font`: the full GB2312 font (+ symbols) from one writer's samples, stage by stage.

    .venv/bin/python bench/make_font.py --checkpoint /work/runs/gan/last.pth            # a trained model
    .venv/bin/python bench/make_font.py --random --samples /tmp/my_chars                 # cpu.yaml, random init

The generator checkpoint (or a random-init generator of the `cpu` preset) is exported with the
project's exporter to a temporary model folder, so onnxruntime and torch eager run the *same* weights
in the same process. It then times `makefont.make_font` end to end `--repeat` times (templates cache
warmed first and its cold time reported separately) and records, for the median run, seconds per stage (style, generate, vectorize, build,
validate, write), generation glyphs/s of onnxruntime (as `make-font` runs it) against torch eager on
the same templates and thread count (torch at its best of a few batch sizes), and peak memory of this
process and of the largest worker. Writes
bench/results/make_font.json. Other jobs on a shared machine stretch wall times: the load average is
recorded beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from fontgen import charsets, raster, templates
from fontgen.font import makefont
from fontgen.model import generate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "make_font.json"
EXAMPLE_WRITER = ROOT / "examples" / "writer"
TARGET_TOTAL_S = 20.0
TARGET_SPEEDUP = 2.5


def load_generator(args):
    """The torch generator to export and to time in eager mode."""
    import torch

    if args.checkpoint:
        from training.checkpoint import load_generator as load

        return load(args.checkpoint)
    from training import config
    from training.models import build_generator

    torch.manual_seed(0)
    return build_generator(config.load("cpu").model).eval()


TORCH_BATCHES = (16, 64)


def torch_eager_rate(generator, style: dict[str, np.ndarray], inputs: np.ndarray, batch: int, threads: int) -> float:
    """Glyphs/s of the torch module on the same inputs and threads as onnxruntime."""
    import torch

    torch.set_num_threads(threads)
    writer, glyph = (torch.from_numpy(v) for v in style.values())
    x = torch.from_numpy(raster.to_model(inputs))
    with torch.inference_mode():
        generator.glyph(writer, glyph, x[:batch])  # warm-up (oneDNN primitive creation)
        t0 = time.perf_counter()
        for start in range(0, len(x), batch):
            raster.from_model(generator.glyph(writer, glyph, x[start:start + batch])[:, 0].numpy())
        return len(x) / (time.perf_counter() - t0)


def ort_rate(gen: generate.Generator, style, inputs: np.ndarray, batch: int) -> float:
    gen.glyphs(style, inputs[:batch], batch=batch, progress=False)
    t0 = time.perf_counter()
    gen.glyphs(style, inputs, batch=batch, progress=False)
    return len(inputs) / (time.perf_counter() - t0)


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", help="GAN checkpoint whose EMA generator is benchmarked")
    source.add_argument("--random", action="store_true", help="random-init generator of the cpu preset")
    parser.add_argument("--samples", default=str(EXAMPLE_WRITER), help="writer samples folder [examples/writer]")
    parser.add_argument("--charset", default="gb2312+symbols+ascii")
    parser.add_argument("--batch", type=int, default=None, help="generation batch [generate.DEFAULT_BATCH]")
    parser.add_argument("--compare", type=int, default=1024, help="templates for the onnxruntime vs torch comparison")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of that comparison (best kept)")
    parser.add_argument("--repeat", type=int, default=3, help="make-font runs; the median run is reported")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()

    from export.onnx_export import write_model

    generator = load_generator(args)
    work = Path(tempfile.mkdtemp(prefix="fontgen-bench-"))
    model_dir = work / "model"
    write_model(generator, model_dir, training={"bench": "checkpoint" if args.checkpoint else "random cpu preset"})

    chars = charsets.resolve(args.charset)
    t0 = time.perf_counter()
    hanzi = templates.render([c for c in chars if charsets.is_hanzi(c)], size=generator.cfg.size, progress=True)
    if generator.cfg.content_font:
        templates.content_ink(hanzi.chars, hanzi.ink, generator.cfg.content_font, generator.cfg.size)
    templates.render([c for c in chars if not charsets.is_hanzi(c)], size=makefont.SYMBOL_PX, progress=True)
    template_cache_s = time.perf_counter() - t0

    load = os.getloadavg()[0]
    runs = []  # (wall seconds, report); this machine's timings move by ±1.5 s between runs
    for i in range(args.repeat):
        t0 = time.perf_counter()
        report = makefont.make_font(args.samples, work / f"Bench{i}.otf", charset=args.charset, model=model_dir,
                                    device="cpu", batch=args.batch, progress=True)
        runs.append((time.perf_counter() - t0, report))
    walls = [w for w, _ in runs]
    wall, report = sorted(runs, key=lambda r: r[0])[len(runs) // 2]  # the median run
    peak_self, peak_workers = peak_mb(resource.RUSAGE_SELF), peak_mb(resource.RUSAGE_CHILDREN)

    gen = generate.Generator(model_dir, device="cpu")
    threads = generate.physical_cores()
    batch = args.batch or generate.DEFAULT_BATCH["cpu"]
    tpl = templates.render(chars[:args.compare], size=gen.size)
    style = gen.style(np.stack([tpl.ink[0]] * 4))
    inputs = gen.inputs(tpl.ink, tpl.chars)
    # Alternate the two runtimes and keep each one's best round, so load from other jobs biases neither.
    ort_gps = torch_gps = 0.0
    for _ in range(args.rounds):
        ort_gps = max(ort_gps, ort_rate(gen, style, inputs, batch))
        for torch_batch in TORCH_BATCHES:
            torch_gps = max(torch_gps, torch_eager_rate(generator, style, inputs, torch_batch, threads))

    seconds = {k: round(v, 3) for k, v in report.seconds.items()}
    result = {
        "model": args.checkpoint or "random-init cpu preset",
        "charset": args.charset,
        "glyphs": {"samples": report.samples, "generated": report.generated, "symbols": report.symbols,
                   "missing": len(report.missing)},
        "seconds": seconds,
        "total_s": round(wall, 2),
        "total_s_runs": [round(w, 2) for w in walls],
        "template_cache_cold_s": round(template_cache_s, 2),
        "generate_glyphs_per_s": round(report.generated / report.seconds["generate"], 1),
        "compare": {"glyphs": len(tpl.ink), "batch": batch, "torch_batches": list(TORCH_BATCHES), "threads": threads,
                    "onnxruntime_runs": f"{gen.concurrent} concurrent single-threaded", "rounds": args.rounds,
                    "onnxruntime_glyphs_per_s": round(ort_gps, 1), "torch_eager_glyphs_per_s": round(torch_gps, 1),
                    "speedup": round(ort_gps / torch_gps, 2)},
        "font_bytes": report.out.stat().st_size,
        "peak_rss_mb": {"main": round(peak_self), "largest_worker": round(peak_workers)},
        "targets": {"total_s": TARGET_TOTAL_S, "speedup": TARGET_SPEEDUP,
                    "met": wall <= TARGET_TOTAL_S and ort_gps / torch_gps >= TARGET_SPEEDUP},
        "machine": {"cpus": os.cpu_count(), "physical_cores": threads, "load_avg_1m_at_start": round(load, 2),
                    "python": platform.python_version()},
    }
    print(report.summary())
    print(f"total {wall:.1f} s, median of {len(walls)} runs {min(walls):.1f}-{max(walls):.1f} s "
          f"(target {TARGET_TOTAL_S:.0f}); generation onnxruntime {ort_gps:.0f} glyphs/s vs "
          f"torch eager {torch_gps:.0f} glyphs/s = {ort_gps / torch_gps:.2f}x (target {TARGET_SPEEDUP}x); "
          f"peak RSS {peak_self:.0f} MB (+ worker {peak_workers:.0f} MB); load {load:.1f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
