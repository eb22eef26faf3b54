"""Prove a built font works before it is written: reload, OTS, render every glyph back and compare.

    report = check_font(otf_bytes, sources, frames)   # {char: uint8 ink map}, {char: PixelFrame}
    reports = check_fonts({"otf": otf, "ttf": ttf}, sources, frames)  # both flavours in one pass
    report.iou_min, report.iou_mean, report.failures
    report.outline_faults, report.outline_counts()    # topology changes: specks, broken, merged strokes

Three checks, any of which raises `FontCheckError`: fontTools reloads the font and its cmap covers
every source character; OTS (the sanitizer browsers run on web fonts) accepts it; FreeType (through
Pillow) renders each glyph and its IoU with the source bitmap reaches `min_iou`. The IoU is computed
in the source bitmap's own frame (the normalized frame, for normalized glyphs): the rendering is
mapped back through the glyph's `PixelFrame`, so both shape and placement are checked.

The same pair of images is also compared by topology (`fontgen.font.topology.compare`, at `TOPOLOGY_PX`):
ink specks, broken strokes, lost ink, merged strokes and new holes the source bitmap did not have. These are
reported, never raised: a font with a merged counter is still a valid font.

With several flavours each glyph's source is upsampled and labelled once, every flavour is rendered
from the glyph's box (not a 2-em canvas) and warped back, and flavours whose renderings read the
same share one topology comparison.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fontgen import parallel
from fontgen.font import topology
from fontgen.font.vectorize import PixelFrame

IOU_PX = 256  # the IoU is measured on the source upsampled to at least this many pixels
# Topology is compared with both images area-averaged to this size: a gap under 1/128 em is below a
# pixel at the largest preview size (96 px), and at 256 px the comparison costs six times as much.
TOPOLOGY_PX = 128
UPM = 1000
OUTLINE_KINDS = ("specks", "broken", "merged", "lost", "new_holes")


class FontCheckError(RuntimeError):
    """The built font is broken; nothing is written. `chars` lists the glyphs at fault, if known."""

    def __init__(self, message: str, chars: tuple[str, ...] = ()):
        super().__init__(message)
        self.chars = chars


@dataclass
class FontReport:
    flavour: str
    glyphs: int
    iou: dict[str, float]
    failures: list[tuple[str, float]] = field(default_factory=list)
    outline_faults: dict[str, topology.TopologyDiff] = field(default_factory=dict)  # glyphs whose topology changed

    @property
    def iou_min(self) -> float:
        return min(self.iou.values(), default=1.0)

    @property
    def iou_mean(self) -> float:
        return float(np.mean(list(self.iou.values()))) if self.iou else 1.0

    def outline_glyphs(self, kind: str) -> list[str]:
        """Glyphs whose rendering has a `kind` (one of OUTLINE_KINDS) of fault the source did not have."""
        test = {"specks": lambda d: d.has_specks, "broken": lambda d: d.is_broken, "merged": lambda d: d.is_merged,
                "lost": lambda d: bool(d.lost), "new_holes": lambda d: bool(d.new_holes)}[kind]
        return [ch for ch, diff in self.outline_faults.items() if test(diff)]

    def outline_counts(self) -> dict[str, int]:
        """How many glyphs have each kind of outline fault (one glyph can have several)."""
        return {kind: len(self.outline_glyphs(kind)) for kind in OUTLINE_KINDS}


@dataclass(frozen=True)
class GlyphMatch:
    """One glyph rendered back against its source: IoU and what changed in its topology."""

    iou: float
    faults: topology.TopologyDiff


def reload(data: bytes, chars) -> int:
    """Parse every table with fontTools; returns the glyph count. Raises if a character is unmapped."""
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(io.BytesIO(data))
        for tag in font.keys():
            font[tag]  # decompile each table
        cmap = font.getBestCmap()
        glyphs = len(font.getGlyphOrder())
    except Exception as exc:  # fontTools raises many types on broken data
        raise FontCheckError(f"fontTools cannot read the built font: {exc}") from exc
    missing = [ch for ch in chars if ord(ch) not in cmap]
    if missing:
        raise FontCheckError(f"the built font does not map {len(missing)} characters: {''.join(missing[:20])}")
    return glyphs


def sanitize(data: bytes) -> None:
    """Run OTS on the font; raises FontCheckError with its message if it rejects the font."""
    import ots

    with tempfile.TemporaryDirectory(prefix="fontgen-ots-") as tmp:
        src, dst = os.path.join(tmp, "in.font"), os.path.join(tmp, "out.font")
        with open(src, "wb") as f:
            f.write(data)
        result = ots.sanitize(src, dst, capture_output=True)
    if result.returncode != 0:
        message = (result.stderr or result.stdout or b"").decode(errors="replace").strip().replace("\n", "; ")
        raise FontCheckError(f"OTS rejects the built font: {message}")


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two uint8 ink maps thresholded at half ink."""
    # OpenCV's thresholds and pixel counts: the same integers as numpy's masks, at a quarter of the cost.
    ma = cv2.threshold(a, 127, 255, cv2.THRESH_BINARY)[1]
    mb = cv2.threshold(b, 127, 255, cv2.THRESH_BINARY)[1]
    union = cv2.countNonZero(cv2.bitwise_or(ma, mb))
    return float(np.int64(cv2.countNonZero(cv2.bitwise_and(ma, mb))) / np.int64(union)) if union else 1.0


def render(font: ImageFont.FreeTypeFont, ch: str) -> tuple[np.ndarray, tuple[int, int]]:
    """FreeType's rendering of `ch` cropped to its box, and the pixel position of its origin (x, baseline).

    The pixels of `templates.render_ink`'s 2-em canvas (Pillow sizes the bitmap with the same call
    that measures the box), without filling and pasting a canvas sixteen times the glyph's area.
    """
    x0, y0, x1, y1 = font.getbbox(ch, anchor="ls")
    if x1 <= x0 or y1 <= y0:
        return np.zeros((1, 1), np.uint8), (0, 0)
    img = Image.new("L", (x1 - x0, y1 - y0), 0)
    ImageDraw.Draw(img).text((-x0, -y0), ch, fill=255, font=font, anchor="ls")
    return np.asarray(img), (-x0, -y0)


def factor(size: int) -> int:
    """Upsampling factor of a `size`-pixel source for the IoU (to at least IOU_PX pixels)."""
    return max(1, math.ceil(IOU_PX / size))


def upsampled(source: np.ndarray) -> np.ndarray:
    """The source at ≥ IOU_PX pixels (bicubic): the smooth shape the tracer aims at, so thin strokes
    are not decided by single pixels straddling the threshold."""
    size, k = source.shape[0], factor(source.shape[0])
    return source if k == 1 else cv2.resize(source, (size * k, size * k), interpolation=cv2.INTER_CUBIC)


def warped_back(font: ImageFont.FreeTypeFont, ch: str, frame: PixelFrame, size: int) -> np.ndarray:
    """The rendered glyph in the frame of its `size`-pixel source, upsampled as `upsampled` does.

    The rendering is warped back through the glyph's `PixelFrame` (font units → source pixels), so a
    misplaced or mis-scaled glyph scores low.
    """
    k = factor(size)
    rendered, (ox, oy) = render(font, ch)
    px_per_unit = font.size / UPM
    a = frame.scale * px_per_unit / k  # target pixels → rendered pixels
    # Pixel centres: target pixel u sits at canvas (u + ½) / k, rendered pixel i at FreeType's i + ½.
    half = 0.5 * a - 0.5
    warp = np.array([[a, 0, ox + frame.x0 * px_per_unit + half],
                     [0, a, oy - frame.y0 * px_per_unit + half]], np.float64)
    return cv2.warpAffine(rendered, warp, (size * k, size * k), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)


def in_source_frame(font: ImageFont.FreeTypeFont, ch: str, source: np.ndarray,
                    frame: PixelFrame) -> tuple[np.ndarray, np.ndarray]:
    """The rendered glyph and its source, both in the source's own frame at ≥ IOU_PX pixels."""
    return warped_back(font, ch, frame, source.shape[0]), upsampled(source)


def match_glyph(font: ImageFont.FreeTypeFont, ch: str, source: np.ndarray, frame: PixelFrame) -> GlyphMatch:
    """IoU and topology changes of the rendered glyph against its source, in the source's frame."""
    return match_fonts({"": font}, ch, source, frame)[""]


def match_fonts(fonts: dict[str, ImageFont.FreeTypeFont], ch: str, source: np.ndarray,
                frame: PixelFrame) -> dict[str, GlyphMatch]:
    """`match_glyph` for each font (flavour): the source upsampled and labelled once for all of them."""
    smooth = upsampled(source)
    backs = {key: warped_back(font, ch, frame, source.shape[0]) for key, font in fonts.items()}
    faults = topology.compare_many(smooth, list(backs.values()), max_px=TOPOLOGY_PX)
    return {key: GlyphMatch(iou(back, smooth), fault) for (key, back), fault in zip(backs.items(), faults)}


_FONTS: dict[str, ImageFont.FreeTypeFont] = {}


def _load_fonts(fonts: dict[str, bytes], em_px: int) -> None:
    global _FONTS
    _FONTS = {key: ImageFont.truetype(io.BytesIO(data), em_px) for key, data in fonts.items()}


def _match_chunk(items: list[tuple[str, np.ndarray, PixelFrame]]) -> list[dict[str, GlyphMatch]]:
    return [match_fonts(_FONTS, ch, src, frame) for ch, src, frame in items]


def match_glyphs(data: bytes, sources: dict[str, np.ndarray], frames: dict[str, PixelFrame], *,
                 workers: int | None = None, progress: bool = True, desc: str = "check") -> dict[str, GlyphMatch]:
    """{char: the glyph rendered by FreeType matched against its source bitmap (IoU, topology)}."""
    matches = match_all({"": data}, sources, frames, workers=workers, progress=progress, desc=desc)
    return {ch: m[""] for ch, m in matches.items()}


def match_all(fonts: dict[str, bytes], sources: dict[str, np.ndarray], frames: dict[str, PixelFrame], *,
              workers: int | None = None, progress: bool = True, desc: str = "check") -> dict[str, dict[str, GlyphMatch]]:
    """{char: {font key: match}}: every glyph of every font in one pass over the glyphs."""
    if not sources:
        return {}
    # Render at about the comparison resolution, so the warp neither aliases nor blurs much.
    em_px = round(float(np.median([UPM * factor(sources[ch].shape[0]) / frames[ch].scale
                                   for ch in sources])))
    items = [(ch, sources[ch], frames[ch]) for ch in sources]
    matches = parallel.map_chunks(_match_chunk, items, workers=workers, init=_load_fonts,
                                  init_args=(fonts, em_px), desc=desc, progress=progress)
    return dict(zip(sources, matches))


def check_font(data: bytes, sources: dict[str, np.ndarray], frames: dict[str, PixelFrame], *,
               flavour: str = "otf", min_iou: float = 0.5, workers: int | None = None,
               progress: bool = True) -> FontReport:
    """All three checks; raises FontCheckError on the first that fails, else returns the report.

    Topology changes go into the report only; they never fail the check.
    """
    return check_fonts({flavour: data}, sources, frames, min_iou=min_iou, workers=workers, progress=progress)[flavour]


def check_fonts(fonts: dict[str, bytes], sources: dict[str, np.ndarray], frames: dict[str, PixelFrame], *,
                min_iou: float = 0.5, workers: int | None = None, progress: bool = True) -> dict[str, FontReport]:
    """`check_font` for each flavour ({flavour: font bytes}), rendering every flavour of a glyph in one pass.

    The flavours' fonts are read and sanitized first; the first flavour (in order) with a glyph
    under `min_iou` raises.
    """
    counts = {}
    for flavour, data in fonts.items():
        counts[flavour] = reload(data, sources)
        sanitize(data)
    desc = "check " + " + ".join(fonts)
    matches = match_all(fonts, sources, frames, workers=workers, progress=progress, desc=desc)
    reports = {}
    for flavour in fonts:
        scores = {ch: m[flavour].iou for ch, m in matches.items()}
        failures = sorted(((ch, v) for ch, v in scores.items() if v < min_iou), key=lambda t: t[1])
        faults = {ch: m[flavour].faults for ch, m in matches.items() if m[flavour].faults}
        if failures:
            worst = ", ".join(f"{ch} {v:.2f}" for ch, v in failures[:10])
            raise FontCheckError(
                f"{len(failures)} glyphs of the {flavour} font do not match their bitmaps (IoU < {min_iou}): {worst}",
                tuple(ch for ch, _ in failures))
        reports[flavour] = FontReport(flavour, counts[flavour], scores, failures, faults)
    return reports
