"""The run view: one for every task, used by the Train and Forecast pages.

A run's id is in the URL (`?run=<id>`, checked before any path is built from it): the view shows
the live job (status, progress, the chart, Stop), or the finished run read from its directory
(outcome, curves, the task's own sections, downloads, the command that reproduces it), or says
plainly that there is no such run. Without `?run=` it re-attaches to this visitor's live job of
the page's task. What differs between tasks is the task's `sections` below: a confusion matrix and
the mistakes for images, the baselines, the backtest and the forecast for series.

"Train again" hands the run's spec to the page of its task (ui/prefill.hand_off), which fills its
form from it once.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import streamlit as st

from ui import form, image_results, leaderboard, series_results
from ui.prefill import hand_off
from ui.live import (STATUSES, format_duration, live_panel, run_caps_sentence, status_badge,
                     status_words, training_figure)
from ui.state import (button_pressed, can_control, end_if_abandoned, fragment, in_fragment_rerun, is_local, job_manager,
                      my_runs, runs_dir, runs_dir_shown, session_owner, take_for_this_run)
from ui.text import code, plain
from zoo import forecast_io as fio
from zoo.forecast_io import UPLOADS, data_as_sent, display_name
from zoo.jobs import ACTIVE, TRAINING_TARGET
from zoo.registry import get_task
from zoo.runs import ENDED, changed_at, is_run_id, open_run, reproduce_caveat, run_status, unreadable_run
from zoo.spec import ExperimentSpec, command_lines, setting
from zoo.verdict import verdict_now

@dataclass(frozen=True)
class TaskView:
    """How the run view draws one task's finished run."""

    sections: Callable        # (run, key) -> None: what only this task shows
    curves_folded: bool       # the training curves in an expander (the sections lead)


TASK_VIEWS = {
    "image": TaskView(sections=image_results.sections, curves_folded=False),
    "series": TaskView(sections=series_results.sections, curves_folded=True),
}


# ---------------------------------------------------------------------------------------------
# the visitor's jobs


def start_blocker(manager, owner: str) -> str | None:
    """Why this visitor may not start another job now, or None: the Ray cluster the jobs run on found gone, their
    job cap, or on the hosted demo the runs and disk they keep (zoo refuses the job then too). The room is counted
    once per script run: it reads every run's result (demo.usage), and the Forecast page has two Start buttons."""
    from zoo import demo
    from zoo.registry import refusal
    from zoo.runs import runs_root

    lost = manager.launcher.refusal() if manager is not None else None   # the Ray cluster found gone
    if lost:
        st.session_state[BLOCKED_BY] = None
        return lost[0].upper() + lost[1:] + "."
    job = manager.blocking(owner) if manager is not None else None   # None: no job manager made yet (Home)
    st.session_state[BLOCKED_BY] = job.id if job is not None else None
    if job is not None:
        n = manager.per_owner
        # No status in the sentence: this caption is drawn once, while the job's status moves on.
        kind = job_kind(job)
        what = f"{kind} {job.id}"
        if kind == "Search":   # by its study's name, not its worker's id (search-learner-cnn-60da15-1: a learner's check)
            from zoo.search import SearchConfig

            try:
                what = f"The search of study {code(SearchConfig.from_dict(job.payload['config']).study_name)}"
            except (KeyError, TypeError, ValueError):
                pass
        return (f"{what} has not ended (you may have {n} job{'s' if n > 1 else ''} queued or running at a "
                "time): stop it, or let it end, to start another.")
    script_run = st.session_state.get("script-runs")
    checked = st.session_state.get(ROOM_CHECKED)
    if script_run is None or checked is None or checked[:2] != (script_run, owner):
        full = refusal(demo.check_room, owner, runs_root(runs_dir()))
        checked = (script_run, owner, full and form.sentence(full))
        st.session_state[ROOM_CHECKED] = checked
    return checked[2]


def job_kind(job) -> str:
    """What a page calls a job, by what it runs: "Search", "Leaderboard" or "Run" (a search worker had been called
    a "Run": a demo check)."""
    return "Search" if "search" in job.target else "Leaderboard" if "leaderboard" in job.target else "Run"


def why_start_is_off(blocker: str, where=st) -> None:
    """`start_blocker`'s sentence beside the Start it turns off, marked as the reason (it was a grey caption,
    easy to miss at the hosted demo's runs cap, where it says what to do). Where a job of the visitor's is the
    reason, the page is drawn again once it ends (`_redraw_when_ended`)."""
    where.caption(f":orange[:material/block:] {blocker}")
    job_id, script_run = st.session_state.get(BLOCKED_BY), st.session_state.get("script-runs")
    if job_id and job_id != st.query_params.get("run") and in_fragment_rerun() and \
            st.session_state.get(REDRAWN_FOR) != job_id:
        # Start pressed in a tab drawn before another tab of this visitor's started the job: only the form was drawn
        # again, and the run view beside it still said "press Start", with no Stop for the job that turned Start off
        # (a new user's check). The whole page shows it: its run view brings the visitor's live job back, or, where
        # it shows none, links to it (`_live_elsewhere`). Once a job, so that a page that shows another run is not
        # drawn again at each change of its form.
        st.session_state[REDRAWN_FOR] = job_id
        st.rerun(scope="app")
    if job_id and st.session_state.get(FOLLOWED) != script_run:   # once a script run (Forecast has two Starts)
        st.session_state[FOLLOWED] = script_run
        _redraw_when_ended(job_id)   # (it shows nothing)


BLOCKED_BY = "start-blocked-by"     # the job start_blocker found this script run, or None
REDRAWN_FOR = "start-blocker-redrawn"   # the blocking job a form's rerun drew the whole page again for
FOLLOWED = "start-blocker-followed"   # the script run whose page follows it


@fragment(run_every=2.0)
def _redraw_when_ended(job_id: str) -> None:
    """A page whose Start another tab's job turned off, showing neither that job nor anything live, kept Start
    off and said the job "has not ended" long after it had (a demo visitors' check): this draws the page again
    once it has ended (or the server no longer knows it)."""
    job = job_manager().get(job_id)
    if job is None or not job.active:
        st.rerun(scope="app")


def written_elsewhere(run, what: str) -> None:
    """The note on a run whose files say it runs while this server does not run it, and the page kept following
    them."""
    st.warning(f"This {what}'s files say it is still running, but this server is not running it: it was started "
               "elsewhere or its server stopped. What was saved so far is shown, and the page follows its files.")
    _redraw_when_written(run.path, run.read_at)


@fragment(run_every=2.0)
def _redraw_when_written(folder: Path, seen: tuple) -> None:
    """A run another process writes (the CLI's, another server's) drew once: its page said `running`, with the
    chart as it was, after the run had ended and even after its folder was deleted (a check of one person in
    two tabs and a shell). This draws the page again whenever its result or rows change, as the Runs page
    does (zoo.runs.listing_state)."""
    if changed_at(folder) != seen:
        st.rerun(scope="app")


ROOM_CHECKED = "room-checked"   # start_blocker's (script run, owner, why not) of this script run


def start_button(label: str, *, key: str, build: Callable[[], ExperimentSpec], problems: list[str],
                 preview: dict, train_samples: int | None = None,
                 settings_key: str | None = None) -> ExperimentSpec | None:
    """A page's Start, under its form: the spec `build` makes, checked (validate, the device's
    precision, the hosted demo's caps). Off, with the reason, while a field holds an invalid value
    (`problems`), the spec does not validate, the model does not build (`preview`) or this visitor is
    at their job cap. `train_samples`: what the page knows the data makes (a CSV's training windows),
    where the catalogue does not (zoo/demo.known_train_samples). `settings_key`: the training form's key prefix,
    where a button offers the settings within a cap the spec passes (demo.CapError). Returns the spec when
    pressed."""
    from zoo.devices import check_device_settings, resolve_device
    from zoo.registry import SpecError
    from zoo.runs import runs_root

    from zoo import demo

    problem = problems[0] if problems else None
    spec = None
    if problem is None:
        try:
            spec = build().validate()
            check_device_settings(spec, resolve_device(spec.device))
            demo.check_spec(spec, n_train=demo.known_train_samples(spec) if train_samples is None else train_samples)
            if "memory" in preview:   # what zoo refuses when the run starts, said beside Start (zoo/demo.py)
                demo.check_memory(spec, memory=preview["memory"], params=preview.get("params"))
                if preview.get("params") is not None:   # (a refused run had read as a failed one: a demo check)
                    demo.check_checkpoint_room(session_owner(), runs_root(runs_dir()), spec, params=preview["params"])
        except SpecError as exc:
            problem = str(exc)
            st.error(form.sentence(problem), icon=":material/error:")   # begun with a capital (a demo check)
            if isinstance(exc, demo.CapError) and settings_key:
                within = ", ".join(f"{form.label_for(name).lower()} to {value:,}" for name, value in exc.within.items())
                st.button(f"Set the {within}", key=f"{key}-within-caps", icon=":material/tune:",
                          on_click=form.set_training_values, kwargs={"key_prefix": settings_key, "values": exc.within})
    if spec is not None and spec.limit_train:
        # More training samples asked for than the split has: all are used, said here (the run trained on 3,600
        # images under "training samples 5000" without a word: a learner's check).
        available = train_samples if train_samples is not None else demo.known_train_samples(spec.replace(limit_train=0))
        if available is not None and spec.limit_train > available:
            st.caption(f":material/info: Training samples {spec.limit_train:,}: the training split has "
                       f"{available:,}, so all of them are used.")
    if "error" in preview:
        problem = problem or "the model does not build with these hyperparameters"
    blocker = start_blocker(job_manager(), session_owner())
    if blocker and not problem:
        why_start_is_off(blocker)
    if problems:   # every field's, not the first alone: each is also under its own field, maybe far up the form
        said = (f"these are fixed. {' '.join(form.sentence(p) for p in problems)}" if len(problems) > 1 else
                f"this is fixed: {problems[0]}")
        st.caption(f":red[Start is off until {said}]")
    caps = demo.caps()
    if caps is not None:
        st.caption(f":material/info: On this hosted demo {run_caps_sentence(caps)}.")
    pressed = button_pressed(st, label, type="primary", icon=":material/play_arrow:",
                             disabled=bool(problem or blocker), key=key, width="stretch")
    return spec if pressed else None


def start_run(spec: ExperimentSpec) -> None:
    """Queue the spec's training job for this visitor and show it (its id goes in the URL)."""
    from zoo.jobs import submit_training
    from zoo.registry import SpecError

    try:
        job = submit_training(job_manager(), spec, owner=session_owner(), runs_dir=runs_dir())
    except SpecError as exc:   # the hosted demo's caps (runs or disk kept per visitor)
        st.error(str(exc), icon=":material/error:")
        return
    started_from_form(spec.task)
    show_started(job.id)


def started_from_form(form_name: str) -> None:
    """A run started from the form: what it holds is the visitor's own from now on, however the page filled it
    (a run's settings, or the draft beside a run): Close had given back the form set before, a review's case."""
    from ui import drafts

    drafts.forget_fill(form_name)


# Set by show_started, taken by the next run_panel: bring the run into view once.
SCROLL_TO_RUN = "scroll-to-run"


def show_started(job_id: str) -> None:
    """Show a job just started (a training run's or a leaderboard's) in the run view: its id in the
    URL, then the whole page again. The start button sits deep in the set-up column, below the view's
    top where the live chart and Stop appear, so the next run_panel scrolls the view into sight."""
    st.query_params["run"] = job_id
    st.session_state[SCROLL_TO_RUN] = True
    st.rerun()


def _scroll_into_view(selector: str) -> None:
    """Scroll the run view into sight, and move the keyboard's focus there: the Start pressed is gone or off, and focus
    had fallen to the page's top, 60 Tab presses above the new run's Stop (a keyboard user's check)."""
    # Our own constant selector, never a user's text: the script is safe to run (st.html runs it only
    # with unsafe_allow_javascript).
    st.html(f"<script>(() => {{ const view = document.querySelector({json.dumps(selector)}); if (!view) return;"
            " view.scrollIntoView({behavior: 'smooth', block: 'start'});"
            " view.setAttribute('tabindex', '-1'); view.focus({preventScroll: true}); })();</script>",
            unsafe_allow_javascript=True)


WATCHED = "-watched"   # after a page's key: the live run it last showed the visitor (current_run_id)
# How long after a Close its run's address, in a message the browser sent meanwhile, is not an opening of that run
CLOSE_SETTLES_S = 3.0


def forget_watched(key: str) -> None:
    """The page of run view `key` comes back to no ended run: the visitor asked for a spec in its form
    (ui/prefill.hand_off), which empties the run view as their address opening no run does (Train again from the
    run a page had come back to kept that run beside the form: a review). The other page's is kept (a review)."""
    st.session_state.pop(f"{key}{WATCHED}", None)


def current_run_id(task: str, key: str) -> str | None:
    """`?run=`, else the run the page comes back to on its own address (`run_brought_back`), its address moved to
    that run while it is live."""
    from ui import drafts

    watched = f"{key}{WATCHED}"
    drafts.register(f"{key}-closed")
    drafts.register(watched)
    state = st.session_state
    run_id = st.query_params.get("run")
    if run_id and state.get(f"{key}-closed") == run_id and \
            time.monotonic() - state.get(f"{key}-closed-at", float("-inf")) < CLOSE_SETTLES_S:
        # The address of a message the browser sent before the Close's new address reached it (a change made just
        # after the click; or the callback's own message was cut short by it): not an opening (a review)
        st.query_params.pop("run", None)
        run_id = None
    if run_id:
        if state.get(f"{key}-closed") == run_id:
            # Opened again (the Runs page's Open, a link): no longer closed, so that the page comes back to it while
            # it trains, as after an Open from the list of other runs (`_open_run`). The page showed nothing beside a
            # live run opened so, its Start off for it, and the form set beside it did not come back (a browser check).
            del state[f"{key}-closed"]
        if state.get(watched) not in (None, run_id):
            drafts.watched_before(task, state[watched])   # its draft is what a Close of this run gives back
        if any(j.id == run_id and j.active and j.task == task for j in job_manager().jobs(session_owner())):
            state[watched] = run_id
        elif state.get(watched) not in (None, run_id):
            del state[watched]   # another run opened since: closing that one brought this one back (a review)
        return run_id
    run_id = run_brought_back(task, key)
    job = job_manager().get(run_id) if run_id else None
    if job is not None and job.active:
        st.query_params["run"] = state[watched] = run_id
    return run_id


def _live_elsewhere(manager) -> None:
    """Under a run view that shows no run: the visitor's jobs still queued or training (closed here, of another page,
    another tab's), each a click from its page. Start said "Run ... has not ended: stop it, or let it end", and the
    page showed nothing of it, nor where to stop it (a new user's check)."""
    for job in [j for j in manager.jobs(session_owner()) if j.active and j.task]:
        st.page_link(get_task(job.task).page,
                     label=f"Your {job_kind(job).lower()} {job.id} is {status_words(job.status)}: open it",
                     query_params={"run": job.id}, icon=":material/open_in_new:")


def run_brought_back(task: str, key: str) -> str | None:
    """The run the page of run view `key` shows on its own address (no `?run=`): this visitor's newest live job of
    `task`, else the live run this page last showed them, ended since (unless they closed it: kept in the visitor's
    draft, since a reload had opened the run closed again, a learner's check). A run that ended while its visitor
    was on another page had left the page's empty state, "the results when it ends", its result only in the list of
    other runs (a learner's check). The page restores its form from the draft beside this run where the visitor set
    it there last (ui/drafts.restore's `beside`), so it reads this before the forms, with the "closed" form
    restored."""
    if st.query_params.get("run"):
        return None
    state = st.session_state
    closed = state.get(f"{key}-closed")
    mine = [j for j in job_manager().jobs(session_owner()) if j.active and j.task == task and j.id != closed]
    if mine:
        return mine[-1].id
    ended = state.get(f"{key}{WATCHED}")
    if ended and ended != closed and is_run_id(ended) and open_run(ended, runs_dir()) is not None:
        # (A deleted run is not brought back, swept on the demo too, whose job may still be held: a review; nor one
        # that ended before its run directory, which its address says.) Shown on the page's own address: the forms
        # keep their drafts there (moving the address to the run lost the visitor's form at a Close, a review).
        return ended
    return None


# ---------------------------------------------------------------------------------------------
# the view


def run_panel(task: str, *, key: str, empty: str) -> None:
    """The run of `?run=` (or this visitor's live one) for a page of `task`; `empty` when there is none."""
    with st.container(key=f"{key}-run-panel"):
        _run_panel(task, key=key, empty=empty)
        # Last in the panel: an element that comes and goes before others would shift their places, and
        # Streamlit would redraw them anew (an open expander closes).
        if take_for_this_run(SCROLL_TO_RUN, False):
            _scroll_into_view(f".st-key-{key}-run-panel")


def _run_panel(task: str, *, key: str, empty: str) -> None:
    manager = job_manager()
    run_id = current_run_id(task, key)
    if not run_id:
        st.subheader("Run")
        st.info(empty, icon=":material/info:")   # (an arrow to the left pointed at nothing on a phone, where the
        # set-up is above: a phone user's check)
        _live_elsewhere(manager)
    elif not is_run_id(run_id):
        # as code: quoted with repr, "[Your session expired: log in](https://evil.example)" was a live link on the
        # demo's own page, and "![a](http://...)" an image the browser fetched (an attacker's check)
        st.error(f"{code(run_id[:80])} is not a run id; open a run from the Runs page.", icon=":material/error:")
    else:
        job = manager.get(run_id)
        run = open_run(run_id, runs_dir())
        if job is None and run is not None and end_if_abandoned(run):   # its process gone: ended as a restart
            run = open_run(run_id, runs_dir())                              # would (ui/state.my_runs)
        if get_task(task).page == get_task(leaderboard.TASK).page and leaderboard.show(run, job, key):
            pass   # a leaderboard, live or finished (ui/leaderboard.py)
        elif job is not None and job.active:
            live_run(job, key)
        elif run is not None and get_task(run.spec.task).page != get_task(task).page:
            st.info(f"Run `{run_id}` is {_a(get_task(run.spec.task).title)} run: it is shown on its own page.",
                    icon=":material/info:")
            st.page_link(get_task(run.spec.task).page, label="Open it there", query_params={"run": run_id},
                         icon=":material/open_in_new:")
        elif run is not None:
            finished_run(run, job, key)
        else:
            run_without_directory(run_id, job)
    if run_id:
        # a callback, as Stop's: run before the page's next run draws, so that a rerun met before this button (a
        # change the person made just after the click) does not lose the click (tests/cut_at_element.py)
        st.button("Close this run", key=f"{key}-close", type="tertiary", icon=":material/close:", on_click=_close_run,
                  args=(key, run_id))
    _other_runs(task, key, run_id)


def _close_run(key: str, run_id: str) -> None:
    st.session_state[f"{key}-closed"] = run_id
    st.session_state[f"{key}-closed-at"] = time.monotonic()   # (current_run_id)
    st.session_state.pop(f"{key}{WATCHED}", None)   # (out of the draft too: a plain value popped, drafts.register)
    st.query_params.pop("run", None)


def spec_line(spec: dict) -> str:
    """'cnn on mnist-sample · 5 epochs · batch 64 · adam lr 0.002' (and the task's own fields)."""
    task = get_task(spec.get("task", "image"))
    parts = [f"{spec.get('model')} on {display_name(spec.get('data'), runs_dir())}"]
    parts += [f"{name} {spec.get(name)}" for name in task.caption_fields]
    epochs = spec.get("epochs")
    parts += [f"{epochs} epoch{'' if epochs == 1 else 's'}", f"batch {spec.get('batch_size')}",
              f"{spec.get('optimizer')} lr {spec.get('lr'):g}"]
    # Where set otherwise than by default: two gru runs, bf16 and fp32, read alike (a learner's check)
    for name, words in SPEC_LINE_IF_SET.items():
        if spec.get(name) not in (None, setting(name).default):
            parts.append(words.format(spec[name]))
    return " · ".join(parts)


# The settings spec_line names only where a run sets them otherwise than by default, and how.
SPEC_LINE_IF_SET = {"schedule": "{} schedule", "precision": "{}", "init": "{} init",
                    "limit_train": "{:,} training samples"}   # a cosine run read as a constant one (a learner's check)


def live_run(job, key: str) -> None:
    live_heading(job, "run", "ends training after the current batch; the best checkpoint is kept")
    st.caption(spec_line(job.payload.get("spec") or {}))
    live_panel(job.id)


def live_heading(job, what: str, stop_help: str) -> None:
    """A live job's heading with its Stop. Another visitor's job (the hosted demo) has no Stop to press,
    and says whose it is, as the same job does once it has ended (`another_visitors_note`)."""
    # One row, the button as wide as its word: in a fifth of the view column it read "S" at 1,024 px (a
    # narrow-screen visitor's check)
    row = st.container(horizontal=True, vertical_alignment="center")
    row.markdown(f"#### {what.capitalize()} `{job.id}`")
    if can_control(job.owner):
        row.button("Stop", key=f"stop-{job.id}", icon=":material/stop:", on_click=_stop, args=(job.id,),
                   disabled=job.stop_requested, width="content", help=stop_help)
    else:
        another_visitors_note(st, what, live=True)


def another_visitors_note(where, what: str, live: bool = False) -> None:
    """Say that this run (or leaderboard) is another visitor's, and what this one may do with it."""
    may = "watch it, not stop it; once it ends, download its files" if live else "look at it and download its files"
    where.caption(f":material/visibility: Another visitor's {what}: you may {may}.")


def _stop(job_id: str) -> None:
    """Runs before the rerun: ask the worker to stop, and give it a moment so the rerun shows the outcome."""
    manager = job_manager()
    job = manager.get(job_id)
    if job is None or not can_control(job.owner):
        return
    manager.stop(job_id)
    manager.wait(job_id, timeout=1.5)


def outcome_banner(status: str, reason: str, traceback: str | None = None, verdict: dict | None = None) -> None:
    """How the run ended. A run that completed but is no better than the trivial answer (zoo/verdict.py)
    is a warning with the likely cause, never a green success."""
    title, default_reason, _, _ = STATUSES.get(status, (status, "", "", ""))
    reason = reason or default_reason
    if reason.lower().startswith(title.lower() + " "):   # "Stopped: by request ...", not "Stopped: stopped by ..."
        reason = reason[len(title) + 1:]
    # the reason may quote a column's name, and another visitor opens a run's page from its link (ui/text.py)
    text = f"**{title}:** {plain(reason)}" + ("" if reason.endswith(".") else ".")
    if status in ("finished", "early_stopped") and verdict and not verdict.get("better", True):
        # why it stopped early, kept: the verdict alone had hidden it (a learner's check)
        why = f" It stopped early: {plain(reason)}" + ("" if reason.endswith(".") else ".") \
            if status == "early_stopped" else ""
        st.warning(f"**{title}, but it learned nothing useful:** {verdict['message']}.{why} Likely cause: "
                   f"{verdict.get('cause', 'unknown')}.", icon=":material/warning:")
    elif status in ("finished", "early_stopped"):
        st.success(text, icon=":material/check_circle:")
    elif status == "stopped":
        st.warning(text, icon=":material/stop_circle:")
    elif status in ("diverged", "failed"):
        st.error(text, icon=":material/error:")
    else:
        st.info(text)
    if traceback and is_local():
        with st.expander("Traceback (a fault in the program: please report it)"):
            st.code(traceback, language="text")
    elif traceback:   # its paths are the server's (README, "Deploying the hosted demo"); its log has it
        st.caption("A fault in the program: the server's log has its traceback. Please report the run's id.")


def train_again_button(where, key: str, spec, run_id: str) -> None:
    """"Train again": the page of the spec's task, its form filled from the spec of run `run_id` (ui/prefill.hand_off),
    which its toast names ("the spec you picked" had named none: a browser check)."""
    if button_pressed(where, "Train again", key=key, icon=":material/replay:",
                      help="fill the form with this run's spec, to change it and start again"):
        hand_off(spec, held=f"the settings of run {run_id}")


def run_without_directory(run_id: str, job) -> None:
    """A run id with no run directory: the job ended before writing one (data it could not read,
    stopped while starting, a worker that died), or there is no such run (deleted, or another
    server's runs directory)."""
    if job is not None:
        st.markdown(f"#### Run `{run_id}`")
        status_badge(job.status)
        outcome_banner(job.status, job.reason, job.state.get("traceback"))
        spec = job.payload.get("spec") if job.target == TRAINING_TARGET else None   # (a board's is a board's)
        if spec:   # what it was, as a run's view says it (a browser check found no word of it)
            st.caption(spec_line(spec))
        if spec and can_control(job.owner):
            # its job ended with no run folder (lost in a restart's queue, stopped while its worker was starting, data
            # it could not read; or one deleted since): the job's spec, to start again or mend (only a lost one had
            # it, and a run stopped at once had no Train again: a CI run's browser test)
            train_again_button(st, f"run-{run_id}-again", spec, run_id)
    elif is_local() and (why := unreadable_run(run_id, runs_dir())) is not None:
        # its folder is there, as the Runs page says (not "deleted": a storage-faults check); not on the hosted demo,
        # where the Runs page names no unreadable folder either (it would be nobody's to see: app_pages/runs.py)
        st.error(f"Run `{run_id}`'s folder is in {runs_dir_shown()}, but it cannot be read: {why}; mend or remove "
                 "that file by hand, or pick another run.", icon=":material/error:")
    else:
        st.error(f"There is no run `{run_id}` in {runs_dir_shown()}: it was deleted, or it belongs to another "
                 "server's runs directory.", icon=":material/search_off:")


def finished_run(run, job, key: str) -> None:
    """Everything about a run that has ended (or that this server is not running)."""
    task = get_task(run.spec.task)
    view = TASK_VIEWS[task.name]
    snapshot = job.snapshot() if job is not None else None
    status = run_status(snapshot["status"] if snapshot else run.status, run.result)
    reason = (snapshot["reason"] if snapshot else "") or run.result.get("reason", "")
    traceback = (snapshot["state"].get("traceback") if snapshot else None) or run.result.get("traceback")
    status_badge(status)
    st.markdown(f"#### Run `{run.run_id}`")
    st.caption(spec_line(run.spec.to_dict()))   # its epochs are those planned: the progress says how many ran
    actions = st.container(horizontal=True, vertical_alignment="center")
    if not can_control(run.result.get("owner")):
        another_visitors_note(actions, "run")
    else:   # the study too is its owner's: on the demo another visitor's study is neither named nor opened (a review)
        study_link(run, actions)
        train_again_button(actions, f"{key}-again", run.spec, run.run_id)
    if run.has_checkpoint:
        # a run that ended before its first epoch keeps its initial weights: the link says so (a diverged run's
        # "Inspect this model" led a learner to Grad-CAM of a model that never trained)
        actions.page_link("app_pages/inspect.py", label="Inspect its initial weights" if run.untrained else
                          "Inspect this model", icon=":material/biotech:", query_params={"run": run.run_id})
    if status in ACTIVE and job is None:
        written_elsewhere(run, "run")
    else:
        outcome_banner(status, reason, traceback, verdict_now(run))
    summary_metrics(run)
    rows = (snapshot["state"].get("epoch_rows") if snapshot else None) or run.epoch_rows()
    points = snapshot["state"].get("batch_losses") if snapshot else None
    if rows or points:
        figure = training_figure(batch_points=points, epoch_rows=rows, best_epoch=run.result.get("best_epoch"),
                                 task=task.name, uirevision=run.run_id, monitor=run.spec.monitor)
        chart = dict(key=f"{key}-curves-{run.run_id}", config={"displaylogo": False})
        from ui.live import CURVES_READ

        where = st.expander("Training curves") if view.curves_folded else st.container()
        with where:
            st.plotly_chart(figure, **chart)
            if points:
                st.caption(CURVES_READ)
    view.sections(run, key)
    st.subheader("Downloads")
    downloads(run, key)


def study_link(run, where) -> None:
    """A search's trial names its study and opens it: its page had said nothing of the search it belonged to, and
    the study's name was in the Runs table only (noticed in a review)."""
    search = run.result.get("search") or {}
    if not search.get("study"):
        return
    query = {"study": search["study"]}
    storage = search.get("storage") or ""
    if is_local() and storage:   # a password, masked, is asked for by the page (ui/search_views.recall)
        from zoo.search import default_storage, display_storage

        if storage != default_storage(runs_dir()):
            query["storage"] = display_storage(storage)
    where.page_link("app_pages/search.py", label=f"Trial #{search.get('trial', '?')} of study {search['study']}",
                    icon=":material/manage_search:", query_params=query)


def summary_metrics(run) -> None:
    task = get_task(run.spec.task)
    result = run.result
    name, label = task.headline
    cols = form.metrics_row(3)
    value = run.test_scores.get(name)   # as the Runs page's table has it (zoo/runs.Run.test_scores)
    if value is None:
        cols[0].metric(label, "—", help="no epoch finished: the initial weights are not a trained model to score"
                       if run.untrained else "not scored: the run ended before its test split was scored" if
                       result.get("status") in ENDED and not result.get("metrics") else None)
    else:
        # Beside the trivial answer (zoo/verdict.py): 10.7% reads as a score until one knows 10 classes give
        # 10% by chance (a learner's check).
        trivial = (result.get("verdict") or {}).get("trivial_accuracy")
        compared = task.metric_format == "percent" and trivial is not None
        cols[0].metric(label, task.format_metric(value),
                       delta=f"{(value - trivial) * 100:+.1f} pts vs trivial" if compared else None,
                       # green only where the verdict counts it better (by its margin, zoo/verdict.py)
                       delta_color="normal" if compared and result["verdict"].get("better") else "off",
                       help="of the restored best weights, on the test split" + (
                           f"; the trivial answer, {result['verdict']['trivial']}" if compared else ""))
    best = result.get("best_epoch")
    # "0" beside "no epoch finished" read as an epoch (a learner's check): none was, the checkpoint is the start's
    cols[1].metric("best epoch", "none" if run.untrained else best if best is not None else "—",
                   help="no epoch finished: the checkpoint kept holds the initial weights" if run.untrained else
                   "the checkpoint kept and evaluated (0: the initial weights)")
    seconds = result.get("seconds")
    cols[2].metric("epochs completed", result.get("epochs_run", "—"),
                   help=f"training took {format_duration(seconds)}" if seconds else None)


DOWNLOADS = {
    "forecast.csv": ("text/csv", "date, forecast, and the 80% and 95% bounds for each future step"),
    "backtest.csv": ("text/csv", "test windows and horizon steps: actual, predicted, bounds, baselines"),
    "best.pt": ("application/octet-stream", "the best epoch's state_dict: torch.load(path, weights_only=True)"),
    "spec.json": ("application/json", "everything that defines the run; ExperimentSpec.from_json reads it back"),
    "metrics.csv": ("text/csv", "one row per epoch"),
}


@st.cache_data(max_entries=32, show_spinner=False)
def _written_like(data: str, stamp: float) -> tuple[str, str]:
    """fio.written_like, once per file and its modification time (`stamp`)."""
    return fio.written_like(data)


def downloads(run, key: str, files: dict = DOWNLOADS) -> None:
    """The run's `files` ({name: (mime, what it holds)}) that exist, the whole run as a zip, and the
    command that reproduces it (a training run's or a leaderboard's, zoo/runs.py Run.command)."""
    from zoo import demo

    row = st.container(horizontal=True, key=f"{key}-downloads")
    present = {p.name: p for p in run.files()}
    # On the hosted demo the files hold the run, not the server (zoo/demo.shareable_bytes); locally, as they are.
    read, whole = ((lambda p: p.read_bytes()), run.zip) if is_local() else (
        (lambda p: demo.shareable_bytes(run, p)), (lambda: demo.shareable_zip(run)))
    # A series run's tables as the person's own CSV writes them (a semicolon file's forecast.csv had opened as one
    # column of text: a forecast user's check); the zip and the run directory keep the run's own.
    written = _written_like(str(run.data), series_results._data_stamp(str(run.data))) \
        if run.is_leaderboard or run.spec.task == "series" else fio.PLAIN_CSV
    for name, (mime, help) in files.items():
        if name in present:
            own = name.endswith(".csv") and written != fio.PLAIN_CSV
            row.download_button(name, data=lambda p=present[name], own=own: fio.written_as(read(p), written) if own
                                else read(p), file_name=f"{run.run_id}-{name}",
                                mime=mime, key=f"{key}-dl-{name}", icon=":material/download:", on_click="ignore",
                                help=f"{help}; {fio.written_in_words(written)}, as the file it read" if own else help)
    if not run.is_leaderboard and "best.pt" not in present:
        row.caption("no checkpoint was written")
    row.download_button("whole run (.zip)", data=whole, file_name=f"{run.run_id}.zip", mime="application/zip",
                        key=f"{key}-dl-zip", icon=":material/folder_zip:", on_click="ignore",
                        help="every file of the run directory")
    # `python -m zoo` is the checkout's package, not an installed one: elsewhere it is "No module named zoo"
    # (a learner's check)
    st.markdown("Reproduce it from a shell, in a checkout of the playground (the folder with `app.py`):")
    # On the hosted demo an upload's path is the server's, of no use to the visitor and not theirs to see
    # (README, "Deploying the hosted demo"): the command names the file they sent.
    path = Path(str(run.data or ""))
    sent = None if is_local() else data_as_sent(run.data)
    # A flag per line, none cut from its value; a long line (an upload's path) wraps rather than hide its backslash.
    # (nor a datasets' folder of this server's, given to a command-line run: --data-dir)
    st.code(command_lines(run.command(data=sent, server_paths=is_local())), language="bash", wrap_lines=True)
    if sent and can_control(run.result.get("owner")):
        st.caption(f":material/info: `{sent}` is the file you uploaded: run the command beside a copy of it.")
    elif sent:   # another visitor's run, opened from its address: the file is theirs (a demo visitors' check)
        st.caption(f":material/info: `{sent}` is the file this run's owner uploaded: run the command beside a copy "
                   "of that file.")
    elif UPLOADS in path.parts and display_name(run.data) != path.name:   # locally, an upload's kept copy: a hashed
        # name, not theirs (the bundled sample's name, ETTh1, is no copy: the command reads it anywhere)
        st.caption(f":material/info: `--data` is this server's kept copy of `{display_name(run.data)}`, so the "
                   "command runs as it is on this machine; elsewhere, give the path of your copy.")
    caveat = _reproduce_caveat(run)
    if caveat:
        st.caption(f":material/info: {caveat}")


def _reproduce_caveat(run) -> str | None:
    return reproduce_caveat(run.result, leaderboard=run.is_leaderboard, data=run.data)


OTHER_RUNS_LISTED = 20   # in the run view's list of the visitor's other runs; the Runs page has them all


def _other_runs(task: str, key: str, current: str | None) -> None:
    """This visitor's other runs of this page's task: the live ones first, then the newest."""
    page = get_task(task).page
    live = [(j.id, j.status) for j in reversed(job_manager().jobs(session_owner()))
            if j.active and get_task(j.task or "image").page == page]
    live_ids = {run_id for run_id, _ in live}
    others = live + [(r.run_id, run_status(r.status, r.result)) for r in my_runs()
                     if get_task(r.spec.task).page == page and r.run_id not in live_ids]
    shown_is_mine = any(run_id == current for run_id, _ in others)   # not another visitor's, opened by its URL
    others = [(run_id, status) for run_id, status in others if run_id != current]
    if others:
        # Keyed, its open state tracked: when the run shown ends, the parts above it change and an unkeyed
        # expander was drawn anew, closed, under the visitor's click (a browser test's run of three).
        # Locally every run is listed (ui/state.my_runs), other browsers' too: "Your runs" there read against the
        # Runs page's "yours", ticked for this browser's only (a learner's check).
        listed = f"{'other ' if shown_is_mine else ''}runs ({len(others)})"
        with st.expander(listed.capitalize() if is_local() else f"Your {listed}", key=f"{key}-others",
                         on_change="rerun"):
            for run_id, status in others[:OTHER_RUNS_LISTED]:
                # A button, not st.page_link: a link to this same page with ?run= left the browser's URL
                # without it (Streamlit 1.67), so the next widget's rerun sent no run and closed the run
                # (its "Run this board again" or backtest slider did nothing). Set here, the server's
                # query string reaches the URL, as start_run's does.
                st.button(f"{run_id} · {status_words(status)}", key=f"{key}-other-{run_id}", type="tertiary",
                          icon=":material/history:", on_click=_open_run, args=(key, run_id))
            if len(others) > OTHER_RUNS_LISTED:   # the count above is of them all (it said 23 over 20 buttons)
                st.caption(f"The first {OTHER_RUNS_LISTED} of these {len(others)}, live ones first, then the newest; "
                           "the Runs page lists every one.")
                st.page_link("app_pages/runs.py", label="Open the Runs page", icon=":material/table_rows:")


def _open_run(key: str, run_id: str) -> None:
    st.session_state.pop(f"{key}-closed", None)
    st.query_params["run"] = run_id


def _a(noun: str) -> str:
    """The noun with its article ("an image classification")."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
