"""How long a Stop takes: from `JobManager.stop` to the job's status `stopped`, for a training job
that is busy in its epoch, through the local process runner and through a local Ray cluster, on
the same cores, alternated.

Each round starts one long job (mlp on mnist-sample, 200 epochs, early stopping off), waits until
its first batch losses reach the server (it is training), presses Stop and times the wait for
`stopped` (the worker sees the stop at its next batch, writes its checkpoint and results, and its
end reaches the server). Rounds alternate ABBA; the table gives the median and the worst per
runner and the median of the per-round ratios Ray / local.

The page shows `stopped` at its next redraw (its live panel redraws every second), so the goal of
"stopped shown within 2 s of the click" is met when this is under 1 s. The browser tests print the
time to the page (tests/test_browser_train.py, tests/test_browser_ray.py) without asserting it: on
a loaded machine a timed assertion fails for the machine's sake, not the code's.

    .venv/bin/python bench/stop_latency.py [--rounds 4] [--write bench/results/stop_latency.md]
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

from bench._report import machine_line, publish  # noqa: E402
from zoo.jobs import JobManager, submit_training  # noqa: E402
from zoo.spec import ExperimentSpec  # noqa: E402

GOAL_S = 1.0   # to the server; the page's once-a-second redraw adds up to 1 s more


def one_stop(launcher, runs: Path) -> float:
    """Seconds from Stop to `stopped` for one job caught training."""
    manager = JobManager(max_running=1, per_owner=1, launcher=launcher)
    job = submit_training(manager, ExperimentSpec(model="mlp", epochs=200, patience=0), owner="bench",
                          runs_dir=runs)
    try:
        deadline = time.monotonic() + 180
        while not job.state.get("batch_losses"):   # wait on the state: the job is training
            if not job.active or time.monotonic() > deadline:
                raise SystemExit(f"the job did not start training: {job.status} {job.reason}")
            time.sleep(0.05)
        time.sleep(0.5)   # inside the epoch, between batch events
        start = time.perf_counter()
        manager.stop(job.id)
        while job.active and time.perf_counter() - start < 60:   # finer than manager.wait's 50 ms step
            time.sleep(0.002)
        elapsed = time.perf_counter() - start
    finally:
        manager.shutdown()
    if job.status != "stopped":
        raise SystemExit(f"the job ended {job.status}, not stopped: {job.reason}")
    return elapsed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=4, help="rounds per runner (alternated ABBA)")
    p.add_argument("--write", default=None, help="write a markdown report to this path")
    args = p.parse_args()

    from zoo.launch import LocalLauncher
    from zoo.ray_launcher import RayLauncher

    launchers = {"local": LocalLauncher(warm=True), "ray": RayLauncher("local", num_cpus=2, warm=True)}
    times: dict[str, list[float]] = {"local": [], "ray": []}
    order = ["local", "ray", "ray", "local"]
    with tempfile.TemporaryDirectory(prefix="bench-stop-") as tmp:
        for name in launchers:   # warm-up, not counted (imports, Ray's workers)
            one_stop(launchers[name], Path(tmp) / "warm")
        for i in range(args.rounds * 2):
            name = order[i % 4]
            times[name].append(one_stop(launchers[name], Path(tmp) / f"round{i}"))
            print(f"round {i + 1:2d} {name:5s}  Stop -> stopped {times[name][-1]:.3f} s", flush=True)
    launchers["ray"].close()

    ratio = statistics.median(b / a for a, b in zip(times["local"], times["ray"]))
    lines = ["| Stop -> `stopped` at the server | local processes | Ray tasks |",
             "|---------------------------------|-----------------|-----------|"]
    lines.append(f"| median (s)                      | {statistics.median(times['local']):15.3f} | "
                 f"{statistics.median(times['ray']):9.3f} |")
    lines.append(f"| worst (s)                       | {max(times['local']):15.3f} | {max(times['ray']):9.3f} |")
    worst = max(max(v) for v in times.values())
    lines += ["", f"Ray / local, median of the per-round ratios: {ratio:.2f}. Worst {worst:.3f} s "
              f"{'meets' if worst <= GOAL_S else 'misses'} the {GOAL_S:g} s goal (the page adds its redraw, up "
              f"to 1 s, for 2 s to the page). " + machine_line(args.rounds)]
    publish("\n".join(lines), "stop_latency.py", args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
