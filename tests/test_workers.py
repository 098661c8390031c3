"""gapkit.workers: processes kept between calls, renewed when the environment changes, gone
when idle, and a dead worker reported without poisoning the next call."""

import os
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from gapkit import workers


def pid(_) -> int:  # by name, as a spawned worker needs it
    time.sleep(0.05)  # long enough that both workers take a share
    return os.getpid()


def die(_) -> None:
    os._exit(1)


@pytest.fixture(autouse=True)
def fresh():
    workers.shutdown()
    yield
    workers.shutdown()


def test_map_keeps_the_order_of_its_items():
    assert workers.map(abs, [-3, 1, -2], 2) == [3, 1, 2]


def test_a_second_call_reuses_the_workers_of_the_first():
    first = set(workers.map(pid, range(6), 2))
    assert len(first) == 2 and os.getpid() not in first
    assert set(workers.map(pid, range(6), 2)) == first


def test_another_environment_or_count_gets_new_workers(monkeypatch):
    first = set(workers.map(pid, range(6), 2))
    monkeypatch.setenv("GAPKIT_CACHE", "/elsewhere")  # read by a worker when it starts
    second = set(workers.map(pid, range(6), 2))
    assert not first & second
    assert not second & set(workers.map(pid, range(6), 1))


def test_idle_workers_stop(monkeypatch):
    monkeypatch.setattr(workers, "IDLE_S", 0.2)
    first = set(workers.map(pid, range(4), 2))
    time.sleep(1.0)
    assert not first & set(workers.map(pid, range(4), 2))


def test_a_dead_worker_is_reported_and_the_next_call_starts_afresh():
    with pytest.raises(BrokenProcessPool):
        workers.map(die, range(2), 2)
    assert workers.map(abs, [-1], 2) == [1]
