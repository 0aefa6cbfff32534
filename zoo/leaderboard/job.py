"""A leaderboard as a job and as a run: `run_leaderboard` wraps `run_board` with its run directory
(zoo/runs.py's BoardWriter), `leaderboard_job` is the job target (`module:function(payload, emit,
should_stop) -> dict`, run in a worker by zoo/jobs.py), `reduce_board` folds its events into the
state the live leaderboard draws, and `submit_leaderboard` queues one for a visitor.
"""
from __future__ import annotations

import time
from typing import Callable

from zoo.leaderboard.spec import LeaderboardSpec

TARGET = "zoo.leaderboard.job:leaderboard_job"


def run_leaderboard(spec: LeaderboardSpec, *, runs_dir=None, run_id: str | None = None,
                    emit: Callable[[dict], None] | None = None,
                    should_stop: Callable[[], bool] | None = None, owner: str | None = None) -> dict:
    """The leaderboard with its run directory: leaderboard.json first, a candidate row as each ends,
    result.json at the end. Bad input (SpecError) raises before anything is written; a fault
    while running writes result.json with status `failed`, then re-raises."""
    import numpy as np

    from zoo.data.series import read_series, resolve_series_source
    from zoo.leaderboard.plan import make_plan
    from zoo.devices import software_versions
    from zoo.run_health import end_on_fault, end_on_quit, process_identity
    from zoo.runs import BoardWriter, runs_root

    from zoo import demo

    started = time.perf_counter()   # the budget counts the reading too
    spec.validate()
    demo.check_budget(spec.budget)
    if spec.device != "cpu":   # one this machine lacks: refused here, as `train` refuses it, not by every zoo model
        from zoo.devices import resolve_device   # failing in turn while the board picks among the others

        resolve_device(spec.device)
    sf = read_series(resolve_series_source(spec.data), target=spec.target, date_col=spec.date_col,
                     layout=spec.layout)   # bad data: refused
    # a series too short for it: refused, as bad data is, before a run directory is made (each refusal left
    # a `failed` board with a traceback: a CLI user's check)
    plan = make_plan(sf.frame[sf.target].to_numpy(np.float64), sf.freq, horizon=spec.horizon, season=spec.season,
                     test_share=spec.test_share, folds=spec.folds)
    emit = emit or (lambda event: None)
    writer = BoardWriter(runs_root(runs_dir), spec.to_dict(), run_id)
    # owner: a visitor (zoo/demo.py); process: so that a server that starts after this one was killed
    # marks the board failed, not `running` for ever (zoo/run_health.py)
    # started: in every result.json written, the last one too (Run.started; the Runs page's date)
    base = {"run_id": writer.run_id, "kind": "leaderboard", "owner": owner, "process": process_identity(),
            "versions": software_versions(), "started": time.time()}
    from zoo.runs import data_fingerprint

    if fingerprint := data_fingerprint(spec.data):   # the file as read: its page says if it changes after (runs.py)
        base["data_file"] = fingerprint
    try:   # (a disk that refuses result.json from here on ends the board as one that fails later does)
        writer.write_result({**base, "status": "running"})
        emit({"type": "run", "run_id": writer.run_id, "run_dir": str(writer.path)})
        from zoo.leaderboard.board import run_board

        summary = run_board(spec, writer=writer, emit=emit, should_stop=should_stop, sf=sf, plan=plan, started=started)
    except KeyboardInterrupt:
        raise end_on_quit(writer.path, "the candidates that finished are kept", emit, writer.run_id) from None
    except Exception as exc:
        files = end_on_fault(writer.path, base, exc, emit, writer.run_id)
        if files is not None:
            raise files from None
        raise
    summary = {**base, **summary, "run_dir": str(writer.path), "finished": time.time()}
    if summary["status"] == "stopped" and getattr(should_stop, "orphaned", lambda: False)():
        # zoo/worker.py: the server died and nobody asked to stop (a board that finished first stays
        # finished). Failed in this one last write, as zoo/engine.py's run_experiment does: a status
        # patched after a `stopped` write is lost if the process is killed in between.
        summary.update(status="failed", reason="the server that ran this leaderboard stopped while it ran; the "
                                                "candidates that finished are kept")
    writer.write_result(summary)
    emit({"type": "finished", **summary})
    return summary


def leaderboard_job(payload: dict, emit: Callable[[dict], None], should_stop: Callable[[], bool]) -> dict:
    """The job target: payload {"spec": LeaderboardSpec dict, "runs_dir", "run_id"}."""
    spec = LeaderboardSpec.from_dict(payload["spec"])
    return run_leaderboard(spec, runs_dir=payload.get("runs_dir"), run_id=payload.get("run_id"), emit=emit,
                           should_stop=should_stop, owner=payload.get("owner"))


def reduce_board(state: dict, event: dict) -> None:
    """Fold one leaderboard event into the state the live leaderboard reads."""
    kind = event.get("type")
    if kind == "run":
        state.update(run_id=event["run_id"], run_dir=event["run_dir"], status="running", started=time.time())
    elif kind == "plan":
        state.update(plan=event["plan"], planned=event["candidates"], budget=event["budget"],
                     target=event.get("target"))
    elif kind == "candidate_start":
        state.update(current=event["name"], current_since=time.time())
    elif kind == "candidate":
        state.setdefault("rows", []).append(event["row"])
        state["current"] = None
        state["elapsed"] = event.get("elapsed")
    elif kind == "finished":
        state["final"] = {k: v for k, v in event.items() if k != "type"}


def submit_leaderboard(manager, spec: LeaderboardSpec, *, owner: str = "local", runs_dir=None):
    """Queue a leaderboard job whose id is its run id (so `?run=<id>` works from the moment it is queued);
    on the hosted demo its budget and the visitor's room are checked first (zoo/demo.py)."""
    from zoo import demo
    from zoo.runs import new_board_id, runs_root

    spec.validate()
    demo.check_budget(spec.budget)
    demo.check_room(owner, runs_root(runs_dir))
    run_id = new_board_id()
    payload = {"spec": spec.to_dict(), "runs_dir": str(runs_root(runs_dir)), "run_id": run_id, "kind": "leaderboard",
               "task": "series", "owner": owner}
    return manager.submit(TARGET, payload, owner=owner, job_id=run_id, reducer=reduce_board)
