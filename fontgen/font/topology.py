"""Topology of glyph ink maps: which strokes are separate, which counters are open, and what changed.

A glyph's legibility lives in its topology: the ink components (strokes that do not touch) and the
holes (counters, the paper enclosed by strokes, as in 口 or 日). Tracing can change it in ways IoU
hardly notices: a speck of ink, a stroke broken in two, two strokes merged so a counter fills in.

    topo = topology(ink)                    # uint8 ink map (255 = ink) → Topology
    topo.components, topo.holes             # counts of significant regions
    diff = compare(source, rendered)        # same frame, same size: what the rendering changed
    diff.specks, diff.broken, diff.filled_holes …   # areas (px) of each region at fault

Regions: ink is `ink >= threshold` (128, half ink, as the IoU); ink components are 8-connected,
holes are the 4-connected paper components that do not touch the border (the complementary
connectivity, so a diagonal gap between two ink pixels does not open a counter). A region counts
only from `min_area(side)` pixels: `MIN_AREA_FRACTION` of the glyph's frame area (side², the bitmap
side or the em in pixels), at least one pixel: 3 px² at 128 px (under one source pixel of a 64 px
glyph at ×2, so anti-aliasing crumbs along an edge never count), 2 px² at 96 px and a single pixel
at 24 px, where one pixel is a visible detail.

`compare` matches regions by overlap, never by counting: two regions match when they share a pixel.
Only significant regions can be at fault, but any ink of the other image counts as a match (a speck
is rendered ink that touches no source ink at all).
A change counts only if it holds with a margin (`MARGIN` levels each side of the threshold): a
claim that the rendering has extra ink (a speck, a join, a filled counter) must hold for the
rendering read thin (≥ 160) against the source read bold (≥ 96), and a claim that it lacks ink (a
break, lost ink, an opened counter) for the rendering read bold against the source read thin; a new
hole must hold both ways. A gap or bridge that only exists within a few grey levels of the threshold
is not a fault of either image: without the margin, 28 of 300 Noto Sans glyphs traced from 64 px
bitmaps are flagged, with it none.

The font check compares every glyph, so `compare_many` runs in C when the extension was built
(`fontgen.font._topology`, which labels runs of pixels rather than pixels: 0.13 ms a glyph with both
flavours against 1.15 ms); the numpy path here is its reference and gives the same results. Either
way each TopologyDiff entry lists its areas in ascending order.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import cv2
import numpy as np

try:
    from fontgen.font import _topology as _native
except ImportError:  # installed without a C compiler: the numpy path below, slower
    _native = None

THRESHOLD = 128
MARGIN = 32
MIN_AREA_FRACTION = 2e-4
DENSE_PAIRS = 4  # a table of every label pair's count, while it is at most this many times the pixels


def min_area(side: float) -> int:
    """Smallest region, in pixels, that counts in a glyph frame `side` pixels wide."""
    return max(1, round(MIN_AREA_FRACTION * side * side))


@dataclass(frozen=True)
class Labels:
    """Ink regions (8-connected) and paper regions (4-connected) of one binary mask, numbered together.

    Ink is 1 … n_ink − 1 and paper n_ink … n − 1 (0 is unused), so one histogram of label pairs
    matches two maps' ink regions and paper regions at once.
    """

    regions: np.ndarray  # uint16 (int32 for maps over 65,534 pixels) [H, W]
    n_ink: int
    n: int

    @classmethod
    def of(cls, mask: np.ndarray) -> "Labels":
        mask = np.ascontiguousarray(mask, dtype=bool)
        # Labels never outnumber pixels; 16-bit labelling is a third faster than 32-bit here.
        ltype = cv2.CV_16U if mask.size < 0xFFFF else cv2.CV_32S
        n_ink, ink = cv2.connectedComponents(mask.view(np.uint8), connectivity=8, ltype=ltype)
        n_paper, paper = cv2.connectedComponents((~mask).view(np.uint8), connectivity=4, ltype=ltype)
        return cls(np.where(mask, ink, paper + (n_ink - 1)), n_ink, n_ink + n_paper - 1)

    def areas(self) -> np.ndarray:
        """int [n]: pixels per label."""
        return np.bincount(self.regions.ravel(), minlength=self.n)

    def holes(self) -> np.ndarray:
        """bool [n]: the labels that are enclosed paper (paper regions that do not reach the map's edge)."""
        hole = np.zeros(self.n, bool)
        hole[self.n_ink:] = ~self.paper_border()
        return hole

    def paper_border(self) -> np.ndarray:
        """bool [paper regions]: those that touch the map's edge (the outside, not holes)."""
        r = self.regions
        border = np.zeros(self.n, bool)
        border[np.concatenate([r[0], r[-1], r[:, 0], r[:, -1]])] = True
        return border[self.n_ink:]


@dataclass(frozen=True)
class Topology:
    """Significant ink components and holes of an ink map, with each one's area in pixels."""

    component_areas: tuple[int, ...]
    hole_areas: tuple[int, ...]

    @property
    def components(self) -> int:
        return len(self.component_areas)

    @property
    def holes(self) -> int:
        return len(self.hole_areas)


def topology(ink: np.ndarray, threshold: int = THRESHOLD, side: float | None = None) -> Topology:
    """Ink components and holes of a uint8 ink map; `side` sets the minimum area (default: the map's side)."""
    if ink.ndim != 2 or ink.dtype != np.uint8:
        raise ValueError(f"expected a 2-D uint8 ink map, got {ink.dtype} {ink.shape}")
    least = min_area(side or max(ink.shape))
    labels = Labels.of(ink >= threshold)
    areas = labels.areas()
    ink_areas, paper_areas = areas[1:labels.n_ink], areas[labels.n_ink:]
    holes = (paper_areas >= least) & ~labels.paper_border()
    return Topology(tuple(ink_areas[ink_areas >= least].tolist()), tuple(paper_areas[holes].tolist()))


@dataclass(frozen=True)
class TopologyDiff:
    """How a rendering's topology differs from its source's; each entry is one region's area in pixels.

    specks: rendered ink components over no source ink. broken: source ink components whose pixels
    land in ≥ 2 rendered components. lost: source ink components with no rendered ink. joined: rendered
    components holding ≥ 2 source components (strokes merged). filled_holes: source holes that no
    rendered hole matches and that are inked over (strokes merged); opened_holes: the same but opened
    to the outside (a stroke of the ring broke). new_holes: rendered holes that no source hole matches.
    """

    specks: tuple[int, ...] = ()
    broken: tuple[int, ...] = ()
    lost: tuple[int, ...] = ()
    joined: tuple[int, ...] = ()
    filled_holes: tuple[int, ...] = ()
    opened_holes: tuple[int, ...] = ()
    new_holes: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    @property
    def has_specks(self) -> bool:
        return bool(self.specks)

    @property
    def is_broken(self) -> bool:
        """A stroke came apart: split in pieces, or a counter's ring opened."""
        return bool(self.broken or self.opened_holes)

    @property
    def is_merged(self) -> bool:
        """Strokes ran together: separate components joined, or a counter filled with ink."""
        return bool(self.joined or self.filled_holes)

    def as_dict(self) -> dict[str, list[int]]:
        """The non-empty entries, for JSON."""
        return {f.name: list(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True)
class _Match:
    """Regions of one kind in two label maps side by side: which pairs share pixels, each one's area."""

    shared: np.ndarray  # bool [a regions, b regions]
    a_areas: np.ndarray
    b_areas: np.ndarray

    @staticmethod
    def both(a: Labels, b: Labels) -> tuple["_Match", "_Match"]:
        """The ink match and the paper match of two label maps, from one histogram of label pairs."""
        pairs = a.regions.ravel() * np.int64(b.n) + b.regions.ravel()
        if a.n * b.n <= DENSE_PAIRS * pairs.size:
            counts = np.bincount(pairs, minlength=a.n * b.n).reshape(a.n, b.n)
            shared, a_areas, b_areas = counts > 0, counts.sum(axis=1), counts.sum(axis=0)
        else:  # a speckled map, thousands of regions: mark the pairs present instead of counting every pair
            present = np.unique(pairs)
            shared = np.zeros((a.n, b.n), bool)
            shared[present // b.n, present % b.n] = True
            a_areas, b_areas = a.areas(), b.areas()
        ink = _Match(shared[1:a.n_ink, 1:b.n_ink], a_areas[1:a.n_ink], b_areas[1:b.n_ink])
        paper = _Match(shared[a.n_ink:, b.n_ink:], a_areas[a.n_ink:], b_areas[b.n_ink:])
        return ink, paper


def _window(mask: np.ndarray) -> tuple[slice, slice] | None:
    """The box around the mask's ink plus a one-pixel ring where the map allows.

    Cropping to it changes no region: the ring is paper and 4-connected, so paper that reached the
    edge of the map still reaches the edge of the window.
    """
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    h, w = mask.shape
    return slice(max(rows[0] - 1, 0), min(rows[-1] + 2, h)), slice(max(cols[0] - 1, 0), min(cols[-1] + 2, w))


def compare(source: np.ndarray, rendered: np.ndarray, threshold: int = THRESHOLD, margin: int = MARGIN,
            side: float | None = None, max_px: int | None = None) -> TopologyDiff:
    """What `rendered` (e.g. a traced glyph rendered back) changed in the topology of `source`.

    Both are uint8 ink maps of one shape in the same frame; `side` is the frame's side for the
    minimum area (default: the maps' side); `margin=0` compares at the threshold alone. Maps larger
    than `max_px` are area-averaged down to it first: at 128 px a comparison takes ≈ 0.06 ms in C and
    0.7 ms in numpy (eight label passes and two histograms over the ink box), several times that at 256 px.
    """
    return compare_many(source, [rendered], threshold, margin, side, max_px)[0]


def compare_many(source: np.ndarray, renderings: list[np.ndarray], threshold: int = THRESHOLD,
                 margin: int = MARGIN, side: float | None = None, max_px: int | None = None) -> list[TopologyDiff]:
    """`compare(source, r)` for each rendering r (e.g. one per font flavour), at a fraction of the cost.

    The source is downsampled and labelled once; a rendering whose two readings equal an earlier
    one's gets that one's result, and one whose readings equal the source's has no fault.
    """
    for rendered in renderings:
        if source.shape != rendered.shape or source.ndim != 2:
            raise ValueError(f"source {source.shape} and rendering {rendered.shape} must be 2-D maps of one shape")
    side = side or max(source.shape)
    if max_px and max(source.shape) > max_px:
        scale = max_px / max(source.shape)
        size = (max(1, round(source.shape[1] * scale)), max(1, round(source.shape[0] * scale)))
        source = cv2.resize(source, size, interpolation=cv2.INTER_AREA)
        renderings = [cv2.resize(r, size, interpolation=cv2.INTER_AREA) for r in renderings]
        side = side * scale
    least = min_area(side)
    bold, thin = threshold - margin, threshold + margin
    if not 0 < bold <= thin <= 255:
        raise ValueError(f"threshold {threshold} ± margin {margin} must stay within 1..255")
    # The C code reads uint8 maps only; any other (bool, float) takes the numpy path.
    if _native is not None and source.dtype == np.uint8 and all(r.dtype == np.uint8 for r in renderings):
        maps = [np.ascontiguousarray(m) for m in (source, *renderings)]
        return [TopologyDiff(*areas) for areas in _native.compare(maps[0], maps[1:], bold, thin, least)]
    return _compare_numpy(source, renderings, bold, thin, least)


def _compare_numpy(source: np.ndarray, renderings: list[np.ndarray], bold: int, thin: int,
                   least: int) -> list[TopologyDiff]:
    """`compare_many` after its resize, in numpy: the reference for `_topology.compare`.

    The maps are labelled in a window around the ink of all of them (any window that holds every
    map's ink and a paper ring gives the same regions).
    """
    any_ink = source >= bold
    for rendered in renderings:
        any_ink = any_ink | (rendered >= bold)
    window = _window(any_ink)
    if window is None:
        return [TopologyDiff() for _ in renderings]
    src_bold_mask, src_thin_mask = source[window] >= bold, source[window] >= thin
    src_bold = src_thin = None
    done: list[tuple[np.ndarray, np.ndarray, TopologyDiff]] = []
    out = []
    for rendered in renderings:
        out_bold_mask, out_thin_mask = rendered[window] >= bold, rendered[window] >= thin
        same = next((diff for b, t, diff in done
                     if np.array_equal(b, out_bold_mask) and np.array_equal(t, out_thin_mask)), None)
        if same is None:
            if np.array_equal(src_bold_mask, out_bold_mask) and np.array_equal(src_thin_mask, out_thin_mask):
                same = TopologyDiff()
            else:
                if src_bold is None:
                    src_bold, src_thin = Labels.of(src_bold_mask), Labels.of(src_thin_mask)
                same = _diff(src_bold, src_thin, Labels.of(out_bold_mask), Labels.of(out_thin_mask), least)
            done.append((out_bold_mask, out_thin_mask, same))
        out.append(same)
    return out


def _diff(src_bold: Labels, src_thin: Labels, out_bold: Labels, out_thin: Labels, least: int) -> TopologyDiff:
    """The regions at fault, from the source's and the rendering's bold and thin readings."""
    # Extra ink in the rendering (specks, joins, filled counters): its thin reading against the source's bold one.
    ink, paper = _Match.both(src_bold, out_thin)
    src_kept, out_kept = ink.a_areas >= least, ink.b_areas >= least
    specks = out_kept & ~ink.shared.any(axis=0)
    joined = out_kept & ((ink.shared & src_kept[:, None]).sum(axis=0) >= 2)
    out_border = out_thin.paper_border()
    src_holes = (paper.a_areas >= least) & ~src_bold.paper_border()
    out_holes = (paper.b_areas >= least) & ~out_border
    filled = (src_holes & ~(paper.shared & out_holes[None, :]).any(axis=1)
              & ~(paper.shared & out_border[None, :]).any(axis=1))
    new_thin = out_holes & ~(paper.shared & src_holes[:, None]).any(axis=0)
    extra = ink.b_areas[specks], ink.b_areas[joined], paper.a_areas[filled], paper.b_areas

    # Missing ink (breaks, lost strokes, opened counters): the rendering's bold reading against the source's thin one.
    ink, paper = _Match.both(src_thin, out_bold)
    src_kept, out_kept = ink.a_areas >= least, ink.b_areas >= least
    broken = src_kept & ((ink.shared & out_kept[None, :]).sum(axis=1) >= 2)
    lost = src_kept & ~ink.shared.any(axis=1)
    out_border = out_bold.paper_border()
    src_holes = (paper.a_areas >= least) & ~src_thin.paper_border()
    out_holes = (paper.b_areas >= least) & ~out_border
    opened = (src_holes & ~(paper.shared & out_holes[None, :]).any(axis=1)
              & (paper.shared & out_border[None, :]).any(axis=1))
    new_bold = out_holes & ~(paper.shared & src_holes[:, None]).any(axis=0)

    # A new hole can come from extra ink (a gap closed) or missing ink (a pinhole), so it must be
    # there in both readings of the rendering, and in neither reading of the source.
    new = np.zeros_like(new_thin)
    if new_thin.any() and new_bold.any():
        in_bold = np.zeros(out_bold.n, bool)
        in_bold[out_bold.n_ink:] = new_bold
        hit = np.bincount(out_thin.regions[in_bold[out_bold.regions]], minlength=out_thin.n)[out_thin.n_ink:]
        new = new_thin & (hit > 0)

    def areas(values: np.ndarray) -> tuple[int, ...]:
        return tuple(sorted(values.tolist()))

    specks_at, joined_at, filled_at, thin_hole_areas = extra
    return TopologyDiff(specks=areas(specks_at), broken=areas(ink.a_areas[broken]), lost=areas(ink.a_areas[lost]),
                        joined=areas(joined_at), filled_holes=areas(filled_at),
                        opened_holes=areas(paper.a_areas[opened]), new_holes=areas(thin_hole_areas[new]))
