"""How long reading a wide CSV takes (zoo.data.series.read_series: what the Forecast page does with an upload),
against a long file of the same size, and with and without reading a column of plain numbers in one call
(columns._plain_numbers).

A file of --columns number columns beside a date (2,000 columns in all is the most a file may have; the hosted demo's
upload cap, 5 MB, holds about 360 rows of them) cost 6.6 s of the server's CPU (an attacker's check), where a long
file of the same size took about one: each column's strings were cleaned, parsed, searched for thousands marks a comma
file never asks about and for each currency sign in turn. It writes both files with the same seed, then alternates
rounds (ABC, CBA): "wide" reads as the app does, "wide, long way" with the one call turned off (every column cleaned
and parsed, its signs looked for), "long" a file of one number column beside the date, as many bytes. The table gives
the median seconds and the median of the per-round ratios.

    .venv/bin/python bench/wide_csv.py [--columns 1999] [--mb 5] [--rounds 6] [--write bench/results/wide_csv.md]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import publish  # noqa: E402
from zoo.data.series import columns, read  # noqa: E402


NEWLINE = b"\n"


def csv_bytes(columns_count: int, target_mb: float, seed: int = 0) -> bytes:
    """A daily series of `columns_count` number columns (three decimals, as an export writes them), as many rows as
    fill `target_mb`."""
    rng = np.random.default_rng(seed)
    per_row = 11 + 7 * columns_count   # "2020-01-01" and ",-0.123" a column, about
    rows = max(10, int(target_mb * 1e6 / per_row))
    dates = np.datetime_as_string(np.datetime64("2000-01-01") + np.arange(rows))
    values = rng.normal(size=(rows, columns_count))
    head = ",".join(["date", *(f"c{i}" for i in range(columns_count))])
    body = "\n".join(d + "," + ",".join(f"{v:.3f}" for v in row) for d, row in zip(dates, values))
    return f"{head}\n{body}\n".encode()


def timed(raw: bytes, long_way: bool = False) -> float:
    kept = getattr(read, "_plain_numbers", None)
    if long_way:   # the reading before the one call: every column through _parse_numbers and _signs_note
        read._plain_numbers = lambda values: None
    try:
        start = time.perf_counter()
        read.read_series(raw)
        return time.perf_counter() - start
    finally:
        if kept is not None:
            read._plain_numbers = kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--columns", type=int, default=1999)   # beside the date: read.MAX_COLUMNS
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--write", default=None)
    args = parser.parse_args()
    wide = csv_bytes(args.columns, args.mb)
    long = csv_bytes(1, len(wide) / 1e6)
    sides = {"wide": lambda: timed(wide), "wide, long way": lambda: timed(wide, long_way=True),
             "long": lambda: timed(long)}
    if not hasattr(columns, "_plain_numbers"):   # a checkout from before the one call (its "wide" is the long way)
        del sides["wide, long way"]
    timed(wide), timed(long)   # imports and first reads out of the rounds
    times: dict[str, list[float]] = {side: [] for side in sides}
    for k in range(args.rounds):
        for side in (list(sides) if k % 2 == 0 else list(reversed(sides))):
            times[side].append(sides[side]())
            print(f"round {k + 1} {side:<15} {times[side][-1]:6.2f} s")
    shapes = {"wide": f"{wide.count(NEWLINE) - 1:,} rows x {args.columns:,} columns", "wide, long way": "the same",
              "long": f"{long.count(NEWLINE) - 1:,} rows x 1 column"}
    lines = [f"| file ({len(wide) / 1e6:.1f} MB) | shape | median s | best s |", "|---|---|---:|---:|"]
    lines += [f"| {side} | {shapes[side]} | {statistics.median(times[side]):.2f} | {min(times[side]):.2f} |"
              for side in sides]
    lines.append("")

    def ratio(a: str, b: str) -> str:
        each = [x / y for x, y in zip(times[a], times[b])]
        return f"{statistics.median(each):.1f}x (rounds: " + ", ".join(f"{r:.1f}" for r in each) + ")"

    lines.append(f"wide / long: {ratio('wide', 'long')}")
    if "wide, long way" in sides:
        lines.append(f"wide, long way / wide: {ratio('wide, long way', 'wide')}")
    publish("\n".join(lines), "wide_csv.py", args.write)


if __name__ == "__main__":
    main()
