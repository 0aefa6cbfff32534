"""Runs side by side: the table of runs, overlaid curves, and where their specs differ.

Plain functions of run records (no widgets), so tests call them directly and the Runs page stays
a short script. A run record is what `zoo.run_records.run_record()` makes from a `zoo.runs.Run` (and, while this
server still trains it, its job): the CLI's `runs` lists the same records.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from zoo.registry import PERCENT_DIGITS, TASKS, get_task
from zoo.plots import count_axis, curves_apart, log_ticks

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f")


def without_curves(records: list[dict]) -> str | None:
    """Which of the records have no epoch curves, and why (None when all have them): a leaderboard
    ranks many models and has no epochs of its own; a run can end before its first epoch."""
    boards = [r["run"] for r in records if r.get("leaderboard")]
    empty = [r["run"] for r in records if not r["rows"] and not r.get("leaderboard")]
    parts = []
    if len(boards) == 1:
        parts.append(f"{boards[0]}: a leaderboard has no epochs of its own (it ranks many models); compare it by "
                     "its test MASE in the table, or open it for its candidates")
    elif boards:
        parts.append(f"{', '.join(boards)}: leaderboards have no epochs of their own (each ranks many models); "
                     "compare them by their test MASE in the table, or open them for their candidates")
    if empty:
        parts.append(f"{', '.join(empty)}: ended before {'its' if len(empty) == 1 else 'their'} first epoch")
    return "No curves for " + "; ".join(parts) + "." if parts else None


CURVE_FIELDS = ("epoch", "train_loss", "val_loss", "val_metric")


def same_curves(records: list[dict]) -> str | None:
    """Which runs drew the same curves, so that one line lies on the other and shows as one (None when no two
    did): two runs of the same spec and seed train the same model, and a learner who overlaid them saw one line
    and took the other for lost."""
    groups: dict[tuple, list[str]] = {}
    for record in records:
        if record["rows"]:
            key = tuple(tuple(row.get(field) for field in CURVE_FIELDS) for row in record["rows"])
            groups.setdefault(key, []).append(record["run"])
    same = [runs for runs in groups.values() if len(runs) > 1]
    if not same:
        return None
    named = [f"{', '.join(runs[:-1])} and {runs[-1]}" for runs in same]
    return (f"{named[0]} have the same curves, epoch for epoch{''.join(f', and so do {n}' for n in named[1:])} "
            "(the same settings and seed train the same model): their lines lie on each other and look like one.")


def same_spec_words(records: list[dict]) -> str:
    """What to say of ticked runs whose specs are the same: the same settings and seed train the same model, so
    where they differ it is in how they ended (a Stop, an epoch cap). "They differ only by chance" had been said
    of a run stopped at epoch 1 beside one that ran its 5 epochs (a learner's check)."""
    def ending(record: dict) -> str:
        return record["status"] + ("" if record["leaderboard"] else f", {record['epochs']} epochs")

    boards = any(r["leaderboard"] for r in records)
    apart = ran_apart(records)
    if apart:
        same = "leaderboards have the same settings" if boards else "runs have the same spec, seed included"
        said = f"These {same}, but did not run alike ({apart}): their numbers can differ for that"
    else:
        said = ("These leaderboards have the same settings" if boards else
                "These runs have the same spec, seed included: on the same data and device the same settings train "
                "the same model")
    if len({ending(r) for r in records}) == 1:
        return f"{said}, and they ended alike ({ending(records[0])})."
    how = "; ".join(f"{r['run']}: {ending(r)}" for r in records)
    return f"{said}; they differ in how they ended: {how}."


def ran_apart(records: list[dict]) -> str:
    """What differed between runs of one spec besides it (zoo/run_records.ran_on), as words ("" where nothing
    did, or a run did not record it): the data file's contents, the device, the CPU threads (in a run on the CPU:
    a sum over another count adds in another order), the versions."""
    def differ(field: str) -> bool:
        values = [r.get(field) for r in records]
        return None not in values and len(set(values)) > 1

    def each(words) -> str:
        return "; ".join(f"{r['run']}: {words(r)}" for r in records)

    parts = []
    if differ("data sha256"):
        parts.append("the data file's contents changed between them")
    if differ("device"):
        parts.append(f"the device, {each(lambda r: r['device'])}")
    elif differ("threads") and all(str(r["device"]).startswith("cpu") for r in records):
        parts.append(f"the CPU threads, {each(lambda r: ' then '.join(map(str, r['threads'])))}")
    versions = [r.get("versions") or {} for r in records]
    if all(versions):
        names = [name for name in versions[0] if len({str(v.get(name)) for v in versions}) > 1]
        for name in names:
            parts.append(f"{name} {each(lambda r: (r['versions'] or {}).get(name, 'not installed'))}")
    return "; ".join(parts)


# The headline scores next to the model: after the data, the study and the epochs they sat past the right
# edge of a 1,400 px window, with nothing to say the table scrolled (a new user's check).
TABLE_COLUMNS = ("run", "status", "model", "test accuracy", "test MASE", "data", "study", "epochs", "best epoch",
                 "best val loss", "test loss", "test MSE (norm.)", "test MAE (norm.)", "samples/s", "started", "mine")


def keep_ticks(records: list[dict], table_key: str, existing: set[str] | None = None) -> None:
    """Before the runs table is drawn: tick the runs the visitor ticked, by run id, not by row. Streamlit keeps a
    selection as row positions for one session, so a run that started since moved every tick to its neighbour,
    and a reload lost them all. The ticked ids are kept in the visitor's draft ("runs-picked", ui/drafts.py);
    a ticked run the page's switches hide stays ticked while it is among `existing` (the visitor's runs)."""
    import streamlit as st

    state, ids = st.session_state, [r["run"] for r in records]
    before = state.get("runs-picked") or []
    current = state.get(table_key)
    if current is not None:   # the browser's ticks, as positions in the table it was shown, and those it hid
        shown = state.get("runs-shown") or ids
        picked = ([shown[i] for i in current["selection"]["rows"] if 0 <= i < len(shown)]
                  + [run for run in before if run not in shown])
    else:                     # a new session (a reload) or a fresh table: the draft's
        picked = before
    rows = [ids.index(run) for run in picked if run in ids]
    if current is None or list(current["selection"]["rows"]) != rows:
        state[table_key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    hidden = [run for run in picked if run not in ids and existing is not None and run in existing]
    state["runs-shown"], state["runs-picked"] = ids, [ids[i] for i in rows] + hidden


# The accuracy in points, written as the run's page writes it (zoo/registry.format_percent): Streamlit's "percent"
# format drops trailing zeros, and the table said 12% where the page said 12.00%.
ACCURACY_FORMAT = f"%.{PERCENT_DIGITS}f%%"


SAFE_INTEGER = 2.0 ** 53   # Streamlit's number columns show a larger number as an error cell, whatever its format


def past_table_numbers(frame: pd.DataFrame, columns) -> list[str]:
    """Numbers past SAFE_INTEGER in `columns` of the runs table, set to infinity in place (the column stays numbers,
    sorted as numbers, the run last where it is worst), each said as a sentence to show under the table: a loss of
    5.9e17 (lr 1, one step) showed as a grey 588708256305685500 with an error's red corner (a learner's check)."""
    said = []
    for column in columns:
        if column not in frame:
            continue
        values = pd.to_numeric(frame[column], errors="coerce")
        huge = values.abs() >= SAFE_INTEGER
        for row in values[huge].index:
            said.append(f"{frame.at[row, 'run']}'s {column} is {values[row]:.4g}")
        frame[column] = values.where(~huge, values.map(lambda v: math.copysign(math.inf, v)))
    return said


def runs_table(records: list[dict]) -> pd.DataFrame:
    """The table's rows, without the columns no run fills (no series runs: no MSE column); the accuracy in points
    (ACCURACY_FORMAT)."""
    frame = pd.DataFrame([{k: r[k] for k in TABLE_COLUMNS} for r in records], columns=list(TABLE_COLUMNS))
    frame["test accuracy"] = frame["test accuracy"].map(lambda v: None if v is None else 100 * v)
    empty = [c for c in TABLE_COLUMNS if c not in ("run", "status", "mine") and
             frame[c].map(lambda v: v is None or v == "" or (isinstance(v, float) and v != v)).all()]
    return frame.drop(columns=empty)


def group_by_study(records: list[dict]) -> list[dict]:
    """Runs in time order (newest first), except that a study's trials stay together, under the
    newest of them, in trial order."""
    out, placed = [], set()
    for record in records:
        study = record["study"].rsplit(" #", 1)[0]
        if not study:
            out.append(record)
        elif study not in placed:
            placed.add(study)
            members = [r for r in records if r["study"].rsplit(" #", 1)[0] == study]
            out += sorted(members, key=lambda r: int(r["study"].rsplit("#", 1)[1]))
    return out


def flatten_spec(spec: dict) -> dict:
    """The spec's fields that serve its task (an image run has no lookback or horizon), with
    model_params spread out as `model.<name>`."""
    from zoo.forecast_io import UPLOADS, display_name
    from zoo.spec import settings

    other_tasks = {h.name for h in settings()} - {h.name for h in settings(spec.get("task", "image"))}
    # Which windows or training settings a page fitted is no setting (zoo/spec.py's windows_fitted,
    # training_fitted): a page's run and its own reproduce
    # command (which gives them as flags) have the same spec, and a run from before the field says nothing of it.
    flat = {k: v for k, v in spec.items()
            if k not in ("model_params", "windows_fitted", "training_fitted") and k not in other_tasks}
    data = str(flat.get("data") or "")
    if UPLOADS in Path(data).parts:   # an upload by its name (not the server's path: a browser check), and the
        flat["data"] = f"{display_name(data)} ({Path(data).stem[:8]})"   # hash's start: two data.csv differ
    if "momentum" in flat and flat.get("optimizer", "sgd") != "sgd":
        # Only SGD uses it (the form greys it out): two Adam runs showed "momentum 0.99 vs 0.9" as a difference
        # (a learner's check).
        flat["momentum"] = f"(unused by {flat['optimizer']})"
    for key, value in sorted((spec.get("model_params") or {}).items()):
        flat[f"model.{key}"] = value
    return flat


def field_label(field: str) -> str:
    """A spec_diff row as the forms name it, with the spec's own name where it differs (spec.json and the CLI's
    flags use it): "training samples (limit_train)", "batch norm (model)". The rows read limit_train and
    model.batch_norm (a learner's check)."""
    from ui.form import label_for

    if field.startswith("model."):
        return f"{field[len('model.'):].replace('_', ' ')} (model)"
    label = label_for(field)
    return field if label == field else f"{label} ({field})"


def spec_diff(specs: dict[str, dict], show_all: bool = False) -> pd.DataFrame:
    """Fields as rows, runs as columns; only the fields where the runs differ unless `show_all`.

    A model parameter one run sets and another leaves at its default shows as that default, `128 (default)`
    there (a bare "(default)" hid the value: a learner's check), and is no difference from a run that sets 128."""
    flats = {run_id: flatten_spec(spec) for run_id, spec in specs.items()}
    fields: list[str] = []
    for flat in flats.values():
        fields += [f for f in flat if f not in fields]
    # Each run's model's hyperparameters, also those it leaves at their defaults: an lstm and an mlp run both at
    # their defaults (as the Train page records them) differed in "model" alone, their hidden size and depth
    # nowhere (a learner's check).
    for run_id in flats:
        fields += [f for f in (f"model.{name}" for name in _model_param_defaults(specs[run_id])) if f not in fields]
    table: dict[str, list[Any]] = {}
    for run_id, flat in flats.items():
        defaults = _model_param_defaults(specs[run_id])
        table[run_id] = [_cell(flat[f]) if f in flat else
                         f"{_cell(defaults[f[len('model.'):]])}{DEFAULT_MARK}"
                         if f.startswith("model.") and f[len("model."):] in defaults else _cell(None) for f in fields]
    frame = pd.DataFrame(table, index=fields)
    if not show_all and len(specs) > 1:
        differs = frame.apply(lambda row: len({v.removesuffix(DEFAULT_MARK) for v in row.values}) > 1, axis=1)
        frame = frame[differs]
    # The fields every run has first, then a leaderboard's own, then those a leaderboard lacks: beside a
    # training run it lacks some twenty training fields, which otherwise buried its budget and pick.
    missing = (frame == "—").sum(axis=1)
    boards = [run_id for run_id, flat in flats.items() if flat.get("model") == "leaderboard"]
    lacked = frame[boards].eq("—").any(axis=1) if boards else pd.Series(False, index=frame.index)
    frame = frame.iloc[sorted(range(len(frame)), key=lambda i: (int(missing.iloc[i]) > 0, bool(lacked.iloc[i]), i))]
    frame.index.name = "field"
    return frame


DEFAULT_MARK = " (default)"


def _model_param_defaults(spec: dict) -> dict[str, Any]:
    """The hyperparameters the run's model declares, with their defaults: one it leaves unset is at its default;
    one it does not have (an mlp's hidden_size beside an lstm) is no setting of it at all."""
    from zoo.registry import SpecError, get_model

    try:
        # the task's own: an image lstm has no window_norm, which the series' lstm declares (a review)
        task = spec.get("task")
        return {h.name: h.default for h in get_model(str(spec.get("model")), task).hparams(task)}
    except SpecError:   # a leaderboard, a model no longer registered
        return {}


def _cell(value: Any) -> str:
    # One type per column (str) so that mixed values (5 vs "128 (default)") display and compare cleanly.
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


LOG_LOSSES_PAST = 1e3   # the overlay's loss axis is logarithmic where its losses span more than this factor


def overlay_figure(records: list[dict], height: int = 420) -> go.Figure:
    """Validation loss and validation metric per epoch of several runs, one colour per run;
    train loss dashed in the loss panel; each run's best epoch starred. Runs of two tasks get a row
    each: a cross-entropy and an MSE on one axis, or an accuracy and an MAE, compare nothing."""
    records = [r for r in records if r["rows"]]   # a leaderboard, a run ended before an epoch: see without_curves
    tasks = sorted({r["task"] for r in records}, key=list(TASKS).index)
    titles = [title for name in tasks for title in (
        f"{get_task(name).title}: loss (solid: val, dashed: train)" if len(tasks) > 1 else
        "loss (solid: val, dashed: train)", get_task(name).label("val_metric"))]
    fig = make_subplots(rows=len(tasks), cols=2, subplot_titles=titles, horizontal_spacing=0.08,
                        vertical_spacing=0.25 if len(tasks) > 1 else 0.3)
    for i, record in enumerate(records):
        color = PALETTE[i % len(PALETTE)]
        row = tasks.index(record["task"]) + 1
        rows = record["rows"]
        xs = [r["epoch"] for r in rows]
        name = record["run"]
        fig.add_trace(go.Scatter(x=xs, y=[r["val_loss"] for r in rows], mode="lines+markers", name=name,
                                 legendgroup=name, line=dict(color=color, width=2)), row=row, col=1)
        # One epoch draws no line: its train loss as an open marker then (a learner saw no train loss at all).
        fig.add_trace(go.Scatter(x=xs, y=[r["train_loss"] for r in rows], mode="lines" if len(xs) > 1 else "markers",
                                 name=f"{name} train", legendgroup=name, showlegend=False,
                                 marker=dict(symbol="circle-open", size=9, color=color),
                                 line=dict(color=color, width=1, dash="dash")), row=row, col=1)
        fig.add_trace(go.Scatter(x=xs, y=[r["val_metric"] for r in rows], mode="lines+markers", name=name,
                                 legendgroup=name, showlegend=False, line=dict(color=color, width=2)), row=row, col=2)
        best = next((r for r in rows if r["epoch"] == record.get("best epoch")), None)
        if best is not None:
            fig.add_trace(go.Scatter(x=[best["epoch"]], y=[best["val_loss"]], mode="markers", legendgroup=name,
                                     showlegend=False, name=f"{name} best",
                                     marker=dict(symbol="star", size=13, color=color)), row=row, col=1)
    fig.update_xaxes(title_text="epoch")
    for row, name in enumerate(tasks, start=1):
        # Each task's row by its own runs: by the longest of them all, a row of 2-epoch runs beside a 30-epoch
        # series run had plotly's fractional ticks, labelled "1 1 1 2 2 2" (a demo visitors' check).
        count_axis(fig, max((r["rows"][-1]["epoch"] for r in records if r["task"] == name), default=0), row=row)
        losses = [v for rec in records if rec["task"] == name for r in rec["rows"]
                  for v in (r.get("val_loss"), r.get("train_loss")) if v is not None and 0 < v < math.inf]
        # ...or runs whose typical val losses lie far apart (zoo/plots.curves_apart), whatever each one's own span
        apart = curves_apart([r.get("val_loss") for r in rec["rows"]] for rec in records if rec["task"] == name)
        if losses and (max(losses) > LOG_LOSSES_PAST * min(losses) or apart):
            # A blown-up run (a validation loss of 5.9e17) drew every other run's curve flat at 0 (a learner's
            # check): losses that far apart are drawn on a log axis, said in its title.
            # its ticks as the other log axes have them (zoo/plots.log_ticks): plotly labelled 20 to 50 "2 3 4 5",
            # and a run's star at 40 read as 4 (a learner's check)
            fig.update_yaxes(type="log", title_text="loss (log scale)", row=row, col=1, **log_ticks(losses))
        if get_task(name).metric_format == "percent":
            # An accuracy stays within 0-100% (a lone point spread the axis to 150%), padded around its values.
            values = [r["val_metric"] for rec in records if rec["task"] == name for r in rec["rows"]
                      if r.get("val_metric") is not None]
            pad = max(0.02, (max(values) - min(values)) * 0.1) if values else 0
            fig.update_yaxes(tickformat=".0%", row=row, col=2,
                             range=[max(0.0, min(values) - pad), min(1.02, max(values) + pad)] if values else None)
    # Top margin 64: at 40 the right subplot's title sat under plotly's toolbar (a browser check).
    fig.update_layout(height=height * len(tasks), margin=dict(l=10, r=10, t=64, b=10),
                      legend=dict(orientation="h", yanchor="top", y=-0.18 / len(tasks), x=0))
    return fig
