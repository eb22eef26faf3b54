"""Fit the model to one writer's samples before it writes the charset (make-font's adaptation).

The style encoder sums a writer up in 192 numbers in one pass, and with 8 or 16 samples it gives much
the same code: more of the writer's hand never reaches the font. So make-font tunes the generator to
the samples (per-writer fine-tuning as in zi2zi-style pipelines, with the style code refined as in
CF-Font): it draws the sample characters from their templates and lowers a pixel + edge L1 against
the samples, moving the glyph graph's weights and the style code by Adam (`fontgen.model.finetune`, torch).

It must stop before it copies the samples. The samples are split into folds; each fold is fitted on
the others and scored on itself, and the step count where the held-out loss, averaged over folds, is
lowest is the one used to fit all samples. If no step beats the untouched model on held-out samples,
nothing is changed and the fit says why:

    fit = adapt(gen, style, inputs, refs, mode="fast", seed=0)   # inputs: gen.inputs(...) of the samples
    fit.style, fit.weights                                          # weights: None = the shipped graph

`training/NOTES.md` (run 17) has the measurements behind the choices: a gradient-free search over the
style code alone on onnxruntime gained under 0.01 of style gain on real held-out fonts, so without
torch there is no adaptation (`unavailable()` says what installing it gives). It is off by default in
make-font: it brings the glyphs closer to real held-out hands on average but, on the example writer,
breaks strokes that the shipped model draws whole.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

MODES = ("off", "fast", "full")
MIN_SAMPLES = 2  # with one sample there is nothing to hold out, and the fit would copy it
WEIGHT_LR = 1e-4  # Adam step of the glyph graph's weights
STYLE_LR = 0.01  # Adam step of the style code, relative to its mean magnitude
MIN_GAIN = 0.005  # relative drop of the held-out loss a fit must reach to be used
TORCH_GAIN = "+0.01 to +0.03 mean style gain on real held-out fonts at 8 to 16 samples"  # run 17; shown when torch is missing


@dataclass(frozen=True)
class Budget:
    steps: int  # most steps a fold may run
    folds: int  # held-out folds (at most one per sample)
    check: int  # held-out loss every `check` steps


BUDGETS = {"fast": Budget(steps=40, folds=2, check=5), "full": Budget(steps=80, folds=4, check=5)}


@dataclass
class Fit:
    """The adapted model for one writer and what the fit measured (losses: `finetune.glyph_loss`, mean per glyph)."""

    style: dict[str, np.ndarray]
    mode: str
    weights: dict[str, np.ndarray] | None = None  # tuned glyph-graph weights by initializer name
    steps: int = 0  # steps of the final fit (0: the model as shipped)
    folds: int = 0
    loss_before: float | None = None  # held-out loss, averaged over folds, of the model as shipped
    loss_after: float | None = None  # the same at the chosen step count
    note: str = ""
    seconds: float = 0.0
    curve: list[tuple[int, float]] = field(default_factory=list)  # (step, mean held-out loss)

    def summary(self) -> str:
        if self.mode == "off":
            return "adaptation off"
        if self.note:
            return f"adaptation {self.mode}: {self.note}"
        return (f"adapted to the samples ({self.mode}: {self.steps} steps, held-out sample loss "
                f"{self.loss_before:.3f} → {self.loss_after:.3f}, {self.seconds:.0f} s)")


def folds_of(n: int, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    """`k` disjoint held-out index sets covering a random order of n samples (k ≤ n)."""
    return [np.sort(part) for part in np.array_split(rng.permutation(n), min(k, n))]


def unavailable() -> str | None:
    """Why adaptation cannot run here (torch missing), or None."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return f"needs torch: `pip install 'fontgen[train]'` adds it ({TORCH_GAIN}, run 17 of training/NOTES.md)"
    return None


def adapt(gen, style: dict[str, np.ndarray], inputs: np.ndarray, refs: np.ndarray, mode: str = "fast",
          seed: int = 0, progress: bool = True) -> Fit:
    """Tune the model to a writer: `style` from `gen.style(refs)`, `inputs` the glyph graph's inputs for
    the sample characters (uint8 [R, C, S, S], `gen.inputs`), `refs` the samples (uint8 [R, S, S])."""
    from tqdm import tqdm

    from fontgen import raster

    if mode not in MODES:
        raise ValueError(f"unknown adaptation mode {mode!r}; use one of {', '.join(MODES)}")
    if mode == "off":
        return Fit(style, mode)
    if len(refs) < MIN_SAMPLES:
        return Fit(style, mode, note=f"needs at least {MIN_SAMPLES} samples of characters the template font has "
                                     f"({len(refs)} usable); generating with the encoder's style")
    why = unavailable()
    if why:
        return Fit(style, mode, note=why)
    from fontgen.model.finetune import Tuner, load_graph

    t0 = time.perf_counter()
    budget = BUDGETS[mode]
    names = gen.info.style_names
    widths = [style[k].shape[-1] for k in names]
    z0 = np.concatenate([style[k].reshape(-1) for k in names])
    x, y = raster.to_model(inputs), raster.to_model(refs)
    folds = folds_of(len(refs), budget.folds, np.random.default_rng(seed))
    checks = list(range(0, budget.steps + 1, budget.check))
    losses = np.zeros((len(folds), len(checks)))
    graph = load_graph(gen)
    style_lr = STYLE_LR * (float(np.abs(z0).mean()) or 1.0)
    tuner = lambda: Tuner(graph, names, z0, widths, WEIGHT_LR, style_lr, gen.threads)
    total = budget.steps * (len(folds) + 1)
    with tqdm(total=total, desc="adapt", unit="step", disable=None if progress else True) as bar:
        for f, held in enumerate(folds):
            train = np.setdiff1d(np.arange(len(refs)), held)
            fold = tuner()
            losses[f, 0] = fold.loss(x[held], y[held])
            for step in range(1, budget.steps + 1):
                fold.step(x[train], y[train])
                if step % budget.check == 0:
                    losses[f, step // budget.check] = fold.loss(x[held], y[held])
                bar.update(1)
        # Each fold's curve relative to its own start, so an easy fold does not outvote a hard one.
        mean = (losses / losses[:, :1]).mean(axis=0)
        best = int(np.argmin(mean))
        fit = Fit(style, mode, folds=len(folds), loss_before=float(losses[:, 0].mean()),
                  loss_after=float(losses[:, best].mean()),
                  curve=[(s, float(v)) for s, v in zip(checks, losses.mean(axis=0))])
        if best == 0 or mean[best] > 1.0 - MIN_GAIN:
            fit.note = ("no step count improved held-out samples (too few, or too unlike each other); "
                        "generating with the model as shipped")
        else:
            final = tuner()
            for _ in range(checks[best]):
                final.step(x, y)
                bar.update(1)
            z, fit.weights = final.state()
            fit.style = _unflatten(z, names, widths, style)
            fit.steps = checks[best]
        bar.update(total - bar.n)
    fit.seconds = time.perf_counter() - t0
    return fit


def _unflatten(z: np.ndarray, names, widths: list[int], like: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out, start = {}, 0
    for name, width in zip(names, widths):
        out[name] = z[start:start + width].astype(np.float32).reshape(like[name].shape)
        start += width
    return out
