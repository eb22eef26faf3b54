"""Template cache: a damaged entry is rendered again and replaced, with one notice, instead of breaking every run."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from fontgen import templates

CHARS = list("永和我你的是")
SIZE = 32


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FONTGEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(templates, "_noticed", set(), raising=False)  # each test sees its own notice
    return tmp_path / "cache" / "templates"


def _garbage(path):
    path.write_bytes(b"\x00garbage" * 100)


def _truncated(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _wrong_shape(path):
    with np.load(path) as z:
        chars, placement = z["chars"], z["placement"]
    np.savez(path, chars=chars, ink=np.zeros((2, 7, 7), np.uint8), placement=placement)


def _flipped_bytes(path):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(b ^ 0xFF for b in data[middle:middle + 64])
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_garbage, _truncated, _wrong_shape, _flipped_bytes])
def test_damaged_entry_is_rebuilt_once(cache, caplog, damage):
    fresh = templates.render(CHARS, size=SIZE, cache=False)
    templates.render(CHARS, size=SIZE)
    (entry,) = cache.glob("*.npz")
    damage(entry)
    with caplog.at_level(logging.WARNING, logger="fontgen.templates"):
        again = templates.render(CHARS, size=SIZE)
        assert again.chars == fresh.chars and np.array_equal(again.ink, fresh.ink)
        assert again.placement == fresh.placement
        cached = templates.render(CHARS, size=SIZE)                  # the entry was replaced: read back intact
        assert np.array_equal(cached.ink, fresh.ink) and cached.placement == fresh.placement
    notices = [r.getMessage() for r in caplog.records if r.name == "fontgen.templates"]
    assert len(notices) == 1 and str(entry) in notices[0] and "damaged" in notices[0]
    assert [p.name for p in cache.iterdir()] == [entry.name]           # no temp file left beside it


FC_LIST = "\n".join([
    "/f/LXGWWenKai-Light.ttf|0|LXGW WenKai,LXGW WenKai Light|Light,Regular",
    "/f/LXGWWenKai-Regular.ttf|0|LXGW WenKai|Regular",
    "/f/ukai.ttc|1|AR PL UKai CN|Book",
    "/f/other.ttf|0|Some Family|Bold",
])


@pytest.fixture
def fake_fc_list(monkeypatch):
    class Done:
        stdout = FC_LIST

    monkeypatch.setattr(templates.subprocess, "run", lambda *a, **k: Done())


def test_face_whose_own_style_is_regular_wins_over_a_light_face_that_also_lists_regular(fake_fc_list):
    assert templates.find_face("LXGW WenKai").path.name == "LXGWWenKai-Regular.ttf"


def test_book_counts_as_regular_and_the_collection_index_is_kept(fake_fc_list):
    face = templates.find_face("AR PL UKai CN")
    assert (face.path.name, face.index) == ("ukai.ttc", 1)


def test_a_missing_family_names_its_debian_package(fake_fc_list):
    with pytest.raises(templates.InputError, match="fonts-lxgw-wenkai|not installed"):
        templates.find_face("Some Family")
    with pytest.raises(templates.InputError) as err:
        templates.find_face("LXGW WenKai", style="Bold")
    assert "apt-get install fonts-lxgw-wenkai" in str(err.value)
