"""The `full` profile on a CPU: every model and training configuration the chapters build
in it is built here and takes one step, so that a GPU run never finds a typo (issue "The
book on a GPU"). And the `quick` profile is the one the published book was built with: its
sizes, and so its cached runs, must not move."""

import dataclasses
import math
import re
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

from gapkit import cone, data, graphed, metrics, models, runtime
from gapkit.data import World
from gapkit.train import COLD, TrainConfig, experiment, fine_tune, train

# Chapter 4's fixed temperatures (the paper's Supp. Fig. 8) and its learned one (None).
FINE_TUNE_TEMPERATURES = (0.01, 0.02, 1 / 30, 0.05, 0.1, 1.0, None)
MISMATCH_FRACTIONS = (0.0, 0.1, 0.3)  # chapter 3


# On a GPU too: the GPU check runs these first (benchmarks/gpu/check.sh), so that a tensor
# left on the wrong device shows here, where a CPU cannot show it.
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device: the GPU check runs this"))]


@pytest.fixture
def full(monkeypatch, tmp_path):
    monkeypatch.setenv("GAPKIT_PROFILE", "full")
    monkeypatch.setenv("GAPKIT_DEVICE", "cpu")
    monkeypatch.setenv("GAPKIT_CACHE", str(tmp_path))  # never the reader's cache
    return runtime.sizes()


def test_quick_sizes_are_the_published_books(monkeypatch):
    monkeypatch.delenv("GAPKIT_PROFILE", raising=False)
    assert runtime.sizes() == runtime.Sizes(image_side=128, steps=600, seeds=(0,), draws=3,
                                            trials=2000, inits=100)
    # the runs the quick book caches keep their names (their configuration's hash)
    assert experiment().key() == TrainConfig().key()
    assert experiment(cold=True).key() == TrainConfig(**COLD).key()
    assert experiment(seed=2).steps == TrainConfig().steps == 600


def test_full_sizes_are_the_papers_scale(full):
    assert full.image_side == 224  # the paper's Fig. 2a inputs
    assert full.steps == 1000 and experiment().steps == 1000
    assert full.seeds == (0, 1, 2)
    quick = runtime.SIZES["quick"]
    for field in dataclasses.fields(runtime.Sizes):
        bigger, smaller = getattr(full, field.name), getattr(quick, field.name)
        if isinstance(bigger, tuple):
            assert set(smaller) < set(bigger), field.name
        else:
            assert bigger > smaller, field.name


def test_sizes_follow_the_profile_variable(monkeypatch):
    monkeypatch.setenv("GAPKIT_PROFILE", "full")
    assert runtime.sizes() is runtime.SIZES["full"]
    monkeypatch.setenv("GAPKIT_PROFILE", "quick")
    assert runtime.sizes() is runtime.SIZES["quick"]
    monkeypatch.setenv("GAPKIT_PROFILE", "huge")
    with pytest.raises(ValueError, match="GAPKIT_PROFILE='huge'"):
        runtime.sizes()
    with pytest.raises(dataclasses.FrozenInstanceError):
        runtime.SIZES["quick"].steps = 1


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["RN50", "ViT-B-32"])
def test_full_random_towers_take_full_size_pictures(full, name, device, monkeypatch):
    # chapter 2's table of random towers (paper Fig. 2a) and chapter 3's gap at init, on
    # the book's device as the chapters run them
    monkeypatch.setenv("GAPKIT_DEVICE", device)
    runtime.seed_everything(0)
    tower = models.load(name, image_size=full.image_side)
    assert set(np.atleast_1d(tower.visual.image_size)) == {full.image_side}
    pictures = World().sample(2, seed=5)  # 32 px, resized to the tower's side
    images = models.encode_images(tower, pictures.images)
    texts = models.encode_texts(tower, pictures.captions)
    dim = tower.text_projection.shape[1]
    assert images.shape == texts.shape == (2, dim)
    assert np.isfinite(images).all() and np.isfinite(texts).all()
    noise = data.noise_images(2, size=full.image_side).to(runtime.device())
    with torch.no_grad():  # as chapter 2 feeds noise: straight to the tower
        assert metrics.mean_cosine(tower.encode_image(noise)) > 0


@pytest.mark.parametrize("device", DEVICES)
def test_full_resnet18_and_seeded_towers_take_full_size_pictures(full, device,
                                                                  monkeypatch):
    monkeypatch.setenv("GAPKIT_DEVICE", device)
    pictures = World().sample(2, seed=5).images
    seeded = cone.seed_embeddings("gapclip-tiny", pictures, range(2),
                                  image_size=full.image_side)  # chapter 2's Fig. 2c
    assert seeded.shape[:2] == (2, 2) and np.isfinite(seeded).all()
    features = cone.resnet18_features(pictures, size=full.image_side)
    noise = cone.resnet18_features(data.noise_images(2, size=full.image_side),
                                   normalize=False)
    assert features.shape == noise.shape == (2, 512) and (features >= 0).all()


def full_training_configs(sizes):
    """Every training configuration the chapters ask for in the full profile."""
    configs = [experiment(), experiment(cold=True)]  # chapters 1, 2, the world page
    configs += [experiment(steps=600), experiment(cold=True, steps=600)]  # chapter 5
    configs += [experiment(cold=cold, init=init, seed=seed)  # chapter 3
                for init in ("default", "amended") for cold in (True, False)
                for seed in sizes.seeds]
    configs += [experiment(cold=cold, mismatch=f, seed=seed)  # chapter 3
                for f in MISMATCH_FRACTIONS for cold in (True, False)
                for seed in sizes.seeds]
    configs += [fine_tune(experiment(seed=seed), tau)  # chapter 4
                for seed in sizes.seeds for tau in FINE_TUNE_TEMPERATURES if tau]
    configs += [experiment(embed_dim=d, seed=seed)  # chapter 3 (64: the default)
                for d in (16, 32, 64, 128, 256) for seed in sizes.seeds]
    configs += chapter_6()
    return list({c.key(): c for c in configs}.values())  # chapters share runs


def chapter_6() -> list[TrainConfig]:
    """Chapter 6's runs that no other chapter asks for: 600 steps in every profile."""
    six = partial(experiment, steps=600)
    return [six(captions=("shape",)), six(captions=("shape", "color")),
            six(captions=("shape",), mask_repeats=True),
            six(captions=("shape", "color"), mask_repeats=True),
            six(mismatch=0.1), six(cold=True, mismatch=0.1),
            six(cold=True, mismatch=0.1, temperature_to=0.1), six(mismatch=0.1, swap=0.5),
            six(views=True), six(views=True, uniformity=1.0, alignment=1.0),
            six(views=True, init="shared")]


def one_step(config: TrainConfig) -> TrainConfig:
    """The same configuration cut to one small training step (and its start too)."""
    start = None if config.start is None else one_step(config.start)
    return dataclasses.replace(config, steps=1, warmup=0, batch_size=4, eval_every=1,
                               eval_images=4, start=start)


def reseeded(config: TrainConfig, seed: int) -> TrainConfig:
    start = None if config.start is None else reseeded(config.start, seed)
    return dataclasses.replace(config, seed=seed, start=start)


def test_full_training_configurations_are_what_the_profile_says(full):
    configs = full_training_configs(full)
    # chapter 3 (init, mismatch, dimension), 4, 5 and 6's runs
    assert len(configs) == 2 * 2 * 3 + 2 * 2 * 3 + 6 * 3 + 2 + 4 * 3 + len(chapter_6())
    assert {c.seed for c in configs} == set(full.seeds)
    steps = [(c if c.start is None else c.start).steps for c in configs]
    short = 2 + len(chapter_6())  # chapters 5 and 6 train 600 steps in every profile
    assert steps.count(600) == short and steps.count(1000) == len(configs) - short
    # the other seeds repeat seed 0's runs and change nothing else
    first = {c.key() for c in configs if c.seed == 0}
    assert {reseeded(c, 0).key() for c in configs} == first


def kind(config: TrainConfig) -> tuple:
    """What decides a run's code path (its numbers were checked when it was built)."""
    return (config.init, config.learn_temperature, config.mismatch > 0,
            config.start is not None, config.embed_dim is not None,
            len(config.captions) < 4, config.temperature_to is not None,
            config.swap > 0, config.uniformity + config.alignment > 0, config.views,
            config.mask_repeats)


@pytest.mark.parametrize("device", DEVICES)
def test_full_training_configurations_each_take_one_step(full, device, monkeypatch):
    # one run of each kind: seed 0's (the other seeds differ only in the seed), and of
    # chapter 4's six fixed temperatures or chapter 3's two fractions mismatched, one
    monkeypatch.setenv("GAPKIT_DEVICE", device)
    configs = {kind(c): c for c in full_training_configs(full) if c.seed == 0}
    assert len(configs) == 7 + 8  # and chapter 3's widths, chapter 6's seven options
    for config in configs.values():
        history = train(one_step(config), progress=False).history
        assert history["step"][-1] == 1, config
        assert all(math.isfinite(v) for k in ("loss", "gap") for v in history[k]), config
    # and chapter 4's learned temperature, which starts from where its start ended
    tuned = fine_tune(one_step(experiment(seed=full.seeds[-1])), None)  # one more seed
    assert train(one_step(tuned), progress=False).history["step"][-1] == 1


def test_full_training_configurations_replay_as_cuda_graphs_with_the_eager_numbers(
        cuda_graphs, full, monkeypatch):
    # Past the eager warm-up each kind of run is captured and replayed (gapkit.graphed),
    # with the numbers of the same run trained eagerly (GAPKIT_CUDA_GRAPHS=0).
    monkeypatch.setenv("GAPKIT_DEVICE", "cuda")
    made = []

    class Recorded(graphed.GraphedStep):
        def __init__(self, *args):
            super().__init__(*args)
            made.append(self)

    monkeypatch.setattr(graphed, "GraphedStep", Recorded)
    steps = graphed.EAGER_STEPS + 3
    configs = {kind(c): c for c in full_training_configs(full) if c.seed == 0}
    for config in configs.values():
        config = dataclasses.replace(one_step(config), steps=steps, warmup=2, batch_size=32,
                                     eval_every=graphed.EAGER_STEPS + 1, eval_images=64)
        eager, replayed = eager_and_replayed(config, monkeypatch)
        assert made[-1].captured and not made[-2].captured, config
        for name in ("loss", "temperature", "gap"):
            assert replayed.history[name] == pytest.approx(eager.history[name], rel=1e-4)
        torch.testing.assert_close(replayed.model.state_dict(), eager.model.state_dict(),
                                   rtol=1e-4, atol=1e-5, msg=str(config))


@pytest.mark.parametrize("device", DEVICES)
def test_deterministic_a_run_trained_twice_gives_the_same_numbers(full, device,
                                                                  monkeypatch):
    # running.md's promise on a CPU, and on CUDA where torch allows: an operator with no
    # deterministic CUDA kernel warns (warn_only), and that fails this test too. The GPU
    # check runs this apart from the one-step checks, as a report that does not stop it.
    monkeypatch.setenv("GAPKIT_DEVICE", device)
    config = dataclasses.replace(experiment(), steps=20, eval_every=10, eval_images=64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first, second = (train(config, use_cache=False, progress=False) for _ in range(2))
    assert not [str(w.message) for w in caught if "deterministic" in str(w.message)]
    assert_same_run(first, second)


def test_deterministic_on_cuda_a_replayed_run_gives_the_eager_numbers_bit_for_bit(
        cuda_graphs, full, monkeypatch):
    # A replay launches the eager step's kernels (gapkit.graphed): the same numbers to the
    # last bit, unless a library picks other kernels inside a capture. A report, as above.
    monkeypatch.setenv("GAPKIT_DEVICE", "cuda")
    config = dataclasses.replace(experiment(), steps=20, eval_every=10, eval_images=64)
    assert_same_run(*eager_and_replayed(config, monkeypatch))


def eager_and_replayed(config: TrainConfig, monkeypatch):
    """The same run trained eagerly (``GAPKIT_CUDA_GRAPHS=0``), then replayed as a graph."""
    monkeypatch.setenv("GAPKIT_CUDA_GRAPHS", "0")
    eager = train(config, use_cache=False, progress=False)
    monkeypatch.setenv("GAPKIT_CUDA_GRAPHS", "1")
    return eager, train(config, use_cache=False, progress=False)


def assert_same_run(first, second) -> None:
    assert first.history == second.history
    for name, weight in first.model.state_dict().items():
        assert torch.equal(weight, second.model.state_dict()[name]), name


# The table of book/running.md, row by row: what each size is called there.
RUNNING_ROWS = {"image side of CLIP's random towers": "image_side",
                "training steps of the book's CLIP": "steps",
                "training seeds": "seeds",
                "random networks per depth curve": "draws",
                "Monte Carlo draws per point": "trials",
                "random networks for Theorem 2": "inits"}


def test_the_running_page_tabulates_the_sizes_of_both_profiles():
    text = (Path(__file__).resolve().parents[1] / "book" / "running.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("|") and cells[0] in RUNNING_ROWS:
            rows[RUNNING_ROWS[cells[0]]] = [int(re.sub(r"\D", "", c)) for c in cells[1:3]]
    assert set(rows) == {field.name for field in dataclasses.fields(runtime.Sizes)}
    for name, (quick, full) in rows.items():
        expected = [getattr(runtime.SIZES[p], name) for p in ("quick", "full")]
        expected = [len(v) if isinstance(v, tuple) else v for v in expected]
        assert [quick, full] == expected, name
