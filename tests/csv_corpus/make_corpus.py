"""Write the corpus of awkward and broken CSV files that tests/test_series_data.py (and the CLI and
page tests) feed to the series loader, expected.json (file name -> "ok" or "error") and
readings.json: for the files whose time index is the point, what the reader must find there (the
date column, the frequency, the season in the training part of a 0.7,0.1,0.2 split, the first
date after the series; under "wide", the same when read with layout="wide"). Those are the
generator's own facts (the dates and cycles it wrote), not what the reader happened to return.

Run from anywhere: `python tests/csv_corpus/make_corpus.py`. The output is deterministic, and
committed, so tests do not need to run this.

Most "ok" files have 240 rows of hourly (or daily/monthly) data, enough for the default lookback
96, horizon 24 and split 0.7,0.1,0.2 as well as small windows; the calendar files have the lengths
such series have (100 years of flows, 61 years of monthly sea temperatures, ...), and all take
lookback 8 and horizon 4.
"""
from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
N = 240
START = datetime(2023, 1, 2, 0, 0)


def _series(n=N, seed=0):
    rng = random.Random(seed)
    load = [round(50 + 10 * math.sin(2 * math.pi * i / 24) + rng.gauss(0, 1), 3) for i in range(n)]
    temp = [round(20 + 5 * math.sin(2 * math.pi * (i + 3) / 24) + 0.01 * i + rng.gauss(0, 0.5), 3) for i in range(n)]
    return load, temp


def _hours(n=N, start=START):
    return [start + timedelta(hours=i) for i in range(n)]


def _table(header, rows, sep=",", eol="\n", trailing=""):
    lines = [sep.join(header) + trailing] if header else []
    lines += [sep.join(str(v) for v in row) + trailing for row in rows]
    return eol.join(lines) + eol


def _standard(n=N, sep=",", eol="\n", fmt="%Y-%m-%d %H:%M:%S", seed=0, trailing=""):
    load, temp = _series(n, seed)
    rows = [(d.strftime(fmt), a, b) for d, a, b in zip(_hours(n), load, temp)]
    return _table(("date", "load", "temp"), rows, sep=sep, eol=eol, trailing=trailing)


def build() -> dict[str, tuple[str, bytes]]:
    """name -> (expected, content bytes)."""
    return build_all()[0]


def build_all() -> tuple[dict[str, tuple[str, bytes]], dict[str, dict]]:
    """(name -> (expected, content bytes), name -> expected reading)."""
    files: dict[str, tuple[str, bytes]] = {}
    readings: dict[str, dict] = {}

    def add(name, expected, content, reading=None):
        files[name] = (expected, content if isinstance(content, bytes) else content.encode("utf-8"))
        if reading is not None:
            readings[name] = reading

    load, temp = _series()
    hours = _hours()

    # --- refused -------------------------------------------------------------------------
    add("empty.csv", "error", b"")
    add("whitespace_only.csv", "error", "\n   \n\t\n\n")
    add("header_only.csv", "error", "date,load,temp\n")
    add("header_only_bom.csv", "error", b"\xef\xbb\xbfdate,load,temp\r\n")
    rng = random.Random(1)
    add("binary.csv", "error", bytes(rng.randrange(256) for _ in range(2048)))
    add("long_text_no_newline.csv", "error", b"D" * 2048)
    add("png_renamed.csv", "error", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    add("zip_xlsx_renamed.csv", "error", b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(512)))
    add("html_page.csv", "error",
        "<!DOCTYPE html>\n<html><head><title>data.csv at main</title></head>\n"
        "<body><table><tr><td>date</td><td>value</td></tr></table></body></html>\n")
    add("json.csv", "error", json.dumps([{"date": "2023-01-01", "value": 1}, {"date": "2023-01-02", "value": 2}]))
    ragged = _standard().splitlines()
    ragged[100] = ragged[100] + ",17.5,extra"
    add("ragged_rows.csv", "error", "\n".join(ragged) + "\n")
    add("all_text.csv", "error", _table(("name", "city", "colour"),
                                         [(f"person{i}", ["Paris", "Lyon", "Nice"][i % 3], ["red", "blue"][i % 2])
                                          for i in range(N)]))
    add("only_dates.csv", "error", _table(("date",), [(d.strftime("%Y-%m-%d %H:%M"),) for d in hours]))
    add("too_short.csv", "error", _standard(n=6))
    add("nan_target.csv", "error", _table(("date", "value"), [(d.strftime("%Y-%m-%d %H:%M"), "NaN") for d in hours]))
    mostly = [(d.strftime("%Y-%m-%d %H:%M"), a, b if i % 5 in (0, 1) else "") for i, (d, a, b) in enumerate(zip(hours, load, temp))]
    add("mostly_missing_target.csv", "error", _table(("date", "load", "temp"), mostly))
    # the only numeric column (beside another, the default target passes over a constant one: zoo/data/series/read.py)
    add("constant_target.csv", "error", _table(("date", "temp"), [(d.strftime("%Y-%m-%d %H:%M"), 7.5) for d in hours]))
    inf_rows = [(d.strftime("%Y-%m-%d %H:%M"), a, "inf" if i == 77 else b) for i, (d, a, b) in enumerate(zip(hours, load, temp))]
    add("inf_target.csv", "error", _table(("date", "load", "temp"), inf_rows))
    add("short_for_windows.csv", "error", _standard(n=30))   # loads, but 0.1 x 30 = 3 validation rows < horizon 4

    # --- loaded --------------------------------------------------------------------------
    add("clean.csv", "ok", _standard(), _reading("date", "h", 24, START + timedelta(hours=N)))
    add("semicolon_decimal_comma.csv", "ok",
        _table(("Datum", "Last", "Temperatur"),
               [(d.strftime("%d.%m.%Y %H:%M"), str(a).replace(".", ","), str(b).replace(".", ","))
                for d, a, b in zip(hours, load, temp)], sep=";"))
    add("tabs.csv", "ok", _standard(sep="\t"))
    add("pipes.csv", "ok", _standard(sep="|"))
    add("utf8_bom.csv", "ok", b"\xef\xbb\xbf" + _standard().encode("utf-8"))
    add("utf16_le_bom.csv", "ok", _standard(sep="\t", eol="\r\n").encode("utf-16"))
    add("utf16_be_bom.csv", "ok", b"\xfe\xff" + _standard().encode("utf-16-be"))
    add("latin1.csv", "ok",
        _table(("Date", "Région", "Température"),
               [(d.strftime("%Y-%m-%d %H:%M"), "Île-de-France", b) for d, b in zip(hours, temp)]).encode("latin-1"))
    add("crlf.csv", "ok", _standard(eol="\r\n"))
    add("cr_only_old_mac.csv", "ok", _standard(eol="\r"))
    shuffled = _standard().splitlines()
    body = shuffled[1:]
    random.Random(3).shuffle(body)
    add("unsorted_dates.csv", "ok", "\n".join([shuffled[0]] + body) + "\n")
    gaps = [(d.strftime("%Y-%m-%d %H:%M"), a, b) for i, (d, a, b) in enumerate(zip(hours, load, temp))
            if i not in (10, 11, 50, 120, 121, 122, 200)]
    add("gaps.csv", "ok", _table(("date", "load", "temp"), gaps))
    big_gap = [(d.strftime("%Y-%m-%d %H:%M"), a, b) for i, (d, a, b) in enumerate(zip(_hours(N + 100), load + load[:100], temp + temp[:100]))
               if not 100 <= i < 200]
    add("large_gap_irregular.csv", "ok", _table(("date", "load", "temp"), big_gap))
    paris = [timezone(timedelta(hours=1)), timezone(timedelta(hours=2))]
    tz_rows = []
    for i, (a, b) in enumerate(zip(load, temp)):
        utc = datetime(2023, 3, 20, 0, 0, tzinfo=timezone.utc) + timedelta(hours=i)
        zone = paris[1] if utc >= datetime(2023, 3, 26, 1, 0, tzinfo=timezone.utc) else paris[0]
        tz_rows.append((utc.astimezone(zone).isoformat(), a, b))
    add("timezones_dst.csv", "ok", _table(("timestamp", "load", "temp"), tz_rows))
    add("utc_z_suffix.csv", "ok", _table(("time", "temp"), [(d.strftime("%Y-%m-%dT%H:%M:%SZ"), b) for d, b in zip(hours, temp)]))
    add("no_header.csv", "ok", _table(None, [(d.strftime("%Y-%m-%d %H:%M"), a, b) for d, a, b in zip(hours, load, temp)]))
    add("no_header_numbers_only.csv", "ok", _table(None, [(a, b) for a, b in zip(load, temp)]))
    add("single_column.csv", "ok", _table(("sales",), [(b,) for b in temp]))
    add("no_date_column.csv", "ok", _table(("load", "temp"), [(a, b) for a, b in zip(load, temp)]),
        _reading(None, None, 24, N))
    add("trailing_delimiter.csv", "ok", _standard(trailing=","))
    add("trailing_delimiter_rows_only.csv", "ok",
        "date,load,temp\n" + "".join(f"{d:%Y-%m-%d %H:%M},{a},{b},\n" for d, a, b in zip(hours, load, temp)))
    add("quoted_numbers_thousands.csv", "ok",
        _table(("date", "units", "revenue"),
               [(d.strftime("%Y-%m-%d %H:%M"), f'"{a * 100:,.1f}"', f'"{b * 1000:,.2f}"') for d, a, b in zip(hours, load, temp)]))
    add("currency_and_percent.csv", "ok",
        _table(("date", "share", "price"), [(d.strftime("%Y-%m-%d"), f"{a / 2:.1f}%", f"${b:.2f}")
                                            for d, a, b in zip([START + timedelta(days=i) for i in range(N)], load, temp)]))
    dup_rows = []
    for i, (d, a, b) in enumerate(zip(hours, load, temp)):
        dup_rows.append((d.strftime("%Y-%m-%d %H:%M"), a, b))
        if i % 40 == 5:
            dup_rows.append((d.strftime("%Y-%m-%d %H:%M"), a + 1, b + 1))
    add("duplicate_timestamps.csv", "ok", _table(("date", "load", "temp"), dup_rows))
    add("inf_in_feature.csv", "ok", _table(("date", "load", "temp"),
                                           [(d.strftime("%Y-%m-%d %H:%M"), "-inf" if i == 9 else a, b)
                                            for i, (d, a, b) in enumerate(zip(hours, load, temp))]))
    some = [(d.strftime("%Y-%m-%d %H:%M"), "" if i % 17 == 3 else a, "NA" if i % 13 == 4 else b)
            for i, (d, a, b) in enumerate(zip(hours, load, temp))]
    add("some_missing_values.csv", "ok", _table(("date", "load", "temp"), some))
    add("missing_at_ends.csv", "ok", _table(("date", "load", "temp"),
                                            [(d.strftime("%Y-%m-%d %H:%M"), a, "" if i < 3 or i > N - 3 else b)
                                             for i, (d, a, b) in enumerate(zip(hours, load, temp))]))
    days = [START + timedelta(days=i) for i in range(N)]
    add("daily_dayfirst.csv", "ok", _table(("date", "temp"), [(d.strftime("%d/%m/%Y"), b) for d, b in zip(days, temp)]),
        _reading("date", "D", 24, START + timedelta(days=N)))   # temp's cycle is 24 steps, here days
    months = [datetime(2000 + i // 12, i % 12 + 1, 1) for i in range(N)]
    add("monthly.csv", "ok", _table(("month", "sales"), [(d.strftime("%Y-%m"), a) for d, a in zip(months, load)]),
        _reading("month", "MS", 24, _month_start(2000, 1, N)))
    add("excel_sep_hint.csv", "ok", "sep=;\n" + _standard(sep=";"))
    blank = _standard().splitlines()
    add("blank_lines.csv", "ok", "\n\n" + "\n".join(ln + ("\n" if i % 50 == 7 else "") for i, ln in enumerate(blank)) + "\n\n\n")
    add("comment_lines.csv", "ok", "# exported by a logger\n# units: degC\n" + _standard())
    add("text_category_column.csv", "ok",
        _table(("date", "site", "load", "temp"),
               [(d.strftime("%Y-%m-%d %H:%M"), ["north", "south"][i % 2], a, b)
                for i, (d, a, b) in enumerate(zip(hours, load, temp))]))
    add("pandas_index_column.csv", "ok",
        _table(("", "date", "load", "temp"), [(i, d.strftime("%Y-%m-%d %H:%M"), a, b)
                                              for i, (d, a, b) in enumerate(zip(hours, load, temp))]))
    add("duplicate_and_blank_header_names.csv", "ok",
        _table(("date", "value", "value", ""), [(d.strftime("%Y-%m-%d %H:%M"), a, b, round(a - b, 3))
                                                for d, a, b in zip(hours, load, temp)]))
    add("spaces_around_fields.csv", "ok",
        _table((" date ", " load ", " temp "), [(f" {d:%Y-%m-%d %H:%M} ", f" {a} ", f" {b}  ") for d, a, b in zip(hours, load, temp)]))
    add("short_rows.csv", "ok",
        _table(("date", "load", "temp"), [(d.strftime("%Y-%m-%d %H:%M"), a) if i == 30 else (d.strftime("%Y-%m-%d %H:%M"), a, b)
                                          for i, (d, a, b) in enumerate(zip(hours, load, temp))]))
    bad_dates = [("not a date" if i == 60 else d.strftime("%Y-%m-%d %H:%M"), a, b) for i, (d, a, b) in enumerate(zip(hours, load, temp))]
    add("one_bad_date.csv", "ok", _table(("date", "load", "temp"), bad_dates))
    add("stray_text_in_numbers.csv", "ok",
        _table(("date", "load", "temp"), [(d.strftime("%Y-%m-%d %H:%M"), a, "error" if i == 45 else b)
                                          for i, (d, a, b) in enumerate(zip(hours, load, temp))]))
    add("unix_epoch_and_negative.csv", "ok",
        _table(("epoch", "delta"), [(int(d.replace(tzinfo=timezone.utc).timestamp()), round(b - 22, 3))
                                    for d, b in zip(hours, temp)]))
    add("fifteen_minutes_iso_t.csv", "ok",
        _table(("datetime", "kw"), [((START + timedelta(minutes=15 * i)).strftime("%Y-%m-%dT%H:%M"), a)
                                    for i, a in enumerate(load)]))
    add("scientific_notation.csv", "ok",
        _table(("date", "flux"), [(d.strftime("%Y-%m-%d %H:%M"), f"{b * 1e-6:.4e}") for d, b in zip(hours, temp)]))
    _calendar_files(add)
    return files, readings


# ---------------------------------------------------------------------------------------------
# calendar files: ISO monthly and quarterly dates, year columns, a wide table, a short yearly series


def _reading(date_col, freq, season, first_future, **more) -> dict:
    future = first_future.strftime("%Y-%m-%d %H:%M:%S") if isinstance(first_future, datetime) else first_future
    return {"date_col": date_col, "freq": freq, "season": season, "first_future": future, **more}


def _month_start(year: int, month: int, months_later: int) -> datetime:
    k = year * 12 + month - 1 + months_later
    return datetime(k // 12, k % 12 + 1, 1)


def _month_end(year: int, month: int, months_later: int) -> datetime:
    return _month_start(year, month, months_later + 1) - timedelta(days=1)


def _ar(n: int, phi: float, sigma: float, rng: random.Random) -> list[float]:
    """Persistent noise: x[t] = phi * x[t-1] + N(0, sigma)."""
    out, x = [], 0.0
    for _ in range(n):
        x = phi * x + rng.gauss(0, sigma)
        out.append(x)
    return out


def _calendar_files(add) -> None:
    rng = random.Random(11)

    # Monthly, dated on the first of the month in ISO 8601 (the 1950-01-01, 1950-02-01, ...):
    # a CO2-like rising trend with a yearly cycle.
    n = 240
    co2 = [round(310 + 0.07 * i + 0.0001 * i * i + 3 * math.sin(2 * math.pi * (i - 3) / 12) + rng.gauss(0, 0.3), 2)
           for i in range(n)]
    add("monthly_iso.csv", "ok", _table(("date", "co2"), [(f"{_month_start(1950, 1, i):%Y-%m-%d}", v)
                                                          for i, v in enumerate(co2)]),
        _reading("date", "MS", 12, _month_start(1950, 1, n)))
    # Quarterly from 1959-01-01 (1959-04-01, ...): beer-like production, high in Q4, low in Q3.
    n = 120
    quarter_effect = (10, -15, -40, 45)
    beer = [round(400 + 0.8 * i + quarter_effect[i % 4] + rng.gauss(0, 8), 1) for i in range(n)]
    add("quarterly_iso.csv", "ok", _table(("date", "production"), [(f"{_month_start(1959, 1, 3 * i):%Y-%m-%d}", v)
                                                                   for i, v in enumerate(beer)]),
        _reading("date", "QS", 4, _month_start(1959, 1, 3 * n)))
    # Month ends (1990-01-31, 1990-02-28, ...): retail sales growing 0.3% a month, peaking in December.
    n = 120
    sales = [round(1000 * 1.003 ** i * (1 + 0.12 * math.cos(2 * math.pi * (i - 11) / 12)) + rng.gauss(0, 10), 1)
             for i in range(n)]
    add("month_end_iso.csv", "ok", _table(("date", "sales"), [(f"{_month_end(1990, 1, i):%Y-%m-%d}", v)
                                                              for i, v in enumerate(sales)]),
        _reading("date", "ME", 12, _month_end(1990, 1, n)))
    # A year column as pandas writes floats (1700.0, ...): sunspot-like, an 11-year cycle, never below 0.
    n = 309
    spots = [round(max(0.0, 75 + 65 * math.sin(2 * math.pi * i / 11) + rng.gauss(0, 12)), 1) for i in range(n)]
    add("year_column.csv", "ok", _table(("YEAR", "SUNACTIVITY"), [(f"{1700 + i:.1f}", v) for i, v in enumerate(spots)]),
        _reading("YEAR", "YS", 11, datetime(1700 + n, 1, 1)))
    # A year and a month column (1959, 1 ... 1978, 12): monthly CO2-like again.
    n = 240
    co2 = [round(315 + 0.08 * i + 2.8 * math.sin(2 * math.pi * (i - 2) / 12) + rng.gauss(0, 0.3), 2) for i in range(n)]
    add("year_month_columns.csv", "ok", _table(("year", "month", "co2"), [(1959 + i // 12, i % 12 + 1, v)
                                                                          for i, v in enumerate(co2)]),
        _reading("year", "MS", 12, datetime(1959 + n // 12, 1, 1)))
    # A year and a quarter column: GDP-like growth with persistent shocks, seasonally adjusted (no season).
    n = 203
    shocks = _ar(n, 0.9, 0.006, rng)
    gdp = [round(2700 * 1.008 ** i * math.exp(s), 1) for i, s in enumerate(shocks)]
    add("year_quarter_columns.csv", "ok", _table(("year", "quarter", "realgdp"), [(1959 + i // 4, i % 4 + 1, v)
                                                                                  for i, v in enumerate(gdp)]),
        _reading("year", "QS", 1, _month_start(1959, 1, 3 * n)))
    # A wide table as climate indices are published: YEAR, then JAN ... DEC (the El Nino sea
    # temperatures, 1950-2010): a yearly cycle plus El Nino's slow swings. Read as it is, it is 61 years
    # of December with no season; with layout="wide", 732 months with a yearly one.
    years = 61
    swings = _ar(12 * years, 0.95, 0.3, rng)
    sst = [round(24 + 2.2 * math.cos(2 * math.pi * (i % 12 - 3) / 12) + s + rng.gauss(0, 0.15), 2)
           for i, s in enumerate(swings)]
    months = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
    add("wide_monthly_table.csv", "ok",
        _table(("YEAR",) + months, [(1950 + y,) + tuple(sst[12 * y:12 * y + 12]) for y in range(years)]),
        _reading("YEAR", "YS", 1, datetime(1950 + years, 1, 1), target="DEC", rows=years, looks_wide=True,
                 wide=_reading("YEAR", "MS", 12, datetime(1950 + years, 1, 1), target="value", rows=12 * years)))
    # A short yearly series with no season: Nile-like flows, a level that drops after 1898, persistent noise.
    n = 100
    noise = _ar(n, 0.5, 110, rng)
    flows = [round((1100 if 1871 + i < 1899 else 850) + e) for i, e in enumerate(noise)]
    add("yearly_short_no_season.csv", "ok", _table(("year", "volume"), [(1871 + i, v) for i, v in enumerate(flows)]),
        _reading("year", "YS", 1, datetime(1871 + n, 1, 1)))


def main() -> None:
    files, readings = build_all()
    for name, (_, content) in files.items():
        (HERE / name).write_bytes(content)
    expected = {name: exp for name, (exp, _) in sorted(files.items())}
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    (HERE / "readings.json").write_text(json.dumps(dict(sorted(readings.items())), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(files)} files ({sum(v == 'ok' for v in expected.values())} ok, "
          f"{sum(v == 'error' for v in expected.values())} error) to {HERE}")


if __name__ == "__main__":
    main()
