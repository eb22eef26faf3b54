"""Turn photos or scans of filled-in sheets (`fontgen template`) into per-character sample images.

Each page goes through the same steps, and any step that cannot be trusted stops with an `InputError`
naming the page, before anything is written:

1. find the four corner markers; their ids give the paper and which corner is which, so rotation
   (upside down included) needs no guessing;
2. map the page to a flat 200 dpi image with a homography fitted to all 16 marker corners, after
   checking the markers are large, not too foreshortened and agree with each other;
3. even out the lighting (divide by a blurred max-filtered background);
4. read the layout from the QR code and check it matches the markers' paper and this fontgen's grid;
5. cut each box inside its line, binarize at 40 % of the box's ink level (drops the light centre
   guides), remove specks, box-line remnants and the printed guide (components that lie mostly on
   its known footprint), and crop with a margin. Boxes with no ink left are reported as empty.

    pages = scan.scan(["page1.jpg"], "samples/", debug="debug.png")
    pages[0].samples["永"]   # uint8 ink map, 255 = ink
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fontgen import outfiles
from fontgen.errors import InputError
from fontgen.samples import glyphfiles, sheet

SCAN_DPI = 200
MIN_MARKER_PX = 16  # smaller markers: the photo is too far away or too small
MIN_MARKER_RATIO = 0.4  # smallest / largest marker side: below it the photo is too steep
MAX_FIT_ERROR_MM = 1.5  # homography residual: above it the paper is curled or markers are misread
MAX_PHOTO_PIXELS = 64_000_000
BOX_INSET_MM = 1.1  # cut this far inside the box line
SPECK_MM = 0.5  # ink blobs smaller than a square this size are noise
GUIDE_OVERLAP = 0.6  # a component this much inside the guide's footprint is the printed guide
EMPTY_FRACTION = 0.003  # less ink than this share of the box: the box is empty
LEVEL = 0.4  # binarize at this share of the box's ink darkness: near the 50 % edge, keeps tapered tips
CROP_MARGIN = 0.08  # output margin around the ink, as a share of the ink box's longer side
UNSAFE_NAME = set('/\\:*?"<>|.') | {"\0"}


@dataclass
class PageScan:
    """What one photo gave: the sheet page it shows, the written characters and the empty boxes."""

    path: Path
    page: sheet.Page
    samples: dict[str, np.ndarray] = field(default_factory=dict)  # char → uint8 ink map, 255 = ink
    empty: list[str] = field(default_factory=list)
    debug: np.ndarray | None = None  # BGR picture of what was detected


def read_photo(path: Path) -> np.ndarray:
    """The photo as a BGR uint8 array, EXIF rotation applied; InputError if it cannot be read."""
    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PHOTO_PIXELS:
                raise InputError(f"image is too large ({im.width}×{im.height} px)", path,
                                 "scale it down to at most 64 megapixels")
            rgb = np.asarray(glyphfiles.eight_bit(ImageOps.exif_transpose(im)).convert("RGB"))
    except Image.DecompressionBombError as exc:
        raise InputError(f"image refused as a decompression bomb ({exc})", path,
                         "scale it down to at most 64 megapixels") from None
    except (UnidentifiedImageError, OSError):
        raise InputError("not a readable image", path, "give a photo or scan as JPEG, PNG or TIFF") from None
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def find_markers(gray: np.ndarray, path: Path) -> tuple[sheet.Layout, dict[int, np.ndarray]]:
    """The sheet's layout (from the marker ids) and each corner's detected marker corners [4, 2]."""
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    detector = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(sheet.ARUCO_DICT), params)
    corners, ids, _ = detector.detectMarkers(gray)
    ids = [] if ids is None else ids.ravel().tolist()
    papers = {sheet.Layout(p).marker_base_id: p for p in sheet.PAPERS}
    found: dict[str, dict[int, np.ndarray]] = {}
    for quad, marker_id in zip(corners, ids):
        base = marker_id - marker_id % 4
        if base not in papers:
            continue
        by_corner = found.setdefault(papers[base], {})
        if marker_id % 4 in by_corner:
            raise InputError("the photo shows more than one sheet", path, "photograph one page at a time")
        by_corner[marker_id % 4] = quad.reshape(4, 2).astype(np.float32)
    if not found:
        raise InputError("no fontgen sheet found (none of its corner markers is visible)", path,
                         "photograph the whole page, sharp and in even light, with all four black corner squares")
    if len(found) > 1:
        raise InputError("markers of both A4 and Letter sheets are visible", path, "photograph one page at a time")
    paper, by_corner = next(iter(found.items()))
    if len(by_corner) < 4:
        names = ["top-left", "top-right", "bottom-right", "bottom-left"]
        missing = ", ".join(names[c] for c in range(4) if c not in by_corner)
        raise InputError(f"only {len(by_corner)} of the 4 corner markers were found (missing: {missing})", path,
                         "make sure all four corners are in the photo, uncovered, sharp and not in glare")
    return sheet.Layout(paper), by_corner


def check_geometry(by_corner: dict[int, np.ndarray], path: Path) -> float:
    """Reject photos too small or too steep to cut reliably; returns the photo's pixels per mm."""
    sides = [float(np.linalg.norm(q - np.roll(q, 1, axis=0), axis=1).mean()) for q in by_corner.values()]
    if min(sides) < MIN_MARKER_PX:
        raise InputError(f"the sheet is too small in the photo (corner markers {min(sides):.0f} px wide)", path,
                         "fill the frame with the page or scan at 150 dpi or more")
    if min(sides) / max(sides) < MIN_MARKER_RATIO:
        raise InputError("the photo is taken at too steep an angle", path,
                         "hold the camera straight above the page")
    return float(np.mean(sides)) / sheet.MARKER_MM


def fit_homography(layout: sheet.Layout, by_corner: dict[int, np.ndarray], dpmm: float, path: Path) -> np.ndarray:
    """Homography from the photo to the page at `dpmm` pixels per mm, fitted to all 16 marker corners."""
    src = np.concatenate([by_corner[c] for c in range(4)])
    dst = np.concatenate([layout.marker_corners(c) for c in range(4)]) * dpmm
    h, _ = cv2.findHomography(src, dst, 0)
    if h is None or np.linalg.det(h[:2, :2]) <= 0:
        raise InputError("the corner markers do not form a page (mirrored or folded?)", path,
                         "photograph the printed page flat, not a mirror image")
    err = np.linalg.norm(cv2.perspectiveTransform(src[None], h)[0] - dst, axis=1).max() / dpmm
    if err > MAX_FIT_ERROR_MM:
        raise InputError(f"the corner markers disagree by {err:.1f} mm (curled or folded paper?)", path,
                         "lay the page flat and photograph it again")
    return h


def darkness_map(gray: np.ndarray, dpmm: float) -> np.ndarray:
    """Ink darkness in [0, 1] with the lighting evened out: gray divided by its local paper level."""
    small = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    k = max(3, round(5 * dpmm / 4)) | 1  # 5 mm: wider than any pen stroke
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    paper = cv2.GaussianBlur(paper, (0, 0), k)
    paper = cv2.resize(paper, gray.shape[::-1], interpolation=cv2.INTER_LINEAR)
    return np.clip(1.0 - gray / np.maximum(paper, 0.05), 0.0, 1.0)


def read_layout(gray: np.ndarray, layout: sheet.Layout, dpmm: float, path: Path) -> sheet.Page:
    """Decode the QR code from the rectified page and check it against the markers."""
    x, y, w, h = (round(v * dpmm) for v in layout.qr())
    pad = round(3 * dpmm)
    crop = (np.clip(gray[max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad], 0, 1) * 255).astype(np.uint8)
    detector = cv2.QRCodeDetector()
    text = ""
    for attempt in (crop, cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1],
                    cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)):
        text = detector.detectAndDecode(attempt)[0]
        if text:
            break
    if not text:
        raise InputError("cannot read the sheet's QR code (its layout)", path,
                         "photograph the page sharp and without glare on the QR code, or print a new sheet")
    try:
        page = sheet.parse_payload(text)
    except ValueError as exc:
        raise InputError(f"{exc}", path, "scan only sheets printed by `fontgen template`") from None
    if page.paper != layout.paper:
        raise InputError(f"the QR code says {page.paper} but the corner markers say {layout.paper}", path,
                         "scan only sheets printed by `fontgen template`")
    return page


def cut_box(dark: np.ndarray, page: sheet.Page, i: int, dpmm: float) -> np.ndarray | None:
    """The cleaned, cropped ink map (255 = ink) written in box `i`, or None if the box is empty."""
    x, y, w, h = page.layout.box(i)
    inset = sheet.BOX_LINE_MM / 2 + BOX_INSET_MM
    x0, y0 = round((x + inset) * dpmm), round((y + inset) * dpmm)
    x1, y1 = round((x + w - inset) * dpmm), round((y + h - inset) * dpmm)
    box = dark[y0:y1, x0:x1]
    # The guide mask is drawn in box coordinates; shift it by the inset to match the cut.
    guide = sheet.guide_mask(page.chars[i], dpmm)
    off = round(inset * dpmm)
    guide = guide[off:off + box.shape[0], off:off + box.shape[1]]
    guide = cv2.dilate(guide, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (round(dpmm) | 1,) * 2))

    peak = float(np.percentile(box, 99.7))
    level = float(np.clip(LEVEL * peak, 0.22, 0.5))
    ink = (box > level).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = np.zeros(n, bool)
    bh, bw = ink.shape
    min_area = (SPECK_MM * dpmm) ** 2
    for k in range(1, n):
        cx, cy, cw, ch, area = stats[k]
        if area < min_area:
            continue
        touches = cx == 0 or cy == 0 or cx + cw == bw or cy + ch == bh
        if touches and ((cw > 0.5 * bw and ch < 0.06 * bh) or (ch > 0.5 * bh and cw < 0.06 * bw)):
            continue  # a remnant of the box line
        on_guide = np.count_nonzero(guide[labels == k]) / area
        if on_guide >= GUIDE_OVERLAP:
            continue
        keep[k] = True
    mask = keep[labels]
    if mask.sum() < EMPTY_FRACTION * mask.size:
        return None
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    margin = max(4, round(CROP_MARGIN * max(r1 - r0, c1 - c0)))
    out = np.zeros((r1 - r0 + 2 * margin, c1 - c0 + 2 * margin), np.uint8)
    out[margin:-margin, margin:-margin] = mask[r0:r1, c0:c1] * 255
    return out


def scan_page(path: str | Path) -> PageScan:
    """Find, rectify, read and cut one photographed page."""
    path = Path(path)
    photo = read_photo(path)
    gray_photo = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    layout, by_corner = find_markers(gray_photo, path)
    photo_dpmm = check_geometry(by_corner, path)
    dpmm = SCAN_DPI / 25.4
    h = fit_homography(layout, by_corner, dpmm, path)
    src = gray_photo.astype(np.float32) / 255.0
    shrink = photo_dpmm / dpmm
    if shrink > 1.5:  # warpPerspective does not average when shrinking: blur first against aliasing
        src = cv2.GaussianBlur(src, (0, 0), 0.5 * shrink)
    w_mm, h_mm = layout.size_mm
    size = (round(w_mm * dpmm), round(h_mm * dpmm))
    gray = cv2.warpPerspective(src, h, size, flags=cv2.INTER_LINEAR, borderValue=1.0)
    page = read_layout(gray, layout, dpmm, path)
    dark = darkness_map(gray, dpmm)
    result = PageScan(path, page)
    for i, ch in enumerate(page.chars):
        ink = cut_box(dark, page, i, dpmm)
        if ink is None:
            result.empty.append(ch)
        else:
            result.samples[ch] = ink
    result.debug = debug_picture(photo, by_corner, h, dark, result, dpmm)
    return result


def debug_picture(photo: np.ndarray, by_corner: dict[int, np.ndarray], h: np.ndarray, dark: np.ndarray,
                  result: PageScan, dpmm: float) -> np.ndarray:
    """The photo with markers and boxes drawn on it (green written, orange empty) beside the flat page."""
    lay = result.page.layout
    shown = photo.copy()
    scale = 900 / shown.shape[0]
    thick = max(2, round(3 / scale))
    inv = np.linalg.inv(h)

    def outline(rect_mm):
        x, y, w, hh = rect_mm
        pts = np.array([[x, y], [x + w, y], [x + w, y + hh], [x, y + hh]], np.float32) * dpmm
        return cv2.perspectiveTransform(pts[None], inv)[0].round().astype(np.int32)

    flat = cv2.cvtColor(((1.0 - dark) * 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    for corner, quad in by_corner.items():
        cv2.polylines(shown, [quad.round().astype(np.int32)], True, (255, 0, 255), thick)
        cv2.putText(shown, str(lay.marker_base_id + corner), tuple(quad[0].round().astype(int)),
                    cv2.FONT_HERSHEY_SIMPLEX, 1.2 / scale, (255, 0, 255), thick)
    cv2.polylines(shown, [outline((0, 0, *lay.size_mm))], True, (255, 128, 0), thick)
    cv2.polylines(shown, [outline(lay.qr())], True, (255, 128, 0), thick)
    for i, ch in enumerate(result.page.chars):
        colour = (0, 180, 0) if ch in result.samples else (0, 140, 255)
        cv2.polylines(shown, [outline(lay.box(i))], True, colour, thick)
        x, y, w, hh = (round(v * dpmm) for v in lay.box(i))
        cv2.rectangle(flat, (x, y), (x + w, y + hh), colour, 3)
    left = cv2.resize(shown, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    right = cv2.resize(flat, (round(flat.shape[1] * 900 / flat.shape[0]), 900), interpolation=cv2.INTER_AREA)
    label = (f"{result.path.name}: {lay.paper} page {result.page.number}/{result.page.count}, "
             f"{len(result.samples)} written, {len(result.empty)} empty")
    cv2.putText(left, label, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 255), 2)
    return np.hstack([left, np.full((900, 10, 3), 255, np.uint8), right])


def sample_filename(ch: str) -> str:
    """`永.png`, or `U+XXXX.png` for characters that cannot be a file name."""
    if ch.isprintable() and not ch.isspace() and ch not in UNSAFE_NAME:
        return f"{ch}.png"
    return f"U+{ord(ch):04X}.png"


def scan(paths, out: str | Path, debug: str | Path | None = None, force: bool = False,
         progress: bool = False) -> list[PageScan]:
    """Scan every page, then write `<char>.png` files (black on white) into `out` atomically."""
    out = Path(out)
    debug = None if debug is None else Path(debug)
    for target in (out, debug):
        if target is not None and target.exists() and not force:
            raise InputError("output already exists", target, "pass --force to replace it")
        if target is not None and not target.parent.is_dir():
            raise InputError("output folder does not exist", target.parent, "create it first")
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("no photos given", None, "pass one or more photos or scans of filled-in sheets")
    from tqdm import tqdm

    results = [scan_page(p) for p in tqdm(paths, desc="pages", unit="page", disable=None if progress else True)]
    seen: dict[str, Path] = {}
    for res in results:
        for ch in res.samples:
            if ch in seen:
                raise InputError(f"the character {ch!r} was written on two pages ({seen[ch].name} and {res.path.name})",
                                 res.path, "give each page once")
            seen[ch] = res.path
    if not seen:
        raise InputError("every box is empty", paths[0], "write the characters in their boxes with a dark pen")
    picture = None if debug is None else _debug_png([res.debug for res in results], debug)
    with outfiles.staged_folder(out) as folder:  # the samples and the debug picture, both or neither
        for res in results:
            for ch, ink in res.samples.items():
                Image.fromarray(255 - ink).save(folder / sample_filename(ch))
        if picture is not None:
            outfiles.write_atomic(debug, picture, force)
    return results


def _debug_png(pictures: list[np.ndarray], out: Path) -> bytes:
    """The pages' debug pictures stacked vertically, as PNG bytes."""
    width = max(p.shape[1] for p in pictures)
    padded = [cv2.copyMakeBorder(p, 0, 10, 0, width - p.shape[1], cv2.BORDER_CONSTANT, value=(255, 255, 255))
              for p in pictures]
    ok, png = cv2.imencode(".png", np.vstack(padded))
    if not ok:
        raise InputError("cannot encode the debug picture", out, "scan fewer pages at a time")
    return png.tobytes()
