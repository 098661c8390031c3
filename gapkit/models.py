"""open_clip models: the book's own small CLIP, or any open_clip model, random or pretrained.

The book's CLIP is a set of named configurations in ``gapkit/model_configs/`` registered with
open_clip on import, so ``open_clip.create_model_and_transforms("gapclip-tiny")`` builds it like
any other open_clip model, with open_clip's own tokenizer. The landing page builds a random
``ViT-B-32`` with ``load``; chapter 1 on encodes the book's world with ``encode_images`` and
``encode_texts``. ``pretrained_from_env`` gives chapters 1, 2 and 5 a real pretrained CLIP
when its weights are present:

- ``GAPKIT_PRETRAINED``: a checkpoint file (``save``'s, or open_clip's own), or an open_clip
  tag such as ``openai`` (read from open_clip's cache, downloaded when online); unset: none.
- ``GAPKIT_PRETRAINED_MODEL``: its open_clip architecture (default ``ViT-B-32``).

``load_pretrained`` reads such a file or tag, for those chapters and for `gapkit embed`.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import open_clip
import torch
from torchvision.transforms import v2

from gapkit import io, runtime

CONFIG_DIR = Path(__file__).parent / "model_configs"
open_clip.add_model_config(CONFIG_DIR)

#: The book's own CLIPs, smallest first.
BOOK_MODELS = tuple(sorted(path.stem for path in CONFIG_DIR.glob("*.json")))


@contextmanager
def _quiet_random_init(level: int = logging.ERROR):
    # open_clip logs "No pretrained weights loaded" at WARNING; here random weights are the point.
    root = logging.getLogger()
    before = root.level
    root.setLevel(level)
    try:
        yield
    finally:
        root.setLevel(before)


class UnknownModel(ValueError):
    """A name that is not one of open_clip's models (``load``, ``load_pretrained``): chapters
    1, 2 and 5 (``pretrained_from_env``) and the `gapkit embed` command put the setting that
    named it in front."""


def _require_model(name: str) -> None:
    if name not in open_clip.list_models():
        raise UnknownModel(f"unknown open_clip model {name!r}; "
                           "see open_clip.list_models() for the names")


def load(name: str, pretrained: str | Path | None = None,
         device: torch.device | str | None = None,
         image_size: int | None = None,
         embed_dim: int | None = None) -> torch.nn.Module:
    """An open_clip model in eval mode on ``device`` (default: ``runtime.device()``).

    ``pretrained`` is ``None`` for random weights (seed first with
    ``runtime.seed_everything``; open_clip draws them on the CPU and then moves the model,
    so a seed gives the same weights on every device), an open_clip tag such as
    ``"openai"`` (downloads, so needs the network), or the path of a checkpoint file saved
    earlier (works offline).
    ``image_size`` builds the image tower for smaller (or larger) inputs than its default,
    which keeps random-weight experiments with big architectures cheap on a CPU.
    ``embed_dim`` sets the width of the shared embedding space (both projections) instead
    of the configuration's (chapter 3 trains the book's CLIP at several).

    Introduced in the landing page.
    """
    _require_model(name)
    device = runtime.device() if device is None else torch.device(device)
    options = {"device": device, "force_image_size": image_size}
    if embed_dim is not None:  # open_clip's keyword overrides the configuration's
        options["embed_dim"] = embed_dim
    if pretrained is None:
        with _quiet_random_init():
            model = open_clip.create_model(name, **options)
    else:
        if isinstance(pretrained, Path) or Path(str(pretrained)).suffix:
            if not Path(pretrained).is_file():
                raise FileNotFoundError(f"no checkpoint file at {pretrained}")
        model = open_clip.create_model(name, pretrained=str(pretrained),
                                       require_pretrained=True, **options)
    model.open_clip_name = name  # which tokenizer reads its texts (``tokenize``)
    return model.eval()


class TwinImageTowers(torch.nn.Module):
    """Two separately initialised image towers of one open_clip model and a logit scale:
    a contrastive model with no second modality (chapter 6, after Fahim et al.).

    ``encode_image`` is the first tower and ``encode_text`` the second, so the book's
    training loop and ``encode_images`` work unchanged; both read images."""

    def __init__(self, name: str, device: torch.device | str | None = None,
                 embed_dim: int | None = None):
        super().__init__()
        first, second = (load(name, device=device, embed_dim=embed_dim) for _ in "12")
        self.visual, self.twin = first.visual, second.visual
        self.logit_scale = first.logit_scale

    def encode_image(self, images: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        """The first tower's embeddings (chapter 6)."""
        return _embedded(self.visual, images, normalize)

    def encode_text(self, images: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        """The second tower's embeddings: images, named as CLIP's text side (chapter 6)."""
        return _embedded(self.twin, images, normalize)

    def forward(self, first: torch.Tensor, second: torch.Tensor):
        """Both towers' normalised embeddings and the logit scale, as CLIP's forward
        returns them for ``ClipLoss`` (chapter 6)."""
        return (self.encode_image(first, normalize=True),
                self.encode_text(second, normalize=True), self.logit_scale.exp())


def _embedded(tower: torch.nn.Module, images: torch.Tensor, normalize: bool) -> torch.Tensor:
    out = tower(images)
    return torch.nn.functional.normalize(out, dim=-1) if normalize else out


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub answers (or a proxy is set): if not, pretrained tags are
    looked up in the local cache only, instead of a minute of retries.

    Introduced in the `gapkit embed` command; chapters 1, 2 and 5 ask it too
    (``pretrained_from_env``)."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip() not in ("", "0"):
        return False
    if any(os.environ.get(name) for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY")):
        return True
    try:
        socket.create_connection(("huggingface.co", 443), timeout=timeout).close()
        return True
    except OSError:
        return False


@contextmanager
def hub_offline(offline: bool):
    """Within it, with ``offline`` true, huggingface_hub reads its cache only (no retries).

    For the `gapkit embed` command and ``pretrained_from_env`` (chapters 1, 2 and 5)."""
    import huggingface_hub.constants as hub

    before = hub.HF_HUB_OFFLINE
    hub.HF_HUB_OFFLINE = before or offline
    try:
        yield
    finally:
        hub.HF_HUB_OFFLINE = before


PRETRAINED_MODEL = "ViT-B-32"


def _readable(path: Path) -> bool:
    """Whether ``path`` holds weights torch (or safetensors) can read, whatever their shape."""
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file
            load_file(path)
        else:
            torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 -- any failure to read means: not a checkpoint
        return False
    return True


def error_line(error: BaseException) -> str:
    """``error`` quoted on one line: its type and first two lines, at most 240 characters.
    The messages of ``pretrained_from_env`` (chapters 1, 2 and 5) and of the `gapkit embed`
    command quote open_clip's and torch's errors with it."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = type(error).__name__ + (": " + "; ".join(lines[:2]) if lines else "")
    return text if len(text) <= 240 else text[:237] + "..."


class PretrainedError(ValueError):
    """Why a source of pretrained weights gives no model (``load_pretrained``), in words that
    follow the source's name: chapters 1, 2 and 5 and the `gapkit embed` command each put
    their own name for the source in front."""


class WeightsUnavailable(PretrainedError):
    """An open_clip tag whose weights are neither in the local cache nor downloadable: an
    absent model for chapters 1, 2 and 5, an error for the `gapkit embed` command."""


def _names_a_file(source: str) -> bool:
    # open_clip's tags have no suffix and no separator: anything else is meant as a file.
    path = Path(source).expanduser()
    return bool(path.suffix) or os.sep in source or path.is_file()


def load_pretrained(name: str, source: str | Path,
                    device: torch.device | str | None = None) -> torch.nn.Module:
    """The open_clip model ``name`` with the weights that ``source`` names: a checkpoint file
    (``save``'s, open_clip's, or the book's training cache; works offline) or one of
    open_clip's tags for ``name`` (from open_clip's cache, or downloaded when the hub
    answers).

    Each way it can fail raises one ``PretrainedError``: a file that is missing, is not a
    checkpoint, or holds another architecture's weights; a tag open_clip does not know; and
    ``WeightsUnavailable``, a tag whose weights cannot be fetched. An unknown ``name`` is
    ``load``'s ``UnknownModel``. For ``pretrained_from_env`` (chapters 1, 2 and 5) and the
    `gapkit embed` command."""
    _require_model(name)
    source = str(source)
    if _names_a_file(source):
        path = Path(source).expanduser()
        if not path.is_file():
            raise PretrainedError("no such file")
        try:
            return load(name, pretrained=path, device=device)
        except Exception as error:  # open_clip's errors vary: tell the two causes apart
            if not _readable(path):
                raise PretrainedError(f"not a checkpoint file ({error_line(error)})") from error
            raise PretrainedError(f"does not hold {name} weights; is it another "
                                  f"architecture's? ({error_line(error)})") from error
    tags = open_clip.list_pretrained_tags_by_model(name)
    if source not in tags:
        known = f"its tags: {', '.join(tags)}" if tags else "it has none"
        raise PretrainedError("neither a checkpoint file nor one of open_clip's tags for "
                              f"{name} ({known})")
    # Unreachable hub: the cache only, no retries; the error says what failed, so the hub's
    # retry warnings and open_clip's own error log stay quiet.
    offline = not hub_reachable()
    with hub_offline(offline), _quiet_random_init(logging.CRITICAL):
        try:
            open_clip.pretrained.download_pretrained(
                open_clip.get_pretrained_cfg(name, source))
        except Exception as error:  # network and hub errors come in many kinds
            reason = ("are not in open_clip's cache and the hub is unreachable" if offline
                      else f"cannot be downloaded ({error_line(error)})")
            raise WeightsUnavailable(f"{name}/{source}'s weights {reason}") from error
        return load(name, pretrained=source, device=device)


def pretrained_from_env() -> tuple[torch.nn.Module | None, str]:
    """The pretrained CLIP that ``GAPKIT_PRETRAINED`` names (architecture
    ``GAPKIT_PRETRAINED_MODEL``, default ViT-B-32), and one line saying what it is; or
    ``None`` and one line saying why there is none.

    None when the variable is unset, or names an open_clip tag whose weights are neither in
    open_clip's cache nor downloadable (offline). A file that is missing, is not a
    checkpoint, or holds another architecture's weights, or a tag open_clip does not know,
    is a ``PretrainedError`` that names the problem: the reader asked for it. An
    architecture open_clip does not know raises ``UnknownModel`` (a ``ValueError``) with the
    setting's name in front. Chapters 1, 2 and 5 add its rows with it."""
    name = os.environ.get("GAPKIT_PRETRAINED_MODEL", "").strip() or PRETRAINED_MODEL
    source = os.environ.get("GAPKIT_PRETRAINED", "").strip()
    if not source:
        return None, ("No pretrained CLIP: set GAPKIT_PRETRAINED to a checkpoint file "
                      "or an open_clip tag to add its rows.")
    try:
        model = load_pretrained(name, source)
    except UnknownModel as error:
        raise UnknownModel(f"GAPKIT_PRETRAINED_MODEL: {error}") from error
    except WeightsUnavailable as error:
        return None, f"No pretrained CLIP: {error}."
    except PretrainedError as error:
        raise PretrainedError(f"GAPKIT_PRETRAINED={source}: {error}") from error
    if _names_a_file(source):
        return model, f"Pretrained CLIP: {name} from {Path(source).name}."
    return model, f"Pretrained CLIP: {name} {source!r}."


def embed_dim(name: str) -> int:
    """The width of the shared embedding space of open_clip model ``name``, as configured.

    Used by training's cache key (chapter 3 trains the book's CLIP at several widths)."""
    config = open_clip.get_model_config(name)
    if config is None:
        raise ValueError(f"unknown open_clip model {name!r}")
    return int(config["embed_dim"])


def save(model: torch.nn.Module, path: str | Path) -> Path:
    """Save the weights where ``load(name, pretrained=path)`` finds them (atomic write).

    The `gapkit embed` command and the training cache write with it."""
    return save_atomic(model.state_dict(), path)


def save_atomic(obj, path: str | Path) -> Path:
    """``torch.save`` through ``io.atomic_write``: a reader never sees half a file.

    Used when training the book's CLIP (the page 'The book's world and its CLIP')."""
    with io.atomic_write(path) as file:
        torch.save(obj, file)
    return Path(path)


def image_transform(model: torch.nn.Module) -> v2.Compose:
    """The model's own input transform for image tensors in [0, 1] (resize, then normalise).

    Used when training the book's CLIP (the page 'The book's world and its CLIP')."""
    cfg = open_clip.get_model_preprocess_cfg(model)
    return v2.Compose([v2.Resize(cfg["size"], antialias=True),
                       v2.Normalize(mean=cfg["mean"], std=cfg["std"])])


def _encode(encoder, batches, numpy: bool):
    with torch.no_grad():
        parts = [encoder(batch) for batch in batches]
    out = torch.nn.functional.normalize(torch.cat(parts), dim=-1)
    return out.cpu().numpy() if numpy else out


def device_of(model: torch.nn.Module) -> torch.device:
    """The device that holds the model's weights.

    Used when training the book's CLIP (the page 'The book's world and its CLIP')."""
    return next(model.parameters()).device


def encode_images(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 512,
                  numpy: bool = True) -> np.ndarray | torch.Tensor:
    """L2-normalised image embeddings of images in [0, 1], shape (n, 3, h, w), in batches.

    Introduced in chapter 1 (The gap)."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must have shape (n, 3, height, width), got {tuple(images.shape)}")
    transform, device = image_transform(model), device_of(model)
    batches = (transform(chunk.to(device)) for chunk in images.split(batch_size))
    return _encode(model.encode_image, batches, numpy)


def encode_twins(model: TwinImageTowers, images: torch.Tensor, batch_size: int = 512,
                 numpy: bool = True) -> np.ndarray | torch.Tensor:
    """L2-normalised embeddings of images by the second of two twin image towers
    (``encode_images`` gives the first's); chapter 6."""
    transform, device = image_transform(model), device_of(model)
    batches = (transform(chunk.to(device)) for chunk in images.split(batch_size))
    return _encode(model.encode_text, batches, numpy)


def tokenize(model: torch.nn.Module, texts: Sequence[str]) -> torch.Tensor:
    """The tokens of ``texts`` by the tokenizer of the model's architecture (open_clip's BPE
    for CLIP and the book's CLIP; SigLIP's own for a SigLIP, say), cut to the model's context
    length. A model that ``load`` did not build is read with CLIP's BPE.

    Used when training the book's CLIP (the page 'The book's world and its CLIP')."""
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, not one string")
    tokenizer = tokenizer_of(getattr(model, "open_clip_name", "ViT-B-32"))
    return tokenizer(list(texts), context_length=model.context_length)


@functools.cache  # building one reads its vocabulary from disk
def tokenizer_of(name: str):
    """open_clip's tokenizer for architecture ``name`` (a Hugging Face one may need the
    network the first time). ``tokenize`` and the `gapkit embed` command read texts with it."""
    return open_clip.get_tokenizer(name)


def encode_texts(model: torch.nn.Module, texts: Sequence[str] | torch.Tensor,
                 batch_size: int = 512, numpy: bool = True) -> np.ndarray | torch.Tensor:
    """L2-normalised text embeddings of a list of strings (or of ready tokens), in batches.

    Introduced in chapter 1 (The gap)."""
    tokens = texts if isinstance(texts, torch.Tensor) else tokenize(model, texts)
    device = device_of(model)
    batches = (chunk.to(device) for chunk in tokens.split(batch_size))
    return _encode(model.encode_text, batches, numpy)


def encode_prompt_ensemble(model: torch.nn.Module, classes: Sequence[str],
                           templates: Sequence[str]) -> np.ndarray:
    """One embedding per class: the normalised mean of ``template.format(class)`` over all
    templates, CLIP's prompt ensembling (chapter 5). Shape (len(classes), D)."""
    if not classes or not templates or any("{}" not in t for t in templates):
        raise ValueError("need at least one class and templates that each hold '{}'")
    texts = [template.format(name) for name in classes for template in templates]
    embeddings = encode_texts(model, texts).reshape(len(classes), len(templates), -1)
    means = embeddings.mean(axis=1)
    return means / np.linalg.norm(means, axis=1, keepdims=True)


def encode_at_init(name: str, seed: int, images: torch.Tensor | None = None,
                   texts: Sequence[str] | torch.Tensor | None = None,
                   device: torch.device | str | None = None,
                   image_size: int | None = None
                   ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The embeddings of ``images`` and ``texts`` by model ``name`` with random weights:
    ``runtime.seed_everything(seed)``, ``load``, ``encode_images`` and ``encode_texts`` in
    one call, so the same seed always gives the same model. An input left out (``None``)
    gives ``None``.

    Used in chapter 1 (the book's CLIP at initialisation), chapter 2 (through
    ``cone.seed_embeddings``, 25 random initialisations) and chapter 3 (the gap before
    training)."""
    if images is None and texts is None:
        raise ValueError("give images, texts or both to encode")
    runtime.seed_everything(seed)
    model = load(name, device=device, image_size=image_size)
    return (None if images is None else encode_images(model, images),
            None if texts is None else encode_texts(model, texts))
