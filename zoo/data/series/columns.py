"""Parsing columns of strings: numbers (thousands separators, decimal commas, currency and percent
signs) and dates (ISO, day first or month first, epoch seconds, time zones), by trying to parse
them rather than trusting a dtype (pandas 3 gives text a string dtype)."""
from __future__ import annotations

import functools
import re
import warnings

import numpy as np
import pandas as pd


_MISSING_TOKENS = {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "#na", "nat", "missing", "."}

SIGNS = "$€£¥%"   # currency and percent signs taken out of a number (read.py says so)
_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_US_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_EU_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")
_EU_DECIMAL_RE = re.compile(r"^[+-]?\d*,\d+$")
# A UTC offset or zone written after a time ("+02:00", "-0500", "+01" as PostgreSQL writes it, "Z"): its groups are
# the zone as written, the sign, the hours and the minutes (written_zones, the one reading of them).
_TZ_RE = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(Z|UTC|GMT|([+-])(\d{2})(?::?(\d{2}))?)$", re.IGNORECASE)


def _looks_numeric(value: str) -> bool:
    v = value.strip().replace(",", "").replace(" ", "")
    return bool(_NUMBER_RE.match(v))


def _looks_like_date(value: str) -> bool:
    v = value.strip()
    if not v or not any(c.isdigit() for c in v) or _looks_numeric(v):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.notna(pd.to_datetime(v, errors="coerce", utc=True))
        except (ValueError, TypeError, OverflowError):
            return False


def _clean_strings(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(stripped strings, mask of present values: not empty and not a missing-value token)."""
    if isinstance(values.dtype, pd.StringDtype):   # text._plain_table's Arrow strings: stay in Arrow
        s = values.fillna("").str.strip()
    else:
        s = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    missing = s.str.lower().isin(_MISSING_TOKENS).to_numpy(bool)
    return s, ~missing


def _plain_numbers(values: pd.Series) -> np.ndarray | None:
    """The values as floats where pandas reads every one as a finite number ("1.5", " -2", "3e2"), else None: the
    common column, read in one call of the parser `_parse_numbers` uses (read._find_numbers). Cleaning and parsing
    each column's strings had cost a file of 2,000 such columns 5 of its 9 seconds (bench/wide_csv.py). Anything else
    (a missing value, "nan", a sign, a thousands mark, a decimal comma) takes `_parse_numbers`, which says what it did.
    (Not a cast to float: Python's float() reads Arabic-Indic and full-width digits, which the long way does not, and a
    file's reading would have turned on whether one of its cells was empty: a review.)"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            numbers = pd.to_numeric(values).to_numpy(dtype=float)
        except (ValueError, TypeError, OverflowError):
            return None
    return numbers if np.isfinite(numbers).all() else None


def _parse_numbers(values: pd.Series, delimiter: str):
    """(float values with NaN for missing/bad, mask of present-but-unparseable, number of present values)."""
    s, present = _clean_strings(values)
    n_present = int(present.sum())
    out = np.full(len(s), np.nan)
    if n_present == 0:
        return out, np.zeros(len(s), bool), 0
    vals = s[present]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_numeric(vals, errors="coerce").astype(float)
    bad = parsed.isna().to_numpy()
    if bad.all() and len(vals) > 200:
        _, sample_bad, sample_present = _parse_numbers(vals.iloc[:200], delimiter)
        if int(sample_bad.sum()) == sample_present:
            return out, present.copy(), n_present   # plainly text (dates, names): skip the slow clean-ups
    if bad.any():
        # Quoted numbers with thousands separators, decimal commas, currency or percent signs.
        cleaned = vals.str.replace(rf"[\s\u00a0\u202f{re.escape(SIGNS)}_']", "", regex=True)
        has_comma = cleaned.str.contains(",", regex=False).to_numpy(bool)
        has_dot = cleaned.str.contains(".", regex=False).to_numpy(bool)
        options = []
        if has_comma.any() and cleaned[has_comma].str.match(_US_THOUSANDS_RE).all():
            options.append(("us", cleaned.str.replace(",", "", regex=False)))
        if has_comma.any() and cleaned[has_dot].str.match(_EU_THOUSANDS_RE).all() and \
                (cleaned[has_comma].str.match(_EU_THOUSANDS_RE) | cleaned[has_comma].str.match(_EU_DECIMAL_RE)).all():
            options.append(("eu", cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)))
        if not options:
            options.append(("plain", cleaned))
        best = None
        for style, candidate in options:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p = pd.to_numeric(candidate, errors="coerce").astype(float)
            ok = int(p.notna().sum())
            # A tie ("1,234" reads both ways) goes to the decimal comma when commas do not separate fields.
            rank = (ok, (style == "eu") == (delimiter != ","))
            if best is None or rank > best[0]:
                best = (rank, p)
        if best[0][0] > int((~bad).sum()):
            parsed = best[1]
            bad = parsed.isna().to_numpy()
    out[present] = parsed.to_numpy(float)
    bad_mask = np.zeros(len(s), bool)
    bad_mask[np.flatnonzero(present)[bad]] = True
    return out, bad_mask, n_present


_THOUSANDS_RES = {".": r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$", ",": r"^[+-]?[1-9]\d{0,2}(,\d{3})+$"}


def marks_as_thousands(values: pd.Series, delimiter: str) -> tuple[str, str, str] | None:
    """Whether a numeric column's dots or commas may separate thousands where the parser read them as the
    decimal mark. In a file separated by semicolons (a European export, where the comma is the decimal
    mark) "7.188" is 7188 as often as 7.188 (in a tab file, R and most tools write a decimal dot: not
    asked); in any file not separated by commas "1,102" reads as 1.102 (a tie goes to the decimal comma),
    and is 1102 as often (a forecast user's semicolon file of units had its values over 1,000 read 1,000
    times too small, unsaid). (the mark, "thousands", an example) when the values with that mark all have
    one before each group of three digits and the rest are whole numbers (505 beside 7.188: a column of
    decimals would write 505.000), unless read so the series jumps a hundredfold between neighbours more
    often than read with decimals (1,250 beside 3 in a column of weights is 1.25 kg: a review); (".", "several",
    an example) when a value has several dots (1.044.539 is a number one way only); (the mark, "maybe", an example) when every
    value has one group; None otherwise (other decimals, a comma file, several commas: the parser reads
    1,102,345 as thousands)."""
    asked = [mark for mark, ask in ((".", delimiter == ";"), (",", delimiter != ",")) if ask]
    if not asked:   # a comma file: nothing to ask, and cleaning each column's strings for it had cost a wide file
        return None  # 40% of its reading (bench/wide_csv.py)
    s, present = _clean_strings(values)
    vals = s[present].str.replace(rf"[\s\u00a0\u202f{re.escape(SIGNS)}_']", "", regex=True)
    for mark in asked:
        marked = vals.str.contains(mark, regex=False).to_numpy(bool)
        if not marked.any() or not vals[marked].str.match(_THOUSANDS_RES[mark]).all():
            continue
        plain = vals[~marked]
        if not plain.str.fullmatch(r"[+-]?\d+").all():
            continue
        several = (vals[marked].str.count(re.escape(mark)) > 1).to_numpy(bool)
        if several.any():
            return None if mark == "," else (mark, "several", vals[marked][several].iloc[0])
        if len(plain) == 0:
            return mark, "maybe", vals[marked].iloc[0]
        as_thousands = pd.to_numeric(vals.str.replace(mark, "", regex=False), errors="coerce").to_numpy(float)
        as_decimals = pd.to_numeric(vals.str.replace(mark, ".", regex=False), errors="coerce").to_numpy(float)
        if _jumps(as_thousands) <= _jumps(as_decimals):
            return mark, "thousands", vals[marked].iloc[0]
    return None


def _jumps(values: np.ndarray) -> int:
    """How often a value is over 100 times its neighbour's size (zeros left out): a reading that makes some values
    1,000 times the others jumps so at each border between them. (A ratio of spread to level had read a column of
    sales mostly over 1,000 as decimals: a review.)"""
    values = np.abs(values[np.isfinite(values) & (values != 0)])
    if len(values) < 2:
        return 0
    ratio = np.maximum(values[1:], values[:-1]) / np.minimum(values[1:], values[:-1])
    return int(np.count_nonzero(ratio > 100))


# A date written in numbers: 2023-01-31, 31/01/2023, 01.31.23 or 2023-01, then the end or a time.
_NUMERIC_DATE_RE = r"^(\d{1,4})([-/.])(\d{1,2})(?:\2(\d{1,4}))?(?=$|[\sT])"

# How each field order is tried (pandas.to_datetime keyword arguments), first to last.
_ATTEMPTS = {
    # ISO 8601 (2023-01-31, with or without a time): year, month, day in every convention. pandas's
    # dayfirst=True reads 1950-02-01 as 1950-01-02, which once made monthly series daily and irregular.
    "year first": [("ISO 8601", {"format": "ISO8601"}), ("inferred", {}), ("mixed formats", {"format": "mixed"})],
    "day first": [("day first", {"dayfirst": True}), ("mixed formats", {"format": "mixed", "dayfirst": True})],
    "month first": [("month first", {"dayfirst": False}), ("mixed formats", {"format": "mixed"})],
    "mixed": [("month first", {"dayfirst": False}), ("day first", {"dayfirst": True}),
              ("mixed formats", {"format": "mixed"})],
    "other": [("inferred", {}), ("ISO 8601", {"format": "ISO8601"}), ("mixed formats", {"format": "mixed"})],
}

# What a note says about each reading (read.py puts it after the date column's name).
DATE_READINGS = {
    "quarters": " (quarters, as in 1995 Q1: each the first day of its quarter)",
    "year and month as one number": " (year and month written as one number, as in 201901: each the first day of "
                                    "its month)",
    "year, month and day as one number": " (year, month and day written as one number, as in 20190115)",
    "year, month, day and hour as one number": " (year, month, day and hour written as one number, as in 2019011513)",
    "ISO weeks": " (ISO weeks, as in 2020-W02: each its Monday)",
    "months of two-digit years": " (a month and a two-digit year, as in Jan-15: each the first day of its month)",
    "Unix seconds": " (Unix time in seconds since 1970-01-01, as in 1704067200: UTC)",
    "Unix milliseconds": " (Unix time in milliseconds since 1970-01-01, as in 1704067200000: UTC)",
    "day first": " (day first, as in 31/12/2023)",
    "month first": " (month first, as in 12/31/2023)",
    "day first, evenly spaced": " (day first: no day is above 12, but only that reading is evenly spaced)",
    "month first, evenly spaced": " (month first: no day is above 12, but only that reading is evenly spaced)",
    "month first, a guess": " (month first, as in 12/31/2023; no day is above 12, so day first would fit too)",
}


FIELD_ORDER_SAMPLE = 50_000   # rows whose dates tell 'year first' or 'other' for a longer column (_field_order)


def _field_order(values: pd.Series) -> str:
    """How dates written in numbers order their fields: 'year first' (ISO 8601), 'day first' (more first fields
    over 12, as in 31/01/2023, than second ones), 'month first' (more second fields over 12), 'mixed' (as many of
    each), 'ambiguous' (neither: 01/02/2023) or 'other' (month names, no separators, ...).

    A column longer than FIELD_ORDER_SAMPLE is told 'year first' or 'other' by an even sample of it: the regular
    expression over 1,000,000 hourly timestamps took 2.5 s and a third of a GB, a 1,000,000-row export's reading
    past the 1 GB it is held to (a long-series user's check; BENCHMARKS.md, "Long series"). Day or month first is
    still told by every row, since one date past the 12th is the evidence."""
    if len(values) > FIELD_ORDER_SAMPLE:
        told = _field_order(values.iloc[::-(-len(values) // FIELD_ORDER_SAMPLE)])
        if told in ("year first", "other"):
            return told
    parts = values.str.extract(_NUMERIC_DATE_RE)
    matched = parts[0].notna()
    if matched.mean() < 0.9:
        return "other"
    first, second = parts.loc[matched, 0], parts.loc[matched, 2]
    if (first.str.len() == 4).mean() >= 0.9:
        return "year first"
    if parts.loc[matched, 3].isna().any():
        return "other"       # two fields that do not start with a year (12/2023): pandas's own reading
    day_evidence = int((first.astype(int) > 12).sum())
    month_evidence = int((second.astype(int) > 12).sum())
    # Both: the order of most of them, the others slips (pandas's mixed formats then read each the column's way
    # where it can, and off_format_dates names the rest). Called 'mixed', whose readings pandas's mixed formats won
    # by reading every row, a day-first file with one 10/29/2023 had every date up to the 12th read month first,
    # unsaid: one slip in a spreadsheet's export (a forecast user's check).
    if day_evidence and month_evidence and day_evidence != month_evidence:
        return "day first" if day_evidence > month_evidence else "month first"
    if day_evidence and month_evidence:
        return "mixed"
    return "day first" if day_evidence else "month first" if month_evidence else "ambiguous"


def _regularity(parsed: pd.Series) -> float:
    """Share of the steps between sorted distinct timestamps that equal the most common step. Steps
    are counted in months when the timestamps fall on one day of the month (or every month's end) at
    one time of day: the days between monthly, quarterly or yearly dates vary with the months."""
    t = pd.DatetimeIndex(np.sort(parsed.dropna().unique()))
    if len(t) < 2:
        return 0.0
    one_time = (t - t.normalize() == t[0] - t[0].normalize()).all()
    if one_time and ((t.day == t[0].day).all() or t.is_month_end.all()):
        steps = pd.Series(np.diff(t.year * 12 + t.month))
    else:
        steps = pd.Series(np.diff(t.asi8))
    return float((steps == steps.mode().iloc[0]).mean())


def _to_datetime(values: pd.Series, kwargs: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(values, errors="coerce", utc=True, **kwargs)
        except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
            return None


def off_format_dates(values: pd.Series, dates: pd.Series) -> np.ndarray:
    """Positions of the values that `dates` (read with pandas's mixed formats) holds but the column's
    own format does not read: the format of its most common shape of value (digits counted as one
    shape: 2001-01-01 and 2002-12-31 are one), as pandas guesses it. Each is a guess: 03/04/2001
    among ISO dates is read month first, 4 March, and may be 3 April. Empty when every date is in one
    format, or when no format reads most of them (then there is no "rest" to differ from)."""
    from pandas.tseries.api import guess_datetime_format

    s, present = _clean_strings(values)
    present = present & s.str.contains(r"\d", regex=True).to_numpy(bool)
    vals = s[present]
    if vals.empty:
        return np.zeros(0, int)
    shapes = vals.str.replace(r"\d", "9", regex=True)
    example = vals[shapes == shapes.mode().iloc[0]].iloc[0]
    fmt = guess_datetime_format(example, dayfirst=_field_order(vals) == "day first")
    main = _to_datetime(vals, {"format": fmt}) if fmt else None
    if main is None or main.notna().mean() < 0.5:
        return np.zeros(0, int)
    read = main.notna().to_numpy().copy()
    day = re.split(r"[ T]", fmt, maxsplit=1)[0]
    if day != fmt:   # a time-stamped format: its date alone (midnight written without a time) is the same format
        alone = _to_datetime(vals, {"format": day})
        if alone is not None:
            read |= alone.notna().to_numpy()
    odd = np.zeros(len(s), bool)
    odd[np.flatnonzero(present)] = ~read & dates[present].notna().to_numpy()
    return np.flatnonzero(odd)


_QUARTER_RES = (r"^(?P<y>\d{4})\s*[-/ ]?\s*[Qq](?P<q>[1-4])$", r"^[Qq](?P<q>[1-4])\s*[-/ ]?\s*(?P<y>\d{4})$")
_WEEK_RE = r"^(?P<y>\d{4})-?[Ww](?P<w>\d{2})(?:-?(?P<d>[1-7]))?$"


_COMPACT = {6: (r"^(?:1[89]|2[01])\d\d(?:0[1-9]|1[0-2])$", "%Y%m", "year and month as one number"),
            8: (r"^(?:1[89]|2[01])\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$", "%Y%m%d",
                "year, month and day as one number"),
            # 2024010113: a date and hour, as hourly exports write them (it had read as Unix seconds in 2034: a review)
            10: (r"^(?:1[89]|2[01])\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])$", "%Y%m%d%H",
                 "year, month, day and hour as one number")}


def compact_dates(values: pd.Series, month_named: bool = False):
    """Dates written as one number, year first, as SQL and spreadsheet exports write them (201901, 20190115):
    (dates, how) when every present value is one (of one length), else None. pandas reads 20190115 and not
    201901 ("does not hold dates" for a column chosen as the dates: a forecast user's check). `month_named`: the
    column's name says months (200801 ... 200812 read as months, not as the first twelve days of 2020)."""
    s, present = _clean_strings(values)
    vals = s[present].str.replace(r"\.0+$", "", regex=True)   # 201901.0: a column read as floats
    if not len(vals) or vals.str.len().nunique() != 1 or vals.str.len().iloc[0] not in _COMPACT:
        return None
    pattern, fmt, how = _COMPACT[int(vals.str.len().iloc[0])]
    if not vals.str.match(pattern).all():
        return None
    parsed = _to_datetime(vals, {"format": fmt})
    if parsed is None or parsed.isna().any():
        return None
    if fmt == "%Y%m":   # 190101, 190201, ... are also two-digit years' days (%y%m%d): the steadier reading, or none
        days = _to_datetime(vals, {"format": "%y%m%d"})   # (on a tie, months where the column's name says so)
        if days is not None and days.notna().all() and (
                _regularity(days) > _regularity(parsed) or _regularity(days) == _regularity(parsed) and not month_named):
            return None
    full = pd.Series(pd.NaT, index=s.index, dtype=parsed.dtype)
    full[present] = parsed.to_numpy()
    return full, how


# Unix time as exports write it: seconds (9-10 digits, 1973-2286; 9 until 2001-09-09, 10 after) or milliseconds
# (12-13 digits), each read as UTC; seconds may carry a fraction (1704067200.5)
_EPOCH_UNITS = {9: "s", 10: "s", 12: "ms", 13: "ms"}
_EPOCH_RANGE = (pd.Timestamp("1980-01-01", tz="UTC"), pd.Timestamp("2100-01-01", tz="UTC"))


def epoch_dates(values: pd.Series):
    """Unix time (1704067200 seconds, or 1704067200000 milliseconds, since 1970-01-01 UTC): (dates, how) when every
    present value is a number of seconds (or whole milliseconds) between 1980 and 2100; else None (found without being
    chosen, named_compact_dates asks more). pandas reads neither as dates, so a `ts` column of seconds was a feature
    of the model and the rows plain steps, and chosen as the date column it "did not hold dates" (a forecast user's
    check). Numbers that are all dates and hours written as one (2024010100: compact_dates reads them) are not."""
    s, present = _clean_strings(values)
    vals = s[present].str.replace(r"\.0+$", "", regex=True)
    whole = vals.str.split(".", n=1).str[0]
    if not len(vals) or not vals.str.fullmatch(r"\d+(?:\.\d+)?").all():
        return None
    units = {_EPOCH_UNITS.get(n) for n in whole.str.len().unique()}
    if len(units) != 1 or None in units or (units == {"ms"} and (vals != whole).any()):
        return None
    if whole.str.fullmatch(_COMPACT[10][0]).all():   # 2024010100, ...: a date and hour (a review)
        return None
    unit = units.pop()
    parsed = pd.to_datetime(vals.astype("float64") * (1000 if unit == "s" else 1), unit="ms", utc=True).dt.round("ms")
    if not parsed.between(*_EPOCH_RANGE).all():
        return None
    full = pd.Series(pd.NaT, index=s.index, dtype=parsed.dtype)
    full[present] = parsed.to_numpy()
    return full, "Unix seconds" if unit == "s" else "Unix milliseconds"


DATE_NAME = re.compile(r"date|time|day|month|period|yyyy|epoch|(?:^|_)(?:ym|ds|dt|ts|unix)(?:$|_)",   # ds: Prophet's
                       re.IGNORECASE)
MONTH_NAME = re.compile(r"month|yyyymm|(?:^|_)ym(?:$|_)", re.IGNORECASE)


def named_compact_dates(name: str, values: pd.Series):
    """`compact_dates` of a numeric column found without being chosen: named as dates, each date once, most steps
    alike (by days or by months); else None. A first column of ids (200101, 200102, ...) is not taken for months,
    nor numbers at uneven steps for dates (a review)."""
    if not DATE_NAME.search(name):
        return None
    found = compact_dates(values, month_named=bool(MONTH_NAME.search(name))) or epoch_dates(values)
    if found is None or not found[0].dropna().is_unique or _steadiness(found[0]) < 0.5:
        return None
    return found


def _steadiness(dates: pd.Series) -> float:
    """The share of steps alike, in days or in months, whichever is steadier: a month's last trading day steps 28 to
    33 days and one month (a review: 20150130, 20150227, ... had read as no dates)."""
    t = pd.DatetimeIndex(np.sort(dates.dropna().unique()))
    months = pd.Series(np.diff(t.year * 12 + t.month))
    by_month = float((months == months.mode().iloc[0]).mean()) if len(months) else 0.0
    return max(_regularity(dates), by_month)


def _quarters_or_weeks(vals: pd.Series):
    """Quarter labels (1995 Q1, 1995-Q1, Q1 1995) as the first day of their quarter, ISO weeks (2020-W02)
    as their Monday (or the day given), UTC as the other readings; (dates, how) when 90% of the values
    are such labels, else None. pandas reads neither "1995 Q1" nor "2020-W02"."""
    head = vals.iloc[:200]   # most columns are not such labels: a look at their head is enough to say so
    if not any(head.str.match(p).mean() >= 0.9 for p in (*_QUARTER_RES, _WEEK_RE)):
        return None
    for pattern in _QUARTER_RES:
        parts = vals.str.extract(pattern)
        if parts["y"].notna().mean() >= 0.9:
            text = parts["y"] + "-" + ((parts["q"].astype(float) - 1) * 3 + 1).map(lambda m: f"{m:02.0f}") + "-01"
            return _to_datetime(text.where(parts["y"].notna()), {"format": "%Y-%m-%d"}), "quarters"
    parts = vals.str.extract(_WEEK_RE)
    if parts["y"].notna().mean() >= 0.9:
        text = parts["y"] + "-W" + parts["w"] + "-" + parts["d"].fillna("1")
        return _to_datetime(text.where(parts["y"].notna()), {"format": "%G-W%V-%u"}), "ISO weeks"
    return None


# A month's name and a two-digit year, as a spreadsheet writes a monthly date (Excel's mmm-yy: "Jan-15"), which pandas
# reads as the 15th of January in year 1 or not at all: such a column had been dropped as text, the rows plain steps
# (a check of common spreadsheet exports).
_MONTH_SHORT_YEAR_RE = re.compile(r"^(?P<m>[^\W\d_]{3,9})\.?[-\s/.']?(?P<y>\d{2})$")


def _months_of_short_years(vals: pd.Series):
    """'Jan-15', 'Mar 16', 'Sept.17' as the first day of their month (years 00-68 as 2000s, 69-99 as 1900s: strptime's
    %y), (dates, how) where 90% of the values are such, name two months or more and read so they step evenly; else
    None."""
    head = vals.iloc[:200]
    if head.str.match(_MONTH_SHORT_YEAR_RE).mean() < 0.9:
        return None
    parts = vals.str.extract(_MONTH_SHORT_YEAR_RE)
    if parts["y"].notna().mean() < 0.9:
        return None
    parsed = _to_datetime(parts["m"].str[:3].str.title() + "-" + parts["y"], {"format": "%b-%y"})
    if parsed is None or parsed.notna().mean() < 0.9 or _regularity(parsed) < 0.8 or parsed.dt.month.nunique() < 2:
        return None   # (one month's name throughout: "Jan-01 ... Jan-31" read as 31 Januaries a year apart)
    return parsed, "months of two-digit years"


# Month names pandas does not read (it reads English's), in the languages whose other conventions the reader takes
# (a decimal comma, day first, Datum;Uhrzeit): German, French, Spanish, Italian, Dutch. Words English shares (Jan,
# Apr, Nov) are English's already. A German file's "Mär 2015" had its date column dropped, "33% ... not dates ...
# fix or remove those rows" (a forecast user's check): the rows were right, the names unread.
_MONTH_WORDS = {
    1: "januar janv janvier ene enero gen gennaio januari", 2: "februar févr fevr février fevrier febrero febbraio "
    "februari", 3: "mär märz maerz mrz mars marzo mrt maart", 4: "avr avril abr abril aprile", 5: "mai mayo mag "
    "maggio mei", 6: "juni juin junio giu giugno", 7: "juli juil juillet julio lug luglio", 8: "août aout ago agosto "
    "augustus", 9: "sept septembre septiembre setiembre set settembre", 10: "okt oktober octobre octubre ott ottobre",
    11: "novembre noviembre", 12: "dez dezember déc décembre decembre dic diciembre dicembre"}
_FOREIGN_MONTHS = {word: "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()[month - 1]
                   for month, words in _MONTH_WORDS.items() for word in words.split()}
_FOREIGN_MONTH_RE = re.compile(r"(?<![^\W\d_])(" + "|".join(sorted(_FOREIGN_MONTHS, key=len, reverse=True))
                               + r")(?![^\W\d_])", re.IGNORECASE)


_ENGLISH_MONTH_RE = re.compile(r"(?<![^\W\d_])(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?![^\W\d_])",
                               re.IGNORECASE)


def _english_month_names(vals: pd.Series) -> pd.Series:
    """`vals` with _FOREIGN_MONTHS' names written as English's, where its first thousand values name two months or
    more, one of them in another language: a column of labels ("Set 2019", "Mars 2020") names one, and had been
    read as September's dates and chosen over the file's date column (a review). Only the first thousand are
    searched first (a file of ISO timestamps is not searched through)."""
    head = vals.head(1000)
    foreign = {_FOREIGN_MONTHS[m.lower()] for value in head for m in _FOREIGN_MONTH_RE.findall(value)}
    if not foreign:
        return vals
    english = {m[:3].title() for value in head for m in _ENGLISH_MONTH_RE.findall(value)}
    if len(foreign | english) < 2:
        return vals
    return vals.str.replace(_FOREIGN_MONTH_RE, lambda m: _FOREIGN_MONTHS[m[1].lower()], regex=True)


def _parse_dates(values: pd.Series):
    """(UTC datetimes with NaT where unparseable, share parsed of the present values, how it was read).

    An ISO date is never read day first, and day first is tried only where a first field over 12
    says so. When no field is over 12 (01/02/2023, ...), both orders read every value: month first
    (pandas's default) is kept unless only day first gives evenly spaced timestamps."""
    s, present = _clean_strings(values)
    present = present & s.str.contains(r"\d", regex=True).to_numpy(bool)
    n_present = int(present.sum())
    if n_present == 0:
        return None, 0.0, ""
    vals = _english_month_names(s[present])
    periods = _quarters_or_weeks(vals) or _months_of_short_years(vals) or compact_dates(vals) or epoch_dates(vals)
    if periods is not None:
        parsed, how = periods
        full = pd.Series(pd.NaT, index=s.index, dtype=parsed.dtype)
        full[present] = parsed.to_numpy()
        return full, float(parsed.notna().mean()) * n_present / max(len(s), 1), how
    order = _field_order(vals)
    best = (None, -1.0, "")
    if order == "ambiguous":
        month_first = _to_datetime(vals, {"dayfirst": False})
        day_first = _to_datetime(vals, {"dayfirst": True})
        if month_first is not None and day_first is not None:
            if _regularity(day_first) > _regularity(month_first):
                best = (day_first, float(day_first.notna().mean()), "day first, evenly spaced")
            elif month_first.equals(day_first):
                best = (month_first, float(month_first.notna().mean()), "inferred")  # 01/01/2023, ...
            elif _regularity(month_first) > _regularity(day_first):
                best = (month_first, float(month_first.notna().mean()), "month first, evenly spaced")
            else:
                best = (month_first, float(month_first.notna().mean()), "month first, a guess")
        order = "month first"     # the attempts below only if that failed
    for how, kwargs in _ATTEMPTS[order]:
        if best[1] >= 0.999:
            break
        parsed = _to_datetime(vals, kwargs)
        if parsed is None:
            continue
        share = float(parsed.notna().mean())
        if share > best[1]:
            best = (parsed, share, how)
    parsed, share, how = best
    if parsed is None:
        return None, 0.0, ""
    full = pd.Series(pd.NaT, index=s.index, dtype=parsed.dtype)
    full[present] = parsed
    return full, share * n_present / max(len(s), 1), how


# A time zone's name after a time of day (10:00 CET, 10:00:00 Europe/Berlin), which pandas does not read: an
# abbreviation names no one offset (CST is the US's -06:00 and China's +08:00), so it is not guessed here either
# (zoned_by_name). Only names of zones: "10:00 Uhr" or "1500 EUR" are not dates with a zone (a review).
_ZONE_NAME_RE = re.compile(r"(?<=\d:\d\d)((?::\d\d(?:\.\d+)?)?)\s+([A-Z]{2,5}|[A-Z][A-Za-z_]+(?:/[A-Za-z_-]+){1,2})$")
_ZONE_ABBREVIATIONS = frozenset(
    "CET CEST EET EEST WET WEST BST IST MSK EST EDT CST CDT MST MDT PST PDT AKST AKDT HST JST KST AEST AEDT ACST "
    "ACDT AWST NZST NZDT SGT HKT PHT WIB ICT".split())


def zoned_by_name(values: pd.Series) -> list[str]:
    """The time zone names written after the times of a column that holds dates once they are left out (CET, CEST),
    most common first; empty for any other column. pandas reads none, and the column had been dropped as text with
    "non-numeric column(s) 'date' were dropped", the rows plain steps, and named as the date column "does not hold
    dates" without why (a forecast user's check)."""
    s, present = _clean_strings(values.iloc[:200])
    vals = s[present]
    names = vals.str.extract(_ZONE_NAME_RE)[1]
    if not len(vals) or names.notna().mean() < 0.9 or names.isin(_zone_names()).mean() < 0.9:
        return []
    parsed, share, _ = _parse_dates(vals.str.replace(_ZONE_NAME_RE, r"\1", regex=True))
    if parsed is None or share < 0.9:
        return []
    return list(names.value_counts().index)


@functools.cache
def _zone_names() -> frozenset[str]:
    import zoneinfo

    return (_ZONE_ABBREVIATIONS | zoneinfo.available_timezones()) - {"UTC", "GMT"}   # (those two pandas reads)


def zone_name_words(col: str, names: list[str]) -> str:
    """What a note or an error says of a column `zoned_by_name` found."""
    shown = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
    return (f"column {col!r} holds dates whose times end in a time zone's name ({shown}), which is not read (a name "
            "such as CST stands for more than one offset): write each time's UTC offset instead (as in "
            "2024-03-13 10:00:00+01:00), or no zone at all")


def clock_name(offset: pd.Timedelta) -> str:
    """"UTC+02:00", "UTC-03:30", or "UTC": how a note or a column names the clock of a UTC offset."""
    minutes = int(pd.Timedelta(offset).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}" if minutes else "UTC"


def written_zones(written: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each timestamp's UTC offset as written after its time (zero where it names none), and whether it names one
    ("Z" and "UTC" name an offset of zero), from one pass of `_TZ_RE` over the column: a second pass, for whether
    each names one, had added a third to the time of reading a zoned file (a review)."""
    zones = written.astype(str).str.strip().str.extract(_TZ_RE)
    sign = zones[1].map({"+": 1, "-": -1}).fillna(0)
    minutes = sign * (pd.to_numeric(zones[2], errors="coerce").fillna(0) * 60
                      + pd.to_numeric(zones[3], errors="coerce").fillna(0))
    return pd.to_timedelta(minutes.to_numpy(), unit="min").to_numpy(), zones[0].notna().to_numpy(dtype=bool)


def days_apart(times: pd.DatetimeIndex) -> bool:
    """Whether the times' usual step is a day or longer (a daily, weekly, monthly series)."""
    steps = np.diff(np.unique(np.asarray(times, dtype="datetime64[ns]"))).astype("int64")   # (asi8 is in the
    return len(steps) > 0 and float(np.median(steps)) >= pd.Timedelta(days=1).value        # index's own unit)


def times_of_day(times: pd.DatetimeIndex) -> int:
    """How many times of day the times fall at (a daily series of local midnights: one)."""
    times = pd.DatetimeIndex(times)
    return len(np.unique(np.asarray(times - times.normalize(), dtype="timedelta64[ns]")))


def latest_offset(written: pd.Series, dates: pd.Series, notes: list[str], as_written: bool = False,
                  zones: tuple[np.ndarray, np.ndarray] | None = None) -> pd.Timedelta:
    """Time-zoned timestamps are kept on the clock of the latest one as written (its UTC offset): the
    series' last reading, and so the forecast's first times and its downloads, read as the file does,
    while every step stays one real interval across a daylight-saving change (earlier rows written with
    another offset are moved to this one). Before, every time was UTC without saying so in the data.
    `as_written`: the times are kept on the clock each is written on, the caller's choice for steps of a day
    or longer (read.py), and the note says so. `zones`: each dated row's `written_zones`, where the caller has
    read them."""
    def offset_of(value) -> pd.Timedelta:
        try:
            return pd.Timestamp(str(value).strip()).utcoffset() or pd.Timedelta(0)
        except (ValueError, TypeError):
            return pd.Timedelta(0)

    dates = dates.dropna()
    last = written.loc[dates.idxmax()]   # by label: `dates` lacks the rows whose value is not a date
    offset = offset_of(last)
    clock = clock_name(offset)
    offsets, zoned = written_zones(written.loc[dates.index]) if zones is None else zones   # (+01 too: a review)
    # What moving them does to a cycle of the local clock, said with the way out: an hourly series of local demand
    # had its daily cycle an hour off before the March change, unsaid, and its board's intervals held 39% of 80% (a
    # forecast user's check). Physical series (sun, temperature) keep the even steps they want.
    moved = (" Rows written with another offset (a daylight-saving change) were moved to that clock, so the "
             "steps stay even; a cycle of the local clock (opening hours, say) sits an hour off in them: to keep the "
             "times as written, remove the offsets from the file." if len(np.unique(offsets[zoned])) > 1 else "")
    if not zoned.all():
        # Rows that name no offset beside rows that do were read as UTC, unsaid, and called a daylight-saving change:
        # a file of local times whose later rows gained "+01:00" had an hour averaged away (a forecast user's check).
        first = str(written.loc[dates.index][~zoned].iloc[0]).strip()
        notes.append(f"{int((~zoned).sum()):,} of {len(zoned):,} timestamps name no UTC offset where the others do "
                     f"(the first: {first!r}): they were read as UTC. If they are on another clock, write each "
                     "timestamp's offset in the file, or none at all.")
    if as_written:
        # A daily series of local midnights across a daylight-saving change, moved to one clock, had its days
        # before the change at 01:00, and was called irregular, "resample the file" (a forecast user's check).
        notes.append("timestamps carry time zones whose offsets differ (a daylight-saving change): each date is read "
                     "on the clock it is written on, without the zone, which keeps the days at one time of day; the "
                     "run's files write them so, without an offset.")
        return offset
    if zoned.all() and not offsets.any() and re.search(r"(Z|UTC)$", str(last).strip(), re.IGNORECASE):
        # written as UTC ("Z"): no clock change to warn of (its forecast had been said to sit "an hour off that
        # clock": a forecast user's check); +00:00 may be London's winter, and is warned of as any offset
        notes.append(f"timestamps are in UTC (as in {repr(str(last).strip())}), and so are the run's files and the "
                     "forecast's.")
        return offset
    # ...and the forecast's too: offsets name no zone, so a daylight-saving change after the last row is not known
    # here; a Berlin file ending at 22:00+01:00 on 30 March had its forecast written at 02:00+01:00 ... on a clock
    # of 03:00 (a forecast user's check): said, as the file's offsets cannot say it
    notes.append(f"timestamps carry time zones: every time is on the clock of the latest one ({clock}, as in "
                 f"{repr(str(last).strip())}; the run's files write that offset), and so are the forecast's: where "
                 f"the local clock changes (daylight saving) after the last row, the forecast's later times stay on "
                 f"{clock}, an hour off that clock.{moved}")
    return offset


_TIME_OF_DAY_RE = r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(\s*[AaPp]\.?[Mm]\.?)?$"


def time_of_day(values: pd.Series) -> pd.Series | None:
    """A column of times of day (00:00, 13:30:15, 1:30 PM, an hour range 00 - 01) as time deltas from
    midnight, for a date column beside it whose values have no time (a spreadsheet's Date and Time
    columns); None when 95% of its present values are not such times."""
    s, present = _clean_strings(values)
    # An hour range (Nord Pool's "00 - 01") is its first hour.
    s = s.str.replace(r"^(\d{1,2})(:\d{2})?\s*[-–]\s*\d{1,2}(:\d{2})?$", lambda m: f"{m[1]}{m[2] or ':00'}",
                      regex=True)
    if not present.any() or s[present].str.match(_TIME_OF_DAY_RE).mean() < 0.95:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clock = pd.to_datetime(s.where(present, None), format="mixed", errors="coerce")
    return clock - clock.dt.normalize()
