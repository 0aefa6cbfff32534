"""Missing values of a series on its time index (read.py's last steps): rows past the target's first
and last values trimmed, a target missing too much refused, features missing too much dropped, the
rest filled with the last value before them; then the target's own checks.

The ends are trimmed, not filled: a CSV often lists the dates it wants forecast with their values
left empty, and filling those from the last value would make up a flat history, score the model on
it, and start the forecast after the dates that were asked about.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from zoo.data.series.text import MIN_ROWS
from zoo.registry import SpecError

MAX_TARGET_MISSING = 0.20      # share of the target that may be filled in
# A value is a spike when it jumps away from the row before and back at the row after, each jump more than SPIKE_JUMPS
# times the usual jump (1.4826 MADs of the first differences: their standard deviation, were they normal). At most
# MAX_SPIKES rows, a share of at most MAX_SPIKE_SHARE of them, and not a season apart: more, or a beat, are the
# series' own shape (a weekly peak is a seventh of the rows, a yearly one a twelfth of a monthly series'; Christmas
# weeks 52 apart), not a few wrong values. The share had been 1%: three wrong values among 200 days (1e6 among about
# 100) were more than it allowed, and none was said, where two were (a forecast user's check).
SPIKE_JUMPS = 10
SPIKE_GAP = 3
MAX_SPIKES = 5
MAX_SPIKE_SHARE = 0.02
# The rows between a season's peaks in the usual frequencies (a year's 4 quarters, a week's 7 days, a year's 12
# months, a day's 24 hours, a year's 52 weeks, a week's 168 hours, a year's 365 days): spikes each one of these apart
# (give or take a row) are the series' own beat. Any evenly spaced rows had been called a beat (a review: a sensor's
# wrong value every other row, or every 50th, went unsaid), and two Christmases 52 weeks apart were not.
SEASON_LENGTHS = (4, 7, 12, 24, 52, 168, 365)
MAX_FEATURE_MISSING = 0.50     # a feature column missing more than this is dropped


def fill_missing(frame: pd.DataFrame, target: str, name: str, notes: list[str],
                 added: pd.Index | None = None) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Trim the rows before the target's first value and after its last; refuse a target missing too
    much; drop features missing too much; fill the rest with the last value before them. Also returns which
    rows' target was filled in (not in the file: a gap's added timestamp or an empty value), None when none was: a model
    learns from the filled values, but they are not scored as actuals (SeriesFrame.filled). `added`: the
    timestamps added for gaps (zoo/data/series/grid.regularise), whose values the note counts apart."""
    frame = _trim_ends(frame, target, notes)
    n = len(frame)
    if n < MIN_ROWS:
        raise SpecError(f"{name} has only {n} usable row(s); at least {MIN_ROWS} are needed "
                        "(and enough for lookback + horizon in each split).")
    filled = frame[target].isna().to_numpy()
    missing_target = int(filled.sum())
    if missing_target > MAX_TARGET_MISSING * n:
        raise SpecError(f"target column {target!r} is missing {missing_target} of {n} values "
                        f"({missing_target / n:.0%}, over the {MAX_TARGET_MISSING:.0%} limit); "
                        "choose another target or give a more complete series.")
    for col in list(frame.columns):
        if col == target:
            continue
        missing = int(frame[col].isna().sum())
        if missing > MAX_FEATURE_MISSING * n:
            frame = frame.drop(columns=col)
            notes.append(f"column {col!r} is missing {missing} of {n} values and was dropped.")
    total_missing = int(frame.isna().sum().sum())
    if total_missing:
        # The added rows' values apart from the file's blank cells: "6 missing value(s) were filled" of a file with
        # 2 blank cells read as 6 blanks, the gaps' 4 added rows counted again (a forecast user's check).
        in_added = int(frame.loc[frame.index.isin(added)].isna().sum().sum()) if added is not None and len(added) \
            else 0
        # Carried forward, never interpolated: a line drawn across a gap leans on the first value after it, so a
        # backtest origin inside the gap saw a value still to come (a test value, where the gap is in the test part)
        # and scored better than any forecaster could (a numbers check: the naive baseline's test MAE 1.553 where
        # the file's own last values give 1.660). A feature's first rows, before any value of it, take its first
        # (said in the note: the review found the note's "last value before them" untrue of them).
        leading = [col for col in frame.columns if col != target and pd.isna(frame[col].iloc[0])]
        frame = frame.ffill().bfill()
        blank = total_missing - in_added
        parts = ([f"{blank} empty or unreadable cell{'s' if blank != 1 else ''} of the file"] if blank else []) + \
            ([f"the {in_added} value{'s' if in_added != 1 else ''} of the rows added for gaps"] if in_added else [])
        first = (f"; the first rows of column(s) {', '.join(repr(c) for c in leading[:3])}"
                 f"{' ...' if len(leading) > 3 else ''}, before any value of theirs, take their first value"
                 if leading else "")
        notes.append(f"{total_missing} missing value(s) were filled with the last value before them ("
                     f"{' and '.join(parts)}; {missing_target} in the target {target!r}): a forecast from a row in a "
                     f"gap sees only what was known then{first}.")
    return frame, (filled if missing_target else None)


def _trim_ends(frame: pd.DataFrame, target: str, notes: list[str]) -> pd.DataFrame:
    """The rows from the target's first value to its last, saying what was cut at each end."""
    present = np.flatnonzero(frame[target].notna().to_numpy())
    if len(present) == 0:
        raise SpecError(f"target column {target!r} has no values; choose another target.")
    first, last = present[0], present[-1]
    def at(row: int) -> str:
        return stamp_said(frame.index[row], frame.index)

    if last < len(frame) - 1:
        notes.append(f"the target {target!r} ends at {at(last)}: the {len(frame) - 1 - last} later row(s) (to "
                     f"{at(-1)}) have no value and were left out, so the forecast starts after its last value.")
    if first > 0:
        notes.append(f"the target {target!r} starts at {at(first)}: the {first} earlier row(s) have no value and "
                     "were left out.")
    frame = frame.iloc[first:last + 1]
    if not isinstance(frame.index, pd.DatetimeIndex):
        frame.index = pd.RangeIndex(len(frame))   # plain steps count from 0 again
    return frame


def stamp_format(index) -> str:
    """How a series' timestamps are written in a note or a caption, decided from the whole `index` (its dates): the
    date alone where every row is at midnight, the seconds only where some row has them (a daily series' duplicate
    read "2023-02-19 00:00:00", and an hourly series' span "2016-07-01 → 2018-06-26 19:00:00": a forecast user's
    check and a review). Decided once for a span's two ends: on a long series it reads every row."""
    stamps = pd.DatetimeIndex(index)
    if (stamps == stamps.normalize()).all():
        return "%Y-%m-%d"
    return "%Y-%m-%d %H:%M:%S" if (stamps.second != 0).any() else "%Y-%m-%d %H:%M"


def stamp_said(label, index=None) -> str:
    """A row's timestamp as its series writes them (`stamp_format` of `index`, else of `label` alone); a row of a
    series without dates is its step."""
    if not isinstance(label, pd.Timestamp):
        return f"step {label}"
    return f"{label:{stamp_format([label] if index is None else index)}}"


def check_target(frame: pd.DataFrame, target: str) -> None:
    y = frame[target].to_numpy()
    if not np.isfinite(y).all():
        raise SpecError(f"target column {target!r} could not be filled to finite values; check it for gaps and text.")
    if np.nanmax(y) == np.nanmin(y):
        other = "choose another target" if len(frame.columns) > 1 else "give a series whose values change"
        raise SpecError(f"target column {target!r} is constant ({y[0]:g} in every row), so there is nothing to "
                        f"forecast; {other}.")
    if np.abs(y).max() > 1e150:
        raise SpecError(f"target column {target!r} holds values too large to scale (up to {np.abs(y).max():.3g}); "
                        "rescale it, for example to thousands.")


def spike_rows(y: np.ndarray) -> np.ndarray:
    """The rows of `y` (finite values) far from both their neighbours and from the series' spread (SPIKE_JUMPS), and
    SPIKE_GAP times as far from its median as every other value, where there are a few of them (MAX_SPIKES,
    MAX_SPIKE_SHARE; one on any series) not a season apart (SEASON_LENGTHS); none otherwise."""
    y = np.asarray(y, float)
    none = np.zeros(0, np.int64)
    if len(y) < MIN_ROWS or not np.isfinite(y).all():
        return none
    jumps = np.diff(y)
    usual = 1.4826 * np.median(np.abs(jumps - np.median(jumps)))
    if not usual > 0:
        return none
    up, down = jumps[:-1], jumps[1:]   # into row t and out of it, t = 1 .. n-2
    spike = (np.abs(up) > SPIKE_JUMPS * usual) & (np.abs(down) > SPIKE_JUMPS * usual) & (np.sign(up) != np.sign(down))
    # and far from the series' own spread too: a smooth hourly series' one-hour dip of 9 degrees (ETTh1's oil
    # temperature, whose hours step by a tenth of a degree) is a jump of many usual ones, but within its range
    away = np.abs(y - np.median(y))
    spread = 1.4826 * np.median(away)
    spike &= away[1:-1] > SPIKE_JUMPS * spread
    rows = np.flatnonzero(spike) + 1
    if not len(rows) or len(rows) > max(1, min(MAX_SPIKES, MAX_SPIKE_SHARE * len(y))):
        return none   # (one may stand out of a short series: a typo among 60 months)
    gaps = np.diff(rows)
    if len(gaps) and any(np.all(np.abs(gaps - season) <= 1) for season in SEASON_LENGTHS):
        return none   # a beat: the same week each year (52 or 53 rows apart), not mistakes
    # and apart from the rest: SPIKE_GAP times as far from the median as any other value. Heavy-tailed noise (sales
    # times a lognormal factor) puts a fifth of its series' largest values past 10 spreads, with others nearly as far
    # (a review); a wrong value stands alone.
    others = np.delete(away, rows)
    return rows if away[rows].min() >= SPIKE_GAP * others.max() else none


def without_spikes(y: np.ndarray) -> np.ndarray:
    """`y` with its spike_rows set to the median of the three values either side: what a season is looked for in
    (zoo/forecast/baselines.detect_period), so that one wrong value does not hide it."""
    rows = spike_rows(y)
    if not len(rows):
        return y
    y = np.array(y, float)
    y[rows] = [_neighbours(y, t) for t in rows]   # each read before any is replaced
    return y


def _neighbours(y: np.ndarray, t: int) -> float:
    """The median of the three values either side of row `t`: what a spike stands out from."""
    return float(np.median(np.r_[y[max(0, t - 3):t], y[t + 1:t + 4]]))


def note_spikes(frame: pd.DataFrame, target: str, filled: np.ndarray | None, notes: list[str]) -> None:
    """Say, in the notes, the target's few values far from both their neighbours (SPIKE_JUMPS): a mistake in the
    file, most often (a 5,000 among orders of about 100). Nothing is changed. Unsaid, one such day among 200 made a
    board's pick forecast -24.86 orders, its fits swinging to -470, and hid the weekly season from the board's
    period detection (a forecast user's check)."""
    y = frame[target].to_numpy(float)
    rows = spike_rows(y)
    if filled is not None:
        rows = rows[~np.asarray(filled, bool)[rows]]   # a value filled in is the reader's, not the file's
    if not len(rows):
        return

    def said(t: int) -> str:
        return f"{y[t]:,.6g} at {stamp_said(frame.index[t], frame.index)} (beside about {_neighbours(y, t):,.4g})"

    shown = "; ".join(said(t) for t in rows[:3]) + ("; ..." if len(rows) > 3 else "")
    notes.append(f"{len(rows)} value{'s' if len(rows) > 1 else ''} of {target!r} far from {'their' if len(rows) > 1 else 'its'} "
                 f"neighbours: {shown}. If {'they are mistakes' if len(rows) > 1 else 'it is a mistake'}, correct the "
                 "file: the models fit the values as they are, and a forecast can swing far from the rest of the series.")
