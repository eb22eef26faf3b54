"""`--web DIR`: a font as a web package, the way CJK web fonts are served.

    files = package(otf_bytes)   # {"MyHand.00.woff2": ..., "MyHand.css": ..., "index.html": ...}

- WOFF2 chunks, each a subset of the font with the characters of one `unicode-range`: a browser
  downloads only the chunks whose characters a page shows. Characters go into chunks most frequent
  first: ASCII and the common CJK punctuation, then the hanzi in the order of
  `assets/gb2312_frequency.txt` (counts derived from jieba's word list, `scripts/char_frequency.py`),
  then the rarer symbols, then anything else by code point. The first `HEAD_CHUNKS` chunks are filled
  to `HEAD_BUDGET` bytes of outlines (about 500 hanzi each, the ~1,500 most frequent hanzi in all),
  the rest is cut into enough smaller chunks to make `MIN_CHUNKS`; a chunk that still compresses to
  more than `CHUNK_LIMIT` is halved.
- `<stem>.css`: one `@font-face` per chunk, same family, its `unicode-range` listing exactly its
  characters (together they cover the font's character map once).
- `index.html`: a specimen that uses the CSS and says how many chunks the browser loaded (and whether
  it rejected any); the full character table loads every chunk on demand (or at once with `#all`).
"""

from __future__ import annotations

import html
import io
import json
import re
from functools import lru_cache
from pathlib import Path

from fontgen import charsets
from fontgen.errors import InputError

HEAD_CHUNKS = 3
HEAD_BUDGET = 280_000  # outline bytes (CFF charstrings / glyf records) of a head chunk: ~210 KB as WOFF2
MIN_CHUNKS = 20
MIN_GLYPHS = 40  # no tail chunk smaller than this, so a small font is not cut into crumbs
CHUNK_LIMIT = 250 * 1024  # WOFF2 bytes; a larger chunk is halved
GLYPH_OVERHEAD = 12  # bytes a glyph adds besides its outline (hmtx, vmtx, cmap)
COMMON_PUNCTUATION = "，。、；：？！“”‘’（）《》〈〉【】「」『』…—·～￥％＂＇"
FREQUENCY_FILE = Path(__file__).resolve().parent.parent / "assets" / "gb2312_frequency.txt"
SPECIMEN_TEXT = ("我们用手写的几个字做出了一整套字体。这一页只下载了其中常用字的几个文件，"
                 "其他的字要在页面上出现时才会下载。")
WEB_ROOM = 8 << 20  # free space asked for a web package (a GB2312 font gives about 3.5 MB)


@lru_cache(maxsize=1)
def hanzi_by_frequency() -> tuple[str, ...]:
    """The GB2312 hanzi, most frequent first."""
    lines = FREQUENCY_FILE.read_text(encoding="utf-8").splitlines()
    return tuple("".join(line for line in lines if not line.startswith("#")))


def frequency_order(chars) -> list[str]:
    """`chars` most frequent first: ASCII and common punctuation, hanzi by frequency, the remaining
    GB2312 symbols in GB2312 order, then every other character by code point."""
    have = set(chars)
    groups = (
        [chr(c) for c in range(0x20, 0x7F)] + list(COMMON_PUNCTUATION),
        list(hanzi_by_frequency()),
        list(charsets.gb2312_symbols()),
        sorted(have),
    )
    order: list[str] = []
    seen: set[str] = set()
    for group in groups:
        for ch in group:
            if ch in have and ch not in seen:
                seen.add(ch)
                order.append(ch)
    return order


def plan_chunks(order: list[str], cost: dict[str, int], *, head_chunks: int = HEAD_CHUNKS,
                head_budget: int = HEAD_BUDGET, min_chunks: int = MIN_CHUNKS,
                min_glyphs: int = MIN_GLYPHS) -> list[list[str]]:
    """Cut `order` into chunks: `head_chunks` filled to `head_budget` bytes each, then the rest into
    equal-cost chunks, enough to reach `min_chunks` (none under `min_glyphs` characters) and none
    over `head_budget`."""
    chunks: list[list[str]] = []
    i = 0
    while len(chunks) < head_chunks and i < len(order):
        chunk, size = [], 0
        while i < len(order) and (not chunk or size + cost[order[i]] <= head_budget):
            chunk.append(order[i])
            size += cost[order[i]]
            i += 1
        chunks.append(chunk)
    rest = order[i:]
    if not rest:
        return chunks
    total = sum(cost[c] for c in rest)
    least = -(-total // head_budget)  # never over budget
    n = max(least, min(min_chunks - len(chunks), len(rest) // min_glyphs), 1)
    chunk, acc, k = [], 0, 1
    for ch in rest:
        if chunk and k < n and acc + cost[ch] / 2 > total * k / n:
            chunks.append(chunk)
            chunk, k = [], k + 1
        chunk.append(ch)
        acc += cost[ch]
    chunks.append(chunk)
    return chunks


def outline_costs(font) -> dict[str, int]:
    """Bytes of outline data per mapped character (CFF charstring or glyf record) plus a fixed overhead."""
    cmap = font.getBestCmap()
    if "CFF " in font:
        strings = font["CFF "].cff.topDictIndex[0].CharStrings

        def size(name):
            cs = strings[name]
            return len(cs.bytecode) if cs.bytecode is not None else len(cs.compile() or b"")
    else:
        loca, order = font["loca"], {n: i for i, n in enumerate(font.getGlyphOrder())}

        def size(name):
            i = order[name]
            return loca[i + 1] - loca[i]
    return {chr(cp): size(name) + GLYPH_OVERHEAD for cp, name in cmap.items()}


def unicode_ranges(chars) -> str:
    """`U+20-7E, U+4E00, …`: the code points of `chars` as CSS unicode-range, runs merged."""
    cps = sorted(ord(c) for c in chars)
    runs: list[list[int]] = []
    for cp in cps:
        if runs and cp == runs[-1][1] + 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def parse_unicode_range(text: str) -> list[int]:
    """The code points a CSS unicode-range value lists (single values and a-b ranges)."""
    cps: list[int] = []
    for item in text.split(","):
        lo, _, hi = item.strip()[2:].partition("-")
        cps.extend(range(int(lo, 16), int(hi or lo, 16) + 1))
    return cps


_FONT = None  # the font bytes, set in each worker by _load


def _load(data: bytes) -> None:
    global _FONT
    _FONT = data


def _compress(chunks: list[list[str]]) -> list[bytes]:
    return [subset_woff2(_FONT, chunk) for chunk in chunks]


def subset_woff2(data: bytes, chars) -> bytes:
    """The font cut down to `chars` (and .notdef), as WOFF2 bytes; outlines are copied, not rewritten."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = True  # keep what the font has: dropping hints would decompile every charstring
    options.desubroutinize = False
    options.drop_tables = []
    font = TTFont(io.BytesIO(data), recalcBBoxes=False, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    font.flavor = "woff2"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def file_stem(font) -> str:
    """A file-name stem from the PostScript name (name ID 6, ASCII by definition), else `font`."""
    name = font["name"].getDebugName(6) or ""
    return re.sub(r"[^A-Za-z0-9_-]", "", name) or "font"


def package(data: bytes, *, workers: int | None = None, progress: bool = True, head_chunks: int = HEAD_CHUNKS,
            head_budget: int = HEAD_BUDGET, min_chunks: int = MIN_CHUNKS, min_glyphs: int = MIN_GLYPHS,
            limit: int = CHUNK_LIMIT) -> dict[str, bytes]:
    """The web package of font `data` (OTF or TTF bytes): file name → bytes."""
    from fontTools.ttLib import TTFont

    from fontgen import parallel

    font = TTFont(io.BytesIO(data), lazy=True)
    family = font["name"].getDebugName(16) or font["name"].getDebugName(1) or "fontgen"
    stem = file_stem(font)
    cost = outline_costs(font)
    chunks = plan_chunks(frequency_order(cost), cost, head_chunks=head_chunks, head_budget=head_budget,
                         min_chunks=min_chunks, min_glyphs=min_glyphs)
    woff2 = parallel.map_chunks(_compress, chunks, workers=workers, init=_load, init_args=(data,),
                                desc="web", progress=progress, unit="chunk")
    pieces: list[tuple[list[str], bytes]] = []
    todo = list(zip(chunks, woff2))
    while todo:
        chars, blob = todo.pop(0)
        if len(blob) <= limit or len(chars) == 1:
            pieces.append((chars, blob))
            continue
        half = len(chars) // 2
        todo[:0] = [(part, subset_woff2(data, part)) for part in (chars[:half], chars[half:])]
    big = [chars for chars, blob in pieces if len(blob) > limit]
    if big:
        raise InputError(f"the glyph of {big[0][0]!r} alone is over {limit // 1024} KB as WOFF2", None,
                         "simplify the glyph (a smaller image or fewer details) and build again")
    width = len(str(len(pieces) - 1))
    names = [f"{stem}.{i:0{width}d}.woff2" for i in range(len(pieces))]
    files = dict(zip(names, (blob for _, blob in pieces)))
    files[f"{stem}.css"] = css(family, names, [chars for chars, _ in pieces]).encode("utf-8")
    files["index.html"] = specimen_page(family, f"{stem}.css", sorted(cost)).encode("utf-8")
    return files


def _css_string(text: str) -> str:
    """`text` as a quoted CSS string that is safe inside a <style> element too."""
    escaped = "".join(f"\\{ord(c):X} " if c in '"\\<>\n' else c for c in text)
    return f'"{escaped}"'


def css(family: str, names: list[str], chunks: list[list[str]]) -> str:
    """One @font-face rule per chunk, all in one family."""
    title = family.replace("*/", "* /")
    rules = [f"/* {title}: {len(names)} WOFF2 chunks by unicode-range, most frequent characters first */"]
    for name, chars in zip(names, chunks):
        rules.append(
            "@font-face {\n"
            f"  font-family: {_css_string(family)};\n"
            f'  src: url("{name}") format("woff2");\n'
            "  font-display: swap;\n"
            f"  unicode-range: {unicode_ranges(chars)};\n"
            "}"
        )
    return "\n".join(rules) + "\n"


def specimen_page(family: str, css_name: str, chars: list[str]) -> str:
    """A page that sets frequent text in the web font and reports the chunks the browser loaded."""
    shown = [c for c in chars if c.isprintable() and not c.isspace()]
    text = "".join(c for c in SPECIMEN_TEXT if c in set(chars)) or "".join(shown[:40])
    return SPECIMEN_PAGE.format(
        title=html.escape(family), css=html.escape(css_name), family=json.dumps(family).replace("</", "<\\/"),
        css_family=_css_string(family), text=html.escape(text), count=len(shown),
        table=html.escape("".join(shown)),
    )


# The script reports on the page how many of the family's chunks the browser loaded and whether it
# rejected any (browsers run OTS on web fonts), so the package can be checked in a headless browser.
SPECIMEN_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{title}: web font specimen</title>
<link rel="stylesheet" href="{css}">
<style>
body {{ margin: 24px; font-family: sans-serif; color: #222; }}
.f {{ font-family: {css_family}, sans-serif; }}
.text {{ font-size: 40px; line-height: 1.4; }}
.size {{ white-space: nowrap; overflow: hidden; }}
.size b {{ display: inline-block; width: 70px; font: 14px sans-serif; color: #888; }}
.table {{ font-size: 32px; line-height: 1.3; word-break: break-all; }}
#font-status {{ font-size: 14px; color: #888; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p id="font-status" data-status="loading" data-loaded="0" data-total="0">loading the font…</p>
<div class="f text">{text}</div>
<h2>Sizes</h2>
<div class="f size" style="font-size:24px"><b>24 px</b>{text}</div>
<div class="f size" style="font-size:48px"><b>48 px</b>{text}</div>
<h2>Characters ({count})</h2>
<p><button id="show-all">Show all characters (loads every chunk)</button></p>
<div class="f table" id="table" hidden>{table}</div>
<script>
const family = {family};
const status = document.getElementById("font-status");
function report() {{
  const faces = [...document.fonts].filter(f => f.family.replace(/^["']|["']$/g, "") === family);
  const loaded = faces.filter(f => f.status === "loaded").length;
  const failed = faces.filter(f => f.status === "error").length;
  status.dataset.status = failed ? "failed" : (loaded ? "loaded" : "unused");
  status.dataset.loaded = loaded;
  status.dataset.total = faces.length;
  status.textContent = failed ? `the browser rejected ${{failed}} of ${{faces.length}} font files`
                              : `${{loaded}} of ${{faces.length}} font files loaded`;
}}
function showAll() {{
  document.getElementById("table").hidden = false;
  requestAnimationFrame(() => document.fonts.ready.then(report));
}}
document.getElementById("show-all").addEventListener("click", showAll);
document.fonts.addEventListener("loadingdone", report);
document.fonts.addEventListener("loadingerror", report);
if (location.hash === "#all") showAll();
document.fonts.ready.then(report);
</script>
</body>
</html>
"""
