"""The model registry: one frozen config dataclass per model drives the UI form and the search space.

A model is declared once:

    @dataclass(frozen=True)
    class MLPConfig:
        depth: int = hp(2, low=1, high=6, help="hidden layers")

    @register_model("mlp", tasks=("image", "series"), config=MLPConfig)
    def build_mlp(config: MLPConfig, shape: DataShape) -> nn.Module: ...

Each field's range, scale, step or choices and help live in its `hp(...)` metadata, so no range
is ever written twice: the Streamlit form, the Optuna space and the CLI's `--set` checks all read
them from here.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable

TASKS = ("image", "series")


class SpecError(ValueError):
    """Bad input from a person (a value out of range, an unknown name): shown as one line."""


@dataclass(frozen=True)
class HParam:
    """What a config field accepts; read by the form, the search and the validation."""

    name: str
    default: Any
    kind: str  # "int", "float", "bool" or "choice"
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple | None = None
    help: str = ""

    def check(self, value: Any) -> Any:
        """Coerce `value` (possibly a string from the CLI) to this field's type, or raise SpecError."""
        try:
            if self.kind == "bool":
                if isinstance(value, str):
                    lowered = value.strip().lower()
                    if lowered not in ("true", "false", "1", "0", "yes", "no"):
                        raise ValueError
                    value = lowered in ("true", "1", "yes")
                value = bool(value)
            elif self.kind == "int":
                as_float = float(value)
                if not as_float.is_integer():
                    raise ValueError
                value = int(as_float)
            elif self.kind == "float":
                value = float(value)
                if not math.isfinite(value):
                    raise ValueError
            elif self.kind == "choice":
                matches = [c for c in self.choices if str(c) == str(value)]
                if not matches:
                    raise SpecError(
                        f"{self.name}={value!r} is not one of {', '.join(map(str, self.choices))}; pick one of those."
                    )
                value = matches[0]
        except SpecError:
            raise
        except (TypeError, ValueError):
            raise SpecError(f"{self.name}={value!r} is not a valid {self.kind}; give a {self.kind} value.") from None
        if self.kind in ("int", "float") and not (self.low <= value <= self.high):
            raise SpecError(
                f"{self.name}={value} is outside its range [{self.low:g}, {self.high:g}]; pick a value inside it."
            )
        return value

    def as_dict(self) -> dict:
        out = {"name": self.name, "type": self.kind, "default": self.default, "help": self.help}
        if self.kind in ("int", "float"):
            out.update(low=self.low, high=self.high, log=self.log, step=self.step)
        if self.kind == "choice":
            out["choices"] = list(self.choices)
        return out


def hp(default, *, low=None, high=None, log=False, step=None, choices=None, help: str = ""):
    """A config field with its declared range (int/float), choices, or a bool."""
    if choices is not None:
        kind = "choice"
    elif isinstance(default, bool):
        kind = "bool"
    elif isinstance(default, int) and not isinstance(low, float) and not isinstance(high, float):
        kind = "int"
    else:
        kind = "float"
    if kind in ("int", "float") and (low is None or high is None):
        raise TypeError("numeric hyperparameters need low and high")
    meta = dict(kind=kind, low=low, high=high, log=log, step=step,
                choices=tuple(choices) if choices is not None else None, help=help)
    return field(default=default, metadata={"hp": meta})


def hparams(config_cls) -> list[HParam]:
    """The declared hyperparameters of a config dataclass, in field order."""
    return [HParam(name=f.name, default=f.default, **f.metadata["hp"])
            for f in dataclasses.fields(config_cls) if "hp" in f.metadata]


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

    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input sample (no batch dimension)."""
        if self.task == "image":
            return (self.channels, self.height, self.width)
        return (self.lookback, self.n_features)

    def output_shape(self) -> tuple[int, ...]:
        return (self.num_classes,) if self.task == "image" else (self.horizon,)


@dataclass(frozen=True)
class ModelEntry:
    name: str
    tasks: tuple[str, ...]
    config: type
    builder: Callable
    summary: str

    def hparams(self) -> list[HParam]:
        return hparams(self.config)


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
    if task is not None and task not in TASKS:
        raise SpecError(f"unknown task {task!r}; use one of {', '.join(TASKS)}.")
    return [n for n, e in _REGISTRY.items() if task is None or task in e.tasks]


def get_model(name: str, task: str | None = None) -> ModelEntry:
    _load_models()
    entry = _REGISTRY.get(name)
    if entry is None:
        raise SpecError(f"unknown model {name!r}; choose one of {', '.join(list_models(task))}.")
    if task is not None and task not in entry.tasks:
        raise SpecError(f"model {name!r} does not fit the {task} task; choose one of {', '.join(list_models(task))}.")
    return entry


def make_config(name: str, params: dict | None = None, task: str | None = None):
    """The model's config with `params` checked against their declared ranges."""
    entry = get_model(name, task)
    declared = {h.name: h for h in entry.hparams()}
    values = {}
    for key, value in (params or {}).items():
        if key not in declared:
            raise SpecError(
                f"model {name!r} has no hyperparameter {key!r}; it has {', '.join(declared) or 'none'}."
            )
        values[key] = declared[key].check(value)
    return entry.config(**values)


def build(name: str, shape: DataShape, params: dict | None = None):
    """A fresh model (new weights) for `shape`, with `params` over the declared defaults."""
    entry = get_model(name, shape.task)
    return entry.builder(make_config(name, params, shape.task), shape)


def describe_models(task: str | None = None) -> list[dict]:
    """Every model with its hyperparameters, defaults and ranges (for `zoo models --json`)."""
    return [
        {"name": n, "tasks": list(get_model(n).tasks), "summary": get_model(n).summary,
         "hyperparameters": [h.as_dict() for h in get_model(n).hparams()]}
        for n in list_models(task)
    ]
