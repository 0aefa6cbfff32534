"""From a person's file to a table of strings: read the bytes (with the caps), decode them
(BOMs, UTF-16, Latin-1; refusing archives, images, HTML and JSON by name), find the delimiter,
split the rows (quoted or not), tell whether the first row is a header, and make every row as wide
as the header. Each refusal is a SpecError of one sentence that names the file or line.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from zoo.data.series.columns import _MISSING_TOKENS, _looks_like_date, _looks_numeric
from zoo.registry import SpecError

MIN_ROWS = 10                  # fewer rows than this cannot make a train, a val and a test window

_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def _fmt_value(v) -> str:
    s = str(v)
    return repr(s if len(s) <= 30 else s[:27] + "...")


def _first_unparsed(values: pd.Series, dates, lines) -> str:
    """' (line N has VALUE)' for the first present value `dates` did not read, for a message; '' if none."""
    for i, v in enumerate(values):
        if (dates is None or pd.isna(dates.iloc[i])) and str(v).strip():
            return f" (line {lines[i]} has {_fmt_value(v)})"
    return ""


def _first_text(values: pd.Series, lines) -> str:
    """' (line N has VALUE)' for the first present value that is not a number, for a message; '' if none."""
    for i, v in enumerate(values):
        s = str(v).strip()
        if s and s.lower() not in _MISSING_TOKENS and not _looks_numeric(s):
            return f" (line {lines[i]} has {_fmt_value(s)})"
    return ""


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


def _split_table(text: str, name: str, max_rows: int, notes: list[str], head_only: bool = False):
    """(header row or None, data rows, their line numbers, delimiter) from the decoded text; `head_only`: the text
    is the file's first lines (the column choosers'), which may end inside a quoted value."""
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
        return (*_skip_title(rows, line_numbers, notes), delimiter)

    rows: list[list[str]] = []
    line_numbers: list[int] = []
    try:
        reader = csv.reader(io.StringIO("\n".join(lines[start:])), delimiter=delimiter,
                            skipinitialspace=True, strict=False)
        ended = 0   # the line the row before ended on
        last_line = len(lines) - start - (1 if lines[-1] == "" else 0)   # the text's last line, as the reader counts
        for row in reader:
            if not head_only and reader.line_num >= last_line and any("\n" in field for field in row) \
                    and _open_to_the_end(lines[start + ended:]):
                # a quote never closed: read to the end of the file as one value, "column 'demand' is text (line 4
                # has '12.5\n...')", "no units or brackets in the values", for a quote left open on line 2 (a
                # fault check). A value over several lines whose quote closes is a value.
                raise SpecError(f"{name} has a quote (\") on line {start + ended + 1} that is never closed, so "
                                f"the lines after it were read as one value; close that quote or remove it.")
            ended = reader.line_num
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
    return (*_skip_title(rows, line_numbers, notes), delimiter)


def _open_to_the_end(lines: list[str]) -> bool:
    """Whether the quoting of `lines`, the last row of a file (one that holds a line break and ran to the end),
    leaves a quote open: an odd count of quote characters, as a value's own quotes are doubled ("")."""
    return sum(line.count('"') for line in lines) % 2 == 1


def _skip_title(rows: list[list[str]], line_numbers: list[int], notes: list[str]):
    """Rows and line numbers without a title above the table (a report's name and date, as exports
    write them): the first of the first few rows from which (nearly) every row is as wide as it, two
    fields or more, is the header, when the rows above it are all narrower."""
    def filled(row: list[str]) -> int:   # fields up to the last non-empty one (a trailing ";" adds none)
        return max((i + 1 for i, f in enumerate(row) if f.strip()), default=0)

    widths = [filled(r) for r in rows[:60]]
    for h in range(1, min(6, len(rows) - 1)):
        width, below = widths[h], widths[h + 1:]
        # The header is a row of names (not the data: a header narrower than its rows, as R's
        # write.table writes, is not a title), and the lines above are a field or two of words.
        if width >= 2 and _has_header(rows[h]) and all(w <= min(2, width - 1) for w in widths[:h]) and below and \
                sum(w == width for w in below) >= 0.9 * len(below):
            shown = " / ".join(_fmt_value(",".join(r).strip()) for r in rows[:min(h, 2)])
            notes.append(f"the {h} line(s) above the header (line {line_numbers[h]}) look like a title ({shown}"
                         f"{' ...' if h > 2 else ''}) and were skipped.")
            return rows[h:], line_numbers[h:]
    return rows, line_numbers


PLAIN_MIN_LINES = 10_000   # below this the field-by-field split is as fast, and its messages are the ones tested


def _plain_table(text: str, max_rows: int):
    """A plain file's columns as Arrow-backed strings, or None when the file is not plain.

    Plain: no quotes, no comment, blank or delimiter-only line, Excel's "sep=" hint or trailing
    empty column, and every line with as many fields as the first. Such a file (most long exports)
    is split by pyarrow's CSV reader into one string buffer per column: a few bytes of overhead a
    field, where a Python string and a row list cost about 90, so reading 1,000,000 rows peaks
    about 260 MB lower and takes a third of the time (BENCHMARKS.md, "Long series"). The result is
    tested equal to the field-by-field one (tests/test_series_data.py). Anything else goes field by field
    (_split_table), which knows how to report each oddity by line. Returns (the rows as a
    DataFrame of strings with columns 0..width-1, header row included, their line numbers, the
    delimiter)."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    if '"' in text or text.count("\n") < PLAIN_MIN_LINES:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    body = text[:-1] if text.endswith("\n") else text
    head = body[:65536].split("\n")[:50]
    first = head[0].strip()
    if not first or first.startswith("#") or first.lower().startswith("sep="):
        return None
    delimiter = _sniff_delimiter(head)
    width = head[0].count(delimiter) + 1
    n_lines = body.count("\n") + 1
    if width < 2 or n_lines > max_rows:
        return None   # one column, or too long: the field-by-field path says what is wrong
    # Every line as wide as the first and none empty, checked a line at a time without a list of them.
    for line in io.StringIO(body, newline="\n"):
        if line.count(delimiter) != width - 1 or not line.replace(delimiter, "").strip():
            return None
    pool = pa.system_memory_pool()   # malloc: freed buffers go back to the OS (mimalloc, the default, keeps them)
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=[str(i) for i in range(width)]),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={str(i): pa.string() for i in range(width)},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
            memory_pool=pool)
    except (pa.ArrowInvalid, ValueError):
        return None
    if table.num_rows != n_lines:
        return None
    frame = pd.DataFrame({i: table.column(i).to_pandas(types_mapper=lambda _: pd.StringDtype("pyarrow", na_value=np.nan))
                          for i in range(width)})
    if not frame[width - 1].str.strip().astype(bool).any():
        return None   # a trailing delimiter on every line: _rectangle cuts that empty column
    return frame, np.arange(1, n_lines + 1), delimiter


def _has_header(first: list[str]) -> bool:
    """No header when every field of the first row is a number or a date (and one is a number)."""
    fields = [f.strip() for f in first]
    if not any(fields):
        return True
    numeric = [_looks_numeric(f) for f in fields]
    if not any(numeric):
        return True
    return not all(n or _looks_like_date(f) or f.lower() in _MISSING_TOKENS for f, n in zip(fields, numeric))


def _column_names(header: list[str], width: int, notes: list[str] | None = None) -> list[str]:
    """The header's names, made unique (a repeated name gets _2, a blank one col_i); `notes` is told
    of each name that is not the header's, so a target chosen later is not a silent rename."""
    names, seen, renamed = [], {}, []
    for i in range(width):
        written = header[i].strip() if i < len(header) else ""
        name = written or f"col_{i}"
        base, k = name, 2
        while name in seen:
            name, k = f"{base}_{k}", k + 1
        seen[name] = i
        names.append(name)
        if name != written:
            renamed.append(f"{name!r} (another {_fmt_value(written)})" if written else f"{name!r} (a blank name)")
    if renamed and notes is not None:
        notes.append(f"names in the header that repeat or are blank were made unique: {', '.join(renamed[:6])}"
                     f"{' ...' if len(renamed) > 6 else ''}.")
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
