"""Runs: the table of runs; select two or more to overlay their curves and see where their specs
differ; open, or delete, the selected ones.

Locally every run in the runs directory is listed; on the hosted demo (PLAYGROUND_DEMO=1) only
this visitor's (ui/state.py). A search's trials stay together under their study.
"""
import streamlit as st

from ui import drafts, visitor_data
from ui.compare import (ACCURACY_FORMAT, field_label, group_by_study, keep_ticks, overlay_figure, past_table_numbers,
                        ran_apart, runs_table, same_curves, same_spec_words, spec_diff, without_curves)
from ui.live import follow_live_jobs, job_progress, status_words
from ui.state import (QUESTION, button_pressed, can_control, is_local, job_manager, my_runs, runs_dir, session_owner,
                      toast_next_run)
from zoo import demo
from zoo.forecast_io import uploads_read_by
from zoo.jobs import left_no_run
from zoo.registry import SpecError, get_task
from zoo.run_health import being_written
from zoo.run_records import run_record
from zoo.runs import delete_run, exists, listing_state, run_path, unreadable_runs

MAX_NEVER_RAN = 5   # jobs that ended before they trained, said at the top (the latest)
ASKED_DELETE = QUESTION + "runs-delete"   # the runs a Delete… asked about (ui/state.drop_questions_on_leaving)
RUN_ID_PX = 290     # "20261206-132154Z-transformer-746c28844964" (the longest model name) and its padding

st.title("Runs")
drafts.restore(["runs"])   # a reload: its switches as the visitor left them (ui/drafts.py)
manager, owner = job_manager(), session_owner()
progress = job_progress(manager, None if is_local() else owner)   # before the list: see follow_live_jobs
# Locally a run may come from the CLI, outside this server's jobs: the page watches the folder for it. On the
# demo every run is a job of this server (followed above), and the folder holds every visitor's runs.
listing = listing_state(runs_dir()) if is_local() else None
runs = my_runs()
existing = {r.run_id for r in runs}   # before the switches hide some: their ticks are kept (ui/compare.keep_ticks)
if is_local():
    # (not "this server runs locally": its jobs may run on a Ray cluster; a teacher's check)
    st.caption(f"Every run in `{runs_dir()}` (this server is no hosted demo: each visitor sees them all). Tick rows to "
               "compare, open or delete them.")
    # One that cannot be read is named (a spec.json edited by hand): it had gone from the list without a word. Not on
    # the demo, where it would be nobody's to see: whose it is cannot be read either.
    unreadable = unreadable_runs(runs_dir(), readable=existing)
    if unreadable:
        st.warning(f"{len(unreadable)} folder{'s' if len(unreadable) > 1 else ''} here "
                   f"hold{'' if len(unreadable) > 1 else 's'} a run's files but cannot be read, so "
                   f"{'they are' if len(unreadable) > 1 else 'it is'} not listed; mend or remove "
                   f"{'them' if len(unreadable) > 1 else 'it'} by hand:\n"
                   + "\n".join(f"- `{name}`: {why}" for name, why in unreadable), icon=":material/error:")
else:
    st.caption("Your runs on this demo (kept in this browser's cookie). Tick rows to compare, open or delete them.")

# A run or a board not started yet (a search's job is no run: its trials are listed as each starts, and one in its
# first trial was counted here as still to appear, beside its row: a learner's check)
waiting = [j for j in manager.jobs(owner) if j.active and j.task and not exists(j.id, runs_dir())]
if waiting:
    status = ", ".join(sorted({status_words(j.status) for j in waiting}))
    st.caption(f"1 of your jobs is still {status}; it appears here once it starts training." if len(waiting) == 1
               else f"{len(waiting)} of your jobs are still {status}; they appear here once they start training.")

# A job of theirs that ended before it trained has no run to list (the server restarted while it waited in the
# queue, say): only the tab left open on it had said so (a demo visitors' check). Said here, with its address, where
# it starts again, until dismissed.
# (`left_no_run`: never a run's directory named, so not a run that failed once trained and was deleted since: a review)
for job in [j for j in manager.jobs(owner) if j.task and j.status == "failed" and left_no_run(j)
            and not exists(j.id, runs_dir())][-MAX_NEVER_RAN:]:
    with st.container(key=f"runs-never-ran-{job.id}"):
        st.warning(f"Your job `{job.id}` ended before it trained: {job.reason}.", icon=":material/warning:")
        opened, dismissed = st.columns([2, 1])
        opened.page_link(get_task(job.task).page, label="Open it", icon=":material/open_in_new:",
                         query_params={"run": job.id})
        dismissed.button("Dismiss", key=f"runs-dismiss-{job.id}", on_click=manager.forget, args=(job.id,))

if is_local() and runs and st.toggle("Only the runs started in this browser",
                                          **drafts.kept("runs-only-mine", default="value")):
    runs = [r for r in runs if r.result.get("owner") == owner]
if runs and any((r.result.get("search") or {}).get("study") for r in runs) and \
        st.toggle("Hide search trials", **drafts.kept("runs-hide-trials", default="value")):
    runs = [r for r in runs if not (r.result.get("search") or {}).get("study")]
follow_live_jobs(manager, progress, None if is_local() else owner, listing, runs_dir())
if not runs:
    # (not st.stop(): that would also stop app.py before it fills the sidebar's device badge)
    st.session_state.pop(ASKED_DELETE, None)
    if existing:   # the switches hide every one: "No runs yet" beside 13 runs on disk (a browser check)
        st.info(f"None of the {len(existing)} run{'s' if len(existing) != 1 else ''} here "
                f"{'is' if len(existing) == 1 else 'are'} shown: the switches above hide "
                f"{'it' if len(existing) == 1 else 'them all'}.", icon=":material/filter_alt_off:")
    else:
        st.info("No runs yet. Train one on the Train page.", icon=":material/info:")
        st.page_link("app_pages/train.py", label="Go to Train", icon=":material/fitness_center:")
else:
    records = group_by_study([run_record(r, manager.get(r.run_id), r.result.get("owner") == owner) for r in runs])
    # The table's scroll bar shows only when hovered: at 1,400 px its scores were out of sight (a forecast user).
    # Space alone ticks nothing in the table (a keyboard user's check): its key said
    st.caption("The scores are further right: scroll the table sideways, or open it full screen from its top-right "
               "corner. With the keyboard: the arrow keys to a row, then Shift+Space ticks it.")
    version = st.session_state.setdefault("runs-table-version", 0)
    drafts.register("runs-picked")
    keep_ticks(records, f"runs-table-{version}", existing)
    table = runs_table(records)
    # Losses to four significant digits: a blown-up run's 620225.9840 ran past its cell (a browser check)
    numbers = {"best val loss": ("%.4g", None), "test accuracy": (ACCURACY_FORMAT, None), "test loss": ("%.4g", None),
               "test MSE (norm.)": ("%.4g", "series: on the training split's scale, as published tables"),
               "test MAE (norm.)": ("%.4g", None),
               "test MASE": ("%.3f", "series: the test MAE over the seasonal naive forecast's in-sample MAE (below 1 "
                                     "beats it); a leaderboard's is its pick's"),
               "samples/s": ("%.0f", "median over epochs, training pass only")}
    huge = past_table_numbers(table, numbers)
    event = st.dataframe(
        table, key=f"runs-table-{version}", on_select="rerun", selection_mode="multi-row",
        hide_index=True, width="stretch", placeholder="—",   # a value a run does not have, not "None"
        column_config={
            # As wide as an id, and not pinned: pinned at 400 px it filled a phone's width, the rest of the table out
            # of reach (a phone user's check); on a laptop too the scores were further right.
            "run": st.column_config.TextColumn("run", width=RUN_ID_PX),
            # wide enough for "stopped early, learned nothing useful" (cut to "stopped e…": a learner's check)
            "status": st.column_config.TextColumn("status", width=300),
            # a board's "leaderboard (13 of 16 ranked): median of the best 3" had shown as "leaderb" (a browser check)
            "model": st.column_config.TextColumn("model", width=300),
            "study": st.column_config.TextColumn("study #trial", width="medium", help="the search this run was a "
                                                                                      "trial of"),
            "data": st.column_config.TextColumn("data", width="medium"),
            **{column: st.column_config.NumberColumn(format=shown, help=help)
               for column, (shown, help) in numbers.items()},
            "started": st.column_config.DatetimeColumn("started (UTC)", format="YYYY-MM-DD HH:mm:ss", timezone="UTC"),
            "mine": st.column_config.CheckboxColumn("yours", help="started in this browser"),
        },
    )
    if huge:   # past what the table's numbers hold (ui/compare.past_table_numbers)
        st.caption(f":material/info: Shown as infinity, past the largest number the table holds: {'; '.join(huge)}.")
    selected = [records[i] for i in event.selection.rows if i < len(records)]

    # Ticks the switches hide stay ticked (ui/compare.keep_ticks): said, or a hidden trial read as untickable
    # ("Select two or more runs…" beside one tick shown and one hidden: a browser check)
    hidden = [run for run in st.session_state.get("runs-picked") or [] if run not in {r["run"] for r in records}]
    if hidden:
        st.caption(f":material/visibility_off: {len(hidden)} ticked run{'s are' if len(hidden) > 1 else ' is'} "
                   "hidden by the switches above, and not compared: turn them off to see "
                   f"{'them' if len(hidden) > 1 else 'it'}.")
    if not selected:
        st.caption("Select two or more runs to overlay their curves and compare their specs.")
    else:
        st.markdown("**Open**")
        # Two to a row: a run id and its status are about 45 characters, cut short in three columns at 1,400 px.
        links = st.columns(min(len(selected), 2))
        for i, record in enumerate(selected[:8]):
            label = f"{record['run']} ({record['status']})"
            links[i % len(links)].page_link(get_task(record["task"]).page, query_params={"run": record["run"]},
                                            label=label, icon=":material/open_in_new:")
        if len(selected) > 8:
            st.caption(f"The first 8 of the {len(selected)} ticked runs; untick some to open the others.")

        # A job of this server, or a run a live process still writes (a search's trial is its study's job's)
        results = {r.run_id: r.result for r in runs}
        active = [r["run"] for r in selected if (j := manager.get(r["run"])) is not None and j.active
                  or being_written(results.get(r["run"], {}))]
        others = [r["run"] for r in selected if not can_control(r["owner"])]
        if button_pressed(st, f"Delete {len(selected)} run{'s' if len(selected) > 1 else ''}…", key="runs-delete",
                          icon=":material/delete:", disabled=bool(active or others),
                          help="stop running jobs first" if active else "another visitor's runs cannot be deleted"
                          if others else "removes the run directories from disk"):
            st.session_state[ASKED_DELETE] = [r["run"] for r in selected]

    pending = st.session_state.get(ASKED_DELETE)
    if pending and sorted(pending) != sorted(r["run"] for r in selected):
        # The ticks changed since Delete was pressed: the question was about other runs. It had stayed, naming the
        # first ones, beside "Delete 2 runs…", and deleted those it named (a browser check).
        st.session_state.pop(ASKED_DELETE, None)
        pending = None
    if pending:
        # An upload they were trained on stays (another run, a search or a board may read it): said, with where it
        # is, since the page said nothing and a visitor looked for it gone (a demo visitors' check)
        names, files, reading = uploads_read_by([r for r in runs if r.run_id in pending], runs_dir())
        named = ", ".join(f"`{name}`" for name in names)
        many = files > 1
        kept = ("" if not files else f" The CSV file{'s' if many else ''}{' ' + named if named else ''} "
                f"{'they were' if reading > 1 else 'it was'} trained on {'stay' if many else 'stays'} among "
                "the Forecast page's earlier uploads"
                + (f", deleted {caps.max_age_hours:g} hours after {'their' if many else 'its'} last use, or now "
                   "with **Delete this upload** there" if (caps := demo.caps()) is not None else "") + ".")
        st.warning(f"Delete {', '.join(f'`{p}`' for p in pending)}? {'Their' if len(pending) > 1 else 'Its'} "
                   "checkpoints, metrics and specs are "
                   f"removed from disk. This cannot be undone.{kept}", icon=":material/warning:")
        yes, no, _ = st.columns([1, 1, 4])
        if button_pressed(yes, "Delete permanently", type="primary", key="runs-delete-confirm"):
            removed = []
            owners = {r.run_id: r.result.get("owner") for r in runs}
            for run_id in pending:
                job = manager.get(run_id)
                if job is not None and job.active:
                    toast_next_run(f"{run_id} is running: stop it first.", ":material/block:")
                elif run_id in owners and can_control(owners[run_id]):   # checked again: never another's
                    try:
                        delete_run(run_path(run_id, runs_dir()))   # (refuses a run still being written)
                    except SpecError as exc:   # said after the rerun below, which an st.error here would not outlast
                        toast_next_run(str(exc), ":material/block:")
                        continue
                    manager.forget(run_id)
                    removed.append(run_id)
            st.session_state.pop(ASKED_DELETE, None)
            st.session_state["runs-table-version"] = version + 1  # a fresh table: the old selection is gone
            toast_next_run(f"Deleted {len(removed)} run{'s' if len(removed) != 1 else ''}.", ":material/delete:")
            st.rerun()
        if button_pressed(no, "Cancel", key="runs-delete-cancel"):
            st.session_state.pop(ASKED_DELETE, None)
            st.rerun()

    if len(selected) >= 2:
        st.subheader("Curves")
        if any(r["rows"] for r in selected):
            st.plotly_chart(overlay_figure(selected), key="runs-overlay", config={"displaylogo": False})
        for caption in (same_curves(selected), without_curves(selected)):
            if caption:
                st.caption(caption)
        st.subheader("Where the specs differ")
        show_all = st.toggle("show every field", **drafts.kept("runs-diff-all", default="value"))
        diff = spec_diff({r["run"]: r["spec"] for r in selected}, show_all=show_all)
        if diff.empty:
            st.info(same_spec_words(selected))
        else:
            if apart := ran_apart(selected):
                st.caption(f"Besides their specs, they did not run alike: {apart}.")
            st.dataframe(diff.rename(index=field_label), width="stretch", column_config={
                "_index": st.column_config.TextColumn("field", width="medium"),
                **{run: st.column_config.TextColumn(run, width="medium") for run in diff.columns}})
# the hosted demo: all of this visitor's files, and one button that deletes them
visitor_data.section(sorted(existing))
drafts.save(["runs"])
