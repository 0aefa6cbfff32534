"""Shared fixtures: an isolated runs directory, a real Streamlit server, and a real Chromium.

Browser tests drive the app as a person would: Playwright on Debian's /usr/bin/chromium (never
`playwright install`, which downloads). Screenshots go to tests/artifacts/ for a human to look at.
"""
from __future__ import annotations

import collections
import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import cores
from tests.browser import CHROMIUM_ARGS, SCRIPT_TIMELINE, VIEWPORT, forward_msg_line, streamlit_server

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
SHARED_DATA = ROOT.parent / "shared" / "data"
# numba's on-disk cache for statsforecast's kernels, as the classical helper process uses it
# (zoo/leaderboard/classical.py): a test that fits AutoCES here reuses what the helper compiled.
os.environ.setdefault("NIXTLA_NUMBA_CACHE", "1")
cores.take_share()   # (tests/cores.py: two test processes share the cores)


def _scan_components_once() -> None:
    """Each AppTest's first run scans every installed package's metadata for Streamlit components (Streamlit 1.67's
    app_test.py: `discover_and_register_components`; 0.15-0.2 s of CPU a scan, 12 of a 33 s cProfile of three AppTest
    tests; the real server scans once, at start). The packages installed do not change while the tests run: the first
    scan's list serves every later AppTest of this process."""
    from streamlit.components.v2 import manifest_scanner

    scan, found = manifest_scanner.scan_component_manifests, []

    def scanned_once(*args, **kwargs):
        if not found:
            found.append(scan(*args, **kwargs))
        return list(found[0])

    manifest_scanner.scan_component_manifests = scanned_once


_scan_components_once()


def wait_for(predicate, timeout: float = 60.0, what: str = "condition", every: float = 0.05):
    """Wait on a state: call `predicate` until it returns something true, and return that."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def runs_dir(tmp_path, monkeypatch) -> Path:
    """A fresh run store for one test, also set as PLAYGROUND_RUNS_DIR."""
    path = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """The app on a free loopback port with its own runs directory (local worker processes)."""
    runs = tmp_path_factory.mktemp("server-runs")
    log = tmp_path_factory.mktemp("server-log") / "streamlit.log"
    with streamlit_server(runs, log, PLAYGROUND_MAX_JOBS="3", PLAYGROUND_JOBS_PER_SESSION="2") as server:
        yield server


@pytest.fixture(scope="session")
def playwright_driver():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@dataclass
class ChromiumProfile:
    context: object        # Playwright's BrowserContext of the profile
    blank: object          # the tab it opened with, kept open (the context ends with its last tab)
    origins: set[str]      # every origin its tabs have asked anything of


@pytest.fixture(scope="session")
def chromium_profile(playwright_driver, tmp_path_factory):
    """One Chromium profile on disk for every tab of this test process. Its code cache keeps V8's compiled code of
    Streamlit's scripts; Playwright's own contexts (`browser.new_context`) are off the record, where Chromium keeps
    none, so each of their tabs compiled the scripts again: 3.13 s of Chromium's CPU a new tab against 1.92 s here
    (bench/browser_tab_cpu.py, BENCHMARKS.md), and the suite opens over a hundred tabs on two cores. Each test still
    starts as a new visitor (`visitor_tabs`)."""
    context = playwright_driver.chromium.launch_persistent_context(
        tmp_path_factory.mktemp("chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        viewport=VIEWPORT, accept_downloads=True)
    profile = ChromiumProfile(context, context.pages[0] if context.pages else context.new_page(), set())

    def note_origin(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https"):
            profile.origins.add(f"{parts.scheme}://{parts.netloc}")

    context.on("request", note_origin)
    yield profile
    context.close()


def _close_tabs_but(profile: ChromiumProfile) -> None:
    for tab in profile.context.pages:
        if tab != profile.blank:
            tab.close()


@pytest.fixture
def visitor_tabs(chromium_profile):
    """The shared profile as a new visitor's browser: no cookie (the visitor token, ui/state.py), nothing that any
    site stored in an earlier test (Chromium's Storage.clearDataForOrigin on every origin the profile has reached:
    all but the caches) and no tab of an earlier test. Done before each test, so that a teardown that failed leaves
    nothing behind either; the test's tabs are closed after it. What a test sets on the context itself (a route, an
    init script, a permission) would carry into the next: such things go on a tab."""
    profile = chromium_profile
    _close_tabs_but(profile)
    cdp = profile.context.new_cdp_session(profile.blank)
    try:
        for origin in sorted(profile.origins):
            cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "cookies,local_storage,indexeddb,"
                                                    "websql,service_workers,cache_storage,file_systems"})
    finally:
        cdp.detach()
    profile.context.clear_cookies()
    yield profile.context
    _close_tabs_but(profile)


@pytest.fixture
def page(visitor_tabs, request):
    """A fresh browser tab (1400x1000) of a new visitor; on failure a screenshot is saved to tests/artifacts/."""
    tab = visitor_tabs.new_page()
    tab.set_default_timeout(30_000)
    # What a failure's report says of the tab's life: its addresses, its connections to the app and each message the
    # page sent the app (a click's rerun request is one), timed from the tab's start; and, per document, each change
    # of the script's state and run number (SCRIPT_TIMELINE).
    events, start = [], time.monotonic()

    def note(what: str) -> None:
        events.append(f"{time.monotonic() - start:7.2f}s {what}")

    tab.add_init_script(SCRIPT_TIMELINE)
    tab.on("framenavigated", lambda frame: note(f"address {frame.url}") if frame == tab.main_frame else None)
    # the app's last messages to the page, each in a line (tests/browser.py's forward_msg_line): which delta an error
    # in the page met
    received = collections.deque(maxlen=80)   # (when, payload): read only for a failure's report
    tab.on("websocket", lambda ws: (note(f"websocket opened {ws.url}"),
                                    ws.on("framesent", lambda payload: note(f"sent the app {len(payload)} bytes")),
                                    ws.on("framereceived", lambda payload: received.append(
                                        (time.monotonic() - start, payload))),
                                    ws.on("close", lambda _: note("websocket closed"))))
    # and what broke in the page itself: an uncaught error unmounts Streamlit's whole app (its stApp goes, the
    # websocket closes), and a wait then times out with nothing else to say why (a CI run's report)
    tab.on("pageerror", lambda error: note(f"page error: {str(error)[:2000]}"))
    # (not the 404s of Streamlit's own first asks for its health and host-config under the page's path)
    tab.on("console", lambda message: note(f"console error: {message.text[:2000]} ({message.location.get('url')})")
           if message.type == "error" and "status of 404" not in message.text else None)
    yield tab
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        shot(tab, f"FAILED-{request.node.name}")
        print(f"--- the tab: now at {tab.url}; in order: ---")
        print("\n".join(events))
        print("--- this document's script states (ms from its start, state, run number) ---")
        print(tab.evaluate("() => JSON.stringify(window.__scriptTimeline || [])"))
        print(f"--- the app's last {len(received)} messages to the page ---")
        print("\n".join(f"{when:7.2f}s {forward_msg_line(payload)}" for when, payload in received))
        if "app_server" in request.fixturenames:   # the server's side of it, in the test's report
            log = Path(request.getfixturevalue("app_server").log)
            print(f"--- the app server's log, last 60 lines ({log}) ---")
            print("\n".join(log.read_text(errors="replace").splitlines()[-60:]))


# The files' order, for the README's `-n 2 --dist loadfile`: xdist hands each of the two test processes the next file
# in its queue as the process nears the end of its last (LoadScopeScheduling._reschedule). It queued the files with the
# most tests first, so the long browser files, of few tests each, came last, and one process ran the last of them
# alone while the other had nothing left. Now the longest first (the rule that keeps two workers' ends close), and
# the files that drive a browser after all the others (the browser files came last before too): they meet each
# other's load, not a Ray cluster's or a leaderboard's. 718 s of tests here before, 625 s after. Seconds each file
# took in a run here (`--durations=0`, 2026-12-07); a file not named is short, and comes after those named, by path.
# In one process (no -n) the order is pytest's own.
FILE_SECONDS = {
    "test_ray.py": 160, "test_nothing_lost.py": 113, "test_leaderboard.py": 95, "test_cli.py": 84, "test_demo.py": 64,
    "test_faults.py": 51, "test_search_postgres.py": 46, "test_search.py": 41, "test_pages.py": 40,
    "test_series_data.py": 33, "test_forecast_page.py": 31, "test_jobs_ui.py": 25, "test_jobs.py": 19,
    "test_leaderboard_pages.py": 19,
    "test_browser_nothing_lost.py": 165, "test_browser_run_view.py": 112, "test_browser_search.py": 55,
    "test_browser_train.py": 43, "test_browser_inspect.py": 31, "test_browser_leaderboard.py": 30,
    "test_browser_forecast.py": 26, "test_browser_ray.py": 25, "test_browser_smoke.py": 18,
}


def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):   # (xdist's: by test count) the order below is kept
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    if not hasattr(config, "workerinput"):   # (an xdist worker's)
        return
    drives_a_browser = {item.path.name for item in items if item.get_closest_marker("browser")}
    position = {item.nodeid: i for i, item in enumerate(items)}
    items.sort(key=lambda item: (item.path.name in drives_a_browser, -FILE_SECONDS.get(item.path.name, 0),
                                 str(item.path), position[item.nodeid]))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


def shot(tab, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/ and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


SCROLL_HEIGHT = """() => Math.max(...Array.from(document.querySelectorAll(
    '[data-testid="stMain"], [data-testid="stAppViewContainer"], [data-testid="stMainBlockContainer"]'))
    .map(el => el.scrollHeight), document.body.scrollHeight)"""
SETTLED = """() => !document.querySelector('[data-testid=stSkeleton], [data-testid=stSkeletonElement]')
    && !document.querySelector('[data-stale=true]')"""


def tall_shot(tab, name: str, settle: bool = False) -> Path:
    """shot() of the whole page: Streamlit scrolls inside its main container, so a full-page screenshot
    stops at the viewport; the viewport is grown to the content first. With `settle`, once the page's run
    has ended and nothing on it is stale (the Train page's tests go on from there); without, as it is, for
    a page whose fragment redraws every second (waiting for it to settle added seconds a shot)."""
    if settle:
        from tests.browser import wait_for_app

        wait_for_app(tab)
        tab.wait_for_function(SETTLED, timeout=60_000)
    size = tab.viewport_size
    height = min(6000, max(size["height"], int(tab.evaluate(SCROLL_HEIGHT)) + 40))
    tab.set_viewport_size({"width": size["width"], "height": height})
    # Let plotly re-lay out. (Waiting until every chart had drawn took its full 5 s on the Forecast page,
    # three shots a test: a chart mid-draw is still a screenshot.)
    tab.wait_for_timeout(300)
    path = shot(tab, name)
    tab.set_viewport_size(size)
    return path


@pytest.fixture(autouse=True)
def forget_drafts(tmp_path_factory, monkeypatch):
    """Each test starts with no visitor's form kept from another test (ui/drafts.py: one store per process,
    which AppTest's sessions share, as a server's do), nor from an earlier session's tests: the drafts' files
    live under the runs directory, a fresh one for each test that sets none of its own (`runs_dir`, or its own
    setenv, comes after this and wins); ./runs had carried them from one `pytest` to the next."""
    from ui.drafts import store

    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path_factory.mktemp("runs")))
    store().clear()
    yield


@pytest.fixture(autouse=True)
def server_log_written():
    """Each test's lines of the server's log written before it ends (zoo/server_log.py writes them from a thread of
    its own): else they came out between two tests' captures, on the terminal."""
    yield
    from zoo import server_log

    server_log.drain()


@pytest.fixture(autouse=True)
def keep_torch_threads():
    """Each test starts with torch's thread count as the session began: the hosted demo's inspections set it to one
    in the process that runs them (zoo/demo.inspection_slot), and every later test of this process ran on one."""
    import torch

    threads = torch.get_num_threads()
    yield
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
