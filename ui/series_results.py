"""What a series run's view adds (ui/run_view.py draws the rest): its test scores against the
baselines, the backtest over the test split, and the forecast after the series with its
80% and 95% intervals. Everything is read from the run directory (zoo/runs.py), so it survives a
reload or a server restart; the figures are plain functions of those tables.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui.form import metrics_row, sentence
from ui.text import plain
from zoo import forecast_io as fio
from zoo.data.series import read_series, resolve_series_source
from zoo.data.series.columns import clock_name
from zoo.forecast import BASELINES, min_calibration_windows
from zoo.forecast.report import TIE
from zoo.plots import count_axis, day_ticks
from zoo.registry import SpecError

SHORT_BASELINES = {"naive": "naive", "seasonal_naive": "seasonal naive", "mean": "window mean",
                   "linear": "linear LS"}
COLORS = {"actual": "#222222", "model": "#1f77b4", "band80": "rgba(31,119,180,0.28)",
          "band95": "rgba(31,119,180,0.12)", "history": "#555555",
          "naive": "#ff7f0e", "seasonal_naive": "#2ca02c", "mean": "#9467bd", "linear": "#8c564b"}
PLOT_CONFIG = {"displaylogo": False}


@st.cache_data(max_entries=8, show_spinner="Reading the run's backtest…")
def run_tables(run_path: str, stamp: float) -> dict:
    from zoo.runs import load_run

    run = load_run(run_path)
    tables, unreadable = {}, {}
    for name in ("backtest", "forecast"):
        try:
            tables[name] = run.table(name)
        except SpecError as exc:   # garbage in the file: said where its table would be (`unreadable_table`)
            tables[name], unreadable[name] = None, str(exc)
    return {**tables, "unreadable": unreadable}


def unreadable_table(tables: dict, name: str, title: str | None = None) -> bool:
    """Where run_tables could not read the table `name`: its one sentence in place of the table (under `title`),
    the rest of the run shown (pandas' ParserError had taken the place of the rest of the view, its downloads and
    "Close this run" too: a storage-faults check). True where it said so."""
    said = (tables.get("unreadable") or {}).get(name)
    if said:
        if title:
            st.subheader(title)
        st.error(said[0].upper() + said[1:], icon=":material/error:")
    return bool(said)


def history_rows(horizon: int, lookback: int) -> int:
    """How much of the series the forecast chart shows before the forecast: four horizons, or the lookback
    the model read, whichever is longer (the forecast stays readable beside it), at most 5,000 rows."""
    return min(max(4 * int(horizon), int(lookback)), 5000)


@st.cache_data(max_entries=8, show_spinner=False)
def history_of(data: str, target, date_col, stamp: float, rows: int) -> pd.Series | None:
    """The last `rows` values of the target the run was trained on (None when the file is gone): the file's own,
    a value filled in being a break in the line, as in the backtest (SeriesFrame.actual_target)."""
    try:
        sf = read_series(resolve_series_source(data), target=target, date_col=date_col)
    except (SpecError, OSError):
        return None
    return pd.Series(sf.actual_target(), index=sf.frame.index, name=sf.target).iloc[-rows:]


def _data_stamp(data: str) -> float:
    try:
        return Path(resolve_series_source(data)).stat().st_mtime
    except (OSError, TypeError):
        return 0.0


def metrics_view(result: dict, model: str) -> None:
    """The model's test metrics next to every baseline's, the plain 'beats' lines, and interval coverage."""
    table = fio.metrics_table(result, model)
    lines = fio.beats_lines(result)
    with st.container(key="forecast-beats"):
        won = sum(line["won"] for line in lines)
        if lines:
            head = (f"The model beats **{won} of {len(lines)}** baselines on the test windows (RMSE, original scale; "
                    f"within {TIE:.0%} is a tie)."
                    if won else "The model beats **none** of the baselines on the test windows: a simpler "
                                "forecast does as well here.")
            st.markdown(head)
        for line in lines:
            icon = (":green[:material/check_circle:]" if line["won"] else ":orange[:material/drag_handle:]"
                    if line["tie"] else ":red[:material/cancel:]")
            st.markdown(f"{icon} **{line['verdict']} {line['baseline']}**{line['detail']}")

    # Metrics as rows and forecasters as columns: five narrow columns fit beside the setup column, mostly. Where they
    # do not (a 1,024 px screen with the sidebar open), the table scrolls sideways, so the baselines come in order of
    # their test RMSE, the strongest beside the model: the one linear least squares that beat the model was the
    # column scrolled out of sight, its highlight with it (a small-screen check).
    table = table.T
    names = list(result.get("baselines") or {})
    table.columns = ["model"] + names
    rmse = table.loc[fio.METRIC_LABELS["rmse"]]
    strongest = sorted(names, key=lambda n: (rmse[n] is None or pd.isna(rmse[n]), rmse[n] if pd.notna(rmse[n]) else 0))
    table = table[["model", *strongest]]
    table.columns = ["model"] + [SHORT_BASELINES.get(n, n) for n in strongest]

    st.dataframe(metrics_styled(table), width="stretch")
    st.caption(f"Test windows; *model* is this run's {model}. Original scale unless marked: MAPE skips zero actuals; "
               "MASE divides by the seasonal-naive error on the training part; the normalised MSE and MAE use the "
               "training split's scaler, as in published tables. The best value of each row is marked ★ and "
               "highlighted; the baselines come in order of their RMSE, the strongest first.")
    coverage = fio.coverage_lines(result)
    if coverage:
        coverage_metrics(metrics_row(len(coverage)), result, (result.get("interval_windows") or {}).get("validation"),
                         "windows")


def metrics_styled(table: pd.DataFrame):
    """The test metrics (rows) of the model and its baselines (columns): each row's best value highlighted, and each
    row's numbers with the same decimals (number_format): "%.4g" wrote MAE 118 beside 122.4."""
    def best_in_row(row: pd.Series):
        finite = row.dropna()
        best = finite.min() if not finite.empty else None
        return ["font-weight: bold; background-color: rgba(44,160,44,0.15)" if best is not None and v == best else ""
                for v in row]

    styled = table.style.apply(best_in_row, axis=1)
    for metric in table.index:
        shown = number_format(table.loc[[metric]])
        finite = table.loc[metric].dropna()
        best = finite.min() if not finite.empty else None
        # ★ beside the best: the highlight alone is nothing to a screen reader (a keyboard user's check)
        styled = styled.format(lambda v, shown=shown, best=best: "—" if v is None or pd.isna(v)
                               else shown % v + (" ★" if v == best else ""), subset=pd.IndexSlice[[metric], :])
    return styled


def coverage_metrics(cols, result: dict, calibrated: int | None, calibrated_on: str) -> None:
    """One metric per interval level of a run's `result` (`fio.coverage_lines`), in `cols`: the share of test
    actuals inside it, or a dash where the level had too few validation `calibrated_on` (windows, origins) for an
    interval; under them, a warning where one held far fewer than its level (fio.coverage_shortfall; `calibrated`:
    how many validation windows or origins)."""
    coverage = fio.coverage_lines(result)
    # Short labels: a quarter of the run view is about 170 px, where "80% interval coverage" was cut to
    # "80% interval c…", "+6.1 points vs nominal" to "+6.1 points vs…" and "+12.0 pts vs 80%" to "+12.0 pts vs 8…"
    # (the level is in the label: the delta is the points above or below it, said in the help).
    for col, (level, share) in zip(cols, coverage):
        if share is None:
            col.metric(f"{level}% coverage", "—",
                       help=f"no {level}% interval: too few validation {calibrated_on} to calibrate it "
                            f"(a {level}% interval needs at least {min_calibration_windows(level / 100)})")
        else:
            col.metric(f"{level}% coverage", f"{share:.1%}",
                       f"{(share - level / 100) * 100:+.1f} pts", delta_color="off",
                       help=f"share of the test actuals inside the split-conformal {level}% interval, calibrated "
                            f"on the validation {calibrated_on}' residuals of each horizon step; below it, the "
                            f"points above or below {level}%")
    short = fio.coverage_shortfall(result, calibrated, calibrated_on)
    if short:
        st.warning(sentence(short), icon=":material/warning:")


def notes_list(notes) -> str:
    """Notes as a Markdown list, each begun with a capital (the reader's notes are sentences written to
    follow a colon: "dates are read from column 'month'")."""
    return "\n".join(f"- {plain(sentence(n))}" for n in notes)   # a note may quote a column's name (ui/text.py)


def date_column(dates, utc_offset=None, name: str | None = None) -> "st.column_config.DatetimeColumn | None":
    """How a table shows these dates: whole days without their 00:00:00, others without seconds; None
    for step numbers (a series without dates), left as they are. Times on the clock of a file whose
    timestamps carried zones (runs.Run.table: its utc_offset) say that clock in the header, after the
    column's `name` (the file's, in a preview; "date" in a run's tables)."""
    dates = pd.Series(dates)
    if not pd.api.types.is_datetime64_any_dtype(dates):
        return None
    whole_days = bool(dates.notna().all() and (dates == dates.dt.normalize()).all())
    label = None if utc_offset is None else f"{name or 'date'} ({clock_name(utc_offset)})"
    return st.column_config.DatetimeColumn(label, format="YYYY-MM-DD" if whole_days else "YYYY-MM-DD HH:mm")


def table_height(rows: int, most: int = 8) -> int:
    """A dataframe's height in pixels for `rows` rows, scrolling past `most`: whole rows only (35 px each,
    the header one more; a height of 300 cut the eighth row in half)."""
    return (min(rows, most) + 1) * 35 + 3


def number_format(values: pd.DataFrame) -> str:
    """One printf format for a table's numbers: the decimals that give its largest about four significant digits,
    the same for every cell ("%.4g" wrote 118 beside 122.4 in one column: a browser check)."""
    import math

    import numpy as np

    finite = np.abs(values.to_numpy(dtype=float, na_value=np.nan))
    finite = finite[np.isfinite(finite) & (finite > 0)]
    largest = float(finite.max()) if finite.size else 1.0
    decimals = max(0, 3 - math.floor(math.log10(largest)))
    return f"%.{decimals}f" if decimals <= 6 else "%.4g"   # below 0.001, fixed decimals would show zeros


def forecast_table(forecast: pd.DataFrame) -> None:
    """forecast.csv as a table (a run's, or a leaderboard's pick's): dates as dates, numbers to about four
    significant digits with the same decimals in every cell (number_format), and "—" for a level left out
    (intervals_named)."""
    shown = number_format(forecast[[c for c in fio.FORECAST_COLUMNS[1:] if c in forecast]])
    columns = {c: st.column_config.NumberColumn(format=shown) for c in fio.FORECAST_COLUMNS[1:]}
    minutes = forecast.attrs.get("utc_offset_minutes")
    if (dates := date_column(forecast["date"], None if minutes is None else pd.Timedelta(minutes=minutes))) is not None:
        columns["date"] = dates
    st.dataframe(forecast, width="stretch", height=table_height(len(forecast)), hide_index=True,
                 placeholder="—", column_config=columns)


def after_the_last_row(steps: int) -> str:
    """'the 12 steps after the last row'; 'the step after the last row' (it read "The 1 steps")."""
    return "the step after the last row" if steps == 1 else f"the {steps} steps after the last row"


def intervals_named(frame: pd.DataFrame, lead: str) -> str:
    """"with 80% and 95% intervals", or only the levels the frame has: too few validation windows leave a
    level out (zoo/forecast/scores.py, conformal_intervals), and a caption must not promise it."""
    levels = [f"{level}%" for level in (80, 95)
              if f"lower_{level}" in frame and frame[f"lower_{level}"].notna().any()]
    if not levels:
        return "without intervals (too few validation windows to calibrate one)"
    return f"{lead} {' and '.join(levels)} interval{'s' if len(levels) > 1 else ''}"


def backtest_figure(part: pd.DataFrame, baselines=(), season: int | None = None, bands: bool = True,
                    height: int = 420) -> go.Figure:
    """Actual vs predicted at one horizon step over the test split (a frame from fio.backtest_step),
    with its 80%/95% intervals and the chosen baselines."""
    x = part["time"]
    fig = go.Figure()
    if bands:
        for level in (95, 80):
            lo, hi = f"lower_{level}", f"upper_{level}"
            if lo in part and part[lo].notna().any():
                fig.add_trace(go.Scatter(x=x, y=part[hi], mode="lines", line=dict(width=0), showlegend=False,
                                         hoverinfo="skip", legendgroup=f"band{level}"))
                fig.add_trace(go.Scatter(x=x, y=part[lo], mode="lines", line=dict(width=0), fill="tonexty",
                                         fillcolor=COLORS[f"band{level}"], name=f"{level}% interval",
                                         legendgroup=f"band{level}", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=part["actual"], mode="lines", name="actual",
                             line=dict(color=COLORS["actual"], width=1.5)))
    fig.add_trace(go.Scatter(x=x, y=part["predicted"], mode="lines", name="model",
                             line=dict(color=COLORS["model"], width=1.5)))
    for name in baselines:
        col = f"baseline_{name}"
        if col in part:
            fig.add_trace(go.Scatter(x=x, y=part[col], mode="lines", name=fio.baseline_label(name, season),
                                     line=dict(color=COLORS.get(name, "#7f7f7f"), width=1, dash="dot")))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), hovermode="x unified",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), xaxis=day_ticks(x))
    return fig


def forecast_figure(forecast: pd.DataFrame, history: pd.Series | None = None, target: str = "",
                    height: int = 420) -> go.Figure:
    """The history before the forecast, then the H future steps with their 80% and 95% intervals."""
    fig = go.Figure()
    x = forecast["date"]
    if history is not None and len(history):
        fig.add_trace(go.Scatter(x=history.index, y=history.to_numpy(), mode="lines", name="history",
                                 line=dict(color=COLORS["history"], width=1.5)))
    for level in (95, 80):
        lo, hi = f"lower_{level}", f"upper_{level}"
        if forecast[lo].notna().any():
            fig.add_trace(go.Scatter(x=x, y=forecast[hi], mode="lines", line=dict(width=0), showlegend=False,
                                     hoverinfo="skip", legendgroup=f"band{level}"))
            fig.add_trace(go.Scatter(x=x, y=forecast[lo], mode="lines", line=dict(width=0), fill="tonexty",
                                     fillcolor=COLORS[f"band{level}"], name=f"{level}% interval",
                                     legendgroup=f"band{level}",
                                     customdata=forecast[[hi]].to_numpy(),
                                     hovertemplate=f"{level}%: %{{y:.4g}} to %{{customdata[0]:.4g}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=forecast["forecast"], mode="lines+markers", name="forecast",
                             line=dict(color=COLORS["model"], width=2), marker=dict(size=4)))
    if len(x):
        fig.add_vline(x=x.iloc[0], line=dict(color="#999999", width=1, dash="dash"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), hovermode="x unified",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), yaxis=dict(title=target),
                      xaxis=day_ticks([*(history.index if history is not None else ()), *x]))
    return fig


def error_by_step(backtest: pd.DataFrame, baselines=BASELINES) -> go.Figure:
    """Mean absolute error at each horizon step: the model against the baselines."""
    err = backtest.assign(model=(backtest["predicted"] - backtest["actual"]).abs())
    cols = {"model": "model"}
    for name in baselines:
        if f"baseline_{name}" in backtest:
            err[name] = (backtest[f"baseline_{name}"] - backtest["actual"]).abs()
            cols[name] = fio.baseline_label(name)
    by_step = err.groupby("step")[list(cols)].mean()
    fig = go.Figure()
    for col, label in cols.items():
        fig.add_trace(go.Scatter(x=by_step.index, y=by_step[col], mode="lines+markers", name=label,
                                 line=dict(color=COLORS["model"] if col == "model" else COLORS.get(col, "#7f7f7f"),
                                           dash=None if col == "model" else "dot")))
    fig.update_layout(height=280, margin=dict(l=10, r=10, t=30, b=10), hovermode="x unified",
                      xaxis=dict(title="steps ahead"), yaxis=dict(title="MAE", rangemode="tozero"),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    count_axis(fig, int(by_step.index.max()) if len(by_step) else 0)   # whole steps: not 1.5 steps ahead
    return fig


def sections(run, key: str) -> None:
    """The baselines, the backtest and the forecast of a series run."""
    spec, result, run_id = run.spec, run.result, run.run_id
    tables = run_tables(str(run.path), run.stamp())
    backtest, forecast = tables["backtest"], tables["forecast"]
    if result.get("metrics") and result.get("baselines"):
        st.subheader("Against the baselines")
        if run.untrained:   # as an image run's sections say (ui/image_results.py); the headline shows "—"
            st.caption("No epoch finished, so the checkpoint holds the initial weights: the model's column, the "
                       "backtest and the forecast below show an untrained model.")
        metrics_view(result, spec.model)
    if unreadable_table(tables, "backtest", "Backtest"):
        pass
    elif backtest is not None and len(backtest):
        st.subheader("Backtest")
        horizon = int(backtest["step"].max())
        step = st.slider("Horizon step", 1, horizon, 1, key=f"{key}-step-{run_id}",
                         help="how far ahead the plotted forecasts were made: 1 is the next step, "
                              f"{horizon} the last of the horizon") if horizon > 1 else 1
        names = [c.removeprefix("baseline_") for c in backtest.columns if c.startswith("baseline_")]
        chosen = st.pills("Show baselines too", names, selection_mode="multi", format_func=fio.baseline_label,
                          key=f"{key}-baselines-{run_id}")
        part = fio.backtest_step(backtest, step)
        st.markdown(f"**Test split: actual vs the forecast made {step} step{'s' if step != 1 else ''} before**")
        with st.container(key="forecast-backtest"):
            st.plotly_chart(backtest_figure(part, chosen or (), result.get("season")),
                            key=f"{key}-backtest-{run_id}", config=PLOT_CONFIG)
        total = (result.get("sizes") or {}).get("test") or len(part)
        shown = (f"{len(part):,} test windows" if len(part) >= total else
                 f"{len(part):,} of the {total:,} test windows, evenly spaced (backtest.csv keeps at most "
                 f"{len(part):,}; the scores above use every one)")
        st.caption(f"{shown}, {intervals_named(part, 'with their split-conformal')}. Drag to zoom, double-click "
                   "to zoom out.")
        if horizon > 1:
            st.markdown("**Mean absolute error by horizon step**")
            st.plotly_chart(error_by_step(backtest, names), key=f"{key}-by-step-{run_id}", config=PLOT_CONFIG)
    if unreadable_table(tables, "forecast", "Forecast"):
        pass
    elif forecast is not None and len(forecast):
        st.subheader("Forecast")
        if run.untrained:   # said where the forecast is, which is what gets downloaded and used (a fault check: a
            # diverged run's forecast and forecast.csv had the word only under the baselines, far above)
            st.warning("This forecast comes from the initial weights: no epoch finished, so no trained model made "
                       "it. Train again before using it (after a divergence, with a lower learning rate).",
                       icon=":material/warning:")
        st.markdown(f"**{after_the_last_row(len(forecast)).capitalize()}, {intervals_named(forecast, 'with their')}**")
        rows = history_rows(spec.horizon, spec.lookback)
        history = history_of(spec.data, spec.target, spec.date_col, _data_stamp(spec.data), rows)
        target = spec.target or (history.name if history is not None else "target")
        with st.container(key="forecast-future"):
            st.plotly_chart(forecast_figure(forecast, history, target), key=f"{key}-forecast-{run_id}",
                            config=PLOT_CONFIG)
        if history is None:
            st.caption("The series this run was trained on is no longer readable, so the history is not drawn.")
        forecast_table(forecast)
    elif run.status in ("finished", "early_stopped", "stopped"):
        st.info("This run has no forecast.csv: it ended before the evaluation.", icon=":material/info:")
    notes = list(result.get("data_notes") or []) + list(result.get("notes") or [])
    if notes:
        with st.expander("Notes on the data and the evaluation"):
            st.markdown(notes_list(notes))
