"""Dataset builder: a small build from the installed Noto CJK faces (+ pen writers when the stroke
data is fetched) has the fixed layout and manifest, a writer-disjoint split, and no blank glyph."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from fontgen import charsets, dataset_layout
from fontgen.cli import cli
from fontgen.errors import InputError
from training.data import build, fontwriters, penwriters, sources

SIZE = 48
STROKES = sources.strokes_dir(sources.cache_dir())
PEN_WRITERS = 3 if STROKES else 0
if not STROKES:
    warnings.warn("hanzi-writer-data is not fetched: the small build has NO synthetic pen writers "
                  "(run `fontgen data fetch --only hanzi-writer-data`)")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict, list[str]]:
    tmp = tmp_path_factory.mktemp("data")
    chars = list(charsets.gb2312_level1()[::75] + charsets.gb2312_level2()[::75])  # ~90, both levels
    charset = tmp / "chars.txt"
    charset.write_text("".join(chars), encoding="utf-8")
    out = tmp / "ds"
    manifest = build.build(out, size=SIZE, charset=str(charset), synthetic=PEN_WRITERS, seed=3,
                           fonts="noto-sans-sc,noto-serif-sc", workers=1)
    return out, manifest, chars


def test_layout_and_manifest(small):
    out, manifest, chars = small
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "script", "template", "test"]
    assert manifest["format"] == 1 and manifest["size"] == SIZE and manifest["margin"] == 3
    assert manifest["template"]["family"] == "Noto Sans CJK SC" and manifest["template"]["package"] == "fonts-noto-cjk"
    assert sorted(p.stem for p in (out / "template").glob("*.png")) == sorted(chars)
    for writer in manifest["writers"]:
        folder = out / dataset_layout.SPLIT_DIRS[writer["split"]] / writer["name"]
        files = list(folder.glob("*.png"))
        assert writer["coverage"] == len(files) > 0
        assert {p.stem for p in files} <= set(chars)
        if writer["kind"] == "font":
            assert writer["source"]["package"] == "fonts-noto-cjk" and writer["source"]["licence"]
            assert writer["source"]["version"] and writer["source"]["face"].startswith("Noto S")
        else:
            assert writer["source"]["generator"] == build.GENERATOR and writer["source"]["params"]["width"] > 0
            assert writer["source"]["generator_version"] == penwriters.VERSION
    assert sum(w["kind"] == "synthetic" for w in manifest["writers"]) == PEN_WRITERS


def test_every_png_is_a_normalized_glyph_with_ink(small):
    out, _, _ = small
    pngs = list(out.glob("*/*.png")) + list(out.glob("*/*/*.png"))
    assert pngs
    from PIL import Image

    for path in pngs:
        img = Image.open(path)
        assert img.mode == "L" and img.size == (SIZE, SIZE)
        ink = 255 - np.asarray(img)
        assert ink.max() > 128, f"blank glyph written: {path}"
        assert ink[:3].max() < 128 and ink[-3:].max() < 128  # the margin stays paper


def test_split_is_by_writer_and_disjoint(small):
    out, manifest, _ = small
    train = {p.name for p in (out / "script").iterdir()}
    test = {p.name for p in (out / "test").iterdir()}
    assert train and test and not train & test
    assert {w["name"] for w in manifest["writers"] if w["split"] == "train"} == train
    assert {w["name"] for w in manifest["writers"] if w["split"] == "test"} == test
    if PEN_WRITERS:
        assert any(w["kind"] == "synthetic" and w["split"] == "test" for w in manifest["writers"])


def test_unseen_chars_are_a_seeded_subset_written_for_every_writer(small):
    out, manifest, chars = small
    unseen = manifest["unseen_chars"]
    assert unseen and set(unseen) <= set(chars)
    assert unseen == build.unseen_chars(chars, 3) != build.unseen_chars(chars, 4)
    assert len(build.unseen_chars(list(charsets.resolve("gb2312")), 0)) == 304
    pen = [w for w in manifest["writers"] if w["kind"] == "synthetic"]
    for writer in pen:
        folder = out / dataset_layout.SPLIT_DIRS[writer["split"]] / writer["name"]
        assert all((folder / f"{ch}.png").exists() for ch in unseen)


def test_held_out_fonts_cover_kinds_without_leaking_relatives():
    fonts = sources.select_fonts("all")
    for seed in range(20):
        held = build.held_out_fonts(fonts, seed)
        assert held == build.held_out_fonts(fonts, seed)
        styles = {f.name: f.style for f in fonts}
        assert {"kai", "brush"} <= {styles[n] for n in held} and 4 <= len(held) <= 5
        assert "mksjh" in held  # marked held_out: the bold hand is always a test writer
        trained = {f.lineage_key for f in fonts if f.name not in held}
        assert not {f.lineage_key for f in fonts if f.name in held} & trained
        assert not held & {"lxgw-wenkai-regular", "klee-one", "arphic-ukai", "arphic-gkai00mp", "kouzan-kaisho"}
    assert len(build.held_out_synthetic(120, 0)) == 12 and build.held_out_synthetic(1, 0) == set()


def _blank_and_box_font(path: Path) -> None:
    """A tiny TrueType font mapping 一 to a filled box and 二 to an empty glyph (like SetoFont's blanks)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    box = TTGlyphPen(None)
    box.moveTo((100, 100)), box.lineTo((100, 700)), box.lineTo((900, 700)), box.lineTo((900, 100)), box.closePath()
    glyphs = {".notdef": TTGlyphPen(None).glyph(), "box": box.glyph(), "blank": TTGlyphPen(None).glyph()}
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(list(glyphs))
    fb.setupCharacterMap({ord("一"): "box", ord("二"): "blank"})
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({g: (1000, 0) for g in glyphs})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "Blanky", "styleName": "Regular"})
    fb.setupOS2()
    fb.setupPost()
    fb.save(str(path))


def test_blank_glyphs_are_skipped_and_broken_fonts_refused(tmp_path):
    font = tmp_path / "blanky.ttf"
    _blank_and_box_font(font)
    source = sources.FontSource("blanky", "none", "blanky.ttf", "pen")
    writer = fontwriters.open_font_writer(source, [font], ["一", "二", "三"])
    assert writer.char_file == {"一": 0, "二": 0} and writer.face == "Blanky Regular"
    assert fontwriters.render_chunk(writer.files, 0, [("一", 0), ("二", 0)], SIZE, tmp_path) == ["一"]
    assert [p.name for p in tmp_path.glob("*.png")] == ["一.png"]

    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"\x00\x01\x00\x00 not a font")
    with pytest.raises(fontwriters.UnreadableFont, match="broken.ttf"):
        fontwriters.open_font_writer(source, [broken], ["一"])


@pytest.mark.skipif(not STROKES, reason="LOUD SKIP: hanzi-writer-data not fetched; "
                    "run `fontgen data fetch --only hanzi-writer-data`")
def test_pen_writers_are_deterministic_and_distinct():
    skel = penwriters.Skeleton.of(penwriters.load_medians(STROKES[0], "永"))
    styles = [penwriters.PenStyle.sample(np.random.default_rng((0, i))) for i in range(2)]
    a = penwriters.draw_glyph(skel, styles[0], np.random.default_rng((0, 0, 1)), SIZE)
    again = penwriters.draw_glyph(skel, styles[0], np.random.default_rng((0, 0, 1)), SIZE)
    other = penwriters.draw_glyph(skel, styles[1], np.random.default_rng((0, 1, 1)), SIZE)
    np.testing.assert_array_equal(a, again)
    assert np.abs(a.astype(int) - other.astype(int)).mean() > 5
    assert a.shape == (SIZE, SIZE) and a.max() > 200


def test_bad_input_errors(tmp_path, small):
    runner = CliRunner()
    result = runner.invoke(cli, ["data", "build", "--out", str(tmp_path / "x"), "--charset", "gb9999"])
    assert result.exit_code == 2 and "unknown charset" in result.output

    out, _, _ = small
    result = runner.invoke(cli, ["data", "build", "--out", str(out), "--fonts", "noto-serif-sc"])
    assert result.exit_code == 2 and "not empty" in result.output

    with pytest.raises(InputError, match="unknown writer font"):
        sources.select_fonts("comic-sans")
    if sources.locate(tmp_path / "empty", "fonts-lxgw-wenkai") is None:
        with pytest.raises(InputError, match="fontgen data fetch"):
            build.build(tmp_path / "y", charset="gb2312-1", synthetic=0, fonts="lxgw-wenkai-regular",
                        cache=tmp_path / "empty")
    with pytest.raises(InputError, match="hanzi-writer-data"):
        build.build(tmp_path / "z", charset="gb2312-1", synthetic=2, fonts="none", cache=tmp_path / "empty")


def test_preview_grid_shows_writers_by_characters(small, tmp_path):
    out, manifest, chars = small
    grid = tmp_path / "grid.png"
    result = CliRunner().invoke(cli, ["data", "preview", str(out), "--out", str(grid), "--chars", "".join(chars[:5])])
    assert result.exit_code == 0, result.output
    from PIL import Image

    img = Image.open(grid)
    rows = 1 + len(manifest["writers"])
    assert img.size[1] == rows * (SIZE + 2) and img.size[0] > 5 * SIZE


def test_evaluation_only_sources_are_refused_and_recorded(tmp_path, monkeypatch):
    """A font whose family name hashes into the evaluation-only list never enters a dataset; the
    manifest counts the refusal without naming the source."""
    from training.data import heldout

    listed = tmp_path / "heldout.txt"
    listed.write_text(f"# test list\n{heldout.digest('Noto Serif CJK SC')}\n", encoding="utf-8")
    monkeypatch.setattr(heldout, "LIST", listed)
    charset = tmp_path / "chars.txt"
    charset.write_text("永和九年岁在癸丑暮春之初会于会稽山阴", encoding="utf-8")
    manifest = build.build(tmp_path / "ds", size=SIZE, charset=str(charset), synthetic=0, seed=3,
                           fonts="noto-sans-sc,noto-serif-sc", workers=1)
    assert [w["name"] for w in manifest["writers"]] == ["noto-sans-sc"]
    refused = [s for s in manifest["skipped"] if s.get("refused")]
    assert len(refused) == 1 and "noto" not in json.dumps(refused).lower()
    assert manifest["evaluation_only"] == {"list": "heldout.txt", "list_sha256": heldout.digest_file(listed),
                                           "refused": 1}
    assert not list((tmp_path / "ds").rglob("noto-serif-sc"))


def test_evaluation_only_list_is_the_shared_one():
    """The builder checks against the project's list (hashes only), not an empty or stale copy."""
    from training.data import heldout

    assert len(heldout.hashes()) >= 2 and all(len(h) == 64 for h in heldout.hashes())
    assert heldout.refused("", [" Some Family "]) is False
    assert heldout.digest(" Noto Sans ") == heldout.digest("noto sans")


def test_sources_added_outside_the_draw_leave_the_held_out_fonts_as_they_were():
    """Fonts marked `drawn=False` are always trained on and never change which fonts are held out, so
    figures measured on the test writers stay comparable; a relative of one still keeps it out of the test."""
    import dataclasses

    fonts = sources.select_fonts("all")
    assert any(not f.drawn for f in fonts)
    drawn = [f for f in fonts if f.drawn]
    for seed in range(10):
        held = build.held_out_fonts(fonts, seed)
        assert held == build.held_out_fonts(drawn, seed)
        assert not held & {f.name for f in fonts if not f.drawn}
        victim = next(f for f in drawn if f.name in held and not f.held_out)
        cousin = dataclasses.replace(fonts[-1], name="cousin", lineage=victim.lineage_key, drawn=False)
        assert victim.name not in build.held_out_fonts(fonts + [cousin], seed)
