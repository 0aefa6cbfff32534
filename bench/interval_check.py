"""Which conformal score to calibrate the leaderboard's intervals with, judged on validation alone.

    python bench/interval_check.py

For each series of bench/forecast_peers.py and a few quick candidates (naive, seasonal naive,
linear least squares, AutoTheta), the validation folds of its leaderboard plan are forecast as the
board does; the 80% split-conformal quantile per horizon step is calibrated on every fold but the
last, and its coverage measured on the last fold. Three scores: the plain |residual| ("none"),
|residual| over the std of the lookback before the origin ("spread", as zoo.forecast.window_scale)
and over the mean absolute seasonal difference of that lookback ("sdiff"). The test part is never
read. The mean over series and candidates should be near 80%.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.forecast_peers import DATA, SERIES  # noqa: E402
from zoo.data.series import read_series  # noqa: E402
from zoo.forecast.scores import conformal_intervals  # noqa: E402
from zoo.leaderboard.scoring import Scorer  # noqa: E402
from zoo.leaderboard.candidates import Board, all_candidates  # noqa: E402
from zoo.leaderboard.plan import make_plan  # noqa: E402

CANDIDATES = ("naive", "seasonal_naive", "linear_ls", "AutoTheta")
SCORES = ("none", "spread", "sdiff")


def scale(kind: str, y: np.ndarray, origins: np.ndarray, L: int, m: int) -> np.ndarray:
    if kind == "none":
        return np.ones(len(origins))
    if kind == "spread":
        out = np.array([np.std(y[t - L:t]) for t in origins])
    else:
        out = np.array([np.mean(np.abs(y[t - L:t] - y[t - L - m:t - m])) for t in origins])
    return np.maximum(out, 1e-9)


def main() -> int:
    results: dict[str, list[float]] = {k: [] for k in SCORES}
    print("| series | candidate | " + " | ".join(SCORES) + " |\n|---|---|" + "---:|" * len(SCORES))
    for name, (file, _, horizon, season) in SERIES.items():
        sf = read_series(str(DATA / file))
        y = sf.frame[sf.target].to_numpy(float)
        plan = make_plan(y, sf.freq, horizon=horizon, season=season)
        scorer = Scorer(y, plan, actual=sf.actual_target())   # the file's own values scored, as a board does
        board = Board(sf=sf, y=y, plan=plan, data=str(DATA / file))
        fold_of = np.searchsorted([f[0] for f in plan.folds], plan.val_origins, side="right") - 1
        last = fold_of == fold_of.max()
        try:
            for cand in [c for c in all_candidates() if c.name in CANDIDATES]:
                val = np.concatenate([cand.forecast(board, plan.folds[k][0], plan.fold_origins(k)).at_origins
                                      for k in range(len(plan.folds))])
                cells = []
                for kind in SCORES:
                    r = (scorer.val_actual - val) / scale(kind, y, plan.val_origins, plan.lookback,
                                                          max(plan.period, 1))[:, None]
                    q = conformal_intervals(r[~last], (0.8,))[0.8]
                    covered = float(np.mean(np.abs(r[last]) <= q[None, :]))
                    results[kind].append(covered)
                    cells.append(f"{100 * covered:.1f}%")
                print(f"| {name} | {cand.name} | " + " | ".join(cells) + " |", flush=True)
        finally:
            board.close()
    print()
    for kind, values in results.items():
        v = np.array(values)
        print(f"{kind}: mean coverage of the last fold {100 * v.mean():.1f}% (80% nominal), mean |deviation| "
              f"{100 * np.mean(np.abs(v - 0.8)):.1f} points, over {len(v)} series x candidates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
