"""The house rules of docs/ARCHITECTURE.md, checked on the source: who may import whom, and how big
the rooms are. Every import counts, also the lazy ones inside functions."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fontgen"
# Ground floor (top-level helpers) < samples < model < font < quality < the CLI: a module imports its
# own floor or the ones below, never above.
FLOORS = {"ground": 0, "samples": 1, "model": 2, "font": 3, "quality": 4, "cli": 5}
TORCH_MODULES = {"fontgen.model.onnxtorch"}  # the torch interpreter adaptation loads lazily (train extra)
MAX_TOP_MODULES = 12
MAX_LINES = 450


def modules() -> dict[str, Path]:
    return {".".join(p.relative_to(ROOT).with_suffix("").parts): p for p in sorted(PACKAGE.rglob("*.py"))}


def floor(module: str) -> int:
    """fontgen.cli and fontgen.__main__ are the CLI floor, fontgen.<room>.x its room, the rest the ground."""
    parts = module.split(".")
    if len(parts) > 2:
        return FLOORS[parts[1]]
    return FLOORS["cli"] if parts[1] in ("cli", "__main__") else FLOORS["ground"]


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import in the file; `from fontgen.x import y`
    yields fontgen.x.y when that is a module, else fontgen.x."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    known = modules()
    found = []

    def visit(node, top: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend((alias.name, top) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                for alias in child.names:
                    full = f"{child.module}.{alias.name}"
                    found.append((full if full in known or (PACKAGE / alias.name).is_dir() else child.module, top))
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(child, inner)

    visit(tree, True)
    return found


def test_floors_import_downwards_only():
    bad = []
    for module, path in modules().items():
        for target, _ in imports(path):
            if target.split(".")[0] == "fontgen" and target != "fontgen" and floor(target) > floor(module):
                bad.append(f"{module} imports {target}")
    assert not bad, "a floor imports one above it:\n" + "\n".join(bad)


def test_training_and_export_only_lazily_in_cli_commands():
    bad = []
    for module, path in modules().items():
        for target, top in imports(path):
            if target.split(".")[0] in ("training", "export", "bench", "tests") and (module != "fontgen.cli" or top):
                bad.append(f"{module} imports {target}" + (" at import time" if top else ""))
    assert not bad, "fontgen reaches into training/export:\n" + "\n".join(bad)


def test_nothing_imports_the_cli():
    bad = [f"{module} imports {target}" for module, path in modules().items() if module != "fontgen.__main__"
           for target, _ in imports(path) if target == "fontgen.cli"]
    assert not bad, "\n".join(bad)


def test_torch_only_where_adaptation_needs_it():
    bad = []
    for module, path in modules().items():
        for target, top in imports(path):
            if target.split(".")[0] in ("torch", "onnx") and top and module not in TORCH_MODULES:
                bad.append(f"{module} imports {target} at import time")
            if target.split(".")[0] == "torch" and not module.startswith("fontgen.model."):
                bad.append(f"{module} imports {target} (torch work belongs to fontgen.model)")
    assert not bad, "\n".join(bad)


def test_fontgen_modules_do_not_import_torch():
    """Importing every module (but the torch interpreter itself) loads neither torch nor training/export."""
    names = [m for m in modules() if m not in TORCH_MODULES and not m.endswith("__main__")]
    code = (f"import sys, importlib\nfor m in {names!r}: importlib.import_module(m)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'training', 'export'))\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_room_sizes():
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= MAX_TOP_MODULES, f"fontgen/ has {len(top)} top-level modules: {sorted(top)}"
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if p.name != "cli.py" and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by job): {long}"


def test_rules_catch_a_violation(tmp_path, monkeypatch):
    """The checks above can fail: a ground-floor module importing the font floor and training is caught."""
    fake = tmp_path / "fontgen"
    (fake / "font").mkdir(parents=True)
    (fake / "font" / "vectorize.py").write_text("", encoding="utf-8")
    (fake / "charsets.py").write_text("from fontgen.font import vectorize\nimport training.config\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert imports(fake / "charsets.py") == [("fontgen.font.vectorize", True), ("training.config", True)]
    for check in (test_floors_import_downwards_only, test_training_and_export_only_lazily_in_cli_commands):
        try:
            check()
        except AssertionError:
            continue
        raise AssertionError(f"{check.__name__} missed the violation")


def test_outputs_only_through_outfiles():
    """Temp files renamed into place are outfiles' job (write_atomic, write_all, staged_folder); scratch
    files in the temp folder (OTS's input, a worker pool's init) are no outputs and may stay."""
    pattern = re.compile(r"os\.replace\(|os\.rename\(|\.rename\(|shutil\.move\("
                         r"|(mkstemp|mkdtemp|NamedTemporaryFile)\(.*dir=[^,)]*\.parent")
    bad = [f"{p.relative_to(ROOT)}:{n}" for p in PACKAGE.rglob("*.py") if p.name != "outfiles.py"
           for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not bad, "hand-written temp + rename (use fontgen.outfiles):\n" + "\n".join(bad)
