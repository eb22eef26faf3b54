"""The paper workflow on a tiny CASIA-HWDB1.1-style set: .gnt conversion with the HWDB split, the
seed-style recognizer (trained, resumed) and `fontgen eval --protocol seed`, all on the CPU."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from fontgen import charsets, templates  # noqa: E402
from fontgen.cli import cli  # noqa: E402
from tinymodel import export_tiny  # noqa: E402
from training import checkpoint, recognizer  # noqa: E402

CHARS = charsets.gb2312_level1()[:10]
WRITERS = {"1001-c": ("Noto Sans CJK SC", "Bold"), "1240-c": ("Noto Serif CJK SC", "Regular"),
           "1241-c": ("Noto Serif CJK SC", "Bold")}
TINY_RECOGNIZER = ["recognizer.batch=8", "recognizer.save_every=2", "train.device=cpu"]


def write_gnt(path, family: str, style: str) -> None:
    """One writer's .gnt: each character rendered, cropped to its ink, dark ink on white paper."""
    tpl = templates.render(CHARS, 72, templates.find_face(family, style), 4)
    samples = []
    for ch, ink in zip(tpl.chars, tpl.ink):
        ys, xs = np.nonzero(ink)
        gray = np.ascontiguousarray(255 - ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1])
        h, w = gray.shape
        samples.append(struct.pack("<I", 10 + w * h) + ch.encode("gb2312") + struct.pack("<HH", w, h) + gray.tobytes())
    path.write_bytes(b"".join(samples))


@pytest.fixture(scope="module")
def casia(tmp_path_factory):
    root = tmp_path_factory.mktemp("casia")
    files = []
    for name, face in WRITERS.items():
        files.append(root / f"{name}.gnt")
        write_gnt(files[-1], *face)
    result = CliRunner().invoke(cli, ["data", "from-gnt", *map(str, files), "--out", str(root / "ds")])
    assert result.exit_code == 0, result.output
    return root / "ds"


@pytest.fixture(scope="module")
def trained(casia, tmp_path_factory):
    out = tmp_path_factory.mktemp("rec") / "run"
    runner = CliRunner()
    first = runner.invoke(cli, ["train", "recognizer", "--data", str(casia), "--out", str(out),
                                "recognizer.iterations=3", *TINY_RECOGNIZER])
    assert first.exit_code == 0, first.output
    resumed = runner.invoke(cli, ["train", "recognizer", "--data", str(casia), "--out", str(out), "--resume",
                                  "recognizer.iterations=4", *TINY_RECOGNIZER])
    assert resumed.exit_code == 0, resumed.output
    return out, first.output, resumed.output


def test_recognizer_is_a_one_channel_densenet121_over_level1_and_resumes(trained):
    out, first, resumed = trained
    assert "device cpu, precision fp32, world size 1" in first
    assert "3755 classes, 20 training glyphs of 10 characters, 64 px" in first
    assert "resumed at iteration 3" in resumed
    model, classes, info = recognizer.load(out / "last.pth")
    assert len(classes) == 3755 and classes == "".join(charsets.gb2312_level1())
    assert model.features.conv0.in_channels == 1 and model.classifier.out_features == 3755
    # torchvision DenseNet-121 features: 6,953,856 parameters, less 2 of conv0's 3 input channels (2 x 64 x 7 x 7)
    assert sum(p.numel() for p in model.features.parameters()) == 6_953_856 - 2 * 64 * 7 * 7
    assert info["iteration"] == 4 and info["size"] == 64 and 0 <= info["test_acc"] <= 1
    assert recognizer.finished(out / "last.pth")
    assert sorted(p.name for p in out.glob("0*.pth")) == ["000003.pth", "000004.pth"]  # 000002.pth dropped (keep 2)
    assert checkpoint.load(out / "000003.pth")["iteration"] == 3


def test_seed_protocol_reports_ra_at_r4_end_to_end(casia, trained, tmp_path):
    model = export_tiny(tmp_path / "model")
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["eval", "--protocol", "seed", "--model", str(model), "--data", str(casia),
                                      "--recognizer", str(trained[0]), "--refs", "2", "--device", "cpu",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["settings"]["refs"] == [2, 4] and set(report["summary"]) == {"2", "4"}
    at4 = report["summary"]["4"]
    assert at4["glyphs"] == len(CHARS) and 0 <= at4["ra"] <= 1 and -1 <= at4["ssim"] <= 1
    assert at4["fid"] >= 0 and at4["is"] >= 1 - 1e-9
    assert report["data"] == {**report["data"], "split_rule": "hwdb", "test_writers": 1, "level1_chars": len(CHARS)}
    [writer] = report["writers"]
    assert writer["writer"] == "1241-c" and len(writer["refs"]["4"]["references"]) == 4
    assert writer["refs"]["4"]["ra"] == at4["ra"]
    assert report["comparable"]["ra"].startswith("not comparable") and f"only {len(CHARS)} of the 3755" in \
        report["comparable"]["ra"]
    assert report["comparable"]["fid_is"].startswith("not comparable")
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| 4 |" in md and "Comparable with the paper?" in md
    assert f"R=4: RA {at4['ra']:.4f}" in result.output


def test_seed_protocol_refuses_product_options_and_sets_without_test_writers(casia, trained, tmp_path):
    runner = CliRunner()
    bad = runner.invoke(cli, ["eval", "--protocol", "seed", "--data", str(casia), "--chars", "5",
                              "--out", str(tmp_path / "r")])
    assert bad.exit_code == 2 and "--chars: not part of --protocol seed" in bad.output
    flat = tmp_path / "flat.json"
    manifest = json.loads((casia / "manifest.json").read_text(encoding="utf-8"))
    flat.write_text(json.dumps({**manifest, "writers": [{**w, "split": "train"} for w in manifest["writers"]]}))
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "manifest.json").write_text(flat.read_text())
    model = export_tiny(tmp_path / "model")
    result = runner.invoke(cli, ["eval", "--protocol", "seed", "--model", str(model), "--data", str(ds),
                                 "--recognizer", str(trained[0]), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "no test writers" in result.output and "--split-rule hwdb" in result.output
