"""Presets state every loss key the trainer reads; `paper` is the seed's recipe; the seed's loss forms
(Sobel-edge L1, BCE, batch Gram of style vectors) and `train.device=auto` resolve as documented."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

torch = pytest.importorskip("torch")

from fontgen.errors import InputError  # noqa: E402
from tinydata import make_dataset  # noqa: E402
from training import checkpoint, config, datasets, losses, runtime, trainer  # noqa: E402
from training.config import CriticConfig, LossConfig  # noqa: E402
from training.models import build_critic  # noqa: E402



def gan_presets() -> list[Path]:
    """The YAMLs in training/configs that are GAN configs (the folder may hold other stages' configs)."""
    found = []
    for path in sorted(config.PRESET_DIR.glob("*.yaml")):
        try:
            config.load(str(path))
        except InputError:
            continue
        found.append(path)
    return found


PRESETS = gan_presets()
LOSS_KEYS = {f.name for f in dataclasses.fields(LossConfig)}


def trainer_loss_keys() -> set[str]:
    """Every `cfg.loss.<key>` the trainer reads, and every named term it weighs (`losses.weighted`
    reads each term's weight from the LossConfig field of the same name)."""
    tree = ast.parse(Path(trainer.__file__).read_text(encoding="utf-8"))
    keys = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                and node.value.attr == "loss"):
            keys.add(node.attr)
        if (isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "terms" for t in node.targets)
                and isinstance(node.value, ast.Dict)):
            keys |= {k.value for k in node.value.keys}
    return keys


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_every_preset_states_every_loss_key_the_trainer_reads(preset):
    stated = set(yaml.safe_load(preset.read_text(encoding="utf-8"))["loss"])
    read = trainer_loss_keys()
    assert {"adversarial", "gram_form", "adv", "outline", "l1", "gram", "contour"} <= read  # the scan finds them
    assert read <= LOSS_KEYS, "the trainer reads a loss key LossConfig does not have"
    assert not read - stated, f"{preset.name} leaves {sorted(read - stated)} to hidden defaults"
    assert not LOSS_KEYS - stated, f"{preset.name} does not state {sorted(LOSS_KEYS - stated)}"


def test_the_gan_presets_are_found():
    assert {"cpu", "paper"} <= {p.stem for p in PRESETS}


def test_paper_preset_is_the_seed_recipe():
    cfg = config.load("paper")
    loss = cfg.loss
    assert (loss.adversarial, loss.gram_form) == ("bce", "seed")
    assert (loss.adv, loss.cls, loss.structure, loss.contrastive, loss.gram, loss.outline, loss.l1, loss.contour) == \
        (1.0, 1.0, 0.8, 6.5, 1.0, 20.0, 0.0, 0.0)
    assert loss.temperature == 0.07
    assert (cfg.data.batch, cfg.data.refs_min, cfg.data.refs_max, cfg.train.iterations) == (48, 30, 30, 20000)
    o = cfg.optim
    assert (o.lr_g, o.lr_d, o.betas, o.weight_decay, o.warmup, o.decay_to, o.grad_clip) == \
        (1e-4, 5e-5, (0.0, 0.999), 1e-4, 0, 1.0, 0.0)
    assert (cfg.train.device, cfg.train.amp) == ("auto", "auto")


def test_outline_loss_is_the_l1_of_sobel_magnitudes():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-1, 1, (2, 3, 1, 16, 16)).astype(np.float32)

    def magnitude(img):
        gx = cv2.Sobel(img, cv2.CV_64F, 1, 0, ksize=3, borderType=cv2.BORDER_CONSTANT)
        gy = cv2.Sobel(img, cv2.CV_64F, 0, 1, ksize=3, borderType=cv2.BORDER_CONSTANT)
        return np.sqrt(gx ** 2 + gy ** 2 + 1e-6)

    expected = np.mean([np.abs(magnitude(x[0]) - magnitude(y[0])).mean() for x, y in zip(a, b)])
    got = losses.outline(torch.from_numpy(a), torch.from_numpy(b)).item()
    assert got == pytest.approx(expected, rel=1e-5)
    assert losses.outline(torch.from_numpy(a), torch.from_numpy(a)).item() == 0


def test_seed_gram_and_bce_forms():
    rng = np.random.default_rng(1)
    fake, ref = rng.normal(size=(2, 6, 10))
    gram = lambda v: v @ v.T / v.size  # noqa: E731
    expected = 1e4 * np.mean((gram(fake) - gram(ref)) ** 2)
    assert losses.seed_gram(torch.tensor(fake), torch.tensor(ref)).item() == pytest.approx(expected)

    real_logits, fake_logits = torch.tensor([[2.0, -1.0]]), torch.tensor([[0.5, -3.0]])
    p_real, p_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    seed_d = -(torch.log(p_real).mean() + torch.log(1 - p_fake).mean())
    assert losses.d_adversarial([real_logits], [fake_logits], "bce").item() == pytest.approx(seed_d.item(), rel=1e-6)
    assert losses.g_adversarial([fake_logits], "bce").item() == pytest.approx(-torch.log(p_fake).mean().item(), rel=1e-6)


def test_device_auto_is_cuda_with_bf16_where_there_is_a_gpu_else_cpu_fp32():
    assert runtime.resolve("auto", "auto", cuda=False) == (False, None)
    assert runtime.resolve("auto", "auto", cuda=True) == (True, torch.bfloat16)
    assert runtime.resolve("auto", "auto", cuda=True, bf16=False) == (True, torch.float16)
    assert runtime.resolve("auto", "none", cuda=True) == (True, None)
    assert runtime.resolve("cpu", "auto", cuda=True) == (False, None)
    with pytest.raises(InputError, match="no CUDA GPU"):
        runtime.resolve("cuda", "auto", cuda=False)
    cfg = config.load("cpu")
    assert (cfg.train.device, cfg.train.amp) == ("auto", "auto")


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU resolution; tests/test_gpu.py covers CUDA")
def test_trainer_runs_the_paper_losses_and_says_where_it_runs(tmp_path):
    """Two iterations of a tiny generator under the paper preset's loss section (BCE, seed Gram,
    Sobel-edge outline only), with a random critic."""
    data = make_dataset(tmp_path / "ds", chars=12, size=32, unseen=2)
    charset = datasets.load_split(data, "template").charset
    critic_cfg = CriticConfig(base=8, size=32)
    torch.save({"critic_config": dataclasses.asdict(critic_cfg), "charset": charset,
                "critic": build_critic(critic_cfg, len(charset)).state_dict()}, tmp_path / "ocr.pth")
    paper_loss = [f"loss.{k}={v}" for k, v in dataclasses.asdict(config.load("paper").loss).items()]
    tiny = ["model.size=32", "model.base=4", "model.style_base=4", "model.style_dim=32", "model.style_heads=2",
            "model.style_layers=1", "model.proj_dim=8", "model.d_base=8", "data.batch=4", "data.refs_min=2",
            "data.refs_max=2", "train.iterations=2", "train.sample_every=0", "train.save_every=0"]
    lines = []
    history = trainer.train_gan(config.load("paper", paper_loss + tiny), data, tmp_path / "ocr.pth",
                                tmp_path / "gan", log=lines.append)
    assert "device cpu, precision fp32, world size 1" in lines
    assert len(history) == 2 and all(np.isfinite(list(h.values())).all() for h in history)
    assert all(h["gram"] > 0 for h in history)
    assert checkpoint.load_gan(tmp_path / "gan" / "last.pth")["config"]["loss"]["gram_form"] == "seed"
