"""The scores a leaderboard gives every candidate alike (zoo/leaderboard/board.py runs them): MAE and
MASE on the validation origins and the test's, sMAPE, and the split-conformal intervals calibrated on
the validation origins with the coverage they give on the test's. Nothing here reads the test part to
choose anything: the test scores are shown beside each candidate.
"""
from __future__ import annotations

import numpy as np

from zoo.forecast.scores import (LEVELS, conformal_intervals, interval_coverage, mean_size, seasonal_scale,
                                 smape_ratios)


def mae(actual: np.ndarray, pred: np.ndarray) -> float | None:
    """Over the real actuals: NaN, filled in and not in the file (SeriesFrame.actual_target), is left out."""
    if pred.size == 0 or not np.isfinite(pred).all():
        return None
    real = np.isfinite(actual)
    return float(np.mean(np.abs(actual - pred)[real])) if real.any() else None


def smape(actual, pred, size: float) -> float | None:
    """sMAPE (%) of `pred` against the finite `actual` values; `size`: the series' mean |value| (scores.smape_ratios)."""
    if pred.size == 0 or not np.isfinite(pred).all():
        return None
    real = np.isfinite(actual)
    if not real.any():
        return None
    actual, pred = actual[real], np.broadcast_to(pred, real.shape)[real]
    return float(100 * np.mean(smape_ratios(actual, pred, size)))


def level_before(y: np.ndarray, origins: np.ndarray, lookback: int) -> np.ndarray:
    """The mean |value| of the `lookback` rows before each origin (fewer at the very start). One
    origin at a time: a board scores at most MAX_VAL_ORIGINS + MAX_TEST_ORIGINS of them, and a
    cumulative sum would copy a 1,000,000-row series twice."""
    return np.array([np.abs(y[max(0, int(t) - lookback):int(t)]).mean() if t > 0 else 0.0 for t in origins])


class Scorer:
    """Actuals and scales of the validation and test origins, the same for every candidate."""

    def __init__(self, y: np.ndarray, plan, actual: np.ndarray | None = None):
        """`y` as the models see it; `actual`, the same rows with NaN where the target was filled in
        (SeriesFrame.actual_target), is what forecasts are scored against: those are left out."""
        H = plan.horizon
        self.y, self.plan = y, plan
        actual = y if actual is None else actual
        self.val_actual = actual[plan.val_origins[:, None] + np.arange(H)]
        self.test_actual = actual[plan.test_origins[:, None] + np.arange(H)]
        self.val_scale = seasonal_scale(actual[:plan.val_start], plan.period)
        self.test_scale = seasonal_scale(actual[:plan.test_start], plan.period)
        self.size = mean_size(actual[:plan.test_start])
        # The conformal score is |residual| per horizon step over the level before the origin (the
        # mean value of the lookback before it), on a series above 0 before the test part: an
        # interval is then a share of the level, as a growing series' errors are. Over the 26
        # development series of bench/coverage_dev.py the pick's 80% interval covered 79.1% of the
        # test actuals on average with it, 66.0% with the plain |residual| (the score before),
        # which stays for series that reach 0 or below. (Over the std of the lookback instead, as
        # zoo.forecast.window_scale does for one model's report, over-covered on validation:
        # BENCHMARKS.md.)
        self.val_spread = np.ones(len(plan.val_origins))
        self.test_spread = np.ones(len(plan.test_origins))
        self.last_spread = 1.0
        self.intervals = "split-conformal over the validation origins: the quantile of |residual| per horizon step"
        # Decided on the rows before the test part alone (so are the validation levels, all above 0
        # then); a test origin's level is what its lookback holds, 0 after a lookback of zeros (a
        # zero-width interval there), and never changes the score the others get.
        if (y[:plan.test_start] > 0).all():
            levels = level_before(y, np.concatenate([plan.val_origins, plan.test_origins, [len(y)]]), plan.lookback)
            n_val = len(plan.val_origins)
            self.val_spread, self.test_spread = levels[:n_val], levels[n_val:-1]
            self.last_spread = float(levels[-1])
            self.intervals = ("split-conformal over the validation origins: the quantile per horizon step of "
                              "|residual| / the mean value of the lookback before the origin, times that mean "
                              "before each forecast")

    def row(self, val_pred: np.ndarray, test_pred: np.ndarray | None, calibration: np.ndarray | None = None) -> dict:
        """Scores on validation and test; the intervals are calibrated on `calibration` (the validation
        forecasts of what forecasts the test part), `val_pred` when not given."""
        out = {"val_mae": mae(self.val_actual, val_pred)}
        out["val_mase"] = None if out["val_mae"] is None or not self.val_scale else out["val_mae"] / self.val_scale
        if test_pred is not None:
            out["test_mae"] = mae(self.test_actual, test_pred)
            out["test_mase"] = (None if out["test_mae"] is None or not self.test_scale
                                else out["test_mae"] / self.test_scale)
            out["test_smape"] = smape(self.test_actual, test_pred, self.size)
            quantiles = self.quantiles(val_pred if calibration is None else calibration)
            for level, q in quantiles.items():
                # No interval at this level (NaN half-widths: too few validation origins to calibrate
                # it, see conformal_intervals) is no coverage, not a coverage of 0%.
                covered = interval_coverage(self.test_actual, test_pred, q, scale=self.test_spread) if finite(q) \
                    else None   # and none where every test actual was filled in (NaN is no JSON)
                pct = int(round(level * 100))
                out[f"coverage_{pct}"] = covered if covered is None or np.isfinite(covered) else None
        return out

    def quantiles(self, val_pred: np.ndarray) -> dict:
        """Split-conformal quantiles per horizon step of |residual| over the validation origins."""
        if not np.isfinite(val_pred).all():
            return {lv: None for lv in LEVELS}
        return conformal_intervals((self.val_actual - val_pred) / self.val_spread[:, None], LEVELS)


def finite(halfwidths: np.ndarray | None) -> bool:
    return halfwidths is not None and bool(np.isfinite(halfwidths).all())


CLEARLY_BETTER = 0.9   # a baseline's test MASE under this share of the pick's is said (baseline_beat_the_pick)


def baseline_beat_the_pick(result: dict) -> str | None:
    """A sentence where a baseline's test MASE is below the pick's: the pick is chosen on validation alone, and
    a simple forecast winning the test part is worth knowing before trusting it. None otherwise. A board whose pick
    (fitted on one spike) scored 0.651 on the test part beside the naive forecast's 0.126 said nothing of it (a
    forecast user's check). The page and forecast-auto say it alike."""
    from zoo.leaderboard.plan import FEW_TEST_ORIGINS

    if ((result.get("plan") or {}).get("test_origins") or 0) < FEW_TEST_ORIGINS:
        return None   # the plan's notes say its test scores are too few to tell models apart by (a review)
    pick = result.get("pick") or {}
    mine = pick.get("test_mase")
    baselines = [r for r in result.get("board") or () if r.get("kind") == "baseline"
                 and r.get("name") != pick.get("name") and r.get("test_mase") is not None
                 and np.isfinite(r["test_mase"])]
    if mine is None or not np.isfinite(mine) or not baselines:
        return None
    best = min(baselines, key=lambda r: r["test_mase"])
    if best["test_mase"] >= CLEARLY_BETTER * mine:   # a few hundredths either way is the test part's noise
        return None
    from zoo.leaderboard.candidates import all_candidates

    label = next((c.label for c in all_candidates() if c.name == best["name"]), best["name"])
    return (f"on the test part, the baseline {label} (test MASE {best['test_mase']:.3f}) "
            f"did better than the pick ({mine:.3f}), which was chosen on validation alone: look at the notes on the "
            "data and the pick's backtest before trusting its forecast.")
