"""A training step replayed as a CUDA graph: its kernels launched with one call, not one by one.

A step of the book's CLIP calls about 740 operators, each far too small to keep a GPU busy,
so in eager mode a GPU likely waits on the CPU launching them (``benchmarks/README.md``). A
CUDA graph records those launches once and replays them with one call. ``GraphedStep(step)``
wraps a function that does one whole step in place (zero the gradients, forward, backward,
optimizer step) and returns its loss. On CUDA it runs the first ``EAGER_STEPS`` calls
eagerly on a side stream, as capture requires, captures the next and replays it from then
on, copying each call's inputs into the tensors the graph reads. Elsewhere, or with
``GAPKIT_CUDA_GRAPHS=0``, it only calls ``step``. A step that cannot be captured raises an
error that names that variable.

What a captured step may not do (torch's "CUDA Graphs" notes): wait for the GPU
(``.item()``, ``bool(tensor)``, a copy to the CPU), make its inputs on the CPU inside it, or
change a tensor its graph reads by replacing it instead of writing into it. So the step's
inputs come as arguments, and an optimizer is ``capturable`` with a tensor learning rate
that a schedule writes into (``optimizer_settings``). A replay launches the eager step's
kernels, so it should give the eager numbers; the GPU check tests that for every kind of
run (``tests/test_profiles.py``), but has not yet been run with it. Used by
``gapkit.train`` (the page 'The book's world and its CLIP').
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import torch

from gapkit import runtime

EAGER_STEPS = 3  # eager steps before capture: optimizer state, cuBLAS workspaces, allocations


def replayed_on(device: torch.device) -> bool:
    """Whether a training step on ``device`` is replayed as a CUDA graph: on CUDA, unless
    ``GAPKIT_CUDA_GRAPHS=0`` (the page 'The book's world and its CLIP' trains so)."""
    return device.type == "cuda" and runtime.cuda_graphs()


def optimizer_settings(lr: float, device: torch.device) -> dict:
    """What an optimizer's parameter group needs for a step on ``device`` to be captured:
    on CUDA ``capturable`` and a tensor learning rate that a schedule writes into, with or
    without the graph, so that the two ways should launch the same kernels; elsewhere the
    plain float. Trains the book's CLIP (the page 'The book's world and its CLIP')."""
    if device.type != "cuda":
        return {"lr": lr, "capturable": False}
    return {"lr": torch.tensor(lr, device=device), "capturable": True}


class GraphedStep:
    """``step(*inputs)`` replayed as a CUDA graph after ``EAGER_STEPS`` eager calls where
    ``replayed_on(device)``; elsewhere the plain call. ``captured`` tells whether it has
    been captured yet. A replay returns the same loss tensor each time, written over by the
    next: read it before the next call. Trains the book's CLIP (the page 'The book's world
    and its CLIP')."""

    def __init__(self, step: Callable[..., torch.Tensor], device: torch.device):
        self.step, self.device, self.calls = step, device, 0
        self.enabled = replayed_on(device)
        self.graph = self.inputs = self.loss = None  # once captured: what a replay reads

    @property
    def captured(self) -> bool:
        return self.graph is not None

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.device.type != "cuda":
            return self.step(*inputs)
        with torch.cuda.device(self.device), warnings.catch_warnings():
            # Eager steps of a capturable optimizer warn that it was made for capture.
            warnings.filterwarnings("ignore", "This instance was constructed with capturable")
            if self.graph is not None:
                _copy_into(self.inputs, inputs)
                self.graph.replay()
                return self.loss
            if not self.enabled:
                return self.step(*inputs)
            side = _side_stream(self.device)
            side.wait_stream(torch.cuda.current_stream())
            if self.calls <= EAGER_STEPS:
                with torch.cuda.stream(side):
                    loss = self.step(*inputs)
                torch.cuda.current_stream().wait_stream(side)
                return loss
            return self._capture(inputs, side)

    def _capture(self, inputs, side: torch.cuda.Stream) -> torch.Tensor:
        self.inputs = [value.clone() for value in inputs]
        graph = torch.cuda.CUDAGraph()
        # The outer context gives the stream back even if the capture fails at its end.
        with torch.cuda.stream(torch.cuda.current_stream()):
            try:  # capture records the step's kernels; it runs none of them
                with torch.cuda.graph(graph, stream=side):
                    self.loss = self.step(*self.inputs)
            except Exception as error:  # an operator that waits for the GPU, say
                # No going on eagerly: a failed capture may leave the memory pool in no
                # state to trust.
                raise RuntimeError(
                    "the training step could not be captured as a CUDA graph; restart the "
                    "process (in a notebook, its kernel) with GAPKIT_CUDA_GRAPHS=0 to "
                    "train without one") from error
        self.graph = graph
        graph.replay()
        return self.loss


def _copy_into(statics: list[torch.Tensor], values: tuple[torch.Tensor, ...]) -> None:
    # copy_ would broadcast a smaller batch into the captured one without a word
    for static, value in zip(statics, values, strict=True):
        if value.shape != static.shape or value.dtype != static.dtype:
            raise ValueError(f"a replayed step takes inputs shaped as when it was captured: "
                             f"got {tuple(value.shape)} {value.dtype} for "
                             f"{tuple(static.shape)} {static.dtype}")
        static.copy_(value)


@functools.cache
def _side_stream(device: torch.device) -> torch.cuda.Stream:
    # One per device for the whole process: cuBLAS keeps a workspace for every stream it
    # has run on, and a worker trains many runs.
    return torch.cuda.Stream(device=device)
