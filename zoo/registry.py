"""Declarations: the task table, hyperparameter declarations (`hp`) and the model registry.

A model is declared once:

    @dataclass(frozen=True)
    class MLPConfig:
        depth: int = hp(2, low=1, high=6, help="hidden layers")
        window_norm: str = hp("last", choices=WINDOW_NORMS, tasks=("series",), off="none", help=...)

    @register_model("mlp", tasks=("image", "series"), config=MLPConfig)
    def build_mlp(config: MLPConfig, shape: DataShape) -> nn.Module: ...

Each field's range, scale, step or choices, help, and the tasks it serves live in its `hp(...)`
metadata, so no range is ever written twice: the Streamlit form, the Optuna space and the CLI's
`--set` checks all read them from here. A hyperparameter that serves one task only is left out of
the other task's form and search space, and set to its `off` value there (docs/architecture.md,
"Declarations"). Training settings are declared the same way, on `ExperimentSpec` (zoo/spec.py).

The task table (`TASKS`) says what differs between image classification and series forecasting:
loss, metric and its direction, the data loader, what runs after training, the page that shows
the runs. Code that would branch on a task's name reads the table instead.

Torch-free: the loss and metric functions import torch when first called.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable


class SpecError(ValueError):
    """Bad input from a person (a value out of range, an unknown name): shown as one line."""


def refusal(check, *args, **kwargs) -> str | None:
    """Why `check(*args, **kwargs)` refuses (its SpecError's words), or None where it passes: for a page
    that says before the click what zoo would refuse after it."""
    try:
        check(*args, **kwargs)
    except SpecError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------------------------------
# intervals: what a setting accepts, written as in mathematics ("(0, inf)", "[0, 1)")

_INTERVAL_RE = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^\]\s)]+)\s*([\])])\s*$")


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    @classmethod
    def parse(cls, text: str) -> "Interval":
        m = _INTERVAL_RE.match(text)
        if not m:
            raise ValueError(f"not an interval: {text!r}")
        return cls(float(m.group(2)), float(m.group(3)), m.group(1) == "(", m.group(4) == ")")

    def __contains__(self, value) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def describe(self) -> str:
        """'a positive number', 'at least 1', 'in [0, 1)'."""
        if math.isinf(self.high):
            if self.low == 0 and self.low_open:
                return "a positive number"
            return f"{'above' if self.low_open else 'at least'} {as_typed(self.low)}"
        return (f"in {'(' if self.low_open else '['}{as_typed(self.low)}, {as_typed(self.high)}"
                f"{')' if self.high_open else ']'}")


def as_typed(number) -> str:
    """A number as a person types it: a whole number in full (a seed's 4294967295, not 4.29497e+09; a refusal
    said "weight_decay=-1.0" and "=1000000000.0" of -1 and 1e9 typed: a learner's check), else the shortest form
    that reads back as the same number (0.001, 1e-05, 0.123456789 in full). Anything else (a bool, a word) as
    str() writes it: a run's command writes its values so ("--lr 1", not "--lr 1.0")."""
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return str(number)
    if isinstance(number, int) and abs(number) >= 10**30:   # "1e300" typed in a whole-number box: not 301 digits
        return f"{float(number):g}"
    if isinstance(number, int) or (float(number).is_integer() and abs(number) < 1e15):
        return str(int(number))   # (an int of 20 digits as typed, not through a float)
    return repr(float(number))


def join_or(fixes: list[str], sentence_start: bool = False) -> str:
    """The fixes a refusal offers, in one phrase: 'a smaller horizon, a larger test share, or a longer series'. A
    message builds its list from the fixes that can be made ("a smaller horizon" at horizon 1 could not)."""
    text = fixes[0] if len(fixes) == 1 else f"{', '.join(fixes[:-1])}{',' if len(fixes) > 2 else ''} or {fixes[-1]}"
    return text[:1].upper() + text[1:] if sentence_start else text


# ---------------------------------------------------------------------------------------------
# declarations


@dataclass(frozen=True)
class HParam:
    """What a declared field accepts; read by the form, the search, the CLI and the validation.

    `low`..`high` is the range the form's widget and the search space cover. `limits` is what is
    valid at all; it defaults to that same range (model hyperparameters), while a training setting
    may accept more than the form offers (any positive lr from the CLI).
    """

    name: str
    default: Any
    kind: str  # "int", "float", "bool", "choice" or "text"
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple | None = None
    help: str = ""
    tasks: tuple[str, ...] | None = None   # the tasks this field serves (None: every task)
    off: Any = None                        # its value for a task it does not serve
    limits: str | None = None              # what is valid, as an interval ("(0, inf)"); default [low, high]
    group: str | None = None               # the form's group (training settings)
    searchable: bool | str = False         # may the search sample it? a string says why not
    cli: bool = True                       # a flag of its own in the CLI (training settings)
    # (another field, its least value) for a field that does something only from that value on, or (another
    # field, the one choice) for one used only with that choice: the form greys it out otherwise, saying why (an
    # LSTM's dropout between stacked layers with one layer; a learner's check), and a search draws it only where it
    # is used (DLinear's moving average beside nlinear trials had been ranked important: a demo visitor's check)
    used_from: tuple | None = None

    def unused_because(self, values: dict) -> str | None:
        """Why this field does nothing with these sibling `values` (None: it is used)."""
        if self.used_from is None:
            return None
        other, least = self.used_from
        if other not in values or values[other] is None:
            return None
        if isinstance(least, str):
            return f"used only with {other.replace('_', ' ')} {least}" if values[other] != least else None
        if values[other] < least:
            return f"used only with {other.replace('_', ' ')} {least} or more"
        return None

    def needed_value(self) -> str:
        """What `used_from`'s other field must be, in words: "2 (or more)", "dlinear"."""
        least = self.used_from[1]
        return least if isinstance(least, str) else f"{least} (or more)"

    @property
    def valid(self) -> Interval | None:
        if self.kind not in ("int", "float"):
            return None
        return Interval.parse(self.limits) if self.limits else Interval(self.low, self.high)

    def serves(self, task: str | None) -> bool:
        return task is None or self.tasks is None or task in self.tasks

    def check(self, value: Any) -> Any:
        """Coerce `value` (possibly a string from the CLI) to this field's type and check that it is
        valid, or raise SpecError saying what to do."""
        value = self.read(value)
        valid = self.valid
        if valid is not None and value not in valid:
            if self.limits:
                raise SpecError(f"{self.name}={as_typed(value)} must be {valid.describe()}.")
            raise self.outside_range(value)
        return value

    def check_in_range(self, value: Any) -> Any:
        """`check`, and inside the form's and the search's range [low, high] (narrowing a search)."""
        value = self.check(value)
        if self.kind in ("int", "float") and not (self.low <= value <= self.high):
            raise self.outside_range(value)
        return value

    def check_in_form(self, value: Any) -> Any:
        """`check_in_range` as a form's typed field says it: a number outside the form's range is said so, with
        what the command line takes beyond it where that is more ("weight decay: -1 must be at least 0" beside
        "5 is outside its range [0, 0.1]" had read as two rules, the first allowing 5: a learner's check)."""
        from zoo.demo import demo_mode   # (zoo.demo imports this module)

        value = self.read(value)
        if self.kind in ("int", "float") and not (self.low <= value <= self.high):
            # (Not on the hosted demo, whose visitors have no command line: a stranger's check.)
            # (Only where it takes this value: training samples -5 had read "the command line allows more: at least
            # 0", -5 allowed by neither: a learner's check.)
            wider = (f" (the command line allows more: {self.valid.describe()})"
                     if self.limits and self.valid is not None and value in self.valid and not demo_mode() else "")
            raise SpecError(f"{self.name}={as_typed(value)} is outside the form's range {self.range_text()}; pick a "
                            f"value inside it{wider}.")
        return self.check(value)

    def outside_range(self, value) -> SpecError:
        return SpecError(f"{self.name}={as_typed(value)} is outside its range {self.range_text()}; pick a value "
                         "inside it.")

    def range_text(self) -> str:
        """[low, high] as a person types them: whole numbers in full (a seed's 4294967295, not 4.29497e+09)."""
        return f"[{as_typed(self.low)}, {as_typed(self.high)}]"

    def read(self, value: Any) -> Any:
        """`value` (a typed text, or a value) as this field's kind, unchecked against its range; SpecError saying
        what the text is where it is not one (ui/form.number_box: the pages' number boxes are text boxes read
        here, so that "1.000" and "0,001" from a German keyboard are said, not read as 1)."""
        try:
            if self.kind == "bool":
                if isinstance(value, str):
                    lowered = value.strip().lower()
                    if lowered not in ("true", "false", "1", "0", "yes", "no"):
                        raise ValueError
                    value = lowered in ("true", "1", "yes")
                return bool(value)
            if self.kind == "int":
                if isinstance(value, bool):
                    raise ValueError
                if isinstance(value, str):
                    value = value.strip()
                    if re.fullmatch(r"[+-]?[1-9]\d{0,2}((\.\d{3})+|(,\d{3})+)", value):   # one kind of mark:
                        # with both ('1,000.000') there are not these two readings; refused as not a whole number
                        raise self.two_readings(value)
                    # an integer written out (a 20-digit seed) is read exactly, not through a float
                    return int(value) if re.fullmatch(r"[+-]?\d+", value) else _integral(float(value))
                return _integral(value)
            if self.kind == "float":
                if isinstance(value, bool):
                    raise ValueError
                if isinstance(value, str) and _thousands_dots(value.strip()):
                    raise self.two_readings(value.strip())
                value = float(value)
                if not math.isfinite(value):
                    raise ValueError
                return value
            if self.kind == "choice":
                matches = [c for c in self.choices if str(c) == str(value)]
                if not matches:
                    raise SpecError(
                        f"{self.name}={value!r} is not one of {', '.join(map(str, self.choices))}; pick one of those.")
                return matches[0]
            if value is None:
                return None
            return str(value)
        except SpecError:
            raise
        except (TypeError, ValueError, OverflowError):
            raise self.wrong_kind(value) from None

    def two_readings(self, value: str) -> SpecError:
        """A whole number written with a thousands mark, "1.000" or "1,000": 1,000 where the mark separates
        thousands, 1 where it is a decimal mark. "1.000" training samples, as a German visitor writes a thousand,
        had run on 1 sample, the field showing 1.000 (a visitor's check)."""
        thousands, mark = int(re.sub(r"[.,]", "", value)), "dot" if "." in value else "comma"
        if len(re.findall(r"[.,]", value)) > 1:   # 2.500.000: no decimal reading
            return SpecError(f"{self.name}={value!r} is {thousands} with a {mark} between thousands; write the whole "
                             f"number without the {mark}s ({thousands}).")
        decimal = float(value.replace(",", "."))
        if self.kind == "float":
            return SpecError(f"{self.name}={value!r} is {thousands} where the {mark} separates thousands and "
                             f"{as_typed(decimal)} where it is a decimal mark; write {thousands} or "
                             f"{as_typed(decimal)}.")
        whole = f"{thousands} or {as_typed(decimal)}" if decimal.is_integer() else str(thousands)
        return SpecError(f"{self.name}={value!r} is {thousands} where the {mark} separates thousands and "
                         f"{as_typed(decimal)} where it is a decimal mark; write the whole number without it "
                         f"({whole}).")

    def wrong_kind(self, value) -> SpecError:
        what = {"int": "a whole number", "float": "a number", "bool": "true or false"}.get(self.kind, "text")
        if self.kind == "float" and isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d*,\d+\s*", value):
            # "0,001" where a comma is the decimal mark (a German visitor's lr): said as such
            dotted = as_typed(float(value.strip().replace(",", ".")))
            if re.fullmatch(r"[+-]?[1-9]\d{0,2},\d{3}", value.strip()):   # "1,500": a thousands comma too
                thousands = value.strip().replace(",", "")
                return SpecError(f"{self.name}={value!r} is {thousands} where the comma separates thousands and "
                                 f"{dotted} where it is a decimal mark; write {thousands} or {dotted}.")
            return SpecError(f"{self.name}={value!r} has a decimal comma; write it with a dot ({dotted}).")
        try:   # "inf is not a number" read as wrong: it is one, and not a finite one (a CLI user's check)
            if self.kind == "float" and not isinstance(value, bool) and not math.isfinite(float(value)):
                what = "a finite number"
        except (TypeError, ValueError, OverflowError):
            pass
        example = as_typed(self.default) if self.kind in ("int", "float") else repr(self.default)   # 0, not 0.0
        return SpecError(f"{self.name}={value!r} is not {what}; give {what} such as {example}.")

    def as_dict(self) -> dict:
        out = {"name": self.name, "type": self.kind, "default": self.default, "help": self.help}
        if self.kind in ("int", "float"):
            out.update(low=self.low, high=self.high, log=self.log, step=self.step)
        if self.kind == "choice":
            out["choices"] = list(self.choices)
        if self.tasks is not None:
            out["tasks"] = list(self.tasks)
        return out


def _thousands_dots(text: str) -> bool:
    """Whether a decimal number's text reads as a German thousand too: "1.000", "2.500", "1.000.000". Three
    decimals ending in 0 are not how a decimal is written (zoo's own command lines and boxes write the shortest
    form, `as_typed`: 2.5, never 2.500), so "1.000" seconds is not taken as 1 second unsaid; "1.125" still reads
    as 1.125, the only form of that decimal."""
    if not re.fullmatch(r"[+-]?[1-9]\d{0,2}(\.\d{3})+", text):
        return False
    return text.count(".") > 1 or as_typed(float(text)) != text.lstrip("+")


def _integral(value) -> int:
    as_float = float(value)
    if not as_float.is_integer():
        raise ValueError
    return int(value) if isinstance(value, int) else int(as_float)


def hp(default, *, low=None, high=None, log=False, step=None, choices=None, help: str = "", tasks=None, off=None,
       limits: str | None = None, group: str | None = None, searchable: bool | str = False, cli: bool = True,
       kind: str | None = None, used_from: tuple | None = None):
    """A declared field: its range (int/float), choices, a bool, or text, with its help and the tasks
    it serves. Used for model configs and for ExperimentSpec's settings."""
    if kind is None:
        if choices is not None:
            kind = "choice"
        elif isinstance(default, bool):
            kind = "bool"
        elif isinstance(default, int) and not isinstance(low, float) and not isinstance(high, float):
            kind = "int"
        else:
            kind = "float"
    if kind in ("int", "float") and (low is None or high is None):
        raise TypeError("numeric declarations need low and high")
    if limits is not None:
        Interval.parse(limits)  # fail at import on a typo
    meta = dict(kind=kind, low=low, high=high, log=log, step=step,
                choices=tuple(choices) if choices is not None else None, help=help,
                tasks=tuple(tasks) if tasks is not None else None, off=off, limits=limits, group=group,
                searchable=searchable, cli=cli, used_from=tuple(used_from) if used_from else None)
    return field(default=default, metadata={"hp": meta})


def hparams(config_cls, task: str | None = None) -> list[HParam]:
    """The declared fields of a dataclass, in field order; with `task`, only those that serve it."""
    out = [HParam(name=f.name, default=f.default, **f.metadata["hp"])
           for f in dataclasses.fields(config_cls) if "hp" in f.metadata]
    return [h for h in out if h.serves(task)]


# ---------------------------------------------------------------------------------------------
# the task table


def _cross_entropy(out, y, reduction: str = "mean"):
    from torch.nn import functional as F

    return F.cross_entropy(out.float(), y, reduction=reduction)


def _correct(out, y):
    return (out.argmax(1) == y).sum()


def _mse(out, y, reduction: str = "mean"):
    from torch.nn import functional as F

    if reduction == "sum":   # evaluation: over the targets the file held (NaN: filled in, WindowedSeries.tensors)
        return _real_errors((out.float() - y.float()) ** 2, y)
    return F.mse_loss(out.float(), y.float(), reduction=reduction)


def _absolute_error(out, y):
    return _real_errors((out.float() - y.float()).abs(), y)


def _real_errors(errors, y):
    """A batch's errors summed where its target is real (not NaN), in windows' worth (divided by H): divided by
    `_windows_scored`, the mean over the real targets, which without a NaN is the mean over windows of each
    window's mean, as it was. A NaN the model gave stays: a diverged model's loss is not finite."""
    import torch

    return torch.where(torch.isnan(y), 0.0, errors).sum() / y.shape[1]


def _windows_scored(y):
    """How many windows' worth of real targets a batch holds (`_real_errors`' divisor)."""
    import torch

    return (~torch.isnan(y)).sum() / y.shape[1]


def _samples(y):
    return len(y)


PERCENT_DIGITS = 2   # an accuracy, wherever a run's is written: 12.00% (the run view, the Runs table, Inspect, the CLI)


def format_percent(share: float) -> str:
    """A share (0.12) as every page writes an accuracy: '12.00%'."""
    return f"{share:.{PERCENT_DIGITS}%}"


@dataclass(frozen=True)
class Task:
    """What one kind of problem needs, so that no module branches on the task's name."""

    name: str
    title: str                        # what a person calls it
    metric: str                       # what `val_metric` is ("MAE (norm.)": on the scaled series, as the Runs table
    #                                   says its test one; "val MAE 0.46" of a series in the 25,000s read as near
    #                                   perfect beside an RMSE in litres: a browser check)
    metric_goal: str                  # "max" or "min": the better direction of the metric
    metric_format: str                # how the pages print it ("percent" or "number")
    test_metric: str                  # the engine's key for the metric on the test split
    default_model: str
    page: str                         # the page that trains this task and shows its runs
    loader: str                       # "module:function(spec, data_dir) -> TensorData"
    after_fit: str | None             # "module:function(result, data, run_dir) -> dict" of extra results
    loss: Callable                    # (out, y, reduction="mean") -> the training loss
    metric_sum: Callable              # (out, y) -> the metric summed over the batch
    scored: Callable                  # (y) -> how many samples the sums above are over (their mean's divisor)
    input_shape: Callable             # DataShape -> shape of one input sample
    output_shape: Callable            # DataShape -> shape of one output
    datasets: str | None = None       # "module:NAME" of its closed list of datasets (None: any CSV)
    shape_of: str | None = None       # "module:function(spec) -> DataShape" without reading the data, if known
    classifies: bool = False          # outputs are class logits (a confusion matrix, Grad-CAM of a class)
    headline: tuple = ("test_loss", "test loss")   # the result's key and label a finished run leads with
    caption_fields: tuple = ()        # spec fields a run's one-line description adds for this task
    trivial: str = ""                 # "module:function(result, data) -> verdict": better than the trivial answer?
    shape_fields: tuple = ()          # the DataShape fields this task's models read (DataShape.to_dict)
    after_fit_words: str = ""         # what after_fit does, as the live panel says it while it runs

    def format_metric(self, value: float) -> str:
        """The task's metric as the pages and the CLI write a run's score: '12.00%' (an accuracy), '0.8123'."""
        return format_percent(value) if self.metric_format == "percent" else f"{value:.4g}"

    def label(self, monitor: str) -> str:
        """'val loss', 'val accuracy', 'val MAE (norm.)': what `monitor` means for this task."""
        return "val loss" if monitor == "val_loss" else f"val {self.metric}"

    def direction(self, monitor: str) -> str:
        """'min' or 'max': losses go down; the metric goes the way the task says."""
        return "min" if monitor == "val_loss" else self.metric_goal

    def check_data(self, data: str) -> None:
        """Refuse a `data` this task cannot read: a name outside its closed list of datasets."""
        if self.datasets is None:
            return
        names = resolve(self.datasets)
        if data not in names:
            raise SpecError(f"unknown {self.name} dataset {data!r}; use one of {', '.join(names)}, "
                            "or a .csv path for a series.")


TASKS: dict[str, Task] = {
    "image": Task(
        name="image", title="image classification", metric="accuracy", metric_goal="max",
        metric_format="percent", test_metric="test_accuracy", default_model="cnn", page="app_pages/train.py",
        loader="zoo.data.images:load_for_spec", after_fit=None, loss=_cross_entropy, metric_sum=_correct,
        scored=_samples,
        input_shape=lambda s: (s.channels, s.height, s.width), output_shape=lambda s: (s.num_classes,),
        datasets="zoo.data.images:IMAGE_DATASETS", shape_of="zoo.data.images:shape_of", classifies=True,
        headline=("test_accuracy", "test accuracy"), trivial="zoo.verdict:image_verdict",
        shape_fields=("channels", "height", "width", "num_classes")),
    "series": Task(
        name="series", title="time-series forecasting", metric="MAE (norm.)", metric_goal="min",
        metric_format="number", test_metric="test_mae_norm", default_model="linear", page="app_pages/forecast.py",
        loader="zoo.data.series:load_for_spec", after_fit="zoo.forecast:report_after_fit",
        after_fit_words="backtesting it on every test origin beside the baselines, calibrating its intervals on the "
                        "validation windows and forecasting ahead", loss=_mse,
        metric_sum=_absolute_error, scored=_windows_scored,
        input_shape=lambda s: (s.lookback, s.n_features), output_shape=lambda s: (s.horizon,),
        headline=("mase", "test MASE"), caption_fields=("lookback", "horizon"), trivial="zoo.verdict:series_verdict",
        shape_fields=("lookback", "n_features", "horizon")),
}


def get_task(name: str) -> Task:
    task = TASKS.get(name)
    if task is None:
        raise SpecError(f"task {name!r} is unknown; use one of {', '.join(TASKS)}.")
    return task


def resolve(target: str):
    """The object named by 'module:attribute' (the task table names functions this way, so that
    reading the table imports nothing heavy)."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class DataShape:
    """What a model must accept and produce, from the dataset."""

    task: str
    # image task: input channels x height x width, and the number of classes
    channels: int = 1
    height: int = 28
    width: int = 28
    num_classes: int = 10
    # series task: a window of `lookback` steps x `n_features` in, `horizon` target values out
    lookback: int = 96
    n_features: int = 1
    horizon: int = 24

    def to_dict(self) -> dict:
        """result.json's "shape": the task and its own fields (a series run's read "height": 28, "num_classes": 10,
        the image task's defaults: a CLI user's check); DataShape(**d) reads it back."""
        every = dataclasses.asdict(self)
        return {"task": self.task, **{k: every[k] for k in get_task(self.task).shape_fields}}

    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input sample (no batch dimension)."""
        return tuple(get_task(self.task).input_shape(self))

    def output_shape(self) -> tuple[int, ...]:
        return tuple(get_task(self.task).output_shape(self))


# ---------------------------------------------------------------------------------------------
# the model registry


@dataclass(frozen=True)
class ModelEntry:
    name: str
    tasks: tuple[str, ...]
    config: type
    builder: Callable
    summary: str

    def hparams(self, task: str | None = None) -> list[HParam]:
        """The declared hyperparameters; with `task`, only those that serve it."""
        return hparams(self.config, task)

    def unused(self, params: dict, task: str | None = None) -> dict[str, str]:
        """Those of `params` set otherwise than by default that do nothing beside the others (HParam.used_from),
        each with why: the form greys them out and records none of them, `train` refuses one typed, and a run's
        command leaves them out (an LSTM's dropout of 0.3 with one layer was kept in the spec and its command as if it
        did something: a learner's check)."""
        declared = self.hparams(task)
        values = {**{h.name: h.default for h in declared}, **params}
        return {h.name: why for h in declared
                if h.name in params and params[h.name] != h.default and (why := h.unused_because(values))}


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(name: str, *, tasks: tuple[str, ...], config: type):
    """Decorator: register `builder(config, shape) -> nn.Module` under `name` for `tasks`."""

    def decorator(builder):
        doc = (builder.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = ModelEntry(name, tuple(tasks), config, builder, doc[0] if doc else name)
        return builder

    return decorator


def _load_models():
    # Importing the package runs every @register_model in zoo/models/.
    import zoo.models  # noqa: F401


def list_models(task: str | None = None) -> list[str]:
    """Names of the registered models, for one task (`image` or `series`) or all."""
    _load_models()
    if task is not None:
        get_task(task)
    return [n for n, e in _REGISTRY.items() if task is None or task in e.tasks]


def get_model(name: str, task: str | None = None) -> ModelEntry:
    _load_models()
    entry = _REGISTRY.get(name)
    if entry is None:
        import difflib

        known = list_models(task)
        close = difflib.get_close_matches(str(name).lower(), known, n=1)   # "mpl": mlp (a CLI user's check)
        guess = f"did you mean {close[0]!r}? " if close else ""
        raise SpecError(f"unknown model {name!r}; {guess}choose one of {', '.join(known)}.")
    if task is not None and task not in entry.tasks:
        raise SpecError(f"model {name!r} does not fit the {task} task; choose one of {', '.join(list_models(task))}.")
    return entry


def make_config(name: str, params: dict | None = None, task: str | None = None):
    """The model's config with `params` checked against their declared ranges.

    With `task`, a hyperparameter that does not serve it is refused if given, and set to its `off`
    value otherwise (so an image model never runs with a series-only option switched on)."""
    entry = get_model(name, task)
    declared = {h.name: h for h in entry.hparams()}
    values = {}
    for key, value in (params or {}).items():
        if key not in declared:
            raise SpecError(
                f"model {name!r} has no hyperparameter {key!r}; it has {', '.join(declared) or 'none'}.")
        if not declared[key].serves(task):
            raise SpecError(f"{key} serves the {', '.join(declared[key].tasks)} task only, and this is the {task} "
                            f"task; leave it out.")
        values[key] = declared[key].check(value)
    for h in declared.values():
        if not h.serves(task):
            values[h.name] = h.off
    return entry.config(**values)


def build(name: str, shape: DataShape, params: dict | None = None):
    """A fresh model (new weights) for `shape`, with `params` over the declared defaults."""
    entry = get_model(name, shape.task)
    return entry.builder(make_config(name, params, shape.task), shape)


def describe_models(task: str | None = None) -> list[dict]:
    """Every model with its hyperparameters, defaults and ranges (for `zoo models --json`)."""
    return [
        {"name": n, "tasks": list(get_model(n).tasks), "summary": get_model(n).summary,
         "hyperparameters": [h.as_dict() for h in get_model(n).hparams(task)]}
        for n in list_models(task)
    ]


class DeclaredSettings:
    """What ExperimentSpec and LeaderboardSpec share: a dataclass of `hp` declarations that
    round-trips exactly through JSON, and refuses fields it does not declare (`WHAT` names it in
    the error)."""

    WHAT = "settings"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict):
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise SpecError(f"unknown fields {sorted(unknown)} in {cls.WHAT}; remove them.")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str):
        return cls.from_dict(json.loads(text))

    def replace(self, **changes: Any):
        return dataclasses.replace(self, **changes)
