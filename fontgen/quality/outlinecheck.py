"""`fontgen check-outlines`: do complex characters keep every stroke apart at reading sizes?

A character with 15 or more strokes (醒 蠢 戴 赢 豁) has narrow counters and gaps; at 24 px they are a
pixel wide, and an outline that is a little too bold, or a stroke a little too thin, merges or drops
them. Each character is rendered with FreeType (Pillow, as `preview` does) at 24 and 96 px and at a
reference 512 px, and its topology (`fontgen.font.topology`: ink components and holes) at each size is
compared with the reference's. The template font (Noto Sans CJK SC) gets the same test: it is what a
professionally made, hinted font keeps at 24 px, the honest baseline.

    check = check_outlines("MyHand.otf", json_out="outlines.json", sheet_out="outlines.png")
    print(check.table())

Characters: the named five, then a fixed-seed sample of GB2312 hanzi with ≥ 15 strokes, the stroke
counts read from hanzi-writer-data (`fontgen data fetch --only hanzi-writer-data`); without that data,
the named five alone, with a notice.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fontgen import cachepaths, charsets, outfiles, templates
from fontgen.errors import InputError
from fontgen.font import topology

log = logging.getLogger(__name__)

NAMED = "醒蠢戴赢豁"
SIZES = (24, 96)
REFERENCE_PX = 512
MIN_STROKES = 15
SAMPLE = 50
SEED = 15

def stroke_count(folder: Path, ch: str) -> int | None:
    """Number of strokes of `ch` in hanzi-writer-data (its `strokes` list); None if it has no file."""
    path = folder / f"{ch}.json"
    if not path.exists():
        return None
    return len(json.loads(path.read_text(encoding="utf-8")).get("strokes", []))


def complex_chars(named: str = NAMED, count: int = SAMPLE, allowed: set[str] | None = None,
                  seed: int = SEED, folder: Path | None = None) -> list[str]:
    """`named`, then GB2312 hanzi with ≥ MIN_STROKES strokes drawn with `seed` until there are `count`.

    Shuffling GB2312 with the seed and keeping the first qualifying characters is a uniform sample
    that reads only the stroke files it needs. `allowed` limits the sample (not `named`) to
    characters both fonts have.
    """
    chars = list(dict.fromkeys(named))
    if len(chars) >= count:
        return chars
    if folder is None:
        log.warning("notice: no stroke data (run `fontgen data fetch --only %s`); checking %s only",
                    cachepaths.STROKES_PACKAGE, "".join(chars))
        return chars
    pool = list(charsets.gb2312_level1() + charsets.gb2312_level2())
    random.Random(seed).shuffle(pool)
    for ch in pool:
        if ch in chars or (allowed is not None and ch not in allowed):
            continue
        strokes = stroke_count(folder, ch)
        if strokes is not None and strokes >= MIN_STROKES:
            chars.append(ch)
            if len(chars) == count:
                break
    return chars


@dataclass(frozen=True)
class Separation:
    """Ink components and holes of one character at one size, beside the same at the reference size."""

    size: int
    components: int
    holes: int
    ref_components: int
    ref_holes: int

    @property
    def kept(self) -> bool:
        """Every separation of the reference is there: the same number of components and of holes."""
        return self.components == self.ref_components and self.holes == self.ref_holes

    @property
    def ratio(self) -> float:
        """1 − (|Δ components| + |Δ holes|) / (reference components + holes), at least 0: 1 = all kept."""
        total = self.ref_components + self.ref_holes
        off = abs(self.components - self.ref_components) + abs(self.holes - self.ref_holes)
        return max(0.0, 1.0 - off / total) if total else float(off == 0)


def separation(face: templates.FontFace, chars, sizes: tuple[int, ...] = SIZES,
               reference: int = REFERENCE_PX) -> dict[str, dict[int, Separation]]:
    """{char: {size: Separation}} for a font face; the minimum region area follows each size's em."""
    fonts = {px: ImageFont.truetype(str(face.path), px, index=face.index) for px in (*sizes, reference)}

    def topo(ch: str, px: int) -> topology.Topology:
        return topology.topology(templates.render_ink(fonts[px], ch)[0], side=px)

    out = {}
    for ch in chars:
        ref = topo(ch, reference)
        out[ch] = {px: Separation(px, t.components, t.holes, ref.components, ref.holes)
                   for px in sizes for t in [topo(ch, px)]}
    return out


def point_counts(face: templates.FontFace, chars: list[str] | None = None) -> dict[str, int]:
    """{char: outline points} for `chars` (default: every character the face maps; composites count their
    own points only): how heavy the traced outlines are, against a drawn font's."""
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTFont

    font = TTFont(str(face.path), fontNumber=face.index, lazy=True)
    glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
    out = {}
    for code in (cmap if chars is None else [ord(c) for c in chars if ord(c) in cmap]):
        pen = RecordingPen()
        glyphs[cmap[code]].draw(pen)
        # every segment's points, on- and off-curve; a closed qCurveTo's None is no point
        out[chr(code)] = sum(p is not None for op, pts in pen.value if op != "addComponent" for p in pts)
    return out


def point_summary(counts: dict[str, int]) -> dict:
    """Glyphs, mean and max points per glyph and the character at the max (None for an empty font)."""
    if not counts:
        return {"glyphs": 0, "mean": None, "max": None, "max_char": None}
    top = max(counts, key=counts.get)
    return {"glyphs": len(counts), "mean": round(float(np.mean(list(counts.values()))), 1), "max": counts[top],
            "max_char": top}


@dataclass
class OutlineCheck:
    """Stroke separation of a font and of the template font for the same complex characters."""

    font: templates.FontFace
    reference: templates.FontFace
    chars: list[str]
    strokes: dict[str, int]  # stroke counts, where hanzi-writer-data has the character
    found: dict[str, dict[int, Separation]]
    baseline: dict[str, dict[int, Separation]]
    points: dict[str, int]      # outline points per character of the font, every character it maps
    ref_points: dict[str, int]  # the same for the template font, on the checked characters
    sizes: tuple[int, ...] = SIZES

    def summary(self, results: dict[str, dict[int, Separation]]) -> dict[int, dict]:
        """Per size: characters, how many keep every separation, the mean ratio."""
        return {px: {"chars": len(results), "kept": sum(r[px].kept for r in results.values()),
                     "mean_ratio": round(float(np.mean([r[px].ratio for r in results.values()])), 4)}
                for px in self.sizes}

    def table(self) -> str:
        """A small text table: per size, separation kept for the font vs for the template font."""
        mine, base = self.summary(self.found), self.summary(self.baseline)
        name = self.reference.family or self.reference.path.stem
        rows = [f"{'size':>6}  {'chars':>5}  {'font: kept':>10}  {'ratio':>6}  {name + ': kept':>24}  {'ratio':>6}"]
        for px in self.sizes:
            m, b = mine[px], base[px]
            rows.append(f"{px:>4}px  {m['chars']:>5}  {m['kept']:>10}  {m['mean_ratio']:>6.3f}  "
                        f"{b['kept']:>24}  {b['mean_ratio']:>6.3f}")
        (fc, fh), (bc, bh) = self.reference_totals(self.found), self.reference_totals(self.baseline)
        rows.append(f"{REFERENCE_PX}px in all: font {fc} components, {fh} holes; {name} {bc} components, {bh} holes")
        every, checked = point_summary(self.points), point_summary({c: self.points[c] for c in self.chars})
        if every["glyphs"]:
            rows.append(f"outline points per glyph: mean {every['mean']:.0f}, max {every['max']} ({every['max_char']}) "
                        f"over {every['glyphs']} glyphs; on the checked characters font {checked['mean']:.0f}, "
                        f"{name} {point_summary(self.ref_points)['mean']:.0f}")
        return "\n".join(rows)

    def reference_totals(self, results: dict[str, dict[int, Separation]]) -> tuple[int, int]:
        """Components and holes of all characters at the reference size: how much structure the glyphs have."""
        first = [r[self.sizes[0]] for r in results.values()]
        return sum(s.ref_components for s in first), sum(s.ref_holes for s in first)

    def as_json(self) -> dict:
        def per_char(results):
            return {ch: {str(px): {**asdict(s), "kept": s.kept, "ratio": round(s.ratio, 4)} for px, s in r.items()}
                    for ch, r in results.items()}

        return {
            "font": str(self.font.path),
            "reference": {"font": str(self.reference.path), "family": self.reference.family},
            "sizes": list(self.sizes), "reference_px": REFERENCE_PX, "min_strokes": MIN_STROKES, "seed": SEED,
            "min_area_fraction": topology.MIN_AREA_FRACTION,
            "chars": "".join(self.chars), "strokes": self.strokes,
            "summary": {"font": {str(k): v for k, v in self.summary(self.found).items()},
                        "reference": {str(k): v for k, v in self.summary(self.baseline).items()}},
            "at_reference_px": {which: dict(zip(("components", "holes"), self.reference_totals(results)))
                                for which, results in (("font", self.found), ("reference", self.baseline))},
            "font_chars": per_char(self.found), "reference_chars": per_char(self.baseline),
            "points": {"font": point_summary(self.points),
                       "font_checked": point_summary({c: self.points[c] for c in self.chars}),
                       "reference_checked": point_summary(self.ref_points)},
        }


CELL_GAP = 14
ZOOM = 3  # the 24 px rendering is also shown magnified, so a merged gap can be seen
LOST_COLOUR = (200, 30, 30)


def palette() -> Image.Image:
    """24 greys and 4 tints of the warning red: the sheet as a palette PNG is a third of its RGB size."""
    greys = [(v, v, v) for v in np.linspace(0, 255, 24).round().astype(int).tolist()]
    red = np.array(LOST_COLOUR, np.float64)
    reds = [tuple((red * a + 255 * (1 - a)).round().astype(int).tolist()) for a in (1.0, 0.75, 0.5, 0.25)]
    img = Image.new("P", (1, 1))
    img.putpalette([c for colour in greys + reds for c in colour])
    return img


def em_tile(font: ImageFont.FreeTypeFont, ch: str) -> Image.Image:
    """The character's em square as FreeType draws it: black on white, `font.size` pixels wide."""
    ink, (ox, oy) = templates.render_ink(font, ch)
    em = font.size
    top = oy - round(em * 0.88)
    return Image.fromarray(255 - ink[top:top + em, ox:ox + em])


def sheet(check: OutlineCheck, columns: int = 6) -> Image.Image:
    """Each character at 96 px, then at 24 px (actual size and ×3), for the font beside the template font.

    Captions give the separation ratio at each size and turn red where a separation is lost.
    """
    from fontgen.quality.specimen import label_font

    small, large = min(check.sizes), max(check.sizes)
    faces = ((check.font, check.found), (check.reference, check.baseline))
    fonts = [{px: ImageFont.truetype(str(f.path), px, index=f.index) for px in (small, large)} for f, _ in faces]
    half = max(large, small + 4 + small * ZOOM) + 8  # one font's column in a cell
    cell_w, cell_h = 2 * half + CELL_GAP, 20 + large + 6 + small * ZOOM + CELL_GAP
    head = 56
    img = Image.new("RGB", (columns * cell_w + 16, head + -(-len(check.chars) // columns) * cell_h), "white")
    draw = ImageDraw.Draw(img)
    ref_name = check.reference.family or check.reference.path.stem
    draw.text((8, 8), f"{check.font.path.name} (left) vs {ref_name} (right): {len(check.chars)} characters, "
                      f"{large} px and {small} px (actual size and ×{ZOOM})", fill=(40, 40, 40), font=label_font(16))
    draw.text((8, 30), f"captions: separation ratio at {small} / {large} px against {REFERENCE_PX} px; "
                       "red: a separation lost", fill=(110, 110, 110), font=label_font(13))
    for k, ch in enumerate(check.chars):
        x0, y0 = 8 + (k % columns) * cell_w, head + (k // columns) * cell_h
        for i, (_, results) in enumerate(faces):
            x, r = x0 + i * half, results[ch]
            caption = f"{ch if i == 0 else ''} {r[small].ratio:.2f}/{r[large].ratio:.2f}".strip()
            colour = (70, 70, 70) if r[small].kept and r[large].kept else LOST_COLOUR
            draw.text((x, y0), caption, fill=colour, font=label_font(13))
            img.paste(em_tile(fonts[i][large], ch), (x, y0 + 20))
            tile, y = em_tile(fonts[i][small], ch), y0 + 20 + large + 6
            img.paste(tile, (x, y))
            img.paste(tile.resize((small * ZOOM, small * ZOOM), Image.NEAREST), (x + small + 4, y))
    return img.quantize(palette=palette(), dither=Image.Dither.NONE)


def check_outlines(font: str | Path, chars: str | None = None, sample: int = SAMPLE,
                   json_out: str | Path | None = None, sheet_out: str | Path | None = None,
                   force: bool = False) -> OutlineCheck:
    """Measure stroke separation of `font` and the template font; write the JSON and the sheet if asked."""
    from fontgen.quality import specimen

    json_out, sheet_out = outfiles.check_outputs([(json_out, (".json",), outfiles.MB),
                                                  (sheet_out, (".png",), 8 * outfiles.MB)], force)
    face = specimen.font_face(font)
    reference = templates.find_face()
    mapped, ref_mapped = templates.mapped_chars(face), templates.mapped_chars(reference)
    named = "".join(dict.fromkeys(ch for ch in (NAMED if chars is None else chars) if not ch.isspace()))
    if not named:
        raise InputError("no characters to check", None, "pass --chars 醒蠢戴赢豁 (any characters)")
    absent = [ch for ch in named if ch not in mapped]
    if absent:
        raise InputError(f"the font has no glyph for {''.join(absent)}", face.path,
                         "pass --chars with characters the font covers")
    absent = [ch for ch in named if ch not in ref_mapped]
    if absent:
        raise InputError(f"the template font has no glyph for {''.join(absent)}", reference.path,
                         "pass --chars with characters the template font covers")
    folder = cachepaths.strokes_dir()
    picked = complex_chars(named, sample, mapped & ref_mapped, folder=folder)
    strokes = {ch: n for ch in picked if folder is not None and (n := stroke_count(folder, ch)) is not None}
    check = OutlineCheck(face, reference, picked, strokes, separation(face, picked), separation(reference, picked),
                         point_counts(face), point_counts(reference, picked))
    files = {}
    if json_out is not None:
        files[json_out] = json.dumps(check.as_json(), ensure_ascii=False, indent=1).encode("utf-8")
    if sheet_out is not None:
        files[sheet_out] = specimen.png_bytes(sheet(check))
    outfiles.write_all(files, force)
    return check
