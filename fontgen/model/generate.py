"""Generate glyph bitmaps with the exported ONNX graphs (onnxruntime; no torch).

The style graph runs once per font on the writer's references; the glyph graph then runs in batches
over the templates with that style broadcast across the batch:

    gen = Generator(model_dir=None, device="auto")      # None: the default shipped model
    style = gen.style(refs)                              # refs: uint8 [R, S, S], 255 = ink
    glyphs = gen.glyphs(style, gen.inputs(templates, chars), batch=16)  # uint8 [N, S, S] -> [N, S, S]

A model with a content font (model.json `content_font`) also reads each character drawn in that
font: `inputs` stacks it under the template as a second channel (rendered once per character list
and cached, like the templates). For a one-channel model the templates alone will do.

On the CPU the glyph graph runs one batch per physical core at a time, each on a single thread: the
graph is dominated by small convolutions and element-wise ops at 64 × 64 that onnxruntime cannot
split well across threads (two intra-op threads gave 1.5× one thread here, two concurrent
single-threaded runs close to 2×). `run()` releases the GIL, so Python threads suffice.

`device="auto"` uses the CUDA execution provider when onnxruntime-gpu and a GPU are both present and
otherwise the CPU provider (with a one-line notice when a GPU was there to be used); `device="cuda"`
without a usable GPU is an `InputError`. On the GPU, inputs and outputs go through IOBinding so the
style tensors are uploaded once per font.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from fontgen import raster
from fontgen.errors import InputError
from fontgen.model import modelfiles

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
DEFAULT_BATCH = {"cpu": 16, "cuda": 512}  # per run; small CPU batches stay in cache
# The NCHWc layout pads channels to the SIMD width (16 with AVX-512); the glyph graph's 6- and
# 12-channel convolutions at 64 and 32 px then do up to 2.7x the work. Without it: 5 % more glyphs/s.
CPU_SKIP_OPTIMIZERS = ("NchwcTransformer",)
GPU_EXTRA = "install the GPU build with `pip install 'fontgen[gpu]'` (onnxruntime-gpu)"


def physical_cores() -> int:
    """Physical cores this process may run on (hyper-threads share one core's FPUs, so they do not help)."""
    try:
        cpus = os.sched_getaffinity(0)
    except AttributeError:  # not Linux
        return max(1, (os.cpu_count() or 2) // 2)
    cores = set()
    for cpu in cpus:
        topo = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add((topo.joinpath("physical_package_id").read_text().strip(),
                       topo.joinpath("core_id").read_text().strip()))
        except OSError:
            cores.add(("cpu", str(cpu)))
    return max(1, len(cores))


def nvidia_gpu_present() -> bool:
    """Whether the NVIDIA driver reports a GPU (Linux), independent of the onnxruntime build."""
    gpus = Path("/proc/driver/nvidia/gpus")
    return gpus.is_dir() and any(gpus.iterdir())


def session_options(threads: int | None):
    """Sequential execution on `threads` intra-op threads (None: every physical core), full graph
    optimisation, quiet logs."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or physical_cores()
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    return opts


def load_session(ort, info: modelfiles.ModelInfo, name: str, opts, providers: list[str], skip=(),
                 graph: bytes | None = None):
    """A session for the model folder's graph `name`, or for `graph` (serialized ONNX) in its place;
    a graph onnxruntime cannot load is one InputError naming the file."""
    path = info.graph(name)
    try:
        return ort.InferenceSession(graph if graph is not None else str(path), sess_options=opts,
                                    providers=providers, disabled_optimizers=list(skip))
    except Exception as exc:  # onnxruntime raises its own untyped errors on a bad graph
        raise InputError(f"onnxruntime cannot load the {name} graph ({str(exc).splitlines()[0]})", path,
                         modelfiles.REEXPORT)


class Generator:
    """onnxruntime sessions for one model folder on one device."""

    def __init__(self, model_dir: str | Path | None = None, device: str = "auto", threads: int | None = None):
        import onnxruntime as ort

        if device not in DEVICES:
            raise InputError(f"unknown device {device!r}", None, f"use one of {', '.join(DEVICES)}")
        self.info = modelfiles.load(model_dir)
        available = ort.get_available_providers()
        if device == "cuda" and CUDA not in available:
            raise InputError("--device cuda needs onnxruntime-gpu, but this onnxruntime is the CPU build", None,
                             f"{GPU_EXTRA} on a machine with an NVIDIA GPU, or use --device cpu")
        want_cuda = device == "cuda" or (device == "auto" and CUDA in available)
        providers = [CUDA, CPU] if want_cuda else [CPU]
        self.threads = threads or physical_cores()
        # CPU: one single-threaded run per core in flight, without NCHWc; GPU: one run at a time.
        glyph_threads, self.concurrent, skip = ((self.threads, 1, ()) if want_cuda
                                                else (1, self.threads, CPU_SKIP_OPTIMIZERS))
        self._glyph_options = (session_options(glyph_threads), providers, skip)
        self.style_session = load_session(ort, self.info, "style", session_options(self.threads), providers)
        self.glyph_session = load_session(ort, self.info, "glyph", *self._glyph_options)
        self._check_signature()
        self.device = "cuda" if CUDA in self.glyph_session.get_providers() else "cpu"
        if want_cuda and self.device == "cpu":
            if device == "cuda":
                raise InputError("--device cuda: onnxruntime-gpu found no usable CUDA GPU", None,
                                 "check the NVIDIA driver and CUDA libraries (nvidia-smi), or use --device cpu")
            log.warning("notice: onnxruntime-gpu found no usable GPU; generating on the CPU")
        elif device == "auto" and not want_cuda and nvidia_gpu_present():
            log.warning("notice: a GPU is present but onnxruntime is the CPU build; %s to use it", GPU_EXTRA)

    def _check_signature(self) -> None:
        """The graphs take and give what model.json says (style outputs, channels, size), so a folder whose
        description and graphs disagree fails here instead of deep inside a run."""
        style_out = [o.name for o in self.style_session.get_outputs()]
        glyph_in = {i.name: i.shape for i in self.glyph_session.get_inputs()}
        shape = glyph_in.get("templates") or []
        ok = (style_out == list(self.info.style_names) and set(self.info.style_names) <= set(glyph_in)
              and [o.name for o in self.glyph_session.get_outputs()] == ["glyphs"]
              and len(shape) == 4 and shape[1:] == [self.channels, self.size, self.size])
        if not ok:
            raise InputError(f"the graphs do not match model.json (style outputs {style_out}, glyph inputs "
                             f"{glyph_in}; model.json: {list(self.info.style_names)}, {self.channels} channel(s) "
                             f"of {self.size} px)", self.info.folder / modelfiles.MODEL_JSON, modelfiles.REEXPORT)

    def use_glyph_graph(self, graph: bytes) -> None:
        """Generate with another glyph graph of the same signature (serialized ONNX; e.g. weights tuned to
        one writer by `fontgen.model.finetune`), on the same device and settings."""
        import onnxruntime as ort

        self.glyph_session = load_session(ort, self.info, "glyph", *self._glyph_options, graph=graph)

    @property
    def size(self) -> int:
        return self.info.size

    def style(self, refs: np.ndarray) -> dict[str, np.ndarray]:
        """Style tensors (batch 1) of a writer from normalized references, uint8 [R, S, S]."""
        if refs.ndim != 3 or refs.shape[0] < 1 or refs.shape[1:] != (self.size, self.size):
            raise ValueError(f"refs must be [R>=1, {self.size}, {self.size}], got {refs.shape}")
        x = raster.to_model(refs)[None]  # [1, R, S, S]
        values = self.style_session.run(list(self.info.style_names), {"refs": x})
        return dict(zip(self.info.style_names, values))

    @property
    def channels(self) -> int:
        return 2 if self.info.content_font else 1

    def inputs(self, templates: np.ndarray, chars: list[str]) -> np.ndarray:
        """The glyph graph's input for the normalized templates (uint8 [N, S, S]) of `chars`:
        uint8 [N, C, S, S], the content font's glyph (if the model has one) under the template."""
        if len(chars) != len(templates):
            raise ValueError(f"{len(chars)} characters for {len(templates)} templates")
        if not self.info.content_font:
            return templates[:, None]
        from fontgen.templates import content_ink

        second = content_ink(list(chars), templates, self.info.content_font, self.size, self.info.margin)
        return np.stack([templates, second], 1)

    def glyphs(self, style: dict[str, np.ndarray], inputs: np.ndarray, batch: int | None = None,
               progress: bool = True) -> np.ndarray:
        """Glyphs in the writer's style, uint8 [N, S, S], for `inputs(templates, chars)` (uint8
        [N, C, S, S]); a one-channel model also takes the templates [N, S, S] as they are."""
        from concurrent.futures import ThreadPoolExecutor

        from tqdm import tqdm

        if inputs.ndim == 3 and self.channels == 1:
            inputs = inputs[:, None]
        if inputs.ndim != 4 or inputs.shape[1] != self.channels:
            raise ValueError(f"the glyph graph takes [N, {self.channels}, S, S] (see `inputs`), got {inputs.shape}")
        n = len(inputs)
        batch = batch or DEFAULT_BATCH[self.device]
        out = np.empty((n, self.size, self.size), np.uint8)
        run = self._cuda_runner(style) if self.device == "cuda" else self._cpu_runner(style)

        def one(start: int) -> int:
            x = raster.to_model(inputs[start:start + batch])  # [B, C, S, S]
            out[start:start + len(x)] = raster.from_model(run(x)[:, 0])
            return len(x)

        with tqdm(total=n, desc="generate", unit="glyph", disable=None if progress else True) as bar, \
                ThreadPoolExecutor(self.concurrent) as pool:
            for done in pool.map(one, range(0, n, batch)):
                bar.update(done)
        return out

    def _cpu_runner(self, style: dict[str, np.ndarray]):
        def run(x: np.ndarray) -> np.ndarray:
            return self.glyph_session.run(["glyphs"], dict(style, templates=x))[0]
        return run

    def _cuda_runner(self, style: dict[str, np.ndarray]):
        """IOBinding: the style lives on the GPU for the whole font; only templates and glyphs move."""
        import onnxruntime as ort

        binding = self.glyph_session.io_binding()
        on_gpu = {name: ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(v), "cuda", 0) for name, v in style.items()}
        for name, value in on_gpu.items():
            binding.bind_ortvalue_input(name, value)

        def run(x: np.ndarray) -> np.ndarray:
            on_gpu["templates"] = ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(x), "cuda", 0)
            binding.bind_ortvalue_input("templates", on_gpu["templates"])
            binding.bind_output("glyphs", "cuda", 0)
            self.glyph_session.run_with_iobinding(binding)
            return binding.copy_outputs_to_cpu()[0]
        return run
