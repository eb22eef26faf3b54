"""Outline topology: the comparison finds exactly the specks, breaks and merges a rendering adds,
in C and in numpy alike; build checks report them; stroke separation at 24/96 px and the
`check-outlines` command."""

import json
import logging
from functools import partial

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageFont

from fontgen import charsets, templates
from fontgen.font import build, factory, topology, validate, vectorize
from fontgen.quality import outlinecheck
from clicheck import assert_one_line_error
from fontgen.cli import cli

SIDE = 128
NOT_BUILT = "fontgen.font._topology not built (no C compiler at install)"
needs_native = pytest.mark.skipif(topology._native is None, reason=NOT_BUILT)


@pytest.fixture(params=["native", "numpy"])
def comparison(request, monkeypatch):
    """Runs the test on the C comparison and on the numpy one."""
    if request.param == "native" and topology._native is None:
        pytest.skip(NOT_BUILT)
    if request.param == "numpy":
        monkeypatch.setattr(topology, "_native", None)
    return request.param


def glyph() -> np.ndarray:
    """A ring (one component, one hole) and two bars: three components, one hole."""
    g = np.zeros((SIDE, SIDE), np.uint8)
    cv2.rectangle(g, (20, 20), (60, 60), 255, 6)
    cv2.line(g, (75, 40), (115, 40), 255, 6)
    cv2.line(g, (75, 90), (115, 90), 255, 6)
    return g


def faults(diff: topology.TopologyDiff) -> dict[str, int]:
    return {kind: len(areas) for kind, areas in diff.as_dict().items()}


def test_topology_counts_components_and_holes():
    topo = topology.topology(glyph())
    assert (topo.components, topo.holes) == (3, 1)
    assert topo.hole_areas == (33 * 33,)


def test_clean_rendering_has_no_faults(comparison):
    g = glyph()
    soft = cv2.GaussianBlur(g, (0, 0), 1.0)  # anti-aliased edges, same shapes
    assert not topology.compare(g, soft)
    assert not topology.compare(g, np.roll(g, 1, axis=1))


def test_speck_is_found(comparison):
    g = glyph()
    specked = g.copy()
    cv2.circle(specked, (95, 115), 3, 255, -1)
    diff = topology.compare(g, specked)
    assert faults(diff) == {"specks": 1} and diff.has_specks and not diff.is_broken


def test_crumbs_below_the_minimum_area_do_not_count(comparison):
    g = glyph()
    crumb = g.copy()
    crumb[110, 100] = 255  # one pixel: under min_area(128) = 3
    assert topology.min_area(SIDE) == 3
    assert not topology.compare(g, crumb)


def test_broken_stroke_is_found(comparison):
    g = glyph()
    cut = g.copy()
    cut[30:50, 92:97] = 0  # a gap through the upper bar
    diff = topology.compare(g, cut)
    assert faults(diff) == {"broken": 1} and diff.is_broken
    assert diff.broken[0] == int(topology.topology(g).component_areas[1])  # the upper bar's area


def test_filled_hole_is_a_merge(comparison):
    g = glyph()
    filled = g.copy()
    cv2.rectangle(filled, (20, 20), (60, 60), 255, -1)
    diff = topology.compare(g, filled)
    assert faults(diff) == {"filled_holes": 1} and diff.is_merged and diff.filled_holes == (33 * 33,)


def test_opened_ring_is_a_break_not_a_merge(comparison):
    g = glyph()
    opened = g.copy()
    opened[36:44, 16:25] = 0
    diff = topology.compare(g, opened)
    assert faults(diff) == {"opened_holes": 1} and diff.is_broken and not diff.is_merged


def test_regions_are_matched_by_overlap_not_by_count(comparison):
    """One bar gone, a blob elsewhere: three components either way, but two faults."""
    g = glyph()
    swapped = g.copy()
    swapped[85:96, 70:120] = 0
    cv2.circle(swapped, (40, 105), 6, 255, -1)
    assert topology.topology(swapped).components == topology.topology(g).components
    assert faults(topology.compare(g, swapped)) == {"lost": 1, "specks": 1}


def test_joined_strokes_and_new_hole(comparison):
    g = glyph()
    bridged = g.copy()
    cv2.line(bridged, (95, 40), (95, 90), 255, 6)  # joins the bars: an H, no new counter
    assert faults(topology.compare(g, bridged)) == {"joined": 1}
    closed = bridged.copy()
    cv2.line(closed, (75, 40), (75, 90), 255, 6)  # a second bridge encloses paper
    assert faults(topology.compare(g, closed)) == {"joined": 1, "new_holes": 1}


def test_near_threshold_bridge_is_not_a_fault(comparison):
    """A bridge a few grey levels over the threshold is within the margin; a solid one is a join."""
    g = glyph()
    faint = g.copy()
    faint[40:90, 93:97] = np.maximum(faint[40:90, 93:97], 140)
    assert not topology.compare(g, faint)
    assert faults(topology.compare(g, faint, margin=0)) == {"joined": 1}
    grey, pinhole = g.copy(), g.copy()
    grey[39:42, 90:93] = 150  # lighter inside the bar, still ink when read at 128
    pinhole[39:42, 90:93] = 0
    assert not topology.compare(g, grey)
    assert faults(topology.compare(g, pinhole)) == {"new_holes": 1}


def test_downsampled_comparison_still_sees_the_break(comparison):
    big = cv2.resize(glyph(), (256, 256), interpolation=cv2.INTER_NEAREST)
    cut = big.copy()
    cut[60:100, 184:194] = 0
    assert faults(topology.compare(big, cut, max_px=128)) == {"broken": 1}


@pytest.fixture(scope="module")
def noto_font():
    tpl = templates.render(list("永和我你的是国爱"), size=64)
    glyphs = dict(zip(tpl.chars, tpl.ink))
    frames = {c: vectorize.PixelFrame.content(64, tpl.placement[c]) for c in tpl.chars}
    traced = vectorize.trace_many(glyphs, frames, workers=1, progress=False,
                                  finish=partial(build.prepare_glyphs, flavours=("otf",)))
    return glyphs, frames, build.compile_otf(traced)


def test_check_font_on_noto_glyphs_reports_no_faults(noto_font, comparison):
    glyphs, frames, otf = noto_font
    report = validate.check_font(otf, glyphs, frames, workers=1, progress=False)
    assert report.outline_counts() == {"specks": 0, "broken": 0, "merged": 0, "lost": 0, "new_holes": 0}
    assert report.outline_faults == {}


def test_check_font_reports_a_speck_without_failing(noto_font, comparison):
    """The source has a blob the font lacks: reported as lost ink, and the font still passes."""
    glyphs, frames, otf = noto_font
    blotted = dict(glyphs)
    blotted["永"] = glyphs["永"].copy()
    cv2.circle(blotted["永"], (8, 10), 3, 255, -1)  # paper in 永
    report = validate.check_font(otf, blotted, frames, workers=1, progress=False)
    assert report.failures == [] and report.iou["永"] > 0.8
    assert list(report.outline_faults) == ["永"] and len(report.outline_faults["永"].lost) == 1
    assert report.outline_counts()["lost"] == 1 and report.outline_glyphs("lost") == ["永"]


def test_noto_keeps_its_strokes_apart_at_96_px():
    result = outlinecheck.separation(templates.find_face(), "醒", sizes=(24, 96))["醒"]
    assert result[96].ratio >= 0.9
    assert result[96].ref_holes >= 6  # 酉 and 星 have counters: the measurement sees them
    assert 0.0 <= result[24].ratio <= 1.0


def test_separation_ratio():
    s = outlinecheck.Separation(24, components=3, holes=4, ref_components=4, ref_holes=6)
    assert not s.kept and s.ratio == pytest.approx(1 - 3 / 10)
    assert outlinecheck.Separation(96, 2, 3, 2, 3).kept


def test_complex_chars_from_stroke_files(tmp_path, caplog):
    folder = tmp_path / "strokes"
    folder.mkdir()
    pool = charsets.gb2312_level1()[:400]
    for i, ch in enumerate(pool):
        (folder / f"{ch}.json").write_text(json.dumps({"strokes": ["M"] * (10 + i % 10)}), encoding="utf-8")
    picked = outlinecheck.complex_chars("醒", 12, folder=folder)
    assert picked[0] == "醒" and len(picked) == 12
    assert all(outlinecheck.stroke_count(folder, ch) >= 15 for ch in picked[1:])
    assert picked == outlinecheck.complex_chars("醒", 12, folder=folder)  # fixed seed
    with caplog.at_level(logging.WARNING):
        assert outlinecheck.complex_chars("醒蠢", 12, folder=None) == ["醒", "蠢"]
    assert "no stroke data" in caplog.text


@pytest.fixture(scope="module")
def small_font(tmp_path_factory):
    """The five named characters (and 永) from Noto at 128 px, built into a font by the pipeline."""
    root = tmp_path_factory.mktemp("outlines")
    tpl = templates.render(list(outlinecheck.NAMED + "永"), size=128)
    report = factory.build_font(dict(zip(tpl.chars, tpl.ink)), root / "Small.otf", placements=tpl.placement,
                                workers=1, progress=False)
    assert "glyphs with outline faults: 0 specks, 0 broken" in report.summary()
    return root / "Small.otf"


def run(*args):
    return CliRunner().invoke(cli, ["check-outlines", *map(str, args)])


def test_cli_writes_json_and_sheet_and_refuses_to_overwrite(small_font, tmp_path):
    out_json, out_png = tmp_path / "o.json", tmp_path / "o.png"
    result = run(small_font, "--sample", 5, "--json", out_json, "--sheet", out_png)
    assert result.exit_code == 0, result.output
    assert "24px" in result.output and "96px" in result.output and "Noto Sans CJK SC" in result.output
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert data["chars"] == outlinecheck.NAMED
    assert set(data["font_chars"]["醒"]) == {"24", "96"} and data["summary"]["reference"]["96"]["chars"] == 5
    points = data["points"]  # every mapped glyph's outline points (the 6 characters, spaces), 5 of them checked
    assert points["font"]["glyphs"] >= 6 and points["font_checked"]["glyphs"] == 5
    assert points["font"]["max"] >= points["font"]["mean"] > 20 and points["font"]["max_char"] in "醒蠢戴赢豁永"
    assert points["reference_checked"]["glyphs"] == 5 and points["reference_checked"]["mean"] > 20
    assert "outline points per glyph" in result.output
    with Image.open(out_png) as img:
        assert img.width > 500 and img.height > 200
    before = out_json.read_bytes(), out_png.read_bytes()
    assert_one_line_error(run(small_font, "--sample", 5, "--json", out_json), "exists", "--force")
    assert_one_line_error(run(small_font, "--sample", 5, "--sheet", out_png), "exists", "--force")
    assert (out_json.read_bytes(), out_png.read_bytes()) == before
    forced = run(small_font, "--chars", "醒永", "--sample", 2, "--json", out_json, "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(out_json.read_text(encoding="utf-8"))["chars"] == "醒永"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.json", "o.png"]  # no temp files left


def test_cli_bad_inputs(small_font, tmp_path):
    assert_one_line_error(run(tmp_path / "none.otf"), "not found")
    garbage = tmp_path / "bad.otf"
    garbage.write_bytes(b"OTTO" + bytes(200))
    assert_one_line_error(run(garbage))
    assert_one_line_error(run(small_font, "--chars", "龍"), "no glyph for 龍")
    assert_one_line_error(run(small_font, "--json", tmp_path / "o.txt"), ".json")
    assert not (tmp_path / "o.txt").exists()


def test_help_has_an_example():
    result = CliRunner().invoke(cli, ["check-outlines", "--help"])
    assert result.exit_code == 0 and "fontgen check-outlines MyHand.otf" in result.output


def test_compare_many_gives_each_renderings_own_result(comparison):
    """One source against several renderings: each result is `compare`'s, shared labels or not."""
    g = glyph()
    specked, broken = g.copy(), g.copy()
    cv2.circle(specked, (95, 115), 3, 255, -1)
    broken[30:50, 90:96] = 0
    far = np.zeros_like(g)
    far[0:4, 120:128] = 255  # ink at the map's corner: the shared window must reach it
    renderings = [specked, g, broken, specked.copy(), far, cv2.GaussianBlur(g, (0, 0), 1.0)]
    assert topology.compare_many(g, renderings) == [topology.compare(g, r) for r in renderings]
    assert topology.compare_many(g, renderings, max_px=64) == [topology.compare(g, r, max_px=64) for r in renderings]


def test_speckled_maps_match_without_a_table_of_every_pair(monkeypatch):
    """Noise has thousands of regions: the numpy path marks the pairs present instead, with the same result."""
    monkeypatch.setattr(topology, "_native", None)
    rng = np.random.default_rng(0)
    noise = (rng.random((128, 128)) < 0.45).astype(np.uint8) * 255
    other = np.where(rng.random((128, 128)) < 0.1, 255 - noise, noise).astype(np.uint8)
    sparse = topology.compare(noise, other)
    assert sparse  # noise against changed noise: faults of several kinds
    monkeypatch.setattr(topology, "DENSE_PAIRS", 10**9)
    assert topology.compare(noise, other) == sparse


def test_areas_are_listed_smallest_first(comparison):
    """Both paths sort each fault's areas (the numpy labels number regions top to bottom, the C ones need not)."""
    g = glyph()
    specked = g.copy()
    for (x, y), r in (((100, 5), 4), ((10, 100), 1), ((60, 110), 2)):  # largest first in raster order
        cv2.circle(specked, (x, y), r, 255, -1)
    areas = topology.compare(g, specked).specks
    assert len(areas) == 3 and list(areas) == sorted(areas) and areas[0] < areas[-1]


def native_and_numpy(source, renderings, **kwargs):
    native = topology.compare_many(source, renderings, **kwargs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(topology, "_native", None)
        return native, topology.compare_many(source, renderings, **kwargs)


def changed(rng: np.random.Generator, g: np.ndarray) -> list[np.ndarray]:
    """Renderings of `g` that keep, move, thin, thicken, soften, speckle or replace its ink."""
    k = np.ones((2, 2), np.uint8)
    flipped = np.where(rng.random(g.shape) < 0.05, 255 - g, g).astype(np.uint8)
    return [g.copy(), np.roll(g, 1, axis=1), cv2.erode(g, k), cv2.dilate(g, k), cv2.GaussianBlur(g, (0, 0), 1.0),
            flipped, np.zeros_like(g), np.roll(g, -2, axis=0), flipped]


def blobs(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Rings and discs of any grey, many crossing the map's edge."""
    g = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 12))):
        centre = (int(rng.integers(-4, w + 4)), int(rng.integers(-4, h + 4)))
        cv2.circle(g, centre, int(rng.integers(1, max(2, min(h, w) // 3))), int(rng.integers(60, 256)),
                   int(rng.choice([-1, 1, 2, 3])))
    return cv2.GaussianBlur(g, (0, 0), 0.8) if rng.random() < 0.5 else g


@needs_native
def test_native_equals_numpy_on_random_maps():
    """Speckle with thousands of regions, blank and solid maps, ink over every edge, maps one pixel wide
    or of odd widths (the C code reads 16, 8 and 1 pixels at a time), large maps: the same faults."""
    rng = np.random.default_rng(7)
    dots = np.full((128, 128), 255, np.uint8)  # one-pixel specks on the left, one-pixel pinholes on the right
    dots[:, :64] = 0
    dots[::2, :64:2] = (rng.random((64, 32)) < 0.8) * 255
    dots[::2, 64::2] = (rng.random((64, 32)) < 0.2) * 255
    assert topology.Labels.of(dots >= 96).n > 3000
    native, reference = native_and_numpy(dots, changed(rng, dots), side=24)  # where every pixel counts
    assert native == reference and sum(map(bool, reference)) >= 6
    speckle = (rng.random((128, 128)) < 0.45).astype(np.uint8) * 255
    sources = [speckle, rng.integers(0, 256, (97, 120), dtype=np.uint8), np.zeros((64, 64), np.uint8),
               np.full((64, 64), 255, np.uint8), np.full((40, 57), 128, np.uint8),
               rng.integers(0, 256, (1, 97), dtype=np.uint8), rng.integers(0, 256, (83, 1), dtype=np.uint8),
               np.full((1, 1), 200, np.uint8), blobs(rng, 300, 257)]
    sources += [blobs(rng, int(rng.integers(2, 150)), int(rng.integers(2, 150))) for _ in range(60)]
    sources += [rng.choice(np.array([95, 96, 159, 160], np.uint8), (60, w)) for w in (13, 29, 95)]  # at the thresholds
    settings = [{}, {"margin": 0}, {"threshold": 200, "margin": 40}, {"max_px": 48}, {"side": 256}]
    faulty = 0
    for i, g in enumerate(sources):
        kwargs = settings[i % len(settings)]
        native, reference = native_and_numpy(g, changed(rng, g), **kwargs)
        assert native == reference, (i, g.shape, kwargs)
        faulty += sum(map(bool, reference))
    assert faulty > 150  # the maps do change: most renderings have faults to agree on
    native, reference = native_and_numpy(speckle.T, [np.roll(speckle, 1, axis=0).T])  # not C-contiguous
    assert native == reference and reference[0]


@needs_native
def test_native_equals_numpy_on_real_glyphs():
    """Noto Sans CJK glyphs at 128 px against moved, thinned, thickened and softened copies of themselves."""
    face = templates.find_face()
    font = ImageFont.truetype(str(face.path), 64, index=face.index)
    rng = np.random.default_rng(3)
    faulty = 0
    for i, ch in enumerate(charsets.gb2312_level1()[::12]):
        g = templates.render_ink(font, ch)[0]
        native, reference = native_and_numpy(g, changed(rng, g)[1:6], max_px=None if i % 4 else 64)
        assert native == reference, ch
        faulty += sum(map(bool, reference))
    assert i >= 300 and faulty > 300


@needs_native
@pytest.mark.parametrize("args, error", [
    ((np.zeros((8, 8), np.float32), []), ValueError),  # not uint8
    ((np.zeros((8, 8), np.int8), []), ValueError),
    ((np.zeros((2, 8, 8), np.uint8), []), ValueError),  # not 2-D
    ((b"bytes", []), ValueError),
    ((np.asfortranarray(np.zeros((8, 4), np.uint8)), []), ValueError),  # not C-contiguous
    ((np.zeros((8, 8), np.uint8), [np.zeros((8, 9), np.uint8)]), ValueError),  # shapes differ
    ((np.zeros((8, 8), np.uint8), 5), TypeError),  # not a sequence
    ((None, []), TypeError),
])
def test_native_refuses_maps_it_cannot_read(args, error):
    with pytest.raises(error):
        topology._native.compare(*args, 96, 160, 3)


@needs_native
def test_native_refuses_thresholds_out_of_range():
    g = glyph()
    for bold, thin in ((0, 160), (160, 96), (96, 256)):
        with pytest.raises(ValueError, match="thresholds"):
            topology._native.compare(g, [g], bold, thin, 3)
