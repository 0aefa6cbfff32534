"""Time series from a person's CSV: read it safely, then cut it into leakage-free windows.

    text.py     bytes -> text -> a table of strings (encodings, delimiters, header, ragged rows)
    columns.py  parsing numbers and dates in columns of strings
    layout.py   year columns (alone, or with a month or quarter column) and wide tables (looks_wide)
    frame.py    SeriesFrame: the checked series and its future dates
    read.py     read_series(): the table -> a checked SeriesFrame (time index, target, frequency, notes)
    windows.py  make_windows(): chronological splits, the scaler from training rows, the windows
    suggest.py  suggest_windows(): a lookback and horizon that suit the series and the split

This module is the task table's loader for series (`load_for_spec`) and the bundled sample.
"""
from __future__ import annotations

from pathlib import Path

from zoo.data.series.columns import _parse_dates, _parse_numbers
from zoo.data.series.frame import SeriesFrame
from zoo.data.series.layout import LAYOUTS, looks_wide
from zoo.data.series.grid import MAX_GAP_FILL
from zoo.data.series.read import read_series
from zoo.data.series.text import MIN_ROWS, _column_names, _decode, _has_header, _split_table
from zoo.data.series.suggest import suggest_windows
from zoo.data.series.windows import (ETT_ROWS, MAX_WINDOW_VALUES, WindowedSeries, make_windows, make_windows_at,
                                     parse_split, window_tensors, window_views)
from zoo.registry import DataShape

SAMPLE_NAMES = {"etth1", "ett", "sample", "etth1.csv"}


def sample_series_path() -> Path:
    """The bundled ETTh1 copy (Zhou et al., ETDataset, CC BY-ND 4.0; see bundled/ett/README.md)."""
    return Path(__file__).resolve().parent.parent / "bundled" / "ett" / "ETTh1.csv"


def resolve_series_source(data) -> object:
    """A spec's `data`: a CSV path, or a name of the bundled sample ('ETTh1')."""
    if isinstance(data, str) and data.strip().lower() in SAMPLE_NAMES and not Path(data).exists():
        return sample_series_path()
    return data


def load_for_spec(spec, data_dir=None):
    """The task table's loader for series (zoo/registry.py): the spec's CSV, windowed; with a
    limit_train, its latest training windows (TensorData.tail)."""
    data = load_series_data(spec)
    return data.tail(spec.limit_train) if spec.limit_train else data


def load_series_data(spec, device=None):
    """The spec's CSV as TensorData (task 'series'), with the WindowedSeries in extra['windows'].

    Reading comes before `zoo.data.base` (and, here, anything else of torch's), but in the CLI and
    the app torch is already loaded by then (checking a spec loads the models), so a long file's
    reading adds to torch's 0.5-0.7 GB: text._plain_table keeps that addition to about 250 MB for
    1,000,000 rows, and read_series hands back what it freed (BENCHMARKS.md, "Long series")."""
    from zoo import demo

    source = resolve_series_source(spec.data)
    # On a hosted demo its caps on an upload hold for every run of a CSV, not only where the pages take one
    # (the Inspect page's upload had skipped them: a demo check); elsewhere read_series's own bounds.
    bundled = isinstance(source, (str, Path)) and Path(source).resolve() == sample_series_path().resolve()
    caps = None if bundled else demo.upload_limits()
    bounds = {"max_bytes": caps[0], "max_rows": caps[1]} if caps else {}
    sf = read_series(source, target=spec.target, date_col=spec.date_col, layout=getattr(spec, "layout", "long"),
                     **bounds)
    ws = make_windows(sf, spec.lookback, spec.horizon, features=spec.features, split=spec.split,
                      season=getattr(spec, "season", 0))

    from zoo.data.base import TensorData
    shape = DataShape(task="series", lookback=ws.lookback, n_features=ws.n_features, horizon=ws.horizon)
    tensors = ws.tensors()   # views of one tensor over the normalised series: no window is copied
    name = Path(str(source)).name if not isinstance(source, (bytes, bytearray)) else "upload"
    data = TensorData(task="series", shape=shape, name=name, extra={"windows": ws}, **tensors)
    return data.to(device) if device is not None else data


__all__ = ["ETT_ROWS", "LAYOUTS", "MAX_GAP_FILL", "MAX_WINDOW_VALUES", "MIN_ROWS", "SeriesFrame", "WindowedSeries",
           "load_for_spec", "load_series_data", "looks_wide", "make_windows", "make_windows_at", "parse_split",
           "read_series", "resolve_series_source", "sample_series_path", "suggest_windows", "window_tensors",
           "window_views", "_column_names", "_decode", "_has_header", "_parse_dates", "_parse_numbers",
           "_split_table"]
