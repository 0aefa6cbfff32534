"""Long series: the CLI's default run of `linear` for one epoch on a 1,000,000-row CSV, and the
leaderboard on it and on a 2,000-row series, each in a process of its own.

    python bench/long_series.py [--rows 1000000] [--skip-board] [--md bench/results/long_series.md]

The CSV is made here (two columns, `t` and `value`: a daily and a weekly cycle on a slow random
walk, 1,000,000 rows, about 13 MB). For each command the table gives the wall time, the peak
resident memory of the process (getrusage of the children: what `/usr/bin/time -v` calls maximum
resident set size) and the size of every file the run wrote. The 2,000-row series is the last
2,000 hours of ETTh1's OT (bench/data/). Goals (issue): the 1,000,000-row `linear` epoch within
30 s and 1 GB; the leaderboard of the 2,000-row series within 3 minutes; the leaderboard of the
long one within its budget.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(rows)
    v = 50 + 10 * np.sin(2 * np.pi * t / 24) + 5 * np.sin(2 * np.pi * t / 168) + np.cumsum(rng.normal(0, 0.05, rows))
    v += rng.normal(0, 1, rows)
    with open(path, "w") as fh:
        fh.write("t,value\n")
        fh.write("\n".join(f"{i},{x:.2f}" for i, x in zip(t, v)))
        fh.write("\n")


def measure(args: list[str], env: dict) -> dict:
    """Run one command in a fresh process; its wall time, peak RSS (MiB: getrusage gives KiB) and its --json result."""
    code = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(json.dumps({'rc': p.returncode, 'seconds': time.perf_counter() - t, "
            "'rss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "
            "'stdout': p.stdout[-20000:], 'stderr': p.stderr[-3000:]}))")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    out = json.loads(done.stdout)
    lines = out["stdout"].strip().splitlines()
    out["result"] = json.loads(lines[-1]) if out["rc"] == 0 and lines else {}
    return out


def files_of(run_dir: str | None) -> str:
    if not run_dir or not Path(run_dir).is_dir():
        return "-"
    return ", ".join(f"{p.name} {p.stat().st_size / 1e6:.2f} MB" for p in sorted(Path(run_dir).iterdir())
                     if p.is_file() and p.suffix in (".csv", ".pt", ".json"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-board", action="store_true", help="only the linear epoch")
    parser.add_argument("--md", default=None)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="long_series_"))
    csv = work / "long.csv"
    make_csv(csv, args.rows)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    python = sys.executable
    runs = str(work / "runs")
    commands = [("linear, 1 epoch, CLI defaults", [python, "-m", "zoo", "train", "--data", str(csv), "--model",
                                                    "linear", "--epochs", "1", "--device", "cpu", "--runs-dir", runs,
                                                    "--json"])]
    if not args.skip_board:
        commands.append(("leaderboard, 2,000 rows (ETTh1 OT), default budget",
                         [python, "-m", "zoo", "forecast-auto", "--data",
                          str(ROOT / "bench" / "data" / "etth1_ot_hourly_last2000.csv"), "--runs-dir", runs, "--json"]))
        commands.append((f"leaderboard, {args.rows:,} rows, default budget",
                         [python, "-m", "zoo", "forecast-auto", "--data", str(csv), "--runs-dir", runs, "--json"]))
    print(f"CSV: {args.rows:,} rows, {csv.stat().st_size / 1e6:.1f} MB; OMP_NUM_THREADS={env['OMP_NUM_THREADS']}; "
          f"load average {os.getloadavg()[0]:.1f}\n", flush=True)
    lines = ["| run | wall s | peak RSS MiB | files | outcome |", "|---|---:|---:|---|---|"]
    details: list[str] = []
    for label, cmd in commands:
        out = measure(cmd, env)
        result = out["result"]
        outcome = (f"exit {out['rc']}: {out['stderr'].strip().splitlines()[-1] if out['stderr'].strip() else ''}"
                   if out["rc"] else result.get("reason", result.get("status", "")))
        if "pick" in result:
            outcome = f"{result['status']}; pick {result['pick']['label']}; {len(result.get('skipped', []))} skipped"
        lines.append(f"| {label} | {out['seconds']:.1f} | {out['rss_mb']:.0f} | {files_of(result.get('run_dir'))} | "
                     f"{outcome} |")
        print(lines[-1], flush=True)
        if "pick" in result:   # each candidate's time and outcome
            from zoo.runs import load_run

            rows = load_run(result["run_dir"]).candidates()
            details.append(f"- {label}: " + "; ".join(
                f"{r['name']} {r['seconds']:.1f} s" + ("" if r["status"] == "done" else f" ({r['note']})")
                for r in rows))
            print(details[-1], flush=True)
    command = "python bench/long_series.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print("\n" + "\n".join(lines) + "\n\n" + "\n".join(details))
    if args.md:
        Path(args.md).parent.mkdir(parents=True, exist_ok=True)
        Path(args.md).write_text("\n".join(["# Long series", "", f"Command: `{command.strip()}`", "", *lines, "",
                                            *details, ""]))
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
