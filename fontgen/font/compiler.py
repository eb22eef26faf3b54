"""The staged compile of a glyph set into font bytes, shared by both outline formats.

`FontCompiler` runs glyph set and cmap → outlines → tables → postprocess, one method per table, each
stage timed on this module's logger. Everything but the outlines is the same in both flavours; the
subclasses `cff.CFFCompiler` and `glyf.GlyfCompiler` override only what the outline format decides:
how a glyph is prepared, the outline tables, where bounds come from and the flavour's extra tables.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass, field
from typing import ClassVar

from fontTools.feaLib.builder import addOpenTypeFeaturesFromString
from fontTools.fontBuilder import FontBuilder
from fontTools.misc.timeTools import timestampNow
from fontTools.ttLib import newTable
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

from fontgen.font.constants import (ASCII_SIDE_BEARING, CJK_ADVANCE, CMAP_ALIASES, GB2312_CODEPAGES, HHEA_ASCENDER,
                                    HHEA_DESCENDER, SPACE_ADVANCES, TYPO_ASCENDER, TYPO_DESCENDER, UPM)
from fontgen.font import metadata, spacing, vertical
from fontgen.font.glyphdata import GlyphData
from fontgen.font.metadata import FontInfo
from fontgen.font.vectorize import Outline

log = logging.getLogger(__name__)


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
class Entry:
    """One glyph of the font in glyph order: its name, character (None for .notdef) and advance."""

    name: str
    char: str | None
    data: GlyphData
    advance: int


@dataclass
class FontCompiler:
    """One staged compile of a glyph set into font bytes; use a subclass (`CFFCompiler`, `GlyfCompiler`)."""

    glyphs: dict[str, GlyphData | Outline]
    info: FontInfo
    entries: list[Entry] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    flavour: ClassVar[str]           # "otf" or "ttf", as `build.prepare_glyphs` names it
    is_ttf: ClassVar[bool]           # FontBuilder's switch between the two table sets
    program: ClassVar[str]           # the GlyphData field that holds this flavour's compiled glyph
    table_stages: ClassVar[tuple[str, ...]] = (
        "setup_head", "setup_hmtx", "setup_hhea", "setup_vmtx", "setup_vhea",
        "setup_name", "setup_os2", "setup_post", "setup_layout")  # FontBuilder's documented order

    def __post_init__(self):
        self.builder = FontBuilder(UPM, isTTF=self.is_ttf)
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

    # ---- what the outline format decides (the subclasses) ------------------------------------------

    def prepare(self, outline: Outline, width: int | None = None) -> GlyphData:
        """A glyph's bounds and compiled program; `width` None is the default advance."""
        raise NotImplementedError

    def with_advance(self, data: GlyphData, advance: int) -> GlyphData:
        """The glyph for a non-default advance at the same position."""
        raise NotImplementedError

    def setup_outlines(self) -> None:
        raise NotImplementedError

    def _bounds(self, entry: Entry) -> tuple[int, int, int, int] | None:
        raise NotImplementedError

    # ---- stage 1: glyph set, order and cmap --------------------------------------------------------

    def setup_glyph_set(self) -> None:
        """.notdef, spaces, the input glyphs, the caron/macron fontconfig's zh-cn needs, vertical forms."""
        self.entries = [Entry(".notdef", None, self.prepare(notdef_outline()), CJK_ADVANCE)]
        for ch, g in self.glyphs.items():
            if not isinstance(g, GlyphData):
                data = self.prepare(g)
            elif getattr(g, self.program) is None:
                data = self.prepare(g.outline)
            else:
                data = g
            self.entries.append(self._entry(ch, data))
        present = set(self.glyphs)
        for ch, advance in SPACE_ADVANCES.items():
            if ch not in present:
                self.entries.append(Entry(glyph_name(ch), ch, self.prepare(Outline(())), advance))
        for ch, outline in FALLBACK_OUTLINES.items():
            if ch not in present:
                self.entries.append(Entry(glyph_name(ch), ch, self.prepare(outline), CJK_ADVANCE))
        # Vertical forms last, so every other glyph keeps its ID and outline whether or not they are there.
        self.entries += vertical.vertical_alternates(self.entries, self.prepare, Entry)
        self.builder.setupGlyphOrder([e.name for e in self.entries])
        self.setup_cmap()

    def _entry(self, ch: str, data: GlyphData) -> Entry:
        advance, dx = horizontal_layout(ch, data.bounds)
        if dx:
            data = self.prepare(data.outline.translated(dx, 0), advance)
        elif advance != CJK_ADVANCE:
            data = self.with_advance(data, advance)
        return Entry(glyph_name(ch), ch, data, advance)

    def setup_cmap(self) -> None:
        """Format 4 (BMP) and format 12 (full range) subtables, Unicode and Windows platforms; a CMAP_ALIASES
        character the glyph set lacks maps to the glyph of the one it stands for."""
        mapping = {ord(e.char): e.name for e in self.entries if e.char is not None}
        for alias, target in CMAP_ALIASES.items():
            if ord(target) in mapping:
                mapping.setdefault(ord(alias), mapping[ord(target)])
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

    def _font_bbox(self) -> tuple[int, int, int, int]:
        boxes = [b for b in map(self._bounds, self.entries) if b is not None]
        return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))

    # ---- stage 3: tables ---------------------------------------------------------------------------

    def setup_tables(self) -> None:
        for stage in self.table_stages:
            getattr(self, stage)()

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

    def setup_name(self) -> None:
        """English records, the Chinese family where there is one, a new unique ID (`metadata.name_table`)."""
        self.font["name"] = metadata.name_table(self.info)

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
        self.builder.setupPost(keepGlyphNames=self.is_ttf, underlinePosition=-125, underlineThickness=50)

    def setup_layout(self) -> None:
        """GSUB vert/vrt2 to the vertical forms, BASE with ideographic baselines (`vertical`) and GPOS
        half-width punctuation spacing (`spacing`), compiled in one feaLib pass."""
        fea = vertical.layout_fea(self.entries, self._bounds) + spacing.spacing_fea(self.entries, self._bounds)
        addOpenTypeFeaturesFromString(self.font, vertical.languagesystems() + fea)

    # ---- stage 4: postprocess ----------------------------------------------------------------------

    def postprocess(self) -> bytes:
        """Serialize; bounds were set above, so fontTools must not re-derive them glyph by glyph."""
        self.font.recalcBBoxes = False
        buf = io.BytesIO()
        self.font.save(buf)
        return buf.getvalue()
