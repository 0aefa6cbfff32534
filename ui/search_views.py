"""The Search page's live view of a study: its trial table and Optuna's figures, refreshed while its
workers run, what each worker does, and an error when they all failed. (The set-up is
ui/search_setup.py.)

The live view reads the study from its storage (not from the job's events), so it shows the
same thing for a study this page started, one started by `python -m zoo search` workers on other
machines, and one attached to later. Figures keep a fixed plotly `uirevision` and stable keys, so
a refresh with new trials keeps the user's zoom.
"""
from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import streamlit as st

from ui.compare import ACCURACY_FORMAT
from ui.form import metrics_row
from ui.live import format_duration
from ui.state import QUESTION, button_pressed, fragment, is_local, runs_dir
from ui.text import code, plain
from zoo.registry import SpecError, format_percent, refusal
from zoo.runs import exists
from zoo.search import (FIGURES, MEDIAN_STARTUP_TRIALS, SearchConfig, best_spec, display_storage,
                        fail_trials_of_ended_workers, few_trials_note, in_percent, load_study, objective_label,
                        open_storage, study_figures, study_summary, submit_search, trials_frame)
from zoo.search.storage import StorageLost, answering, is_masked

REFRESH_S = 2.0


# ------------------------------------------------------------------ storage handles


# What the page says after "the study's storage ... stopped answering (...)" (zoo/search/storage.answering)
READ_AGAIN = ("its trials are kept there; this page reads it again every few seconds while a search runs, or when "
              "reloaded")


@st.cache_resource(show_spinner=False, max_entries=64)
def _storage(url: str, first_line: bytes | None = None):
    """One storage object per URL for the server: a journal is replayed incrementally, a database
    keeps its connection pool. `first_line`: a journal file's, which names the process that made it (Optuna's worker
    id, a uuid): a file deleted and written again (the demo's sweep, a visitor's Delete all my data) is another,
    which a handle replaying the old one past the logs it had read would not see (a review). (Not the inode: Linux
    gives the new file the one just freed.)"""
    return open_storage(url)


def opened(url: str):
    """The server's storage object for `url` (`_storage`), for a journal file that exists (looking creates none)."""
    import os

    from zoo.search.storage import is_url

    if is_url(url):
        return _storage(url)
    with open(os.path.expanduser(url), "rb") as journal:
        return _storage(url, journal.readline(512))


def load(target: dict):
    """The target's study; SpecError where there is none, or where its storage does not answer (a database gone)."""
    from zoo.search.storage import no_journal_yet

    if no_journal_yet(target["storage"]):   # (SpecError: no study yet; the file is not created by looking)
        return load_study(target["storage"], target["study"])
    with answering(target["storage"], then=READ_AGAIN):
        try:
            backend = opened(target["storage"])
        except FileNotFoundError:   # deleted just now
            return load_study(target["storage"], target["study"])
        return load_study(target["storage"], target["study"], opened=backend)

def start(manager, owner: str, config: SearchConfig, workers: int) -> dict:
    jobs = submit_search(manager, config, owner=owner, workers=workers)
    return {"storage": config.storage_url, "study": config.study_name, "jobs": [j.id for j in jobs]}

# ------------------------------------------------------------------ the live view


def job_lines(manager, job_ids: list[str]) -> tuple[list[str], bool]:
    lines, active = [], False
    for job_id in job_ids:
        job = manager.get(job_id)
        if job is None:
            continue
        snap = job.snapshot()
        state = snap["state"]
        active = active or job.active
        if snap["status"] == "queued":
            # with why, as a queued run says it (ui/live.not_yet_running): the position alone left a visitor to guess
            text = "queued: " + (manager.describe_wait(job_id) or f"position {manager.queue_position(job_id)}")
        elif job.active:
            text = (manager.describe_wait(job_id) or "starting") if "trial" not in state else \
                f"trial {state['trial']}, epoch {state.get('epoch', 0)}/{state.get('epochs', '?')}"
            text += f" · {_worker_plan(job.payload, state.get('done', 0))}"
            if snap["stop_requested"]:
                text += ", stopping"
            elif snap["where"] and is_local():   # a pid or a Ray node: for the server's owner, not the demo's visitors
                text += f" · {snap['where']}"
        else:   # "stopped by request", not "stopped: stopped by request" (a learner's check)
            status, reason = snap["status"], snap["reason"] or ""
            text = reason if reason.startswith(f"{status} ") else f"{status}: {reason}" if reason else status
        lines.append(f"worker {job_id.rsplit('-', 1)[-1]}: {text}")
    return lines, active


def _worker_plan(payload: dict, done: int) -> str:
    """'3 of 10 trials done, time budget 5 min': how far a running worker is through what it was asked for (the
    page showed the trials so far with nothing to say how many would come)."""
    config = payload["config"]
    asked = f"{done} of {config['n_trials']} trial(s) done" if config.get("n_trials") else f"{done} trial(s) done"
    if config.get("timeout"):
        asked += f", time budget {format_duration(config['timeout'])}"
    return asked


def live_view(manager, target: dict, active: bool) -> None:
    """Trial table and figures of the study, refreshed every few seconds while its jobs run.

    `active` is what the page read once for this run (`is_active`), the same value its Stop button
    was drawn with. Reading it again here could find the jobs ended in between: the page would then
    stop refreshing with Stop still enabled. With the page's value, the first refresh that finds the
    jobs ended reruns the whole page, which draws both anew.

    A study no job of this server runs, with trials running (workers on the command line, on other machines, another
    server's) is followed too, until none runs: attached, it had stayed as it was while they filled it (a check of a
    lab sharing a study on PostgreSQL)."""
    counts = None if active else trial_counts(manager, target)
    elsewhere = counts[1] if counts else 0
    if counts is not None and not elsewhere:
        _watch_for_workers(manager, target, counts)
    if elsewhere:
        st.caption(f":material/sync: {elsewhere} trial(s) of this study are running in workers this page did not "
                   "start (another tab, the command line, another machine): the page follows them until none runs. A "
                   "worker on another machine killed outright leaves its trial marked running: in a server database "
                   "(PostgreSQL), Optuna fails it once another worker starts a trial two minutes or more after; "
                   "this machine's are failed here as soon as their process is gone.")
    live = (active or bool(elsewhere)) and st.toggle(
        "Live updates", value=True, key="search_live",
        help="Pause them to zoom into a plot: Streamlit draws a chart whose data changed as a new chart, at full "
             "view, so a refresh with new trials resets the zoom.")

    @fragment(run_every=REFRESH_S if live else None)
    def _live():
        lines, still_active = job_lines(manager, target.get("jobs", []))
        if active and not still_active:
            st.rerun(scope="app")  # the jobs ended: redraw the whole page (buttons, no more refresh)
        failed = workers_failed(manager, target.get("jobs", []))
        if failed:
            st.error(plain(failed), icon=":material/error:")   # a worker's reason may quote a column's name
        try:
            with answering(target["storage"], then=READ_AGAIN):   # a database gone: a sentence, not a traceback
                study = load(target)
                _fail_trials_of_ended_workers(manager, target, study)
                trials = study.get_trials(deepcopy=False)
        except SpecError as exc:   # its message names the storage and its studies: not on the hosted demo
            st.warning(str(exc) if is_local() or isinstance(exc, StorageLost) else
                       f"There is no study named {code(target['study'])} on this demo any more.")
            return
        hide = st.session_state.get("search_hide_pruned", False)
        chosen = st.session_state.get("search_plot_params", [])
        # Figures first, from the same snapshot as the table: the page then updates in one go
        # instead of showing a new table above the previous refresh's figures.
        figures = _study_figures(study, trials, hide, chosen)
        summary = study_summary(study, trials)   # the tiles of the table's snapshot
        states = Counter(summary["outcomes"])   # the table's words (report.trial_state): diverged and stopped apart
        if elsewhere and not states["running"]:
            st.rerun(scope="app")  # the other workers' trials ended: redraw the page, which stops following them
        cols = metrics_row(6)
        cols[0].metric("Trials", len(trials))
        cols[1].metric("Complete", states["complete"])
        cols[2].metric("Pruned", states["pruned"], help="stopped early by the pruner: the median pruner stops a trial "
                                                        "worse than the median of the finished trials at the same epoch "
                                                        f"(none until {MEDIAN_STARTUP_TRIALS} trials have finished); "
                                                        "hyperband, one not in the best third of its bracket")
        cols[3].metric("Running", states["running"])
        # the tiles add up to the trials (a stopped trial had been in the count and in no tile: a browser check)
        others = sum(states[k] for k in ("diverged", "stopped", "failed"))
        cols[4].metric("Ended otherwise", others, help="diverged, stopped by request or failed: each trial's note in "
                                                       "the table says why; none of them is ranked")
        best = summary["best_value"]
        percent = in_percent(_objective(study))
        cols[5].metric(f"Best {_objective(study)}", "-" if best is None else format_percent(best) if percent else
                       f"{best:.4f}",
                       help=None if best is None else f"the best of the complete trials: trial {summary['best_trial']}, "
                                                      f"run {summary['best_run_id']}")
        if best is not None and summary.get("best_run_id") and not exists(summary["best_run_id"], runs_dir()):
            # its run deleted on the Runs page: the study read as before, with no word (a learner's check)
            st.caption(f":material/info: The best trial's run, {code(summary['best_run_id'])}, is not in this server's "
                       "runs directory (deleted, or written on another machine): Train with best trains its settings "
                       "again.")
        if summary["best_learned_nothing"] is not None:
            # "Best val loss 14.8171" of a trial at chance, with Train with best beside it (a learner's check)
            st.warning(f"The best trial so far learned nothing useful: {summary['best_learned_nothing']}. Train with "
                       "best would do the same: run more trials, or search other ranges (a lower learning rate, "
                       "another init).", icon=":material/warning:")
        if lines:
            st.caption(" · ".join(lines))
        ended = [f"{states[k]} {k}" for k in ("diverged", "stopped", "failed") if states[k]]
        if ended:
            st.caption(f"{', '.join(ended)}: each trial's note says why.")
        hide = st.toggle("Hide pruned and diverged trials", key="search_hide_pruned",
                         help="From the table and the figures: trials the pruner stopped, and those that diverged "
                              "(Optuna prunes both; a diverged trial with the worst value, so that the sampler "
                              "avoids its settings). Stopped and failed trials stay.")
        frame = trials_frame(trials, hide_pruned=hide)
        if percent:   # in points, as the Runs table writes an accuracy (ui/compare.ACCURACY_FORMAT)
            frame["value"] = frame["value"] * 100
        # placeholder: a running trial's value is none yet, not "None" (a demo visitor's screenshot)
        st.container(key="search_trial_table").dataframe(frame, hide_index=True, width="stretch", placeholder="—",
                     column_config={
                         "trial": st.column_config.NumberColumn("trial", width=50, pinned=True),
                         "state": st.column_config.TextColumn("state", width=90, pinned=True),
                         "value": st.column_config.NumberColumn(_objective(study),
                                                                format=ACCURACY_FORMAT if percent else "%.4f"),
                         "note": st.column_config.TextColumn("note", width="medium", help="why a trial ended as "
                                                                                         "it did"),
                         "duration_s": st.column_config.NumberColumn("duration (s)", format="%.1f"),
                         "run_id": st.column_config.TextColumn("run"),
                         # a sampled float to three significant digits: Streamlit's default of a few decimals showed
                         # lr 1.75e-05 as "0.00002" (a learner's check), 12% off on a log-scale setting
                         **{name: st.column_config.NumberColumn(name, format="%.3g") for name in
                            {k for t in trials for k, v in t.params.items() if isinstance(v, float)}},
                     })
        names = sorted({k for t in trials for k in t.params})
        st.multiselect("Parameters for the parallel, slice and contour plots (default: the most important)",
                       names, key="search_plot_params")
        if states["complete"] >= 2 and (note := few_trials_note(states["complete"])):   # (under 2: no figures yet)
            st.caption(f":material/info: {note}")
        _draw_figures(figures)

    _live()


WATCH_S = 5.0   # how often an ended study's page looks for workers elsewhere that have joined it


@fragment(run_every=WATCH_S)
def _watch_for_workers(manager, target: dict, seen: tuple) -> None:
    """A study none of this server's jobs runs and none of whose trials runs, looked at again every few seconds: a
    worker that joins it from a shell or another machine is then followed (live_view). A page left open had noticed
    one only when reloaded (a lab's check)."""
    if trial_counts(manager, target) != seen:
        st.rerun(scope="app")


def trial_counts(manager, target: dict) -> tuple[int, int] | None:
    """The target's study's trials and how many of them are running, read from its storage (None where it cannot be
    read): for a study none of this server's jobs runs, those running are workers' elsewhere. A trial whose worker is
    known gone is failed
    first, as a worker joining the study fails it (zoo/search/ended.py): this server's ended jobs', and those of a
    process of this machine that is gone (a command killed, a server restarted); else the page had followed a dead
    trial for as long as it stayed open (a review)."""
    from optuna.trial import TrialState

    from zoo.search.ended import fail_orphaned_trials

    try:
        with answering(target["storage"], then=READ_AGAIN):
            study = load(target)
            _fail_trials_of_ended_workers(manager, {**target, "jobs": [j.id for j in workers_of(manager, target)]},
                                          study)
            try:
                fail_orphaned_trials(study)
            except Exception:   # a storage that cannot be written now: the trial is left as it is, as above
                pass
            trials = study.get_trials(deepcopy=False)
            return len(trials), sum(t.state == TrialState.RUNNING for t in trials)
    except SpecError:
        return None


def _fail_trials_of_ended_workers(manager, target: dict, study) -> None:
    """A worker killed or its cluster lost: the trial it trained is not running (zoo/search/ended.py). Only the
    workers of this study in this storage (a URL may pair a study's name with another storage: a review); a storage
    that cannot be written now leaves the view as it was, the trial still running, rather than end it in an error."""
    jobs = []
    for job in map(manager.get, target.get("jobs", [])):
        try:
            if job is not None and SearchConfig.from_dict(job.payload["config"]).storage_url == target["storage"]:
                jobs.append(job)
        except (KeyError, TypeError, ValueError, SpecError):
            continue
    try:
        fail_trials_of_ended_workers(study, jobs)
    except Exception:   # (Optuna's storages raise their own: a database gone, a journal file read-only)
        pass


def workers_failed(manager, job_ids: list[str]) -> str | None:
    """One sentence when every worker of this search failed (say, on data it could not read), so the
    page shows an error, not an empty study that looks like it works."""
    jobs = [manager.get(j) for j in job_ids]
    jobs = [j for j in jobs if j is not None]
    if not jobs or any(j.active or j.status != "failed" for j in jobs):
        return None
    reasons = sorted({j.reason for j in jobs})
    return (f"The search failed: {'all ' + str(len(jobs)) + ' workers' if len(jobs) > 1 else 'its worker'} "
            f"ended with an error: {'; '.join(reasons)}")


def _objective(study) -> str:
    fp = study.user_attrs.get("playground", {})
    return objective_label(fp.get("objective", "val_loss"), fp.get("task", "image"))


def _study_figures(study, trials, hide: bool, chosen: list) -> dict:
    """The figures for this snapshot of the trials, recomputed only when a trial changed."""
    signature = (study.study_name, hide, tuple(chosen),
                 tuple((t.number, t.state, t.value, len(t.intermediate_values)) for t in trials))
    cached = st.session_state.get("_search_figs")
    if cached and cached[0] == signature:
        return cached[1]
    figures = study_figures(study, hide_pruned=hide, params=list(chosen) or None)
    st.session_state["_search_figs"] = (signature, figures)
    return figures


def _draw_figures(figures: dict) -> None:
    # Two small plots per row; the ones with a panel per parameter get the full width.
    for row in (("history", "intermediate"), ("importance", "contour"), ("parallel",), ("slice",)):
        for col, name in zip(st.columns(len(row)), row):
            with col.container(key=f"search_fig_{name}"):
                st.markdown(f"**{FIGURES[name]}**")
                fig = figures.get(name)
                if isinstance(fig, str) or fig is None:
                    st.info(fig or "not available")
                else:
                    st.plotly_chart(fig, key=f"search_chart_{name}", width="stretch")

def train_with_best(target: dict) -> None:
    """Hand the best trial's spec to the page of its task (Train or Forecast), which fills its form."""
    from ui.prefill import hand_off

    study = load(target)
    spec = best_spec(study)
    # Which trial, and that its epochs are the study's per trial (a learner's check: the form came with 1 epoch
    # and no word of where it came from)
    epochs = f"{spec.epochs} epoch{'s' if spec.epochs != 1 else ''}"
    hand_off(spec, held=f"trial {study.best_trial.number}'s settings, the best of study {code(study.study_name)}, "
                        f"with its {epochs} (the study's per trial; more may train it further)")


def why_no_best(target: dict) -> str | None:
    """Why "Train with best" has nothing to hand over (best_spec's own sentence: no completed trial, a
    study not made here), or None. The page asks it of an ended search only: a running one may complete
    a trial at any moment, and its button says why when pressed."""
    def best():
        with answering(target["storage"], then=READ_AGAIN):
            return best_spec(load(target))

    return refusal(best)


def join_from_a_shell(target: dict) -> None:
    """The command of a worker that joins the study from a shell (SearchConfig.cli_command), for a study the
    playground made: joining it needed the page's ranges, which nothing showed (a lab's check). Locally only: a
    hosted demo's visitor has no shell on its server, and its paths are not theirs to see."""
    from zoo.search import config_of_study
    from zoo.search.storage import is_url
    from zoo.spec import command_lines

    if not is_local():
        return
    try:
        with answering(target["storage"], then=READ_AGAIN):
            config = config_of_study(load(target))
    except SpecError:
        return
    if config is None:   # made by Optuna itself, not a playground search: no settings to give
        return
    # Paths in full: a journal named from the server's folder (runs/optuna/journal.log) had made a new study of the
    # same name in a shell's own folder, with no word, whose trials the page never saw (a review)
    config.study, config.runs_dir = target["study"], os.path.abspath(runs_dir())
    config.storage = target["storage"] if is_url(target["storage"]) else os.path.abspath(target["storage"])
    shown = display_storage(config.storage)
    try:
        command = config.cli_command(storage=shown)
    except (SpecError, KeyError, TypeError, ValueError):   # settings flags cannot say, or of an older declaration
        return
    with st.expander("Join this study from a shell", key="search-join-box", icon=":material/terminal:"):
        st.markdown("More workers, on this machine or another, each in a checkout of the playground (the folder "
                    "with `app.py`): the same settings, so Optuna shares one study among them all.")
        st.code(command_lines(command), language="bash", wrap_lines=True)
        # `python` alone is whichever a shell finds first, often one without torch (a lab's check)
        notes = [f"`python` is the playground's environment's: `.venv/bin/python` in a checkout set up as its README "
                 f"says (this server's is {code(sys.executable)}).",
                 "A worker runs 20 trials unless given `--n-trials`; `--workers N` starts N of them. `--runs-dir` is "
                 "this server's, where the page finds each trial's run: on another machine, give one of its own."]
        if shown != config.storage:
            notes.append("Put the database's password in place of `***`.")
        if not is_url(target["storage"]):
            notes.append("A journal file is shared by the processes of this machine, or of machines that mount it at "
                         "the same path; for workers elsewhere, keep the study in a database (PostgreSQL).")
        if Path(str(config.spec.data)).suffix:
            notes.append("`--data` must be there too: a copy of the same file (its name and content are checked).")
        st.caption(" ".join(notes))


def stop(manager, target: dict) -> None:
    from ui.state import can_control

    for job_id in target.get("jobs", []):
        job = manager.get(job_id)
        if job is not None and can_control(job.owner):
            manager.stop(job_id)


DELETE_ASKED = QUESTION + "search-delete"   # the study whose deletion the visitor asked about


def workers_of(manager, target: dict, owner: str | None = None) -> list:
    """Every search worker of this server on the target's study (`owner`'s, when given): the tab's own (`target`'s
    jobs), those a "Run more trials" started in another tab, and those of a tab that attached to it. A study is
    running while any is: the tab's own were all a Delete had asked about (a review)."""
    found = []
    for job in manager.jobs(owner):
        if job.target != SEARCH_WORKER:
            continue
        try:
            config = SearchConfig.from_dict(job.payload["config"])
        except (KeyError, TypeError, ValueError, SpecError):
            continue
        if config.study_name == target["study"] and _same_storage(config.storage_url, target["storage"]):
            found.append(job)
    return found


def _same_storage(a: str, b: str) -> bool:
    """A worker's payload names its journal by absolute path, a tab's target as the page's runs directory does."""
    from zoo.search.storage import is_url

    if is_url(a) or is_url(b):
        return a == b
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def delete_control(manager, target: dict, active: bool, buttons) -> None:
    """"Delete study…" beside Stop and Train with best, then the question below them: the study goes from its
    storage (zoo/search/storage.delete_study), its trials' runs stay on the Runs page. Off while its search runs. A
    visitor of the demo had no way to remove a study of theirs (a demo visitor's check)."""
    from ui.state import toast_next_run
    from zoo.search.storage import delete_study

    asked = st.session_state.get(DELETE_ASKED) == (target["storage"], target["study"])
    running = active or any(job.active for job in workers_of(manager, target))
    if button_pressed(buttons, "Delete study…", key="search_delete", icon=":material/delete:",
                      disabled=running or not controls(manager, target) or asked,
                      help="stop the search first" if running else "remove the study; its trials' runs stay"):
        st.session_state[DELETE_ASKED] = (target["storage"], target["study"])
        st.rerun()
    if running and not active:   # its Stop off here too: why Delete is, beside it (a demo visitor's check)
        st.caption(":orange[:material/block:] More trials of this study run, started in another tab: Delete is off "
                   "until they end.")
    if not asked:
        return
    st.warning(f"Delete study {code(target['study'])}? Its trials' runs stay on the Runs page (delete them there). "
               "This cannot be undone.", icon=":material/warning:")
    yes, no, _ = st.columns([1, 1, 3])
    if button_pressed(yes, "Delete permanently", type="primary", key="search_delete_confirm"):
        st.session_state.pop(DELETE_ASKED, None)
        try:
            if any(job.active for job in workers_of(manager, target)):   # started again from another tab meanwhile
                raise SpecError("its search is running: stop it first; nothing was deleted.")
            trials = delete_study(target["storage"], target["study"], runs_dir(), drop_empty_journal=not is_local())
        except SpecError as exc:
            toast_next_run(plain(exc), ":material/block:")
        else:
            for job in workers_of(manager, target):   # ended: "Your last study" would offer it again
                manager.forget(job.id)
            st.session_state.pop("search_target", None)
            for key in ("study", "jobs", "storage"):
                st.query_params.pop(key, None)
            toast_next_run(f"Deleted study {code(target['study'])} and its {trials} trial"
                           f"{'s' if trials != 1 else ''}; their runs stay on the Runs page.", ":material/delete:")
        st.rerun()
    if button_pressed(no, "Cancel", key="search_delete_cancel"):
        st.session_state.pop(DELETE_ASKED, None)
        st.rerun()


def controls(manager, target: dict) -> bool:
    """May this visitor stop the search's workers?"""
    from ui.state import can_control

    jobs = [manager.get(j) for j in target.get("jobs", [])]
    return all(can_control(j.owner) for j in jobs if j is not None)


def is_active(manager, target: dict | None) -> bool:
    return bool(target) and any((manager.get(j) is not None and manager.get(j).active) for j in target.get("jobs", []))


SEARCH_WORKER = "zoo.search:search_worker"   # the job target of a search's workers (zoo/search/study.submit_search)


def last_of_mine(manager, owner: str) -> dict | None:
    """The visitor's latest search on this server (its workers' jobs), for a tab whose address names no
    study: a study started in another tab was found only through Attach (a learner's check)."""
    searches = [j for j in manager.jobs(owner) if j.target == SEARCH_WORKER]
    if not searches:
        return None
    last = searches[-1]
    started_with = last.id.rsplit("-", 1)[0]   # one submit's workers: search-<study>-<token>-<i>
    config = SearchConfig.from_dict(last.payload["config"])
    if not any(j.active for j in searches) and not _still_there(config.storage_url, config.study_name):
        # Its journal deleted since (the demo's sweep), or the study: the offer had led to "There is no study named
        # ... any more" beside a Stop and a Train with best greyed out (a demo visitor's check)
        return None
    return {"storage": last.payload["config"]["storage"], "study": config.study_name,   # as recall() reads it
            "jobs": [j.id for j in searches if j.id.rsplit("-", 1)[0] == started_with]}


def _still_there(storage: str, study: str) -> bool:
    import optuna

    from zoo.search.storage import no_journal_yet

    if no_journal_yet(storage):
        return False
    try:
        return study in optuna.get_all_study_names(storage=opened(storage))
    except Exception:   # a database out of reach: offered, and the page says what is wrong once it is opened
        return True


def remember(target: dict) -> None:
    """Keep the study across reloads: job ids (their payload knows the storage) or the storage, its password masked
    (`recall` then asks for it: a reload had opened the default journal and said the study was not there)."""
    st.session_state["search_target"] = target
    params = {"study": target["study"]}
    if target.get("jobs"):
        params["jobs"] = ",".join(target["jobs"])
    if is_local():   # (the demo's is its default)
        params["storage"] = display_storage(target["storage"])
    st.query_params.update(params)


def recall(manager) -> dict | None:
    if "search_target" in st.session_state:
        return st.session_state["search_target"]
    q = st.query_params
    if "study" not in q:
        return None
    jobs = [j for j in q.get("jobs", "").split(",") if j and _a_worker_of(manager.get(j), q["study"])]
    if not jobs and "jobs" not in q:
        # A study's address without its workers (typed, or shared within a browser): this visitor's latest
        # workers of that study on this server, so that whether it runs, and its Stop, show (a demo check).
        from ui.state import session_owner

        mine = [j for j in manager.jobs(session_owner()) if _a_worker_of(j, q["study"])]
        if mine:
            last = mine[-1].id.rsplit("-", 1)[0]   # one submit's workers: search-<study>-<token>-<i>
            jobs = [j.id for j in mine if j.id.rsplit("-", 1)[0] == last]
    # A storage from the URL is a path or a database this server would open: only locally, where the
    # person at the browser owns the server. On the hosted demo it is the visitor's own journal, always.
    storage = q.get("storage") if is_local() else None
    workers_storage = manager.get(jobs[0]).payload["config"]["storage"] if jobs else None
    if jobs and (storage is None or storage == display_storage(workers_storage)):
        storage = workers_storage   # (with its password, which the address masks)
    elif storage is not None and is_masked(storage):
        # A database whose URL holds a password: the address keeps it masked (remember, a trial's study link), and
        # opening the default journal instead had said "No study 'lab6' in .../journal.log" (a shared-database check)
        st.warning(f"Study {code(q['study'])} is in {code(storage)}, whose password a page's address does not keep: "
                   "attach to it in \"Attach to a study\" with the storage's full URL.", icon=":material/key:")
        return None
    if storage is None:
        # The default journal: on the demo the visitor's own; locally the server's, where the page's and the
        # command line's studies are (`?study=NAME` alone had opened the blank set-up, unsaid: a learner's check)
        from ui.state import runs_dir, session_owner
        from zoo.search import default_storage

        storage = default_storage(runs_dir(), None if is_local() else session_owner())
    target = {"storage": storage, "study": q["study"], "jobs": jobs}
    if is_local() and not jobs:
        # A name the storage does not have: said above the set-up form, open, not as a study's view with its Stop and
        # an empty "Run more trials" (a learner's check). The study of a job just started may not be written yet.
        from zoo.search import load_study

        try:
            load_study(storage, q["study"])
        except SpecError as exc:
            st.warning(f"{plain(str(exc)[0].upper() + str(exc)[1:])}", icon=":material/search_off:")
            return None
    if not is_local() and not _theirs(target):
        # Another visitor's study (its trials name their runs), or none: the same words for both, so a
        # guessed name tells nothing.
        st.info(f"There is no study of yours named {code(q['study'])} on this demo.", icon=":material/search_off:")
        return None
    st.session_state["search_target"] = target
    return target


def _a_worker_of(job, study: str) -> bool:
    """Is `job` a search worker of `study` that this visitor may follow? A job id from the URL: on the demo,
    another visitor's worker put beside one's own study showed its trials as this study's and its state
    (a demo visitor's check)."""
    from ui.state import can_control

    if job is None or job.target != SEARCH_WORKER:
        return False
    try:
        if SearchConfig.from_dict(job.payload["config"]).study_name != study:
            return False   # another study's
    except (KeyError, TypeError, ValueError, SpecError):
        return False
    return can_control(job.owner)   # locally, anyone


def _theirs(target: dict) -> bool:
    """Is the study this visitor's (zoo/demo.py)? False when it does not exist."""
    from ui.state import session_owner
    from zoo import demo

    try:
        return demo.study_is_theirs(load(target), session_owner())
    except SpecError:
        return False
