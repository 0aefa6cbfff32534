"""Drawing pieces for the Inspect page: tables and plotly figures from zoo.inspect / zoo.explain
results, and the loading of what is inspected (a saved run or a configured model) with its data.

No numbers are computed here that a test would want to check; they come from zoo/.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch
from plotly.subplots import make_subplots

from ui import drafts
from ui.live import status_words
from ui.text import plain

from zoo import demo
from zoo.plots import log_ticks
from zoo.registry import DataShape, SpecError, format_percent, get_task
from zoo.runs import data_file_change, run_status

INDENT = "\u2003"   # an em space: leading ASCII spaces collapse in the grid
SCHEME_LABELS = {"default": "PyTorch default", "xavier_uniform": "Xavier uniform", "xavier_normal": "Xavier normal",
                 "kaiming_uniform": "He (Kaiming) uniform", "kaiming_normal": "He (Kaiming) normal",
                 "orthogonal": "orthogonal", "normal": "N(0, 0.01)", "zeros": "zeros"}


# ---------------------------------------------------------------- what is inspected

@dataclass
class Subject:
    """A model to look inside, with a batch of its data (CPU tensors, never modified)."""

    key: str                       # identifies model + data, for caches and session state
    title: str
    task: str
    model_name: str
    params: dict
    shape: DataShape
    model: torch.nn.Module         # this browser session's own copy
    x_test: torch.Tensor           # inputs the model sees (normalised)
    y_test: torch.Tensor
    class_names: list[str] = field(default_factory=list)
    feature_names: list[str] = field(default_factory=list)
    mean: float | None = None      # image normalisation, to show the pictures as they were
    std: float | None = None
    trained: bool = False
    batch_size: int = 64
    precision: str = "fp32"
    data_note: str = ""

    def batch(self, n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x_test[:n], self.y_test[:n]


def series_data_picker(slot) -> str:
    """The series a new model is shown on: the bundled ETTh1, or a CSV the visitor uploads (stored
    under their uploads, as Forecast stores one). Never a path typed by hand."""
    from ui.state import runs_dir, session_owner
    from zoo import forecast_io as fio

    choice = slot.radio("Data", ["ETTh1 (bundled)", "Upload a CSV"],
                        **drafts.kept("inspect-series-source", options=["ETTh1 (bundled)", "Upload a CSV"]),
                        horizontal=True)
    if choice == "ETTh1 (bundled)":
        return fio.SAMPLE_NAME
    max_bytes, _ = fio.upload_limits()
    uploaded = slot.file_uploader("CSV file", type=["csv", "tsv", "txt"], key="inspect-upload",
                                  max_upload_size=max(1, int(max_bytes // 1_000_000)))
    if uploaded is None:
        from ui.series_source import upload_limits_said

        slot.caption(f"Until a file is there, the bundled ETTh1 is shown. {upload_limits_said()}")
        return fio.SAMPLE_NAME
    try:
        # Read with the page's caps (a hosted demo's rows and bytes) before it is kept, as the Forecast page
        # does: a 200,500-row file was kept and shown here past the demo's 200,000 (a demo check).
        raw = uploaded.getvalue()
        if st.session_state.get("inspect-upload-checked") != fio.upload_key(raw):   # once a file, not every rerun
            fio.read_upload(raw, fio.safe_name(uploaded.name))
            st.session_state["inspect-upload-checked"] = fio.upload_key(raw)
        kept = fio.store_upload(raw, uploaded.name, runs_dir(), session_owner())
        # Kept to be read by path, as a run's upload: said, where the Forecast page says the server keeps a file only
        # once a run uses it (a demo visitor found it among their earlier uploads, unsaid)
        slot.caption("The server keeps this file among your earlier uploads on the Forecast page, where you can "
                     "delete it.")
        return str(kept)
    except SpecError as exc:   # over a cap, not a series, a hosted demo's disk cap, a read-only runs directory
        slot.error(f"{plain(exc)} Until then the bundled ETTh1 is shown.", icon=":material/error:")
        return fio.SAMPLE_NAME


@st.cache_resource(max_entries=6, show_spinner="Loading the data…")
def cached_data(spec_json: str, data_dir: str | None = None):
    """The TensorData of a spec (read-only: shared by every session of this server), from `data_dir` (a run's
    own datasets' folder, zoo/runs.Run.data_dir) or the default one."""
    from zoo.data import load_data
    from zoo.spec import ExperimentSpec

    return load_data(ExperimentSpec.from_json(spec_json), data_dir)


def _session_model(key: str, build):
    """One model object per browser session and subject: hooks and modes never cross sessions."""
    held = st.session_state.get("inspect-model")
    if not held or held[0] != key:
        held = (key, build())
        st.session_state["inspect-model"] = held
    return held[1]


def name_run_in_url(key: str) -> None:
    """The run picked in the box `key`, in the page's address (a link to it): on a pick, not at every load."""
    st.query_params["run"] = st.session_state[key]


def subject_from_run(run) -> Subject:
    from zoo.explain import run_model
    from pathlib import Path

    from ui.state import is_local, runs_dir, session_owner
    from zoo.forecast_io import display_name, gone_upload

    named = display_name(run.spec.data)   # an upload by the name it was sent with, not the server's path
    if gone_upload(run.spec.data, runs_dir()):   # (its error had named the server's path: a demo visitor's check)
        # Uploaded again, the same bytes are kept for its runs where its name is (forecast_io.keep_again_if_runs_read):
        # the visitor's own run, not another's opened by its link, nor one whose name the sweep took too (a review)
        again = (Path(str(run.spec.data)).with_suffix(".json").exists()
                 and (is_local() or run.result.get("owner") == session_owner()))
        raise SpecError(f"the CSV this run was trained on, `{named}`, is no longer kept on this server."
                        + (" Upload the same file again on the Forecast page (it is kept for this run again), then "
                           "come back." if again else ""))
    data = cached_data(run.spec.to_json(), run.data_dir)
    demo.check_model_weights(run.spec.model, run.shape, dict(run.spec.model_params))   # before a copy is held
    model = _session_model(f"run:{run.run_id}", lambda: run_model(run))
    extra = data.extra or {}
    windows = extra.get("windows")
    status = status_words(run_status(run.result.get("status", "unknown"), run.result))
    metrics = run.test_scores   # a series run's MAE too, as the run box says it (its heading had none: a check)
    score = (f" · test accuracy {format_percent(metrics['test_accuracy'])}" if "test_accuracy" in metrics else
             f" · test MAE {metrics['mae']:.3g}" if metrics.get("mae") is not None else "")
    # A run that ended before its first epoch holds its initial weights (ui/image_results.py says so on Train).
    weights = " · initial weights: no epoch finished" if run.untrained else f"{score} · best weights"
    return Subject(
        key=f"run:{run.run_id}", title=f"Run `{run.run_id}` · **{run.spec.model}** on **{named}** · "
                                      f"{status}{weights}",
        task=run.spec.task, model_name=run.spec.model, params=dict(run.spec.model_params), shape=run.shape,
        model=model, x_test=data.x_test, y_test=data.y_test, class_names=list(data.class_names),
        feature_names=list(getattr(windows, "columns", []) or []), mean=extra.get("mean"), std=extra.get("std"),
        trained=not run.untrained, batch_size=run.spec.batch_size, precision=run.spec.precision,
        data_note=f"{len(data.x_test):,} test samples of {named}"
                  # read again from the file as it is now (zoo/runs.data_file_change)
                  + (" (**the file has changed since the run read it**: these are its samples as it is now, not "
                     "as the run saw them)" if data_file_change(run.result, run.data) == "changed" else ""))


def subject_from_config(task: str, model_name: str, params: dict, *, data: str, seed: int = 0,
                        lookback: int = 96, horizon: int = 24, features: str = "target") -> Subject:
    from zoo.forecast_io import display_name
    from zoo.registry import build
    from zoo.spec import ExperimentSpec

    note = ""
    if get_task(task).datasets is not None:   # a closed list of datasets (images); else a CSV
        spec = ExperimentSpec(task="image", data=data, model=model_name)
        tensors = cached_data(spec.to_json())
        shape, x, y = tensors.shape, tensors.x_test, tensors.y_test
        names, feature_names = list(tensors.class_names), []
        mean, std = tensors.extra.get("mean"), tensors.extra.get("std")
        note = f"{len(x):,} test images of {data}"
    else:
        mean = std = None
        names = []
        try:
            spec = ExperimentSpec(task="series", data=data, model=model_name, lookback=lookback, horizon=horizon,
                                  features=features)
            tensors = cached_data(spec.to_json())
            shape, x, y = tensors.shape, tensors.x_test, tensors.y_test
            feature_names = list(getattr(tensors.extra.get("windows"), "columns", []) or [])
            note = f"{len(x):,} test windows of {display_name(data)}"   # an upload's name, not its server path
        except (SpecError, OSError, ValueError) as exc:
            from zoo.inspect import synthetic_windows

            shape = DataShape(task="series", lookback=lookback, n_features=1, horizon=horizon)
            x, y = synthetic_windows(shape, 256, seed)
            feature_names = ["synthetic"]
            note = f"synthetic windows (noisy sines): {display_name(data)} could not be read ({plain(exc)})"
    key = "new:" + json.dumps([task, model_name, params, data, seed, json.loads(json.dumps(shape.__dict__))],
                              sort_keys=True, default=str)

    def make():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return build(model_name, shape, params).eval()

    demo.check_model_weights(model_name, shape, params)   # before a copy of it is held for this session
    model = _session_model(key, make)
    return Subject(key=key, title=f"New **{model_name}** (untrained, seed {seed}) · input {list(shape.input_shape())}",
                   task=task, model_name=model_name, params=params, shape=shape, model=model, x_test=x, y_test=y,
                   class_names=names, feature_names=feature_names, mean=mean, std=std, trained=False, data_note=note)


@st.cache_data(max_entries=64, show_spinner="Initialising fresh models…")
def cached_init_lab(subject_key: str, model_name: str, params_json: str, shape_json: str, scheme: str, steps: int,
                    _x: torch.Tensor, _y: torch.Tensor):
    """zoo.inspect.init_lab, once per subject, scheme and step count (the batch belongs to the subject)."""
    from zoo.inspect import init_lab

    return init_lab(model_name, DataShape(**json.loads(shape_json)), json.loads(params_json), _x, scheme,
                    y=_y, steps=steps)


def zero_init_words(lab, model_name: str, param_names: list[str]) -> str | None:
    """What the symmetry check's zero-init model did: which layers learned at the first step (the output layers:
    zoo/initialisation.learning_at_the_first_step), and whether a layer before them learned later. None where it
    took no step (the hosted demo's time ran out)."""
    if not lab.loss:
        return None
    layer = lambda name: name.rsplit(".", 1)[0]
    listed = lambda names: ", ".join(f"`{n}`" for n in names[:4]) + (", ..." if len(names) > 4 else "")
    first = list(dict.fromkeys(layer(n) for n in lab.learned_at_first_step))
    if not first:
        return "Here, with zero init, no parameter had a gradient at the first step."
    plural = len(first) > 1
    outputs = f"{listed(first)} (the output layer{'s' if plural else ''})"
    steps = len(lab.loss)
    if not [n for n in param_names if n not in lab.learned_at_first_step]:
        return (f"Here, with zero init, every layer learned from the first step: {outputs} read{'' if plural else 's'} "
                f"the input itself, with no layer before {'them' if plural else 'it'} for a zero weight to hold back.")
    later = lab.learned_later
    if steps == 1:   # whether a layer before it learns later was not measured (a transformer's do: a review)
        return (f"Here, with zero init, only {outputs} learned at the first step, nothing before "
                f"{'them' if plural else 'it'}: take more steps to see whether a layer before "
                f"{'them' if plural else 'it'} learns later.")
    if later:
        why = " (a transformer adds its positional encoding)" if model_name == "transformer" else ""
        return (f"Here, with zero init, only {outputs} learned at the first step, and {len(later)} parameter "
                f"tensor{'s' if len(later) != 1 else ''} before {'them' if plural else 'it'} changed later in the "
                f"{steps} steps ({listed(later)}): this model's hidden output is not 0 with zero weights{why}, so "
                "once the output layer's weights have left 0 they send a gradient back: small, but not 0.")
    return (f"Here, with zero init, only {outputs} changed in {steps} step{'s' if steps != 1 else ''}, nothing before "
            f"{'them' if plural else 'it'}: a gradient comes back only through output-layer weights that have left 0, "
            "and with a hidden output of 0 they do not.")


# ---------------------------------------------------------------- tables

def summary_frame(summary) -> pd.DataFrame:
    rows = []
    for r in summary.rows:
        short = r.name.rsplit(".", 1)[-1] if r.name else f"({summary.model_class})"
        rows.append({
            "layer": INDENT * r.depth + short, "type": r.type, "input": _shape(r.input_shape),
            "output": _shape(r.output_shape), "params": r.params,
            "trainable": {True: "yes", False: "no", "partial": "partial"}.get(r.trainable, "–"),
            "mult-adds": r.mult_adds, "name": r.name or "(model)",
        })
    return pd.DataFrame(rows)


def _shape(shape) -> str:
    return "×".join(str(s) for s in shape) if shape else "–"


def tree_frame(tree: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "module": INDENT * t["depth"] + (t["name"].rsplit(".", 1)[-1] if t["name"] else "(model)"),
        "type": t["type"], "own params": t["own_params"], "params": t["params"], "buffers": t["buffers"],
        "children": t["children"], "mode": "train" if t["training"] else "eval", "hooks": t["hooks"],
        "name": t["name"] or "(model)"} for t in tree])


def activation_frame(stats: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"layer": a["layer"], "type": a["type"], "captured": _shape(a["shape"]),
                          "mean": a["mean"], "std": a["std"], "zeros": a["zero_fraction"]} for a in stats])


def tensor_frame(entries: list[dict], extra: tuple[str, ...] = ()) -> pd.DataFrame:
    out = []
    for e in entries:
        # a 0-d tensor (BatchNorm's num_batches_tracked) is a scalar, not a missing shape
        shape = "None" if "shape" not in e else "scalar" if e["shape"] == [] else _shape(e["shape"])
        row = {"name": e.get("name", e.get("key")), "shape": shape,
               "dtype": e.get("dtype", ""), "device": e.get("device", ""),
               "requires_grad": e.get("requires_grad", "")}
        for k in extra:
            row[k] = e.get(k)
        out.append(row)
    return pd.DataFrame(out)


def hooks_frame(counts: dict[str, dict[str, int]], columns: list[str] | None = None) -> pd.DataFrame:
    """Rows: hook dictionaries; columns: modules (or moments: during / after)."""
    kinds = list(next(iter(counts.values())).keys()) if counts else []
    frame = pd.DataFrame({name: [c[k] for k in kinds] for name, c in counts.items()}, index=kinds)
    frame.index.name = "hook dictionary"
    return frame


# ---------------------------------------------------------------- figures

def _layout(fig: go.Figure, height: int = 360, title: str | None = None, **kw) -> go.Figure:
    # The title 30 px down, under plotly's toolbar (at 0.97 of the height it sat beneath it: a browser check),
    # above the legend that stands on the plot.
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=90 if title else 30, b=10),
                      title=dict(text=title, y=1 - 30 / height, yanchor="top") if title else None,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), **kw)
    return fig


def activation_std_figure(labs: dict) -> go.Figure:
    """Std of each layer's output on the batch, layer by layer, one line per init scheme."""
    fig = go.Figure()
    for scheme, lab in labs.items():
        acts = lab.activations
        labels = [f"{a['index'] + 1}. {a['layer']} ({a['type']})" for a in acts]
        fig.add_scatter(x=labels, y=[max(a["std"], 1e-12) for a in acts], mode="lines+markers",
                        name=SCHEME_LABELS.get(scheme, scheme),
                        customdata=[[a["zero_fraction"]] for a in acts],
                        hovertemplate="%{x}<br>std %{y:.3g}<br>zeros %{customdata[0]:.0%}"
                                      "<extra>%{fullData.name}</extra>")
    fig.update_yaxes(type="log", title="std of the layer's output", exponentformat="power",
                     **log_ticks(t for trace in fig.data for t in trace.y))
    fig.update_xaxes(title="layer, in forward order", tickangle=-35)
    return _layout(fig, 420, title="Signal through the layers at initialisation")


def weight_hist_figure(lab, max_layers: int = 9) -> go.Figure:
    weights = lab.weights[:max_layers]
    cols = min(3, max(1, len(weights)))
    rows = max(1, math.ceil(len(weights) / cols))
    def title(w):
        target = f", target {w['expected_std']:.3g}" if w["expected_std"] is not None else ""
        return f"{w['layer']}.{w['param']} {_shape(w['shape'])}<br>std {w['std']:.3g}{target}"

    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[title(w) for w in weights], vertical_spacing=0.18)
    for i, w in enumerate(weights):
        fig.add_histogram(x=w["values"], nbinsx=60, row=i // cols + 1, col=i % cols + 1, showlegend=False,
                          marker_color="#4c78a8",
                          hovertemplate="%{x}<br>%{y} weights<extra></extra>")
    fig.update_annotations(font_size=11)
    return _layout(fig, 260 * rows, title=f"Weights after {SCHEME_LABELS.get(lab.scheme, lab.scheme)} init")


# Gradient norms span decades (a vanishing gradient is the point of the chart), so their axes are log, and
# their values are dots: a bar on a log axis starts at the axis's bottom, an arbitrary value, and its length
# means nothing (0.0234 read as zero beside 0.035 on an axis from 0.0225: a learner's check).
def grad_norm_figure(capture) -> go.Figure:
    rows = [g for g in capture.gradients if g["fired"]]
    fig = go.Figure()
    fig.add_scatter(x=[g["layer"] for g in rows], y=[g["grad_output_norm"] or 1e-30 for g in rows], mode="markers",
                    name="‖∂loss/∂output‖", marker=dict(color="#e45756", size=12, symbol="circle"),
                    hovertemplate="%{x}<br>‖∂loss/∂output‖ %{y:.3g}<extra></extra>")
    fig.add_scatter(x=[g["layer"] for g in rows], y=[g["grad_input_norm"] or 1e-30 for g in rows], mode="markers",
                    name="‖∂loss/∂input‖", marker=dict(color="#72b7b2", size=12, symbol="diamond"),
                    hovertemplate="%{x}<br>‖∂loss/∂input‖ %{y:.3g}<extra></extra>")
    fig.update_yaxes(type="log", title="gradient norm", exponentformat="power",
                     **log_ticks(t for trace in fig.data for t in trace.y))
    fig.update_xaxes(tickangle=-35)
    return _layout(fig, 360, title="Full backward hooks: gradient norms at each hooked layer")


def param_grad_figure(capture) -> go.Figure:
    rows = [p for p in capture.param_grads if p["grad_norm"] is not None]
    fig = go.Figure()
    fig.add_scatter(x=[p["name"] for p in rows], y=[max(p["grad_norm"], 1e-30) for p in rows], mode="markers",
                    marker=dict(color="#54a24b", size=12), customdata=[[p["weight_norm"], p["numel"]] for p in rows],
                    hovertemplate="%{x}<br>‖grad‖ %{y:.3g}<br>‖weight‖ %{customdata[0]:.3g}"
                                  "<br>%{customdata[1]} numbers"
                                  "<extra></extra>")
    fig.update_yaxes(type="log", title="‖gradient‖", exponentformat="power", **log_ticks(fig.data[0].y))
    fig.update_xaxes(tickangle=-35)
    return _layout(fig, 360, title="Every parameter's gradient norm for this batch")


def feature_grid(maps: torch.Tensor, max_channels: int = 16, cell: int = 96) -> np.ndarray:
    """Channels of one sample's conv output (C x h x w) tiled into one grayscale picture, each
    channel scaled to its own range, enlarged to `cell` pixels: uint8 H x W."""
    from PIL import Image

    maps = maps[:max_channels].float()
    count = maps.shape[0]
    cols = min(8, count)
    rows = math.ceil(count / cols)
    gap = 3
    canvas = np.full((rows * (cell + gap) - gap, cols * (cell + gap) - gap), 255, dtype=np.uint8)
    for i, m in enumerate(maps):
        lo, hi = float(m.min()), float(m.max())
        img = ((m - lo) / (hi - lo) * 255).numpy() if hi > lo else np.zeros(m.shape)
        tile = np.asarray(Image.fromarray(img.astype(np.uint8)).resize((cell, cell), Image.NEAREST))
        r, c = divmod(i, cols)
        canvas[r * (cell + gap): r * (cell + gap) + cell, c * (cell + gap): c * (cell + gap) + cell] = tile
    return canvas


def sequence_heatmap(values: np.ndarray, *, title: str, x_title: str, y_title: str, y_labels=None,
                     colorscale: str = "Viridis", height: int = 300) -> go.Figure:
    """A (rows x steps) array as a heatmap: conv1d channels x time, or a saliency map's features x steps."""
    fig = go.Figure(go.Heatmap(z=values, y=y_labels, colorscale=colorscale, colorbar=dict(thickness=12)))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title, autorange="reversed" if y_labels is None else True)
    return _layout(fig, height, title=title)


def sequence_axes(model_name: str) -> tuple[str, str]:
    """(x, y) axis titles of a captured 3-D output's first sample: a TCN's convolutions write (channels, time steps),
    every other sequence model (batch-first RNNs, the transformer) (tokens, units). They were "last axis" and "second
    axis" (a learner's check)."""
    if model_name == "tcn":
        return "time step", "channel"
    return "unit (hidden feature)", "token (time step, or image row)"


def saliency_figure(values: np.ndarray, names: list[str]) -> go.Figure:
    """Saliency over a window (L x C): bars over time for one feature, a heatmap for several."""
    title = "Saliency |∂forecast/∂input| (scaled to [0, 1])"
    if values.shape[1] == 1:
        fig = go.Figure(go.Bar(x=np.arange(values.shape[0]), y=values[:, 0], marker_color="#e45756",
                               hovertemplate="step %{x}: %{y:.3f}<extra></extra>"))
        fig.update_xaxes(title="time step in the window")
        fig.update_yaxes(title=names[0] if names else "saliency", range=[0, 1.02])
        return _layout(fig, 280, title=title)
    # Viridis ends in yellow: "Hot" ended in white, and the largest cell vanished into the page (a learner's check)
    return sequence_heatmap(values.T, title=title, x_title="time step in the window", y_title="feature",
                            y_labels=names, colorscale="Viridis")


def activation_histogram(values: torch.Tensor, name: str) -> go.Figure:
    flat = values.detach().float().flatten().numpy()
    fig = go.Figure(go.Histogram(x=flat, nbinsx=60, marker_color="#4c78a8"))
    return _layout(fig, 240, title=f"{name}: values of the captured output")


def window_figure(x: np.ndarray, names: list[str], target: np.ndarray | None = None) -> go.Figure:
    """An input window (L x C), the target channel last, and the true next values after it."""
    fig = go.Figure()
    steps = np.arange(x.shape[0])
    for c in range(x.shape[1]):
        name = names[c] if c < len(names) else f"feature {c}"
        fig.add_scatter(x=steps, y=x[:, c], mode="lines", name=name,
                        line=dict(width=2.5 if c == x.shape[1] - 1 else 1))
    if target is not None:
        fig.add_scatter(x=np.arange(x.shape[0], x.shape[0] + len(target)), y=target, mode="lines",
                        name="actual next values", line=dict(dash="dot", color="black"))
    fig.update_xaxes(title="time step in the window")
    fig.update_yaxes(title="normalised value")
    return _layout(fig, 300, title="The input window")


def probability_figure(probs: np.ndarray, names: list[str], target: int) -> go.Figure:
    labels = [names[i] if i < len(names) else str(i) for i in range(len(probs))]
    colors = ["#e45756" if i == target else "#9ecae9" for i in range(len(probs))]
    fig = go.Figure(go.Bar(x=labels, y=probs, marker_color=colors, hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    fig.update_yaxes(range=[0, 1], tickformat=".0%", title="softmax probability")
    fig.update_xaxes(type="category")
    return _layout(fig, 260, title="What the model predicts")


def enlarge(rgb: np.ndarray, size: int = 224) -> np.ndarray:
    """Nearest-neighbour enlargement, so every input pixel stays a sharp square."""
    from PIL import Image

    img = Image.fromarray(rgb)
    return np.asarray(img.resize((size, round(size * img.height / img.width)), Image.NEAREST))


def run_label(run) -> str:
    metrics = run.test_scores
    score = " · untrained" if run.untrained else f" · accuracy {format_percent(metrics['test_accuracy'])}" if (
        "test_accuracy" in metrics) else (f" · MAE {metrics['mae']:.3g}" if "mae" in metrics else "")
    from zoo.forecast_io import display_name

    # an upload by the name it was sent with, not its stored file's hash
    status = status_words(run_status(run.status, run.result))
    return f"{run.run_id} · {run.spec.model} on {display_name(run.spec.data)} · {status}{score}"
