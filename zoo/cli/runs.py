"""`python -m zoo runs [--runs-dir DIR] [--task image|series] [--json]`: the runs, newest first, each as the Runs
page lists it (zoo/run_records.run_record: its status, model, data, epochs and test scores)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from zoo.registry import TASKS, SpecError

# what a script reads of each run: the Runs page's columns, the run's folder and the settings it ran with
FIELDS = ("run", "status", "task", "model", "data", "study", "epochs", "best epoch", "best val loss", "test accuracy",
          "test loss", "test MSE (norm.)", "test MAE (norm.)", "test MASE", "samples/s", "started", "owner")


def add_arguments(parser) -> None:
    parser.add_argument("--runs-dir", default=None, help="where the runs are (default: $PLAYGROUND_RUNS_DIR or ./runs)")
    parser.add_argument("--task", choices=tuple(TASKS), default=None, help="only the runs of this task")
    parser.add_argument("--json", action="store_true",
                        help="print the runs as one JSON object on the last line: {runs_dir, runs: [...], "
                             "unreadable: [...]}, each run with its stored status (state), its folder (run_dir) and "
                             "the settings it ran with (spec); unreadable: the folders that hold a run's files but "
                             "cannot be read, each with why")


def score(record: dict) -> str:
    """The score a run is read by in one line: an image run's test accuracy, a series run's or a leaderboard's
    pick's test MASE (else its normalised MAE), as the Runs page's columns name them."""
    if record.get("test accuracy") is not None:
        return f"test accuracy {100 * record['test accuracy']:.2f}%"
    if record.get("test MASE") is not None:
        return f"test MASE {record['test MASE']:.3f}"
    if record.get("test MAE (norm.)") is not None:
        return f"test MAE (norm.) {record['test MAE (norm.)']:.4f}"
    return "no test score"


def run(args) -> dict:
    from zoo.run_health import end_if_gone
    from zoo.run_records import run_record
    from zoo.runs import list_runs, load_run, run_status, runs_root, unreadable_runs

    root = runs_root(args.runs_dir)
    if args.runs_dir is not None and not Path(root).is_dir():   # a mistyped folder is not "no runs"
        raise SpecError(f"--runs-dir {args.runs_dir} is not a folder; give the folder the runs were written to.")
    if Path(root).exists() and not Path(root).is_dir():   # PLAYGROUND_RUNS_DIR's, or ./runs: "internal error" (a
        # storage-faults check)
        named = " (PLAYGROUND_RUNS_DIR)" if os.environ.get("PLAYGROUND_RUNS_DIR") else ""
        raise SpecError(f"the runs directory {root}{named} is not a folder; "
                        + ("set it to" if named else "give --runs-dir") + " the folder the runs were written to"
                        + (", or give --runs-dir." if named else "."))
    records, every = [], list_runs(root)
    for found in every:
        if args.task is not None and found.spec.task != args.task:
            continue
        try:   # one whose command was killed says so (failed), as the Runs page does, not `running` for good
            found = load_run(found.path) if end_if_gone(found) else found
        except OSError:
            pass   # a runs directory it may not write: listed as it is
        record = run_record(found)
        records.append({**{k: record[k] for k in FIELDS}, "started": record["started"] and record["started"].isoformat(),
                        # the stored status for a script to compare ("status" is the page's words: "finished,
                        # learned nothing useful"; a review)
                        "state": run_status(found.status, found.result),
                        "run_dir": record["path"], "leaderboard": record["leaderboard"], "spec": record["spec"]})
    # A run that cannot be read is named, not left out without a word (a spec.json edited by hand, say)
    unreadable = [{"folder": name, "reason": why}
                  for name, why in unreadable_runs(root, readable={r.run_id for r in every})]
    for folder in unreadable:
        print(f"note: {Path(root) / folder['folder']} holds a run's files but cannot be read ({folder['reason']}); "
              "it is not listed, and left as it is.", file=sys.stderr)
    if not args.json:
        if not records:
            print(f"no {args.task + ' ' if args.task else ''}runs in {root}")
        for r in records:
            study = f" · {r['study']}" if r["study"] else ""
            epochs = "" if r["leaderboard"] else f" · {r['epochs']} epochs"
            print(f"{r['run']}  {r['status']} · {r['model']} on {r['data']}{epochs}{study} · {score(r)}")
    return {"runs_dir": str(root), "runs": records, "unreadable": unreadable}
