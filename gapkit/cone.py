"""The cone effect: deep networks map any inputs into a narrow cone (chapter 2).

Random MLPs traced layer by layer, the closed-form cosine map of a random ReLU layer,
a random ResNet-18 read as the paper reads it, Monte Carlo checks of the paper's Theorems 1
and 2, and the exact size of a cone on the sphere.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import betainc

from gapkit import metrics, runtime

ACTIVATIONS = {
    "linear": lambda h: h,
    "relu": torch.relu,
    "leaky_relu": torch.nn.functional.leaky_relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


def layer_outputs(activation: str, bias: bool = True, depth: int = 25, width: int = 512,
                  n: int = 500, generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """``n`` standard-normal inputs and their images after each layer of one random MLP
    (chapter 2's random networks).

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

    Introduced in chapter 2 (The cone effect).
    """
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    generator = torch.Generator().manual_seed(seed)
    return np.array([[metrics.mean_cosine(h) for h in
                      layer_outputs(activation, bias, depth, width, n, generator)]
                     for _ in range(draws)])


def pairwise_cosines(h: torch.Tensor | np.ndarray) -> np.ndarray:
    """The cosines of all pairs i < j of rows of ``h`` (for histograms; N(N−1)/2 values).

    Introduced in chapter 2 (The cone effect)."""
    unit = metrics.normalize_rows(h, "h")
    return (unit @ unit.T)[np.triu_indices(len(unit), k=1)]


def layer_cosines(activation: str, bias: bool = True, depth: int = 25, width: int = 512,
                  n: int = 300) -> list[np.ndarray]:
    """The pairwise cosines of the inputs and of each layer's outputs of one random MLP
    (``layer_outputs``, seed 0): the data of chapter 2's explorer."""
    return [pairwise_cosines(h).astype(np.float32)
            for h in layer_outputs(activation, bias, depth, width, n)]


def relu_cosine_map(rho: np.ndarray | float) -> np.ndarray:
    """Expected cosine after a wide random ReLU layer, for inputs of cosine ``rho``.

    (√(1 − ρ²) + (π − arccos ρ) ρ) / π: the arc-cosine kernel of degree 1 (Cho and Saul,
    2009), normalised. It maps 0 to 1/π and every ρ < 1 to something larger.

    Introduced in chapter 2 (The cone effect).
    """
    rho = np.clip(np.asarray(rho, dtype=np.float64), -1, 1)
    return (np.sqrt(1 - rho**2) + (np.pi - np.arccos(rho)) * rho) / np.pi


def theorem1_shares(d_out: int, cosine: float, r: float = 1.0, trials: int = 2000,
                    seed: int = 0) -> dict[str, float]:
    """Monte Carlo of Theorem 1 for φ = ReLU: the shares of draws of one random layer in
    which cos(φ(Wu + b), φ(Wv + b)) is ``raised`` above cos(u, v), ``lowered`` below it, or
    ``undefined`` (an output is all zero, so it has no direction). The rest left it as it was.

    The theorem's event, a raised cosine, fails in an undefined draw, so ``1 - raised`` is
    the probability that the layer does not raise the cosine. u and v have cosine
    ``cosine`` and ‖u‖ = r‖v‖ = r; W and b are N(0, 1/d_out). Only the plane of u and v
    matters, so d_in = 2 loses nothing.

    Introduced in chapter 2 (The cone effect).
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
    defined = norms > 0
    after = np.divide(np.einsum("ij,ij->i", a, b), norms, out=np.zeros(trials),
                      where=defined)
    # rounding can put a cosine a hair above 1, which no cosine exceeds
    after = np.clip(after, -1, 1)
    return {"raised": float(np.mean(defined & (after > cosine))),
            "lowered": float(np.mean(defined & (after < cosine))),
            "undefined": float(np.mean(~defined))}


def theorem1_condition(r: float) -> float:
    """The largest starting cosine Theorem 1 covers: (½ (r + 1/r))⁻¹ (1 when r = 1);
    chapter 2."""
    return 1 / (0.5 * (r + 1 / r))


def variance_shares(h: np.ndarray | torch.Tensor) -> dict[str, float]:
    """Split the variance of outputs ``h`` of shape (inits, n, d) as the paper's Theorem 2 does.

    Row ``h[t, i]`` is the output of network ``t`` (random parameters Θ_t) for input
    ``U_{t,i}``, the inputs drawn independently of each other and of Θ. The law of total
    variance, summed over the d coordinates, gives Var[h] = E[Var[h | Θ]] + Var[E[h | Θ]]:
    ``data`` estimates the first term, ``init`` the second and ``init_share`` their ratio
    ``init / total``. Both estimates are unbiased (the spread of the per-network means is
    corrected for the ``n`` inputs that each mean averages), so ``init`` can come out
    slightly negative when it is near 0. Chapter 2.
    """
    h = metrics.on_host(h).astype(np.float64, copy=False)
    if h.ndim != 3 or h.shape[0] < 2 or h.shape[1] < 2:
        raise ValueError(f"h must have shape (inits >= 2, n >= 2, d), got {h.shape}")
    n = h.shape[1]
    data = float(h.var(axis=1, ddof=1).mean(axis=0).sum())
    init = float(h.mean(axis=1).var(axis=0, ddof=1).sum()) - data / n
    total = data + init
    return {"data": data, "init": init, "total": total,
            "init_share": init / total if total > 0 else float("nan")}


def theorem2_trace(activation: str = "relu", bias: bool = True, depth: int = 8,
                   width: int = 256, inits: int = 100, n: int = 64,
                   seed: int = 0) -> dict[str, np.ndarray]:
    """Monte Carlo of Theorem 2 on ``inits`` random MLPs, layer by layer (chapter 2).

    Each network is ``depth`` layers ``activation(W g + b)``, W and b drawn from
    N(0, 1/width) (b = 0 without ``bias``), fed its own ``n`` inputs drawn uniformly on the
    unit sphere. For layer k = 1 … depth, with g the layer's input and h = W g + b:

    - ``share``: the fraction of Var[h] due to the initialisation (``variance_shares``);
    - ``predicted``: the exact value of that fraction for one random layer,
      (σ² E[g·g'] + σ_b²) / (σ² E‖g‖² + σ_b²), with g' the output for an independent
      input, σ² = 1/width and σ_b² = 1/width or 0, E[·] estimated from the same draws;
    - ``beta``: E[g·g'] / E‖g‖², the mean cosine of the previous layer's outputs
      weighted by their norms, the lower bound of ``share``;
    - ``output_share``: the same fraction for the layer's output activation(h).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}: choose from {list(ACTIVATIONS)}")
    if depth < 1 or width < 1 or inits < 2 or n < 2:
        raise ValueError("need depth >= 1, width >= 1, inits >= 2 and n >= 2")
    act, std = ACTIVATIONS[activation], 1 / math.sqrt(width)
    generator = torch.Generator().manual_seed(seed)
    g = torch.randn(inits, n, width, generator=generator, dtype=torch.float64)
    g = g / g.norm(dim=-1, keepdim=True)
    rows = {key: [] for key in ("share", "predicted", "beta", "output_share")}
    for _ in range(depth):
        weight = std * torch.randn(inits, width, width, generator=generator,
                                   dtype=torch.float64)
        shift = std * torch.randn(inits, 1, width, generator=generator, dtype=torch.float64)
        h = g @ weight.transpose(1, 2) + (shift if bias else 0.0)
        sums = g.sum(dim=1)  # (inits, width)
        squares = (g * g).sum(dim=(1, 2))  # per network, the sum of ‖g_i‖²
        cross = float(((sums * sums).sum(dim=1) - squares).mean()) / (n * (n - 1))
        norm2 = float(squares.mean()) / n
        var_b = std**2 if bias else 0.0
        rows["share"].append(variance_shares(h)["init_share"])
        rows["predicted"].append((std**2 * cross + var_b) / (std**2 * norm2 + var_b))
        rows["beta"].append(cross / norm2)
        g = act(h)
        rows["output_share"].append(variance_shares(g)["init_share"])
    return {key: np.array(values) for key, values in rows.items()}


IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def resnet18_features(images: torch.Tensor, size: int | None = None,
                      normalize: bool = True) -> np.ndarray:
    """Images embedded by torchvision's ResNet-18 with random weights, read before its final
    layer, as for the paper's Figure 2a (chapter 2).

    The authors' notebook keeps every child of ``resnet18`` but the last (the classifier),
    so each image becomes the global average pool of the last ReLU's output: 512 numbers,
    none negative. Seed first with ``runtime.seed_everything``. ``images`` in [0, 1] are
    resized to ``size`` (if given) and normalised with ImageNet's mean and standard
    deviation, as the authors did; pass ``normalize=False`` for inputs that are already
    standardised, such as ``data.noise_images``. The weights are drawn on the CPU, so a
    seed gives the same network on every machine; it runs on ``runtime.device()``. Returns
    shape (n, 512), not normalised, on the CPU.
    """
    from torchvision.models import resnet18
    from torchvision.transforms import v2

    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must have shape (n, 3, height, width), got "
                         f"{tuple(images.shape)}")
    network = resnet18(weights=None)  # drawn on the CPU: the same weights everywhere
    network.fc = torch.nn.Identity()  # read the 512 pooled features, as the paper does
    device = runtime.device()
    images = images.to(device)
    steps = [v2.Resize(size, antialias=True)] if size else []
    steps += [v2.Normalize(IMAGENET_MEAN, IMAGENET_STD)] if normalize else []
    with torch.no_grad():
        features = network.to(device).eval()(v2.Compose(steps)(images) if steps else images)
    return features.cpu().numpy()


def cap_fraction(half_angle: float, dim: int) -> float:
    """Fraction of the unit sphere S^(dim−1) ⊂ R^dim within ``half_angle`` radians of a pole.

    ½ I_{sin²θ}((dim − 1)/2, ½) for θ ≤ π/2, with I the regularised incomplete beta
    function; in 2-D this is θ/π (an arc of 2θ), in 3-D (1 − cos θ)/2.

    Introduced in chapter 2 (The cone effect).
    """
    if dim < 2:
        raise ValueError(f"dim must be at least 2, got {dim}")
    if not 0 <= half_angle <= math.pi:
        raise ValueError(f"half_angle must be in [0, π], got {half_angle}")
    if half_angle > math.pi / 2:
        return 1 - cap_fraction(math.pi - half_angle, dim)
    return float(0.5 * betainc((dim - 1) / 2, 0.5, math.sin(half_angle) ** 2))


def seed_embeddings(model: str, images: torch.Tensor, seeds: range | list[int],
                    image_size: int | None = None) -> np.ndarray:
    """Image embeddings of the same ``images`` by one architecture initialised with each
    seed, built for ``image_size`` pixels (default: its own): shape (len(seeds), n, dim),
    computed on ``runtime.device()``. The paper's Figure 2c.

    Introduced in chapter 2 (The cone effect)."""
    from gapkit import models

    return np.stack([models.encode_at_init(model, seed, images, image_size=image_size)[0]
                     for seed in seeds])


def seed_separation(embeddings: np.ndarray) -> dict[str, float]:
    """How separate the cones of different initialisations are (embeddings from
    ``seed_embeddings``): mean cosine within one initialisation, between two, and the
    held-out accuracy of a linear probe that names the initialisation of an embedding.

    Introduced in chapter 2 (The cone effect)."""
    from sklearn.linear_model import LogisticRegression

    if embeddings.ndim != 3 or embeddings.shape[0] < 2 or embeddings.shape[1] < 2:
        raise ValueError("embeddings must have shape (initialisations >= 2, inputs >= 2, "
                         f"dim), got {embeddings.shape}")
    inits, n, _ = embeddings.shape
    unit = metrics.normalize_rows(embeddings.reshape(inits * n, -1), "embeddings")
    unit = unit.reshape(embeddings.shape)
    within = np.mean([metrics.mean_cosine(one) for one in unit])
    sums = unit.sum(axis=1)  # (inits, dim)
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
