"""Where a chapter's pairs come from: the paper's file, or the book's CLIP, labelled."""

import numpy as np
import pytest
from conftest import ARRAY, dead_url

from gapkit import models, sources, train
from gapkit.data import DataUnavailable


def test_the_papers_file_when_it_can_be_had(served):
    url, _, _ = served
    pairs = sources.paired("clasp", base_url=url)
    assert pairs.paper and pairs.label == "CLASP"
    np.testing.assert_array_equal(pairs.x, ARRAY[0])


def test_offline_the_books_clip_says_so_in_one_line(served, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(sources, "book_pairs", lambda name: calls.append(name) or (1, 2))
    pairs = sources.paired("clasp_random", base_url=dead_url())
    assert calls == ["clasp_random"] and (pairs.x, pairs.y) == (1, 2)
    assert not pairs.paper and pairs.label == "book CLIP at init"
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "features_clasp_random.npy" in out
    assert "book CLIP at init" in out


def test_require_data_never_gives_a_stand_in(served, monkeypatch):
    monkeypatch.setenv("GAPKIT_REQUIRE_DATA", "1")
    monkeypatch.setattr(sources, "book_pairs", lambda name: pytest.fail("stand-in"))
    with pytest.raises(DataUnavailable, match="GAPKIT_REQUIRE_DATA"):
        sources.paired("clasp", base_url=dead_url())


def test_the_stand_in_has_one_picture_per_caption_at_most_the_files_pairs(monkeypatch, tmp_path):
    monkeypatch.setenv("GAPKIT_CACHE", str(tmp_path))
    monkeypatch.setenv("GAPKIT_DEVICE", "cpu")
    small = train.TrainConfig(steps=2, eval_every=2, eval_images=8, batch_size=16)
    monkeypatch.setattr(train, "experiment", lambda: small)
    for name in ("clasp", "clasp_random"):
        x, y = sources.book_pairs(name)
        assert x.shape == y.shape == (99, 64)
        assert len(np.unique(y.round(5), axis=0)) == 99  # 99 different captions
    x, y = sources.book_pairs("clip")  # 500 pairs in the file, 192 captions here
    assert x.shape == y.shape == (small.world.n_combos, 64)
    pictures = small.world.one_of_each()  # chapter 1's pictures, so its numbers
    model = train.train(small, progress=False).model
    np.testing.assert_array_equal(x, models.encode_images(model, pictures.images))
    np.testing.assert_array_equal(y, models.encode_texts(model, pictures.captions))


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown feature set 'dalle'"):
        sources.book_pairs("dalle")
