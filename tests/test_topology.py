"""Outline topology: the comparison finds exactly the specks, breaks and merges a rendering adds;
build checks report them; stroke separation at 24/96 px and the `check-outlines` command."""

import json
import logging
from functools import partial

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from fontgen import charsets, templates
from fontgen.font import build, factory, topology, validate, vectorize
from fontgen.quality import outlinecheck
from clicheck import assert_one_line_error
from fontgen.cli import cli

SIDE = 128


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


def test_clean_rendering_has_no_faults():
    g = glyph()
    soft = cv2.GaussianBlur(g, (0, 0), 1.0)  # anti-aliased edges, same shapes
    assert not topology.compare(g, soft)
    assert not topology.compare(g, np.roll(g, 1, axis=1))


def test_speck_is_found():
    g = glyph()
    specked = g.copy()
    cv2.circle(specked, (95, 115), 3, 255, -1)
    diff = topology.compare(g, specked)
    assert faults(diff) == {"specks": 1} and diff.has_specks and not diff.is_broken


def test_crumbs_below_the_minimum_area_do_not_count():
    g = glyph()
    crumb = g.copy()
    crumb[110, 100] = 255  # one pixel: under min_area(128) = 3
    assert topology.min_area(SIDE) == 3
    assert not topology.compare(g, crumb)


def test_broken_stroke_is_found():
    g = glyph()
    cut = g.copy()
    cut[30:50, 92:97] = 0  # a gap through the upper bar
    diff = topology.compare(g, cut)
    assert faults(diff) == {"broken": 1} and diff.is_broken
    assert diff.broken[0] == int(topology.topology(g).component_areas[1])  # the upper bar's area


def test_filled_hole_is_a_merge():
    g = glyph()
    filled = g.copy()
    cv2.rectangle(filled, (20, 20), (60, 60), 255, -1)
    diff = topology.compare(g, filled)
    assert faults(diff) == {"filled_holes": 1} and diff.is_merged and diff.filled_holes == (33 * 33,)


def test_opened_ring_is_a_break_not_a_merge():
    g = glyph()
    opened = g.copy()
    opened[36:44, 16:25] = 0
    diff = topology.compare(g, opened)
    assert faults(diff) == {"opened_holes": 1} and diff.is_broken and not diff.is_merged


def test_regions_are_matched_by_overlap_not_by_count():
    """One bar gone, a blob elsewhere: three components either way, but two faults."""
    g = glyph()
    swapped = g.copy()
    swapped[85:96, 70:120] = 0
    cv2.circle(swapped, (40, 105), 6, 255, -1)
    assert topology.topology(swapped).components == topology.topology(g).components
    assert faults(topology.compare(g, swapped)) == {"lost": 1, "specks": 1}


def test_joined_strokes_and_new_hole():
    g = glyph()
    bridged = g.copy()
    cv2.line(bridged, (95, 40), (95, 90), 255, 6)  # joins the bars: an H, no new counter
    assert faults(topology.compare(g, bridged)) == {"joined": 1}
    closed = bridged.copy()
    cv2.line(closed, (75, 40), (75, 90), 255, 6)  # a second bridge encloses paper
    assert faults(topology.compare(g, closed)) == {"joined": 1, "new_holes": 1}


def test_near_threshold_bridge_is_not_a_fault():
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


def test_downsampled_comparison_still_sees_the_break():
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


def test_check_font_on_noto_glyphs_reports_no_faults(noto_font):
    glyphs, frames, otf = noto_font
    report = validate.check_font(otf, glyphs, frames, workers=1, progress=False)
    assert report.outline_counts() == {"specks": 0, "broken": 0, "merged": 0, "lost": 0, "new_holes": 0}
    assert report.outline_faults == {}


def test_check_font_reports_a_speck_without_failing(noto_font):
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


def test_compare_many_gives_each_renderings_own_result():
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
    """Noise has thousands of regions: the pairs present are marked instead, with the same result."""
    rng = np.random.default_rng(0)
    noise = (rng.random((128, 128)) < 0.45).astype(np.uint8) * 255
    other = np.where(rng.random((128, 128)) < 0.1, 255 - noise, noise).astype(np.uint8)
    sparse = topology.compare(noise, other)
    assert sparse  # noise against changed noise: faults of several kinds
    monkeypatch.setattr(topology, "DENSE_PAIRS", 10**9)
    assert topology.compare(noise, other) == sparse
