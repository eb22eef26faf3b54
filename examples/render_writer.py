"""Re-create the example writer (fontgen/assets/example/, also examples/writer/, `--samples example`):
eight samples from a synthetic pen writer that is not in any dataset.

The dataset builder seeds its pen writers with (seed, i); seed 7 is never used by a build, so this
writer is unseen by every model trained here. Needs the stroke data (`fontgen data fetch`).

    .venv/bin/python examples/render_writer.py
"""

from pathlib import Path

import numpy as np
from PIL import Image

from training.data import penwriters, sources

CHARS = "永和我你的是国爱"
WRITER_SEED = (7, 2)
SIZE = 256


def main() -> None:
    found = sources.strokes_dir(sources.cache_dir())
    if found is None:
        raise SystemExit("stroke data missing: run `fontgen data fetch --only hanzi-writer-data` first")
    strokes = found[0]
    style = penwriters.PenStyle.sample(np.random.default_rng(WRITER_SEED))
    out = Path(__file__).resolve().parent.parent / "fontgen" / "assets" / "example"
    out.mkdir(exist_ok=True)
    for ch in CHARS:
        skeleton = penwriters.Skeleton.of(penwriters.load_medians(strokes, ch))
        ink = penwriters.draw_glyph(skeleton, style, np.random.default_rng([*WRITER_SEED, ord(ch)]), SIZE)
        Image.fromarray(255 - ink).save(out / f"{ch}.png", optimize=True)


if __name__ == "__main__":
    main()
