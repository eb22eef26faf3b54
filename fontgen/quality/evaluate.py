"""`fontgen eval`: one protocol, one report for how well a model writes in an unseen writer's hand.

For every held-out writer of a dataset and every reference count R, R of the writer's glyphs are the
references, the model writes up to N other characters of the writer (the manifest's unseen
characters included) and the result, as the font make-font builds would draw it (joins closed and
traced at the ink level, both fitted to the references, `fontgen.font.closing`), is compared with the
writer's real glyphs:

- legibility: top-1 accuracy (RA) of the project's OCR critic and of PP-OCRv5 (never trained here),
  on generated, real and template glyphs;
- likeness: SSIM and L1 against the real glyphs, for generated and for template glyphs (the no-style
  baseline); style gain = 1 − d(generated, real) / d(template, real) with d the ink-box L1 of
  `metrics.style_distance`; the nearest-font baseline is the best single training font (as rendered in
  the dataset) for that writer;
- distribution: FID and IS in the OCR critic's feature space;
each for all, seen and unseen characters. Everything is drawn from `--seed`, so a run is repeatable:

    evaluate(model_dir, "data/ds", out="report/", refs=(4, 8), max_chars=200, seed=0)  # writes, all at once:
    # report/report.json, report/report.md and report/sheets/<writer>.png (refs, generated, real, template)
"""

from __future__ import annotations

import datetime
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fontgen import dataset_layout, outfiles, raster
from fontgen.errors import InputError
from fontgen.model import modelfiles
from fontgen.quality import metrics
from fontgen.quality.drawing import (COUNTERS_NOTE, Drawing, check_counters_data, counters_record,
                                     pooled_counters)

SUBSETS = ("all", "seen", "unseen")
SHEET_COLUMNS = 16
FID_NOTE = ("FID and IS are computed in the OCR critic's feature space, not Inception-v3's: Inception weights cannot "
            "be downloaded here. Compare them only between runs with the same critic and the same number of characters.")


@dataclass
class Writer:
    """A dataset writer as the manifest describes it."""

    name: str
    split: str
    kind: str


class GlyphStore:
    """Reads dataset glyph PNGs on demand, once each (training fonts are reused for every writer)."""

    def __init__(self, root: Path):
        self.root = root
        self.cache: dict[tuple[str, str, str], np.ndarray | None] = {}

    def chars(self, split: str, writer: str) -> list[str]:
        folder = self.folder(split, writer)
        return sorted(p.stem for p in folder.glob("*.png") if len(p.stem) == 1) if folder.is_dir() else []

    def folder(self, split: str, writer: str) -> Path:
        if split == "template":
            return self.root / dataset_layout.TEMPLATE_DIR
        return self.root / dataset_layout.SPLIT_DIRS[split] / writer

    def get(self, split: str, writer: str, ch: str) -> np.ndarray | None:
        key = (split, writer, ch)
        if key not in self.cache:
            path = self.folder(split, writer) / f"{ch}.png"
            self.cache[key] = dataset_layout.read_glyph(path) if path.is_file() else None
        return self.cache[key]

    def stack(self, split: str, writer: str, chars: list[str]) -> np.ndarray:
        return np.stack([self.get(split, writer, ch) for ch in chars])

    def forget(self, split: str, writer: str) -> None:
        """Drop a held-out writer's glyphs once evaluated (training fonts stay cached)."""
        for key in [k for k in self.cache if k[:2] == (split, writer)]:
            del self.cache[key]


def parse_refs(text: str) -> tuple[int, ...]:
    """`4,8,16` → (4, 8, 16); InputError on anything but positive integers."""
    try:
        values = tuple(sorted({int(v) for v in text.split(",") if v.strip()}))
    except ValueError:
        values = ()
    if not values or values[0] < 1:
        raise InputError(f"bad reference counts {text!r}", None, "give positive integers joined by commas, e.g. 4,8")
    return values


def writer_rng(seed: int, name: str) -> np.random.Generator:
    """A generator per writer, so a writer's draws do not depend on which other writers exist."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def pick_chars(available: list[str], unseen: set[str], n_refs: int, max_chars: int,
               rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """(references, evaluated characters): references come from seen characters and are nested
    (the first R of them are the R-reference set); at most half the evaluated set is unseen characters."""
    seen = [c for c in available if c not in unseen]
    new = [c for c in available if c in unseen]
    seen = [seen[i] for i in rng.permutation(len(seen))]
    new = [new[i] for i in rng.permutation(len(new))]
    refs, rest = seen[:n_refs], seen[n_refs:]
    n_new = min(len(new), max_chars // 2 if rest else max_chars)
    chosen = new[:n_new] + rest[:max_chars - n_new]
    return refs, chosen


def subset_means(values: np.ndarray, unseen_mask: np.ndarray) -> dict[str, float | None]:
    """Mean over all, seen and unseen glyphs, ignoring NaN (None where nothing counts)."""
    out = {}
    for name, mask in zip(SUBSETS, (np.ones_like(unseen_mask), ~unseen_mask, unseen_mask)):
        v = values[mask]
        v = v[~np.isnan(v)]
        out[name] = float(v.mean()) if v.size else None
    return out


def gains(d_model: dict, d_template: dict) -> dict[str, float | None]:
    """Style gain per subset from mean distances (None where the template already equals the writer)."""
    out = {}
    for k in SUBSETS:
        gain = (metrics.style_gain(d_model[k], d_template[k])
                if d_model[k] is not None and d_template[k] is not None else float("nan"))
        out[k] = None if np.isnan(gain) else gain
    return out


class Readers:
    """The recognizers an evaluation uses: the model's critic (if exported) and PP-OCRv5 (if wanted)."""

    def __init__(self, model_dir: Path, info: modelfiles.ModelInfo, ocr: bool, threads: int | None):
        from fontgen.quality import recognizer

        self.critic = recognizer.CriticRecognizer(model_dir, threads) if "critic" in info.graphs else None
        self.ocr = recognizer.PPOCRRecognizer(threads) if ocr else None

    def score(self, ink: np.ndarray, chars: list[str]) -> dict:
        """Per-glyph correctness for both readers, plus the critic's probabilities and features."""
        from fontgen.quality import recognizer

        out = {"critic": None, "ocr": None, "probs": None, "features": None}
        if self.critic is not None:
            logits, feats = self.critic.run(ink)
            out["critic"] = recognizer.correctness(self.critic.decode(logits), chars, self.critic.charset)
            out["probs"], out["features"] = metrics.softmax(logits), feats
        if self.ocr is not None:
            out["ocr"] = self.ocr.correct(ink, chars)
        return out


def ra(scored: dict, key: str, unseen_mask: np.ndarray):
    return None if scored[key] is None else subset_means(scored[key], unseen_mask)


def nearest_font(store: GlyphStore, fonts: list[str], real: np.ndarray, chars: list[str],
                 unseen_mask: np.ndarray) -> dict | None:
    """The training font closest to the writer (lowest mean d over the characters it has), rendered as-is."""
    best = None
    for font in fonts:
        have = [i for i, ch in enumerate(chars) if store.get("train", font, ch) is not None]
        if len(have) < 0.9 * len(chars):
            continue
        d = np.full(len(chars), np.nan)
        d[have] = metrics.style_distance(store.stack("train", font, [chars[i] for i in have]), real[have])
        mean = float(np.nanmean(d))
        if best is None or mean < best[1]:
            best = (font, mean, d)
    if best is None:
        return None
    return {"font": best[0], "d": subset_means(best[2], unseen_mask)}


def evaluate_writer(writer: Writer, gen, readers: Readers, store: GlyphStore, fonts: list[str], unseen: set[str],
                    refs: tuple[int, ...], max_chars: int, seed: int, sheet_path: Path, bar,
                    adapt: str = "off", drawing: Drawing | None = None) -> dict:
    """All metrics of one held-out writer at every reference count; draws its sheet.

    References are scaled to full ink, as make-font stretches a writer's samples (a grey synthetic pen
    becomes black; fonts are already). Generated glyphs are measured as make-font's font draws them
    (`drawing`: joins closed and ink level as given there or fitted to the R references, the SR stage,
    the counters-kept figure). `adapt` (fast, full) fits the model to the R references first, as
    make-font's `--adapt` does (`fontgen.model.adapt`).
    """
    from fontgen.model import adapt as adaptation

    templated = set(store.chars("template", ""))
    available = [c for c in store.chars(writer.split, writer.name) if c in templated]
    references, chars = pick_chars(available, unseen, max(refs), max_chars, writer_rng(seed, writer.name))
    if len(references) < max(refs) or not chars:
        raise InputError(f"writer {writer.name} has too few glyphs for {max(refs)} references and an evaluation set",
                         store.folder(writer.split, writer.name), "lower --refs or add glyphs to the dataset")
    unseen_mask = np.array([c in unseen for c in chars])
    real = store.stack(writer.split, writer.name, chars)
    tpl = store.stack("template", "", chars)
    scored_real, scored_tpl = readers.score(real, chars), readers.score(tpl, chars)
    d_tpl = subset_means(metrics.style_distance(tpl, real), unseen_mask)
    edge_real = metrics.edge_length(real)
    result = {
        "writer": writer.name, "kind": writer.kind, "chars": len(chars), "unseen_chars": int(unseen_mask.sum()),
        "real": {"critic_ra": ra(scored_real, "critic", unseen_mask), "ocr_ra": ra(scored_real, "ocr", unseen_mask),
                 "is": _is(scored_real), "specks": float(metrics.specks(real).mean())},
        "template": {"critic_ra": ra(scored_tpl, "critic", unseen_mask), "ocr_ra": ra(scored_tpl, "ocr", unseen_mask),
                     "ssim": subset_means(metrics.ssim(tpl, real), unseen_mask),
                     "l1": subset_means(metrics.l1(tpl, real), unseen_mask), "d": d_tpl},
        "nearest_font": None,
        "refs": {},
    }
    near = nearest_font(store, fonts, real, chars, unseen_mask)
    if near is not None:
        near["style_gain"] = gains(near["d"], d_tpl)
        result["nearest_font"] = near
    generated = {}
    drawing = drawing or Drawing()
    guides = drawing.sr.guides(chars) if drawing.sr is not None else None
    real_counters = drawing.real_counters(writer, chars)
    if real_counters is not None:
        result["dense_chars"] = int((real_counters[1] >= metrics.DENSE_COUNTERS).sum())
        result["counters_ceiling"] = drawing.ceiling(real, real_counters)
    inputs = gen.inputs(tpl, chars)
    ref_inputs = gen.inputs(store.stack("template", "", references), references)
    if adapt != "off":
        probe = adaptation.probe_chars(sorted(templated), set(references))
        probe = gen.inputs(store.stack("template", "", probe), probe)
    for r in refs:
        ref_ink = raster.full_ink(store.stack(writer.split, writer.name, references[:r]))  # as make-font's samples
        style, drawer, fit = gen.style(ref_ink), gen, None
        if adapt != "off":
            fit = adaptation.adapt(gen, style, ref_inputs[:r], ref_ink, mode=adapt, seed=seed, progress=False,
                                   probe=probe)
            style, drawer = fit.style, adaptation.apply(gen, fit)
        size, level = drawing.fit(drawer.glyphs(style, ref_inputs[:r], progress=False), ref_ink)
        out, out_hi = drawing.draw(drawer.glyphs(style, inputs, progress=False), size, level, guides)
        generated[r] = out
        scored = readers.score(out, chars)
        d_gen = subset_means(metrics.style_distance(out, real), unseen_mask)
        result["refs"][str(r)] = {
            "references": "".join(references[:r]), "ink_level": level, "closing": size,
            "weight_ratio": sum_ratio(out, real), "edge_ratio": sum_ratio(metrics.edge_length(out), edge_real),
            "specks": float(metrics.specks(out).mean()),
            "critic_ra": ra(scored, "critic", unseen_mask), "ocr_ra": ra(scored, "ocr", unseen_mask),
            "ssim": subset_means(metrics.ssim(out, real), unseen_mask),
            "l1": subset_means(metrics.l1(out, real), unseen_mask),
            "d": d_gen, "style_gain": gains(d_gen, d_tpl),
            "fid": (metrics.frechet_distance(scored["features"], scored_real["features"])
                    if readers.critic is not None and len(chars) > 1 else None),
            "is": _is(scored),
            "adaptation": fit.record() if fit else None,
            "counters_kept": counters_record(out_hi, real_counters),
            "_features": scored["features"],
        }
        bar.update(1)
    from fontgen.quality import evalreport

    evalreport.write_sheet(sheet_path, writer.name, store.stack(writer.split, writer.name, references), references,
                           chars, unseen_mask, generated, real, tpl, SHEET_COLUMNS)
    result["_real_features"] = scored_real["features"]
    return result


def sum_ratio(generated: np.ndarray, real: np.ndarray) -> float | None:
    """Σ generated ÷ Σ real over the same characters. Of ink: the weight ratio (1.0 is the writer's stroke
    weight, under 1 thinner); of outline length: the edge ratio (over 1: ragged or specked, under 1: clotted)."""
    total = float(real.sum(dtype=np.float64))
    return float(generated.sum(dtype=np.float64)) / total if total else None


SEEN = "seen in training"  # the kind given to a held-out writer the model's own model.json lists as trained on
KINDS = {"real": lambda kind: kind == "font", "synthetic": lambda kind: kind not in ("font", SEEN),
         SEEN: lambda kind: kind == SEEN}


def by_kind(writers: list[dict], refs: tuple[int, ...]) -> dict:
    """The summary over real fonts (the headline: real hands), synthetic writers and writers the model
    was trained on, apart."""
    return {name: summarize(group, refs) for name, keep in KINDS.items()
            if (group := [w for w in writers if keep(w["kind"])])}


def _is(scored: dict) -> float | None:
    return metrics.inception_score(scored["probs"]) if scored["probs"] is not None else None


def summarize(writers: list[dict], refs: tuple[int, ...]) -> dict:
    """Means over writers per reference count, plus FID pooled over all writers' glyphs."""
    def avg(values):
        values = [v for v in values if v is not None]
        return float(np.mean(values)) if values else None

    def per_subset(get):
        return {k: avg([(get(w) or {}).get(k) for w in writers]) for k in SUBSETS}

    summary = {}
    for r in map(str, refs):
        gen = lambda key: per_subset(lambda w: w["refs"][r][key])
        entry = {
            "critic_ra": gen("critic_ra"), "ocr_ra": gen("ocr_ra"),
            "real_critic_ra": per_subset(lambda w: w["real"]["critic_ra"]),
            "real_ocr_ra": per_subset(lambda w: w["real"]["ocr_ra"]),
            "template_ocr_ra": per_subset(lambda w: w["template"]["ocr_ra"]),
            "ssim": gen("ssim"), "template_ssim": per_subset(lambda w: w["template"]["ssim"]),
            "l1": gen("l1"), "template_l1": per_subset(lambda w: w["template"]["l1"]),
            "d": gen("d"), "template_d": per_subset(lambda w: w["template"]["d"]),
            "nearest_d": per_subset(lambda w: (w["nearest_font"] or {}).get("d")),
            "style_gain": gen("style_gain"),
            "nearest_style_gain": per_subset(lambda w: (w["nearest_font"] or {}).get("style_gain")),
            "fid": avg([w["refs"][r]["fid"] for w in writers]),
            "is": avg([w["refs"][r]["is"] for w in writers]),
            "real_is": avg([w["real"]["is"] for w in writers]),
            "edge_ratio": avg([w["refs"][r].get("edge_ratio") for w in writers]),
            "specks": avg([w["refs"][r].get("specks") for w in writers]),
            "real_specks": avg([w["real"].get("specks") for w in writers]),
        }
        ocr, real = entry["ocr_ra"]["all"], entry["real_ocr_ra"]["all"]
        entry["ocr_ra_vs_real"] = ocr / real if ocr is not None and real else None
        entry["counters_kept"] = pooled_counters([w["refs"][r].get("counters_kept") for w in writers])
        entry["counters_ceiling"] = pooled_counters([w.get("counters_ceiling") for w in writers])
        compared = [w for w in writers if w["nearest_font"] is not None]
        entry["beats_nearest_font"] = {  # writers whose generated glyphs are closer than the best font's
            "writers": sum(w["refs"][r]["d"]["all"] < w["nearest_font"]["d"]["all"] for w in compared),
            "of": len(compared)}
        feats = [w["refs"][r]["_features"] for w in writers]
        if all(f is not None for f in feats) and sum(len(f) for f in feats) > 1:
            entry["fid_pooled"] = metrics.frechet_distance(np.concatenate(feats),
                                                           np.concatenate([w["_real_features"] for w in writers]))
        else:
            entry["fid_pooled"] = None
        summary[r] = entry
    return summary


def evaluate(model_dir: str | Path | None, data: str | Path, out: str | Path, split: str = "test",
             refs: tuple[int, ...] = (4, 8), max_chars: int = 200, seed: int = 0, ocr: bool = True,
             device: str = "auto", threads: int | None = None, weight: int | None = None,
             force: bool = False, adapt: str = "off", superres: bool = False,
             hires: str | Path | None = None, closing: int | None = None) -> dict:
    """Evaluate a model folder on a dataset's held-out writers; writes the report folder and returns report.json.

    `superres` draws through the model's SR stage, as make-font --sr; `hires` adds counters kept; `weight` and
    `closing` fix the ink level and the joins' closing instead of fitting them (`Drawing`).
    """
    from tqdm import tqdm

    from fontgen.model import generate, superres as sr_stage
    from fontgen.quality import evalreport

    data, out = Path(data), Path(out)
    check_out_dir(out, force)
    manifest = dataset_layout.load_manifest(data)
    info = modelfiles.load(model_dir)
    if int(manifest["size"]) != info.size:
        raise InputError(f"dataset glyphs are {manifest['size']} px but the model works at {info.size} px",
                         data / dataset_layout.MANIFEST, "evaluate on a dataset built at the model's size")
    if split not in dataset_layout.SPLIT_DIRS:
        raise InputError(f"unknown split {split!r}", None, f"use one of {', '.join(dataset_layout.SPLIT_DIRS)}")
    seen = modelfiles.trained_on(info, [w for w in manifest["writers"] if w["split"] == split])
    writers = [Writer(w["name"], w["split"], SEEN if w["name"] in (seen or ()) else w.get("kind", ""))
               for w in manifest["writers"]]
    held_out = [w for w in writers if w.split == split]
    if not held_out:
        raise InputError(f"the dataset has no writers in the {split!r} split", data / dataset_layout.MANIFEST,
                         "choose another --split or rebuild the dataset with held-out writers")
    fonts = [w.name for w in writers if w.split == "train" and w.kind == "font"]
    unseen = set(manifest.get("unseen_chars", ""))
    if hires is not None:
        hires = check_counters_data(Path(hires), manifest)
    gen = generate.Generator(model_dir, device=device, threads=threads)
    readers = Readers(info.folder, info, ocr, threads)
    store = GlyphStore(data)
    drawing = Drawing(sr_stage.SuperRes.of(info, threads) if superres else None,
                      GlyphStore(hires) if hires is not None else None, weight, closing)
    with outfiles.staged_folder(out) as staging:
        (staging / "sheets").mkdir()
        results = []
        with tqdm(total=len(held_out) * len(refs), desc="eval", unit="writer×R", disable=None) as bar:
            for writer in held_out:
                bar.set_postfix_str(writer.name)
                results.append(evaluate_writer(writer, gen, readers, store, fonts, unseen, refs, max_chars, seed,
                                               staging / "sheets" / f"{writer.name}.png", bar, adapt, drawing))
                store.forget(writer.split, writer.name)
        result = {
            "model": {"folder": str(info.folder), "model_json_sha256": modelfiles.sha256_file(info.folder / modelfiles.MODEL_JSON),
                      "size": info.size},
            "data": {"folder": str(data), "manifest_sha256": modelfiles.sha256_file(data / dataset_layout.MANIFEST),
                     "split": split},
            "settings": {"refs": list(refs), "max_chars": max_chars, "seed": seed,
                         "weight": "auto" if weight is None else weight, "closing": closing or "auto",
                         "adapt": adapt,
                         "super_resolution": drawing.sr is not None, "counters_data": str(hires) if hires else None},
            "recognizers": {
                "critic": readers.critic.name if readers.critic else None,
                "critic_feature_space": readers.critic.feature_space if readers.critic else None,
                "ocr": readers.ocr.name if readers.ocr else None,
            },
            "notes": notes(readers, seen, [w.name for w in held_out if w.kind == SEEN]),
            "summary": summarize(results, refs),
            "summary_by_kind": by_kind(results, refs),
            "writers": [strip_private(w) for w in results],
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        }
        (staging / "report.json").write_text(json.dumps(result, ensure_ascii=False, indent=1, allow_nan=False), encoding="utf-8")
        (staging / "report.md").write_text(evalreport.markdown(result), encoding="utf-8")
    return result


def notes(readers: Readers, seen: set[str] | None, seen_held_out: list[str]) -> list[str]:
    """Caveats the reader of the report must know."""
    out = [FID_NOTE]
    if seen is None:
        out.append("model.json does not list the model's training writers: a held-out writer it was trained on "
                   "cannot be told apart (re-export the model to record them).")
    elif seen_held_out:
        out.append(f"The model was trained on {', '.join(seen_held_out)}: reported apart ('{SEEN}'), "
                   "not in the real-font headline.")
    if readers.critic is None:
        out.append("The model folder has no critic.onnx: critic RA, IS and FID are not measured.")
    elif readers.critic.feature_output is None:
        out.append("critic.onnx has no `features` output, so FID is taken on the critic's logits.")
    if readers.ocr is None:
        out.append("PP-OCRv5 was not run (--no-ocr).")
    out.append("Generated glyphs are measured as the font draws them: joins closed and traced at the ink level, both "
               "fitted to the references, and area-averaged back to the model's size.")
    out.append(COUNTERS_NOTE)
    out.append("RA counts only characters the recognizer can output; style gain is 1 - d(generated, real) / "
               "d(template, real) with d the L1 of glyphs cropped to their ink box and resized to 64 px.")
    return out


def strip_private(result: dict) -> dict:
    """The JSON-able part of a writer result (feature arrays stay in memory)."""
    clean = {k: v for k, v in result.items() if not k.startswith("_")}
    clean["refs"] = {r: {k: v for k, v in m.items() if not k.startswith("_")} for r, m in result["refs"].items()}
    return clean


def check_out_dir(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise InputError("output folder already exists", out, "pass --force to replace it, or choose another --out")
    if not out.parent.is_dir():
        raise InputError("the folder to write into does not exist", out.parent, "create it first")
