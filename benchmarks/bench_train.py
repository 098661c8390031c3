"""Train the book's default CLIP from scratch (cache bypassed) and report speed and accuracy.

Last line: ``train: zero_shot_acc=<a> seconds=<s> samples_per_s=<r> data_share=<f>``, where
zero_shot_acc classifies held-out images among all captions of the world and data_share is
the fraction of wall time spent producing batches. Budget (2 CPU cores): zero_shot_acc >= 0.85,
seconds <= 90, data_share <= 0.10, samples_per_s >= 2,500. On a CPU a run trains on one
thread; the line before the last times as many runs as there are cores trained side by side
(``train_all``, as the chapters' sweeps train), worker start-up included.
"""

import os
import tempfile
import time

from gapkit.runtime import cores
from gapkit.train import TrainConfig, train, train_all


def main() -> None:
    config = TrainConfig()
    run = train(config, use_cache=False, progress=False)
    accuracy = run.history["zero_shot_acc"][-1]
    samples = config.steps * config.batch_size
    with tempfile.TemporaryDirectory() as cache:  # nothing cached: every run trains
        os.environ["GAPKIT_CACHE"] = cache
        tic = time.perf_counter()
        train_all({seed: TrainConfig(seed=seed) for seed in range(cores())})
        side_by_side = time.perf_counter() - tic
    print(f"cores={os.cpu_count()} threads_per_run=1 "
          f"device={next(run.model.parameters()).device} steps={config.steps} "
          f"batch={config.batch_size}")
    print(f"side by side: runs={cores()} seconds={side_by_side:.1f} "
          f"samples_per_s={cores() * samples / side_by_side:.0f}")
    print(f"train: zero_shot_acc={accuracy:.3f} seconds={run.seconds:.1f} "
          f"samples_per_s={samples / run.seconds:.0f} "
          f"data_share={run.data_seconds / run.seconds:.3f}")


if __name__ == "__main__":
    main()
