"""Train the book's default CLIP from scratch (cache bypassed) and report speed and accuracy.

    python benchmarks/bench_train.py [--steps N] [--profile]

Last line: ``train: zero_shot_acc=<a> seconds=<s> samples_per_s=<r> data_share=<f>``, where
zero_shot_acc classifies held-out images among all captions of the world and data_share is
the fraction of wall time spent producing batches. Budget (2 CPU cores): zero_shot_acc >= 0.85,
seconds <= 90, data_share <= 0.10, samples_per_s >= 2,500. On a CPU a run trains on one
thread; the line before the last times as many runs as there are cores trained side by side
(``train_all``, as the chapters' sweeps train), worker start-up included. Both lines give a
run's milliseconds a step (set-up and evaluations included), the number that bounds a page's
sweep when its runs train side by side.

``--steps`` trains shorter runs (default: 600, the quick profile's; the accuracy budget holds
only for those). ``--profile`` first profiles 20 steps of one run with ``torch.profiler``
and prints the operators that take the most time on the CPU and, on a GPU, on the device,
and how many operators a step launches: on a GPU, where a step of this small model waits on
its launches, the first thing to read (``GAPKIT_DEVICE`` picks the device).
"""

import argparse
import os
import tempfile
import time

import torch

from gapkit.runtime import cores, device
from gapkit.train import TrainConfig, train, train_all


def profile(steps: int = 20) -> None:
    """Profile a run of ``steps`` steps (its set-up and two evaluations included) and count
    the operators of a step against a run of one step, which has the same set-up."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as profiler

    activities = [ProfilerActivity.CPU]
    if device().type == "cuda":
        activities.append(ProfilerActivity.CUDA)
    counts = {}
    for n in (1, steps):
        config = TrainConfig(steps=n, eval_every=10_000)
        with profiler(activities=activities) as prof:
            train(config, use_cache=False, progress=False)
        counts[n] = prof.key_averages()
    calls = {n: sum(e.count for e in table if e.key.startswith("aten::"))
             for n, table in counts.items()}
    print(f"profile: aten_calls_per_step={(calls[steps] - calls[1]) / (steps - 1):.0f}")
    sort = "self_cuda_time_total" if device().type == "cuda" else "self_cpu_time_total"
    print(counts[steps].table(sort_by=sort, row_limit=15, max_name_column_width=50))


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
    name = torch.cuda.get_device_name() if device().type == "cuda" else ""
    print(f"cores={os.cpu_count()} threads_per_run=1 device={device()} {name} "
          f"steps={config.steps} batch={config.batch_size}")
    print(f"side by side: runs={cores()} seconds={side_by_side:.1f} "
          f"samples_per_s={cores() * samples / side_by_side:.0f} "
          f"ms_per_step={1000 * per_step:.1f}")
    print(f"train: zero_shot_acc={accuracy:.3f} seconds={run.seconds:.1f} "
          f"samples_per_s={samples / run.seconds:.0f} "
          f"data_share={run.data_seconds / run.seconds:.3f} "
          f"ms_per_step={1000 * run.seconds / config.steps:.1f}")


if __name__ == "__main__":
    main()
