"""Benchmark `make-font` (OTF + TTF) stage by stage, against each stage's floor and the unchanged code, in one run.

    .venv/bin/python bench/make_font.py --base /tmp/base --repeat 3     # base: a checkout of the old code
    .venv/bin/python bench/make_font.py --repeat 1                      # floors only, no comparison
    .venv/bin/python bench/make_font.py --repeat 1 --adapt fast         # with the adaptation stage (torch)

Each make-font runs in a fresh process (`python -c`, the code root first on PYTHONPATH): this tree's
code and, with `--base`, another checkout's (e.g. `git worktree add /tmp/base <commit>`), alternating
so that load from other jobs falls on both alike. Per run: seconds per stage as make-font reports
them, the wall time, and peak memory (the main process, the largest worker and the sum over the run's
processes, sampled from /proc). Then, in this process, the floors of the same glyphs on the same
machine: generation (onnxruntime alone, as make-font runs it), vectorize (binarize + potrace alone,
on every core), validate (FreeType rendering of every glyph of both fonts alone, on every core); the
font assembly is its own floor. The optional stages have theirs: adaptation (`--adapt`) = its
budget's Adam steps alone (steps × (folds + 1), each over all samples, without the held-out losses,
the probe characters' topology or the tuned graph's rebuild); super-resolution (`--sr`, a model with
`sr.onnx`) = the SR graph on onnxruntime alone, guides rendered beforehand. Prints a table (median run of each code) and writes
bench/results/make_font.json with the date and the load average, and whether the outline tables of both
fonts are byte-identical to the base code's. The machine is shared: only ratios
measured in one run mean much.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "make_font.json"
EXAMPLE_WRITER = ROOT / "examples" / "writer"
FACTORY = ("vectorize", "build", "validate")
TARGET_FACTORY_RATIO = 1.5  # factory stages within 1.5x of their floors (issue 24)
TARGET_TOTAL_S = 35.0       # whole make-font, OTF + TTF, on the 2-core machine in a quiet period

# One make-font in a fresh process; prints a JSON line. Works with this tree's code and older checkouts.
RUNNER = r"""
import json, os, resource, sys, threading, time
from pathlib import Path

def tree_rss(root):
    kids, rss = {}, {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open(f'/proc/{pid}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
            with open(f'/proc/{pid}/status') as f:
                kb = next((int(l.split()[1]) for l in f if l.startswith('VmRSS:')), 0)
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(pid))
        rss[int(pid)] = kb
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(kids.get(pid, []))
    return {pid: rss.get(pid, 0) for pid in found}

peak = {'sum': 0, 'workers': 0}
done = threading.Event()

def sample():
    while not done.wait(0.2):
        rss = tree_rss(os.getpid())
        peak['sum'] = max(peak['sum'], sum(rss.values()))
        peak['workers'] = max([peak['workers']] + [v for p, v in rss.items() if p != os.getpid()])

if __name__ == '__main__':
    from fontgen.font import makefont
    samples, out, charset, model, adapt, sr = sys.argv[1:7]
    extra = {'adapt': adapt} if adapt != 'off' else {}  # older checkouts may lack the optional stages
    extra.update({'superres': True} if sr == 'sr' else {})
    threading.Thread(target=sample, daemon=True).start()
    t0 = time.perf_counter()
    report = makefont.make_font(samples, Path(out + '.otf'), ttf=Path(out + '.ttf'), charset=charset,
                                model=model or None, device='cpu', force=True, progress=False, **extra)
    wall = time.perf_counter() - t0
    done.set()
    checks = report.build.checks
    print(json.dumps({
        'wall_s': wall, 'seconds': report.seconds, 'weight': report.weight,
        'glyphs': report.samples + report.generated + report.symbols,
        'iou': {k: [c.iou_min, c.iou_mean] for k, c in checks.items()},
        'faults': {k: c.outline_counts() for k, c in checks.items()},
        'peak_mb': {'main': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    'largest_worker': peak['workers'] / 1024, 'all_processes': peak['sum'] / 1024}}))
"""


def run_make_font(code: Path, samples: str, out: Path, charset: str, model: str, adapt: str, sr: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "")}
    if not env["OMP_NUM_THREADS"]:
        env.pop("OMP_NUM_THREADS")
    done = subprocess.run([sys.executable, "-c", RUNNER, samples, str(out), charset, model, adapt, "sr" if sr else "-"],
                          cwd=code, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"make-font in {code} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- floors, in worker processes of this process ---------------------------------------------------------

_FONTS: dict = {}


def _nothing(items):
    return [None] * len(items)


def _potrace_chunk(items):
    """binarize + potrace alone: the C work under `vectorize.trace`."""
    from fontgen.font import potrace_lib, vectorize

    options = vectorize.TraceOptions()
    for ink in items:
        mask, k = vectorize.binarize(ink, options)
        if mask.any():
            potrace_lib.trace_mask(mask, turdsize=round(options.turdsize * k * k), alphamax=options.alphamax,
                                   opttolerance=options.opttolerance * k)
    return [None] * len(items)


def _load_fonts(fonts: dict[str, bytes], em_px: int) -> None:
    from PIL import ImageFont

    global _FONTS
    _FONTS = {key: ImageFont.truetype(io.BytesIO(data), em_px) for key, data in fonts.items()}


def _freetype_chunk(chars):
    """FreeType alone: every flavour's rendering of each glyph, as the check renders it."""
    from fontgen.font import validate

    for ch in chars:
        for font in _FONTS.values():
            validate.render(font, ch)
    return [None] * len(chars)


def adapt_floor(gen, style, writer, mode: str) -> float:
    """Seconds of the adaptation budget's Adam steps alone, each over all of the writer's samples."""
    from fontgen import raster, templates
    from fontgen.font import makefont
    from fontgen.model import adapt

    own = templates.render(writer.chars, size=gen.info.size, margin=gen.info.margin, progress=False)
    inputs, refs = makefont.sample_inputs(gen, writer, own)
    x, y = raster.to_model(inputs), raster.to_model(refs)
    budget = adapt.BUDGETS[mode]
    tuner = adapt.tuners(gen, style)()
    t0 = time.perf_counter()
    for _ in range(budget.steps * (budget.folds + 1)):
        tuner.step(x, y)
    return time.perf_counter() - t0


def floors(samples: str, charset: str, model: str, weight: int, fonts: dict[str, bytes], adapt: str = "off",
           sr: bool = False) -> dict[str, float]:
    """Seconds of generation, binarize + potrace, and FreeType for the glyphs make-font makes, each alone;
    with `adapt` or `sr`, those stages' floors too."""
    import numpy as np

    from fontgen import charsets, parallel, templates
    from fontgen.font import inklevel, makefont, validate, vectorize
    from fontgen.model import generate, superres
    from fontgen.samples import references

    gen = generate.Generator(model or None, device="cpu")
    writer = references.load(samples, gen.info.size, gen.info.margin)
    style = gen.style(writer.refs)
    out = {"adapt": adapt_floor(gen, style, writer, adapt)} if adapt != "off" else {}
    hanzi, others = makefont.split_charset(charsets.resolve(charset))
    tpl = templates.render(hanzi, size=gen.info.size, margin=gen.info.margin, progress=False)
    sym = templates.render(others, size=makefont.SYMBOL_PX, progress=False)
    mine = set(writer.chars)
    todo = [i for i, c in enumerate(tpl.chars) if c not in mine]
    inputs = gen.inputs(tpl.ink, tpl.chars)[todo]
    t0 = time.perf_counter()
    made = gen.glyphs(style, inputs, progress=False)
    out["generate"] = time.perf_counter() - t0
    stage = superres.SuperRes.of(gen.info) if sr else None
    if stage is not None:
        guides = stage.guides(tpl.chars)[todo]
        t0 = time.perf_counter()
        made = stage.run(made, guides)
        out["super-resolve"] = time.perf_counter() - t0
    made = inklevel.adjust(made, weight)
    inks = list(made) + [sym.ink[i] for i, c in enumerate(sym.chars) if c not in mine]
    chars = [tpl.chars[i] for i in todo] + [c for c in sym.chars if c not in mine]
    with parallel.shared_pool():
        parallel.map_chunks(_nothing, list(range(64)), progress=False)  # the workers up before timing
        t0 = time.perf_counter()
        parallel.map_chunks(_potrace_chunk, inks, progress=False)
        out["vectorize"] = time.perf_counter() - t0
        placements = [tpl.placement[c] for c in chars[:len(made)]] + [sym.placement[c] for c in chars[len(made):]]
        em_px = round(float(np.median([  # as validate.match_all sizes the rendering
            validate.UPM * validate.factor(ink.shape[0]) / vectorize.PixelFrame.content(ink.shape[0], p).scale
            for ink, p in zip(inks, placements)])))
        t0 = time.perf_counter()
        parallel.map_chunks(_freetype_chunk, chars, init=_load_fonts, init_args=(fonts, em_px), progress=False)
        out["validate"] = time.perf_counter() - t0
    return out


OUTLINE_TABLES = ("CFF ", "glyf", "loca", "hmtx", "vmtx")


def outline_digest(path: Path) -> str:
    """SHA-256 over the font's outline and metrics tables (not head or name, which change every build)."""
    import hashlib

    from fontTools.ttLib import TTFont

    reader = TTFont(path, lazy=True).reader
    digest = hashlib.sha256()
    for tag in OUTLINE_TABLES:
        if tag in reader:
            digest.update(tag.encode() + reader[tag])
    return digest.hexdigest()


def median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]


def factory_s(seconds: dict) -> float:
    return sum(seconds.get(k, 0.0) for k in FACTORY)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="a checkout of the unchanged code to compare with (git worktree add)")
    parser.add_argument("--samples", default=str(EXAMPLE_WRITER), help="writer samples folder [examples/writer]")
    parser.add_argument("--charset", default="gb2312+symbols+ascii")
    parser.add_argument("--model", default="", help="model folder [the shipped default]")
    parser.add_argument("--repeat", type=int, default=3, help="make-font runs per code, alternating; medians reported")
    parser.add_argument("--adapt", choices=("off", "fast", "full"), default="off", help="make-font's adaptation [off]")
    parser.add_argument("--sr", action="store_true", help="run the model's super-resolution stage (needs sr.onnx)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()

    if args.sr:
        from fontgen.model import modelfiles, superres

        if superres.SuperRes.of(modelfiles.load(args.model or None)) is None:
            parser.error(f"--sr: the model {args.model or '(shipped)'} has no super-resolution stage (sr.onnx)")
    codes = {"now": ROOT} | ({"base": Path(args.base).resolve()} if args.base else {})
    work = Path(tempfile.mkdtemp(prefix="fontgen-bench-"))  # the runs' fonts; removed however the bench ends
    try:
        load_start = os.getloadavg()
        runs: dict[str, list[dict]] = {key: [] for key in codes}
        for i in range(args.repeat):
            order = list(codes) if i % 2 == 0 else list(codes)[::-1]
            for key in order:
                result = run_make_font(codes[key], args.samples, work / f"{key}{i}", args.charset, args.model,
                                       args.adapt, args.sr)
                runs[key].append(result)
                print(f"run {i + 1} {key}: {result['wall_s']:.1f} s "
                      + ", ".join(f"{k} {v:.1f}" for k, v in result["seconds"].items()), flush=True)
        now = median_run(runs["now"])
        fonts = {flavour: (work / f"now0.{flavour}").read_bytes() for flavour in ("otf", "ttf")}
        digests = {key: {flavour: outline_digest(work / f"{key}0.{flavour}") for flavour in ("otf", "ttf")}
                   for key in codes}
        floor = floors(args.samples, args.charset, args.model, now["weight"], fonts, args.adapt, args.sr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    floor["build"] = now["seconds"].get("build", 0.0)  # font assembly: its own floor
    load_end = os.getloadavg()

    base = median_run(runs["base"]) if "base" in runs else None
    stages = list(dict.fromkeys([*now["seconds"], *(base["seconds"] if base else {})]))
    rows = []
    for stage in stages + ["factory", "total"]:
        if stage == "factory":
            n, b, f = factory_s(now["seconds"]), base and factory_s(base["seconds"]), sum(floor[k] for k in FACTORY)
        elif stage == "total":
            n, b = now["wall_s"], base and base["wall_s"]
            f = sum(floor.get(k, 0.0) for k in ("adapt", "generate", "super-resolve", *FACTORY))
        else:
            n, b, f = now["seconds"].get(stage), base and base["seconds"].get(stage), floor.get(stage)
        rows.append({"stage": stage, "base_s": b, "now_s": n, "floor_s": f,
                     "now_vs_base": n / b if b and n is not None else None,
                     "now_vs_floor": n / f if f and n is not None else None})

    def cell(v, fmt):
        return format(v, fmt) if v is not None else "-"

    print(f"\n{'stage':<13} {'base s':>8} {'now s':>8} {'now/base':>9} {'floor s':>8} {'now/floor':>10}")
    for r in rows:
        print(f"{r['stage']:<13} {cell(r['base_s'], '8.2f')} {cell(r['now_s'], '8.2f')} "
              f"{cell(r['now_vs_base'], '9.2f')} {cell(r['floor_s'], '8.2f')} {cell(r['now_vs_floor'], '10.2f')}")
    print(f"floors: generate = onnxruntime alone, vectorize = binarize + potrace alone, validate = FreeType "
          f"alone (both fonts), build = itself"
          + (", adapt = its Adam steps alone" if args.adapt != "off" else "")
          + (", super-resolve = onnxruntime alone" if "super-resolve" in floor else "") + f"; load average {load_start[0]:.1f} at start, {load_end[0]:.1f} "
          f"at end ({os.cpu_count()} CPUs); peak memory now {now['peak_mb']['main']:.0f} MB main, "
          f"{now['peak_mb']['largest_worker']:.0f} MB largest worker, {now['peak_mb']['all_processes']:.0f} MB all")
    same = digests["now"] == digests["base"] if "base" in digests else None
    if same is not None:
        print(f"outline tables ({', '.join(t.strip() for t in OUTLINE_TABLES)}) of both flavours: "
              + ("identical to base" if same else "DIFFERENT from base"))
    factory_ratio = rows[-2]["now_vs_floor"]
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_avg_start": [round(v, 2) for v in load_start],
                    "load_avg_end": [round(v, 2) for v in load_end]},
        "charset": args.charset, "samples": args.samples, "model": args.model or "shipped default",
        "adapt": args.adapt, "sr": args.sr,
        "base": str(codes.get("base", "")), "repeat": args.repeat,
        "stages": rows, "floors_s": floor,
        "runs": runs, "outline_digests": digests, "outlines_identical_to_base": same,
        "targets": {"factory_vs_floor": TARGET_FACTORY_RATIO, "total_s": TARGET_TOTAL_S,
                    "factory_met": factory_ratio is not None and factory_ratio <= TARGET_FACTORY_RATIO,
                    "total_met": now["wall_s"] <= TARGET_TOTAL_S},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
