"""Half-width punctuation spacing (GPOS halt/vhal, chws/vchw): the sides read from the ink agree with
Noto Sans CJK SC's own halt/vhal, and HarfBuzz lays out the built font as CLREQ asks."""

import io
from functools import partial

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from fontgen import templates
from fontgen.font import build, spacing, vectorize, vertical
from fontgen.font.constants import TYPO_ASCENDER

from test_vertical import gsub_mapping, noto, shape as hb_shape

CHARS = list("永和我你的是国") + list(spacing.PUNCTUATION)


@pytest.fixture(scope="module")
def fonts():
    tpl = templates.render(CHARS, size=64)
    frames = {c: vectorize.PixelFrame.content(64, tpl.placement[c]) for c in tpl.chars}
    traced = vectorize.trace_many(dict(zip(tpl.chars, tpl.ink)), frames, workers=1, progress=False,
                                  finish=partial(build.prepare_glyphs, flavours=("otf", "ttf")))
    info = build.FontInfo("Test Hand")
    return {"otf": build.compile_otf(traced, info), "ttf": build.compile_ttf(traced, info)}


def test_sides_read_from_noto_ink_give_notos_own_halt_and_vhal():
    data, index = noto()
    font = TTFont(io.BytesIO(data), fontNumber=index)
    glyphs, cmap, vert = font.getGlyphSet(), font.getBestCmap(), gsub_mapping(font, "vert")
    gpos = font["GPOS"].table
    theirs = {}
    for feature in gpos.FeatureList.FeatureRecord:
        for i in feature.Feature.LookupListIndex:
            for st in gpos.LookupList.Lookup[i].SubTable:
                if feature.FeatureTag in ("halt", "vhal") and st.LookupType == 1:
                    for k, name in enumerate(st.Coverage.glyphs):
                        v = st.Value[k] if st.Format == 2 else st.Value
                        theirs[feature.FeatureTag, name] = tuple(
                            getattr(v, a, 0) for a in ("XPlacement", "YPlacement", "XAdvance", "YAdvance"))

    def box(name):
        pen = BoundsPen(glyphs)
        glyphs[name].draw(pen)
        return pen.bounds

    for ch in spacing.PUNCTUATION:
        name = cmap[ord(ch)]
        x0, _, x1, _ = box(name)
        side = spacing.blank_side(x0, x1, 0, 1000)
        assert side and spacing.value_records(False)[side] == theirs["halt", name], ch
        upright = vert.get(name, name)
        _, y0, _, y1 = box(upright)
        side = spacing.blank_side(TYPO_ASCENDER - y1, TYPO_ASCENDER - y0, 0, 1000)
        want = theirs.get(("vhal", upright))
        assert (spacing.value_records(True)[side] if side else None) == want, ch


def test_blank_side():
    assert spacing.blank_side(40, 350, 0, 1000) == spacing.TRAILING     # 。 in the lower left
    assert spacing.blank_side(650, 966, 0, 1000) == spacing.LEADING     # 「
    assert spacing.blank_side(394, 606, 0, 1000) == spacing.MIDDLE      # ·
    assert spacing.blank_side(200, 800, 0, 1000) is None                # a wide, centred hand-drawn mark
    assert spacing.blank_side(-10, 480, 0, 1000) is None                # ink out of the em


def shape(data: bytes, text: str, features: dict, direction: str = "ltr"):
    return hb_shape(data, 0, direction, text, features)


@pytest.mark.parametrize("flavour", ["otf", "ttf"])
def test_chws_takes_half_of_a_doubled_blank(fonts, flavour):
    data = fonts[flavour]
    line = "我。「和」（永）「「的！」"
    plain = shape(data, line, {})
    assert [g[1] for g in plain] == [1000] * len(line)
    got = [(g[1], g[3]) for g in shape(data, line, {"chws": True})]
    # 。「 」（ ）「: the first one's trailing blank goes; 「「: the second's leading one; ！ stays full
    assert got == [(1000, 0), (500, 0), (1000, 0), (1000, 0), (500, 0), (1000, 0), (1000, 0), (500, 0),
                   (1000, 0), (500, -500), (1000, 0), (1000, 0), (1000, 0)]
    down = shape(data, line, {"vchw": True}, "ttb")
    assert [g[2] for g in down] == [-1000, -500, -1000, -1000, -500, -1000, -1000, -500, -1000, -500, -1000,
                                        -1000, -1000]
    assert [g[4] - down[0][4] for g in down][9] == 500  # the second 「 moves up into its own blank


@pytest.mark.parametrize("flavour", ["otf", "ttf"])
def test_halt_and_vhal_keep_the_ink_inside_the_half_em(fonts, flavour):
    data = fonts[flavour]
    font = TTFont(io.BytesIO(data))
    glyphs, order = font.getGlyphSet(), font.getGlyphOrder()

    def box(gid):
        pen = BoundsPen(glyphs)
        glyphs[order[gid]].draw(pen)
        return pen.bounds

    text = spacing.PUNCTUATION
    for gid, advance, _, x_offset, _ in shape(data, text, {"halt": True}):
        x0, _, x1, _ = box(gid)
        assert advance == 500 and 0 <= x0 + x_offset and x1 + x_offset <= advance, order[gid]
    # upright, ：；！？ sit in the right half, centred in height (vertical.BESIDE): nothing to halve
    for ch, (gid, _, advance, _, y_offset) in zip(text, shape(data, text, {"vhal": True}, "ttb")):
        _, y0, _, y1 = box(gid)
        if ch in vertical.BESIDE:
            assert advance == -1000, ch
        else:
            assert advance == -500 and y1 + y_offset <= 0 and y0 + y_offset >= advance, ch


def test_a_mark_drawn_across_the_middle_stays_full_width():
    wide = vectorize.Outline((((200, 0), ((800, 0), (800, 300), (200, 300))),))
    narrow = vectorize.Outline((((50, 0), ((350, 0), (350, 300), (50, 300))),))
    data = build.compile_otf({"。": wide, "，": narrow}, build.FontInfo("Test Hand"))
    assert [g[1] for g in shape(data, "。，。", {"halt": True})] == [1000, 500, 1000]
