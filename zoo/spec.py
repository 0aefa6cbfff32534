"""ExperimentSpec: everything that defines a run, and nothing that depends on the machine.

The UI form, the CLI flags and an Optuna trial each produce one; nothing else starts training.
Training settings are declared with `hp(...)` like model hyperparameters, so the form and the
search space read their ranges from one place. Those ranges bound the form and the search; the
CLI accepts any valid value (a positive lr, however large) so that a person can try a bad one.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from zoo.registry import SpecError, get_model, hparams, hp, make_config

IMAGE_DATASETS = ("mnist-sample", "mnist", "fashion-mnist")
OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("none", "cosine", "step")
INITS = ("default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
         "orthogonal", "normal", "zeros")
PRECISIONS = ("fp32", "fp64", "bf16", "fp16")
MONITORS = ("val_loss", "val_metric")


@dataclass(frozen=True)
class TrainSettings:
    """The training recipe, with the ranges the form and the search use."""

    optimizer: str = hp("adam", choices=OPTIMIZERS, help="Adam, AdamW (decoupled weight decay) or SGD with momentum")
    lr: float = hp(2e-3, low=1e-5, high=1.0, log=True, help="learning rate")
    weight_decay: float = hp(0.0, low=0.0, high=0.1, step=1e-4, help="L2 penalty (decoupled for AdamW)")
    momentum: float = hp(0.9, low=0.0, high=0.99, step=0.01, help="momentum, used by SGD only")
    batch_size: int = hp(64, low=8, high=2048, log=True, help="samples per optimisation step")
    epochs: int = hp(5, low=1, high=200, help="passes over the training split (early stopping may end sooner)")
    schedule: str = hp("none", choices=SCHEDULES, help="learning-rate schedule over the epochs")
    init: str = hp("default", choices=INITS, help="weight initialisation, applied with Module.apply")
    precision: str = hp("fp32", choices=PRECISIONS, help="fp16 needs CUDA; bf16 uses autocast")
    patience: int = hp(5, low=0, high=50, help="epochs without improvement before early stopping (0: off)")
    min_delta: float = hp(0.0, low=0.0, high=1.0, step=1e-4, help="smallest change that counts as improvement")


TRAIN_FIELDS = tuple(f.name for f in dataclasses.fields(TrainSettings))
_DEFAULT = TrainSettings()  # the spec's training defaults come from the declarations above


@dataclass
class ExperimentSpec:
    """One run: data, model and recipe. JSON round-trips exactly (`to_json` / `from_json`)."""

    task: str = "image"                      # "image" or "series"
    data: str = "mnist-sample"               # an image dataset name, or a CSV path for series
    model: str = "cnn"
    model_params: dict = field(default_factory=dict)  # overrides of the model's declared defaults
    optimizer: str = _DEFAULT.optimizer
    lr: float = _DEFAULT.lr
    weight_decay: float = _DEFAULT.weight_decay
    momentum: float = _DEFAULT.momentum
    batch_size: int = _DEFAULT.batch_size
    epochs: int = _DEFAULT.epochs
    schedule: str = _DEFAULT.schedule
    init: str = _DEFAULT.init
    precision: str = _DEFAULT.precision
    device: str = "auto"                     # "auto" picks cuda, then mps, then cpu
    seed: int = 0
    patience: int = _DEFAULT.patience        # 0 turns early stopping off
    min_delta: float = _DEFAULT.min_delta
    monitor: str = "val_loss"                # or "val_metric" (accuracy for images, MAE for series)
    val_fraction: float = 0.1                # image task: share of the training set held out
    divergence_factor: float = 1e4           # a loss this many times the first batches' loss diverged
    limit_train: int = 0                     # use only the first N training samples (0: all); for quick tries
    # series task
    target: str | None = None                # default: the last numeric column
    date_col: str | None = None              # default: detected
    lookback: int = 96
    horizon: int = 24
    features: str = "target"                 # "target" (univariate) or "all" (multivariate)
    split: str = "0.7,0.1,0.2"               # train,val,test shares, or "ett"
    season: int = 0                          # seasonal period for the baselines (0: detect)

    def validate(self) -> "ExperimentSpec":
        """Check everything a person could get wrong; raise SpecError with what to do."""
        if self.task not in ("image", "series"):
            raise SpecError(f"task {self.task!r} is unknown; use image or series.")
        if self.task == "image" and self.data not in IMAGE_DATASETS:
            raise SpecError(f"unknown image dataset {self.data!r}; use one of {', '.join(IMAGE_DATASETS)}, "
                            "or a .csv path for a series.")
        make_config(self.model, self.model_params, self.task)  # raises on unknown keys / out of range
        checks = [
            (self.optimizer in OPTIMIZERS, f"optimizer {self.optimizer!r} is unknown; use one of {', '.join(OPTIMIZERS)}."),
            (self.schedule in SCHEDULES, f"schedule {self.schedule!r} is unknown; use one of {', '.join(SCHEDULES)}."),
            (self.init in INITS, f"init {self.init!r} is unknown; use one of {', '.join(INITS)}."),
            (self.precision in PRECISIONS, f"precision {self.precision!r} is unknown; use one of {', '.join(PRECISIONS)}."),
            (self.monitor in MONITORS, f"monitor {self.monitor!r} is unknown; use val_loss or val_metric."),
            (_positive(self.lr), f"lr={self.lr} must be a positive number."),
            (_number(self.weight_decay) and self.weight_decay >= 0, f"weight_decay={self.weight_decay} must be >= 0."),
            (_number(self.momentum) and 0 <= self.momentum < 1, f"momentum={self.momentum} must be in [0, 1)."),
            (_int(self.batch_size) and self.batch_size >= 1, f"batch_size={self.batch_size} must be a whole number >= 1."),
            (_int(self.epochs) and self.epochs >= 1, f"epochs={self.epochs} must be a whole number >= 1."),
            (_int(self.patience) and self.patience >= 0, f"patience={self.patience} must be a whole number >= 0."),
            (_number(self.min_delta) and self.min_delta >= 0, f"min_delta={self.min_delta} must be >= 0."),
            (_number(self.val_fraction) and 0 < self.val_fraction < 0.9, f"val_fraction={self.val_fraction} must be in (0, 0.9)."),
            (_positive(self.divergence_factor), f"divergence_factor={self.divergence_factor} must be positive."),
            (_int(self.limit_train) and self.limit_train >= 0, f"limit_train={self.limit_train} must be >= 0."),
            (_int(self.seed), f"seed={self.seed} must be a whole number."),
            (_int(self.lookback) and 1 <= self.lookback <= 5000, f"lookback={self.lookback} must be in [1, 5000]."),
            (_int(self.horizon) and 1 <= self.horizon <= 1000, f"horizon={self.horizon} must be in [1, 1000]."),
            (self.features in ("target", "all"), f"features={self.features!r} must be target or all."),
            (_int(self.season) and self.season >= 0, f"season={self.season} must be a whole number >= 0."),
        ]
        for ok, message in checks:
            if not ok:
                raise SpecError(message)
        return self

    def model_config(self):
        return make_config(self.model, self.model_params, self.task)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "ExperimentSpec":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise SpecError(f"spec has unknown fields {sorted(unknown)}; remove them.")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> "ExperimentSpec":
        return cls.from_dict(json.loads(text))

    def replace(self, **changes: Any) -> "ExperimentSpec":
        return dataclasses.replace(self, **changes)

    def cli_command(self) -> str:
        """The `python -m zoo train ...` command that reproduces this spec."""
        import shlex

        default = ExperimentSpec(task=self.task)
        args = ["python", "-m", "zoo", "train", "--data", self.data, "--model", self.model]
        for key, value in sorted(self.model_params.items()):
            args += ["--set", f"{key}={value}"]
        for f in dataclasses.fields(self):
            if f.name in ("task", "data", "model", "model_params"):
                continue
            value = getattr(self, f.name)
            if value != getattr(default, f.name) and value is not None:
                args += [f"--{f.name.replace('_', '-')}", str(value)]
        return " ".join(shlex.quote(a) for a in args)


def train_hparams():
    """The declared training settings (for the form and the search space)."""
    return hparams(TrainSettings)


def model_hparams(model: str):
    return get_model(model).hparams()


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) != float("inf")


def _positive(v) -> bool:
    return _number(v) and v > 0


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)
