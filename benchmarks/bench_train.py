"""Train the book's default CLIP from scratch (cache bypassed) and report speed and accuracy.

Last line: ``train: zero_shot_acc=<a> seconds=<s> samples_per_s=<r> data_share=<f>``, where
zero_shot_acc classifies held-out images among all captions of the world and data_share is
the fraction of wall time spent producing batches. Budget (2 CPU cores): zero_shot_acc >= 0.85,
seconds <= 90, data_share <= 0.10.
"""

import os

import torch

from gapkit.train import TrainConfig, train


def main() -> None:
    config = TrainConfig()
    run = train(config, use_cache=False, progress=False)
    accuracy = run.history["zero_shot_acc"][-1]
    samples = config.steps * config.batch_size
    print(f"cores={os.cpu_count()} torch_threads={torch.get_num_threads()} "
          f"device={next(run.model.parameters()).device} steps={config.steps} "
          f"batch={config.batch_size}")
    print(f"train: zero_shot_acc={accuracy:.3f} seconds={run.seconds:.1f} "
          f"samples_per_s={samples / run.seconds:.0f} "
          f"data_share={run.data_seconds / run.seconds:.3f}")


if __name__ == "__main__":
    main()
