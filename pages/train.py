"""Train: pick a dataset and a model, set it up, train it, watch it learn live, stop it, see the results.

The run's id is in the URL (`?run=<id>`): opening that URL again re-attaches to the live job, or
shows the finished run from the runs directory. Another page may hand over a spec to start from
in `st.session_state["prefill_spec"]` (an ExperimentSpec dict), which fills the form once.

The set-up form and the live panel are separate fragments: changing a widget reruns only the
form, and the live chart's refresh every second reruns only the chart.
"""
from pathlib import Path

import streamlit as st

from ui import form
from ui.live import live_panel
from ui.results import finished_run_view, run_without_directory
from ui.state import ensure_app_shell, job_manager, remember_run, runs_dir, session_owner, session_runs
from zoo.data.images import IMAGE_DATASETS, is_available
from zoo.jobs import submit_training
from zoo.registry import DataShape, SpecError, get_model, list_models
from zoo.spec import ExperimentSpec

ensure_app_shell()
manager, owner = job_manager(), session_owner()
st.title("Train")

prefill = st.session_state.pop("prefill_spec", None)
if prefill is not None and prefill.get("task", "image") != "image":
    st.warning("That spec is a time-series run: open it on the Forecast page. The form keeps its values.")
elif prefill is not None:
    # Written into the widgets' state here, outside the fragment, so that it happens once.
    if prefill.get("data") in IMAGE_DATASETS:
        st.session_state["train-data"] = prefill["data"]
    notes = []
    if prefill.get("model") in list_models("image"):
        st.session_state["train-model"] = prefill["model"]
        notes += form.set_model_values(prefill["model"], key_prefix="train-model",
                                       values=prefill.get("model_params") or {})
    notes += form.set_training_values(key_prefix="train-settings", values=prefill)
    st.session_state["train-prefill-notes"] = notes
    st.toast("The form now holds the spec you picked: check it and press Start.", icon=":material/edit_note:")


def dataset_label(name: str) -> str:
    d = IMAGE_DATASETS[name]
    where = "bundled" if d.bundled else ("on this machine" if is_available(name) else "needs a download")
    return f"{name} · {d.train_size + d.test_size:,} images · {where}"


def stop_job(job_id: str) -> None:
    """Runs before the rerun: ask the worker to stop, and give it a moment so the rerun shows the outcome."""
    manager.stop(job_id)
    manager.wait(job_id, timeout=1.5)


@st.fragment
def setup_panel() -> None:
    st.subheader("Set up")
    for note in st.session_state.pop("train-prefill-notes", []):
        st.warning(note, icon=":material/warning:")
    data = st.selectbox("Dataset", list(IMAGE_DATASETS), key="train-data", format_func=dataset_label,
                        persist_state="session",
                        help="mnist-sample is bundled (5,000 real MNIST digits); the full sets are read from "
                             "the data folder, or downloaded where there is a network")
    dataset = IMAGE_DATASETS[data]
    if not dataset.bundled and not is_available(data):
        st.caption(f"{data} is not on this machine: training downloads it (needs the internet), or put its four "
                   f"IDX files in `{dataset.raw_folder()}`.")
    model = st.selectbox("Model", list_models("image"), key="train-model", persist_state="session",
                         format_func=lambda name: f"{name} · {get_model(name).summary}")
    with st.expander("Model hyperparameters", expanded=True):
        params = form.model_form(model, key_prefix="train-model", task="image")
    shape = DataShape(task="image", num_classes=len(dataset.classes))
    preview = form.render_model_preview(model, params, shape)
    with st.expander("Training settings", expanded=True):
        settings = form.training_form(key_prefix="train-settings", task="image")

    problem = None
    try:
        spec = ExperimentSpec(task="image", data=data, model=model, model_params=form.non_defaults(model, params),
                              **settings).validate()
        from zoo.engine import check_precision, resolve_device

        check_precision(spec.precision, resolve_device(spec.device))
    except SpecError as exc:
        problem = str(exc)
    if "error" in preview:
        problem = problem or "the model does not build with these hyperparameters"
    if problem:
        st.error(problem, icon=":material/error:")
    running = [j for j in manager.jobs(owner) if j.active]
    at_cap = len(running) >= manager.per_owner
    if at_cap and not problem:
        # A session trains at most PLAYGROUND_JOBS_PER_SESSION jobs at once (default 1): another Start would
        # only wait in the queue.
        st.caption(f"Training {running[-1].id} is {running[-1].status}: stop it, or let it end, to start another.")
    if st.button("Start training", type="primary", icon=":material/play_arrow:",
                 disabled=bool(problem) or at_cap,
                 key="train-start", width="stretch"):
        job = submit_training(manager, spec, owner=owner, runs_dir=runs_dir())
        remember_run(job.id)
        st.query_params["run"] = job.id
        st.rerun()  # the whole page: the run view shows the new job


setup, view = st.columns([2, 3], gap="large")
with setup:
    setup_panel()

with view:
    run_id = st.query_params.get("run")
    if not run_id:
        # Back on Train without ?run= (say, from the sidebar): re-attach to this session's live job.
        mine = [j for j in manager.jobs(owner) if j.active and j.id != st.session_state.get("train-closed")]
        if mine:
            run_id = mine[-1].id
            st.query_params["run"] = run_id
    job = manager.get(run_id) if run_id else None
    run_path = Path(runs_dir()) / run_id if run_id else None
    if not run_id:
        st.subheader("Run")
        st.info("Set up a model on the left and press **Start training**: the loss curves appear here "
                "while it trains, and the results when it ends.", icon=":material/arrow_back:")
    elif job is not None and job.active:
        head, stop_col = st.columns([4, 1], vertical_alignment="center")
        head.markdown(f"#### Run `{run_id}`")
        stop_col.button("Stop", key=f"stop-{run_id}", icon=":material/stop:", on_click=stop_job, args=(run_id,),
                        disabled=job.stop_requested, width="stretch",
                        help="ends training after the current batch; the best checkpoint is kept")
        spec_dict = job.payload.get("spec", {})
        st.caption(f"{spec_dict.get('model')} on {spec_dict.get('data')} · {spec_dict.get('epochs')} epochs · "
                   f"batch {spec_dict.get('batch_size')} · {spec_dict.get('optimizer')} lr {spec_dict.get('lr'):g}")
        live_panel(run_id)
    elif run_path is not None and (run_path / "spec.json").exists():
        remember_run(run_id)
        finished_run_view(run_path, job=job, key="train-result")
    else:
        run_without_directory(run_id, job, runs_dir())
    if run_id and st.button("Close this run", key="train-close", type="tertiary", icon=":material/close:"):
        st.session_state["train-closed"] = run_id
        st.query_params.pop("run", None)
        st.rerun()

    others = [r for r in session_runs() if r != run_id]
    if others:
        with st.expander(f"This session's other runs ({len(others)})"):
            for other in reversed(others[-20:]):
                other_job = manager.get(other)
                label = f"{other} · {other_job.status}" if other_job else other
                st.page_link("pages/train.py", label=label, query_params={"run": other}, icon=":material/history:")
