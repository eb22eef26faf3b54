"""Install and first-contact messages: extras, the base install without torch, --help, the sheet format,
the preview's default text, the licence."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from clicheck import run_without
from fontgen import charsets
from fontgen.cli import cli
from fontgen.quality import specimen

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def requirement_names(requirements: list[str]) -> set[str]:
    return {r.split(";")[0].split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower()
            for r in requirements}


@pytest.mark.parametrize("args", [
    ["train", "ocr", "--data", "{tmp}", "--out", "{tmp}/run"],
    ["train", "gan", "--data", "{tmp}", "--ocr", "{tmp}/ocr.pth", "--out", "{tmp}/run"],
    ["export", "--checkpoint", "{tmp}/gan.pth", "--out", "{tmp}/model"],
])
def test_training_commands_without_torch_name_the_extra(tmp_path, args):
    args = [a.format(tmp=tmp_path) for a in args]
    assert "pip install 'fontgen[train]'" in one_line(run_without("torch,torchvision,onnx", args, tmp_path))
    assert not list(tmp_path.iterdir())  # nothing written


def test_make_font_without_onnxruntime_names_the_cpu_and_gpu_extras(tmp_path):
    line = one_line(run_without("onnxruntime", ["make-font", "--samples", "example", "--out", "a.otf"], tmp_path))
    assert "pip install 'fontgen[cpu]'" in line and "'fontgen[gpu]'" in line
    assert not list(tmp_path.iterdir())


def test_gpu_extra_is_the_only_onnxruntime():
    """onnxruntime-gpu replaces onnxruntime: the base install has neither, each extra one of them."""
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert not requirement_names(PYPROJECT["project"]["dependencies"]) & {"onnxruntime", "onnxruntime-gpu"}
    assert requirement_names(extras["cpu"]) == {"onnxruntime"}
    assert requirement_names(extras["gpu"]) == {"onnxruntime-gpu"}
    for name in set(extras) - {"cpu", "eval"}:
        assert "onnxruntime" not in requirement_names(extras[name]), name


def test_declared_dependencies_are_used():
    """No compiled binding that nothing imports: the tracer is fontgen.font.potrace_lib (ctypes)."""
    every = requirement_names(PYPROJECT["project"]["dependencies"])
    for reqs in PYPROJECT["project"]["optional-dependencies"].values():
        every |= requirement_names(reqs)
    assert "pypotrace" not in every
    sources = [p.read_text(encoding="utf-8") for folder in ("fontgen", "training", "export")
               for p in (ROOT / folder).rglob("*.py")]
    assert any("from torchvision" in s or "import torchvision" in s for s in sources)  # kept in [train]
    assert "apt-get install libpotrace0" in (ROOT / "fontgen/font/potrace_lib.py").read_text(encoding="utf-8")
    assert "libagg-dev" not in (ROOT / "scripts/setup.sh").read_text(encoding="utf-8")


def test_licence_file_matches_pyproject():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_help_names_the_charsets_and_the_environment():
    top = CliRunner().invoke(cli, ["--help"]).output
    assert "FONTGEN_CACHE" in top and "FONTGEN_<COMMAND>_<OPTION>" in top
    for command in ("make-font", "data build"):
        text = CliRunner().invoke(cli, [*command.split(), "--help"]).output
        for name in charsets.NAMED:
            assert name in text, (command, name)


def test_environment_variable_sets_an_option(tmp_path):
    result = CliRunner().invoke(cli, ["make-font", "--samples", str(tmp_path), "--out", str(tmp_path / "a.otf")],
                                env={"FONTGEN_MAKE_FONT_DEVICE": "gpu-please"})
    assert result.exit_code == 2 and "gpu-please" in result.output


def test_template_writes_the_format_its_name_says(tmp_path):
    png = tmp_path / "sheet.png"
    result = CliRunner().invoke(cli, ["template", "--chars", "永和我", "--out", str(png), "--dpi", "100"])
    assert result.exit_code == 0, result.output
    with Image.open(png) as im:
        assert im.format == "PNG"
    pdf = tmp_path / "sheet.pdf"
    assert CliRunner().invoke(cli, ["template", "--chars", "永和我", "--out", str(pdf), "--dpi", "100"]).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("name, chars, expect", [
    ("sheet.jpg", "永和我", "output must end in .pdf or .png"),
    ("sheet.png", "".join(charsets.resolve("gb2312-1")[:60]), "the sheet has 2 pages and a PNG holds one"),
])
def test_template_refuses_a_format_it_cannot_write(tmp_path, name, chars, expect):
    out = tmp_path / name
    result = CliRunner().invoke(cli, ["template", "--chars", chars, "--out", str(out), "--dpi", "100"])
    assert result.exit_code == 2 and expect in result.output
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()


def test_preview_default_text_is_gb2312():
    specimen.DEFAULT_TEXT.encode("gb2312")  # raises for a character outside GB2312 (EUC-CN includes ASCII)
    font_chars = set(charsets.resolve("gb2312+symbols+ascii")) | {" ", "\n"}
    assert set(specimen.DEFAULT_TEXT) <= font_chars
