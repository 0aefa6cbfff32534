"""The Streamlit app as a person meets it: a real `streamlit run app.py` on loopback, driven in a
real browser (Playwright). Shared by the browser tests and the UI benches in bench/, so that both
start the server and drive the pages the same way."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.cores import CHILD_ENV

ROOT = Path(__file__).resolve().parent.parent

# How the tests (tests/conftest.py) and bench/browser_tab_cpu.py start Debian's Chromium, and the size of their tabs.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1400, "height": 1000}
# The most points any Plotly chart on the page has (the live chart's growth).
COUNT_POINTS = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .map(el => (el.data || []).reduce((n, t) => n + ((t.x || []).length), 0))
    .reduce((a, b) => Math.max(a, b), 0)"""
# Every text a toast has shown in this tab, kept from each new document on (`record_toasts`): a toast lasts seconds,
# and on a loaded machine one came and went before the test looked for it (a fresh-clone CI run: the form was right,
# its toast not seen). A test waits on what was shown, not on what is still on screen.
RECORD_TOASTS = """(() => { window.__toasts = [];
    new MutationObserver(() => document.querySelectorAll('[data-testid="stToast"]').forEach(el => {
        const text = el.innerText; if (text && !window.__toasts.includes(text)) window.__toasts.push(text); }))
    .observe(document, {childList: true, subtree: true, characterData: true}); })()"""
# Whether the run's status badge (the `run-status` container) is for this stored status (ui/live.status_badge).
STATUS_IS = """(status) => !!document.querySelector('.st-key-run-status .st-key-status-' + status)"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """A running app: its URL, runs directory, process and log file."""

    def __init__(self, url: str, runs_dir: Path, process: subprocess.Popen, log: Path):
        self.url, self.runs_dir, self.process, self.log = url, runs_dir, process, log

    @property
    def pid(self) -> int:
        return self.process.pid


# The health check goes to this machine, never through a proxy. urlopen's opener takes the environment's proxies
# when it is first built, and keeps them for the process: built in tests/test_cli.py's offline test (an unreachable
# proxy set), every later app "did not start" (connection refused by the proxy) when no app had started before it.
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def start_app(runs: Path, log: Path, *, preexec_fn=None, before: str | None = None, **env: str) -> AppServer:
    """`streamlit run app.py` on a free loopback port with its own runs directory and `env` added,
    its output appended to `log`; returns once it answers its health check (else raises with the log).
    `before`: a module whose install() the server's process calls first (a fault a test injects:
    tests/cut_at_element.py)."""
    port = free_port()
    env = {**os.environ, **CHILD_ENV, "PLAYGROUND_RUNS_DIR": str(runs), "PYTHONPATH": str(ROOT), **env}
    streamlit = ["-m", "streamlit"] if before is None else \
        ["-c", f"import {before}; {before}.install(); from streamlit.web.cli import main; main(prog_name='streamlit')"]
    with open(log, "ab") as fh:
        process = subprocess.Popen(
            [sys.executable, *streamlit, "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if LOOPBACK.open(f"{url}/_stcore/health", timeout=2).status == 200:
                return AppServer(url, runs, process, log)
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"streamlit did not start; log:\n{Path(log).read_text(errors='replace')}")


def stop_app(server: AppServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()


@contextlib.contextmanager
def streamlit_server(runs: Path, log: Path, before: str | None = None, **env: str):
    """start_app ... stop_app around a block."""
    server = start_app(runs, log, before=before, **env)
    try:
        yield server
    finally:
        stop_app(server)


def wait_for_points(page, more_than: int = 0, timeout: float = 120_000) -> int:
    """Wait until a chart holds more than `more_than` points, and return the count seen then.

    One read, inside the wait: the live chart is redrawn every second and is empty for a moment
    while it remounts, so a count read again afterwards may be 0."""
    handle = page.wait_for_function(f"() => {{ const n = ({COUNT_POINTS})(); return n > {int(more_than)} ? n : 0; }}",
                                    timeout=timeout)
    return int(handle.json_value())


# The number of the latest script run the page shows, a full run's or a fragment's (the run marks of
# ui.state.mark_run: the highest on the page), 0 before the first.
RUN_NUMBER = """() => Array.from(document.querySelectorAll("[class*='st-key-script-run-']"))
    .map(el => parseInt((el.className.match(/st-key-script-run-(\\d+)/) || [0, 0])[1]))
    .reduce((a, b) => Math.max(a, b), 0)"""
# Streamlit's own state of the page's script (stApp's data-test-script-state): "initial" before the
# first run, "running", "notRunning" once a run (or a fragment's) has ended. Unlike the status widget's
# "Running...", which shows only after a delay, it changes as soon as the server's message arrives.
RUN_ENDED = """(after) => { const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.getAttribute('data-test-script-state');
    return (state === 'notRunning' || state === 'compilationError') && (%s)() > after; }""" % RUN_NUMBER


# Whether the page has drawn every element of its last script run: none still a placeholder while its code loads
# (Streamlit's lazily loaded elements, the download button and the code block among them, show a stSkeleton until
# then) and none left from an earlier run (data-stale). The script's state says "notRunning" before that: on a loaded
# machine a finished run's downloads and command came 0.1-0.3 s after it, moving what was below them 100-160 px.
PAGE_DRAWN = """() => !document.querySelector('[data-testid="stSkeleton"], [data-stale="true"]')"""


# Each change of the script's state or run number in this document, as [ms from its start, state, run number]
# (window.__scriptTimeline): a failed wait's report says what the page did (tests/conftest.py's page).
SCRIPT_TIMELINE = """(() => { window.__scriptTimeline = []; const start = performance.now();
    new MutationObserver(() => { const app = document.querySelector('[data-testid="stApp"]');
        const state = app && app.getAttribute('data-test-script-state'), n = (%s)();
        const last = window.__scriptTimeline[window.__scriptTimeline.length - 1];
        if (!last || last[1] !== state || last[2] !== n)
            window.__scriptTimeline.push([Math.round(performance.now() - start), state, n]); })
    .observe(document, {childList: true, subtree: true, attributes: true}); })()""" % RUN_NUMBER


def forward_msg_line(payload) -> str:
    """One of the app's messages to the page (a ForwardMsg) in a line: its kind, and for a delta what it draws where
    (its delta path) and for which fragment; a run's start and end with the run's id."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
    except Exception as error:   # (a report must not fail on it)
        return f"unreadable ({error})"
    kind, run = msg.WhichOneof("type"), msg.metadata.run
    if kind == "delta":
        delta = msg.delta
        what = delta.WhichOneof("type")
        if what in ("new_element", "add_block"):
            part = getattr(delta, what)
            what = f"{what} {part.WhichOneof('type')}"
        return (f"delta {what} at {list(msg.metadata.delta_path)}"
                + (f" of fragment {delta.fragment_id[:8]}" if delta.fragment_id else ""))
    if kind == "script_finished":
        status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
        return f"script_finished {status} run {run.script_run_id[:8]}"
    if kind == "new_session":
        return (f"new_session page {msg.new_session.page_script_hash[:8]} run {run.script_run_id[:8]}"
                + (f" fragments {[f[:8] for f in run.fragment_ids]}" if run.fragment_ids else ""))
    return kind or "empty"


def run_number(tab) -> int:
    """The number of the latest run the page shows: read it before an action, pass it to wait_for_app."""
    return int(tab.evaluate(RUN_NUMBER))


def wait_for_app(tab, timeout: float = 60_000, after: int = -1) -> None:
    """Wait until the page's script run has ended; with `after` (a run_number read before an action),
    until a later run (the whole app's or a fragment's) has been drawn and has ended, so that a run the
    action has not started yet is never taken for one that has ended. On a page whose fragment redraws
    itself every second, that later run may be the redraw: wait there for what the action shows."""
    tab.wait_for_function(RUN_ENDED, arg=after, timeout=timeout)


def after_run(tab, action, timeout: float = 60_000):
    """Do `action` (a click, a key, a choice: something that starts a run) and wait until a run
    started after it has ended; returns what `action` returned."""
    before = run_number(tab)
    out = action()
    wait_for_app(tab, timeout, after=before)
    return out


def upload(page, uploader, path) -> None:
    """Give the file input `uploader` (a locator) the file at `path`; returns once the run the upload started
    has ended. A box typed into while that run still draws the form is overwritten by the value the run fits to
    the new series (ui/series_windows.fit_to_series): the server went on with the typed lookback 99999 and its
    error while the box showed the fitted 96 (1 CI run in 3; waiting on the preview's text alone returned mid-run)."""
    after_run(page, lambda: uploader.set_input_files(path))


def choose(page, key: str, option: str) -> None:
    """Pick the option whose text starts with `option` in the selectbox `key`, as a keyboard user:
    type into its box and press Enter once the list shows it (a click on the box can land while the
    page re-renders, and then the list never opens); returns once the run that the choice started
    has ended (none when the option was already chosen)."""
    box = one_input(page, key)
    if box.input_value().startswith(option):
        # The box shows it chosen: nothing to do. A click and a fill on a box that shows its one option had left the
        # list closed, the option never shown (1 CI run in 3: the Attach tab's one study)
        return
    box.click()
    box.fill(option)
    page.get_by_role("option").filter(has_text=option).first.wait_for()
    press_enter(page, box, starts_a_run=True)


def enter_text(page, box, value: str) -> None:
    """Type `value` into the text or number box `box` (a locator) and press Enter, as a keyboard user;
    returns once the run that started has ended (none when the box held `value` already)."""
    before = box.input_value()
    box.fill(value)
    press_enter(page, box, starts_a_run=before != value)


def press_enter(page, box, starts_a_run: bool) -> None:
    """Press Enter in `box`; when that changes a value, return once the run it started has ended
    (a value left as it was starts no run, and `after_run` would wait for one in vain)."""
    if starts_a_run:
        after_run(page, lambda: box.press("Enter"))
    else:
        box.press("Enter")
        wait_for_app(page)


def set_slider(page, key: str, *keys: str) -> None:
    """Drive a slider as a keyboard user: focus its thumb, press keys (Home, End, ArrowRight...).

    One key at a time, each followed by the run it starts (a key that leaves the value as it was
    starts none): the server has every value before the next key, so the last one is never left in
    flight when the caller goes on (a later upload's rerun would draw the slider with the value the
    server had)."""
    for k in keys:
        thumb = one_thumb(page, key)
        thumb.focus()
        before, number = thumb.input_value(), run_number(page)
        thumb.press(k)
        if one_thumb(page, key).input_value() != before:
            wait_for_app(page, after=number)


def one_thumb(page, key: str):
    """The slider `key`'s thumb, once the page shows one (`one_input`)."""
    return one_input(page, key, "[type='range']")


def one_input(page, key: str, kind: str = ""):
    """The input of the widget `key`, once the page shows one: while a slow rerun draws the form (two test processes
    on two cores), a slider was there twice for a moment, and a read of its value failed as ambiguous (a run of the
    suite)."""
    selector = fresh_input(key, kind)
    page.wait_for_function("(s) => document.querySelectorAll(s).length === 1", arg=selector, timeout=30_000)
    return page.locator(selector)


# Whether each input (a css selector: its first match) shows its value: `exact` {css: value}, `starts` {css: prefix}.
FORM_SHOWS = """([exact, starts]) => Object.entries(exact).every(([css, v]) => document.querySelector(css)?.value === v)
    && Object.entries(starts).every(([css, v]) => (document.querySelector(css)?.value ?? '').startsWith(v))"""


def fresh_input(key: str, kind: str = "") -> str:
    """The css of the widget `key`'s input (`kind`: "[type='range']", ...) as the page's latest run drew it, not
    one of an earlier run still shown while a run draws the page (data-stale)."""
    return f".st-key-{key}:not([data-stale='true']) input{kind}"


def text_box(key: str) -> str:
    return fresh_input(key)


def slider_thumb(key: str) -> str:
    return fresh_input(key, "[type='range']")


def wait_for_form(page, moment: str, exact: dict, starts: dict | None = None, timeout: float = 30_000) -> None:
    """Wait until the form shows each value (`FORM_SHOWS`); one that never comes fails with what the form shows.
    Read once, a value can be one React has not given the widget yet: in a new document (a reload, another page
    load) Streamlit's text input is drawn empty and takes the run's value in an effect after it, and a CI run read
    the Search page's "1e3" as "" after a reload, the run ended and the draft kept; a slider re-mounted showed its
    minimum for a moment."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    starts = starts or {}
    try:
        page.wait_for_function(FORM_SHOWS, arg=[exact, starts], timeout=timeout)
    except PlaywrightTimeout:
        shown = page.evaluate("(css) => css.map(c => document.querySelector(c)?.value ?? null)",
                              [*exact, *starts])
        raise AssertionError(f"{moment}: the form shows {dict(zip([*exact, *starts], shown))}, not {exact}"
                             + (f" and values starting {starts}" if starts else "")) from None


def wait_for_input(page, key: str, value: str, timeout: float = 30_000) -> None:
    """Wait until the text or number box `key` shows `value` (a page that is still drawing may show
    the widget before the run that fills it has finished): `wait_for_form` for one box."""
    wait_for_form(page, f"the box {key}", {text_box(key): value}, timeout=timeout)


def slider_value(page, key: str) -> str:
    return one_thumb(page, key).input_value()


def run_heading(page, run_id: str):
    """The run view's heading ("Run <id>"), not another text naming the run (the Train page's toast, "The
    form now holds the settings of run <id> ...", matched a plain get_by_text too)."""
    return page.get_by_role("heading", name=f"Run {run_id}")


def open_train(page, url: str) -> None:
    page.goto(f"{url}/train")
    wait_for_app(page)
    page.get_by_role("button", name="Start training").wait_for()


def record_toasts(page) -> None:
    """From the tab's next document on, keep the text of every toast shown (RECORD_TOASTS)."""
    page.add_init_script(RECORD_TOASTS)


def wait_for_toast(page, text: str, timeout: float = 30_000) -> None:
    """Until a toast holding `text` has been shown in this document (record_toasts first), gone since or not."""
    try:
        page.wait_for_function("t => (window.__toasts || []).some(shown => shown.includes(t))", arg=text,
                               timeout=timeout)
    except Exception as exc:   # which toasts were shown instead: what a failure's report needs
        raise AssertionError(f"no toast holding {text!r} within {timeout / 1000:g} s; shown: "
                             f"{page.evaluate('() => window.__toasts || []')}") from exc
