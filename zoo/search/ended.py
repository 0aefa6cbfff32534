"""Trials a study holds as running whose worker has ended: told failed, their note saying why, so that no page or
summary counts them as running for good (Optuna's heartbeat does this for a server database only)."""
from __future__ import annotations

from pathlib import Path

import optuna


def fail_orphaned_trials(study: optuna.Study) -> list[int]:
    """Mark failed the study's trials still `running` whose run has ended or whose process is gone: a killed
    worker's. Optuna's heartbeat does this for a server database only; in the journal file or SQLite a killed
    search's trial stayed `running` for good, counted so in the next search's summary beside "finished", and, with
    TPE's constant liar, kept as a running point for ever (a CLI user's check). Its run was already marked `failed`
    (zoo/run_health.recover_interrupted); a trial whose run's process is alive, or not known, is left alone.
    Returns their numbers."""
    import json

    from zoo.run_health import _still_running
    from zoo.runs import RESULT

    if not Path("/proc/self/stat").exists():
        return []   # no /proc: a process cannot be told gone (zoo/run_health.py), so none is taken for dead
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        run_dir = trial.user_attrs.get("run_dir")
        try:
            result = json.loads((Path(run_dir) / RESULT).read_text()) if run_dir else None
        except (OSError, ValueError):
            result = None
        if result is None or _still_running(result.get("process")):
            continue   # not started writing, or its worker is alive (a run just ended, its value not yet told)
        reason = (result.get("reason") if result.get("status") == "failed" else None) or \
            "its worker stopped before the trial ended (killed), so its value was never told"
        if _fail_running_trial(study, trial, reason):
            failed.append(trial.number)
    return failed


def fail_trials_of_ended_workers(study: optuna.Study, jobs: list) -> list[int]:
    """Mark failed the trial each of these search workers (zoo.jobs jobs) was training when its job ended without
    telling it: killed, its node or its Ray cluster lost, or ended at the hosted demo's hard deadline. The Search page
    showed "Running 1" for such a trial until the study was joined again (`fail_orphaned_trials`, which cannot tell a
    run on another Ray node gone while this server lives). A worker tells its trial before its job ends (a Stop ends
    it `stopped`), so a trial still running after its job ended is one no one will tell. The job's state names its
    trial (`reduce_search`); the trial's note gives the job's reason. Returns their numbers."""
    ended = {job.state["trial"]: job for job in jobs if not job.active and job.state.get("trial") is not None}
    if not ended:   # (the page's every refresh: no storage read while its workers run)
        return []
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        job = ended.get(trial.number)
        if job is None:
            continue
        reason = f"its search worker ended before the trial did ({job.reason}), so its value was never told"
        if _fail_running_trial(study, trial, reason):
            failed.append(trial.number)
    return failed


def _fail_running_trial(study: optuna.Study, trial, reason: str) -> bool:
    """A running trial told failed, `reason` its note; False where another worker ended it first."""
    try:
        # Through the storage (Optuna 5.0's, pinned): study.tell would end it, but a finished trial's attributes
        # can no longer be set. Workers joining together may both find it: the second is told it has ended.
        study._storage.set_trial_user_attr(trial._trial_id, "result", {"status": "failed", "reason": reason})
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
    except optuna.exceptions.UpdateFinishedTrialError:
        return False
    return True
