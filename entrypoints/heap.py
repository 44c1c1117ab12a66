"""The cyclic collector, tuned by the entry points: once after start, and while imports run."""

from __future__ import annotations

import gc
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager


def settle_heap() -> None:
    """Moves everything built at start (modules, routes, schemas) out of the collector's sight.

    A full collection otherwise walks that whole heap every few thousand requests and stalls every
    request in flight (`make bench-catalog` shows it in the p99). Young objects are collected less
    often for the same reason.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def spare_the_exit() -> None:
    """For a command about to end: moves the whole heap out of the collector's sight, so the interpreter's
    shutdown does not walk and tear down every module's objects (SQLAlchemy's thousands of classes) just
    before the process frees them all at once. `folio books import` spent ~0.15 s of CPU there, a fifth
    of a one-row import. Call it once the command's work is done: nothing frozen is ever collected."""
    gc.freeze()


_running_imports = 0
_running_lock = threading.Lock()
_thresholds = gc.get_threshold()
#: Net new container objects between two young collections while imports run (the default is 700).
IMPORT_GC_THRESHOLD = 100_000


@contextmanager
def collector_eased() -> Iterator[None]:
    """Spares the import most of the cyclic collector's passes; reference counting frees its rows.

    - A batch's rows live until it is written, so the default young collection (every 700 net new
      objects) walked every row several times over and promoted them, and full collections walked
      every object the process made before (modules, classes, caches).
    - While imports run, young collections come only every `IMPORT_GC_THRESHOLD` net new objects
      (more than the batches in flight hold), and the older objects are set aside with `gc.freeze()`.
    - Both are undone when the last import ends (this process changes neither for good). The entry
      points that run imports (worker actor, in-process queue, command line) wrap them in it.

    Together they take a tenth off the worker's CPU for a large import (see bench/imports.py), with
    the same peak memory.
    """
    global _running_imports, _thresholds
    with _running_lock:
        if _running_imports == 0:
            _thresholds = gc.get_threshold()
            gc.set_threshold(max(_thresholds[0], IMPORT_GC_THRESHOLD), *_thresholds[1:])
        _running_imports += 1
        gc.freeze()
    try:
        yield
    finally:
        with _running_lock:
            _running_imports -= 1
            if _running_imports == 0:
                gc.unfreeze()
                gc.set_threshold(*_thresholds)


def eased[**P, R](run: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """`run` (an import) with the collector eased while it runs."""

    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_eased():
            return await run(*args, **kwargs)

    return wrapper
