"""ExperimentSpec: everything that defines a run, and nothing that depends on the machine.

The UI form, the CLI flags and an Optuna trial each produce one; nothing else starts training.
Every setting is declared once, here, with `hp(...)` like a model hyperparameter: its type, the
range the form and the search cover, what is valid at all (`limits`: the CLI accepts any positive
lr, so that a person can try a bad one), its help, the tasks it serves, the form's group it sits
in and whether the search may sample it. From that one declaration come the CLI's flags
(zoo/cli/common.py), the form's widgets (ui/form.py), the search space (zoo/search/space.py) and
`validate()`. Adding a setting is one field here plus its use (docs/architecture.md shows how).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from zoo.initialisation import INITS
from zoo.registry import (DeclaredSettings, HParam, SpecError, as_typed, get_model, get_task, hp, hparams,
                          make_config)

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("none", "cosine", "step")
PRECISIONS = ("fp32", "fp64", "bf16", "fp16", "tf32")
MONITORS = ("val_loss", "val_metric")
FEATURES = ("target", "all")
FITTED_WINDOWS = ("lookback", "horizon")   # the windows a series can have fitted for it (windows_fitted)
# the training settings the Forecast page fits to a series (its recipe: training_fitted; zoo/forecast_io.RECIPE_KEYS)
FITTED_TRAINING = ("batch_size", "epochs", "patience", "lr", "schedule")
LAYOUTS = ("long", "wide")    # of a series CSV: a row per time step, or a row per year (zoo/data/series/layout.py)
# The groups the form shows, in order; a setting without a group is set by the CLI (or a page) only.
FORM_GROUPS = ("Optimiser", "Loop", "Numerics", "Early stopping")
NOT_EPOCHS = "epochs is the budget every trial shares (and the pruner's scale); set it with --epochs"
NOT_PRECISION = "precision depends on the device, not on the model; set it with --precision"


@dataclass
class ExperimentSpec(DeclaredSettings):
    """One run: data, model and recipe. JSON round-trips exactly (`to_json` / `from_json`)."""

    WHAT = "the spec"

    task: str = "image"                      # "image" or "series" (zoo.registry.TASKS)
    data: str = "mnist-sample"               # an image dataset name, or a CSV path for series
    model: str = "cnn"
    model_params: dict = field(default_factory=dict)  # overrides of the model's declared defaults

    # --- Optimiser
    optimizer: str = hp("adam", choices=OPTIMIZERS, group="Optimiser", searchable=True,
                        help="Adam, AdamW (decoupled weight decay) or SGD with momentum")
    lr: float = hp(2e-3, low=1e-5, high=1.0, log=True, limits="(0, inf)", group="Optimiser", searchable=True,
                   help="learning rate")
    momentum: float = hp(0.9, low=0.0, high=0.99, step=0.01, limits="[0, 1)", group="Optimiser", searchable=True,
                         help="momentum, used by SGD only")
    weight_decay: float = hp(0.0, low=0.0, high=0.1, step=1e-4, limits="[0, inf)", group="Optimiser",
                             searchable=True, help="L2 penalty (decoupled for AdamW)")
    schedule: str = hp("none", choices=SCHEDULES, group="Optimiser", searchable=True,
                       help="learning-rate schedule over the epochs")
    # --- Loop
    epochs: int = hp(5, low=1, high=200, limits="[1, inf)", group="Loop", searchable=NOT_EPOCHS,
                     help="passes over the training split (early stopping may end sooner)")
    batch_size: int = hp(64, low=8, high=2048, log=True, limits="[1, inf)", group="Loop", searchable=True,
                         help="samples per optimisation step")
    seed: int = hp(0, low=0, high=2**32 - 1, group="Loop",
                   help="seeds the weights, the validation split and the shuffling: same seed, same run")
    # --- Numerics
    init: str = hp("default", choices=INITS, group="Numerics", searchable=True,
                   help="weight initialisation, applied with Module.apply")
    precision: str = hp("fp32", choices=PRECISIONS, group="Numerics", searchable=NOT_PRECISION,
                        help="fp16 (with GradScaler) and tf32 need CUDA; bf16 uses autocast")
    device: str = hp("auto", kind="text", group="Numerics",
                     help="auto picks cuda, then mps, then cpu; or cpu, cuda, cuda:N, mps")
    # --- Early stopping
    patience: int = hp(5, low=0, high=50, limits="[0, inf)", group="Early stopping", searchable=True,
                       help="epochs without improvement before early stopping (0: off)")
    min_delta: float = hp(0.0, low=0.0, high=1.0, step=1e-4, limits="[0, inf)", group="Early stopping",
                          searchable=True, used_from=("patience", 1),
                          help="smallest change of the monitored value that counts as an improvement, in its own "
                               "units (val accuracy as a fraction: 0.01 is 1 point), for early stopping and the "
                               "best checkpoint it keeps; with early stopping off, the best epoch is kept")
    monitor: str = hp("val_loss", choices=MONITORS, group="Early stopping",
                      help="what early stopping and the best checkpoint follow: the validation loss (val_loss), "
                           "or the validation metric (val_metric: accuracy for images, MAE for series)")
    # --- set from the CLI (and by some pages)
    val_fraction: float = hp(0.1, low=0.05, high=0.5, limits="(0, 0.9)", tasks=("image",),
                             help="image task: share of the training set held out for validation")
    divergence_factor: float = hp(1e4, low=10.0, high=1e8, log=True, limits="(0, inf)",
                                  help="a loss this many times the first batch's loss ends the run as diverged")
    limit_train: int = hp(0, low=0, high=1_000_000, limits="[0, inf)", group="Loop",
                          help="train on N samples only (0: all), for quick tries: the first N images, or a series' "
                               "latest N windows (those nearest its validation part)")
    cuda_graph: bool = hp(False, help="CUDA only, not with fp16: capture the training step once and replay it as "
                                      "one CUDA graph (one launch per batch instead of dozens); off by default")
    # --- series windows (the Forecast page draws these itself: they depend on the file)
    target: str | None = hp(None, kind="text", tasks=("series",),
                            help="target column (default: the last numeric column that is neither a 0/1 flag "
                                 "nor constant)")
    date_col: str | None = hp(None, kind="text", tasks=("series",), help="date column (default: detected)")
    layout: str = hp("long", choices=LAYOUTS, tasks=("series",),
                     help="long: a row per time step; wide: a row per year and a column per month (JAN ... DEC) or "
                          "quarter (Q1 ... Q4), read as one long series")
    lookback: int = hp(96, low=1, high=5000, tasks=("series",), help="input window length L")
    horizon: int = hp(24, low=1, high=1000, tasks=("series",), help="steps to forecast H")
    features: str = hp("target", choices=FEATURES, tasks=("series",),
                       help="target: univariate input; all: every numeric column")
    split: str = hp("0.7,0.1,0.2", kind="text", tasks=("series",), help="train,val,test shares, or ett")
    season: int = hp(0, low=0, high=100_000, limits="[0, inf)", tasks=("series",),
                     help="seasonal period for the baselines and MASE (0: detect)")
    # Not a setting: which of lookback and horizon were fitted to the series (the Forecast page's, or the CLI's
    # where the defaults do not fit the CSV and neither flag is given) rather than set by the person. Their values above are what the run used; a
    # form filled from the run lets these follow the series again. A fitted lookback came back as if typed,
    # and stayed put when the person then changed the horizon (a review).
    windows_fitted: list = field(default_factory=list)
    # Not a setting either: which training settings the Forecast page had fitted to the series (its recipe) rather
    # than the person set; None where nothing says (the command line, a run from before the field): all of them
    # then follow other data when the run's settings fill the form. Three epochs set by hand became the recipe's
    # 200 on the next file after Train again, unsaid (a forecast user's check).
    training_fitted: list | None = None

    def validate(self) -> "ExperimentSpec":
        """Check everything a person could get wrong; raise SpecError with what to do.

        Values are checked as they are (an epochs of 5.0 is refused, not rounded): the spec that
        runs is exactly the one that was written."""
        task = get_task(self.task)
        task.check_data(self.data)
        make_config(self.model, self.model_params, self.task)  # raises on unknown keys / out of range
        for h in settings(self.task):
            value = getattr(self, h.name)
            if h.kind == "text":
                if value is not None and not isinstance(value, str):
                    raise SpecError(f"{h.name}={value!r} must be text.")
                continue
            if not _is_kind(value, h.kind):
                raise h.wrong_kind(value)
            h.check(value)
        fitted = self.windows_fitted
        if not isinstance(fitted, list) or not set(fitted) <= set(FITTED_WINDOWS) or len(set(fitted)) < len(fitted):
            raise SpecError(f"windows_fitted={fitted!r} must list some of {', '.join(FITTED_WINDOWS)}, each once.")
        fitted = self.training_fitted
        if fitted is not None and (not isinstance(fitted, list) or not set(fitted) <= set(FITTED_TRAINING)
                                   or len(set(fitted)) < len(fitted)):
            raise SpecError(f"training_fitted={fitted!r} must list some of {', '.join(FITTED_TRAINING)}, each once.")
        return self

    def model_config(self):
        return make_config(self.model, self.model_params, self.task)

    def to_dict(self) -> dict:
        """The spec's fields; `training_fitted` only where it says something, so that a spec that does not (the
        command line's) stays readable by a version without the field (a rolled-back server, an older worker in
        a shared study: a review)."""
        values = super().to_dict()
        if values.get("training_fitted") is None:
            values.pop("training_fitted", None)
        return values

    def cli_command(self) -> str:
        """The `python -m zoo train ...` command that reproduces this spec."""
        import shlex

        args = ["python", "-m", "zoo", "train", "--data", self.data, "--model", self.model]
        # A value that does nothing beside the others (ModelEntry.unused: a search trial's dropout with one layer) is
        # left out: train refuses it typed, and the model is the same without it.
        unused = get_model(self.model, self.task).unused(self.model_params, self.task)
        for key, value in sorted(self.model_params.items()):
            if key not in unused:
                args += ["--set", f"{key}={as_typed(value)}"]
        values = self.to_dict()
        for h in settings(self.task):
            value = getattr(self, h.name)
            # a setting that does nothing beside the others left out too (min delta with patience 0, as a search
            # trial may sample them, or a run before the form greyed it): train refuses it typed (a review)
            if value != h.default and value is not None and not h.unused_because(values):
                args += [flag(h.name), as_typed(value)]
        return " ".join(shlex.quote(a) for a in args)


def settings(task: str | None = None) -> list[HParam]:
    """Every declared setting of a spec (for one task: those that serve it), in declaration order."""
    return hparams(ExperimentSpec, task)


def setting(name: str) -> HParam:
    return next(h for h in settings() if h.name == name)


def command_lines(command: str, indent: str = "  ") -> str:
    """A one-line shell command (`cli_command`) as one line per flag and its value, each but the last ended by
    a backslash: pasted into a shell it runs the same, and on a narrow page no flag is cut from its value."""
    import shlex

    tokens = shlex.split(command)
    lines: list[list[str]] = [[]]
    for token in tokens:
        if token.startswith("--"):
            lines.append([])
        lines[-1].append(shlex.quote(token))
    text = [" ".join(line) for line in lines if line]
    return " \\\n".join(text[:1] + [indent + line for line in text[1:]])


def flag(name: str) -> str:
    """A setting's CLI flag: batch_size -> --batch-size."""
    return "--" + name.replace("_", "-")


def train_hparams(task: str | None = None) -> list[HParam]:
    """The training recipe: the settings a search may sample or fix (zoo/search/space.py)."""
    return [h for h in settings(task) if h.searchable]


def model_hparams(model: str, task: str | None = None) -> list[HParam]:
    return get_model(model).hparams(task)


def _is_kind(value, kind: str) -> bool:
    if isinstance(value, bool):
        return kind == "bool"
    if kind == "int":
        return isinstance(value, int)
    if kind == "float":
        return isinstance(value, (int, float))
    return True   # bool and choice values are checked by HParam.check
