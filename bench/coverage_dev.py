"""The leaderboard's interval score compared on the development series, from bench/selection_dev.py's boards.

    python bench/coverage_dev.py --cache boards.pkl     # the cache `selection_dev.py --cache` writes

Why: bench/forecast_peers.py's six series meet the issue's coverage goal (mean 80% coverage 83.2%),
but the pick's 80% interval covered 66% of the test actuals on average over the 26 development
series of bench/selection_dev.py (seen while its seventh round was read, on the boards of its cache).
Several of those series grow: a residual at the end of a series that has doubled is about twice one
from its start, and the plain |residual| calibrated on the earlier validation origins is then too
narrow. The pick is the board's (the median of the best three; the score does not change it); its
intervals are recalibrated here from the forecasts the cache holds, so no board is rerun.

The scores:
- "plain": |residual| per horizon step, the board's now (zoo/leaderboard/scoring.py, `Scorer`).
- "level": |residual| over the mean |value| of the lookback before the origin, the interval then
  that share of the level before each test origin (on series above 0; plain on the others).
- "recent": plain, calibrated on the later half of the validation origins only (nearer the test).

Criterion, stated here before the first run: a score replaces "plain" only if over the 26 its mean
80% coverage is nearer 80% and its mean per-series distance from 80% is lower; of two, the one with
the lower mean distance. The bench's six are then rerun as the check of the issue's goal, reported
whatever it says.

Result (BENCHMARKS.md, "The leaderboard's intervals"): "level" was adopted, mean 79.1% and mean
distance 16.3 points against plain's 66.0% and 22.0 ("recent": 69.9%, 19.6). Series by series it is
nearer 80% than plain on 11 and farther on 10: it mends the worst under-coverage and over-covers
some seasonal series. On the bench's six the mean went from 83.2% to 84.3%, within the goal.
"""
from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from selection_dev import ROUND13, keeping, with_ensemble  # noqa: E402
from zoo.forecast.scores import conformal_intervals, interval_coverage  # noqa: E402
from zoo.leaderboard.scoring import level_before  # noqa: E402

LEVEL = 0.8
SCORES = ("plain", "level", "recent")


def coverage(kept: dict, score: str, now: bool = False) -> float | None:
    """The 80% coverage on the test part of the pick (the median of the best three), calibrated by `score`; on
    the board as it was when the score was chosen, or with `now` as it is since the fourteenth round of
    selection_dev.py (Bagged ETS standing in for AutoETS among the members)."""
    rows, preds = (with_ensemble(keeping(kept, ROUND13), 3, "median", stand_in=True) if now else
                   with_ensemble(keeping(kept), 3, "median"))
    pred, plan, scorer = preds["ensemble"], kept["plan"], kept["scorer"]
    residuals = scorer.val_actual - pred["calibration"]
    val_scale, test_scale = np.ones(len(plan.val_origins)), np.ones(len(plan.test_origins))
    y = kept["board"].y
    if score == "level" and (y[:plan.test_start] > 0).all():   # as the board's Scorer: the rows before the test
        val_scale = level_before(y, plan.val_origins, plan.lookback)
        test_scale = level_before(y, plan.test_origins, plan.lookback)
    if score == "recent":
        later = plan.val_origins >= np.median(plan.val_origins)
        residuals, val_scale = residuals[later], val_scale[later]
    q = conformal_intervals(residuals / val_scale[:, None], (LEVEL,))[LEVEL]
    if not np.isfinite(q).all():
        return None
    return interval_coverage(scorer.test_actual, pred["test"].at_origins, q, scale=test_scale)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True, help="bench/selection_dev.py's cache of the boards")
    args = parser.parse_args(argv)
    boards = pickle.loads(args.cache.read_bytes())
    table = {name: {s: coverage(kept, s) for s in SCORES} for name, kept in boards.items()}
    print("| series | " + " | ".join(SCORES) + " |\n|---|" + "---:|" * len(SCORES))
    for name, row in table.items():
        print(f"| {name} | " + " | ".join("-" if v is None else f"{100 * v:.1f}%" for v in row.values()) + " |")
    print()
    for s in SCORES:
        got = [row[s] for row in table.values() if row[s] is not None]
        mean, distance = 100 * np.mean(got), 100 * np.mean(np.abs(np.array(got) - LEVEL))
        line = f"{s}: mean 80% coverage {mean:.1f}% over {len(got)} series, mean distance from 80% {distance:.1f} points"
        if s != "plain":   # series by series, as the seventh round of selection_dev.py taught
            both = [(abs(row[s] - LEVEL), abs(row["plain"] - LEVEL)) for row in table.values()
                    if row[s] is not None and row["plain"] is not None]
            nearer = sum(a < b - 1e-9 for a, b in both)
            farther = sum(a > b + 1e-9 for a, b in both)
            line += f"; nearer 80% than plain on {nearer} series, farther on {farther}, as near on {len(both) - nearer - farther}"
        print(line)
    # The board since the fourteenth round, with the score adopted (BENCHMARKS.md: 79.6% and 15.7 points)
    got = [c for c in (coverage(kept, "level", now=True) for kept in boards.values()) if c is not None]
    print(f"level, the board now (Bagged ETS standing in for AutoETS): mean 80% coverage {100 * np.mean(got):.1f}% "
          f"over {len(got)} series, mean distance from 80% {100 * np.mean(np.abs(np.array(got) - LEVEL)):.1f} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
