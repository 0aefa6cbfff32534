"""The classical models' fits in a process of their own, so that the budget and Stop can end one.

statsforecast's AutoARIMA spends minutes in one call on a long series with a long season (a weekly
series with period 52, say), and a call inside this process cannot be interrupted. So a board
sends each fold's work (`forecast_classical`) to one helper process (`python -m
zoo.leaderboard.classical`, started on first use and kept for the board) and waits, checking the
board's stop between polls; a stop kills the helper, and the next call starts a new one. The
helper is a plain subprocess, not multiprocessing's: a job's worker is a daemon process and may not
have children of its own.
"""
from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

CLASSICAL = {"AutoETS": "statsforecast.models:AutoETS", "AutoTheta": "statsforecast.models:AutoTheta",
             "AutoARIMA": "statsforecast.models:AutoARIMA", "AutoCES": "statsforecast.models:AutoCES",
             "DynamicOptimizedTheta": "statsforecast.models:DynamicOptimizedTheta"}
BAGGED_ETS = "BaggedETS"   # bagged AutoETS (below)
WARM = ("warm",)   # imports statsforecast's models, answers its version (candidates.Classical.prepare)
POLL_S = 0.1
PARENT_ENV = "ZOO_CLASSICAL_HELPER_PARENT"   # the pid of the process that started a helper


def season_in_step(model) -> int:
    """The period a fitted AutoETS runs its season on (1 for a form without one): its `forward` starts again from
    the fit's initial states (statsforecast's ets_f: `init_state = model["par"][4:]`), the seasonal ones those of
    the phase of the fit's first row, so the rows it runs over start on that phase (`rows_before`). Theta, CES and
    ARIMA start from the rows they are given, and are run over the last `history` as they were (a Theta run over 88
    rows from a season's start forecast a daily cycle 19 off, over 100 rows from anywhere 1.1)."""
    fitted = getattr(model, "model_", None) or {}
    components = str(fitted.get("components", "N" * 3))
    return int(fitted.get("m", 1)) if len(components) > 2 and components[2] != "N" else 1


def rows_before(y: np.ndarray, t: int, history: int, period: int = 1) -> np.ndarray:
    """The rows a fitted model runs over to forecast from origin `t`: the last `history`, and with `period`
    (`season_in_step`), the few before them back to a row a whole number of seasons after the fit's first (row 0 of
    `y`). Without it, on a series past `history` (2,000 rows), AutoETS forecast an hourly series' daily cycle out of
    phase (test MASE 7.1 on 2,543 rows, 0.66 on 1,900; a forecast user's check)."""
    start = max(0, int(t) - int(history))
    start -= start % max(1, int(period))
    return y[start:int(t)]


def forecast_classical(name: str, period: int, y: np.ndarray, fit_end: int, origins: np.ndarray, horizon: int,
                       future: bool, history: int) -> tuple[np.ndarray, np.ndarray | None, dict]:
    """Fit `name` on y[:fit_end]; forecast `horizon` steps from each origin by running the fitted
    model over the `history` rows before it (`forward`: its parameters kept), and after the end of
    `y`. (Over the whole history instead, a long series' origins cost minutes: on 1,000,000 rows
    AutoTheta's first fold took 114 s, the forward passes over up to 160,000 rows each.)"""
    from zoo.registry import resolve

    # A writable copy: an array unpickled from the board's message is read-only, and AutoCES's numba
    # kernels (statsforecast 2.0.3) refuse one ("Cannot modify readonly array").
    y = np.array(y, dtype=float)
    if name == BAGGED_ETS:
        return _forecast_bagged_ets(period, y, fit_end, origins, horizon, future, history)
    model = resolve(CLASSICAL[name])(season_length=max(1, int(period)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(y[:fit_end])
        phase = season_in_step(model) if name == "AutoETS" else 1
        forecasting = time.perf_counter()
        out = np.empty((len(origins), horizon))
        for i, t in enumerate(origins):
            t = int(t)
            out[i] = (model.forward(y=rows_before(y, t, history, phase), h=horizon)["mean"] if t > fit_end
                      else model.predict(h=horizon)["mean"])
        ahead = np.asarray(model.forward(y=rows_before(y, len(y), history, phase), h=horizon)["mean"], float) \
            if future else None
    return out, ahead, {**_info(model), "origin_seconds": round(time.perf_counter() - forecasting, 3)}


# ---------------------------------------------------------------------------------------------
# Bagged ETS (Bergmeir, Hyndman & Benitez 2016, "Bagging exponential smoothing methods using STL
# decomposition and Box-Cox transformation", IJF 32(2); R's forecast::baggedETS): the series' Box-Cox
# values (lambda by Guerrero's method, in [0, 1]) are split by STL (loess for a series without a season),
# the remainder is resampled in moving blocks of two seasons (8 rows without one), and AutoETS is fitted
# to each series so made and to the series itself. Here each fitted model then runs over the real rows
# before each origin (`forward`, its form and parameters kept), and the forecasts are averaged: the
# bagging spreads the choice of model and its parameters, which is where a short series is least sure.

BAGS = 20   # series per fit, the series itself included (R's default is 100: 20 keeps a short board's fold in seconds)


def guerrero_lambda(y: np.ndarray, period: int) -> float:
    """The Box-Cox lambda in [0, 1] whose subseries (of one season, or of 2 rows) have the most even
    coefficient of variation of sd / mean^(1 - lambda) (Guerrero 1993, as forecast::BoxCox.lambda)."""
    from scipy.optimize import minimize_scalar

    width = period if period > 1 else 2
    n = len(y) // width * width
    blocks = y[len(y) - n:].reshape(-1, width)
    means, sds = blocks.mean(axis=1), blocks.std(axis=1, ddof=1)
    if len(blocks) < 2 or not (sds > 0).all():
        return 1.0

    def spread(lam: float) -> float:
        ratio = sds / means ** (1 - lam)
        return float(ratio.std(ddof=1) / ratio.mean())

    return float(minimize_scalar(spread, bounds=(0.0, 1.0), method="bounded").x)


def _box_cox(y, lam):
    return np.log(y) if lam == 0 else (y ** lam - 1) / lam


def _inv_box_cox(z, lam):
    return np.exp(z) if lam == 0 else np.maximum(lam * z + 1, 1e-12) ** (1 / lam)


def bagged_series(y: np.ndarray, period: int, bags: int = BAGS, seed: int = 0) -> list[np.ndarray]:
    """`y` and `bags - 1` series like it: Box-Cox (for a series above 0), STL or loess, moving-block bootstrap
    of the remainder, back on the original scale."""
    from statsmodels.nonparametric.smoothers_lowess import lowess
    from statsmodels.tsa.seasonal import STL

    rng = np.random.default_rng(seed)
    n = len(y)
    lam = guerrero_lambda(y, period) if (y > 0).all() else None
    z = _box_cox(y, lam) if lam is not None else y
    if period > 1 and n >= 2 * period + 1:
        parts = STL(z, period=period, robust=True).fit()
        smooth = parts.trend + parts.seasonal
    else:
        smooth = lowess(z, np.arange(n), frac=min(1.0, max(0.2, 8 / n)), return_sorted=False)
    rest = z - smooth
    block = max(2, min(2 * period if period > 1 else 8, n // 2))
    out = [y]
    for _ in range(bags - 1):
        starts = rng.integers(0, n - block + 1, size=n // block + 2)
        drawn = np.concatenate([rest[s:s + block] for s in starts])
        skip = int(rng.integers(0, block))
        made = smooth + drawn[skip:skip + n]
        out.append(_inv_box_cox(made, lam) if lam is not None else made)
    return out


def _forecast_bagged_ets(period, y, fit_end, origins, horizon, future, history):
    from statsforecast.models import AutoETS

    season = max(1, int(period))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = []
        for series in bagged_series(y[:fit_end], season):
            model = AutoETS(season_length=season)
            try:
                model.fit(np.ascontiguousarray(series))
            except Exception:  # noqa: BLE001 - a bootstrapped series AutoETS cannot fit is left out
                continue
            models.append(model)
        forecasting = time.perf_counter()

        def mean_of(t: int) -> np.ndarray:
            runs = []
            for model in models:
                try:
                    rows = rows_before(y, t, history, season_in_step(model))
                    runs.append(np.asarray(model.forward(y=rows, h=horizon)["mean"], float))
                except Exception:  # noqa: BLE001 - a form the real rows do not allow (multiplicative at 0)
                    continue
            if not runs:
                raise ValueError("no bagged AutoETS model could forecast these rows")
            return np.mean(runs, axis=0)

        out = np.empty((len(origins), horizon))
        for i, t in enumerate(origins):
            out[i] = mean_of(int(t))
        ahead = mean_of(len(y)) if future else None
    return out, ahead, {"bags": len(models), "origin_seconds": round(time.perf_counter() - forecasting, 3)}


def _info(model) -> dict:
    fitted = getattr(model, "model_", None) or {}
    info = {}
    for key in ("method", "arma"):
        value = fitted.get(key) if isinstance(fitted, dict) else None
        if value is not None:
            info[key] = value if isinstance(value, str) else [int(v) for v in np.ravel(value)]
    return info


class Helper:
    """One helper process, reused for a board's classical fits; killed when a call must stop."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None

    def call(self, args: tuple, should_stop: Callable[[], bool]):
        """The helper's answer to `args`. Raises InterruptedError when `should_stop` says so (the
        process is killed), ValueError when the fit failed, and RuntimeError when the process died
        (killed, out of memory): the board then marks this candidate failed and goes on, and the
        next call starts a new process."""
        if should_stop():   # nothing started or sent for a board that has stopped already
            raise InterruptedError("stopped")
        if self.proc is None or self.proc.poll() is not None:
            # NIXTLA_NUMBA_CACHE: statsforecast's switch for numba's on-disk cache. AutoCES compiles
            # for about 20 s in each new process without it, under 3 s with it once compiled.
            # PYTHONPATH: the folder that holds `zoo`, so that the helper imports the same package
            # whatever the caller's working directory (a script run from bench/, say).
            root = str(Path(__file__).resolve().parents[2])
            path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
            env = {"NIXTLA_NUMBA_CACHE": "1", **os.environ, "PYTHONPATH": path, PARENT_ENV: str(os.getpid())}
            # A session of its own: a terminal's Ctrl-C reaches the board's process group, and the board
            # decides for its helper (its Stop kills it) instead of the helper dying mid-fit on its own.
            self.proc = subprocess.Popen([sys.executable, "-m", "zoo.leaderboard.classical"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, env=env, start_new_session=True)
        import select

        stopped = False
        try:
            _send(self.proc.stdin, args)
            while not select.select([self.proc.stdout], [], [], POLL_S)[0]:
                if should_stop():
                    stopped = True
                    break
            else:
                ok, value = _recv(self.proc.stdout)   # EOFError: the process ended without an answer
        except (EOFError, OSError):
            try:
                code = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:   # alive but its pipe broken: end it
                self.proc.kill()
                code = self.proc.wait(timeout=5)
            self.proc = None
            how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
            raise RuntimeError(f"the classical models' helper process ended without an answer ({how}; out of "
                               "memory, or killed): this model is left out, the next one starts a new process") from None
        if stopped:   # raised here, not in the `try`: InterruptedError is an OSError, which there means a
            # dead process
            self.close()
            raise InterruptedError("stopped")
        if not ok:
            raise ValueError(value)
        return value

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=5)
            self.proc = None


def _send(stream, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _recv(stream):
    """One message; EOFError when the stream ends before all of it (a helper killed while writing an
    answer longer than the pipe's buffer leaves a cut-off body, which pickle would call corrupt)."""
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError
    size = struct.unpack("<Q", head)[0]
    body = stream.read(size)
    if len(body) < size:
        raise EOFError
    return pickle.loads(body)


def _exit_with_parent(poll_s: float = 1.0) -> None:
    """End this helper when the process that started it is gone. A board that stops closes its helper
    (`Helper.close`), but a board killed outright (its worker killed, out of memory; the CLI killed)
    cannot, and the helper would fit on for minutes (AutoARIMA) with nobody to read the answer. A
    watching thread rather than Linux's PR_SET_PDEATHSIG, which needs code run between fork and exec
    (`preexec_fn`, unsafe in a process with threads) and fires when the starting thread ends, not
    its process."""
    import threading

    # The pid of the board that started it, as it said when it did: read here, a parent killed during
    # the helper's imports would already be init (or a subreaper) and never seen to change.
    parent = int(os.environ.get(PARENT_ENV) or os.getppid())

    def watch():
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _serve() -> None:
    _exit_with_parent()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            args = _recv(stdin)
        except EOFError:
            return
        try:
            if args == WARM:
                import statsforecast
                import statsforecast.models  # noqa: F401

                _send(stdout, (True, statsforecast.__version__))
                continue
            out, ahead, info = forecast_classical(*args)
            _send(stdout, (True, (out, ahead, info)))
        except Exception as exc:  # the fit's own failure (a series it cannot fit): reported, the helper lives on
            _send(stdout, (False, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"))


if __name__ == "__main__":
    _serve()
