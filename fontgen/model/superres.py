"""The super-resolution stage: generated 64 px glyphs → 128 px, guided by the template font (onnxruntime).

The generator draws 64 px bitmaps, where a dense character's 1-2 px gaps come out grey and trace as
clots. The model folder's `sr.onnx` (model.json `graphs.sr`, described in `super_resolution`) takes
each generated glyph with the same character's template and content-font glyphs rendered at the
output size, and returns the glyph at that size with the gaps the template shows, where the generated
glyph has strokes (`training/models/sr.py`):

    sr = SuperRes.of(gen.info)                    # None when the model folder has no sr graph
    guides = sr.guides(chars)                     # uint8 [N, G, 128, 128], cached like templates
    hi = sr.run(glyphs, guides)                   # uint8 [N, 64, 64] → [N, 128, 128]

Like the glyph graph, it runs one single-threaded session per physical core on the CPU.
"""

from __future__ import annotations

import numpy as np

from fontgen import raster, templates
from fontgen.errors import InputError
from fontgen.model import modelfiles

GRAPH = "sr"
BATCH = 16


class SuperRes:
    """onnxruntime session(s) for a model folder's SR graph."""

    def __init__(self, info: modelfiles.ModelInfo, threads: int | None = None):
        import onnxruntime as ort

        from fontgen.model import generate

        entry = info.meta.get("super_resolution")
        try:
            self.size, self.low, self.channels = (int(entry["output_size"]), int(entry["input_size"]),
                                                  int(entry["guides"]))
        except (TypeError, KeyError, ValueError):
            raise InputError("model.json lists an sr graph without a valid super_resolution entry",
                             info.folder / modelfiles.MODEL_JSON, modelfiles.REEXPORT)
        if (self.low != info.size or self.size <= self.low or self.size > 1024
                or self.channels != (2 if info.content_font else 1)):
            raise InputError(f"the sr graph takes {self.low} px to {self.size} px with {self.channels} guides; the "
                             f"generator draws {info.size} px", info.folder / modelfiles.MODEL_JSON, modelfiles.REEXPORT)
        self.info = info
        self.concurrent = threads or generate.physical_cores()
        self.session = generate.load_session(ort, info, GRAPH, generate.session_options(1), [generate.CPU],
                                             generate.CPU_SKIP_OPTIMIZERS)

    @classmethod
    def of(cls, info: modelfiles.ModelInfo, threads: int | None = None) -> "SuperRes | None":
        """The model folder's SR stage, or None if it has none."""
        return cls(info, threads) if GRAPH in info.graphs else None

    @property
    def margin(self) -> int:
        """Margin of the output glyphs: the generator's, scaled (4 px at 64 → 8 px at 128)."""
        return self.info.margin * self.size // self.low

    def guides(self, chars: list[str], face: templates.FontFace | None = None) -> np.ndarray:
        """uint8 [N, G, S, S]: template (and content-font) glyphs of `chars` at the output size."""
        tpl = templates.render(chars, size=self.size, face=face, margin=self.margin)
        if tpl.chars != list(chars):
            raise ValueError("guides are only made for characters the template font renders")
        if self.channels == 1:
            return tpl.ink[:, None]
        second = templates.content_ink(list(chars), tpl.ink, self.info.content_font, self.size,
                                       self.margin)
        return np.stack([tpl.ink, second], 1)

    def run(self, glyphs: np.ndarray, guides: np.ndarray, progress: bool = False) -> np.ndarray:
        """uint8 [N, s, s] generated glyphs (at their traced ink level) → uint8 [N, S, S]."""
        from concurrent.futures import ThreadPoolExecutor

        from tqdm import tqdm

        if glyphs.shape[1:] != (self.low, self.low) or guides.shape[1:] != (self.channels, self.size, self.size) \
                or len(glyphs) != len(guides):
            raise ValueError(f"expected [N, {self.low}, {self.low}] glyphs and [N, {self.channels}, {self.size}, "
                             f"{self.size}] guides, got {glyphs.shape} and {guides.shape}")
        out = np.empty((len(glyphs), self.size, self.size), np.uint8)

        def one(start: int) -> int:
            low = raster.to_model(glyphs[start:start + BATCH])[:, None]
            y = self.session.run(["glyphs"], {"low": low, "guides": raster.to_model(guides[start:start + BATCH])})[0]
            out[start:start + len(low)] = raster.from_model(y[:, 0])
            return len(low)

        with tqdm(total=len(glyphs), desc="super-resolve", unit="glyph", disable=None if progress else True) as bar, \
                ThreadPoolExecutor(self.concurrent) as pool:
            for done in pool.map(one, range(0, len(glyphs), BATCH)):
                bar.update(done)
        return out

