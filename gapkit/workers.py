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
    importable by name and safe to run twice on an item. If a kept worker has died
    (interrupting a Jupyter kernel signals its workers too), the call runs once more on new
    ones; otherwise a dead worker, or one that cannot start (a script without a
    ``__main__`` guard), raises ``BrokenProcessPool``. After any error the workers are
    stopped, so that no item goes on running behind it. Call it from one thread at a time:
    the workers are shared, and one call's idle timer or error may stop them under another.

    Used by ``gapkit.train.train_all``: the page 'The book's world and its CLIP' and the
    sweeps of chapters 3 to 6."""
    items = list(items)
    pool, kept = _take(count)
    while True:
        try:
            done = list(pool.map(fn, items))
        except BaseException as error:
            _release(lambda failed=pool: _pool is failed)
            if not (kept and isinstance(error, BrokenProcessPool)):
                raise
            pool, kept = _take(count)  # new workers: a second death raises
            continue
        _arm(pool)
        return done


def shutdown() -> None:
    """Stop the kept workers now, to free their memory at once. The book's pages never need
    it: the workers stop after ``IDLE_S`` idle seconds and when the kernel exits."""
    _release(lambda: True)


def _take(count: int) -> tuple[ProcessPoolExecutor, bool]:
    """The workers for this call, and whether they were kept from an earlier one."""
    global _pool, _key
    key = (count, tuple(sorted(os.environ.items())))
    stale = None
    with _lock:
        kept = _pool is not None and _key == key
        if kept:
            _disarm()
        else:
            stale = _detach()
            context = multiprocessing.get_context("spawn")
            _pool, _key = ProcessPoolExecutor(count, mp_context=context), key
        pool = _pool
    _stop(stale)
    return pool, kept


def _arm(pool: ProcessPoolExecutor) -> None:
    global _timer
    with _lock:
        if _pool is pool:
            _timer = threading.Timer(IDLE_S, _expire)
            _timer.daemon = True
            _timer.start()


def _expire() -> None:  # in the idle timer's thread
    _release(lambda: _timer is threading.current_thread())


def _release(still: Callable[[], bool]) -> None:
    """Stop the kept workers if ``still()``, judged under the lock; wait for them outside."""
    with _lock:
        stale = _detach() if still() else None
    _stop(stale)


def _disarm() -> None:  # with _lock held
    global _timer
    if _timer is not None:  # one that fires now finds itself replaced: does nothing
        _timer.cancel()
        _timer = None


def _detach() -> ProcessPoolExecutor | None:  # with _lock held
    global _pool, _key
    _disarm()
    pool, _pool, _key = _pool, None, None
    return pool


def _stop(pool: ProcessPoolExecutor | None) -> None:  # without _lock: it may wait
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
