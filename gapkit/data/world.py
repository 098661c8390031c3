"""The book's own world: small captioned images of coloured shapes.

Every image shows one shape with four attributes (shape, colour, size, position) and is
captioned from a template, ``"a small red circle on the left"``. Images are drawn from signed
distance fields for the whole batch at once (no per-image Python loop), with jitter in
position, size and colour and pixel noise, so no two images are equal. Everything is a
function of a seed. Introduced with the book's CLIP; used from chapter 1 on.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch

SHAPES = ("circle", "square", "triangle", "cross")
COLORS = {  # RGB in [0, 1]
    "red": (0.90, 0.15, 0.15),
    "green": (0.15, 0.75, 0.25),
    "blue": (0.20, 0.35, 0.95),
    "yellow": (0.95, 0.85, 0.15),
    "purple": (0.60, 0.25, 0.80),
    "orange": (1.00, 0.55, 0.10),
}
SIZES = {"small": 0.14, "large": 0.24}  # radius as a fraction of the image side
POSITIONS = {  # centre (x, y) as fractions of the side, y downwards
    "on the left": (0.28, 0.50),
    "on the right": (0.72, 0.50),
    "at the top": (0.50, 0.28),
    "at the bottom": (0.50, 0.72),
}
ATTRIBUTES = ("shape", "color", "size", "position")


@dataclass
class Batch:
    """A batch of the world: images, their attributes and the index of their caption.

    Introduced in the page 'The book's world and its CLIP'."""

    images: torch.Tensor  # (n, 3, side, side), float in [0, 1]
    attributes: torch.Tensor  # (n, 4) long: shape, colour, size, position indices
    combos: torch.Tensor  # (n,) long: index into World.captions
    captions: list[str] = field(repr=False)

    def __len__(self) -> int:
        return len(self.combos)


@dataclass(frozen=True)
class World:
    """The attribute values, the image side and the amount of jitter and noise.

    Introduced in the page 'The book's world and its CLIP'."""

    shapes: tuple[str, ...] = SHAPES
    colors: tuple[str, ...] = tuple(COLORS)
    sizes: tuple[str, ...] = tuple(SIZES)
    positions: tuple[str, ...] = tuple(POSITIONS)
    image_size: int = 32
    jitter: float = 0.05  # position jitter, as a fraction of the side
    noise: float = 0.04  # standard deviation of the pixel noise

    def __post_init__(self):
        known = {"shape": SHAPES, "color": COLORS, "size": SIZES, "position": POSITIONS}
        for attribute, values in zip(ATTRIBUTES, self.values(), strict=True):
            if not values:
                raise ValueError(f"the world needs at least one {attribute}")
            unknown = [v for v in values if v not in known[attribute]]
            if unknown:
                raise ValueError(f"unknown {attribute} {unknown[0]!r}: "
                                 f"choose from {list(known[attribute])}")
        if not 16 <= self.image_size <= 256:
            raise ValueError(f"image_size must be in [16, 256] pixels, got {self.image_size}")

    def values(self) -> tuple[tuple[str, ...], ...]:
        """The four attribute value lists, in the order of ``ATTRIBUTES``."""
        return self.shapes, self.colors, self.sizes, self.positions

    @property
    def n_combos(self) -> int:
        return int(np.prod([len(v) for v in self.values()]))

    @cached_property
    def _combos(self) -> torch.Tensor:
        ranges = [range(len(v)) for v in self.values()]
        return torch.tensor(list(itertools.product(*ranges)), dtype=torch.long)

    @cached_property
    def _captions(self) -> tuple[str, ...]:
        return tuple(self.caption(*row) for row in self._combos.tolist())

    def combo_attributes(self) -> torch.Tensor:
        """(n_combos, 4) attribute indices; row k is the k-th caption's attributes."""
        return self._combos.clone()

    def caption(self, shape: int, color: int, size: int, position: int) -> str:
        return (f"a {self.sizes[size]} {self.colors[color]} {self.shapes[shape]} "
                f"{self.positions[position]}")

    def captions(self) -> list[str]:
        """Every caption of the world, indexed by combination."""
        return list(self._captions)

    def described(self, named: Sequence[str] = ATTRIBUTES) -> tuple[list[str], torch.Tensor]:
        """Captions that name only the attributes in ``named`` (chapter 6), e.g.
        ``"a red circle"`` for shape and colour: the distinct captions, and for each
        combination the index of its caption. Naming all four gives ``captions()`` and
        ``arange(n_combos)``; naming fewer, many pictures share one caption."""
        unknown = [a for a in named if a not in ATTRIBUTES]
        if unknown or not named:
            raise ValueError(f"captions must name some of {list(ATTRIBUTES)}, got {named}")
        kept = [a for a in ("size", "color", "shape", "position") if a in named]
        words = dict(zip(ATTRIBUTES, self.values(), strict=True))
        texts = [" ".join(["a"] + [words[a][row[ATTRIBUTES.index(a)]] for a in kept])
                 for row in self._combos.tolist()]
        distinct = list(dict.fromkeys(texts))
        index = torch.tensor([distinct.index(t) for t in texts], dtype=torch.long)
        return distinct, index

    def templates(self, attribute: str) -> list[str]:
        """Every caption of the world with ``{}`` in place of one attribute's value, e.g.
        ``"a small red {} on the left"``: filled with any word, including words the world
        never draws, they make prompt ensembles (chapter 5)."""
        if attribute not in ATTRIBUTES:
            raise ValueError(f"unknown attribute {attribute!r}: choose from {list(ATTRIBUTES)}")
        index = ATTRIBUTES.index(attribute)
        values = [("{}",) if a == index else v for a, v in enumerate(self.values())]
        return [f"a {size} {color} {shape} {position}"
                for shape, color, size, position in itertools.product(*values)]

    def prompts(self, attribute: str) -> list[str]:
        """Zero-shot prompts for one attribute, e.g. ``"a photo of a circle"``."""
        if attribute == "shape":
            return [f"a photo of a {s}" for s in self.shapes]
        if attribute == "color":
            return [f"a photo of something {c}" for c in self.colors]
        if attribute == "size":
            return [f"a photo of something {s}" for s in self.sizes]
        if attribute == "position":
            return [f"a photo of something {p}" for p in self.positions]
        raise ValueError(f"unknown attribute {attribute!r}: choose from {list(ATTRIBUTES)}")

    def split(self, holdout: float, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """Combination indices for training and for testing on unseen compositions.

        A fraction ``holdout`` of the combinations is held out, chosen so that every
        attribute value still appears in training (only its combinations are new).
        """
        if not 0 <= holdout < 1:
            raise ValueError(f"holdout must be in [0, 1), got {holdout}")
        combos = self.combo_attributes()
        n_test = round(holdout * len(combos))
        generator = torch.Generator().manual_seed(seed)
        for _ in range(1000):
            order = torch.randperm(len(combos), generator=generator)
            train, test = order[n_test:].sort().values, order[:n_test].sort().values
            seen = combos[train]
            if all(len(seen[:, a].unique()) == len(v) for a, v in enumerate(self.values())):
                return train, test
        raise ValueError(f"cannot hold out {holdout:.0%} of the combinations and keep every "
                         "attribute value in training")

    def sample(self, n: int, seed: int, combos: torch.Tensor | None = None) -> Batch:
        """``n`` images with uniformly drawn combinations (from ``combos`` if given)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        generator = torch.Generator().manual_seed(seed)
        pool = torch.arange(self.n_combos) if combos is None else torch.as_tensor(combos)
        if pool.numel() == 0:
            raise ValueError("no combinations to sample from")
        chosen = pool[torch.randint(len(pool), (n,), generator=generator)]
        return self._batch(chosen, generator)

    def one_of_each(self, seed: int = 2022) -> Batch:
        """One picture of each combination, in order, so every caption has exactly one
        partner: the pairs chapters 1, 3 and 5 measure the book's CLIP on, and (the same
        pictures) the book's stand-in for the paper's files offline."""
        return self.batch(torch.arange(self.n_combos), seed)

    def batch(self, combos: torch.Tensor, seed: int) -> Batch:
        """One image for each combination index in ``combos``, in that order."""
        combos = torch.as_tensor(combos, dtype=torch.long)
        if combos.ndim != 1 or combos.numel() == 0:
            raise ValueError("combos must be a non-empty 1-D tensor of combination indices")
        if combos.min() < 0 or combos.max() >= self.n_combos:
            raise ValueError(f"combination indices must be in [0, {self.n_combos})")
        return self._batch(combos, torch.Generator().manual_seed(seed))

    def _batch(self, combos: torch.Tensor, generator: torch.Generator) -> Batch:
        images = self.render(self._combos[combos], generator)
        return Batch(images, self._combos[combos], combos,
                     [self._captions[k] for k in combos.tolist()])

    def render(self, attributes: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Draw one image per attribute row, all at once."""
        n, side = len(attributes), self.image_size
        shape, color, size, position = attributes.T

        def uniform(*dims, low=-1.0, high=1.0):
            return low + (high - low) * torch.rand(*dims, generator=generator)

        centres = torch.tensor([POSITIONS[p] for p in self.positions])[position]
        centres = centres + self.jitter * uniform(n, 2)
        radius = torch.tensor([SIZES[s] for s in self.sizes])[size] * uniform(n, low=0.9,
                                                                              high=1.1)
        rgb = torch.tensor([COLORS[c] for c in self.colors])[color]
        rgb = (rgb + 0.06 * uniform(n, 3)).clamp(0, 1)
        background = uniform(n, 1, low=0.05, high=0.25)

        grid = (torch.arange(side) + 0.5) / side  # pixel centres in [0, 1]
        dx = (grid[None, None, :] - centres[:, 0, None, None]) / radius[:, None, None]
        dy = (grid[None, :, None] - centres[:, 1, None, None]) / radius[:, None, None]
        inside = _signed_distance(dx, dy)  # (4 shapes, n, side, side), in radii
        inside = inside[torch.tensor([SHAPES.index(s) for s in self.shapes])[shape],
                        torch.arange(n)]
        # Anti-aliased edge: about one pixel wide.
        alpha = (inside * radius[:, None, None] * side + 0.5).clamp(0, 1)[:, None]
        images = background[:, :, None, None] * (1 - alpha) + rgb[:, :, None, None] * alpha
        images = images + self.noise * torch.randn(images.shape, generator=generator)
        return images.clamp(0, 1)


def _signed_distance(dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    """Distance inside each shape's edge (positive inside), in units of the radius."""
    ax, ay = dx.abs(), dy.abs()
    circle = 1 - torch.sqrt(dx**2 + dy**2)
    square = 0.85 - torch.maximum(ax, ay)
    # Apex at (0, -1), base at y = 0.6 with half-width 0.95: three half-planes.
    half_width = 0.95 * (dy + 1) / 1.6
    triangle = torch.minimum(0.6 - dy, (half_width - ax) / np.hypot(1, 0.95 / 1.6))
    bar = 0.3
    cross = torch.maximum(torch.minimum(bar - ax, 0.95 - ay),
                          torch.minimum(bar - ay, 0.95 - ax))
    return torch.stack([circle, square, triangle, cross])
