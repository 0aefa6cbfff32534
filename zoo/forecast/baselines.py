"""The obvious forecasts a model must beat, each (ws, split) -> (N, H) normalised predictions:
the last value (naive), the value one season ago (seasonal naive), the window mean, and a
least-squares line through the window; and the seasonal period they and MASE use.
"""
from __future__ import annotations

import math

import numpy as np

from zoo.data.series import SeriesFrame, WindowedSeries
from zoo.data.series.grid import frequency_code
from zoo.data.series.missing import without_spikes

BASELINES = ("naive", "seasonal_naive", "mean", "linear")

# Seasonal periods a frequency suggests, most likely first, in units of that frequency.
_BASE_PERIODS = {"s": (86400, 3600, 60), "min": (1440, 60, 10080), "h": (24, 168)}  # scaled by the step n
_FREQ_PERIODS = {"D": (7, 365), "B": (5, 260), "W": (52,), "MS": (12,), "ME": (12,), "M": (12,),
                 "QS": (4,), "QE": (4,), "Q": (4,), "SMS": (24,), "SME": (24,)}


# ---------------------------------------------------------------------------------------------
# seasonality


def _candidates_for(freq: str | None) -> tuple[int, ...]:
    """Periods (in steps) that a frequency suggests: 24 for hourly, 96 for 15-minute, 7 for daily, ..."""
    code = frequency_code(freq)
    if code is None:
        return ()
    name, n = code
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


MIN_CYCLES = 3         # full seasons the training part must hold before a season is believed
NOISE_BANDS = 2       # a peak must clear twice the usual 2/sqrt(n) band (about 4 standard errors)


def _evidence(x: np.ndarray, max_lag: int) -> tuple[np.ndarray, float]:
    """How strongly each lag 0..max_lag looks like a season, and the score noise stays below.

    Three views of the autocorrelation: of the series itself, of its first differences (which remove
    a trend that hides the season, as in CO2 or ETTh1's oil temperature), and of what is left after a
    straight line fitted by least squares (which removes a trend without the noise that differencing
    doubles: a yearly wave under a trend in 42 months of noisy rows scored below the band of 0.62 in the
    other two, and was found in 19% of 200 such series; 100% with it, and no more seasons found
    in white noise, random walks, AR(1) or a trend with noise: a forecast user's check). In each, a lag
    scores where it is a local peak: its autocorrelation, but no more than its rise from the lowest
    value before it, since a season dips half a period in while a trend, a slowly wandering level
    (the Nile's flows) or persistent changes (inflation) decay without dips. A season must score
    above max(0.1, NOISE_BANDS * 2/sqrt(n)) in either view."""
    n = len(x)
    diffs = np.diff(x)
    steps = np.arange(n, dtype=np.float64)
    detrended = x - np.polyval(np.polyfit(steps, x, 1), steps)
    score = np.zeros(max_lag + 1)
    for view in (x, diffs, detrended):
        if np.ptp(view) == 0:
            continue
        acf = _acf(view, max_lag + 1)
        lowest = np.minimum.accumulate(acf[1:])          # lowest[m - 1] = min(acf[1..m])
        for m in range(2, max_lag + 1):
            if acf[m] >= max(acf[m - 1], acf[m + 1]):
                score[m] = max(score[m], min(acf[m], acf[m] - lowest[m - 2]))
    return score, max(0.1, NOISE_BANDS * 2.0 / math.sqrt(n))


def usual_season(freq: str | None) -> int | None:
    """The season the rows' frequency suggests first (12 for monthly, 24 for hourly), or None."""
    usual = _candidates_for(freq)
    return int(usual[0]) if usual else None


def season_too_long_to_detect(n_rows: int, freq: str | None) -> int | None:
    """The frequency's usual season (12 for monthly rows) when `n_rows` training rows hold fewer than
    MIN_CYCLES of it, so that detect_period cannot find it however clear it is; else None. Four years
    of monthly rows (33 of them in training) have a visible yearly cycle and no detected season."""
    usual = _candidates_for(freq)
    if usual and n_rows < MIN_CYCLES * usual[0]:
        return int(usual[0])
    return None


# A year of days, business days or weeks is not a whole number of steps (365.25, about 261, 52.18), and
# noise moves its autocorrelation peak a step or two either way: 51 weeks was reported as the season of
# 280 weeks of US gasoline sales (bench/data). The other seasons (24 hours, 168 hours, 12 months) are
# whole numbers, and a window around one would take in a multiple of a shorter cycle (a daily series'
# 30-day cycle peaks at 360, near 365).
_YEARS = {"D": 365, "B": 260, "W": 52}


def _year_in_steps(freq: str | None) -> tuple[int, int] | None:
    """(the year in steps of this frequency, how far from it a peak still is the year), or None."""
    code = frequency_code(freq)
    if code is None or code[0] not in _YEARS or code[1] != 1:
        return None
    return _YEARS[code[0]], max(1, round(0.03 * _YEARS[code[0]]))


def detect_period(data, freq: str | None = None, *, season: int = 0, max_period: int = 1000) -> int:
    """The seasonal period: `season` when > 0, else the one the autocorrelation gives evidence for.

    `data` is a WindowedSeries (its training target is used), a SeriesFrame (its target; pass the
    training part to avoid looking at the test split) or a 1-D array. A period is reported only
    when the data hold at least MIN_CYCLES full seasons and its autocorrelation peak clears the
    noise band well (`_evidence`); a period the frequency suggests (24 for hourly, 7 for daily, 12
    for monthly, ...) wins when it has that evidence. Returns 1 when nothing seasonal is found
    (seasonal naive is then the naive forecast): a short yearly series like the Nile's 100 flows
    has no season, however its noise happens to peak.
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
    # a few values far from both neighbours set to theirs (without_spikes): one day of 5,000 among orders of about
    # 100 hid their weekly season from a board's detection, where the page's, on rows before it, found 7 (a
    # forecast user's check)
    x = without_spikes(x[np.isfinite(x)])
    n = len(x)
    max_lag = min(n // MIN_CYCLES, max_period)
    if max_lag < 2 or np.ptp(x) == 0:
        return 1
    score, threshold = _evidence(x, max_lag)
    for m in _candidates_for(freq):
        slack = 1 if m >= 52 else 0   # a long season's peak may be a lag later
        if 2 <= m <= max_lag and score[m:m + slack + 1].max() > threshold:
            return int(m)
    year = _year_in_steps(freq)
    peaks = [p for p in range(2, max_lag + 1) if score[p] > threshold]
    if year and year[0] > max_lag:
        # A peak near the year when fewer than MIN_CYCLES years fit is the year, seen too few times to
        # believe: not a season of its own (50 weeks, on 150 weekly rows).
        peaks = [p for p in peaks if abs(p - year[0]) > year[1]]
    period = _period_of_peaks(peaks, score, freq)
    if year and year[0] <= max_lag and period != year[0] and abs(period - year[0]) <= year[1]:
        return year[0]   # the year, its peak moved by noise (51 or 53 weeks)
    return period


def _period_of_peaks(peaks: list[int], score: np.ndarray, freq: str | None) -> int:
    """The period the autocorrelation's peaks show, where none of the frequency's seasons cleared the
    noise band at its own lag (detect_period); 1 without peaks."""
    if not peaks:
        return 1
    best = max(peaks, key=lambda m: score[m])
    # The frequency's season may show only as the spacing of the peaks, when a slower wave carries
    # it: the last 2,000 hours of ETTh1's oil temperature peak at 193, 216, 239 and 263 hours (8 to
    # 11 days), never at 24. Its period wins when the best peak is one of three or more successive
    # peaks each about one period after the last (within a step, or 5% of a long season). Only for
    # a season of 12 steps or more: with a period of 2 to 5 (12-hourly, quarterly, business days)
    # a step's tolerance would let the wiggles of any broad peak pass for such a run. A longer true
    # season (24 steps in monthly data) peaks every other multiple of 12 at most, not one after another.
    for m in _candidates_for(freq):
        if m < 12:
            continue
        tolerance = max(1.0, 0.05 * m)
        run = [best]
        for step in (-1, 1):   # extend the run from the best peak down, then up
            at = peaks.index(best)
            while 0 <= at + step < len(peaks) and abs(abs(peaks[at + step] - peaks[at]) - m) <= tolerance:
                at += step
                run.append(peaks[at])
        if len(run) >= 3:
            return int(m)
    # A multiple of the true period peaks about as high: prefer the shortest close to the best. A
    # period that is not a whole number of steps (52.18 weeks) puts its multiples up to 2% off.
    for m in peaks:
        k = round(best / m)
        if m < best and k >= 2 and abs(best - k * m) <= 0.02 * best and score[m] >= score[best] - 0.05:
            return int(m)
    return int(best)


# ---------------------------------------------------------------------------------------------
# baselines: each (ws, split) -> (N, H) normalised predictions


STREAM_ROWS = 16_384   # windows per batch where a whole split would be copied (a few MB at a time)


def seasonal_indices(y: np.ndarray, period: int) -> np.ndarray:
    """The multiplicative seasonal index of each position in the season (position k: rows k, k+period,
    ...), by classical decomposition: y over its centred moving average (2 x period for an even
    period), averaged by position, normalised to mean 1. statsmodels' `seasonal_decompose(model=
    "multiplicative")` computes the same (tests/test_forecast.py); `y` must be above 0 and hold at
    least two seasons."""
    y = np.asarray(y, dtype=np.float64)
    if period % 2:
        weights = np.full(period, 1.0 / period)
    else:
        weights = np.r_[0.5, np.ones(period - 1), 0.5] / period
    trend = np.convolve(y, weights, mode="valid")
    offset = (len(weights) - 1) // 2
    ratio = y[offset:offset + len(trend)] / trend
    position = (np.arange(len(trend)) + offset) % period
    index = np.array([ratio[position == k].mean() for k in range(period)])
    return index / index.mean()


def naive(ws: WindowedSeries, split: str = "test") -> np.ndarray:
    """Repeat the last target value of the input window."""
    x, _, _ = ws.split(split)
    return np.repeat(x[:, -1, ws.target_channel].astype(np.float64)[:, None], ws.horizon, axis=1)


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
        out = np.empty((len(x), H))
        for i in range(0, len(x), STREAM_ROWS):   # in batches: a float32 copy of the whole split, then its float64 one, is large
            out[i:i + STREAM_ROWS] = x[i:i + STREAM_ROWS, L + back, c]
        return out
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
    fitted on the training windows only.

    The normal equations are summed over batches of windows, so memory stays at a few MB however
    many windows there are (the design matrix of a 1,000,000-row series would take 0.5 GB); they
    are solved in float64 after scaling each column, which on the normalised windows agrees with
    an SVD least-squares solve (np.linalg.lstsq) to about 1e-9 (tests/test_forecast.py)."""
    if "linear_weights" not in ws.cache:
        x, y, c = ws.x_train, ws.y_train, ws.target_channel
        k = ws.lookback + 1
        gram, cross = np.zeros((k, k)), np.zeros((k, ws.horizon))
        for i in range(0, len(x), STREAM_ROWS):
            a = _design(x[i:i + STREAM_ROWS, :, c])
            gram += a.T @ a
            cross += a.T @ np.asarray(y[i:i + STREAM_ROWS], np.float64)
        ws.cache["linear_weights"] = _solve_normal(gram, cross)
    return ws.cache["linear_weights"].copy()


def _solve_normal(gram: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """The least-squares weights from A'A and A'Y: columns scaled to unit norm, then lstsq on the
    k x k system (which also gives the minimum-norm answer when the inputs are collinear)."""
    norms = np.sqrt(np.clip(np.diag(gram), 1e-300, None))
    scaled = gram / norms[:, None] / norms[None, :]
    w, *_ = np.linalg.lstsq(scaled, cross / norms[:, None], rcond=1e-12)
    return w / norms[:, None]


def linear(ws: WindowedSeries, split: str = "test", weights: np.ndarray | None = None) -> np.ndarray:
    """The least-squares linear map of the window's target values (fitted on train windows)."""
    w = fit_linear(ws) if weights is None else weights
    x, _, _ = ws.split(split)
    c = ws.target_channel
    out = np.empty((len(x), w.shape[1]))
    for i in range(0, len(x), STREAM_ROWS):
        out[i:i + STREAM_ROWS] = _design(x[i:i + STREAM_ROWS, :, c]) @ w
    return out


def _design(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return np.concatenate([values, np.ones((len(values), 1))], axis=1)


def baseline_prediction(ws: WindowedSeries, name: str, split: str = "test", period: int | None = None) -> np.ndarray:
    """One baseline's normalised (N, H) predictions, by its name in BASELINES."""
    if name == "seasonal_naive":
        return seasonal_naive(ws, split, period=period)
    return {"naive": naive, "mean": window_mean, "linear": linear}[name](ws, split)


def baseline_predictions(ws: WindowedSeries, split: str = "test", period: int | None = None) -> dict[str, np.ndarray]:
    """Every baseline's normalised (N, H) predictions, by the names used in reports."""
    return {name: baseline_prediction(ws, name, split, period) for name in BASELINES}
