"""Run every page of the book under nbval, one at a time, and report each page's seconds.

    python benchmarks/bench_book.py [--warm | --cache DIR] [--out DIR] [PAGE ...]

From a cold cache by default (a fresh ``GAPKIT_CACHE``: every model the book needs is
trained on the way, as on a newcomer's first run); ``--warm`` keeps the cache of the
environment, and ``--cache DIR`` uses and keeps DIR (cold while it is empty), so that a run
cut short can go on where it stopped. Pages run in the order of ``_toc.yml``, so later pages
reuse what earlier ones trained, as in a real build; PAGE arguments run only the pages whose
path contains one of them. ``GAPKIT_DEVICE`` and ``GAPKIT_PROFILE`` pass through: with
``GAPKIT_DEVICE=cuda GAPKIT_PROFILE=full`` this is the book's GPU check (``make gpu-check``).

After a page that trained models, a line ``trained: runs=<n> steps=<total> ms_per_step=<m>
data_share=<f>`` reads their timings from the checkpoints it added: a run's wall time over
its steps (set-up and evaluations included), averaged over the runs, which train side by
side. Last line: ``book: pages=<n> cold_s=<total> slowest=<page>:<s>`` (``warm_s`` with
``--warm``, ``seconds`` with ``--cache``). Budget (issue "Chapters 1–4, second edition"):
the whole book cold on 2 CPU cores ≤ 7 min; (issue "The book on a GPU"): ≤ 10 min on one
GPU in the full profile.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import chapters  # noqa: E402 -- the book's page list and its .md -> .ipynb conversion


def device_line() -> str:
    """Where the pages will compute, checked before the first page: a ``GAPKIT_DEVICE`` that
    torch cannot see stops the run here with its reason, not inside every page."""
    import torch

    from gapkit import runtime

    device = runtime.device()
    name = f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""
    return f"device={device}{name} torch={torch.__version__} cores={runtime.cores()}"


def trained_line(added: list[Path]) -> str:
    """The timings of the runs whose checkpoints a page added to the cache."""
    import torch

    saved = []
    for path in added:
        try:
            saved.append(torch.load(path, map_location="cpu", weights_only=True))
        except Exception as error:  # a report, not a check: say so and go on
            return f"  trained: unreadable checkpoint {path.name} ({error})"
    steps = [int(s["history"]["step"][-1]) for s in saved]  # kept as floats
    ms = [1000 * s.get("seconds", 0.0) / n for s, n in zip(saved, steps, strict=True)]
    data = sum(s.get("data_seconds", 0.0) for s in saved)
    total = sum(s.get("seconds", 0.0) for s in saved) or 1.0
    return (f"  trained: runs={len(saved)} steps={sum(steps)} "
            f"ms_per_step={sum(ms) / len(ms):.0f} data_share={data / total:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument("--warm", action="store_true", help="keep the environment's cache")
    kept.add_argument("--cache", type=Path, help="use and keep this cache folder")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "bench_book")
    parser.add_argument("pages", nargs="*", help="run only the pages whose path has one")
    args = parser.parse_args()
    print(device_line(), flush=True)
    env = dict(os.environ)
    cache = None
    if args.cache:
        env["GAPKIT_CACHE"] = str(args.cache.resolve())
    elif not args.warm:
        cache = tempfile.TemporaryDirectory(prefix="gapkit-cold-")
        env["GAPKIT_CACHE"] = cache.name
    notebooks = [n for n in chapters.convert(ROOT, args.out)
                 if not args.pages or any(p in str(n) for p in args.pages)]
    if not notebooks:
        sys.exit(f"no page matches {' '.join(args.pages)}")
    from gapkit import runtime

    checkpoints = Path(env.get("GAPKIT_CACHE") or runtime.cache_dir()) / "checkpoints"
    seconds, failed = {}, []
    for notebook in notebooks:
        page = str(notebook.relative_to(args.out).with_suffix(""))
        before = set(checkpoints.glob("*.pt"))
        tic = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbval-lax",
                                 "--nbval-current-env", "-p", "no:cacheprovider",
                                 str(notebook)], cwd=ROOT, env=env, capture_output=True,
                                text=True, check=False)
        seconds[page] = time.perf_counter() - tic
        status = "ok" if result.returncode == 0 else "FAILED"
        print(f"{page}: {seconds[page]:.1f} s {status}", flush=True)
        added = sorted(set(checkpoints.glob("*.pt")) - before)
        if added:
            print(trained_line(added), flush=True)
        if result.returncode:
            failed.append(page)
            print(result.stdout[-3000:], file=sys.stderr)
    slowest = max(seconds, key=seconds.get)
    kind = "cold_s" if cache is not None else "warm_s" if args.warm else "seconds"
    print(f"cores={os.cpu_count()} device={env.get('GAPKIT_DEVICE', 'auto')} "
          f"profile={env.get('GAPKIT_PROFILE', 'quick')}")
    print(f"book: pages={len(seconds)} {kind}={sum(seconds.values()):.0f} "
          f"slowest={slowest}:{seconds[slowest]:.0f}")
    if cache is not None:
        cache.cleanup()
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
