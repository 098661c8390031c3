import open_clip
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gapkit import data

TOKENIZER = open_clip.get_tokenizer("ViT-B-32")


def test_noise_images_shape_and_determinism():
    a = data.noise_images(4, size=16, seed=3)
    assert a.shape == (4, 3, 16, 16)
    assert torch.equal(a, data.noise_images(4, size=16, seed=3))
    assert not torch.equal(a, data.noise_images(4, size=16, seed=4))


@pytest.mark.parametrize("n, size", [(0, 16), (2, 0)])
def test_noise_images_bad_size(n, size):
    with pytest.raises(ValueError, match="need n >= 1"):
        data.noise_images(n, size=size)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 20), low=st.integers(1, 10), extra=st.integers(0, 10),
       seed=st.integers(0, 1000))
def test_random_tokens_are_framed_like_real_captions(n, low, extra, seed):
    high = low + extra
    tokens = data.random_tokens(n, context_length=32, seed=seed, min_words=low, max_words=high)
    sot, eot = TOKENIZER.sot_token_id, TOKENIZER.eot_token_id
    assert tokens.shape == (n, 32)
    assert (tokens[:, 0] == sot).all()
    # exactly one end token per row, and the text tower pools there (the largest id)
    assert ((tokens == eot).sum(dim=1) == 1).all()
    end = tokens.argmax(dim=1)
    assert ((end - 1 >= low) & (end - 1 <= high)).all()
    for row, e in zip(tokens, end, strict=True):
        assert (row[1:e] > 0).all() and (row[1:e] < min(sot, eot)).all()
        assert (row[e + 1:] == 0).all()
    assert torch.equal(tokens, data.random_tokens(n, context_length=32, seed=seed,
                                                  min_words=low, max_words=high))


def test_random_tokens_decode_to_words():
    text = TOKENIZER.decode(data.random_tokens(1, seed=0)[0].tolist())
    assert text.startswith("<start_of_text>") and "<end_of_text>" in text


@pytest.mark.parametrize("low, high", [(0, 4), (5, 4), (1, 80)])
def test_random_tokens_bad_lengths(low, high):
    with pytest.raises(ValueError, match="min_words"):
        data.random_tokens(2, min_words=low, max_words=high)
