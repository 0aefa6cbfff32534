"""Windows of a series: the rows split chronologically (train [0,a), val [a,b), test [b,n)), the
scaler fitted on the training rows only (the source material normalised with the whole series,
test included: docs/architecture.md), and every window whose targets lie inside one split; a
window's input may reach back into the split before it, so no test window is dropped. The windows
are strided views of the one normalised array (`window_views`), never copies.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from zoo.data.series.frame import SeriesFrame
from zoo.data.series.read import _list
from zoo.registry import SpecError, join_or

MAX_WINDOW_VALUES = 100_000_000  # values of the normalised series (rows x columns; ~0.4 GB as float32)
ETT_ROWS = (8640, 11520, 14400)  # 12/4/4 months of hourly data (Zhou et al., Informer)


def larger_share(part: str) -> str:
    """"a larger validation share (the Split setting; --split on the command line)": a refusal's fix, with where it
    is set (the command line's said "a larger validation share" and no flag: a forecast user's check)."""
    return f"a larger {part} share (the Split setting; --split on the command line)"


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
    x_train: np.ndarray           # (N, L, C) float32, normalised: a read-only view of `z` (window_views)
    y_train: np.ndarray           # (N, H) float32, normalised target: a view of `z` too
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

    def tensors(self) -> dict:
        """x_train, y_train, ..., y_test as torch tensors that are views of one tensor over `z`. The
        validation and test targets are NaN where the file did not hold them (`scored_targets`), so that the
        validation loss the curves draw and early stopping watches leaves them out, as every score does."""
        inputs, targets = window_tensors(self.z, self.lookback, self.horizon, self.target_channel)
        scored = self.scored_targets()
        out = {}
        for name in ("train", "val", "test"):
            starts = getattr(self, f"{name}_starts")
            s0, s1 = int(starts[0]), int(starts[-1]) + 1
            y = targets[s0:s1]
            if name != "train" and scored is not None and not scored[s0:s1].isnan().all():   # (all filled: the
                y = scored[s0:s1]                   # filled-in ones, the loss still needing something to score)
            out[f"x_{name}"], out[f"y_{name}"] = inputs[s0 - self.lookback:s1 - self.lookback], y
        return out

    def scored_targets(self):
        """The normalised target's windows (rows-H+1, H) as a tensor, NaN where the target was filled in past
        the training rows (SeriesFrame.filled), for the validation and test losses; None where none was, and
        nothing is copied. The models train on the filled-in values (a window needs every row); the loss
        they are judged by had counted them too (a forecast user's check)."""
        import torch

        filled = self.sf.filled
        a = self.split_rows[0]
        if filled is None or not filled[a:len(self.z)].any():
            return None
        target = self.z[:, self.target_channel].copy()
        target[np.flatnonzero(filled[:len(self.z)])] = np.nan
        return torch.from_numpy(target).unfold(0, self.horizon, 1)

    def train_and_val(self) -> tuple:
        """(x, y) as torch tensors, one view (no copy), of every window from the first training one to
        the last validation one: the H - 1 between the two (their targets straddle the boundary, in
        neither split) too, all of them ending before the test part."""
        inputs, targets = window_tensors(self.z, self.lookback, self.horizon, self.target_channel)
        s0, s1 = int(self.train_starts[0]), int(self.val_starts[-1]) + 1
        return inputs[s0 - self.lookback:s1 - self.lookback], targets[s0:s1]

    @property
    def train_target(self) -> np.ndarray:
        """The target over the training rows, original scale (for MASE and period detection)."""
        return self.sf.frame[self.sf.target].to_numpy(float)[: self.split_rows[0]]

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, starts) of 'train', 'val' or 'test'; 'future' is the one window after the series
        (its targets are unknown: y has no columns), so the baselines forecast ahead as they backtest."""
        if name == "future":
            rows = len(self.z)
            return self.last_window, np.zeros((1, 0), np.float32), np.array([rows])
        if name not in ("train", "val", "test"):
            raise ValueError(f"split must be train, val, test or future, not {name!r}")
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}"), getattr(self, f"{name}_starts")

    def actual_targets(self, name: str) -> np.ndarray:
        """The split's true targets (N, H) on the original scale, read from the series in float64: a
        read-only view of the series (window i is rows start_i .. start_i + H - 1), no copy, which
        for a 200,000-window test split saves 38 MB (BENCHMARKS.md, "Long series"). NaN where the
        target was filled in (SeriesFrame.actual_target, a copy of the column then): the scores leave
        those out."""
        _, _, starts = self.split(name)
        y = self.sf.actual_target()
        if len(starts) == 0:
            return np.zeros((0, self.horizon))
        # Consecutive starts: a slice of the windows' view, no (N, H) index array.
        windows = np.lib.stride_tricks.sliding_window_view(y, self.horizon)
        return windows[int(starts[0]):int(starts[-1]) + 1]

    def inverse_target(self, y_norm) -> np.ndarray:
        """Normalised target values back to the original scale."""
        c = self.target_channel
        out = np.multiply(y_norm, float(self.std[c]), dtype=np.float64)   # one new array, not three
        out += float(self.mean[c])
        return out

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


def window_views(z: np.ndarray, lookback: int, horizon: int, target_channel: int) -> tuple[np.ndarray, np.ndarray]:
    """Every window of `z` (rows, C) as read-only strided views, without copying a value:
    inputs (rows-L+1, L, C), whose window i is rows [i, i+L), and targets (rows-H+1, H), whose
    window j is the target's rows [j, j+H). A window whose targets start at row t is input t-L and
    target t. Written out, ETTh1's windows would take 17,420 x (96 + 24) floats; a 1,000,000-row
    series' 480 MB; as views they take nothing beyond `z`."""
    from numpy.lib.stride_tricks import sliding_window_view

    inputs = sliding_window_view(z, lookback, axis=0).transpose(0, 2, 1)
    targets = sliding_window_view(z[:, target_channel], horizon)
    return inputs, targets


def window_tensors(z: np.ndarray, lookback: int, horizon: int, target_channel: int):
    """`window_views` as torch tensors that share `z`'s memory (`Tensor.unfold` is a view)."""
    import torch

    zt = torch.from_numpy(z)
    return zt.unfold(0, lookback, 1).transpose(1, 2), zt[:, target_channel].unfold(0, horizon, 1)


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
    rows = len(sf.frame)
    a, b, n = parse_split(split, rows)
    notes: list[str] = []
    if str(split).strip().lower() == "ett" and rows > n:
        notes.append(f"ETT split: rows {n:,} to {rows - 1:,} are not in any split (the protocol uses the first {n:,}).")
    if int(season or 0) >= a > 0:
        # The seasonal naive baseline then fell back to the naive one and MASE to period 1, under the label
        # "seasonal naive (period 500)" (a new user's check); forecast-auto refuses such a season too (its plan).
        raise SpecError(f"season {int(season)} is not shorter than the train split ({a} rows): the seasonal naive "
                        f"baseline and MASE compare each value with the one a season before it; set a season shorter "
                        f"than {a} (0 detects one), or use a longer series.")
    return make_windows_at(sf, lookback, horizon, (a, b, n), features=features, season=season, notes=notes)


def make_windows_at(sf: SeriesFrame, lookback: int, horizon: int, bounds: tuple[int, int, int],
                    features: str = "target", season: int = 0, notes: list[str] | None = None) -> WindowedSeries:
    """`make_windows` with the row boundaries given: train [0,a), val [a,b), test [b,n) for
    rows=(a, b, n). The leaderboard's folds use it (zoo/leaderboard/): a fold is a series cut
    where its forecasts end, with its own scaler from its own training rows."""
    frame = sf.frame
    rows, (a, b, n) = len(frame), bounds
    L, H = lookback, horizon
    notes = list(notes or [])

    # Windows whose targets lie wholly inside each split; inputs may reach back.
    train_starts = np.arange(L, a - H + 1)
    val_starts = np.arange(max(a, L), b - H + 1)
    test_starts = np.arange(max(b, L), n - H + 1)
    # What no lookback helps is said first (a horizon over a part), then what a smaller lookback would: a review
    # found "lookback 36 + horizon 60 needs 96 training rows; use a smaller lookback" where validation held 12 rows.
    # Each fix is offered only where it can be made ("a smaller horizon" at horizon 1: a browser check).
    for part, size, need in (("train", a, H + 1), ("validation", b - a, H), ("test", n - b, H)):
        if size < need:
            why = (f"horizon {H} needs {H + 1} training rows even with lookback 1" if part == "train" else
                   f"horizon {H} needs {H} {part} rows")
            # the largest every part holds, as forecast-auto says it (a CLI user's check)
            rows_of = {"train": a, "validation": b - a, "test": n - b}
            holds = dict(rows_of, train=a - 1)   # the largest horizon each part holds
            most = min(holds.values())
            fixes = ([f"a horizon of at most {most}" if most >= 1 else "a smaller horizon"] if H > 1 else [])
            limiter = min(holds, key=holds.get)
            # which part sets that most, where it is not the part refused (a forecast user read "the train split has
            # 14 rows ... at most 2" as wrong: its 2 came from the validation split's 2 rows)
            said = (f" The {limiter} split's {rows_of[limiter]} rows set that {most}."
                    if fixes and most >= 1 and limiter != part else "")
            raise SpecError(f"the {part} split has {size} rows, too few for one window ({why}); use "
                            f"{join_or(fixes + [larger_share(part), f'a longer series ({rows} rows now)'])}."
                            + said)
    if len(train_starts) == 0:
        # Every part holds its horizon, so only the training part's lookback + horizon can be short (L > 1 here).
        fixes = ["a smaller lookback" + (" or horizon" if H > 1 else ""), larger_share("train"),
                 f"a longer series ({rows} rows now)"]
        raise SpecError(f"the train split has {a} rows, too few for one window (lookback {L} + horizon {H} needs "
                        f"{L + H} training rows); use {join_or(fixes)}.")

    columns = list(frame.columns) if features == "all" else [sf.target]
    columns = [c for c in columns if c != sf.target] + [sf.target]
    C = len(columns)
    total_values = rows * C   # the windows are views of these values (window_views), so they add nothing
    if total_values > MAX_WINDOW_VALUES:
        raise SpecError(f"these columns hold {total_values:,} numbers, more than fits in memory here; "
                        "use fewer columns (features=target) or a shorter series.")

    values = frame[columns].to_numpy(np.float64)
    train_part = values[:a]
    mean = train_part.mean(axis=0)
    std = train_part.std(axis=0)
    flat = ~(std > 1e-12 * np.maximum(1.0, np.abs(mean)))
    if flat[-1]:
        raise SpecError(f"target {sf.target!r} is constant over the {a} training rows, so it cannot be scaled; "
                        f"use {larger_share('training')} or a longer series.")
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
    inputs, targets = window_views(z, L, H, tc)

    def cut(starts):
        # Consecutive starts, so each split is a slice of the views: no window is copied.
        return inputs[starts[0] - L:starts[-1] - L + 1], targets[starts[0]:starts[-1] + 1]

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
