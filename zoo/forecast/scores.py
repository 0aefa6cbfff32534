"""Scores of a forecast: the metrics (MSE and MAE normalised, MAE, RMSE, MAPE, sMAPE, MASE on the
original scale) and split-conformal intervals (their half-widths and the coverage they give).
"""
from __future__ import annotations

import math

import numpy as np


METRIC_KEYS = ("mse_norm", "mae_norm", "mae", "rmse", "mape", "smape", "mase")
LEVELS = (0.8, 0.95)


# ---------------------------------------------------------------------------------------------
# metrics


class Metrics(dict):
    """The metric dict (keys METRIC_KEYS), with `.notes`: why a value is None, what MAPE skipped."""

    def __init__(self, *args, notes: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.notes = list(notes or [])


def seasonal_scale(train_target, season: int) -> float | None:
    """In-sample MAE of the seasonal naive forecast on the training target (MASE's denominator), over the
    pairs of values the file held: a NaN (a value filled in, SeriesFrame.actual_target) leaves out its pairs.
    The filled-in values' steps had counted, which are not the series' own: 10 days filled in a daily
    series' training part moved its scale from 1.15 to 1.55 (tests/test_cli.py, a gap in the training part)."""
    y = np.asarray(train_target, dtype=np.float64).ravel()
    m = int(season) if season and season > 0 else 1
    if m >= len(y):
        m = 1
    if len(y) <= m:
        return None
    steps = np.abs(y[m:] - y[:-m])
    steps = steps[~np.isnan(steps)]
    if not len(steps):
        return None
    scale = float(np.mean(steps))
    return scale if scale > 0 and math.isfinite(scale) else None


# A forecast and an actual both this close to 0, as a share of the series' mean size, are sMAPE's 0/0: counted 0, as
# an exact 0 beside an exact 0 is. The baselines' copies of a 0 come back from the float32 normalised series
# (WindowedSeries.z) as about 1e-8, and each such point had counted 200%: naive's sMAPE read 173.8 where it is 102.75
# on an intermittent series, the worst entry for the best (a numbers check). float32 keeps 7 digits: 1e-6 is above
# its round-off and below any value a file writes beside its series' others.
SMAPE_ZERO = 1e-6


def smape_ratios(actual: np.ndarray, pred: np.ndarray, size: float) -> np.ndarray:
    """2|actual - pred| / (|actual| + |pred|) per point; 0 where both are within SMAPE_ZERO * `size` (the series'
    mean |value| on its training rows) of 0."""
    denom = np.abs(actual) + np.abs(pred)
    return np.divide(2.0 * np.abs(actual - pred), denom, out=np.zeros_like(denom),
                     where=denom > SMAPE_ZERO * size if np.isfinite(size) else denom > 0)


def mean_size(values) -> float:
    """The mean |value| of a series' finite values (0 when it has none): what SMAPE_ZERO is a share of."""
    values = np.abs(np.asarray(values, dtype=np.float64))
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else 0.0


def interval_floor(series) -> float | None:
    """0 for a series that reaches 0 and never goes below (counts, sales, demand: a day without any), else None: the
    floor its intervals' lower bounds keep to (`lower_bound`). A board of daily counts of 0 to 5 had a 95% interval
    down to -2.5 units every day (a forecast user's check). A series merely above 0 so far (a temperature in a warm
    spell) keeps its bands whole: it may yet go below (a review)."""
    values = np.asarray(series, dtype=np.float64)
    values = values[np.isfinite(values)]
    return 0.0 if values.size and values.min() == 0 else None


def lower_bound(point, half, floor: float | None):
    """The lower bound of the interval `point` ± `half`, kept at or above `floor` where there is one, but never above
    the point itself (a model's forecast below 0 keeps its band's lower end at the forecast). Coverage is unchanged:
    an actual at or above the floor is inside the kept band exactly where it was inside the whole one."""
    lower = point - half
    return lower if floor is None else np.maximum(lower, np.minimum(point, floor))


METRIC_BLOCK = 16_384   # windows per block: the sums are taken a block at a time, so a long test split's
                        # metrics need a few MB of temporaries, not a dozen copies of the whole split


def metrics(y_true, y_pred, *, y_true_norm, y_pred_norm, train_target, season: int = 1, to_original=None) -> Metrics:
    """MSE/MAE on the normalised scale, and MAE, RMSE, MAPE (%), sMAPE (%), MASE on the original scale.

    `y_pred` may be None with `to_original` (normalised -> original scale, e.g.
    WindowedSeries.inverse_target): each block's predictions are then made from `y_pred_norm` as
    they are scored, so a long split's baselines need no second full copy. An actual value that is NaN
    (filled in, not in the file: SeriesFrame.actual_target) is left out of every metric."""
    if y_pred is None and to_original is None:
        raise ValueError("metrics needs y_pred, or to_original to make it from y_pred_norm")
    yt, tn, pn = np.asarray(y_true), np.asarray(y_true_norm), np.asarray(y_pred_norm)
    yp = None if y_pred is None else np.asarray(y_pred)
    out = Metrics({k: None for k in METRIC_KEYS})
    if yt.size == 0:
        out.notes.append("no windows to score.")
        return out
    if not (np.isfinite(pn).all() and (yp is None or np.isfinite(yp).all())):
        out.notes.append("the predictions are not all finite (the model diverged?), so no metric is defined.")
        return out
    if yt.ndim == 1:
        yt, tn, pn = (a.reshape(-1, 1) for a in (yt, tn, pn))
        yp = None if yp is None else yp.reshape(-1, 1)
    sums = dict.fromkeys(("se_n", "ae_n", "ae", "se", "ape", "ratio", "abs_true"), 0.0)
    size = mean_size(train_target)
    nonzero_count = n = 0
    for i in range(0, len(yt), METRIC_BLOCK):
        t = yt[i:i + METRIC_BLOCK].astype(np.float64)
        p = np.asarray(to_original(pn[i:i + METRIC_BLOCK]) if yp is None else yp[i:i + METRIC_BLOCK], np.float64)
        t_n, p_n = tn[i:i + METRIC_BLOCK], pn[i:i + METRIC_BLOCK].astype(np.float64)
        real = np.isfinite(t)
        if not real.all():   # filled-in actuals: scored as if they were not there
            t, p, t_n, p_n = t[real], p[real], t_n[real], p_n[real]
        n += t.size
        err, err_n = p - t, p_n - t_n
        abs_err = np.abs(err)
        sums["se_n"] += float(np.sum(err_n * err_n))
        sums["ae_n"] += float(np.sum(np.abs(err_n)))
        sums["ae"] += float(np.sum(abs_err))
        sums["se"] += float(np.sum(err * err))
        sums["abs_true"] += float(np.sum(np.abs(t)))
        nonzero = t != 0
        nonzero_count += int(nonzero.sum())
        sums["ape"] += float(np.sum(abs_err[nonzero] / np.abs(t[nonzero])))
        sums["ratio"] += float(np.sum(smape_ratios(t, p, size)))
    if n == 0:
        out.notes.append("every actual value here was filled in (not in the file), so no metric is defined.")
        return out
    out["mse_norm"] = sums["se_n"] / n
    out["mae_norm"] = sums["ae_n"] / n
    out["mae"] = sums["ae"] / n
    out["rmse"] = float(np.sqrt(sums["se"] / n))
    skipped = n - nonzero_count
    if nonzero_count:
        out["mape"] = 100.0 * sums["ape"] / nonzero_count
        if skipped:
            out.notes.append(f"MAPE skips {skipped} of {n} actual values that are zero.")
        threshold = 1e-3 * sums["abs_true"] / n
        tiny = sum(int(np.count_nonzero((np.abs(block) < threshold) & (block != 0)))   # NaN: neither
                   for block in (yt[i:i + METRIC_BLOCK] for i in range(0, len(yt), METRIC_BLOCK)))
        if tiny:
            out.notes.append(f"{tiny} actual value(s) are close to zero and inflate MAPE; prefer sMAPE or MASE here.")
    else:
        out.notes.append("MAPE is undefined: every actual value is zero.")
    out["smape"] = 100.0 * sums["ratio"] / n
    scale = seasonal_scale(train_target, season)
    if scale is None:
        out.notes.append("MASE is undefined: the seasonal naive forecast is exact on the training target.")
    else:
        out["mase"] = float(out["mae"] / scale)
    for k in METRIC_KEYS:
        if out[k] is not None and not math.isfinite(out[k]):
            out[k] = None
            out.notes.append(f"{k} overflowed and is left undefined.")
    return out


def filled_actuals_note(filled, val_starts, test_starts, horizon: int) -> str | None:
    """Say how many of the validation and test parts' targets (the rows that windows or origins starting at
    the sorted `val_starts` and `test_starts` forecast) were filled in and left out of the scores
    (SeriesFrame.filled); None when none were."""
    if filled is None:
        return None
    counted = []
    for starts in (val_starts, test_starts):   # the rows their windows forecast (a board's origins are a sample)
        starts, rows = np.asarray(starts, np.int64), np.zeros(len(filled), bool)
        for step in range(int(horizon)):
            rows[starts[starts + step < len(filled)] + step] = True
        counted.append((int(np.count_nonzero(filled & rows)), int(np.count_nonzero(rows))))
    if not any(n for n, _ in counted):
        return None
    parts = [f"{n:,} of the {part}'s {rows:,}" for (n, rows), part in zip(counted, ("validation", "test")) if n]
    return (" and ".join(parts) + " target values forecast were not in the file (filled in with the value before "
            "them), so the "
            "forecasts' scores leave them out: the metrics, the intervals' calibration and coverage, and "
            "backtest.csv's actual column (empty there). The models still learn from them (a window needs every row); "
            + ("the validation loss counts them, since no validation target was in the file."
               if counted[0][1] and counted[0][0] == counted[0][1] else
               "the validation loss the training curves draw, and early stopping watches, leaves them out too."))


# ---------------------------------------------------------------------------------------------
# conformal intervals


def conformal_intervals(val_residuals, levels=LEVELS, *, overwrite_input: bool = False) -> dict[float, np.ndarray]:
    """Split-conformal half-widths per horizon step: the ceil((n+1)*level)/n quantile of |residuals|.

    With fewer than level/(1-level) calibration windows (`min_calibration_windows`: 4 for 80%, 19
    for 95%) that quantile is infinite: n windows cannot promise more than n/(n+1). Such a level's
    half-widths are NaN, an interval left out, not the largest residual under the level's name
    (with one window the "80%" and "95%" bands were the same and covered a third of the test). Not
    widened and relabelled either: the files and the page name their columns by level (lower_80).
    `overwrite_input`, as numpy.quantile's: a float64 array may be made absolute and sorted in place
    (a long validation split then needs no copy of it). A NaN residual (an actual filled in, not in the
    file) is left out: each step is calibrated on its own real residuals.
    """
    ordered = np.asarray(val_residuals, dtype=np.float64)
    if overwrite_input and ordered is val_residuals and ordered.flags.writeable:   # sorted in place
        np.abs(ordered, out=ordered)
    else:
        ordered = np.abs(ordered)
    if ordered.ndim == 1:
        ordered = ordered[:, None]
    n = len(ordered)
    if n == 0:
        raise ValueError("conformal calibration needs at least one validation window")
    ordered.sort(axis=0)   # NaN last
    counts = n - np.count_nonzero(np.isnan(ordered), axis=0)   # n per step, but for filled-in actuals (NaN)
    out = {}
    for level in levels:
        k = np.ceil((counts + 1) * float(level) - 1e-9).astype(np.int64)
        if not (k <= counts).all():   # conformal_is_exact at every step (its fewest: calibration_count), or no band
            out[float(level)] = np.full(ordered.shape[1], np.nan)
            continue
        out[float(level)] = ordered[k - 1, np.arange(ordered.shape[1])]
    return out


def calibration_count(actual) -> int:
    """The calibration windows an interval has at its step with the fewest real actuals (NaN: filled in, left
    out by conformal_intervals): what `interval_left_out` judges a level by."""
    actual = np.asarray(actual)
    if actual.ndim == 1:
        actual = actual[:, None]
    return int(np.isfinite(actual).sum(axis=0).min()) if actual.size else 0


def interval_left_out(level: float, n_calibration: int, horizon: int, calibrated_on: str = "validation windows",
                      more: tuple[str, ...] | None = None) -> str | None:
    """Why the `level` interval is left out (`conformal_intervals`: too few calibration windows), with what gives
    more, in one sentence; None where it is not. One sentence for a run's report and a board's pick alike."""
    from zoo.data.series.windows import larger_share
    from zoo.registry import join_or

    if conformal_is_exact(n_calibration, level):
        return None
    more = (larger_share("validation"),) if more is None else more
    return (f"the {level:.0%} interval is left out: calibrating it needs at least {min_calibration_windows(level)} "
            f"{calibrated_on} and there are {n_calibration}; use "
            + join_or([*more] + (["a shorter horizon"] if horizon > 1 else []) + ["a longer series"]) + ".")


def conformal_is_exact(n_calibration: int, level: float) -> bool:
    """Whether n calibration windows suffice for the finite-sample guarantee at `level`."""
    return math.ceil((n_calibration + 1) * level - 1e-9) <= n_calibration


def min_calibration_windows(level: float) -> int:
    """The fewest calibration windows that give a finite split-conformal interval at `level`."""
    n = max(1, math.floor(level / (1 - level)))
    while not conformal_is_exact(n, level):
        n += 1
    return n


def interval_coverage(y_true, y_pred, halfwidths, scale=None) -> float:
    """Share of actual values inside prediction +/- half-width (of the real ones: NaN, filled in, is left
    out). `halfwidths` broadcast over the
    windows (one per step, usually); `scale`, one factor per window (its spread, for scaled
    intervals), multiplies them. Counted a block of windows at a time (METRIC_BLOCK), so a long
    test split needs no (windows x steps) copies."""
    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    hw = np.asarray(halfwidths, np.float64)
    if yt.size == 0:
        return float("nan")
    if yt.ndim == 1:
        yt, yp = yt.reshape(-1, 1), yp.reshape(-1, 1)
        if hw.ndim == 1:
            hw = hw.reshape(-1, 1)
    per_window = hw.ndim == 2 and hw.shape[0] == len(yt) and len(yt) > 1
    inside = real = 0
    for i in range(0, len(yt), METRIC_BLOCK):
        block = slice(i, i + METRIC_BLOCK)
        width = hw[block] if per_window else hw
        if scale is not None:
            width = width * np.asarray(scale, np.float64)[block, None]
        actual = yt[block].astype(np.float64)
        real += int(np.count_nonzero(np.isfinite(actual)))   # a filled-in (NaN) actual is not counted
        inside += int(np.count_nonzero(np.abs(actual - yp[block]) <= width))   # NaN: never inside
    return inside / real if real else float("nan")
