"""``gapkit embed``: a folder of images with their captions, through any open_clip model, into
the ``(2, N, D)`` float32 file that ``gapkit measure`` reads.

Two inputs:

- pairs: ``--images DIR --captions FILE`` where FILE is a CSV with ``file,caption`` columns
  (or JSON Lines with those keys) and ``file`` is relative to DIR. Row i of the output is
  row i of FILE: x = the image's embedding, y = the caption's.
- zero-shot: ``--classes DIR`` in torchvision's ``ImageFolder`` layout (``DIR/<class>/<image>``)
  and ``--template "a photo of a {}"``. Row i: x = image i (classes in name order, files in
  name order within each), y = the embedding of its class's prompt. A sidecar
  ``<out stem>.classes.npz`` (inside the folder for a folder output) holds ``names``,
  ``prompts``, ``embeddings`` (C, D) and ``labels`` (N,), e.g. for zero-shot accuracy:
  ``(x @ embeddings.T).argmax(1) == labels``.

Rows are L2-normalised. The work is done in shards of ``shard_rows`` pairs, each saved to
``<out>.parts/`` as soon as it is complete; a run that stops (Ctrl-C, a bad image, a power cut)
resumes from the shards already there when started again with the same inputs. At the end the
shards are joined into ``<out>`` (``.npy``) or the folder is renamed to ``<out>`` (any other
name: a folder of shards, which ``gapkit measure`` reads too), so the output appears whole or
not at all. Bad input raises ``EmbedError`` with a one-line message before anything is written.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import open_clip
import torch
from PIL import Image
from torchvision.datasets.folder import IMG_EXTENSIONS
from tqdm import tqdm

from gapkit import io, models, runtime
from gapkit.models import error_line

SHARD_ROWS = 10_000  # pairs per shard: 10,000 x 512 x 2 float32 = 41 MB


class EmbedError(ValueError):
    """Bad input to ``gapkit embed``: the message is one line that names the culprit."""


@dataclass(frozen=True)
class Inputs:
    """What to embed: image paths, their texts, and (zero-shot) the class of each image.

    Introduced in the `gapkit embed` command."""

    images: list[Path]
    texts: list[str]  # one per image; zero-shot: the prompt of the image's class
    classes: list[str] | None = None  # zero-shot: class names, in label order
    prompts: list[str] | None = None
    labels: np.ndarray | None = None


# --- reading the inputs ----------------------------------------------------------------------


def caption_rows(path: str | Path) -> list[tuple[str, str]]:
    """``(file, caption)`` rows of a CSV (``file,caption`` header) or JSON Lines file.

    For the ``gapkit embed`` command; a missing column, an empty cell or no rows at all is an
    ``EmbedError`` that names the row.
    """
    path = Path(path)
    if not path.is_file():
        raise EmbedError(f"no captions file {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise EmbedError(f"cannot read captions file {path}: {error}") from error
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append((number, json.loads(line)))
                except json.JSONDecodeError as error:
                    raise EmbedError(f"{path} line {number} is not JSON: {error}") from error
        where = "line"
    else:
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or not {"file", "caption"} <= set(reader.fieldnames):
            raise EmbedError(f"{path} needs a header with columns file,caption "
                             f"(found {','.join(reader.fieldnames or []) or 'none'})")
        records = list(enumerate(reader, start=2))  # line 1 is the header
        where = "line"
    rows = []
    for number, record in records:
        if not isinstance(record, dict):
            raise EmbedError(f"{path} {where} {number} is not an object with file and caption")
        file, caption = record.get("file"), record.get("caption")
        if not isinstance(file, str) or not file.strip():
            raise EmbedError(f"{path} {where} {number} has no image file")
        if not isinstance(caption, str) or not caption.strip():
            raise EmbedError(f"{path} {where} {number} ({file}) has no caption")
        rows.append((file.strip(), caption.strip()))
    if not rows:
        raise EmbedError(f"{path} has no caption rows")
    return rows


def _folder(path: str | Path, what: str) -> Path:
    path = Path(path)
    if not path.is_dir():
        raise EmbedError(f"no {what} folder {path}")
    return path


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*")
                  if p.suffix.lower() in IMG_EXTENSIONS and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def pairs_inputs(images: str | Path, captions: str | Path) -> Inputs:
    """The images and captions named by a captions file (``gapkit embed --captions``).

    Every row's image must exist under ``images``; an image without a caption is left out.

    Introduced in the `gapkit embed` command.
    """
    folder = _folder(images, "images")
    if not _image_files(folder):
        raise EmbedError(f"the images folder {folder} holds no images "
                         f"({', '.join(IMG_EXTENSIONS)})")
    paths, texts = [], []
    for number, (file, caption) in enumerate(caption_rows(captions), start=1):
        path = folder / file
        if not path.is_file():
            raise EmbedError(f"caption row {number} of {captions} names {file}, "
                             f"which is not an image file in {folder}")
        paths.append(path)
        texts.append(caption)
    return Inputs(paths, texts)


def class_inputs(classes: str | Path, template: str) -> Inputs:
    """Images in one sub-folder per class, each paired with its class's prompt
    (``gapkit embed --classes``); class names have ``_`` read as a space in prompts.

    Introduced in the `gapkit embed` command."""
    folder = _folder(classes, "classes")
    if template.count("{}") != 1:
        raise EmbedError(f"the template must hold one {{}} for the class name: {template!r}")
    names = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not names:
        raise EmbedError(f"{folder} has no class folders (expected {folder}/<class>/<image>)")
    prompts = [template.format(name.replace("_", " ")) for name in names]
    paths, labels = [], []
    for label, name in enumerate(names):
        files = _image_files(folder / name)
        if not files:
            raise EmbedError(f"the class folder {folder / name} holds no images")
        paths += files
        labels += [label] * len(files)
    labels = np.array(labels, dtype=np.int64)
    return Inputs(paths, [prompts[k] for k in labels], names, prompts, labels)


# --- the model -------------------------------------------------------------------------------


def load_model(name: str, pretrained: str | None = None, seed: int = 0,
               device: torch.device | str | None = None) -> torch.nn.Module:
    """``models.load_pretrained`` with each way it can fail turned into a one-line
    ``EmbedError`` that names the option: an unknown model, a checkpoint that is missing or
    does not fit, an unknown pretrained tag, or a tag whose weights cannot be fetched (no
    network and not cached). Random weights (``pretrained=None``) follow ``seed``, so a
    resumed run builds the same model. For the ``gapkit embed`` command.
    """
    try:
        if pretrained is None:
            runtime.seed_everything(seed)
            return models.load(name, device=device)
        return models.load_pretrained(name, pretrained, device=device)
    except models.UnknownModel as error:
        raise EmbedError(f"--model {name}: {error}") from error
    except models.PretrainedError as error:
        hint = ("; give a checkpoint file to --pretrained instead"
                if isinstance(error, models.WeightsUnavailable) else "")
        raise EmbedError(f"--pretrained {pretrained}: {error}{hint}") from error


def _image_transform(model: torch.nn.Module):
    """open_clip's own evaluation transform for PIL images (resize, centre crop, normalise)."""
    from open_clip.transform import PreprocessCfg, image_transform_v2

    cfg = open_clip.get_model_preprocess_cfg(model)
    known = {f.name for f in fields(PreprocessCfg)}
    return image_transform_v2(PreprocessCfg(**{k: v for k, v in cfg.items() if k in known}),
                              is_train=False)


class _ImageFiles(torch.utils.data.Dataset):
    """Image files read in worker processes; a file that cannot be read comes back as a
    message (raised, with its name, by the main process) instead of a worker's traceback."""

    def __init__(self, paths: list[Path], transform, shape: tuple[int, ...]):
        self.paths, self.transform, self.shape = paths, transform, shape

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int):
        try:
            return self.transform(load_image(self.paths[index])), ""
        except Exception as error:  # PIL raises OSError, ValueError, DecompressionBombError…
            return torch.zeros(self.shape), f"cannot read the image {self.paths[index]}: " \
                                            f"{error_line(error)}"


def load_image(path: Path) -> Image.Image:
    """An image file as RGB, fully decoded (a truncated file fails here, not later).

    Introduced in the `gapkit embed` command."""
    with Image.open(path) as image:
        return image.convert("RGB")


# --- the run ---------------------------------------------------------------------------------


def work_folder(out: Path) -> Path:
    """Where the shards of ``out`` wait until the run is complete.

    Introduced in the `gapkit embed` command."""
    return out.with_name(out.name + ".parts")


def _fingerprint(inputs: Inputs, model: str, pretrained: str | None, seed: int,
                 shard_rows: int) -> str:
    """A hash of everything that decides the numbers: shards of another run are not reused."""
    digest = hashlib.sha256()
    checkpoint = Path(pretrained) if pretrained and Path(pretrained).is_file() else None
    stat = checkpoint.stat() if checkpoint else None
    head = {"model": model, "pretrained": str(pretrained), "seed": seed if not pretrained else None,
            "shard_rows": shard_rows,
            "checkpoint": [stat.st_size, stat.st_mtime_ns] if stat else None}
    digest.update(json.dumps(head, sort_keys=True).encode())
    for path, text in zip(inputs.images, inputs.texts, strict=True):
        digest.update(f"{path}\0{text}\0".encode())
    return digest.hexdigest()


def _shard_name(k: int) -> str:
    return f"part-{k:06d}.npy"


def _prepare(work: Path, fingerprint: str) -> None:
    """Reuse ``work`` if it holds shards of this very run, else start it afresh."""
    manifest = work / "manifest.json"
    if work.exists():
        try:
            same = json.loads(manifest.read_text())["fingerprint"] == fingerprint
        except (OSError, ValueError, KeyError, TypeError):
            same = False
        if same:  # resume; a write cut off by the stop left only its temporary file
            for orphan in work.glob(".*.partial"):
                orphan.unlink()
            return
        print(f"gapkit embed: {work} holds shards of other inputs; starting over",
              file=sys.stderr)
        io.remove(work)
    work.mkdir(parents=True)
    io.write_json_atomic({"fingerprint": fingerprint}, manifest)


def _batches(shards: list[range], batch_size: int) -> Iterator[list[int]]:
    for shard in shards:
        for start in range(shard.start, shard.stop, batch_size):
            yield list(range(start, min(shard.stop, start + batch_size)))


def run(inputs: Inputs, model_name: str, out: str | Path, pretrained: str | None = None,
        batch_size: int = 64, workers: int = 0, shard_rows: int = SHARD_ROWS, seed: int = 0,
        overwrite: bool = False, progress: bool = True) -> Path:
    """Embed ``inputs`` and write ``out``; see the module's docstring. For the ``gapkit embed``
    command, which builds ``inputs`` with ``pairs_inputs`` or ``class_inputs``."""
    out = Path(out)
    if batch_size < 1 or shard_rows < 1 or workers < 0:
        raise EmbedError("--batch-size and --shard-rows must be at least 1, --workers at least 0")
    if out.exists() and not overwrite:
        raise EmbedError(f"{out} exists; remove it, choose another --out, or pass --overwrite")
    if not out.parent.is_dir():
        raise EmbedError(f"no folder {out.parent} to write {out.name} into")
    try:
        device = runtime.device()
    except (ValueError, RuntimeError) as error:
        raise EmbedError(str(error)) from error
    model = load_model(model_name, pretrained, seed=seed, device=device)
    try:
        models.tokenizer_of(model_name)  # loaded (and cached) before any work is done
    except Exception as error:  # a Hugging Face tokenizer may need the network
        raise EmbedError(f"cannot load the tokenizer of {model_name}: "
                         f"{error_line(error)}") from error
    transform = _image_transform(model)
    size = open_clip.get_model_preprocess_cfg(model)["size"]
    size = (size, size) if isinstance(size, int) else tuple(size)

    work = work_folder(out)
    _prepare(work, _fingerprint(inputs, model_name, pretrained, seed, shard_rows))
    n = len(inputs.images)
    shards = [range(start, min(n, start + shard_rows)) for start in range(0, n, shard_rows)]
    todo = [k for k in range(len(shards)) if not (work / _shard_name(k)).exists()]
    prompt_embeddings = None
    if inputs.prompts is not None:
        prompt_embeddings = models.encode_texts(model, inputs.prompts, batch_size)

    dataset = _ImageFiles(inputs.images, transform, (3, *size))
    loader = torch.utils.data.DataLoader(
        dataset, batch_sampler=list(_batches([shards[k] for k in todo], batch_size)),
        num_workers=workers)
    bar = tqdm(total=n, initial=n - sum(len(shards[k]) for k in todo), unit="pair",
               desc="embedding", file=sys.stderr, disable=not progress, leave=False)
    pending: dict[int, list[np.ndarray]] = {}
    try:
        with bar, torch.inference_mode():
            for (images, problems), rows in zip(loader, loader.batch_sampler, strict=True):
                problem = next((p for p in problems if p), None)
                if problem:
                    raise EmbedError(problem)
                x = torch.nn.functional.normalize(model.encode_image(images.to(device)), dim=-1)
                if prompt_embeddings is None:
                    y = models.encode_texts(model, [inputs.texts[i] for i in rows],
                                            batch_size)
                else:
                    y = prompt_embeddings[inputs.labels[rows]]
                k = rows[0] // shard_rows
                pending.setdefault(k, []).append(np.stack([x.float().cpu().numpy(), y]))
                if rows[-1] == shards[k].stop - 1:  # the shard is complete: save it
                    io.save_npy_atomic(np.concatenate(pending.pop(k), axis=1),
                                       work / _shard_name(k))
                bar.update(len(rows))
    except BaseException:
        if not any(work.glob("part-*.npy")):  # nothing worth resuming from
            io.remove(work)
        raise
    return _finish(work, out, inputs, prompt_embeddings, overwrite)


def _finish(work: Path, out: Path, inputs: Inputs, prompt_embeddings, overwrite: bool) -> Path:
    """Classes sidecar first, the output last: the output's presence means the run is done."""
    folder_output = out.suffix != ".npy"
    if inputs.classes is not None:
        sidecar = work / "classes.npz" if folder_output else out.with_suffix(".classes.npz")
        with io.atomic_write(sidecar) as file:
            np.savez(file, names=np.array(inputs.classes), prompts=np.array(inputs.prompts),
                     embeddings=prompt_embeddings, labels=inputs.labels)
    if overwrite and (folder_output or out.is_dir()):
        io.remove(out)
    if folder_output:
        work.replace(out)
    else:
        io.join_shards(work, out)
        io.remove(work)
    return out
