"""LeaderboardSpec: everything that defines a leaderboard, each setting declared once with `hp`
(like ExperimentSpec's), so the CLI's flags (zoo/cli/forecast_auto.py), the page's widgets
(ui/leaderboard.py) and `validate()` come from the same declarations.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from zoo.leaderboard.plan import default_horizons_in_words
from zoo.registry import DeclaredSettings, SpecError, as_typed, hp, hparams
from zoo.spec import LAYOUTS

KINDS = ("baseline", "classical", "zoo", "ensemble")
BUDGET_DEFAULT = 150.0
# Run only when `models` names them (bench/selection_dev.py's third, fifth and sixth rounds).
BY_NAME_ONLY = ("AutoCES", "DynamicOptimizedTheta", "log_linear_ls", "log_linear", "deseasoned_linear_ls",
                "deseasoned_linear", "deseasoned_mlp")


@dataclass
class LeaderboardSpec(DeclaredSettings):
    """One leaderboard: a CSV, what to forecast and how far, and how long the whole ranking may take."""

    WHAT = "the leaderboard's settings"

    data: str = "ETTh1"                     # a CSV path, or ETTh1 (the bundled sample)
    target: str | None = hp(None, kind="text",
                            help="target column (default: the last numeric column that is neither a 0/1 flag "
                                 "nor constant)")
    date_col: str | None = hp(None, kind="text", help="date column (default: detected)")
    layout: str = hp("long", choices=LAYOUTS, help="long: a row per time step; wide: a row per year and a column "
                                                    "per month or quarter, read as one series")
    horizon: int = hp(0, low=0, high=1000, limits="[0, inf)",
                      help=f"steps to forecast (0: the frequency's usual: {default_horizons_in_words()}; shorter "
                           "where the series is too short for it, or for an 80% interval's validation origins)")
    budget: float = hp(BUDGET_DEFAULT, low=10.0, high=1800.0, step=10.0, limits="(0, inf)",
                       help="seconds the whole leaderboard may take; candidates that do not fit are listed as skipped")
    season: int = hp(0, low=0, high=100_000, limits="[0, inf)",
                     help="seasonal period for the classical models, the baselines and MASE (0: detect)")
    test_share: float = hp(0.2, low=0.05, high=0.5, step=0.05, limits="(0, 0.9)",
                           help="share of the rows held out as the test part (never looked at by the pick)")
    folds: int = hp(0, low=0, high=10, limits="[0, 20]",
                    help="rolling-origin validation folds, each a refit (0: 4 on short series, 3 on long ones)")
    models: str = hp("", kind="text", help=f"only these candidates besides the baselines, which every board fits "
                                           f"and ranks, comma-separated (default: every one but "
                                           f"{', '.join(BY_NAME_ONLY)}, which run only when named here)")
    # same board: where the same candidates fit in the budget, which is time on this machine (a CLI check: a board
    # run again by its own command finished BaggedETS, skipped the first time, and picked another)
    seed: int = hp(0, low=0, high=2**32 - 1, help="seeds every model's weights and shuffling: same seed, same board "
                                                  "where the same candidates fit in the budget")
    device: str = hp("cpu", kind="text", help="where the zoo's models train: cpu (default), auto, cuda, mps")
    extra: dict = field(default_factory=dict)   # what the page adds (a display name); not a setting

    def validate(self) -> "LeaderboardSpec":
        if not isinstance(self.data, str) or not self.data.strip():
            raise SpecError("a leaderboard needs data: a CSV path, or ETTh1 for the bundled sample.")
        for h in settings():
            value = getattr(self, h.name)
            if h.kind == "text":
                if value is not None and not isinstance(value, str):
                    raise SpecError(f"{h.name}={value!r} must be text.")
                continue
            if isinstance(value, bool) or (h.kind == "int" and not isinstance(value, int)) or (
                    h.kind == "float" and not isinstance(value, (int, float))):
                raise h.wrong_kind(value)
            h.check(value)
        self.model_names()   # unknown names are refused here
        return self

    def model_names(self) -> list[str]:
        """The candidates asked for by name (empty: all); an unknown name is a SpecError."""
        from zoo.leaderboard.candidates import candidate_names

        wanted = [m.strip() for m in (self.models or "").split(",") if m.strip()]
        known = candidate_names()
        unknown = [m for m in wanted if m not in known]
        if unknown:
            raise SpecError(f"unknown candidate(s) {', '.join(unknown)}; choose from {', '.join(known)}.")
        return wanted

    def cli_command(self, plan: dict | None = None) -> str:
        """The `python -m zoo forecast-auto ...` command that reproduces this leaderboard; with its `plan` (the
        run's), the horizon it forecast stands for a horizon of 0, the frequency's usual then, which a later
        version may choose otherwise (daily data went from 14 to 7 steps)."""
        args = ["python", "-m", "zoo", "forecast-auto", "--data", self.data]
        used = {"horizon": (plan or {}).get("horizon") or 0} if not self.horizon else {}
        for h in settings():
            value = used.get(h.name) or getattr(self, h.name)
            if value != h.default and value not in (None, ""):
                args += [flag(h.name), as_typed(value)]
        return " ".join(shlex.quote(a) for a in args)


def settings() -> list:
    """Every declared setting of a leaderboard, in declaration order."""
    return hparams(LeaderboardSpec)


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")
