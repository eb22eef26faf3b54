"""Build the training dataset: font writers + synthetic pen writers + templates, split by writer.

    manifest = build(Path("/work/data/ds64"), size=64, charset="gb2312", synthetic=120, seed=0)

Everything random (held-out writers, the unseen characters, each pen writer's hand) comes from
`seed`, so the same call builds the same dataset. Glyphs are rendered by a process pool in chunks
and written straight into the staging folder; the manifest is written last (see `layout`).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from pathlib import Path

import numpy as np

from fontgen import charsets, dataset_layout, templates
from fontgen.errors import InputError
from training.data import fontwriters, heldout, penwriters, sources

log = logging.getLogger(__name__)

UNSEEN_FRACTION = 0.045   # ~300 of GB2312's 6,763 hanzi never trained on as GAN targets
SYNTHETIC_TEST_FRACTION = 0.1
FONT_CHUNK = 400
PEN_CHUNK = 60
GENERATOR = "training.data.penwriters"


def unseen_chars(chars: list[str], seed: int, fraction: float = UNSEEN_FRACTION) -> str:
    """A seeded random subset of the charset's hanzi, in charset order: held out as GAN targets."""
    hanzi = [ch for ch in chars if charsets.is_hanzi(ch)]
    count = int(round(len(hanzi) * fraction))
    if count == 0:
        return ""
    picked = set(np.random.default_rng([seed, 7]).choice(len(hanzi), count, replace=False).tolist())
    return "".join(ch for i, ch in enumerate(hanzi) if i in picked)


def held_out_fonts(fonts: list[sources.FontSource], seed: int) -> set[str]:
    """Test fonts: one kai, one brush and one other hand (a fourth when there are many), plus every
    source marked `held_out`; never all. Sources not `drawn` are always training fonts.

    A font with a relative (same `lineage_key`: LXGW WenKai and Klee One, UKai and GKai, the Kouzan
    brushes) is never held out: the relative in training would leak the hand, and the nearest
    training font would be a copy of the writer.
    """
    rng = np.random.default_rng([seed, 11])
    always = {f.name for f in fonts if f.held_out}
    relatives = {}
    for f in fonts:
        relatives[f.lineage_key] = relatives.get(f.lineage_key, 0) + 1
    fonts = [f for f in fonts if f.drawn]  # later additions do not change the draw, but their relatives count
    total = len(fonts)
    fonts = [f for f in fonts if relatives[f.lineage_key] == 1]  # held_out ones too: the draws stay as before
    groups = [[f.name for f in fonts if f.style == "kai"], [f.name for f in fonts if f.style == "brush"],
              [f.name for f in fonts if f.style not in ("kai", "brush")]]
    picked = [str(rng.choice(g)) for g in groups if g]
    if total >= 10:
        rest = [f.name for f in fonts if f.name not in picked and f.style in ("pen", "round")]
        if rest:
            picked.append(str(rng.choice(rest)))
    limit = max(0, total - max(1, total // 2))  # keep at least half of the fonts for training
    return set(picked[:limit]) | always


def held_out_synthetic(count: int, seed: int) -> set[int]:
    """Indices of the synthetic writers held out: ~10%, at least one when there are two or more."""
    if count < 2:
        return set()
    n = max(1, int(round(count * SYNTHETIC_TEST_FRACTION)))
    return set(np.random.default_rng([seed, 13]).choice(count, n, replace=False).tolist())


def _font_task(args) -> tuple[str, list[str]]:
    name, files, index, items, size, folder = args
    return name, fontwriters.render_chunk(files, index, items, size, folder)


def _pen_task(args) -> list[tuple[str, list[str]]]:
    strokes_dir, chars, writers, size = args
    skeletons = {}
    for ch in chars:
        medians = penwriters.load_medians(strokes_dir, ch)
        if medians:
            skeletons[ch] = penwriters.Skeleton.of(medians)
    out = []
    for name, folder, seed in writers:
        style = penwriters.PenStyle.sample(np.random.default_rng(seed))
        written = []
        for ch, skel in skeletons.items():
            glyph = penwriters.draw_glyph(skel, style, np.random.default_rng([*seed, ord(ch)]), size)
            if glyph is not None:
                dataset_layout.write_glyph(folder / f"{ch}.png", glyph)
                written.append(ch)
        out.append((name, written))
    return out


LINEAGE_REASON = "shares a design lineage with an evaluation-only source (sources.FontSource.lineage)"


def _refuse(skipped: list[dict], reason: str = heldout.REASON) -> None:
    """Record an evaluation-only source without its name: the list is kept as hashes so that nobody
    tuning the model learns which hands it is judged on."""
    log.warning("refusing a source: %s", reason)
    skipped.append({"writer": "(evaluation-only)", "reason": reason, "refused": True})


def _font_writers(fonts: list[sources.FontSource], chars: list[str], cache: Path, skipped: list[dict]):
    """Open every requested font writer; missing packages and unreadable fonts are skipped with a warning.

    An evaluation-only source takes its relatives (same `lineage_key`) with it: a sibling face in
    training would leak the held-out hand. Relatives are found among the requested fonts (package or
    family name) and among all sources whose package name is listed.
    """
    missing = sources.missing_packages(cache)
    opened = []
    refused_lineages = {f.lineage_key for f in sources.WRITER_FONTS if heldout.refused(f.package, [])}
    for source in fonts:
        if heldout.refused(source.package, []):
            _refuse(skipped)
            continue
        found = sources.font_files(cache, source)
        if found is None:
            if source.package in missing:
                log.warning("skipping writer %s: package %s is not available here (%s)",
                            source.name, source.package, missing[source.package])
                skipped.append({"writer": source.name, "package": source.package,
                                "reason": f"package not available: {missing[source.package]}"})
                continue
            raise InputError(f"source package {source.package} (writer {source.name}) is not fetched", cache,
                             "run `fontgen data fetch` (or pick fonts with --fonts)")
        files, record = found
        try:
            writer = fontwriters.open_font_writer(source, files, chars)
        except fontwriters.RefusedFont:
            _refuse(skipped)
            refused_lineages.add(source.lineage_key)
            continue
        except fontwriters.UnreadableFont as exc:
            log.warning("skipping writer %s: %s", source.name, exc)
            skipped.append({"writer": source.name, "package": source.package, "reason": str(exc)})
            continue
        opened.append((writer, record))
    kept = []
    for writer, record in opened:
        if writer.source.lineage_key in refused_lineages:
            _refuse(skipped, LINEAGE_REASON)
        else:
            kept.append((writer, record))
    return kept


def build(out: Path, size: int = 64, charset: str = "gb2312", synthetic: int = 100, seed: int = 0,
          fonts: str = "all", force: bool = False, cache: Path | None = None, workers: int = 2) -> dict:
    """Build the dataset into `out` (see `layout`) and return its manifest."""
    from tqdm import tqdm

    start = time.time()
    out = Path(out)
    cache = Path(cache) if cache else sources.cache_dir()
    chars = list(charsets.resolve(charset))
    font_list = sources.select_fonts(fonts)
    strokes = None
    if synthetic > 0:
        found = sources.strokes_dir(cache)
        if found is None:
            raise InputError(f"stroke data package {sources.STROKES_PACKAGE} is not fetched", cache,
                             f"run `fontgen data fetch --only {sources.STROKES_PACKAGE}` or pass --synthetic-writers 0")
        strokes = found

    skipped: list[dict] = []
    face = templates.find_face()
    tpl = templates.render(chars, size=size, face=face, progress=True)
    chars = list(tpl.chars)  # a glyph without its template is useless to the model
    writers = _font_writers(font_list, chars, cache, skipped)
    test_fonts = held_out_fonts([w.source for w, _ in writers], seed)
    test_pens = held_out_synthetic(synthetic, seed)

    staging = dataset_layout.begin(out, force)
    try:
        dataset_layout.write_templates(staging, tpl.chars, tpl.ink)
        entries: dict[str, dict] = {}
        tasks = []
        for writer, record in writers:
            split = "test" if writer.source.name in test_fonts else "train"
            folder = dataset_layout.glyph_path(staging, split, writer.source.name, "x").parent
            folder.mkdir(parents=True)
            entries[writer.source.name] = {"name": writer.source.name, "split": split, "kind": "font",
                                           "style": writer.source.style,
                                           "source": writer.manifest_source(record), "coverage": 0}
            items = [(ch, writer.char_file[ch]) for ch in chars if ch in writer.char_file]
            for i in range(0, len(items), FONT_CHUNK):
                tasks.append((_font_task, (writer.source.name, writer.files, writer.index,
                                           items[i:i + FONT_CHUNK], size, folder), len(items[i:i + FONT_CHUNK])))
        pens = []
        for i in range(synthetic):
            name = f"pen-{i:03d}"
            split = "test" if i in test_pens else "train"
            folder = dataset_layout.glyph_path(staging, split, name, "x").parent
            folder.mkdir(parents=True)
            pen_seed = (seed, i)
            style = penwriters.PenStyle.sample(np.random.default_rng(pen_seed))
            entries[name] = {"name": name, "split": split, "kind": "synthetic",
                             "source": {"generator": GENERATOR, "generator_version": penwriters.VERSION,
                                        "seed": list(pen_seed), "params": style.params(),
                                        "package": sources.STROKES_PACKAGE, "version": strokes[1]["version"],
                                        "licence": strokes[1]["licence"]},
                             "coverage": 0}
            pens.append((name, folder, pen_seed))
        if pens:
            for i in range(0, len(chars), PEN_CHUNK):
                part = chars[i:i + PEN_CHUNK]
                tasks.append((_pen_task, (strokes[0], part, pens, size), len(part) * len(pens)))

        total = sum(n for _, _, n in tasks)
        # largest tasks first keeps both workers busy to the end
        tasks.sort(key=lambda t: -t[2])
        with multiprocessing.get_context("fork").Pool(max(1, workers)) as pool, \
                tqdm(total=total, desc="glyphs", unit="glyph", smoothing=0.05, disable=None) as bar:
            for (fn, _, n), result in zip(tasks, pool.imap(_dispatch, [(fn, a) for fn, a, _ in tasks])):
                for name, written in (result if isinstance(result, list) else [result]):
                    entries[name]["coverage"] += len(written)
                bar.update(n)
        for name, entry in list(entries.items()):
            if entry["coverage"] == 0:
                log.warning("skipping writer %s: no glyph with ink in charset %s", name, charset)
                dataset_layout.glyph_path(staging, entry["split"], name, "x").parent.rmdir()
                skipped.append({"writer": name, "reason": f"no glyph with ink in charset {charset}"})
                del entries[name]

        manifest = dataset_layout.manifest(size, charset, seed, sources.template_record(face),
                                           unseen_chars(chars, seed), list(entries.values()), skipped, start)
        manifest["evaluation_only"] = {"list": heldout.LIST.name, "list_sha256": heldout.digest_file(),
                                       "refused": sum(1 for s in skipped if s.get("refused"))}
        dataset_layout.commit(staging, out, manifest)
    except BaseException:
        dataset_layout.abort(staging)
        raise
    return manifest


def _dispatch(job):
    fn, args = job
    return fn(args)
