"""Present a `fontgen eval` result: `report.md` tables and one picture sheet per writer.

`markdown(result)` turns report.json's dictionary into tables (summary, seen vs unseen, per writer,
notes); `model_metrics(result)` is what model.json keeps of it; `write_sheet(...)` draws references | generated (one row per reference count) | real |
template glyphs for a sample of the writer's characters, unseen characters marked in red.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from fontgen.quality.specimen import label_font

CELL = 64
LABEL_W = 120
HEAD_H = 40
UNSEEN_COLOUR = (200, 30, 30)


def fmt(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def pair(a: dict | None, b: dict | None, key: str = "all", digits: int = 3) -> str:
    """`a / b` of one subset of two subset dictionaries."""
    return " / ".join(fmt((x or {}).get(key), digits) for x in (a, b))


def markdown(result: dict) -> str:
    """report.md: the tables a person reads; report.json holds the same numbers and more."""
    s = result["settings"]
    lines = [
        "# fontgen eval", "",
        f"Model `{result['model']['folder']}` ({result['model']['size']} px), data `{result['data']['folder']}` "
        f"split `{result['data']['split']}`: {len(result['writers'])} held-out writers, up to {s['max_chars']} "
        f"characters each, seed {s['seed']}, ink level {s.get('weight', 'auto')}. Recognizers: critic = "
        f"{result['recognizers']['critic'] or 'none'}; independent = {result['recognizers']['ocr'] or 'none'}.", "",
        "## Real fonts and synthetic writers, apart (real hands are the headline)", "",
        "| writers | refs | style gain | nearest-font gain | writers beating the nearest font | PP-OCRv5 gen / real RA "
        "| counters kept (ceiling) |",
        "|---|---|---|---|---|---|---|",
        *[f"| {kind} | {r} | {fmt(m['style_gain']['all'])} | {fmt(m['nearest_style_gain']['all'])} "
          f"| {m['beats_nearest_font']['writers']} of {m['beats_nearest_font']['of']} | {fmt(m['ocr_ra_vs_real'])} "
          f"| {fmt(m.get('counters_kept'))} ({fmt(m.get('counters_ceiling'))}) |"
          for kind, summary in result.get("summary_by_kind", {}).items() for r, m in summary.items()],
        "",
        "## Summary (mean over all writers)", "",
        "| refs | critic RA gen / real | PP-OCRv5 RA gen / real | PP-OCRv5 RA template | gen / real RA | "
        "SSIM gen / template | L1 gen / template | style gain | nearest-font gain | writers beating the nearest font "
        "| FID (pooled) | IS gen / real |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r, m in result["summary"].items():
        lines.append(
            f"| {r} | {pair(m['critic_ra'], m['real_critic_ra'])} | {pair(m['ocr_ra'], m['real_ocr_ra'])} "
            f"| {fmt(m['template_ocr_ra']['all'])} | {fmt(m['ocr_ra_vs_real'])} "
            f"| {pair(m['ssim'], m['template_ssim'])} | {pair(m['l1'], m['template_l1'])} "
            f"| {fmt(m['style_gain']['all'])} | {fmt(m['nearest_style_gain']['all'])} "
            f"| {m['beats_nearest_font']['writers']} of {m['beats_nearest_font']['of']} "
            f"| {fmt(m['fid'], 1)} ({fmt(m['fid_pooled'], 1)}) | {fmt(m['is'], 2)} / {fmt(m['real_is'], 2)} |")
    lines += ["", "## Seen vs unseen characters", "",
              "| refs | characters | critic RA gen / real | PP-OCRv5 RA gen / real | SSIM gen / template "
              "| style gain | nearest-font gain |",
              "|---|---|---|---|---|---|---|"]
    for r, m in result["summary"].items():
        for key in ("seen", "unseen"):
            lines.append(
                f"| {r} | {key} | {pair(m['critic_ra'], m['real_critic_ra'], key)} "
                f"| {pair(m['ocr_ra'], m['real_ocr_ra'], key)} | {pair(m['ssim'], m['template_ssim'], key)} "
                f"| {fmt(m['style_gain'][key])} | {fmt(m['nearest_style_gain'][key])} |")
    lines += ["", "## Writers", "",
              "| writer | kind | chars (unseen) | refs | critic RA gen / real | PP-OCRv5 RA gen / real "
              "| style gain | nearest font (gain) | ink level / closing | weight ratio | edge ratio | specks / glyph gen / real "
              "| FID | counters kept (ceiling) |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for w in result["writers"]:
        near = w["nearest_font"]
        near_text = f"{near['font']} ({fmt(near['style_gain']['all'])})" if near else "–"
        for r, m in w["refs"].items():
            lines.append(
                f"| {w['writer']} | {w['kind']} | {w['chars']} ({w['unseen_chars']}) | {r} "
                f"| {pair(m['critic_ra'], w['real']['critic_ra'])} | {pair(m['ocr_ra'], w['real']['ocr_ra'])} "
                f"| {fmt(m['style_gain']['all'])} | {near_text} "
                f"| {fmt(m.get('ink_level'), 0)} / {fmt(m.get('closing'), 0)} "
                f"| {fmt(m.get('weight_ratio'), 2)} | {fmt(m.get('edge_ratio'), 2)} "
                f"| {fmt(m.get('specks'), 2)} / {fmt(w['real'].get('specks'), 2)} | {fmt(m['fid'], 1)} "
                f"| {fmt((m.get('counters_kept') or {}).get('ratio'))} "
                f"({fmt((w.get('counters_ceiling') or {}).get('ratio'))}) |")
    lines += ["", "## Sheets", ""]
    lines += [f"![{w['writer']}](sheets/{w['writer']}.png)" for w in result["writers"]]
    lines += ["", "## Notes", ""] + [f"- {n}" for n in result["notes"]]
    return "\n".join(lines) + "\n"


def glyph_tile(ink: np.ndarray) -> Image.Image:
    """An ink map as a black-on-white CELL×CELL tile."""
    interp = cv2.INTER_AREA if ink.shape[0] > CELL else cv2.INTER_CUBIC
    return Image.fromarray(255 - cv2.resize(ink, (CELL, CELL), interpolation=interp))


def display_columns(unseen_mask: np.ndarray, columns: int) -> list[int]:
    """Which evaluated characters to show: up to half unseen, the rest seen, in evaluation order."""
    unseen = list(np.flatnonzero(unseen_mask))[:columns // 2]
    seen = list(np.flatnonzero(~unseen_mask))[:columns - len(unseen)]
    return sorted(unseen + seen)


def write_sheet(path: Path, writer: str, ref_ink: np.ndarray, ref_chars: list[str], chars: list[str],
                unseen_mask: np.ndarray, generated: dict[int, np.ndarray], real: np.ndarray, template: np.ndarray,
                columns: int) -> None:
    """PNG: a row of the references, a row per reference count of generated glyphs, the real and template rows."""
    cols = display_columns(unseen_mask, columns)
    rows = [(f"references ({len(ref_chars)})", [(c, ref_ink[i], False) for i, c in enumerate(ref_chars[:columns])])]
    captioned = {0, 1}  # the references and the first row of the evaluated characters
    rows += [(f"generated R={r}", [(chars[i], out[i], unseen_mask[i]) for i in cols]) for r, out in generated.items()]
    rows += [("real", [(chars[i], real[i], unseen_mask[i]) for i in cols]),
             ("template", [(chars[i], template[i], unseen_mask[i]) for i in cols])]
    width = LABEL_W + max(len(cells) for _, cells in rows) * (CELL + 4) + 8
    row_h = CELL + 24
    sheet = Image.new("RGB", (width, HEAD_H + len(rows) * row_h + 8), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((8, 10), f"{writer}   (red captions: characters unseen in training)", fill="black", font=label_font(16))
    for k, (label, cells) in enumerate(rows):
        y = HEAD_H + k * row_h
        draw.text((8, y + CELL // 2), label, fill="black", font=label_font(13))
        for j, (ch, ink, unseen) in enumerate(cells):
            x = LABEL_W + j * (CELL + 4)
            sheet.paste(glyph_tile(ink), (x, y + 20))
            draw.rectangle((x - 1, y + 19, x + CELL, y + 20 + CELL), outline=(200, 200, 200))
            if k in captioned:
                draw.text((x + CELL // 2, y + 2), ch, fill=UNSEEN_COLOUR if unseen else (90, 90, 90),
                          font=label_font(14), anchor="mt")
    sheet.save(path)


def model_metrics(result: dict) -> dict:
    """What model.json keeps of a report: its protocol, the per-R summary over held-out writers and,
    per writer, d against the nearest training font's (the baseline it must beat)."""
    kept = {key: result[key] for key in ("data", "settings", "recognizers", "notes", "summary", "created")}
    kept["summary_by_kind"] = result.get("summary_by_kind", {})
    kept["writers"] = [
        {"writer": w["writer"], "kind": w["kind"], "template_d": w["template"]["d"]["all"],
         "nearest_font": (w["nearest_font"] or {}).get("font"),
         "nearest_d": (w["nearest_font"] or {}).get("d", {}).get("all"),
         "d": {r: v["d"]["all"] for r, v in w["refs"].items()},
         "ink_level": {r: v["ink_level"] for r, v in w["refs"].items()},
         "closing": {r: v.get("closing") for r, v in w["refs"].items()},
         "weight_ratio": {r: v.get("weight_ratio") for r, v in w["refs"].items()},
         "edge_ratio": {r: v.get("edge_ratio") for r, v in w["refs"].items()},
         "specks": {r: v.get("specks") for r, v in w["refs"].items()}, "real_specks": w["real"].get("specks"),
         "style_gain": {r: v["style_gain"]["all"] for r, v in w["refs"].items()},
         "counters_kept": {r: (v.get("counters_kept") or {}).get("ratio") for r, v in w["refs"].items()},
         "counters_ceiling": (w.get("counters_ceiling") or {}).get("ratio"),
         "ocr_ra": {r: v["ocr_ra"]["all"] if v["ocr_ra"] else None for r, v in w["refs"].items()},
         "real_ocr_ra": w["real"]["ocr_ra"]["all"] if w["real"]["ocr_ra"] else None}
        for w in result["writers"]]
    return kept
