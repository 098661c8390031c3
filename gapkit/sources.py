"""Where a chapter's paired embeddings come from: the paper's file, or the book's CLIP.

``paired("clip")`` gives the paper's ``features_clip.npy`` when it can be had. When it
cannot (no ``GAPKIT_DATA_DIR``, no cached copy, no network), it prints one line saying so
and gives the book's own CLIP on the book's world instead (trained, or with random weights
for the ``*_random`` names): one picture of each of the world's captions, as many as the
file has pairs when it has fewer, so that every caption has exactly one partner. Either way
the result says what it holds (``Pairs.label``, ``Pairs.paper``), so a chapter labels its
figures and checks its claims by what it shows. With ``GAPKIT_REQUIRE_DATA=1`` a missing
file is an error, never a stand-in.

This module sits above ``data`` and ``train`` (it may import both); ``data.paper`` reads
files and trains nothing.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from gapkit import models, train
from gapkit.data import paper


class Pairs(NamedTuple):
    """Paired embeddings and what they are.

    Returned by ``paired`` (chapters 1 to 5)."""

    x: np.ndarray
    y: np.ndarray
    label: str  # for a figure, a table row or a sentence
    paper: bool  # True: the paper's own file; False: the book's CLIP in its place


def book_label(name: str) -> str:
    """How the book's stand-in for the paper's ``name`` is labelled (chapters 1 to 5)."""
    return "book CLIP at init" if name.endswith("_random") else "book CLIP trained"


def book_pairs(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The book's CLIP (trained, or random for ``*_random``) on one picture of each caption
    of its world (a seeded subset of the captions when the paper's ``name`` file holds
    fewer pairs): what ``paired`` shows offline (chapters 1 to 5)."""
    base = name.removesuffix("_random")
    if base not in paper.PAPER_N or name not in paper.PAPER_FEATURES:
        raise ValueError(f"unknown feature set {name!r}: choose from "
                         f"{list(paper.PAPER_FEATURES)}")
    config = train.experiment()  # chapter 1's model, trained for the profile's steps
    pictures = config.world.one_of_each()  # chapter 1's pictures of it
    if name.endswith("_random"):
        x, y = models.encode_at_init(config.model, config.seed, pictures.images,
                                     pictures.captions)
    else:
        model = train.train(config, progress=False).model
        x, y = (models.encode_images(model, pictures.images),
                models.encode_texts(model, pictures.captions))
    n = min(paper.PAPER_N[base], len(x))
    if n < len(x):  # a seeded subset of the rows, in order
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(7))
        keep = order[:n].sort().values.numpy()
        x, y = x[keep], y[keep]
    return x, y


def paired(name: str, base_url: str = paper.BASE_URL) -> Pairs:
    """The paper's ``features_<name>.npy`` or, when it cannot be had, the book's CLIP in
    its place, with one printed line saying so.

    Introduced in chapter 1 (The gap); chapters 2 to 5 read the paper's CLIP through it."""
    if paper.paper_available(name, base_url):  # raises under GAPKIT_REQUIRE_DATA
        x, y = paper.paper_features(name, base_url)
        return Pairs(x, y, paper.PAPER_FEATURES[name][0], True)
    label = book_label(name)
    print(f"Offline: the paper's features_{name}.npy cannot be had (set "
          f"GAPKIT_DATA_DIR or go online); showing the {label} instead.")
    return Pairs(*book_pairs(name), label, False)
