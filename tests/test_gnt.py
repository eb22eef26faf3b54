"""CASIA-HWDB .gnt import: files written byte by byte round-trip into the layout; bad files fail cleanly."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from click.testing import CliRunner

from fontgen import dataset_layout, raster
from fontgen.cli import cli
from fontgen.errors import InputError
from training.data import gnt

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
        saved = dataset_layout.read_glyph(out / "script" / "w001" / f"{ch}.png")
        np.testing.assert_array_equal(saved, raster.normalize(255 - bitmap, 48))
    assert not (tmp_path / "casia.tmp").exists()


def test_hwdb_writers_go_to_their_split(tmp_path):
    files = [tmp_path / f"{n}-c.gnt" for n in (1001, 1240, 1241)]
    for i, path in enumerate(files):
        _write_gnt(path, 10 * i)
    out = tmp_path / "casia"
    result = CliRunner().invoke(cli, ["data", "from-gnt", *map(str, files), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 training and 1 test writers (split rule hwdb)" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["split_rule"] == "hwdb"
    assert {w["name"]: w["split"] for w in manifest["writers"]} == {"1001-c": "train", "1240-c": "train",
                                                                      "1241-c": "test"}
    assert sorted(p.name for p in (out / "script").iterdir()) == ["1001-c", "1240-c"]
    assert [p.name for p in (out / "test").iterdir()] == ["1241-c"]

    flat = tmp_path / "flat"
    result = CliRunner().invoke(cli, ["data", "from-gnt", *map(str, files), "--out", str(flat), "--split-rule", "none"])
    assert result.exit_code == 0 and not (flat / "test").exists()
    assert json.loads((flat / "manifest.json").read_text(encoding="utf-8"))["split_rule"] == "none"


def test_split_rules():
    assert [gnt.hwdb_split(n) for n in ("1-f", "336", "337-f", "420", "421", "1000", "1001-c", "1240",
                                        "1241-c", "1300", "1301", "w001")] == \
        ["train", "train", "test", "test", None, None, "train", "train", "test", "test", None, None]
    assert gnt.assign_splits(["1001", "w2"], "auto", [])[0] == "none"
    with pytest.raises(InputError, match="does not start with a CASIA-HWDB writer number"):
        gnt.assign_splits(["1001", "w2"], "hwdb", ["1001.gnt", "w2.gnt"])


def test_truncated_gnt_keeps_what_came_before_and_names_the_offset(tmp_path):
    good, path = tmp_path / "1001-c.gnt", tmp_path / "1241-c.gnt"
    _write_gnt(good)
    _write_gnt(path, 5)
    data = path.read_bytes()
    path.write_bytes(data[:-7])
    last = len(data) - (10 + SAMPLES[-1][1] * SAMPLES[-1][2])
    out = tmp_path / "out"
    with pytest.raises(InputError, match=f"truncated sample at byte {last}"):
        gnt.import_gnt([good, path], out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    stopped = {w["name"]: w for w in manifest["writers"]}["1241-c"]
    assert stopped["coverage"] == 2 and stopped["source"]["stopped_at_byte"] == last
    assert sorted(p.stem for p in (out / "test" / "1241-c").glob("*.png")) == sorted("永和")
    assert len(list((out / "script" / "1001-c").glob("*.png"))) == 3

    result = CliRunner().invoke(cli, ["data", "from-gnt", str(good), str(path), "--out", str(tmp_path / "again")])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and f"1241-c.gnt: truncated sample at byte {last}" in lines[0]
    assert "2 characters before it were converted" in lines[0]


def test_a_file_that_is_not_gnt_is_named_at_byte_0(tmp_path):
    path = tmp_path / "notes.gnt"
    path.write_bytes(b"%PDF-1.4 this is not a gnt file at all" * 4)
    result = CliRunner().invoke(cli, ["data", "from-gnt", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "notes.gnt: not GNT data at byte 0" in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.tmp").exists()


def test_corrupt_size_field_is_reported(tmp_path):
    path = tmp_path / "bad.gnt"
    _write_gnt(path)
    data = bytearray(path.read_bytes())
    second = 10 + SAMPLES[0][1] * SAMPLES[0][2]
    data[second:second + 4] = struct.pack("<I", 12345)
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=f"not GNT data at byte {second}"):
        list(gnt.read_gnt(path))
