"""Runs: the table of runs; select two or more to overlay their curves and see where their specs
differ; open, or delete, the selected ones.

Locally every run in the runs directory is listed; on the hosted demo (PLAYGROUND_DEMO=1) only
the runs this browser session started or opened.
"""
from pathlib import Path

import streamlit as st

from ui.compare import overlay_figure, run_record, runs_table, spec_diff
from ui.state import ensure_app_shell, is_local, job_manager, runs_dir, session_owner, session_runs
from zoo.registry import get_task
from zoo.runs import delete_run, exists, list_runs, load_run

st.title("Runs")
ensure_app_shell()
manager, owner = job_manager(), session_owner()
root = Path(runs_dir())
mine = set(session_runs()) | {j.id for j in manager.jobs(owner)}

if is_local():
    runs = list_runs(root)
    st.caption(f"Every run in `{root}` (this server runs locally). Tick rows to compare, open or delete them.")
else:
    runs = [load_run(root / r) for r in sorted(mine, reverse=True) if exists(r, root)]
    st.caption("The runs of this browser session. Tick rows to compare, open or delete them.")
waiting = [j for j in manager.jobs(owner) if j.active and not exists(j.id, root)]
if waiting:
    st.caption(f"{len(waiting)} of your jobs are still {', '.join(sorted({j.status for j in waiting}))}; "
               "they appear here once they start training.")

if is_local() and runs and st.toggle("Only this session's runs", key="runs-only-mine"):
    runs = [r for r in runs if r.run_id in mine]
if not runs:
    # (not st.stop(): that would also stop app.py before it fills the sidebar's device badge)
    st.info("No runs yet. Train one on the Train page.", icon=":material/info:")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/fitness_center:")
else:
    records = [run_record(r, manager.get(r.run_id), r.run_id in mine) for r in runs]
    version = st.session_state.setdefault("runs-table-version", 0)
    event = st.dataframe(
        runs_table(records), key=f"runs-table-{version}", on_select="rerun", selection_mode="multi-row",
        hide_index=True, width="stretch",
        column_config={
            "run": st.column_config.TextColumn("run", width="medium"),
            "best val loss": st.column_config.NumberColumn(format="%.4f"),
            "test accuracy": st.column_config.NumberColumn(format="percent"),
            "test loss": st.column_config.NumberColumn(format="%.4f"),
            "samples/s": st.column_config.NumberColumn(format="%.0f", help="median over epochs, training pass only"),
            "started": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
            "mine": st.column_config.CheckboxColumn("this session", help="started or opened in this browser session"),
        },
    )
    selected = [records[i] for i in event.selection.rows if i < len(records)]

    if not selected:
        st.caption("Select two or more runs to overlay their curves and compare their specs.")
    else:
        st.markdown("**Open**")
        links = st.columns(min(len(selected), 4))
        for i, record in enumerate(selected[:8]):
            label = f"{record['run']} ({record['status']})"
            links[i % len(links)].page_link(get_task(record["task"]).page, query_params={"run": record["run"]},
                                            label=label, icon=":material/open_in_new:")

        active = [r["run"] for r in selected if (j := manager.get(r["run"])) is not None and j.active]
        deletable = [r["run"] for r in selected if is_local() or r["run"] in mine]
        if st.button(f"Delete {len(selected)} run{'s' if len(selected) > 1 else ''}…", key="runs-delete",
                     icon=":material/delete:", disabled=bool(active) or len(deletable) < len(selected),
                     help="stop running jobs first" if active else "removes the run directories from disk"):
            st.session_state["runs-confirm-delete"] = [r["run"] for r in selected]

    pending = st.session_state.get("runs-confirm-delete")
    if pending:
        st.warning(f"Delete {', '.join(f'`{p}`' for p in pending)}? Their checkpoints, metrics and specs are "
                   "removed from disk. This cannot be undone.", icon=":material/warning:")
        yes, no, _ = st.columns([1, 1, 4])
        if yes.button("Delete permanently", type="primary", key="runs-delete-confirm"):
            removed = []
            for run_id in pending:
                job = manager.get(run_id)
                if job is not None and job.active:
                    st.error(f"{run_id} is running: stop it first.")
                    continue
                if exists(run_id, root):
                    delete_run(root / run_id)
                    manager.forget(run_id)
                    removed.append(run_id)
            st.session_state.pop("runs-confirm-delete", None)
            st.session_state["my_runs"] = [r for r in session_runs() if r not in removed]
            st.session_state["runs-table-version"] = version + 1  # a fresh table: the old selection is gone
            st.toast(f"Deleted {len(removed)} run{'s' if len(removed) != 1 else ''}.", icon=":material/delete:")
            st.rerun()
        if no.button("Cancel", key="runs-delete-cancel"):
            st.session_state.pop("runs-confirm-delete", None)
            st.rerun()

    if len(selected) >= 2:
        st.subheader("Curves")
        st.plotly_chart(overlay_figure(selected), key="runs-overlay", config={"displaylogo": False})
        st.subheader("Where the specs differ")
        show_all = st.toggle("show every field", key="runs-diff-all")
        diff = spec_diff({r["run"]: r["spec"] for r in selected}, show_all=show_all)
        if diff.empty:
            st.info("These runs have the same spec (they differ only by chance, or not at all).")
        else:
            st.dataframe(diff, width="stretch")
