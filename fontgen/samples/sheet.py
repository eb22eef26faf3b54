"""The printable handwriting sheet: its geometry, its layout code, and its rendering to PDF.

One geometry serves both directions: `template` draws a page from it and `scan` cuts boxes with it,
so the two can never disagree. A page carries everything `scan` needs:

- four ArUco markers (4×4 dictionary) in the corners; their ids say which corner is which (so any
  rotation, upside down included, is undone) and which paper the page was made for (ids 0-3 A4,
  4-7 Letter);
- a QR code holding the layout: format tag, paper, page number, grid and the page's characters,
  e.g. `FG1 A4 1/2 6X7 <3 base-45 digits per code point>`;
- one box per character with a small grey guide character in its top-left corner and a very light
  dashed centre cross that binarization drops.

    pages = sheet.paginate("永和我你的是国爱", "A4")
    sheet.write_pdf(pages, "sheet.pdf", dpi=300)
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fontgen import outfiles
from fontgen.errors import InputError

PAPERS = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}  # width, height in mm
SHEET_SUFFIXES = (".pdf", ".png")  # a PNG holds a one-page sheet
FORMAT_TAG = "FG1"
ARUCO_DICT = cv2.aruco.DICT_4X4_50
MARKER_MM = 14.0
MARKER_INSET_MM = 8.0  # page edge to the marker's outer edge
QR_MM = 30.0
BOX_MM = 25.0
GAP_MM = 4.0
GRID_TOP_MM = 44.0
GRID_BOTTOM_MM = 26.0  # kept free at the bottom for the lower markers
BOX_LINE_MM = 0.4
GUIDE_MM = 4.0  # printed guide character's em size
GUIDE_INSET_MM = 1.2
BOX_GREY = 70
GUIDE_GREY = 140
CROSS_GREY = 222
_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"  # QR alphanumeric alphabet
_MAX_CODE_POINT = 45 ** 3 - 1


@dataclass(frozen=True)
class Layout:
    """Page geometry for one paper size, in millimetres from the top-left corner of the page."""

    paper: str

    @property
    def size_mm(self) -> tuple[float, float]:
        return PAPERS[self.paper]

    @property
    def marker_base_id(self) -> int:
        return 4 * list(PAPERS).index(self.paper)

    @property
    def cols(self) -> int:
        width = self.size_mm[0] - 2 * (MARKER_INSET_MM + 4)
        return int((width + GAP_MM) // (BOX_MM + GAP_MM))

    @property
    def rows(self) -> int:
        height = self.size_mm[1] - GRID_TOP_MM - GRID_BOTTOM_MM
        return int((height + GAP_MM) // (BOX_MM + GAP_MM))

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    def box(self, i: int) -> tuple[float, float, float, float]:
        """(x, y, w, h) of box `i`, row-major, the grid centred horizontally."""
        grid_w = self.cols * BOX_MM + (self.cols - 1) * GAP_MM
        x0 = (self.size_mm[0] - grid_w) / 2
        r, c = divmod(i, self.cols)
        return x0 + c * (BOX_MM + GAP_MM), GRID_TOP_MM + r * (BOX_MM + GAP_MM), BOX_MM, BOX_MM

    def marker(self, corner: int) -> tuple[float, float, float, float]:
        """(x, y, w, h) of the marker in `corner` (0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left)."""
        w, h = self.size_mm
        x = MARKER_INSET_MM if corner in (0, 3) else w - MARKER_INSET_MM - MARKER_MM
        y = MARKER_INSET_MM if corner in (0, 1) else h - MARKER_INSET_MM - MARKER_MM
        return x, y, MARKER_MM, MARKER_MM

    def marker_corners(self, corner: int) -> np.ndarray:
        """The marker's four corners [4, 2] in mm, in ArUco's order (its own TL, TR, BR, BL)."""
        x, y, s, _ = self.marker(corner)
        return np.array([[x, y], [x + s, y], [x + s, y + s], [x, y + s]], np.float32)

    def qr(self) -> tuple[float, float, float, float]:
        """(x, y, w, h) of the QR code, quiet zone included, at the top centre."""
        return (self.size_mm[0] - QR_MM) / 2, 6.0, QR_MM, QR_MM


@dataclass(frozen=True)
class Page:
    """One sheet page: its paper, position in the set, and the characters in its boxes, row-major."""

    paper: str
    number: int
    count: int
    chars: str

    @property
    def layout(self) -> Layout:
        return Layout(self.paper)

    def payload(self) -> str:
        """The QR text: `FG1 <paper> <n>/<count> <cols>X<rows> <chars as base-45 triples>`."""
        lay = self.layout
        code = "".join(_b45_triple(ord(ch)) for ch in self.chars)
        return f"{FORMAT_TAG} {self.paper.upper()} {self.number}/{self.count} {lay.cols}X{lay.rows} {code}"


def _b45_triple(cp: int) -> str:
    return _B45[cp // 2025] + _B45[cp // 45 % 45] + _B45[cp % 45]


def parse_payload(text: str) -> Page:
    """The page a QR text describes; ValueError if it is not a fontgen layout of this version."""
    parts = text.split(" ", 4)
    if len(parts) != 5 or parts[0] != FORMAT_TAG:
        raise ValueError("the QR code is not a fontgen sheet layout")
    tag, paper_code, numbering, grid, code = parts
    papers = {p.upper(): p for p in PAPERS}
    if paper_code not in papers:
        raise ValueError(f"unknown paper {paper_code!r} in the layout code")
    lay = Layout(papers[paper_code])
    try:
        number, count = (int(v) for v in numbering.split("/"))
        cols, rows = (int(v) for v in grid.split("X"))
    except ValueError:
        raise ValueError("malformed page number or grid in the layout code") from None
    if (cols, rows) != (lay.cols, lay.rows):
        raise ValueError(f"grid {cols}×{rows} does not match this fontgen's {lay.cols}×{lay.rows} layout")
    if len(code) % 3 or not 0 < len(code) // 3 <= lay.per_page or any(c not in _B45 for c in code):
        raise ValueError("malformed character list in the layout code")
    if not 1 <= number <= count:
        raise ValueError(f"impossible page number {number}/{count}")
    chars = "".join(chr(_B45.index(code[i]) * 2025 + _B45.index(code[i + 1]) * 45 + _B45.index(code[i + 2]))
                    for i in range(0, len(code), 3))
    return Page(lay.paper, number, count, chars)


def paginate(chars, paper: str = "A4") -> list[Page]:
    """Split characters (deduplicated, order kept) into pages of the paper's grid."""
    if paper not in PAPERS:
        raise InputError(f"unknown paper size {paper!r}", None, f"use one of {', '.join(PAPERS)}")
    chars = "".join(dict.fromkeys(ch for ch in chars if not ch.isspace()))
    if not chars:
        raise InputError("no characters to put on the sheet", None, "pass --chars 永和我 or --count 8")
    bad = [ch for ch in chars if ord(ch) > _MAX_CODE_POINT]
    if bad:
        raise InputError(f"characters beyond U+{_MAX_CODE_POINT:04X} cannot go on a sheet: {''.join(bad)}", None,
                         "leave them out")
    n = Layout(paper).per_page
    groups = [chars[i:i + n] for i in range(0, len(chars), n)]
    return [Page(paper, k + 1, len(groups), g) for k, g in enumerate(groups)]


@lru_cache(maxsize=None)
def _font(family: str, px: int) -> ImageFont.FreeTypeFont:
    from fontgen.templates import find_face

    face = find_face(family)
    return ImageFont.truetype(str(face.path), px, index=face.index)


def marker_image(marker_id: int, px: int) -> np.ndarray:
    """The ArUco marker `marker_id` as a px×px uint8 image (black on white)."""
    dictionary = cv2.aruco.getPredefinedDictionary(ARUCO_DICT)
    return cv2.aruco.generateImageMarker(dictionary, marker_id, px)


def qr_image(text: str, px: int) -> np.ndarray:
    """A QR code (ECC level M, alphanumeric) with a 4-module quiet zone, scaled to px×px."""
    params = cv2.QRCodeEncoder.Params()
    params.correction_level = cv2.QRCodeEncoder_CORRECT_LEVEL_M
    params.mode = cv2.QRCodeEncoder_MODE_ALPHANUMERIC
    code = cv2.QRCodeEncoder.create(params).encode(text)
    code = cv2.copyMakeBorder(code, 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=255)
    return cv2.resize(code, (px, px), interpolation=cv2.INTER_NEAREST)


def guide_mask(ch: str, dpmm: float) -> np.ndarray:
    """Ink of the printed guide character inside its box, [box_px, box_px] uint8 (255 = ink)."""
    side = round(BOX_MM * dpmm)
    img = Image.new("L", (side, side), 0)
    em = max(6, round(GUIDE_MM * dpmm))
    inset = GUIDE_INSET_MM * dpmm
    ImageDraw.Draw(img).text((inset, inset + 0.88 * em), ch, fill=255, font=_font("Noto Sans CJK SC", em), anchor="ls")
    return np.asarray(img)


def render_page(page: Page, dpi: float = 300) -> Image.Image:
    """The page as an RGB image at `dpi`."""
    lay = page.layout
    dpmm = dpi / 25.4
    w_mm, h_mm = lay.size_mm
    img = Image.new("RGB", (round(w_mm * dpmm), round(h_mm * dpmm)), "white")
    draw = ImageDraw.Draw(img)

    def px(v: float) -> int:
        return round(v * dpmm)

    for corner in range(4):
        x, y, s, _ = lay.marker(corner)
        img.paste(Image.fromarray(marker_image(lay.marker_base_id + corner, px(s))).convert("RGB"), (px(x), px(y)))
    x, y, s, _ = lay.qr()
    img.paste(Image.fromarray(qr_image(page.payload(), px(s))).convert("RGB"), (px(x), px(y)))

    small = _font("Noto Sans CJK SC", max(8, px(3.0)))
    right = lay.marker(1)[0] - 3
    left = lay.marker(0)[0] + MARKER_MM + 3
    draw.text((px(left), px(10)), f"fontgen sheet · {page.paper}", fill=(60, 60, 60), font=small)
    draw.text((px(left), px(15)), f"page {page.number} of {page.count}", fill=(60, 60, 60), font=small)
    draw.text((px(right), px(10)), "one character per box,", fill=(60, 60, 60), font=small, anchor="ra")
    draw.text((px(right), px(15)), "dark pen, write large;", fill=(60, 60, 60), font=small, anchor="ra")
    draw.text((px(right), px(20)), "keep the corner free", fill=(60, 60, 60), font=small, anchor="ra")

    line = max(1, px(BOX_LINE_MM))
    dash = max(2, px(1.5))
    for i, ch in enumerate(page.chars):
        x, y, w, h = (px(v) for v in lay.box(i))
        cx, cy = x + w // 2, y + h // 2
        for t in range(x + px(2), x + w - px(2), 2 * dash):
            draw.line([(t, cy), (min(t + dash, x + w - px(2)), cy)], fill=(CROSS_GREY,) * 3, width=1)
        for t in range(y + px(2), y + h - px(2), 2 * dash):
            draw.line([(cx, t), (cx, min(t + dash, y + h - px(2)))], fill=(CROSS_GREY,) * 3, width=1)
        draw.rectangle([x, y, x + w, y + h], outline=(BOX_GREY,) * 3, width=line)
        guide = Image.fromarray(guide_mask(ch, dpmm)).resize((w, h))
        img.paste((GUIDE_GREY,) * 3, (x, y), guide)
    return img


def write_pdf(pages: list[Page], out: str | Path, dpi: float = 300, force: bool = False) -> Path:
    """Render every page and write the sheet atomically (`outfiles`: checked first, written whole): a PDF,
    or for a one-page sheet a PNG, as the file name says."""
    out = outfiles.check_output(out, force, SHEET_SUFFIXES)
    if out.suffix.lower() == ".png" and len(pages) > 1:
        raise InputError(f"the sheet has {len(pages)} pages and a PNG holds one", out,
                         "name it .pdf, or ask for fewer characters")
    images = [render_page(p, dpi) for p in pages]
    buf = io.BytesIO()
    if out.suffix.lower() == ".png":
        images[0].save(buf, "PNG", dpi=(dpi, dpi))
    else:
        images[0].save(buf, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return outfiles.write_atomic(out, buf.getvalue(), force)
