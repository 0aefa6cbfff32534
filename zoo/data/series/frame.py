"""`SeriesFrame`: a checked series (float columns on a sorted time index, the target, the
frequency) and what reading it found and fixed; what `read_series` returns and the windows use."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from zoo.data.series.grid import past_period_start
from zoo.data.series.layout import WideColumns


@dataclass
class SeriesFrame:
    """A checked series: float columns on a sorted index, with what was done to get there."""

    frame: pd.DataFrame          # numeric float64 columns only; DatetimeIndex (sorted) or RangeIndex
    target: str                  # the column to forecast
    date_col: str | None = None  # the column the index came from (None: plain integer steps; the year column
                                 #   when a month or quarter column beside it completes the dates)
    freq: str | None = None      # pandas offset alias of the step ("h", "D", "MS", ...), None without dates
    notes: list[str] = field(default_factory=list)  # what was detected, fixed, dropped or filled
    layout: str = "long"         # "wide": melted from a row per year and a column per month (layout.py)
    wide: WideColumns | None = None  # the month (or quarter) columns when the file looks like a wide table
    utc_offset: pd.Timedelta | None = None  # the clock the times are on when the file's carried zones
                                            #   (columns.latest_offset); None for times without a zone
    written: tuple[str, str] = (",", ".")  # how the file writes a table: its separator and decimal mark (a download
                                           #   on the page is written alike: ui/run_view.downloads)
    filled: np.ndarray | None = None  # per row from the first: the target was not in the file (a gap's added
                                      #   timestamp, an empty value) and was filled in; None: none was.
                                      #   A slice of the frame from its start keeps it (rows line up)

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    def __len__(self) -> int:
        return len(self.frame)

    def actual_target(self) -> np.ndarray:
        """The target as scores read it: float64, NaN where it was filled in. A model is trained on the
        filled-in values (windows need every row), but scoring a forecast against values made up across a
        gap would score it against made-up actuals (a forecast user's check: 20 days missing from a test
        part moved its 80% coverage from 79% to 71%). Without filled rows, a view of the column."""
        y = self.frame[self.target].to_numpy(np.float64)
        if self.filled is None or not self.filled[:len(y)].any():
            return y
        y = y.copy()
        y[self.filled[:len(y)]] = np.nan
        return y

    def _step(self):
        """The offset between rows: the frequency, else the mean gap (irregular timestamps: the forecast's rows then
        span, on the whole, the time as many of the file's rows did; zoo/data/series/grid.regularise says so)."""
        if self.freq:
            return pd.tseries.frequencies.to_offset(self.freq)
        idx = self.frame.index
        if len(idx) >= 2:
            step = (idx[-1] - idx[0]) / (len(idx) - 1)
            if pd.notna(step) and step >= pd.Timedelta(1, "s"):   # whole seconds: no "23:11:36.608260" written
                step = step.round("s")
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
        shift = past_period_start(step, last)   # months on one day of theirs (the 15th) go on on that day
        if shift is not None:
            return pd.date_range(start=last - shift + step, periods=horizon, freq=step, name=idx.name) + shift
        return pd.date_range(start=last + step, periods=horizon, freq=step, name=idx.name)

    def summary(self) -> dict:
        """What a preview shows: rows, columns, the detected date column, frequency, target and layout."""
        idx = self.frame.index
        return {
            "rows": len(self.frame),
            "columns": self.columns,
            "target": self.target,
            "date_col": self.date_col,
            "freq": self.freq,
            "layout": self.layout,
            "start": str(idx[0]) if len(idx) else None,
            "end": str(idx[-1]) if len(idx) else None,
            "notes": list(self.notes),
        }
