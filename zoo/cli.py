"""`python -m zoo models|train|search|summary|gradcam ...`: the library's operations, headless.

Contract (DESIGN.md): with --json the last line of stdout is one JSON object; exit 0 on success,
exit 2 on bad input with one line `error: ...` on stderr and no traceback, exit 1 only for a
fault of the program itself.

Each subcommand lives where its logic does: a module that offers a subcommand defines
`add_cli_arguments(parser)` and `run_cli(args) -> dict`; only the module asked for is imported,
so `models` does not pay for importing optuna.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback

from zoo.registry import SpecError

SUBCOMMANDS = {
    "models": ("zoo.cli", "list the models with their hyperparameters, defaults and ranges"),
    "train": ("zoo.cli", "train one model and record the run"),
    "search": ("zoo.search", "search hyperparameters with Optuna"),
    "summary": ("zoo.inspect", "layer-by-layer summary of a configured model"),
    "gradcam": ("zoo.explain", "Grad-CAM heatmap of a trained image model"),
}


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one `error:` line (exit 2) instead of printing usage."""

    def error(self, message):
        raise UsageError(f"{message}; see `python -m zoo {self.prog.split()[-1]} --help`.")


# ---------------------------------------------------------------- shared flags (train, search, summary)

def add_spec_arguments(p: argparse.ArgumentParser, *, training: bool = True) -> None:
    """Flags that make an ExperimentSpec. Their ranges are not enforced here: any valid value goes."""
    from zoo.spec import ExperimentSpec

    p.add_argument("--data", default="mnist-sample",
                   help="mnist-sample (bundled, default), mnist, fashion-mnist; or a CSV path, or ETTh1 (bundled), for a series")
    p.add_argument("--model", default=None, help="model name (see `python -m zoo models`); default cnn / linear")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a model hyperparameter, checked against its declared range (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="seed for weights, split and shuffling")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N, mps")
    p.add_argument("--data-dir", default=None, help="where torchvision datasets live (default: $PLAYGROUND_DATA "
                                                      "or ~/.cache/torch-playground)")
    p.add_argument("--runs-dir", default=None, help="run store (default: $PLAYGROUND_RUNS_DIR or ./runs)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    series = p.add_argument_group("series (CSV) data")
    series.add_argument("--target", default=None, help="target column (default: the last numeric column)")
    series.add_argument("--date-col", default=None, help="date column (default: detected)")
    series.add_argument("--lookback", type=int, default=96, help="input window length L")
    series.add_argument("--horizon", type=int, default=24, help="steps to forecast H")
    series.add_argument("--features", default="target", choices=("target", "all"),
                        help="target: univariate input; all: every numeric column")
    series.add_argument("--split", default="0.7,0.1,0.2", help="train,val,test shares, or ett")
    series.add_argument("--season", type=int, default=0, help="seasonal period for the baselines (0: detect)")
    if not training:
        return
    d = ExperimentSpec()
    t = p.add_argument_group("training")
    t.add_argument("--epochs", type=int, default=d.epochs)
    t.add_argument("--batch-size", type=int, default=d.batch_size)
    t.add_argument("--lr", type=float, default=d.lr, help="learning rate (any positive value)")
    t.add_argument("--optimizer", default=d.optimizer, help="adam, adamw or sgd")
    t.add_argument("--momentum", type=float, default=d.momentum, help="SGD momentum")
    t.add_argument("--weight-decay", type=float, default=d.weight_decay)
    t.add_argument("--schedule", default=d.schedule, help="none, cosine or step")
    t.add_argument("--init", default=d.init, help="default, xavier_uniform, xavier_normal, kaiming_uniform, "
                                                      "kaiming_normal, orthogonal, normal, zeros")
    t.add_argument("--precision", default=d.precision, help="fp32, fp64, bf16 or fp16 (CUDA only)")
    t.add_argument("--patience", type=int, default=d.patience, help="early-stopping patience in epochs (0: off)")
    t.add_argument("--min-delta", type=float, default=d.min_delta, help="smallest improvement that counts")
    t.add_argument("--monitor", default=d.monitor, help="val_loss or val_metric")
    t.add_argument("--val-fraction", type=float, default=d.val_fraction, help="image task: share held out for validation")
    t.add_argument("--divergence-factor", type=float, default=d.divergence_factor,
                   help="a loss this many times the first batch's loss ends the run as diverged")
    t.add_argument("--limit-train", type=int, default=d.limit_train, help="train on the first N samples only (0: all)")
    t.add_argument("--dry-run", action="store_true", help="one epoch on two batches, to check that it runs")


def is_series_data(data: str) -> bool:
    from zoo.data.series import SAMPLE_NAMES  # names of the bundled series, e.g. ETTh1

    lowered = data.strip().lower()
    return lowered in SAMPLE_NAMES or lowered.endswith((".csv", ".tsv", ".txt")) or "/" in data or "\\" in data


def parse_sets(model: str, assignments: list[str], task: str) -> dict:
    """`--set key=value` pairs, coerced and checked against the model's declared ranges."""
    from zoo.registry import get_model

    declared = {h.name: h for h in get_model(model, task).hparams()}
    params = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SpecError(f"--set {item!r} is not KEY=VALUE; write it like --set hidden_size=64.")
        if key not in declared:
            raise SpecError(f"model {model!r} has no hyperparameter {key!r}; it has {', '.join(declared) or 'none'}.")
        params[key] = declared[key].check(value.strip())
    return params


def spec_from_args(args) -> "ExperimentSpec":
    from zoo.spec import ExperimentSpec

    task = "series" if is_series_data(args.data) else "image"
    model = args.model or ("cnn" if task == "image" else "linear")
    fields = dict(task=task, data=args.data, model=model, model_params=parse_sets(model, args.set, task),
                  seed=args.seed, device=args.device, target=args.target, date_col=args.date_col,
                  lookback=args.lookback, horizon=args.horizon, features=args.features, split=args.split,
                  season=args.season)
    for name in ("epochs", "batch_size", "lr", "optimizer", "momentum", "weight_decay", "schedule", "init",
                 "precision", "patience", "min_delta", "monitor", "val_fraction", "divergence_factor", "limit_train"):
        if hasattr(args, name):
            fields[name] = getattr(args, name)
    spec = ExperimentSpec(**fields)
    if getattr(args, "dry_run", False):
        spec = spec.replace(epochs=1, limit_train=2 * spec.batch_size)
    return spec.validate()


def progress_printer(event: dict) -> None:
    """One line per epoch on stderr."""
    if event["type"] == "start":
        sizes = event["sizes"]
        print(f"device {event['device']}: train {sizes['train']}, val {sizes['val']}, test {sizes['test']}, "
              f"{event['batches_per_epoch']} batches per epoch", file=sys.stderr, flush=True)
    elif event["type"] == "epoch":
        mark = " *" if event.get("improved") else ""
        print(f"epoch {event['epoch']:3d}  train_loss {event['train_loss']:.4f}  val_loss {event['val_loss']:.4f}  "
              f"val_metric {event['val_metric']:.4f}  lr {event['lr']:.3g}  {event['seconds']:.1f}s  "
              f"{event['samples_per_s']:.0f} samples/s{mark}", file=sys.stderr, flush=True)
    elif event["type"] == "finished":
        print(f"{event['status']}: {event.get('reason', '')}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- models and train

def add_cli_arguments(p: argparse.ArgumentParser, command: str) -> None:
    if command == "models":
        p.add_argument("--task", choices=("image", "series"), default=None)
        p.add_argument("--json", action="store_true")
    else:
        add_spec_arguments(p)


def run_models(args) -> dict:
    from zoo.registry import describe_models

    models = describe_models(args.task)
    if not args.json:
        for m in models:
            print(f"{m['name']:12s} [{', '.join(m['tasks'])}]  {m['summary']}")
            for h in m["hyperparameters"]:
                rng = (f"[{h['low']:g}, {h['high']:g}]{' log' if h['log'] else ''}" if "low" in h
                       else "{" + ", ".join(map(str, h["choices"])) + "}" if "choices" in h else "bool")
                print(f"    {h['name']:16s} default {h['default']!s:10s} {rng:22s} {h['help']}")
    return {"models": models}


def run_train(args) -> dict:
    from zoo.engine import run_experiment

    spec = spec_from_args(args)
    result = run_experiment(spec, runs_dir=args.runs_dir, data_dir=args.data_dir, callback=progress_printer)
    return {k: v for k, v in result.summary().items()}


# ---------------------------------------------------------------- entry point

def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = Parser(prog="python -m zoo", description="The PyTorch playground, headless.")
    top.add_argument("command", choices=list(SUBCOMMANDS), help="; ".join(f"{k}: {v[1]}" for k, v in SUBCOMMANDS.items()))
    try:
        if not argv or argv[0] in ("-h", "--help"):
            top.print_help()
            return 0 if argv else 2
        command = argv[0]
        if command not in SUBCOMMANDS:
            raise UsageError(f"unknown command {command!r}; use one of {', '.join(SUBCOMMANDS)}.")
        module = importlib.import_module(SUBCOMMANDS[command][0])
        parser = Parser(prog=f"python -m zoo {command}", description=SUBCOMMANDS[command][1])
        if module.__name__ == "zoo.cli":
            add_cli_arguments(parser, command)
            runner = run_models if command == "models" else run_train
        else:
            module.add_cli_arguments(parser)
            runner = module.run_cli
        args = parser.parse_args(argv[1:])
        result = runner(args)
    except (SpecError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a fault of the program itself: say so, with the traceback for a bug report
        traceback.print_exc()
        print(f"error: internal error ({type(exc).__name__}: {exc}); please report it with the traceback above.",
              file=sys.stderr)
        return 1
    if getattr(args, "json", False):
        print(json.dumps(result, default=_json_default))
    return 0


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    return str(value)
