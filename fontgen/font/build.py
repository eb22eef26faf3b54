"""Assemble traced outlines into an installable OpenType font (CFF `.otf` or glyf `.ttf`) in memory.

    glyphs = vectorize.trace_many(inks, frames, finish=functools.partial(prepare_glyphs, flavours=("otf", "ttf")))
    otf = compile_otf(glyphs, FontInfo("My Hand"))   # bytes
    ttf = compile_ttf(glyphs, FontInfo("My Hand"))

Both entry points run a staged `compiler.FontCompiler` (glyph set and cmap → outlines → tables →
postprocess); `cff.CFFCompiler` and `glyf.GlyfCompiler` differ only in the outline stages. Per-glyph
work (charstrings, cu2qu glyf records, bounds) happens in `prepare_glyphs`, which `trace_many` runs in
its worker processes, so assembling ~6,800 glyphs only concatenates bytes; its encoders run in C
(`_encode`) where the extension was built, all but the batched splines. Metrics are in `constants`.
"""

from __future__ import annotations

import numpy as np

from fontgen.font import glyphdata, quadratic
from fontgen.font.cff import CFFCompiler, charstring_program
from fontgen.font.compiler import FontInfo
from fontgen.font.constants import CU2QU_MAX_ERR
from fontgen.font.glyf import GlyfCompiler, glyf_record
from fontgen.font.glyphdata import GlyphData, outline_bounds
from fontgen.font.vectorize import Outline


def prepare_glyphs(keys: list[str], outlines: list[Outline], flavours: tuple[str, ...] = ("otf",)) -> list[GlyphData]:
    """Everything per glyph the compilers need, for a chunk of glyphs: `trace_many`'s `finish`, run in
    its workers. The TrueType quadratics of the whole chunk are converted in one batch."""
    splines = [None] * len(outlines)
    if "ttf" in flavours and outlines:
        cubics = [glyphdata.cubics(outline) for outline in outlines]
        offcurve, counts = quadratic.splines(np.concatenate(cubics), CU2QU_MAX_ERR)
        n_cubics = np.cumsum([len(c) for c in cubics])
        n_points = np.concatenate([[0], np.cumsum(counts)])[n_cubics]
        splines = [(p, c) for p, c in zip(np.split(offcurve, n_points[:-1]), np.split(counts, n_cubics[:-1]))]
    return [GlyphData(outline, outline_bounds(outline),
                      charstring_program(outline) if "otf" in flavours else None,
                      glyf_record(outline, spline) if "ttf" in flavours else None)
            for outline, spline in zip(outlines, splines)]


def compile_otf(glyphs: dict[str, GlyphData | Outline], info: FontInfo = FontInfo()) -> bytes:
    """CFF-flavoured OpenType font bytes from {character: glyph}."""
    return CFFCompiler(glyphs, info).compile()


def compile_ttf(glyphs: dict[str, GlyphData | Outline], info: FontInfo = FontInfo()) -> bytes:
    """TrueType-flavoured font bytes (cu2qu quadratics, prep dropout control, gasp) from {character: glyph}."""
    return GlyfCompiler(glyphs, info).compile()
