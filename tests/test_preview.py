"""`fontgen preview`: PNG from a font or a model, and the HTML specimen checked in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import evalfixtures as ef
from fontgen import templates
from fontgen.cli import cli
from fontgen.quality import specimen

TEXT = "永和九年，岁在癸丑"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def font(tmp_path_factory):
    return ef.subset_font(tmp_path_factory.mktemp("font") / "Serif.otf", TEXT + "醒蠢0123")


def ink_rows(img: Image.Image) -> np.ndarray:
    return (np.asarray(img.convert("L")) < 128).any(axis=1)


def bands(rows: np.ndarray) -> int:
    """Runs of rows holding ink: one per line of text."""
    return int(np.count_nonzero(rows[1:] & ~rows[:-1]) + rows[0])


def red_pixels(img: Image.Image) -> int:
    rgb = np.asarray(img.convert("RGB")).astype(int)
    return int(np.count_nonzero((rgb[..., 0] > 150) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)))


def test_font_preview_lays_out_every_line(font, tmp_path):
    one = tmp_path / "one.png"
    two = tmp_path / "two.png"
    assert specimen.preview_font(font, TEXT, one, width=900) == []
    assert specimen.preview_font(font, TEXT + "\n醒蠢0123", two, width=900) == []
    with Image.open(one) as a, Image.open(two) as b:
        assert a.width == b.width == 900
        assert b.height - a.height == round(specimen.TEXT_PX * specimen.LINE_GAP)  # exactly one more line
        # title, the text lines, then one specimen line per size
        assert bands(ink_rows(a)) == 1 + 1 + len(specimen.SIZES)
        assert bands(ink_rows(b)) == 1 + 2 + len(specimen.SIZES)
        assert red_pixels(a) == 0


def test_font_preview_draws_the_fonts_glyphs(font, tmp_path):
    out = tmp_path / "p.png"
    specimen.preview_font(font, "永", out, width=600)
    top = specimen.PAD + specimen.TITLE_H
    with Image.open(out) as im:
        px, pad = specimen.TEXT_PX, specimen.PAD
        got = np.asarray(im.convert("L"))[top:top + 2 * px, pad:pad + px] < 128
    face = templates.face_from_path(font)
    ink, _ = templates.render_char(specimen.FontPen(face).font(specimen.TEXT_PX), "永", specimen.TEXT_PX)
    # same glyph, same pixel count: the picture shows this font's 永, not a fallback
    assert got.sum() == pytest.approx(int((ink > 0.5).sum()), rel=0.1)


def test_missing_characters_are_reported_not_dropped(font, tmp_path):
    out = tmp_path / "p.png"
    result = CliRunner().invoke(cli, ["preview", str(font), "--text", TEXT + "龍鬱", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "missing (2): 龍鬱" in result.stderr
    with Image.open(out) as im:
        assert red_pixels(im) > 200  # the red boxes and the red list
    again = CliRunner().invoke(cli, ["preview", str(font), "--text", TEXT, "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output


def test_preview_needs_exactly_one_source(font, tmp_path):
    result = CliRunner().invoke(cli, ["preview", "--text", TEXT, "--out", str(tmp_path / "p.png")])
    assert result.exit_code == 2 and "FONT" in result.output


def test_model_preview_shows_samples_beside_generated_text(tmp_path):
    pytest.importorskip("torch", reason="the test model is exported from torch (pip install '.[train]')")
    root = ef.make_dataset(tmp_path / "ds")
    model = ef.make_model(tmp_path / "model", root, critic=False)
    samples = tmp_path / "samples"
    samples.mkdir()
    ref = templates.render(list("永和九年"), 96, templates.find_face("Noto Serif CJK SC"), cache=False)
    for ch, ink in zip(ref.chars, ref.ink):
        Image.fromarray(255 - ink).save(samples / f"{ch}.png")
    out = tmp_path / "m.png"
    missing = specimen.preview_model(model, samples, "永和岁在，\ue000", out, width=900, device="cpu")
    assert missing == ["\ue000"]  # a private-use character no template font has
    with Image.open(out) as im:
        assert im.width == 900
        panel = np.asarray(im.convert("L"))[:, :specimen.PAD + 4 * (specimen.SAMPLE_CELL + 6)]
        assert (panel < 128).sum() > 4 * 100  # four samples drawn in the panel
        assert red_pixels(im) > 0


def test_html_links_or_embeds_the_font(font, tmp_path):
    local = shutil.copy(font, tmp_path / "Serif.otf")
    linked = tmp_path / "sub" / "s.html"
    linked.parent.mkdir()
    specimen.write_html(local, TEXT, linked)
    page = linked.read_text(encoding="utf-8")
    assert 'url("../Serif.otf") format("opentype")' in page and TEXT in page
    embedded = tmp_path / "e.html"
    specimen.write_html(font, TEXT, embedded, embed=True)
    assert "data:font/otf;base64," in embedded.read_text(encoding="utf-8")


# ---- headless Chromium -----------------------------------------------------------------------------

def chromium(tmp_path, page, *args) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium; scripts/setup.sh --test)")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", "--virtual-time-budget=5000", *args, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


def font_status(tmp_path, page) -> str:
    dom = chromium(tmp_path, page, "--dump-dom").stdout
    return re.search(r'id="font-status" data-status="(\w+)"', dom).group(1)


def screenshot(tmp_path, page, name) -> np.ndarray:
    shot = tmp_path / name
    chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1000,700")
    with Image.open(shot) as im:
        return np.asarray(im.convert("L")).astype(int)


def test_chromium_loads_the_font_and_uses_it(font, tmp_path):
    page = tmp_path / "s.html"
    specimen.write_html(font, TEXT, page)
    assert font_status(tmp_path, page) == "loaded"
    embedded = tmp_path / "e.html"
    specimen.write_html(font, TEXT, embedded, embed=True)
    assert font_status(tmp_path, embedded) == "loaded"

    fallback = tmp_path / "fallback.html"
    fallback.write_text(re.sub(r"@font-face \{[^}]*\}", "", page.read_text(encoding="utf-8")), encoding="utf-8")
    with_font, without = screenshot(tmp_path, page, "a.png"), screenshot(tmp_path, fallback, "b.png")
    assert (with_font < 128).sum() > 1000  # the page drew text
    changed = np.count_nonzero(np.abs(with_font - without) > 64)
    assert changed > 0.1 * (with_font < 128).sum()  # serif subset, not the sans fallback


def test_chromium_rejects_a_broken_font(font, tmp_path):
    broken = tmp_path / "Broken.otf"
    shutil.copy(font, broken)
    page = tmp_path / "b.html"
    specimen.write_html(broken, TEXT, page)
    data = bytearray(broken.read_bytes())
    broken.write_bytes(bytes(data[: len(data) // 3]))  # truncated: OTS must refuse it
    assert font_status(tmp_path, page) == "failed"


class _EmPen:
    """Every character one em wide: line breaks depend on the text alone."""

    def has(self, ch: str) -> bool:
        return True

    def advance(self, ch: str, px: int) -> float:
        return px


def test_closing_punctuation_hangs_instead_of_starting_a_line():
    assert specimen.wrap(_EmPen(), "永和九年，岁在", 10, 40) == ["永和九年，", "岁在"]
    assert specimen.wrap(_EmPen(), "永和九年岁在", 10, 40) == ["永和九年", "岁在"]
