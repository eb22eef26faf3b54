"""`--web`: WOFF2 chunks by unicode-range (most frequent characters first), the CSS, the specimen in Chromium."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from fontTools.ttLib import TTFont

import evalfixtures as ef
from fontgen import charsets
from fontgen.font import webfont

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LIMIT = 24 * 1024  # small limits so a small font makes many chunks and one is halved
OPTIONS = dict(head_chunks=2, head_budget=30_000, min_chunks=8, min_glyphs=20, limit=LIMIT, workers=1,
               progress=False)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """The web package of a Noto Serif subset: ASCII, punctuation, 360 frequent and 80 rare hanzi."""
    hanzi = webfont.hanzi_by_frequency()
    text = "".join(charsets.ascii_printable()) + "，。、“”《》" + "".join(hanzi[:360]) + "".join(hanzi[-80:])
    folder = tmp_path_factory.mktemp("web")
    font = ef.subset_font(folder / "Serif.otf", text + webfont.SPECIMEN_TEXT)
    files = webfont.package(font.read_bytes(), **OPTIONS)
    out = folder / "web"
    out.mkdir()
    for name, data in files.items():
        (out / name).write_bytes(data)
    return TTFont(str(font)), files, out


def chunk_ranges(css: str) -> list[tuple[str, list[int]]]:
    rules = re.findall(r'src: url\("([^"]+)"\) format\("woff2"\);\s*font-display: swap;\s*unicode-range: ([^;]+);', css)
    return [(name, webfont.parse_unicode_range(ranges)) for name, ranges in rules]


def test_chunks_cover_the_character_map_exactly_once(package):
    font, files, _ = package
    woff2 = sorted(n for n in files if n.endswith(".woff2"))
    css = files[next(n for n in files if n.endswith(".css"))].decode("utf-8")
    ranges = chunk_ranges(css)
    assert [name for name, _ in ranges] == woff2
    assert len(woff2) >= OPTIONS["min_chunks"]
    listed = [cp for _, cps in ranges for cp in cps]
    assert len(listed) == len(set(listed))  # no code point in two chunks
    assert set(listed) == set(font.getBestCmap())  # and none left out
    for name, cps in ranges:
        assert len(files[name]) <= LIMIT, name
        chunk = TTFont(io.BytesIO(files[name]))  # a WOFF2 fontTools reads back
        assert chunk.flavor == "woff2"
        assert set(chunk.getBestCmap()) == set(cps), name


def test_frequent_characters_come_first(package):
    font, files, _ = package
    ranges = chunk_ranges(files[next(n for n in files if n.endswith(".css"))].decode("utf-8"))
    first = {chr(cp) for cp in ranges[0][1]}
    assert set(charsets.ascii_printable()) | set("，。") <= first
    assert webfont.hanzi_by_frequency()[0] in first
    last = {chr(cp) for cp in ranges[-1][1]}
    assert set(webfont.hanzi_by_frequency()[-5:]) & set(map(chr, font.getBestCmap())) <= last


def test_plan_fills_head_chunks_then_reaches_the_chunk_count():
    order = [chr(0x4E00 + i) for i in range(1000)]
    cost = {c: 100 for c in order}
    chunks = webfont.plan_chunks(order, cost, head_chunks=3, head_budget=10_000, min_chunks=20, min_glyphs=20)
    assert [len(c) for c in chunks[:3]] == [100, 100, 100]
    assert len(chunks) == 20 and sum(chunks, []) == order
    assert max(len(c) for c in chunks[3:]) - min(len(c) for c in chunks[3:]) <= 1
    few = webfont.plan_chunks(order[:400], cost, head_chunks=3, head_budget=10_000, min_chunks=20, min_glyphs=40)
    assert len(few) == 3 + 100 // 40  # no tail chunk under min_glyphs
    assert webfont.unicode_ranges("一丁七丅") == "U+4E00-4E01, U+4E03, U+4E05"


def test_specimen_text_needs_at_most_three_chunks_of_a_full_font():
    """With the default plan and outlines of the example writer's size (480 bytes a glyph on average)."""
    order = webfont.frequency_order(charsets.resolve("gb2312+symbols+ascii"))
    chunks = webfont.plan_chunks(order, {c: 480 for c in order})
    assert len(chunks) >= webfont.MIN_CHUNKS
    needed = [i for i, chunk in enumerate(chunks) if set(chunk) & set(webfont.SPECIMEN_TEXT)]
    assert needed and max(needed) < 3


def test_frequency_list_is_gb2312():
    assert sorted(webfont.hanzi_by_frequency()) == sorted(charsets.resolve("gb2312"))
    assert set(webfont.hanzi_by_frequency()[:50]) >= set("一是人了不在有大中国的")


def status(tmp_path, url: str) -> dict[str, str]:
    if CHROMIUM is None:
        pytest.skip("LOUD SKIP: chromium is not installed, the web package is not checked in a browser "
                    "(Debian: apt-get install chromium; scripts/setup.sh --test)")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
           "--disable-background-networking", "--disable-component-update",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", "--virtual-time-budget=10000", "--dump-dom", url]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    tag = re.search(r'<p id="font-status"[^>]*>', dom).group(0)
    return dict(re.findall(r'data-(\w+)="(\w+)"', tag))


def test_chromium_loads_few_chunks_for_the_specimen_and_every_chunk_on_demand(package, tmp_path):
    _, files, out = package
    page = (out / "index.html").as_uri()
    first = status(tmp_path, page)
    total = sum(n.endswith(".woff2") for n in files)
    assert first["status"] == "loaded" and first["total"] == str(total)
    css = files[next(n for n in files if n.endswith(".css"))].decode("utf-8")
    needed = [name for name, cps in chunk_ranges(css) if set(map(chr, cps)) & set(webfont.SPECIMEN_TEXT)]
    assert first["loaded"] == str(len(needed))  # the browser fetched the chunks the text needs, no more
    every = status(tmp_path, page + "#all")
    assert every == {"status": "loaded", "loaded": str(total), "total": str(total)}


def test_chromium_reports_a_broken_chunk(package, tmp_path):
    _, files, out = package
    broken = tmp_path / "web"
    shutil.copytree(out, broken)
    first = next(n for n in sorted(files) if n.endswith(".woff2"))
    (broken / first).write_bytes(files[first][:200])
    assert status(tmp_path, (broken / "index.html").as_uri())["status"] == "failed"
