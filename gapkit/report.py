"""Tables for the chapters' text: rows of numbers as Markdown (chapter 5 on)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gapkit.metrics import Measurement


def table(header: Sequence[str], rows: Sequence[Sequence], digits: int = 3) -> str:
    """A Markdown table; floats are written with ``digits`` decimals, None as "n/a", the
    rest as text.

    Introduced in chapter 1 (The gap)."""
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"every row needs {len(header)} cells, one per column")

    def cell(value) -> str:
        if value is None:  # a number that is undefined here
            return "n/a"
        return f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def estimate(values: Sequence[float], digits: int = 2,
             bounds: tuple[float, float] = (-math.inf, math.inf)) -> str:
    """A number measured on one or more seeds, as text: the value alone for one seed, the
    mean and its 95% interval over several (``gapkit.metrics.seed_interval``), as in
    ``0.49 [0.45, 0.53]``, the interval cut to ``bounds`` (``(0, 1)`` for an accuracy).
    Chapters 3 and 4 write their tables with it, so the ``full`` profile's three seeds show
    their spread."""
    from gapkit.metrics import seed_interval

    mean, low, high = seed_interval(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    low, high = max(low, bounds[0]), min(high, bounds[1])
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def measurements(named: dict[str, Measurement], digits: int = 3) -> str:
    """One row per metric of ``gapkit.metrics.measure`` and one column per named
    measurement, as a Markdown table (chapter 1)."""
    from gapkit.metrics import LABELS

    rows = [[label, *(getattr(m, key) for m in named.values())]
            for key, label in LABELS.items()]
    return table(["metric", *named], rows, digits)
