import logging

import pytest
import torch

from gapkit import data, models


def test_random_clip_is_in_eval_mode_and_quiet(caplog):
    torch.manual_seed(0)
    with caplog.at_level(logging.WARNING):
        clip = models.load("ViT-B-32", device="cpu")
    assert not clip.training
    assert "pretrained" not in caplog.text
    with torch.no_grad():
        x = clip.encode_image(data.noise_images(2), normalize=True)
        y = clip.encode_text(data.random_tokens(2), normalize=True)
    assert x.shape == y.shape == (2, 512)
    torch.testing.assert_close(x.norm(dim=1), torch.ones(2))


def test_random_init_follows_the_seed():
    weights = []
    for _ in range(2):
        torch.manual_seed(1)
        weights.append(models.load("ViT-B-32", device="cpu").visual.proj.detach().clone())
    assert torch.equal(*weights)


def test_unknown_model_name():
    with pytest.raises(ValueError, match="unknown open_clip model 'ViT-Z-99'"):
        models.load("ViT-Z-99")
