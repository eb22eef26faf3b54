"""Export the super-resolution stage (`training.models.sr`) to `sr.onnx` in a model folder.

    sr.onnx   low [B, 1, s, s], guides [B, G, S, S] (any B) -> glyphs [B, 1, S, S], S = scale · s

Values as every other graph: ink = +1, paper = -1. The graph is written beside its destination and
renamed into place only once onnxruntime reproduces torch (`check_sr`) on batches of 1 and 7.
`add_to_model` then lists it in model.json (`graphs.sr`, verified at load like the others) with a
`super_resolution` entry: sizes, network, parity and how it was trained.

    python -m export.sr_export --checkpoint runs/sr/last.pth --model fontgen/assets/default
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from export import parity
from export.onnx_export import OPSET, _export, _graph_entry
from fontgen.errors import InputError

FILE = "sr.onnx"  # model.json graphs.sr


@torch.no_grad()
def check_sr(net, path: Path, low_size: int, tolerance: float = parity.TOLERANCE, seed: int = 0) -> dict:
    """Max |onnxruntime − torch| of the SR graph on random `low_size` px inputs (batches 1 and 7);
    ParityError if over."""
    cfg = net.cfg
    sess = parity._session(path)
    rng = torch.Generator().manual_seed(seed)
    size = low_size * cfg.scale
    diff = 0.0
    for b in parity.BATCHES:
        low = torch.rand(b, 1, size // cfg.scale, size // cfg.scale, generator=rng) * 2 - 1
        guide = torch.rand(b, cfg.guides, size, size, generator=rng) * 2 - 1
        got = sess.run(["glyphs"], {"low": low.numpy(), "guides": guide.numpy()})[0]
        expected = net(low, guide)
        if got.shape != tuple(expected.shape):
            raise parity.ParityError(f"{path.name} returned {got.shape}, torch {tuple(expected.shape)} (B={b})")
        diff = max(diff, float(np.abs(expected.numpy() - got).max()))
    return parity._fail_if_over({"tolerance": tolerance, "batches": list(parity.BATCHES), "glyphs_max_abs": diff},
                                tolerance, "super-resolution")


@torch.no_grad()
def export_sr(net, folder: Path, low_size: int) -> dict:
    """Write `folder`/sr.onnx for an eval-mode SR net taking `low_size` px glyphs; returns its model.json entry."""
    net.eval()
    cfg = net.cfg
    size = low_size * cfg.scale
    if size % cfg.cell:
        raise InputError(f"{size} px is not a multiple of the SR cell {cfg.cell}", None, "export at another size")
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{FILE}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _export(net, (torch.zeros(2, 1, low_size, low_size), torch.zeros(2, cfg.guides, size, size)), tmp,
                ["low", "guides"], ["glyphs"], {"low": {0: "batch"}, "guides": {0: "batch"}, "glyphs": {0: "batch"}})
        check = check_sr(net, tmp, low_size)
        os.chmod(tmp, 0o644)
        os.replace(tmp, folder / FILE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return {"input_size": low_size, "output_size": size, "guides": cfg.guides, "model": dataclasses.asdict(cfg),
            "parity": {**check, "opset": OPSET, "torch": torch.__version__}}


def add_to_model(net, folder: Path, training: dict) -> dict:
    """Export `net` into the model folder and record it in model.json; returns the super_resolution entry."""
    from fontgen.model import modelfiles, superres

    info = modelfiles.load(folder)
    if net.cfg.guides != (2 if info.content_font else 1):
        raise InputError(f"the SR net reads {net.cfg.guides} guide(s), the model's generator "
                         f"{2 if info.content_font else 1} template channel(s)", folder / modelfiles.MODEL_JSON,
                         "train the SR net on pairs made with this model")
    entry = export_sr(net, folder, info.size)
    entry["training"] = training
    meta = modelfiles.read_json(folder)
    meta["graphs"][superres.GRAPH] = _graph_entry(folder / FILE)
    meta["super_resolution"] = entry
    path = folder / modelfiles.MODEL_JSON
    tmp = path.with_name(f".{modelfiles.MODEL_JSON}.tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return entry


def training_record(checkpoint: Path) -> dict:
    """What model.json says about how the SR net was trained: checkpoint, iterations, config, validation."""
    from fontgen.model import modelfiles
    from training import checkpoint as ckpt

    state = ckpt.load(checkpoint)
    return {"checkpoint": checkpoint.name, "checkpoint_sha256": modelfiles.sha256_file(checkpoint),
            "iterations": int(state.get("iteration", 0)), "config": state.get("config", {}),
            "validation": state.get("val", {})}


def main(argv: list[str] | None = None) -> int:
    from training.sr_train import load_model

    parser = argparse.ArgumentParser(prog="python -m export.sr_export", description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--model", type=Path, required=True, help="model folder to write sr.onnx into")
    args = parser.parse_args(argv)
    try:
        entry = add_to_model(load_model(args.checkpoint), args.model, training_record(args.checkpoint))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.model / FILE}: {(args.model / FILE).stat().st_size} bytes, "
          f"parity {entry['parity']['glyphs_max_abs']:.2g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
