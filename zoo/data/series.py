"""Time series from a person's CSV: read it safely, then cut it into leakage-free windows.

`read_series` turns a path or uploaded bytes into a `SeriesFrame` (numeric columns on a sorted
time index, the target, the frequency, and notes on everything that was fixed on the way).
Anything it cannot use is refused with a `SpecError` of one sentence that names the column or
line and says what to do; no pandas or numpy exception reaches the caller.

`make_windows` splits the rows chronologically (train [0,a), val [a,b), test [b,n)), fits the
scaler on the training rows only (the seed normalised with the whole series, test included),
and builds every window whose targets lie inside one split; a window's input may reach back
into the split before it, so no test window is dropped.
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from zoo.registry import DataShape, SpecError

MIN_ROWS = 10                  # fewer rows than this cannot make a train, a val and a test window
MAX_TARGET_MISSING = 0.20      # share of the target that may be filled by interpolation
MAX_FEATURE_MISSING = 0.50     # a feature column missing more than this is dropped
MAX_GAP_FILL = 0.10            # timestamps missing from a regular grid that are filled in
MAX_WINDOW_VALUES = 300_000_000  # floats in all windows together (~1.2 GB as float32)
ETT_ROWS = (8640, 11520, 14400)  # 12/4/4 months of hourly data (Zhou et al., Informer)

_MISSING_TOKENS = {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "#na", "nat", "missing", "."}
_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_US_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_EU_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")
_EU_DECIMAL_RE = re.compile(r"^[+-]?\d*,\d+$")
_TZ_RE = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?|UTC|GMT)$", re.IGNORECASE)
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_INDEX_NAMES = {"", "unnamed: 0", "index"}


def _fmt_value(v) -> str:
    s = str(v)
    return repr(s if len(s) <= 30 else s[:27] + "...")


# ---------------------------------------------------------------------------------------------
# SeriesFrame


@dataclass
class SeriesFrame:
    """A checked series: float columns on a sorted index, with what was done to get there."""

    frame: pd.DataFrame          # numeric float64 columns only; DatetimeIndex (sorted) or RangeIndex
    target: str                  # the column to forecast
    date_col: str | None = None  # the column the index came from (None: plain integer steps)
    freq: str | None = None      # pandas offset alias of the step ("h", "D", "MS", ...), None without dates
    notes: list[str] = field(default_factory=list)  # what was detected, fixed, dropped or filled

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    def __len__(self) -> int:
        return len(self.frame)

    def _step(self):
        """The offset between rows: the frequency, else the median difference."""
        if self.freq:
            return pd.tseries.frequencies.to_offset(self.freq)
        idx = self.frame.index
        if len(idx) >= 2:
            step = pd.Series(idx).diff().median()
            if pd.notna(step) and step > pd.Timedelta(0):
                return step
        return pd.Timedelta(1, "D")

    def future_index(self, horizon: int) -> pd.Index:
        """The `horizon` timestamps after the last row (or the next integer steps without dates)."""
        horizon = int(horizon)
        idx = self.frame.index
        if not isinstance(idx, pd.DatetimeIndex):
            return pd.RangeIndex(len(idx), len(idx) + horizon, name="step")
        step = self._step()
        last = idx[-1]
        if isinstance(step, pd.Timedelta):
            return pd.DatetimeIndex([last + step * (i + 1) for i in range(horizon)], name=idx.name)
        return pd.date_range(start=last + step, periods=horizon, freq=step, name=idx.name)

    def summary(self) -> dict:
        """What a preview shows: rows, columns, the detected date column, frequency and target."""
        idx = self.frame.index
        return {
            "rows": len(self.frame),
            "columns": self.columns,
            "target": self.target,
            "date_col": self.date_col,
            "freq": self.freq,
            "start": str(idx[0]) if len(idx) else None,
            "end": str(idx[-1]) if len(idx) else None,
            "notes": list(self.notes),
        }


# ---------------------------------------------------------------------------------------------
# reading: bytes -> text -> table of strings


def _read_bytes(source, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
        if len(raw) > max_bytes:
            raise SpecError(f"the upload is {len(raw):,} bytes, over the limit of {max_bytes:,}; "
                            "upload a shorter extract of the series.")
        return raw, "the upload"
    if hasattr(source, "read"):  # a file-like object (e.g. Streamlit's UploadedFile)
        raw = source.read(max_bytes + 1)
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        if len(raw) > max_bytes:
            raise SpecError(f"the upload is over the limit of {max_bytes:,} bytes; upload a shorter extract of the series.")
        return raw, getattr(source, "name", "the upload")
    if not isinstance(source, (str, os.PathLike)):
        raise SpecError(f"cannot read a series from a {type(source).__name__}; give a CSV path or the file's bytes.")
    path = Path(source)
    name = path.name or str(path)
    if not path.exists():
        raise SpecError(f"file {str(path)!r} does not exist; give the path of a CSV file.")
    if path.is_dir():
        raise SpecError(f"{str(path)!r} is a folder, not a file; give the path of a CSV file.")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SpecError(f"{name} is {size:,} bytes, over the limit of {max_bytes:,}; use a shorter extract of the series.")
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise SpecError(f"cannot read {name} ({exc.strerror or exc}); check the path and its permissions.") from None
    if len(raw) > max_bytes:
        raise SpecError(f"{name} is over the limit of {max_bytes:,} bytes; use a shorter extract of the series.")
    return raw, name


_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (an .xlsx workbook is one)",
    b"\x1f\x8b": "a gzip archive",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Office file",
    b"SQLite format 3": "an SQLite database",
    b"PAR1": "a Parquet file",
}


def _decode(raw: bytes, name: str, notes: list[str]) -> str:
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise SpecError(f"{name} is {what}, not a CSV text file; export the data as CSV and try again.")
    if raw.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        encoding = "utf-32"
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in raw[:4096]:
        # UTF-16 without a BOM puts a NUL beside every ASCII character; anything else is binary.
        head = raw[:4096]
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            encoding = "utf-16-le"
        elif even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            encoding = "utf-16-be"
        else:
            raise SpecError(f"{name} looks binary (it contains NUL bytes), not a CSV text file; export the data as CSV.")
    else:
        encoding = "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        if encoding != "utf-8":
            raise SpecError(f"{name} starts with a {encoding.upper()} byte-order mark but is not valid {encoding.upper()}; "
                            "save it again as UTF-8 CSV.") from None
        try:
            text = raw.decode("cp1252")   # Latin-1 plus the printable characters Windows puts in 0x80-0x9F (€)
            notes.append("the file is not valid UTF-8, so it was read as Latin-1 (Windows-1252).")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
            notes.append("the file is not valid UTF-8, so it was read as Latin-1 (ISO-8859-1).")
    else:
        if encoding != "utf-8":
            notes.append(f"read as {encoding.upper().replace('-SIG', ' with BOM')}.")
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise SpecError(f"{name} looks binary (it contains NUL characters), not a CSV text file; export the data as CSV.")
    sample = text[:65536]
    if sample:
        controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f\v")
        if controls > 0.01 * len(sample):
            raise SpecError(f"{name} looks binary (it contains control characters), not a CSV text file; export the data as CSV.")
    head = sample.lstrip()[:2048].lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body", "<table", "<svg")) or "<html" in head:
        what = "an XML document" if head.startswith("<?xml") and "<html" not in head else "an HTML page"
        raise SpecError(f"{name} is {what}, not a CSV file; download the raw CSV instead (for example GitHub's 'Raw' link).")
    if head.startswith(("{", "[")) and head.rstrip().endswith(("}", "]")) and text.count("\n") <= 1:
        raise SpecError(f"{name} looks like JSON, not CSV; export the data as CSV.")
    return text


def _sniff_delimiter(lines: list[str]) -> str:
    """The candidate that splits the first lines into the same number (>1) of fields most often."""
    best, best_score = ",", (-1.0, 0)
    for delim in _DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        share = counts.count(mode) / len(counts)
        score = (share, mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _split_table(text: str, name: str, max_rows: int, notes: list[str]):
    """(header row or None, data rows, their line numbers, delimiter) from the decoded text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    start = 0
    delimiter = None
    # Leading comment lines, blank lines, and Excel's "sep=;" hint line.
    while start < len(lines):
        stripped = lines[start].strip()
        if not stripped or stripped.startswith("#"):
            start += 1
            continue
        if stripped.lower().startswith("sep=") and len(stripped) <= 6:
            hint = stripped[4:] or ","
            delimiter = "\t" if hint in ("\\t", "\t") else hint[0]
            start += 1
            continue
        break
    body = [ln for ln in lines[start:] if ln.strip()]
    if not body:
        if text.strip():
            raise SpecError(f"{name} holds no data rows, only blank or comment lines; give a CSV with a header and rows.")
        raise SpecError(f"{name} is empty; give a CSV with a header row and at least {MIN_ROWS} data rows.")
    if delimiter is None:
        delimiter = _sniff_delimiter(body[:50])
    if delimiter != ",":
        notes.append(f"columns are separated by {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}s.")

    if '"' not in text:
        # No quoting, so no field can hold a delimiter or a newline: plain splitting is exact, and
        # several times faster than the csv module on large files.
        rows, line_numbers = [], []
        for i, ln in enumerate(lines[start:], start + 1):
            if ln.replace(delimiter, "").strip():
                rows.append(ln.split(delimiter))
                line_numbers.append(i)
        if len(rows) > max_rows + 1:
            raise SpecError(f"{name} has more than {max_rows:,} rows, over the limit; "
                            "use a shorter extract or aggregate it to a coarser frequency.")
        return rows, line_numbers, delimiter

    rows: list[list[str]] = []
    line_numbers: list[int] = []
    try:
        reader = csv.reader(io.StringIO("\n".join(lines[start:])), delimiter=delimiter,
                            skipinitialspace=True, strict=False)
        for row in reader:
            if not row or not "".join(row).strip():
                continue
            rows.append(row)
            line_numbers.append(start + reader.line_num)
            if len(rows) > max_rows + 1:
                raise SpecError(f"{name} has more than {max_rows:,} rows, over the limit; "
                                "use a shorter extract or aggregate it to a coarser frequency.")
    except csv.Error as exc:
        raise SpecError(f"{name} could not be split into fields near line {start + reader.line_num} ({exc}); "
                        "check its quoting.") from None
    return rows, line_numbers, delimiter


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


def _has_header(first: list[str]) -> bool:
    """No header when every field of the first row is a number or a date (and one is a number)."""
    fields = [f.strip() for f in first]
    if not any(fields):
        return True
    numeric = [_looks_numeric(f) for f in fields]
    if not any(numeric):
        return True
    return not all(n or _looks_like_date(f) or f.lower() in _MISSING_TOKENS for f, n in zip(fields, numeric))


def _column_names(header: list[str], width: int) -> list[str]:
    names, seen = [], {}
    for i in range(width):
        name = header[i].strip() if i < len(header) else ""
        if not name:
            name = f"col_{i}"
        base, k = name, 2
        while name in seen:
            name, k = f"{base}_{k}", k + 1
        seen[name] = i
        names.append(name)
    return names


def _rectangle(rows, line_numbers, has_header: bool, name: str, notes: list[str]):
    """Make every row as wide as the header: trailing empty fields are cut, short rows padded."""
    if has_header:
        width = len(rows[0])
    else:
        lengths = [len(r) for r in rows]
        width = max(set(lengths), key=lengths.count)
    # A trailing delimiter on every line makes an empty last column (header included): cut it.
    while width > 1 and all(len(r) < width or not r[width - 1].strip() for r in rows):
        width -= 1
    short_lines = []
    out = []
    for row, line in zip(rows, line_numbers):
        if len(row) > width:
            if any(f.strip() for f in row[width:]):
                raise SpecError(f"line {line} of {name} has {len(row)} fields but the {'header' if has_header else 'file'} "
                                f"has {width}; fix that row (an unquoted comma or an extra value?) and try again.")
            row = row[:width]
        elif len(row) < width:
            short_lines.append(line)
            row = row + [""] * (width - len(row))
        out.append(row)
    if short_lines:
        notes.append(f"{len(short_lines)} row(s) had fewer fields than the header (first at line {short_lines[0]}); "
                     "their missing fields count as missing values.")
    return out, width


# ---------------------------------------------------------------------------------------------
# parsing columns


def _clean_strings(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(stripped strings, mask of present values: not empty and not a missing-value token)."""
    s = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    missing = s.str.lower().isin(_MISSING_TOKENS).to_numpy(bool)
    return s, ~missing


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
        cleaned = vals.str.replace(r"[\s\u00a0\u202f$€£¥%_']", "", regex=True)
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


def _regularity(parsed: pd.Series) -> float:
    """Share of the steps between sorted distinct timestamps that equal the most common step."""
    diffs = pd.Series(np.sort(parsed.dropna().unique())).diff().dropna()
    if diffs.empty:
        return 0.0
    return float((diffs == diffs.mode().iloc[0]).mean())


def _parse_dates(values: pd.Series, dayfirst: bool | None = None):
    """(UTC datetimes with NaT where unparseable, share parsed of the present values, how it was read)."""
    s, present = _clean_strings(values)
    present = present & s.str.contains(r"\d", regex=True).to_numpy(bool)
    n_present = int(present.sum())
    if n_present == 0:
        return None, 0.0, ""
    vals = s[present]
    attempts = [("inferred", {}), ("day first", {"dayfirst": True}), ("ISO 8601", {"format": "ISO8601"}),
                ("mixed formats", {"format": "mixed"})]
    if dayfirst is not None:
        attempts = [(f"{'day' if dayfirst else 'month'} first", {"dayfirst": dayfirst})] + attempts
    best = (None, -1.0, "")
    for how, kwargs in attempts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                parsed = pd.to_datetime(vals, errors="coerce", utc=True, **kwargs)
            except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
                continue
        share = float(parsed.notna().mean())
        if share >= 0.999 and best[1] >= 0.999 and not parsed.equals(best[0]):
            # Both month-first and day-first read every value (no day above 12 so far): keep the
            # reading whose timestamps are more evenly spaced.
            if _regularity(parsed) > _regularity(best[0]):
                best = (parsed, share, how)
            break
        if share > best[1]:
            best = (parsed, share, how)
        if share >= 0.999 and (how != "inferred" or dayfirst is not None):
            break
    parsed, share, how = best
    if parsed is None:
        return None, 0.0, ""
    full = pd.Series(pd.NaT, index=s.index, dtype=parsed.dtype)
    full[present] = parsed
    return full, share * n_present / max(len(s), 1), how


# ---------------------------------------------------------------------------------------------
# read_series


def read_series(source, *, target: str | None = None, date_col: str | None = None,
                max_bytes: int = 50_000_000, max_rows: int = 2_000_000) -> SeriesFrame:
    """Read a CSV (a path, or an upload's bytes) into a checked `SeriesFrame`, or raise SpecError."""
    notes: list[str] = []
    raw, name = _read_bytes(source, max_bytes)
    try:
        return _read_series(raw, name, target, date_col, max_rows, notes)
    except SpecError:
        raise
    except (ValueError, TypeError, OverflowError, KeyError, IndexError, csv.Error) as exc:
        # A file shape none of the checks above foresaw: still one line for the person.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError(f"{name} could not be read as a time series ({first[:160]}); "
                        "check that it is a plain CSV with a header row and numeric columns.") from None


def _read_series(raw: bytes, name: str, target, date_col, max_rows: int, notes: list[str]) -> SeriesFrame:
    text = _decode(raw, name, notes)
    rows, line_numbers, delimiter = _split_table(text, name, max_rows, notes)
    if not rows:
        raise SpecError(f"{name} holds only empty fields; give a CSV with a header row and at least {MIN_ROWS} data rows.")

    has_header = _has_header(rows[0])
    if not has_header:
        notes.append("the first row holds numbers, so the file has no header; columns are named col_0, col_1, ...")
    rows, width = _rectangle(rows, line_numbers, has_header, name, notes)
    if has_header:
        names = _column_names(rows[0], width)
        rows, line_numbers = rows[1:], line_numbers[1:]
    else:
        names = [f"col_{i}" for i in range(width)]
    if not rows:
        raise SpecError(f"{name} has a header ({_list(names[:8])}) but no data rows; "
                        f"give at least {MIN_ROWS} rows of data.")
    if len(rows) > max_rows:
        raise SpecError(f"{name} has {len(rows):,} rows, over the limit of {max_rows:,}; "
                        "use a shorter extract or aggregate it to a coarser frequency.")
    table = pd.DataFrame(rows, columns=names, dtype=object)
    lines = np.asarray(line_numbers)

    # Numbers, by trying to parse every column.
    numeric: dict[str, np.ndarray] = {}
    bad_masks: dict[str, np.ndarray] = {}
    text_cols: list[str] = []
    for col in names:
        values, bad, n_present = _parse_numbers(table[col], delimiter)
        n_ok = n_present - int(bad.sum())
        if n_present and n_ok >= 0.9 * n_present:
            numeric[col], bad_masks[col] = values, bad
        elif n_present:
            text_cols.append(col)
        else:
            notes.append(f"column {col!r} is empty and was dropped.")

    # The date column: chosen, or the first text column whose values almost all parse as dates.
    dates, how = None, ""
    if date_col is not None:
        date_col = _match_column(date_col, names, "date column", name)
        dates, share, how = _parse_dates(table[date_col])
        if dates is None or share < 0.9:
            example = _first_unparsed(table[date_col], dates, lines)
            raise SpecError(f"column {date_col!r} does not hold dates{example}; "
                            "choose another date column or fix its values.")
        numeric.pop(date_col, None)
        bad_masks.pop(date_col, None)
        if date_col in text_cols:
            text_cols.remove(date_col)
    else:
        for col in list(text_cols):
            sample = table[col].iloc[:200]
            parsed, share, _ = _parse_dates(sample)
            if parsed is None or share < 0.9:
                continue
            full, share, how = _parse_dates(table[col])
            if full is not None and share >= 0.95:
                date_col, dates = col, full
                text_cols.remove(col)
                break
    if date_col is not None:
        notes.append(f"dates are read from column {date_col!r}{' (day first, as in 31/12/2023)' if how == 'day first' else ''}.")
    if text_cols:
        shown = ", ".join(repr(c) for c in text_cols[:6]) + (" ..." if len(text_cols) > 6 else "")
        notes.append(f"non-numeric column(s) {shown} were dropped.")
    if not numeric:
        raise SpecError(f"{name} has no numeric column (its columns are {_list(names)}); "
                        "give a CSV with at least one column of numbers to forecast.")

    # Drop a leading row-number column (what DataFrame.to_csv writes without index=False).
    first_col = next(iter(numeric))
    if len(numeric) > 1 and first_col.lower() in _INDEX_NAMES | {"col_0"} and first_col == names[0] and has_header:
        v = numeric[first_col]
        if np.array_equal(v, np.arange(len(v))) or np.array_equal(v, np.arange(1, len(v) + 1)):
            del numeric[first_col]
            notes.append(f"column {first_col!r} counts rows (0, 1, 2, ...) and was dropped.")

    # The target.
    numeric_names = list(numeric)
    if target is None:
        target = numeric_names[-1]
        notes.append(f"target: {target!r} (the last numeric column).")
    else:
        if str(target) not in names:
            matched = _case_match(str(target), names)
            if matched is None:
                raise SpecError(f"there is no column {str(target)!r} to forecast; the columns are {_list(names)}.")
            target = matched
        target = str(target)
        if target == date_col:
            raise SpecError(f"column {target!r} holds the dates, so it cannot be the target; "
                            f"choose one of {_list(numeric_names)}.")
        if target not in numeric:
            if not table[target].map(lambda v: str(v).strip().lower() not in _MISSING_TOKENS).any():
                raise SpecError(f"column {target!r} is empty; choose one of {_list(numeric_names)}.")
            example = _first_text(table[target], lines)
            raise SpecError(f"column {target!r} is not numeric{example}; choose one of {_list(numeric_names)}.")

    values = numeric[target]
    inf_rows = np.flatnonzero(np.isinf(values))
    if len(inf_rows):
        raise SpecError(f"target column {target!r} holds an infinite value at line {lines[inf_rows[0]]} "
                        f"({len(inf_rows)} in all); replace it with a real number or leave it empty.")
    for col in numeric_names:
        if bad_masks[col].any():
            idx = np.flatnonzero(bad_masks[col])
            notes.append(f"column {col!r}: {len(idx)} value(s) that are not numbers (first at line {lines[idx[0]]}: "
                         f"{_fmt_value(table[col].iloc[idx[0]])}) were treated as missing.")
        infs = np.isinf(numeric[col])
        if infs.any():
            numeric[col] = np.where(infs, np.nan, numeric[col])
            notes.append(f"column {col!r}: {int(infs.sum())} infinite value(s) were treated as missing.")

    frame = pd.DataFrame(numeric, dtype=float)

    # Time index: drop rows without a date, sort, average duplicates, make the grid regular.
    freq = None
    if dates is not None:
        ok = dates.notna().to_numpy()
        if not ok.all():
            first_bad = lines[np.flatnonzero(~ok)[0]]
            notes.append(f"{int((~ok).sum())} row(s) whose {date_col!r} is not a date (first at line {first_bad}) were dropped.")
            frame, dates, lines = frame[ok], dates[ok], lines[ok]
        if any(_TZ_RE.search(str(v).strip()) for v in table[date_col].iloc[:500]):
            notes.append("timestamps carry time zones: converted to UTC, then the zone was dropped.")
        index = pd.DatetimeIndex(dates).tz_convert(None)
        frame.index = index
        frame.index.name = date_col
        if not frame.index.is_monotonic_increasing:
            notes.append(f"rows were not in time order and were sorted by {date_col!r}.")
            order = np.argsort(frame.index.to_numpy(), kind="stable")
            frame, lines = frame.iloc[order], lines[order]
        dup = frame.index.duplicated(keep="first")
        if dup.any():
            first_dup = frame.index[dup][0]
            n_dup = int(frame.index.duplicated(keep=False).sum())
            frame = frame.groupby(level=0, sort=True).mean()
            notes.append(f"{int(dup.sum())} duplicate timestamp(s) (first: {first_dup}; {n_dup} rows involved) "
                         "were averaged into one row each.")
        frame, freq = _regularise(frame, notes)
    else:
        frame.index = pd.RangeIndex(len(frame))
        notes.append("no date column: rows are treated as equally spaced steps 0, 1, 2, ...")

    n = len(frame)
    if n < MIN_ROWS:
        raise SpecError(f"{name} has only {n} usable row(s); at least {MIN_ROWS} are needed "
                        "(and enough for lookback + horizon in each split).")

    # Missing values.
    missing_target = int(frame[target].isna().sum())
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
        method = "time" if isinstance(frame.index, pd.DatetimeIndex) else "linear"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = frame.interpolate(method=method, limit_direction="both").ffill().bfill()
        notes.append(f"{total_missing} missing value(s) were filled by {'time' if method == 'time' else 'linear'} "
                     f"interpolation ({missing_target} in the target {target!r}).")

    y = frame[target].to_numpy()
    if not np.isfinite(y).all():
        raise SpecError(f"target column {target!r} could not be filled to finite values; check it for gaps and text.")
    if np.nanmax(y) == np.nanmin(y):
        raise SpecError(f"target column {target!r} is constant ({y[0]:g} in every row), so there is nothing to forecast; "
                        "choose another target.")
    if np.abs(y).max() > 1e150:
        raise SpecError(f"target column {target!r} holds values too large to scale (up to {np.abs(y).max():.3g}); "
                        "rescale it, for example to thousands.")
    # Put the target last: it is the channel models predict, in "all" mode too.
    frame = frame[[c for c in frame.columns if c != target] + [target]].astype(float)
    return SeriesFrame(frame=frame, target=target, date_col=date_col, freq=freq, notes=notes)


def _regularise(frame: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, str | None]:
    """Infer the frequency; fill a few missing timestamps of a regular grid with missing rows."""
    idx = frame.index
    if len(idx) < 3:
        return frame, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            inferred = pd.infer_freq(idx)
        except (ValueError, TypeError):
            inferred = None
    if inferred is not None:
        offset = pd.tseries.frequencies.to_offset(inferred)
        notes.append(f"frequency: {offset.freqstr} (regular).")
        return frame, offset.freqstr
    diffs = pd.Series(idx).diff().dropna()
    step = diffs.mode().iloc[0]
    offset = _offset_for(step, idx)
    if offset is None:
        notes.append("timestamps are irregular and no frequency could be inferred; rows are treated as equal steps.")
        return frame, None
    try:
        grid = pd.date_range(idx[0], idx[-1], freq=offset)
    except (ValueError, OverflowError):
        grid = None
    if grid is not None and idx.isin(grid).all() and len(grid) - len(idx) <= MAX_GAP_FILL * len(grid):
        missing = len(grid) - len(idx)
        frame = frame.reindex(grid)
        frame.index.name = idx.name
        notes.append(f"frequency: {offset.freqstr}; {missing} missing timestamp(s) (gaps) were added as rows and "
                     "filled by interpolation.")
    else:
        notes.append(f"frequency: {offset.freqstr} (most common step); the timestamps are irregular or have large "
                     "gaps, and rows are treated as equal steps.")
    return frame, offset.freqstr


def _offset_for(step: pd.Timedelta, idx: pd.DatetimeIndex):
    if pd.isna(step) or step <= pd.Timedelta(0):
        return None
    to_offset = pd.tseries.frequencies.to_offset
    days = step / pd.Timedelta(1, "D")
    if 28 <= days <= 31:
        if (idx.day == 1).all():
            return to_offset("MS")
        if idx.is_month_end.all():
            return to_offset("ME")
    if 89 <= days <= 92 and (idx.day == 1).all():
        return to_offset("QS")
    if 365 <= days <= 366 and (idx.day == 1).all() and (idx.month == 1).all():
        return to_offset("YS")
    if days >= 1 and float(days).is_integer():
        return to_offset(f"{int(days)}D")
    return to_offset(step)


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


def _first_unparsed(values: pd.Series, dates, lines) -> str:
    for i, v in enumerate(values):
        if (dates is None or pd.isna(dates.iloc[i])) and str(v).strip():
            return f" (line {lines[i]} has {_fmt_value(v)})"
    return ""


def _first_text(values: pd.Series, lines) -> str:
    for i, v in enumerate(values):
        s = str(v).strip()
        if s and s.lower() not in _MISSING_TOKENS and not _looks_numeric(s):
            return f" (line {lines[i]} has {_fmt_value(s)})"
    return ""


# ---------------------------------------------------------------------------------------------
# windows and splits


def parse_split(split, n: int) -> tuple[int, int, int]:
    """Row boundaries (a, b, n): train [0,a), val [a,b), test [b,n), from '0.7,0.1,0.2' or 'ett'."""
    text = str(split).strip().lower()
    if text == "ett":
        if n < ETT_ROWS[2]:
            raise SpecError(f"the ETT split needs {ETT_ROWS[2]:,} rows (12/4/4 months of hourly data) but the series has "
                            f"{n:,}; use a share split such as 0.7,0.1,0.2.")
        return ETT_ROWS
    parts = [p for p in re.split(r"[,;/\s]+", text) if p]
    try:
        shares = [float(p.rstrip("%")) for p in parts]
    except ValueError:
        shares = []
    if len(shares) != 3 or not all(math.isfinite(s) for s in shares):
        raise SpecError(f"split {split!r} is not three shares like 0.7,0.1,0.2 or 'ett'; give train,val,test shares.")
    total = sum(shares)
    if abs(total - 100) < 1e-6 and total > 1.5:
        shares = [s / 100 for s in shares]
        total = 1.0
    if any(s <= 0 for s in shares) or abs(total - 1) > 1e-6:
        raise SpecError(f"split {split!r} must be three shares above 0 that sum to 1 (like 0.7,0.1,0.2).")
    a = int(n * shares[0] + 1e-9)
    b = n - int(n * shares[2] + 1e-9)
    return a, b, n


@dataclass
class WindowedSeries:
    """Normalised windows of one series, split chronologically, with what is needed to undo it."""

    sf: SeriesFrame
    lookback: int
    horizon: int
    features: str                 # "target" or "all"
    columns: list[str]            # input channels, the target last
    target_channel: int           # index of the target among the channels
    mean: np.ndarray              # (C,) per channel, training rows only
    std: np.ndarray               # (C,) per channel, training rows only (1 where constant)
    split_rows: tuple[int, int, int]   # (a, b, n): train [0,a), val [a,b), test [b,n)
    x_train: np.ndarray           # (N, L, C) float32, normalised
    y_train: np.ndarray           # (N, H) float32, normalised target
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_starts: np.ndarray      # row t where each window's targets start
    val_starts: np.ndarray
    test_starts: np.ndarray
    last_window: np.ndarray       # (1, L, C): the last L rows, for the forecast after the series
    z: np.ndarray                 # (rows, C) the whole series, normalised (for seasonal look-backs)
    notes: list[str] = field(default_factory=list)
    season: int = 0               # the user's seasonal period for baselines and MASE (0: detect)
    cache: dict = field(default_factory=dict, repr=False)  # derived results (e.g. the linear baseline's fit)

    @property
    def n_features(self) -> int:
        return len(self.columns)

    @property
    def train_target(self) -> np.ndarray:
        """The target over the training rows, original scale (for MASE and period detection)."""
        return self.sf.frame[self.sf.target].to_numpy(float)[: self.split_rows[0]]

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, starts) of 'train', 'val' or 'test'."""
        if name not in ("train", "val", "test"):
            raise ValueError(f"split must be train, val or test, not {name!r}")
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}"), getattr(self, f"{name}_starts")

    def actual_targets(self, name: str) -> np.ndarray:
        """The split's true targets (N, H) on the original scale, read from the series in float64."""
        _, _, starts = self.split(name)
        y = self.sf.frame[self.sf.target].to_numpy(np.float64)
        return y[starts[:, None] + np.arange(self.horizon)]

    def inverse_target(self, y_norm) -> np.ndarray:
        """Normalised target values back to the original scale."""
        c = self.target_channel
        return np.asarray(y_norm, dtype=np.float64) * float(self.std[c]) + float(self.mean[c])

    def normalise_target(self, y) -> np.ndarray:
        c = self.target_channel
        return (np.asarray(y, dtype=np.float64) - float(self.mean[c])) / float(self.std[c])

    def target_times(self, starts, step: int = 1) -> pd.Index:
        """Timestamps (or row numbers) of horizon step `step` (1..H) of the windows starting at `starts`."""
        step = int(step)
        if not 1 <= step <= self.horizon:
            raise ValueError(f"step must be in 1..{self.horizon}, not {step}")
        rows = np.asarray(starts, dtype=np.int64) + step - 1
        return self.sf.frame.index[rows]


def make_windows(sf: SeriesFrame, lookback: int, horizon: int, features: str = "target",
                 split: str = "0.7,0.1,0.2", season: int = 0) -> WindowedSeries:
    """Chronological train/val/test windows; scaler from the training rows only."""
    try:
        lookback, horizon = int(lookback), int(horizon)
    except (TypeError, ValueError):
        raise SpecError(f"lookback={lookback!r} and horizon={horizon!r} must be whole numbers.") from None
    if lookback < 1 or horizon < 1:
        raise SpecError(f"lookback ({lookback}) and horizon ({horizon}) must both be at least 1.")
    if features not in ("target", "all"):
        raise SpecError(f"features={features!r} must be target or all.")
    frame = sf.frame
    rows = len(frame)
    a, b, n = parse_split(split, rows)
    L, H = lookback, horizon
    notes: list[str] = []
    if str(split).strip().lower() == "ett" and rows > n:
        notes.append(f"ETT split: rows {n:,} to {rows - 1:,} are not in any split (the protocol uses the first {n:,}).")

    # Windows whose targets lie wholly inside each split; inputs may reach back.
    train_starts = np.arange(L, a - H + 1)
    val_starts = np.arange(max(a, L), b - H + 1)
    test_starts = np.arange(max(b, L), n - H + 1)
    for part, starts, size in (("train", train_starts, a), ("validation", val_starts, b - a), ("test", test_starts, n - b)):
        if len(starts) == 0:
            need = L + H if part == "train" else H
            raise SpecError(
                f"the {part} split has {size} rows, too few for one window (lookback {L} + horizon {H} needs "
                f"{need} {'training' if part == 'train' else part} rows); use a smaller lookback or horizon, a larger "
                f"{part} share, or a longer series ({rows} rows now).")

    columns = list(frame.columns) if features == "all" else [sf.target]
    columns = [c for c in columns if c != sf.target] + [sf.target]
    C = len(columns)
    total_values = (len(train_starts) + len(val_starts) + len(test_starts)) * (L * C + H)
    if total_values > MAX_WINDOW_VALUES:
        raise SpecError(f"these windows would hold {total_values:,} numbers, more than fits in memory here; "
                        "use a smaller lookback, fewer columns (features=target) or a shorter series.")

    values = frame[columns].to_numpy(np.float64)
    train_part = values[:a]
    mean = train_part.mean(axis=0)
    std = train_part.std(axis=0)
    flat = ~(std > 1e-12 * np.maximum(1.0, np.abs(mean)))
    if flat[-1]:
        raise SpecError(f"target {sf.target!r} is constant over the {a} training rows, so it cannot be scaled; "
                        "use a larger training share or a longer series.")
    if flat.any():
        notes.append(f"column(s) {_list(np.array(columns)[flat])} are constant over the training rows; "
                     "they are centred but not scaled.")
        std = np.where(flat, 1.0, std)
    with np.errstate(over="ignore", invalid="ignore"):
        z = ((values - mean) / std).astype(np.float32)
    if not np.isfinite(z).all():
        bad = columns[int(np.flatnonzero(~np.isfinite(z).all(axis=0))[0])]
        raise SpecError(f"column {bad!r} has values too large to scale; rescale it (for example to thousands).")

    tc = C - 1
    steps_in = np.arange(-L, 0)
    steps_out = np.arange(H)

    def cut(starts):
        return z[starts[:, None] + steps_in], np.ascontiguousarray(z[starts[:, None] + steps_out, tc])

    x_train, y_train = cut(train_starts)
    x_val, y_val = cut(val_starts)
    x_test, y_test = cut(test_starts)
    return WindowedSeries(
        sf=sf, lookback=L, horizon=H, features=features, columns=columns, target_channel=tc,
        mean=mean, std=std, split_rows=(a, b, n),
        x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val, x_test=x_test, y_test=y_test,
        train_starts=train_starts, val_starts=val_starts, test_starts=test_starts,
        last_window=z[rows - L:][None].copy(), z=z, notes=notes, season=max(int(season or 0), 0),
    )


# ---------------------------------------------------------------------------------------------
# the engine's entry point


SAMPLE_NAMES = {"etth1", "ett", "sample", "etth1.csv"}


def sample_series_path() -> Path:
    """The bundled ETTh1 copy (Zhou et al., ETDataset, CC BY-ND 4.0; see bundled/ett/README.md)."""
    return Path(__file__).resolve().parent / "bundled" / "ett" / "ETTh1.csv"


def resolve_series_source(data) -> object:
    """A spec's `data`: a CSV path, or a name of the bundled sample ('ETTh1')."""
    if isinstance(data, str) and data.strip().lower() in SAMPLE_NAMES and not Path(data).exists():
        return sample_series_path()
    return data


def load_series_data(spec, device=None):
    """The spec's CSV as TensorData (task 'series'), with the WindowedSeries in extra['windows']."""
    import torch

    from zoo.data.base import TensorData

    source = resolve_series_source(spec.data)
    sf = read_series(source, target=spec.target, date_col=spec.date_col)
    ws = make_windows(sf, spec.lookback, spec.horizon, features=spec.features, split=spec.split,
                      season=getattr(spec, "season", 0))
    shape = DataShape(task="series", lookback=ws.lookback, n_features=ws.n_features, horizon=ws.horizon)
    tensors = {k: torch.from_numpy(np.ascontiguousarray(getattr(ws, k), dtype=np.float32))
               for k in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")}
    name = Path(str(source)).name if not isinstance(source, (bytes, bytearray)) else "upload"
    data = TensorData(task="series", shape=shape, name=name, extra={"windows": ws}, **tensors)
    if device is not None:
        data.to(device)
    return data


__all__ = ["SeriesFrame", "WindowedSeries", "read_series", "make_windows", "parse_split", "load_series_data",
           "sample_series_path", "resolve_series_source"]
