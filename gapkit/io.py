"""Embedding files on disk: reading them in bounded memory, writing them in shards.

``gapkit measure`` reads a ``(2, N, D)`` ``.npy`` file, two ``(N, D)`` files, or a folder of
``(2, n, D)`` shard files (what ``gapkit embed`` writes for large sets) with ``load_pairs``.
The rows stay on disk: each read copies the rows asked for into a buffer that the next read
reuses, with plain ``readinto`` calls. Nothing is memory-mapped, because the pages of a mapped
file count as the process's resident memory and whether the kernel gives them back is not
something to rely on; so measuring a file of any size takes memory for one chunk of rows.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


@dataclass(frozen=True)
class NpyHeader:
    """Where the numbers of a ``.npy`` file start, and what they are (the `gapkit measure`
    command reads files of any size with it)."""

    path: Path
    shape: tuple[int, ...]
    dtype: np.dtype
    offset: int  # bytes before the first number


def read_header(path: str | Path) -> NpyHeader:
    """The header of a ``.npy`` file, checked: numbers, C order, and not truncated.

    Used by ``load_pairs`` (``gapkit measure``); an error names the file in one line.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version not in _HEADER_READERS:
                raise ValueError(f"unsupported .npy format version {version}")
            shape, fortran_order, dtype = _HEADER_READERS[version](f)
            offset = f.tell()
    except (ValueError, EOFError, SyntaxError) as error:
        raise ValueError(f"{path} is not a readable .npy array: {error}") from error
    if dtype.hasobject or dtype.kind not in "fiu":
        raise ValueError(f"{path} holds {dtype}, not numbers")
    if fortran_order and sum(size > 1 for size in shape) > 1:
        raise ValueError(f"{path} is stored in Fortran order; re-save it with "
                         "np.save(path, np.ascontiguousarray(array))")
    expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if path.stat().st_size < expected:
        raise ValueError(f"{path} is truncated: {path.stat().st_size} bytes, the header of "
                         f"shape {shape} promises {expected}")
    return NpyHeader(path, tuple(shape), dtype, offset)


@dataclass(frozen=True)
class _Part:
    path: Path
    offset: int  # byte offset of this part's first row
    rows: int


class OnDisk:
    """A 2-D array whose rows stay in ``.npy`` files (one or several) until they are read.

    Behaves enough like a NumPy array for gapkit's metrics: ``shape``, ``ndim``, ``dtype``,
    ``len``, indexing by an integer, a slice or an index array (each returns a new array),
    and ``np.asarray`` (reads everything). ``read(slice)`` is the streaming path: it returns
    a view of a buffer that the next ``read`` overwrites. Returned by ``load_pairs``
    (``gapkit measure``).
    """

    ndim = 2

    def __init__(self, parts: Sequence[_Part], dim: int, dtype: np.dtype, name: str):
        self._parts = list(parts)
        self._starts = np.cumsum([0] + [part.rows for part in self._parts])
        self.dtype = np.dtype(dtype)
        self.shape = (int(self._starts[-1]), int(dim))
        self.name = name
        self._buffer = np.empty((0, dim), self.dtype)

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"OnDisk({self.name!r}, shape={self.shape}, dtype={self.dtype})"

    @property
    def _row_bytes(self) -> int:
        return self.shape[1] * self.dtype.itemsize

    def read(self, rows: slice) -> np.ndarray:
        """Rows ``start:stop`` in a reused buffer: valid until the next ``read``."""
        start, stop, step = rows.indices(len(self))
        if step != 1:
            raise ValueError("read takes a slice with step 1")
        count = max(0, stop - start)
        if len(self._buffer) < count:
            self._buffer = np.empty((count, self.shape[1]), self.dtype)
        out = self._buffer[:count]
        self._read_range(start, out)
        return out

    def _read_range(self, start: int, out: np.ndarray) -> None:
        """Fill ``out`` with the rows from ``start`` on, part by part."""
        stop, row_bytes = start + len(out), self._row_bytes
        first = int(np.searchsorted(self._starts, start, side="right")) - 1
        for k in range(max(first, 0), len(self._parts)):
            lo, hi = max(start, self._starts[k]), min(stop, self._starts[k + 1])
            if lo >= stop:
                break
            if lo >= hi:
                continue
            part, lo, hi = self._parts[k], int(lo), int(hi)
            target = memoryview(out[lo - start:hi - start]).cast("B")
            _read_exactly(part.path, part.offset + (lo - int(self._starts[k])) * row_bytes,
                          target)

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, tuple):  # rows first, then whatever else on the rows read
            return self[key[0]][(slice(None), *key[1:])]
        if isinstance(key, (int, np.integer)):
            return self[np.array([key])][0]
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step == 1:
                out = np.empty((max(0, stop - start), self.shape[1]), self.dtype)
                self._read_range(start, out)
                return out
            key = np.arange(start, stop, step)
        index = np.asarray(key)
        if index.dtype == bool:
            if index.shape != (len(self),):
                raise IndexError(f"a boolean index must have shape ({len(self)},)")
            index = np.flatnonzero(index)
        if index.ndim != 1 or index.dtype.kind not in "iu":
            raise IndexError("index rows with an integer, a slice or a 1-D integer array")
        if index.size and not (-len(self) <= index.min() and index.max() < len(self)):
            raise IndexError(f"row index out of range for {len(self)} rows")
        index = np.where(index < 0, index + len(self), index)
        return self._gather(index)

    def _gather(self, index: np.ndarray) -> np.ndarray:
        """Rows at ``index`` (any order), reading each run of consecutive rows at once."""
        order = np.argsort(index, kind="stable")
        wanted = index[order]
        out = np.empty((len(index), self.shape[1]), self.dtype)
        if len(wanted):
            unique, first = np.unique(wanted, return_index=True)
            breaks = np.flatnonzero(np.diff(unique) != 1) + 1
            rows = np.empty((len(unique), self.shape[1]), self.dtype)
            for run in np.split(np.arange(len(unique)), breaks):
                self._read_range(int(unique[run[0]]), rows[run[0]:run[-1] + 1])
            out[order] = rows[np.searchsorted(unique, wanted)]
        return out

    def __array__(self, dtype=None, copy=None):
        everything = self[:]
        return everything if dtype is None else everything.astype(dtype, copy=False)


def _read_exactly(path: Path, offset: int, target: memoryview) -> None:
    with open(path, "rb", buffering=0) as f:
        f.seek(offset)
        while len(target):
            got = f.readinto(target)
            if not got:
                raise ValueError(f"{path} is truncated (it changed while being read?)")
            target = target[got:]


def rows(a, index) -> np.ndarray:
    """Rows ``index`` (a slice or indices) of any 2-D array; the way metrics read chunks.

    For an ``OnDisk`` array and a slice, the rows come in a reused buffer (valid until the
    next read of that array), so a pass over a large file holds one chunk at a time.

    Introduced in the landing page.
    """
    if isinstance(a, OnDisk) and isinstance(index, slice):
        return a.read(index)
    return a[index]


def shard_files(folder: str | Path) -> list[Path]:
    """The ``.npy`` files of a shard folder, in name order (``gapkit measure`` and ``embed``)."""
    folder = Path(folder)
    files = sorted(path for path in folder.glob("*.npy") if path.is_file())
    if not files:
        raise ValueError(f"{folder} holds no .npy shard files")
    return files


def _pairs_of(headers: Sequence[NpyHeader], label: str) -> tuple[OnDisk, OnDisk]:
    """x and y of (2, n_k, D) files, concatenated along the rows."""
    for h in headers:
        if len(h.shape) != 3 or h.shape[0] != 2:
            raise ValueError(f"{h.path} must hold shape (2, N, D) (x then y), got {h.shape}")
    dims = {h.shape[2] for h in headers}
    dtypes = {h.dtype for h in headers}
    if len(dims) > 1 or len(dtypes) > 1:
        raise ValueError(f"the shards of {label} differ in dimension or dtype: "
                         f"{sorted(dims)}, {sorted(map(str, dtypes))}")
    x = [_Part(h.path, h.offset, h.shape[1]) for h in headers]
    y = [_Part(h.path, h.offset + h.shape[1] * h.shape[2] * h.dtype.itemsize, h.shape[1])
         for h in headers]
    dim, dtype = dims.pop(), dtypes.pop()
    return OnDisk(x, dim, dtype, f"{label}[0]"), OnDisk(y, dim, dtype, f"{label}[1]")


def _rows_of(path: Path) -> OnDisk:
    h = read_header(path)
    if len(h.shape) != 2:
        raise ValueError(f"{path} must hold shape (N, D), got {h.shape}")
    return OnDisk([_Part(h.path, h.offset, h.shape[0])], h.shape[1], h.dtype, str(path))


def load_pairs(*paths: str | Path) -> tuple[OnDisk, OnDisk]:
    """``(x, y)`` left on disk, from one ``(2, N, D)`` .npy file, a folder of ``(2, n, D)``
    shard files (joined in name order), or two ``(N, D)`` files.

    Used by ``gapkit measure``; reading is lazy, so this is instant for any size.
    """
    if len(paths) == 1:
        path = Path(paths[0])
        if path.is_dir():
            return _pairs_of([read_header(p) for p in shard_files(path)], str(path))
        return _pairs_of([read_header(path)], str(path))
    if len(paths) == 2:
        return _rows_of(Path(paths[0])), _rows_of(Path(paths[1]))
    raise ValueError("give one (2, N, D) file or shard folder, or two (N, D) files")


# --- writing (``gapkit embed``, the training cache, the paper's files) ---------------------


@contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through: written under a temporary name of its own
    beside ``path``, flushed to disk and renamed onto ``path`` when the block ends, removed
    when the block fails. A reader never sees half a file, a failed write leaves whatever
    was there, and two processes that write one path at once never share a temporary file.

    Every data file gapkit writes goes through it: ``gapkit embed``'s shards and records,
    the training cache (the page 'The book's world and its CLIP') and the paper's files. A
    write killed outright leaves its temporary file; ``gapkit embed`` removes those when it
    resumes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.partial")
    try:
        with open(temporary, "xb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def save_npy_atomic(array: np.ndarray, path: str | Path) -> Path:
    """``np.save`` through ``atomic_write``: a reader never sees half a file.

    Introduced in the `gapkit embed` command."""
    with atomic_write(path) as file:
        np.save(file, array, allow_pickle=False)
    return Path(path)


def join_shards(folder: str | Path, out: str | Path) -> Path:
    """One ``(2, N, D)`` file from a folder of ``(2, n, D)`` shards, streamed shard by shard
    (memory: one shard) and renamed into place at the end. Used by ``gapkit embed``."""
    x, y = load_pairs(folder)
    header = {"descr": np.lib.format.dtype_to_descr(x.dtype), "fortran_order": False,
              "shape": (2, *x.shape)}
    with atomic_write(out) as file:
        np.lib.format.write_array_header_1_0(file, header)
        for half in (x, y):
            for block in _blocks(half):
                file.write(np.ascontiguousarray(block).data)
    return Path(out)


def _blocks(a: OnDisk, size: int = 16_384) -> Iterator[np.ndarray]:
    for start in range(0, len(a), size):
        yield a.read(slice(start, start + size))


def write_json_atomic(obj, path: str | Path) -> Path:
    """A small JSON file written whole or not at all (``gapkit embed``'s records)."""
    with atomic_write(path) as file:
        file.write(json.dumps(obj, indent=1).encode())
    return Path(path)


def remove(path: str | Path) -> None:
    """Remove a file or a folder if it exists (``gapkit embed`` cleaning up its shards)."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
