"""gapkit.metrics.measure against a straightforward implementation that builds N×N matrices.

Both compute the same metrics on the same inputs in the same run (N = 20,000, D = 512 by
default); then ``measure`` runs on a 1,000,000 × 512 float32 memory-mapped file in a fresh
process, whose peak memory is reported. Last line:
``metrics: n=<N> dim=<D> speedup=<ratio> peak_mb=<MB>``.
Budget: speedup >= 50 at N = 20,000, D = 512; peak_mb < 1,000 on the 1,000,000-row file.

peak_mb is the peak resident memory (VmHWM) of the process that measures the file: the
interpreter, the libraries, the chunks being read and every page of the mapped file that
was resident at once (gapkit hands those back after each chunk).
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from gapkit import metrics


def gapped(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=d).astype(np.float32)
    x = rng.standard_normal(size=(n, d), dtype=np.float32) + 0.5 * direction
    return x, x + rng.standard_normal(size=(n, d), dtype=np.float32) - 0.5 * direction


def naive(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The obvious way: full similarity matrices, every pair, every point."""
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    y = y / np.linalg.norm(y, axis=1, keepdims=True)
    n = len(x)
    off = ~np.eye(n, dtype=bool)
    gx, gy, s = x @ x.T, y @ y.T, x @ y.T
    paired = np.diag(s)
    within = [(1 - g[off].mean()) / 2 for g in (gx, gy)]
    paired_d = (1 - paired.mean()) / 2
    rivals = (s >= paired[:, None]).sum(axis=1) - 1
    split = int(0.7 * n)
    features = np.vstack([x[:split], y[:split]])
    labels = np.r_[np.ones(split), np.zeros(split)]
    classifier = LogisticRegression(max_iter=1000).fit(features, labels)
    return {
        "centroid_distance": float(np.linalg.norm(x.mean(0) - y.mean(0))),
        "rmg": float(paired_d / (np.mean(within) + paired_d)),
        "linear_separability": classifier.score(np.vstack([x[split:], y[split:]]),
                                                np.r_[np.ones(n - split), np.zeros(n - split)]),
        "paired_cosine": float(paired.mean()),
        "mean_cosine_x": float(gx[off].mean()),
        "mean_cosine_y": float(gy[off].mean()),
        "alignment": float(np.mean(np.sum((x - y) ** 2, axis=1))),
        "uniformity_x": float(np.log(np.exp(-2 * (2 - 2 * gx[off])).mean())),
        "uniformity_y": float(np.log(np.exp(-2 * (2 - 2 * gy[off])).mean())),
        "recall_at_1": float(np.mean(rivals < 1)),
        "recall_at_5": float(np.mean(rivals < 5)),
    }


def peak_resident_mb() -> float:
    # VmHWM, not getrusage: ru_maxrss carries the parent's peak across fork and exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (not Linux?)")


def memmap_child(path: str) -> None:
    """Run in a fresh process: measure the file, print its peak memory and the time."""
    x, y = metrics.load_pairs(path)
    start = time.perf_counter()
    metrics.measure(x, y)
    print(f"{peak_resident_mb():.1f} {time.perf_counter() - start:.1f}")


def memmap_run(rows: int, dim: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.npy"
        big = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32,
                                        shape=(2, rows, dim))
        for start in range(0, rows, 100_000):  # write in blocks: never all in memory
            stop = min(rows, start + 100_000)
            big[0, start:stop], big[1, start:stop] = gapped(stop - start, dim, seed=start)
        big.flush()
        del big
        out = subprocess.run([sys.executable, __file__, "--child", str(path)],
                             capture_output=True, text=True, check=True).stdout
    peak, seconds = map(float, out.split())
    return peak, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--big", type=int, default=1_000_000, help="rows of the mapped file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return memmap_child(args.child)

    x, y = gapped(args.n, args.dim)
    metrics.measure(x[:500], y[:500])  # warm both up: imports, BLAS threads
    naive(x[:500], y[:500])
    start = time.perf_counter()
    fast = metrics.measure(x, y).as_dict()
    fast_seconds = time.perf_counter() - start
    start = time.perf_counter()
    slow = naive(x, y)
    slow_seconds = time.perf_counter() - start
    for key, value in slow.items():
        print(f"{key:>20}: measure {fast[key]:.4f}  naive {value:.4f}")
    print(f"measure {fast_seconds:.2f} s, naive {slow_seconds:.2f} s")
    peak, seconds = memmap_run(args.big, args.dim)
    gib = 2 * args.big * args.dim * 4 / 2**30
    print(f"{args.big:,} x {args.dim} float32 memory-mapped ({gib:.1f} GiB): "
          f"measure {seconds:.1f} s, peak resident memory {peak:.0f} MB")
    print(f"metrics: n={args.n} dim={args.dim} speedup={slow_seconds / fast_seconds:.0f} "
          f"peak_mb={peak:.0f}")


if __name__ == "__main__":
    main()
