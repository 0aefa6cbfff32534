"""`python -m zoo train ...`: train one model and record the run."""
from __future__ import annotations

import sys

from zoo.runs import status_words
from zoo.verdict import learned_nothing
from zoo.cli.common import (add_spec_arguments, progress_printer, refuse_unused, run_ended, spec_and_data,
                            spec_from_args)


STOPPABLE = True   # Ctrl-C asks the run to stop (zoo/cli/common.py StopOnInterrupt)


def add_arguments(p) -> None:
    add_spec_arguments(p)
    p.add_argument("--dry-run", action="store_true",
                   help="one epoch on two batches (or on --limit-train samples where fewer), to check that it runs")


def run(args) -> dict:
    spec = spec_from_args(args)
    refuse_unused(spec)
    spec, data = spec_and_data(spec, args, say_the_pages=True)   # the data, then the engine

    from zoo.engine import run_experiment

    result = run_experiment(spec, runs_dir=args.runs_dir, data_dir=args.data_dir, callback=progress_printer, data=data,
                            should_stop=getattr(args, "should_stop", None))   # Ctrl-C (zoo/cli/common.py)
    run_ended(args, result.summary())
    verdict = result.extra.get("verdict") or {}
    if learned_nothing(verdict) is not None:
        # As the pages say it, a warning and not a success: a short CSV's run of 5 steps ended "finished:
        # completed all 5 epochs" with a test MASE of 4.1, worse than every baseline (a forecast user's check).
        # in the run's own status word (a run stopped after 1 of 30 epochs had read "finished, but": a CLI user's check)
        print(f"warning: {status_words(result.status)}, but it learned nothing useful: {verdict.get('message', '')}. "
              f"Likely cause: {verdict.get('cause', '')}.", file=sys.stderr, flush=True)
    if result.run_dir is not None:
        # As forecast-auto says it (train had said no command: a CLI user's check); a CSV by its absolute path
        # (common.data_arg), so that the command runs from any folder.
        from zoo.runs import load_run, reproduce_caveat

        run = load_run(result.run_dir)
        print(f"reproduce with: {run.command()}", file=sys.stderr, flush=True)
        caveat = reproduce_caveat(run.result, leaderboard=False, data=run.data)
        if caveat:
            print(f"note: {caveat}", file=sys.stderr, flush=True)
    return result.summary()
