"""What a series run costs after its training, with and without the engine's own pass over the test split.

A series run's test metrics are its backtest's (zoo/forecast/report.report_after_fit replaces the engine's), so
run_experiment no longer has the engine evaluate the test split first (fit(test=False)). This measures both ways on
the same trained model and data, rounds alternated: the engine's test pass (zoo/engine.evaluate, as fit ran it)
and the backtest (report_after_fit), each timed.

    python bench/series_after_training.py [--model transformer] [--lookback 336] [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    import torch

    from zoo.data import load_data
    from zoo.engine import evaluate, fit
    from zoo.forecast.report import report_after_fit
    from zoo.runs import RunWriter
    from zoo.spec import ExperimentSpec

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="transformer")
    parser.add_argument("--lookback", type=int, default=336)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    spec = ExperimentSpec(task="series", data="ETTh1", model=args.model, lookback=args.lookback, horizon=96,
                          epochs=1, limit_train=64)
    data = load_data(spec)
    result = fit(spec, data=data, test=False)
    before, after = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for way in (("old", "new") if r % 2 == 0 else ("new", "old")):
                writer = RunWriter(Path(tmp), spec, f"r{r}-{way}")
                start = time.perf_counter()
                if way == "old":
                    evaluate(result.model, data.x_test, data.y_test, "series")
                report_after_fit(result, data, writer)
                (before if way == "old" else after).append(time.perf_counter() - start)
    b, a = statistics.median(before), statistics.median(after)
    print(f"| series run, after training ({args.model}, lookback {args.lookback}, ETTh1 test windows "
          f"{len(data.x_test):,}, 1 thread) | seconds (median of {args.rounds}) |")
    print("|---|---:|")
    print(f"| engine's test pass + backtest (before) | {b:.2f} |")
    print(f"| backtest only (now) | {a:.2f} |")
    print(f"| now / before | {a / b:.2f} |")


if __name__ == "__main__":
    main()
