"""open_clip models, random or pretrained.

The landing page builds a randomly initialised CLIP with ``load``.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

import open_clip
import torch

from gapkit import runtime


@contextmanager
def _quiet_random_init():
    # open_clip logs "No pretrained weights loaded" at WARNING; here random weights are the point.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def load(name: str, pretrained: str | None = None,
         device: torch.device | str | None = None) -> torch.nn.Module:
    """An open_clip model in eval mode on ``device`` (default: ``runtime.device()``).

    ``pretrained=None`` gives random weights (seed first with ``runtime.seed_everything``).
    """
    if name not in open_clip.list_models():
        raise ValueError(f"unknown open_clip model {name!r}; "
                         "see open_clip.list_models() for the names")
    device = runtime.device() if device is None else torch.device(device)
    if pretrained is None:
        with _quiet_random_init():
            model = open_clip.create_model(name, device=device)
    else:
        model = open_clip.create_model(name, pretrained=pretrained, device=device)
    return model.eval()
