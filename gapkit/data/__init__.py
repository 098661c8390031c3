"""Everything the encoders read.

- ``world``: the book's own captioned images of coloured shapes (``World``)
- ``paper``: the paper's published embeddings (``paper_features``)
- ``noise``: inputs without content (``noise_images``, ``random_tokens``)
"""

from gapkit.data.noise import noise_images, random_tokens
from gapkit.data.paper import (
    PAPER_FEATURES,
    PAPER_N,
    ChecksumError,
    DataUnavailable,
    data_required,
    paper_available,
    paper_features,
)
from gapkit.data.world import ATTRIBUTES, Batch, World

__all__ = ["ATTRIBUTES", "PAPER_FEATURES", "PAPER_N", "Batch", "ChecksumError",
           "DataUnavailable", "World", "data_required", "noise_images", "paper_available",
           "paper_features", "random_tokens"]
