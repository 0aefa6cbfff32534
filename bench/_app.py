"""Shared by the UI benchmarks: a real `streamlit run app.py` and a real Chromium, like the browser tests."""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
from pathlib import Path

from tests.browser import COUNT_POINTS, STATUS_IS, open_train, set_slider, slider_value  # noqa: F401  (as the tests)
from tests.browser import CHROMIUM_ARGS, start_app, stop_app
from tests.browser import wait_for_app as wait_idle  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")


def exit_cleanly_on_sigterm() -> None:
    """`kill PID` runs the finally blocks (server, browser, child runs are stopped), like Ctrl-C."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def pinned_to(cpus: set[int] | None):
    """A `preexec_fn` that pins the child process to `cpus` (None: no pinning)."""
    return (lambda: os.sched_setaffinity(0, cpus)) if cpus else None


class ServerURL(str):
    """The server's URL, which also knows the server's process id and its log file."""

    pid: int
    log: Path


@contextlib.contextmanager
def app_server(runs_dir: Path, cpus: set[int] | None = None, **env_overrides: str):
    """Yield the URL of a fresh Streamlit server on a free port, writing runs under `runs_dir`
    (a str, with `.pid` and `.log`), started as the browser tests start theirs (tests/browser.py).

    `cpus`: pin the server (and so its job workers, which inherit it) to these CPUs."""
    fd, log = tempfile.mkstemp(prefix="streamlit-", suffix=".log", dir=runs_dir.parent)
    os.close(fd)
    log = Path(log)
    server = start_app(runs_dir, log, preexec_fn=pinned_to(cpus), **env_overrides)
    url = ServerURL(server.url)
    url.pid, url.log = server.pid, log
    try:
        yield url
    finally:
        stop_app(server)


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)   # (as the tests')
        try:
            yield browser
        finally:
            browser.close()


def start_run(page) -> str:
    """Press Start on the Train page; return the new run id from the URL."""
    before = page.evaluate("() => location.href")
    page.get_by_role("button", name="Start training").click()
    page.wait_for_function("(before) => location.href !== before && location.search.includes('run=')", arg=before)
    # (page.url can lag behind history.replaceState: read the address from the page itself)
    return page.evaluate("() => new URLSearchParams(location.search).get('run')")


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (its job workers, and the forkserver they fork from)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def memory_mb(pid: int) -> dict:
    """RSS and PSS (shared pages divided among the processes that share them) of one process, in MB."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    except (OSError, ValueError):
        return {"rss": 0.0, "pss": 0.0}
    kb = lambda name: float(fields.get(name, "0 kB").split()[0])  # noqa: E731
    return {"rss": kb("Rss") / 1024, "pss": kb("Pss") / 1024}


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"
