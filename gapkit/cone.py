"""The cone effect: deep networks map any inputs into a narrow cone (chapter 2).

Random MLPs traced layer by layer, the closed-form cosine map of a random ReLU layer,
a Monte Carlo check of the paper's Theorem 1, and the exact size of a cone on the sphere.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import betainc

from gapkit import metrics

ACTIVATIONS = {
    "linear": lambda h: h,
    "relu": torch.relu,
    "leaky_relu": torch.nn.functional.leaky_relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


def layer_outputs(activation: str, bias: bool = True, depth: int = 25, width: int = 512,
                  n: int = 500, generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """``n`` standard-normal inputs and their images after each layer of one random MLP.

    Every layer is ``activation(W h + b)`` with W and b drawn from N(0, 1/width), as in the
    paper's Figure 2b. Returns depth + 1 tensors of shape (n, width), the inputs first.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}: choose from {list(ACTIVATIONS)}")
    if depth < 0 or width < 1 or n < 2:
        raise ValueError("need depth >= 0, width >= 1 and n >= 2")
    act, std = ACTIVATIONS[activation], 1 / math.sqrt(width)
    generator = generator or torch.Generator().manual_seed(0)
    outputs = [torch.randn(n, width, generator=generator)]
    for _ in range(depth):
        weight = std * torch.randn(width, width, generator=generator)
        shift = std * torch.randn(width, generator=generator) if bias else 0.0
        outputs.append(act(outputs[-1] @ weight.T + shift))
    return outputs


def cosine_trace(activation: str, bias: bool = True, depth: int = 25, width: int = 512,
                 n: int = 500, draws: int = 5, seed: int = 0) -> np.ndarray:
    """Mean pairwise cosine after each layer of ``draws`` independent random MLPs.

    Returns shape (draws, depth + 1): column 0 is the inputs, column k the outputs of
    layer k, one row per independently drawn network and input batch.
    """
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    generator = torch.Generator().manual_seed(seed)
    return np.array([[metrics.mean_cosine(h) for h in
                      layer_outputs(activation, bias, depth, width, n, generator)]
                     for _ in range(draws)])


def pairwise_cosines(h: torch.Tensor | np.ndarray) -> np.ndarray:
    """The cosines of all pairs i < j of rows of ``h`` (for histograms; N(N−1)/2 values)."""
    unit = metrics.normalize_rows(h, "h")
    return (unit @ unit.T)[np.triu_indices(len(unit), k=1)]


def relu_cosine_map(rho: np.ndarray | float) -> np.ndarray:
    """Expected cosine after a wide random ReLU layer, for inputs of cosine ``rho``.

    (√(1 − ρ²) + (π − arccos ρ) ρ) / π: the arc-cosine kernel of degree 1 (Cho and Saul,
    2009), normalised. It maps 0 to 1/π and every ρ < 1 to something larger.
    """
    rho = np.clip(np.asarray(rho, dtype=np.float64), -1, 1)
    return (np.sqrt(1 - rho**2) + (np.pi - np.arccos(rho)) * rho) / np.pi


def theorem1_probability(d_out: int, cosine: float, r: float = 1.0, trials: int = 2000,
                         seed: int = 0) -> float:
    """Monte Carlo of Theorem 1: P[cos(φ(Wu + b), φ(Wv + b)) > cos(u, v)] for φ = ReLU.

    u and v have cosine ``cosine`` and ‖u‖ = r‖v‖ = r; W and b are N(0, 1/d_out). Only the
    plane of u and v matters, so d_in = 2 loses nothing.
    """
    if not -1 <= cosine <= 1 or r <= 0 or d_out < 1:
        raise ValueError("need -1 <= cosine <= 1, r > 0 and d_out >= 1")
    rng = np.random.default_rng(seed)
    v = np.array([1.0, 0.0])
    u = r * np.array([cosine, math.sqrt(1 - cosine**2)])
    std = 1 / math.sqrt(d_out)
    weight = rng.normal(0, std, size=(trials, d_out, 2))
    bias = rng.normal(0, std, size=(trials, d_out))
    a = np.maximum(weight @ u + bias, 0)
    b = np.maximum(weight @ v + bias, 0)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    after = np.divide(np.einsum("ij,ij->i", a, b), norms, out=np.zeros(trials),
                      where=norms > 0)
    return float(np.mean(after > cosine))


def theorem1_condition(r: float) -> float:
    """The largest starting cosine Theorem 1 covers: (½ (r + 1/r))⁻¹ (1 when r = 1)."""
    return 1 / (0.5 * (r + 1 / r))


def cap_fraction(half_angle: float, dim: int) -> float:
    """Fraction of the unit sphere S^(dim−1) ⊂ R^dim within ``half_angle`` radians of a pole.

    ½ I_{sin²θ}((dim − 1)/2, ½) for θ ≤ π/2, with I the regularised incomplete beta
    function; in 2-D this is θ/π (an arc of 2θ), in 3-D (1 − cos θ)/2.
    """
    if dim < 2:
        raise ValueError(f"dim must be at least 2, got {dim}")
    if not 0 <= half_angle <= math.pi:
        raise ValueError(f"half_angle must be in [0, π], got {half_angle}")
    if half_angle > math.pi / 2:
        return 1 - cap_fraction(math.pi - half_angle, dim)
    return float(0.5 * betainc((dim - 1) / 2, 0.5, math.sin(half_angle) ** 2))


def seed_embeddings(model: str, images: torch.Tensor, seeds: range | list[int]) -> np.ndarray:
    """Image embeddings of the same ``images`` by one architecture initialised with each
    seed: shape (len(seeds), n, dim). The paper's Figure 2c."""
    from gapkit import models, runtime

    out = []
    for seed in seeds:
        runtime.seed_everything(seed)
        out.append(models.encode_images(models.load(model, device="cpu"), images))
    return np.stack(out)


def seed_separation(embeddings: np.ndarray) -> dict[str, float]:
    """How separate the cones of different initialisations are (embeddings from
    ``seed_embeddings``): mean cosine within one initialisation, between two, and the
    held-out accuracy of a linear probe that names the initialisation of an embedding."""
    from sklearn.linear_model import LogisticRegression

    inits, n, _ = embeddings.shape
    unit = embeddings / np.linalg.norm(embeddings, axis=-1, keepdims=True)
    sums = unit.sum(axis=1)  # (inits, dim)
    within = np.mean([(s @ s - n) / (n * (n - 1)) for s in sums])
    total = sums.sum(axis=0)
    between = (total @ total - (sums * sums).sum()) / (n * n * inits * (inits - 1))
    # probe: train on the first half of the inputs, test on the other half
    half = n // 2
    labels = np.repeat(np.arange(inits), n)
    inputs = np.tile(np.arange(n), inits)
    flat = unit.reshape(inits * n, -1)
    probe = LogisticRegression(max_iter=2000).fit(flat[inputs < half], labels[inputs < half])
    return {"within": float(within), "between": float(between),
            "probe_accuracy": float(probe.score(flat[inputs >= half], labels[inputs >= half])),
            "chance": 1 / inits}
