"""`python -m zoo forecast-auto --data X.csv [--horizon H] [--budget SECONDS] --json`: the best
forecast of a series, picked on rolling-origin validation from every model of the zoo, the
baselines and the classical peers (zoo/leaderboard/). One line per candidate on stderr as it ends;
the leaderboard is one run directory (its settings, candidates.csv, the pick's forecast)."""
from __future__ import annotations

import sys

from zoo.cli.common import JobFailed, data_arg, default_said, run_ended, say_coverage, say_data_notes
from zoo.leaderboard.spec import LeaderboardSpec, flag, settings
from zoo.registry import SpecError


STOPPABLE = True   # Ctrl-C asks the run to stop (zoo/cli/common.py StopOnInterrupt)


def add_arguments(p) -> None:
    p.add_argument("--data", required=True, help="a CSV path, or ETTh1 for the bundled sample")
    for h in settings():
        p.add_argument(flag(h.name), dest=h.name, default=None, metavar=h.kind.upper(),
                       help=(f"{h.help} ({default_said(h)})" if default_said(h) else h.help).replace("%", "%%"))
    p.add_argument("--runs-dir", default=None, help="run store (default: $PLAYGROUND_RUNS_DIR or ./runs)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")


def spec_from_args(args) -> LeaderboardSpec:
    from zoo.data.images import IMAGE_DATASETS

    if args.data in IMAGE_DATASETS:   # it said "file 'mnist-sample' does not exist" (a CLI user's check)
        raise SpecError(f"{args.data} is an image dataset; forecast-auto forecasts a series: give --data a CSV, or "
                        "ETTh1 for the bundled one.")
    fields = {"data": data_arg(args.data)}
    for h in settings():
        value = getattr(args, h.name, None)
        if value is not None:
            fields[h.name] = h.check(value)
    return LeaderboardSpec(**fields).validate()


def _printer(event: dict) -> None:
    kind = event["type"]
    if kind == "plan":
        # what reading the CSV found, first, as `train` says it before it trains (said after the whole board, a
        # target the reader chose was named only once the minutes were spent: a CLI user's check)
        say_data_notes(event.get("data_notes") or [])
        plan = event["plan"]
        print(f"{len(event['candidates'])} candidates, horizon {plan['horizon']}, period {plan['period']}, lookback "
              f"{plan['lookback']}, {len(plan['folds'])} fold{'' if len(plan['folds']) == 1 else 's'} "
              f"({plan['val_origins']} validation origins), "
              f"{plan['test_origins']} test origins, budget {event['budget']:g} s", file=sys.stderr, flush=True)
    elif kind == "candidate":
        r = event["row"]
        if r["status"] == "done":
            print(f"{r['name']:16s} val MASE {_f(r.get('val_mase'))}  test MASE {_f(r.get('test_mase'))}  "
                  f"{r['seconds']:.1f} s", file=sys.stderr, flush=True)
        else:
            print(f"{r['name']:16s} {r['status']}: {r.get('note', '')}", file=sys.stderr, flush=True)


def _f(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def run(args) -> dict:
    from zoo.leaderboard.job import run_leaderboard

    spec = spec_from_args(args)
    summary = run_leaderboard(spec, runs_dir=args.runs_dir, emit=_printer,
                              should_stop=getattr(args, "should_stop", None))   # Ctrl-C (zoo/cli/common.py)
    run_ended(args, summary)
    if summary["status"] == "failed":   # exit 1 and its error line, as a search none of whose trials gave a value
        # (README's exit codes): it had exited 0 with "failed" in its JSON alone (a CLI user's check)
        raise JobFailed(f"{summary.get('reason') or 'the leaderboard failed'}; run {summary['run_id']} in "
                        f"{summary['run_dir']} keeps what it wrote", run_id=summary["run_id"],
                        run_dir=summary["run_dir"])
    # the board's own notes: why the pick is not the top row, an interval left out (kept to result.json before: an
    # ensemble picked under AutoARIMA's lower validation MASE had no word here, a CLI user's check)
    say_data_notes(summary.get("notes") or [])
    from zoo.runs import load_run, reproduce_caveat

    command, caveat = load_run(summary["run_dir"]).command(), reproduce_caveat(summary, leaderboard=True)
    if args.json:   # on stderr, as `train` says it (with --json, forecast-auto said no command: a CLI user's check)
        print(f"reproduce with: {command}", file=sys.stderr, flush=True)
        if caveat:
            print(f"note: {caveat}", file=sys.stderr, flush=True)
    else:
        pick = summary.get("pick") or {}
        print(f"{summary['status']}: {summary.get('reason', '')}")
        print(f"run {summary['run_id']} in {summary['run_dir']}; reproduce with: {command}")
        if caveat:
            print(caveat)
        if pick:
            print(f"pick: {pick['label']} (test MASE {_f(pick.get('test_mase'))})")
    if summary.get("pick"):   # as train says its own (the pick's 80% interval covering 56% had been in the JSON alone)
        say_coverage(summary, (summary.get("plan") or {}).get("val_origins"), "origins")
        from zoo.leaderboard.scoring import baseline_beat_the_pick

        beaten = baseline_beat_the_pick(summary)
        if beaten:
            print(f"warning: {beaten}", file=sys.stderr, flush=True)
    return summary


__all__ = ["add_arguments", "run", "spec_from_args", "SpecError"]
