"""Hyperparameter search with Optuna: the space from the declarations, one fresh run per trial.

The search space is read from the same declarations as the Train form (`zoo.spec.TrainSettings`
and the model's config dataclass); a person may narrow any range or fix any value, never widen
one. Each trial turns its parameters into a fresh `ExperimentSpec`, so the engine builds a fresh
model and optimizer for it (the seed's search reused one model object across trials, so its trials
were not independent), trains it with `run_experiment` and so records a run in the run store,
reports the objective after every epoch and stops early when the pruner says so. The trial links
its run through the user attributes `run_id`, `run_dir` and `host`, keeps the full spec in `spec`
(so "train with the best values" works from the storage alone) and the run's outcome in `result`.

Storage: by default a journal file under the runs directory (`<runs>/optuna/journal.log`, Optuna's
JournalStorage with JournalFileBackend), which several processes on one machine share without
"database is locked"; any SQLAlchemy URL (postgresql://..., sqlite:///...) also works. Several
`python -m zoo search` processes, on one machine or many, given the same storage and study name
share one study: that is Optuna's own way to scale out.

No Streamlit here; torch is imported only when trials run, so the Search page loads without it.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import socket
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import optuna
from optuna.trial import TrialState

from zoo.registry import HParam, SpecError, get_model
from zoo.spec import ExperimentSpec, train_hparams

OBJECTIVES = ("val_loss", "val_metric")
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "none", "hyperband")
# Searched when nothing else is asked for: the training settings that matter most, plus every
# hyperparameter the model declares.
DEFAULT_TRAIN_KEYS = ("optimizer", "lr", "batch_size")
# Declared settings that every trial must share rather than search.
NOT_SEARCHABLE = {
    "epochs": "epochs is the budget every trial shares (and the pruner's scale); set it with --epochs",
    "precision": "precision depends on the device, not on the model; set it with --precision",
}
JOURNAL_NAME = Path("optuna") / "journal.log"
STATE_NAMES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
# Optuna says "A new study created ..." at INFO for every in-memory view the page draws from; our
# own progress lines say what matters.
optuna.logging.set_verbosity(optuna.logging.WARNING)


# ------------------------------------------------------------------ the space


def declared_settings(model: str, task: str | None = None) -> list[tuple[str, HParam]]:
    """Every declared setting as (scope, HParam): the training recipe first, then the model's."""
    return [("train", h) for h in train_hparams()] + [("model", h) for h in get_model(model, task).hparams()]


def default_search_keys(model: str, task: str | None = None) -> list[str]:
    return list(DEFAULT_TRAIN_KEYS) + [h.name for h in get_model(model, task).hparams()]


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
    if h.name in NOT_SEARCHABLE and scope == "train":
        raise SpecError(f"{h.name} cannot be searched: {NOT_SEARCHABLE[h.name]}.")
    if values is not None:
        checked = []
        for v in values:
            if h.kind == "choice" and str(v) not in map(str, h.choices):
                raise SpecError(f"{h.name}={v!r} is not one of {', '.join(map(str, h.choices))}; pick from those.")
            v = h.check(v)
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
    lo = h.low if low is None else h.check(low)
    hi = h.high if high is None else h.check(high)
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

    def suggest(self, trial: optuna.Trial, conditional: bool = True) -> dict:
        """Ask the trial for a value of every dimension. Momentum is asked for only when it matters
        (the optimizer is SGD), unless `conditional` is off (the grid sampler needs every name)."""
        params = {}
        for d in self.dims:
            if conditional and d.name == "momentum" and "optimizer" in params and params["optimizer"] != "sgd":
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
        search = {k: None for k in default_search_keys(model, task) if k not in fix}
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


# ------------------------------------------------------------------ storage


def default_storage(runs_dir=None) -> str:
    from zoo.runs import runs_root

    return str(runs_root(runs_dir) / JOURNAL_NAME)


def is_url(storage: str) -> bool:
    return "://" in storage


def display_storage(storage: str) -> str:
    """The storage as it may be shown or logged: a URL's password is masked."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", storage)


def sqlalchemy_url(storage: str) -> str:
    """`postgresql://` with the driver that is installed: SQLAlchemy 2.1 means psycopg 3 by it, and
    this project installs psycopg2 (psycopg2-binary), so name it unless psycopg 3 is there."""
    scheme, sep, rest = storage.partition("://")
    if scheme in ("postgresql", "postgres"):
        import importlib.util

        if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
            return f"postgresql+psycopg2://{rest}"
        return f"postgresql://{rest}"
    return storage


def open_storage(storage: str | None = None, runs_dir=None, *, heartbeat: bool = False):
    """An Optuna storage: a journal file (a path, default under the runs directory) or an SQLAlchemy URL.

    `heartbeat` (RDB only) lets a live worker mark the trials of a dead one as failed after a while.
    """
    from optuna.storages import JournalStorage, RDBStorage
    from optuna.storages.journal import JournalFileBackend

    storage = storage or default_storage(runs_dir)
    if not is_url(storage):
        path = Path(storage).expanduser()
        if path.is_dir():
            raise SpecError(f"storage {storage} is a folder; give a journal file path such as {path / 'journal.log'}.")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return JournalStorage(JournalFileBackend(str(path)))
        except OSError as exc:
            raise SpecError(f"cannot open the journal file {storage}: {exc.strerror or exc}; "
                            "give a writable path.") from None
    kwargs: dict = {}
    if storage.startswith("sqlite"):
        # SQLite serialises writers; wait for the lock instead of failing at once. For several
        # processes prefer the journal file (the default) or a server database.
        kwargs["engine_kwargs"] = {"connect_args": {"timeout": 60}}
    elif heartbeat:
        kwargs.update(heartbeat_interval=30, grace_period=120)
    try:
        return _rdb_storage(RDBStorage, sqlalchemy_url(storage), kwargs)
    except ImportError as exc:
        raise SpecError(f"storage {display_storage(storage)} needs a database driver that is not installed "
                        f"({exc}); install it, or use postgresql:// (psycopg2) or a journal file.") from None
    except Exception as exc:  # sqlalchemy's ArgumentError, OperationalError, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError(f"cannot open storage {display_storage(storage)}: {first}; check the URL, "
                        "that the server runs and the database exists.") from None


def _rdb_storage(cls, url: str, kwargs: dict, attempts: int = 6):
    """RDBStorage, retried: workers started together on a fresh database all try to create Optuna's
    tables, and PostgreSQL lets one win (the others fail with a unique-constraint error on its
    catalogue); a moment later the tables exist and opening succeeds."""
    import random

    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeat
                return cls(url, **kwargs)
        except ImportError:
            raise
        except Exception as exc:
            text = str(exc).lower()
            racing = any(s in text for s in ("duplicate key", "already exists", "unique constraint", "deadlock"))
            if not racing or attempt == attempts - 1:
                raise
            time.sleep(0.2 + random.random() * (attempt + 1))


def study_names(storage: str | None = None, runs_dir=None) -> list[str]:
    """The studies in a storage, newest first."""
    summaries = optuna.get_all_study_summaries(open_storage(storage, runs_dir), include_best_trial=False)
    summaries.sort(key=lambda s: s.datetime_start.timestamp() if s.datetime_start else 0, reverse=True)
    return [s.study_name for s in summaries]


def load_study(storage: str | None, name: str, runs_dir=None, *, opened=None) -> optuna.Study:
    """An existing study (to watch it or add trials); SpecError naming the studies there if it is missing."""
    backend = opened or open_storage(storage, runs_dir)
    try:
        return optuna.load_study(study_name=name, storage=backend)
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(backend, include_best_trial=False)]
        where = display_storage(storage or default_storage(runs_dir))
        raise SpecError(f"no study {name!r} in {where}; "
                        + (f"it has {', '.join(names)}." if names else "it has no studies yet.")) from None


# ------------------------------------------------------------------ configuration


def direction(objective: str, task: str) -> str:
    """Accuracy (images' val_metric) is maximised; losses and errors (series' MAE) are minimised."""
    return "maximize" if (objective == "val_metric" and task == "image") else "minimize"


def objective_label(objective: str, task: str) -> str:
    if objective == "val_metric":
        return "val accuracy" if task == "image" else "val MAE"
    return "val loss"


@dataclass
class SearchConfig:
    """One worker's search: the shared settings (`spec`), the space, and how to run the study."""

    spec: ExperimentSpec
    space: SearchSpace
    objective: str = "val_loss"
    n_trials: int | None = 20          # this worker's trials (None: until the timeout or a stop)
    timeout: float | None = None       # seconds after which this worker starts no new trial
    total_trials: int | None = None    # stop once the study (all workers) has this many trials
    study: str | None = None
    storage: str | None = None         # None: the journal file under the runs directory
    sampler: str = "tpe"
    pruner: str = "median"
    sampler_seed: int | None = None
    grid_points: int = 3
    runs_dir: str | None = None
    data_dir: str | None = None

    def validate(self) -> "SearchConfig":
        self.spec.validate()
        if self.objective not in OBJECTIVES:
            raise SpecError(f"objective {self.objective!r} is unknown; use val_loss or val_metric.")
        if self.sampler not in SAMPLERS:
            raise SpecError(f"sampler {self.sampler!r} is unknown; use one of {', '.join(SAMPLERS)}.")
        if self.pruner not in PRUNERS:
            raise SpecError(f"pruner {self.pruner!r} is unknown; use one of {', '.join(PRUNERS)}.")
        if self.n_trials is not None and self.n_trials < 1:
            raise SpecError(f"n_trials={self.n_trials} must be at least 1.")
        if self.timeout is not None and not self.timeout > 0:
            raise SpecError(f"timeout={self.timeout} must be a positive number of seconds.")
        if self.total_trials is not None and self.total_trials < 1:
            raise SpecError(f"total_trials={self.total_trials} must be at least 1.")
        if self.grid_points < 2:
            raise SpecError(f"grid_points={self.grid_points} must be at least 2.")
        if self.space.model != self.spec.model or self.space.task != self.spec.task:
            raise SpecError(f"the space is for {self.space.model} ({self.space.task}) but the spec trains "
                            f"{self.spec.model} ({self.spec.task}).")
        self.space.check(self.spec)
        self.spec_for({}).validate()  # the fixed values with the shared settings make a valid spec
        if self.sampler == "grid" and self.space.grid_size(self.grid_points) > 100_000:
            raise SpecError(f"the grid has {self.space.grid_size(self.grid_points):,} points; search fewer "
                            "settings, list fewer values or lower --grid-points.")
        return self

    @property
    def study_name(self) -> str:
        return self.study or default_study_name(self.spec, self.objective)

    @property
    def storage_url(self) -> str:
        return self.storage or default_storage(self.runs_dir)

    @property
    def direction(self) -> str:
        return direction(self.objective, self.spec.task)

    def spec_for(self, params: dict) -> ExperimentSpec:
        # Early stopping and the best checkpoint follow the objective, so a trial's run keeps the
        # weights its objective value came from.
        return self.space.spec_for(self.spec, params).replace(monitor=self.objective)

    def fingerprint(self) -> dict:
        """What makes two workers' trials comparable; stored in the study and checked on joining."""
        shared = {k: v for k, v in self.spec.to_dict().items() if k not in ("device", "data")}
        # The device may differ between machines (a GPU box and a laptop share a study); the data
        # is compared by name, as its folder differs between machines.
        return {"model": self.spec.model, "task": self.spec.task, "data": _data_name(self.spec.data),
                "epochs": self.spec.epochs, "objective": self.objective, "direction": self.direction,
                "space": self.space.as_dict(), "shared": shared}

    def to_dict(self) -> dict:
        return {"spec": self.spec.to_dict(), "space": self.space.as_dict(), "objective": self.objective,
                "n_trials": self.n_trials, "timeout": self.timeout, "total_trials": self.total_trials,
                "study": self.study, "storage": self.storage, "sampler": self.sampler, "pruner": self.pruner,
                "sampler_seed": self.sampler_seed, "grid_points": self.grid_points, "runs_dir": self.runs_dir,
                "data_dir": self.data_dir}

    @classmethod
    def from_dict(cls, d: dict) -> "SearchConfig":
        d = dict(d)
        return cls(spec=ExperimentSpec.from_dict(d.pop("spec")), space=SearchSpace.from_dict(d.pop("space")), **d)


def _data_name(data: str) -> str:
    return Path(data).name if ("/" in data or "\\" in data) else data


def default_study_name(spec: ExperimentSpec, objective: str = "val_loss") -> str:
    stem = Path(spec.data).stem if spec.task == "series" else spec.data
    return f"{spec.model}-{stem}-{objective}"


def make_sampler(name: str, space: SearchSpace, seed: int | None = None, grid_points: int = 3):
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":
        return optuna.samplers.GridSampler(space.grid(grid_points), seed=seed)
    # constant_liar: parallel workers do not all sample next to the same running trial.
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


def make_pruner(name: str, epochs: int):
    if name == "median":
        # Prune a trial whose objective at an epoch is worse than the median of earlier trials at
        # that epoch, once 5 trials have finished.
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, epochs), reduction_factor=3)
    return optuna.pruners.NopPruner()


def open_study(config: SearchConfig, *, opened=None) -> optuna.Study:
    """Create the study, or join it if it exists with the same settings (else SpecError)."""
    backend = opened or open_storage(config.storage, config.runs_dir, heartbeat=True)
    sampler = make_sampler(config.sampler, config.space, config.sampler_seed, config.grid_points)
    study = optuna.create_study(study_name=config.study_name, storage=backend, direction=config.direction,
                                sampler=sampler, pruner=make_pruner(config.pruner, config.spec.epochs),
                                load_if_exists=True)
    mine = config.fingerprint()
    theirs = study.user_attrs.get("playground")
    if theirs is None:
        study.set_user_attr("playground", mine)
        study.set_user_attr("config", {**config.to_dict(), "storage": None, "n_trials": None, "timeout": None})
    elif theirs != mine:
        differs = {k for k in set(mine) | set(theirs) if k != "shared" and mine.get(k) != theirs.get(k)}
        ours, stored = mine.get("shared", {}), theirs.get("shared") or {}
        differs |= {k for k in set(ours) | set(stored) if ours.get(k) != stored.get(k)}
        differs = sorted(differs)
        raise SpecError(f"study {config.study_name!r} in {display_storage(config.storage_url)} was made with other "
                        f"settings (they differ in: {', '.join(differs)}); give the same settings to join it, "
                        "or a new --study name.")
    return study


def config_of_study(study: optuna.Study) -> SearchConfig | None:
    """The settings a study was created with (to add trials to it from the page), if it was made here."""
    stored = study.user_attrs.get("config")
    return SearchConfig.from_dict(stored) if stored else None


# ------------------------------------------------------------------ running trials


class TrialFailed(Exception):
    """A trial that produced no objective value (it diverged at once): marked FAIL, the search goes on."""


class SearchInterrupted(Exception):
    """The worker was asked to stop while a trial trained: that trial is marked FAIL, the study stops."""


def best_of(history: list[dict], objective: str, maximize: bool) -> float | None:
    values = [row[objective] for row in history if math.isfinite(row.get(objective, float("nan")))]
    if not values:
        return None
    return max(values) if maximize else min(values)


def _patch_result(run_dir, **changes) -> None:
    """Add the search's view of a trial to its run's result.json (atomically, like the run store)."""
    from zoo.runs import atomic_write_text

    path = Path(run_dir) / "result.json"
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    result.update(changes)
    atomic_write_text(path, json.dumps(result, indent=2, default=str))


def make_objective(config: SearchConfig, data, *, emit: Callable[[dict], None],
                   should_stop: Callable[[], bool]):
    """Optuna's objective: one fresh spec, model, optimizer and run per trial."""
    from zoo.engine import run_experiment
    from zoo.runs import new_run_id, runs_root

    maximize = config.direction == "maximize"
    conditional = config.sampler != "grid"
    host = socket.gethostname()
    storage_shown = display_storage(config.storage_url)

    def objective(trial: optuna.Trial) -> float:
        if should_stop():
            trial.study.stop()
            raise SearchInterrupted("stopped by request before the trial started")
        params = config.space.suggest(trial, conditional=conditional)
        spec = config.spec_for(params)
        run_id = new_run_id(spec)
        run_dir = runs_root(config.runs_dir).resolve() / run_id
        for key, value in (("run_id", run_id), ("run_dir", str(run_dir)), ("host", host),
                           ("spec", spec.to_dict())):
            trial.set_user_attr(key, value)
        emit({"type": "trial_start", "number": trial.number, "params": params, "run_id": run_id,
              "run_dir": str(run_dir), "epochs": spec.epochs})
        pruned_at: list[tuple[int, float]] = []

        def on_event(event: dict) -> None:
            if event.get("type") != "epoch":
                return
            value = event[config.objective]
            if math.isfinite(value):
                trial.report(value, event["epoch"])
                # Pruning only pays while epochs remain; a finished trial keeps its full value.
                if event["epoch"] < spec.epochs and trial.should_prune():
                    pruned_at.append((event["epoch"], value))
            emit({"type": "trial_epoch", "number": trial.number, "epoch": event["epoch"], "epochs": spec.epochs,
                  "value": value})

        result = run_experiment(spec, runs_dir=config.runs_dir, data=data, run_id=run_id, callback=on_event,
                                should_stop=lambda: bool(pruned_at) or should_stop())
        link = {"study": config.study_name, "trial": trial.number, "storage": storage_shown}
        outcome = {"status": result.status, "reason": result.reason, "epochs_run": result.epochs_run,
                   "best_epoch": result.best_epoch, "seconds": round(result.seconds, 3),
                   "test_metrics": {k: float(v) for k, v in result.test_metrics.items()}}
        if pruned_at:
            epoch, value = pruned_at[0]
            reason = (f"pruned by the {config.pruner} pruner after epoch {epoch}: {config.objective} {value:.4g} "
                      f"was worse than the earlier trials at that epoch")
            _patch_result(run_dir, reason=reason, pruned=True, search=link)
            trial.set_user_attr("result", {**outcome, "reason": reason})
            emit({"type": "trial_end", "number": trial.number, "state": "PRUNED", "value": value, "epoch": epoch})
            raise optuna.TrialPruned(reason)
        if should_stop() and result.status == "stopped":
            reason = "stopped by request: the search was stopped while this trial trained"
            _patch_result(run_dir, reason=reason, search=link)
            trial.set_user_attr("result", {**outcome, "reason": reason})
            trial.study.stop()
            emit({"type": "trial_end", "number": trial.number, "state": "FAIL", "value": None, "reason": reason})
            raise SearchInterrupted(reason)
        trial.set_user_attr("result", outcome)
        _patch_result(run_dir, search=link)
        value = best_of(result.history, config.objective, maximize)
        if value is None:
            emit({"type": "trial_end", "number": trial.number, "state": "FAIL", "value": None,
                  "reason": result.reason})
            raise TrialFailed(f"no {config.objective} to report: {result.reason}")
        emit({"type": "trial_end", "number": trial.number, "state": "COMPLETE", "value": value,
              "status": result.status})
        return value

    return objective


def run_search(config: SearchConfig, *, emit: Callable[[dict], None] | None = None,
               should_stop: Callable[[], bool] | None = None, data=None) -> dict:
    """Run this worker's trials of the study; return the study's summary (see `study_summary`).

    `data` (a TensorData) lets a caller share one loaded dataset; by default it is loaded once
    here and reused by every trial (it depends on no searched setting).
    """
    config.validate()
    emit = emit or (lambda event: None)
    should_stop = should_stop or (lambda: False)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(config)
    if data is None:
        from zoo.data import load_data

        data = load_data(config.spec, config.data_dir)
    emit({"type": "start", "study": config.study_name, "storage": display_storage(config.storage_url),
          "direction": config.direction, "objective": config.objective, "n_trials": config.n_trials,
          "timeout": config.timeout, "pid": os.getpid()})
    mine: list[int] = []

    def after_trial(study: optuna.Study, trial) -> None:
        mine.append(trial.number)
        if should_stop():
            study.stop()

    callbacks = [after_trial]
    if config.total_trials:
        callbacks.append(optuna.study.MaxTrialsCallback(config.total_trials, states=None))
    objective = make_objective(config, data, emit=emit, should_stop=should_stop)
    started = time.time()
    n_trials = config.n_trials if (config.n_trials or not config.timeout) else None
    study.optimize(objective, n_trials=n_trials, timeout=config.timeout, callbacks=callbacks,
                   catch=(TrialFailed, SearchInterrupted, RuntimeError, FloatingPointError))
    summary = study_summary(study)
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    worker_states: dict[str, int] = {}
    for number in mine:
        name = trials[number].state.name
        worker_states[name] = worker_states.get(name, 0) + 1
    stopped = should_stop()
    summary.update(
        status="stopped" if stopped else "finished",
        reason=("stopped by request" if stopped else f"this worker ran {len(mine)} trial(s)"),
        storage=display_storage(config.storage_url), objective=config.objective,
        worker={"trials": len(mine), "states": worker_states, "numbers": sorted(mine), "host": socket.gethostname(),
                "pid": os.getpid(), "seconds": round(time.time() - started, 3)})
    return summary


def search_worker(payload: dict, emit: Callable[[dict], None], should_stop: Callable[[], bool]) -> dict:
    """Target of a search job (zoo.jobs): run one worker of a study in the job's process."""
    return run_search(SearchConfig.from_dict(payload["config"]), emit=emit, should_stop=should_stop)


def reduce_search(state: dict, event: dict) -> None:
    """Fold a search worker's events into the job state the page shows next to the storage's view."""
    kind = event.get("type")
    if kind == "start":
        state.update(study=event["study"], storage=event["storage"], status="running", done=0)
    elif kind == "trial_start":
        state.update(trial=event["number"], epoch=0, epochs=event["epochs"], run_id=event["run_id"],
                     run_dir=event["run_dir"])
    elif kind == "trial_epoch":
        state.update(trial=event["number"], epoch=event["epoch"], epochs=event["epochs"])
    elif kind == "trial_end":
        state["done"] = state.get("done", 0) + 1
        state["last"] = {k: v for k, v in event.items() if k != "type"}


def submit_search(manager, config: SearchConfig, *, owner: str = "local", workers: int = 1) -> list:
    """Queue `workers` jobs sharing one study; `config.n_trials` is split between them."""
    config.validate()
    open_study(config)  # create it now (or refuse a clash) so the page can attach at once
    jobs = []
    token = os.urandom(3).hex()
    for i in range(workers):
        n = None
        if config.n_trials:
            n = config.n_trials // workers + (1 if i < config.n_trials % workers else 0)
            if n == 0:
                continue
        worker = SearchConfig.from_dict({**config.to_dict(), "n_trials": n})
        jobs.append(manager.submit("zoo.search:search_worker", {"config": worker.to_dict()}, owner=owner,
                                   job_id=f"search-{config.study_name}-{token}-{i + 1}", reducer=reduce_search))
    return jobs


# ------------------------------------------------------------------ reading a study


def state_counts(trials) -> dict[str, int]:
    counts = {name: 0 for name in STATE_NAMES}
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    return {k: v for k, v in counts.items() if v or k in ("COMPLETE", "PRUNED", "FAIL", "RUNNING")}


def _best_trial(study: optuna.Study):
    try:
        return study.best_trial
    except ValueError:  # no complete trial yet
        return None


def study_summary(study: optuna.Study) -> dict:
    trials = study.get_trials(deepcopy=False)
    best = _best_trial(study)
    fingerprint = study.user_attrs.get("playground", {})
    return {
        "study": study.study_name, "direction": study.direction.name.lower(),
        "objective": fingerprint.get("objective"), "trials": state_counts(trials), "n_trials": len(trials),
        "best_value": best.value if best else None, "best_params": dict(best.params) if best else None,
        "best_trial": best.number if best else None,
        "best_run_id": best.user_attrs.get("run_id") if best else None,
        "best_run_dir": best.user_attrs.get("run_dir") if best else None,
    }


def best_spec(study: optuna.Study) -> ExperimentSpec:
    """The spec of the best trial (what "Train with best" fills in)."""
    best = _best_trial(study)
    if best is None:
        raise SpecError(f"study {study.study_name!r} has no completed trial yet; wait for one to finish.")
    if "spec" in best.user_attrs:
        return ExperimentSpec.from_dict(best.user_attrs["spec"])
    config = config_of_study(study)
    if config is None:
        raise SpecError(f"study {study.study_name!r} was not made by the playground; its best trial has no spec.")
    return config.spec_for(best.params)


def trials_frame(trials, *, hide_pruned: bool = False):
    """One row per trial: number, state, value, parameters, epochs, duration, run."""
    import pandas as pd

    rows = []
    now = time.time()
    for t in trials:
        if hide_pruned and t.state == TrialState.PRUNED:
            continue
        if t.datetime_start is None:
            duration = None
        elif t.datetime_complete is not None:
            duration = (t.datetime_complete - t.datetime_start).total_seconds()
        else:
            duration = now - t.datetime_start.timestamp()
        steps = sorted(t.intermediate_values)
        rows.append({"trial": t.number, "state": t.state.name.lower(), "value": t.value,
                     "epochs": steps[-1] if steps else 0, "duration_s": None if duration is None else round(duration, 1),
                     **{f"{k}": v for k, v in t.params.items()},
                     "run_id": t.user_attrs.get("run_id", ""), "note": trial_reason(t)})
    columns = ["trial", "state", "value", "epochs", "duration_s"]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=columns + ["run_id", "note"])
    return frame


def trial_reason(t) -> str:
    """Why a trial ended as it did (pruned, failed, stopped early, ...), from its run's outcome."""
    outcome = t.user_attrs.get("result") or {}
    if t.state in (TrialState.PRUNED, TrialState.FAIL):
        return str(outcome.get("reason") or t.system_attrs.get("fail_reason", ""))
    return "" if outcome.get("status") in (None, "finished") else f"{outcome['status']}: {outcome.get('reason', '')}"


FIGURES = {
    "history": "Optimisation history",
    "intermediate": "Intermediate values (per epoch)",
    "importance": "Parameter importances",
    "parallel": "Parallel coordinates",
    "slice": "Slice",
    "contour": "Contour",
}


def study_view(study: optuna.Study, *, hide_pruned: bool = False) -> optuna.Study:
    """An in-memory copy of the study's finished and running trials (hidden pruned ones left out),
    so every figure of one refresh is drawn from the same snapshot."""
    trials = [t for t in study.get_trials(deepcopy=False)
              if t.state != TrialState.WAITING and not (hide_pruned and t.state == TrialState.PRUNED)]
    view = optuna.create_study(directions=study.directions)
    view.add_trials(trials)
    return view


def importance(view: optuna.Study) -> dict[str, float]:
    """Parameter importances (Optuna's default evaluator, PED-ANOVA), or {} when it cannot say yet."""

    complete = [t for t in view.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    if len(complete) < 2 or not any(t.params for t in complete):
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dict(optuna.importance.get_param_importances(view))
    except (ValueError, RuntimeError, ZeroDivisionError):
        return {}


def study_figures(study: optuna.Study, *, hide_pruned: bool = False, params: list[str] | None = None,
                  which=tuple(FIGURES), objective_name: str | None = None) -> dict:
    """Optuna's plotly figures for the study: name -> Figure, or name -> a sentence saying why not yet.

    Every figure gets a fixed `uirevision`, which asks plotly to keep the user's zoom when the figure is
    redrawn with new data. (Streamlit 1.67 makes a chart whose spec changed a new element, so there
    the zoom lasts until new trial data arrives; the page can pause its refresh for zooming.)
    `params` limits the parallel, slice and contour plots (default: the 4 most important).
    """
    from optuna import visualization as vis

    view = study_view(study, hide_pruned=hide_pruned)
    complete = view.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    fingerprint = study.user_attrs.get("playground", {})
    target_name = objective_name or objective_label(fingerprint.get("objective", "val_loss"),
                                                    fingerprint.get("task", "image"))
    ranked = list(importance(view))
    names = sorted({k for t in complete for k in t.params})
    if params is None:
        chosen = ([p for p in ranked if p in names] or names)[:4]
    else:
        chosen = [p for p in params if p in names]
    out: dict = {}
    for name in which:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if name == "history":
                    fig = vis.plot_optimization_history(view, target_name=target_name) if complete else \
                        "The optimisation history appears when the first trial completes."
                elif name == "intermediate":
                    has_steps = any(t.intermediate_values for t in view.get_trials(deepcopy=False))
                    fig = vis.plot_intermediate_values(view) if has_steps else \
                        "Per-epoch values appear after the first epoch of the first trial."
                elif name == "importance":
                    fig = vis.plot_param_importances(view, target_name=target_name) if ranked else \
                        "Parameter importances appear once 2 trials have completed."
                elif len(complete) < 2 or not chosen:
                    fig = f"The {FIGURES[name].lower()} plot appears once 2 trials have completed."
                elif name == "parallel":
                    fig = vis.plot_parallel_coordinate(view, params=chosen, target_name=target_name)
                elif name == "slice":
                    fig = vis.plot_slice(view, params=chosen, target_name=target_name)
                elif name == "contour":
                    fig = vis.plot_contour(view, params=chosen[:2], target_name=target_name) if len(chosen) >= 2 \
                        else "The contour plot needs at least 2 searched parameters."
                else:
                    continue
        except (ValueError, RuntimeError, ZeroDivisionError, KeyError) as exc:
            fig = f"{FIGURES[name]} cannot be drawn yet ({exc})."
        if not isinstance(fig, str):
            fig.update_layout(uirevision=f"{study.study_name}:{name}", title=None,
                              margin=dict(l=10, r=10, t=30, b=10))
            if name == "intermediate":
                fig.update_layout(xaxis_title="epoch", yaxis_title=target_name, showlegend=False)
        out[name] = fig
    return out


# ------------------------------------------------------------------ the CLI


def add_cli_arguments(p: argparse.ArgumentParser) -> None:
    from zoo.cli import add_spec_arguments

    add_spec_arguments(p)
    s = p.add_argument_group(
        "search", "The space: without --search, optimizer, lr, batch_size and every model hyperparameter are "
                  "searched over their declared ranges (see `python -m zoo models`). With --search, exactly the "
                  "settings named. Train's flags (--epochs, --lr, --set, ...) give the values every trial shares.")
    s.add_argument("--n-trials", type=int, default=None,
                   help="trials this worker runs (default 20; unlimited when only --timeout is given)")
    s.add_argument("--timeout", type=float, default=None, help="seconds after which this worker starts no new trial")
    s.add_argument("--total-trials", type=int, default=None,
                   help="stop once the study, all workers together, has this many trials")
    s.add_argument("--storage", default=None,
                   help="a journal file path (default <runs-dir>/optuna/journal.log) or an SQLAlchemy URL "
                        "such as postgresql://user:pass@host/db")
    s.add_argument("--study", default=None, help="study name; workers with the same storage and name share it "
                                                 "(default MODEL-DATA-OBJECTIVE)")
    s.add_argument("--sampler", default="tpe", choices=SAMPLERS, help="tpe (default), random, or grid")
    s.add_argument("--sampler-seed", type=int, default=None,
                   help="seed of the sampler (default: none, so parallel workers sample differently)")
    s.add_argument("--grid-points", type=int, default=3, help="grid sampler: values per numeric range")
    s.add_argument("--pruner", default="median", choices=PRUNERS, help="median (default), none, or hyperband")
    s.add_argument("--objective", default="val_loss", choices=OBJECTIVES,
                   help="best validation loss (minimised) or val_metric: accuracy for images (maximised), "
                        "MAE for series (minimised)")
    s.add_argument("--search", action="append", default=None, metavar="KEY[=LOW:HIGH|=A,B,C]",
                   help="search KEY over its declared range, a narrower LOW:HIGH (keeping its log/linear scale), "
                        "or a list of values; repeatable")
    s.add_argument("--fix", action="append", default=[], metavar="KEY=VALUE",
                   help="hold KEY at VALUE in every trial (taken out of the search); repeatable")
    s.add_argument("--show-space", action="store_true", help="print the space and exit without training")


def _pairs(items: list[str], flag: str, need_value: bool) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = _key(key)
        if not key or (need_value and not sep):
            raise SpecError(f"{flag} {item!r} is not KEY=VALUE; write it like {flag} lr=0.01.")
        if key in out:
            raise SpecError(f"{flag} {key} is given twice; give it once.")
        out[key] = value if sep else None
    return out


def config_from_args(args) -> SearchConfig:
    from zoo.cli import spec_from_args

    spec = spec_from_args(args)
    search = _pairs(args.search, "--search", need_value=False) if args.search else None
    fix = _pairs(args.fix, "--fix", need_value=True)
    # What train's flags set explicitly is shared, not searched: --set keys, and training flags
    # given a value other than their default.
    explicit = dict(spec.model_params)
    defaults = ExperimentSpec(task=spec.task)
    for key in DEFAULT_TRAIN_KEYS:
        if getattr(spec, key) != getattr(defaults, key):
            explicit[key] = getattr(spec, key)
    for key in explicit:
        if search is not None and key in search:
            raise SpecError(f"{key} is both searched (--search) and set by a train flag; drop one.")
    if search is None:
        search = {k: None for k in default_search_keys(spec.model, spec.task) if k not in fix and k not in explicit}
    space = build_space(spec.model, spec.task, search=search, fix=fix)
    config = SearchConfig(
        spec=spec, space=space, objective=args.objective,
        n_trials=args.n_trials if args.n_trials is not None else (None if args.timeout else 20),
        timeout=args.timeout, total_trials=args.total_trials, study=args.study, storage=args.storage,
        sampler=args.sampler, pruner=args.pruner, sampler_seed=args.sampler_seed, grid_points=args.grid_points,
        runs_dir=args.runs_dir, data_dir=args.data_dir)
    return config.validate()


def _progress(config: SearchConfig):
    maximize = config.direction == "maximize"
    best: list[float] = []

    def printer(event: dict) -> None:
        kind = event["type"]
        if kind == "start":
            print(f"study {event['study']} in {event['storage']}: {event['direction']} {event['objective']}",
                  file=sys.stderr, flush=True)
        elif kind == "trial_start":
            params = ", ".join(f"{k}={_short(v)}" for k, v in event["params"].items())
            print(f"trial {event['number']:3d} start  {params}", file=sys.stderr, flush=True)
        elif kind == "trial_end":
            if event["state"] == "COMPLETE":
                value = event["value"]
                if not best or (value > best[0] if maximize else value < best[0]):
                    best[:] = [value]
                print(f"trial {event['number']:3d} done   {config.objective} {value:.4f}  (best {best[0]:.4f})",
                      file=sys.stderr, flush=True)
            elif event["state"] == "PRUNED":
                print(f"trial {event['number']:3d} pruned after epoch {event['epoch']} "
                      f"({config.objective} {event['value']:.4f})", file=sys.stderr, flush=True)
            else:
                print(f"trial {event['number']:3d} failed: {event.get('reason', '')}", file=sys.stderr, flush=True)

    return printer


def _short(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def run_cli(args) -> dict:
    config = config_from_args(args)
    if args.show_space:
        rows = config.space.describe()
        if not args.json:
            for row in rows:
                print(f"{row['setting']:16s} {row['group']:6s} {'search' if row['searched'] else 'fixed ':7s} "
                      f"{row['range']}")
        return {"study": config.study_name, "storage": display_storage(config.storage_url), "space": rows,
                "grid_size": config.space.grid_size(config.grid_points) if config.sampler == "grid" else None}
    summary = run_search(config, emit=_progress(config))
    if not args.json:
        print(f"study {summary['study']} ({summary['storage']}): {summary['n_trials']} trials "
              + ", ".join(f"{v} {k.lower()}" for k, v in summary["trials"].items() if v))
        if summary["best_value"] is not None:
            print(f"best {config.objective} {summary['best_value']:.4f} in trial {summary['best_trial']} "
                  f"(run {summary['best_run_id']}): "
                  + ", ".join(f"{k}={_short(v)}" for k, v in summary["best_params"].items()))
    return summary
