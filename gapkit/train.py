"""Contrastive training of the book's CLIP on the book's world, with open_clip's ``ClipLoss``.

``train(TrainConfig(...))`` returns the trained model and its history. Runs are cached by a
hash of the whole configuration, so chapters that ask for the same run share one checkpoint.
``train_all({...})`` trains a chapter's sweep: its uncached runs train side by side, one
process per core. Every run trains on one CPU thread, whether alone or beside others, so on
a CPU its numbers do not depend on the number of cores (the book's small matrices gain
little from a second thread: 36 ms a step on one, 31 on two). Introduced with the book's
CLIP; chapters 3 and 4 vary the initialisation and temperature. On CUDA a run's step is
replayed as a CUDA graph (``gapkit.graphed``).
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import sys
import time
import warnings
from collections.abc import Hashable, Mapping
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from open_clip.loss import ClipLoss
from tqdm.auto import tqdm

from gapkit import geometry, graphed, metrics, models, runtime, workers
from gapkit.data import World
from gapkit.data.world import ATTRIBUTES

#: Bump when a change to training alters results, so old checkpoints are not reused.
CACHE_VERSION = 4
INITS = ("default", "amended", "shared")
MAX_LOGIT_SCALE = math.log(100)  # as in CLIP and open_clip: temperature never below 1/100


def _check_temperature(name: str, tau: float) -> None:
    # Training clamps log(1/τ) to [0, MAX_LOGIT_SCALE]; a τ outside would change unseen. The
    # slack lets in a τ read back from a run that ended at the bound (float32 rounding).
    if not (math.isfinite(tau) and tau > 0
            and -1e-6 <= math.log(1 / tau) <= MAX_LOGIT_SCALE + 1e-6):
        raise ValueError(f"{name} must lie in [1/100, 1], where training keeps it, got {tau}")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run (and so its cache key).

    Introduced in the page 'The book's world and its CLIP'."""

    model: str = "gapclip-tiny"
    steps: int = 600
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.1
    warmup: int = 30
    temperature: float = 0.07  # initial τ; the logit scale is 1/τ
    learn_temperature: bool = True
    init: str = "default"  # or "amended": text tower rotated onto the image tower at step 0;
    # or "shared" (views only): the second image tower starts as a copy of the first
    holdout: float = 0.0  # fraction of attribute combinations never shown in training
    mismatch: float = 0.0  # fraction of each batch's captions moved to another image
    embed_dim: int | None = None  # width of the shared embedding; None: the model's own
    start: TrainConfig | None = None  # fine-tune: begin from this run's trained weights
    # Chapter 6's options, after later papers (all off by default):
    captions: tuple[str, ...] = ATTRIBUTES  # the attributes that captions name
    temperature_to: float | None = None  # τ fixed, moving linearly to this by the end
    swap: float = 0.0  # chance that a pair's two embeddings trade places in the loss
    alignment: float = 0.0  # weight of Wang and Isola's alignment term
    uniformity: float = 0.0  # weight of their uniformity term
    views: bool = False  # two image towers on two drawings of the scene, no captions
    mask_repeats: bool = False  # pairs that share a caption are not each other's negatives
    seed: int = 0
    eval_every: int = 50
    eval_images: int = 1024
    world: World = field(default_factory=World)

    def __post_init__(self):
        for name in _REAL:  # 1 and 1.0 train one run: one key, one checkpoint
            value = getattr(self, name)
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                object.__setattr__(self, name, float(value))
        if self.batch_size < 2:
            raise ValueError(f"batch_size must be at least 2 (a contrastive loss needs "
                             f"negatives), got {self.batch_size}")
        _check_temperature("temperature", self.temperature)
        if self.embed_dim is not None and self.embed_dim < 1:
            raise ValueError(f"embed_dim must be at least 1, got {self.embed_dim}")
        if not 0 <= self.mismatch <= 1:
            raise ValueError(f"mismatch must lie in [0, 1], got {self.mismatch}")
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}: choose from {INITS}")
        if self.steps < 1 or self.eval_every < 1 or self.eval_images < 2:
            raise ValueError("steps and eval_every must be >= 1 and eval_images >= 2")
        if not self.lr > 0 or self.weight_decay < 0 or self.warmup < 0:
            raise ValueError("lr must be positive, weight_decay and warmup non-negative")
        if self.model not in models.BOOK_MODELS:
            raise ValueError(f"unknown model {self.model!r}: the book's CLIPs are "
                             f"{models.BOOK_MODELS}")
        if self.temperature_to is not None:
            if self.learn_temperature:
                raise ValueError("a temperature schedule needs learn_temperature=False")
            _check_temperature("temperature_to", self.temperature_to)
        if not 0 <= self.swap <= 1 or self.alignment < 0 or self.uniformity < 0:
            raise ValueError("swap must lie in [0, 1], alignment and uniformity be >= 0")
        if self.views and self.init == "amended":
            raise ValueError("two image towers have no text tower to amend")
        if self.init == "shared" and not self.views:
            raise ValueError("a shared start copies one image tower into the other: it "
                             "needs views=True")
        if self.views and self.mask_repeats:
            raise ValueError("two image towers have no captions to repeat")
        self.world.described(self.captions)  # names only known attributes
        n_train = len(self.world.split(self.holdout, self.seed)[0])
        if self.batch_size > n_train:
            raise ValueError(f"batch_size {self.batch_size} exceeds the {n_train} distinct "
                             "training captions: a batch holds each caption at most once")

    def key(self) -> str:
        """A hash of the whole configuration: the name of its checkpoint in the cache."""
        text = json.dumps({"version": CACHE_VERSION, **_keyed(asdict(self))},
                          sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# The real-valued options, read from their annotations, so an option added later is one too.
_REAL = tuple(f.name for f in fields(TrainConfig) if f.type in ("float", "float | None"))
_ADDED = {"mismatch": 0, "embed_dim": None, "captions": ATTRIBUTES, "temperature_to": None,
          "swap": 0, "alignment": 0, "uniformity": 0, "views": False,
          "mask_repeats": False}  # and their defaults


def _keyed(fields: dict) -> dict:
    # Options added after CACHE_VERSION 1 enter the key only when set, so that earlier
    # checkpoints keep their names.
    # embed_dim: also when it is the model's own width, which builds the same model.
    fields = {k: v for k, v in fields.items() if k not in _ADDED or v != _ADDED[k]}
    if fields.get("embed_dim") == models.embed_dim(fields["model"]):
        del fields["embed_dim"]
    if fields.get("start") is not None:
        fields["start"] = _keyed(fields["start"])
    return fields


@dataclass
class Run:
    """A trained model, its configuration and what was recorded along the way (the page
    'The book's world and its CLIP')."""

    model: torch.nn.Module
    config: TrainConfig
    history: dict[str, list[float]]
    # Both kept in the checkpoint: a cached run reports how long it took to train.
    seconds: float = 0.0  # wall time of the whole run, set-up and evaluations included
    data_seconds: float = 0.0  # of which drawing batches on the host
    cached: bool = False


#: Training with τ fixed at CLIP's final 1/100 (chapters 3 to 5). The default lr 2e-3 is
#: too large there (zero-shot accuracy 0.47 after 600 steps); 5e-4 reaches 0.89.
COLD = {"temperature": 0.01, "learn_temperature": False, "lr": 5e-4}


def experiment(cold: bool = False, **overrides) -> TrainConfig:
    """The book's CLIP trained as chapters 1 to 5 train it, with τ learned or, with ``cold``,
    fixed at 1/100 (``COLD``), for the profile's ``runtime.sizes().steps`` (600 steps in the
    quick profile, 1,000 in the full one). The page 'The book's world and its CLIP' trains
    both; the chapters ask for the same configurations, so they share those cached runs;
    chapter 3 varies ``init`` and ``mismatch``."""
    steps = {"steps": runtime.sizes().steps}
    return TrainConfig(**{**steps, **(COLD if cold else {}), **overrides})


def fine_tune(start: TrainConfig, temperature: float | None = None,
              steps: int = 150) -> TrainConfig:
    """Chapter 4, after the paper's Supp. Fig. 8: continue ``start``'s trained weights for
    ``steps`` steps at lr 5e-4 (warm-up 10) with τ fixed at ``temperature``, or, with
    ``None``, learned from the value ``start`` ended at (which trains ``start`` if needed)."""
    if temperature is None:
        ended = train(start, progress=False).history["temperature"][-1]
        return TrainConfig(start=start, temperature=ended, lr=5e-4, steps=steps, warmup=10,
                           seed=start.seed)
    return TrainConfig(start=start, temperature=temperature, learn_temperature=False,
                       lr=5e-4, steps=steps, warmup=10, seed=start.seed)


def checkpoint_path(config: TrainConfig) -> Path:
    """Where a run is cached, named by its configuration's hash (the page 'The book's
    world and its CLIP')."""
    return runtime.cache_dir() / "checkpoints" / f"{config.model}-{config.key()}.pt"


def train(config: TrainConfig = TrainConfig(), use_cache: bool = True,
          progress: bool = True) -> Run:
    """Train (or load from the cache) the book's CLIP as ``config`` says."""
    path = checkpoint_path(config)
    if use_cache and path.exists():
        try:
            return _load_run(path, config)
        except Exception as error:  # any unreadable file: warn, retrain, overwrite
            warnings.warn(f"checkpoint {path} is unreadable ({error}); training again",
                          stacklevel=2)
    run = _train(config, progress)
    if use_cache:
        _save_run(run, path)
    return run


K = TypeVar("K", bound=Hashable)


def train_all(configs: Mapping[K, TrainConfig]) -> dict[K, Run]:
    """Train (or load from the cache) every run of ``configs``, keeping its keys: the two
    runs of the page 'The book's world and its CLIP' and the sweeps of chapters 3 to 6.

    The uncached runs train side by side in worker processes, one per core (on a GPU also
    no more than one per 2 GiB of its memory, since each worker holds a CUDA context), each
    on one CPU thread as ``train`` would run it alone, so on a CPU the results are the same
    either way. The book's CLIP is so small that a GPU likely spends most of an eager step
    waiting for its kernels to be launched (on an H200 a step seemed to take about as long
    as on one CPU thread: ``benchmarks/README.md``), so on CUDA each run replays its step
    as a CUDA graph after a few eager ones (``gapkit.graphed``). Neither that nor runs side
    by side sharing a GPU has been timed there yet.
    Fine-tunes train after their start is in the cache.
    The workers stay for the page's next sweep (``gapkit.workers``). They are started with
    ``spawn``, so a script (not a notebook) that calls this needs the usual
    ``if __name__ == "__main__":`` guard; without it the runs train here, one after another.
    """
    starts = {c.start.key(): c.start for c in configs.values() if c.start is not None}
    if starts:
        train_all(starts)
    todo = {c.key(): c for c in configs.values() if not checkpoint_path(c).exists()}
    count = min(runtime.cores(), _workers_fit(runtime.device()))
    if min(count, len(todo)) > 1:
        try:
            workers.map(_train_quietly, todo.values(), count)
        except BrokenProcessPool:  # e.g. a script without a __main__ guard
            warnings.warn("the training workers could not start; training the runs here, "
                          "one after another", stacklevel=2)
    return {k: train(c, progress=False) for k, c in configs.items()}


def _train_quietly(config: TrainConfig) -> None:  # in a worker: the cache carries it back
    train(config, progress=False)
    torch.cuda.empty_cache()  # a kept worker holds no GPU memory while idle (no-op on CPU)


def _workers_fit(device: torch.device) -> int:
    """How many training workers the device holds: any number on a CPU, one per 2 GiB on
    an NVIDIA GPU (a CUDA context and a run of the book's CLIP take well under that), one
    elsewhere (untried)."""
    if device.type == "cpu":
        return sys.maxsize
    if device.type == "cuda":
        return max(1, torch.cuda.get_device_properties(device).total_memory // 2**31)
    return 1


@contextmanager
def _one_thread():
    """A run's CPU work on one thread, on every device: on a GPU that is drawing batches
    and launching kernels, which gain nothing from more threads beside other runs."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _save_run(run: Run, path: Path) -> None:
    models.save_atomic({"key": run.config.key(), "state_dict": run.model.state_dict(),
                        "history": run.history, "seconds": run.seconds,
                        "data_seconds": run.data_seconds}, path)


def _load_run(path: Path, config: TrainConfig) -> Run:
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if saved.get("key") != config.key():
        raise ValueError("its key does not match the configuration")
    model = _build(config, device="cpu")
    model.load_state_dict(saved["state_dict"])
    return Run(model.to(runtime.device()).eval(), config, saved["history"],
               seconds=saved.get("seconds", 0.0), data_seconds=saved.get("data_seconds", 0.0),
               cached=True)  # checkpoints before the timings were kept: 0


def _build(config: TrainConfig, device) -> torch.nn.Module:
    if config.views:
        return models.TwinImageTowers(config.model, device=device,
                                      embed_dim=config.embed_dim)
    return models.load(config.model, device=device, embed_dim=config.embed_dim)


class _Evaluator:
    """On fixed held-out images: zero-shot accuracy among all captions and the gap, or,
    for twin image towers, how often a drawing's nearest twin shows the same scene."""

    def __init__(self, config: TrainConfig, tokens: torch.Tensor, caption_of: torch.Tensor,
                 train_combos, test_combos):
        world, seed = config.world, config.seed + 1_000_003  # never a training batch's seed
        self.tokens, self.caption_of, self.views = tokens, caption_of, config.views
        self.seen = world.sample(config.eval_images, seed, combos=train_combos)
        self.unseen = (world.sample(config.eval_images, seed + 1, combos=test_combos)
                       if len(test_combos) else None)
        if self.views:  # the same scenes drawn again
            self.twins = world.batch(self.seen.combos, seed + 2).images

    def __call__(self, model) -> dict[str, float]:
        was_training = model.training
        model.eval()
        record = self._views(model) if self.views else self._captions(model)
        model.train(was_training)
        return record

    def _captions(self, model) -> dict[str, float]:
        captions = models.encode_texts(model, self.tokens, numpy=False)
        record = {}
        for name, batch in (("", self.seen), ("_unseen", self.unseen)):
            if batch is None:
                continue
            images = models.encode_images(model, batch.images, numpy=False)
            guess = (images @ captions.T).argmax(dim=1).cpu()
            truth = self.caption_of[batch.combos]
            record[f"zero_shot_acc{name}"] = (guess == truth).float().mean().item()
            if not name:
                record["gap"] = metrics.centroid_distance(images, captions[truth])
        return record

    def _views(self, model) -> dict[str, float]:
        first = models.encode_images(model, self.seen.images, numpy=False)
        second = models.encode_twins(model, self.twins, numpy=False)
        nearest = (first @ second.T).argmax(dim=1).cpu()
        same = self.seen.combos[nearest] == self.seen.combos
        return {"match_acc": same.float().mean().item(),
                "gap": metrics.centroid_distance(first, second)}


def _parameter_groups(model: torch.nn.Module, weight_decay: float):
    # As open_clip's training: no decay on gains, biases and the logit scale.
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        plain = parameter.ndim < 2 or "logit_scale" in name or "bias" in name
        (no_decay if plain else decay).append(parameter)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


def amend(model: torch.nn.Module, images: torch.Tensor, tokens: torch.Tensor) -> None:
    """Rotate the text tower's output onto the image tower's (orthogonal Procrustes;
    chapter 3).

    The paper's "amended" initialisation: after it, paired embeddings start aligned, so
    there is (almost) no gap at step 0. Rotating ``text_projection`` rotates every text
    embedding, leaving the text tower's own geometry unchanged.
    """
    x = models.encode_images(model, images, numpy=False)
    y = models.encode_texts(model, tokens, numpy=False)
    rotation = torch.as_tensor(geometry.procrustes(y, x), dtype=model.text_projection.dtype)
    with torch.no_grad():
        model.text_projection.copy_(model.text_projection @ rotation.to(models.device_of(model)))


def _train(config: TrainConfig, progress: bool) -> Run:
    start = None  # fine-tuning: the trained weights of another run, before seeding
    if config.start is not None:
        start = train(config.start, progress=False).model.state_dict()
    with _one_thread():
        return _train_from(config, start, progress)


def _train_from(config: TrainConfig, start: dict | None, progress: bool) -> Run:
    started = time.perf_counter()
    runtime.seed_everything(config.seed)
    device = runtime.device()
    model = _build(config, device).train()
    if start is not None:
        model.load_state_dict(start)
    world = config.world
    texts, caption_of = world.described(config.captions)
    tokens = None if config.views else models.tokenize(model, texts)
    train_combos, test_combos = world.split(config.holdout, config.seed)
    evaluate = _Evaluator(config, tokens, caption_of, train_combos, test_combos)
    transform = models.image_transform(model)

    def set_temperature(step: int) -> None:
        tau = config.temperature
        if config.temperature_to is not None:  # a schedule: linear in the step
            tau += (config.temperature_to - tau) * step / config.steps
        with torch.no_grad():
            model.logit_scale.fill_(math.log(1 / tau))

    set_temperature(0)
    model.logit_scale.requires_grad_(config.learn_temperature)
    if config.init == "amended":
        amend(model, evaluate.seen.images, tokens[caption_of[evaluate.seen.combos]])
    if config.init == "shared":  # one tower, twice: no cone of its own, no gap at step 0
        model.twin.load_state_dict(model.visual.state_dict())

    # fused: one kernel for all parameters; the loop version cost a sixth of each step
    groups = [{**group, **graphed.optimizer_settings(config.lr, device)}
              for group in _parameter_groups(model, config.weight_decay)]
    optimizer = torch.optim.AdamW(groups, fused=True)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, _warmup_cosine(config))
    loss_fn = ClipLoss()
    history: dict[str, list[float]] = {}

    def drawn_for(step: int) -> tuple[torch.Tensor, ...]:
        # On the host, a pure function of (seed, step). A batch holds distinct scenes, so
        # captions naming all four attributes are distinct; shorter ones repeat (chapter 6).
        seed = _batch_seed(config.seed, step)
        order = torch.randperm(len(train_combos), generator=torch.Generator().manual_seed(seed))
        batch = world.batch(train_combos[order[: config.batch_size]], seed=seed)
        if config.views:  # the same scenes drawn a second time
            second = world.batch(batch.combos, seed=seed + 1).images
        else:
            paired = caption_of[mismatched(batch.combos, config.mismatch, seed)]
            second = tokens[paired]
        drawn = (batch.images, second)
        if config.swap:  # the pairs whose two embeddings trade places
            drawn += (torch.rand(config.batch_size, generator=torch.Generator().manual_seed(
                seed + 2)).lt(config.swap)[:, None],)
        if config.mask_repeats:
            drawn += (repeats_bias(paired),)
        return drawn

    def inputs_from(images, second, *optional) -> tuple[torch.Tensor, ...]:
        second = transform(second.to(device)) if config.views else second.to(device)
        return (transform(images.to(device)), second, *(t.to(device) for t in optional))

    def loss_of(pixels, second, *optional) -> torch.Tensor:
        # optional, in drawn_for's order: the swapped pairs, then the repeats' bias
        optional = list(optional)
        chosen = optional.pop(0) if config.swap else None
        bias = optional.pop(0) if config.mask_repeats else None
        first, second, scale = model(pixels, second)
        if chosen is not None:
            first, second = (torch.where(chosen, second, first),
                             torch.where(chosen, first, second))
        loss = loss_fn(first, second, scale, logit_bias=bias)
        if config.alignment:
            loss = loss + config.alignment * alignment_loss(first, second)
        if config.uniformity:
            loss = loss + config.uniformity * (uniformity_loss(first)
                                               + uniformity_loss(second)) / 2
        return loss

    def step_in_place(*inputs) -> torch.Tensor:  # with nothing that waits for a GPU
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(*inputs)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, MAX_LOGIT_SCALE)
        return loss

    def record(step: int, loss: float) -> None:
        row = {"step": step, "loss": loss, "temperature": 1 / model.logit_scale.exp().item(),
               **evaluate(model)}
        for key, value in row.items():
            history.setdefault(key, []).append(float(value))

    with torch.no_grad():
        record(0, loss_of(*inputs_from(*drawn_for(1))).item())
    take_step = graphed.GraphedStep(step_in_place, device)  # replayed as a graph on CUDA
    data_seconds = 0.0
    unchecked = None  # the last step's loss, until it is tested for finiteness
    for step in tqdm(range(1, config.steps + 1), disable=not progress, desc="training",
                     leave=False):
        tic = time.perf_counter()
        drawn = drawn_for(step)  # while a GPU may still be running the step before
        data_seconds += time.perf_counter() - tic
        if unchecked is not None:  # the first wait for a GPU, so it comes after the drawing
            _ensure_finite(unchecked, step - 1, config)

        unchecked = take_step(*inputs_from(*drawn))
        schedule.step()
        if config.temperature_to is not None:
            set_temperature(step)
        if step % config.eval_every == 0 or step == config.steps:
            _ensure_finite(unchecked, step, config)  # before any metric reads the weights
            record(step, unchecked.item())
            unchecked = None
    optimizer.zero_grad(set_to_none=True)  # on CUDA they lie in the graph's memory pool
    model.eval()
    return Run(model, config, history, seconds=time.perf_counter() - started,
               data_seconds=data_seconds)


def _ensure_finite(loss: torch.Tensor, step: int, config: TrainConfig) -> None:
    # checked after the step's update too: a run whose loss is not finite is thrown away
    if not torch.isfinite(loss):
        raise FloatingPointError(f"the loss became {loss.item()} at step {step}: lower the "
                                 f"learning rate (now {config.lr}) or raise the temperature")


def alignment_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Wang and Isola's alignment, the mean squared distance of normalised pairs: the
    training form of ``metrics.alignment`` (chapter 6)."""
    return (x - y).pow(2).sum(dim=1).mean()


def uniformity_loss(x: torch.Tensor, t: float = 2.0) -> torch.Tensor:
    """Wang and Isola's uniformity, ``log E exp(-t ‖x_i − x_j‖²)`` over distinct rows: the
    training form of ``metrics.uniformity`` (chapter 6)."""
    return torch.pdist(x).pow(2).mul(-t).exp().mean().log()


def repeats_bias(captions: torch.Tensor) -> torch.Tensor:
    """A logit bias that takes a batch's repeated captions out of the CLIP loss (chapter 6):
    −∞ between two pairs whose captions (indices into the run's captions) are the same, 0
    elsewhere and on the diagonal. ``ClipLoss`` adds one bias to both directions' logits,
    not its transpose to the second, so a bias must be symmetric, as this one is: each
    pair's repeats are then neither its positives nor its negatives."""
    same = captions[:, None] == captions[None, :]
    same.fill_diagonal_(False)
    return torch.zeros(same.shape, dtype=torch.float32).masked_fill(same, -math.inf)


def mismatched(combos: torch.Tensor, fraction: float, seed: int) -> torch.Tensor:
    """The captions paired with a batch's images when ``fraction`` of them are mismatched
    (chapter 3): that many positions, drawn from ``seed``, pass their captions on in a cycle,
    so every chosen image gets another image's caption and the batch's captions stay
    distinct."""
    count = int(round(fraction * len(combos)))
    if count < 2:
        return combos
    chosen = torch.randperm(len(combos), generator=torch.Generator().manual_seed(seed + 1))
    chosen = chosen[:count]
    captions = combos.clone()
    captions[chosen] = combos[chosen.roll(1)]
    return captions


def _batch_seed(seed: int, step: int) -> int:
    return int(np.random.SeedSequence([seed, step]).generate_state(1)[0])


def _warmup_cosine(config: TrainConfig):
    def factor(step: int) -> float:
        if step < config.warmup:
            return (step + 1) / config.warmup
        progress = (step - config.warmup) / max(1, config.steps - config.warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return factor
