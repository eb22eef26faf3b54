"""Glyph bitmaps → checked, installable font files: trace → build → validate → atomic write.

`build_font` is the back half of both `build-font` (a folder of images) and `make-font`
(generated glyphs):

    report = build_font({"永": ink64, ...}, [Path("MyHand.otf"), Path("MyHand.woff2")], ttf=Path("MyHand.ttf"),
                        web=Path("web"), name="My Hand", placements=templates.placement)
    print(report.summary())

Glyphs are square uint8 ink maps (255 = ink) of any size. With `layout="content"` (the default, for
normalized glyphs) each glyph's content square goes to its `Placement` (default: centred in the em);
with `layout="canvas"` (arbitrary images) the whole canvas is the em box, so glyphs keep the layout
they were drawn with. Each output's format follows its extension (WOFF and WOFF2 wrap the CFF font);
`web` adds a web package (`webfont`). Nothing is written unless every font passes every check, and
then all outputs are written together (`outfiles.write_all`).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from fontgen import outfiles, parallel, raster
from fontgen.errors import InputError
from fontgen.font import build, compiler, validate, vectorize, webfont

MAX_CANVAS_PX = 256  # larger images are area-averaged down to this before tracing
OUTLINES = {".otf": "otf", ".ttf": "ttf", ".woff2": "otf", ".woff": "otf"}  # format → the font it wraps
FONT_SUFFIXES = tuple(OUTLINES)
FONT_ROOM = 16 * outfiles.MB  # free space asked for per font file (a GB2312 font takes 3 to 6 MB)


@dataclass
class BuildReport:
    """What was built and how long each stage took (seconds, keyed trace/otf/ttf/check/write)."""

    glyphs: int
    files: dict[Path, int]  # written font → size in bytes
    seconds: dict[str, float] = field(default_factory=dict)
    checks: dict[str, validate.FontReport] = field(default_factory=dict)  # by flavour, "otf"/"ttf"
    web: Path | None = None
    web_files: dict[str, int] = field(default_factory=dict)  # the web package's files → size in bytes

    def outputs(self) -> str:
        """Each written font with its size, and the web package."""
        files = [f"{path} {size / 1024:.0f} KB" for path, size in self.files.items()]
        chunks = [size for name, size in self.web_files.items() if name.endswith(".woff2")]
        if self.web is not None:
            files.append(f"{self.web}/ ({len(chunks)} WOFF2 chunks of at most {max(chunks) / 1024:.0f} KB, CSS, "
                         f"index.html)")
        return ", ".join(files)

    def summary(self) -> str:
        files = self.outputs()
        stages = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        return f"{self.glyphs} glyphs → {files}; {self.quality()}; {stages}"

    def quality(self) -> str:
        """Render-back IoU and outline faults, the worse flavour's figure of each."""
        iou = min((c.iou_min for c in self.checks.values()), default=1.0)
        mean = min((c.iou_mean for c in self.checks.values()), default=1.0)
        counts = [c.outline_counts() for c in self.checks.values()]
        faults = ", ".join(f"{max((n[k] for n in counts), default=0)} {k.replace('_', ' ')}"
                           for k in validate.OUTLINE_KINDS)
        return f"IoU min {iou:.3f} mean {mean:.3f}; glyphs with outline faults: {faults}"


def square_canvas(ink: np.ndarray, max_px: int = MAX_CANVAS_PX) -> np.ndarray:
    """An image's float ink map → square uint8 canvas (padded around its centre, at most max_px)."""
    h, w = ink.shape
    side = max(h, w)
    square = np.zeros((side, side), np.float32)
    oy, ox = (side - h) // 2, (side - w) // 2
    square[oy:oy + h, ox:ox + w] = ink
    if side > max_px:
        square = cv2.resize(square, (max_px, max_px), interpolation=cv2.INTER_AREA)
    return np.round(np.clip(square, 0.0, 1.0) * 255).astype(np.uint8)


def glyphs_from_folder(folder: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Path]]:
    """Read a folder of per-character images into square uint8 canvases, plus each one's file."""
    from fontgen.samples import glyphfiles

    found = glyphfiles.read_folder(folder)
    glyphs = {ch: square_canvas(ink) for ch, (_, ink) in found.items()}
    return glyphs, {ch: path for ch, (path, _) in found.items()}


def _frames(glyphs, placements, layout, margins) -> dict[str, vectorize.PixelFrame]:
    placements, margins = placements or {}, margins or {}
    if layout == "content":
        return {ch: vectorize.PixelFrame.content(g.shape[0], placements.get(ch) or raster.Placement.full_em(),
                                                 margins.get(ch))
                for ch, g in glyphs.items()}
    if layout == "canvas":
        return {ch: vectorize.PixelFrame.canvas(g.shape[0], placements.get(ch)) for ch, g in glyphs.items()}
    raise ValueError(f"layout must be 'content' or 'canvas', not {layout!r}")


def _check_glyphs(glyphs: dict[str, np.ndarray], sources: dict[str, Path]) -> None:
    if not glyphs:
        raise InputError("no glyphs to build a font from", None, "give at least one glyph bitmap")
    for ch, g in glyphs.items():
        if len(ch) != 1:
            raise ValueError(f"glyph keys must be single characters, got {ch!r}")
        if g.ndim != 2 or g.shape[0] != g.shape[1] or g.dtype != np.uint8:
            raise ValueError(f"glyph {ch!r}: expected a square uint8 ink map, got {g.dtype} {g.shape}")
        if raster.ink_bbox(g) is None:
            raise InputError(f"the glyph for {ch!r} has no ink", sources.get(ch),
                             "use dark strokes on light paper (or the reverse), or remove the file")


def font_outputs(out, ttf=None) -> list:
    """`--out` (one path, several, or none) and the `--ttf` alias as one list of paths."""
    outs = [] if out is None else [out] if isinstance(out, (str, Path)) else list(out)
    return outs + ([ttf] if ttf is not None else [])


def check_fonts(out, ttf=None, force: bool = False, web=None) -> tuple[list[Path], Path | None]:
    """The font files (and web folder) to write, checked before any work: suffix, folder, writable, free
    space, --force. `out` is one path or several; `ttf` (the --ttf alias) must end in .ttf."""
    if ttf is not None and Path(ttf).suffix.lower() != ".ttf":
        raise InputError("--ttf must end in .ttf", ttf, "name the file e.g. MyHand.ttf, or give it as --out")
    outs = outfiles.check_outputs([(o, FONT_SUFFIXES, FONT_ROOM) for o in font_outputs(out, ttf)], force)
    if not outs and web is None:
        raise InputError("no output given", None, "pass --out MyHand.otf (or .ttf, .woff2, .woff) and/or --web DIR")
    if web is not None:
        web = outfiles.check_folder(web, force, webfont.WEB_ROOM)
        inside = [o for o in outs if web.resolve() in o.resolve().parents]
        if inside:
            raise InputError("a font output inside the --web folder (the folder is replaced whole)", inside[0],
                             "write the font beside the folder")
    return outs, web


@parallel.one_pool
def build_font(glyphs: dict[str, np.ndarray], out, *, ttf: Path | None = None, web: Path | None = None,
               name: str = "My Hand",
               placements: dict[str, raster.Placement] | None = None, force: bool = False,
               progress: bool = True, workers: int | None = None, layout: str = "content",
               info: build.FontInfo | None = None, options: vectorize.TraceOptions = vectorize.TraceOptions(),
               sources: dict[str, Path] | None = None, margins: dict[str, int] | None = None,
               min_iou: float = 0.5) -> BuildReport:
    """Trace, build, check and write the font(s); raises InputError/FontCheckError and writes nothing on failure.

    `out` is one font file or several: CFF for .otf, TrueType for .ttf, the CFF font as WOFF2 or WOFF for
    .woff2 or .woff; `ttf` adds a TrueType copy; `web` (a folder) the web package of the CFF font.
    `sources` (char → file) lets errors name the image a bad glyph came from; `info` overrides the
    naming built from `name`; `margins` (char → px) is the normalization margin of glyphs that were
    not normalized with `raster.default_margin(size)`.
    """
    outs, web = check_fonts(out, ttf, force, web)
    sources = sources or {}
    _check_glyphs(glyphs, sources)
    info = info or build.FontInfo(family=name)
    seconds: dict[str, float] = {}
    wanted = [OUTLINES[path.suffix.lower()] for path in outs] + (["otf"] if web is not None else [])
    flavours = tuple(dict.fromkeys(wanted))

    t0 = time.perf_counter()
    frames = _frames(glyphs, placements, layout, margins)
    traced = vectorize.trace_many(glyphs, frames, options=options,
                                  finish=partial(build.prepare_glyphs, flavours=flavours),
                                  workers=workers, progress=progress)
    seconds["trace"] = time.perf_counter() - t0

    fonts: dict[str, bytes] = {}
    for flavour in flavours:
        t0 = time.perf_counter()
        compile_font = build.compile_otf if flavour == "otf" else build.compile_ttf
        fonts[flavour] = compile_font(traced, info)
        seconds[flavour] = time.perf_counter() - t0

    t0 = time.perf_counter()
    # ASCII glyphs were moved to proportional side bearings: follow them when rendering back.
    for ch, frame in frames.items():
        _, dx = compiler.horizontal_layout(ch, traced[ch].bounds)
        if dx:
            frames[ch] = vectorize.PixelFrame(frame.scale, frame.x0 + dx, frame.y0)
    try:
        checks = validate.check_fonts(fonts, glyphs, frames, min_iou=min_iou, workers=workers, progress=progress)
    except validate.FontCheckError as exc:
        bad = [ch for ch in exc.chars if ch in sources]
        if bad:
            raise InputError(f"the traced glyph does not match the image ({exc})", sources[bad[0]],
                             "draw strokes at least a few pixels wide, or scan at a higher resolution") from exc
        raise
    seconds["check"] = time.perf_counter() - t0

    t0 = time.perf_counter()  # the web formats: WOFF/WOFF2 compression and the web package
    files = {path: wrap(fonts[OUTLINES[path.suffix.lower()]], path.suffix.lower()) for path in outs}
    package = webfont.package(fonts["otf"], workers=workers, progress=progress) if web is not None else {}
    if web is not None or any(p.suffix.lower() in (".woff2", ".woff") for p in outs):
        seconds["web"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    outfiles.write_all(files, force, folders={web: package} if web is not None else None)
    seconds["write"] = time.perf_counter() - t0
    return BuildReport(len(glyphs), {path: len(data) for path, data in files.items()}, seconds, checks, web,
                       {name: len(data) for name, data in package.items()})


def wrap(data: bytes, suffix: str) -> bytes:
    """Font bytes in the container `suffix` names: as they are for .otf/.ttf, else compressed as WOFF2/WOFF."""
    if suffix not in (".woff2", ".woff"):
        return data
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), recalcBBoxes=False, recalcTimestamp=False)
    font.flavor = suffix[1:]
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
