"""Time to accuracy: a cnn recipe that reaches >= 0.90 test accuracy on the full Fashion-MNIST.

    python bench/time_to_accuracy.py [--device cpu|cuda] [--cuda-graph] [--data-dir DIR]

Runs the recipe below through the engine (the same code path as `python -m zoo train`, whose
exact command it prints), then prints a table per epoch: cumulative training seconds (the
training passes alone), cumulative wall seconds (with validation), validation accuracy, and the
test accuracy of the restored best weights at the end. Nothing is warmed up first: on CUDA the
first epoch pays CUDA's lazy start and cuDNN's autotuning, as a fresh job does. Data as for
bench/train_speed.py; `--data`, `--epochs` and `--limit-train` exist for bench/gpu_check.sh.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zoo.data.images import IMAGE_DATASETS  # noqa: E402
from zoo.engine import fit  # noqa: E402
from zoo.spec import ExperimentSpec  # noqa: E402

RECIPE = ExperimentSpec(
    data="fashion-mnist", model="cnn",
    model_params={"channels1": 16, "channels2": 32, "kernel_size": 5, "hidden1": 128, "hidden2": 84,
                  "batch_norm": True, "dropout": 0.1},
    epochs=6, batch_size=128, lr=3e-3, schedule="cosine", patience=0, seed=0,
)
TARGET = 0.90


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--data", default=RECIPE.data, choices=tuple(IMAGE_DATASETS))
    parser.add_argument("--epochs", type=int, default=RECIPE.epochs)
    parser.add_argument("--limit-train", type=int, default=0, help="train on the first N samples only (0: all)")
    parser.add_argument("--cuda-graph", action="store_true", help="the recipe with cuda_graph on (CUDA)")
    parser.add_argument("--json-out", default=None, help="also write the result to this JSON file")
    args = parser.parse_args()
    spec = RECIPE.replace(device=args.device, epochs=args.epochs, data=args.data, limit_train=args.limit_train,
                          cuda_graph=args.cuda_graph)
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
    total, reached = 0.0, None
    for epoch, seconds, wall, val in rows:
        total += seconds
        if reached is None and val >= TARGET:
            reached = {"epoch": epoch, "training_seconds": total}
        print(f"| {epoch} | {total:.2f} | {wall:.2f} | {val:.4f} |")
    accuracy = result.test_metrics["test_accuracy"]
    print(f"\ndevice {result.device}: test accuracy {accuracy:.4f} (best epoch {result.best_epoch}) after "
          f"{total:.2f} s of training, {result.seconds:.2f} s of fit()"
          + (f"; val accuracy first >= {TARGET} after epoch {reached['epoch']}, {reached['training_seconds']:.2f} s "
             "of training" if reached else f"; val accuracy never reached {TARGET}"))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "device": result.device, "data": args.data, "epochs": args.epochs, "limit_train": args.limit_train,
            "cuda_graph": args.cuda_graph, "command": command, "test_accuracy": accuracy,
            "training_seconds": total, "fit_seconds": result.seconds, "val_reached": reached}, indent=2))


if __name__ == "__main__":
    main()
