"""DDP on the CPU: two gloo processes train a few iterations and end with identical weights."""

import os
import socket

import pytest

torch = pytest.importorskip("torch")
import torch.multiprocessing as mp  # noqa: E402

from tinydata import make_dataset  # noqa: E402
from training import checkpoint, config, ocr, trainer  # noqa: E402
from test_training import TINY, quiet  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker(rank: int, world: int, port: int, data, ocr_ckpt, out) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    cfg = config.load("cpu", TINY + ["train.iterations=3", "train.device=cpu"])
    trainer.train_gan(cfg, data, ocr_ckpt, out, log=quiet)


def test_two_gloo_ranks_stay_in_sync(tmp_path):
    data = make_dataset(tmp_path / "ds", chars=16, size=32, unseen=2)
    ocr.train_ocr(config.load("cpu", TINY + ["critic.iterations=2"]), data, tmp_path / "ocr", log=quiet)
    mp.spawn(worker, args=(2, free_port(), data, tmp_path / "ocr" / "last.pth", tmp_path / "gan"), nprocs=2)
    state = checkpoint.load(tmp_path / "gan" / "last.pth")
    ranks = state["rank_states"]
    assert state["iteration"] == 3 and len(ranks) == 2
    assert ranks[0]["sampler"] != ranks[1]["sampler"]          # each rank drew its own data
    assert ranks[0]["weights_sha256"] == ranks[1]["weights_sha256"]
