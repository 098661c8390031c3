import os
import random

import numpy as np
import pytest
import torch

from gapkit import runtime


def draws():
    # the legacy global NumPy generator is what seed_everything seeds
    return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist()  # noqa: NPY002


def test_same_seed_same_numbers_in_python_numpy_and_torch():
    runtime.seed_everything(7)
    first = draws()
    runtime.seed_everything(7)
    assert draws() == first
    runtime.seed_everything(8)
    assert draws() != first


def test_seeding_asks_torch_for_deterministic_kernels():
    runtime.seed_everything(0)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    # CUDA attention without the kernels whose backward is nondeterministic, no TF32
    assert not torch.backends.cuda.mem_efficient_sdp_enabled()
    assert not torch.backends.cuda.cudnn_sdp_enabled()
    assert torch.backends.cuda.math_sdp_enabled() and not torch.backends.cudnn.allow_tf32


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_seed_out_of_range(seed):
    with pytest.raises(ValueError, match="seed must be in"):
        runtime.seed_everything(seed)


def test_the_largest_seed_numpy_takes_is_taken():
    runtime.seed_everything(2**32 - 1)
    first = np.random.rand()  # noqa: NPY002 -- the generator that seeding sets
    np.random.seed(2**32 - 1)  # noqa: NPY002
    assert first == np.random.rand()  # noqa: NPY002


@pytest.mark.parametrize("seed", [1.5, "3", True, None])
def test_seed_must_be_an_integer(seed):
    with pytest.raises(TypeError, match="seed must be an integer"):
        runtime.seed_everything(seed)


def test_device_default_is_cuda_when_available(monkeypatch):
    monkeypatch.delenv("GAPKIT_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert runtime.device().type == expected
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert runtime.device() == torch.device("cpu")


def test_device_override(monkeypatch):
    monkeypatch.setenv("GAPKIT_DEVICE", " CPU ")
    assert runtime.device() == torch.device("cpu")


@pytest.mark.parametrize("value", ["gpu", "cuda:x", "tpu", "cpu:0"])
def test_device_unknown_value(monkeypatch, value):
    monkeypatch.setenv("GAPKIT_DEVICE", value)
    with pytest.raises(ValueError, match="GAPKIT_DEVICE"):
        runtime.device()


def test_device_cuda_without_cuda(monkeypatch):
    monkeypatch.setenv("GAPKIT_DEVICE", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="no CUDA device"):
        runtime.device()


def test_device_cuda_index_beyond_the_devices(monkeypatch):
    monkeypatch.setenv("GAPKIT_DEVICE", "cuda:3")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(RuntimeError, match="only 1 CUDA device"):
        runtime.device()
    monkeypatch.setenv("GAPKIT_DEVICE", "cuda:1")  # device 1 of 1: one past the last
    with pytest.raises(RuntimeError, match="only 1 CUDA device"):
        runtime.device()
    monkeypatch.setenv("GAPKIT_DEVICE", "cuda:0")
    assert runtime.device() == torch.device("cuda", 0)


def test_device_mps_without_an_apple_gpu(monkeypatch):
    monkeypatch.setenv("GAPKIT_DEVICE", "mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="no Apple GPU"):
        runtime.device()
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert runtime.device() == torch.device("mps")


def test_profile(monkeypatch):
    monkeypatch.delenv("GAPKIT_PROFILE", raising=False)
    assert runtime.profile() == "quick"
    monkeypatch.setenv("GAPKIT_PROFILE", "Full")
    assert runtime.profile() == "full"
    monkeypatch.setenv("GAPKIT_PROFILE", "fast")
    with pytest.raises(ValueError, match="GAPKIT_PROFILE='fast'"):
        runtime.profile()


def test_cuda_graphs_are_on_unless_the_variable_says_0(monkeypatch):
    monkeypatch.delenv("GAPKIT_CUDA_GRAPHS", raising=False)
    assert runtime.cuda_graphs()
    monkeypatch.setenv("GAPKIT_CUDA_GRAPHS", "0")
    assert not runtime.cuda_graphs()
    monkeypatch.setenv("GAPKIT_CUDA_GRAPHS", "off")
    with pytest.raises(ValueError, match="GAPKIT_CUDA_GRAPHS='off'"):
        runtime.cuda_graphs()


def test_cache_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GAPKIT_CACHE", str(tmp_path / "a" / "b"))
    path = runtime.cache_dir()
    assert path == tmp_path / "a" / "b" and path.is_dir()


def test_cache_dir_default_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("GAPKIT_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert runtime.cache_dir() == tmp_path / "gapkit"


def test_cache_dir_that_is_a_file(monkeypatch, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("GAPKIT_CACHE", str(tmp_path / "file"))
    with pytest.raises(NotADirectoryError, match="not a folder"):
        runtime.cache_dir()


def test_describe(monkeypatch, tmp_path):
    monkeypatch.setenv("GAPKIT_CACHE", str(tmp_path))
    monkeypatch.setenv("GAPKIT_DEVICE", "cpu")
    info = runtime.describe()
    assert info["device"] == "cpu" and info["profile"] in runtime.PROFILES
    assert info["torch"] == torch.__version__
    assert info["open_clip"][0].isdigit() and info["cache"] == str(tmp_path)


def test_cores_counts_the_cores_this_process_may_use(monkeypatch):
    assert 1 <= runtime.cores() <= (os.cpu_count() or 1)
    monkeypatch.delattr(os, "sched_getaffinity")  # as on macOS and Windows
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert runtime.cores() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # unknown: one core
    assert runtime.cores() == 1


def test_describe_says_when_a_package_is_missing(monkeypatch, tmp_path):
    from importlib.metadata import PackageNotFoundError

    def missing(name):
        raise PackageNotFoundError(name)

    monkeypatch.setenv("GAPKIT_CACHE", str(tmp_path))
    monkeypatch.setattr(runtime, "version", missing)
    info = runtime.describe()
    assert info["gapkit"] == info["open_clip"] == "not installed"
