"""`python -m zoo train ...`: train one model and record the run."""
from __future__ import annotations

from zoo.cli.common import add_spec_arguments, progress_printer, spec_from_args


STOPPABLE = True   # Ctrl-C asks the run to stop (zoo/cli/common.py StopOnInterrupt)


def add_arguments(p) -> None:
    add_spec_arguments(p)
    p.add_argument("--dry-run", action="store_true", help="one epoch on two batches, to check that it runs")


def run(args) -> dict:
    from zoo.data import load_data

    spec = spec_from_args(args)
    # The data, then the engine: an error in the data is reported before the engine's imports.
    data = load_data(spec, args.data_dir)

    from zoo.engine import run_experiment

    result = run_experiment(spec, runs_dir=args.runs_dir, data_dir=args.data_dir, callback=progress_printer, data=data,
                            should_stop=getattr(args, "should_stop", None))   # Ctrl-C (zoo/cli/common.py)
    return result.summary()
