"""Vertical writing: the vertical forms of CJK punctuation, the `vert`/`vrt2` lookup and the BASE table.

    entries += vertical_alternates(entries, compiler.prepare, Entry)  # `<glyph>.vert`, after every other glyph
    fea = layout_fea(entries, compiler._bounds)                       # GSUB vert + vrt2, BASE (feaLib)

In vertical text the punctuation in the lower left corner of the em (、。，．) moves to the upper
right, the marks beside its left edge (：；！？) move to the right half, centred in height, and
brackets, dashes, the ellipsis and the like turn 90° clockwise. The transforms are applied to the
font's own glyph (the writer's, or the template font's symbol), so the vertical form keeps the hand it
was drawn in. Checked against Noto Sans CJK SC's own vertical alternates (tests/test_vertical.py):
its turned forms are this rotation about the em centre to the unit (its corner brackets have 50
units longer arms), its moved forms lie within 15 (、。，．) and 75 (：；！？) units of these places.
"""

from __future__ import annotations

import statistics
from typing import Callable

from fontgen.font.constants import CJK_ADVANCE, TYPO_ASCENDER, TYPO_DESCENDER
from fontgen.font.vectorize import Outline

CORNER = "、。，．"                                       # upright, moved to the upper right corner
BESIDE = "：；！？"                                        # upright, moved to the right half, centred in height
SHIFTED = CORNER + BESIDE
ROTATED = "—―～…‘’“”〔〕〈〉《》「」『』〖〗【】（）＝［］＿｛｜｝￣"  # turned 90° clockwise
CENTRE_X, CENTRE_Y = CJK_ADVANCE // 2, (TYPO_ASCENDER + TYPO_DESCENDER) // 2  # the em box's centre (500, 380)
SUFFIX = ".vert"
SCRIPTS = ("DFLT", "hani", "latn")


def rotated(outline: Outline) -> Outline:
    """The outline turned 90° clockwise about the em centre; a rotation keeps the contours' direction."""
    def turn(seg: tuple[int, ...]) -> tuple[int, ...]:
        out = []
        for x, y in zip(seg[0::2], seg[1::2]):
            out += [CENTRE_X + (y - CENTRE_Y), CENTRE_Y - (x - CENTRE_X)]
        return tuple(out)
    return Outline(tuple((turn(start), tuple(map(turn, segs))) for start, segs in outline.contours))


def shifted(outline: Outline, bounds: tuple[int, int, int, int], corner: bool = True) -> Outline:
    """The outline moved so its box centre is mirrored left to right about the em centre, and also top to
    bottom (`corner`: lower left → upper right) or else onto the em's middle height."""
    x0, y0, x1, y1 = bounds
    dy = 2 * CENTRE_Y - (y0 + y1)
    return outline.translated(2 * CENTRE_X - (x0 + x1), dy if corner else round(dy / 2))


def vertical_form(ch: str, outline: Outline, bounds: tuple[int, int, int, int] | None) -> Outline | None:
    """The vertical form of `ch`, or None when it has none (or no ink)."""
    if bounds is None or not outline:
        return None
    if ch in SHIFTED:
        return shifted(outline, bounds, ch in CORNER)
    if ch in ROTATED:
        return rotated(outline)
    return None


def vertical_alternates(entries: list, prepare: Callable[[Outline], object], entry_type) -> list:
    """One `entry_type` (compiler.Entry) per glyph with a vertical form, named `<glyph>.vert`, full-em advance."""
    out = []
    for e in entries:
        if e.char is None:
            continue
        form = vertical_form(e.char, e.data.outline, e.data.bounds)
        if form is not None:
            out.append(entry_type(e.name + SUFFIX, None, prepare(form), CJK_ADVANCE))
    return out


def languagesystems() -> str:
    """The feaLib header every feature of the font is registered under."""
    return "".join(f"languagesystem {s} dflt;\n" for s in SCRIPTS)


def features_fea(pairs: list[tuple[str, str]]) -> str:
    """feaLib source of one single-substitution lookup shared by `vert` and `vrt2` (as Noto Sans CJK does)."""
    subs = "".join(f"  sub {a} by {b};\n" for a, b in pairs)
    return (f"lookup vertical_forms {{\n{subs}}} vertical_forms;\n"
            "feature vert { lookup vertical_forms; } vert;\nfeature vrt2 { lookup vertical_forms; } vrt2;\n")


def ideographic_face(entries: list, bounds: Callable) -> tuple[int, int, int, int] | None:
    """The ideographic character face: median left, bottom, right, top of the CJK ideographs' ink boxes."""
    boxes = [b for e in entries if e.char and 0x4E00 <= ord(e.char) <= 0x9FFF and (b := bounds(e))]
    if not boxes:
        return None
    return tuple(round(statistics.median(b[i] for b in boxes)) for i in range(4))


def base_fea(face: tuple[int, int, int, int] | None) -> str:
    """BASE: ideographic em box bottom (ideo) and Latin baseline (romn) on both axes, plus the ideographic
    character face (icfb/icft) when the font has ideographs. The vertical axis counts x from the em's left."""
    horizontal = {"ideo": TYPO_DESCENDER, "romn": 0}
    vertical = {"ideo": 0, "romn": -TYPO_DESCENDER}
    if face is not None:
        horizontal |= {"icfb": face[1], "icft": face[3]}
        vertical |= {"icfb": face[0], "icft": face[2]}
    lines = []
    for axis, values in (("HorizAxis", horizontal), ("VertAxis", vertical)):
        tags = sorted(values)
        coords = " ".join(str(values[t]) for t in tags)
        scripts = ", ".join(f"{s} {'romn' if s == 'latn' else 'ideo'} {coords}" for s in SCRIPTS)
        lines += [f"  {axis}.BaseTagList {' '.join(tags)};", f"  {axis}.BaseScriptList {scripts};"]
    return "table BASE {\n" + "\n".join(lines) + "\n} BASE;\n"


def layout_fea(entries: list, bounds: Callable) -> str:
    """feaLib source of GSUB (vert, vrt2) from the alternates in `entries`, and of BASE."""
    names = {e.name for e in entries}
    pairs = [(e.name, e.name + SUFFIX) for e in entries if e.char is not None and e.name + SUFFIX in names]
    return (features_fea(pairs) if pairs else "") + base_fea(ideographic_face(entries, bounds))
