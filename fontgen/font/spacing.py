"""East Asian punctuation spacing: GPOS `halt`/`vhal` (half-width punctuation) and `chws`/`vchw`
(contextual half-width spacing, CLREQ 3.1.6.1 / JLREQ 3.1.2).

Full-width brackets, quotes and the comma-like marks keep half an em of blank beside their ink. Two of
them side by side (。「 ）（ 」。) leave a whole em of blank; `chws` takes half of it away, `halt`
halves every one of them (headings, tables). Which side of a glyph is blank is read from its ink, not
assumed from its code point, since the glyphs are the writer's: a glyph whose ink reaches into the
half that would go is left full-width. The values are those Noto Sans CJK SC's own `halt`/`vhal` use
(−500 advance, and −500 placement where the blank leads).

    fea = spacing_fea(entries, bounds)    # feaLib source, compiled with the vertical forms' GSUB

Vertical text (`vhal`/`vchw`) reads the vertical forms (`vertical.SUFFIX`) where a glyph has one, and
the em box from the typo descender to the typo ascender (where `vmtx` puts the vertical origin).
"""

from __future__ import annotations

from typing import Callable

from fontgen.font.constants import CJK_ADVANCE, TYPO_ASCENDER, TYPO_DESCENDER
from fontgen.font.vertical import SUFFIX

# Candidates only: brackets and quotes, and the marks Simplified Chinese sets against one side of the em.
# ！？ are halved by `halt` (as in Noto Sans CJK SC) but not by `chws`: they end a sentence.
PUNCTUATION = "（〔［｛〈《「『【〖‘“）〕］｝〉》」』】〗’”、。，．：；·・！？"
NOT_CONTEXTUAL = "！？"
HALF = CJK_ADVANCE // 2
QUARTER = CJK_ADVANCE // 4

TRAILING, LEADING, MIDDLE = "trailing", "leading", "middle"   # where the blank half is: after, before, both sides


def blank_side(lo: int, hi: int, start: int, end: int) -> str | None:
    """Which half of the em [start, end] (in reading order) is blank, given the ink's extent [lo, hi]
    along the reading direction: the trailing or the leading half, the two outer quarters (middle), or
    None when the ink reaches into both halves and into an outer quarter."""
    mid = (start + end) // 2
    if hi <= mid and lo >= start:
        return TRAILING
    if lo >= mid and hi <= end:
        return LEADING
    if lo >= start + QUARTER and hi <= end - QUARTER:
        return MIDDLE
    return None


def classes(entries: list, bounds: Callable) -> tuple[dict[str, list], dict[str, list]]:
    """({side: [(horizontal glyph name, char)]}, {side: [(vertical glyph name, char)]}) of the punctuation.

    Vertically the reading direction runs down, so the em's top (the typo ascender) is its start."""
    by_name = {e.name: e for e in entries}
    horizontal = {TRAILING: [], LEADING: [], MIDDLE: []}
    vertical = {TRAILING: [], LEADING: [], MIDDLE: []}
    for e in entries:
        if e.char is None or e.char not in PUNCTUATION or e.advance != CJK_ADVANCE:
            continue
        if (b := bounds(e)) is not None and (side := blank_side(b[0], b[2], 0, CJK_ADVANCE)):
            horizontal[side].append((e.name, e.char))
        upright = by_name.get(e.name + SUFFIX, e)
        if (b := bounds(upright)) is not None:
            # distances down from the top of the em box
            side = blank_side(TYPO_ASCENDER - b[3], TYPO_ASCENDER - b[1], 0, TYPO_ASCENDER - TYPO_DESCENDER)
            if side:
                vertical[side].append((upright.name, e.char))
    return horizontal, vertical


def value_records(vertical: bool) -> dict[str, tuple[int, int, int, int]]:
    """Value records that remove a glyph's blank half: (xPlacement, yPlacement, xAdvance, yAdvance)."""
    if vertical:  # y grows upwards while text runs down: a leading blank goes by moving the ink up
        return {TRAILING: (0, 0, 0, -HALF), LEADING: (0, HALF, 0, -HALF), MIDDLE: (0, QUARTER, 0, -HALF)}
    return {TRAILING: (0, 0, -HALF, 0), LEADING: (-HALF, 0, -HALF, 0), MIDDLE: (-QUARTER, 0, -HALF, 0)}


def _axis_fea(groups: dict[str, list], axis: str, half_tag: str, contextual_tag: str) -> str:
    records = value_records(axis == "v")
    present = [side for side in (TRAILING, LEADING, MIDDLE) if groups[side]]
    if not present:
        return ""
    out = []
    for side in present:
        out.append(f"@{axis}_{side} = [{' '.join(name for name, _ in groups[side])}];")
        record = " ".join(map(str, records[side]))
        out.append(f"lookup {axis}_half_{side} {{\n  pos @{axis}_{side} <{record}>;\n}} {axis}_half_{side};")
    out.append(f"feature {half_tag} {{\n" + "".join(f"  lookup {axis}_half_{s};\n" for s in present) + f"}} {half_tag};")
    context = {side: [n for n, ch in groups[side] if ch not in NOT_CONTEXTUAL] for side in present}
    context = {side: names for side, names in context.items() if names}
    for side, names in context.items():
        out.append(f"@{axis}_{side}_c = [{' '.join(names)}];")
    # A blank half goes where it sits against another mark: a trailing one before any mark (。「 。」 ）（),
    # a leading one after a mark whose blank leads or is split (「「 ·「).
    rules = []
    if TRAILING in context:
        after = " ".join(f"@{axis}_{s}_c" for s in context)
        rules.append(f"  pos @{axis}_{TRAILING}_c' lookup {axis}_half_{TRAILING} [{after}];")
    if LEADING in context:
        before = " ".join(f"@{axis}_{s}_c" for s in (LEADING, MIDDLE) if s in context)
        rules.append(f"  pos [{before}] @{axis}_{LEADING}_c' lookup {axis}_half_{LEADING};")
    if rules:
        out.append(f"feature {contextual_tag} {{\n" + "\n".join(rules) + f"\n}} {contextual_tag};")
    return "\n".join(out) + "\n"


def spacing_fea(entries: list, bounds: Callable) -> str:
    """feaLib source of `halt`, `chws` (horizontal) and `vhal`, `vchw` (vertical); empty when the font has
    no punctuation with a blank half."""
    horizontal, vertical = classes(entries, bounds)
    return _axis_fea(horizontal, "h", "halt", "chws") + _axis_fea(vertical, "v", "vhal", "vchw")
