"""A run as one row of a list of runs: the Runs page's table (ui/compare.py) and the CLI's `runs` (zoo/cli/runs.py)
read the same record, so a status, a model or a score is said one way in both."""
from __future__ import annotations

import datetime as dt
import statistics

from zoo.runs import run_status, status_words
from zoo.verdict import learned_nothing, verdict_now


def run_record(run, job=None, mine: bool = False) -> dict:
    """One row of the runs table, plus what comparing needs (`spec`, `rows`). A search trial says
    its study and trial number; a series run, its normalised test MSE and MAE (the scores published
    tables use), an image run its test accuracy."""
    from zoo.forecast_io import display_name

    result = run.result
    stored = run_status(run.status, run.result)   # a pruned trial's "pruned"
    status = job.status if job is not None and job.active else stored
    rows = run.epoch_rows()
    metrics = run.test_scores   # none for the initial weights of a run that ended before its first epoch
    best_epoch = result.get("best_epoch")
    best = next((r for r in rows if r.get("epoch") == best_epoch), None)
    speeds = [r["samples_per_s"] for r in rows if r.get("samples_per_s")]
    when = run.started
    search = result.get("search") or {}
    model = run.spec.model
    if run.untrained:   # its "best" checkpoint is the initial weights: no epoch to name (the run's page says why)
        best_epoch = None
    if status == stored and not run.is_leaderboard and learned_nothing(verdict_now(run)) is not None:
        # A zero-init run at 8.40% read "finished" here, where its page warns that it learned nothing (a learner's
        # check): the verdict its page shows (zoo/verdict.verdict_now)
        status = f"{status_words(status)}, learned nothing useful"
    else:
        status = status_words(status)
    test_mase = metrics.get("mase")
    if run.is_leaderboard:   # one row for the whole leaderboard: how many it ranked of how many, its pick
        pick = result.get("pick") or {}
        if "ranking" in result:
            counts = f"{len(result['ranking'])} of {result.get('candidates', '?')} ranked"
        else:   # running, or ended without its summary (a killed server): the rows written so far
            rows_so_far = run.candidates()
            # not "of" the rows so far: "5 ranked of 5 so far" of a board of 16 candidates read as all of them (a
            # forecast user's check); the planned count is the job's, not the run directory's
            ranked = sum(r["status"] == "done" for r in rows_so_far)
            counts = f"{ranked} ranked" + (f", {len(rows_so_far) - ranked} not" if len(rows_so_far) > ranked else "") \
                + " so far"
        model = f"leaderboard ({counts})" + (f": {pick['label']}" if pick.get("label") else "")
        test_mase = pick.get("test_mase")
    return {
        "run": run.run_id,
        "status": status,
        "task": run.spec.task,
        "model": model,
        "data": display_name(run.spec.data, str(run.path.parent)),
        "study": f"{search['study']} #{search['trial']}" if search.get("study") else "",
        "epochs": "—" if run.is_leaderboard else f"{len(rows)}/{run.spec.epochs}",
        "best epoch": best_epoch,
        "best val loss": best["val_loss"] if best else None,
        "test accuracy": metrics.get("test_accuracy"),
        "test loss": metrics.get("test_loss"),
        "test MSE (norm.)": metrics.get("mse_norm"),
        "test MAE (norm.)": metrics.get("mae_norm"),
        "test MASE": test_mase,   # a series run's, a leaderboard's pick's: comparable between the two
        "samples/s": statistics.median(speeds) if speeds else None,   # of two epochs their mean, as labelled
        # In UTC, as the run's id: the server's local time, unlabelled, read as the visitor's (a browser check: a
        # server in Tokyo listed a run of 02:14Z as started 11:14)
        "started": dt.datetime.fromtimestamp(when, dt.timezone.utc) if when else None,
        "mine": mine,
        "owner": result.get("owner"),
        "spec": board_fields(run) if run.is_leaderboard else run.ran_with(),
        "rows": rows,
        "leaderboard": run.is_leaderboard,
        "path": str(run.path),
        **ran_on(result),
    }


def ran_on(result: dict) -> dict:
    """What a run's numbers came from beside its spec (result.json): the data file's contents, the device and CPU
    threads it trained on, the versions. Two runs of one spec compared on the Runs page were said to "train the
    same model" where the file had changed between them, or one had trained beside another job on fewer threads,
    and their numbers differed (a researcher's check). None where a run did not record it (older runs)."""
    return {"data sha256": (result.get("data_file") or {}).get("sha256"), "device": result.get("device"),
            "threads": tuple(result["threads"]) if result.get("threads") else None,
            "versions": result.get("versions")}


def board_fields(run) -> dict:
    """What a leaderboard is compared by (its column in `spec_diff`): its own settings, with the
    horizon and lookback it ran with (its plan's, where it chose them) and its pick. Not a training
    spec: it trained many models, each on its own recipe (the pick's is in its result.json), so the
    fields of one model's training (lr, epochs, ...) are left empty rather than shown at defaults."""
    plan = run.result.get("plan") or {}
    fields = {"task": "series", "model": "leaderboard",
              **{k: v for k, v in run.ran_with().items() if k != "extra"}}   # (a detected target: the column ranked)
    if not fields.get("models"):
        fields["models"] = "every default candidate"
    if not fields.get("horizon") and plan.get("horizon"):
        fields["horizon"] = plan["horizon"]
    if plan.get("lookback"):
        fields["lookback"] = plan["lookback"]
    if plan.get("folds") is not None:
        fields["folds"] = len(plan["folds"])
    pick = run.result.get("pick") or {}
    if pick.get("label"):
        fields["pick"] = pick["label"]
    # Its scores beside its settings: two boards compared showed "No curves" and the settings alone (a forecast
    # user's check); a board has no epochs, and its pick's scores are what it is compared by.
    scores = {"pick val MASE": pick.get("val_mase"), "pick test MASE": pick.get("test_mase"),
              "pick 80% cover": (run.result.get("coverage") or {}).get("80")}   # zoo/leaderboard/board.py's summary
    for name, value in scores.items():
        if value is not None:
            # coverage in points, as the board shows it (0.868 here beside 86.8% there: a forecast user's check)
            # and a MASE to three decimals as text, as the board shows it (0.75 beside its 0.750: a forecast user's)
            fields[name] = f"{100 * float(value):.1f}%" if "cover" in name else f"{float(value):.3f}"
    return fields
