"""The search space: read from the same declarations as the forms (zoo/spec.py for the training
recipe, the model's config dataclass for its hyperparameters). A person may narrow any range or
fix any value, never widen one; a hyperparameter that does not serve the study's task is not in
its space.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import optuna

from zoo.registry import HParam, SpecError, get_model
from zoo.spec import ExperimentSpec, train_hparams

# Searched when nothing else is asked for: the training settings that matter most, plus every
# hyperparameter the model declares for the task.
DEFAULT_TRAIN_KEYS = ("optimizer", "lr", "batch_size")


def declared_settings(model: str, task: str | None = None) -> list[tuple[str, HParam]]:
    """Every declared setting as (scope, HParam): the training recipe first, then the model's."""
    return [("train", h) for h in train_hparams(task)] + [("model", h) for h in get_model(model, task).hparams(task)]


def default_search_keys(model: str, task: str | None = None, held: dict | None = None) -> list[str]:
    """The settings searched when none are named; `held`: values every trial keeps (fixed, or set by a flag), beside
    which a setting that does nothing (HParam.used_from) is left out: `--fix num_layers=1` had been refused for the
    default dropout, a key the person never asked to search (a review)."""
    hparams = get_model(model, task).hparams(task)
    declared = {h.name: h for h in hparams}

    def unused(h: HParam) -> bool:
        other = h.used_from[0] if h.used_from else None
        if other not in (held or {}) or other not in declared:
            return False
        try:   # a --fix value is text until checked ("1"); one its check refuses is said by build_space
            value = declared[other].check(held[other])
        except SpecError:
            return False
        return bool(h.unused_because({other: value}))

    return list(DEFAULT_TRAIN_KEYS) + [h.name for h in hparams if h.name not in (held or {}) and not unused(h)]


@dataclass(frozen=True)
class Dim:
    """One searched setting: a numeric range (`low`..`high`, log or linear, optional step) or a set of values."""

    name: str
    scope: str                      # "train" or "model"
    kind: str                       # "int", "float" or "choice" (bools are a choice of True/False)
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    values: tuple = ()

    def suggest(self, trial: optuna.Trial):
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.values))
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log,
                                     step=1 if self.log else int(self.step or 1))
        return trial.suggest_float(self.name, self.low, self.high, log=self.log,
                                   step=None if self.log else self.step)

    def grid(self, points: int) -> list:
        """Finite values for the grid sampler: the choices, or `points` values spread over the range."""
        if self.kind == "choice":
            return list(self.values)
        points = max(2, int(points))
        if self.kind == "int":
            step = int(self.step or 1)
            every = list(range(int(self.low), int(self.high) + 1, step))
            if len(every) <= points:
                return every
        if self.log:
            ratio = (self.high / self.low) ** (1 / (points - 1))
            raw = [self.low * ratio ** i for i in range(points)]
        else:
            raw = [self.low + (self.high - self.low) * i / (points - 1) for i in range(points)]
        if self.kind == "int":
            return sorted({int(round(v)) for v in raw})
        if self.step:
            raw = [round(round((v - self.low) / self.step) * self.step + self.low, 12) for v in raw]
        else:
            raw = [float(f"{v:.4g}") for v in raw]
        return sorted(set(min(max(v, self.low), self.high) for v in raw))

    def describe(self) -> str:
        if self.kind == "choice":
            return "{" + ", ".join(map(str, self.values)) + "}"
        scale = " log" if self.log else ""
        step = f" step {self.step:g}" if self.step and not self.log else ""
        return f"[{self.low:g}, {self.high:g}]{scale}{step}"

    def as_dict(self) -> dict:
        return {"name": self.name, "scope": self.scope, "kind": self.kind, "low": self.low, "high": self.high,
                "log": self.log, "step": self.step, "values": list(self.values)}

    @classmethod
    def from_dict(cls, d: dict) -> "Dim":
        return cls(**{**d, "values": tuple(d.get("values") or ())})


def narrow(h: HParam, scope: str, *, low=None, high=None, values=None) -> Dim | Any:
    """A Dim for `h` inside its declared range; a single value comes back as that (fixed) value.

    `values` lists allowed values (a subset of the choices, or numbers inside the range);
    `low`/`high` narrow a numeric range, keeping its declared scale and step. Widening is refused.
    """
    if isinstance(h.searchable, str) and scope == "train":
        raise SpecError(f"{h.name} cannot be searched: {h.searchable}.")   # a shared setting, and why
    if values is not None:
        checked = []
        for v in values:
            if h.kind == "choice" and str(v) not in map(str, h.choices):
                raise SpecError(f"{h.name}={v!r} is not one of {', '.join(map(str, h.choices))}; pick from those.")
            v = h.check_in_range(v)
            if v not in checked:
                checked.append(v)
        if not checked:
            raise SpecError(f"{h.name}: give at least one value to search.")
        if len(checked) == 1:
            return checked[0]
        return Dim(h.name, scope, "choice", values=tuple(checked))
    if h.kind == "bool":
        return Dim(h.name, scope, "choice", values=(False, True))
    if h.kind == "choice":
        return Dim(h.name, scope, "choice", values=tuple(h.choices))
    lo = h.low if low is None else h.check_in_range(low)
    hi = h.high if high is None else h.check_in_range(high)
    if lo > hi:
        raise SpecError(f"{h.name}: the range {lo:g}:{hi:g} is empty; write it as low:high.")
    if lo == hi:
        return lo
    step = h.step
    if h.kind == "float" and step and not h.log:
        # Optuna wants high - low to be a multiple of the step: round the narrowed ends onto it.
        lo = round(h.low + math.ceil((lo - h.low) / step - 1e-9) * step, 12)
        hi = round(h.low + math.floor((hi - h.low) / step + 1e-9) * step, 12)
        if lo >= hi:
            return lo
    return Dim(h.name, scope, h.kind, low=lo, high=hi, log=h.log, step=step)


def parse_narrowing(h: HParam, scope: str, text: str | None) -> Dim | Any:
    """The CLI's range syntax: nothing (the declared range), `low:high`, or `a,b,c` (a set of values)."""
    if text is None or text.strip() == "":
        return narrow(h, scope)
    text = text.strip()
    if ":" in text and h.kind in ("int", "float"):
        low, sep, high = text.partition(":")
        if ":" in high or not low.strip() or not high.strip():
            raise SpecError(f"--search {h.name}={text!r}: write a range as low:high, e.g. {h.name}={_example(h)}.")
        return narrow(h, scope, low=low.strip(), high=high.strip())
    return narrow(h, scope, values=[v.strip() for v in text.split(",") if v.strip()])


def _example(h: HParam) -> str:
    if h.kind in ("int", "float"):
        return f"{h.low:g}:{h.high:g}"
    if h.kind == "bool":
        return "true,false"
    return ",".join(map(str, h.choices[:2]))


@dataclass
class SearchSpace:
    """What a study searches (`dims`) and what it holds fixed (`fixed`), for one model."""

    model: str
    task: str
    dims: tuple[Dim, ...] = ()
    fixed: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dims]

    def dim(self, name: str) -> Dim | None:
        return next((d for d in self.dims if d.name == name), None)

    def check(self, base: ExperimentSpec) -> None:
        """Refuse spaces that cannot work with the settings every trial shares."""
        if not self.dims:
            raise SpecError("nothing to search: every setting is fixed; search at least one (--search KEY).")
        if self.dim("momentum") is not None and self.dim("optimizer") is None:
            optimizer = self.fixed.get("optimizer", base.optimizer)
            if optimizer != "sgd":
                raise SpecError(f"momentum is used by SGD only and the optimizer is fixed at {optimizer}; "
                                "search optimizer too, or fix optimizer=sgd.")
        settings = dict((h.name, (scope, h)) for scope, h in declared_settings(self.model, self.task))
        for d in self.dims:   # a setting that does nothing beside a value every trial holds (HParam.used_from)
            scope, h = settings[d.name]
            if h.used_from is None or self.dim(h.used_from[0]) is not None:
                continue
            other, least = h.used_from
            held = self.fixed[other] if other in self.fixed else getattr(base, other) \
                if settings[other][0] == "train" else base.model_params.get(other, settings[other][1].default)
            if h.unused_because({other: held}):
                # min delta searched beside patience 0: every trial drew a value early stopping never read, and the
                # importance plot ranked it (a learner's check)
                raise SpecError(f"{d.name} is {h.unused_because({other: held})}, and {other} is fixed at {held}: "
                                f"every trial would draw a {d.name} that does nothing; search {other} too, fix "
                                f"{other} at {h.needed_value().replace(' (or more)', ' or more')}, or do not search "
                                f"{d.name}.")

    def suggest(self, trial: optuna.Trial, conditional: bool = True) -> dict:
        """Ask the trial for a value of every dimension. Momentum is asked for only when it matters
        (the optimizer is SGD), and a setting used only beside another's value (HParam.used_from) only beside it
        (DLinear's moving average in an nlinear trial had been drawn, and ranked important: a demo visitor's
        check), unless `conditional` is off (the grid sampler needs every name)."""
        declared = {h.name: h for _, h in declared_settings(self.model, self.task)}
        params = {}
        for d in self.dims:
            if conditional and d.name == "momentum" and "optimizer" in params and params["optimizer"] != "sgd":
                continue
            used_from = declared[d.name].used_from if d.name in declared else None
            if conditional and used_from and used_from[0] in params and \
                    declared[d.name].unused_because({used_from[0]: params[used_from[0]]}):
                continue
            params[d.name] = d.suggest(trial)
        return params

    def spec_for(self, base: ExperimentSpec, params: dict) -> ExperimentSpec:
        """A fresh spec: the shared settings, then the fixed values, then this trial's parameters."""
        scopes = {name: scope for scope, h in declared_settings(self.model, self.task) for name in [h.name]}
        values = {**self.fixed, **params}
        train = {k: v for k, v in values.items() if scopes.get(k) == "train"}
        model_params = {**base.model_params, **{k: v for k, v in values.items() if scopes.get(k) == "model"}}
        return base.replace(**train, model_params=model_params)

    def grid(self, points: int) -> dict[str, list]:
        return {d.name: d.grid(points) for d in self.dims}

    def grid_size(self, points: int) -> int:
        return math.prod(len(v) for v in self.grid(points).values())

    def describe(self) -> list[dict]:
        """One row per setting: searched (with its range) or fixed (with its value)."""
        rows = [{"setting": d.name, "group": d.scope, "searched": True, "range": d.describe()} for d in self.dims]
        rows += [{"setting": k, "group": _scope(self.model, self.task, k), "searched": False, "range": f"= {v}"}
                 for k, v in self.fixed.items()]
        return rows

    def as_dict(self) -> dict:
        return {"model": self.model, "task": self.task, "dims": [d.as_dict() for d in self.dims],
                "fixed": dict(self.fixed)}

    @classmethod
    def from_dict(cls, d: dict) -> "SearchSpace":
        return cls(d["model"], d["task"], tuple(Dim.from_dict(x) for x in d["dims"]), dict(d.get("fixed") or {}))


def _scope(model: str, task: str, name: str) -> str:
    return next((s for s, h in declared_settings(model, task) if h.name == name), "?")


def _key(name: str) -> str:
    return name.strip().replace("-", "_")


def build_space(model: str, task: str = "image", search: dict | None = None, fix: dict | None = None) -> SearchSpace:
    """The search space for `model`.

    `search` maps setting -> None (its declared range), a CLI string (`low:high` or `a,b,c`), a
    `(low, high)` pair or a list of values; without it, the default set (optimizer, lr, batch_size
    and every model hyperparameter) is searched over its declared ranges. `fix` maps setting ->
    value, taken out of the search. Everything is checked against the declarations.
    """
    settings = {h.name: (scope, h) for scope, h in declared_settings(model, task)}
    known = ", ".join(settings)
    fix = {_key(k): v for k, v in (fix or {}).items()}
    if search is None:
        search = {k: None for k in default_search_keys(model, task, held=fix) if k not in fix}
    search = {_key(k): v for k, v in search.items()}
    dims, fixed = [], {}
    for name, value in fix.items():
        if name not in settings:
            raise SpecError(f"cannot fix {name!r}: it is not a declared setting of {model}; use one of {known}.")
        if name in search:
            raise SpecError(f"{name} is both searched and fixed; drop one of --search {name} / --fix {name}.")
        fixed[name] = settings[name][1].check(value)
    for name, how in search.items():
        if name not in settings:
            raise SpecError(f"cannot search {name!r}: it is not a declared setting of {model}; use one of {known}.")
        scope, h = settings[name]
        if how is None or isinstance(how, str):
            result = parse_narrowing(h, scope, how)
        elif isinstance(how, tuple) and len(how) == 2 and h.kind in ("int", "float"):
            result = narrow(h, scope, low=how[0], high=how[1])
        else:
            result = narrow(h, scope, values=list(how))
        if isinstance(result, Dim):
            dims.append(result)
        else:
            fixed[name] = result
    order = list(settings)
    dims.sort(key=lambda d: order.index(d.name))  # declaration order: optimizer comes before momentum
    return SearchSpace(model, task, tuple(dims), fixed)
