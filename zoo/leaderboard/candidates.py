"""The candidates of a leaderboard, three kinds behind one call, `forecast(board, fit_end, origins)`:
fit on the rows before `fit_end` only, then forecast H steps from each origin (original scale),
and from the end of the series when asked for the future.

    baseline   the project's own (zoo/forecast/baselines.py): naive, seasonal naive, window mean,
               linear least squares, on the same windows as the window models
    classical  statsforecast's AutoETS, AutoTheta and AutoARIMA (ports of R's forecast package),
               BaggedETS (AutoETS bagged over bootstrapped copies of the series: classical.py; in
               the ensemble it stands in for AutoETS, board.STANDS_IN_FOR), and AutoCES and
               DynamicOptimizedTheta when named in `models`,
               fitted once per fold and applied at each origin with `forward` (the fitted model
               run over the history up to that origin, its parameters kept)
    zoo        every series model of the registry, trained through the engine (`fit`) with a
               recipe suited to the series (plan.zoo_settings), early-stopped on the last
               rows before the fold
    wrapped    a baseline or zoo model fitted on the logarithm of a series above 0 (`OnLogScale`),
               or on the seasonally adjusted series (`Deseasoned`), forecast back to the
               original scale; linear least squares, linear (and mlp, adjusted), when named in
               `models`

What each candidate saw is in its rows only: a fold's windows come from the series cut where its
last forecast ends (`make_windows_at`), with the scaler fitted on the fold's own training rows.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from zoo.data.series import make_windows_at
from zoo.registry import list_models

BASELINE_NAMES = ("naive", "seasonal_naive", "mean", "linear_ls")
# Each as a training run's report names it (zoo/forecast/baselines.BASELINES): a board's linear least squares is
# "linear_ls" beside the zoo's model `linear`, but its backtest column is `baseline_linear`, as a run's is (a
# forecast user's check: the two files did not join)
FORECAST_BASELINE = dict(zip(BASELINE_NAMES, ("naive", "seasonal_naive", "mean", "linear")))
# The classical models fit on at most this many of the latest rows, and forecast each origin from
# at most this many rows before it (AutoARIMA on a long hourly series takes minutes; their
# parameters settle long before that).
MAX_CLASSICAL_ROWS = 2000
HOLDOUT_SHARE = 0.15      # the zoo models' early stopping watches the last 15% of the rows before a fit's end
# Refit each zoo model on every window before the fit's end (the holdout's too) for the epochs early
# stopping chose. Off: on the development series (bench/selection_dev.py's eleventh round) the pick beat
# its weakest peer less often with it (14 of 26 against 15), better on 6 series and worse on 11.
REFIT_ON_EVERY_ROW = False


class Stopped(Exception):
    """The board's stop or its budget ended a candidate's fit before it finished."""


@dataclass
class Board:
    """What every candidate reads: the series, the plan, and how to stop."""

    sf: object                   # SeriesFrame (zoo.data.series), the whole series
    y: np.ndarray                # its target, original scale, float64
    plan: object                 # zoo.leaderboard.plan.Plan
    seed: int = 0
    device: str = "cpu"
    data: str = ""               # the spec's data (a path), for the zoo models' specs
    layout: str = "long"         # and how the file is read (zoo.spec.LAYOUTS)
    should_stop: Callable[[], bool] = lambda: False
    _helper: object = None
    _logged: object = None

    def helper(self):
        """The process the classical models fit in (zoo/leaderboard/classical.py), started on first use."""
        if self._helper is None:
            from zoo.leaderboard.classical import Helper

            self._helper = Helper()
        return self._helper

    def with_target(self, values: np.ndarray) -> "Board":
        """This board with `values` for its target: the same rows, plan and stop. For the window models
        (the wrappers below): a classical model on it would start a helper of its own, unclosed."""
        import pandas as pd

        frame = pd.DataFrame({self.sf.target: values}, index=self.sf.frame.index)
        return dataclasses.replace(self, sf=dataclasses.replace(self.sf, frame=frame), y=values, _logged=None)

    def on_log_scale(self) -> "Board":
        """This board with the natural logarithm of its target (the series must be above 0), made once."""
        if self._logged is None:
            self._logged = self.with_target(np.log(self.y))
        self._logged.should_stop = self.should_stop
        return self._logged

    def close(self) -> None:
        if self._helper is not None:
            self._helper.close()

    def windows(self, fit_end: int, end: int, holdout: int):
        """Windows of the series cut at `end`: train targets before fit_end - holdout, the holdout
        (early stopping) up to fit_end, and every origin from fit_end on."""
        sf = dataclasses.replace(self.sf, frame=self.sf.frame.iloc[:end])
        return make_windows_at(sf, self.plan.lookback, self.plan.horizon, (fit_end - holdout, fit_end, end))


@dataclass
class Forecasts:
    at_origins: np.ndarray          # (len(origins), H) original scale
    future: np.ndarray | None = None  # (H,) after the last row, when asked for
    info: dict = dataclasses.field(default_factory=dict)   # what the fit chose (best epoch, ARIMA orders, ...)
    origin_seconds: float | None = None   # of the call's time, forecasting the origins' (None: not told)


@dataclass
class Candidate:
    name: str
    kind: str          # baseline, classical, zoo
    label: str         # what the table calls it

    def prepare(self, board: Board) -> None:
        """One-off work before the candidate's first fold, not its own (the modules it imports): the board
        runs it before the candidate's clock starts, so its projection does not count it once per fit. May
        raise InterruptedError when `board.should_stop` says so."""

    def forecast(self, board: Board, fit_end: int, origins: np.ndarray, future: bool = False) -> Forecasts:
        raise NotImplementedError

    def settings(self, board: Board) -> dict:
        return {}

    def too_slow(self, board: Board) -> str | None:
        return None

    def fit_work(self, board: Board, fit_end: int) -> float:
        """What a fit on the rows before `fit_end` costs, in units of this candidate's own (rows here):
        the budget's projection scales the seconds a fold took by it (board.projected_seconds)."""
        return float(fit_end)

    def zoo_model(self) -> str | None:
        """The model of the zoo this candidate trains (its recipe is plan.zoo_settings's), if any."""
        return None


def _end(board: Board, origins: np.ndarray, future: bool) -> int:
    return board.plan.rows if future or not len(origins) else int(origins.max()) + board.plan.horizon


def _pick(ws, origins: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Rows of a 'test' split's predictions (one per start from fit_end on) at the given origins."""
    return pred[np.asarray(origins) - int(ws.test_starts[0])]


# ---------------------------------------------------------------------------------------------
# baselines


class Baseline(Candidate):
    def forecast(self, board, fit_end, origins, future=False):
        from zoo.forecast import baselines as b

        H = board.plan.horizon
        ws = board.windows(fit_end, _end(board, origins, future), holdout=H)
        period = board.plan.period

        def run(split):
            if self.name == "naive":
                return b.naive(ws, split)
            if self.name == "seasonal_naive":
                return b.seasonal_naive(ws, split, period=period)
            if self.name == "mean":
                return b.window_mean(ws, split)
            return b.linear(ws, split)

        at = ws.inverse_target(_pick(ws, origins, run("test"))) if len(origins) else np.zeros((0, H))
        return Forecasts(at, ws.inverse_target(run("future"))[0] if future else None)

    def settings(self, board):
        return {"lookback": board.plan.lookback, "period": board.plan.period}


# ---------------------------------------------------------------------------------------------
# classical models (statsforecast)


# AutoARIMA's season longer than this is not tried: with period 52 (a weekly series) one fit of 700
# rows took 551 s here and each origin's forward 1.3 s (BENCHMARKS.md); the other two cope.
MAX_ARIMA_PERIOD = 24


class Classical(Candidate):
    def too_slow(self, board) -> str | None:
        """Why this model is not tried on this series (None: it is)."""
        if self.name == "AutoARIMA" and board.plan.period > MAX_ARIMA_PERIOD:
            return (f"not tried: AutoARIMA with a seasonal period of {board.plan.period} takes many minutes per fit "
                    f"(over {MAX_ARIMA_PERIOD}; set --season to a shorter one, or 1, to include it)")
        return None

    def prepare(self, board: Board) -> None:
        """Start the helper process and import statsforecast there (1.1 s on an idle machine, more beside a
        browser) before this model's clock: in its first fold, a 10 s board on the page, the app's first, skipped
        every classical model ("its first fold had not ended after 1.9 s") that the CLI's ranked (a forecast
        user's check)."""
        from zoo.leaderboard.classical import WARM

        try:   # (InterruptedError, a Stop or the budget's end, goes to the board)
            board.helper().call(WARM, board.should_stop)
        except (RuntimeError, ValueError):   # a helper that cannot start: its first fold says so, as a failure
            pass

    def forecast(self, board, fit_end, origins, future=False):
        start = max(0, fit_end - MAX_CLASSICAL_ROWS)
        y = board.y[start:] if future else board.y[start:_end(board, origins, False)]
        args = (self.name, board.plan.period, y, fit_end - start, np.asarray(origins) - start, board.plan.horizon,
                future, MAX_CLASSICAL_ROWS)
        try:
            out, ahead, info = board.helper().call(args, board.should_stop)
        except InterruptedError:
            raise Stopped() from None
        return Forecasts(out, ahead, info={k: v for k, v in info.items() if k != "origin_seconds"},
                         origin_seconds=info.get("origin_seconds"))

    def settings(self, board):
        from zoo.leaderboard.classical import BAGGED_ETS, BAGS

        bagged = {"bags": BAGS, "bootstrap": "Box-Cox, STL, moving blocks (Bergmeir et al. 2016)"} \
            if self.name == BAGGED_ETS else {}
        return {"season_length": board.plan.period, "library": "statsforecast", "max_rows": MAX_CLASSICAL_ROWS,
                **bagged}

    def fit_work(self, board, fit_end):
        """The same for every fit: on the rows it fits on (at most MAX_CLASSICAL_ROWS) a fit's time is
        mostly not in proportion to them. A first call's one-off costs (the helper's start; AutoCES
        compiles its numba kernels in its first fold in a fresh install, about 20 s) are still
        projected once per fit left, but no longer scaled up by the later fits' rows as well (in
        proportion to them, a 150-month board projected 156 s for AutoCES)."""
        return 1.0


# ---------------------------------------------------------------------------------------------
# the zoo's models


class Zoo(Candidate):
    def zoo_model(self) -> str | None:
        return self.name

    def prepare(self, board: Board) -> None:
        """Import torch, the engine and torch._dynamo (the first optimizer imports it: 1.5-2 s in a new
        process) before the board's clock runs for this model: in the CLI the first zoo model paid for
        them in its first fold, which the budget's projection then counted once per fit left, and a 30 s
        board skipped linear, whose later fits took 0.2 s each (a forecast user's check). A job worker
        has them already (zoo/worker_preload.py: torchvision imports torch._dynamo)."""
        import torch._dynamo  # noqa: F401

        import zoo.engine  # noqa: F401
        import zoo.forecast  # noqa: F401

    def spec(self, board, n_windows: int):
        from zoo.leaderboard.plan import zoo_settings
        from zoo.spec import ExperimentSpec

        recipe = zoo_settings(self.name, n_windows, board.plan.lookback, board.plan.period, model_size_windows(board))
        settings = {k: v for k, v in recipe.items() if k != "params"}
        # The series as the board read it (its target, dates and layout): the pick's spec, which "Train
        # the pick on its own" and its reproduction use, must read the same series.
        return ExperimentSpec(task="series", data=board.data, target=board.sf.target, date_col=board.sf.date_col,
                              layout=board.layout, model=self.name, model_params=recipe["params"],
                              lookback=board.plan.lookback, horizon=board.plan.horizon, season=board.plan.period,
                              seed=board.seed, device=board.device, **settings)

    def forecast(self, board, fit_end, origins, future=False):
        with one_thread(board.should_stop) as should_stop:
            return self._fit_and_forecast(board, fit_end, origins, future, should_stop)

    def _fit_and_forecast(self, board, fit_end, origins, future, should_stop):
        from zoo import demo
        from zoo.data.base import TensorData
        from zoo.engine import fit
        from zoo.forecast import predict
        from zoo.registry import DataShape

        H, L = board.plan.horizon, board.plan.lookback
        holdout, n_train = fit_windows(board.plan, fit_end)
        ws = board.windows(fit_end, _end(board, origins, future), holdout=holdout)
        capped = n_train < len(ws.train_starts)   # only on the demo: else n_train is all of them
        n_train = min(n_train, len(ws.train_starts))   # the same outside the demo
        # A capped fit's spec says so (limit_train: a series' latest windows, TensorData.tail), so that
        # "Train the pick on its own" trains as the board did, not refused by the same cap (a demo check).
        spec = self.spec(board, n_train).replace(limit_train=n_train if capped else 0)
        tensors = ws.tensors()
        # The hosted demo's cap on training samples (zoo/demo.py), as a one-model run has it: the latest windows,
        # nearest the origins (views: nothing copied). A board on a 40,000-row upload trained its zoo models on
        # 25,600 windows where a run of one was refused past 20,000 (a demo visitors' check).
        tensors["x_train"], tensors["y_train"] = tensors["x_train"][-n_train:], tensors["y_train"][-n_train:]
        # No test split for the engine: its test loss would read the rows from fit_end on and go unused
        # (the origins are forecast below, after the fit); on a long series it is the fold's largest
        # split, evaluated in full.
        tensors["x_test"], tensors["y_test"] = tensors["x_test"][:0], tensors["y_test"][:0]
        shape = DataShape(task="series", lookback=L, n_features=ws.n_features, horizon=H)
        data = TensorData(task="series", shape=shape, name="fold", extra={"windows": ws}, **tensors)
        result = fit(spec, data=data, should_stop=should_stop)
        if result.status == "stopped":
            raise Stopped()
        info = {"status": result.status, "epochs": result.epochs_run, "best_epoch": result.best_epoch}
        if result.status == "diverged":
            info["reason"] = result.reason
        elif REFIT_ON_EVERY_ROW and result.best_epoch >= 1:
            # The holdout is the latest rows before the fit's end, the ones nearest the origins: train
            # on them too, for as many epochs as early stopping kept. (The engine still reads a
            # validation part: the holdout, now trained on, so the weights kept are about the last.)
            spec = dataclasses.replace(spec, epochs=result.best_epoch, patience=0)
            cap = demo.train_samples_cap() or 0   # the latest windows within the demo's cap, as above ([-0:]: all)
            every = dataclasses.replace(data, **{name: t[-cap:] for name, t in zip(("x_train", "y_train"),
                                                                                    ws.train_and_val())})
            result = fit(spec, data=every, should_stop=should_stop)
            if result.status == "stopped":
                raise Stopped()
            info["refit_epochs"] = result.epochs_run
        predicting = time.perf_counter()
        x = ws.x_test[np.asarray(origins) - int(ws.test_starts[0])] if len(origins) else ws.x_test[:0]
        at = ws.inverse_target(predict(result.model, x, result.device).reshape(len(x), H)) if len(x) else \
            np.zeros((0, H))
        ahead = ws.inverse_target(predict(result.model, ws.last_window, result.device).reshape(H)) if future else None
        out = Forecasts(at, ahead, info=info, origin_seconds=time.perf_counter() - predicting)
        out.model = result.model   # the weights, for the pick's best.pt
        out.spec = spec
        return out

    def settings(self, board):
        from zoo.leaderboard.plan import zoo_settings

        n_train = model_size_windows(board)   # the recipe of the test part's fit
        return zoo_settings(self.name, n_train, board.plan.lookback, board.plan.period, n_train)

    def fit_work(self, board, fit_end):
        """What the recipe computes on the windows this fit trains on (plan.recipe_work)."""
        from zoo.leaderboard.plan import recipe_work

        _, n_train = fit_windows(board.plan, fit_end)
        return recipe_work(self.name, n_train, board.plan.lookback, board.plan.period, model_size_windows(board))


def model_size_windows(board) -> int:
    """The training windows of the test part's fit: every fit of a zoo model on the board gets the
    model sized for them (plan.zoo_settings's `sized_for`)."""
    return fit_windows(board.plan, board.plan.test_start)[1]


def fit_windows(plan, fit_end: int, capped: bool = True) -> tuple[int, int]:
    """(holdout rows, training windows) of a zoo model's fit before `fit_end`. Two units: the holdout
    (early stopping's) is the last rows before `fit_end`, HOLDOUT_SHARE of the windows whose targets
    end before it and at least H rows, and holds the windows whose targets lie in those rows (holdout -
    H + 1 of them); the training windows' targets end before the holdout's rows start (`Board.windows`).
    On the hosted demo, at most its cap on training samples (unless not `capped`): the latest windows
    (`Zoo._fit_and_forecast`)."""
    from zoo import demo

    H, L = plan.horizon, plan.lookback
    n_fit = fit_end - L - H + 1   # windows whose targets end before fit_end
    holdout = max(H, int(round(HOLDOUT_SHARE * max(n_fit, 1))))
    return holdout, min(max(1, n_fit - holdout), (capped and demo.train_samples_cap()) or math.inf)


# ---------------------------------------------------------------------------------------------
# a model on other values of the series (by name only: spec.BY_NAME_ONLY)


class Wrapped(Candidate):
    """`inner` (a baseline or a zoo model) fitted on values made from the series, its forecasts taken
    back to the original scale: the subclasses say how. Both need a series above 0."""

    PREFIX, SUFFIX = "", ""

    def __init__(self, inner: Candidate):
        super().__init__(f"{self.PREFIX}_{inner.name}", inner.kind, f"{inner.label}, {self.SUFFIX}")
        self.inner = inner

    def not_possible(self, board) -> str | None:
        return None

    def zoo_model(self) -> str | None:
        return self.inner.zoo_model()

    def prepare(self, board: Board) -> None:
        self.inner.prepare(board)   # a log_linear board paid torch's imports in its first fold (a review)

    def too_slow(self, board) -> str | None:
        return self.not_possible(board) or self.inner.too_slow(board)

    def fit_work(self, board, fit_end):
        return self.inner.fit_work(board, fit_end)


class OnLogScale(Wrapped):
    """`inner` fitted on the natural logarithm of the series, its forecasts taken back with exp (the
    median of a log-normal forecast, which MAE asks for). A season that swings wider as the level
    grows, which AutoETS fits as multiplicative, is additive in logs, as the window models and linear
    least squares forecast (bench/selection_dev.py, fifth round)."""

    PREFIX, SUFFIX = "log", "on log values"

    def not_possible(self, board) -> str | None:
        if not (board.y > 0).all():
            return "not tried: it fits the logarithm of the series, which has values at or below 0"
        return None

    def forecast(self, board, fit_end, origins, future=False):
        out = self.inner.forecast(board.on_log_scale(), fit_end, origins, future)
        with np.errstate(over="ignore"):   # a forecast too large for exp is inf: not finite, so not ranked
            return dataclasses.replace(out, at_origins=np.exp(out.at_origins),
                                       future=None if out.future is None else np.exp(out.future))

    def settings(self, board):
        return {**self.inner.settings(board), "scale": "log"}


class Deseasoned(Wrapped):
    """`inner` fitted on the seasonally adjusted series: divided by the seasonal indices of a classical
    multiplicative decomposition of the rows before the fit (baselines.seasonal_indices), its forecasts
    multiplied back by the index of each step's position in the season. The M4 competition's
    benchmarks and machine-learning entries deseasonalised so (bench/selection_dev.py, sixth round)."""

    PREFIX, SUFFIX = "deseasoned", "seasonally adjusted"

    def not_possible(self, board) -> str | None:
        if board.plan.period < 2:
            return "not tried: the series has no seasonal period to adjust for"
        if not (board.y > 0).all():
            return "not tried: a multiplicative season needs a series above 0, and it has values at or below 0"
        return None

    def forecast(self, board, fit_end, origins, future=False):
        from zoo.forecast.baselines import seasonal_indices

        period, H = board.plan.period, board.plan.horizon
        factor = seasonal_indices(board.y[:fit_end], period)[np.arange(len(board.y) + H) % period]
        adjusted = board.with_target(board.y / factor[:len(board.y)])
        out = self.inner.forecast(adjusted, fit_end, origins, future)
        steps = np.asarray(origins, dtype=np.int64)[:, None] + np.arange(H)
        ahead = None if out.future is None else out.future * factor[len(board.y):]
        return dataclasses.replace(out, at_origins=out.at_origins * factor[steps], future=ahead)

    def settings(self, board):
        return {**self.inner.settings(board), "seasonal_adjustment": "multiplicative, classical decomposition"}


@contextlib.contextmanager
def one_thread(should_stop: Callable[[], bool]):
    """`should_stop`, keeping torch at one thread while the block runs (the engine calls it between
    batches; a job worker's own check may have set another count). The zoo's models are small and a
    short series' batches smaller still: on this 2-core machine a gru's folds took 2.7 s with one
    thread and 64 s with two, whose OpenMP threads wait for each other. OMP_NUM_THREADS, when set, is
    kept. The count is given back on the way out: the process may train something else next (a test
    run after a board, in one pytest process, trained at one thread and learned differently)."""
    import os

    import torch

    if "OMP_NUM_THREADS" in os.environ:
        yield should_stop
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)

    def check() -> bool:
        stop = should_stop()
        if torch.get_num_threads() != 1:
            torch.set_num_threads(1)
        return stop

    try:
        yield check
    finally:
        torch.set_num_threads(before)


def all_candidates() -> list[Candidate]:
    """Every candidate in the order a board runs them (the budget ends the list): cheapest first, but for bagged
    AutoETS before the zoo's linear and mlp (zoo/leaderboard/board.py says what that costs a short budget)."""
    labels = {"naive": "naive (last value)", "seasonal_naive": "seasonal naive", "mean": "window mean",
              "linear_ls": "linear least squares"}
    out: list[Candidate] = [Baseline(n, "baseline", labels[n]) for n in BASELINE_NAMES]
    linear_ls = out[BASELINE_NAMES.index("linear_ls")]
    out += [OnLogScale(linear_ls), Deseasoned(linear_ls)]
    out += [Classical("AutoETS", "classical", "AutoETS"), Classical("AutoTheta", "classical", "AutoTheta")]
    # The fourteenth round's: in the ensemble it stands in for AutoETS (board.STANDS_IN_FOR). On 2,000 hourly
    # rows it takes about ten times AutoETS's seconds (20 fits a fold), so it runs after the two cheap ones.
    out.append(Classical("BaggedETS", "classical", "bagged AutoETS"))
    zoo = list_models("series")
    first = [m for m in ("linear", "mlp") if m in zoo]
    out += [Zoo(m, "zoo", m) for m in first]
    if "linear" in zoo:
        out.append(OnLogScale(Zoo("linear", "zoo", "linear")))
    out += [Deseasoned(Zoo(m, "zoo", m)) for m in first]
    out.append(Classical("AutoARIMA", "classical", "AutoARIMA"))
    # By name only (spec.BY_NAME_ONLY): these two, the two on log values and the three seasonally
    # adjusted. On the development series (bench/selection_dev.py, third, fifth and sixth rounds)
    # adding them did not make the pick beat its weakest peer more often, and AutoCES compiles for
    # about 20 s in a new process (BENCHMARKS.md, "Choosing the pick").
    out += [Classical(n, "classical", n) for n in ("AutoCES", "DynamicOptimizedTheta")]
    out += [Zoo(m, "zoo", m) for m in zoo if m not in first]
    return out


def candidate_names() -> list[str]:
    return [c.name for c in all_candidates()] + ["ensemble"]
