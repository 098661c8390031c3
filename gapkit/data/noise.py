"""Inputs for the encoders.

The landing page feeds random towers with noise: ``noise_images`` and ``random_tokens``.
"""

from __future__ import annotations

import open_clip
import torch


def noise_images(n: int, size: int = 224, seed: int = 0) -> torch.Tensor:
    """``n`` images of standard-normal pixels, shape (n, 3, size, size).

    Standard normal is what a normalised photo looks like to the encoder's first layer,
    without any content.

    Introduced in the landing page.
    """
    if n < 1 or size < 1:
        raise ValueError(f"need n >= 1 and size >= 1, got n={n}, size={size}")
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=generator)


def random_tokens(n: int, context_length: int = 77, seed: int = 0,
                  min_words: int = 4, max_words: int = 16) -> torch.Tensor:
    """``n`` captions of random BPE tokens, framed like real ones.

    Each row is ``<start> t_1 … t_k <end> 0 …`` with k uniform in [min_words, max_words]
    and t_i drawn from open_clip's vocabulary, so text towers that pool at the
    end-of-text token read them exactly as they read a tokenised caption.

    Introduced in the landing page.
    """
    if not 1 <= min_words <= max_words <= context_length - 2:
        raise ValueError(f"need 1 <= min_words <= max_words <= context_length - 2, got "
                         f"{min_words}, {max_words}, context_length={context_length}")
    tokenizer = open_clip.get_tokenizer("ViT-B-32")
    sot, eot = tokenizer.sot_token_id, tokenizer.eot_token_id
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(min_words, max_words + 1, (n,), generator=generator)
    # Word tokens only: every id below the special tokens that close the vocabulary.
    words = torch.randint(0, min(sot, eot), (n, max_words), generator=generator)
    tokens = torch.zeros(n, context_length, dtype=torch.long)
    tokens[:, 0] = sot
    position = torch.arange(max_words)
    tokens[:, 1:max_words + 1] = torch.where(position < lengths[:, None], words, 0)
    tokens[torch.arange(n), lengths + 1] = eot
    return tokens
