"""gapkit.workers: processes kept between calls, renewed when the environment changes, gone
when idle, a worker that died while idle replaced, and nothing left running after an
error."""

import os
import signal
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from gapkit import workers


def pid(_) -> int:  # by name, as a spawned worker needs it
    return os.getpid()


def die(_) -> None:
    os._exit(1)


def fail(item) -> None:
    raise ValueError(f"item {item}")


def alive(process: int) -> bool:
    try:
        os.kill(process, 0)
    except ProcessLookupError:
        return False
    return True


def until(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


@pytest.fixture(autouse=True)
def fresh():
    workers.shutdown()
    yield
    workers.shutdown()


def test_map_keeps_the_order_of_its_items():
    assert workers.map(abs, [-3, 1, -2], 2) == [3, 1, 2]


def test_a_second_call_reuses_the_workers_of_the_first():
    first = set(workers.map(pid, range(6), 2))
    assert first and os.getpid() not in first
    assert set(workers.map(pid, range(6), 2)) <= first


def test_another_environment_or_count_gets_new_workers(monkeypatch):
    first = set(workers.map(pid, range(6), 2))
    monkeypatch.setenv("GAPKIT_CACHE", "/elsewhere")  # read by a worker when it starts
    second = set(workers.map(pid, range(6), 2))
    assert not first & second
    assert not second & set(workers.map(pid, range(6), 1))


def test_idle_workers_stop(monkeypatch):
    monkeypatch.setattr(workers, "IDLE_S", 0.2)
    first = workers.map(pid, range(4), 2)
    assert until(lambda: not any(map(alive, first)))


def test_a_worker_killed_while_idle_is_replaced():
    first = set(workers.map(pid, range(4), 2))
    for process in first:  # as an interrupted kernel's SIGINT would
        os.kill(process, signal.SIGKILL)
    assert until(lambda: not any(map(alive, first)))
    assert not first & set(workers.map(pid, range(4), 2))


def test_a_worker_that_dies_mid_call_is_reported_and_the_next_call_starts_afresh():
    with pytest.raises(BrokenProcessPool):
        workers.map(die, range(2), 2)
    assert workers.map(abs, [-1], 2) == [1]


def test_an_error_stops_the_workers_so_nothing_runs_behind_it():
    first = workers.map(pid, range(4), 2)
    with pytest.raises(ValueError, match="item 0"):
        workers.map(fail, range(4), 2)
    assert not any(map(alive, first))  # already stopped when the error arrives


def test_a_call_whose_workers_were_replaced_arms_no_timer():
    # Its workers stopped under it (another call's error, or shutdown): its idle timer
    # would stop whatever workers are kept by then, so it sets none.
    workers.shutdown()
    workers._arm(object())  # not the kept pool, which is None now
    assert workers._timer is None
