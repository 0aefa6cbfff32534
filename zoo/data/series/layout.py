"""Time indexes that are not one column of dates, and the wide table.

    year columns     1700, 1701, ... (or 1700.0, as pandas writes them): one row per year (YS)
    year + period    a year column and a month (1..12) or quarter (1..4) column: monthly or quarterly; with a
                     day-of-month column too, a date a row
    wide tables      a row per year and a column per month (JAN ... DEC) or quarter (Q1 ... Q4), as
                     climate indices are published; read as they are (with a note), or melted into one
                     long series in time order with layout="wide"
    stacked series   several series one under another, a text column naming each (store, date, sales):
                     refused with what to do (`stacked_by`), as no forecast of one series can mix them

The functions work on a table's numeric columns (name -> float values) and names, so read.py can
call them between its steps; `looks_wide` is what the Forecast page asks before offering to read a
file as one long series.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoo.spec import LAYOUTS   # noqa: F401  (declared with the spec's `layout` setting; read_series checks it)

YEAR_RANGE = (1000, 2300)      # what counts as a plausible year in a numeric column
WIDE_TARGET = "value"          # the name of the melted series (a wide table does not name its measure)

_YEAR_NAMES = {"year", "years", "yr", "yrs", "yyyy", "jahr", "annee", "année", "ano", "año", "anno"}
_MONTH_NAMES = {"month", "months", "mon", "mo", "mm", "m", "monat", "mois", "mes", "mese"}
_QUARTER_NAMES = {"quarter", "quarters", "qtr", "q", "quartal", "trimestre"}
_DAY_NAMES = {"day", "days", "dd", "dy", "d", "tag", "jour", "dia", "día", "giorno"}
_HOUR_NAMES = {"hour", "hours", "hr", "hh", "h", "stunde", "heure", "hora", "ora"}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_WORDS = {"january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7, "august": 8,
                "september": 9, "sept": 9, "october": 10, "november": 11, "december": 12,
                **{m: i + 1 for i, m in enumerate(_MONTHS)}}
_QUARTER_RE = re.compile(r"^q(?:tr|uarter)?[\s_-]*([1-4])$")
_PERIOD_WORDS = {12: ("month", "monthly", "MS"), 4: ("quarter", "quarterly", "QS")}


def plain_name(name) -> str:
    """A column's name as the readers compare it: lower case, `_` as a space, spaces collapsed ("Adj_Close",
    " adj  close" and "adj close" are one name)."""
    return " ".join(str(name).replace("_", " ").strip().lower().split())


# ---------------------------------------------------------------------------------------------
# year columns, alone or with a month or quarter column


@dataclass
class YearIndex:
    """Dates made from a year column (and a month or quarter column beside it)."""

    year_col: str
    period_col: str | None     # the month or quarter column, None for one row per year
    per_year: int              # 1, 4 or 12
    dates: pd.Series           # UTC timestamps at the start of each period, one per row
    day_col: str | None = None   # the day of the month beside a month column: a date a row
    hour_col: str | None = None  # ...and the hour of the day beside those: a time a row

    @property
    def note(self) -> str:
        if self.hour_col is not None:
            return (f"times are made from the year in {self.year_col!r}, the month in {self.period_col!r}, the day in "
                    f"{self.day_col!r} and the hour in {self.hour_col!r}.")
        if self.day_col is not None:
            return (f"dates are made from the year in {self.year_col!r}, the month in {self.period_col!r} and the "
                    f"day in {self.day_col!r}.")
        if self.period_col is None:
            return f"dates are the years in column {self.year_col!r} (one row per year)."
        word = _PERIOD_WORDS[self.per_year][0]
        return f"dates are made from the year in {self.year_col!r} and the {word} in {self.period_col!r}."


def _whole_years(values: np.ndarray) -> np.ndarray | None:
    """The values as integer years when every one is a whole number in YEAR_RANGE, else None."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) < 2 or not np.isfinite(v).all() or not (v == np.round(v)).all():
        return None
    if v.min() < YEAR_RANGE[0] or v.max() > YEAR_RANGE[1]:
        return None
    return v.astype(np.int64)


def _period_dates(years: np.ndarray, periods: np.ndarray | None = None, per_year: int = 1) -> pd.Series:
    months = np.ones(len(years), dtype=np.int64) if periods is None else (periods - 1) * (12 // per_year) + 1
    frame = pd.DataFrame({"year": years, "month": months, "day": 1})
    return pd.to_datetime(frame).dt.tz_localize("UTC")


def _consecutive(steps_sorted: np.ndarray) -> bool:
    """Distinct values one apart but for a few gaps (filled later like any missing timestamp)."""
    return bool((steps_sorted > 0).all() and (steps_sorted == 1).mean() >= 0.9)


def _partner(numeric: dict, year_col: str, years: np.ndarray) -> YearIndex | None:
    """A month or quarter column that, with the repeating years, gives each row its own period, one
    after the other (in any row order: the reader sorts them)."""
    if len(np.unique(years)) == len(years):
        return None          # every row is another year: no room for months
    named = _MONTH_NAMES | _QUARTER_NAMES
    for col in sorted(numeric, key=lambda c: plain_name(c) not in named):
        if col == year_col:
            continue
        v = np.asarray(numeric[col], dtype=np.float64)
        if not np.isfinite(v).all() or not (v == np.round(v)).all() or v.min() < 1 or v.max() > 12:
            continue
        name = plain_name(col)
        per_year = 4 if name in _QUARTER_NAMES or (v.max() <= 4 and name not in _MONTH_NAMES) else 12
        if v.max() > per_year:
            continue
        periods = v.astype(np.int64)
        if _consecutive(np.diff(np.sort(years * per_year + periods))):
            return YearIndex(year_col, col, per_year, _period_dates(years, periods, per_year))
        if per_year == 12 and (days := _day_partner(numeric, (year_col, col), years, periods)) is not None:
            return days
    return None


def _day_partner(numeric: dict, taken: tuple, years: np.ndarray, months: np.ndarray) -> YearIndex | None:
    """A day-of-month column beside the year and month (Year, Month, Day, Sales): a date a row, each its own. Such a
    file had read as "no date column", its Year, Month and Day offered as model inputs (a forecast user's check)."""
    for col in numeric:
        # named as a day, and days in a row: a store number (1..5) beside a panel's months, or rain days beside
        # monthly readings, made "dates" of their own (a review)
        if col in taken or plain_name(col) not in _DAY_NAMES:
            continue
        v = np.asarray(numeric[col], dtype=np.float64)
        if not np.isfinite(v).all() or not (v == np.round(v)).all() or v.min() < 1 or v.max() > 31:
            continue
        dates = pd.to_datetime(pd.DataFrame({"year": years, "month": months, "day": v.astype(np.int64)}),
                               errors="coerce")
        if dates.isna().any():
            continue
        hour_col, unit = None, "D"
        if dates.duplicated().any():   # hourly readings: an hour column too (YEAR, MO, DY, HR, as NASA POWER writes)
            hour_col = next((c for c in numeric if c not in (*taken, col) and plain_name(c) in _HOUR_NAMES
                             and _hours(numeric[c])), None)
            if hour_col is None:
                continue
            dates, unit = dates + pd.to_timedelta(np.asarray(numeric[hour_col], dtype=np.int64), unit="h"), "h"
            if dates.duplicated().any():
                continue
        steps = np.diff(np.sort(dates.to_numpy())) / np.timedelta64(1, unit)
        # hours that fill most of each day: a daily panel's household column "hh" (0, 1, 2) had made hours (a review)
        if (steps == 1).mean() >= (0.9 if hour_col else 0.5):
            return YearIndex(taken[0], taken[1], 12, dates.dt.tz_localize("UTC"), day_col=col, hour_col=hour_col)
    return None


def _hours(values) -> bool:
    v = np.asarray(values, dtype=np.float64)
    return bool(np.isfinite(v).all() and (v == np.round(v)).all() and v.min() >= 0 and v.max() <= 23)


# A column of hours beside a column of dates: named so (not "h" or "hh", which name heights and households too: a
# review), or by its end, as power markets number a day's hours 1 to 24 ("HE 1" is the hour from midnight).
_HOUR_ENDING_NAMES = {"he", "hour ending", "hourending", "hour end"}
HOUR_COLUMN_NAMES = {"hour", "hr", "hour beginning", "hour of day", "stunde", "heure", "hora", "ora",
                     *_HOUR_ENDING_NAMES}


def hours_of_day(name, values) -> tuple[np.ndarray, bool] | None:
    """A numeric column named as hours (HOUR_COLUMN_NAMES) that holds whole hours of the day, as hours from midnight
    (NaN where one is missing): 0 to 23 as they are; 1 to 24 (or named as hours ending) as hours ending, each one
    less, so that a day's 24 rows keep its date. (hours, read as hours ending), or None."""
    name = plain_name(name)
    v = np.asarray(values, dtype=np.float64)
    present = v[np.isfinite(v)]
    if name not in HOUR_COLUMN_NAMES or not len(present) or (present != np.round(present)).any() \
            or present.min() < 0 or present.max() > 24:
        return None
    if present.max() == 24 or (name in _HOUR_ENDING_NAMES and present.min() >= 1):
        return (v - 1, True) if present.min() >= 1 else None
    return v, False


def fills_the_hours(dates: pd.Series) -> bool:
    """Timestamps an hour apart for the most part: hours that fill most of each day. A daily panel's household
    column "hh" (0, 1, 2) had made hours (a review)."""
    steps = np.diff(np.sort(dates.dropna().to_numpy())) / np.timedelta64(1, "h")
    return bool(len(steps)) and (steps == 1).mean() >= 0.9


def find_year_index(numeric: dict, names: list[str], only: str | None = None) -> YearIndex | None:
    """Dates from numeric year columns: a year column with a month or quarter column beside it, or a
    column of years counting up (or down) by one a row; a column named like 'year', or chosen, may
    also skip a few years or be out of order. `only`: the column a person chose as the date column.
    None when no column holds years."""
    candidates = [only] if only is not None else sorted(
        (c for c in names if c in numeric), key=lambda c: plain_name(c) not in _YEAR_NAMES)
    for col in candidates:
        years = _whole_years(numeric.get(col, []))
        if years is None:
            continue
        paired = _partner(numeric, col, years)
        if paired is not None:
            return paired
        steps = np.diff(years)
        named = plain_name(col) in _YEAR_NAMES or only is not None
        if (steps == 1).all() or (steps == -1).all() or (named and _consecutive(np.diff(np.sort(years)))):
            return YearIndex(col, None, 1, _period_dates(years))
    return None


def repeated_periods(numeric: dict, names: list[str]) -> str | None:
    """A note where a year column and a month or quarter column beside it repeat each period the same number of times
    (Year, Month, Store, Sales: a panel of several series one under another), which find_year_index makes no dates
    of; None otherwise. Such a file had read as one series of plain steps, its stores interleaved, with a clean
    result (a forecast user's check)."""
    for col in sorted((c for c in names if c in numeric), key=lambda c: plain_name(c) not in _YEAR_NAMES):
        years = _whole_years(numeric.get(col, []))
        if years is None:
            continue
        for other in sorted(numeric, key=lambda c: plain_name(c) not in _MONTH_NAMES | _QUARTER_NAMES):
            v = np.asarray(numeric[other], dtype=np.float64)
            if other == col or not np.isfinite(v).all() or not (v == np.round(v)).all() or v.min() < 1 or v.max() > 12:
                continue
            per_year = 4 if plain_name(other) in _QUARTER_NAMES or (v.max() <= 4 and plain_name(other) not in _MONTH_NAMES) \
                else 12
            keys, counts = np.unique(years * per_year + v.astype(np.int64), return_counts=True)
            if len(keys) > 1 and counts.min() == counts.max() > 1 and _consecutive(np.diff(keys)):
                word = _PERIOD_WORDS[per_year][0]
                return (f"each {word} of {col!r} and {other!r} is duplicated {counts[0]} times: rows of {counts[0]} "
                        "series one under another (a store's, say) are read as one series of plain steps; keep one "
                        f"series' rows, or sum them per {word}, to forecast by {word}.")
    return None


# ---------------------------------------------------------------------------------------------
# wide tables


@dataclass
class WideColumns:
    """The columns of a wide table that hold one period each, in calendar order."""

    per_year: int              # 12 (months) or 4 (quarters)
    columns: list[str]

    def describe(self) -> str:
        word = _PERIOD_WORDS[self.per_year][0]
        return f"one column per {word} ({self.columns[0]} ... {self.columns[-1]})"


def wide_columns(names) -> WideColumns | None:
    """Twelve columns named after the months (JAN ... DEC, January ...) or four named Q1 ... Q4."""
    months, quarters = {}, {}
    for name in names:
        plain = plain_name(name)
        if plain in _MONTH_WORDS:
            months.setdefault(_MONTH_WORDS[plain], name)
        match = _QUARTER_RE.match(plain)
        if match:
            quarters.setdefault(int(match.group(1)), name)
    if len(months) == 12:
        return WideColumns(12, [months[m] for m in range(1, 13)])
    if len(quarters) == 4:
        return WideColumns(4, [quarters[q] for q in range(1, 5)])
    return None


def wide_note(wide: WideColumns) -> str:
    word = _PERIOD_WORDS[wide.per_year][1]
    return (f"this looks like a wide table, {wide.describe()}; read it with layout 'wide' (--layout wide) "
            f"to forecast it as one long {word} series.")


def melt_wide(numeric: dict, wide: WideColumns, years: np.ndarray | None, lines: np.ndarray):
    """The period columns as one long series, row after row (each row's periods in calendar order).

    Returns (values, dates or None, the file line of each value, the other numeric columns dropped).
    `years` (one per row, sorted) dates each value at the start of its period; without them the
    values are plain steps."""
    values = np.column_stack([np.asarray(numeric[c], dtype=np.float64) for c in wide.columns])
    order = np.argsort(years, kind="stable") if years is not None else np.arange(len(values))
    values, lines = values[order], np.asarray(lines)[order]
    dates = None
    if years is not None:
        y = np.repeat(np.asarray(years)[order], wide.per_year)
        periods = np.tile(np.arange(1, wide.per_year + 1), len(values))
        dates = _period_dates(y, periods, wide.per_year)
    dropped = [c for c in numeric if c not in wide.columns]
    return values.ravel(), dates, np.repeat(lines, wide.per_year), dropped


def looks_wide(data) -> str | None:
    """A sentence for a file that looks like a wide table (a row per year, a column per month or
    quarter), else None: what the Forecast page shows beside a [Use] button that reads it again with
    layout='wide'. `data` is a SeriesFrame (from read_series) or what read_series accepts (a path or
    the file's bytes: then only its header is read, so this works where reading fails)."""
    from zoo.data.series.frame import SeriesFrame   # frame.py imports this module

    if isinstance(data, SeriesFrame):
        return wide_note(data.wide) if data.wide is not None and data.layout == "long" else None
    from zoo.data.series.text import _decode, _has_header, _read_bytes, _split_table
    from zoo.registry import SpecError

    try:
        raw, name = _read_bytes(data, 50_000_000)
        text = _decode(raw, name, [])
        rows, _, _ = _split_table("\n".join(text.splitlines()[:60]), name, 1000, [], head_only=True)
    except (SpecError, ValueError, UnicodeDecodeError):
        return None
    if not rows or not _has_header(rows[0]):
        return None
    wide = wide_columns(rows[0])
    return wide_note(wide) if wide is not None else None


def stacked_by(text: pd.DataFrame, dates: pd.Series) -> tuple[str, list[str]] | None:
    """The text column that names several series stacked in rows (store, date, sales): most dates
    repeat, each (name, date) pair is once, and the names and dates make a near-full grid (one row per
    name per date). Returns (its name, the series' names), or None. A daylight-saving hour written
    twice beside a column of weather words is not that."""
    known = dates.notna().to_numpy()
    dates = dates[known]
    if dates.duplicated(keep=False).mean() < 0.5:
        return None
    for col in text.columns:
        keys = text[col][known].astype("string").str.strip()
        names = keys.dropna().unique()
        if not 2 <= len(names) <= max(2, len(keys) // 3):
            continue
        if pd.DataFrame({"k": keys, "d": dates}).duplicated().any():
            continue
        if len(keys) >= 0.8 * len(names) * dates.nunique():
            return col, [str(n) for n in names]
    return None
