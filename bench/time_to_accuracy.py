"""Time to accuracy: a cnn recipe that reaches >= 0.90 test accuracy on the full Fashion-MNIST.

    python bench/time_to_accuracy.py [--device cpu] [--data-dir DIR]

Runs the recipe below through the engine (the same code path as `python -m zoo train`, whose
exact command it prints), then prints a table per epoch: cumulative training seconds (the
training passes alone), cumulative wall seconds (with validation), validation accuracy, and the
test accuracy of the restored best weights at the end. Data as for bench/train_speed.py.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zoo.engine import fit  # noqa: E402
from zoo.spec import ExperimentSpec  # noqa: E402

RECIPE = ExperimentSpec(
    data="fashion-mnist", model="cnn",
    model_params={"channels1": 16, "channels2": 32, "kernel_size": 5, "hidden1": 128, "hidden2": 84,
                  "batch_norm": True, "dropout": 0.1},
    epochs=6, batch_size=128, lr=3e-3, schedule="cosine", patience=0, seed=0,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--epochs", type=int, default=RECIPE.epochs)
    args = parser.parse_args()
    spec = RECIPE.replace(device=args.device, epochs=args.epochs)
    command = spec.cli_command() + (f" --data-dir {args.data_dir}" if args.data_dir else "")
    print(f"recipe: {command}\n")

    from zoo.data import load_data

    data = load_data(spec, args.data_dir)
    rows, started = [], time.perf_counter()

    def on_event(event):
        if event["type"] == "epoch":
            rows.append((event["epoch"], event["seconds"], time.perf_counter() - started, event["val_metric"]))

    result = fit(spec, data=data, callback=on_event)
    print("| epoch | training s (cumulative) | wall s (cumulative) | val accuracy |")
    print("|---:|---:|---:|---:|")
    total = 0.0
    for epoch, seconds, wall, val in rows:
        total += seconds
        print(f"| {epoch} | {total:.1f} | {wall:.1f} | {val:.4f} |")
    print(f"\ndevice {result.device}: test accuracy {result.test_metrics['test_accuracy']:.4f} "
          f"(best epoch {result.best_epoch}) after {total:.1f} s of training, {result.seconds:.1f} s of fit()")


if __name__ == "__main__":
    main()
