"""`fontgen preview`: see a font (or a model's output) set as text before installing it.

- From a font file: the text laid out in lines with FreeType (Pillow), then a specimen line per size
  (24/48/96 px). Characters the font lacks are drawn as red boxes and listed under the text.
- From a model and a samples folder: the same layout with glyph bitmaps made as `make-font` makes
  them (the writer's samples for their own characters, generated hanzi, template-font symbols), placed
  where the template font puts each character, with the samples shown beside the result.
- `write_html`: a self-contained specimen page that loads the font with @font-face (linked relative to
  the page, or embedded as base64) and shows the text, a character table and whether the browser
  accepted the font (browsers run OTS on web fonts, so a rejected font shows up here).

    missing = preview_font("MyHand.otf", "永和九年", "p.png")
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fontgen import outfiles, raster, templates
from fontgen.errors import InputError

DEFAULT_TEXT = "永和九年，岁在癸丑，暮春之初，会于会稽山阴之兰亭，修禊事也。\n醒蠢戴赢豁 龙郁 0123456789 Aa"  # GB2312 only
SIZES = (24, 48, 96)
TEXT_PX = 48
WIDTH = 1200
PAD = 24
LINE_GAP = 1.35
TITLE_H = 30
SECTION_GAP = 24
SIZE_LABEL_W = 70
MISSING_H = 40
SAMPLE_CELL = 56
SAMPLE_PX = 128  # the writer's own characters are drawn from their sample at this size, as make-font traces them
SAMPLE_COLUMNS = 4
MAX_TEXT_LINES = 200  # a preview is one picture to look at: longer text only costs time and memory
MAX_TEXT_CHARS = 5000
MISSING_COLOUR = (210, 30, 30)
CSS_FAMILY = "fontgen-specimen"
FONT_FORMATS = {".otf": "opentype", ".ttf": "truetype", ".woff": "woff", ".woff2": "woff2"}
PNG_ROOM = 8 * outfiles.MB  # free space asked for the picture (a page of text at 8000 px is about 2 MB)


class FontPen:
    """Draws characters with a font file through FreeType."""

    def __init__(self, face: templates.FontFace):
        self.face = face
        self.mapped = templates.mapped_chars(face)
        self.fonts: dict[int, ImageFont.FreeTypeFont] = {}

    def font(self, px: int) -> ImageFont.FreeTypeFont:
        if px not in self.fonts:
            self.fonts[px] = ImageFont.truetype(str(self.face.path), px, index=self.face.index)
        return self.fonts[px]

    def has(self, ch: str) -> bool:
        return ch in self.mapped

    def advance(self, ch: str, px: int) -> float:
        return self.font(px).getlength(ch)

    def draw(self, img: Image.Image, ch: str, x: float, baseline: float, px: int) -> None:
        ImageDraw.Draw(img).text((x, baseline), ch, fill=(0, 0, 0), font=self.font(px), anchor="ls")


class BitmapPen:
    """Draws characters from normalized glyph bitmaps, each put into the em by its `Placement`."""

    def __init__(self, glyphs: dict[str, np.ndarray], placements: dict[str, raster.Placement],
                 margin_ratio: float, metrics_face: templates.FontFace):
        self.glyphs, self.placements, self.margin_ratio = glyphs, placements, margin_ratio
        self.metrics = FontPen(metrics_face)  # advances of the template font, which placements refer to

    def has(self, ch: str) -> bool:
        return ch in self.glyphs

    def advance(self, ch: str, px: int) -> float:
        return self.metrics.advance(ch, px)

    def draw(self, img: Image.Image, ch: str, x: float, baseline: float, px: int) -> None:
        place = self.placements[ch]
        scale = px / 1000.0
        side = max(1, round(place.side * scale / (1 - 2 * self.margin_ratio)))  # whole canvas incl. margin
        ink = self.glyphs[ch]
        interp = cv2.INTER_AREA if ink.shape[0] > side else cv2.INTER_CUBIC
        tile = cv2.resize(ink, (side, side), interpolation=interp)
        left = round(x + place.cx * scale - side / 2)
        top = round(baseline - place.cy * scale - side / 2)
        region = (left, top, left + side, top + side)
        paper = np.repeat((255 - tile)[..., None], 3, axis=2)
        img.paste(Image.fromarray(np.minimum(np.asarray(img.crop(region)), paper)), region[:2])


NO_LINE_START = set("，。、；：！？）」』】》〉”’,.;:!?)")  # kinsoku: these hang at the line end instead


def wrap(pen, text: str, px: int, width: int) -> list[str]:
    """Break `text` into lines no wider than `width` at `px`; closing punctuation never starts a line
    (it hangs past the width, as CJK typesetting does)."""
    lines = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for ch in paragraph:
            step = char_advance(pen, ch, px)
            if line and used + step > width and ch not in NO_LINE_START:
                lines.append(line)
                line, used = "", 0.0
            line += ch
            used += step
        lines.append(line)
    return lines


def char_advance(pen, ch: str, px: int) -> float:
    """A missing character still takes a full em, as its red box."""
    return pen.advance(ch, px) if pen.has(ch) else px


def draw_line(img: Image.Image, pen, line: str, x: float, baseline: float, px: int) -> None:
    """Draw one line; missing characters become red boxes (never silently dropped)."""
    draw = ImageDraw.Draw(img)
    for ch in line:
        if ch.isspace():
            x += char_advance(pen, ch, px) if pen.has(ch) else px / 3
            continue
        if pen.has(ch):
            pen.draw(img, ch, x, baseline, px)
        else:
            draw.rectangle((x + px * 0.1, baseline - px * 0.8, x + px * 0.9, baseline + px * 0.05),
                           outline=MISSING_COLOUR, width=max(1, px // 16))
        x += char_advance(pen, ch, px)


def missing_chars(pen, text: str) -> list[str]:
    """Characters of `text` (spaces aside) the pen cannot draw, in order, once each."""
    return list(dict.fromkeys(ch for ch in text if not ch.isspace() and not pen.has(ch)))


@lru_cache(maxsize=8)
def label_font(px: int) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK SC for titles and captions (it has Latin too)."""
    face = templates.find_face()
    return ImageFont.truetype(str(face.path), px, index=face.index)


def compose(pen, text: str, title: str, width: int = WIDTH, text_px: int = TEXT_PX,
            sizes: tuple[int, ...] = SIZES) -> tuple[Image.Image, list[str]]:
    """The preview picture (RGB, black text on white, red marks) and the missing characters."""
    inner = width - 2 * PAD
    blocks = [(True, text_px, line) for line in wrap(pen, text, text_px, inner)]
    first = next((line for line in text.split("\n") if line.strip()), text)
    blocks += [(False, px, wrap(pen, first, px, inner - SIZE_LABEL_W)[0]) for px in sizes]
    missing = missing_chars(pen, text)
    height = PAD + TITLE_H + sum(round(px * LINE_GAP) for _, px, _ in blocks) + SECTION_GAP
    height += MISSING_H if missing else 0
    img = Image.new("RGB", (width, height + PAD), "white")
    draw = ImageDraw.Draw(img)
    draw.text((PAD, PAD), title, fill=(60, 60, 60), font=label_font(16))
    y = PAD + TITLE_H
    for is_text, px, line in blocks:
        if not is_text and px == sizes[0]:
            y += SECTION_GAP
        baseline = y + round(px * 1.05)
        if not is_text:
            draw.text((PAD, baseline), f"{px} px", fill=(120, 120, 120), font=label_font(14), anchor="ls")
        draw_line(img, pen, line, PAD if is_text else PAD + SIZE_LABEL_W, baseline, px)
        y += round(px * LINE_GAP)
    if missing:
        draw.text((PAD, y + 10), f"Missing from the font ({len(missing)}): {''.join(missing)}",
                  fill=MISSING_COLOUR, font=label_font(18))
    return img, missing


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def font_face(path: str | Path) -> templates.FontFace:
    """The face of a font file, with a clear error when FreeType cannot read it."""
    face = templates.face_from_path(path)
    try:
        ImageFont.truetype(str(face.path), TEXT_PX, index=face.index)
    except OSError as exc:
        raise InputError(f"FreeType cannot read the font ({exc})", face.path, "give a .otf/.ttf font file")
    return face


def write_previews(text: str, *, font: str | Path | None = None, model: str | Path | None = None,
                   samples_dir: str | Path | None = None, out: str | Path | None = None,
                   html_out: str | Path | None = None, embed: bool = False, width: int = WIDTH,
                   device: str = "auto", force: bool = False) -> list[str]:
    """The `preview` command as one output transaction: both targets are checked before any work and
    written together at the end (or neither). The PNG shows `font`, or else what the model draws for
    `samples_dir`; the page needs `font`. Returns the characters of `text` the font lacks."""
    html_room = outfiles.MB
    if embed and font is not None and Path(font).is_file():
        html_room += Path(font).stat().st_size * 4 // 3  # base64
    out, html_out = outfiles.check_outputs([(out, (".png",), PNG_ROOM), (html_out, (".html", ".htm"), html_room)],
                                           force)
    check_text(text)
    files: dict[Path, bytes] = {}
    missing: list[str] = []
    if out is not None:
        png, missing = _font_png(font, text, width) if font is not None else \
            _model_png(model, samples_dir, text, width, device)
        files[out] = png
    if html_out is not None:
        files[html_out], missing = _html_page(font, text, html_out, embed)
    outfiles.write_all(files, force)
    return missing


def preview_font(font: str | Path, text: str, out: str | Path, width: int = WIDTH, force: bool = False) -> list[str]:
    """Write the preview PNG of a font file; returns the characters of `text` the font lacks."""
    return write_previews(text, font=font, out=out, width=width, force=force)


def _font_png(font: str | Path, text: str, width: int) -> tuple[bytes, list[str]]:
    face = font_face(font)
    img, missing = compose(FontPen(face), text, f"{face.path.name}: {family_name(face)}", width)
    return png_bytes(img), missing


def preview_model(model: str | Path | None, samples_dir: str | Path, text: str, out: str | Path,
                  width: int = WIDTH, device: str = "auto", force: bool = False) -> list[str]:
    """Write a preview PNG generated straight from a model and a writer's samples; returns the missing characters."""
    return write_previews(text, model=model, samples_dir=samples_dir, out=out, width=width, device=device,
                          force=force)


def _model_png(model: str | Path | None, samples_dir: str | Path, text: str, width: int,
               device: str) -> tuple[bytes, list[str]]:
    from fontgen.font import closing, inklevel, makefont
    from fontgen.model import generate
    from fontgen.samples import references

    gen = generate.Generator(model, device=device)
    size, margin = gen.info.size, gen.info.margin
    writer = references.load(samples_dir, size, margin)
    wanted = tuple(dict.fromkeys(ch for ch in text if not ch.isspace()))
    mine = set(writer.chars)
    hanzi, others = makefont.split_charset(tuple(c for c in wanted if c not in mine))
    face = templates.find_face()
    tpl = templates.render(hanzi + writer.chars, size=size, face=face, margin=margin)
    sym = templates.render(others, size=size, face=face, margin=margin)
    index = tpl.index()
    todo = [c for c in hanzi if c in index]
    glyphs: dict[str, np.ndarray] = {}
    placements: dict[str, raster.Placement] = {}
    if todo:
        style = gen.style(writer.refs)
        size, level = closing.fit_to_samples(gen, style, writer, tpl)
        inputs = gen.inputs(tpl.ink, tpl.chars)[[index[c] for c in todo]]
        made = inklevel.as_traced(closing.finish(gen.glyphs(style, inputs, progress=False), size, level))
        glyphs.update(zip(todo, made))
        placements.update((c, tpl.placement[c]) for c in todo)
    for i, ch in enumerate(writer.chars):
        glyphs[ch] = writer.glyph(i, SAMPLE_PX)
        placements[ch] = tpl.placement.get(ch) or raster.Placement.full_em()
    glyphs.update(zip(sym.chars, sym.ink))
    placements.update(sym.placement)
    pen = BitmapPen(glyphs, placements, margin / size, face)
    panel = samples_panel(writer.chars, writer.refs)
    title = f"generated by {gen.info.folder.name} from {len(writer.chars)} samples"
    img, missing = compose(pen, text, title, max(width - panel.width, 2 * TEXT_PX + 2 * PAD))
    return png_bytes(beside(panel, img)), missing


def samples_panel(chars: list[str], refs: np.ndarray) -> Image.Image:
    """The writer's samples (as the model sees them) in a small captioned grid."""
    cols = min(len(chars), SAMPLE_COLUMNS)
    rows = -(-len(chars) // cols)
    step = SAMPLE_CELL + 6
    img = Image.new("RGB", (PAD + cols * step, PAD + TITLE_H + rows * (SAMPLE_CELL + 24)), (245, 245, 245))
    draw = ImageDraw.Draw(img)
    draw.text((PAD // 2, PAD), f"samples ({len(chars)})", fill=(60, 60, 60), font=label_font(16))
    for k, (ch, ink) in enumerate(zip(chars, refs)):
        x = PAD // 2 + (k % cols) * step
        y = PAD + TITLE_H + (k // cols) * (SAMPLE_CELL + 24)
        tile = cv2.resize(ink, (SAMPLE_CELL, SAMPLE_CELL), interpolation=cv2.INTER_AREA)
        img.paste(Image.fromarray(255 - tile).convert("RGB"), (x, y + 18))
        draw.text((x + SAMPLE_CELL // 2, y), ch, fill=(90, 90, 90), font=label_font(14), anchor="mt")
    return img


def beside(left: Image.Image, right: Image.Image) -> Image.Image:
    out = Image.new("RGB", (left.width + right.width, max(left.height, right.height)), "white")
    out.paste(left, (0, 0))
    out.paste(right, (left.width, 0))
    return out


def check_text(text: str) -> None:
    """A preview is a page: refuse empty text, and text too long to read in one picture."""
    if not text.strip():
        raise InputError("the preview text is empty", None, 'pass --text "永和九年" (any characters)')
    lines = text.count("\n") + 1
    if lines > MAX_TEXT_LINES or len(text) > MAX_TEXT_CHARS:
        raise InputError(f"the preview text is too long ({lines} lines, {len(text)} characters)", None,
                         f"pass at most {MAX_TEXT_LINES} lines and {MAX_TEXT_CHARS:,} characters")


def family_name(face: templates.FontFace) -> str:
    """The font's family name (name ID 1), for titles; the file stem when it has none."""
    from fontTools.ttLib import TTFont

    name = TTFont(str(face.path), fontNumber=face.index, lazy=True)["name"].getDebugName(1)
    return name or face.path.stem


def write_html(font: str | Path, text: str, out: str | Path, embed: bool = False, force: bool = False) -> list[str]:
    """Write a specimen page for a font file; returns the characters of `text` the font lacks."""
    return write_previews(text, font=font, html_out=out, embed=embed, force=force)


def _html_page(font: str | Path, text: str, out: Path, embed: bool) -> tuple[bytes, list[str]]:
    face = font_face(font)
    fmt = FONT_FORMATS.get(face.path.suffix.lower())
    if fmt is None:
        raise InputError("a web page can load only .otf, .ttf, .woff or .woff2 fonts", face.path, "convert it first")
    if embed:
        url = f"data:font/{face.path.suffix.lower()[1:]};base64," + base64.b64encode(face.path.read_bytes()).decode()
    else:
        url = quote(Path(os.path.relpath(face.path.resolve(), out.resolve().parent)).as_posix())
    pen = FontPen(face)
    missing = missing_chars(pen, text)
    table = "".join(f'<span title="U+{ord(c):04X}">{html.escape(c)}</span>' for c in sorted(pen.mapped)
                    if c.isprintable() and not c.isspace())
    probe = next((c for c in text if pen.has(c) and not c.isspace()), "永")
    page = HTML_PAGE.format(
        title=html.escape(family_name(face)), family=CSS_FAMILY, url=url, format=fmt,
        text="<br>".join(html.escape(line) for line in text.split("\n")),
        sample=html.escape(text.replace("\n", " ")), count=table.count("<span"), table=table,
        missing=(f'<p class="missing">Missing from the font ({len(missing)}): {html.escape("".join(missing))}</p>'
                 if missing else ""),
        probe=json.dumps(probe),
    )
    return page.encode("utf-8"), missing


# The script says on the page whether the browser accepted the font (browsers reject fonts that fail OTS).
HTML_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{title}: specimen</title>
<style>
@font-face {{ font-family: "{family}"; src: url("{url}") format("{format}"); }}
body {{ margin: 24px; font-family: sans-serif; color: #222; }}
.f {{ font-family: "{family}", sans-serif; }}
.text {{ font-size: 48px; line-height: 1.35; }}
.size {{ white-space: nowrap; overflow: hidden; }}
.size b {{ display: inline-block; width: 70px; font: 14px sans-serif; color: #888; }}
.missing {{ color: #d21e1e; }}
.table {{ font-size: 32px; line-height: 1.2; }}
.table span {{ display: inline-block; width: 1.2em; text-align: center; }}
#font-status {{ font-size: 14px; color: #888; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p id="font-status" data-status="loading">loading the font…</p>
<div class="f text">{text}</div>
{missing}
<h2>Sizes</h2>
<div class="f size" style="font-size:24px"><b>24 px</b>{sample}</div>
<div class="f size" style="font-size:48px"><b>48 px</b>{sample}</div>
<div class="f size" style="font-size:96px"><b>96 px</b>{sample}</div>
<h2>Characters ({count})</h2>
<div class="f table">{table}</div>
<script>
const status = document.getElementById("font-status");
const spec = '48px "{family}"';
document.fonts.load(spec, {probe}).then(faces => {{
  const ok = faces.length > 0 && document.fonts.check(spec, {probe});
  status.dataset.status = ok ? "loaded" : "failed";
  status.textContent = ok ? "font loaded" : "the browser rejected the font";
}}, () => {{
  status.dataset.status = "failed";
  status.textContent = "the browser rejected the font";
}});
</script>
</body>
</html>
"""
