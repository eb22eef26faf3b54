"""Fit the model to one writer's samples before it writes the charset (make-font's adaptation).

The style encoder sums a writer up in 192 numbers in one pass, and with 8 or 16 samples it gives much
the same code: more of the writer's hand never reaches the font. So make-font tunes the generator to
the samples (per-writer fine-tuning as in zi2zi-style pipelines, with the style code refined as in
CF-Font): it draws the sample characters from their templates and lowers a pixel + edge L1 against
the samples, moving the glyph graph's weights and the style code by Adam (`fontgen.model.finetune`, torch).

It must stop before it copies the samples. The samples are split into folds; each fold is fitted on
the others and scored on itself, and the step count where the held-out loss, averaged over folds, is
lowest is the one used to fit all samples.

A lower pixel loss on the samples can be bought by breaking strokes elsewhere: a few Adam steps
thin the strokes of characters the fit never sees until they fall apart (run 18). So every checked
step also draws probe characters (`probe_chars`, never samples) and counts their stroke pieces and
counters (`topology`); a step that changes them by more than `DRIFT_MAX` per glyph is never used.
If no step both beats the untouched model on held-out samples and keeps the probe whole, nothing is
changed and the fit says why:

    fit = adapt(gen, style, inputs, refs, mode="fast", seed=0, probe=probe_inputs)
    fit.style, fit.weights                                          # weights: None = the shipped graph

`training/NOTES.md` (runs 17 and 18) has the measurements behind the choices: a gradient-free search
over the style code alone on onnxruntime gained under 0.01 of style gain on real held-out fonts, so
without torch there is no adaptation (`unavailable()` says so). It is off by default in make-font:
with strokes kept whole, the shipped model gains little from it (run 18).
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
DRIFT_MAX = 0.10  # stroke pieces + counters changed per probe glyph that a fit may cause (run 18)
PROBE_SIZE = 64  # characters, outside the samples, whose topology the fit must keep


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
    curve: list[tuple[int, float, float]] = field(default_factory=list)  # (step, mean held-out loss, mean drift)
    drift: float = 0.0  # topology change of the probe characters at the chosen fit (`drift`)

    def record(self) -> dict:
        """What a report keeps of the fit."""
        return {"mode": self.mode, "steps": self.steps, "held_out_loss": [self.loss_before, self.loss_after],
                "drift": round(self.drift, 4), "note": self.note, "seconds": round(self.seconds, 1)}

    def summary(self) -> str:
        if self.mode == "off":
            return "adaptation off"
        if self.note:
            return f"adaptation {self.mode}: {self.note}"
        return (f"adapted to the samples ({self.mode}: {self.steps} steps, held-out sample loss "
                f"{self.loss_before:.3f} → {self.loss_after:.3f}, strokes changed {self.drift:.2f} per glyph, "
                f"{self.seconds:.0f} s)")


def folds_of(n: int, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    """`k` disjoint held-out index sets covering a random order of n samples (k ≤ n)."""
    return [np.sort(part) for part in np.array_split(rng.permutation(n), min(k, n))]


def probe_chars(chars: list[str], samples: set[str], n: int = PROBE_SIZE) -> list[str]:
    """`n` characters spread evenly over `chars`, none of them a sample: the fit is checked on them."""
    rest = [c for c in chars if c not in samples]
    return [rest[i] for i in np.linspace(0, len(rest) - 1, min(n, len(rest))).astype(int)] if rest else []


def topology(glyphs: np.ndarray) -> np.ndarray:
    """Per glyph of model outputs (float [N, S, S], ink > 0): [pieces of ink (8-connected), counters
    (enclosed paper regions, 4-connected)], int [N, 2]."""
    import cv2

    out = np.zeros((len(glyphs), 2), np.int64)
    for i, g in enumerate(glyphs):
        ink = (g > 0).astype(np.uint8)
        out[i, 0] = cv2.connectedComponents(ink, connectivity=8)[0] - 1
        out[i, 1] = max(cv2.connectedComponents(1 - ink, connectivity=4)[0] - 2, 0)
    return out


def drift(before: np.ndarray, after: np.ndarray) -> float:
    """Mean per glyph of |pieces changed| + |counters changed|: a broken stroke adds a piece, a clot
    loses a counter. Fitting the samples' pixels can do both to characters it never sees."""
    return float(np.abs(after - before).sum(axis=1).mean()) if len(before) else 0.0


def unavailable() -> str | None:
    """Why adaptation cannot run here (torch missing), or None."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return "needs torch (pip install 'fontgen[train]'); generating with the encoder's style"
    return None


def adapt(gen, style: dict[str, np.ndarray], inputs: np.ndarray, refs: np.ndarray, mode: str = "fast",
          seed: int = 0, progress: bool = True, probe: np.ndarray | None = None) -> Fit:
    """Tune the model to a writer: `style` from `gen.style(refs)`, `inputs` the glyph graph's inputs for
    the sample characters (uint8 [R, C, S, S], `gen.inputs`), `refs` the samples (uint8 [R, S, S]).

    `probe`: the glyph graph's inputs for other characters (`probe_chars`); a step count whose fit
    changes their strokes' topology by more than `DRIFT_MAX` per glyph is never used."""
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
    t0 = time.perf_counter()
    budget = BUDGETS[mode]
    x, y = raster.to_model(inputs), raster.to_model(refs)
    folds = folds_of(len(refs), budget.folds, np.random.default_rng(seed))
    checks = list(range(0, budget.steps + 1, budget.check))
    losses = np.zeros((len(folds), len(checks)))
    drifts = np.zeros((len(folds), len(checks)))
    tuner = tuners(gen, style)
    px = raster.to_model(probe) if probe is not None and len(probe) else None
    base = None
    total = budget.steps * (len(folds) + 1)
    with tqdm(total=total, desc="adapt", unit="step", disable=None if progress else True) as bar:
        for f, held in enumerate(folds):
            train = np.setdiff1d(np.arange(len(refs)), held)
            fold = tuner()
            if px is not None and base is None:
                base = topology(fold.glyphs(px))
            losses[f, 0] = fold.loss(x[held], y[held])
            for step in range(1, budget.steps + 1):
                fold.step(x[train], y[train])
                if step % budget.check == 0:
                    losses[f, step // budget.check] = fold.loss(x[held], y[held])
                    if base is not None:
                        drifts[f, step // budget.check] = drift(base, topology(fold.glyphs(px)))
                bar.update(1)
        # Each fold's curve relative to its own start, so an easy fold does not outvote a hard one.
        mean = (losses / losses[:, :1]).mean(axis=0)
        kept = drifts.mean(axis=0) <= DRIFT_MAX
        best = int(np.argmin(np.where(kept, mean, np.inf)))
        fit = Fit(style, mode, folds=len(folds), loss_before=float(losses[:, 0].mean()),
                  loss_after=float(losses[:, best].mean()),
                  curve=[(s, float(v), float(d)) for s, v, d in zip(checks, losses.mean(axis=0), drifts.mean(axis=0))])
        if best == 0 or mean[best] > 1.0 - MIN_GAIN:
            broke = not kept.all() and np.argmin(mean) != best
            fit.note = ("every fit that drew the samples better broke or clotted strokes of other characters; "
                        "generating with the model as shipped" if broke else
                        "no step count improved held-out samples (too few, or too unlike each other); "
                        "generating with the model as shipped")
        else:
            final, done = tuner(), 0
            for step in range(1, checks[best] + 1):
                final.step(x, y)
                bar.update(1)
                if step % budget.check == 0:
                    moved = drift(base, topology(final.glyphs(px))) if base is not None else 0.0
                    if moved > DRIFT_MAX:
                        break  # all samples pull further than the folds did: keep the last safe step
                    done, snapshot, fit.drift = step, final.state(), moved
            if done:
                z, fit.weights = snapshot
                fit.style = _unflatten(z, gen.info.style_names, style)
                fit.steps = done
                fit.loss_after = float(losses[:, done // budget.check].mean())  # the folds' loss at that step
            else:
                fit.note = ("fitting all samples broke strokes of other characters at the first check; "
                            "generating with the model as shipped")
        bar.update(total - bar.n)
    fit.seconds = time.perf_counter() - t0
    return fit


def tuners(gen, style: dict[str, np.ndarray]):
    """A function that makes a fresh `finetune.Tuner` of `gen`'s glyph graph and `style`, as every fit starts."""
    from fontgen.model.finetune import Tuner, load_graph

    names = gen.info.style_names
    shapes = [style[k].shape for k in names]  # [1, D] vectors, and [1, T, K] reference cells where a model has them
    z0 = np.concatenate([style[k].reshape(-1) for k in names])
    graph = load_graph(gen)
    style_lr = STYLE_LR * (float(np.abs(z0).mean()) or 1.0)
    return lambda: Tuner(graph, names, z0, shapes, WEIGHT_LR, style_lr, gen.threads)


def apply(gen, fit: Fit):
    """A generator that draws with the fit's weights (a copy: `gen` is unchanged), or `gen` itself when
    the fit kept the model as shipped."""
    if fit.weights is None:
        return gen
    import copy

    from fontgen.model import finetune

    tuned = copy.copy(gen)
    tuned.use_glyph_graph(finetune.tuned_graph(finetune.load_graph(gen), fit.weights))
    return tuned


def _unflatten(z: np.ndarray, names, like: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out, start = {}, 0
    for name in names:
        size = like[name].size
        out[name] = z[start:start + size].astype(np.float32).reshape(like[name].shape)
        start += size
    return out
