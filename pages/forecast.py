"""Forecast: a CSV of your own (or the bundled ETTh1), checked and previewed; a series model trained
on it with the live chart; then its test scores against the obvious baselines, the backtest, and
the forecast ahead with 80% and 95% intervals, all downloadable.

The run's id is in the URL (`?run=<id>`): opening that URL again re-attaches to the live job, or
shows the finished run from the runs directory. An upload is stored under the runs directory only
when training starts (the worker process reads it from there).
"""
from pathlib import Path

import streamlit as st

from ui import form
from ui import forecast_views as views
from ui.live import live_panel
from ui.results import run_without_directory
from ui.state import ensure_app_shell, job_manager, remember_run, runs_dir, session_owner
from zoo.forecast_io import display_name, store_upload
from zoo.jobs import submit_training
from zoo.registry import DataShape, SpecError, get_model, list_models
from zoo.spec import ExperimentSpec

ensure_app_shell()
manager, owner = job_manager(), session_owner()
st.title("Forecast")
st.caption("Upload a time series, train a model on its past, and see whether it beats the obvious forecasts "
           "before you trust its look ahead.")

# A spec handed over by "Train again" here, or by another page (Search, Runs) for a series model.
prefill = st.session_state.pop("forecast-prefill", None)
if prefill is None and (st.session_state.get("prefill_spec") or {}).get("task") == "series":
    prefill = st.session_state.pop("prefill_spec")
if prefill is not None:
    views.apply_prefill_source(prefill, runs_dir())
views.init_defaults(prefill)
if prefill is not None and prefill.get("model") in list_models("series"):
    st.session_state["forecast-model"] = prefill["model"]


def stop_job(job_id: str) -> None:
    manager.stop(job_id)
    manager.wait(job_id, timeout=1.5)


setup, view = st.columns([2, 3], gap="large")

with setup:
    st.subheader("Data")
    source = views.source_picker(runs_dir())
    sf, chart, choice = views.data_preview(source, prefill) if source else (None, None, {})

    if sf is not None:
        st.subheader("Windows")
        windows = views.window_settings()
        check = views.check_choice(source.key, choice["target"], choice["date_col"], windows["lookback"],
                                   windows["horizon"], windows["features"], windows["split"], windows["season"], sf)
        chart.plotly_chart(views.preview_figure(sf, check), key="forecast-preview-chart",
                           config={**views.PLOT_CONFIG, "displayModeBar": False})
        problem = check.get("error")
        if problem:
            with st.container(key="forecast-window-error"):
                st.error(problem, icon=":material/error:")
        else:
            views.check_caption(check)

        st.subheader("Model")
        model = st.selectbox("Model", list_models("series"), key="forecast-model", persist_state="session",
                             format_func=lambda name: f"{name} · {get_model(name).summary}")
        with st.expander("Model hyperparameters"):
            params = form.model_form(model, key_prefix="forecast-model", task="series",
                                     values=prefill.get("model_params", {}) if prefill and prefill.get("model") == model
                                     else None)
        shape = DataShape(task="series", lookback=windows["lookback"], horizon=windows["horizon"],
                          n_features=check.get("n_features", len(sf.columns) if windows["features"] == "all" else 1))
        preview = form.render_model_preview(model, params, shape)
        with st.expander("Training settings"):
            settings = form.training_form(key_prefix="forecast-settings", task="series", values=prefill)
        views.training_caption(settings, check.get("sizes", {}).get("train"))

        spec = None
        if not problem:
            try:
                spec = ExperimentSpec(task="series", data=source.spec_data or source.name, model=model,
                                      model_params=form.non_defaults(model, params), target=sf.target,
                                      date_col=sf.date_col, **windows, **settings).validate()
                from zoo.engine import check_precision, resolve_device

                check_precision(spec.precision, resolve_device(spec.device))
            except SpecError as exc:
                problem = str(exc)
                st.error(problem, icon=":material/error:")
        if "error" in preview:
            problem = problem or "the model does not build with these hyperparameters"
        if st.button("Train and forecast", type="primary", icon=":material/play_arrow:", disabled=bool(problem),
                     key="forecast-start", width="stretch"):
            if source.kind == "upload":
                spec = spec.replace(data=str(store_upload(source.raw, source.name, runs_dir())))
            job = submit_training(manager, spec, owner=owner, runs_dir=runs_dir())
            remember_run(job.id)
            st.query_params["run"] = job.id
            st.rerun()

with view:
    run_id = st.query_params.get("run")
    job = manager.get(run_id) if run_id else None
    run_path = Path(runs_dir()) / run_id if views.valid_run_id(run_id) else None
    if not run_id:
        st.subheader("Run")
        st.info("Pick the data and the settings on the left and press **Train and forecast**: the loss curves "
                "appear here while it trains, then the model's scores against the baselines, the backtest and "
                "the forecast.", icon=":material/arrow_back:")
    elif job is not None and job.active:
        head, stop_col = st.columns([4, 1], vertical_alignment="center")
        head.markdown(f"#### Run `{run_id}`")
        stop_col.button("Stop", key=f"forecast-stop-{run_id}", icon=":material/stop:", on_click=stop_job,
                        args=(run_id,), disabled=job.stop_requested, width="stretch",
                        help="ends training after the current batch; the best checkpoint is evaluated and kept")
        s = job.payload.get("spec", {})
        st.caption(f"{s.get('model')} on {display_name(s.get('data'), runs_dir())} · lookback "
                   f"{s.get('lookback')} · horizon {s.get('horizon')} · {s.get('epochs')} epochs")
        live_panel(run_id)
    elif run_path is not None and (run_path / "spec.json").exists():
        remember_run(run_id)
        views.results_view(run_path, job=job, runs_dir=runs_dir())
    else:
        run_without_directory(run_id, job, runs_dir())
    if run_id and st.button("Close this run", key="forecast-close", type="tertiary", icon=":material/close:"):
        st.query_params.pop("run", None)
        st.rerun()
