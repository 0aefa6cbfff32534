"""The Forecast page's pieces: the data source and its preview, the window settings and their check,
and a series run's results (metrics against the baselines, the backtest, the forecast, downloads).

Reading is cached per file content and choice (an upload is keyed by its SHA-256), and a refusal is
cached as its one-sentence message, so a bad file is not re-read on every rerun. Results are read
from the run directory (result.json, backtest.csv, forecast.csv), so they survive a reload or a
server restart; the figures are plain functions of those tables.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from zoo import forecast_io as fio
from zoo.data.series import read_series, resolve_series_source, sample_series_path
from zoo.forecast import BASELINES
from zoo.registry import SpecError

PERSIST = "session"
AUTO = "(detect)"
DEFAULTS = {"lookback": 96, "horizon": 24, "features": "target", "split": "0.7,0.1,0.2", "season": 0}
TRAINING_DEFAULTS = {"epochs": 3, "batch_size": 256}  # a first result on the sample in well under a minute
SPLITS = {
    "0.7,0.1,0.2": "70 / 10 / 20 % (train / validation / test)",
    "0.6,0.2,0.2": "60 / 20 / 20 %",
    "0.8,0.1,0.1": "80 / 10 / 10 %",
    "ett": "ETT protocol: 12 / 4 / 4 months (first 14,400 hourly rows)",
    "custom": "custom shares…",
}
SHORT_BASELINES = {"naive": "naive", "seasonal_naive": "seasonal naive", "mean": "window mean",
                   "linear": "linear LS"}
FEATURES = {"target": "target only (univariate)", "all": "all numeric columns (multivariate)"}
FREQ_WORDS = {"h": ("hourly", "hours"), "D": ("daily", "days"), "B": ("business days", "business days"),
              "W": ("weekly", "weeks"), "MS": ("monthly (month start)", "months"),
              "ME": ("monthly (month end)", "months"), "QS": ("quarterly", "quarters"), "YS": ("yearly", "years"),
              "min": ("every minute", "minutes"), "s": ("every second", "seconds")}
PROBLEM_WORDS = ("dropped", "missing", "duplicate", "irregular", "not in time order", "not valid", "not a date",
                 "treated as missing", "gaps", "time zones", "infinite", "constant")
COLORS = {"actual": "#222222", "model": "#1f77b4", "band80": "rgba(31,119,180,0.28)",
          "band95": "rgba(31,119,180,0.12)", "history": "#555555",
          "naive": "#ff7f0e", "seasonal_naive": "#2ca02c", "mean": "#9467bd", "linear": "#8c564b"}
PLOT_CONFIG = {"displaylogo": False}
MAX_PREVIEW_POINTS = 4000
RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")


def valid_run_id(run_id: str | None) -> bool:
    """A run id names a folder of the runs directory: no separators, no '..' (the URL is user input)."""
    return bool(run_id) and bool(RUN_ID_RE.match(run_id)) and ".." not in run_id


# ---------------------------------------------------------------------------------------------
# the data source


@dataclass
class DataSource:
    kind: str                 # "sample", "upload" or "stored" (a file uploaded before, kept in the runs dir)
    key: str                  # cache key: the content's SHA-256, or the sample's path and mtime
    name: str                 # what the person calls it (their file name)
    raw: bytes | None = None  # an upload's bytes (not yet on disk)
    path: str | None = None   # a file on disk
    spec_data: str | None = None  # what spec.data says (None for an upload: stored when training starts)


def apply_prefill_source(prefill: dict, runs_dir: str) -> None:
    """Point the source picker at a handed-over spec's data: the sample, or an upload kept in the runs
    directory. Any other path is not opened (the page shows files people uploaded, not the server's)."""
    data = prefill.get("data")
    if fio.is_sample(data):
        st.session_state["forecast-source"] = "sample"
    elif fio.stored_upload(data, runs_dir) is not None:
        st.session_state["forecast-stored"] = {"path": str(data), "name": fio.display_name(data, runs_dir)}
        st.session_state["forecast-source"] = "stored"
    else:
        st.warning(f"The run's data ({Path(str(data)).name}) is not a file this page can open: upload it again. "
                   "The other settings are filled in.", icon=":material/warning:")


def _upload_changed() -> None:
    if st.session_state.get("forecast-upload") is None:   # the person removed the file
        st.session_state.pop("forecast-last-upload", None)


def source_picker(runs_dir: str) -> DataSource | None:
    """The sample, an upload, or (after 'Train again') the file a run used. None until a file is there."""
    stored = st.session_state.get("forecast-stored")
    if stored and not fio.stored_upload(stored.get("path"), runs_dir):
        stored = None
    options = ["sample", "upload"] + (["stored"] if stored else [])
    labels = {"sample": "Bundled sample (ETTh1)", "upload": "Upload a CSV",
              "stored": f"Earlier file: {stored['name'] if stored else ''}"}
    if st.session_state.get("forecast-source") not in options:
        st.session_state["forecast-source"] = "sample"
    kind = st.radio("Source", options, key="forecast-source", format_func=labels.get, horizontal=True,
                    persist_state=PERSIST, label_visibility="collapsed")
    if kind == "sample":
        path = sample_series_path()
        st.caption(f":material/license: {fio.SAMPLE_LICENCE}")
        return DataSource("sample", f"sample:{path}:{path.stat().st_mtime}", fio.SAMPLE_NAME, path=str(path),
                          spec_data=fio.SAMPLE_NAME)
    if kind == "stored":
        path = fio.stored_upload(stored["path"], runs_dir)
        st.caption(f"The file `{stored['name']}` as stored for an earlier run; upload it again to change it.")
        return DataSource("stored", path.stem, stored["name"], path=str(path), spec_data=str(stored["path"]))
    uploaded = st.file_uploader(
        "CSV file", type=["csv", "tsv", "txt"], key="forecast-upload", max_upload_size=fio.MAX_UPLOAD_MB,
        on_change=_upload_changed,
        help=f"A column of dates (optional) and one or more columns of numbers; comma, semicolon, tab or pipe "
             f"separated; UTF-8, UTF-16 or Latin-1; up to {fio.MAX_UPLOAD_MB} MB and {fio.MAX_UPLOAD_ROWS:,} rows.")
    last = st.session_state.get("forecast-last-upload")
    if uploaded is not None and (last is None or last.get("file_id") != uploaded.file_id):
        raw = uploaded.getvalue()
        last = {"file_id": uploaded.file_id, "name": uploaded.name, "raw": raw, "key": fio.upload_key(raw)}
        st.session_state["forecast-last-upload"] = last
    if last is None:
        st.caption("The file stays in this browser session until you train: then it is kept with the run, so the "
                   "run can be reproduced.")
        return None
    if uploaded is None:
        st.caption(f"Using `{last['name']}`, uploaded earlier in this session.")
    return DataSource("upload", last["key"], last["name"], raw=last["raw"])


# ---------------------------------------------------------------------------------------------
# reading (cached) and the preview


def _source_bytes(source: DataSource) -> bytes:
    if source.raw is not None:
        return source.raw
    with open(source.path, "rb") as fh:
        return fh.read(fio.MAX_UPLOAD_BYTES + 1)


@st.cache_data(max_entries=12, ttl=3600, show_spinner="Reading the series…")
def read_choice(key: str, name: str, target: str | None, date_col: str | None, _source: DataSource) -> dict:
    """{"sf": SeriesFrame} or {"error": one sentence}; cached by content key, name and choices."""
    try:
        if _source.raw is not None:
            sf = fio.read_upload(_source.raw, name, target=target, date_col=date_col)
        else:
            sf = read_series(_source.path, target=target, date_col=date_col)
        return {"sf": sf}
    except SpecError as exc:
        return {"error": str(exc)}
    except Exception as exc:  # the reader promises SpecError; never let a surprise reach the page as a traceback
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        return {"error": f"{name} could not be read as a time series ({type(exc).__name__}: {first}); "
                         "check that it is a CSV of dates and numbers."}


@st.cache_data(max_entries=32, show_spinner=False)
def columns_of(key: str, name: str, _source: DataSource) -> list[str]:
    try:
        names = fio.header_columns(_source_bytes(_source), name)
    except OSError:
        return []
    return [n for n in names if len(n) <= 100][:500]


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def check_choice(key: str, target, date_col, lookback: int, horizon: int, features: str, split: str, season: int,
                 _sf) -> dict:
    """fio.check_windows, or {"error": ...}, cached by the data and the settings."""
    try:
        return fio.check_windows(_sf, lookback, horizon, features=features, split=split, season=season)
    except SpecError as exc:
        return {"error": str(exc)}
    except (ValueError, TypeError, MemoryError) as exc:  # make_windows promises SpecError; stay one line anyway
        return {"error": f"these settings cannot cut the series into windows ({type(exc).__name__}: "
                         f"{(str(exc).splitlines() or [''])[0][:160]}); try a smaller lookback or horizon."}


def describe_freq(freq: str | None) -> str:
    """'hourly (h)', 'every 15 minutes (15min)', ...: the frequency in words, with pandas' alias."""
    if not freq:
        return "none (plain steps)"
    m = re.match(r"^(\d*)([A-Za-z]+)(-\w+)?$", freq)
    if not m or m.group(2) not in FREQ_WORDS:
        return freq
    n, (one, many) = m.group(1), FREQ_WORDS[m.group(2)]
    return f"{one} ({freq})" if n in ("", "1") else f"every {n} {many} ({freq})"


def _apply_prefill_columns(prefill: dict | None, target_key: str, date_key: str, targets: list, dates: list) -> None:
    if not prefill:
        return
    if prefill.get("target") in targets:
        st.session_state[target_key] = prefill["target"]
    if prefill.get("date_col") in dates:
        st.session_state[date_key] = prefill["date_col"]


def data_preview(source: DataSource, prefill: dict | None = None):
    """Target and date-column choosers, then the preview (or the one-sentence refusal).

    Returns (SeriesFrame or None, chart placeholder, the choices {target, date_col})."""
    default = read_choice(source.key, source.name, None, None, source)
    columns = columns_of(source.key, source.name, source)
    detected = default.get("sf")
    target, date_col = None, None
    if len(columns) >= 2:
        targets = [AUTO] + [c for c in columns if detected is None or c != detected.date_col]
        dates = [AUTO] + columns
        short = source.key[:12]
        tkey, dkey = f"forecast-target-{short}", f"forecast-date-{short}"
        _apply_prefill_columns(prefill, tkey, dkey, targets, dates)
        c1, c2 = st.columns(2)
        target = c1.selectbox(
            "Target (the column to forecast)", targets, key=tkey,
            format_func=lambda c: (f"{detected.target} (default)" if detected else "last numeric column")
            if c == AUTO else c,
            help="the values the model learns to predict; the other numeric columns are inputs in multivariate mode")
        date_col = c2.selectbox(
            "Date column", dates, key=dkey,
            format_func=lambda c: (f"{detected.date_col} (detected)" if detected and detected.date_col else
                                   "none found: plain steps" if detected else "detect") if c == AUTO else c,
            help="the timestamps: rows are sorted by them and the forecast gets their frequency")
        target = None if target == AUTO else target
        date_col = None if date_col == AUTO else date_col
    outcome = default if (target, date_col) == (None, None) else read_choice(source.key, source.name, target,
                                                                              date_col, source)
    if "error" in outcome:
        with st.container(key="forecast-read-error"):
            st.error(outcome["error"], icon=":material/error:")
        return None, None, {"target": target, "date_col": date_col}
    sf = outcome["sf"]
    summary = sf.summary()
    with st.container(key="forecast-preview"):
        span = f" · {_fmt_time(summary['start'])} → {_fmt_time(summary['end'])}" if sf.date_col else ""
        st.markdown(f"**{summary['rows']:,} rows** · date column **{sf.date_col or 'none'}** · frequency "
                    f"**{describe_freq(sf.freq)}** · target **{sf.target}**{span}")
        others = [c for c in sf.columns if c != sf.target]
        if others:
            st.caption(f"Other numeric columns (inputs in multivariate mode): {', '.join(others[:20])}"
                       + (f" and {len(others) - 20} more" if len(others) > 20 else ""))
        chart = st.empty()
        notes = [n for n in summary["notes"]]
        if notes:
            lines = []
            for note in notes:
                problem = any(w in note.lower() for w in PROBLEM_WORDS)
                icon = ":orange[:material/warning:]" if problem else ":green[:material/check:]"
                lines.append(f"{icon} {note[0].upper()}{note[1:]}")
            st.markdown("**What the reader found**  \n" + "  \n".join(lines))
        with st.expander("First rows"):
            st.dataframe(sf.frame.head(12), width="stretch")
    return sf, chart, {"target": target, "date_col": date_col}


def _fmt_time(value) -> str:
    text = str(value)
    return text[:-9] if text.endswith(" 00:00:00") else text


def preview_figure(sf, check: dict | None = None, height: int = 220) -> go.Figure:
    """The target over time (thinned to a few thousand points), with the validation and test parts shaded."""
    y = sf.frame[sf.target]
    stride = max(1, len(y) // MAX_PREVIEW_POINTS)
    part = y.iloc[::stride]
    fig = go.Figure(go.Scatter(x=part.index, y=part.to_numpy(), mode="lines", name=sf.target,
                               line=dict(color=COLORS["history"], width=1)))
    if check and "bounds" in check:
        b = check["bounds"]
        for start, end, label, color, where in (
                (b["val"], b["test"], "val", "rgba(255,127,14,0.15)", "top left"),
                (b["test"], b["end"], "test", "rgba(44,160,44,0.15)", "top right")):
            fig.add_vrect(x0=start, x1=end, fillcolor=color, line_width=0, annotation_text=label,
                          annotation_position=where, annotation_font_size=11)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=24, b=10), showlegend=False,
                      yaxis=dict(title=sf.target), hovermode="x")
    return fig


# ---------------------------------------------------------------------------------------------
# window settings


def init_defaults(prefill: dict | None = None) -> None:
    """The page's defaults (fast on the sample), and a handed-over spec's values, written to widget state."""
    values = {**DEFAULTS, **{k: prefill[k] for k in DEFAULTS if prefill and prefill.get(k) is not None}}
    for name, value in values.items():
        key = f"forecast-{name}"
        if prefill or key not in st.session_state:
            st.session_state[key] = value
    split = str(st.session_state["forecast-split"])
    if split not in SPLITS:
        st.session_state["forecast-split-custom"] = split
        st.session_state["forecast-split"] = "custom"
    for name, value in TRAINING_DEFAULTS.items():
        st.session_state.setdefault(f"forecast-settings-{name}", value)


def window_settings() -> dict:
    """Lookback, horizon, features, split and seasonal period; returns them as spec fields."""
    c1, c2 = st.columns(2)
    lookback = c1.number_input("Lookback (input steps)", min_value=1, max_value=5000, step=1, key="forecast-lookback",
                               persist_state=PERSIST, help="how many past steps each forecast sees")
    horizon = c2.number_input("Horizon (steps ahead)", min_value=1, max_value=1000, step=1, key="forecast-horizon",
                              persist_state=PERSIST, help="how many future steps are predicted at once")
    features = c1.radio("Inputs", list(FEATURES), format_func=FEATURES.get, key="forecast-features",
                        persist_state=PERSIST,
                        help="univariate: the target's past only; multivariate: every numeric column's past "
                             "(the model still predicts the target)")
    split = c2.selectbox("Split (chronological)", list(SPLITS), format_func=SPLITS.get, key="forecast-split",
                         persist_state=PERSIST,
                         help="train, validation (early stopping, interval calibration) and test (the scores) in "
                              "time order; the scaler is fitted on the training part only")
    if split == "custom":
        st.session_state.setdefault("forecast-split-custom", "0.7,0.15,0.15")
        split = c2.text_input("Shares (train,val,test)", key="forecast-split-custom", persist_state=PERSIST)
    season = c1.number_input("Season (0: detect)", min_value=0, max_value=100_000, step=1,
                             key="forecast-season", persist_state=PERSIST,
                             help="the season of the seasonal-naive baseline and of MASE, in steps (24 for a daily "
                                  "cycle in hourly data); 0 detects it from the training part's autocorrelation")
    return {"lookback": int(lookback), "horizon": int(horizon), "features": features, "split": str(split).strip(),
            "season": int(season)}


def check_caption(check: dict) -> None:
    sizes = check["sizes"]
    a = check["rows"][0]
    season = check["season"]
    how = "set by you" if check["season_set"] else ("detected" if season > 1 else "none detected")
    st.caption(f"Windows: **{sizes['train']:,}** train · **{sizes['val']:,}** validation · **{sizes['test']:,}** "
               f"test. The scaler is fitted on the {a:,} training rows only. Seasonal period: **{season}** ({how}).")
    for note in check.get("notes", []):
        st.caption(note)


FEW_STEPS = 100  # optimisation steps in all below which even the linear model is far from fitted


def training_caption(settings: dict, train_windows: int | None) -> None:
    """The recipe in one line, with the number of optimisation steps it makes on this series."""
    line = (f"{settings['epochs']} epochs · batch {settings['batch_size']} · {settings['optimizer']} lr "
            f"{settings['lr']:g} · early stopping "
            + (f"after {settings['patience']} epochs without improvement" if settings["patience"] else "off"))
    if train_windows:
        per_epoch = -(-int(train_windows) // int(settings["batch_size"]))
        total = per_epoch * int(settings["epochs"])
        line += f" · {total:,} optimisation steps ({per_epoch:,} per epoch)"
        if total < FEW_STEPS:
            line += (". :orange[That is few for a short series: more epochs or a smaller batch size "
                     "(Training settings) will fit it better.]")
    st.caption(line)


# ---------------------------------------------------------------------------------------------
# results of a series run


def _stamp(path: Path) -> float:
    names = ("result.json", "backtest.csv", "forecast.csv")
    return max([(path / n).stat().st_mtime for n in names if (path / n).exists()], default=0.0)


@st.cache_data(max_entries=8, show_spinner="Reading the run's backtest…")
def run_tables(run_path: str, stamp: float) -> dict:
    return {"backtest": fio.read_backtest(run_path), "forecast": fio.read_forecast(run_path)}


@st.cache_data(max_entries=8, show_spinner=False)
def history_of(data: str, target, date_col, stamp: float, rows: int) -> pd.Series | None:
    """The last `rows` values of the target the run was trained on (None when the file is gone)."""
    try:
        sf = read_series(resolve_series_source(data), target=target, date_col=date_col)
    except (SpecError, OSError):
        return None
    return sf.frame[sf.target].iloc[-rows:]


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
            head = (f"The model beats **{won} of {len(lines)}** baselines on the test windows (RMSE, original scale)."
                    if won else "The model beats **none** of the baselines on the test windows: a simpler "
                                "forecast does as well here.")
            st.markdown(head)
        for line in lines:
            icon = ":green[:material/check_circle:]" if line["won"] else ":red[:material/cancel:]"
            st.markdown(f"{icon} **{line['verdict']} {line['baseline']}**{line['detail']}")

    # Metrics as rows and forecasters as columns: five narrow columns fit beside the setup column.
    table = table.T
    table.columns = ["model"] + [SHORT_BASELINES.get(n, n) for n in (result.get("baselines") or {})]

    def best_in_row(row: pd.Series):
        finite = row.dropna()
        best = finite.min() if not finite.empty else None
        return ["font-weight: bold; background-color: rgba(44,160,44,0.15)" if best is not None and v == best else ""
                for v in row]

    styled = table.style.apply(best_in_row, axis=1).format(lambda v: "—" if v is None or pd.isna(v) else f"{v:.4g}")
    st.dataframe(styled, width="stretch")
    st.caption(f"Test windows; *model* is this run's {model}. Original scale unless marked: MAPE skips zero actuals; "
               "MASE divides by the seasonal-naive error on the training part; the normalised MSE and MAE use the "
               "training split's scaler, as in published tables. The best value of each row is highlighted.")
    coverage = fio.coverage_lines(result)
    if coverage:
        cols = st.columns(len(coverage))
        for col, (level, share) in zip(cols, coverage):
            if share is None:
                col.metric(f"{level}% interval coverage", "—", help="not enough validation windows to calibrate")
            else:
                col.metric(f"{level}% interval coverage", f"{share:.1%}",
                           f"{(share - level / 100) * 100:+.1f} points vs nominal", delta_color="off",
                           help="share of the test actuals inside the split-conformal interval, calibrated on the "
                                "validation residuals of each horizon step")


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
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
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
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), yaxis=dict(title=target))
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
    return fig


def downloads(run_path: Path, run_id: str, key: str) -> None:
    """forecast.csv, backtest.csv, the checkpoint, the spec, and the whole run as a zip."""
    files = [("forecast.csv", "text/csv", "date, forecast, and the 80% and 95% bounds for each future step"),
             ("backtest.csv", "text/csv", "every test window and horizon step: actual, predicted, bounds, baselines"),
             ("best.pt", "application/octet-stream",
              "state_dict of the best epoch; torch.load(path, weights_only=True)"),
             ("spec.json", "application/json", "everything that defines the run: python -m zoo train … reproduces it")]
    row = st.container(horizontal=True, key="forecast-downloads")
    for name, mime, help in files:
        path = run_path / name
        if path.exists():
            row.download_button(name, data=lambda p=path: p.read_bytes(), file_name=f"{run_id}-{name}", mime=mime,
                                key=f"{key}-dl-{name}", icon=":material/download:", on_click="ignore", help=help)
        else:
            row.caption(f"no {name}")
    row.download_button("whole run (.zip)", data=lambda: fio.run_zip(run_path), file_name=f"{run_id}.zip",
                             mime="application/zip", key=f"{key}-dl-zip", icon=":material/folder_zip:",
                             on_click="ignore", help="spec.json, metrics.csv, result.json, best.pt, backtest.csv "
                                                     "and forecast.csv")


def results_view(run_path: Path, *, job=None, runs_dir: str = "runs", key: str = "forecast-result") -> None:
    """Everything about a series run that has ended (or that this server is not running)."""
    from ui.live import status_badge, training_figure
    from ui.results import outcome_banner
    from zoo.spec import ExperimentSpec

    run_id = run_path.name
    try:
        spec = ExperimentSpec.from_json((run_path / "spec.json").read_text())
        result_file = run_path / "result.json"
        result = json.loads(result_file.read_text()) if result_file.exists() else {"status": "unknown"}
    except (OSError, ValueError, TypeError, SpecError) as exc:
        st.error(f"Run `{run_id}` could not be read ({exc}); it may be from another version of the app.",
                 icon=":material/error:")
        return
    if spec.task != "series":
        st.info(f"Run `{run_id}` trained an image model: it is shown on the Train page.", icon=":material/info:")
        st.page_link("pages/train.py", label="Open it on Train", query_params={"run": run_id},
                     icon=":material/fitness_center:")
        return
    snapshot = job.snapshot() if job is not None else None
    status = snapshot["status"] if snapshot else result.get("status", "unknown")
    reason = (snapshot["reason"] if snapshot else "") or result.get("reason", "")
    traceback = (snapshot["state"].get("traceback") if snapshot else None) or result.get("traceback")
    status_badge(status)
    st.markdown(f"#### Run `{run_id}`")
    data_name = fio.display_name(spec.data, runs_dir)
    st.caption(f"{spec.model} on **{data_name}** · target {spec.target or 'default'} · lookback {spec.lookback} · "
               f"horizon {spec.horizon} · {FEATURES.get(spec.features, spec.features)} · split {spec.split} · "
               f"{spec.epochs} epochs planned")
    actions = st.container(horizontal=True, vertical_alignment="center")
    if actions.button("Train again", key=f"{key}-again", icon=":material/replay:",
                      help="fill the form with this run's settings (and its data), to change them and start again"):
        st.session_state["forecast-prefill"] = spec.to_dict()
        st.query_params.pop("run", None)
        st.rerun()
    if (run_path / "best.pt").exists():
        actions.page_link("pages/inspect.py", label="Inspect this model", icon=":material/biotech:",
                          query_params={"run": run_id})
    if status == "running" and job is None:
        st.warning("This run's files say it is still running, but this server is not running it: it was started "
                   "elsewhere or its server stopped. What was saved so far is shown.")
    else:
        outcome_banner(status, reason, traceback)

    tables = run_tables(str(run_path), _stamp(run_path))
    backtest, forecast = tables["backtest"], tables["forecast"]
    if result.get("metrics") and result.get("baselines"):
        st.subheader("Against the baselines")
        metrics_view(result, spec.model)
    if backtest is not None and len(backtest):
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
        st.caption(f"{len(part):,} test windows, with their split-conformal 80% and 95% intervals. Drag to zoom, "
                   "double-click to zoom out.")
        if horizon > 1:
            st.markdown("**Mean absolute error by horizon step**")
            st.plotly_chart(error_by_step(backtest, names), key=f"{key}-by-step-{run_id}", config=PLOT_CONFIG)
    if forecast is not None and len(forecast):
        st.subheader("Forecast")
        st.markdown(f"**The {len(forecast)} steps after the last row, with 80% and 95% intervals**")
        rows = min(max(4 * spec.horizon, spec.lookback), 5000)
        history = history_of(spec.data, spec.target, spec.date_col, _data_stamp(spec.data), rows)
        with st.container(key="forecast-future"):
            st.plotly_chart(forecast_figure(forecast, history, spec.target or (history.name if history is not None
                                                                                else "target")),
                            key=f"{key}-forecast-{run_id}", config=PLOT_CONFIG)
        if history is None:
            st.caption("The series this run was trained on is no longer readable, so the history is not drawn.")
        shown = forecast.copy()
        st.dataframe(shown, width="stretch", height=min(38 + 35 * len(shown), 300), hide_index=True,
                     column_config={c: st.column_config.NumberColumn(format="%.4g") for c in fio.FORECAST_COLUMNS[1:]})
    elif status in ("finished", "early_stopped", "stopped"):
        st.info("This run has no forecast.csv: it ended before the evaluation.", icon=":material/info:")

    rows = _epoch_rows(run_path)
    points = snapshot["state"].get("batch_losses") if snapshot else None
    if rows or points:
        with st.expander("Training curves", expanded=not (forecast is not None and len(forecast))):
            st.plotly_chart(training_figure(batch_points=points, epoch_rows=rows, best_epoch=result.get("best_epoch"),
                                            metric_name="val MAE", uirevision=run_id),
                            key=f"{key}-curves-{run_id}", config=PLOT_CONFIG)
    notes = list(result.get("data_notes") or []) + list(result.get("notes") or [])
    if notes:
        with st.expander("Notes on the data and the evaluation"):
            st.markdown("\n".join(f"- {n}" for n in notes))
    st.subheader("Downloads")
    downloads(run_path, run_id, key)
    st.markdown("Reproduce it from a shell:")
    st.code(spec.cli_command(), language="bash")


def _epoch_rows(run_path: Path) -> list[dict]:
    path = run_path / "metrics.csv"
    if not path.exists():
        return []
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError):
        return []
    return [{k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]
