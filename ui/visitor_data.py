"""The Runs page's "Your data on this server" on the hosted demo: what the server keeps of this visitor, for how
long, and one button that deletes all of it (zoo/visitor_data.py). A visitor who had deleted every run still left
their uploaded CSV, their studies and their forms' settings on the server, with no way to remove them and no word
of them (a demo visitor's check).
"""
from __future__ import annotations

import streamlit as st

from ui import drafts
from ui.state import KEPT_ON_FORGET, QUESTION, button_pressed, job_manager, runs_dir, session_owner, toast_next_run
from zoo import demo
from zoo.registry import SpecError
from zoo.visitor_data import forget, kept_of

CONFIRM = QUESTION + "visitor-data"          # Delete all my data asked (ui/state.drop_questions_on_leaving)
ASKED_UPLOAD = QUESTION + "upload-delete"   # the earlier upload whose deletion the visitor asked about


def kept_for(caps) -> str:
    """How long the demo keeps a visitor's files (zoo/demo.sweep): a run from its end, the rest from its last use."""
    return (f"runs {caps.max_age_hours:g} hours after they end, uploads, studies and form settings "
            f"{caps.max_age_hours:g} hours after their last use")


def section(run_ids: list[str]) -> None:
    """Said under the runs table on the demo; nothing locally, where every run is everyone's. `run_ids`: the
    visitor's runs, as the page listed them."""
    caps = demo.caps()
    if caps is None:
        return
    owner = session_owner()
    kept = kept_of(owner, runs_dir(), run_ids)
    st.subheader("Your data on this server")
    if kept.empty:
        st.caption("The server keeps nothing of yours: no run, upload, study or form setting.")
        return
    st.caption(f"The server keeps {kept.in_words()}. It deletes {kept_for(caps)}, or all of it now with the button "
               "below; to delete only some runs, tick them in the table above.")
    manager = job_manager()
    active = [j.id for j in manager.jobs(owner) if j.active]
    if not st.session_state.get(CONFIRM):
        if button_pressed(st, "Delete all my data…", key="visitor-data-delete", icon=":material/delete_forever:",
                          disabled=bool(active)):
            st.session_state[CONFIRM] = True
            st.rerun()
        if active:   # said beside it, not in a tooltip only (a demo visitor's check)
            st.caption(f":orange[:material/block:] Stop {', '.join(active)} first, or wait until "
                       f"{'it ends' if len(active) == 1 else 'they end'}.")
        return
    st.warning(f"Delete {kept.in_words()} from this server? This cannot be undone. Every form starts again at its "
               "defaults (in your other tabs of this demo, at their next change).",
               icon=":material/warning:")
    yes, no, _ = st.columns([1, 1, 3])
    if button_pressed(yes, "Delete all permanently", type="primary", key="visitor-data-confirm-yes"):
        try:
            gone, left = forget(owner, runs_dir(), active_jobs=[j.id for j in manager.jobs(owner) if j.active])
        except SpecError as exc:
            st.session_state.pop(CONFIRM, None)
            toast_next_run(str(exc), ":material/block:")
            st.rerun()
        for job in manager.jobs(owner):   # ended: the pages offered their runs and studies ("Your last study")
            manager.forget(job.id)
        drafts.forget_mine(keep=KEPT_ON_FORGET)
        toast_next_run(f"Deleted {gone.in_words()}.", ":material/delete_forever:")
        if not left.empty:   # a run another process began writing meanwhile, a file the server may not remove
            toast_next_run(f"Not deleted: {left.in_words()}; try again in a moment.", ":material/error:")
        st.rerun()
    if button_pressed(no, "Cancel", key="visitor-data-confirm-no"):
        st.session_state.pop(CONFIRM, None)
        st.rerun()


def delete_upload_control(chosen: str, name: str, picked_key: str) -> None:
    """"Delete this upload…" under the earlier upload picked on the Forecast page, locally and on the demo (the
    visitor's own only: zoo/forecast_io.delete_upload). The runs trained on it are said to stay. Refused while a job
    of theirs reads it: its run would fail reading a file gone. `picked_key`: the picker's key, dropped once the file
    is gone, so the page picks another earlier upload, or the sample, without saying the file went missing."""
    from ui.state import my_runs, upload_owner
    from zoo import forecast_io as fio

    if st.session_state.get(ASKED_UPLOAD) != chosen:
        if button_pressed(st, "Delete this upload…", key="upload-delete", icon=":material/delete:",
                          help="remove the file from this server; the runs trained on it stay"):
            st.session_state[ASKED_UPLOAD] = chosen
            st.rerun()
        return
    path = fio.stored_upload(chosen, runs_dir(), upload_owner())
    reading = [run.run_id for run in my_runs() if path is not None
               and fio.stored_upload(run.data, runs_dir()) == path]
    stays = ("" if not reading else
             f" The {len(reading)} run{'s' if len(reading) > 1 else ''} trained on it "
             f"{'stay' if len(reading) > 1 else 'stays'}, but Train again and Inspect need the file: upload it again "
             "then.")
    st.warning(f"Delete `{name}` from this server?{stays} This cannot be undone.", icon=":material/warning:")
    # A job that reads it (a training run, a search or a board: its payload names the file), anyone's locally, where
    # every browser shares the uploads: this visitor's alone had been asked about (a review). Said with the question,
    # which had said its run "stays" while it still trained (a demo visitor's check), and asked again on the click.
    busy = [j.id for j in job_manager().jobs(upload_owner()) if j.active and path is not None
            and _names_file(j.payload, path)]
    if busy:
        st.caption(f":orange[:material/block:] {', '.join(busy)} still reads it: stop it first, or wait until it ends.")
    yes, no, _ = st.columns([1, 1, 3])
    if button_pressed(yes, "Delete permanently", type="primary", key="upload-delete-confirm"):
        st.session_state.pop(ASKED_UPLOAD, None)
        busy = [j.id for j in job_manager().jobs(upload_owner()) if j.active and path is not None
                and _names_file(j.payload, path)]
        try:
            if busy:
                raise SpecError(f"{', '.join(busy)} reads `{name}`: stop it first, or wait until it ends; nothing "
                                "was deleted.")
            gone = fio.delete_upload(chosen, runs_dir(), upload_owner(), keep_name=bool(reading))
        except SpecError as exc:
            toast_next_run(str(exc), ":material/block:")
        else:
            st.session_state.pop(picked_key, None)
            toast_next_run(f"Deleted `{gone}` from this server.", ":material/delete:")
        st.rerun()
    if button_pressed(no, "Cancel", key="upload-delete-cancel"):
        st.session_state.pop(ASKED_UPLOAD, None)
        st.rerun()


def _names_file(value, path) -> bool:
    """Whether a job's payload (nested dicts and lists) holds `path` as one of its values."""
    from pathlib import Path

    if isinstance(value, dict):
        return any(_names_file(v, path) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_names_file(v, path) for v in value)
    if isinstance(value, str) and value.endswith(path.name):
        try:
            return Path(value).resolve() == path
        except (OSError, ValueError):
            return False
    return False
