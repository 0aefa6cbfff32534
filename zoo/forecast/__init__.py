"""Baselines, metrics, backtest, conformal intervals and the future forecast for series runs.

A forecast is only worth trusting if it beats the obvious: the last value (naive), the value one
season ago (seasonal naive), the window mean, and a least-squares line through the window. They
run on exactly the test windows the model sees, and the report says plainly which ones the model
beats. Prediction intervals are split-conformal: validation residuals per horizon step (divided by
each window's spread, so they adapt to calm and volatile periods), their finite-sample quantile,
and the coverage that gives on the test split. On ETTh1 (horizon 96) the plain absolute-residual
version over-covers its 80% interval by about 9 points, because validation is more volatile than
test; the scaled version lands within a few points of nominal for every baseline predictor.

    baselines.py  naive, seasonal naive, window mean, linear least squares; the seasonal period
    scores.py     the metrics, split-conformal intervals and their coverage
    report.py     a trained model's report: scores against the baselines, backtest, forecast

Pure numpy/pandas/torch; no Streamlit.
"""
from zoo.forecast.baselines import (BASELINES, baseline_predictions, detect_period, fit_linear, linear, naive,
                                    seasonal_naive, window_mean)
from zoo.forecast.report import (INTERVAL_METHODS, ForecastReport, evaluate_forecast, predict, report_after_fit,
                                 window_scale)
from zoo.forecast.scores import (LEVELS, METRIC_KEYS, Metrics, conformal_intervals, conformal_is_exact,
                                 interval_coverage, metrics, min_calibration_windows, seasonal_scale)

__all__ = ["BASELINES", "INTERVAL_METHODS", "LEVELS", "METRIC_KEYS", "ForecastReport", "Metrics", "baseline_predictions",
           "conformal_intervals", "conformal_is_exact", "detect_period", "evaluate_forecast", "fit_linear",
           "interval_coverage", "linear", "metrics", "min_calibration_windows", "naive", "predict", "report_after_fit",
           "seasonal_naive", "seasonal_scale", "window_mean", "window_scale"]
