"""Pick the N characters to write that together show the most of GB2312's parts and strokes.

A few samples tell the model most when they contain the components and stroke types that GB2312
uses most. No decomposition table ships with fontgen, so both are measured on the template font:

- *component shapes*: every connected ink blob of every normalized 64 px template (亻, 口, the dots
  of 氵, whole characters when they are one blob), described by its 16×16 normalized shape plus its
  place and size in the glyph, clustered with k-means into `N_SHAPES` shape classes;
- *stroke types by place*: horizontal, vertical, left-falling (丿) and right-falling (㇏) strokes,
  found by morphological opening with line kernels, and turns (where a horizontal and a vertical
  stroke meet), each recorded per cell of a 3×3 grid over the glyph.

A character's features are the shape classes and stroke cells it contains. Each feature weighs the
number of GB2312 characters that contain it, so common parts count most. Greedy weighted maximum
coverage then picks, from the 3,755 common (level-1) characters, the one adding the most uncovered
weight, until N are chosen; greedy is within 1 - 1/e of the best cover and gives nested answers
(the first 8 of `--count 16` are `--count 8`).

    chars = coverage.select(8)   # e.g. for `fontgen template --count 8`
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fontgen import charsets, raster, templates

SIZE = 64
SHAPE_SIZE = 16
N_SHAPES = 192
PLACE_WEIGHT = 4.0  # how much a component's place and size count against its shape in clustering
MIN_BLOB = 4  # pixels; smaller blobs are rendering dust
LINE_PX = 9  # line kernel length for stroke directions at 64 px
MIN_STROKE_PX = 6


@dataclass
class FeatureSet:
    """Per character, the ids of the features it contains, and each feature's weight."""

    chars: list[str]
    features: list[frozenset[int]]
    weights: np.ndarray  # float [n_features]

    def covered(self, chosen) -> float:
        """Share of the total feature weight that the chosen characters cover together."""
        index = {ch: i for i, ch in enumerate(self.chars)}
        seen = set().union(*(self.features[index[ch]] for ch in chosen)) if chosen else set()
        return float(self.weights[list(seen)].sum() / self.weights.sum())


def _line_kernels() -> list[np.ndarray]:
    """Line structuring elements: horizontal, vertical, rising (丿) and falling (㇏) diagonals."""
    n = LINE_PX
    horizontal = np.ones((1, n), np.uint8)
    diagonal = np.eye(n, dtype=np.uint8)
    return [horizontal, horizontal.T.copy(), np.fliplr(diagonal).copy(), diagonal]


def stroke_features(ink: np.ndarray) -> set[int]:
    """Stroke direction (4) and turn (1) presence per 3×3 cell: ids in [0, 45)."""
    binary = (ink > 127).astype(np.uint8)
    maps = [cv2.morphologyEx(binary, cv2.MORPH_OPEN, k) for k in _line_kernels()]
    grow = np.ones((3, 3), np.uint8)
    maps.append(cv2.dilate(maps[0], grow) & cv2.dilate(maps[1], grow))  # turns and crossings
    cell = SIZE // 3
    found = set()
    for kind, m in enumerate(maps):
        for zone in range(9):
            r, c = divmod(zone, 3)
            if m[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell].sum() >= MIN_STROKE_PX:
                found.add(kind * 9 + zone)
    return found


def component_descriptors(ink: np.ndarray) -> list[np.ndarray]:
    """One vector per connected blob: its normalized shape, then its centre and size in the glyph."""
    binary = (ink > 127).astype(np.uint8)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    out = []
    for k in range(1, n):
        x, y, w, h, area = stats[k]
        if area < MIN_BLOB:
            continue
        shape = raster.normalize((labels[y:y + h, x:x + w] == k).astype(np.uint8) * 255, SHAPE_SIZE, 1)
        place = np.array([*centroids[k], w, h], np.float32) / SIZE * PLACE_WEIGHT
        out.append(np.concatenate([shape.ravel().astype(np.float32) / 255.0, place]))
    return out


def measure(universe=None, face: templates.FontFace | None = None, progress: bool = False) -> FeatureSet:
    """Features of every character of `universe` (default GB2312 hanzi), weighted by frequency."""
    universe = charsets.resolve("gb2312") if universe is None else universe
    tpl = templates.render(universe, SIZE, face, progress=progress)
    strokes = [stroke_features(g) for g in tpl.ink]
    owners, vectors = [], []
    for i, glyph in enumerate(tpl.ink):
        for vec in component_descriptors(glyph):
            owners.append(i)
            vectors.append(vec)
    data = np.stack(vectors)
    k = min(N_SHAPES, len(data))
    cv2.setRNGSeed(0)  # deterministic k-means++ seeding: the same sheet for everyone
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1e-3)
    _, labels, _ = cv2.kmeans(data, k, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    offset = 45
    features = [set(s) for s in strokes]
    for owner, label in zip(owners, labels.ravel()):
        features[owner].add(offset + int(label))
    weights = np.zeros(offset + k, np.float64)
    for f in features:
        weights[list(f)] += 1
    return FeatureSet(list(tpl.chars), [frozenset(f) for f in features], weights)


def greedy(feats: FeatureSet, count: int, pool=None) -> list[str]:
    """Greedy weighted maximum coverage: `count` characters from `pool` (default: all of `feats`)."""
    index = {ch: i for i, ch in enumerate(feats.chars)}
    pool = [ch for ch in (feats.chars if pool is None else pool) if ch in index]
    covered: set[int] = set()
    chosen: list[str] = []
    for _ in range(min(count, len(pool))):
        best, best_gain = None, -1.0
        for ch in pool:
            if ch in chosen:
                continue
            new = feats.features[index[ch]] - covered
            gain = float(feats.weights[list(new)].sum()) if new else 0.0
            if gain > best_gain:
                best, best_gain = ch, gain
        chosen.append(best)
        covered |= feats.features[index[best]]
    return chosen


def select(count: int, universe=None, pool=None, face: templates.FontFace | None = None,
           progress: bool = False) -> list[str]:
    """The `count` characters, from `pool` (default GB2312 level 1), that cover `universe` best."""
    feats = measure(universe, face, progress)
    pool = charsets.gb2312_level1() if pool is None else pool
    return greedy(feats, count, pool)
