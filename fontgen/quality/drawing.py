"""How `fontgen eval` draws generated glyphs, and the counters-kept figure.

A generated glyph is measured as the font draws it: its joins closed and traced at its ink level, both
fitted to the references as make-font fits them to the samples (`fontgen.font.closing`), super-resolved
first when the model has an SR stage and it is asked for (`fontgen.model.superres`, as
make-font's --sr). Its enclosed counters are counted at `metrics.COUNTER_PX` and compared with the
same writer's real glyphs at that size (`metrics.counters_kept`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fontgen import dataset_layout
from fontgen.errors import InputError
from fontgen.quality import metrics

COUNTERS_NOTE = ("Counters kept: over characters whose real glyph has at least 3 enclosed counters at 128 px (the "
                 "counters dataset), the sum of min(generated, real) counters over the real total; generated glyphs "
                 "are drawn at 128 px as their traced outlines fill them (super-resolved first with --sr). In "
                 "brackets, the ceiling: the same for the writer's real glyphs at the model's size, traced alike.")


class Drawing:
    """How generated glyphs become what the font draws, and the real glyphs their counters are checked against.

    Without `sr` a glyph is traced at its ink level, as make-font traces the 64 px bitmaps; with it
    (`fontgen.model.superres`, make-font's --sr) it is super-resolved first and
    traced at the SR size. Either way the glyph is measured at the model's size (area-averaged), and its
    counters at `metrics.COUNTER_PX` against the same writer's glyphs in `hires`, a dataset built at that
    size from the same sources and seed (`fontgen data build --size 128`; an `evaluate.GlyphStore`), when given.
    """

    def __init__(self, sr=None, hires=None, level: int | None = None, closing: int | None = None):
        self.sr, self.hires, self.level, self.closing = sr, hires, level, closing

    def fit(self, generated: np.ndarray, real: np.ndarray) -> tuple[int, int]:
        """(closing size, ink level) for generated glyphs of the reference characters `real`: the ones
        given, or fitted to the references as make-font fits them to a writer's samples."""
        from fontgen.font import closing

        return closing.fit(generated, real, self.level, self.closing)

    def draw(self, glyphs: np.ndarray, size: int, level: int,
             guides: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(glyphs as drawn at their own size, the same at `metrics.COUNTER_PX`): joins closed by `size`,
        traced at ink `level`."""
        import cv2

        from fontgen.font import closing, inklevel

        adjusted = closing.finish(glyphs, size, level)
        if self.sr is None:
            return inklevel.as_traced(adjusted), inklevel.as_traced(adjusted, metrics.COUNTER_PX)
        hi = inklevel.as_traced(self.sr.run(adjusted, guides))
        side = glyphs.shape[-1]
        down = np.stack([cv2.resize(g, (side, side), interpolation=cv2.INTER_AREA) for g in hi])
        return down, inklevel.as_traced(hi, metrics.COUNTER_PX)

    def real_counters(self, writer, chars: list[str]) -> tuple[list[int], np.ndarray] | None:
        """(positions in `chars` the hires dataset has, their real glyphs' counters), or None without one."""
        if self.hires is None:
            return None
        have = [i for i, c in enumerate(chars) if self.hires.get(writer.split, writer.name, c) is not None]
        if not have:
            return None
        return have, metrics.counters(self.hires.stack(writer.split, writer.name, [chars[i] for i in have]))


    def ceiling(self, real: np.ndarray, real_counters) -> dict | None:
        """Counters kept by the writer's own glyphs at the model's size, traced as the font traces them: what
        a generator that drew every glyph exactly right at this size would keep (the size's own limit)."""
        if real_counters is None:
            return None
        from fontgen.font import inklevel

        return counters_record(inklevel.as_traced(real, metrics.COUNTER_PX), real_counters)


def counters_record(drawn_hi: np.ndarray, real_counters) -> dict | None:
    """Counters kept by the glyphs drawn at 128 px (`metrics.counters_kept`): kept, total and their ratio."""
    if real_counters is None:
        return None
    have, real = real_counters
    kept, total = metrics.counters_kept(metrics.counters(drawn_hi[have]), real)
    return {"kept": kept, "total": total, "ratio": kept / total if total else None}


def pooled_counters(records: list[dict | None]) -> float | None:
    """Counters kept over several writers: their kept and total counts summed, then divided."""
    records = [c for c in records if c]
    total = sum(c["total"] for c in records)
    return sum(c["kept"] for c in records) / total if total else None


def check_counters_data(hires: Path, manifest: dict) -> Path:
    """`hires` if it is a dataset at `metrics.COUNTER_PX` built with the seed of the evaluated one (so the
    same writers are held out); InputError naming its manifest otherwise."""
    found = dataset_layout.load_manifest(hires)
    if int(found["size"]) != metrics.COUNTER_PX or found.get("seed") != manifest.get("seed"):
        raise InputError(f"the counters dataset must be {metrics.COUNTER_PX} px and built with the seed of --data "
                         f"({manifest.get('seed')}), not {found['size']} px, seed {found.get('seed')}",
                         hires / dataset_layout.MANIFEST, f"build it with `fontgen data build --size "
                         f"{metrics.COUNTER_PX} --seed {manifest.get('seed')}` and the same sources")
    return hires
