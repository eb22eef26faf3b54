"""The TrueType flavour (`.ttf`): cu2qu quadratic glyf records, maxp, and unhinted rendering help.

    record = glyf_record(outline)                  # per glyph (batched in `build.prepare_glyphs`)
    ttf = GlyfCompiler(glyphs, FontInfo("My Hand")).compile()
"""

from __future__ import annotations

from typing import ClassVar

from fontTools.ttLib import newTable
from fontTools.ttLib.tables import ttProgram
from fontTools.ttLib.tables._g_l_y_f import Glyph

from fontgen.font import ttglyph
from fontgen.font.compiler import Entry, FontCompiler
from fontgen.font.glyphdata import GlyfRecord, GlyphData, outline_bounds
from fontgen.font.vectorize import Outline

# Smart dropout control for the unhinted TrueType flavour (as ttfautohint writes it).
PREP_ASSEMBLY = ["PUSHW[ ]", "511", "SCANCTRL[ ]", "PUSHB[ ]", "4", "SCANTYPE[ ]"]


def glyf_record(outline: Outline, splines=None) -> GlyfRecord:
    """cu2qu-converted, direction-reversed TrueType glyph, compiled (`ttglyph.encode`: fontTools' bytes);
    `splines` are its cubics' quadratics where the caller converted many glyphs' at once."""
    data, bounds, points, contours = ttglyph.encode(outline, splines)
    return GlyfRecord(data, bounds, points, contours)


class GlyfCompiler(FontCompiler):
    """glyf/loca outlines from pre-compiled records, prep dropout control and gasp."""

    flavour: ClassVar[str] = "ttf"
    is_ttf: ClassVar[bool] = True
    program: ClassVar[str] = "glyf"
    table_stages: ClassVar[tuple[str, ...]] = (*FontCompiler.table_stages, "setup_maxp", "setup_prep", "setup_gasp")

    def prepare(self, outline: Outline, width: int | None = None) -> GlyphData:
        """The advance lives in hmtx only, so `width` changes nothing here."""
        return GlyphData(outline, outline_bounds(outline), None, glyf_record(outline))

    def with_advance(self, data: GlyphData, advance: int) -> GlyphData:
        return data

    def _bounds(self, entry: Entry) -> tuple[int, int, int, int] | None:
        return entry.data.glyf.bounds

    def setup_outlines(self) -> None:
        """glyf/loca from pre-compiled records (FontBuilder.setupGlyf would expand every glyph)."""
        glyf = newTable("glyf")
        glyf.glyphs = {e.name: Glyph(e.data.glyf.data) for e in self.entries}
        glyf.glyphOrder = self.font.getGlyphOrder()
        self.font["loca"] = newTable("loca")
        self.font["glyf"] = glyf

    def setup_maxp(self) -> None:
        maxp = self.font["maxp"]
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
