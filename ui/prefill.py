"""A form filled from a spec: "Train again" and "Train with best" hand one to the page of its task
(`hand_off`), and a new browser session on a run's address fills the form from that run once
(`take_prefill`), unless the visitor's draft of the form on that address holds (ui/drafts.py), or the run was
started without the form (the Home page's sample run: `started_without_form`) and the visitor has a draft of it.

The pages call `take_prefill(task)` before their widgets and give what it returns to ui/form.py; the
run view (ui/run_view.py) and the search and leaderboard views call `hand_off`.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import drafts, form, leaderboard
from ui.state import can_control, job_manager, runs_dir, session_owner, take_for_this_run, taken_this_run, toast
from zoo.jobs import ACTIVE
from zoo.registry import get_task
from zoo.runs import is_run_id, open_run
from zoo.spec import ExperimentSpec

PREFILL = "prefill_spec"
RESTORED_FROM = "prefill-restored-from"   # which run a new session's form was filled from, in the page's words
STARTED_WITHOUT_FORM = "prefill-started-without-form"   # this session's runs started without their page's form
_FILLED = "parts-filled"   # in a spec handed over: the parts of the form earlier runs filled from it (`part`)
_FILLING = "parts-filling"   # ... and those this run fills


def hand_off(spec: ExperimentSpec | dict, held: str | None = None) -> None:
    """Open the page of the spec's task with its form filled from the spec (once); `held`: what the page's
    toast says the form now holds (`say_filled`), where "the spec you picked" says too little."""
    spec = spec if isinstance(spec, ExperimentSpec) else ExperimentSpec.from_dict(spec)
    st.session_state[PREFILL] = {**spec.to_dict(), **({RESTORED_FROM: held} if held else {})}
    drafts.forget_fill(spec.task)   # asked for: the visitor's own from now on, on the page's own address too
    st.query_params.pop("run", None)
    from ui.run_view import forget_watched

    page = get_task(spec.task).page
    forget_watched(Path(page).stem)   # a page's run view is keyed by its file's name (app_pages/train.py: "train")
    st.switch_page(page)


def started_without_form(run_id: str) -> None:
    """Say that this session started `run_id` without the form of its task's page (the Home page's sample run):
    that page, opening it, keeps the form as the visitor set it rather than fill it from the run. Drawn first in
    a new session (the front page opened another day), the Train form had shown the sample run's settings over
    the visitor's, and kept them as theirs once the run was closed."""
    st.session_state.setdefault(STARTED_WITHOUT_FORM, set()).add(run_id)


def take_prefill(task: str) -> dict | None:
    """The spec handed to this page (a dict), if it is for this page's task: taken by this run, and by the next
    where a rerun cuts this one short (ui/state.take_for_this_run).

    A new browser session (a reload) that opens this visitor's live run, by its URL or by coming
    back to the page, also fills the form with that run's spec once: the page is as they left it. So
    does the page's first drawing in a session on the URL of a run of theirs that has ended (a reload
    after it finished, or the run opened from the Runs page): a form drawn before keeps what was set.

    Consumed at once, a spec was lost where a rerun cut the page's run short before the page had filled the form
    from it all (ui/state.take_for_this_run): the run after the cut fills the parts not filled yet (`part`)."""
    _restore_after_reload(task)
    pending = st.session_state.get(PREFILL)
    if pending is None or pending.get("task") != task:
        return None
    take_for_this_run(PREFILL)
    pending[_FILLED] = pending.get(_FILLED, set()) | pending.get(_FILLING, set())   # by runs cut short
    pending[_FILLING] = set()
    st.session_state[RESTORED_FROM] = pending.get(RESTORED_FROM)   # for the page's words, with this prefill
    return {k: v for k, v in pending.items() if k not in (RESTORED_FROM, _FILLED, _FILLING)}


def part(prefill: dict | None, name: str) -> dict | None:
    """`prefill` for one part of the page's form (its data, its model's settings, its training settings...), or
    None where a run a rerun cut short filled that part already: the next run fills the rest. The part drawn
    before the cut may have been changed by the person since (the cut is often their change: a rerun's widget
    values), and a part filled again would undo it (a review). Called again in the same run, the same."""
    taken = taken_this_run(PREFILL)
    if prefill is None or taken is None:
        return prefill
    if name in taken[_FILLED]:
        return None
    taken[_FILLING].add(name)
    return prefill


def _said_by_a_cut_run() -> bool:
    """Whether a run a rerun cut short said already what filled the form (the saying is a `part` of its own)."""
    return part({}, "said") is None


def say_filled(start: str, data_there: bool = True) -> None:
    """After a page filled its form from a prefill: a toast that says from what (the run a reload or a link
    opens, or the spec handed over) and what to do, `start` being the page's Start as the words name it.
    `data_there`: False where the spec's data has to be uploaded again (ui/series_source.apply_prefill_source):
    "check it and press Train and forecast" had stood beside a Start that was off for it (a researcher's check)."""
    from ui.run_view import start_blocker

    held = st.session_state.pop(RESTORED_FROM, None) or "the spec you picked"
    if _said_by_a_cut_run():
        return   # a run a rerun cut short said it (its toast sent, or owed: ui/state.toast)
    blocker = start_blocker(job_manager(), session_owner())   # (at a cap, said again beside Start)
    then = f"upload its data again (the warning says why), then press {start}" if not data_there else \
        f"check it and press {start}"
    toast(f"The form now holds {held}: " + (f"{then}." if blocker is None else
          f"check it; {start} is off for now. {blocker}"), ":material/edit_note:")


def _restore_after_reload(task: str) -> None:
    if not form.first_drawing(task):
        return
    run_id = st.query_params.get("run")
    if drafts.holds(task):   # what the visitor left on this address (ui/drafts.py), not the run's settings
        if run_id:
            # Train again (a board's: Run this board again) is offered on a run of the visitor's that has ended
            # (ui/run_view.finished_run, ui/leaderboard.py).
            run = open_run(run_id, runs_dir()) if is_run_id(run_id) else None
            job = job_manager().get(run_id)
            again = (run is not None and run.status not in ACTIVE and (job is None or not job.active)
                     and can_control(run.result.get("owner")))
            button = "Run this board again" if run is not None and run.is_leaderboard else "Train again"
            # (It read "The form is as you left it beside run X; its own settings are what Train again fills in",
            # which a learner found hard to follow; then "..., not that run's settings", also where the form was
            # left as the run had it, and a learner looked for a difference: a browser check.)
            toast(f"The form is as you last left it while viewing run {run_id}"
                  + (f": press {button} to fill in that run's own settings." if again else "."), ":material/edit_note:")
        return
    if run_id in st.session_state.get(STARTED_WITHOUT_FORM, ()) and drafts.kept_own(task):
        # Their set-up (ui/drafts.restore put it in the form), not the sample's: "Train again" fills that in.
        toast(f"The form holds what you set, not the settings of run {run_id}.", ":material/edit_note:")
        return
    manager = job_manager()
    named = job = manager.get(run_id) if run_id else None
    if job is None and not run_id:   # (a run's address this server holds no job of, a run the command line trained
        # or one from before a restart, had filled the form with the visitor's live run's settings: a review)
        mine = [j for j in manager.jobs(session_owner()) if j.active and j.task == task]
        job = mine[-1] if mine else None
    if job is not None and job.active and job.owner == session_owner() and job.task == task:
        spec = job.payload.get("spec") or {}
        if leaderboard.is_board_job(job):   # a LeaderboardSpec's dict: the page takes what a board has
            spec = leaderboard.board_prefill(spec, (job.snapshot()["state"] or {}).get("plan"), page_windows=True)
        # The page's words for it: the run the address opens, or (none, or one the server no longer holds)
        # the visitor's run still going.
        said = (f"the settings of run {job.id}, which this address opens" if job.id == run_id else
                f"the settings of your run {job.id}, still going")
        _offer(task, {**spec, RESTORED_FROM: said})
        if job.id == run_id:
            drafts.filled_from_run(task)   # closing the run gives back the visitor's own form, if left as filled
    elif run_id and is_run_id(run_id) and not (named and named.active):
        # The page's first drawing in this session shows an ended run (a reload, a link, an Open on the Runs
        # page): its files have the spec, and no field of this form has been set in this session. Not when
        # the run is gone, of another task, or another visitor's (looked at, not taken into the form).
        run = open_run(run_id, runs_dir())
        if run is None or run.spec.task != task or not can_control(run.result.get("owner")):
            return
        spec = (leaderboard.board_prefill(run.settings, run.result.get("plan"), page_windows=True)
                if run.is_leaderboard else run.spec.to_dict())
        _offer(task, {**spec, RESTORED_FROM: f"the settings of run {run_id}, which this address opens"})
        drafts.filled_from_run(task)


def _offer(task: str, prefill: dict) -> None:
    """The page's form filled from `prefill`, unless a spec was handed to this page: over one of another page's, put
    back by a run of that page a rerun cut short (ui/state.take_for_this_run) as the visitor left it (a review)."""
    if (st.session_state.get(PREFILL) or {}).get("task") != task:
        st.session_state[PREFILL] = prefill
