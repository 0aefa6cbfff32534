"""Chromium's CPU for one new tab of the app: a tab of a fresh off-the-record context (Playwright's
`browser.new_context()`, as each browser test had its own) against a new tab of one profile on disk
(`launch_persistent_context`, as tests/conftest.py's `chromium_profile` now), in alternated rounds
against the same server.

    python bench/browser_tab_cpu.py [--rounds 6]

Each round opens the Train page in a new tab of each kind, waits until its Start button is drawn and the
script has ended, and reads the CPU time every Chromium process spent meanwhile (/proc/PID/stat, the
processes of this script's own Chromium that exist just after: a context's renderer ends with its tab,
so each tab is closed only after the reading). Off the record, Chromium keeps no code cache, so each
tab compiles Streamlit's scripts anew; a profile on disk keeps V8's compiled code in its code cache
(written on a script's second load, read from the third: two tabs of each kind go unmeasured first).
Prints a markdown table.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._app import CHROMIUM, app_server, descendants, exit_cleanly_on_sigterm, wait_idle  # noqa: E402
from tests.browser import CHROMIUM_ARGS, VIEWPORT  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def chromium_cpu() -> dict[int, tuple[str, float]]:
    """Each process of this script's Chromium now: its kind (renderer, browser, gpu-process, ...) and its CPU seconds
    so far. (Not another Chromium on the machine: a test run's, say.)"""
    out = {}
    for pid in descendants(os.getpid()):
        entry = Path(f"/proc/{pid}")
        try:
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if "chrom" not in command.split("\0")[0].split(" ")[0]:   # (the server, Playwright's driver)
            continue
        # (Chromium rewrites its children's command lines as one string, the arguments parted by spaces)
        kind = re.search(r"--type=(\S+)", command.replace("\0", " "))
        kind = kind.group(1) if kind else "browser"
        out[pid] = (kind, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return out


def spent(before: dict, after: dict) -> Counter:
    """CPU seconds per kind of process between two readings (a process new since `before` from zero)."""
    by_kind: Counter = Counter()
    for pid, (kind, seconds) in after.items():
        by_kind[kind] += seconds - before.get(pid, (kind, 0.0))[1]
    return by_kind


def one_tab(open_tab, url: str) -> tuple[Counter, float]:
    before, started = chromium_cpu(), time.perf_counter()
    tab, close = open_tab()
    tab.goto(f"{url}/train")
    tab.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    wait_idle(tab)
    seconds = time.perf_counter() - started
    used = spent(before, chromium_cpu())
    close()
    return used, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    from playwright.sync_api import sync_playwright

    results: dict[str, list[tuple[Counter, float]]] = {"off the record": [], "profile on disk": []}
    with tempfile.TemporaryDirectory() as tmp, app_server(Path(tmp) / "runs") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        profile = p.chromium.launch_persistent_context(Path(tmp) / "profile", executable_path=CHROMIUM,
                                                       headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT)

        def off_the_record():
            context = browser.new_context(viewport=VIEWPORT)
            return context.new_page(), context.close

        def on_disk():
            profile.clear_cookies()
            tab = profile.new_page()
            return tab, tab.close

        kinds = {"off the record": off_the_record, "profile on disk": on_disk}
        for _ in range(2):   # unmeasured: the server's first pages, and the profile's code cache written
            for name in kinds:
                one_tab(kinds[name], url)
        for round_ in range(args.rounds):
            order = list(kinds) if round_ % 2 == 0 else list(reversed(kinds))
            for name in order:
                results[name].append(one_tab(kinds[name], url))
        profile.close()
        browser.close()

    print(f"Chromium CPU seconds per new tab of the Train page (median of {args.rounds} alternated rounds)\n")
    print("| tab | all Chromium | renderer | browser | other | wall to idle |")
    print("|---|---:|---:|---:|---:|---:|")
    medians = {}
    for name, rows in results.items():
        total = statistics.median(sum(used.values()) for used, _ in rows)
        renderer = statistics.median(used["renderer"] for used, _ in rows)
        browser_ = statistics.median(used["browser"] for used, _ in rows)
        other = statistics.median(sum(v for k, v in used.items() if k not in ("renderer", "browser"))
                                  for used, _ in rows)
        wall = statistics.median(seconds for _, seconds in rows)
        medians[name] = total
        print(f"| {name} | {total:.2f} s | {renderer:.2f} s | {browser_:.2f} s | {other:.2f} s | {wall:.2f} s |")
    print(f"\nprofile on disk / off the record: {medians['profile on disk'] / medians['off the record']:.2f} "
          f"(load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
