"""gapkit.metrics.measure against a straightforward implementation that builds N×N matrices.

Both compute the same metrics on the same inputs in the same run (N = 20,000, D = 512 by
default); then ``gapkit measure`` runs in a fresh process on (2, N, 512) float32 files of
N = 100,000 and 1,000,000 rows (``--sizes``; 10,000,000 needs 41 GB of disk), each process
reporting its peak memory and its time. Last line:
``metrics: n=<N> dim=<D> speedup=<ratio> peak_mb=<MB> us_per_row=<µs at each size>
linearity=<time per row at the largest size / at the smallest>``.
Budget: speedup >= 50 at N = 20,000, D = 512; peak_mb < 1,000 on the 1,000,000-row file;
linearity <= 1.2 (time linear in N; below 1 when the fixed cost of the sampled metrics is
spread over more rows).

peak_mb is the peak resident memory (VmHWM) of the process that measures the largest file:
the interpreter, the libraries and the chunks being read (gapkit reads them into a reused
buffer; nothing is memory-mapped, so no page of the file counts).
"""

import argparse
import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from gapkit import cli, metrics


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


def measure_child(path: str) -> None:
    """Run in a fresh process: ``gapkit measure FILE --json``, then its peak memory and time."""
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["measure", path, "--json"]) == 0
    print(f"{peak_resident_mb():.1f} {time.perf_counter() - start:.2f}")


def file_run(rows: int, dim: int) -> tuple[float, float]:
    """Peak MB and seconds of ``gapkit measure`` on a fresh (2, rows, dim) float32 file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.npy"
        need = 2 * rows * dim * 4
        if shutil.disk_usage(folder).free < 1.1 * need:
            raise SystemExit(f"not enough disk in {folder} for {need / 1e9:.1f} GB")
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
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000],
                        help="rows of the files measured by gapkit measure")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return measure_child(args.child)

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
    per_row = []
    for rows in sorted(args.sizes):
        peak, seconds = file_run(rows, args.dim)
        per_row.append(seconds / rows * 1e6)
        gib = 2 * rows * args.dim * 4 / 2**30
        print(f"gapkit measure on {rows:,} x {args.dim} float32 ({gib:.2f} GiB): "
              f"{seconds:.1f} s, {per_row[-1]:.1f} µs per row, peak resident memory "
              f"{peak:.0f} MB")
    print(f"metrics: n={args.n} dim={args.dim} speedup={slow_seconds / fast_seconds:.0f} "
          f"peak_mb={peak:.0f} us_per_row={','.join(f'{t:.1f}' for t in per_row)} "
          f"linearity={per_row[-1] / per_row[0]:.2f}")


if __name__ == "__main__":
    main()
