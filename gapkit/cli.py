"""``gapkit embed`` and ``gapkit measure``: your own model's embeddings, and every metric of
chapter 1 for them.

    gapkit embed --model NAME [--pretrained TAG_OR_FILE] --images DIR --captions FILE.csv
                 --out FEATURES.npy      image-caption pairs -> one (2, N, D) float32 file
    gapkit embed --model NAME --classes DIR --template "a photo of a {}" --out FEATURES.npy
                                         zero-shot: images by class folder, class prompts

    gapkit measure FEATURES.npy              one array of shape (2, N, D): x then y
    gapkit measure FEATURES/                 a folder of (2, n, D) shards, joined in name order
    gapkit measure IMAGES.npy TEXTS.npy      two arrays of shape (N, D)
    gapkit measure ... --json                one JSON object instead of a table
    gapkit measure ... --plot pairs.png      also save the paired PCA figure

Files are read in chunks into a reused buffer (``gapkit.io``), so N can exceed the memory;
a progress bar on stderr follows large files. Exit status 2 with a one-line message for a
missing or unreadable file, a wrong shape, unequal N, NaN or inf, or a zero row. ``embed``
is described in ``gapkit.embed``; it fails the same way on bad input, before writing anything.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from gapkit import io, metrics

PROGRESS_ROWS = 100_000  # show a progress bar from this many pairs on


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gapkit", description="Measure the modality gap.")
    commands = parser.add_subparsers(dest="command", required=True)
    _embed_parser(commands)
    measure = commands.add_parser("measure", help="every metric of paired embeddings")
    measure.add_argument("files", nargs="+", metavar="FILE.npy",
                         help="one (2, N, D) array or a folder of (2, n, D) shards, "
                              "or two (N, D) arrays: x then y")
    measure.add_argument("--json", action="store_true", help="print one JSON object")
    measure.add_argument("--plot", metavar="OUT.png", help="save the paired PCA figure")
    measure.add_argument("--seed", type=int, default=0, help="seed of the sampled metrics")
    return parser


def _embed_parser(commands) -> None:
    embed = commands.add_parser(
        "embed", help="embed images and captions with an open_clip model",
        description="Embed image-caption pairs (or images by class folder with a prompt "
                    "template) with any open_clip model, into the (2, N, D) float32 file that "
                    "`gapkit measure` reads: x = images, y = captions (zero-shot: the prompt of "
                    "each image's class, with the classes in OUT's stem + .classes.npz). Work "
                    "is saved in shards under OUT.parts/, so an interrupted run resumes when "
                    "started again; OUT appears only when complete. An --out without .npy "
                    "gives a folder of shards instead of one file.")
    embed.add_argument("--model", required=True, metavar="NAME",
                       help="an open_clip model name, e.g. ViT-B-32 or the book's gapclip-tiny")
    embed.add_argument("--pretrained", metavar="TAG_OR_FILE",
                       help="an open_clip pretrained tag (downloads) or a checkpoint file; "
                            "random weights (seeded by --seed) when absent")
    source = embed.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", metavar="DIR", help="the folder the captions file names")
    source.add_argument("--classes", metavar="DIR",
                        help="zero-shot: one sub-folder of images per class (ImageFolder)")
    embed.add_argument("--captions", metavar="FILE",
                       help="CSV with columns file,caption (or .jsonl); file is relative to DIR")
    embed.add_argument("--template", default="a photo of a {}",
                       help="zero-shot prompt; {} is the class name (default: %(default)r)")
    embed.add_argument("--out", required=True, metavar="FEATURES.npy",
                       help="output file (.npy) or folder of shards (any other name)")
    embed.add_argument("--batch-size", type=int, default=64, help="default: %(default)s")
    embed.add_argument("--workers", type=int, default=min(8, (os.cpu_count() or 1) - 1),
                       help="processes reading images (default: %(default)s)")
    embed.add_argument("--shard-rows", type=int, default=10_000,
                       help="pairs per shard file (default: %(default)s)")
    embed.add_argument("--seed", type=int, default=0, help="seed of random weights")
    embed.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    embed.add_argument("--quiet", action="store_true", help="no progress bar")


def _embed(args) -> int:
    from gapkit import embed

    try:
        if args.images is not None and args.captions is None:
            raise embed.EmbedError("--images needs --captions FILE (columns file,caption)")
        if args.classes is not None and args.captions is not None:
            raise embed.EmbedError("--captions goes with --images, not with --classes")
        inputs = (embed.pairs_inputs(args.images, args.captions) if args.images is not None
                  else embed.class_inputs(args.classes, args.template))
        out = embed.run(inputs, args.model, args.out, pretrained=args.pretrained,
                        batch_size=args.batch_size, workers=args.workers,
                        shard_rows=args.shard_rows, seed=args.seed, overwrite=args.overwrite,
                        progress=not args.quiet)
    except (OSError, ValueError) as error:
        print(f"gapkit embed: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gapkit embed: interrupted; run the same command again to resume",
              file=sys.stderr)
        return 130
    print(f"{out}: {len(inputs.images)} pairs")
    return 0


def main(argv: list[str] | None = None) -> int:
    """The ``gapkit`` command (README, "Measuring your own model")."""
    args = _parser().parse_args(argv)
    if args.command == "embed":
        return _embed(args)
    try:
        if args.plot:  # before the measuring pass, which a bad path would throw away
            _check_plot_path(args.plot)
        x, y = io.load_pairs(*args.files)
        with _progress_bar(len(x)) as progress:
            result = metrics.measure(x, y, seed=args.seed, progress=progress).as_dict()
    except (OSError, ValueError) as error:
        print(f"gapkit measure: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        width = max(map(len, metrics.LABELS.values()))
        for key, value in result.items():
            shown = (f"{value:.4f}" if isinstance(value, float)
                     else "n/a" if value is None else f"{value}")
            print(f"{metrics.LABELS[key]:<{width}}  {shown}")
    if args.plot:
        try:
            _save_plot(x, y, args.plot)
        except (OSError, ValueError) as error:
            print(f"gapkit measure: the plot was not saved: {error}", file=sys.stderr)
            return 2
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


def _check_plot_path(path: str) -> None:
    from matplotlib.backend_bases import FigureCanvasBase

    target = Path(path)
    if not target.parent.is_dir():
        raise ValueError(f"--plot {path}: no folder {target.parent} to save it in")
    kinds = FigureCanvasBase.get_supported_filetypes()
    if target.suffix.lstrip(".").lower() not in kinds:
        raise ValueError(f"--plot {path}: name a kind of image matplotlib writes, by its "
                         f"extension: {', '.join(sorted(kinds))}")


def _save_plot(x, y, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from gapkit import plot

    index = np.sort(np.random.default_rng(0).choice(len(x), min(len(x), 2000), replace=False))
    with matplotlib.rc_context(plot.STYLE):  # the book's style, not left to a caller of main
        ax = plot.paired_scatter(np.asarray(x[index]), np.asarray(y[index]), names=("x", "y"))
        ax.figure.savefig(path)
    plt.close(ax.figure)


if __name__ == "__main__":
    sys.exit(main())
