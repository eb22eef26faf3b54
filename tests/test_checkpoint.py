"""Checkpoints load weights only: a crafted .pth is refused by every command that reads one, and runs no code."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")

from clicheck import assert_one_line_error  # noqa: E402
from fontgen.cli import cli  # noqa: E402
from tinydata import make_dataset  # noqa: E402
from tinymodel import KAI, tiny_generator  # noqa: E402
from training import checkpoint  # noqa: E402
from training.config import CriticConfig  # noqa: E402
from training.models import build_critic  # noqa: E402


class Plant:
    """Unpickled by a full pickle loader, this calls open(marker, "w"): the marker appears iff code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A tiny dataset, a real GAN and a real critic checkpoint, and a hostile copy of each."""
    root = tmp_path_factory.mktemp("hostile")
    gen = tiny_generator()
    gan = {"model_config": gen.config_dict(), "generator": gen.state_dict(), "generator_ema": gen.state_dict(),
           "config": {"train": {"iterations": 1}}, "iteration": 1}
    critic_cfg = CriticConfig(base=4)
    ocr = {"critic_config": critic_cfg.__dict__, "charset": "永和",
           "critic": build_critic(critic_cfg, 2).state_dict(), "iteration": 1}
    marker = root / "pwned"
    w = {"data": make_dataset(root / "ds", chars=8, size=32, unseen=2), "marker": marker,
         "gan": checkpoint.save(gan, root / "gan", 1), "ocr": checkpoint.save(ocr, root / "ocr", 1)}
    for name, state in (("gan", gan), ("ocr", ocr)):
        evil = root / f"evil-{name}"
        evil.mkdir()
        torch.save(dict(state, iteration=Plant(marker)), evil / "last.pth")
        w[f"evil_{name}"] = evil / "last.pth"
    legacy = root / "evil-legacy.pth"
    torch.save(dict(gan, generator=Plant(marker)), legacy, _use_new_zipfile_serialization=False)
    w["evil_legacy"] = legacy
    return w


def test_the_hostile_checkpoints_do_run_code_under_a_full_unpickler(world):
    """Guards the test itself: what `world` plants really executes when loaded the unsafe way."""
    for path in (world["evil_gan"], world["evil_legacy"]):
        torch.load(path, weights_only=False)
        assert world["marker"].exists()
        world["marker"].unlink()


def _commands(w, tmp):
    tiny = ["model.size=32", "critic.base=4", "train.iterations=1", "critic.iterations=1"]
    return {
        "export": ["export", "--checkpoint", str(w["evil_gan"]), "--out", str(tmp / "m1")],
        "export legacy": ["export", "--checkpoint", str(w["evil_legacy"]), "--out", str(tmp / "m2")],
        "export --ocr": ["export", "--checkpoint", str(w["gan"]), "--ocr", str(w["evil_ocr"]),
                         "--out", str(tmp / "m3")],
        "train gan --resume": ["train", "gan", "--data", str(w["data"]), "--ocr", str(w["ocr"]),
                               "--out", str(w["evil_gan"].parent), "--resume", *tiny],
        "train gan --ocr": ["train", "gan", "--data", str(w["data"]), "--ocr", str(w["evil_ocr"]),
                            "--out", str(tmp / "g"), *tiny],
        "train ocr --resume": ["train", "ocr", "--data", str(w["data"]), "--out", str(w["evil_ocr"].parent),
                               "--resume", *tiny],
        "train narrow": ["train", "narrow", "--checkpoint", str(w["evil_gan"]), "--out", str(tmp / "n"),
                         "model.max_mult=4"],
        "train add-content-font": ["train", "add-content-font", "--checkpoint", str(w["evil_gan"]),
                                   "--font", KAI, "--out", str(tmp / "c")],
    }


@pytest.mark.parametrize("command", ["export", "export legacy", "export --ocr", "train gan --resume",
                                     "train gan --ocr", "train ocr --resume", "train narrow",
                                     "train add-content-font"])
def test_every_command_refuses_a_hostile_checkpoint(world, tmp_path, command):
    result = CliRunner().invoke(cli, _commands(world, tmp_path)[command])
    assert_one_line_error(result, "refused", "io.open", ".pth")
    assert not world["marker"].exists(), f"{command} ran code from the checkpoint"


def test_trusted_checkpoints_still_load(world):
    assert checkpoint.load_generator(world["gan"]).cfg == tiny_generator().cfg
    critic, charset = checkpoint.load_critic(world["ocr"])
    assert charset == "永和" and critic.head.out_features == 2
