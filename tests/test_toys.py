import numpy as np
import pytest

from gapkit import metrics, toys


def test_sphere_toy_geometry():
    x, y = toys.sphere_toy(np.radians(30))
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1)
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1)
    np.testing.assert_allclose(x[:, 2], 0)  # images on the equator
    np.testing.assert_allclose(np.degrees(np.arcsin(y[:, 2])), 30)  # texts 30° above
    azimuths = np.degrees(np.arctan2(x[:, 1], x[:, 0]))
    np.testing.assert_allclose(azimuths, [-20, 0, 20, 40, 60, 80], atol=1e-9)
    np.testing.assert_allclose(metrics.paired_cosine(x, y), np.cos(np.radians(30)))
    _, swapped = toys.sphere_toy(np.radians(30), mismatch=True)
    np.testing.assert_allclose(swapped[[1, 0, 2, 3, 4, 5]], y)


def test_sphere_toy_loss_minimum():
    thetas = np.radians(np.linspace(-89, 89, 179))

    def argmin(scale, mismatch):
        losses = [metrics.clip_loss(*toys.sphere_toy(t, mismatch), 1 / scale) for t in thetas]
        return abs(np.degrees(thetas[int(np.argmin(losses))]))

    for scale in (1, 5, 35, 50, 100):  # matched pairs: no gap is best, at every temperature
        assert argmin(scale, mismatch=False) == pytest.approx(0)
    assert argmin(5, mismatch=True) == pytest.approx(0)  # warm: mismatch still closes it
    assert argmin(100, mismatch=True) > 45  # cold and mismatched: a gap is best


def test_descent_keeps_the_text_points_on_the_sphere():
    x, y = toys.sphere_toy(np.radians(10), mismatch=True)
    path = toys.descend_text(x, y, temperature=0.02, steps=20)
    assert path.shape == (21, 6, 3)
    np.testing.assert_allclose(np.linalg.norm(path, axis=2), 1)
    np.testing.assert_allclose(path[0], y)
