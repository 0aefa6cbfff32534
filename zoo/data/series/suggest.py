"""`suggest_windows`: a lookback and a horizon that suit a series, instead of one default for every
file (96 and 24 refuse a 150-row yearly file and give weekly CO2 a 24-week horizon).

The horizon is one season where the series has one (24 hours, 12 months, 52 weeks), else a quarter
of the test rows; the lookback is four horizons (ETTh1's usual 96 hours for a horizon of 24) and
at least two seasons. Both are then cut to what the split holds: every split gets a window, the
validation part gets the windows an 80% interval needs where it is long enough for them
(zoo/forecast/scores.py, `min_calibration_windows`), and training keeps a third of its windows.
"""
from __future__ import annotations

from zoo.data.series.frame import SeriesFrame
from zoo.data.series.windows import parse_split
from zoo.registry import SpecError
from zoo.spec import setting

LOOKBACK_HORIZONS = 4        # lookback = this many horizons
TEST_SHARE_DIVISOR = 4       # without a season: horizon = test rows / this
MAX_PLAIN_HORIZON = 48       # without a season, further ahead is mostly the trend: no more than this
MIN_TRAIN_SHARE = 3          # the lookback leaves at least 1/this of the training windows there could be


def _limits() -> tuple[int, int]:
    """The largest lookback and horizon the form offers (their declarations in zoo/spec.py)."""
    return int(setting("lookback").high), int(setting("horizon").high)


def suggest_windows(sf: SeriesFrame, split: str = "0.7,0.1,0.2", *, season: int = 0,
                    horizon: int | None = None) -> dict:
    """A lookback and horizon for this series and split, with why, in one line; a lookback for `horizon`
    where it is given (set by the person: taken as it is, the check says if it does not fit).

    Returns {"lookback", "horizon", "season" (the period used, 1 for none), "windows" ({"train",
    "val", "test"}: how many each split gets), "reason"}. The setting always makes at least one
    window in every split; raises SpecError when the split leaves a part without rows."""
    from zoo.forecast.baselines import detect_period
    from zoo.forecast.scores import min_calibration_windows

    n = len(sf)
    a, b, end = parse_split(split, n)
    val_rows, test_rows = b - a, end - b
    if a < 2 or val_rows < 1 or test_rows < 1:
        raise SpecError(f"split {split!r} leaves {a} training, {val_rows} validation and {test_rows} test rows of "
                        f"{n}; every part needs rows (training two), so use a longer series or other shares.")
    lookback_high, horizon_high = _limits()
    period = detect_period(sf.frame[sf.target].to_numpy(float)[:a], sf.freq, season=season)
    need = min_calibration_windows(0.8)

    # The horizon: one season, or a share of the test part; then what each part can hold.
    wanted = period if period > 1 else min(max(1, round(test_rows / TEST_SHARE_DIVISOR)), MAX_PLAIN_HORIZON)
    caps = {"test": test_rows, "validation": val_rows - need + 1 if val_rows >= need else val_rows,
            "training": a - 1, "form": horizon_high}
    limit = min(caps, key=caps.get)
    given = horizon is not None
    horizon = max(1, int(horizon)) if given else max(1, min(wanted, caps[limit]))

    # The lookback: a few horizons, two seasons at least, leaving training windows and memory.
    lookback = max(LOOKBACK_HORIZONS * horizon, 2 * period if period > 1 else 1)
    # ...and at least the windows a model needs to learn from where the rows allow (zoo/verdict.FEW_TRAIN_WINDOWS:
    # a suggested lookback 21 left 9, and the page warned of its own choice: a browser check)
    from zoo.verdict import FEW_TRAIN_WINDOWS

    most = a - horizon + 1 - max(1, (a - horizon) // MIN_TRAIN_SHARE, min(FEW_TRAIN_WINDOWS, a - horizon))
    lookback = max(1, min(lookback, most, lookback_high))
    # No cap for memory here: the windows are views of the series (zoo/data/series/windows.py), so the lookback adds
    # no memory. A cap on windows x (lookback + horizon), from before they were, cut a 1,000,000-row hourly series'
    # lookback to 1 beside a horizon of 168 (found beside a forecast user's check).

    windows = {"train": a - horizon + 1 - lookback, "val": val_rows - horizon + 1, "test": test_rows - horizon + 1}
    calibrating = windows["val"]
    if sf.filled is not None and windows["val"] > 0:
        # The intervals are calibrated at each step on the windows whose actual there is in the file
        # (forecast/scores.calibration_count): the page said "68 validation windows calibrate" of a run calibrated
        # on 67, one actual filled in (a forecast user's check).
        from numpy.lib.stride_tricks import sliding_window_view

        from zoo.forecast.scores import calibration_count

        calibrating = calibration_count(sliding_window_view(sf.actual_target()[a:b], horizon))
    return {"lookback": lookback, "horizon": horizon, "season": period, "windows": windows,
            "reason": _reason(period, wanted, horizon, limit, lookback, test_rows, calibrating, need, given,
                              for_interval=limit == "validation" and val_rows >= need)}


def _reason(period, wanted, horizon, limit, lookback, test_rows, val_windows, need, given=False,
            for_interval=False) -> str:
    """`for_interval`: the horizon is held to leave the validation windows an 80% interval is calibrated on
    (a longer one still fits: "one season (4) is more than the validation part allows" read as if horizon 4
    could not be set on 40 quarterly rows, where it makes one validation window: a forecast user's check)."""
    from zoo.forecast.scores import LEVELS, min_calibration_windows

    if given:
        why = f"horizon {horizon}: as set"
    elif period > 1:
        why = (f"horizon {horizon}: one season" if horizon == wanted else
               f"horizon {horizon}: one season ({period}) would leave fewer than the {need} validation windows an 80% "
               "interval needs" if for_interval else
               f"horizon {horizon}: one season ({period}) is more than the {limit} part allows")
    else:
        why = (f"no season found, so horizon {horizon}: a quarter of the {test_rows:,} test rows" if horizon == wanted
               else f"no season found; horizon {horizon}: the longest that leaves the {need} validation windows an "
                    "80% interval needs" if for_interval else
               f"no season found; horizon {horizon}: as much as the {limit} part allows")
    if lookback == LOOKBACK_HORIZONS * horizon:
        back = f"lookback {lookback}: {LOOKBACK_HORIZONS} horizons"
    elif period > 1 and lookback == 2 * period:
        back = f"lookback {lookback}: two seasons"
    else:
        back = f"lookback {lookback}: as long as the training part allows"
    top = max(LEVELS)
    if val_windows >= min_calibration_windows(top):
        calib = f"{val_windows:,} validation windows calibrate the 80% and {top:.0%} intervals"
    elif val_windows >= need:
        calib = (f"{val_windows:,} validation windows calibrate the 80% interval (the {top:.0%} one needs "
                 f"{min_calibration_windows(top)})")
    else:
        calib = f"{val_windows:,} validation window(s): too few for an 80% interval (it needs {need})"
    return f"{why}; {back}; {calib}."
