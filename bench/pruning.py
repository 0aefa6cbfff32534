"""Pruning pays: the same 20-trial study with the median pruner and without pruning.

Both studies use TPE with the same sampler seed, the same data (loaded once) and the same settings;
only the pruner differs. Printed: trials pruned, epochs trained, wall time, best validation loss
(and the test accuracy of the best trial's run), and the time ratio. The table and the exact command
go to bench/results/pruning.md.

    python bench/pruning.py                       # mnist-sample, mlp, 20 trials of 6 epochs
    python bench/pruning.py --model cnn --trials 20 --epochs 6 --limit-train 2000
"""
from __future__ import annotations

import argparse
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zoo import search  # noqa: E402
from zoo.spec import ExperimentSpec  # noqa: E402

# Narrowed from the declarations to what trains in seconds on a laptop CPU; wide enough that some
# trials are clearly poor (tiny or large learning rates, SGD without enough steps) and get pruned.
SPACES = {
    "mlp": {"optimizer": None, "lr": "1e-4:1e-1", "batch_size": "32:256", "depth": "1:3", "width": "32:512",
            "dropout": "0:0.5"},
    "cnn": {"optimizer": None, "lr": "1e-4:1e-1", "batch_size": "32:256", "channels1": "4:16",
            "channels2": "8:32", "dropout": "0:0.5"},
}


def run(pruner: str, args, data, runs: Path) -> dict:
    spec = ExperimentSpec(data=args.data, model=args.model, epochs=args.epochs, limit_train=args.limit_train,
                          patience=0, seed=args.seed)
    config = search.SearchConfig(
        spec=spec, space=search.build_space(args.model, search=SPACES[args.model]), objective="val_loss",
        n_trials=args.trials, study=f"bench-{pruner}", storage=str(runs / "journal.log"), sampler="tpe",
        sampler_seed=args.seed, pruner=pruner, runs_dir=str(runs))
    epochs = []

    def count(event):
        if event["type"] == "trial_epoch":
            epochs.append(1)

    started = time.perf_counter()
    summary = search.run_search(config, data=data, emit=count)
    seconds = time.perf_counter() - started
    study = search.load_study(config.storage, config.study_name)
    best = study.best_trial
    return {"pruner": pruner, "trials": summary["n_trials"], "pruned": summary["trials"].get("PRUNED", 0),
            "failed": summary["trials"].get("FAIL", 0), "epochs": len(epochs), "seconds": seconds,
            "best": summary["best_value"], "best_trial": best.number,
            "test_accuracy": best.user_attrs["result"]["test_metrics"].get("test_accuracy")}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="mnist-sample")
    p.add_argument("--model", default="mlp", choices=sorted(SPACES))
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--limit-train", type=int, default=0, help="train on the first N images (0: all 4,500 - val)")
    p.add_argument("--seed", type=int, default=0, help="sampler seed and training seed, shared by both studies")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "pruning.md"))
    args = p.parse_args()

    from zoo.data import load_data

    data = load_data(ExperimentSpec(data=args.data, model=args.model, limit_train=args.limit_train, seed=args.seed))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-pruning-") as tmp:
        for pruner in ("none", "median"):
            rows.append(run(pruner, args, data, Path(tmp) / pruner))
            r = rows[-1]
            print(f"{pruner:6s}: {r['trials']} trials, {r['pruned']} pruned, {r['epochs']} epochs, "
                  f"{r['seconds']:.1f} s, best val_loss {r['best']:.4f}", file=sys.stderr, flush=True)
    none, median = rows
    ratio = none["seconds"] / median["seconds"]
    header = ("| pruner | trials | pruned | failed | epochs trained | wall time (s) | best val loss | "
              "test acc. of best |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    lines = [f"| {r['pruner']} | {r['trials']} | {r['pruned']} | {r['failed']} | {r['epochs']} | "
             f"{r['seconds']:.1f} | {r['best']:.4f} (trial {r['best_trial']}) | {r['test_accuracy']:.3f} |" for r in rows]
    summary = (f"Median pruning: {median['pruned']} of {median['trials']} trials pruned, "
               f"{median['epochs']} epochs trained instead of {none['epochs']}, "
               f"**{ratio:.2f}x faster** ({none['seconds']:.1f} s -> {median['seconds']:.1f} s); "
               f"best val loss {median['best']:.4f} with pruning, {none['best']:.4f} without.")
    table = "\n".join([header, *lines])
    print(table)
    print(summary)
    import torch

    command = "python bench/pruning.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    import os

    machine = (f"{platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, torch "
               f"{torch.__version__}, Python {platform.python_version()}; load average at the end "
               f"{os.getloadavg()[0]:.1f} (other work on the machine makes both wall times longer)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        "## Hyperparameter search: median pruning\n\n"
        f"A {args.trials}-trial TPE study (sampler seed {args.seed}) of `{args.model}` on `{args.data}`, "
        f"{args.epochs} epochs per trial, searching {', '.join(SPACES[args.model])}; once without pruning, "
        "once with Optuna's median pruner (a trial stops after an epoch whose validation loss is worse than "
        "the median of the earlier trials at that epoch, from the 6th trial on). Same data, seeds and "
        "settings; only the pruner differs. Wall time includes each trial's run directory and the journal "
        "storage.\n\n"
        f"```\n{command.strip()}\n```\n\n{table}\n\n{summary}\n\nMachine: {machine}.\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
