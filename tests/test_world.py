import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gapkit.data import World
from gapkit.data.world import COLORS

WORLD = World()
QUIET = World(noise=0.0, jitter=0.0)  # for reading the pictures back


def foreground(images):
    # background grey is at most 0.25; every shape colour has a channel above 0.7
    return images.max(dim=1).values > 0.45


def test_the_world_has_at_least_4_6_2_4_combinations():
    assert [len(v) for v in WORLD.values()] >= [4, 6, 2, 4]
    assert WORLD.n_combos == len(set(WORLD.captions())) == 192


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 64))
def test_same_seed_same_batch_and_captions_match_attributes(seed, n):
    a, b = WORLD.sample(n, seed), WORLD.sample(n, seed)
    assert torch.equal(a.images, b.images) and torch.equal(a.attributes, b.attributes)
    for caption, (shape, color, size, position) in zip(a.captions, a.attributes.tolist(),
                                                      strict=True):
        assert caption == (f"a {WORLD.sizes[size]} {WORLD.colors[color]} "
                           f"{WORLD.shapes[shape]} {WORLD.positions[position]}")
    assert torch.equal(WORLD.combo_attributes()[a.combos], a.attributes)


def test_different_seeds_differ_and_no_two_images_are_equal():
    a = WORLD.sample(64, seed=1)
    assert not torch.equal(a.images, WORLD.sample(64, seed=2).images)
    flat = a.images.flatten(1)
    assert len(torch.unique(flat, dim=0)) == 64
    same = WORLD.batch(torch.zeros(8, dtype=torch.long), seed=0)  # one caption, 8 images
    assert len(torch.unique(same.images.flatten(1), dim=0)) == 8


def test_images_are_rgb_in_unit_range():
    images = WORLD.sample(32, seed=0).images
    assert images.shape == (32, 3, 32, 32) and images.dtype == torch.float32
    assert images.min() >= 0 and images.max() <= 1
    assert World(image_size=64).sample(2, 0).images.shape == (2, 3, 64, 64)


def test_pictures_show_what_the_captions_say():
    batch = QUIET.sample(600, seed=3)
    mask = foreground(batch.images)
    ys, xs = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    area = mask.sum(dim=(1, 2)).float()
    cx = (mask * xs).sum(dim=(1, 2)) / area / 32
    cy = (mask * ys).sum(dim=(1, 2)) / area / 32
    shape, color, size, position = batch.attributes.T
    where = {0: cx < 0.4, 1: cx > 0.6, 2: cy < 0.4, 3: cy > 0.6}  # left, right, top, bottom
    for index, ok in where.items():
        assert ok[position == index].all()
    assert area[size == 1].mean() > 2 * area[size == 0].mean()
    # the brightest pixel lies inside the shape, away from the blended edge
    pixels = batch.images.flatten(2)
    core = pixels.gather(2, pixels.sum(dim=1).argmax(dim=1)[:, None, None].expand(-1, 3, 1))
    palette = torch.tensor(list(COLORS.values()))
    assert torch.equal(torch.cdist(core[:, :, 0], palette).argmin(dim=1), color)
    # area in units of the radius squared: circle pi, square 1.7^2, triangle 1.9 * 1.6 / 2,
    # cross two 0.6 x 1.9 bars less their overlap
    radius = 0.24 * 32
    expected = [np.pi, 1.7**2, 1.9 * 1.6 / 2, 2 * 0.6 * 1.9 - 0.6**2]
    for s, factor in enumerate(expected):
        measured = area[(size == 1) & (shape == s)].mean() / radius**2
        assert measured == pytest.approx(factor, rel=0.12), WORLD.shapes[s]


@settings(max_examples=30, deadline=None)
@given(holdout=st.floats(0, 0.4), seed=st.integers(0, 10_000))
def test_held_out_combinations_never_reach_training(holdout, seed):
    train, test = WORLD.split(holdout, seed)
    assert set(train.tolist()).isdisjoint(test.tolist())
    assert sorted(train.tolist() + test.tolist()) == list(range(WORLD.n_combos))
    seen = WORLD.combo_attributes()[train]
    for a, values in enumerate(WORLD.values()):
        assert len(seen[:, a].unique()) == len(values)
    assert set(WORLD.sample(256, seed, combos=train).combos.tolist()) <= set(train.tolist())


def test_prompts():
    assert WORLD.prompts("shape")[0] == "a photo of a circle"
    assert len(WORLD.prompts("color")) == 6
    with pytest.raises(ValueError, match="unknown attribute 'texture'"):
        WORLD.prompts("texture")


@pytest.mark.parametrize("kwargs, message", [
    ({"shapes": ("circle", "hexagon")}, "unknown shape 'hexagon'"),
    ({"colors": ("red", "teal")}, "unknown color 'teal'"),
    ({"positions": ()}, "at least one position"),
    ({"image_size": 8}, "image_size must be in"),
])
def test_bad_worlds(kwargs, message):
    with pytest.raises(ValueError, match=message):
        World(**kwargs)


def test_bad_requests():
    with pytest.raises(ValueError, match="n must be at least 1"):
        WORLD.sample(0, seed=0)
    with pytest.raises(ValueError, match="holdout must be in"):
        WORLD.split(1.0)
    with pytest.raises(ValueError, match="indices must be in"):
        WORLD.batch(torch.tensor([192]), seed=0)
    with pytest.raises(ValueError, match="cannot hold out"):
        World(shapes=("circle",), colors=("red",), sizes=("small",),
              positions=("on the left", "on the right")).split(0.5)


def test_smaller_worlds_caption_only_their_values():
    small = World(shapes=("circle", "cross"), colors=("red",))
    assert small.n_combos == 2 * 1 * 2 * 4
    assert all(c.split()[2] == "red" for c in small.captions())
    assert np.isin(small.sample(20, 0).attributes[:, 0].numpy(), [0, 1]).all()


def test_templates_hold_every_other_attribute_and_fill_to_the_captions():
    world = World()
    templates = world.templates("shape")
    assert len(templates) == world.n_combos // len(world.shapes)
    filled = {t.format(shape) for t in templates for shape in world.shapes}
    assert filled == set(world.captions())
    assert "a small red {} on the left" in templates
    with pytest.raises(ValueError, match="unknown attribute"):
        world.templates("texture")
