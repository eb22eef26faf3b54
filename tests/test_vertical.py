"""Vertical writing: vertical forms of the punctuation, vert/vrt2, vmtx/vhea/VORG, BASE, and a vertical
line shaped by HarfBuzz next to Noto Sans CJK SC (the template font)."""

import io
from functools import partial

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from fontgen import templates
from fontgen.font import build, validate, vectorize, vertical

PUNCTUATION = [c for c in vertical.SHIFTED + vertical.ROTATED if c != "—"]  # U+2014 is not in GB2312
CHARS = list("永和我你的是国") + PUNCTUATION + list("Ai")
LINE = "我，你。「和」（永）《国》…―！？——"  # U+2015, and U+2014 as Chinese text types the dash


def trace():
    tpl = templates.render(CHARS, size=64)
    frames = {c: vectorize.PixelFrame.content(64, tpl.placement[c]) for c in tpl.chars}
    return vectorize.trace_many(dict(zip(tpl.chars, tpl.ink)), frames, workers=1, progress=False,
                                finish=partial(build.prepare_glyphs, flavours=("otf", "ttf")))


@pytest.fixture(scope="module")
def fonts():
    traced, info = trace(), build.FontInfo("Test Hand")
    return {"otf": build.compile_otf(traced, info), "ttf": build.compile_ttf(traced, info)}


def noto() -> tuple[bytes, int]:
    face = templates.find_face()
    if "Noto Sans CJK SC" not in face.family:
        pytest.skip(f"template font is {face.family}, not Noto Sans CJK SC")
    return face.path.read_bytes(), face.index


def gsub_mapping(font: TTFont, tag: str) -> dict[str, str]:
    table = font["GSUB"].table
    lookups = {i for r in table.FeatureList.FeatureRecord if r.FeatureTag == tag for i in r.Feature.LookupListIndex}
    return {k: v for i in lookups for st in table.LookupList.Lookup[i].SubTable for k, v in st.mapping.items()}


@pytest.mark.parametrize("flavour", ["otf", "ttf"])
def test_vertical_tables(fonts, flavour):
    data = fonts[flavour]
    validate.sanitize(data)
    font = TTFont(io.BytesIO(data))
    order = font.getGlyphOrder()
    alternates = [n for n in order if n.endswith(".vert")]
    assert order[-len(alternates):] == alternates  # after every other glyph: their IDs do not move
    cmap = font.getBestCmap()
    assert cmap[0x2014] == cmap[0x2015]  # constants.CMAP_ALIASES: the dash as GB18030 decodes it
    want = {cmap[ord(c)]: cmap[ord(c)] + ".vert" for c in PUNCTUATION}
    assert gsub_mapping(font, "vert") == gsub_mapping(font, "vrt2") == want
    assert set(font["vmtx"].metrics) == set(order)
    assert {font["vmtx"][n][0] for n in order} == {1000}
    assert ("VORG" in font) == (flavour == "otf")
    base = font["BASE"].table
    for axis in (base.HorizAxis, base.VertAxis):
        tags = axis.BaseTagList.BaselineTag
        assert tags == ["icfb", "icft", "ideo", "romn"]
        coords = {r.BaseScriptTag: dict(zip(tags, (c.Coordinate for c in r.BaseScript.BaseValues.BaseCoord)))
                  for r in axis.BaseScriptList.BaseScriptRecord}
        assert set(coords) == {"DFLT", "hani", "latn"}
    horizontal = {r.BaseScriptTag: r.BaseScript.BaseValues for r in base.HorizAxis.BaseScriptList.BaseScriptRecord}
    values = [c.Coordinate for c in horizontal["hani"].BaseCoord]
    assert values[2:] == [-120, 0] and -120 < values[0] < 0 < 700 < values[1] < 880  # ICF inside the em box
    assert tags[horizontal["hani"].DefaultIndex] == "ideo" and tags[horizontal["latn"].DefaultIndex] == "romn"


def test_no_punctuation_no_gsub():
    outline = vectorize.Outline((((100, 0), ((900, 0), (900, 800), (100, 800))),))
    font = TTFont(io.BytesIO(build.compile_otf({"A": outline}, build.FontInfo("Test Hand"))))
    assert "GSUB" not in font and not any(n.endswith(".vert") for n in font.getGlyphOrder())
    assert font["BASE"].table.HorizAxis.BaseTagList.BaselineTag == ["ideo", "romn"]  # no ideographs: no ICF


def shape(data: bytes, index: int = 0, direction: str = "ttb", text: str = LINE,
          features: dict | None = None) -> list[tuple[int, int, int, int, int]]:
    """(glyph id, x advance, y advance, x offset, y offset) of `text` shaped by HarfBuzz."""
    hb = pytest.importorskip("uharfbuzz", reason="uharfbuzz not installed (pip install -e '.[dev]')")
    font = hb.Font(hb.Face(hb.Blob(data), index))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.direction = direction
    hb.shape(font, buf, features or {})
    return [(i.codepoint, p.x_advance, p.y_advance, p.x_offset, p.y_offset)
            for i, p in zip(buf.glyph_infos, buf.glyph_positions)]


@pytest.mark.parametrize("flavour", ["otf", "ttf"])
def test_harfbuzz_vertical_line_like_noto(fonts, flavour):
    """Shaped top to bottom, every glyph advances one em down from the same origin, and the punctuation
    takes its vertical form: the same characters Noto Sans CJK SC substitutes, with the same positions."""
    def substituted(data, index=0):
        return "".join(c for c, h, v in zip(LINE, shape(data, index, "ltr"), shape(data, index)) if h[0] != v[0])

    ours, (noto_data, noto_index) = fonts[flavour], noto()
    assert substituted(ours) == substituted(noto_data, noto_index) + "——" == "，。「」（）《》…―！？——"
    assert {p[1:] for p in shape(ours)} == {(0, -1000, -500, -880)}
    assert {p[1:] for p in shape(noto_data, noto_index)[:-2]} == {(0, -1000, -500, -880)}  # Noto's U+2014: 894 wide


def test_vertical_forms_follow_noto():
    """Our rules applied to Noto's own horizontal glyphs land where Noto puts its vertical forms (box edges,
    font units): rotated within 1 (corner brackets 50), corner marks within 15, the marks beside the edge 75."""
    data, index = noto()
    font = TTFont(io.BytesIO(data), fontNumber=index)
    glyphs, cmap, vert = font.getGlyphSet(), font.getBestCmap(), gsub_mapping(font, "vert")

    def box(name):
        pen = BoundsPen(glyphs)
        glyphs[name].draw(pen)
        return pen.bounds

    for ch in PUNCTUATION:
        name = cmap[ord(ch)]
        x0, y0, x1, y1 = box(name)
        corners = vertical.rotated(vectorize.Outline(((
            (round(x0), round(y0)), ((round(x1), round(y1)),)),))).contours[0]
        if ch in vertical.SHIFTED:
            ours = vertical.shifted(vectorize.Outline((((round(x0), round(y0)), ((round(x1), round(y1)),)),)),
                                    (round(x0), round(y0), round(x1), round(y1)), ch in vertical.CORNER).contours[0]
            tolerance = 15 if ch in vertical.CORNER else 75
        else:
            ours, tolerance = corners, 50 if ch in "「」『』" else 1  # Noto's vertical corner brackets have longer arms
        (ax, ay), ((bx, by),) = ours
        want = box(vert[name])
        got = (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
        if ch in "‘’“”":  # Noto draws its vertical quotes anew (straight, 〝〞-like): same end of the em only
            assert (got[1] + got[3] < 2 * vertical.CENTRE_Y) == (want[1] + want[3] < 2 * vertical.CENTRE_Y), ch
            continue
        assert max(abs(g - w) for g, w in zip(got, want)) <= tolerance, (ch, got, want)


def test_other_glyphs_keep_their_ids_and_programs(fonts, monkeypatch):
    """The vertical forms only add glyphs: every other glyph's charstring and glyf record stay byte for byte."""
    with_forms = {f: TTFont(io.BytesIO(d)) for f, d in fonts.items()}
    monkeypatch.setattr(vertical, "vertical_alternates", lambda *args: [])
    traced, info = trace(), build.FontInfo("Test Hand")
    otf = TTFont(io.BytesIO(build.compile_otf(traced, info)))
    ttf = TTFont(io.BytesIO(build.compile_ttf(traced, info)))
    order = otf.getGlyphOrder()
    assert with_forms["otf"].getGlyphOrder()[:len(order)] == order
    theirs, ours = otf["CFF "].cff.topDictIndex[0].CharStrings, with_forms["otf"]["CFF "].cff.topDictIndex[0].CharStrings
    for name in order:
        theirs[name].compile()
        ours[name].compile()
        assert theirs[name].bytecode == ours[name].bytecode, name
        assert ttf["glyf"][name].compile(ttf["glyf"]) == with_forms["ttf"]["glyf"][name].compile(with_forms["ttf"]["glyf"])
