"""Font assembly: every table the notes ask for, with values fontTools' own recalculation agrees with."""

import io
from functools import partial

import pytest
from fontTools.pens.areaPen import AreaPen
from fontTools.ttLib import TTFont

from fontgen import templates
from fontgen.font import build, cff, constants, glyphdata, validate, vectorize

CHARS = list("永和我你的是国爱写字") + list("Ail!") + ["ˇ"]


@pytest.fixture(scope="module")
def traced():
    tpl = templates.render(CHARS, size=64)
    frames = {c: vectorize.PixelFrame.content(64, tpl.placement[c]) for c in tpl.chars}
    return vectorize.trace_many(dict(zip(tpl.chars, tpl.ink)), frames, workers=2, progress=False,
                                finish=partial(build.prepare_glyphs, flavours=("otf", "ttf")))


INFO = build.FontInfo(family="Test Hand", family_zh="测试手写")


@pytest.fixture(scope="module")
def otf(traced):
    return TTFont(io.BytesIO(build.compile_otf(traced, INFO)))


@pytest.fixture(scope="module")
def ttf(traced):
    return TTFont(io.BytesIO(build.compile_ttf(traced, INFO)))


def test_both_flavours_pass_ots(traced):
    validate.sanitize(build.compile_otf(traced, INFO))
    validate.sanitize(build.compile_ttf(traced, INFO))


def test_cff_not_cff2_with_matching_names(otf):
    assert "CFF " in otf and "CFF2" not in otf and "glyf" not in otf
    cff = otf["CFF "].cff
    assert cff.fontNames == ["TestHand-Regular"]
    assert otf["name"].getDebugName(6) == "TestHand-Regular"
    assert otf["post"].formatType == 3.0
    assert otf["head"].unitsPerEm == 1000


def test_glyph_order_names_and_cmap(otf):
    order = otf.getGlyphOrder()
    assert order[0] == ".notdef"
    assert "uni6C38" in order and "uni0041" in order
    formats = {(t.format, t.platformID, t.platEncID) for t in otf["cmap"].tables}
    assert formats == {(4, 0, 3), (4, 3, 1), (12, 0, 4), (12, 3, 10)}
    cmap = otf.getBestCmap()
    for ch in CHARS + [" ", "\u00a0", "\u3000", "\u02c7", "\u02c9"]:
        assert cmap[ord(ch)] == f"uni{ord(ch):04X}"


def test_spaces_are_empty_with_their_advances(otf):
    glyphs = otf.getGlyphSet()
    hmtx = otf["hmtx"]
    for ch, advance in ((" ", 250), ("\u00a0", 250), ("\u3000", 1000)):
        name = f"uni{ord(ch):04X}"
        pen = AreaPen(glyphs)
        glyphs[name].draw(pen)
        assert pen.value == 0
        assert hmtx[name][0] == advance


def test_cjk_full_em_and_proportional_ascii(otf):
    hmtx = otf["hmtx"]
    assert hmtx["uni6C38"][0] == 1000
    ascii_advances = {hmtx[f"uni{ord(c):04X}"][0] for c in "Ail!"}
    assert len(ascii_advances) == 4 and max(ascii_advances) < 1000
    # The ASCII glyph sits on its side bearing; its charstring carries its own width.
    glyphs = otf.getGlyphSet()
    assert glyphs["uni0041"].width == hmtx["uni0041"][0]
    assert hmtx["uni0041"][1] == constants.ASCII_SIDE_BEARING


def test_outer_contours_counter_clockwise_in_cff_clockwise_in_glyf(otf, ttf):
    for font, sign in ((otf, 1), (ttf, -1)):
        glyphs = font.getGlyphSet()
        for name in ("uni6C38", "uni7684", ".notdef", "uni02C7", "uni02C9"):
            pen = AreaPen(glyphs)
            glyphs[name].draw(pen)
            assert pen.value * sign > 0, (name, pen.value)


def test_os2_hhea_vhea_vorg(otf):
    os2 = otf["OS/2"]
    assert os2.fsType == 0
    assert os2.ulCodePageRange1 == (1 << 0) | (1 << 18)
    assert (os2.sTypoAscender, os2.sTypoDescender, os2.sTypoLineGap) == (880, -120, 0)
    assert (os2.usWinAscent, os2.usWinDescent) == (1160, 288)
    assert not os2.fsSelection & (1 << 7)  # USE_TYPO_METRICS off
    assert os2.ulUnicodeRange2 & (1 << (59 - 32))  # CJK Unified Ideographs, from the cmap
    hhea = otf["hhea"]
    assert (hhea.ascent, hhea.descent, hhea.lineGap) == (1160, -288, 0)
    assert otf["vmtx"]["uni6C38"][0] == 1000
    assert otf["VORG"].defaultVertOriginY == 880
    assert otf["vhea"].advanceHeightMax == 1000


def test_name_table_english_and_chinese_no_mac(otf):
    names = otf["name"].names
    assert all(n.platformID == 3 for n in names)  # fontbakery universal fails Mac records (no_mac_entries)
    english = {n.nameID for n in names if n.langID == 0x409}
    assert {0, 1, 2, 3, 4, 5, 6, 13} <= english  # 14 only for a licence with a URL
    assert otf["name"].getName(1, 3, 1, 0x804).toUnicode() == "测试手写"
    assert otf["name"].getName(1, 3, 1, 0x409).toUnicode() == "Test Hand"


def test_precomputed_bounds_match_fonttools_recalculation(otf, ttf, traced):
    cff = otf["CFF "].cff.topDictIndex[0]
    stored = list(cff.FontBBox)
    cff.recalcFontBBox()
    assert list(cff.FontBBox) == stored
    head = (otf["head"].xMin, otf["head"].yMin, otf["head"].xMax, otf["head"].yMax)
    assert head == tuple(stored)
    stored_maxp = (ttf["maxp"].maxPoints, ttf["maxp"].maxContours)
    stored_head = (ttf["head"].xMin, ttf["head"].yMin, ttf["head"].xMax, ttf["head"].yMax)
    ttf["maxp"].recalc(ttf)
    assert (ttf["maxp"].maxPoints, ttf["maxp"].maxContours) == stored_maxp
    assert (ttf["head"].xMin, ttf["head"].yMin, ttf["head"].xMax, ttf["head"].yMax) == stored_head
    glyf = ttf["glyf"]
    for name in ("uni6C38", "uni0041"):
        assert ttf["hmtx"][name][1] == glyf[name].xMin


def test_truetype_flavour_tables(ttf):
    assert "glyf" in ttf and "CFF " not in ttf and "VORG" not in ttf
    assert ttf["post"].formatType == 2.0
    assert "SCANCTRL" in ttf["prep"].program.getAssembly()[2]
    assert ttf["gasp"].gaspRange == {0xFFFF: 0x000F}
    glyph = ttf["glyf"]["uni6C38"]
    assert glyph.numberOfContours > 0
    assert not any(flag & 0x80 for flag in glyph.flags)  # no cubic points
    assert "vhea" in ttf and "vmtx" in ttf


def test_bare_outlines_are_accepted(traced):
    outlines = {ch: g.outline for ch, g in traced.items()}
    font = TTFont(io.BytesIO(build.compile_otf(outlines, INFO)))
    assert font.getBestCmap()[ord("永")] == "uni6C38"


def test_ps_name_is_ascii_only():
    assert build.FontInfo(family="My Hand 1").ps_name == "MyHand1-Regular"
    mixed = build.FontInfo(family="我的 Hand 1").ps_name
    assert mixed.startswith("Hand1") and mixed != build.FontInfo(family="你的 Hand 1").ps_name
    mine, yours = build.FontInfo(family="我的手写").ps_name, build.FontInfo(family="你的手写").ps_name
    assert mine.isascii() and mine.startswith("Font") and mine.endswith("-Regular") and mine != yours
    assert build.FontInfo(family="我的手写").ps_name == mine                  # stable: the same name, the same font


def test_chinese_family_compiles_in_both_flavours(traced):
    """CFF strings are bytes: a Chinese family used to crash the OTF build with UnicodeEncodeError."""
    info = build.FontInfo(family="小明手写")
    for data in (build.compile_otf(traced, info), build.compile_ttf(traced, info)):
        font = TTFont(io.BytesIO(data))
        names = {(r.nameID, r.langID): r.toUnicode() for r in font["name"].names}
        assert names[1, 0x409] == names[1, 0x804] == names[4, 0x409] == "小明手写"
        assert names[6, 0x409] == info.ps_name
        if "CFF " in font:
            assert font["CFF "].cff.fontNames == [info.ps_name]
        validate.sanitize(data)


def test_direct_charstring_decodes_to_the_outline(traced):
    from fontTools.cffLib import PrivateDict
    from fontTools.misc.psCharStrings import T2CharString
    from fontTools.pens.recordingPen import RecordingPen

    private = PrivateDict()
    private.defaultWidthX, private.nominalWidthX = 1000, 0
    for ch in "永我A":
        outline = traced[ch].outline
        want = RecordingPen()
        outline.draw(want)
        for width in (None, 432):
            cs = T2CharString(bytecode=cff.charstring_program(outline, width), private=private)
            got = RecordingPen()
            cs.draw(got)
            assert got.value == want.value
            assert cs.width == (width if width is not None else 1000)
    empty = T2CharString(bytecode=cff.charstring_program(vectorize.Outline(()), 250), private=private)
    empty.draw(RecordingPen())
    assert empty.width == 250


def bounds_pen(outline):
    from fontTools.misc.arrayTools import intRect
    from fontTools.pens.boundsPen import BoundsPen

    pen = BoundsPen(None)
    outline.draw(pen)
    return None if pen.bounds is None else intRect(pen.bounds)


def test_outline_bounds_agree_with_fonttools_bounds_pen(traced):
    import numpy as np

    for data in traced.values():
        assert glyphdata.outline_bounds(data.outline) == bounds_pen(data.outline)
    rng = np.random.default_rng(0)
    bulging = 0
    for _ in range(300):  # random cubics with control points far outside the on-curve points' box
        pts = rng.integers(-300, 1300, size=(rng.integers(1, 6), 3, 2))
        segs = tuple(tuple(int(v) for v in seg.ravel()) for seg in pts)
        outline = vectorize.Outline((((int(rng.integers(0, 1000)), int(rng.integers(0, 1000))), segs),))
        got = glyphdata.outline_bounds(outline)
        assert got == bounds_pen(outline)
        corners = [outline.contours[0][0]] + [s[-2:] for s in segs]
        bulging += got != (min(p[0] for p in corners), min(p[1] for p in corners),
                           max(p[0] for p in corners), max(p[1] for p in corners))
    assert bulging > 100  # the extrema path was exercised
    assert glyphdata.outline_bounds(vectorize.Outline(())) is None
