"""The shipped default model: it verifies, records how it was trained and what it measured, makes a font."""

from pathlib import Path

from click.testing import CliRunner
from fontTools.ttLib import TTFont

from fontgen.cli import cli
from fontgen.model import modelfiles

EXAMPLE_WRITER = Path(__file__).resolve().parents[1] / "examples" / "writer"


def test_default_model_verifies_and_is_small():
    info = modelfiles.load()
    assert info.folder == modelfiles.DEFAULT_DIR
    total = sum(p.stat().st_size for p in info.folder.iterdir())
    assert total <= 40 * 2**20


def test_default_model_records_training_and_measured_metrics():
    meta = modelfiles.load().meta
    assert meta["training"]["iterations"] > 0
    assert meta["training"]["config"]["model"]["size"] == meta["image_size"]
    assert meta["dataset"]["manifest_sha256"]
    summary = meta["metrics"]["summary"]
    for refs in ("4", "8"):
        entry = summary[refs]
        for key in ("critic_ra", "ocr_ra", "real_ocr_ra", "style_gain", "nearest_style_gain"):
            assert entry[key]["all"] is not None, (refs, key)


def test_make_font_with_the_default_model(tmp_path):
    chars = "永和我你的是国爱春夏秋冬醒蠢戴赢豁，。"
    (tmp_path / "chars.txt").write_text(chars, encoding="utf-8")
    out = tmp_path / "Example.otf"
    result = CliRunner().invoke(cli, ["make-font", "--samples", str(EXAMPLE_WRITER), "--out", str(out),
                                      "--charset", str(tmp_path / "chars.txt"), "--name", "Example"])
    assert result.exit_code == 0, result.output
    cmap = TTFont(out).getBestCmap()
    assert {ord(c) for c in chars} <= set(cmap)
    assert "generated" in result.output
