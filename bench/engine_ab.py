"""The engine now against the engine at an earlier commit: the same epoch of the cnn, alternated.

    python bench/engine_ab.py --rev REV [--rounds 6] [--limit-train 8192] [--threads 1] [--device cpu]

`git archive REV` unpacks the earlier tree into a temporary folder. Each round trains the same spec
once with each tree, each in a process of its own (ABBA order, so that drift of the machine hits
both alike), and reads the epoch's samples/s from the run's history. Prints each round, the
per-round ratio now/then and their median, and whether the two trees computed the same numbers:
on the CPU the same spec and seed give the same metrics, so a change that should alter only speed
shows identical histories and test metrics. `--threads` sets OMP_NUM_THREADS for both sides (on a
machine whose cores other work also uses, one thread each keeps torch's thread team from waiting
on a preempted member, which swamps everything else).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import json, sys
from zoo.engine import fit
from zoo.spec import ExperimentSpec
result = fit(ExperimentSpec(**json.loads(sys.argv[1])))
history = [{k: v for k, v in row.items() if k not in ("seconds", "samples_per_s")} for row in result.history]
print(json.dumps({"samples_per_s": result.history[0]["samples_per_s"], "seconds": result.history[0]["seconds"],
                  "history": history, "test": result.test_metrics}))
"""


def unpack(rev: str, into: Path) -> None:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def train(tree: Path, spec: dict, threads: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": str(threads)}
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(spec)], cwd=tree, env=env, capture_output=True,
                          text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"training in {tree} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", required=True, help="the earlier commit")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--limit-train", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    spec = {"data": args.data, "model": "cnn", "epochs": 1, "batch_size": 64, "lr": 2e-3, "seed": 0,
            "device": args.device, "patience": 0, "limit_train": args.limit_train}
    with tempfile.TemporaryDirectory() as tmp:
        then_tree = Path(tmp) / "then"
        unpack(args.rev, then_tree)
        sides = (("now", ROOT), (f"then ({args.rev})", then_tree))
        rows = []
        for r in range(args.rounds):
            for name, tree in (sides if r % 2 == 0 else sides[::-1]):
                out = train(tree, spec, args.threads)
                rows.append({"round": r + 1, "side": name, **out})
                print(f"round {r + 1} {name:22s} {out['samples_per_s']:8.0f} samples/s  {out['seconds']:6.2f} s",
                      file=sys.stderr, flush=True)
    now, then = sides[0][0], sides[1][0]
    ratios = []
    for r in range(1, args.rounds + 1):
        sps = {row["side"]: row["samples_per_s"] for row in rows if row["round"] == r}
        ratios.append(sps[now] / sps[then])
    same = all(row["history"] == rows[0]["history"] and row["test"] == rows[0]["test"] for row in rows)
    med = {side: statistics.median(row["samples_per_s"] for row in rows if row["side"] == side) for side, _ in sides}
    print(f"\nOne epoch of cnn on {args.limit_train or 'all'} {args.data} samples, {args.device}, batch 64, "
          f"OMP_NUM_THREADS={args.threads}, {args.rounds} alternated rounds\n")
    print("| engine | samples/s (median) |\n|---|---:|")
    for side, _ in sides:
        print(f"| {side} | {med[side]:.0f} |")
    print("\nper-round ratio now/then: " + ", ".join(f"{x:.2f}x" for x in ratios))
    print(f"speed ratio now/then: {statistics.median(ratios):.2f}x (median of rounds)")
    print(f"same history and test metrics in every run: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
