"""Super-resolution stage: pair cache from two dataset sizes, training and exact resume, ONNX parity."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fontgen.errors import InputError  # noqa: E402
from tinydata import make_dataset  # noqa: E402
from tinymodel import KAI, export_tiny  # noqa: E402
from training import sr_data, sr_train  # noqa: E402
from training.models.sr import SRConfig, SRNet  # noqa: E402

TINY = ["model.channels=8", "model.blocks=1", "model.head=4", "data.batch=4", "data.val_fraction=0.2",
        "optim.warmup=2", "train.log_every=5", "train.save_every=5", "train.threads=1"]


def quiet(_msg):
    pass


def dataset(root, size, chars=24):
    """The tiny dataset, with the manifest format the builder writes."""
    make_dataset(root, chars=chars, size=size)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    (root / "manifest.json").write_text(json.dumps({**manifest, "format": 1, "seed": 0}), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    root = tmp_path_factory.mktemp("sr")
    lo, hi = dataset(root / "lo", 64), dataset(root / "hi", 128)
    model = export_tiny(root / "model", content_font=KAI)
    return sr_data.build_pairs(hi, lo, model, root / "pairs.npz", per_writer=10, seed=0)


def test_pairs_hold_training_writers_only(pairs):
    with np.load(pairs) as z:
        writers = str(z["writers"]).split("\n")
        assert writers == ["w0", "w1", "w2"]  # t0 is held out
        assert z["target"].shape == (30, 128, 128) and z["real"].shape == (30, 64, 64) == z["made"].shape
        assert z["guides"].shape[1:] == (2, 128, 128)  # template + content font
        # unseen characters (the last 4 of the tiny charset) never become pairs
        assert len(str(z["chars"])) <= 20


def test_build_pairs_refuses_mismatched_sizes(tmp_path):
    lo, other = dataset(tmp_path / "lo", 64, 12), dataset(tmp_path / "other", 96, 12)
    with pytest.raises(InputError, match="not a multiple"):
        sr_data.build_pairs(other, lo, None, tmp_path / "p.npz")


def test_degrade_fills_gaps_with_grey():
    ink = np.zeros((64, 64), np.uint8)
    ink[10:50, 10:14] = ink[10:50, 16:20] = 255  # two strokes 2 px apart
    out = sr_data.degrade(ink, np.random.default_rng(0), blur=0.0, clot_p=1.0)
    assert out[30, 14:16].min() > 60 and out[30, 40] == 0


def test_net_starts_as_bilinear_upsampling_and_exports_with_parity(tmp_path):
    from export.sr_export import FILE, export_sr

    net = SRNet(SRConfig(channels=8, blocks=1, head=0)).eval()
    low = torch.rand(2, 1, 64, 64) * 2 - 1
    up = torch.nn.functional.interpolate(low, scale_factor=2.0, mode="bilinear", align_corners=False)
    assert torch.allclose(net(low, torch.zeros(2, 2, 128, 128)), up)
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.1)
    entry = export_sr(net, tmp_path, 64)
    assert (tmp_path / FILE).is_file() and entry["parity"]["glyphs_max_abs"] < 1e-3
    assert entry["output_size"] == 128 and not list(tmp_path.glob(".*"))


def test_training_learns_and_resumes_exactly(pairs, tmp_path):
    cfg = sr_train.load_config("sr", TINY + ["train.iterations=10", "data.made_p=0"])
    sr_train.train(cfg, pairs, tmp_path / "a", log=quiet)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "last.pth").write_bytes((tmp_path / "a" / "000005.pth").read_bytes())
    sr_train.train(cfg, pairs, tmp_path / "b", resume=True, log=quiet)  # as if stopped at 5
    a = torch.load(tmp_path / "a" / "last.pth", weights_only=True)
    b = torch.load(tmp_path / "b" / "last.pth", weights_only=True)
    assert a["iteration"] == b["iteration"] == 10
    for k in a["model"]:
        assert torch.allclose(a["model"][k], b["model"][k], atol=1e-6), k

    long = sr_train.load_config("sr", TINY + ["train.iterations=120", "data.made_p=0", "data.blur=0",
                                              "data.clot_p=0", "data.jitter=0", "optim.lr=5e-3"])
    sr_train.train(long, pairs, tmp_path / "c", log=quiet)
    net = sr_train.load_model(tmp_path / "c" / "last.pth", ema=False)
    data = sr_data.Pairs(pairs)
    low, guide, target = map(torch.from_numpy, data.batch(np.arange(len(data)), np.random.default_rng(0), 0.0,
                                                          0.0, 0.0, 0.0))
    up = torch.nn.functional.interpolate(low, scale_factor=2.0, mode="bilinear", align_corners=False)
    with torch.no_grad():
        assert (net(low, guide) - target).abs().mean() < 0.9 * (up - target).abs().mean()


def test_resume_refuses_a_gan_checkpoint(pairs, tmp_path):
    (tmp_path / "run").mkdir()
    torch.save({"model_config": {}}, tmp_path / "run" / "last.pth")
    with pytest.raises(InputError, match="not an SR checkpoint"):
        sr_train.train(sr_train.load_config("sr", TINY), pairs, tmp_path / "run", resume=True, log=quiet)


def test_config_rejects_bad_values():
    with pytest.raises(InputError, match="multiple"):
        sr_train.load_config("sr", ["model.cell=3"])
    with pytest.raises(InputError, match="unknown config key"):
        sr_train.load_config("sr", ["model.width=3"])


def test_model_folder_runs_the_sr_stage_as_torch_does(tmp_path):
    from export.sr_export import add_to_model
    from fontgen import raster
    from fontgen.model import modelfiles, superres

    folder = export_tiny(tmp_path / "model", content_font=KAI)
    assert superres.SuperRes.of(modelfiles.load(folder)) is None
    torch.manual_seed(0)
    net = SRNet(SRConfig(channels=8, blocks=1, head=4)).eval()
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.1)
    add_to_model(net, folder, {"note": "random-init test net"})
    sr = superres.SuperRes.of(modelfiles.load(folder), threads=1)  # graphs.sr verified by its sha256
    chars = list("永和我天地")
    guides = sr.guides(chars)
    assert guides.shape == (5, 2, 128, 128) and sr.margin == 8
    glyphs = np.random.default_rng(0).integers(0, 256, (5, 64, 64), dtype=np.uint8)
    got = sr.run(glyphs, guides)
    with torch.no_grad():
        want = raster.from_model(net(torch.from_numpy(raster.to_model(glyphs))[:, None],
                                     torch.from_numpy(raster.to_model(guides))).numpy()[:, 0])
    assert got.shape == (5, 128, 128) and np.abs(got.astype(int) - want).max() <= 1
    (folder / "sr.onnx").write_bytes(b"garbage")
    with pytest.raises(InputError, match="sr graph is corrupt"):
        modelfiles.load(folder)


def test_crops_keep_input_guides_and_target_aligned(pairs):
    data = sr_data.Pairs(pairs)
    idx = np.arange(len(data))
    low, guide, target = data.batch(idx, np.random.default_rng(1), 0.0, 0.0, 0.0, 0.0, crop=64)
    assert low.shape == (len(idx), 1, 32, 32) and guide.shape == (len(idx), 2, 64, 64) and target.shape[-1] == 64
    up = torch.nn.functional.interpolate(torch.from_numpy(low), scale_factor=2.0, mode="bilinear")
    aligned = (up - torch.from_numpy(target)).abs().mean()
    shifted = (up - torch.from_numpy(np.roll(target, 8, axis=-1))).abs().mean()
    assert aligned < 0.5 * shifted  # the same glyph at two sizes, cut at the same place


def test_counters_kept_counts_dense_characters_only():
    from fontgen.quality import metrics

    grid = np.zeros((128, 128), np.uint8)
    grid[16:112, 16:112] = 255
    for y in (24, 56, 88):
        for x in (24, 56, 88):
            grid[y:y + 16, x:x + 16] = 0  # 田-like: 9 counters
    ring = np.zeros((128, 128), np.uint8)
    ring[30:90, 30:90] = 255
    ring[45:75, 45:75] = 0  # 口: one counter, not a dense character
    clot = grid.copy()
    clot[24:56, 24:72] = 255  # two counters filled
    real = metrics.counters(np.stack([grid, ring]))
    assert real.tolist() == [9, 1]
    assert metrics.counters_kept(metrics.counters(np.stack([clot, np.zeros_like(ring)])), real) == (7, 9)
    assert metrics.counters_kept(metrics.counters(np.stack([grid, ring])), real) == (9, 9)


def test_counters_ceiling_is_what_the_real_glyphs_keep_at_the_model_size():
    """The 64 px ceiling: the writer's own glyphs, at the model's size and traced, against their 128 px
    counters. A 9-counter grid survives 64 px; the same grid with hairline walls does not."""
    import cv2
    from fontgen.quality import metrics
    from fontgen.quality.drawing import Drawing

    grid = np.zeros((128, 128), np.uint8)
    grid[16:112, 16:112] = 255
    for y in (24, 56, 88):
        for x in (24, 56, 88):
            grid[y:y + 16, x:x + 16] = 0
    fine = np.zeros((128, 128), np.uint8)
    fine[16:112, 16:112] = 255
    for y in range(17, 111, 19):
        for x in range(17, 111, 19):
            fine[y:y + 18, x:x + 18] = 0  # 25 counters behind 1 px walls: a quarter pixel at 64 px
    hi = np.stack([grid, fine])
    low = np.stack([cv2.resize(g, (64, 64), interpolation=cv2.INTER_AREA) for g in hi])
    real = (list(range(2)), metrics.counters(hi))
    ceiling = Drawing().ceiling(low, real)
    assert ceiling["total"] == 9 + 25 and 9 <= ceiling["kept"] < 9 + 25
    assert Drawing().ceiling(low[:1], ([0], metrics.counters(hi[:1])))["ratio"] == 1.0
    assert Drawing().ceiling(low, None) is None


def test_eval_reports_counters_kept_with_and_without_the_sr_stage(tmp_path, monkeypatch):
    import evalfixtures
    from export.sr_export import add_to_model
    from fontgen.font import inklevel
    from fontgen.quality import evaluate

    glyphs = np.random.default_rng(0).integers(0, 256, (3, 32, 32), dtype=np.uint8)
    plain, hi = evaluate.Drawing().draw(glyphs, 1, 144, None)
    assert np.array_equal(plain, inklevel.drawn(glyphs, 144)) and hi.shape == (3, 128, 128)

    data = evalfixtures.make_dataset(tmp_path / "ds")
    model = evalfixtures.make_model(tmp_path / "model", data, critic=False)
    monkeypatch.setattr(evalfixtures, "SIZE", 128)
    hires = evalfixtures.make_dataset(tmp_path / "ds128")
    base = evaluate.evaluate(model, data, tmp_path / "r0", refs=(2,), max_chars=12, ocr=False, hires=hires)
    torch.manual_seed(0)
    add_to_model(SRNet(SRConfig(guides=1, channels=4, blocks=1, head=0)), model, {"note": "random-init test net"})
    with_sr = evaluate.evaluate(model, data, tmp_path / "r1", refs=(2,), max_chars=12, ocr=False, hires=hires,
                                superres=True)
    off = evaluate.evaluate(model, data, tmp_path / "r2", refs=(2,), max_chars=12, ocr=False, hires=hires)
    for report in (base, with_sr, off):
        record = report["writers"][0]["refs"]["2"]["counters_kept"]
        assert record["total"] > 0 and 0 <= record["kept"] <= record["total"]
    assert with_sr["settings"]["super_resolution"] and not off["settings"]["super_resolution"]
    assert off["summary"]["2"]["counters_kept"] == base["summary"]["2"]["counters_kept"]
    ceiling = base["writers"][0]["counters_ceiling"]  # the real glyphs' own: the same whatever draws the font
    assert ceiling["total"] == record["total"] and ceiling == with_sr["writers"][0]["counters_ceiling"]
    pooled = [w["counters_ceiling"] for w in base["writers"]]
    assert base["summary"]["2"]["counters_ceiling"] == sum(c["kept"] for c in pooled) / sum(c["total"] for c in pooled)
    # a zero-initialised SR net is bilinear upsampling: a different drawing of the same glyphs
    assert with_sr["writers"][0]["refs"]["2"]["d"] != base["writers"][0]["refs"]["2"]["d"]
    assert "counters kept" in (tmp_path / "r1" / "report.md").read_text(encoding="utf-8")
    with pytest.raises(InputError, match="counters dataset must be 128 px"):
        evaluate.evaluate(model, data, tmp_path / "r3", refs=(2,), max_chars=12, ocr=False, hires=data)


def test_make_font_super_resolves_generated_glyphs_only_when_asked(tmp_path, caplog):
    from click.testing import CliRunner
    from export.sr_export import add_to_model
    from fontgen.cli import cli
    from tinymodel import write_samples

    model = export_tiny(tmp_path / "model", content_font=KAI)
    torch.manual_seed(0)
    add_to_model(SRNet(SRConfig(channels=4, blocks=1, head=0)), model, {"note": "zero-initialised test net"})
    samples = write_samples(tmp_path / "samples")
    (tmp_path / "chars.txt").write_text("永和我天地人山水，A1", encoding="utf-8")
    outputs = {}
    for flag in ("--sr", "--no-sr"):
        out = tmp_path / f"H{flag}.otf"
        result = CliRunner().invoke(cli, ["make-font", "--model", str(model), "--charset", str(tmp_path / "chars.txt"),
                                          "--samples", str(samples), "--out", str(out), flag])
        assert result.exit_code == 0, result.output
        outputs[flag] = result.output
    assert "super-resolved to 128 px" in outputs["--sr"] and "super-resolve" in outputs["--sr"]
    assert "at 64 px (super-resolution off)" in outputs["--no-sr"]
    plain = export_tiny(tmp_path / "plain")
    result = CliRunner().invoke(cli, ["make-font", "--model", str(plain), "--charset", str(tmp_path / "chars.txt"),
                                      "--samples", str(samples), "--out", str(tmp_path / "P.otf"), "--sr"])
    assert result.exit_code == 0 and "generated glyphs at 64 px;" in result.output
    assert "has no super-resolution stage" in caplog.text
