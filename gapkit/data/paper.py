"""The paper's own embeddings: eight (2, N, D) arrays published with Liang et al. (2022).

``paper_features(name)`` returns ``(x, y)``: row i of x (image, video, X-ray or protein) pairs
with row i of y (its text). Rows are not L2-normalised. Where the file comes from, in order:

1. ``GAPKIT_DATA_DIR`` (a folder holding the files; CI points it at a local copy; a
   variable that names no folder is an error, not a reason to look elsewhere),
2. the cache (``runtime.cache_dir()/paper-features``),
3. a download from the authors' repository at a pinned commit.

Every file is checked against its SHA-256 below; downloads are written to a temporary file
and renamed, so the cache never holds half a file, and a corrupt cached file is replaced.
With no copy and no network, ``paper_features`` raises ``DataUnavailable`` and
``paper_available`` answers False, unless ``GAPKIT_REQUIRE_DATA=1``: then both raise, so a
run that must use the real files (CI) never quietly goes without. This module only reads the
paper's files; what a chapter shows in their place is ``gapkit.sources``'s choice.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import numpy as np

from gapkit import io, runtime

COMMIT = "8e20cb24efa4c5f89aad694f2f65eb43ffc46d10"
BASE_URL = ("https://raw.githubusercontent.com/Weixin-Liang/Modality-Gap/"
            f"{COMMIT}/Figure_1_Modality_Gap/")

#: name -> (description, first modality, data, SHA-256 of features_<name>.npy)
PAPER_FEATURES = {
    "clip": ("CLIP ViT-B/16", "image", "MSCOCO val2017",
             "7227280ace0f145d2c45afa8ab507a1cb280e9460aa271fe9052d08e35342adb"),
    "convirt": ("ConVIRT", "chest X-ray", "MIMIC-CXR",
                "8cfb9c31888d12726a3f8b551bed64f04b25d1c76d5353b0a3e9efeceb43edb9"),
    "videoclip": ("VideoCLIP", "video", "MSR-VTT",
                  "53255cac6105c5c47dd1850d77de084957d5f83841ba9ae9254bf7ae998573da"),
    "clasp": ("CLASP", "amino-acid sequence", "UniProt",
              "5a1d12a68729405003fe19b271a38ae35adab97c139e4b4a51d70b18c44bf628"),
    "clip_random": ("CLIP ViT-B/16, random weights", "image", "MSCOCO val2017",
                    "c6a5f9ca3fba36d635fd47d20b3cdd5b9ac78dc462070240fdc2ee2786110403"),
    "convirt_random": ("ConVIRT, random weights", "chest X-ray", "MIMIC-CXR",
                       "2fd5698e712d5e0d72256a1b29044b2059818f0575ab12bfcb2c5ae13092007f"),
    "videoclip_random": ("VideoCLIP, random weights", "video", "MSR-VTT",
                         "c57ee05a606c4a9da0d71ad8b5d5c964d780af816890064a693eb178492c0f3b"),
    "clasp_random": ("CLASP, random weights", "amino-acid sequence", "UniProt",
                     "2a159d008b7527e9fbd3de49daf9116d9500d1aaa250c3a5b009b162c5f4066b"),
}
#: Rows per file, used by the fallback so its N matches.
PAPER_N = {"clip": 500, "convirt": 500, "videoclip": 100, "clasp": 99}


class DataUnavailable(RuntimeError):
    """No copy of a data file could be found or downloaded.

    Raised by ``paper_features`` (chapter 1) when no copy can be had."""


class ChecksumError(ValueError):
    """A data file's SHA-256 differs from the pinned one.

    Raised by ``paper_features`` (chapter 1) for a corrupt file."""


def sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks: how a paper file is verified (chapter 1)."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, destination: Path, expected_sha256: str, timeout: float = 60) -> Path:
    """Fetch ``url`` to ``destination``, verified, via a temporary file and an atomic rename
    (the paper's files, chapter 1).

    Raises ``DataUnavailable`` when the server cannot be reached or the transfer breaks off,
    ``ChecksumError`` when the bytes are not the expected ones; neither leaves a file behind.
    """
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, \
                io.atomic_write(destination) as out:
            digest, received = hashlib.sha256(), 0
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
                received += len(block)
            promised = response.headers.get("Content-Length")
            if promised is not None and received != int(promised):
                raise DataUnavailable(f"cannot download {url}: the transfer broke off "
                                      f"after {received} of {promised} bytes")
            if digest.hexdigest() != expected_sha256:
                raise ChecksumError(f"{url} has SHA-256 {digest.hexdigest()}, expected "
                                    f"{expected_sha256}: not the pinned file")
        return destination
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise DataUnavailable(f"cannot download {url}: {error}") from error


def paper_file(name: str, base_url: str = BASE_URL) -> Path:
    """The verified local path of ``features_<name>.npy``, downloading it if needed; what
    ``paper_features`` (chapter 1) reads."""
    if name not in PAPER_FEATURES:
        raise ValueError(f"unknown feature set {name!r}: choose from {list(PAPER_FEATURES)}")
    filename, expected = f"features_{name}.npy", PAPER_FEATURES[name][3]
    folder = os.environ.get("GAPKIT_DATA_DIR", "").strip()
    if folder:
        local = Path(folder).expanduser() / filename
        if not local.parent.is_dir():  # asked for: never a stand-in
            raise NotADirectoryError(
                f"GAPKIT_DATA_DIR={folder} is not a folder (a relative path is read from "
                f"{Path.cwd()}, where the notebook runs): give an absolute path")
        if local.exists():
            digest = sha256(local)
            if digest != expected:  # a reader's own folder: report, never overwrite
                raise ChecksumError(f"{local} has SHA-256 {digest}, expected {expected}")
            return local
    cached = runtime.cache_dir() / "paper-features" / filename
    if cached.exists():
        if sha256(cached) == expected:
            return cached
        warnings.warn(f"cached {cached} is corrupt (checksum mismatch); downloading it again",
                      stacklevel=2)
        cached.unlink()
    return download(base_url + filename, cached, expected)


def data_required() -> bool:
    """Whether ``GAPKIT_REQUIRE_DATA`` asks for the paper's files or an error, never a
    stand-in (CI sets it; chapter 1 on)."""
    return os.environ.get("GAPKIT_REQUIRE_DATA", "").strip().lower() in ("1", "true", "yes")


def paper_available(name: str, base_url: str = BASE_URL) -> bool:
    """Whether ``paper_features(name)`` can give the paper's own file (downloading it if
    needed). With ``GAPKIT_REQUIRE_DATA=1`` a missing file raises ``DataUnavailable``
    instead of answering False.

    Introduced in chapter 1 (The gap)."""
    try:
        paper_file(name, base_url)
    except DataUnavailable as error:
        if data_required():
            raise DataUnavailable(f"{error} (and GAPKIT_REQUIRE_DATA is set)") from error
        return False
    return True


def paper_features(name: str, base_url: str = BASE_URL) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: the paper's paired embeddings for ``name`` (see ``PAPER_FEATURES``).

    Raises ``DataUnavailable`` when no copy can be had (``gapkit.sources.paired`` then
    shows the book's CLIP in its place). Introduced in chapter 1 (The gap)."""
    path = paper_file(name, base_url)
    array = np.load(path, allow_pickle=False)
    if array.ndim != 3 or array.shape[0] != 2:
        raise ValueError(f"{path} should hold an array of shape (2, N, D), got {array.shape}")
    return array[0], array[1]
