"""The Train page in a real Chromium: start a run, watch the chart grow, stop it, reload, finish one.

Each test opens its own tab (its own Streamlit session). Screenshots of every state land in
tests/artifacts/ (train-*.png, home-*.png): look at them after a change to the pages.
"""
from __future__ import annotations

import statistics
import time

import pytest

from tests.browser import (STATUS_IS, open_train, run_heading, set_slider, slider_value, wait_for_app,
                           wait_for_points)
from tests.conftest import tall_shot

pytestmark = pytest.mark.browser

HAS_HEATMAP = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .some(el => (el.data || []).some(t => t.type === 'heatmap'))"""
HAS_VAL_LOSS = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .some(el => (el.data || []).some(t => t.name === 'val loss'))"""


def wait_for_status(page, status: str, timeout: float = 30_000) -> None:
    """Wait until the run's status badge says `status` (its word, not a longer one like 'stopping…')."""
    page.wait_for_function(STATUS_IS, arg=status, timeout=timeout)


RUN_IN_URL = "() => location.pathname.endsWith('/train') && new URLSearchParams(location.search).get('run')"


def run_id_from_url(page, timeout: float = 30_000) -> str:
    """The ?run= of the Train page's address (read from the page: page.url can lag behind
    history.replaceState), once the address is the Train page's."""
    page.wait_for_function(RUN_IN_URL, timeout=timeout)
    return page.evaluate(RUN_IN_URL)


def test_home_button_starts_a_sample_run_and_attaches_it(app_server, page):
    page.goto(app_server.url)
    page.get_by_text("PyTorch playground").wait_for()
    page.get_by_role("button", name="Train a CNN on sample digits").click()
    run_id = run_id_from_url(page)
    run_heading(page, run_id).wait_for(timeout=30_000)
    page.get_by_role("button", name="Stop").wait_for()
    tall_shot(page, "home-started-run", settle=True)
    # Stop only frees the CPU for the next tests: the sample run (5 epochs of 3,600 digits, seconds on a fast
    # machine) may have ended by itself by now, its Stop gone with the live view. Pressed in one step of the page
    # if it is still there (it cannot go between a look and the click), then either end will do.
    page.evaluate(f"() => document.querySelector('.st-key-stop-{run_id} button')?.click()")
    page.wait_for_function(f"() => ['stopped', 'finished'].some({STATUS_IS})", timeout=60_000)


def test_live_chart_grows_stop_ends_it_and_reload_shows_the_same_run(app_server, page):
    open_train(page, app_server.url)
    set_slider(page, "train-settings-epochs", "End")      # 200 epochs: still running when we stop it
    set_slider(page, "train-settings-patience", "Home")   # early stopping off
    assert slider_value(page, "train-settings-epochs") == "200"
    assert slider_value(page, "train-settings-patience") == "0"
    page.get_by_role("button", name="Start training").click()
    run_id = run_id_from_url(page)
    # the keyboard's focus moved to the run view, where the first button is Stop (behind the heading's link): it had
    # fallen to the page's top, 60 Tab presses above it (a keyboard user's check)
    page.wait_for_function("() => !!document.activeElement?.closest('.st-key-train-run-panel')", timeout=30_000)
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.tagName") == "BUTTON":
            break
    assert page.evaluate("() => document.activeElement.innerText.trim()").endswith("Stop")

    # The chart gains points while it runs (each count is the one seen when its wait ended).
    first = wait_for_points(page)
    later = wait_for_points(page, more_than=first, timeout=60_000)
    assert later > first
    page.get_by_text("samples/s").first.wait_for()
    # Let one epoch finish, so that the run has a best checkpoint worth keeping when we stop it.
    page.wait_for_function(HAS_VAL_LOSS, timeout=120_000)
    tall_shot(page, "train-live", settle=True)

    # Changing a widget while the job trains re-renders the page quickly (printed, not asserted:
    # bench/responsiveness.py measures it properly with two jobs).
    preview = page.get_by_text("parameters · input").first
    timings = []
    for _ in range(4):
        before = preview.inner_text()
        start = time.perf_counter()
        page.locator(".st-key-train-model-cnn-batch_norm label").click()
        page.wait_for_function(
            "(before) => { const el = Array.from(document.querySelectorAll('[data-testid=stMarkdownContainer]'))"
            ".find(e => e.innerText.includes('parameters · input')); return el && el.innerText !== before; }",
            arg=before, timeout=10_000)
        timings.append(time.perf_counter() - start)
        # The next click once this run has ended, as a person's: one that landed 0.3 s after the last, that run still
        # drawing, as the live chart's timer asked for its own rerun, left the preview at the last run's model (44,470
        # parameters, batch norm on) beside a box shown off, for good, once in a suite run; not reproduced since. An
        # open fault of the app, not of this test: ui/live.py's `_live_panel` says what was seen and what would mend it
        wait_for_app(page)
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"\nwidget re-render while a job trains: median {statistics.median(timings):.3f} s, "
          f"p95 {p95:.3f} s over {len(timings)} changes (bench/responsiveness.py: two jobs, 40 changes)")

    # Stop ends the run (`stopped`, well before its 200 epochs) and offers the checkpoint.
    stop = page.get_by_role("button", name="Stop")
    start = time.perf_counter()
    stop.click()
    wait_for_status(page, "stopped", timeout=10_000)
    elapsed = time.perf_counter() - start
    print(f"Stop -> 'stopped' shown in {elapsed:.2f} s (measured, not asserted: bench/stop_latency.py)")
    download = page.get_by_role("button", name="best.pt")
    download.wait_for()
    best_epoch = page.locator("[data-testid='stMetric']").filter(has_text="best epoch")
    assert int(best_epoch.locator("[data-testid='stMetricValue']").inner_text()) >= 1
    tall_shot(page, "train-stopped", settle=True)
    with page.expect_download() as info:
        download.click()
    import torch

    state = torch.load(info.value.path(), weights_only=True)
    assert any(k.endswith("weight") for k in state)

    # A reload of the ?run= URL shows the same run, and the form it was started from (it showed the
    # defaults, 5 epochs, once the run had ended).
    page.reload()
    wait_for_app(page)
    run_heading(page, run_id).wait_for(timeout=30_000)
    wait_for_status(page, "stopped")
    page.get_by_text("Reproduce it from a shell").wait_for(timeout=60_000)
    assert run_id_from_url(page) == run_id
    assert (slider_value(page, "train-settings-epochs"), slider_value(page, "train-settings-patience")) == ("200", "0")
    tall_shot(page, "train-reloaded", settle=True)


def test_two_epoch_run_finishes_with_a_confusion_matrix(app_server, page):
    open_train(page, app_server.url)
    set_slider(page, "train-settings-epochs", "Home", "ArrowRight")
    assert slider_value(page, "train-settings-epochs") == "2"
    page.get_by_role("button", name="Start training").click()
    run_id_from_url(page)
    wait_for_status(page, "finished", timeout=180_000)
    page.wait_for_function(HAS_HEATMAP, timeout=60_000)
    page.get_by_text("Confusion matrix").wait_for()
    command = page.locator("[data-testid='stCode']").filter(has_text="python -m zoo train")
    command.wait_for()   # a flag per line (zoo.spec.command_lines)
    assert [line.strip() for line in command.inner_text().splitlines()] == \
        ["python -m zoo train \\", "--data mnist-sample \\", "--model cnn \\", "--epochs 2"]
    tall_shot(page, "train-finished", settle=True)


# Every sidebar page link's name shown in this document, from its first paint on (its last line: the
# lines before are a material icon's name).
RECORD_NAV_LINKS = """(() => { window.__navLinks = [];
    new MutationObserver(() => document.querySelectorAll('[data-testid="stSidebarNavLink"]').forEach(el => {
        const text = el.innerText.trim().split('\\n').pop().trim();
        if (text && !window.__navLinks.includes(text)) window.__navLinks.push(text);
    })).observe(document, {childList: true, subtree: true, characterData: true}); })()"""


@pytest.mark.parametrize("path, shown", [("/", "Train a CNN on sample digits"),
                                         ("/train?run=no-such-run", "There is no run")])
def test_the_first_request_of_a_fresh_server_gets_the_whole_app_and_only_its_page_names(page, tmp_path, path, shown):
    """A pages/ folder beside app.py put a new server in Streamlit's old folder mode until st.navigation
    first ran: the sidebar listed the raw file names (app, forecast, home, ...) for the first seconds, and a
    deep link ran its page file alone. The pages live in app_pages/ (app.py says why)."""
    from tests.browser import streamlit_server

    page.add_init_script(RECORD_NAV_LINKS)
    with streamlit_server(tmp_path / "runs", tmp_path / "streamlit.log") as server:
        page.goto(f"{server.url}{path}")
        page.get_by_text(shown).first.wait_for(timeout=60_000)
        sidebar = page.locator("[data-testid='stSidebar']")
        sidebar.get_by_text("Device").wait_for()
        for title in ("Home", "Train", "Runs"):
            sidebar.get_by_role("link", name=title, exact=True).wait_for()
            assert sidebar.get_by_role("link", name=title).count() == 1, title
        assert sorted(page.evaluate("() => window.__navLinks")) == \
            sorted(["Home", "Train", "Runs", "Forecast", "Inspect", "Search"])
        if "?" in path:
            assert path.split("?")[1] in page.evaluate("() => location.search")
