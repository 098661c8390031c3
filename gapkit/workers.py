"""Worker processes that outlive one call, so that a chapter's sweeps do not each start their
own.

``workers.map(fn, items, count)`` runs ``fn`` on every item in ``count`` spawned processes
and keeps them for the next call of the same process: a fresh worker spends 3 to 4 s
importing torch and open_clip, and chapters 3 and 6 call ``gapkit.train.train_all`` three
times each. A worker reads its environment (``GAPKIT_CACHE``, ``GAPKIT_DEVICE``, …) when it
starts, so a call made under another environment, or asking for another count, gets new
workers. Workers left idle for ``IDLE_S`` seconds exit, so a reader's kernel does not hold
their memory for the rest of a session.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

IDLE_S = 120.0  # a page's sweeps follow each other within seconds

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_key: tuple | None = None
_timer: threading.Timer | None = None


def map(fn: Callable, items: Iterable, count: int) -> list:
    """``[fn(item) for item in items]``, computed in ``count`` worker processes (started with
    ``spawn``: a forked child would inherit torch's thread pools mid-use). ``fn`` must be
    importable by name. Raises ``BrokenProcessPool`` when a worker dies or cannot start
    (a script without a ``__main__`` guard); the next call starts new workers.

    Used by ``gapkit.train.train_all``, the sweeps of chapters 3 to 6."""
    global _pool, _key, _timer
    key = (count, tuple(sorted(os.environ.items())))
    with _lock:
        if _timer is not None:  # one that fires now finds itself replaced: does nothing
            _timer.cancel()
            _timer = None
        if _pool is not None and _key != key:
            _close()
        if _pool is None:
            context = multiprocessing.get_context("spawn")
            _pool, _key = ProcessPoolExecutor(count, mp_context=context), key
        pool = _pool
    try:
        return list(pool.map(fn, items))
    except BrokenProcessPool:
        with _lock:
            if _pool is pool:
                _close()
        raise
    finally:
        with _lock:
            if _pool is pool:
                _timer = threading.Timer(IDLE_S, _expire)
                _timer.daemon = True
                _timer.start()


def shutdown() -> None:
    """Stop the kept workers now; they also stop after ``IDLE_S`` idle seconds and when this
    process exits (used by the tests of the sweeps of chapters 3 to 6)."""
    with _lock:
        _close()


def _expire() -> None:  # in the idle timer's thread
    with _lock:
        if _timer is threading.current_thread():
            _close()


def _close() -> None:  # with _lock held
    global _pool, _key, _timer
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
    _pool, _key, _timer = None, None, None
