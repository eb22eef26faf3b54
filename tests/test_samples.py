"""Reading a writer's samples: cleaning, normalization like training, blank files named."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fontgen import raster
from fontgen.errors import InputError
from fontgen.samples import references
from tinymodel import render_sample, write_samples


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.logical_and(a >= 128, b >= 128).sum() / np.logical_or(a >= 128, b >= 128).sum())


def test_refs_are_normalized_like_training_glyphs(tmp_path):
    folder = write_samples(tmp_path / "s", "永和我")
    s = references.load(folder, 64)
    assert s.refs.shape == (3, 64, 64) and s.refs.dtype == np.uint8
    assert set(s.chars) == set("永和我")
    for ref in s.refs:
        x0, y0, x1, y1 = raster.ink_bbox(ref)
        assert max(x1 - x0, y1 - y0) == 64 - 2 * 4  # longer side spans the canvas minus the margins
    assert s.glyph(0, 256).shape == (256, 256)


def test_one_sample_is_enough(tmp_path):
    assert references.load(write_samples(tmp_path / "s", "永"), 64).refs.shape == (1, 64, 64)


def test_dust_far_from_the_character_does_not_change_the_reference(tmp_path):
    clean_dir = write_samples(tmp_path / "clean", "永")
    dusty_dir = tmp_path / "dusty"
    dusty_dir.mkdir()
    img = np.asarray(render_sample("永")).copy()
    img[2:5, 2:5] = 0  # a 3×3 speck in the corner
    img[195:197, 190:193] = 40
    Image.fromarray(img).save(dusty_dir / "永.png")
    a = references.load(clean_dir, 64).refs[0]
    b = references.load(dusty_dir, 64).refs[0]
    assert iou(a, b) > 0.97


def test_white_on_black_colour_sample_matches_black_on_white(tmp_path):
    plain = write_samples(tmp_path / "plain", "和")
    inverted = tmp_path / "inv"
    inverted.mkdir()
    ink = 255 - np.asarray(render_sample("和"))
    rgb = np.stack([ink, ink // 2, np.zeros_like(ink)], -1)  # orange strokes on black
    Image.fromarray(rgb.astype(np.uint8)).save(inverted / "和.png")
    assert iou(references.load(plain, 64).refs[0], references.load(inverted, 64).refs[0]) > 0.9


def test_blank_image_names_the_file(tmp_path):
    folder = write_samples(tmp_path / "s", "永")
    Image.new("L", (100, 100), 255).save(folder / "和.png")
    with pytest.raises(InputError, match="blank") as err:
        references.load(folder, 64)
    assert err.value.path.name == "和.png"


def test_clean_returns_none_without_ink():
    assert references.clean(np.zeros((32, 32), np.float32)) is None
