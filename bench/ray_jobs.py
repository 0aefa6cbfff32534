"""What Ray costs per job: the same short training jobs through the local process runner and
through a local Ray cluster, on the same cores, alternated.

Each round submits `--jobs` short jobs (mlp on 2,048 mnist-sample images, 1 epoch) at once to a job runner that
runs 2 at a time: local worker processes forked from the preloaded forkserver (zoo/launch.py), or
Ray tasks on a local cluster with 2 CPUs, each job asking for 1 (zoo/ray_launcher.py). Both are
warmed first (an untimed round each: the forkserver's imports, Ray's worker processes with torch).
Rounds alternate ABBA. Per round:

    start     median over the jobs of the time from the job runner starting the job to its first
              training event reaching the server (fork or Ray task, loading the data, the event's trip)
    job       median time from the job runner starting the job to the server seeing its end
    wall      first submit to the last job's end, for all the jobs
    jobs/min  the round's throughput

and the median of the per-round ratios Ray / local. The cluster's own start (once per server) is
printed separately.

    .venv/bin/python bench/ray_jobs.py [--jobs 8] [--rounds 4] [--epochs 1] [--limit-train 2048]
                                       [--write bench/results/ray_jobs.md]
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
from zoo.jobs import JobManager, reduce_training  # noqa: E402
from zoo.runs import new_run_id  # noqa: E402
from zoo.spec import ExperimentSpec  # noqa: E402



def timed_reducer(state: dict, event: dict) -> None:
    if event.get("type") == "start":
        state["t_first_event"] = time.time()
    reduce_training(state, event)


def one_round(launcher, jobs: int, runs: Path, spec: ExperimentSpec) -> dict:
    manager = JobManager(max_running=2, per_owner=jobs, launcher=launcher)
    started = time.time()
    submitted = []
    for _ in range(jobs):
        run_id = new_run_id(spec)
        payload = {"spec": spec.to_dict(), "runs_dir": str(runs), "data_dir": None, "run_id": run_id}
        submitted.append(manager.submit("zoo.worker:train", payload, owner="bench", job_id=run_id,
                                        reducer=timed_reducer))
    for job in submitted:
        manager.wait(job.id, timeout=600)
    manager.shutdown()
    bad = [f"{j.status}: {j.reason}" for j in submitted if j.status != "finished"]
    if bad:
        raise SystemExit(f"a job did not finish: {bad[0]}")
    wall = max(j.ended for j in submitted) - started
    return {"start": statistics.median(j.state["t_first_event"] - j.started for j in submitted),
            "job": statistics.median(j.ended - j.started for j in submitted),
            "wall": wall, "per_min": 60 * jobs / wall}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=8)
    p.add_argument("--rounds", type=int, default=4, help="rounds per runner (alternated ABBA)")
    p.add_argument("--epochs", type=int, default=1, help="epochs per job")
    p.add_argument("--limit-train", type=int, default=2048, help="training images per job")
    p.add_argument("--write", default=None, help="write a markdown report to this path")
    args = p.parse_args()

    from zoo.launch import LocalLauncher
    from zoo.ray_launcher import RayLauncher

    t = time.perf_counter()
    ray_launcher = RayLauncher("local", num_cpus=2, warm=True)
    cluster_start = time.perf_counter() - t
    local = LocalLauncher(warm=True)
    launchers = {"local": local, "ray": ray_launcher}
    spec = ExperimentSpec(model="mlp", epochs=args.epochs, limit_train=args.limit_train, patience=0)
    results: dict[str, list[dict]] = {"local": [], "ray": []}
    order = ["local", "ray", "ray", "local"]
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        for name in ("local", "ray"):   # warm-up rounds, not counted
            one_round(launchers[name], 2, Path(tmp) / "warm", spec)
        for i in range(args.rounds * 2):
            name = order[i % 4]
            r = one_round(launchers[name], args.jobs, Path(tmp) / f"round{i}", spec)
            results[name].append(r)
            print(f"round {i + 1:2d} {name:5s}  start {r['start']:.2f} s  job {r['job']:.2f} s  "
                  f"wall {r['wall']:.2f} s  {r['per_min']:.1f} jobs/min", flush=True)
    ray_launcher.close()

    def med(name, key):
        return statistics.median(r[key] for r in results[name])

    ratios = {k: statistics.median(b[k] / a[k] for a, b in zip(results["local"], results["ray"]))
              for k in ("start", "job", "wall", "per_min")}
    rows = [("start (s)", "start"), ("job (s)", "job"), (f"wall for {args.jobs} jobs (s)", "wall"),
            ("jobs/min", "per_min")]
    lines = ["| per round, median         | local processes | Ray tasks | Ray / local |",
             "|---------------------------|-----------------|-----------|-------------|"]
    for label, key in rows:
        lines.append(f"| {label:25s} | {med('local', key):15.2f} | {med('ray', key):9.2f} | {ratios[key]:11.2f} |")
    per_job = (med("ray", "wall") - med("local", "wall")) / args.jobs
    lines.append("")
    lines.append(f"Ray's cost per job: {1000 * (med('ray', 'start') - med('local', 'start')):+.0f} ms to start, "
                 f"{1000 * (med('ray', 'job') - med('local', 'job')):+.0f} ms per job start-to-end, "
                 f"{1000 * per_job:+.0f} ms of wall time per job with 2 running at once. The local cluster "
                 f"started in {cluster_start:.1f} s (once per server).")
    lines.append(machine_line(args.rounds))
    publish("\n".join(lines), "ray_jobs.py", args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
