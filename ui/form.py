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
- int/float, linear, at most 200 steps -> slider;
- wider numbers (a seed, a weight decay) -> a text box read by the declaration's own check. A
  number box with bounds would keep its old value, silently, while it shows a typed one that is out
  of range; this way the value that runs is the one shown, and a bad one is an error beside the
  field that turns Start off (`FormValues.problems`).

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

from ui import drafts
from ui.state import take_for_this_run
from zoo import demo
from zoo.registry import HParam, SpecError, as_typed, get_model

# Every widget of a set-up form keeps its value while the visitor visits another page (Streamlit's
# persist_state), and across a reload (ui/drafts.kept); the Search and Forecast set-ups use the same.
PERSIST = drafts.PERSIST
MAX_SLIDER_STEPS = 200
FLOAT_MANTISSAS = (1, 2, 3, 5)

LABELS = {"lr": "learning rate", "min_delta": "min delta", "batch_size": "batch size",
          "weight_decay": "weight decay", "limit_train": "training samples"}


class FormValues(dict):
    """{name: value} of a form, with `.problems`: one sentence per field that holds an invalid value."""

    def __init__(self, *args, problems: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.problems = list(problems or [])

    def valid(self) -> dict:
        """The fields that hold a valid value."""
        return {k: v for k, v in self.items() if v is not None}


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


def is_typed(h: HParam) -> bool:
    """Numbers whose range is too wide for a slider are typed into a text box."""
    if h.kind not in ("int", "float") or h.log:
        return False
    return (h.high - h.low) / _step(h) > MAX_SLIDER_STEPS + 1e-9


def _step(h: HParam) -> float:
    return float(h.step or (1 if h.kind == "int" else (h.high - h.low) / 100))


def coerce(h: HParam, value: Any) -> tuple[Any, str | None]:
    """`value` as this widget can show it, and a note when it had to change (out of range, bad type).

    Typed fields and sliders alike hold the form's range; the CLI is where a value outside it is tried."""
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
    except (TypeError, ValueError, OverflowError):
        return h.default, f"{h.name}={value!r} is not a valid {h.kind}; using {h.default!r}"
    if not h.low <= number <= h.high:
        clamped = min(max(number, h.low), h.high)
        clamped = int(clamped) if h.kind == "int" else float(clamped)
        return clamped, f"{h.name}={value} is outside the form's range [{h.low:g}, {h.high:g}]; using {clamped:g}"
    return number, None


def _state_value(h: HParam, value: Any) -> Any:
    """What a widget's session state holds for `value`: the text of a typed field, else the value."""
    return as_typed(value) if is_typed(h) else value


def set_values(hparams: list[HParam], key_prefix: str, values: dict, *, fill_defaults: bool = True) -> list[str]:
    """Write `values` into the widgets' state (before they render). Declarations missing from `values`
    go back to their defaults when `fill_defaults`. Returns notes about values that had to change."""
    notes = []
    for h in hparams:
        if h.name not in values and not fill_defaults:
            continue
        value, note = coerce(h, values.get(h.name, h.default))
        st.session_state[widget_key(key_prefix, h.name)] = _state_value(h, value)
        # what the field said of a value kept before is no longer so (its own note, below, says any change now)
        st.session_state.get(drafts.BROUGHT_WITHIN, {}).pop(widget_key(key_prefix, h.name), None)
        if note:
            notes.append(note)
    return notes


def non_defaults(model: str, params: dict) -> dict:
    """Only the values that differ from the model's declared defaults and do something (what a spec records): a
    field greyed out beside the others (ModelEntry.unused: an LSTM's dropout with one layer) is left out."""
    entry = get_model(model)
    defaults = {h.name: h.default for h in entry.hparams()}
    unused = entry.unused({k: v for k, v in params.items() if k in defaults})
    return {k: v for k, v in params.items() if k in defaults and v != defaults[k] and k not in unused}


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
    if h.kind == "bool":
        return f"{h.help}  \ndefault {'on' if h.default else 'off'}"
    return h.help


def sentence(text: str) -> str:
    """A message shown on its own, begun with a capital. SpecError's and the reader's sentences are written
    to follow a colon ("bad settings: lookback 0 must be at least 1"), lower-case."""
    return text[:1].upper() + text[1:]


def first_drawing(task: str) -> bool:
    """Whether this session draws a form of the task's settings for the first time (then marked as drawn).
    Train and Forecast fill a form not drawn before from the run their URL opens (ui/prefill.take_prefill);
    the Search page draws the Forecast page's series widgets too (ui/search_setup.py), so it marks them."""
    key = f"form-drawn-{task}"
    first = not st.session_state.get(key)
    st.session_state[key] = True
    return first


def fields_layout(n: int, columns: int) -> list:
    """A place for each of `n` form fields: up to `columns` side by side, in rows that wrap to one field a line where
    the form's column is narrow, read left to right. In st.columns(2) the Train form's fields were 80 px wide at
    1,024 px ("optimize/r", "ada"), and the Tab key went down one column before the other (a narrow-screen and
    keyboard visitor's check)."""
    if columns <= 1:
        return [st.container()] * n
    places = []
    for start in range(0, n, columns):   # a row for each `columns` fields: at most that many to a line when wide
        row = st.container(horizontal=True)
        places += [row.container() for _ in range(min(columns, n - start))]
    return places


def metrics_row(n: int) -> list:
    """`n` places for metrics side by side, as many to a line as the width holds and the rest on the next: in
    st.columns(n) a run's headline read "test accu… 23.…" at 1,024 px, the sidebar open (a narrow-screen visitor's
    check). Each place is the one row (a horizontal container that wraps)."""
    row = st.container(horizontal=True)
    return [row] * n


def slot(key: str):
    """A keyed container drawn on every run, for a part of a form that comes and goes (a file's preview,
    a note, a button offered only sometimes). Whatever it holds, the widgets after it keep their place
    in the page, so Streamlit keeps them mounted.

    Streamlit 1.67 re-creates the widgets that follow an element that appeared or went away, and a
    re-created widget reads its value back from the browser's widget state. Replacing an upload
    (which runs the page once without the file) re-created every training slider, and once in about
    four CI runs one came back at its minimum (epochs 1) while the server kept the 7 the person set
    (tests/test_browser_nothing_lost.py)."""
    return st.container(key=key)


# ---------------------------------------------------------------------------------- widgets

def hparam_widget(h: HParam, key: str, *, label: str | None = None, disabled: bool = False,
                  help: str | None = None, problems: list | None = None, format_func=str):
    """One widget for one declaration, its state under `key`; returns the current value. A typed
    field that holds an invalid value shows why under it, adds the sentence to `problems` and
    returns None."""
    label = label or label_for(h.name)
    help = help if help is not None else _range_help(h)
    common = dict(help=help, disabled=disabled)
    if is_typed(h):
        return typed_field(st, h, key, label=label, problems=problems, **common)
    current, changed = coerce(h, st.session_state.get(key, h.default))
    held = st.session_state.get(key)
    if key not in st.session_state or held != current or type(held) is not type(current):   # 64.0 for an int: 64
        if changed and key in st.session_state:   # a kept value the field cannot show: said (_say_brought_within)
            st.session_state.setdefault(drafts.BROUGHT_WITHIN, {})[key] = (held, current)
        st.session_state[key] = current  # first render, or a value the widget could not show
    value = _widget(h, key, label, current, common, format_func)
    _say_brought_within(h, key, label, value, format_func)
    return value


def typed_field(container, h: HParam, key: str, *, label: str, help: str | None = None, disabled: bool = False,
                problems: list | None = None):
    """A number box for one declaration (`number_box`), read and checked by it (HParam.check_in_form); returns the
    value, or None where the text is not a value the field takes, said under the box and added to `problems`."""
    text = number_box(container, label, key, fallback=h.default, help=help, disabled=disabled)
    try:
        return h.check_in_form(text)
    except SpecError as exc:
        if disabled:   # greyed out, its value unused: no error to fix in a field that cannot be set (said again
            return None   # once it is used; a review: min delta "2" stayed red beside patience 0)
        # in the field's own words: "training samples: -5 ...", not the spec's "limit_train=-5 ..."
        message = str(exc).replace(f"{h.name}=", f"{label}: ", 1)
        container.error(message, icon=":material/error:")
        if problems is not None:
            problems.append(message)
        return None


def number_box(container, label: str, key: str, *, fallback: Any, help: str | None = None, disabled: bool = False,
               on_change=None, args: tuple = (), label_visibility: str = "visible") -> str:
    """A number typed into a text box; returns the text, for the caller's declaration to read (HParam.read, which
    says what a text is where it is not one number). Every number box of the pages is one of these: Streamlit's
    number box reads what is typed in the browser, in English, and a German visitor's "0,001" as a fixed lr ran as
    1, "1.000" trials as 1 and "1e3" in a whole-number box as 1, the box showing what was typed (a German
    visitor's check). A number that a page, a run's settings or a kept draft put in the box's state is shown as a
    person types it (zoo/registry.as_typed: "64", "0.001")."""
    state = st.session_state
    if state.get(key) is not None and not isinstance(state[key], str):
        state[key] = as_typed(state[key])
    callback = {"on_change": on_change, "args": args} if on_change else {}
    return container.text_input(label, help=help, disabled=disabled, label_visibility=label_visibility, **callback,
                                **drafts.kept(key, default="value", fallback=as_typed(fallback)))


def _widget(h: HParam, key: str, label: str, current: Any, common: dict, format_func):
    if h.kind == "choice":
        return st.selectbox(label, options=list(h.choices), format_func=format_func, **common,
                            **drafts.kept(key, options=h.choices))
    common |= drafts.kept(key, default="value")   # the value shown is the widget's declared default (drafts.kept)
    if h.kind == "bool":
        return st.checkbox(label, **common)
    if h.log:
        return st.select_slider(label, options=log_options(h, extra=(current,)), format_func=_format_number, **common)
    step = _step(h)
    if h.kind == "int":
        return st.slider(label, min_value=int(h.low), max_value=int(h.high), step=int(step), **common)
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return st.slider(label, min_value=float(h.low), max_value=float(h.high), step=step, format=f"%.{decimals}f",
                     **common)


def _say_brought_within(h: HParam, key: str, label: str, value: Any, format_func) -> None:
    """Say, beside the field, that a value the visitor set (a kept draft) is not what it shows: a draft kept past a
    cap lowered since (the hosted demo's epochs, 30 to 10 across a restart) had come back within it with nothing
    said. Said until the visitor sets the field, or a run's settings fill it (set_values), and across reloads: the
    draft keeps the value set (ui/drafts.BROUGHT_WITHIN); the sentence is of the range as it is now."""
    notes = st.session_state.get(drafts.BROUGHT_WITHIN, {})
    if key not in notes:
        return
    was, shown = notes[key]
    if value != shown or coerce(h, was)[1] is None:   # set since, or a value the field can show again
        del notes[key]
        return
    if isinstance(was, (int, float)) and not isinstance(was, bool) and h.kind in ("int", "float"):
        side = f"more than this form offers now (at most {_format_number(h.high)})" if was > h.high else \
            f"less than this form offers now (at least {_format_number(h.low)})"
        text = f"{label}: the {_format_number(was)} you set is {side}; it is set to {_format_number(shown)}."
    else:
        text = f"{label}: the {was!r} kept for it is not one this form offers now; it is set to {format_func(shown)}."
    st.warning(text, icon=":material/warning:")


def said_later(key: str, notes: list[str] | None) -> None:
    """Notes of what a prefill's values became in the form (`set_values`), as warnings: kept under `key` until
    drawn, for the next run where a rerun cuts this one short at them (ui/state.take_for_this_run): the values are
    in the form by then, and their part of the prefill is not filled again (ui/prefill.part). `notes` None: those
    set under `key` before (the Train page's, set before its form is drawn; the recipe's, by a button)."""
    if notes:
        st.session_state[key] = notes
    for note in take_for_this_run(key, []):
        st.warning(note, icon=":material/warning:")


def hparams_form(hparams: list[HParam], *, key_prefix: str, values: dict | None = None, columns: int = 2,
                 disabled: Iterable[str] = ()) -> FormValues:
    """A widget per declaration laid out in `columns`; returns {name: value} with `.problems`.

    `values` (a prefill) overwrites the widgets' state first, every missing name back to its default.
    """
    said_later(f"{key_prefix}-prefill-notes", set_values(hparams, key_prefix, values) if values is not None else None)
    out = FormValues()
    places = fields_layout(len(hparams), columns)
    off = set(disabled)
    for i, h in enumerate(hparams):
        with places[i]:
            # a field that does nothing with the values before it (HParam.used_from) is greyed out, saying why
            unused = h.unused_because({**{g.name: st.session_state.get(widget_key(key_prefix, g.name), g.default)
                                          for g in hparams}, **out})
            out[h.name] = hparam_widget(h, widget_key(key_prefix, h.name), disabled=h.name in off or bool(unused),
                                        problems=out.problems, help=f"{_range_help(h)}  \n({unused})" if unused else None)
    return out


def model_form(model: str, *, key_prefix: str, task: str | None = None, values: dict | None = None,
               columns: int = 2) -> FormValues:
    """The model's hyperparameters for `task` as widgets (state under `{key_prefix}-{model}-{name}`, so
    each model keeps its own values); returns every shown hyperparameter with its current value."""
    entry = get_model(model, task)
    return hparams_form(entry.hparams(task), key_prefix=f"{key_prefix}-{model}", values=values, columns=columns)


def set_model_values(model: str, *, key_prefix: str, values: dict) -> list[str]:
    """Prefill `model_form(model, key_prefix=...)` before it renders (say, from a spec's model_params:
    missing names go back to their defaults). Returns notes about values that had to change."""
    return set_values(get_model(model).hparams(), f"{key_prefix}-{model}", values)


def form_settings(task: str) -> list[HParam]:
    """The settings `training_form` shows for a task: zoo/spec.py's declarations in FORM_GROUPS, as the hosted
    demo offers them (demo.offered: epochs up to its cap)."""
    from zoo.spec import FORM_GROUPS, settings

    return [demo.offered(h) for h in settings(task) if h.group in FORM_GROUPS]


def set_training_values(*, key_prefix: str, values: dict, task: str | None = None) -> list[str]:
    """Prefill `training_form(key_prefix=...)` from a spec's fields (others keep their state).
    Returns notes about values that had to change."""
    declared = {h.name: h for h in form_settings(task)}
    prefill = {k: v for k, v in values.items() if k in declared and k != "device"}
    notes = set_values([declared[k] for k in prefill], key_prefix, prefill, fill_defaults=False)
    device = values.get("device")
    if device is not None:
        if device not in available_devices():
            notes.append(f"device={device} is not available here; using auto")
            device = "auto"
        st.session_state[widget_key(key_prefix, "device")] = device
    return notes


@st.cache_resource(show_spinner=False)
def available_devices() -> list[str]:
    """`auto` first, then what this machine has: cpu, cuda and cuda:N, mps."""
    from zoo.devices import available_devices as devices

    return devices()


def _device_widget(h: HParam, key: str) -> str:
    """The device: a choice among what this machine has (a declaration cannot list them)."""
    options = available_devices()
    if st.session_state.get(key) not in options:
        st.session_state[key] = h.default if h.default in options else options[0]
    return st.selectbox(label_for(h.name), options, help=h.help, **drafts.kept(key, options=options))


def training_form(*, key_prefix: str, task: str = "image", values: dict | None = None,
                  fields: Iterable[str] | None = None, columns: int = 2) -> FormValues:
    """The training settings of zoo/spec.py that sit in a form group, grouped as declared; returns
    {spec field: value} with `.problems`. `fields` limits which are shown (others are left out of the
    result, so the spec keeps its defaults for them)."""
    from zoo.registry import get_task
    from zoo.spec import FORM_GROUPS

    wanted = set(fields) if fields is not None else None
    said_later(f"{key_prefix}-prefill-notes",
               set_training_values(key_prefix=key_prefix, values=values, task=task) if values is not None else None)
    shown = [h for h in form_settings(task) if wanted is None or h.name in wanted]
    task_of = get_task(task)
    metric = {"val_loss": task_of.label("val_loss"), "val_metric": task_of.label("val_metric")}  # monitor's labels
    out = FormValues()
    for group in FORM_GROUPS:
        members = [h for h in shown if h.group == group]
        if not members:
            continue
        st.markdown(f"**{group}**")
        places = fields_layout(len(members), columns)
        for i, h in enumerate(members):
            key = widget_key(key_prefix, h.name)
            with places[i]:
                if h.name == "device":
                    out[h.name] = _device_widget(h, key)
                    continue
                # a field that does nothing with the values before it, greyed out saying why (HParam.used_from: min
                # delta with early stopping off, patience 0)
                unused = h.unused_because(out)
                disabled = bool(unused) or (h.name == "momentum" and out.get("optimizer", "sgd") != "sgd")
                help = _range_help(h) + (f"  \n({unused})" if unused else
                                         "  \n(only SGD uses momentum)" if disabled else "")
                value = hparam_widget(h, key, disabled=disabled, help=help, problems=None if unused else out.problems,
                                      format_func=metric.get if h.name == "monitor" else str)
                # greyed out as doing nothing: the run keeps its default, and a value it holds blocks no Start (a
                # review: min delta 2, then patience 0, kept Start off for a field that did nothing)
                out[h.name] = h.default if unused else value
    return out


# ---------------------------------------------------------------------------------- preview

@st.cache_data(max_entries=512, show_spinner=False)
def model_preview(model: str, params: tuple, shape: tuple, memory_limit: float | None = None) -> dict:
    """Parameter count and output shape of a configured model, built on the CPU (cached by config).

    `params` is a tuple of (name, value) pairs, `shape` one of DataShape's (field, value) pairs.
    Returns {"params", "trainable", "input_shape", "output_shape", "memory"} or {"error": message}; "memory" is
    what a training step holds, per sample and fixed (zoo/inspect/summary.training_memory: the hosted demo's cap).
    """
    import torch

    from zoo.inspect.summary import training_memory
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
    out = {"params": total, "trainable": trainable, "input_shape": tuple(data_shape.input_shape()),
           "output_shape": tuple(out.shape[1:])}
    if memory_limit is not None:   # measured on the hosted demo only, for its cap; stopped past it (zoo/demo.py)
        out["memory"] = training_memory(net, data_shape, limit=memory_limit)
    return out


def render_model_preview(model: str, params: dict, shape) -> dict:
    """A one-line summary of the configured model; returns model_preview's dict."""
    import dataclasses

    info = model_preview(model, tuple(sorted(params.items())), tuple(dataclasses.asdict(shape).items()),
                         demo.memory_limit())
    if "error" in info:
        st.error(f"This configuration does not build: {info['error']}", icon=":material/error:")
        return info
    shape_in = " x ".join(map(str, info["input_shape"]))
    shape_out = " x ".join(map(str, info["output_shape"]))
    st.markdown(f"**{model}** · **{info['params']:,}** parameters"
                + (f" ({info['trainable']:,} trainable)" if info["trainable"] != info["params"] else "")
                + f" · input (batch, {shape_in}) → output **(batch, {shape_out})**")
    return info


def one_step_note(base, settings: dict) -> None:
    """Said on the Train form where one batch holds every training sample: one step per epoch, and such a run
    learns little. The Search page said so of a searched batch size (ui/search_setup._one_step_batches: trials of
    batch 637 to 1,126 on 500 samples learned nothing useful, a learner's check); the Train form said nothing of
    batch 1,024 on 500. Said, not changed."""
    from zoo.demo import known_train_samples

    batch, limit = settings.get("batch_size"), settings.get("limit_train")
    samples = known_train_samples(base.replace(limit_train=limit or 0)) if limit is not None else None
    if batch and samples and batch >= samples:
        st.warning(f"batch size {batch:,} with {samples:,} training samples: one step per epoch, and such a run "
                   f"learns little. Lower the batch size to well below {samples:,}, or train on more samples.",
                   icon=":material/warning:")
