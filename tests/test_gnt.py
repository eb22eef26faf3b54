"""CASIA-HWDB .gnt import: files written byte by byte round-trip into the layout; bad files fail cleanly."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from click.testing import CliRunner

from fontgen import raster
from fontgen.cli import cli
from fontgen.errors import InputError
from training.data import gnt, layout

SAMPLES = [("永", 30, 40), ("和", 44, 36), ("我", 38, 38)]


def _bitmap(width: int, height: int, seed: int) -> np.ndarray:
    """A gray sample like CASIA's: paper 255, a few dark strokes."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width), 255, np.uint8)
    for _ in range(4):
        y, x = rng.integers(2, height - 6), rng.integers(2, width - 12)
        img[y:y + 3, x:x + 10] = rng.integers(0, 60)
    img[3:height - 3, width // 2:width // 2 + 2] = 20
    return img


def _sample_bytes(ch: str, bitmap: np.ndarray) -> bytes:
    height, width = bitmap.shape
    head = struct.pack("<I", 10 + width * height) + ch.encode("gb2312")
    return head + struct.pack("<HH", width, height) + bitmap.tobytes()


def _write_gnt(path, seed: int = 0) -> list[np.ndarray]:
    bitmaps = [_bitmap(w, h, seed + i) for i, (_, w, h) in enumerate(SAMPLES)]
    path.write_bytes(b"".join(_sample_bytes(ch, b) for (ch, _, _), b in zip(SAMPLES, bitmaps)))
    return bitmaps


def test_gnt_round_trips_into_the_layout(tmp_path):
    first, second = tmp_path / "w001.gnt", tmp_path / "w002.gnt"
    bitmaps = _write_gnt(first, 0)
    _write_gnt(second, 10)
    out = tmp_path / "casia"
    result = CliRunner().invoke(cli, ["data", "from-gnt", str(first), str(second), "--out", str(out), "--size", "48"])
    assert result.exit_code == 0, result.output

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["size"] == 48 and manifest["margin"] == raster.default_margin(48)
    assert [w["name"] for w in manifest["writers"]] == ["w001", "w002"]
    assert all(w["kind"] == "gnt" and w["split"] == "train" and w["coverage"] == 3 for w in manifest["writers"])
    assert sorted(p.stem for p in (out / "template").glob("*.png")) == sorted(ch for ch, _, _ in SAMPLES)
    for (ch, _, _), bitmap in zip(SAMPLES, bitmaps):
        saved = layout.read_glyph(out / "script" / "w001" / f"{ch}.png")
        np.testing.assert_array_equal(saved, raster.normalize(255 - bitmap, 48))
    assert not (tmp_path / "casia.tmp").exists()


def test_truncated_gnt_names_the_offset_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.gnt"
    _write_gnt(path)
    data = path.read_bytes()
    path.write_bytes(data[:-7])
    last = len(data) - (10 + SAMPLES[-1][1] * SAMPLES[-1][2])
    with pytest.raises(InputError, match=f"truncated sample at byte {last}"):
        gnt.import_gnt([path], tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.tmp").exists()

    result = CliRunner().invoke(cli, ["data", "from-gnt", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and f"byte {last}" in result.output


def test_corrupt_size_field_is_reported(tmp_path):
    path = tmp_path / "bad.gnt"
    _write_gnt(path)
    data = bytearray(path.read_bytes())
    second = 10 + SAMPLES[0][1] * SAMPLES[0][2]
    data[second:second + 4] = struct.pack("<I", 12345)
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=f"corrupt sample at byte {second}"):
        list(gnt.read_gnt(path))
