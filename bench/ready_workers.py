"""Ready workers: Start to the first chart point, and the memory of a session, with job workers
spawned fresh (each imports torch: the old way) against workers forked from the preloaded
forkserver (zoo/launch.py), in alternated rounds on the same machine.

    python bench/ready_workers.py [--rounds 2] [--wait 6]

Each round starts a fresh app server with PLAYGROUND_START_METHOD=spawn or forkserver, opens the Train
page in Chromium, waits `--wait` seconds as a person setting up would (a fresh forkserver imports
torch in the background meanwhile), presses Start with the defaults (the cnn on the bundled sample)
and times the click until the live chart shows its first point; then a second Start on the same
server (a warm one). While the first run trains it samples the memory of the server, the job's
worker and the forkserver: RSS, and PSS (shared pages split between the processes sharing them,
which is what several forked workers really cost together). Prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._app import (COUNT_POINTS, STATUS_IS, app_server, chromium, command_of, descendants, exit_cleanly_on_sigterm,  # noqa: E402
                        load_average, memory_mb, open_train, set_slider, start_run)

METHODS = ("spawn", "forkserver")


def first_point(page, url: str) -> tuple[float, str]:
    """Press Start; seconds until the live chart has a point, and the run id."""
    started = time.perf_counter()
    run_id = start_run(page)
    page.wait_for_function(f"() => ({COUNT_POINTS})() > 0", timeout=120_000, polling=50)
    return time.perf_counter() - started, run_id


def worker_pid(runs: Path, run_id: str, timeout: float = 60) -> int | None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            return json.loads((runs / run_id / "result.json").read_text())["process"]["pid"]
        except (OSError, ValueError, KeyError, TypeError):
            time.sleep(0.1)
    return None


def sample_memory(server: int, worker: int | None, seconds: float = 3.0) -> dict:
    """The largest RSS and PSS seen over a few seconds of training, per role, in MB."""
    peak: dict[str, dict] = {}
    deadline = time.time() + seconds
    while time.time() < deadline:
        # The worker was forked from the forkserver, so it shares its command line: tell them apart by pid.
        roles = {"server": [server], "worker": [worker] if worker else [],
                 "forkserver": [p for p in descendants(server) if "forkserver" in command_of(p) and p != worker]}
        for role, pids in roles.items():
            total = {"rss": 0.0, "pss": 0.0}
            for pid in pids:
                m = memory_mb(pid)
                total = {k: total[k] + m[k] for k in total}
            peak[role] = {k: max(peak.get(role, {}).get(k, 0.0), v) for k, v in total.items()}
        time.sleep(0.2)
    return peak


def one_round(browser, method: str, wait: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        runs.mkdir()
        with app_server(runs, PLAYGROUND_START_METHOD=method) as url:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            open_train(page, url)
            set_slider(page, "train-settings-epochs", "End")   # long enough to measure, then stopped
            page.wait_for_timeout(wait * 1000)
            cold, run_id = first_point(page, url)
            memory = sample_memory(url.pid, worker_pid(runs, run_id))
            page.get_by_role("button", name="Stop").click()
            page.wait_for_function(STATUS_IS, arg="stopped", timeout=60_000)
            page.get_by_role("button", name="Close this run").click()
            page.get_by_role("button", name="Start training").wait_for()
            page.wait_for_function("() => !Array.from(document.querySelectorAll('button'))"
                                   ".find(b => b.innerText.includes('Start training')).disabled", timeout=60_000)
            warm, _ = first_point(page, url)
            page.get_by_role("button", name="Stop").click()
            context.close()
    return {"method": method, "cold": cold, "warm": warm, "memory": memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds per method, alternated ABBA")
    parser.add_argument("--wait", type=float, default=6.0, help="seconds on the page before pressing Start")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    order = []
    for r in range(args.rounds):
        order += list(METHODS) if r % 2 == 0 else list(reversed(METHODS))
    results = []
    with chromium() as browser:
        for method in order:
            results.append(one_round(browser, method, args.wait))
            m = results[-1]
            print(f"{method:10s} first point {m['cold']:.2f} s (fresh server), {m['warm']:.2f} s (second Start); "
                  f"server {m['memory']['server']['rss']:.0f} MB, worker {m['memory']['worker']['rss']:.0f} MB RSS "
                  f"/ {m['memory']['worker']['pss']:.0f} MB PSS", file=sys.stderr, flush=True)
    print(f"\n`python bench/ready_workers.py --rounds {args.rounds} --wait {args.wait:g}` "
          f"(load average at the end {load_average()})\n")
    print("| workers | Start to first point, fresh server (s) | second Start (s) | server RSS (MB) | "
          "worker RSS / PSS (MB) | forkserver RSS / PSS (MB) | session PSS (MB) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for method in METHODS:
        rows = [r for r in results if r["method"] == method]
        med = lambda f: statistics.median(f(r) for r in rows)  # noqa: E731
        session = med(lambda r: sum(r["memory"][k]["pss"] for k in ("server", "worker", "forkserver")))
        print(f"| {method} | {med(lambda r: r['cold']):.2f} | {med(lambda r: r['warm']):.2f} | "
              f"{med(lambda r: r['memory']['server']['rss']):.0f} | "
              f"{med(lambda r: r['memory']['worker']['rss']):.0f} / "
              f"{med(lambda r: r['memory']['worker']['pss']):.0f} | "
              f"{med(lambda r: r['memory']['forkserver']['rss']):.0f} / "
              f"{med(lambda r: r['memory']['forkserver']['pss']):.0f} | {session:.0f} |")


if __name__ == "__main__":
    main()
