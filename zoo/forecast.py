"""Baselines, metrics, backtest, conformal intervals and the future forecast for series runs.

A forecast is only worth trusting if it beats the obvious: the last value (naive), the value one
season ago (seasonal naive), the window mean, and a least-squares line through the window. They
run on exactly the test windows the model sees, and the report says plainly which ones the model
beats. Prediction intervals are split-conformal: validation residuals per horizon step (divided by
each window's spread, so they adapt to calm and volatile periods), their finite-sample quantile,
and the coverage that gives on the test split. On ETTh1 (horizon 96) the plain absolute-residual
version over-covers its 80% interval by about 9 points, because validation is more volatile than
test; the scaled version lands within a few points of nominal for every baseline predictor.

Pure numpy/pandas/torch; no Streamlit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from zoo.data.series import SeriesFrame, WindowedSeries

METRIC_KEYS = ("mse_norm", "mae_norm", "mae", "rmse", "mape", "smape", "mase")
LEVELS = (0.8, 0.95)
BASELINES = ("naive", "seasonal_naive", "mean", "linear")

# Seasonal periods a frequency suggests, most likely first, in units of that frequency.
_BASE_PERIODS = {"s": (86400, 3600, 60), "min": (1440, 60, 10080), "h": (24, 168)}  # scaled by the step n
_FREQ_PERIODS = {"D": (7, 365), "B": (5, 260), "W": (52,), "MS": (12,), "ME": (12,), "M": (12,),
                 "QS": (4,), "QE": (4,), "Q": (4,), "SMS": (24,), "SME": (24,)}


# ---------------------------------------------------------------------------------------------
# seasonality


def _candidates_for(freq: str | None) -> tuple[int, ...]:
    """Periods (in steps) that a frequency suggests: 24 for hourly, 96 for 15-minute, 7 for daily, ..."""
    if not freq:
        return ()
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        return ()
    name = str(getattr(offset, "rule_code", "")).split("-")[0]
    n = max(int(getattr(offset, "n", 1) or 1), 1)
    if name in _BASE_PERIODS:
        return tuple(p // n for p in _BASE_PERIODS[name] if p % n == 0 and p // n > 1)
    return _FREQ_PERIODS.get(name, ()) if n == 1 else ()


def _acf(x: np.ndarray, max_lag: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean()
    n = len(x)
    size = 1 << (2 * n - 1).bit_length()
    spec = np.fft.rfft(x, size)
    ac = np.fft.irfft(spec * np.conj(spec), size)[: max_lag + 1]
    return ac / ac[0] if ac[0] > 0 else np.zeros(max_lag + 1)


def detect_period(data, freq: str | None = None, *, season: int = 0, max_period: int = 1000) -> int:
    """The seasonal period: `season` when > 0, else the strongest autocorrelation peak.

    `data` is a WindowedSeries (its training target is used), a SeriesFrame (its target; pass the
    training part to avoid looking at the test split) or a 1-D array. Periods the frequency
    suggests (24 for hourly, 7 for daily, 12 for monthly, ...) win when the ACF shows a peak
    there. Returns 1 when nothing seasonal is found (seasonal naive is then the naive forecast).
    """
    if season and int(season) > 0:
        return int(season)
    if isinstance(data, WindowedSeries):
        freq = freq if freq is not None else data.sf.freq
        x = data.train_target
    elif isinstance(data, SeriesFrame):
        freq = freq if freq is not None else data.freq
        x = data.frame[data.target].to_numpy(float)
    else:
        x = np.asarray(data, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 8 or np.ptp(x) == 0:
        return 1
    max_lag = min(n // 2, max_period)
    if max_lag < 2:
        return 1
    acf = _acf(x, max_lag + 1)
    threshold = max(0.1, 2.0 / math.sqrt(n))

    def is_peak(m: int) -> bool:
        return 2 <= m <= max_lag and acf[m] > threshold and acf[m] >= max(acf[m - 1], acf[m + 1]) - 0.02

    for m in _candidates_for(freq):
        if is_peak(m):
            return int(m)
    peaks = [m for m in range(2, max_lag + 1) if acf[m] > threshold and acf[m] >= acf[m - 1] and acf[m] >= acf[m + 1]]
    if not peaks:
        return 1
    best = max(peaks, key=lambda m: acf[m])
    # A multiple of the true period peaks about as high: prefer the shortest close to the best.
    for m in peaks:
        if m < best and best % m == 0 and acf[m] >= acf[best] - 0.05:
            return int(m)
    return int(best)


# ---------------------------------------------------------------------------------------------
# baselines: each (ws, split) -> (N, H) normalised predictions


def naive(ws: WindowedSeries, split: str = "test") -> np.ndarray:
    """Repeat the last target value of the input window."""
    x, _, _ = ws.split(split)
    return np.repeat(x[:, -1, ws.target_channel][:, None], ws.horizon, axis=1).astype(np.float64)


def seasonal_naive(ws: WindowedSeries, split: str = "test", period: int | None = None) -> np.ndarray:
    """The value at the same phase of the last season before the window's targets.

    Step h (0-based) of a window whose targets start at row t takes row t + h - m*ceil((h+1)/m).
    With m <= L that row is in the input window; with m > L it is read from the history before the
    window (still before t, so no leakage); where there is no history that far back, the last value.
    """
    m = int(period) if period else detect_period(ws)
    x, _, starts = ws.split(split)
    H, L, c = ws.horizon, ws.lookback, ws.target_channel
    h = np.arange(H)
    back = h - m * np.ceil((h + 1) / m).astype(int)   # offsets from t, in [-m, -1]
    if m <= L:
        return x[:, L + back, c].astype(np.float64)
    rows = starts[:, None] + back[None, :]
    history = ws.z[:, c].astype(np.float64)
    out = history[np.clip(rows, 0, None)]
    last = x[:, -1, c].astype(np.float64)[:, None]
    return np.where(rows >= 0, out, last)


def window_mean(ws: WindowedSeries, split: str = "test") -> np.ndarray:
    """The mean of the input window's target values, for every step."""
    x, _, _ = ws.split(split)
    return np.repeat(x[:, :, ws.target_channel].mean(axis=1, dtype=np.float64)[:, None], ws.horizon, axis=1)


def fit_linear(ws: WindowedSeries) -> np.ndarray:
    """Least-squares weights (L+1, H) from the window's target values (and a bias) to the H outputs,
    fitted on the training windows only."""
    if "linear_weights" not in ws.cache:   # an SVD of (N, L+1): seconds for ETT-sized windows, so once
        a = _design(ws.x_train[:, :, ws.target_channel])
        ws.cache["linear_weights"], *_ = np.linalg.lstsq(a, ws.y_train.astype(np.float64), rcond=None)
    return ws.cache["linear_weights"].copy()


def linear(ws: WindowedSeries, split: str = "test", weights: np.ndarray | None = None) -> np.ndarray:
    """The least-squares linear map of the window's target values (fitted on train windows)."""
    w = fit_linear(ws) if weights is None else weights
    x, _, _ = ws.split(split)
    return _design(x[:, :, ws.target_channel]) @ w


def _design(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return np.concatenate([values, np.ones((len(values), 1))], axis=1)


def baseline_predictions(ws: WindowedSeries, split: str = "test", period: int | None = None) -> dict[str, np.ndarray]:
    """Every baseline's normalised (N, H) predictions, by the names used in reports."""
    return {
        "naive": naive(ws, split),
        "seasonal_naive": seasonal_naive(ws, split, period=period),
        "mean": window_mean(ws, split),
        "linear": linear(ws, split),
    }


# ---------------------------------------------------------------------------------------------
# metrics


class Metrics(dict):
    """The metric dict (keys METRIC_KEYS), with `.notes`: why a value is None, what MAPE skipped."""

    def __init__(self, *args, notes: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.notes = list(notes or [])


def seasonal_scale(train_target, season: int) -> float | None:
    """In-sample MAE of the seasonal naive forecast on the training target (MASE's denominator)."""
    y = np.asarray(train_target, dtype=np.float64).ravel()
    m = int(season) if season and season > 0 else 1
    if m >= len(y):
        m = 1
    if len(y) <= m:
        return None
    scale = float(np.mean(np.abs(y[m:] - y[:-m])))
    return scale if scale > 0 and math.isfinite(scale) else None


def metrics(y_true, y_pred, *, y_true_norm, y_pred_norm, train_target, season: int = 1) -> Metrics:
    """MSE/MAE on the normalised scale, and MAE, RMSE, MAPE (%), sMAPE (%), MASE on the original scale."""
    yt, yp = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    tn, pn = np.asarray(y_true_norm, np.float64), np.asarray(y_pred_norm, np.float64)
    out = Metrics({k: None for k in METRIC_KEYS})
    if yt.size == 0:
        out.notes.append("no windows to score.")
        return out
    if not (np.isfinite(yp).all() and np.isfinite(pn).all()):
        out.notes.append("the predictions are not all finite (the model diverged?), so no metric is defined.")
        return out
    err, err_n = yp - yt, pn - tn
    out["mse_norm"] = float(np.mean(err_n ** 2))
    out["mae_norm"] = float(np.mean(np.abs(err_n)))
    out["mae"] = float(np.mean(np.abs(err)))
    out["rmse"] = float(np.sqrt(np.mean(err ** 2)))
    nonzero = yt != 0
    skipped = int((~nonzero).sum())
    if nonzero.any():
        out["mape"] = float(100.0 * np.mean(np.abs(err[nonzero]) / np.abs(yt[nonzero])))
        if skipped:
            out.notes.append(f"MAPE skips {skipped} of {yt.size} actual values that are zero.")
        tiny = int((np.abs(yt[nonzero]) < 1e-3 * np.mean(np.abs(yt))).sum())
        if tiny:
            out.notes.append(f"{tiny} actual value(s) are close to zero and inflate MAPE; prefer sMAPE or MASE here.")
    else:
        out.notes.append("MAPE is undefined: every actual value is zero.")
    denom = np.abs(yt) + np.abs(yp)
    ratio = np.divide(2.0 * np.abs(err), denom, out=np.zeros_like(denom), where=denom > 0)
    out["smape"] = float(100.0 * np.mean(ratio))
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


# ---------------------------------------------------------------------------------------------
# conformal intervals


def conformal_intervals(val_residuals, levels=LEVELS) -> dict[float, np.ndarray]:
    """Split-conformal half-widths per horizon step: the ceil((n+1)*level)/n quantile of |residuals|.

    With fewer than level/(1-level) calibration windows that quantile is infinite in theory; the
    largest residual is used instead (the interval is then too narrow, which the coverage shows).
    """
    r = np.abs(np.asarray(val_residuals, dtype=np.float64))
    if r.ndim == 1:
        r = r[:, None]
    n = len(r)
    if n == 0:
        raise ValueError("conformal calibration needs at least one validation window")
    ordered = np.sort(r, axis=0)
    out = {}
    for level in levels:
        k = int(math.ceil((n + 1) * float(level) - 1e-9))
        out[float(level)] = ordered[min(max(k, 1), n) - 1].copy()
    return out


def conformal_is_exact(n_calibration: int, level: float) -> bool:
    """Whether n calibration windows suffice for the finite-sample guarantee at `level`."""
    return math.ceil((n_calibration + 1) * level - 1e-9) <= n_calibration


def interval_coverage(y_true, y_pred, halfwidths) -> float:
    """Share of actual values inside prediction +/- half-width (half-widths per step broadcast over windows)."""
    yt, yp = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    if yt.size == 0:
        return float("nan")
    return float(np.mean(np.abs(yt - yp) <= np.asarray(halfwidths, np.float64)))


# ---------------------------------------------------------------------------------------------
# evaluation of a trained model


@dataclass
class ForecastReport:
    """A trained model's test metrics next to the baselines', its backtest and its forecast."""

    metrics: dict                 # METRIC_KEYS -> float or None (model, test split)
    baselines: dict               # baseline name -> metrics dict with the same keys
    beats: dict                   # baseline name -> bool: model MSE (original scale) below the baseline's
    season: int                   # period used by seasonal naive and MASE
    halfwidths: dict              # level -> (H,) half-widths of the future forecast, original scale
    coverage: dict                # level -> share of test actuals inside their intervals
    backtest: pd.DataFrame        # long: time, step (1..H), actual, predicted, origin, lower_80 ... upper_95,
                                  #   baseline_<name> for each baseline (all original scale)
    forecast: pd.DataFrame        # date, forecast, lower_80, upper_80, lower_95, upper_95
    interval_method: str = "scaled"          # "scaled" or "plain" (see evaluate_forecast)
    interval_quantiles: dict = field(default_factory=dict)  # level -> (H,) conformal quantiles of the score
    val_metrics: dict = field(default_factory=dict)
    test_pred: np.ndarray | None = None     # (N, H) original scale
    val_pred: np.ndarray | None = None
    history: pd.Series | None = None        # the target before the forecast, for plotting
    notes: list[str] = field(default_factory=list)       # about the evaluation (period, intervals, MAPE)
    data_notes: list[str] = field(default_factory=list)  # what reading the CSV found and fixed

    def backtest_step(self, step: int) -> pd.DataFrame:
        """Actual vs predicted (and the baselines) at horizon step `step` (1..H), one row per test window,
        in time order: what the backtest plot draws."""
        part = self.backtest[self.backtest["step"] == int(step)]
        cols = ["time", "actual", "predicted"] + [c for c in part.columns if c.startswith("baseline_")]
        return part[cols].reset_index(drop=True)

    def beats_text(self) -> list[str]:
        names = {"naive": "naive (last value)", "seasonal_naive": f"seasonal naive (period {self.season})",
                 "mean": "window mean", "linear": "linear least squares"}
        out = []
        for name, won in self.beats.items():
            mine, theirs = self.metrics.get("mse_norm"), self.baselines[name].get("mse_norm")
            detail = "" if mine is None or theirs is None else f" (MSE {mine:.4f} vs {theirs:.4f}, normalised)"
            out.append(f"{'beats' if won else 'does not beat'} {names.get(name, name)}{detail}")
        return out

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
            "val_metrics": dict(self.val_metrics),
            "notes": list(self.notes),
            "data_notes": list(self.data_notes),
        }


def _none_if_nan(v):
    return None if v is None or not math.isfinite(v) else float(v)


def predict(model, x: np.ndarray, device="cpu", batch_size: int = 1024) -> np.ndarray:
    """A torch model's (N, H) outputs for normalised inputs (N, L, C), in eval mode, without gradients."""
    import torch

    params = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
    dev = params.device if params is not None else torch.device(device)
    dtype = params.dtype if params is not None and params.is_floating_point() else torch.float32
    was_training = getattr(model, "training", False)
    model.eval()
    outs = []
    try:
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                xb = torch.as_tensor(np.ascontiguousarray(x[i:i + batch_size]), dtype=dtype, device=dev)
                yb = model(xb)
                outs.append(yb.detach().float().cpu().numpy().reshape(len(xb), -1))
    finally:
        if was_training:
            model.train()
    if not outs:
        return np.zeros((0, 0))
    return np.concatenate(outs).astype(np.float64)


INTERVAL_METHODS = ("scaled", "plain")


def window_scale(ws: WindowedSeries, x: np.ndarray) -> np.ndarray:
    """Each window's spread: the std of its target values on the original scale (floored above 0).

    Dividing residuals by it makes the conformal score adapt to how volatile the recent past is,
    which keeps coverage near nominal when the test period is calmer or wilder than validation.
    """
    c = ws.target_channel
    s = np.asarray(x, np.float64)[:, :, c].std(axis=1) * float(ws.std[c])
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
    train_target = ws.train_target

    def score(pred_norm, split):
        _, y_norm, _ = ws.split(split)
        return metrics(ws.actual_targets(split), ws.inverse_target(pred_norm), y_true_norm=y_norm,
                       y_pred_norm=pred_norm, train_target=train_target, season=period)

    val_norm = predict(model, ws.x_val, device, batch_size).reshape(len(ws.x_val), H)
    test_norm = predict(model, ws.x_test, device, batch_size).reshape(len(ws.x_test), H)
    last_norm = predict(model, ws.last_window, device).reshape(1, H)[0]
    model_metrics = score(test_norm, "test")
    val_metrics = score(val_norm, "val")
    notes += [f"model: {n}" for n in model_metrics.notes]

    baselines, beats, baseline_test = {}, {}, {}
    for name, pred in baseline_predictions(ws, "test", period=period).items():
        baselines[name] = score(pred, "test")
        baseline_test[name] = ws.inverse_target(pred)
        mine, theirs = model_metrics["rmse"], baselines[name]["rmse"]
        # A relative margin, so a model equal to the baseline up to float32 rounding does not "beat" it.
        beats[name] = bool(mine is not None and (theirs is None or mine < theirs * (1 - 1e-6)))

    # Intervals: split-conformal on the validation windows' residuals, per horizon step.
    val_true, test_true = ws.actual_targets("val"), ws.actual_targets("test")
    val_pred, test_pred = ws.inverse_target(val_norm), ws.inverse_target(test_norm)
    point = ws.inverse_target(last_norm)
    if intervals == "scaled":
        s_val, s_test, s_last = (window_scale(ws, x) for x in (ws.x_val, ws.x_test, ws.last_window))
        notes.append("intervals: split-conformal on validation residuals divided by each window's spread "
                     "(std of its input target), per horizon step.")
    else:
        s_val, s_test, s_last = np.ones(len(val_pred)), np.ones(len(test_pred)), np.ones(1)
        notes.append("intervals: split-conformal on absolute validation residuals, per horizon step.")
    quantiles: dict[float, np.ndarray] = {}
    if np.isfinite(val_pred).all() and np.isfinite(test_pred).all() and np.isfinite(point).all():
        quantiles = conformal_intervals((val_true - val_pred) / s_val[:, None], LEVELS)
    quantiles = {lv: quantiles.get(lv, np.full(H, np.nan)) for lv in LEVELS}
    coverage = {lv: interval_coverage(test_true, test_pred, q[None, :] * s_test[:, None]) if np.isfinite(q).all()
                else float("nan") for lv, q in quantiles.items()}
    halfwidths = {lv: q * float(s_last[0]) for lv, q in quantiles.items()}
    for lv in LEVELS:
        if not conformal_is_exact(len(ws.y_val), lv):
            notes.append(f"only {len(ws.y_val)} validation windows: the {lv:.0%} interval uses the largest residual "
                         "and may cover less than promised.")

    test_bands = {lv: q[None, :] * s_test[:, None] for lv, q in quantiles.items()}
    backtest = _backtest_frame(ws, test_true, test_pred, baseline_test, test_bands)
    forecast = _forecast_frame(ws, point, halfwidths)
    history_rows = min(len(ws.sf.frame), max(5 * H, ws.lookback, 200))
    history = ws.sf.frame[ws.sf.target].iloc[-history_rows:]
    return ForecastReport(metrics=model_metrics, baselines=baselines, beats=beats, season=period,
                          halfwidths=halfwidths, coverage=coverage, backtest=backtest, forecast=forecast,
                          interval_method=intervals, interval_quantiles=quantiles,
                          val_metrics=val_metrics, test_pred=test_pred, val_pred=val_pred, history=history,
                          notes=notes, data_notes=list(ws.sf.notes))


def _backtest_frame(ws: WindowedSeries, actual: np.ndarray, predicted: np.ndarray,
                    baselines: dict[str, np.ndarray], bands: dict[float, np.ndarray]) -> pd.DataFrame:
    """One row per test window and horizon step; `origin` is the last input time of the window."""
    starts = ws.test_starts
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
    for lv, hw in bands.items():
        pct = int(round(lv * 100))
        frame[f"lower_{pct}"] = (predicted - hw).ravel()
        frame[f"upper_{pct}"] = (predicted + hw).ravel()
    for name, pred in baselines.items():
        frame[f"baseline_{name}"] = pred.ravel()
    return frame


def _forecast_frame(ws: WindowedSeries, point: np.ndarray, halfwidths: dict) -> pd.DataFrame:
    frame = pd.DataFrame({"date": ws.sf.future_index(ws.horizon), "forecast": point})
    for lv in LEVELS:
        hw = halfwidths.get(float(lv), np.full(ws.horizon, np.nan))
        pct = int(round(lv * 100))
        frame[f"lower_{pct}"] = point - hw
        frame[f"upper_{pct}"] = point + hw
    frame = frame[["date", "forecast", "lower_80", "upper_80", "lower_95", "upper_95"]]
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# files


def _atomic_csv(frame: pd.DataFrame, path: Path) -> Path:
    from zoo.runs import atomic_write_text

    return atomic_write_text(path, frame.to_csv(index=False))


def write_report(report: ForecastReport, run_dir) -> dict[str, Path]:
    """Write backtest.csv and forecast.csv into `run_dir`, each atomically (temp file + os.replace)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    return {
        "backtest": _atomic_csv(report.backtest, run_dir / "backtest.csv"),
        "forecast": _atomic_csv(report.forecast, run_dir / "forecast.csv"),
    }


__all__ = ["METRIC_KEYS", "BASELINES", "LEVELS", "ForecastReport", "Metrics", "detect_period", "naive",
           "seasonal_naive", "window_mean", "linear", "fit_linear", "baseline_predictions", "metrics",
           "seasonal_scale", "conformal_intervals", "conformal_is_exact", "interval_coverage", "window_scale", "predict",
           "evaluate_forecast", "write_report"]
