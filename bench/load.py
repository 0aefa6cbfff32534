"""The hosted demo under load: eight visitors at once, on loopback only, bounded in count and time.

    python bench/load.py [--visitors 8] [--epochs 20] [--samples 4000] [--max-seconds 420]

A fresh app server in demo mode (PLAYGROUND_DEMO=1, the server's and each visitor's job caps as
configured) and one Chromium with a browser context per visitor (its own cookie: its own identity).
Each visitor opens Train, starts a short run and, while the runs train or wait in the queue, tries
another visitor's run: opens its URL (it may look, but Stop must be off and there is no Train again),
and looks for it on Runs (it must not be listed, so it cannot be deleted). Meanwhile each visitor
changes a widget in turn; the time until the page shows the change is the widget latency, counted
"under load" while any run still trains or waits.
A sampler records the server's and the workers' memory. At the end: every run finished (or waited
its turn), the 95th-percentile widget latency, peak memory, and whether the server log holds an
error. Prints a markdown table; stops by itself after --max-seconds.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._app import (STATUS_IS, app_server, chromium, descendants, exit_cleanly_on_sigterm,  # noqa: E402
                        load_average, memory_mb, open_train, set_slider, start_run)

PREVIEW_CHANGED = ("(before) => { const el = Array.from(document.querySelectorAll('[data-testid=stMarkdownContainer]'))"
                   ".find(e => e.innerText.includes('parameters · input')); return el && el.innerText !== before; }")
ENDED = ("finished", "early_stopped", "stopped", "diverged", "failed")


class MemorySampler(threading.Thread):
    def __init__(self, server: int):
        super().__init__(daemon=True)
        self.server, self.stop, self.peak = server, threading.Event(), {"server": 0.0, "workers": 0.0, "total": 0.0}

    def run(self) -> None:
        while not self.stop.is_set():
            server = memory_mb(self.server)["rss"]
            workers = sum(memory_mb(p)["pss"] for p in descendants(self.server))
            for key, value in (("server", server), ("workers", workers), ("total", server + workers)):
                self.peak[key] = max(self.peak[key], value)
            time.sleep(0.5)


def widget_latency(page) -> float:
    """Toggle the cnn's batch-norm box; seconds until the preview line shows the new parameter count."""
    preview = page.get_by_text("parameters · input").first
    before = preview.inner_text()
    started = time.perf_counter()
    page.locator(".st-key-train-model-cnn-batch_norm label").click()
    page.wait_for_function(PREVIEW_CHANGED, arg=before, timeout=30_000)
    return time.perf_counter() - started


def probe(visitor, url: str, other: str, i: int) -> list[str]:
    """Visitor `i` opens another visitor's run by its URL and looks for it on Runs; what it could do
    that it must not, as sentences."""
    breaches = []
    page = visitor.new_page()
    page.goto(f"{url}/train?run={other}")
    page.get_by_text(f"Run {other}").first.wait_for(timeout=60_000)
    stop = page.get_by_role("button", name="Stop")
    if stop.count() and stop.first.is_enabled():
        breaches.append(f"visitor {i} could stop {other}")
    if page.get_by_role("button", name="Train again").count():
        breaches.append(f"visitor {i} could re-run {other}")
    page.goto(f"{url}/runs")
    page.wait_for_timeout(1500)
    if page.get_by_text(other).count():
        breaches.append(f"visitor {i} sees {other} on Runs (and could delete it)")
    page.close()
    return breaches


def status_of(page) -> str:
    for status in ENDED + ("queued", "starting", "running"):
        if page.evaluate(STATUS_IS, status):
            return status
    return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--samples", type=int, default=4000, help="training samples per run")
    parser.add_argument("--max-jobs", type=int, default=2, help="PLAYGROUND_MAX_JOBS: jobs the server runs at once")
    parser.add_argument("--max-seconds", type=float, default=420, help="the bench stops by itself after this")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    deadline = time.time() + args.max_seconds
    latencies: list[float] = []
    breaches: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        runs = Path(tmp) / "runs"
        runs.mkdir()
        with app_server(runs, PLAYGROUND_DEMO="1", PLAYGROUND_MAX_JOBS=str(args.max_jobs),
                        PLAYGROUND_JOBS_PER_SESSION="1") as url:
            sampler = MemorySampler(url.pid)
            sampler.start()
            visitors = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(args.visitors)]
            pages = [context.new_page() for context in visitors]
            run_ids = []
            for page in pages:   # everyone presses Start within a few seconds
                open_train(page, url)
                set_slider(page, "train-settings-epochs", "Home", *["ArrowRight"] * (args.epochs - 1))
                field = page.locator(".st-key-train-settings-limit_train input")
                field.fill(str(args.samples))
                field.press("Enter")
                page.wait_for_timeout(300)
                run_ids.append(start_run(page))
            # Until every run has ended (or time is up): each visitor changes a widget in turn (the
            # latency counts as "under load" while any run still trains or waits), and between
            # rounds one visitor tries the next one's run: it may look, never stop it, and never
            # finds it on Runs.
            probed, under_load, statuses = 0, [], ["?"] * len(pages)
            while time.time() < deadline:
                statuses = [status_of(page) for page in pages]
                busy = any(s not in ENDED for s in statuses)
                for page in pages:
                    seconds = widget_latency(page)
                    latencies.append(seconds)
                    if busy:
                        under_load.append(seconds)
                if probed < len(visitors):
                    breaches += probe(visitors[probed], url, run_ids[(probed + 1) % len(run_ids)], probed)
                    probed += 1
                elif all(s in ENDED for s in statuses):
                    break
            sampler.stop.set()
            log = Path(url.log).read_text(errors="replace")
            for context in visitors:
                context.close()
    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else float("nan")

    errors = [line for line in log.splitlines() if "Traceback" in line or "Error" in line]
    print(f"\n`python bench/load.py --visitors {args.visitors} --epochs {args.epochs} --samples {args.samples} "
          f"--max-jobs {args.max_jobs}` (load average at the end {load_average()})\n")
    print("| visitors | runs ended | statuses | widget changes (under load) | median latency under load (s) | "
          "p95 under load (s) | p95 all (s) | peak server RSS (MB) | peak workers PSS (MB) | peak total (MB) | "
          "isolation breaches | server log errors |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    median = statistics.median(under_load) if under_load else float("nan")
    print(f"| {args.visitors} | {sum(s in ENDED for s in statuses)} | {counts} | {len(latencies)} "
          f"({len(under_load)}) | {median:.3f} | {p95(under_load):.3f} | {p95(latencies):.3f} | "
          f"{sampler.peak['server']:.0f} | {sampler.peak['workers']:.0f} | {sampler.peak['total']:.0f} | "
          f"{len(breaches)} | {len(errors)} |")
    for line in breaches + errors[:10]:
        print(f"- {line}")


if __name__ == "__main__":
    main()
