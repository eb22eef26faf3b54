"""Map a function over chunks of per-glyph work in worker processes, with a progress bar.

Tracing and render-back validation are per-glyph and CPU-bound; both go through `map_chunks`:

    results = map_chunks(work, items, workers=None, init=setup, init_args=(shared,), desc="trace")

`work(chunk) -> list` and `init(*init_args)` must be module-level functions. Inside
`with shared_pool(workers):` every `map_chunks` runs on one pool, started at the first map that
needs it: a stage's `init` then runs in each worker before its first chunk of that stage (the
arguments travel once per worker, through a file, not with every chunk). Workers come from a
forkserver that has imported the fontgen modules but run nothing: forking this process directly
would copy OpenCV's (and onnxruntime's) thread pools without their threads, and a worker can hang
on a lock one of them held (seen under load). Scripts that call this therefore need the usual
`if __name__ == "__main__":` guard. Workers set OpenCV to one thread, so two workers on two cores
do not oversubscribe. `workers=1` runs everything in this process.

The processes never outlive this one. The forkserver and the resource tracker start without the
current folder on `sys.path` (PYTHONSAFEPATH), so a `fontgen/` folder where the user stands is never
imported in place of the installed one. Each worker watches this process and exits as soon as it is
gone, even after a SIGKILL; with no worker left the forkserver sees its clients gone and exits too,
removing the `pymp-*` folder of its socket, and the resource tracker follows. An exception here
(SIGTERM, which the CLI turns into SystemExit, or Ctrl-C) terminates the workers instead of waiting
for their chunks.
"""

from __future__ import annotations

import atexit
import itertools
import multiprocessing
import os
import pickle
import select
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial, wraps
from typing import Callable, Iterator, Sequence

# Imported once by the forkserver, so each worker starts with them loaded; this module first, so the
# forkserver knows the folder to remove when it exits.
PRELOAD = ("fontgen.parallel", "numpy", "cv2", "fontgen.font.vectorize", "fontgen.font.build", "fontgen.font.validate")
# Set only while the forkserver starts: the multiprocessing temp folder that holds its socket.
FOLDER_VAR = "_FONTGEN_FORKSERVER_FOLDER"

_folder = os.environ.pop(FOLDER_VAR, None)
if _folder:  # this process is the forkserver: it outlives the parent when that is killed
    atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    # Like the resource tracker, leave only when every client is gone (after the parent's own clean-up
    # of the folder), not on a SIGTERM sent to the whole process group.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _wait_for_exit(pid: int) -> None:
    """Block until process `pid` has ended (it may be a zombie nobody reaped yet)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except (AttributeError, OSError):  # no pidfd (not Linux, or Linux < 5.3): poll
        while True:
            try:
                os.kill(pid, 0)
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        return
            except (ProcessLookupError, FileNotFoundError):
                return
            except OSError:
                pass
            time.sleep(0.5)
    select.select([fd], [], [])


def _exit_with(pid: int) -> None:
    """End this worker when process `pid` ends: nothing else tells it after a SIGKILL of `pid`."""
    def watch() -> None:
        _wait_for_exit(pid)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start(parent: int, init: Callable | None, init_args: tuple) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the forkserver ignores it; a worker dies at once
    _exit_with(parent)
    import cv2

    cv2.setNumThreads(1)
    if init is not None:
        init(*init_args)


def resolve_workers(workers: int | None, n_items: int) -> int:
    """`None` means every core; never more workers than items, never fewer than one."""
    wanted = (os.cpu_count() or 1) if workers is None else workers
    return max(1, min(wanted, n_items))


@dataclass
class _SharedPool:
    """The pool `shared_pool` keeps for the maps inside it; started by the first map that needs one."""

    workers: int | None
    executor: ProcessPoolExecutor | None = None
    stages: Iterator[int] = field(default_factory=itertools.count)


_SHARED: _SharedPool | None = None
_STAGE: int | None = None  # in a worker of a shared pool: the stage whose `init` ran last


@contextmanager
def shared_pool(workers: int | None = None):
    """Run every `map_chunks` inside the block on one pool of `workers` processes, stopped at the end.

    A map's own `workers` argument is then ignored, except `workers=1`, which still stays in this process.
    """
    global _SHARED
    if _SHARED is not None:  # nested: the outer block's pool serves
        yield
        return
    _SHARED = _SharedPool(workers)
    try:
        yield
    except BaseException:
        if _SHARED.executor is not None:
            terminate(_SHARED.executor)
        raise
    else:
        if _SHARED.executor is not None:
            _SHARED.executor.shutdown()
    finally:
        _SHARED = None


def one_pool(fn: Callable) -> Callable:
    """`fn(..., workers=...)` with every map inside it on one `shared_pool(workers)`."""
    @wraps(fn)
    def run(*args, **kwargs):
        with shared_pool(kwargs.get("workers")):
            return fn(*args, **kwargs)

    return run


def _staged(work: Callable[[list], list], init: Callable | None, stage: int, args_file: str, chunk: list) -> list:
    """A chunk of a shared pool's stage: the stage's `init` first if this worker has not run it yet."""
    global _STAGE
    if _STAGE != stage:
        if init is not None:
            with open(args_file, "rb") as f:
                init(*pickle.load(f))
        _STAGE = stage
    return work(chunk)


def _context():
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(list(PRELOAD))
        start_forkserver()
    return ctx


def map_chunks(work: Callable[[list], list], items: Sequence, *, workers: int | None = None,
               init: Callable | None = None, init_args: tuple = (), desc: str = "",
               progress: bool = True, unit: str = "glyph") -> list:
    """`work` over chunks of `items`, results concatenated in input order."""
    from tqdm import tqdm

    shared = _SHARED if workers != 1 else None
    workers = resolve_workers(shared.workers if shared else workers, len(items))
    if shared is not None and (shared.executor is not None or workers > 1):
        workers = resolve_workers(shared.workers, 1 << 30)  # the pool serves maps of any size
    size = max(8, min(128, len(items) // (workers * 8) or 1))
    chunks = [list(items[i:i + size]) for i in range(0, len(items), size)]
    results: list = []
    with tqdm(total=len(items), desc=desc, unit=unit, disable=None if progress else True) as bar:
        if workers == 1:
            if init is not None:
                init(*init_args)
            for chunk in chunks:
                results.extend(work(chunk))
                bar.update(len(chunk))
            return results
        import cv2

        # Stop OpenCV's thread pool before forking: a child that inherits the pool's condition
        # variables with the parent's idle workers waiting on them hangs in cv2.setNumThreads.
        threads = cv2.getNumThreads()
        cv2.setNumThreads(1)
        try:
            if shared is not None:
                if shared.executor is None:
                    shared.executor = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start,
                                                          initargs=(os.getpid(), None, ()))
                pool = shared.executor
                from multiprocessing import util

                with tempfile.NamedTemporaryFile(dir=util.get_temp_dir(), prefix="stage-", delete=False) as f:
                    pickle.dump(init_args, f, protocol=pickle.HIGHEST_PROTOCOL)
                try:
                    with signals_deferred():
                        done_chunks = pool.map(partial(_staged, work, init, next(shared.stages), f.name), chunks)
                    for done in done_chunks:
                        results.extend(done)
                        bar.update(len(done))
                finally:
                    os.unlink(f.name)
                return results
            pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start,
                                       initargs=(os.getpid(), init, init_args))
            try:
                # Submitting starts the workers: a signal handled mid-start would leave one half-started
                # (it dies with a traceback), so SIGTERM and Ctrl-C wait until every worker is up.
                with signals_deferred():
                    done_chunks = pool.map(work, chunks)
                for done in done_chunks:
                    results.extend(done)
                    bar.update(len(done))
            except BaseException:
                terminate(pool)
                raise
            pool.shutdown()
        finally:
            cv2.setNumThreads(threads)
    return results


def start_forkserver() -> None:
    """Start the forkserver (and the resource tracker) unless running: no current folder on their
    `sys.path`, and told which folder to remove when they exit."""
    from multiprocessing import forkserver, util

    wanted = {"PYTHONSAFEPATH": "1", FOLDER_VAR: util.get_temp_dir()}
    saved = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    try:
        forkserver.ensure_running()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def signals_deferred(signals=(signal.SIGTERM, signal.SIGINT)):
    """Hold these signals back until the block ends, then handle them as they would have been.

    A signal mask would not do: any other thread (onnxruntime's, tqdm's) takes the signal instead
    and Python still runs the handler in this thread, so the handlers are swapped for a recorder.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum)) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        for sig in dict.fromkeys(caught):
            signal.raise_signal(sig)


def terminate(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: terminate the workers (not wait for their chunks), drop the rest of the work."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle before Python 3.14
    for process in processes:
        process.terminate()
    # With its workers gone the pool's manager thread ends at once; waiting for it here keeps it from
    # racing the interpreter's exit (an "Exception ignored ... Bad file descriptor" on Python 3.11).
    pool.shutdown(wait=True, cancel_futures=True)
