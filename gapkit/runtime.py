"""Where and how the book runs: seeding, device, profile and cache folder.

Introduced on the landing page (``book/intro.md``); every chapter starts with
``seed_everything`` and takes its device, profile and cache folder from here, so
one environment variable switches the whole book:

- ``GAPKIT_DEVICE``: ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` (default: cuda when available)
- ``GAPKIT_PROFILE``: ``quick`` (default: laptop CPU in minutes) or ``full`` (longer runs,
  GPU); ``sizes()`` holds every number the profile decides
- ``GAPKIT_CACHE``: folder for downloads and trained checkpoints
- ``GAPKIT_CUDA_GRAPHS``: ``0`` trains eagerly on CUDA, without replaying CUDA graphs

Read elsewhere (see ``book/running.md``): ``GAPKIT_DATA_DIR`` and ``GAPKIT_REQUIRE_DATA`` by
``data.paper`` (the paper's files), ``GAPKIT_PRETRAINED`` and ``GAPKIT_PRETRAINED_MODEL`` by
``models.pretrained_from_env`` (a pretrained CLIP file or open_clip tag, and its
architecture, default ViT-B-32).
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import torch

PROFILES = ("quick", "full")
_DEVICE_PATTERN = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) and ask torch for deterministic kernels.

    The same seed on the same machine gives the same numbers, run after run.

    Introduced in the landing page.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 -- the global generator that libraries draw from
    torch.manual_seed(seed)  # seeds every CUDA device too
    # cuBLAS needs this workspace setting to be deterministic; it is read at first use.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    # On CUDA, attention's memory-efficient and cuDNN kernels have no deterministic backward
    # pass; without them float32 attention takes the plain one, as cheap at the book's 17
    # tokens. TF32 convolutions (cuDNN's default on Ampere and later) round unlike a CPU.
    # Neither setting touches the CPU's kernels.
    torch.backends.cuda.enable_mem_efficient_sdp(False)
    torch.backends.cuda.enable_cudnn_sdp(False)
    torch.backends.cudnn.allow_tf32 = False
    # warn_only: an op without a deterministic kernel warns instead of stopping a chapter.
    torch.use_deterministic_algorithms(True, warn_only=True)
    # Deterministic mode also fills every new tensor with NaN, a debugging aid that cost a
    # tenth of a training step; deterministic kernels never read uninitialised memory.
    torch.utils.deterministic.fill_uninitialized_memory = False


def cores() -> int:
    """The CPU cores this process may use: how many runs ``train.train_all`` trains at once
    (the page 'The book's world and its CLIP', chapters 3 to 6)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def device() -> torch.device:
    """The torch device the book computes on: ``GAPKIT_DEVICE`` if set, else cuda, else cpu."""
    requested = os.environ.get("GAPKIT_DEVICE", "").strip().lower()
    if not requested:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not _DEVICE_PATTERN.match(requested):
        raise ValueError(
            f"GAPKIT_DEVICE={requested!r} is not a device: use cpu, cuda, cuda:N or mps"
        )
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RuntimeError(f"GAPKIT_DEVICE={requested!r} but torch sees no CUDA device")
        index = int(requested.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise RuntimeError(
                f"GAPKIT_DEVICE={requested!r} but torch sees only "
                f"{torch.cuda.device_count()} CUDA device(s)"
            )
    if requested == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError("GAPKIT_DEVICE='mps' but torch sees no Apple GPU")
    return torch.device(requested)


def cuda_graphs() -> bool:
    """Whether training on CUDA replays its step as a CUDA graph (``gapkit.graphed``): yes,
    unless ``GAPKIT_CUDA_GRAPHS=0``, which trains eagerly, for comparing the two or for an
    operator that cannot be captured. Read by the page 'The book's world and its CLIP'."""
    value = os.environ.get("GAPKIT_CUDA_GRAPHS", "").strip() or "1"
    if value not in ("0", "1"):
        raise ValueError(f"GAPKIT_CUDA_GRAPHS={value!r}: use 1 (the default) or 0")
    return value == "1"


def profile() -> str:
    """``quick`` (the default: every chapter on a laptop CPU in minutes) or ``full``."""
    value = os.environ.get("GAPKIT_PROFILE", "").strip().lower() or "quick"
    if value not in PROFILES:
        raise ValueError(f"GAPKIT_PROFILE={value!r} is not a profile: use one of {PROFILES}")
    return value


@dataclass(frozen=True)
class Sizes:
    """Every number that the profile decides, in one place (``sizes()`` picks the profile's).

    The ``quick`` values are what the published site shows; ``full`` is the paper's scale
    where the book can reach it, for a GPU (the page 'Running this book' tabulates both).
    """

    image_side: int  # pixels of the images fed to CLIP's random towers (chapters 2 and 3)
    steps: int  # training steps of the book's CLIP (``train.experiment``, chapters 1 to 4)
    seeds: tuple[int, ...]  # training seeds averaged over (chapters 3 and 4)
    draws: int  # random networks per curve of the depth experiment (chapter 2)
    trials: int  # Monte Carlo draws per point of Theorem 1's check (chapter 2)
    inits: int  # random networks in Theorem 2's check (chapter 2)


SIZES = {
    "quick": Sizes(image_side=128, steps=600, seeds=(0,), draws=3, trials=2000, inits=100),
    "full": Sizes(image_side=224, steps=1000, seeds=(0, 1, 2), draws=10, trials=20000,
                  inits=400),
}


def sizes() -> Sizes:
    """The sizes of the current profile (``GAPKIT_PROFILE``): what ``quick`` shrinks.

    Chapters 1 to 5 take their image side, training steps, seeds and Monte Carlo counts
    from here.
    """
    return SIZES[profile()]


def cache_dir() -> Path:
    """The folder for downloads and checkpoints, created if missing.

    ``GAPKIT_CACHE`` if set, else ``$XDG_CACHE_HOME/gapkit`` (``~/.cache/gapkit``).

    Every page's downloads and trained models live here (the landing page).
    """
    configured = os.environ.get("GAPKIT_CACHE", "").strip()
    if configured:
        path = Path(configured).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
        path = Path(base).expanduser() / "gapkit"
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"the gapkit cache {path} exists but is not a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def describe() -> dict[str, str]:
    """What this run uses, as printed at the top of the book: device, profile, versions."""
    return {
        "device": str(device()),
        "profile": profile(),
        "torch": torch.__version__,
        "open_clip": _version("open_clip_torch"),
        "gapkit": _version("gapkit"),
        "cache": str(cache_dir()),
    }
