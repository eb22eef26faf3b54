"""Worker processes never outlive a killed run and never import fontgen from the current folder.

Each test starts the real CLI in its own session, so every process of the run (the command, the
resource tracker, the forkserver and its workers) is found in /proc by session id, and with its
own TMPDIR, so the multiprocessing `pymp-*` folders of the run are the only ones there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fontgen import charsets

ROOT = Path(__file__).resolve().parents[1]
FONTGEN = Path(sys.executable).with_name("fontgen")  # the console script a user runs

pytestmark = pytest.mark.skipif(not FONTGEN.exists() or not Path("/proc/self/stat").exists(),
                                reason="needs the installed fontgen command and /proc")


def session(sid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every live process in session `sid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append((int(stat.parent.name), cmdline))
    return found


def start(args: list[str], tmp_path: Path, cwd: Path | None = None) -> subprocess.Popen:
    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    log = open(tmp_path / "log.txt", "w")
    return subprocess.Popen([str(FONTGEN), *args], cwd=cwd or tmp_path, stdout=log, stderr=log,
                            env={**os.environ, "TMPDIR": str(temp)}, start_new_session=True)


def wait_for_workers(proc: subprocess.Popen, count: int = 2, timeout: float = 60) -> None:
    """Until the forkserver has `count` workers (the pool is working), or fail if the run ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        forkserver = [pid for pid, cmd in session(proc.pid) if "multiprocessing.forkserver" in cmd]
        if len(forkserver) > count:
            return
        if proc.poll() is not None:
            pytest.fail(f"the run ended (exit {proc.returncode}) before its workers were seen")
        time.sleep(0.01)
    proc.kill()
    pytest.fail("no worker processes appeared")


def assert_all_gone(proc: subprocess.Popen, tmp_path: Path, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = session(proc.pid)
    for pid, _ in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes of the run still alive after {within} s: {left}"
    assert not list((tmp_path / "tmp").glob("pymp-*")), "multiprocessing temp folder left behind"


@pytest.fixture
def charset(tmp_path) -> Path:
    path = tmp_path / "chars.txt"
    path.write_text("".join(charsets.gb2312_level1()[100:140]), encoding="utf-8")
    return path


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="make-font uses one process per core")
def test_sigterm_make_font_exits_143_and_leaves_nothing(tmp_path, charset):
    out = tmp_path / "out"
    out.mkdir()
    proc = start(["make-font", "--samples", str(ROOT / "examples/writer"), "--charset", str(charset),
                  "--out", str(out / "Hand.otf"), "--ttf", str(out / "Hand.ttf")], tmp_path)
    wait_for_workers(proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 143, (tmp_path / "log.txt").read_text()
    assert_all_gone(proc, tmp_path)
    assert list(out.iterdir()) == []
    assert "Traceback" not in (tmp_path / "log.txt").read_text()


def test_sigkill_build_font_takes_its_workers_along(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    proc = start(["build-font", "--glyphs", str(ROOT / "examples/glyphs"), "--out", str(out / "Hand.otf"),
                  "--workers", "2"], tmp_path)
    wait_for_workers(proc)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=20) == -signal.SIGKILL
    assert_all_gone(proc, tmp_path)
    assert list(out.iterdir()) == []


def test_workers_do_not_import_fontgen_from_the_current_folder(tmp_path):
    marker = tmp_path / "planted-ran"
    planted = tmp_path / "fontgen"
    planted.mkdir()
    (planted / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    out = tmp_path / "Hand.otf"
    proc = start(["build-font", "--glyphs", str(ROOT / "examples/glyphs"), "--out", str(out), "--workers", "2"],
                 tmp_path, cwd=tmp_path)
    assert proc.wait(timeout=120) == 0, (tmp_path / "log.txt").read_text()
    assert out.exists()
    assert not marker.exists(), "a process of the run imported the fontgen package of the current folder"
    assert_all_gone(proc, tmp_path)


SHARED_POOL_SCRIPT = """
import json, os
from fontgen import parallel

SEEN = []

def remember(tag):
    SEEN.append(tag)

def pids(chunk):
    return [(os.getpid(), list(SEEN)) for _ in chunk]

if __name__ == "__main__":
    with parallel.shared_pool(2):
        first = parallel.map_chunks(pids, range(64), init=remember, init_args=("a",), progress=False)
        second = parallel.map_chunks(pids, range(64), init=remember, init_args=("b",), progress=False)
    print(json.dumps([first, second]))
"""


def test_shared_pool_runs_every_stage_on_the_same_workers(tmp_path):
    """Two maps in one `shared_pool`: the same processes, each stage's init run once per worker before it."""
    import json

    script = tmp_path / "two_stages.py"
    script.write_text(SHARED_POOL_SCRIPT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout)
    assert len({pid for pid, _ in first + second}) <= 2  # one pool of two for both maps
    assert all(seen == ["a"] for _, seen in first)
    assert all(seen in (["a", "b"], ["b"]) for _, seen in second)  # a worker may have had no chunk of the first
    assert os.getpid() not in {pid for pid, _ in first + second}
