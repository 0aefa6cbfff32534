"""`python -m zoo train ...`: train one model and record the run."""
from __future__ import annotations

from zoo.cli.common import add_spec_arguments, progress_printer, spec_from_args


def add_arguments(p) -> None:
    add_spec_arguments(p)
    p.add_argument("--dry-run", action="store_true", help="one epoch on two batches, to check that it runs")


def run(args) -> dict:
    from zoo.engine import run_experiment

    spec = spec_from_args(args)
    result = run_experiment(spec, runs_dir=args.runs_dir, data_dir=args.data_dir, callback=progress_printer)
    return result.summary()
