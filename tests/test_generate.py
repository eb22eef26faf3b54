"""onnxruntime generation: model folder verification, devices, batching."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from fontgen.errors import InputError
from fontgen.model import generate, modelfiles
from tinymodel import export_tiny


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return export_tiny(tmp_path_factory.mktemp("gen") / "model")


def test_glyphs_do_not_depend_on_batch_size(model_dir):
    gen = generate.Generator(model_dir, device="cpu", threads=1)
    rng = np.random.default_rng(0)
    style = gen.style(rng.integers(0, 256, (3, 64, 64), dtype=np.uint8))
    assert [v.shape for v in style.values()] == [(1, 32), (1, 32)]
    templates = rng.integers(0, 256, (9, 64, 64), dtype=np.uint8)
    one = gen.glyphs(style, templates, batch=1, progress=False)
    four = gen.glyphs(style, templates, batch=4, progress=False)
    assert one.shape == (9, 64, 64) and one.dtype == np.uint8
    assert np.abs(one.astype(int) - four.astype(int)).max() <= 1


def test_concurrent_runs_give_the_same_glyphs_in_order(model_dir):
    rng = np.random.default_rng(2)
    refs = rng.integers(0, 256, (4, 64, 64), dtype=np.uint8)
    templates = rng.integers(0, 256, (11, 64, 64), dtype=np.uint8)
    single = generate.Generator(model_dir, device="cpu", threads=1)
    double = generate.Generator(model_dir, device="cpu", threads=2)
    assert (single.concurrent, double.concurrent) == (1, 2)
    style = single.style(refs)
    one = single.glyphs(style, templates, batch=2, progress=False)
    two = double.glyphs(style, templates, batch=2, progress=False)
    assert np.array_equal(one, two)
    assert not np.array_equal(two[0], two[1])  # each batch's glyphs land in their own rows


def test_style_depends_on_the_references(model_dir):
    gen = generate.Generator(model_dir, device="cpu", threads=1)
    rng = np.random.default_rng(1)
    a = gen.style(rng.integers(0, 256, (1, 64, 64), dtype=np.uint8))
    b = gen.style(rng.integers(0, 256, (8, 64, 64), dtype=np.uint8))
    assert not np.allclose(a["writer_style"], b["writer_style"])


def test_unknown_device_and_missing_cuda(model_dir):
    import onnxruntime

    with pytest.raises(InputError, match="unknown device"):
        generate.Generator(model_dir, device="tpu")
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        with pytest.raises(InputError, match="onnxruntime-gpu"):
            generate.Generator(model_dir, device="cuda")


def test_physical_cores_counts_cores_not_hyperthreads():
    import os

    assert 1 <= generate.physical_cores() <= len(os.sched_getaffinity(0))


def test_model_json_problems_name_the_file(model_dir, tmp_path):
    broken = tmp_path / "m"
    shutil.copytree(model_dir, broken)
    (broken / "model.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON") as err:
        modelfiles.load(broken)
    assert err.value.path.name == "model.json"
    (broken / "model.json").unlink()
    with pytest.raises(InputError, match="model.json is missing"):
        modelfiles.load(broken)
    with pytest.raises(InputError, match="model folder not found"):
        modelfiles.load(tmp_path / "nowhere")


def test_graph_swapped_for_another_is_detected(model_dir, tmp_path):
    swapped = tmp_path / "m"
    shutil.copytree(model_dir, swapped)
    shutil.copy(swapped / "style.onnx", swapped / "glyph.onnx")
    with pytest.raises(InputError, match="glyph graph is corrupt"):
        modelfiles.load(swapped)
    meta = json.loads((model_dir / "model.json").read_text())
    assert modelfiles.load(model_dir).graph("glyph").name == meta["graphs"]["glyph"]["file"]


def test_missing_content_font_is_a_clear_error(tmp_path):
    from tinymodel import KAI

    folder = export_tiny(tmp_path / "kai", content_font=KAI)
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    (folder / "model.json").write_text(json.dumps(dict(meta, content_font="No Such Kai")), encoding="utf-8")
    gen = generate.Generator(folder, device="cpu", threads=1)
    with pytest.raises(InputError, match="'No Such Kai' .* is not installed"):
        gen.inputs(np.zeros((1, 64, 64), np.uint8), ["永"])
