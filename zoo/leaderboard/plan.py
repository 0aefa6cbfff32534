"""The plan of a leaderboard: the horizon, the seasonal period, the lookback of the window models,
where the test part starts, and the rolling-origin validation: K folds over the part before the
test, each a refit on everything before its first origin, scored at every origin of its block.

    rows:  [ training ........ | fold 1 | fold 2 | fold 3 | fold 4 | test ............ ]
                               ^ o_1    ^ o_2    ^ o_3    ^ o_4    ^ test_start
    fold k: fit on rows [0, o_k); forecast H steps from every origin t in [o_k, o_{k+1}) whose
    targets end before the test part; the test: fit on [0, test_start), forecast from every
    origin of the test part. The pick is made on the folds alone.

On a short series (a yearly one of 100 rows) the folds cover the later half of the rows before
the test, so every candidate is judged on dozens of origins, not on one validation part of a few
windows. (Validation over more of them, from the first row a fit allows, made the pick worse on more
development series than it made better: bench/selection_dev.py's seventh round.) On a long one the
origins scored are an even sample (MAX_VAL_ORIGINS, MAX_TEST_ORIGINS), the same for every candidate,
so that the classical models, which forecast one origin at a time, stay affordable.
"""
from __future__ import annotations

import functools

import math
from dataclasses import dataclass, field

import numpy as np

from zoo.data.series.grid import frequency_code
from zoo.registry import SpecError

MAX_VAL_ORIGINS = 400
MAX_TEST_ORIGINS = 600
MAX_LOOKBACK = 336
# The share of the rows before the test that validation covers on a series of fewer than 1,000 of
# them, the first fold never starting before `min_fit` rows (1.0: from `min_fit`). Kept at 0.5 over
# 0.75 and 1.0 in bench/selection_dev.py's seventh round (see its docstring).
SHORT_VALIDATION_SHARE = 0.5
# Steps a frequency suggests forecasting: the one owner of the usual horizon by frequency (a board's horizon 0, the
# CLI's help, the Forecast page's "Use horizon N, the usual one"). Daily and business-day data forecast a week (7, 5),
# what the page's own fit gives a series whose season is its week (one season: zoo/data/series/suggest.py); M4's 14
# and 10 made forecast-auto rank such a CSV over twice the page's horizon (a review). The others are the M4
# competition's where it has one. The page's fit follows the series, not only its frequency (a weekly series with a
# yearly season gets 52 there, one with no season a share of its test rows).
HORIZONS = {"h": 24, "30min": 48, "15min": 96, "min": 60, "D": 7, "B": 5, "W": 13, "MS": 12, "ME": 12, "M": 12,
            "QS": 8, "QE": 8, "Q": 8, "YS": 6, "YE": 6, "Y": 6, "A": 6}
OTHER_HORIZON = 24   # a frequency not in the table, or none
# The table in words, for help texts (the CLI's --horizon): each frequency once, by its usual name.
HORIZON_WORDS = {"15min": "every 15 minutes", "30min": "every 30 minutes", "min": "other minute steps", "h": "hourly",
                 "D": "daily", "B": "business-daily", "W": "weekly", "MS": "monthly", "QS": "quarterly", "YS": "yearly"}


@dataclass
class Plan:
    rows: int
    horizon: int
    period: int                 # seasonal period (1: none)
    lookback: int               # input window of the window models (and the baselines)
    test_start: int             # first row of the test part
    folds: list[tuple[int, int]]  # (o_k, o_{k+1}): fit before o_k, score origins in [o_k, o_{k+1})
    val_origins: np.ndarray     # the origins scored in validation (a row t: targets t .. t+H-1), sorted
    test_origins: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def val_start(self) -> int:
        return self.folds[0][0]

    def fold_origins(self, k: int) -> np.ndarray:
        lo, hi = self.folds[k]
        return self.val_origins[(self.val_origins >= lo) & (self.val_origins < hi)]

    def to_dict(self) -> dict:
        return {"rows": self.rows, "horizon": self.horizon, "period": self.period, "lookback": self.lookback,
                "test_start": self.test_start, "folds": [list(f) for f in self.folds],
                "val_origins": len(self.val_origins), "test_origins": len(self.test_origins), "notes": self.notes}


def default_horizon(freq: str | None) -> int:
    """The steps a series of this frequency is forecast by default (HORIZONS; OTHER_HORIZON without one)."""
    code = frequency_code(freq)
    if code is None:
        return OTHER_HORIZON
    name, n = code
    if name == "min" and n in (15, 30):
        return HORIZONS[f"{n}min"]
    return HORIZONS.get(name, OTHER_HORIZON)


def default_horizons_in_words() -> str:
    """"24 hourly, 7 daily, ..., 6 yearly; 24 otherwise": HORIZONS as a help text says it."""
    return ", ".join(f"{HORIZONS[code]} {word}" for code, word in HORIZON_WORDS.items()) + f"; {OTHER_HORIZON} otherwise"


def is_yearly(freq: str | None) -> bool:
    return bool(freq) and str(freq).upper().lstrip("0123456789").startswith(("Y", "A"))


def even_sample(values: np.ndarray, limit: int) -> np.ndarray:
    """All of `values` up to `limit`, else `limit` evenly spaced ones (the first and the last kept)."""
    if len(values) <= limit:
        return values
    return values[np.unique(np.linspace(0, len(values) - 1, limit).round().astype(np.int64))]


FEW_TEST_ORIGINS = 5   # fewer test forecasts than this: the plan's notes say the test scores tell little


def _first_fit(H: int, period: int, test_start: int) -> tuple[int, int]:
    """The window models' lookback and the fewest rows a fold's fit needs. The lookback reads 2 horizons
    or 2 seasons, whichever is longer (at least 8 steps; at most a quarter of the rows before the test,
    so that the first fold still has windows to learn from)."""
    lookback = max(2 * H, 2 * period if period > 1 else 0, 8)
    lookback = min(lookback, MAX_LOOKBACK, max(4, test_start // 4))
    return lookback, lookback + H + max(2 * H, 2 * period if period > 1 else 0, 16)


def make_plan(y: np.ndarray, freq: str | None, *, horizon: int = 0, season: int = 0, test_share: float = 0.2,
              folds: int = 0) -> Plan:
    """The leaderboard's plan for the target `y` (original scale). The period is detected on the rows
    before the test part only; raises SpecError in one sentence when the series is too short.

    Without a horizon set (0): the frequency's usual one (`default_horizon`), else the longest that fits; and
    then, where that leaves fewer validation origins than an 80% interval is calibrated on, the longest that leaves
    them, as the Forecast page's own fit holds its horizon for the interval (zoo/data/series/suggest.py): 60 monthly
    rows had been ranked at horizon 5 on the command line, with no interval, where the page's board ranked them at 3
    with one (a forecast user's check)."""
    from zoo.forecast.scores import min_calibration_windows

    plan = _plan(y, freq, horizon=horizon, season=season, test_share=test_share, folds=folds)
    need = min_calibration_windows(0.8)
    if horizon or len(plan.val_origins) >= need:
        return plan
    for h in range(plan.horizon - 1, 0, -1):
        try:
            shorter = _plan(y, freq, horizon=h, season=season, test_share=test_share, folds=folds)
        except SpecError:
            continue
        if len(shorter.val_origins) >= need:
            usual = default_horizon(freq)
            longer = (f"horizon {plan.horizon} leaves {len(plan.val_origins)}" if plan.horizon == usual else
                      f"the usual {usual} does not fit {len(y):,} rows, and {plan.horizon}, the longest that does, "
                      f"leaves {len(plan.val_origins)}")
            shorter.notes.insert(0, f"horizon {h}, the longest that leaves the {need} validation origins an 80% "
                                    f"interval is calibrated on: {longer} (set the horizon to choose another).")
            return shorter
    return plan


def _plan(y: np.ndarray, freq: str | None, *, horizon: int, season: int, test_share: float, folds: int,
          say_season: bool = True) -> Plan:
    """`make_plan` at the usual horizon (or the longest that fits) where none is set, else at `horizon`;
    `say_season=False`: no note of the seasonal period (the caller says why there is none)."""
    from zoo.forecast.baselines import detect_period

    n = len(y)
    notes: list[str] = []
    H = int(horizon) or default_horizon(freq)
    test_rows = max(int(round(n * test_share)), H)
    test_start = n - test_rows
    if not season and is_yearly(freq):
        # Yearly series: no seasonal period (as in the M4 competition). An autocorrelation peak
        # there is a cycle of uneven length (lynx: about 9.6 years), which a fixed period misreads.
        period = 1
        # (the season, not --season: the page shows this note too, where the field is "Season": a forecast user)
        notes.append("yearly data: no seasonal period, as in the M4 competition (set the season to use one).")
    else:
        period = detect_period(y[:test_start], freq, season=season)
        if say_season:
            # with their count: the Forecast page's check says what the training rows alone show (a forecast user's
            # check read "none detected" there beside this board's "period 4")
            how = "set" if season else f"detected on the {test_start:,} rows before the test part"
            notes.append(f"seasonal period {period} ({how}).")
    lookback, min_fit = _first_fit(H, period, test_start)
    if test_start - H < min_fit + 2:
        # The season alone can be what makes the fit long (a season of 365 on 400 daily rows): a shorter
        # horizon would not help then, so the sentence names the season.
        def fits(h: int, seasonal: bool) -> bool:
            """As make_plan would judge horizon `h`: with its own test part (at least h rows: H's read "not even
            horizon 1 fits" of 400 rows at horizon 500, which ran at 24: two checks) and, `seasonal`, the season
            it would detect on the rows before that part (a review: "at most 8" was named, and 8 refused for its
            season); else with none."""
            start = n - max(int(round(n * test_share)), h)
            if start - h < 2:   # no rows to fit on, whatever the season
                return False
            if seasonal and not fits(h, False):
                # A season only lengthens the fit (_first_fit), so a horizon that does not fit without one is
                # refused without detecting one on its rows: horizon 100,000 on 17,420 rows had detected a season
                # on each of ~5,000 prefixes before naming the longest that fits, 45 s.
                return False
            p = 1 if not seasonal else period if season or is_yearly(freq) else period_before(start)
            return start - h >= _first_fit(h, p, start)[1] + 2

        @functools.cache
        def period_before(start: int) -> int:   # every horizon up to the test share's rows has the same start
            return detect_period(y[:start], freq, season=0)

        def longest(seasonal: bool) -> int | None:   # the first that fits from the top: the longest
            return next((h for h in range(H - 1, 0, -1) if fits(h, seasonal)), None)
        shorter_season = (f"a season shorter than {'the detected ' if not season else ''}{period} (1 for none)"
                          if period > 1 else "season 1 (none)")
        seasonal_horizon = None if not fits(1, False) or (period > 1 and fits(H, False)) else longest(True)
        if not fits(1, False) and not horizon:
            # No horizon set, and none fits: the rows needed at horizon 1 with no season. "with horizon 7" had named
            # the board's usual one beside the page's horizon 2, fitted for one model's windows (a forecast user's
            # check on 30 daily rows)
            test_rows = max(int(round(n * test_share)), 1)
            H, min_fit = 1, _first_fit(1, 1, n - test_rows)[1]
            with_what, fix = "any horizon, even 1 with no season", "use a longer series"
        elif not fits(1, False):   # nothing shorter helps: "use a shorter horizon" at horizon 1 (a browser check), or 2
            with_what = f"horizon {H}" + (f" and season {period}" if period > 1 else "")
            fix = "use a longer series" + (" (not even horizon 1 with no season fits these rows)"
                                           if H > 1 or period > 1 else "")
        elif period > 1 and fits(H, False) and not season:
            # A season found, not set, that the rows cannot hold: ranked without it, said. Four years of weekly
            # sales had no board ("set a season shorter than the detected 52"), the page's own training rows
            # finding no season at all (a forecast user's check).
            plan = _plan(y, freq, horizon=horizon, season=1, test_share=test_share, folds=folds, say_season=False)
            plan.notes.insert(0, f"no seasonal period: the {period} detected on the rows before the test part needs "
                                 f"about {min_fit + 2 + H + test_rows} rows, and the series has {n} (set the season "
                                 "to rank with a shorter one, or use a longer series).")
            return plan
        elif period > 1 and fits(H, False):
            with_what, fix = f"season {period}", f"set {shorter_season}, or use a longer series"
        elif seasonal_horizon is not None and not horizon:
            # The frequency's usual horizon, not one the person set, does not fit: the longest that does, said. 60
            # monthly rows ended in an error at the usual 12 on the command line, where the page offers 3 (a
            # forecast user's check).
            plan = _plan(y, freq, horizon=seasonal_horizon, season=season, test_share=test_share, folds=folds)
            usual = "for this frequency" if freq else "for a series without a frequency"   # (no dates, or irregular)
            plan.notes.insert(0, f"horizon {seasonal_horizon}, the longest that fits: the usual {H} {usual} needs "
                                 f"about {min_fit + 2 + H + test_rows} rows, and the series has {n} (set the horizon "
                                 "to choose another).")
            return plan
        elif seasonal_horizon is not None:
            # Past it, a detected season gives way to none (above): the longest horizon that runs at all, said too
            without = longest(False) if not season else None
            also = f" ({without} without a season)" if without and without > seasonal_horizon else ""
            with_what, fix = f"horizon {H}", f"use a horizon of at most {seasonal_horizon}{also} or a longer series"
        elif season and not horizon:
            # The season set is what no horizon fits; the usual horizon, not one the person set, gives way once
            # it does (above). Season 12 on 40 monthly rows blamed "horizon 12 and season 12", the horizon unset,
            # and the horizon of at most 3 it named was then refused for the season alone (a forecast user's
            # check). The rows it needs: at horizon 1.
            test_rows = max(int(round(n * test_share)), 1)
            H, min_fit = 1, _first_fit(1, period, n - test_rows)[1]
            with_what, fix = f"season {period}", f"set {shorter_season}, or use a longer series"
        else:   # neither alone is enough
            with_what = f"horizon {H}" + (f" and season {period}" if period > 1 else "")
            fix = f"use a horizon of at most {longest(False)} and {shorter_season}, or a longer series"
        raise SpecError(f"the series has {n} rows, too few for a leaderboard with {with_what}: it needs about "
                        f"{min_fit + 2 + H + test_rows} (a fit of {min_fit} rows, validation origins and a test part "
                        f"of {test_rows}); {fix}.")
    pre = test_start
    k = int(folds) or (4 if pre < 2000 else 3)
    # Validation covers the later half of the rows before the test on a short series, down to a
    # fifth on a long one, never leaving the first fold with fewer than `min_fit` rows.
    share = SHORT_VALIDATION_SHARE if pre < 1000 else 0.35 if pre < 10_000 else 0.2
    last = pre - H           # the last validation origin: its targets end just before the test part
    # Earlier than the share where a long horizon would leave it fewer than H origins: horizon 3,000 on ETTh1's
    # 13,936 rows before the test left none after the share's row 11,148, and the board failed with an IndexError
    # (a CLI user's check), at a horizon its own "at most 3399" had named.
    first = max(min_fit, min(int(pre * (1 - share)), last + 1 - H))
    span = last - first + 1
    k = max(1, min(k, span // max(H, 1) if span >= H else 1))
    edges = np.linspace(first, last + 1, k + 1).round().astype(int)
    fold_list = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    val_origins = even_sample(np.arange(first, last + 1), MAX_VAL_ORIGINS)
    test_origins = even_sample(np.arange(test_start, n - H + 1), MAX_TEST_ORIGINS)
    def count(k: int, what: str) -> str:
        return f"{k:,} {what}{'' if k == 1 else 's'}"
    notes.append(f"{count(len(fold_list), 'validation fold')} over rows {first:,} to {last + H - 1:,} "
                 f"({count(len(val_origins), 'origin')}), a refit before each; the test part is rows {test_start:,} "
                 f"to {n - 1:,} ({count(len(test_origins), 'origin')}).")
    if int(folds) > len(fold_list):   # 20 asked, 10 run, unsaid (a new user's check)
        notes.append(f"{int(folds)} validation folds were asked; these rows hold {len(fold_list)} "
                     + (f"(each fold scores at least a horizon's {H} origins)." if span >= H else
                        f"(their {span} validation origins are fewer than a horizon's {H})."))
    if len(test_origins) < FEW_TEST_ORIGINS:   # a monthly board's test MASE from one forecast read as any other's
        notes.append(f"the test scores are of {count(len(test_origins), 'forecast')} only, too few to tell models "
                     "apart by; a longer series gives more, as does a larger test share (the command line's "
                     "--test-share). The pick is chosen on validation either way.")
    if len(val_origins) < span:
        notes.append(f"validation scores an even sample of {len(val_origins):,} of its {span:,} origins, the same "
                     "for every candidate.")
    return Plan(rows=n, horizon=H, period=period, lookback=lookback, test_start=test_start, folds=fold_list,
                val_origins=val_origins, test_origins=test_origins, notes=notes)


def recipe_work(model: str, n_windows: int, lookback: int, period: int, sized_for: int | None = None) -> float:
    """A rough measure of what `zoo_settings`'s recipe computes at most (early stopping may end it
    sooner): its optimisation steps times the batch size times the model's width. Within one board
    (one model size, `sized_for`) it is in proportion to the steps (a short series' fits take about as
    many whatever their rows, a long one's grow with them); between two sizes (the batch and width
    change at 2,000 and 50,000 windows) it grows as they do (a rough measure: a transformer's layers
    and a tcn's levels, which change there too, are not counted)."""
    recipe = zoo_settings(model, n_windows, lookback, period, sized_for)
    params = recipe["params"]
    width = next((params[k] for k in ("width", "hidden_size", "channels", "d_model") if k in params), 1)
    batch = recipe["batch_size"]
    return float(recipe["epochs"] * max(1, math.ceil(n_windows / batch)) * batch * width)


def zoo_settings(model: str, n_windows: int, lookback: int, period: int, sized_for: int | None = None,
                 capped: bool = True) -> dict:
    """A zoo model's recipe suited to this series: its hyperparameters and training settings, from
    how many training windows there are and how long they are. (The ETTh1 recipes of
    bench/forecast_ett.py, scaled down for short series: smaller models, smaller batches, more epochs.)

    `sized_for`: the training windows the model's size and batch are chosen for, when they are not
    this fit's own. A board sizes every fit of a model for its test fit (candidates.Zoo), so that
    validation scores the model the test part is forecast with: sized per fit, a series whose fits
    straddle 2,000 or 50,000 windows would be ranked on a smaller model than the one it ships. The
    epochs always come from this fit's windows: about 1,500 optimisation steps for each fit, fewer where
    the epoch cap binds (a small fold with the test fit's larger batch). On the hosted demo (unless not
    `capped`), at most its cap on epochs, the patience kept to it: a board's fits and the Forecast page's
    offer of this recipe alike (a demo board's linear trained 200 epochs, and its pick's spec, which "Train
    the pick on its own" hands to the form, was refused by that cap)."""
    from zoo import demo

    sized_for = n_windows if sized_for is None else sized_for
    small = sized_for < 2000
    batch = 32 if small else 128 if sized_for < 50_000 else 512
    steps_per_epoch = max(1, math.ceil(n_windows / batch))
    # About 1,500 optimisation steps, early stopping permitting: a short series' few windows need
    # many epochs (up to 200 for the cheap linear models, 100 for the others).
    epochs = int(min(200 if model in ("linear", "mlp") else 100, max(4, math.ceil(1500 / steps_per_epoch))))
    caps = demo.caps() if capped else None
    if caps is not None:
        epochs = min(epochs, caps.epochs)
    patch = 1
    if lookback >= 32:
        patch = period if 2 <= period <= lookback // 4 and lookback / period <= 32 else max(1, round(lookback / 16))
    tokens = math.ceil(lookback / patch)
    width = 32 if small else 64
    params = {
        "linear": {"variant": "nlinear"},
        "mlp": {"depth": 2, "width": 64 if small else 256, "dropout": 0.3, "window_norm": "last"},
        "rnn": {"hidden_size": width, "window_norm": "last", "patch": patch},
        "lstm": {"hidden_size": width, "window_norm": "last", "patch": patch},
        "gru": {"hidden_size": width, "window_norm": "last", "patch": patch},
        "tcn": {"channels": width, "levels": int(min(8, max(1, math.ceil(math.log2(tokens / 2 + 1))))),
                "kernel_size": 3, "window_norm": "revin", "patch": patch},
        "transformer": {"d_model": width, "heads": 4, "layers": 1 if small else 2, "dim_feedforward": 2 * width,
                        "pooling": "last", "window_norm": "last", "patch": patch},
    }.get(model)
    if params is None:   # a model registered later: its defaults, with the series options it declares
        from zoo.registry import get_model

        declared = {h.name for h in get_model(model).hparams("series")}
        params = {k: v for k, v in {"window_norm": "last", "patch": patch}.items() if k in declared}
    return {"params": params, "batch_size": batch, "epochs": epochs, "patience": max(3, epochs // 5),
            "lr": 3e-3 if model == "linear" else 1e-3, "schedule": "cosine"}
