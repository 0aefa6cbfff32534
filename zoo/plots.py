"""Axis conventions every figure shares (plotly): an axis that counts, and a log axis's labels.
"""
from __future__ import annotations

import math
from numbers import Real

WHOLE_TICKS_UP_TO = 12   # a count axis (epochs, trials) gets a tick at every whole number up to this
LOG_CURVES_APART = 20    # curves whose typical values lie this many times apart share a log axis, not a linear one


def curves_apart(curves) -> bool:
    """Whether one curve's median lies LOG_CURVES_APART times another's (positive values only): on a linear axis the
    lower ones draw flat at 0 (the Runs overlay's val losses of 416 beside 1.98; a search's trial at 40 beside seven
    at 2: a learner's checks)."""
    import statistics

    values = [[v for v in curve if v is not None and not math.isnan(v)] for curve in curves]
    if any(v <= 0 for curve in values for v in curve):   # a log axis would drop them, unsaid (a review)
        return False
    levels = [statistics.median(kept) for curve in values if (kept := [v for v in curve if v < math.inf])]
    return len(levels) >= 2 and max(levels) > LOG_CURVES_APART * min(levels)


def count_axis(fig, largest: int, **where) -> None:
    """An x axis that counts (trials from 0, epochs from 1): never below 0, ticks on whole numbers only,
    one per number while there are few. Plotly's autorange drew one point on -1 to 1 with ticks at -0.5
    and 0.5, and two epochs with ticks at 1.2, 1.4 ... (a new visitor's check). `where` picks the axes
    of a figure with subplots (row=, col=)."""
    fig.update_xaxes(rangemode="nonnegative", tickformat="d", **where)
    if largest <= WHOLE_TICKS_UP_TO:
        fig.update_xaxes(dtick=1, **where)


def log_ticks(values) -> dict:
    """The tick settings of a log axis over `values` (its positive numbers; others are ignored). Plotly labels
    the marks between decades with small digits, "2 0.001 2 5 0.01 2 5 0.1", which overlapped in a search's
    narrow slice panels and read as noise on the Inspect page's gradient norms (a learner's check). Over two
    decades or more: only the decades. Over less: 1, 2 and 5 times them (16 to 256: 20, 50, 100, 200). Where
    fewer than two of those fall in the values' range: its ends, rounded inward to two digits (plotly labelled
    0.001 to 0.0025 every 0.0005, overlapping)."""
    numbers = [float(v) for v in values if isinstance(v, Real) and math.isfinite(v) and v > 0]   # numpy's too
    if not numbers:
        return {}
    low, high = min(numbers), max(numbers)
    if low == high:
        return {"tickmode": "array", "tickvals": [low], "ticktext": [f"{low:.3g}"]}
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    decades = [10.0 ** k for k in range(first, last + 1) if low <= 10.0 ** k <= high]
    if len(decades) >= 2:
        return {"minorloglabels": "none"}
    marks = [m * 10.0 ** k for k in range(first, last + 1) for m in (1, 2, 5) if low <= m * 10.0 ** k <= high]
    if len(marks) < 2:   # rounded inward, so that neither falls outside the values (and the plotted range)
        marks = sorted({_round_sig(low, math.ceil), _round_sig(high, math.floor)})
        if len(marks) < 2 or not low <= marks[0] < marks[-1] <= high:
            marks = [low, high]   # too close to round apart: the ends, with the digits that tell them apart
        digits = next((d for d in range(2, 7) if len({f"{v:.{d}g}" for v in marks}) == len(marks)), 6)
        return {"tickmode": "array", "tickvals": marks, "ticktext": [f"{v:.{digits}g}" for v in marks]}
    return {"tickmode": "array", "tickvals": marks, "ticktext": [f"{v:g}" for v in marks]}


def _round_sig(value: float, rounding) -> float:
    """`value` to two significant digits, rounded up (math.ceil) or down (math.floor)."""
    factor = 10.0 ** (1 - math.floor(math.log10(value)))
    return rounding(round(value * factor, 6)) / factor   # round(): 0.0011 * 1e4 is 11.000000000000002


DAY_MS = 86_400_000
DAY_TICKS_UP_TO = 14   # days of span below which plotly's own date ticks may fall between days


def day_ticks(times) -> dict:
    """The x-axis settings for times a whole number of days apart (a daily series): ticks on days only. On a
    span of a few days plotly put ticks at 12:00 too, a time the series has not (a forecast user's check). At
    most 8 ticks, a day or a few apart; for a longer span or finer steps, plotly's own ({})."""
    import pandas as pd

    stamps = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(times)), errors="coerce").dropna()).sort_values()
    if len(stamps) < 2:
        return {}
    steps = stamps[1:] - stamps[:-1]
    day = pd.Timedelta(days=1)
    if (steps < day).any() or (steps % day != pd.Timedelta(0)).any() or (stamps.normalize() != stamps).any():
        return {}
    span = (stamps[-1] - stamps[0]) / day
    if span > DAY_TICKS_UP_TO:
        return {}
    return {"tick0": stamps[0].isoformat(), "dtick": DAY_MS * max(1, math.ceil(span / 7))}
