"""How long listing a server's runs takes (zoo.runs.list_runs: what the Train, Forecast, Inspect and Runs pages do on
each script run), every run's files read against only those changed since this process last read them.

It writes `--runs` runs' spec.json and result.json under a temporary runs directory (copies of two runs it trains
for one epoch: the listing reads those two files), waits until they are settled (zoo/runs.SETTLED_S), then alternates
rounds (ABBA): "read all" empties the process's reads first, as before the reads were kept; "changed only" lists with
them kept, after one run's result.json was written again (a run that moves on while the page is open). The table
gives the median of each and the median of the per-round ratios.

    .venv/bin/python bench/runs_listing.py [--runs 3000] [--rounds 6] [--write bench/results/runs_listing.md]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import publish  # noqa: E402
from zoo import runs as run_files  # noqa: E402


def make_runs(root: Path, count: int) -> list[Path]:
    """`count` runs: copies of the files of two real ones trained here (an image run, a series run; one epoch on a
    few rows), each under its own id."""
    import shutil
    import subprocess

    seeds = root.parent / "seeds"
    for flags in (["--data", "mnist-sample", "--model", "mlp", "--limit-train", "200"],
                  ["--data", "ETTh1", "--model", "linear"]):
        subprocess.run([sys.executable, "-m", "zoo", "train", *flags, "--epochs", "1", "--runs-dir", str(seeds)],
                       cwd=ROOT, check=True, capture_output=True)
    trained = sorted(seeds.iterdir())
    paths = []
    for i in range(count):
        seed = trained[i % len(trained)]
        path = root / f"{seed.name[:-12]}{i:012d}"
        path.mkdir(parents=True)
        for name in (run_files.SPEC, run_files.RESULT):
            shutil.copy2(seed / name, path / name)
        paths.append(path)
    return paths


def timed(root: Path) -> tuple[float, int]:
    start = time.perf_counter()
    listed = run_files.list_runs(root)
    return time.perf_counter() - start, len(listed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--write", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        paths = make_runs(root, args.runs)
        time.sleep(run_files.SETTLED_S + 0.5)
        run_files.list_runs(root)   # the page cache warm for both sides
        times: dict[str, list[float]] = {"read all": [], "changed only": []}
        ratios = []
        for k in range(args.rounds):
            order = ("read all", "changed only") if k % 2 == 0 else ("changed only", "read all")
            this_round = {}
            for side in order:
                if side == "read all":
                    run_files._READ.clear()
                else:
                    run_files.list_runs(root)   # (the reads of the round before, kept)
                    run_files.patch_result(paths[k % len(paths)], epoch=k)
                seconds, listed = timed(root)
                assert listed == args.runs, listed
                this_round[side] = seconds
                times[side].append(seconds)
                print(f"round {k + 1} {side:<13} {seconds * 1000:8.0f} ms")
            ratios.append(this_round["read all"] / this_round["changed only"])
    lines = [f"| listing of {args.runs} runs | median ms | best ms |", "|---|---:|---:|"]
    for side, values in times.items():
        lines.append(f"| {side} | {statistics.median(values) * 1000:.0f} | {min(values) * 1000:.0f} |")
    lines.append("")
    lines.append(f"read all / changed only: {statistics.median(ratios):.1f}x (median of {args.rounds} rounds' ratios: "
                 + ", ".join(f"{r:.1f}" for r in ratios) + ")")
    publish("\n".join(lines), "runs_listing.py", args.write)


if __name__ == "__main__":
    main()
