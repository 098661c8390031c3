"""``gapkit measure``: every metric of chapter 1 for your own embeddings.

    gapkit measure FEATURES.npy              one array of shape (2, N, D): x then y
    gapkit measure FEATURES/                 a folder of (2, n, D) shards, joined in name order
    gapkit measure IMAGES.npy TEXTS.npy      two arrays of shape (N, D)
    gapkit measure ... --json                one JSON object instead of a table
    gapkit measure ... --plot pairs.png      also save the paired PCA figure

Files are read in chunks into a reused buffer (``gapkit.io``), so N can exceed the memory;
a progress bar on stderr follows large files. Exit status 2 with a one-line message for a
missing or unreadable file, a wrong shape, unequal N, NaN or inf, or a zero row.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager

from gapkit import io, metrics

PROGRESS_ROWS = 100_000  # show a progress bar from this many pairs on


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gapkit", description="Measure the modality gap.")
    commands = parser.add_subparsers(dest="command", required=True)
    measure = commands.add_parser("measure", help="every metric of paired embeddings")
    measure.add_argument("files", nargs="+", metavar="FILE.npy",
                         help="one (2, N, D) array or a folder of (2, n, D) shards, "
                              "or two (N, D) arrays: x then y")
    measure.add_argument("--json", action="store_true", help="print one JSON object")
    measure.add_argument("--plot", metavar="OUT.png", help="save the paired PCA figure")
    measure.add_argument("--seed", type=int, default=0, help="seed of the sampled metrics")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        x, y = io.load_pairs(*args.files)
        with _progress_bar(len(x)) as progress:
            result = metrics.measure(x, y, seed=args.seed, progress=progress).as_dict()
        if args.plot:
            _save_plot(x, y, args.plot)
    except (OSError, ValueError) as error:
        print(f"gapkit measure: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        width = max(map(len, metrics.LABELS.values()))
        for key, value in result.items():
            shown = f"{value:.4f}" if isinstance(value, float) else f"{value}"
            print(f"{metrics.LABELS[key]:<{width}}  {shown}")
    return 0


@contextmanager
def _progress_bar(n: int):
    """A ``progress(done, total)`` callback drawing a tqdm bar on stderr, for large sets."""
    if n < PROGRESS_ROWS:
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=2 * n, unit="row", unit_scale=True, desc="measuring", file=sys.stderr,
              leave=False) as bar:
        yield lambda done, total: bar.update(done - bar.n)


def _save_plot(x, y, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from gapkit import plot

    plot.use_style()
    index = np.sort(np.random.default_rng(0).choice(len(x), min(len(x), 2000), replace=False))
    ax = plot.paired_scatter(np.asarray(x[index]), np.asarray(y[index]), names=("x", "y"))
    ax.figure.savefig(path)
    plt.close(ax.figure)


if __name__ == "__main__":
    sys.exit(main())
