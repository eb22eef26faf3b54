"""Assemble traced outlines into an installable OpenType font (CFF `.otf` or glyf `.ttf`) in memory.

    glyphs = vectorize.trace_many(inks, frames, finish=functools.partial(prepare_glyph, flavours=("otf", "ttf")))
    otf = compile_otf(glyphs, FontInfo("My Hand"))   # bytes
    ttf = compile_ttf(glyphs, FontInfo("My Hand"))

Both entry points run one staged `FontCompiler` (glyph set and cmap → outlines → tables →
postprocess, one method per table, each stage timed on this module's logger); they differ only in
the outline table and the pen. Per-glyph work (charstrings, cu2qu glyf records, bounds) happens in
`prepare_glyph`, which `trace_many` runs in its worker processes, so assembling ~6,800 glyphs only
concatenates bytes. Bounding boxes are therefore computed here once and fontTools' recalculation
is switched off at save time. Metrics follow Noto Sans CJK so the font lines up with other CJK fonts.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import math
import re
import time
from dataclasses import dataclass, field
from functools import partial

from fontTools.fontBuilder import FontBuilder
from fontTools.misc.psCharStrings import T2CharString, encodeIntT2
from fontTools.misc.timeTools import timestampNow
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import newTable
from fontTools.ttLib.tables import ttProgram
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from fontTools.ttLib.tables._g_l_y_f import Glyph
import numpy as np

from fontgen.vectorize import Outline

log = logging.getLogger(__name__)

UPM = 1000
CJK_ADVANCE = 1000
TYPO_ASCENDER, TYPO_DESCENDER = 880, -120
HHEA_ASCENDER, HHEA_DESCENDER = 1160, -288
ASCII_SIDE_BEARING = 50
SPACE_ADVANCES = {" ": 250, "\u00a0": 250, "\u3000": CJK_ADVANCE}
CU2QU_MAX_ERR = 1.0
T2_MAX_ARGS = 48  # Type 2 argument stack depth
GB2312_CODEPAGES = (1 << 0) | (1 << 18)  # Latin 1252 and Simplified Chinese 936
# Smart dropout control for the unhinted TrueType flavour (as ttfautohint writes it).
PREP_ASSEMBLY = ["PUSHW[ ]", "511", "SCANCTRL[ ]", "PUSHB[ ]", "4", "SCANTYPE[ ]"]


@dataclass(frozen=True)
class FontInfo:
    """Naming and licensing of the font; everything else is fixed by the metrics above."""

    family: str = "My Hand"
    family_zh: str | None = None
    style: str = "Regular"
    version: str = "1.000"
    copyright: str | None = None
    license: str = ("This Font Software is licensed under the SIL Open Font License, Version 1.1. "
                    "It was made with fontgen from the author's own handwriting.")
    license_url: str = "https://openfontlicense.org"
    vendor: str = "NONE"

    @property
    def ps_family(self) -> str:
        """The family in PostScript's ASCII: its letters and digits, or for a name without any (a Chinese
        one) `Font` and 8 hex digits of its SHA-1, so that two users' fonts never share one PostScript name."""
        letters = re.sub(r"[^A-Za-z0-9]", "", self.family)
        return letters or "Font" + hashlib.sha1(self.family.encode("utf-8")).hexdigest()[:8]

    @property
    def ps_name(self) -> str:
        """PostScript name (also the CFF font name): printable ASCII without spaces, at most 63 characters."""
        style = re.sub(r"[^A-Za-z0-9]", "", self.style) or "Regular"
        return f"{self.ps_family}-{style}"[:63]

    @property
    def full_name(self) -> str:
        return self.family if self.style == "Regular" else f"{self.family} {self.style}"


@dataclass(frozen=True)
class GlyfRecord:
    """A compiled TrueType glyph (quadratic, clockwise outer contours) and what maxp/hmtx need of it."""

    data: bytes
    bounds: tuple[int, int, int, int] | None
    points: int
    contours: int


@dataclass(frozen=True)
class GlyphData:
    """One glyph ready for assembly: its outline, exact bounds and pre-compiled programs.

    `charstring` is a Type 2 program without a width (the advance is the default, 1000).
    """

    outline: Outline
    bounds: tuple[int, int, int, int] | None
    charstring: bytes | None = None
    glyf: GlyfRecord | None = None


def charstring_program(outline: Outline, width: int | None = None) -> bytes:
    """Type 2 charstring bytes; `width` None means the default advance (CJK_ADVANCE).

    Encoded directly (rmoveto, chained rlineto/rrcurveto, endchar): T2CharStringPen's specializer
    saves ~12 % of the bytes but costs 4× the time, the largest share of a glyph's tracing budget.
    """
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


def glyf_record(outline: Outline) -> GlyfRecord:
    """cu2qu-converted, direction-reversed TrueType glyph, compiled."""
    pen = TTGlyphPen(None)
    outline.draw(Cu2QuPen(pen, CU2QU_MAX_ERR, reverse_direction=True))
    glyph = pen.glyph(dropImpliedOnCurves=True)
    if glyph.numberOfContours == 0:
        return GlyfRecord(b"", None, 0, 0)
    glyph.recalcBounds(None)
    data = glyph.compile(None, recalcBBoxes=False)
    bounds = (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)
    return GlyfRecord(data, bounds, len(glyph.coordinates), glyph.numberOfContours)


def outline_bounds(outline: Outline) -> tuple[int, int, int, int] | None:
    """Exact (curve-extrema) bounds, widened to integers as fontTools does for FontBBox; None if empty.

    The same arithmetic as fontTools' BoundsPen (`calcCubicBounds`), over all of a glyph's cubics at
    once in numpy: the pen's per-segment Python calls were a fifth of the tracing stage.
    """
    points, cubics = [], []
    for start, segments in outline.contours:
        points.append(start)
        last = start
        for seg in segments:
            end = seg[-2:]
            points.append(end)
            if len(seg) == 6:
                cubics.append((*last, *seg))
            last = end
    if not points:
        return None
    pts = np.asarray(points, np.float64)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    if cubics:
        c = np.asarray(cubics, np.float64).reshape(-1, 4, 2)  # [n, (p0, p1, p2, p3), (x, y)]
        hull_lo, hull_hi = c.min(axis=1), c.max(axis=1)
        bulge = ((hull_lo < lo) | (hull_hi > hi)).any(axis=1)  # control points outside: extrema may count
        if bulge.any():
            ext = _cubic_extrema(c[bulge])  # a curve never leaves its control points' hull
            ext_lo = np.maximum(ext, hull_lo[bulge][:, None]).reshape(-1, 2)  # NaN stays NaN
            ext_hi = np.minimum(ext, hull_hi[bulge][:, None]).reshape(-1, 2)
            lo = np.fmin(lo, np.fmin.reduce(ext_lo, axis=0))  # fmin/fmax skip the NaNs of absent roots
            hi = np.fmax(hi, np.fmax.reduce(ext_hi, axis=0))
    return (math.floor(lo[0]), math.floor(lo[1]), math.ceil(hi[0]), math.ceil(hi[1]))


def _cubic_extrema(c: np.ndarray) -> np.ndarray:
    """Points [n, 4, 2] of cubics [n, 4, 2] at the roots in [0, 1) of dx/dt and dy/dt (NaN where none).

    Power-basis coefficients and the quadratic solve follow fontTools' calcCubicParameters and
    solveQuadratic term by term, so the integer bounds agree with BoundsPen's.
    """
    p1, p2, p3, p4 = c[:, 0], c[:, 1], c[:, 2], c[:, 3]
    cc = (p2 - p1) * 3.0
    b = (p3 - p2) * 3.0 - cc
    a = p4 - p1 - cc - b
    qa, qb, qc = a * 3.0, b * 2.0, cc  # derivative, per axis [n, 2]
    eps = 1e-10
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = qb * qb - 4.0 * qa * qc
        root = np.sqrt(disc)
        quad = np.abs(qa) >= eps
        lin = ~quad & (np.abs(qb) >= eps)
        t1 = np.where(quad, (-qb + root) / 2.0 / qa, np.where(lin, -qc / qb, np.nan))
        t2 = np.where(quad, (-qb - root) / 2.0 / qa, np.nan)
    t = np.concatenate([t1, t2], axis=1)  # [n, 4]: x roots then y roots
    t = np.where((t >= 0) & (t < 1), t, np.nan)[..., None]
    return a[:, None] * t * t * t + b[:, None] * t * t + cc[:, None] * t + p1[:, None]


def prepare_glyph(key: str, outline: Outline, flavours: tuple[str, ...] = ("otf",)) -> GlyphData:
    """Everything per-glyph the compilers need; used as `trace_many(finish=...)` to run in workers."""
    return GlyphData(
        outline,
        outline_bounds(outline),
        charstring_program(outline) if "otf" in flavours else None,
        glyf_record(outline) if "ttf" in flavours else None,
    )


def glyph_name(ch: str) -> str:
    cp = ord(ch)
    return f"uni{cp:04X}" if cp <= 0xFFFF else f"u{cp:05X}"


def _polygon(*rings: list[tuple[int, int]]) -> Outline:
    return Outline(tuple((ring[0], tuple(ring[1:])) for ring in rings))


def notdef_outline() -> Outline:
    """An empty box: outer ring counter-clockwise, inner ring clockwise."""
    x0, y0, x1, y1, w = 100, -70, 900, 830, 50
    outer = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    inner = [(x0 + w, y0 + w), (x0 + w, y1 - w), (x1 - w, y1 - w), (x1 - w, y0 + w)]
    return _polygon(outer, inner)


# Caron and macron: fontconfig's zh-cn orthography needs them; drawn only if the input lacks them.
FALLBACK_OUTLINES = {
    "\u02c7": _polygon([(380, 720), (470, 590), (530, 590), (620, 720), (580, 720), (500, 625), (420, 720)]),
    "\u02c9": _polygon([(380, 640), (620, 640), (620, 690), (380, 690)]),
}


def horizontal_layout(ch: str, bounds: tuple[int, int, int, int] | None) -> tuple[int, int]:
    """(advance, x shift) of a glyph: CJK and symbols keep the full em; printable ASCII becomes
    proportional (side bearings of ASCII_SIDE_BEARING), so tools do not take the font for monospaced."""
    if ch in SPACE_ADVANCES:
        return SPACE_ADVANCES[ch], 0
    if not 0x21 <= ord(ch) <= 0x7E or bounds is None:
        return CJK_ADVANCE, 0
    return bounds[2] - bounds[0] + 2 * ASCII_SIDE_BEARING, ASCII_SIDE_BEARING - bounds[0]


@dataclass
class _Entry:
    name: str
    char: str | None
    data: GlyphData
    advance: int


@dataclass
class FontCompiler:
    """One staged compile of a glyph set into font bytes; `flavour` is "otf" (CFF) or "ttf" (glyf)."""

    glyphs: dict[str, GlyphData | Outline]
    info: FontInfo
    flavour: str
    entries: list[_Entry] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        if self.flavour not in ("otf", "ttf"):
            raise ValueError(f"flavour must be 'otf' or 'ttf', not {self.flavour!r}")
        self.ttf = self.flavour == "ttf"
        self.builder = FontBuilder(UPM, isTTF=self.ttf)
        self.font = self.builder.font

    def compile(self) -> bytes:
        for stage in (self.setup_glyph_set, self.setup_outlines, self.setup_tables):
            self._timed(stage)
        return self._timed(self.postprocess)

    def _timed(self, stage):
        t0 = time.perf_counter()
        out = stage()
        self.seconds[stage.__name__] = dt = time.perf_counter() - t0
        log.debug("%s %s: %.3f s", self.flavour, stage.__name__, dt)
        return out

    # ---- stage 1: glyph set, order and cmap --------------------------------------------------------

    def setup_glyph_set(self) -> None:
        """.notdef, spaces, the input glyphs, and the caron/macron fontconfig's zh-cn needs."""
        prep = partial(prepare_glyph, flavours=(self.flavour,))
        self.entries = [_Entry(".notdef", None, prep(".notdef", notdef_outline()), CJK_ADVANCE)]
        program = "charstring" if not self.ttf else "glyf"
        for ch, g in self.glyphs.items():
            if not isinstance(g, GlyphData):
                data = prep(ch, g)
            elif getattr(g, program) is None:
                data = prep(ch, g.outline)
            else:
                data = g
            self.entries.append(self._entry(ch, data))
        present = set(self.glyphs)
        for ch, advance in SPACE_ADVANCES.items():
            if ch not in present:
                self.entries.append(_Entry(glyph_name(ch), ch, prep(ch, Outline(())), advance))
        for ch, outline in FALLBACK_OUTLINES.items():
            if ch not in present:
                self.entries.append(_Entry(glyph_name(ch), ch, prep(ch, outline), CJK_ADVANCE))
        self.builder.setupGlyphOrder([e.name for e in self.entries])
        self.setup_cmap()

    def _entry(self, ch: str, data: GlyphData) -> _Entry:
        advance, dx = horizontal_layout(ch, data.bounds)
        if dx:
            shifted = data.outline.translated(dx, 0)
            data = GlyphData(
                shifted, outline_bounds(shifted),
                charstring_program(shifted, advance) if not self.ttf else None,
                glyf_record(shifted) if self.ttf else None,
            )
        elif advance != CJK_ADVANCE and not self.ttf:
            data = GlyphData(data.outline, data.bounds, charstring_program(data.outline, advance), None)
        return _Entry(glyph_name(ch), ch, data, advance)

    def setup_cmap(self) -> None:
        """Format 4 (BMP) and format 12 (full range) subtables, Unicode and Windows platforms."""
        mapping = {ord(e.char): e.name for e in self.entries if e.char is not None}
        bmp = {cp: n for cp, n in mapping.items() if cp <= 0xFFFF}
        cmap = newTable("cmap")
        cmap.tableVersion = 0
        cmap.tables = []
        for fmt, platform, enc, cmap_map in ((4, 0, 3, bmp), (4, 3, 1, bmp), (12, 0, 4, mapping), (12, 3, 10, mapping)):
            sub = CmapSubtable.newSubtable(fmt)
            sub.platformID, sub.platEncID, sub.language = platform, enc, 0
            sub.cmap = dict(cmap_map)
            cmap.tables.append(sub)
        self.font["cmap"] = cmap

    # ---- stage 2: outlines -------------------------------------------------------------------------

    def setup_outlines(self) -> None:
        if self.ttf:
            self.setup_glyf()
        else:
            self.setup_cff()

    def setup_cff(self) -> None:
        """CFF (not CFF2) with pre-compiled charstrings; widths default to the full em."""
        private = {"defaultWidthX": CJK_ADVANCE, "nominalWidthX": 0}
        charstrings = {e.name: T2CharString(bytecode=e.data.charstring) for e in self.entries}
        info = self.info
        self.builder.setupCFF(info.ps_name, {
            "FullName": _cff_string(info.full_name, info.ps_name),
            "FamilyName": _cff_string(info.family, info.ps_family),
            "Weight": _cff_string(info.style, "Regular"), "version": _cff_string(info.version, "1.000"),
            "Notice": _cff_string(self._copyright(), ""), "FontBBox": list(self._font_bbox()),
        }, charstrings, private)

    def setup_glyf(self) -> None:
        """glyf/loca from pre-compiled records (FontBuilder.setupGlyf would expand every glyph)."""
        glyf = newTable("glyf")
        glyf.glyphs = {e.name: Glyph(e.data.glyf.data) for e in self.entries}
        glyf.glyphOrder = self.font.getGlyphOrder()
        self.font["loca"] = newTable("loca")
        self.font["glyf"] = glyf

    def _bounds(self, entry: _Entry) -> tuple[int, int, int, int] | None:
        return entry.data.glyf.bounds if self.ttf else entry.data.bounds

    def _font_bbox(self) -> tuple[int, int, int, int]:
        boxes = [b for b in map(self._bounds, self.entries) if b is not None]
        return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))

    # ---- stage 3: tables, in FontBuilder's documented order ---------------------------------------

    def setup_tables(self) -> None:
        self.setup_head()
        self.setup_hmtx()
        self.setup_hhea()
        self.setup_vmtx()
        self.setup_vhea()
        if not self.ttf:
            self.setup_vorg()
        self.setup_name()
        self.setup_os2()
        self.setup_post()
        self.setup_maxp()
        if self.ttf:
            self.setup_prep()
            self.setup_gasp()

    def setup_head(self) -> None:
        x_min, y_min, x_max, y_max = self._font_bbox()
        now = timestampNow()
        self.builder.setupHead(unitsPerEm=UPM, fontRevision=float(self.info.version), created=now, modified=now,
                               xMin=x_min, yMin=y_min, xMax=x_max, yMax=y_max, lowestRecPPEM=8)

    def setup_hmtx(self) -> None:
        self.builder.setupHorizontalMetrics({
            e.name: (e.advance, b[0] if (b := self._bounds(e)) else 0) for e in self.entries})

    def setup_hhea(self) -> None:
        inked = [(e.advance, b) for e in self.entries if (b := self._bounds(e))]
        self.builder.setupHorizontalHeader(
            ascent=HHEA_ASCENDER, descent=HHEA_DESCENDER, lineGap=0,
            advanceWidthMax=max(e.advance for e in self.entries),
            minLeftSideBearing=min(b[0] for _, b in inked),
            minRightSideBearing=min(adv - b[2] for adv, b in inked),
            xMaxExtent=max(b[2] for _, b in inked))

    def setup_vmtx(self) -> None:
        """Advance height 1000; top side bearing measured from the typo ascender."""
        self.builder.setupVerticalMetrics({
            e.name: (UPM, TYPO_ASCENDER - b[3] if (b := self._bounds(e)) else 0) for e in self.entries})

    def setup_vhea(self) -> None:
        inked = [b for e in self.entries if (b := self._bounds(e))]
        tsb = [TYPO_ASCENDER - b[3] for b in inked]
        self.builder.setupVerticalHeader(
            ascent=UPM // 2, descent=-UPM // 2, lineGap=0, advanceHeightMax=UPM,
            minTopSideBearing=min(tsb),
            minBottomSideBearing=min(UPM - t - (b[3] - b[1]) for t, b in zip(tsb, inked)),
            yMaxExtent=max(t + b[3] - b[1] for t, b in zip(tsb, inked)),
            caretSlopeRise=0, caretSlopeRun=1)

    def setup_vorg(self) -> None:
        """Every glyph's vertical origin is the typo ascender; without VORG HarfBuzz guesses per glyph."""
        self.builder.setupVerticalOrigins({}, TYPO_ASCENDER)

    def setup_name(self) -> None:
        """IDs 0-6, 13, 14 in English, family and full name also in Chinese (0x0804); no Mac records."""
        info = self.info
        english = {
            0: self._copyright(), 1: info.family, 2: info.style,
            3: f"{info.version};{info.vendor};{info.ps_name}", 4: info.full_name,
            5: f"Version {info.version}", 6: info.ps_name, 13: info.license, 14: info.license_url,
        }
        zh_family = info.family_zh or info.family
        chinese = {1: zh_family, 2: info.style,
                   4: zh_family if info.style == "Regular" else f"{zh_family} {info.style}"}
        table = newTable("name")
        table.names = []
        for lang, names in ((0x409, english), (0x804, chinese)):
            for name_id, text in names.items():
                table.setName(text, name_id, 3, 1, lang)
        self.font["name"] = table

    def _copyright(self) -> str:
        return self.info.copyright or f"Copyright (c) {datetime.date.today().year}, the author of the handwriting"

    def setup_os2(self) -> None:
        """Installable (fsType 0), GB2312 code pages set by hand, Unicode ranges from the cmap."""
        codepoints = [ord(e.char) for e in self.entries if e.char is not None]
        cap = self._height_of("H")
        x_height = self._height_of("x")
        self.builder.setupOS2(
            version=4, fsType=0, achVendID=self.info.vendor, usWeightClass=400, usWidthClass=5,
            fsSelection=0x40, sTypoAscender=TYPO_ASCENDER, sTypoDescender=TYPO_DESCENDER, sTypoLineGap=0,
            usWinAscent=HHEA_ASCENDER, usWinDescent=-HHEA_DESCENDER,
            ulCodePageRange1=GB2312_CODEPAGES, ulCodePageRange2=0,
            usFirstCharIndex=min(min(codepoints), 0xFFFF), usLastCharIndex=min(max(codepoints), 0xFFFF),
            sxHeight=x_height, sCapHeight=cap, usDefaultChar=0, usBreakChar=0x20, usMaxContext=0)

    def _height_of(self, ch: str) -> int:
        for e in self.entries:
            if e.char == ch and (b := self._bounds(e)):
                return b[3]
        return 0

    def setup_post(self) -> None:
        """Format 3 (no names) for CFF; format 2 keeps the uniXXXX names in the TTF."""
        self.builder.setupPost(keepGlyphNames=self.ttf, underlinePosition=-125, underlineThickness=50)

    def setup_maxp(self) -> None:
        maxp = self.font["maxp"]
        if self.ttf:
            records = [e.data.glyf for e in self.entries]
            maxp.maxPoints = max(r.points for r in records)
            maxp.maxContours = max(r.contours for r in records)
            maxp.maxZones = 1
            maxp.maxStackElements = 2

    def setup_prep(self) -> None:
        prep = newTable("prep")
        prep.program = ttProgram.Program()
        prep.program.fromAssembly(PREP_ASSEMBLY)
        self.font["prep"] = prep

    def setup_gasp(self) -> None:
        gasp = newTable("gasp")
        gasp.version = 1
        gasp.gaspRange = {0xFFFF: 0x000F}  # grid-fit and smooth at every size
        self.font["gasp"] = gasp

    # ---- stage 4: postprocess ----------------------------------------------------------------------

    def postprocess(self) -> bytes:
        """Serialize; bounds were set above, so fontTools must not re-derive them glyph by glyph."""
        self.font.recalcBBoxes = False
        buf = io.BytesIO()
        self.font.save(buf)
        return buf.getvalue()


def _cff_string(text: str, fallback: str) -> str:
    """CFF strings are bytes (fontTools writes Latin-1): a Unicode name lives in the name table only."""
    return text if text.isascii() and text.isprintable() else fallback


def compile_otf(glyphs: dict[str, GlyphData | Outline], info: FontInfo = FontInfo()) -> bytes:
    """CFF-flavoured OpenType font bytes from {character: glyph}."""
    return FontCompiler(glyphs, info, "otf").compile()


def compile_ttf(glyphs: dict[str, GlyphData | Outline], info: FontInfo = FontInfo()) -> bytes:
    """TrueType-flavoured font bytes (cu2qu quadratics, prep dropout control, gasp) from {character: glyph}."""
    return FontCompiler(glyphs, info, "ttf").compile()
