"""Forms generated from hyperparameter declarations (`zoo.registry.HParam`): nothing is written twice.

Every page that configures a model or a training recipe (Train, Forecast, Search) calls these:

    params = model_form("cnn", key_prefix="train-model", task="image")        # {name: value}
    settings = training_form(key_prefix="train-settings", task="image")       # spec field -> value
    spec = ExperimentSpec(model="cnn", model_params=non_defaults("cnn", params), **settings)

One widget per declaration, with the declared range, step, scale and help:
- bool -> checkbox; choice -> selectbox;
- int/float with `log=True` -> select_slider over log-spaced values from `low` to `high`
  (1-2-3-5 per decade for floats; powers of two and their 1.5x for ints), always including the
  default and the current value, so a value from a search or a past run is kept exactly;
- int/float, linear, at most 200 steps -> slider; wider -> number_input (min, max, step).

Widget state lives in `st.session_state[f"{key_prefix}-{name}"]` and persists for the session
(`persist_state="session"`), so the form keeps its values when the user visits another page.
Passing `values=` (a prefill: a spec's dict, a search's best params) overwrites that state; inside
an `st.fragment` (which reruns with the same arguments) prefill with `set_model_values` /
`set_training_values` before the fragment instead, so the prefill is applied once.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import streamlit as st

from zoo.registry import HParam, get_model

PERSIST = "session"
MAX_SLIDER_STEPS = 200
FLOAT_MANTISSAS = (1, 2, 3, 5)

# Training settings shown by `training_form`, grouped as a person thinks about them. Field names
# are ExperimentSpec's; `device`, `seed` and `monitor` are not searchable, so they are not declared
# with ranges in zoo.spec.TrainSettings and get their widgets here.
TRAINING_GROUPS = (
    ("Optimiser", ("optimizer", "lr", "momentum", "weight_decay", "schedule")),
    ("Loop", ("epochs", "batch_size", "seed")),
    ("Numerics", ("init", "precision", "device")),
    ("Early stopping", ("patience", "min_delta", "monitor")),
)
LABELS = {"lr": "learning rate", "min_delta": "min delta", "batch_size": "batch size",
          "weight_decay": "weight decay"}


def widget_key(key_prefix: str, name: str) -> str:
    return f"{key_prefix}-{name}"


def label_for(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


# ---------------------------------------------------------------------------------- values

def log_options(h: HParam, extra: Iterable[Any] = ()) -> list:
    """Log-spaced values from h.low to h.high (both included), plus the default and `extra` in range."""
    low, high = h.low, h.high
    values: set = set()
    if h.kind == "int":
        v = 1
        while v <= high:
            for candidate in (v, int(round(v * 1.5))):
                if low <= candidate <= high:
                    values.add(int(candidate))
            v *= 2
        values |= {int(low), int(high)}
    else:
        first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
        for decade in range(first, last + 1):
            for m in FLOAT_MANTISSAS:
                candidate = float(f"{m}e{decade}")
                if low <= candidate <= high:
                    values.add(candidate)
        values |= {float(low), float(high)}
    for v in (h.default, *extra):
        if v is not None and low <= v <= high:
            values.add(int(v) if h.kind == "int" else float(v))
    return sorted(values)


def coerce(h: HParam, value: Any) -> tuple[Any, str | None]:
    """`value` as this widget can show it, and a note when it had to change (out of range, bad type)."""
    if value is None:
        return h.default, None
    try:
        if h.kind == "bool":
            return bool(value), None
        if h.kind == "choice":
            for c in h.choices:
                if str(c) == str(value):
                    return c, None
            return h.default, f"{h.name}={value!r} is not one of the choices; using {h.default!r}"
        number = int(round(float(value))) if h.kind == "int" else float(value)
    except (TypeError, ValueError):
        return h.default, f"{h.name}={value!r} is not a valid {h.kind}; using {h.default!r}"
    if not (h.low <= number <= h.high):
        clamped = min(max(number, h.low), h.high)
        clamped = int(clamped) if h.kind == "int" else float(clamped)
        return clamped, f"{h.name}={value} is outside the form's range [{h.low:g}, {h.high:g}]; using {clamped:g}"
    return number, None


def set_values(hparams: list[HParam], key_prefix: str, values: dict, *, fill_defaults: bool = True) -> list[str]:
    """Write `values` into the widgets' state (before they render). Declarations missing from `values`
    go back to their defaults when `fill_defaults`. Returns notes about values that had to change."""
    notes = []
    for h in hparams:
        if h.name not in values and not fill_defaults:
            continue
        value, note = coerce(h, values.get(h.name, h.default))
        st.session_state[widget_key(key_prefix, h.name)] = value
        if note:
            notes.append(note)
    return notes


def non_defaults(model: str, params: dict) -> dict:
    """Only the values that differ from the model's declared defaults (what a spec records)."""
    defaults = {h.name: h.default for h in get_model(model).hparams()}
    return {k: v for k, v in params.items() if k in defaults and v != defaults[k]}


def _format_number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _range_help(h: HParam) -> str:
    if h.kind in ("int", "float"):
        scale = "log scale" if h.log else "linear"
        return (f"{h.help}  \nrange {_format_number(h.low)} to {_format_number(h.high)}, {scale}; "
                f"default {_format_number(h.default)}")
    if h.kind == "choice":
        return f"{h.help}  \ndefault {h.default}"
    return f"{h.help}  \ndefault {'on' if h.default else 'off'}"


# ---------------------------------------------------------------------------------- widgets

def hparam_widget(h: HParam, key: str, *, label: str | None = None, disabled: bool = False, help: str | None = None):
    """One widget for one declaration, its state under `key`; returns the current value."""
    label = label or label_for(h.name)
    help = help if help is not None else _range_help(h)
    current, _ = coerce(h, st.session_state.get(key, h.default))
    if key not in st.session_state or st.session_state[key] != current:
        st.session_state[key] = current  # first render, or a value the widget could not show
    common = dict(key=key, help=help, disabled=disabled, persist_state=PERSIST)
    if h.kind == "bool":
        return st.checkbox(label, **common)
    if h.kind == "choice":
        return st.selectbox(label, options=list(h.choices), format_func=str, **common)
    if h.log:
        return st.select_slider(label, options=log_options(h, extra=(current,)), format_func=_format_number, **common)
    if h.kind == "int":
        step = int(h.step or 1)
        if (h.high - h.low) / step <= MAX_SLIDER_STEPS:
            return st.slider(label, min_value=int(h.low), max_value=int(h.high), step=step, **common)
        return st.number_input(label, min_value=int(h.low), max_value=int(h.high), step=step, **common)
    step = float(h.step or (h.high - h.low) / 100)
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    fmt = f"%.{decimals}f"
    if (h.high - h.low) / step <= MAX_SLIDER_STEPS + 1e-9:
        return st.slider(label, min_value=float(h.low), max_value=float(h.high), step=step, format=fmt, **common)
    return st.number_input(label, min_value=float(h.low), max_value=float(h.high), step=step, format=fmt, **common)


def hparams_form(hparams: list[HParam], *, key_prefix: str, values: dict | None = None, columns: int = 2,
                 disabled: Iterable[str] = ()) -> dict:
    """A widget per declaration laid out in `columns`; returns {name: value}.

    `values` (a prefill) overwrites the widgets' state first, every missing name back to its default.
    """
    if values is not None:
        for note in set_values(hparams, key_prefix, values):
            st.warning(note, icon=":material/warning:")
    out: dict = {}
    cols = st.columns(columns) if columns > 1 else [st.container()]
    off = set(disabled)
    for i, h in enumerate(hparams):
        with cols[i % len(cols)]:
            out[h.name] = hparam_widget(h, widget_key(key_prefix, h.name), disabled=h.name in off)
    return out


def model_form(model: str, *, key_prefix: str, task: str | None = None, values: dict | None = None,
               columns: int = 2) -> dict:
    """The model's hyperparameters as widgets (state under `{key_prefix}-{model}-{name}`, so each
    model keeps its own values); returns every declared hyperparameter with its current value."""
    entry = get_model(model, task)
    return hparams_form(entry.hparams(), key_prefix=f"{key_prefix}-{model}", values=values, columns=columns)


def set_model_values(model: str, *, key_prefix: str, values: dict) -> list[str]:
    """Prefill `model_form(model, key_prefix=...)` before it renders (say, from a spec's model_params:
    missing names go back to their defaults). Returns notes about values that had to change."""
    return set_values(get_model(model).hparams(), f"{key_prefix}-{model}", values)


def set_training_values(*, key_prefix: str, values: dict) -> list[str]:
    """Prefill `training_form(key_prefix=...)` from a spec's fields (others keep their state).
    Returns notes about values that had to change."""
    from zoo.spec import train_hparams

    declared = {h.name: h for h in train_hparams()}
    prefill = {k: v for k, v in values.items() if k in declared}
    notes = set_values([declared[k] for k in prefill], key_prefix, prefill, fill_defaults=False)
    for name in ("device", "seed", "monitor"):
        if values.get(name) is not None:
            st.session_state[widget_key(key_prefix, name)] = values[name]
    device = values.get("device")
    if device is not None and device not in available_devices():
        notes.append(f"device={device} is not available here; using auto")
        st.session_state[widget_key(key_prefix, "device")] = "auto"
    return notes


@st.cache_resource(show_spinner=False)
def available_devices() -> list[str]:
    """`auto` first, then what this machine has: cpu, cuda and cuda:N, mps."""
    import torch

    devices = ["auto", "cpu"]
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        devices += ["cuda"] + ([f"cuda:{i}" for i in range(count)] if count > 1 else [])
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def metric_label(task: str) -> str:
    """What `val_metric` means for a task."""
    return "val accuracy" if task == "image" else "val MAE"


def _extra_widget(name: str, key: str, task: str):
    """device, seed and monitor: spec fields without declared ranges."""
    from zoo.spec import ExperimentSpec

    default = getattr(ExperimentSpec(), name)
    if name == "device":
        options = available_devices()
        if st.session_state.get(key) not in options:
            st.session_state[key] = default if default in options else options[0]
        return st.selectbox("device", options, key=key, persist_state=PERSIST,
                            help="auto picks cuda, then mps, then cpu; every tensor of the run lives there")
    if name == "seed":
        if not isinstance(st.session_state.get(key), int):
            st.session_state[key] = default
        return st.number_input("seed", min_value=0, max_value=2**31 - 1, step=1, key=key, persist_state=PERSIST,
                               help="seeds the weights, the validation split and the shuffling: same seed, same run")
    if name == "monitor":
        if st.session_state.get(key) not in ("val_loss", "val_metric"):
            st.session_state[key] = default
        labels = {"val_loss": "val loss", "val_metric": metric_label(task)}
        return st.selectbox("monitor", ["val_loss", "val_metric"], format_func=labels.get, key=key,
                            persist_state=PERSIST, help="what early stopping and the best checkpoint follow")
    raise KeyError(name)


def training_form(*, key_prefix: str, task: str = "image", values: dict | None = None,
                  fields: Iterable[str] | None = None, groups=TRAINING_GROUPS, columns: int = 2) -> dict:
    """The training settings (zoo.spec.TrainSettings' declarations, plus device, seed and monitor),
    grouped; returns {spec field: value}. `fields` limits which are shown (others are left out of
    the result, so the spec keeps its defaults for them)."""
    from zoo.spec import train_hparams

    declared = {h.name: h for h in train_hparams()}
    wanted = set(fields) if fields is not None else None
    if values is not None:
        for note in set_training_values(key_prefix=key_prefix, values=values):
            st.warning(note, icon=":material/warning:")
    out: dict = {}
    for title, names in groups:
        names = [n for n in names if wanted is None or n in wanted]
        if not names:
            continue
        st.markdown(f"**{title}**")
        cols = st.columns(columns)
        for i, name in enumerate(names):
            key = widget_key(key_prefix, name)
            with cols[i % columns]:
                if name in declared:
                    disabled = name == "momentum" and out.get("optimizer", "sgd") != "sgd"
                    help = None
                    if disabled:
                        help = _range_help(declared[name]) + "  \n(only SGD uses momentum)"
                    out[name] = hparam_widget(declared[name], key, disabled=disabled, help=help)
                else:
                    out[name] = _extra_widget(name, key, task)
    return out


# ---------------------------------------------------------------------------------- preview

@st.cache_data(max_entries=512, show_spinner=False)
def model_preview(model: str, params: tuple, shape: tuple) -> dict:
    """Parameter count and output shape of a configured model, built on the CPU (cached by config).

    `params` is a tuple of (name, value) pairs, `shape` one of DataShape's (field, value) pairs.
    Returns {"params", "trainable", "input_shape", "output_shape"} or {"error": message}.
    """
    import torch

    from zoo.registry import DataShape, build

    data_shape = DataShape(**dict(shape))
    try:
        with torch.no_grad():
            net = build(model, data_shape, dict(params)).eval()
            x = torch.zeros(2, *data_shape.input_shape())
            out = net(x)
    except Exception as exc:  # a configuration the model cannot take (say, heads not dividing d_model)
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
    total = sum(p.numel() for p in net.parameters())
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    return {"params": total, "trainable": trainable, "input_shape": tuple(data_shape.input_shape()),
            "output_shape": tuple(out.shape[1:])}


def render_model_preview(model: str, params: dict, shape) -> dict:
    """A one-line summary of the configured model; returns model_preview's dict."""
    import dataclasses

    info = model_preview(model, tuple(sorted(params.items())), tuple(dataclasses.asdict(shape).items()))
    if "error" in info:
        st.error(f"This configuration does not build: {info['error']}", icon=":material/error:")
        return info
    shape_in = " x ".join(map(str, info["input_shape"]))
    shape_out = " x ".join(map(str, info["output_shape"]))
    st.markdown(f"**{model}** · **{info['params']:,}** parameters"
                + (f" ({info['trainable']:,} trainable)" if info["trainable"] != info["params"] else "")
                + f" · input (batch, {shape_in}) → output **(batch, {shape_out})**")
    return info
