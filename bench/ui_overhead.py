"""UI overhead: does a run started from the Train page train as fast as the same spec from the CLI?

Side by side, alternated (page, CLI, page, CLI, ...), the same spec:
- page: a real `streamlit run app.py` and Chromium; the Train page is set up (dataset, epochs),
  Start is pressed, and the tab stays on the run's live chart (refreshing every second) until
  it finishes: the job runner in a worker process, the server and the browser all running, as a
  person would use it. `--via page-unwatched` starts the run from the page the same way, then
  the tab leaves: the browser draws nothing, as when it runs on another machine (the hosted
  demo). `--via jobs` submits through zoo.jobs.submit_training directly: the job runner alone.
- `--split-cores`: the browser gets its own half of the CPUs, the server, its job worker and the CLI
  the other half (pinned with sched_setaffinity; torch threads = that half's cores), as on a
  machine where the browser does not take cores from training, or on another machine that
  still draws the live chart: what the server and the job runner cost, with the chart drawn.
- CLI: `python -m zoo train --data D --model cnn --epochs N --seed 0 --runs-dir ... --json`, at the
  job workers' niceness (they run at a lower CPU priority than the server: zoo.jobs.WORKER_NICE),
  so that other load on a shared machine slows both sides alike; `--cli-nice 0` to compare with
  a CLI at normal priority.

Speed is each run's median epoch samples/s from its metrics.csv (the training pass alone, so
worker start-up and evaluation do not count). Prints the table and the ratio page / CLI (goal:
>= 0.9x).

    .venv/bin/python bench/ui_overhead.py [--data fashion-mnist] [--epochs 1] [--pairs 8]
                                          [--via page|page-unwatched|jobs] [--split-cores] [--write FILE.md]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._app import (STATUS_IS, app_server, chromium, exit_cleanly_on_sigterm, load_average,  # noqa: E402
                        open_train, pinned_to, set_slider, slider_value, start_run, wait_idle)


def epoch_speeds(run_dir: Path) -> list[float]:
    with open(run_dir / "metrics.csv") as fh:
        return [float(row["samples_per_s"]) for row in csv.DictReader(fh)]


def cli_run(data: str, epochs: int, runs: Path, nice: int = 0,
            cpus: set[int] | None = None) -> tuple[float, float, Path]:
    """One CLI run; `cpus`: pinned to these CPUs with as many torch threads."""
    command = (["nice", "-n", str(nice)] if nice else []) + [
        sys.executable, "-m", "zoo", "train", "--data", data, "--model", "cnn", "--epochs", str(epochs),
        "--seed", "0", "--patience", "0", "--runs-dir", str(runs), "--json"]
    env = {**os.environ, "OMP_NUM_THREADS": str(len(cpus))} if cpus else None
    start = time.perf_counter()
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, env=env,
                         preexec_fn=pinned_to(cpus))
    wall = time.perf_counter() - start
    run_dir = Path(json.loads(out.stdout.strip().splitlines()[-1])["run_dir"])
    return statistics.median(epoch_speeds(run_dir)), wall, run_dir


class PageRunner:
    """Starts runs from the Train page of a live server, and watches each until it ends."""

    def __init__(self, url: str, browser, data: str, epochs: int, runs: Path, watch: bool = True):
        self.url, self.data, self.epochs, self.runs, self.watch = url, data, epochs, runs, watch
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.set_default_timeout(600_000)

    def run(self) -> tuple[float, float, Path]:
        page = self.page
        open_train(page, self.url)
        combo = page.locator(".st-key-train-data input[role='combobox']")
        if not combo.input_value().startswith(f"{self.data} ·"):
            combo.click()
            page.get_by_role("option", name=re.compile(rf"^{re.escape(self.data)} ·")).click()
            wait_idle(page)
            assert combo.input_value().startswith(f"{self.data} ·"), combo.input_value()
        set_slider(page, "train-settings-epochs", "Home", *["ArrowRight"] * (self.epochs - 1))
        set_slider(page, "train-settings-patience", "Home")
        epochs = slider_value(page, "train-settings-epochs")
        assert epochs == str(self.epochs), epochs
        start = time.perf_counter()
        run_id = start_run(page)
        run_dir = self.runs / run_id
        if not self.watch:  # started from the page, then the tab leaves: no live chart drawn in this browser
            page.goto("about:blank")
        # Wait by reading the run directory, not by asking the page: Playwright's wait_for_function
        # polls on every animation frame (60 times a second, reading innerText, which forces a
        # layout), work in the browser that a person watching would not cause.
        while json.loads((run_dir / "result.json").read_text() if (run_dir / "result.json").exists()
                         else '{"status": "running"}').get("status") == "running":
            time.sleep(0.2)
        wall = time.perf_counter() - start
        if self.watch:  # the tab saw it end, as a person would
            page.wait_for_function(STATUS_IS, arg="finished", polling=250)
        spec = json.loads((run_dir / "spec.json").read_text())
        assert (spec["data"], spec["model"], spec["epochs"], spec["seed"]) == (self.data, "cnn", self.epochs, 0), spec
        return statistics.median(epoch_speeds(run_dir)), wall, run_dir


class JobsRunner:
    """Submits runs through zoo.jobs, as the page does, without the server and browser."""

    def __init__(self, data: str, epochs: int, runs: Path):
        from zoo.jobs import JobManager

        self.manager, self.data, self.epochs, self.runs = JobManager(), data, epochs, runs

    def run(self) -> tuple[float, float, Path]:
        from zoo.jobs import submit_training
        from zoo.spec import ExperimentSpec

        spec = ExperimentSpec(data=self.data, model="cnn", epochs=self.epochs, seed=0, patience=0)
        start = time.perf_counter()
        job = submit_training(self.manager, spec, owner="bench", runs_dir=self.runs)
        self.manager.wait(job.id)
        assert job.status == "finished", (job.status, job.reason)
        return statistics.median(epoch_speeds(self.runs / job.id)), time.perf_counter() - start, self.runs / job.id


def default_data() -> str:
    from zoo.data.images import is_available

    return "fashion-mnist" if is_available("fashion-mnist") else "mnist-sample"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="dataset (default: fashion-mnist if present, else mnist-sample)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (default 1, or 10 on mnist-sample)")
    # Many short pairs rather than a few long ones: this machine's speed drifts by up to 1.5x from
    # second to second. With --split-cores, 3 pairs of 2 epochs once gave 0.77x; three runs of 8
    # pairs of 1 epoch gave 0.90-1.01x.
    parser.add_argument("--pairs", type=int, default=8, help="page/CLI pairs, alternated")
    parser.add_argument("--via", choices=("page", "page-unwatched", "jobs"), default="page",
                        help="page: the real app in Chromium, the tab watching the live chart (default); "
                             "page-unwatched: started from the page, then the tab leaves (the browser draws "
                             "nothing, as when it runs on another machine); jobs: zoo.jobs without the server")
    parser.add_argument("--cli-nice", type=int, default=None,
                        help="run the CLI at this niceness (default: the job workers' PLAYGROUND_WORKER_NICE, so "
                             "that other load on a shared machine slows both sides alike; 0: normal priority)")
    parser.add_argument("--split-cores", action="store_true",
                        help="pin the browser (and this script) to half of the CPUs, the server, its job worker "
                             "and the CLI to the other half, with one torch thread per core of that half: the "
                             "browser draws the live chart without taking cores from training")
    parser.add_argument("--write", default=None, help="also write a markdown report to this path")
    args = parser.parse_args()
    train_cpus = browser_cpus = None
    if args.split_cores:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2 or args.via == "jobs":
            parser.error("--split-cores needs two CPUs or more, and the page (--via page or page-unwatched)")
        train_cpus, browser_cpus = set(cpus[:len(cpus) // 2]), set(cpus[len(cpus) // 2:])
        os.sched_setaffinity(0, browser_cpus)  # Playwright and Chromium, started from here, inherit it
    exit_cleanly_on_sigterm()
    from zoo.jobs import WORKER_NICE

    cli_nice = WORKER_NICE if args.cli_nice is None else args.cli_nice
    data = args.data or default_data()
    epochs = args.epochs or (10 if data == "mnist-sample" else 1)
    label = {"page": "page", "page-unwatched": "page, unwatched", "jobs": "job runner"}[args.via]
    with_app = args.via != "jobs"

    results: list[tuple[str, int, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        runs.mkdir()
        server_env = {"OMP_NUM_THREADS": str(len(train_cpus))} if train_cpus else {}
        with (app_server(runs, cpus=train_cpus, **server_env) if with_app else _nothing()) as url, \
                (chromium() if with_app else _nothing()) as browser:
            ui = (PageRunner(url, browser, data, epochs, runs, watch=args.via == "page") if with_app
                  else JobsRunner(data, epochs, runs))
            cli_runs = Path(tmp) / "cli-runs"
            # one untimed CLI run first: warms the OS file cache for the dataset and the imports
            cli_run(data, 1, cli_runs, cli_nice, train_cpus)
            for i in range(args.pairs):
                for kind in ((label, "CLI") if i % 2 == 0 else ("CLI", label)):
                    if kind == "CLI":
                        speed, wall, _ = cli_run(data, epochs, cli_runs, cli_nice, train_cpus)
                    else:
                        speed, wall, _ = ui.run()
                    results.append((kind, i + 1, speed, wall))
                    print(f"pair {i + 1}  {kind:16s}  {speed:10,.0f} samples/s  ({wall:.1f} s wall)", flush=True)
    ui_speeds = [s for k, _, s, _ in results if k == label]
    cli_speeds = [s for k, _, s, _ in results if k == "CLI"]
    ratio = statistics.median(ui_speeds) / statistics.median(cli_speeds)
    # Each pair ran back to back, so its ratio compares the two under the same drift of the machine.
    by_pair: dict[int, dict[str, float]] = {}
    for kind, n, speed, _ in results:
        by_pair.setdefault(n, {})[kind] = speed
    pair_ratios = [p[label] / p["CLI"] for p in by_pair.values()]
    lines = ["| run | via | samples/s (median epoch) | wall s (incl. start-up) |", "|---|---|---:|---:|"]
    lines += [f"| {n} | {k} | {s:,.0f} | {w:.1f} |" for k, n, s, w in results]
    lines += [f"| median | {label} | {statistics.median(ui_speeds):,.0f} | |",
              f"| median | CLI | {statistics.median(cli_speeds):,.0f} | |"]
    lines.append("")
    lines.append("per-pair ratio: " + ", ".join(f"{r:.2f}x" for r in pair_ratios)
                 + f"; their median {statistics.median(pair_ratios):.3f}x")
    summary = (f"ratio {label} / CLI = {ratio:.3f}x (of the medians; goal >= 0.9x): "
               f"{'met' if ratio >= 0.9 else 'NOT met'}; cnn on {data}, {epochs} epochs per run, seed 0; "
               f"job workers at niceness {WORKER_NICE}, CLI at {cli_nice}; load average at the end {load_average()}")
    if train_cpus:
        summary += (f"; split cores: server, job worker and CLI on CPU(s) {sorted(train_cpus)} with "
                    f"{len(train_cpus)} torch thread(s), Chromium on {sorted(browser_cpus)}")
    print("\n".join(lines))
    print(summary)
    if args.write:
        python = Path(sys.executable)
        python = python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
        command = f"{python} bench/ui_overhead.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        path = Path(args.write)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# UI overhead: Train page vs CLI\n\n"
                        f"Command: `{command}`\n\n" + "\n".join(lines) + f"\n\n{summary}\n")
    return 0


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    raise SystemExit(main())
