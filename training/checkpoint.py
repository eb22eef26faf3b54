"""Checkpoints: written atomically as NNNNNN.pth plus last.pth; models rebuilt from them alone.

A GAN checkpoint holds `model_config` (ModelConfig as a dict), the resolved `config`, `generator`,
`generator_ema`, `discriminator`, both optimizers and scalers, RNG and sampler states, `iteration`.
An OCR checkpoint holds `critic_config`, `charset`, `critic`, optimizer, RNG states, `iteration`.

    G = load_generator("runs/gan/last.pth")          # the EMA generator, eval mode, on the CPU
    critic, charset = load_critic("runs/ocr/last.pth")
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
from pathlib import Path

import torch

from fontgen.errors import InputError
from training import config
from training.config import CriticConfig, ModelConfig
from training.models import Critic, Generator, build_critic, build_generator


PROVENANCE = ("narrowed_from", "content_added")  # how a checkpoint was derived from another one


def last_in(out_dir: Path, resume: bool) -> Path:
    """The run folder's `last.pth`; refuses to resume nothing or to start over an existing run."""
    last = out_dir / "last.pth"
    if resume and not last.is_file():
        raise InputError("nothing to resume (no last.pth)", out_dir, "drop --resume to start a new run")
    if not resume and last.is_file():
        raise InputError("the run folder already has checkpoints", out_dir,
                         "pass --resume to continue it, or choose another --out")
    return last


def open_run(cfg, out_dir: Path, last: Path, rt, log) -> None:
    """Make the run folder and record the run: the resolved config (logged and as config.yaml), the
    processes, where checkpoints go. Called by the master process only."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log(f"resolved config:\n{config.dump(cfg)}")
    log(rt.describe())
    (out_dir / "config.yaml").write_text(config.dump(cfg))
    log(f"checkpoints: {out_dir}/NNNNNN.pth and {last}")


def save(state: dict, out_dir: Path, iteration: int, keep: int = 3) -> Path:
    """Write NNNNNN.pth atomically, point last.pth at the same content, drop old numbered files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{iteration:06d}.pth"
    tmp = out_dir / f".{path.name}.tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)
    last_tmp = out_dir / ".last.pth.tmp"
    if last_tmp.exists():
        last_tmp.unlink()
    try:
        os.link(path, last_tmp)
    except OSError:  # file systems without hard links
        shutil.copyfile(path, last_tmp)
    os.replace(last_tmp, out_dir / "last.pth")
    numbered = sorted(p for p in out_dir.glob("[0-9]" * 6 + ".pth"))
    for old in numbered[:-keep] if keep > 0 else []:
        old.unlink()
    return path


def load(path: str | Path, map_location="cpu") -> dict:
    """A checkpoint's state, unpickled with `weights_only=True`: tensors and plain Python values only,
    so a crafted file cannot run code (`fontgen export`, `train --resume`, `narrow` all come here)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("checkpoint not found", path, "give a .pth written by `fontgen train`")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported (global|operand): (?:GLOBAL )?(\S+)", str(exc))
        what = f" ({found.group(1)} {found.group(2)})" if found else ""
        raise InputError(f"refused: the checkpoint holds objects other than tensors and plain values{what}",
                         path, "use a .pth written by `fontgen train`; never load checkpoints from untrusted sources")
    except Exception as exc:  # torch raises many types on truncated or foreign files
        raise InputError(f"cannot read the checkpoint ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})",
                         path, "use a .pth written by `fontgen train`")
    if not isinstance(state, dict):
        raise InputError("not a fontgen checkpoint (not a dict of states)", path, "use a .pth written by `fontgen train`")
    return state


def load_gan(path: str | Path) -> dict:
    """A GAN checkpoint's state (`load`), refused if it is another kind of checkpoint."""
    state = load(path)
    if "model_config" not in state:
        raise InputError("not a GAN checkpoint (no model_config)", path, "pass a checkpoint from `fontgen train gan`")
    return state


def load_generator(path: str | Path, ema: bool = True) -> Generator:
    """Rebuild the generator from a GAN checkpoint alone (EMA weights by default), in eval mode."""
    state = load_gan(path)
    generator = build_generator(ModelConfig(**state["model_config"]))
    generator.load_state_dict(state["generator_ema" if ema else "generator"])
    return generator.eval()


def load_critic(path: str | Path) -> tuple[Critic, str]:
    """The OCR critic (eval mode) and its charset (class i reads as charset[i])."""
    state = load(path)
    if "critic_config" not in state:
        raise InputError("not an OCR critic checkpoint", path, "pass a checkpoint from `fontgen train ocr`")
    cfg = CriticConfig(**state["critic_config"])
    critic = build_critic(cfg, len(state["charset"]))
    critic.load_state_dict(state["critic"])
    return critic.eval(), state["charset"]
