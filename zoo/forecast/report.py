"""A trained model's forecast report: its test scores next to every baseline's, its backtest over
the test windows, split-conformal intervals from the validation windows, and the forecast after
the series; `report_after_fit` is the task table's step after training a series model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from zoo.data.series import WindowedSeries

from zoo.forecast.baselines import BASELINES, STREAM_ROWS, baseline_prediction, detect_period
from zoo.forecast.scores import (LEVELS, calibration_count, conformal_intervals, filled_actuals_note, interval_coverage,
                                 interval_floor, interval_left_out, lower_bound, metrics, min_calibration_windows)


# ---------------------------------------------------------------------------------------------
# evaluation of a trained model


# A model's test RMSE must be more than this share below a baseline's to beat it; within it either way they tie.
# A model that learned nothing (best epoch 1, test MASE 1.5) beat the naive forecast by 0.3% and read as a
# success (a forecast user's check); a model equal to a baseline up to float32 rounding beat it by 1e-7.
TIE = 0.01


def compare_rmse(mine: float | None, theirs: float | None) -> str:
    """'beats', 'ties' or 'loses': the model's test RMSE against a baseline's, by TIE (the one rule; the page
    applies it again to a stored run's RMSEs, so a run saved under another margin reads as a new one)."""
    if mine is None or not math.isfinite(mine):
        return "loses"
    if theirs is None or not math.isfinite(theirs) or mine < theirs * (1 - TIE):
        return "beats"
    return "ties" if mine <= theirs * (1 + TIE) else "loses"


@dataclass
class ForecastReport:
    """A trained model's test metrics next to the baselines', its backtest and its forecast."""

    metrics: dict                 # METRIC_KEYS -> float or None (model, test split)
    baselines: dict               # baseline name -> metrics dict with the same keys
    beats: dict                   # baseline name -> bool: model RMSE (original scale) below the baseline's by TIE
    season: int                   # period used by seasonal naive and MASE
    halfwidths: dict              # level -> (H,) half-widths of the future forecast, original scale (NaN: too
                                  #   few validation windows for that level, see conformal_intervals)
    coverage: dict                # level -> share of test actuals inside their intervals (NaN: no interval)
    backtest: pd.DataFrame        # long: time, step (1..H), actual, predicted, origin, lower_80 ... upper_95,
                                  #   baseline_<name> for each baseline (all original scale)
    forecast: pd.DataFrame        # date, forecast, lower_80, upper_80, lower_95, upper_95
    interval_method: str = "scaled"          # "scaled" or "plain" (see evaluate_forecast)
    interval_quantiles: dict = field(default_factory=dict)  # level -> (H,) conformal quantiles of the score
    calibration_windows: int = 0            # validation windows the intervals are calibrated on
    val_metrics: dict = field(default_factory=dict)
    test_pred: np.ndarray | None = None     # (N, H) original scale
    history: pd.Series | None = None        # the target before the forecast, for plotting
    notes: list[str] = field(default_factory=list)       # about the evaluation (period, intervals, MAPE)
    data_notes: list[str] = field(default_factory=list)  # what reading the CSV found and fixed

    def backtest_step(self, step: int) -> pd.DataFrame:
        """Actual vs predicted (and the baselines) at horizon step `step` (1..H), one row per test window,
        in time order: what the backtest plot draws."""
        part = self.backtest[self.backtest["step"] == int(step)]
        cols = ["time", "actual", "predicted"] + [c for c in part.columns if c.startswith("baseline_")]
        return part[cols].reset_index(drop=True)

    def summary_extra(self) -> dict:
        """What the engine adds to result.json next to "metrics": baselines, beats, coverage, ..."""
        out = self.to_dict()
        out.pop("metrics")
        return out

    def to_dict(self) -> dict:
        """JSON-ready summary for result.json and the CLI's --json line."""
        return {
            "metrics": dict(self.metrics),
            "baselines": {k: dict(v) for k, v in self.baselines.items()},
            "beats": dict(self.beats),
            "season": self.season,
            "coverage": {f"{int(round(lv * 100))}": _none_if_nan(c) for lv, c in self.coverage.items()},
            "intervals": self.interval_method,
            "forecast_halfwidth_mean": {f"{int(round(lv * 100))}": _none_if_nan(float(np.mean(h)))
                                        for lv, h in self.halfwidths.items()},
            "interval_windows": {"validation": self.calibration_windows,
                                 "needed": {f"{int(round(lv * 100))}": min_calibration_windows(lv)
                                            for lv in self.halfwidths}},
            "val_metrics": dict(self.val_metrics),
            "notes": list(self.notes),
            "data_notes": list(self.data_notes),
        }


def _none_if_nan(v):
    return None if v is None or not math.isfinite(v) else float(v)


def predict(model, x: np.ndarray, device="cpu", batch_size: int = 1024) -> np.ndarray:
    """A torch model's (N, H) float32 outputs for normalised inputs (N, L, C), in eval mode, without gradients."""
    import torch

    params = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
    dev = params.device if params is not None else torch.device(device)
    dtype = params.dtype if params is not None and params.is_floating_point() else torch.float32
    was_training = getattr(model, "training", False)
    model.eval()
    out = None
    try:
        with torch.no_grad():
            for i in range(0, len(x), batch_size):   # a batch at a time: `x` may be a view of a long series
                # A copy of the batch: `x` is a read-only view, which torch warns about sharing.
                xb = torch.as_tensor(np.array(x[i:i + batch_size]), dtype=dtype, device=dev)
                yb = model(xb).detach().float().cpu().numpy().reshape(len(xb), -1)
                if out is None:   # float32, as the model gives them: a float64 copy would only add memory
                    out = np.empty((len(x), yb.shape[1]), np.float32)
                out[i:i + len(yb)] = yb
    finally:
        if was_training:
            model.train()
    return np.zeros((0, 0)) if out is None else out


INTERVAL_METHODS = ("scaled", "plain")


def window_scale(ws: WindowedSeries, x: np.ndarray) -> np.ndarray:
    """Each window's spread: the std of its target values on the original scale (floored above 0).

    Dividing residuals by it makes the conformal score adapt to how volatile the recent past is,
    which keeps coverage near nominal when the test period is calmer or wilder than validation.
    """
    c = ws.target_channel
    s = np.empty(len(x))
    for i in range(0, len(x), STREAM_ROWS):   # in batches: `x` is a view, and a float64 copy of it all is large
        s[i:i + STREAM_ROWS] = np.asarray(x[i:i + STREAM_ROWS, :, c], np.float64).std(axis=1)
    s *= float(ws.std[c])
    floor = 0.01 * float(ws.std[c])
    return np.maximum(s, floor if floor > 0 else 1e-12)


def evaluate_forecast(model, ws: WindowedSeries, device="cpu", *, season: int = 0, intervals: str = "scaled",
                      batch_size: int = 1024) -> ForecastReport:
    """Score a trained model (N, L, C) -> (N, H) on the test windows against every baseline, with
    conformal intervals from the validation windows and the forecast after the last row.

    `season` (> 0) fixes the seasonal period; 0 uses `ws.season` (the spec's), else detects it.
    `intervals`: "scaled" (default) calibrates |residual| / window_scale per horizon step, so each
    window's interval is its quantile times its own spread; "plain" calibrates |residual| itself
    (one half-width per step for every window). Both are split-conformal on the validation windows.
    """
    if intervals not in INTERVAL_METHODS:
        raise ValueError(f"intervals must be one of {INTERVAL_METHODS}, not {intervals!r}")
    H = ws.horizon
    notes = list(ws.notes)
    season = int(season or ws.season or 0)
    period = detect_period(ws, season=season)
    if season > 0:
        notes.append(f"seasonal period {period} (set by the user).")
    else:
        notes.append(f"seasonal period {period} (detected from the autocorrelation of the training target)."
                     if period > 1 else "no seasonal period detected; seasonal naive repeats the last value.")
    train_target = ws.sf.actual_target()[:ws.split_rows[0]]   # MASE's scale, over the values the file held

    # The actual targets are views of the series (WindowedSeries.actual_targets). The baselines are
    # scored first, one at a time; then the model's test predictions are made to the original scale
    # once and kept (the report returns them), its validation ones only as the conformal scores.
    # Every sum over a whole split is taken a block at a time (scores.py). So a 200,000-window test
    # split holds about two copies of itself at most (BENCHMARKS.md, "Long series").
    val_true, test_true = ws.actual_targets("val"), ws.actual_targets("test")
    actual = {"val": val_true, "test": test_true}
    if note := filled_actuals_note(ws.sf.filled, ws.val_starts, ws.test_starts, H):
        notes.append(note)

    def score(pred_norm, split, pred=None):
        _, y_norm, _ = ws.split(split)
        return metrics(actual[split], pred, y_true_norm=y_norm, y_pred_norm=pred_norm, train_target=train_target,
                       season=period, to_original=ws.inverse_target)

    baselines, baseline_test = {}, {}
    keep = backtest_sample(len(ws.test_starts))
    if len(keep) < len(ws.test_starts):   # said where the file is read too: its scores, recomputed, had differed
        # from the run's with no word why (a researcher's check)
        notes.append(f"backtest.csv keeps {len(keep):,} of the {len(ws.test_starts):,} test windows, evenly spaced "
                     "(the first and the last among them); the scores cover every one.")
    for name in BASELINES:   # one at a time, each kept only at the windows backtest.csv holds
        pred = baseline_prediction(ws, name, "test", period=period)
        baselines[name] = score(pred, "test")
        baseline_test[name] = ws.inverse_target(pred[keep])
        del pred

    val_norm = predict(model, ws.x_val, device, batch_size).reshape(len(ws.x_val), H)
    test_norm = predict(model, ws.x_test, device, batch_size).reshape(len(ws.x_test), H)
    last_norm = predict(model, ws.last_window, device).reshape(1, H)[0]
    test_pred = ws.inverse_target(test_norm)
    model_metrics = score(test_norm, "test", test_pred)
    val_metrics = score(val_norm, "val")
    del test_norm
    notes += [f"model: {n}" for n in model_metrics.notes]
    beats = {}
    for name in BASELINES:
        beats[name] = compare_rmse(model_metrics["rmse"], baselines[name]["rmse"]) == "beats"

    # Intervals: split-conformal on the validation windows' residuals, per horizon step.
    point = ws.inverse_target(last_norm)
    if intervals == "scaled":
        s_val, s_test, s_last = (window_scale(ws, x) for x in (ws.x_val, ws.x_test, ws.last_window))
        notes.append("intervals: split-conformal on validation residuals divided by each window's spread "
                     "(std of its input target), per horizon step.")
    else:
        s_val, s_test, s_last = np.ones(len(val_norm)), np.ones(len(test_pred)), np.ones(1)
        notes.append("intervals: split-conformal on absolute validation residuals, per horizon step.")
    quantiles: dict[float, np.ndarray] = {}
    if np.isfinite(val_norm).all() and np.isfinite(test_pred).all() and np.isfinite(point).all():
        scores = ws.inverse_target(val_norm)   # the validation predictions, turned into scores in place
        np.subtract(val_true, scores, out=scores)
        scores /= s_val[:, None]
        quantiles = conformal_intervals(scores, LEVELS, overwrite_input=True)
        del scores
    del val_norm
    quantiles = {lv: quantiles.get(lv, np.full(H, np.nan)) for lv in LEVELS}
    coverage = {lv: interval_coverage(test_true, test_pred, q, scale=s_test) if np.isfinite(q).all()
                else float("nan") for lv, q in quantiles.items()}
    halfwidths = {lv: q * float(s_last[0]) for lv, q in quantiles.items()}
    n_val = calibration_count(val_true)   # every window, but for filled-in actuals at a step (scores.py)
    notes += [note for lv in LEVELS if (note := interval_left_out(lv, n_val, H))]

    kept_bands = {lv: q[None, :] * s_test[keep, None] for lv, q in quantiles.items()}
    backtest = _backtest_frame(ws, test_true, test_pred, baseline_test, kept_bands, keep)
    forecast = _forecast_frame(ws, point, halfwidths)
    history_rows = min(len(ws.sf.frame), max(5 * H, ws.lookback, 200))
    history = ws.sf.frame[ws.sf.target].iloc[-history_rows:]
    return ForecastReport(metrics=model_metrics, baselines=baselines, beats=beats, season=period,
                          halfwidths=halfwidths, coverage=coverage, backtest=backtest, forecast=forecast,
                          interval_method=intervals, interval_quantiles=quantiles, calibration_windows=n_val,
                          val_metrics=val_metrics, test_pred=test_pred, history=history,
                          notes=notes, data_notes=list(ws.sf.notes))


MAX_BACKTEST_ORIGINS = 2000   # backtest.csv holds at most this many test windows (x H rows)


def backtest_sample(n: int, limit: int = MAX_BACKTEST_ORIGINS) -> np.ndarray:
    """Which of n test windows backtest.csv keeps: all of them up to `limit`, else `limit` evenly
    spaced ones, the first and the last included. The metrics are computed on every window; the
    file is what the page plots and a person downloads, and 200,000 windows x 24 steps would be
    a 900 MB CSV."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


def _backtest_frame(ws: WindowedSeries, actual: np.ndarray, predicted: np.ndarray,
                    baselines: dict[str, np.ndarray], bands: dict[float, np.ndarray], keep: np.ndarray) -> pd.DataFrame:
    """One row per test window and horizon step, for the windows `keep` (backtest_sample: at most
    MAX_BACKTEST_ORIGINS); `baselines` and `bands` are already at those windows. `origin` is the
    last input time of the window."""
    starts = ws.test_starts[keep]
    actual, predicted = actual[keep], predicted[keep]
    N, H = actual.shape
    index = ws.sf.frame.index
    rows = (starts[:, None] + np.arange(H)[None, :]).ravel()
    frame = pd.DataFrame({
        "time": np.asarray(index[rows]),
        "step": np.tile(np.arange(1, H + 1), N),
        "actual": actual.ravel(),
        "predicted": predicted.ravel(),
        "origin": np.asarray(index[np.repeat(starts - 1, H)]),
    })
    floor = interval_floor(ws.sf.actual_target())
    for lv, hw in bands.items():
        pct = int(round(lv * 100))
        frame[f"lower_{pct}"] = lower_bound(predicted, hw, floor).ravel()
        frame[f"upper_{pct}"] = (predicted + hw).ravel()
    for name, pred in baselines.items():
        frame[f"baseline_{name}"] = pred.ravel()
    return _round_to_carried_digits(frame, ws, [c for c in frame if c not in ("time", "step", "actual", "origin")])


def round_to_float32_resolution(frame: pd.DataFrame, columns: list[str], center: float, scale: float) -> pd.DataFrame:
    """Round `columns`, values made on a normalised scale z = (value - center) / scale in float32 (a model's, the
    baselines', their bands), to the decimals that carries: a float32 z between 2^e and 2^(e+1) is exact to
    2^(e-23), so a column is exact to scale x 2^(e-23) at its largest |z| (a trending test part reaches
    |z| > 2). The digits below that are rounding noise a CSV should not show (a naive forecast of 26635
    written as 26635.00004548139): each column is rounded to the finest power of ten at or above it, so a
    value moves by less than five float32 steps of its column, far below what any forecast can tell."""
    for column in columns:
        decimals = float32_decimals(frame[column].to_numpy(dtype=np.float64), center, scale)
        if decimals is not None:
            frame[column] = frame[column].round(decimals)
    return frame


def float32_decimals(values: np.ndarray, center: float, scale: float) -> int | None:
    """The decimals `round_to_float32_resolution` keeps of `values`; None when there is nothing to round."""
    finite = values[np.isfinite(values)]
    if not len(finite) or not (np.isfinite(scale) and scale > 0):
        return None
    largest = float(np.max(np.abs(finite - center))) / scale
    exponent = np.floor(np.log2(largest)) if largest > 0 else -126
    return max(0, int(np.floor(-np.log10(scale * 2.0 ** (exponent - 23)))))


def _round_to_carried_digits(frame: pd.DataFrame, ws: WindowedSeries, columns: list[str]) -> pd.DataFrame:
    c = ws.target_channel
    return round_to_float32_resolution(frame, columns, float(ws.mean[c]), float(ws.std[c]))


def _forecast_frame(ws: WindowedSeries, point: np.ndarray, halfwidths: dict) -> pd.DataFrame:
    frame = pd.DataFrame({"date": ws.sf.future_index(ws.horizon), "forecast": point})
    floor = interval_floor(ws.sf.actual_target())
    for lv in LEVELS:
        hw = halfwidths.get(float(lv), np.full(ws.horizon, np.nan))
        pct = int(round(lv * 100))
        frame[f"lower_{pct}"] = lower_bound(point, hw, floor)
        frame[f"upper_{pct}"] = point + hw
    frame = frame[["date", "forecast", "lower_80", "upper_80", "lower_95", "upper_95"]].reset_index(drop=True)
    return _round_to_carried_digits(frame, ws, ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"])


# ---------------------------------------------------------------------------------------------
# after training (the task table's `after_fit` for series)


def report_after_fit(result, data, writer) -> dict:
    """Score a freshly trained series model against the baselines, write backtest.csv and
    forecast.csv into its run directory (zoo/runs.py), and return what result.json adds."""
    report = evaluate_forecast(result.model, data.extra["windows"], device=result.device)
    clock = data.extra["windows"].sf.utc_offset
    writer.write_table("backtest", report.backtest, utc_offset=clock)
    writer.write_table("forecast", report.forecast, utc_offset=clock)
    result.test_metrics = report.metrics
    # the column forecast, as a board's result says it (Run.command names it where the reader picked it)
    return {"target": data.extra["windows"].sf.target, **report.summary_extra()}
