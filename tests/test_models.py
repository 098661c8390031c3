import logging

import numpy as np
import open_clip
import pytest
import torch

from gapkit import data, models
from gapkit.data import World


def same_embeddings(model, other) -> bool:
    images = World().sample(4, seed=0).images
    return np.array_equal(models.encode_images(model, images),
                          models.encode_images(other, images))


@pytest.fixture(autouse=True)
def on_cpu(monkeypatch):
    monkeypatch.setenv("GAPKIT_DEVICE", "cpu")


def test_random_clip_is_in_eval_mode_and_quiet(caplog):
    torch.manual_seed(0)
    with caplog.at_level(logging.WARNING):
        clip = models.load("ViT-B-32")
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
        weights.append(models.load("ViT-B-32").visual.proj.detach().clone())
    assert torch.equal(*weights)


def test_unknown_model_name():
    with pytest.raises(models.UnknownModel, match="unknown open_clip model 'ViT-Z-99'"):
        models.load("ViT-Z-99")
    assert issubclass(models.UnknownModel, ValueError)


def test_the_books_clip_is_an_open_clip_model():
    assert "gapclip-tiny" in models.BOOK_MODELS
    model, _, preprocess = open_clip.create_model_and_transforms("gapclip-tiny")
    tokenizer = open_clip.get_tokenizer("gapclip-tiny")
    assert isinstance(model, open_clip.CLIP) and model.context_length == 16
    assert tokenizer(["a small red circle on the left"]).shape == (1, 16)
    assert model.visual.image_size == (32, 32)


def test_a_saved_checkpoint_loads_offline(tmp_path):
    torch.manual_seed(0)
    model = models.load("gapclip-tiny")
    path = models.save(model, tmp_path / "tiny.pt")
    assert not list(tmp_path.glob("*.partial"))
    loaded = models.load("gapclip-tiny", pretrained=path)
    assert same_embeddings(model, loaded)
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        models.load("gapclip-tiny", pretrained=tmp_path / "missing.pt")
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):  # a str, by its suffix
        models.load("gapclip-tiny", pretrained=str(tmp_path / "missing.pt"))


def test_encoders_normalise_and_do_not_depend_on_the_batch_size():
    torch.manual_seed(0)
    model = models.load("gapclip-tiny")
    batch = World().sample(10, seed=0)
    x = models.encode_images(model, batch.images)
    assert x.shape == (10, 64) and isinstance(x, np.ndarray)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(models.encode_images(model, batch.images, batch_size=3), x,
                               rtol=1e-5, atol=1e-6)
    y = models.encode_texts(model, batch.captions, numpy=False)
    assert isinstance(y, torch.Tensor) and y.shape == (10, 64)
    tokens = models.tokenize(model, batch.captions)
    torch.testing.assert_close(models.encode_texts(model, tokens, numpy=False), y)
    for bad in (batch.images[0], batch.images[:, :1]):  # one picture; one channel
        with pytest.raises(ValueError, match=r"shape \(n, 3, height, width\)"):
            models.encode_images(model, bad)


def test_any_open_clip_model_reads_the_world_through_its_own_transform():
    torch.manual_seed(0)
    model = models.load("ViT-B-32")
    assert models.image_transform(model)(torch.rand(1, 3, 32, 32)).shape == (1, 3, 224, 224)
    assert models.encode_images(model, World().sample(2, 0).images).shape == (2, 512)


def test_encoder_input_errors():
    model = models.load("gapclip-tiny")
    with pytest.raises(ValueError, match=r"shape \(n, 3, height, width\)"):
        models.encode_images(model, torch.rand(3, 32, 32))
    with pytest.raises(TypeError, match="not one string"):
        models.encode_texts(model, "a small red circle on the left")


def test_a_prompt_ensemble_is_the_normalised_mean_of_its_filled_templates():
    torch.manual_seed(0)
    model = models.load("gapclip-tiny", device="cpu")
    templates = ["a small {} on the left", "a large {} at the top"]
    ensemble = models.encode_prompt_ensemble(model, ["circle", "star"], templates)
    star = models.encode_texts(model, [t.format("star") for t in templates]).mean(axis=0)
    np.testing.assert_allclose(ensemble[1], star / np.linalg.norm(star), rtol=1e-5,
                               atol=1e-6)  # float32: near-zero entries differ in absolute terms
    np.testing.assert_allclose(np.linalg.norm(ensemble, axis=1), 1, rtol=1e-6)
    with pytest.raises(ValueError, match="'{}'"):
        models.encode_prompt_ensemble(model, ["circle"], ["no placeholder"])


@pytest.fixture
def saved_tiny(tmp_path, monkeypatch):
    """A random book CLIP saved as a file, and the variables cleared."""
    monkeypatch.delenv("GAPKIT_PRETRAINED", raising=False)
    monkeypatch.delenv("GAPKIT_PRETRAINED_MODEL", raising=False)
    torch.manual_seed(0)
    model = models.load("gapclip-tiny")
    return model, models.save(model, tmp_path / "tiny.pt")


def test_no_pretrained_clip_without_the_variable_says_so_in_one_line(saved_tiny):
    model, line = models.pretrained_from_env()
    assert model is None and "GAPKIT_PRETRAINED" in line and "\n" not in line


def test_a_pretrained_checkpoint_file_loads_with_its_architecture(saved_tiny, monkeypatch):
    model, path = saved_tiny
    monkeypatch.setenv("GAPKIT_PRETRAINED", str(path))
    monkeypatch.setenv("GAPKIT_PRETRAINED_MODEL", "gapclip-tiny")
    loaded, line = models.pretrained_from_env()
    assert line == "Pretrained CLIP: gapclip-tiny from tiny.pt." and not loaded.training
    assert same_embeddings(model, loaded)


def test_a_corrupt_pretrained_file_is_a_clear_error(saved_tiny, monkeypatch, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"half a checkpoint")
    monkeypatch.setenv("GAPKIT_PRETRAINED", str(bad))
    monkeypatch.setenv("GAPKIT_PRETRAINED_MODEL", "gapclip-tiny")
    with pytest.raises(models.PretrainedError, match=r"bad\.pt: not a checkpoint file"):
        models.pretrained_from_env()


def test_a_pretrained_file_of_another_architecture_is_a_clear_error(saved_tiny, monkeypatch):
    _, path = saved_tiny
    monkeypatch.setenv("GAPKIT_PRETRAINED", str(path))  # ViT-B-32 by default
    with pytest.raises(models.PretrainedError, match="tiny.pt: does not hold ViT-B-32 weights"):
        models.pretrained_from_env()


def test_a_missing_pretrained_file_or_unknown_name_is_a_clear_error(saved_tiny, monkeypatch,
                                                                     tmp_path):
    monkeypatch.setenv("GAPKIT_PRETRAINED", str(tmp_path / "missing.pt"))
    with pytest.raises(models.PretrainedError, match="missing.pt: no such file"):
        models.pretrained_from_env()
    monkeypatch.setenv("GAPKIT_PRETRAINED", "no-such-tag")
    with pytest.raises(models.PretrainedError,
                       match="no-such-tag: neither a checkpoint file nor one of open_clip's tags"):
        models.pretrained_from_env()
    monkeypatch.setenv("GAPKIT_PRETRAINED_MODEL", "ViT-Z-99")
    with pytest.raises(models.UnknownModel,
                       match="^GAPKIT_PRETRAINED_MODEL: unknown open_clip model 'ViT-Z-99'"):
        models.pretrained_from_env()


def test_a_tag_without_cached_weights_offline_is_absent_not_an_error(saved_tiny, monkeypatch,
                                                                     tmp_path):
    import huggingface_hub.constants

    monkeypatch.setattr(models, "hub_reachable", lambda: False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("GAPKIT_PRETRAINED", "openai")
    model, line = models.pretrained_from_env()
    assert model is None and "\n" not in line
    assert line == ("No pretrained CLIP: ViT-B-32/openai's weights are not in "
                    "open_clip's cache and the hub is unreachable.")


def test_a_tag_that_fails_to_download_online_says_why(saved_tiny, monkeypatch):
    def refused(*args, **kwargs):
        raise OSError("403 Forbidden\nmore detail")

    monkeypatch.setattr(models, "hub_reachable", lambda: True)
    monkeypatch.setattr(open_clip.pretrained, "download_pretrained", refused)
    with pytest.raises(models.WeightsUnavailable,
                       match=r"ViT-B-32/openai's weights cannot be downloaded "
                             r"\(OSError: 403 Forbidden; more detail\)"):
        models.load_pretrained("ViT-B-32", "openai")
    monkeypatch.setenv("GAPKIT_PRETRAINED", "openai")
    model, line = models.pretrained_from_env()
    assert model is None and "403 Forbidden" in line


def test_a_checkpoint_without_suffix_or_folder_is_read_as_a_file(saved_tiny, monkeypatch):
    model, path = saved_tiny
    monkeypatch.chdir(path.parent)
    path.rename("tiny")  # no suffix, no separator: a tag by its looks, but a file is there
    loaded = models.load_pretrained("gapclip-tiny", "tiny")
    assert same_embeddings(model, loaded)
    with pytest.raises(models.UnknownModel, match="unknown open_clip model 'ViT-Z-99'"):
        models.load_pretrained("ViT-Z-99", "tiny")


def test_embed_dim_sets_the_width_of_both_projections():
    assert models.embed_dim("gapclip-tiny") == 64
    with pytest.raises(ValueError, match="unknown open_clip model"):
        models.embed_dim("ViT-Z-99")
    torch.manual_seed(0)
    model = models.load("gapclip-tiny", embed_dim=16)
    pictures = World().sample(3, seed=0)
    assert models.encode_images(model, pictures.images).shape == (3, 16)
    assert models.encode_texts(model, pictures.captions).shape == (3, 16)
    torch.manual_seed(0)  # None: the configuration's own width, the same model
    own, default = models.load("gapclip-tiny", embed_dim=None), models.load("gapclip-tiny")
    assert own.text_projection.shape == default.text_projection.shape == (64, 64)


def test_encode_at_init_is_seed_load_encode_in_one_call():
    pictures = World().sample(5, seed=1)
    x, y = models.encode_at_init("gapclip-tiny", 3, pictures.images, pictures.captions)
    from gapkit import runtime

    runtime.seed_everything(3)
    model = models.load("gapclip-tiny")
    np.testing.assert_array_equal(x, models.encode_images(model, pictures.images))
    np.testing.assert_array_equal(y, models.encode_texts(model, pictures.captions))
    only, none = models.encode_at_init("gapclip-tiny", 3, images=pictures.images)
    np.testing.assert_array_equal(only, x)
    assert none is None
    other, _ = models.encode_at_init("gapclip-tiny", 4, pictures.images)
    assert not np.allclose(other, x)  # another seed, another model
    with pytest.raises(ValueError, match="give images, texts or both"):
        models.encode_at_init("gapclip-tiny", 0)


def test_texts_are_read_by_the_tokenizer_of_the_models_own_architecture(monkeypatch):
    asked = []

    def spy(name):
        asked.append(name)
        return open_clip.get_tokenizer("gapclip-tiny")

    monkeypatch.setattr(models, "tokenizer_of", spy)
    models.tokenize(models.load("gapclip-tiny"), ["a red circle"])
    models.tokenize(models.load("ViT-B-16-SigLIP", image_size=32), ["a red circle"])
    assert asked == ["gapclip-tiny", "ViT-B-16-SigLIP"]  # not CLIP's BPE for a SigLIP


def test_the_books_tokens_are_clips_bpe():
    captions = World().sample(20, seed=0).captions
    np.testing.assert_array_equal(models.tokenize(models.load("gapclip-tiny"), captions),
                                  open_clip.tokenize(captions, context_length=16))


def test_an_error_is_quoted_on_one_bounded_line():
    assert models.error_line(ValueError("first\n\n  second  \nthird")) == (
        "ValueError: first; second")
    assert models.error_line(KeyError()) == "KeyError"
    long = models.error_line(RuntimeError("x" * 1000))
    assert len(long) == 240 and long.endswith("...") and "\n" not in long
    full = "RuntimeError: " + "x" * 226  # 240 characters: kept whole
    assert models.error_line(RuntimeError("x" * 226)) == full
    assert models.error_line(RuntimeError("x" * 227)).endswith("x...")  # 241: cut to 240


def test_the_hub_is_unreachable_when_offline_or_refused_and_reachable_by_proxy(monkeypatch):
    import socket

    class Connection:
        def close(self):
            pass

    def refused(*args, **kwargs):
        raise OSError("refused")

    for name in ("HF_HUB_OFFLINE", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: Connection())
    assert models.hub_reachable()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert not models.hub_reachable()  # asked to stay offline: not even tried
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(socket, "create_connection", refused)
    assert not models.hub_reachable()
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")  # the proxy answers for it
    assert models.hub_reachable()


def test_hub_offline_only_ever_turns_the_hub_off_and_restores_it(monkeypatch):
    import huggingface_hub.constants as hub

    for before in (False, True):
        monkeypatch.setattr(hub, "HF_HUB_OFFLINE", before)
        for offline in (False, True):
            with models.hub_offline(offline):
                assert hub.HF_HUB_OFFLINE == (before or offline)
            assert hub.HF_HUB_OFFLINE == before


def test_a_tag_in_open_clip_s_registry_loads_through_the_tag_path(saved_tiny, monkeypatch):
    # open_clip's registry can name a local file for a tag: the tag path, offline
    model, path = saved_tiny
    monkeypatch.setitem(open_clip.pretrained._PRETRAINED, "gapclip-tiny",
                        {"local": {"file": str(path)}})
    monkeypatch.setattr(models, "hub_reachable", lambda: False)
    monkeypatch.setenv("GAPKIT_PRETRAINED", "local")
    monkeypatch.setenv("GAPKIT_PRETRAINED_MODEL", "gapclip-tiny")
    loaded, line = models.pretrained_from_env()
    assert line == "Pretrained CLIP: gapclip-tiny 'local'." and not loaded.training
    assert same_embeddings(model, loaded)
