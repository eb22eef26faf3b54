"""Where and how a training run executes: device, DDP from torchrun's environment, AMP, seeding,
RNG state capture, learning-rate schedule. Shared by the GAN and OCR trainers.

    rt = runtime.start("auto", "auto", seed=0)   # reads RANK/WORLD_SIZE/LOCAL_RANK if torchrun set them
    log(rt.describe())                           # device cuda:0 (NVIDIA H200), precision bf16, world size 1
    with rt.autocast(): ...
    rt.finish()
"""

from __future__ import annotations

import contextlib
import math
import os
import random
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from fontgen.errors import InputError

PRECISION = {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}


@dataclass
class Runtime:
    device: torch.device
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    amp_dtype: torch.dtype | None = None   # None: full precision

    @property
    def master(self) -> bool:
        return self.rank == 0

    @property
    def ddp(self) -> bool:
        return self.world > 1

    def autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def scaler(self) -> torch.amp.GradScaler:
        """Loss scaling only for fp16 (bf16 and fp32 have the range they need)."""
        return torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)

    def wrap(self, module: torch.nn.Module) -> torch.nn.Module:
        if not self.ddp:
            return module
        ids = [self.local_rank] if self.device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(module, device_ids=ids)

    def describe(self) -> str:
        """One line: where and how this run computes."""
        name = f" ({torch.cuda.get_device_name(self.device)})" if self.device.type == "cuda" else ""
        return f"device {self.device}{name}, precision {PRECISION[self.amp_dtype]}, world size {self.world}"

    def any_true(self, flag: bool) -> bool:
        """True on every rank if any rank says so (a collective stop decision)."""
        if not self.ddp:
            return flag
        t = torch.tensor([float(flag)], device=self.device)
        dist.all_reduce(t)
        return bool(t.item())

    def gather(self, obj):
        """Every rank's `obj`, in rank order (on every rank)."""
        if not self.ddp:
            return [obj]
        out = [None] * self.world
        dist.all_gather_object(out, obj)
        return out

    def barrier(self):
        if self.ddp:
            dist.barrier()

    def finish(self):
        if self.ddp and dist.is_initialized():
            dist.destroy_process_group()


def resolve(device: str, amp: str, cuda: bool, bf16: bool = True) -> tuple[bool, torch.dtype | None]:
    """(run on CUDA?, autocast dtype or None) for `train.device` / `train.amp` on a machine with or
    without CUDA (and bf16 support): auto is CUDA with bf16 where there is a GPU, fp32 on the CPU."""
    if device == "cuda" and not cuda:
        raise InputError("train.device=cuda, but torch finds no CUDA GPU here", None,
                         "use train.device=auto (or cpu), or install the CUDA build of torch")
    use_cuda = cuda if device == "auto" else device == "cuda"
    if not use_cuda or amp == "none":
        return use_cuda, None
    if amp == "auto":
        return use_cuda, torch.bfloat16 if bf16 else torch.float16
    return use_cuda, torch.bfloat16 if amp == "bf16" else torch.float16


def start(device: str = "auto", amp: str = "auto", seed: int = 0) -> Runtime:
    """Detect torchrun (RANK/WORLD_SIZE/LOCAL_RANK), pick the device and precision (`resolve`), init
    the process group (nccl on GPU, gloo on CPU), seed every RNG with seed + rank."""
    rank = int(os.environ.get("RANK", 0))
    world = int(os.environ.get("WORLD_SIZE", 1))
    local = int(os.environ.get("LOCAL_RANK", 0))
    cuda = torch.cuda.is_available()
    use_cuda, amp_dtype = resolve(device, amp, cuda, cuda and torch.cuda.is_bf16_supported())
    dev = torch.device(f"cuda:{local}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo", rank=rank, world_size=world)
    if amp_dtype is not None:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    seed_everything(seed + rank)
    return Runtime(dev, rank, world, local, amp_dtype)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def rng_state() -> dict:
    """Every RNG's state in types `torch.load(weights_only=True)` accepts (no numpy arrays)."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {"python": random.getstate(), "numpy": (name, keys.tolist(), pos, has_gauss, gauss),
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, np.asarray(keys, np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def learning_rate(step: int, base: float, warmup: int, total: int, decay_to: float) -> float:
    """A pure function of the step: linear warm-up, then cosine from `base` to `base * decay_to`."""
    if step < warmup:
        return base * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (decay_to + (1 - decay_to) * 0.5 * (1 + math.cos(math.pi * progress)))


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
