"""Map a function over chunks of per-glyph work in worker processes, with a progress bar.

Tracing and render-back validation are per-glyph and CPU-bound; both go through `map_chunks`:

    results = map_chunks(work, items, workers=None, init=setup, init_args=(shared,), desc="trace")

`work(chunk) -> list` and `init(*init_args)` must be module-level functions. Workers come from a
forkserver that has imported the fontgen modules but run nothing: forking this process directly
would copy OpenCV's (and onnxruntime's) thread pools without their threads, and a worker can hang
on a lock one of them held (seen under load). Scripts that call this therefore need the usual
`if __name__ == "__main__":` guard. Workers set OpenCV to one thread, so two workers on two cores
do not oversubscribe. `workers=1` runs everything in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence

# Imported once by the forkserver, so each worker starts with them loaded.
PRELOAD = ("numpy", "cv2", "fontgen.vectorize", "fontgen.fontbuild", "fontgen.validate")


def _start(init: Callable | None, init_args: tuple) -> None:
    import cv2

    cv2.setNumThreads(1)
    if init is not None:
        init(*init_args)


def resolve_workers(workers: int | None, n_items: int) -> int:
    """`None` means every core; never more workers than items, never fewer than one."""
    wanted = (os.cpu_count() or 1) if workers is None else workers
    return max(1, min(wanted, n_items))


def map_chunks(work: Callable[[list], list], items: Sequence, *, workers: int | None = None,
               init: Callable | None = None, init_args: tuple = (), desc: str = "",
               progress: bool = True, unit: str = "glyph") -> list:
    """`work` over chunks of `items`, results concatenated in input order."""
    from tqdm import tqdm

    workers = resolve_workers(workers, len(items))
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
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload(list(PRELOAD))
        import cv2

        # Stop OpenCV's thread pool before forking: a child that inherits the pool's condition
        # variables with the parent's idle workers waiting on them hangs in cv2.setNumThreads.
        threads = cv2.getNumThreads()
        cv2.setNumThreads(1)
        try:
            with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start, initargs=(init, init_args)) as pool:
                for done in pool.map(work, chunks):
                    results.extend(done)
                    bar.update(len(done))
        finally:
            cv2.setNumThreads(threads)
    return results
