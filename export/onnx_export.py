"""Export a trained generator (EMA weights) to the two ONNX graphs `fontgen` runs, plus `model.json`.

    style.onnx   refs [1, R, S, S] (any R >= 1)                    -> writer_style [1, D], glyph_style [1, D]
                                                                       (, reference_cells [1, 64 R, 3 K])
    glyph.onnx   writer_style [1, D], glyph_style [1, D] (, reference_cells),
                 templates [B, C, S, S] (any B)                     -> glyphs [B, 1, S, S]
    critic.onnx  glyphs [B, 1, S, S] -> logits [B, C]               (optional, for evaluation)
    model.json   geometry, normalization, charsets, training record, graph sha256s, parity, metrics

C is 1, or 2 for a generator with a content font (model.json `content_font`): the template font's
glyph, then the same character in the content font.

The glyph graph is exported from the generator's inference form (`export.inference`: batch norm and
modulations folded, same outputs); the parity check compares it with the original module. Every graph
carries the shapes of its intermediate tensors, with the dynamic axes named alike throughout.

The folder is assembled beside its destination and renamed into place only after the parity check
passed, so a failed export never leaves a half-written model behind.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import warnings
from pathlib import Path

import onnx
import torch
from torch import nn

from export import parity
from export.inference import inference_form
from fontgen import outfiles, raster
from fontgen.errors import InputError
from fontgen.model import modelfiles

OPSET = 18
STYLE_NAMES = ("writer_style", "glyph_style")
CELLS = "reference_cells"  # the third style tensor of a generator with `model.ref_attention`
NORMALIZATION = {
    "geometry": "crop to the ink box, pad square, resize to size - 2*margin, centre (fontgen.raster.normalize)",
    "values": "x = ink_uint8 / 127.5 - 1 (ink = +1, paper = -1); outputs use the same scale",
}


class StyleGraph(nn.Module):
    """refs [1, R, S, S] -> the generator's style tensors."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, refs: torch.Tensor):
        return tuple(self.generator.style(refs))


class GlyphGraph(nn.Module):
    """Style tensors (batch 1) + templates [B, C, S, S] -> glyphs [B, 1, S, S]."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, *styles_then_templates: torch.Tensor):
        return self.generator.glyph(*styles_then_templates)


def _export(module: nn.Module, args: tuple, path: Path, inputs: list[str], outputs: list[str], dynamic: dict) -> None:
    """TorchScript-based exporter (dynamo=False): needs no onnxscript and handles the dynamic R and B.

    The exporter restores the module's previous train/eval mode afterwards, recursively, so a wrapper
    left in training mode would silently put the generator's batch norms back into training mode.
    """
    module.eval()
    with warnings.catch_warnings():
        # The legacy exporter's deprecation notice, and tracer notes on fixed-length tuple unpacking.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        graph = io.BytesIO()
        torch.onnx.export(module, args, graph, input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True, dynamo=False)
    onnx.save(_with_shapes(onnx.load_from_string(graph.getvalue())), str(path))


def _with_shapes(model):
    """The graph with every tensor's shape stored, symbolic dimensions tracked through reshapes.

    onnxruntime's own shape inference loses the batch dimension's name behind the attention's reshapes,
    and its Conv + Add + ReLU fusion needs both addends' shapes to agree by name: with the shapes stored,
    the U-Net's and the decoder's residual additions fuse into their convolutions (7 % of generation).
    """
    from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

    return SymbolicShapeInference.infer_shapes(model, auto_merge=True)


def style_names(generator: nn.Module) -> tuple[str, ...]:
    """The names of the tensors `generator.style` returns, as the graphs and model.json call them."""
    return STYLE_NAMES + ((CELLS,) if generator.cfg.ref_attention else ())


@torch.no_grad()
def export_generator(generator: nn.Module, folder: Path) -> None:
    """Write style.onnx and glyph.onnx for an eval-mode generator into `folder`."""
    size, channels = generator.cfg.size, generator.cfg.template_channels
    names = style_names(generator)
    generator = inference_form(generator)
    refs = torch.zeros(1, 3, size, size)  # R = 3 and B = 2 when tracing, so neither axis is baked in as 1
    styles = tuple(generator.style(refs))
    if len(styles) != len(names):
        raise RuntimeError(f"generator.style returned {len(styles)} tensors, the exporter expects {len(names)}")
    cells_axis = {CELLS: {1: "cells"}} if CELLS in names else {}
    _export(StyleGraph(generator), (refs,), folder / "style.onnx", ["refs"], list(names),
            {"refs": {1: "refs"}, **cells_axis})
    templates = torch.zeros(2, channels, size, size)
    _export(GlyphGraph(generator), (*styles, templates), folder / "glyph.onnx", [*names, "templates"],
            ["glyphs"], {"templates": {0: "batch"}, "glyphs": {0: "batch"}, **cells_axis})


@torch.no_grad()
def export_critic(critic: nn.Module, path: Path, size: int) -> None:
    """Write the OCR critic (eval mode) as glyphs [B, 1, S, S] -> logits [B, C]."""
    _export(critic, (torch.zeros(2, 1, size, size),), path, ["glyphs"], ["logits"],
            {"glyphs": {0: "batch"}, "logits": {0: "batch"}})


def _graph_entry(path: Path) -> dict:
    return {"file": path.name, "sha256": modelfiles.sha256_file(path), "bytes": path.stat().st_size}


def write_model(generator: nn.Module, out: str | Path, *, training: dict, charset: str = "",
                dataset: dict | None = None, critic: nn.Module | None = None, critic_charset: str = "",
                force: bool = False) -> dict:
    """Export, check parity, describe in model.json and move the finished folder to `out`; returns model.json."""
    out = Path(out)
    if out.exists() and not force:
        raise InputError("output folder already exists", out, "pass --force to replace it, or choose another --out")
    if not out.parent.is_dir():
        raise InputError("the folder to write into does not exist", out.parent, "create it first")
    generator.eval()
    size = generator.cfg.size
    with outfiles.staged_folder(out) as tmp:
        export_generator(generator, tmp)
        graphs = {"style": _graph_entry(tmp / "style.onnx"), "glyph": _graph_entry(tmp / "glyph.onnx")}
        checks = {"generator": parity.check_generator(generator, tmp, style_names(generator))}
        if critic is not None:
            critic.eval()
            export_critic(critic, tmp / "critic.onnx", size)
            graphs["critic"] = _graph_entry(tmp / "critic.onnx")
            checks["critic"] = parity.check_critic(critic, tmp / "critic.onnx", size)
        meta = {
            "format": modelfiles.FORMAT_VERSION,
            "image_size": size,
            "margin": raster.default_margin(size),
            "normalization": NORMALIZATION,
            "style_outputs": list(style_names(generator)),
            "content_font": generator.cfg.content_font,
            "charset": charset,
            "charset_sha256": hashlib.sha256(charset.encode()).hexdigest(),
            "critic_charset": critic_charset,
            "dataset": dataset or {},
            "training": training,
            "graphs": graphs,
            "parity": {**checks, "opset": OPSET, "torch": torch.__version__, "onnxruntime": _ort_version()},
            "exported": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "metrics": {},
        }
        (tmp / modelfiles.MODEL_JSON).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return meta


def _ort_version() -> str:
    import onnxruntime

    return onnxruntime.__version__


def dataset_record(folder: str | Path) -> tuple[dict, str]:
    """Hash of a dataset's manifest.json (so a model traces back to its data), the writers it trained on
    (so `fontgen eval` can tell a held-out writer the model has seen) and its template charset."""
    folder = Path(folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise InputError("dataset has no manifest.json", path, "pass --data with a folder made by the data builder")
    chars = "".join(sorted(p.stem for p in (folder / "template").glob("*.png") if len(p.stem) == 1))
    manifest = json.loads(path.read_text(encoding="utf-8"))
    trained = [modelfiles.writer_identity(w) for w in manifest.get("writers", []) if w.get("split") == "train"]
    return {"path": str(folder), "manifest_sha256": modelfiles.sha256_file(path), "train_writers": trained}, chars


def export_checkpoint(checkpoint: str | Path, out: str | Path, *, ocr: str | Path | None = None,
                      data: str | Path | None = None, force: bool = False) -> dict:
    """`fontgen export`: a GAN checkpoint (EMA generator), optionally its OCR critic and dataset -> model folder."""
    from training import checkpoint as ckpt

    state = ckpt.load(checkpoint)
    generator = ckpt.load_generator(checkpoint)
    critic, critic_charset = ckpt.load_critic(ocr) if ocr else (None, "")
    dataset, charset = dataset_record(data) if data else ({}, "".join(critic_charset))
    training = {
        "iterations": int(state.get("iteration", 0)),
        "checkpoint": Path(checkpoint).name,
        "checkpoint_sha256": modelfiles.sha256_file(checkpoint),
        "model": state["model_config"],
        "config": state.get("config", {}),
    }
    training.update((k, state[k]) for k in ckpt.PROVENANCE if k in state)  # narrow / add-content-font
    return write_model(generator, out, training=training, charset=charset, dataset=dataset,
                       critic=critic, critic_charset="".join(critic_charset), force=force)
