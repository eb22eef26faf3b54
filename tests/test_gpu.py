"""CUDA paths: the critic and the GAN train on the GPU under bf16 autocast, a GPU run resumes on the
CPU and exports with parity, torchrun launches on the GPU (NCCL with two or more GPUs), and
onnxruntime's CUDA provider draws what the CPU provider draws. Skipped, loudly, without a GPU."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training import checkpoint, config, trainer  # noqa: E402
from training.models import build_generator  # noqa: E402
from test_training import TINY, quiet, tiny_critic, tiny_data  # noqa: E402

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="LOUD SKIP: no CUDA GPU here; CUDA training, bf16 autocast, NCCL and the CUDA provider are untested")

ROOT = Path(__file__).resolve().parents[1]
ON_CUDA = ["train.device=cuda", "train.amp=bf16"]
CUDA = TINY + ON_CUDA


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return tiny_data(tmp_path_factory.mktemp("ds"))


@pytest.fixture(scope="module")
def gpu_critic(data, tmp_path_factory):
    return tiny_critic(data, tmp_path_factory.mktemp("ocr"), ON_CUDA)


def test_critic_learns_on_cuda_with_bf16(gpu_critic):
    out, result = gpu_critic
    assert result["train_acc"] >= 0.9
    critic, charset = checkpoint.load_critic(out / "last.pth")          # back on the CPU
    assert len(charset) == 24 and next(critic.parameters()).device.type == "cpu"


def test_gan_trains_on_cuda_resumes_on_cpu_and_exports(data, gpu_critic, tmp_path):
    from export import onnx_export

    ocr_ckpt = gpu_critic[0] / "last.pth"
    run = tmp_path / "gan"
    history = trainer.train_gan(config.load("cpu", CUDA + ["train.iterations=60", "optim.lr_g=1e-3"]),
                                data, ocr_ckpt, run, log=quiet)
    l1 = [h["l1"] for h in history]
    assert len(l1) == 60 and all(np.isfinite([v for h in history for v in h.values()]))
    assert np.mean(l1[-10:]) < np.mean(l1[:5])
    state = checkpoint.load(run / "last.pth")
    assert all(v.device.type == "cpu" for v in state["generator_ema"].values())
    resumed = trainer.train_gan(config.load("cpu", TINY + ["train.iterations=62", "train.device=cpu"]),
                                data, ocr_ckpt, run, resume=True, log=quiet)
    assert [h["iteration"] for h in resumed] == [61, 62]
    info = onnx_export.export_checkpoint(run / "last.pth", tmp_path / "model", ocr=ocr_ckpt, data=data)
    assert info["parity"]["generator"]["glyph_max_abs"] <= 1e-3 and info["training"]["iterations"] == 62


def test_train_picks_cuda_and_bf16_without_flags(data, gpu_critic, tmp_path):
    """`fontgen train gan` with no device or precision override: train.device=auto, train.amp=auto."""
    from click.testing import CliRunner

    from fontgen.cli import cli

    args = ["train", "gan", "--config", "cpu", "--data", str(data), "--ocr", str(gpu_critic[0] / "last.pth"),
            "--out", str(tmp_path / "gan"), *TINY, "train.iterations=2"]
    assert not any(a.startswith(("train.device", "train.amp")) for a in args)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("device ")]
    assert line.startswith("device cuda:0 (") and line.endswith("precision bf16, world size 1"), line
    recognizer = CliRunner().invoke(cli, ["train", "recognizer", "--data", str(data), "--out", str(tmp_path / "rec"),
                                          "recognizer.iterations=2", "recognizer.batch=8"])
    assert recognizer.exit_code == 0, recognizer.output
    assert "precision bf16, world size 1" in recognizer.output


def test_cuda_and_cpu_generators_agree():
    torch.manual_seed(0)
    gen = build_generator(config.load("cpu").model).eval()
    refs = torch.rand(3, 4, 64, 64) * 2 - 1
    templates = torch.rand(3, 1, 64, 64) * 2 - 1
    tf32 = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        with torch.no_grad():
            cpu = gen(refs, templates)
            gpu = gen.cuda()(refs.cuda(), templates.cuda()).cpu()
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32
    assert (cpu - gpu).abs().max().item() <= 1e-3


@pytest.mark.parametrize("world", [1, 2])
def test_torchrun_trains_one_process_per_gpu(world, data, gpu_critic, tmp_path):
    """With two GPUs the ranks meet over NCCL, draw their own data and end with equal weights."""
    if torch.cuda.device_count() < world:
        pytest.skip(f"LOUD SKIP: {torch.cuda.device_count()} GPU here; NCCL refuses two ranks on one "
                    "device, so the two-rank NCCL run needs two GPUs")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={world}",
           "-m", "training.trainer", "--data", str(data), "--ocr", str(gpu_critic[0] / "last.pth"),
           "--out", str(tmp_path / "gan"), *CUDA, "train.iterations=4"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    state = checkpoint.load(tmp_path / "gan" / "last.pth")
    ranks = state["rank_states"]
    assert state["iteration"] == 4 and len(ranks) == world
    assert len({r["weights_sha256"] for r in ranks}) == 1
    assert len({str(r["sampler"]) for r in ranks}) == world


def test_onnxruntime_cuda_provider_matches_cpu(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("LOUD SKIP: onnxruntime here has no CUDA provider (pip install '.[gpu]' for onnxruntime-gpu)")
    from export import onnx_export
    from fontgen.model import generate

    torch.manual_seed(0)
    onnx_export.write_model(build_generator(config.load("cpu").model).eval(), tmp_path / "m",
                            training={"test": "cuda provider"})
    refs = (np.random.default_rng(0).random((4, 64, 64)) * 255).astype(np.uint8)
    templates = (np.random.default_rng(1).random((8, 64, 64)) * 255).astype(np.uint8)
    drawn = {}
    for device in ("cpu", "cuda"):
        gen = generate.Generator(tmp_path / "m", device=device)
        drawn[device] = gen.glyphs(gen.style(refs), templates, batch=4)
    assert np.abs(drawn["cpu"].astype(int) - drawn["cuda"].astype(int)).max() <= 2
