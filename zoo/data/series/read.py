"""`read_series`: a CSV (a path, or an upload's bytes) into a checked `SeriesFrame`: numeric
columns on a sorted time index, the target, the frequency, and notes on everything that was fixed
on the way. Anything it cannot use is refused with a `SpecError` of one sentence that names the
column or line and says what to do; no pandas or numpy exception reaches the caller.

The reading is a chain of named steps (`_read_series`): the table of strings (text.py), numeric
columns, the date column (or year columns: layout.py), a row counter dropped, the target (or a wide
table melted into one series), the time index, missing values, and the target's last checks.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from zoo.data.series.columns import (DATE_READINGS, SIGNS, _MISSING_TOKENS, _TZ_RE, _parse_dates, _parse_numbers,
                                     _plain_numbers, days_apart, latest_offset, marks_as_thousands,
                                     named_compact_dates, off_format_dates, time_of_day, times_of_day, written_zones,
                                     zone_name_words, zoned_by_name)
from zoo.data.series.frame import SeriesFrame
from zoo.data.series.grid import clock_change_words, regularise
from zoo.data.series.layout import (HOUR_COLUMN_NAMES, LAYOUTS, WIDE_TARGET, WideColumns, fills_the_hours,
                                    find_year_index, hours_of_day, melt_wide, plain_name, repeated_periods, stacked_by,
                                    wide_columns, wide_note)
from zoo.data.series.missing import check_target, fill_missing, note_spikes, stamp_said
from zoo.data.series.text import (_DELIMITER_NAMES, MIN_ROWS, _column_names, _decode, _first_text, _first_unparsed,
                                  _fmt_value, _has_header, _plain_table, _read_bytes, _rectangle, _split_table)
from zoo.registry import SpecError

# A first column of these names that counts the rows (0 or 1, 2, 3, ...) is a row number, not data: pandas' unnamed
# index, and the ids of a database export (an "id" column had been offered as an input: a forecast user's check).
_INDEX_NAMES = {"", "unnamed: 0", "index", "id", "row", "row id", "rowid", "#"}   # as plain_name has them


def read_series(source, *, target: str | None = None, date_col: str | None = None, layout: str = "long",
                max_bytes: int = 50_000_000, max_rows: int = 2_000_000) -> SeriesFrame:
    """Read a CSV (a path, or an upload's bytes) into a checked `SeriesFrame`, or raise SpecError.

    `layout`: "long" (one row per time step) or "wide" (a row per year and a column per month or
    quarter, melted into one long series; `looks_wide` says whether a file looks like that)."""
    if layout not in LAYOUTS:
        raise SpecError(f"layout={layout!r} must be long (a row per time step) or wide (a row per year and a column "
                        "per month or quarter).")
    notes: list[str] = []
    raw, name = _read_bytes(source, max_bytes)
    try:
        return _read_series(raw, name, target, date_col, layout, max_rows, notes)
    except SpecError:
        raise
    except (ValueError, TypeError, OverflowError, KeyError, IndexError, csv.Error) as exc:
        # A file shape none of the checks foresaw: still one line for the person.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError(f"{name} could not be read as a time series ({first[:160]}); "
                        "check that it is a plain CSV with a header row and numeric columns.") from None
    finally:
        if len(raw) > TRIM_AFTER_BYTES:
            _return_freed_memory()


TRIM_AFTER_BYTES = 2_000_000   # smaller files free little, and gc.collect() in the app's server is not free


def _return_freed_memory() -> None:
    """Hand what reading freed back to the OS. A long file's strings leave free memory in two places
    that keep it: pyarrow's memory pool (mimalloc, which caches what Arrow's string kernels freed)
    and glibc's heap (fragmented, and trimmed only from its top). Released here, a 1,000,000-row
    file leaves the process about 30 MB larger instead of 100-190 MB, and the training and scoring
    that follow start from there (BENCHMARKS.md, "Long series"). Where the C library has no
    malloc_trim (not glibc), its heap is left as it is."""
    import ctypes
    import ctypes.util
    import gc

    import pyarrow

    gc.collect()
    pyarrow.default_memory_pool().release_unused()
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@dataclass
class _Table:
    """The file as strings, and what the steps learn about its columns."""

    name: str                   # the person's file name, for messages
    frame: pd.DataFrame         # every field as a string (object dtype), named columns
    lines: np.ndarray           # the file's line number of each row
    delimiter: str
    has_header: bool
    numeric: dict = field(default_factory=dict)     # column -> float values (NaN: missing or bad)
    bad: dict = field(default_factory=dict)         # column -> mask of present values that are not numbers
    text_cols: list = field(default_factory=list)
    hours_col: str | None = None   # a column of hours added to the dates (_with_hours): a row may lack only its hour

    @property
    def names(self) -> list[str]:
        return list(self.frame.columns)


def _read_series(raw: bytes, name: str, target, date_col, layout: str, max_rows: int, notes: list[str]) -> SeriesFrame:
    table = _table_of_strings(raw, name, max_rows, notes)
    _find_numbers(table, notes)
    date_col, dates = _find_dates(table, date_col, notes)
    wide = wide_columns(list(table.numeric))
    if layout == "wide":
        frame, dates, lines, target = _melt(table, wide, date_col, dates, target, notes)
    else:
        if wide is not None:
            notes.append(wide_note(wide))
        _drop_row_counter(table, notes)
        target = _choose_target(table, target, date_col, notes)
        frame, lines = _numeric_frame(table, target, notes), table.lines
    frame, freq, utc_offset, added = _time_index(frame, table, dates, lines, date_col, notes)
    frame, filled = fill_missing(frame, target, name, notes, added)
    check_target(frame, target)
    note_spikes(frame, target, filled, notes)
    # Put the target last: it is the channel models predict, in "all" mode too.
    frame = frame[[c for c in frame.columns if c != target] + [target]].astype(float)
    return SeriesFrame(frame=frame, target=target, date_col=date_col, freq=freq, notes=notes, layout=layout,
                       wide=wide, utc_offset=utc_offset, filled=filled, written=_written(table))


def _written(table: _Table) -> tuple[str, str]:
    """The file's separator and decimal mark: a comma between digits in a number column of a file not separated by
    commas is a decimal comma (as _parse_numbers reads a tie), judged on its first thousand rows."""
    if table.delimiter == ",":
        return ",", "."
    head = table.frame.iloc[:1000]
    cells = [head[col].astype(str) for col in table.numeric if col in head]
    comma = any(c.str.contains(r"\d,\d", regex=True).any() for c in cells)
    # 1,010.50: a comma of thousands before a decimal point (a review found its downloads given decimal commas)
    points = any(c.str.contains(r"\d,\d{3}\.\d", regex=True).any() for c in cells)
    return table.delimiter, "," if comma and not points else "."


def _table_of_strings(raw: bytes, name: str, max_rows: int, notes: list[str]) -> _Table:
    """Decode, split into rows, find the header, and make the rows rectangular."""
    text = _decode(raw, name, notes)
    plain = _plain_table(text, max_rows)
    if plain is not None:
        return _plain_strings(plain, name, max_rows, notes)
    rows, line_numbers, delimiter = _split_table(text, name, max_rows, notes)
    if not rows:
        raise SpecError(f"{name} holds only empty fields; give a CSV with a header row and at least {MIN_ROWS} data rows.")
    has_header = _has_header(rows[0])
    if not has_header:
        notes.append("the first row holds numbers, so the file has no header; columns are named col_0, col_1, ...")
    rows, width = _rectangle(rows, line_numbers, has_header, name, notes)
    if has_header:
        names = _column_names(rows[0], width, notes)
        rows, line_numbers = rows[1:], line_numbers[1:]
    else:
        names = [f"col_{i}" for i in range(width)]
    _check_row_count(name, names, len(rows), max_rows)
    return _Table(name=name, frame=pd.DataFrame(rows, columns=names, dtype=object),
                  lines=np.asarray(line_numbers), delimiter=delimiter, has_header=has_header)


MAX_COLUMNS = 2_000   # each column is parsed on its own (about 1 ms each): a one-line file of 740,000 fields
                      # kept a server's core busy for over 12 minutes before it was refused for its rows


def _check_row_count(name: str, names: list[str], n_rows: int, max_rows: int) -> None:
    """Refuse a table without rows, too long or too wide before any column is parsed (the parsing is per
    column; a wide file, a row per year, may have fewer than MIN_ROWS rows)."""
    if not n_rows:
        raise SpecError(f"{name} has a header ({_list(names[:8])}) but no data rows; "
                        f"give at least {MIN_ROWS} rows of data.")
    if len(names) > MAX_COLUMNS:
        raise SpecError(f"{name} has {len(names):,} columns, over the limit of {MAX_COLUMNS:,}; a series is read "
                        "one value per row: give the dates and values as columns, one row per time step.")
    if n_rows > max_rows:
        raise SpecError(f"{name} has {n_rows:,} rows, over the limit of {max_rows:,}; "
                        "use a shorter extract or aggregate it to a coarser frequency.")


def _plain_strings(plain, name: str, max_rows: int, notes: list[str]) -> _Table:
    """_table_of_strings for a plain file (text._plain_table): the header found the same way."""
    frame, line_numbers, delimiter = plain
    if delimiter != ",":
        notes.append(f"columns are separated by {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}s.")
    first = [str(v) for v in frame.iloc[0]]
    has_header = _has_header(first)
    if has_header:
        frame, line_numbers = frame.iloc[1:].reset_index(drop=True), line_numbers[1:]
        frame.columns = _column_names(first, len(first), notes)
    else:
        notes.append("the first row holds numbers, so the file has no header; columns are named col_0, col_1, ...")
        frame.columns = [f"col_{i}" for i in range(len(first))]
    _check_row_count(name, list(frame.columns), len(frame), max_rows)
    return _Table(name=name, frame=frame, lines=line_numbers, delimiter=delimiter, has_header=has_header)


def _find_numbers(table: _Table, notes: list[str]) -> None:
    """A column is numeric when 90% of its present values parse as numbers; the rest are text."""
    for col in table.names:
        plain = _plain_numbers(table.frame[col])   # the common column: no sign to speak of (bench/wide_csv.py)
        values, bad, n_present = _parse_numbers(table.frame[col], table.delimiter) if plain is None else \
            (plain, np.zeros(len(plain), bool), len(plain))
        n_ok = n_present - int(bad.sum())
        marks = marks_as_thousands(table.frame[col], table.delimiter) if n_present else None
        if marks is not None and marks[1] == "several":   # 1.044.539 beside 785.845: read without its dots
            values, bad, n_present = _parse_numbers(_without(table.frame[col], marks[0]), table.delimiter)
            n_ok = n_present - int(bad.sum())
        if n_present and n_ok >= 0.9 * n_present:
            if marks is not None:
                values = _thousands_note(table, col, values, marks, notes)
            if plain is None:
                _signs_note(table.frame[col], values, col, notes)
            table.numeric[col], table.bad[col] = values, bad
        elif n_present:
            table.text_cols.append(col)
        else:
            notes.append(f"column {col!r} is empty and was dropped.")


def _signs_note(text, values, col: str, notes: list[str]) -> None:
    """Say that a numeric column's currency or percent signs were taken out, with one value as read: "$1,241.35"
    and "12.41%" had been read as 1241.35 and 12.41 without a word, and a percent is read in points, not as
    0.1241 (a forecast user's check)."""
    text = text.astype("string")
    # one pass over the column for every sign, then one for each only where a value has one (a wide file's columns had
    # had five passes each: bench/wide_csv.py)
    signed = text.str.contains(f"[{re.escape(SIGNS)}]", regex=True).fillna(False).to_numpy(bool)
    if not signed.any():
        return
    signs = [sign for sign in SIGNS if text[signed].str.contains(sign, regex=False).any()]
    read = np.flatnonzero(signed & np.isfinite(np.asarray(values, dtype=np.float64)))
    if not len(read):
        return
    first = int(read[0])
    said = " and ".join(repr(sign) for sign in signs)
    notes.append(f"column {col!r}: its values' {said} sign{'s are' if len(signs) > 1 else ' is'} left out "
                 f"({text.iloc[first]!r} is read as {float(values[first]):g})"
                 + ("; a percent is read in points, as written, not as a fraction" if "%" in signs else "") + ".")


def _thousands_note(table: _Table, col: str, values, marks: tuple[str, str, str], notes: list[str]):
    """A numeric column whose dots or commas may separate thousands (columns.marks_as_thousands): read as
    thousands when whole numbers sit beside them, else as decimals; either way the note says so."""
    mark, how, example = marks
    sep = _DELIMITER_NAMES.get(table.delimiter, repr(table.delimiter))
    name = {".": "dot", ",": "comma"}[mark]
    if how == "maybe":
        notes.append(f"column {col!r}: every value has a {name} before three digits (such as {example!r}), read as "
                     f"decimals ({float(example.replace(',', '.')):g}); in a {sep}-separated file the {name} may "
                     f"separate thousands: if it does, remove the {name}s.")
        return values
    if how == "several":
        notes.append(f"column {col!r}: the {name} separates thousands, as values such as {example!r} show in this "
                     f"{sep}-separated file: {example!r} is read as {example.replace(mark, '')}.")
    else:
        notes.append(f"column {col!r}: the {name} separates thousands, as whole numbers without one sit beside "
                     f"values such as {example!r} in this {sep}-separated file: {example!r} is read as "
                     f"{example.replace(mark, '')}.")
    if how == "several":
        return values   # already read without the marks (_find_numbers)
    return _parse_numbers(_without(table.frame[col], mark), table.delimiter)[0]


def _without(values: pd.Series, mark: str) -> pd.Series:
    return values.astype("string").str.replace(mark, "", regex=False)


def _find_dates(table: _Table, date_col, notes: list[str]):
    """The date column: the one chosen, else the first text column whose values almost all parse as
    dates, else a numeric column of years (with a month or quarter column beside it, if there is
    one: layout.py). Returns (its name, the parsed dates) or (None, None)."""
    dates, how, years = None, "", None
    if date_col is not None:
        date_col = _match_column(date_col, table.names, "date column", table.name)
        if date_col in table.numeric:
            years = find_year_index(table.numeric, table.names, only=date_col)
        if years is None:
            dates, share, how = _parse_dates(table.frame[date_col])
        if years is None and (dates is None or share < 0.9):
            if names := zoned_by_name(table.frame[date_col]):
                raise SpecError(f"{zone_name_words(date_col, names)}.")
            example = _first_unparsed(table.frame[date_col], dates, table.lines)
            raise SpecError(f"column {date_col!r} does not hold dates{example}; "
                            "choose another date column or fix its values.")
        table.numeric.pop(date_col, None)
        table.bad.pop(date_col, None)
        if date_col in table.text_cols:
            table.text_cols.remove(date_col)
    else:
        near = []   # columns that look like dates (half their values or more) but have too many that are not
        near_zoned = []   # columns of dates whose times end in a zone's name (zoned_by_name)
        for col in list(table.text_cols):
            parsed, head_share, _ = _parse_dates(table.frame[col].iloc[:200])
            if parsed is None or head_share < 0.5:
                if names := zoned_by_name(table.frame[col]):
                    near_zoned.append((col, names))
                continue
            full, share, how = _parse_dates(table.frame[col])
            # Dates before the year 1000 are what pandas makes of IDs and versions ("T12" is 12 January
            # of year 1, "1.0.0" a day of year 1), not a time axis: such a column is text, not the index.
            written_years = full is not None and full.dropna().dt.year.ge(1000).mean() >= 0.9
            if written_years and share >= 0.95 and head_share >= 0.9:
                date_col, dates = col, full
                table.text_cols.remove(col)
                break
            # Half its values or more are dates that write their year (pandas reads "m5" or "1.0.0" as
            # dates in year 1, and a score "2-1" as 1 February of this year: no date column).
            year = table.frame[col].astype(str).str.contains(r"(?<!\d)(?:1[89]|2[01])\d\d(?!\d)", regex=True)
            if full is not None and (full.notna().to_numpy() & year.to_numpy(bool)).mean() >= 0.5:
                near.append((col, share, full))
        if date_col is None and len(table.numeric) > 1:
            date_col, dates, how = _compact_date_column(table)
        if date_col is None and len(table.numeric) > 1:
            years = find_year_index(table.numeric, table.names)
            if years is None and (panel := repeated_periods(table.numeric, table.names)):
                notes.append(panel)
        if date_col is None and years is None:
            for col, names in near_zoned:
                table.text_cols.remove(col)   # (not "non-numeric column(s) ... were dropped" as well)
                notes.append(f"{zone_name_words(col, names)}; until then its rows are plain steps.")
            for col, share, full in near:
                notes.append(f"column {col!r} looks like dates, but {1 - share:.0%} of its values are missing or not "
                             f"dates{_first_unparsed(table.frame[col], full, table.lines)}, so it was dropped and the "
                             "rows are plain steps: fix or remove those rows to use its dates.")
    if years is not None:
        date_col, dates = years.year_col, years.dates
        for col in (years.year_col, years.period_col, years.day_col, years.hour_col):
            table.numeric.pop(col, None)
            table.bad.pop(col, None)
        notes.append(years.note)
    elif date_col is not None:
        notes.append(f"dates are read from column {date_col!r}{DATE_READINGS.get(how, '')}.")
        if how == "mixed formats":
            odd = off_format_dates(table.frame[date_col], dates)
            if len(odd):
                shown = "; ".join(f"line {table.lines[i]} has {_fmt_value(table.frame[date_col].iloc[i])}, read as "
                                  f"{dates.iloc[i]:%Y-%m-%d}" for i in odd[:3])
                notes.append(f"{len(odd)} date(s) in column {date_col!r} are not in the format of the rest, so their "
                             f"reading is a guess ({shown}{' ...' if len(odd) > 3 else ''}): check them, and write "
                             "every date one way.")
    if years is None and date_col is not None:
        dates = _with_times(table, date_col, dates, notes)
    if table.text_cols:
        shown = ", ".join(repr(c) for c in table.text_cols[:6]) + (" ..." if len(table.text_cols) > 6 else "")
        notes.append(f"non-numeric column(s) {shown} were dropped.")
    if not table.numeric:
        example = next((f"; column {c!r} is text{_first_text(table.frame[c], table.lines)}" for c in table.text_cols),
                       "")
        raise SpecError(f"{table.name} has no numeric column (its columns are {_list(table.names)}{example}); "
                        "give a CSV with at least one column of plain numbers to forecast (no units or brackets "
                        "in the values).")
    return date_col, dates


def _compact_date_column(table: _Table):
    """(name, dates, how) of the first numeric column that holds dates written as one number
    (columns.named_compact_dates); else (None, None, ""). Read as a number it had been a feature of the model, and
    the rows plain steps (a forecast user's check)."""
    for col in list(table.numeric):
        found = named_compact_dates(str(col), table.frame[col])
        if found is not None:
            table.numeric.pop(col)
            table.bad.pop(col, None)
            return col, found[0], found[1]
    return None, None, ""


def _with_times(table: _Table, date_col: str, dates: pd.Series, notes: list[str]) -> pd.Series:
    """Dates without a time that repeat (several rows a day), and the next column holding times of day that tell
    those rows apart: joined (Date;Time, or Date;Hour as whole hours). A daily file's sunrise column is not."""
    at = table.names.index(date_col)
    beside = table.names[at + 1] if at + 1 < len(table.names) else None
    known = dates.dropna()
    if beside is None or not known.duplicated().any() or (known != known.dt.normalize()).any():
        return dates
    if beside in table.numeric:
        return _with_hours(table, date_col, beside, dates, notes)
    if beside not in table.text_cols:
        return dates
    times = time_of_day(table.frame[beside])
    if times is None or (dates + pd.to_timedelta(times.to_numpy())).dropna().duplicated().mean() > 0.01:
        return dates
    table.text_cols.remove(beside)
    notes.append(f"the times of day in column {beside!r} are added to the dates of {date_col!r}.")
    return dates + pd.to_timedelta(times.to_numpy())


def _with_hours(table: _Table, date_col: str, beside: str, dates: pd.Series, notes: list[str]) -> pd.Series:
    """_with_times' numeric column of hours (date,hour,kwh; a power market's Date, HE, Load): an hourly file of 400
    rows had been averaged into 17 days, its hour offered as an input (a forecast user's check)."""
    if plain_name(beside) not in HOUR_COLUMN_NAMES:
        return dates
    found = hours_of_day(beside, table.numeric[beside])
    joined = None if found is None else dates + pd.to_timedelta(found[0], unit="h")
    why = ("its values are not whole hours from 0 to 23 (or 1 to 24)" if joined is None else
           "dates and hours together still repeat (several series, one under another?)"
           if joined.dropna().duplicated().mean() > 0.01 else
           "its hours are mostly not one after another" if not fills_the_hours(joined) else "")
    if why:
        # said, not silent: a blank hour or a 25th (a clock change's) had left 400 hourly rows averaged into 17
        # days without a word on why (a review)
        notes.append(f"column {beside!r} looks like hours of the day, but {why}, so it was not added to the dates of "
                     f"{date_col!r}; to keep the hours, write each row's date and time in one column (2024-05-01 "
                     "13:00).")
        return dates
    hours, ending = found
    del table.numeric[beside]
    table.bad.pop(beside, None)
    table.hours_col = beside
    notes.append(f"the hours in column {beside!r} are added to the dates of {date_col!r}"
                 + (" (1 to 24: hours ending, so 1 is the hour from midnight, dated 00:00, and 24 the last, 23:00)."
                    if ending else "."))
    return joined


def _drop_row_counter(table: _Table, notes: list[str]) -> None:
    """A leading row-number column (what DataFrame.to_csv writes without index=False) is not data."""
    first_col = next(iter(table.numeric))
    if (len(table.numeric) > 1 and plain_name(first_col) in _INDEX_NAMES | {"col 0"} and first_col == table.names[0]
            and table.has_header):
        v = table.numeric[first_col]
        if np.array_equal(v, np.arange(len(v))) or np.array_equal(v, np.arange(1, len(v) + 1)):
            del table.numeric[first_col]
            notes.append(f"column {first_col!r} counts rows ({v[0]:.0f}, {v[0] + 1:.0f}, {v[0] + 2:.0f}, ...) and was "
                         "dropped.")


# Integer columns named for a part of the date, within its range: features beside the values, never the default
# target. Singular names only, and the range checked: "minutes" of talk (300 to 900), "hours" worked or a "day"
# count of 50 to 500 are values (a review); so are a daily "min" and a heart rate's "hr", not named here.
_CALENDAR_RANGES = {"year": (1000, 2300), "month": (1, 12), "week": (1, 53), "week_no": (1, 53), "weekno": (1, 53),
                    "week_nr": (1, 53), "week_num": (1, 53), "week_number": (1, 53), "weekday": (0, 7), "day": (1, 31),
                    "dow": (0, 7), "day_of_week": (0, 7), "dayofweek": (0, 7), "doy": (1, 366), "day_of_year": (1, 366),
                    "dayofyear": (1, 366), "day_of_month": (1, 31), "dayofmonth": (1, 31), "quarter": (1, 4),
                    "qtr": (1, 4), "hour": (0, 23), "minute": (0, 59)}


def _calendar_part(name, unique_values: np.ndarray) -> bool:
    """Whether a column is a part of the date: a name of _CALENDAR_RANGES, whole numbers within its range."""
    bounds = _CALENDAR_RANGES.get(str(name).strip().lower().replace(" ", "_"))
    v = unique_values
    return bool(bounds and len(v) and np.all(v == np.round(v)) and v.min() >= bounds[0] and v.max() <= bounds[1])


def _counts_rows(values: np.ndarray) -> bool:
    """A column that goes up by exactly 1 from row to row (a row id, from any start)."""
    return len(values) >= 3 and not np.isnan(values).any() and bool(np.all(np.diff(values) == 1))


def _choose_target(table: _Table, target, date_col, notes: list[str]) -> str:
    """The column chosen, or the last numeric column that is neither a 0/1 flag (a promotion or holiday
    marker beside the values is a feature, not the thing to forecast), nor constant (nothing to forecast: a
    unit or store id column after the values had ended in "target 'const' is constant", a new user's check), nor a
    row counter, nor an integer column named for a part of the date (year, week_no)."""
    numeric_names = list(table.numeric)
    if target is None:
        values = {c: np.unique(table.numeric[c][~np.isnan(table.numeric[c])]) for c in numeric_names}
        flags = [c for c in numeric_names if set(values[c]) <= {0, 1}]
        constant = [c for c in numeric_names if len(values[c]) == 1 and c not in flags]
        # A row id or a calendar part after the values (date, sales, year, week_no, row_id) is not the thing to
        # forecast either: 'row_id' was, its forecast "perfect", MASE 0.000 (a forecast user's check)
        counters = [c for c in numeric_names if c not in flags + constant and _counts_rows(table.numeric[c])]
        calendar = [c for c in numeric_names if c not in flags + constant + counters and _calendar_part(c, values[c])]
        skipped = flags + constant + counters + calendar
        candidates = [c for c in numeric_names if c not in skipped] or numeric_names
        # A price table (Date, Open, High, Low, Close, Adj Close, Volume): its close, the price one forecasts, not
        # the volume traded after it (a forecast user's check on a stock export)
        closes = [c for c in candidates if plain_name(c) in ("adj close", "adjusted close", "close")]
        if closes and any(plain_name(c) == "volume" for c in numeric_names):
            target = min(closes, key=lambda c: plain_name(c) == "close")   # the adjusted close where there is one
            notes.append(f"target: {target!r} (a price table's close, not the volume traded).")
            return target
        target = candidates[-1]
        after = numeric_names[numeric_names.index(target) + 1:]
        kinds = [kind for kind, names in (("a 0/1 flag", flags), ("constant", constant), ("a row counter", counters),
                                          ("a calendar part", calendar)) if set(after) & set(names)]
        passed = (f" that is {'neither ' + ' nor '.join(kinds) if len(kinds) > 1 else 'not ' + kinds[0]} such as "
                  f"{after[-1]!r}" if kinds else "")
        notes.append(f"target: {target!r} (the last numeric column{passed}).")
        return target
    if str(target) not in table.names:
        matched = _case_match(str(target), table.names)
        if matched is None:
            raise SpecError(f"there is no column {str(target)!r} to forecast; the columns are {_list(table.names)}.")
        # (--target Load ran on 'load', unsaid: a forecast user's check)
        notes.append(f"target {str(target)!r} is read as the column {matched!r}: no column is named exactly so.")
        target = matched
    target = str(target)
    if target == date_col:
        raise SpecError(f"column {target!r} holds the dates, so it cannot be the target; "
                        f"choose one of {_list(numeric_names)}.")
    if target not in table.numeric:
        if not table.frame[target].map(lambda v: str(v).strip().lower() not in _MISSING_TOKENS).any():
            raise SpecError(f"column {target!r} is empty; choose one of {_list(numeric_names)}.")
        example = _first_text(table.frame[target], table.lines)
        raise SpecError(f"column {target!r} is not numeric{example}; choose one of {_list(numeric_names)}.")
    return target


def _numeric_frame(table: _Table, target: str, notes: list[str]) -> pd.DataFrame:
    """The numeric columns as floats: an infinite target value is refused, other bad values become
    missing (with a note naming the first)."""
    values = table.numeric[target]
    inf_rows = np.flatnonzero(np.isinf(values))
    if len(inf_rows):
        raise SpecError(f"target column {target!r} holds an infinite value at line {table.lines[inf_rows[0]]} "
                        f"({len(inf_rows)} in all); replace it with a real number or leave it empty.")
    _missing_bad_values(table, list(table.numeric), notes)
    return pd.DataFrame(table.numeric, dtype=float)


def _missing_bad_values(table: _Table, columns: list[str], notes: list[str]) -> None:
    """Values that are not numbers, and infinite ones, become missing, with a note naming the first."""
    for col in columns:
        if table.bad[col].any():
            idx = np.flatnonzero(table.bad[col])
            notes.append(f"column {col!r}: {len(idx)} value(s) that are not numbers (first at line "
                         f"{table.lines[idx[0]]}: {_fmt_value(table.frame[col].iloc[idx[0]])}) were treated as missing.")
        infs = np.isinf(table.numeric[col])
        if infs.any():
            table.numeric[col] = np.where(infs, np.nan, table.numeric[col])
            notes.append(f"column {col!r}: {int(infs.sum())} infinite value(s) were treated as missing.")


def _melt(table: _Table, wide: WideColumns | None, date_col, dates, target, notes: list[str]):
    """A wide table (a row per year, a column per month or quarter) as one long series in time order.
    Returns (frame of one column, its dates or None, the file line of each value, the target's name)."""
    if wide is None:
        raise SpecError(f"{table.name} does not look like a wide table (twelve columns named after the months, "
                        "JAN ... DEC, or four named Q1 ... Q4); read it with layout 'long'.")
    if target is not None and str(target).strip().lower() != WIDE_TARGET:
        raise SpecError(f"with layout 'wide' the series is the table's {wide.describe()}, read as one column "
                        f"{WIDE_TARGET!r}; leave the target unset.")
    years = None
    if dates is not None:
        stamps = pd.DatetimeIndex(dates)
        if stamps.hasnans or stamps.year.duplicated().any():
            raise SpecError(f"column {date_col!r} of {table.name} does not give one year per row, as a wide table "
                            "has; choose the column that holds the years.")
        years = stamps.year.to_numpy()
    _missing_bad_values(table, wide.columns, notes)
    values, dates, lines, dropped = melt_wide(table.numeric, wide, years, table.lines)
    if dropped:
        notes.append(f"column(s) {_list(dropped)} hold one value per row, not per period, and were dropped.")
    # Empty periods before the first value and after the last were not observed (yet): not missing values.
    seen = np.flatnonzero(np.isfinite(values))
    if len(seen) == 0:
        raise SpecError(f"the {wide.describe()} of {table.name} hold no numbers; check the file.")
    keep = slice(seen[0], seen[-1] + 1)
    if seen[0] > 0 or seen[-1] < len(values) - 1:
        notes.append(f"{seen[0] + len(values) - 1 - seen[-1]} empty period(s) before the first value or after the "
                     "last were left out.")
    word = "monthly" if wide.per_year == 12 else "quarterly"
    notes.append(f"the wide table's {wide.describe()} are read as one long {word} series {WIDE_TARGET!r}, "
                 "row after row.")
    frame = pd.DataFrame({WIDE_TARGET: values[keep]})
    return frame, (dates.iloc[keep].reset_index(drop=True) if dates is not None else None), lines[keep], WIDE_TARGET


# Words of a column's name that say it holds dates: whole words (voltage, update and uptime are not: a review), and
# words ending so (OrderDate, Bestelldatum, timestamp).
_DATE_WORDS = {"date", "dates", "day", "days", "datum", "fecha", "data", "time", "period", "periodo", "período",
               "month", "week", "jour", "tag", "dia", "día", "giorno", "dag", "datetime", "zeit", "zeitstempel"}
_DATE_ENDINGS = ("datum", "date", "stamp", "datetime", "zeit")
_NOT_DATES = {"update", "uptime"}


def _day_numbers(table: _Table) -> str:
    """Where a numeric column named like a date holds whole numbers rising from 10,000 to 80,000 (1927 to 2119 as a
    spreadsheet's day numbers: a date column formatted as a number in Excel), what to do, said; else "". Its numbers
    had been read as an input, with only "no date column" to say so (a forecast user's check)."""
    for col, values in table.numeric.items():
        v = values[np.isfinite(values)]
        # letters of any script, split where camelCase turns (OrderDate) and at digits, _ and spaces
        words = {w.lower() for part in re.findall(r"[^\W\d_]+", str(col))
                 for w in re.findall(r"[A-Z]+(?![^\W\d_A-Z])|[^\W\d_][^\W\d_A-Z]*", part)}
        dated = any(w in _DATE_WORDS or (w.endswith(_DATE_ENDINGS) and w not in _NOT_DATES) for w in words)
        if not dated or len(v) < 3 or not ((v >= 10_000) & (v <= 80_000)).all():
            continue
        steps = np.diff(v)
        # a day's to a quarter's steps (seconds of a day's log, 10,000 to 80,000 too, step further)
        if (v == np.round(v)).all() and (steps > 0).all() and steps.max() <= 92:
            first = (pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(v[0]))).date()
            return (f"; column {col!r} holds whole numbers such as {int(v[0])}, which read as a spreadsheet's day "
                    f"numbers would be dates ({int(v[0])}: {first}): if they are, format the column as dates in the "
                    "spreadsheet and save the CSV again.")
    return ""


def _time_index(frame: pd.DataFrame, table: _Table, dates, lines, date_col, notes: list[str]):
    """Dates as a sorted index (rows without a date dropped, duplicates averaged, a regular grid's few
    missing timestamps added), or plain steps 0, 1, 2, ... Returns (frame, frequency or None, the UTC offset
    of the times' clock or None: the times stay naive on that clock, and the run's files write it, the
    timestamps added for gaps)."""
    if dates is None:
        frame.index = pd.RangeIndex(len(frame))
        notes.append("no date column: rows are treated as equally spaced steps 0, 1, 2, ..." + _day_numbers(table))
        return frame, None, None, frame.index[:0]
    stacked = stacked_by(table.frame[table.text_cols], dates) if len(frame) == len(table.frame) else None
    if stacked is not None:
        col, names = stacked
        shown = ", ".join(names[:4]) + (" ..." if len(names) > 4 else "")
        raise SpecError(f"column {col!r} names {len(names)} series stacked one under another ({shown}: a row per "
                        f"{col} per date), and one forecast cannot mix them; keep one {col}'s rows in a CSV of its "
                        f"own, or give each {col} a column of its own and choose it as the target.")
    ok = dates.notna().to_numpy()
    if not ok.all():
        first_bad = lines[np.flatnonzero(~ok)[0]]
        # its value, so that a footer ("Total") is seen for what it is (a forecast user's check)
        at = np.flatnonzero(np.asarray(table.lines) == first_bad)
        raw = str(table.frame[date_col].iloc[at[0]]).strip() if len(at) and date_col in table.frame else ""
        value = f": {_fmt_value(raw)}" if raw and raw.lower() not in ("nan", "none") else ", empty" if len(at) else ""
        # or has no hour: a blank hour beside a right date had been said as "whose 'date' is not a date (first at
        # line 32: '2024-05-02')" (a review)
        hourless = f" or whose {table.hours_col!r} is empty" if table.hours_col else ""
        notes.append(f"{int((~ok).sum())} row(s) whose {date_col!r} is not a date{hourless} (first at line "
                     f"{first_bad}{value}) were dropped.")
        frame, dates, lines = frame[ok], dates[ok], lines[ok]
    frame.index = pd.DatetimeIndex(dates).tz_convert(None)
    utc_offset = None
    if any(_TZ_RE.search(str(v).strip()) for v in table.frame[date_col].iloc[:500]):
        # Days kept as written where that keeps them at one time of day: local midnights across a daylight-saving
        # change, not UTC midnights written in a local zone, which one clock keeps at one time (a review). Steps
        # shorter than a day are moved to one clock, each row's offset read once, by latest_offset (twice had
        # doubled the time of reading an hourly file: a review).
        as_written, zones = False, None
        if days_apart(frame.index):
            zones = written_zones(table.frame[date_col].loc[dates.index])
            own = zones[0]
            latest = own[int(np.argmax(frame.index.asi8))]   # the last reading's
            as_written = len(np.unique(own)) > 1 and times_of_day(frame.index + own) < times_of_day(frame.index + latest)
        utc_offset = latest_offset(table.frame[date_col], dates, notes, as_written=as_written, zones=zones)
        frame.index = frame.index + (zones[0] if as_written else utc_offset)
        if as_written:
            utc_offset = None   # the run's files write the dates as read, without an offset (one per row is lost)
    frame.index.name = date_col
    if not frame.index.is_monotonic_increasing:
        notes.append(f"rows were not in time order and were sorted by {date_col!r}.")
        frame = frame.iloc[np.argsort(frame.index.to_numpy(), kind="stable")]
    dup = frame.index.duplicated(keep=False)
    if dup.any():
        repeated = frame.index[dup]
        first_dup, n_stamps = repeated[0], repeated.nunique()
        frame = frame.groupby(level=0, sort=True).mean()
        # Counted as the timestamps that repeat and their rows: it said "716 duplicate timestamp(s) (1009 rows
        # involved)" of 293 days that had 1,009 rows, 716 being the rows past each day's first (a forecast user's
        # check). Rows that are parts of a total (a sale per row) are summed per date in the file, not averaged here.
        notes.append(f"{n_stamps:,} timestamp{'s are' if n_stamps != 1 else ' is'} duplicated (on {int(dup.sum()):,} "
                     f"rows; the first: {stamp_said(first_dup, frame.index)}), and each one's rows were averaged into "
                     "one; if they are parts of a total (a sale per row), sum them per timestamp in the file instead."
                     + clock_change_words(repeated.unique(), repeated=True))
    regular, freq, added = regularise(frame, notes)
    return regular, freq, utc_offset, added


def _match_column(wanted: str, names: list[str], what: str, name: str) -> str:
    wanted = str(wanted)
    if wanted in names:
        return wanted
    matched = _case_match(wanted, names)
    if matched is None:
        raise SpecError(f"there is no {what} {wanted!r} in {name}; the columns are {_list(names)}.")
    return matched


def _case_match(wanted: str, names: list[str]) -> str | None:
    folded = [n for n in names if n.strip().lower() == wanted.strip().lower()]
    return folded[0] if len(folded) == 1 else None


def _list(names) -> str:
    names = list(names)
    shown = ", ".join(_fmt_value(n) for n in names[:12])
    return shown + (f" and {len(names) - 12} more" if len(names) > 12 else "")
