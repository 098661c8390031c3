"""Train the book's default CLIP from scratch (cache bypassed) and report speed and accuracy.

    python benchmarks/bench_train.py [--steps N] [--profile]

Last line: ``train: zero_shot_acc=<a> seconds=<s> samples_per_s=<r> data_share=<f>``, where
zero_shot_acc classifies held-out images among all captions of the world and data_share is
the fraction of wall time spent drawing batches on the host. Budget (2 CPU cores):
zero_shot_acc >= 0.85, seconds <= 90, data_share <= 0.10, samples_per_s >= 2,500. On a CPU a
run trains on one thread; the line before the last times as many runs as there are cores
trained side by side (``train_all``, as the chapters' sweeps train), worker start-up
included. Both lines give a run's milliseconds a step (set-up and evaluations included), the
number that bounds a page's sweep when its runs train side by side.

``--steps`` trains shorter runs (default: 600, the quick profile's; the accuracy budget holds
only for those). ``--profile`` first profiles 20 steps of one run with ``torch.profiler``
and prints the operators that take the most time on the CPU (on a GPU: on the device), how
many operators a step calls (top-level ones: an operator's own calls are not counted) and,
on a GPU, how many kernels it launches: where a step of this small model may wait on its
launches, the first thing to read (``GAPKIT_DEVICE`` picks the device). On CUDA the steps
after the third are replayed as a CUDA graph (``gapkit.graphed``), which the profile's
counts mix in: profile with ``GAPKIT_CUDA_GRAPHS=0`` to count the eager step's, and time
both ways to compare them. A run's milliseconds a step then include its three eager steps
and the capture.
"""

import argparse
import os
import tempfile
import time

import torch

from gapkit.graphed import replayed_on
from gapkit.runtime import cores, device
from gapkit.train import TrainConfig, train, train_all


def profile(steps: int = 20) -> None:
    """Profile a run of ``steps`` steps (its set-up and two evaluations included) and count
    the operators a step calls, and on a GPU the kernels it launches, against a run of one
    step, which has the same set-up."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as profiler

    if steps < 2:
        raise ValueError(f"profile at least 2 steps, got {steps}")
    cuda = device().type == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    counts = {}
    for n in (1, steps):
        with profiler(activities=activities) as prof:
            train(TrainConfig(steps=n, eval_every=10_000), use_cache=False, progress=False)
        events = prof.events()
        counts[n] = (  # operators called by the code or autograd, not by other operators
            sum(e.name.startswith("aten::") and not (e.cpu_parent and e.cpu_parent.name
                                                      .startswith("aten::"))
                for e in events),
            sum("LaunchKernel" in e.name for e in events))  # cudaLaunchKernel and kin
    per_step = [(a - b) / (steps - 1) for a, b in zip(counts[steps], counts[1], strict=True)]
    print(f"profile: operators_per_step={per_step[0]:.0f}"
          + (f" kernel_launches_per_step={per_step[1]:.0f}" if cuda else ""))
    sort = "self_device_time_total" if cuda else "self_cpu_time_total"
    print(prof.key_averages().table(sort_by=sort, row_limit=15,  # the longer run's
                                    max_name_column_width=50))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=TrainConfig().steps)
    parser.add_argument("--profile", action="store_true", help="profile 20 steps first")
    args = parser.parse_args()
    if args.profile:
        profile()
    config = TrainConfig(steps=args.steps)
    run = train(config, use_cache=False, progress=False)
    accuracy = run.history["zero_shot_acc"][-1]
    samples = config.steps * config.batch_size
    with tempfile.TemporaryDirectory() as cache:  # nothing cached: every run trains
        os.environ["GAPKIT_CACHE"] = cache
        tic = time.perf_counter()
        runs = train_all({seed: TrainConfig(steps=args.steps, seed=seed)
                          for seed in range(cores())})
        side_by_side = time.perf_counter() - tic
    per_step = sum(r.seconds for r in runs.values()) / len(runs) / config.steps
    name = f" ({torch.cuda.get_device_name()})" if device().type == "cuda" else ""
    print(f"cores={os.cpu_count()} threads_per_run=1 device={device()}{name} "
          f"cuda_graphs={replayed_on(device())} steps={config.steps} batch={config.batch_size}")
    print(f"side by side: runs={cores()} seconds={side_by_side:.1f} "
          f"samples_per_s={cores() * samples / side_by_side:.0f} "
          f"ms_per_step={1000 * per_step:.1f}")
    print(f"train: zero_shot_acc={accuracy:.3f} seconds={run.seconds:.1f} "
          f"samples_per_s={samples / run.seconds:.0f} "
          f"data_share={run.data_seconds / run.seconds:.3f} "
          f"ms_per_step={1000 * run.seconds / config.steps:.1f}")


if __name__ == "__main__":
    main()
