"""The CFF flavour (`.otf`): Type 2 charstrings, the CFF table and VORG.

    program = charstring_program(outline)          # per glyph, in `trace_many`'s workers
    otf = CFFCompiler(glyphs, FontInfo("My Hand")).compile()

`charstring_program` runs in C (`_encode.charstring`, the same bytes, 20× faster) where the extension
was built; the Python encoding below is the reference and the fallback.
"""

from __future__ import annotations

from typing import ClassVar

from fontTools.misc.psCharStrings import T2CharString, encodeIntT2

from fontgen.font.compiler import Entry, FontCompiler
from fontgen.font.constants import CJK_ADVANCE, T2_MAX_ARGS, TYPO_ASCENDER
from fontgen.font.glyphdata import GlyphData, outline_bounds
from fontgen.font.vectorize import Outline

try:  # the C twin (fontgen/font/_encode.c), built where a compiler was at install
    from fontgen.font import _encode as _native
except ImportError:
    _native = None


def charstring_program(outline: Outline, width: int | None = None) -> bytes:
    """Type 2 charstring bytes; `width` None means the default advance (CJK_ADVANCE).

    Encoded directly (rmoveto, chained rlineto/rrcurveto, endchar): T2CharStringPen's specializer
    saves ~12 % of the bytes but costs 4× the time, the largest share of a glyph's tracing budget.
    """
    if _native is not None:
        return _native.charstring(outline.contours, width)
    out = bytearray()
    x = y = 0
    prefix = [] if width is None else [width]
    for start, segments in outline.contours:
        _emit(out, [*prefix, start[0] - x, start[1] - y], 21)  # rmoveto (the width rides on the first)
        prefix = []
        x, y = start
        op, args = 0, []
        for seg in segments:
            if len(seg) == 2:
                seg_op, vals = 5, [seg[0] - x, seg[1] - y]  # rlineto
            else:
                seg_op = 8  # rrcurveto
                vals = [seg[0] - x, seg[1] - y, seg[2] - seg[0], seg[3] - seg[1], seg[4] - seg[2], seg[5] - seg[3]]
            x, y = seg[-2], seg[-1]
            if seg_op != op or len(args) + len(vals) > T2_MAX_ARGS:
                if args:
                    _emit(out, args, op)
                op, args = seg_op, []
            args.extend(vals)
        if args:
            _emit(out, args, op)
    _emit(out, prefix, 14)  # endchar (an empty glyph carries its width here)
    return bytes(out)


# Type 2 encodings of the integers a glyph's relative moves use, looked up instead of encoded per call.
_INT_RANGE = 2048
_T2_INTS = tuple(encodeIntT2(v) for v in range(-_INT_RANGE, _INT_RANGE))


def _emit(out: bytearray, args: list[int], op: int) -> None:
    for v in args:
        out += _T2_INTS[v + _INT_RANGE] if -_INT_RANGE <= v < _INT_RANGE else encodeIntT2(v)
    out.append(op)


def _cff_string(text: str, fallback: str) -> str:
    """CFF strings are bytes (fontTools writes Latin-1): a Unicode name lives in the name table only."""
    return text if text.isascii() and text.isprintable() else fallback


class CFFCompiler(FontCompiler):
    """CFF (not CFF2) outlines from pre-compiled charstrings; widths default to the full em."""

    flavour: ClassVar[str] = "otf"
    is_ttf: ClassVar[bool] = False
    program: ClassVar[str] = "charstring"
    table_stages: ClassVar[tuple[str, ...]] = (
        *FontCompiler.table_stages[:5], "setup_vorg", *FontCompiler.table_stages[5:])

    def prepare(self, outline: Outline, width: int | None = None) -> GlyphData:
        return GlyphData(outline, outline_bounds(outline), charstring_program(outline, width), None)

    def with_advance(self, data: GlyphData, advance: int) -> GlyphData:
        """The width rides in the charstring when it is not the default."""
        return GlyphData(data.outline, data.bounds, charstring_program(data.outline, advance), None)

    def _bounds(self, entry: Entry) -> tuple[int, int, int, int] | None:
        return entry.data.bounds

    def setup_outlines(self) -> None:
        private = {"defaultWidthX": CJK_ADVANCE, "nominalWidthX": 0}
        charstrings = {e.name: T2CharString(bytecode=e.data.charstring) for e in self.entries}
        info = self.info
        self.builder.setupCFF(info.ps_name, {
            "FullName": _cff_string(info.full_name, info.ps_name),
            "FamilyName": _cff_string(info.family, info.ps_family),
            "Weight": _cff_string(info.style, "Regular"), "version": _cff_string(info.version, "1.000"),
            "Notice": _cff_string(info.copyright_notice, ""), "FontBBox": list(self._font_bbox()),
        }, charstrings, private)

    def setup_vorg(self) -> None:
        """Every glyph's vertical origin is the typo ascender; without VORG HarfBuzz guesses per glyph."""
        self.builder.setupVerticalOrigins({}, TYPO_ASCENDER)
