"""A study and its trials: the settings of one worker (`SearchConfig`), creating or joining the
study, and the objective: one fresh spec, model, optimizer and run per trial (the source
material's search reused one model object across trials, so its trials were not independent:
docs/architecture.md, "Faults of the source material"). A trial reports its objective after every
epoch and stops early when the pruner says so; it links its run through the user attributes
`run_id`, `run_dir` and `host`, keeps its whole spec in `spec` and its run's outcome in `result`.
"""
from __future__ import annotations

import math
import os
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import optuna

from zoo import demo
from zoo.registry import SpecError, get_task
from zoo.runs import patch_result, runs_root
from zoo.search.ended import fail_orphaned_trials, fail_trials_of_ended_workers
from zoo.search.space import Dim, SearchSpace
from zoo.search.storage import (answering, default_storage, display_storage, is_url, load_study, open_storage,
                                 storage_in_words, study_names)
from zoo.spec import ExperimentSpec
from zoo.verdict import learned_nothing

OBJECTIVES = ("val_loss", "val_metric")
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "none", "hyperband")
# Why each pruner stops a trial, after its value at the epoch (not "worse than the earlier trials": the median
# pruner compares with their median, a demo visitor's check)
PRUNED_BECAUSE = {"median": "was worse than the median of the finished trials at that epoch",
                  "hyperband": "was not in the best third of its bracket's trials at that epoch (successive halving)"}


def direction(objective: str, task: str) -> str:
    """Optuna's name for the task's direction of the objective (zoo/registry.py's task table)."""
    return "maximize" if get_task(task).direction(objective) == "max" else "minimize"


def objective_label(objective: str, task: str) -> str:
    return get_task(task).label(objective)


def in_percent(label: str) -> bool:
    """Whether a study's values (its objective as `objective_label` names it) are accuracies, written in percent as
    every other page writes one (a learner read a best of 0.8125 on the Search page beside 79.40% on the Runs page)."""
    return "accuracy" in str(label)


def objective_value(objective: str, task: str, value: float) -> str:
    """'val accuracy 41.23%', 'val loss 0.4123': a trial's value in words, as the Search page writes it."""
    return f"{objective_label(objective, task)} {objective_number(objective, task, value)}"


def objective_number(objective: str, task: str, value: float) -> str:
    """'41.23%' for an accuracy, '0.4123' for a loss or an error (`objective_value` without its name)."""
    from zoo.registry import format_percent

    return format_percent(value) if in_percent(objective_label(objective, task)) else f"{value:.4g}"


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
    owner: str | None = None           # the visitor whose study and trial runs these are (zoo/demo.py)

    def validate(self) -> "SearchConfig":
        self.spec.validate()
        demo.check_trials(self.n_trials, self.timeout)
        demo.check_spec(self.spec, n_train=demo.known_train_samples(self.spec))   # else every trial would be refused
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
        if self.sampler_seed is not None and not 0 <= self.sampler_seed <= 2**32 - 1:   # numpy's, raised in a trial
            raise SpecError(f"sampler_seed={self.sampler_seed} is outside its range [0, {2**32 - 1}].")
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
        return self.storage or default_storage(self.runs_dir, self.owner)

    @property
    def direction(self) -> str:
        return direction(self.objective, self.spec.task)

    def spec_for(self, params: dict) -> ExperimentSpec:
        # Early stopping and the best checkpoint follow the objective, so a trial's run keeps the
        # weights its objective value came from.
        return self.space.spec_for(self.spec, params).replace(monitor=self.objective)

    def fingerprint(self) -> dict:
        """What makes two workers' trials comparable; stored in the study and checked on joining."""
        shared = {k: v for k, v in self.spec.to_dict().items()
                  if k not in ("device", "cuda_graph", "data", "windows_fitted", "training_fitted")}
        # The device (and whether it replays a CUDA graph) may differ between machines (a GPU box and
        # a laptop share a study); the data is compared by name, as its folder differs between machines.
        # Which windows a page fitted (zoo/spec.py's windows_fitted) is not a setting: the same lookback and
        # horizon given as flags join the study, and so do studies stored before the spec had it.
        # And a CSV by its content too: two data.csv of other values shared one study, its best run the other
        # file's (a CLI user's check); the same file on two machines has the same digest.
        return {"model": self.spec.model, "task": self.spec.task, "data": _data_name(self.spec.data),
                "data_content": _data_content(self.spec.data), "epochs": self.spec.epochs, "objective": self.objective,
                "direction": self.direction,
                "space": self.space.as_dict(), "shared": shared}

    def cli_command(self, storage: str | None = None) -> str:
        """The `python -m zoo search ...` command of a worker that joins this study: train's flags for the shared
        settings, `--search` for each searched setting (bare where it is the declared range), `--fix` for each held
        value, and the study's name, storage (`storage`: as it may be shown, a URL's password masked), objective,
        sampler, pruner and folders; SpecError where the flags cannot say the study's settings. Joining from a shell
        had needed the page's ranges, which nothing showed, and a guess was refused with "they differ in: space" (a
        lab's check); tests/test_search.py reads it back through the command line's flags, for every model, into the
        same fingerprint()."""
        import shlex

        from zoo.registry import as_typed
        from zoo.search.space import DEFAULT_TRAIN_KEYS, declared_settings, narrow

        declared = {h.name: (scope, h) for scope, h in declared_settings(self.spec.model, self.spec.task)}
        # What train's flags would set that the space searches: the command line refuses it (zoo/cli/search.py's
        # config_from_args), where a spec made in Python may hold it
        defaults = ExperimentSpec(task=self.spec.task)
        given = set(self.spec.model_params) | {k for k in DEFAULT_TRAIN_KEYS
                                               if getattr(self.spec, k) != getattr(defaults, k)}
        both = sorted(given & {d.name for d in self.space.dims})
        if both:
            raise SpecError(f"{', '.join(both)} {'is' if len(both) == 1 else 'are'} both given in the study's shared "
                            "settings and searched, which the command line's flags cannot say; join it from Python.")
        words = shlex.split(self.spec.cli_command())
        args = ["python", "-m", "zoo", "search", *words[4:]]
        for dim in self.space.dims:
            scope, h = declared[dim.name]
            if dim == narrow(h, scope):
                args += ["--search", dim.name]
            elif dim.kind == "choice":
                args += ["--search", f"{dim.name}={','.join(as_typed(v) for v in dim.values)}"]
            else:
                args += ["--search", f"{dim.name}={as_typed(dim.low)}:{as_typed(dim.high)}"]
        args += [a for key, value in self.space.fixed.items() for a in ("--fix", f"{key}={as_typed(value)}")]
        args += ["--study", self.study_name, "--storage", storage or self.storage_url]
        plain = SearchConfig(spec=self.spec, space=self.space)
        for name in ("objective", "sampler", "pruner", "grid_points", "total_trials", "runs_dir", "data_dir"):
            value = getattr(self, name)
            if value is not None and value != getattr(plain, name) and (name != "grid_points" or
                                                                             self.sampler == "grid"):
                args += [f"--{name.replace('_', '-')}", as_typed(value)]
        return " ".join(shlex.quote(a) for a in args)

    def to_dict(self) -> dict:
        return {"spec": self.spec.to_dict(), "space": self.space.as_dict(), "objective": self.objective,
                "n_trials": self.n_trials, "timeout": self.timeout, "total_trials": self.total_trials,
                "study": self.study, "storage": self.storage, "sampler": self.sampler, "pruner": self.pruner,
                "sampler_seed": self.sampler_seed, "grid_points": self.grid_points, "runs_dir": self.runs_dir,
                "data_dir": self.data_dir, "owner": self.owner}

    @classmethod
    def from_dict(cls, d: dict) -> "SearchConfig":
        d = dict(d)
        return cls(spec=ExperimentSpec.from_dict(d.pop("spec")), space=SearchSpace.from_dict(d.pop("space")), **d)


def _data_name(data: str) -> str:
    return Path(data).name if ("/" in data or "\\" in data) else data


def _data_content(data: str) -> str | None:
    """A CSV's SHA-256 (its first 16 hex digits); None for a dataset named by the catalogue."""
    from zoo.data.series import resolve_series_source
    from zoo.forecast_io import file_key

    path = Path(resolve_series_source(data))
    return file_key(path)[:16] if path.is_file() else None


def default_study_name(spec: ExperimentSpec, objective: str = "val_loss") -> str:
    stem = Path(spec.data).stem   # a dataset's name, or a CSV's file name without .csv
    return f"{spec.model}-{stem}-{objective}"


def make_sampler(name: str, space: SearchSpace, seed: int | None = None, grid_points: int = 3):
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":
        return optuna.samplers.GridSampler(space.grid(grid_points), seed=seed)
    # constant_liar: parallel workers do not all sample next to the same running trial.
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


# The median pruner prunes nothing until this many trials have finished (optuna's default): the medians of
# fewer are noise. The page and the CLI say so (a learner's 8-trial study pruned none, under "Poor trials are
# pruned after an epoch").
MEDIAN_STARTUP_TRIALS = 5


def make_pruner(name: str, epochs: int):
    if name == "median":
        # Prune a trial whose objective at an epoch is worse than the median of earlier trials at
        # that epoch, once MEDIAN_STARTUP_TRIALS trials have finished.
        return optuna.pruners.MedianPruner(n_startup_trials=MEDIAN_STARTUP_TRIALS, n_warmup_steps=0)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, epochs), reduction_factor=3)
    return optuna.pruners.NopPruner()


def open_study(config: SearchConfig, *, opened=None) -> optuna.Study:
    """Create the study, or join it if it exists with the same settings (else SpecError). A journal that cannot be
    written (a full disk) is files_error's sentence (`answering`), not "internal error (OSError ...)"."""
    with answering(config.storage_url, then="no trial was run; run the search again when it answers"):
        return _open_study(config, opened=opened)


def _open_study(config: SearchConfig, *, opened=None) -> optuna.Study:
    backend = opened or open_storage(config.storage_url, heartbeat=True)
    sampler = make_sampler(config.sampler, config.space, config.sampler_seed, config.grid_points)
    study = optuna.create_study(study_name=config.study_name, storage=backend, direction=config.direction,
                                sampler=sampler, pruner=make_pruner(config.pruner, config.spec.epochs),
                                load_if_exists=True)
    mine = config.fingerprint()
    theirs = study.user_attrs.get("playground")
    if theirs is not None and "data_content" not in theirs:
        # a study stored before its data's content was: joined by name, as it was made (what is stored, were it
        # taken over below, says the content)
        theirs = {**theirs, "data_content": mine["data_content"]}
    if theirs is not None and not demo.study_is_theirs(study, config.owner):
        raise SpecError(f"the study name {config.study_name!r} is taken on this demo; give another name.")
    if theirs is not None and config.n_trials:   # the demo's trials cap holds for the study, more trials included
        demo.check_trials(config.n_trials, existing=len(study.get_trials(deepcopy=False)))
    if theirs is not None and theirs != mine and not study.get_trials(deepcopy=False):
        # A study with no trial yet holds nothing to keep apart: made by a search refused for its data (the page's,
        # or workers that read the data after the study was made), it is this search's now, so that the retry
        # with the settings put right keeps the name ("made with other settings" had refused it).
        theirs = None
    if theirs is None:
        study.set_user_attr("playground", mine)
        study.set_user_attr("owner", config.owner)
        study.set_user_attr("config", {**config.to_dict(), "storage": None, "n_trials": None, "timeout": None})
    elif theirs != mine:
        differs = {k for k in set(mine) | set(theirs) if k != "shared" and mine.get(k) != theirs.get(k)}
        if differs == {"data_content"} and mine.get("shared") == theirs.get("shared"):   # (the values alone: a review)
            raise SpecError(f"study {config.study_name!r} in {storage_in_words(config.storage_url)} was made on another "
                            f"file named {mine['data']} (its values differ); give this search another study name.")
        raise SpecError(f"study {config.study_name!r} in {storage_in_words(config.storage_url)} was made with other "
                        f"settings (they differ in: {_setting_differences(mine, theirs)}); give the same settings to "
                        "join it"
                        f"{'' if demo.demo_mode() else ' (the Search page shows a command that joins it)'}, or "
                        "another study name.")
    if theirs is not None:
        fail_orphaned_trials(study)
    held = len(study.get_trials(deepcopy=False))
    if config.sampler_seed is not None and held:
        # A seeded sampler starts its sequence again in each process: a study resumed with --sampler-seed ran its
        # first trials' settings again (a CLI user's check; the page's "Run more trials" drops the seed). Offset by
        # the trials the study holds: resumed alike, it samples alike, and not what it has run.
        study.sampler = make_sampler(config.sampler, config.space, (config.sampler_seed + held) % 2**32,
                                     config.grid_points)
    return study


def _setting_differences(mine: dict, theirs: dict) -> str:
    """Which settings of two fingerprints differ, each with its two values: "they differ in: epochs" had left a worker
    joining from a shell to guess the study's number (a lab's check)."""
    def flat(print_: dict) -> dict:
        said = {k: v for k, v in print_.items() if k not in ("shared", "space", "data_content")}
        for k, v in (print_.get("shared") or {}).items():   # a model's parameters by their names, as --set says them
            said.update(v if k == "model_params" and isinstance(v, dict) else {k: v})
        return said

    ours, stored = flat(mine), flat(theirs)
    names = sorted(k for k in set(ours) | set(stored) if ours.get(k) != stored.get(k))
    # the space first: past five parts the rest is "N more", and the space is what a joining worker most often gets
    # wrong
    parts = [_space_differences(mine["space"], theirs.get("space") or {})] \
        if mine.get("space") != (theirs.get("space") or {}) else []
    parts += [f"{k} {stored.get(k, '(default)')} in the study, {ours.get(k, '(default)')} here" for k in names]
    if mine.get("data_content") != theirs.get("data_content") and "data" not in names:
        parts.append(f"the values of the data file {mine.get('data')}")   # (digests, no words for a person)
    return "; ".join(parts[:5] + ([f"{len(parts) - 5} more"] if len(parts) > 5 else []))


def _space_differences(mine: dict, theirs: dict) -> str:
    """Which settings two spaces (SearchSpace.as_dict) search or hold otherwise, in a few words: "they differ in:
    space" had left a worker joining from a shell to guess (a lab's check)."""
    def described(space: dict) -> dict:
        said = {d["name"]: Dim.from_dict(d).describe() for d in space.get("dims") or []}
        return {**said, **{k: f"held at {v}" for k, v in (space.get("fixed") or {}).items()}}

    ours, stored = described(mine), described(theirs)
    names = [k for k in dict.fromkeys([*stored, *ours]) if ours.get(k) != stored.get(k)]
    parts = [f"{k} {stored[k] if k in stored else 'not searched'} in the study, "
             f"{ours[k] if k in ours else 'not searched'} here" for k in names[:4]]
    return "the space (" + "; ".join(parts + ([f"{len(names) - 4} more"] if len(names) > 4 else [])) + ")" \
        if parts else "the space"


def fresh_study_name(base: str, storage: str | None = None, runs_dir=None) -> str:
    """`base`, or `base-2`, `base-3`, ... : the first name no study in the storage has yet, so that a new
    study never shows an older one's trials by sharing its name."""
    taken = set(study_names(storage, runs_dir))
    name, k = base, 2
    while name in taken:
        name, k = f"{base}-{k}", k + 1
    return name


def config_of_study(study: optuna.Study) -> SearchConfig | None:
    """The settings a study was created with (to add trials to it from the page), if it was made here."""
    stored = study.user_attrs.get("config")
    return SearchConfig.from_dict(stored) if stored else None


# ------------------------------------------------------------------ running trials


class TrialFailed(Exception):
    """A trial that produced no objective value (it diverged at once): marked FAIL, the search goes on."""


class SearchInterrupted(Exception):
    """The worker was asked to stop while a trial trained: that trial is marked FAIL, the study stops."""


class SearchWorkerFailed(Exception):
    """A search worker that ended failed for no fault of its input or of the program: killed, its node or its Ray
    cluster lost. `summary` is the study's as it stands (its finished trials kept, the worker's trial marked
    failed): the command says it, then the failure in one sentence (it had said "internal error ... please report
    it" with a traceback, and no summary: a Ray user's check)."""

    def __init__(self, message: str, summary: dict):
        super().__init__(message)
        self.summary = summary


REFUSED = "refused before it trained"   # a trial's settings refused (SpecError): how its reason begins


def kept_value(result, objective: str) -> float | None:
    """A trial's objective value: its kept epoch's (the run's best checkpoint, chosen by early stopping on the same
    value: SearchConfig.spec_for), or None where no epoch was kept. The best value of its history had been reported
    instead, which a min delta can leave unkept: the study named 0.00138 (epoch 8) for a run whose weights are epoch
    6's, at 0.00581 (a CLI user's check)."""
    row = next((r for r in result.history if r.get("epoch") == result.best_epoch), None)
    value = row.get(objective) if row else None
    return value if value is not None and math.isfinite(value) else None


def make_objective(config: SearchConfig, data, *, emit: Callable[[dict], None],
                   should_stop: Callable[[], bool]):
    """Optuna's objective: one fresh spec, model, optimizer and run per trial."""
    from zoo.engine import run_experiment
    from zoo.runs import new_run_id

    maximize = config.direction == "maximize"
    conditional = config.sampler != "grid"
    host = socket.gethostname()
    storage_shown = display_storage(config.storage_url)

    def objective(trial: optuna.Trial) -> float:
        if should_stop():
            trial.study.stop()
            reason = "stopped by request before the trial started"
            trial.set_user_attr("result", {"status": "stopped", "reason": reason})   # the trial table's note
            raise SearchInterrupted(reason)
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
        epochs_done: list[int] = []
        link = {"study": config.study_name, "trial": trial.number, "storage": storage_shown}

        def on_event(event: dict) -> None:
            if event.get("type") != "epoch":
                return
            epochs_done.append(event["epoch"])
            value = event[config.objective]
            if math.isfinite(value):
                trial.report(value, event["epoch"])
                # Pruning only pays while epochs remain; a finished trial keeps its full value.
                if event["epoch"] < spec.epochs and trial.should_prune():
                    pruned_at.append((event["epoch"], value))
            emit({"type": "trial_epoch", "number": trial.number, "epoch": event["epoch"], "epochs": spec.epochs,
                  "value": value})

        try:
            result = run_experiment(spec, runs_dir=config.runs_dir, data=data, data_dir=config.data_dir,
                                    run_id=run_id, callback=on_event,
                                    should_stop=lambda: bool(pruned_at) or should_stop(), owner=config.owner,
                                    search=link)
        except SpecError as exc:
            # A trial's own settings refused (the hosted demo's memory cap on a sampled batch size or model size):
            # that trial fails with the reason, the search goes on (one such trial had ended the whole search).
            # ...or, after epochs, its files that could not be written (its directory deleted from under it): it
            # had read "refused before it trained" beside 6 epochs (a learner's check)
            reason = (f"failed after {len(epochs_done)} epoch(s): {exc}" if epochs_done else f"{REFUSED}: {exc}")
            trial.set_user_attr("result", {"status": "failed", "reason": reason})
            emit({"type": "trial_end", "number": trial.number, "state": "FAIL", "value": None, "reason": reason})
            raise TrialFailed(reason) from None
        except (RuntimeError, FloatingPointError) as exc:
            # A trial's fault that is not its input's (torch's shape mismatch, out of memory): that trial fails
            # with the reason, said as it ends, and the search goes on (Optuna caught it unsaid: four trials failed
            # with no word and the command said "finished", exit 0: a CLI user's check). Its run keeps the traceback.
            reason = (f"failed after {len(epochs_done)} epoch(s)" if epochs_done else "failed before it trained") \
                + f": {type(exc).__name__}: {exc}"
            trial.set_user_attr("result", {"status": "failed", "reason": reason})
            emit({"type": "trial_end", "number": trial.number, "state": "FAIL", "value": None, "reason": reason})
            raise TrialFailed(reason) from exc
        outcome = {"status": result.status, "reason": result.reason, "epochs_run": result.epochs_run,
                   "best_epoch": result.best_epoch, "seconds": round(result.seconds, 3),
                   # None where a metric is undefined (MASE on a series whose seasonal naive forecast is exact):
                   # float(None) ended the whole search of a 60-row monthly CSV (a review)
                   "test_metrics": {k: None if v is None else float(v) for k, v in result.test_metrics.items()}}
        if (nothing := learned_nothing(result.extra.get("verdict"))) is not None:
            outcome["learned_nothing"] = nothing   # the trial table says so (zoo/search/report.trial_reason)
        if pruned_at:
            epoch, value = pruned_at[0]
            reason = (f"pruned by the {config.pruner} pruner after epoch {epoch}: "
                      f"{objective_value(config.objective, spec.task, value)} "
                      f"{PRUNED_BECAUSE.get(config.pruner, 'was pruned')}")
            patch_result(run_dir, reason=reason, pruned=True)
            trial.set_user_attr("result", {**outcome, "reason": reason})
            emit({"type": "trial_end", "number": trial.number, "state": "PRUNED", "value": value, "epoch": epoch})
            raise optuna.TrialPruned(reason)
        if should_stop() and result.status in ("stopped", "failed"):   # failed: the server went away
            reason = result.reason if result.status == "failed" else \
                "stopped by request: the search was stopped while this trial trained"
            patch_result(run_dir, reason=reason)
            trial.set_user_attr("result", {**outcome, "reason": reason})
            trial.study.stop()
            emit({"type": "trial_end", "number": trial.number, "state": "FAIL", "value": None, "reason": reason,
                  "status": result.status})
            raise SearchInterrupted(reason)
        if result.status == "diverged":
            # Failed trials are invisible to the samplers, which would then sample there again: a
            # diverged trial is pruned at the epoch it diverged with the worst value there is, so TPE
            # ranks it below every trial that trained.
            epoch = result.epochs_run + 1
            trial.report(-math.inf if maximize else math.inf, epoch)
            reason = f"diverged in epoch {epoch}: {result.reason}; reported to the sampler as the worst value"
            trial.set_user_attr("result", {**outcome, "reason": reason})
            emit({"type": "trial_end", "number": trial.number, "state": "PRUNED", "value": None, "epoch": epoch,
                  "reason": reason, "status": "diverged"})
            raise optuna.TrialPruned(reason)
        trial.set_user_attr("result", outcome)
        value = kept_value(result, config.objective)
        if value is None:
            emit({"type": "trial_end", "number": trial.number, "state": "FAIL", "value": None,
                  "reason": result.reason})
            trial.set_user_attr("result", {**outcome, "reason": f"no {config.objective} to report: {result.reason}"})
            raise TrialFailed(f"no {config.objective} to report: {result.reason}")
        emit({"type": "trial_end", "number": trial.number, "state": "COMPLETE", "value": value,
              "status": result.status, "study_best": _best_so_far(trial.study)})
        return value

    return objective


def _best_so_far(study: optuna.Study) -> float | None:
    """The study's best value among its trials told so far (every worker's), or None before the first."""
    try:
        return study.best_value
    except ValueError:
        return None


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
    if data is None:   # before the study: data that cannot train (a missing column, too few rows) leaves no study
        from zoo.data import load_data

        data = load_data(config.spec, config.data_dir)
    # The samples cap, now that a CSV's windows are counted (before, zoo/demo.check_spec cannot tell): once
    # here, not as every trial's refusal
    demo.check_spec(config.spec, n_train=len(data.x_train))
    study = open_study(config)
    before = study.get_trials(deepcopy=False)
    done = [t.value for t in before if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None]
    best = (max(done) if config.direction == "maximize" else min(done)) if done else None
    emit({"type": "start", "study": config.study_name, "storage": display_storage(config.storage_url),
          "direction": config.direction, "objective": config.objective, "n_trials": config.n_trials,
          "timeout": config.timeout, "pid": os.getpid(), "best": best})   # a resumed study's best so far
    mine: list[int] = []
    out_of_room: list[str] = []

    def after_trial(study: optuna.Study, trial) -> None:
        mine.append(trial.number)
        if should_stop():
            study.stop()
        elif config.owner and (n_trials is None or len(mine) < n_trials):
            # (not after the last trial asked for: reaching the cap with it, a search that ran every trial had ended
            # "stopped ...: you keep 3 runs", a demo visitors' check; the next run's Start says the cap)
            try:   # each trial keeps a run: a visitor's runs and disk caps hold trial by trial (zoo/demo.py)
                demo.check_room(config.owner, runs_root(config.runs_dir))
            except SpecError as exc:
                out_of_room.append(str(exc))
                study.stop()

    callbacks = [after_trial]
    if config.total_trials:
        callbacks.append(optuna.study.MaxTrialsCallback(config.total_trials, states=None))
    objective = make_objective(config, data, emit=emit, should_stop=should_stop)
    started = time.time()
    n_trials = config.n_trials if (config.n_trials or not config.timeout) else None
    full = ""
    if config.total_trials:   # MaxTrialsCallback is asked after a trial: a study already full ran one more
        left = max(0, config.total_trials - len(before))
        n_trials = left if n_trials is None else min(n_trials, left)
        if not left:
            full = (f"the study has {len(before)} trial(s) already, as many as its total of {config.total_trials} "
                    "allows: none was run")
    from zoo.search.report import study_summary   # report reads studies made here

    # A database gone mid-study (PostgreSQL stopped) had ended the command with a traceback and "internal error
    # (UnboundLocalError: ... 'updated_state' ...)", Optuna's own fault while it failed to record the trial (a
    # shared-database check)
    with answering(config.storage_url, then=f"the trials it recorded before are kept in it; when it answers again, "
                                            f"run more trials (the same command joins study {config.study_name!r})",
                   kept=f"the trials that finished before are kept: run more trials once it has room (the same "
                        f"command joins study {config.study_name!r})"):
        study.optimize(objective, n_trials=n_trials, timeout=config.timeout, callbacks=callbacks,
                       catch=(TrialFailed, SearchInterrupted, RuntimeError, FloatingPointError))
        summary = study_summary(study)
        trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    worker_states: dict[str, int] = {}
    for number in mine:
        name = trials[number].state.name
        worker_states[name] = worker_states.get(name, 0) + 1
    stopped = should_stop() or bool(out_of_room)
    # A worker its time budget ended, said so: "finished: this worker ran 4 trial(s)" of 20 asked for, with a budget
    # of 6 s, read as if the search had run its course (a learner's check)
    budget_ended = (config.timeout is not None and time.time() - started >= config.timeout
                    and (n_trials is None or len(mine) < n_trials))
    ran = f"this worker ran {len(mine)} trial(s)"
    if budget_ended:
        ran = (f"its time budget of {config.timeout:g} s ended it after {len(mine)}"
               f"{f' of {n_trials}' if n_trials else ''} trial(s)")
    # Every trial this worker ran failed: the worker failed, with the first one's reason (it said "finished", exit
    # 0, beside 4 failed trials and no value: a CLI user's check); a trial pruned, or stopped, is no failure here
    all_failed = bool(mine) and set(worker_states) == {"FAIL"} and not stopped
    first = (trials[min(mine)].user_attrs.get("result") or {}).get("reason", "unknown") if all_failed else None
    # ...each refused for its own settings (the demo's memory cap on a sampled batch size): the input's fault, which
    # the command line exits 2 for, as for any refused setting (README, "Command line")
    summary["failed_on_input"] = all_failed and all(
        str((trials[n].user_attrs.get("result") or {}).get("reason", "")).startswith(REFUSED) for n in mine)
    summary.update(
        status="stopped" if stopped else "failed" if all_failed else "finished",
        reason=(f"stopped after {len(mine)} trial(s): {out_of_room[0]}" if out_of_room else
                "stopped by request" if stopped else
                f"every trial this worker ran failed ({len(mine)}); the first {first}" if all_failed else full or ran),
        storage=display_storage(config.storage_url), objective=config.objective,
        worker={"trials": len(mine), "states": worker_states, "numbers": sorted(mine), "host": socket.gethostname(),
                "pid": os.getpid(), "seconds": round(time.time() - started, 3)})
    return summary


def search_worker(payload: dict, emit: Callable[[dict], None], should_stop: Callable[[], bool]) -> dict:
    """Target of a search job (zoo.jobs): run one worker of a study in the job's process.

    `payload["runs_dir"]`, when it differs from the config's, is where this worker writes its trials'
    runs: a local spool on a Ray node that does not mount the server's runs directory
    (zoo/ray_worker.py), whose files go to the server as they change. The study's storage must then
    be one every machine reaches, not a journal file in that runs directory."""
    config = SearchConfig.from_dict(payload["config"])
    here = payload.get("runs_dir")
    if here and here != config.runs_dir:
        storage = config.storage_url
        server_runs = Path(payload.get("runs_dir_server") or runs_root(config.runs_dir)).resolve()
        if not is_url(storage) and server_runs in Path(storage).resolve().parents:
            raise SpecError(f"this machine ({socket.gethostname()}) does not mount the server's runs directory, so "
                            f"it cannot reach the study's journal file {storage}; give the search a storage every "
                            "machine reaches: PostgreSQL (postgresql://...) or a journal file on shared storage.")
        config.storage, config.runs_dir = storage, here
    return run_search(config, emit=emit, should_stop=should_stop)


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


def submit_search(manager, config: SearchConfig, *, owner: str = "local", workers: int = 1,
                  on_event: Callable[[dict], None] | None = None) -> list:
    """Queue `workers` jobs sharing one study; `config.n_trials` is split between them. Each job's
    config names the storage and the runs directory by absolute path, so that a worker started in
    another folder (a Ray node) finds the same ones. `on_event` also sees every worker's events."""
    config.validate()
    demo.check_room(config.owner, runs_root(config.runs_dir), trials=config.n_trials or 1) if config.owner else None
    # trials split among the workers: one with none is not started
    shares = [config.n_trials // workers + (1 if i < config.n_trials % workers else 0) if config.n_trials else None
              for i in range(workers)]
    manager.check_room_for(owner, sum(n != 0 for n in shares))   # before the study is made, then again below
    open_study(config)  # create it now (or refuse a clash) so the page can attach at once
    storage = config.storage_url if is_url(config.storage_url) else str(Path(config.storage_url).resolve())
    runs_dir = str(runs_root(config.runs_dir).resolve())
    reducer = reduce_search
    if on_event is not None:
        def reducer(state: dict, event: dict) -> None:
            reduce_search(state, event)
            on_event(event)
    jobs = []
    token = os.urandom(3).hex()
    # The page keeps job ids in its URL, comma-separated (ui/search_views.py): a study named "a,b" made
    # ids that split apart there, and a reload lost the search's Stop and its live table.
    named = re.sub(r"[^A-Za-z0-9_.-]+", "-", config.study_name)[:60]
    with manager.lock:   # all of them, or none: another tab's job between two would leave a worker queued unseen
        manager.check_room_for(owner, sum(n != 0 for n in shares))
        for i, n in enumerate(shares):
            if n == 0:
                continue
            worker = SearchConfig.from_dict({**config.to_dict(), "n_trials": n, "storage": storage,
                                             "runs_dir": runs_dir})
            jobs.append(manager.submit("zoo.search:search_worker", {"config": worker.to_dict(), "runs_dir": runs_dir},
                                       owner=owner, job_id=f"search-{named}-{token}-{i + 1}", reducer=reducer))
    return jobs


def workers_ended(results: list[dict], trials: int, stopped: bool) -> dict:
    """The status, reason and `failed_on_input` of a search of several workers from each one's own summary: failed
    where every worker's every trial failed; one worker's failures said beside the others' trials, which are kept
    (one worker's out-of-memory trial had failed a search of four: a review)."""
    reason = f"{len(results)} workers ran {trials} trial(s)"
    failed = [r for r in results if r.get("status") == "failed"]
    if stopped:
        return {"status": "stopped", "reason": f"stopped: {reason}; the trials that finished are kept",
                "failed_on_input": False}
    if failed and len(failed) == len(results):
        return {"status": "failed", "reason": f"every trial of every worker failed; worker 1: {failed[0]['reason']}",
                "failed_on_input": all(r.get("failed_on_input") for r in failed)}
    if failed:
        reason += f"; every trial of {len(failed)} of them failed, the first {failed[0]['reason']}"
    return {"status": "finished", "reason": reason, "failed_on_input": False}


def search_on_workers(config: SearchConfig, workers: int, launcher, *,
                      emit: Callable[[dict], None] | None = None,
                      should_stop: Callable[[], bool] | None = None) -> dict:
    """Run `workers` workers of one study through the job runner (local processes, or Ray tasks on
    a cluster: zoo/launch.py), wait for them, and return the study's summary with each worker's own
    (`workers`). A worker that fails raises: SpecError for bad input (its one sentence), else RuntimeError.
    `should_stop` (the CLI's Ctrl-C) asks every worker to stop, as the app's Stop does: each ends after the
    step at hand, its trial `stopped`, and the summary says `stopped`."""
    from zoo.jobs import JobManager

    manager = JobManager(max_running=workers, per_owner=workers, launcher=launcher)
    stopped = False
    try:
        jobs = submit_search(manager, config, workers=workers, on_event=emit)
        while any(job.active for job in jobs):
            if not stopped and should_stop is not None and should_stop():
                stopped = True
                for job in jobs:
                    manager.stop(job.id)
            time.sleep(0.05)
    finally:
        manager.shutdown()   # stops what still runs (a second Ctrl-C): their trials end as failed
    from zoo.search.report import study_summary

    for i, job in enumerate(jobs, start=1):
        # (not a worker that ended with the study's summary, its every trial failed: said below, in `workers`, the
        # others' trials kept; one worker's out-of-memory trial had failed a search of four: a review)
        if job.status == "failed" and not job.result:
            where = job.snapshot()["where"]
            message = f"search worker {i} of {len(jobs)}{f' ({where})' if where else ''} failed: {job.reason}"
            if "traceback" in job.state:   # it reported its end: bad input (no traceback), or a fault of the program
                if job.state["traceback"] is None:   # the input's: its own sentence (the same for every worker)
                    raise SpecError(job.reason)
                raise RuntimeError(message)
            try:
                study = load_study(config.storage_url, config.study_name)
                fail_trials_of_ended_workers(study, jobs)
                fail_orphaned_trials(study)
                summary = {**study_summary(study), "storage": display_storage(config.storage_url)}
            except Exception:   # the study's storage lost with the cluster (PostgreSQL on its head): no summary
                summary = {}
            raise SearchWorkerFailed(message, summary)

    summary = study_summary(load_study(config.storage_url, config.study_name))
    trials = sum((job.result or {}).get("worker", {}).get("trials", 0) for job in jobs)   # a stop before it began: none
    summary.update(**workers_ended([job.result or {} for job in jobs], trials, stopped),
                   storage=display_storage(config.storage_url), objective=config.objective,
                   workers=[{**{k: (job.result or {}).get(k) for k in ("status", "reason", "storage", "worker")},
                             "where": job.snapshot()["where"]} for job in jobs])
    return summary
