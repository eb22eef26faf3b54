"""Assemble traced outlines into an installable OpenType font (CFF `.otf` or glyf `.ttf`) in memory.

    glyphs = vectorize.trace_many(inks, frames, finish=functools.partial(prepare_glyph, flavours=("otf", "ttf")))
    otf = compile_otf(glyphs, FontInfo("My Hand"))   # bytes
    ttf = compile_ttf(glyphs, FontInfo("My Hand"))

Both entry points run a staged `compiler.FontCompiler` (glyph set and cmap → outlines → tables →
postprocess); `cff.CFFCompiler` and `glyf.GlyfCompiler` differ only in the outline stages. Per-glyph
work (charstrings, cu2qu glyf records, bounds) happens in `prepare_glyph`, which `trace_many` runs in
its worker processes, so assembling ~6,800 glyphs only concatenates bytes. Metrics are in `constants`.
"""

from __future__ import annotations

from fontgen.font.cff import CFFCompiler, charstring_program
from fontgen.font.compiler import FontInfo
from fontgen.font.glyf import GlyfCompiler, glyf_record
from fontgen.font.glyphdata import GlyphData, outline_bounds
from fontgen.font.vectorize import Outline


def prepare_glyph(key: str, outline: Outline, flavours: tuple[str, ...] = ("otf",)) -> GlyphData:
    """Everything per-glyph the compilers need; used as `trace_many(finish=...)` to run in workers."""
    return GlyphData(
        outline,
        outline_bounds(outline),
        charstring_program(outline) if "otf" in flavours else None,
        glyf_record(outline) if "ttf" in flavours else None,
    )


def compile_otf(glyphs: dict[str, GlyphData | Outline], info: FontInfo = FontInfo()) -> bytes:
    """CFF-flavoured OpenType font bytes from {character: glyph}."""
    return CFFCompiler(glyphs, info).compile()


def compile_ttf(glyphs: dict[str, GlyphData | Outline], info: FontInfo = FontInfo()) -> bytes:
    """TrueType-flavoured font bytes (cu2qu quadratics, prep dropout control, gasp) from {character: glyph}."""
    return GlyfCompiler(glyphs, info).compile()
