"""`fontgen eval --protocol seed`: the seed paper's evaluation, for comparing with its table.

For every test writer of the dataset and every reference count R (4 always, as the paper's headline),
R of the writer's real glyphs are the style samples and the model writes every GB2312 level-1
character the dataset has a template for. Then, as the seed's evaluate/ scripts do:

- RA: top-1 accuracy of the seed-style recognizer (`training.recognizer`, DenseNet-121 trained on the
  dataset's training writers) on the generated glyphs, pooled over writers; the same recognizer's
  accuracy on the test writers' real glyphs is reported beside it (the ceiling RA is read against);
- SSIM: generated vs real, over the characters the writer wrote;
- FID and IS: in the recognizer's feature space (pooled 1,024-d features, 3,755-way softmax), the
  generated glyphs of all test writers against their real glyphs.

Generated glyphs are scored as the generator draws them (no tracing), as the seed scores its images.
The report says which numbers can stand beside the paper's table. A recognizer folder that is empty
or unfinished is trained (or resumed) first, at the `paper` preset's recognizer settings:

    evaluate_seed("fontgen/assets/default", "data/casia64", "report-seed", "runs/recognizer", refs=(4,))
"""

from __future__ import annotations

import datetime
import json
import zlib
from pathlib import Path

import numpy as np
import torch

from fontgen.errors import InputError

HEADLINE_R = 4
LEVEL1 = 3755
PAPER_RA = 0.9376  # the seed's RA with 4 style samples (README)


def recognizer_checkpoint(path: Path, data: Path, log) -> Path:
    """The recognizer's last.pth under `path` (a run folder or a .pth); an empty or unfinished run
    folder is trained (resumed) to its iterations on `data` first."""
    from training import config, recognizer

    path = Path(path)
    if path.suffix == ".pth" or path.is_file():
        return path
    last = path / "last.pth"
    if last.is_file() and recognizer.finished(last):
        return last
    log(f"{'resuming' if last.is_file() else 'training'} the recognizer in {path} (fontgen train recognizer)")
    recognizer.train_recognizer(config.load("paper"), data, path, resume=last.is_file(), log=log)
    return last


def writer_rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def score(model, ink: np.ndarray, device, batch: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predicted class [N], softmax [N, K], pooled features [N, 1024]) of uint8 glyphs [N, S, S]."""
    from fontgen.raster import to_model
    from training.recognizer import logits_and_features

    preds, probs, feats = [], [], []
    with torch.no_grad():
        for i in range(0, len(ink), batch):
            x = torch.from_numpy(to_model(ink[i:i + batch])[:, None]).to(device)
            logits, feat = logits_and_features(model, x)
            p = torch.softmax(logits.float(), 1)
            preds.append(p.argmax(1).cpu().numpy())
            probs.append(p.cpu().numpy())
            feats.append(feat.float().cpu().numpy())
    return np.concatenate(preds), np.concatenate(probs), np.concatenate(feats)


def comparability(split_rule: str | None, n_chars: int, rec_info: dict, test_acc: float | None) -> dict:
    """Which numbers stand beside the paper's table, and why (or why not)."""
    ra_reasons = []
    if split_rule != "hwdb":
        ra_reasons.append("the dataset was not split by the HWDB rule (fontgen data from-gnt --split-rule hwdb)")
    if n_chars < LEVEL1:
        ra_reasons.append(f"only {n_chars} of the {LEVEL1} level-1 characters have templates in the dataset")
    if rec_info.get("iteration", 0) < rec_info.get("recognizer_config", {}).get("iterations", 0):
        ra_reasons.append("the recognizer did not finish its iterations")
    ra = ("comparable with the paper's RA (4 style samples) if the dataset is CASIA-HWDB1.1: recognizer "
          f"trained on writers 1001-1240, {LEVEL1} level-1 characters, test writers 1241-1300"
          if not ra_reasons else "not comparable: " + "; ".join(ra_reasons))
    return {
        "ra": ra,
        "recognizer_real_accuracy": (f"{test_acc:.4f} on the test writers' real glyphs: the seed's recognizer must "
                                     "read real glyphs about as well for RA to mean the same" if test_acc is not None
                                     else "not measured (no test glyphs with a level-1 class)"),
        "ssim": ("close to, not equal to, the paper's: 11-pixel Gaussian window, sigma 1.5, on ink in [0, 1]; the "
                 "seed's script feeds images scaled to [-1, 1] to an SSIM with [0, 1] constants"),
        "fid_is": ("not comparable: the paper's FID and IS use ImageNet Inception-v3 (not available here); these are "
                   "in the recognizer's feature space, for comparing runs scored with the same recognizer"),
    }


def evaluate_seed(model_dir, data, out, recognizer_path, refs: tuple[int, ...] = (HEADLINE_R,), seed: int = 0,
                  device: str = "auto", force: bool = False, log=print) -> dict:
    """Run the seed protocol and write out/report.json and out/report.md; returns report.json's content."""
    from tqdm import tqdm

    from fontgen import charsets, dataset_layout, outfiles
    from fontgen.model import generate, modelfiles
    from fontgen.quality import metrics
    from training import recognizer, runtime

    data, out = Path(data), Path(out)
    if out.exists() and not force:
        raise InputError("output folder already exists", out, "pass --force to replace it, or choose another --out")
    if not out.parent.is_dir():
        raise InputError("the folder to write into does not exist", out.parent, "create it first")
    refs = tuple(sorted({HEADLINE_R, *refs}))
    manifest = dataset_layout.load_manifest(data)
    info = modelfiles.load(model_dir)
    if int(manifest["size"]) != info.size:
        raise InputError(f"dataset glyphs are {manifest['size']} px but the model works at {info.size} px",
                         data / dataset_layout.MANIFEST, "evaluate on a dataset converted at the model's size")
    writers = [w["name"] for w in manifest["writers"] if w["split"] == "test"]
    if not writers:
        raise InputError("the dataset has no test writers", data / dataset_layout.MANIFEST,
                         "convert CASIA-HWDB with its test writers: fontgen data from-gnt … --split-rule hwdb")
    ckpt = recognizer_checkpoint(Path(recognizer_path), data, log)
    use_cuda, _ = runtime.resolve(device, "none", torch.cuda.is_available())
    dev = torch.device("cuda" if use_cuda else "cpu")
    rec, classes, rec_info = recognizer.load(ckpt, dev)
    if rec_info.get("size") != info.size:
        raise InputError(f"the recognizer reads {rec_info.get('size')} px glyphs, the model writes {info.size} px",
                         ckpt, "train the recognizer on this dataset: fontgen train recognizer --data DATA")
    class_of = {c: i for i, c in enumerate(classes)}

    template_dir = data / dataset_layout.TEMPLATE_DIR
    level1 = [c for c in charsets.gb2312_level1() if (template_dir / f"{c}.png").is_file() and c in class_of]
    if not level1:
        raise InputError("the dataset has no template for any GB2312 level-1 character", template_dir,
                         "convert CASIA-HWDB with fontgen data from-gnt")
    tpl = np.stack([dataset_layout.read_glyph(template_dir / f"{c}.png") for c in level1])
    labels = np.array([class_of[c] for c in level1])
    position = {c: i for i, c in enumerate(level1)}
    gen = generate.Generator(model_dir, device=device)
    inputs = gen.inputs(tpl, level1)

    per_writer, pooled = [], {r: {"correct": 0, "n": 0, "ssim": [], "feats": [], "probs": []} for r in refs}
    real_feats, real_correct, real_n = [], 0, 0
    for name in tqdm(writers, desc="seed eval", unit="writer", disable=None):
        folder = data / dataset_layout.SPLIT_DIRS["test"] / name
        wrote = [c for c in level1 if (folder / f"{c}.png").is_file()]
        if len(wrote) < max(refs):
            raise InputError(f"writer {name} has {len(wrote)} level-1 glyphs, fewer than {max(refs)} references",
                             folder, "lower --refs or convert the writer's complete .gnt file")
        real = np.stack([dataset_layout.read_glyph(folder / f"{c}.png") for c in wrote])
        real_at = np.array([position[c] for c in wrote])
        pred, _, feats = score(rec, real, dev)
        real_feats.append(feats)
        real_correct += int((pred == labels[real_at]).sum())
        real_n += len(wrote)
        order = writer_rng(seed, name).permutation(len(wrote))
        row = {"writer": name, "real_glyphs": len(wrote), "real_ra": float((pred == labels[real_at]).mean()),
               "refs": {}}
        for r in refs:
            ref_idx = order[:r]
            style = gen.style(real[ref_idx])
            fake = gen.glyphs(style, inputs, progress=False)
            pred, probs, feats = score(rec, fake, dev)
            correct = int((pred == labels).sum())
            ssim = metrics.ssim(fake[real_at], real)
            p = pooled[r]
            p["correct"] += correct
            p["n"] += len(level1)
            p["ssim"].append(ssim)
            p["feats"].append(feats)
            p["probs"].append(probs)
            row["refs"][str(r)] = {"references": "".join(wrote[i] for i in ref_idx), "ra": correct / len(level1),
                                   "ssim": float(ssim.mean())}
        per_writer.append(row)

    real_all = np.concatenate(real_feats)
    summary = {}
    for r, p in pooled.items():
        feats, probs = np.concatenate(p["feats"]), np.concatenate(p["probs"])
        summary[str(r)] = {
            "ra": p["correct"] / p["n"], "ssim": float(np.concatenate(p["ssim"]).mean()),
            "fid": metrics.frechet_distance(feats, real_all) if len(feats) > 1 and len(real_all) > 1 else None,
            "is": metrics.inception_score(probs, splits=10 if len(probs) >= 1000 else 1),
            "glyphs": p["n"],
        }
    real_ra = real_correct / real_n
    report = {
        "protocol": "seed",
        "model": {"folder": str(info.folder), "model_json_sha256":
                  modelfiles.sha256_file(info.folder / modelfiles.MODEL_JSON), "size": info.size},
        "data": {"folder": str(data), "manifest_sha256": modelfiles.sha256_file(data / dataset_layout.MANIFEST),
                 "split_rule": manifest.get("split_rule"), "test_writers": len(writers),
                 "level1_chars": len(level1)},
        "recognizer": {"checkpoint": str(ckpt), "iteration": rec_info.get("iteration"),
                       "real_ra": real_ra, "classes": len(classes)},
        "settings": {"refs": list(refs), "seed": seed},
        "paper": {"ra_at_4": PAPER_RA},
        "comparable": comparability(manifest.get("split_rule"), len(level1), rec_info, real_ra),
        "summary": summary,
        "writers": per_writer,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    with outfiles.staged_folder(out) as staging:
        (staging / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1, allow_nan=False),
                                             encoding="utf-8")
        (staging / "report.md").write_text(markdown(report), encoding="utf-8")
    return report


def _num(value, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def markdown(report: dict) -> str:
    """report.md: the summary table, then what may be compared with the paper."""
    d, rec = report["data"], report["recognizer"]
    lines = [
        "# Seed protocol (DSF-GAN paper)", "",
        f"{d['test_writers']} test writers × {d['level1_chars']} GB2312 level-1 characters; recognizer "
        f"DenseNet-121 at iteration {rec['iteration']}, {_num(rec['real_ra'])} on the test writers' real glyphs.",
        "", "| R | RA | SSIM | FID (recognizer space) | IS (recognizer space) | glyphs |", "|---|---|---|---|---|---|",
    ]
    for r, m in report["summary"].items():
        lines.append(f"| {r} | {_num(m['ra'])} | {_num(m['ssim'])} | {_num(m['fid'], 2)} | {_num(m['is'], 2)} | "
                     f"{m['glyphs']} |")
    lines += ["", f"The paper reports RA {report['paper']['ra_at_4']:.4f} at R = 4.", "", "## Comparable with the paper?", ""]
    lines += [f"- {key}: {text}" for key, text in report["comparable"].items()]
    lines += ["", "## Writers", "", "| writer | real RA | " + " | ".join(f"RA R={r}" for r in report["summary"]) + " |",
              "|---|---|" + "---|" * len(report["summary"])]
    for w in report["writers"]:
        lines.append(f"| {w['writer']} | {_num(w['real_ra'])} | "
                     + " | ".join(_num(w["refs"][r]["ra"]) for r in report["summary"]) + " |")
    return "\n".join(lines) + "\n"
