"""Forecast: a CSV of your own (or the bundled ETTh1), checked and previewed; a series model trained
on it with the live chart; then its test scores against the obvious baselines, the backtest, and
the forecast ahead with 80% and 95% intervals, all downloadable.

The right-hand column is the run view (ui/run_view.py), as on Train. An upload is stored under
the runs directory only when training starts (the worker process reads it from there).
"""
import streamlit as st

from ui import drafts, form, leaderboard, series_source, series_windows
from ui.prefill import part, say_filled, take_prefill
from ui.run_view import run_brought_back, run_panel, start_button, start_run
from ui.state import runs_dir, session_owner
from zoo.registry import SpecError, get_model, list_models
from zoo.spec import ExperimentSpec

st.title("Forecast")
st.caption("Upload a time series, train a model on its past, and see whether it beats the obvious forecasts "
           "before you trust its look ahead.")

# A reload: the form as the visitor left it on this address, and the leaderboard's budget as they last set it
# (ui/drafts.py; the budget first, so that one an older draft of an address holds does not come back over it), or
# the form beside the run the page comes back to where they set it there last (the closed and watched runs say which).
drafts.restore(["board", "closed"])
drafts.restore(["series"], beside=run_brought_back("series", "forecast"))
prefill = take_prefill("series")   # each part of the form filled from it once (ui/prefill.part), as it is drawn
first = part(prefill, "data, windows and model")
data_there = first is None or series_source.apply_prefill_source(first, runs_dir())
series_windows.init_defaults(first)
if first is not None and first.get("model") in list_models("series"):
    st.session_state["forecast-model"] = first["model"]
if prefill is not None and leaderboard.BOARD_BUDGET not in prefill:   # a board's says so beside its own Start
    say_filled("Train and forecast", data_there)

setup, view = st.columns([2, 3], gap="large")

with setup:
    # Each part that comes and goes sits in a slot (form.slot), so that the widgets between them keep
    # their place while files are replaced.
    st.subheader("Data")
    with form.slot("forecast-data-slot"):
        source = series_source.source_picker(runs_dir())
        sf, chart, choice = series_source.data_preview(source, part(prefill, "columns")) if source else (None, None, {})

    # Every setting is drawn on every run, with a file or without: a widget that is not drawn for
    # a run (while one upload replaces another) comes back at its minimum (Streamlit 1.67).
    st.subheader("Windows")
    series_windows.fit_to_series(source, sf)   # until the person sets them, the series' own
    windows = series_windows.window_settings(sf)
    problem = None if sf is not None else series_source.NO_SERIES
    check = {}
    with form.slot("forecast-windows-slot"):
        if sf is not None:
            series_windows.window_suggestion(sf, windows)
            check = series_source.check_chosen(source, choice, windows, sf)
            chart.plotly_chart(series_source.preview_figure(sf, check), key="forecast-preview-chart",
                               config={"displaylogo": False, "displayModeBar": False})
            problem = check.get("error")
            if problem:
                with st.container(key="forecast-window-error"):
                    st.error(problem, icon=":material/error:")
            else:
                series_windows.check_caption(check)

    st.subheader("Model")
    model = st.selectbox("Model", list_models("series"), **drafts.kept("forecast-model", options=list_models("series")),
                         format_func=lambda name: f"{name} · {get_model(name).summary}")
    with st.expander("Model hyperparameters", key="forecast-model-box"):
        settings_of = part(prefill, "model settings")
        params = form.model_form(model, key_prefix="forecast-model", task="series",
                                 values=settings_of.get("model_params", {})
                                 if settings_of and settings_of.get("model") == model else None)
    shape = series_windows.model_shape(windows, check, sf)
    with form.slot("forecast-model-preview-slot"):
        preview = form.render_model_preview(model, params.valid(), shape) if shape else {}
        if shape is None and sf is None and windows["features"] == "all":
            st.caption("The model's size shows once the data is read: each of its columns is an input.")
    handed = part(prefill, "training")
    series_windows.fit_training(source, model, windows, check, handed)   # until the person sets them, the series'
    with st.expander("Training settings", key="forecast-settings-box"):
        settings = form.training_form(key_prefix="forecast-settings", task="series", values=handed)
    with form.slot("forecast-start-slot"):
        problems = ([problem] if problem else []) + params.problems + settings.problems
        if not problems:
            series_windows.training_caption(settings, check.get("sizes", {}).get("train"), model=model,
                                            lookback=windows["lookback"], period=check.get("season", 1))
        spec = start_button(
            "Train and forecast", key="forecast-start", problems=problems, preview=preview,
            train_samples=check.get("sizes", {}).get("train"),   # the demo's cap, said before the click
            settings_key="forecast-settings",
            build=lambda: ExperimentSpec(task="series", data=source.spec_data or source.name, model=model,
                                         model_params=form.non_defaults(model, params), target=sf.target,
                                         date_col=sf.date_col, layout=choice["layout"], **windows, **settings,
                                         windows_fitted=series_windows.fitted_names(),
                                         training_fitted=series_windows.fitted_training()))
        if spec is not None:
            try:
                spec = spec.replace(data=series_source.data_for_spec(source, runs_dir(), session_owner()))
            except SpecError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                start_run(spec)
    leaderboard.find_best(source, sf, windows, choice, part(prefill, "board"))

with view:
    run_panel("series", key="forecast", empty="Pick the data and the settings (on the left, or above on a phone) "
                                              "and press **Train and forecast**: the loss curves appear here while "
                                              "it trains, then the model's scores against the baselines, the "
                                              "backtest and the forecast.")
# A reload finds the form as it is now, on this address (the run view may have put a live run in it).
drafts.save(["board", "series", "closed"])
