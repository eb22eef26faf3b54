"""ONNX export: graph contract, parity with torch, model.json, the `fontgen export` command."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from click.testing import CliRunner

from export import onnx_export, parity
from fontgen.cli import cli
from fontgen.model import modelfiles
from tinymodel import export_tiny, tiny_generator


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return export_tiny(tmp_path_factory.mktemp("export") / "model")


def _dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_graphs_have_the_contracted_names_and_dynamic_axes(model_dir):
    style = onnx.load(str(model_dir / "style.onnx")).graph
    glyph = onnx.load(str(model_dir / "glyph.onnx")).graph
    assert [i.name for i in style.input] == ["refs"]
    assert _dims(style.input[0]) == [1, "refs", 64, 64]
    assert [o.name for o in style.output] == ["writer_style", "glyph_style"]
    assert [i.name for i in glyph.input] == ["writer_style", "glyph_style", "templates"]
    assert _dims(glyph.input[2]) == ["batch", 1, 64, 64]
    assert [o.name for o in glyph.output] == ["glyphs"]


def test_glyph_graph_stores_shapes_with_one_batch_name(model_dir):
    """Every image-shaped tensor's batch is `batch` (or the style's broadcast 1): what onnxruntime needs
    to fuse the residual additions into their convolutions."""
    graph = onnx.load(str(model_dir / "glyph.onnx")).graph
    maps = [_dims(v) for v in graph.value_info if len(v.type.tensor_type.shape.dim) == 4]
    assert len(maps) > 50
    assert {dims[0] for dims in maps} <= {"batch", 1}
    assert sum(dims[0] == "batch" for dims in maps) > 40


def test_model_json_records_geometry_hashes_and_parity(model_dir):
    meta = json.loads((model_dir / "model.json").read_text())
    assert meta["image_size"] == 64 and meta["margin"] == 4
    for name in ("style", "glyph"):
        entry = meta["graphs"][name]
        assert entry["sha256"] == modelfiles.sha256_file(model_dir / entry["file"])
    gen = meta["parity"]["generator"]
    assert gen["ref_counts"] == [1, 4, 8] and gen["batches"] == [1, 7]
    assert gen["style_max_abs"] <= 1e-3 and gen["glyph_max_abs"] <= 1e-3
    assert meta["metrics"] == {}
    assert modelfiles.load(model_dir).style_names == ("writer_style", "glyph_style")


def test_parity_holds_on_fresh_random_inputs(model_dir):
    report = parity.check_generator(tiny_generator(), model_dir, onnx_export.STYLE_NAMES, seed=123)
    assert report["style_max_abs"] < 1e-4 and report["glyph_max_abs"] < 1e-4


def test_parity_check_rejects_a_graph_from_other_weights(model_dir):
    with pytest.raises(parity.ParityError, match="differs from torch"):
        parity.check_generator(tiny_generator(seed=1), model_dir, onnx_export.STYLE_NAMES)


def test_reference_attention_model_exports_its_cells_and_generates(tmp_path):
    """A generator with `model.ref_attention` has a third style tensor, `reference_cells`, whose length
    follows the number of references; the exported pair passes parity and fontgen draws with it."""
    from fontgen.model.generate import Generator

    folder = export_tiny(tmp_path / "model", ref_attention=4)
    names = ("writer_style", "glyph_style", "reference_cells")
    assert modelfiles.load(folder).style_names == names
    glyph = onnx.load(str(folder / "glyph.onnx")).graph
    assert [i.name for i in glyph.input] == [*names, "templates"]
    assert _dims(glyph.input[2]) == [1, "cells", 12]
    report = parity.check_generator(tiny_generator(ref_attention=4), folder, names, seed=5)
    assert report["glyph_max_abs"] < 1e-4
    gen = Generator(folder, device="cpu", threads=1)
    rng = np.random.default_rng(0)
    for r in (2, 9):
        style = gen.style(rng.integers(0, 256, (r, 64, 64), dtype=np.uint8))
        assert style["reference_cells"].shape == (1, 64 * r, 12)
        assert gen.glyphs(style, rng.integers(0, 256, (3, 64, 64), dtype=np.uint8), progress=False).shape == (3, 64, 64)


def test_existing_folder_needs_force(model_dir):
    from fontgen.errors import InputError

    with pytest.raises(InputError, match="already exists"):
        onnx_export.write_model(tiny_generator(), model_dir, training={})


def test_export_command_from_checkpoints(tmp_path):
    from training import checkpoint
    from training.config import CriticConfig
    from training.models import build_critic

    gen = tiny_generator()
    gan = checkpoint.save({"model_config": gen.config_dict(), "generator_ema": gen.state_dict(),
                           "generator": gen.state_dict(), "config": {"train": {"iterations": 7}}, "iteration": 7,
                           "narrowed_from": {"checkpoint": "wide.pth", "iteration": 5}},
                          tmp_path / "gan", 7)
    charset = "永和我你"
    critic_cfg = CriticConfig(base=4)
    ocr = checkpoint.save({"critic_config": critic_cfg.__dict__, "charset": charset,
                           "critic": build_critic(critic_cfg, len(charset)).state_dict()}, tmp_path / "ocr", 1)
    data = tmp_path / "ds"
    (data / "template").mkdir(parents=True)
    (data / "manifest.json").write_text('{"format": 1}')
    for ch in "永和":
        (data / "template" / f"{ch}.png").write_bytes(b"")
    out = tmp_path / "model"
    result = CliRunner().invoke(cli, ["export", "--checkpoint", str(gan), "--out", str(out), "--ocr", str(ocr),
                                      "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "parity" in result.output
    meta = json.loads((out / "model.json").read_text())
    assert meta["training"]["iterations"] == 7 and meta["training"]["narrowed_from"]["iteration"] == 5
    assert meta["charset"] == "和永" and meta["critic_charset"] == charset
    assert meta["dataset"]["manifest_sha256"] == modelfiles.sha256_file(data / "manifest.json")
    assert meta["parity"]["critic"]["logits_max_abs"] <= 1e-3
    import onnxruntime as ort

    logits = ort.InferenceSession(str(out / "critic.onnx")).run(["logits"], {"glyphs": np.zeros((3, 1, 64, 64), np.float32)})[0]
    assert logits.shape == (3, len(charset))
    assert not list(tmp_path.glob(".model.*")), "the staging folder must not be left behind"


def test_two_channel_model_reads_the_content_font(tmp_path):
    """A generator with a content font exports a [B, 2, S, S] glyph graph, records the font, and
    generation stacks that font's glyph under each template."""
    from fontgen import templates
    from fontgen.model import generate
    from tinymodel import KAI

    folder = export_tiny(tmp_path / "kai", content_font=KAI)
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert meta["content_font"] == KAI and meta["parity"]["generator"]["glyph_max_abs"] <= 1e-3
    glyph_in = onnx.load(str(folder / "glyph.onnx")).graph.input
    assert _dims(next(i for i in glyph_in if i.name == "templates")) == ["batch", 2, 64, 64]

    gen = generate.Generator(folder, device="cpu", threads=1)
    tpl = templates.render(list("永和"), size=64)
    inputs = gen.inputs(tpl.ink, tpl.chars)
    kai = templates.render(list("永和"), size=64, face=templates.find_face(KAI)).ink
    assert inputs.shape == (2, 2, 64, 64)
    assert np.array_equal(inputs[:, 0], tpl.ink) and np.array_equal(inputs[:, 1], kai)
    assert not np.array_equal(kai, tpl.ink)
    style = gen.style(tpl.ink)
    assert gen.glyphs(style, inputs, progress=False).shape == (2, 64, 64)
    with pytest.raises(ValueError, match="inputs"):
        gen.glyphs(style, tpl.ink, progress=False)  # the templates alone lack the content channel


def test_content_font_falls_back_to_the_template_where_it_lacks_a_character():
    """GKai (GB2312) lacks 龘; the model then sees the template glyph twice, as in training."""
    from fontgen import templates
    from tinymodel import KAI

    tpl = templates.render(list("永龘"), size=64)
    content = templates.content_ink(tpl.chars, tpl.ink, KAI, 64)
    assert not np.array_equal(content[0], tpl.ink[0]) and np.array_equal(content[1], tpl.ink[1])
