"""An evaluation-only font takes its design relatives (same lineage key) out of the training data too.
That an unrelated font stays is `test_data_build.test_evaluation_only_sources_are_refused_and_recorded`."""

from __future__ import annotations

import dataclasses
import json

from training.data import build, heldout, sources

SIZE = 48


def test_relatives_of_an_evaluation_only_font_are_refused_too(tmp_path, monkeypatch):
    listed = tmp_path / "heldout.txt"
    listed.write_text(f"{heldout.digest('Noto Serif CJK SC')}\n", encoding="utf-8")
    monkeypatch.setattr(heldout, "LIST", listed)
    kin = tuple(dataclasses.replace(f, lineage="noto-test") if f.name in ("noto-sans-sc", "noto-serif-sc") else f
                for f in sources.WRITER_FONTS)
    monkeypatch.setattr(sources, "WRITER_FONTS", kin)
    charset = tmp_path / "chars.txt"
    charset.write_text("永和九年岁在癸丑暮春之初", encoding="utf-8")
    manifest = build.build(tmp_path / "ds", size=SIZE, charset=str(charset), synthetic=0, seed=3,
                           fonts="noto-sans-sc,noto-serif-sc", workers=1)
    assert manifest["writers"] == []
    refused = [s for s in manifest["skipped"] if s.get("refused")]
    assert sorted(s["reason"] for s in refused) == sorted([heldout.REASON, build.LINEAGE_REASON])
    assert "noto" not in json.dumps(refused).lower() and manifest["evaluation_only"]["refused"] == 2

