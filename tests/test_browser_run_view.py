"""The one run view, in a real Chromium: "Train with best" of a series study opens Forecast with the
best spec filled in; Forecast re-attaches to its live job and keeps the visitor's job cap, as Train
does (ui/run_view.py serves both pages).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.browser import (STATUS_IS, after_run, choose, open_train, run_heading, set_slider, slider_value,
                           wait_for_app, wait_for_input, wait_for_points)
from tests.conftest import shot

pytestmark = pytest.mark.browser

RUN_IN_URL = "() => new URLSearchParams(location.search).get('run')"
SETTINGS_OPEN = "() => document.querySelector('.st-key-forecast-settings-box details').open"


def test_train_with_best_of_a_series_study_opens_forecast_with_its_spec(app_server, page, tmp_path):
    from zoo import forecast_io as fio
    from zoo.search import SearchConfig, best_spec, build_space, load_study, run_search
    from zoo.spec import ExperimentSpec

    rows = 240
    dates = pd.date_range("2024-01-01", periods=rows, freq="h")
    raw = pd.DataFrame({"when": dates.strftime("%Y-%m-%d %H:%M"),
                        "load": (np.sin(np.arange(rows) / 3.8) + 0.01 * np.arange(rows)).round(4)}
                       ).to_csv(index=False).encode()
    data = fio.store_upload(raw, "shop load.csv", app_server.runs_dir)   # as a local visitor's upload
    spec = ExperimentSpec(task="series", data=str(data), model="mlp", lookback=24, horizon=6, epochs=1,
                          batch_size=32)
    config = SearchConfig(spec=spec, space=build_space("mlp", "series", search={"depth": [1, 2]}), n_trials=2,
                          study="series-study", runs_dir=str(app_server.runs_dir), sampler="grid")
    run_search(config)
    best = best_spec(load_study(None, "series-study", app_server.runs_dir))

    page.goto(f"{app_server.url}/search")
    wait_for_app(page)
    page.get_by_role("tab", name="Attach to a study").click()
    wait_for_app(page)
    choose(page, "attach_name", "series-study")
    # Click only once the page has settled on the attached study: the attach's run ended (after_run:
    # once, in a CI run, a click that landed before it had even started never reached the app), the
    # study drawn (its heading and table) and the setup box collapsed (which moves the button up).
    after_run(page, page.get_by_role("button", name="Attach").click)
    page.get_by_text("Study series-study").wait_for(timeout=30_000)
    page.locator(".st-key-search_trial_table").wait_for(timeout=30_000)
    page.wait_for_function("() => Array.from(document.querySelectorAll('[data-testid=\"stExpander\"] details'))"
                           ".every(d => !d.open)", timeout=30_000)
    page.get_by_role("button", name="Train with best").click()
    page.wait_for_url("**/forecast**", timeout=30_000)
    wait_for_app(page)
    # The Forecast page, its form filled from the best trial's spec: the stored upload, the windows, the model.
    page.get_by_text("shop load.csv as kept on this server").first.wait_for(timeout=30_000)
    assert page.get_by_role("radio", name=re.compile(r"^(An earlier upload|Earlier uploads \(\d+\))$")).is_checked()
    wait_for_input(page, "forecast-lookback", "24")
    wait_for_input(page, "forecast-horizon", "6")
    page.wait_for_function("() => { const el = document.querySelector('.st-key-forecast-model');"
                           " return el && Array.from(el.querySelectorAll('input')).some(i => i.value.startsWith('mlp'))"
                           " || (el && el.innerText.includes('mlp')); }", timeout=10_000)
    page.get_by_text("Model hyperparameters").click()
    assert slider_value(page, "forecast-model-mlp-depth") == str(best.model_params.get("depth", 2))
    shot(page, "run-view-train-with-best-series")


def test_forecast_reattaches_to_its_live_job_and_keeps_the_cap(app_server, page):
    def start_sample_run() -> str:
        page.get_by_text("Training settings", exact=True).click()
        set_slider(page, "forecast-settings-epochs", "End")    # 200 epochs: still running when we leave
        set_slider(page, "forecast-settings-patience", "Home")
        # The server has both settings, and the box stays open after each change (it once collapsed on
        # every rerun, and the next key went nowhere): the recipe says so.
        page.get_by_text("200 epochs · batch").filter(has_text="early stopping off").first.wait_for()
        assert page.evaluate(SETTINGS_OPEN)
        page.get_by_role("button", name="Train and forecast").click()
        return page.wait_for_function(RUN_IN_URL).json_value()

    page.goto(f"{app_server.url}/forecast")
    wait_for_app(page)
    first = start_sample_run()
    page.get_by_role("button", name="Stop").wait_for()

    # Leave for another page, come back by the sidebar (no ?run=): the live job is re-attached.
    page.goto(f"{app_server.url}/runs")
    wait_for_app(page)
    page.goto(f"{app_server.url}/forecast")
    wait_for_app(page)
    assert page.wait_for_function(RUN_IN_URL).json_value() == first
    run_heading(page, first).wait_for()
    assert page.get_by_role("button", name="Stop").is_enabled()

    # The test server lets a visitor run two jobs at once: the second fills the cap, and Start says why.
    after_run(page, page.get_by_role("button", name="Close this run").click)
    second = start_sample_run()
    assert second != first
    page.get_by_text("has not ended (you may have 2 jobs queued or running at a time)").first.wait_for()
    # Waited on: the sentence can be drawn while the button beside it is still the last run's, enabled (a CI run read
    # it once at that moment).
    expect(page.get_by_role("button", name="Train and forecast")).to_be_disabled(timeout=30_000)
    assert slider_value(page, "forecast-settings-epochs") == "200"
    shot(page, "run-view-forecast-cap")
    page.get_by_role("button", name="Stop").click()
    # Stopped before the page is left: a click still in flight was lost with it, and the run trained its 200
    # epochs on into the next test (whose Runs page then followed this job, not its own).
    page.wait_for_function(STATUS_IS, arg="stopped", timeout=30_000)   # this run's status, not a listed "· stopped"
    page.goto(f"{app_server.url}/forecast?run={first}")
    wait_for_app(page)
    page.get_by_role("button", name="Stop").click()
    page.wait_for_function(STATUS_IS, arg="stopped", timeout=30_000)


def test_the_runs_page_follows_a_live_run_to_its_end_without_a_click(app_server, page):
    """The Runs page was drawn once: a run that had ended still said `running` there until the visitor
    clicked something (a new-user check found it). While a job runs the page says it follows it; the
    run stopped from another tab takes that line away on the Runs page, with no click there."""

    open_train(page, app_server.url)
    # Train's settings box is open from the start: a click on its title closed it, and the keys then went
    # nowhere, so the run trained the default 5 epochs and, on a quiet machine, ended before the second
    # tab could stop it (one CI run in three).
    set_slider(page, "train-settings-epochs", "End")        # 200 epochs: it runs until it is stopped
    set_slider(page, "train-settings-patience", "Home")
    assert (slider_value(page, "train-settings-epochs"), slider_value(page, "train-settings-patience")) == ("200", "0")
    page.get_by_role("button", name="Start training").click()
    run_id = page.wait_for_function(RUN_IN_URL).json_value()
    # The first points make the page rerun itself (ui/live._first_points: st.rerun(scope="app")), and Streamlit
    # folds a rerun requested while another is pending into one whose page is the newer request's
    # (ScriptRequests._request_rerun_locked: page_script_hash=new_data's): a click on "Runs" just before it was
    # lost, and the page stayed on Train (one CI run). Clicked once the chart holds points, that rerun is done.
    wait_for_points(page)
    after_run(page, page.locator('[data-testid="stSidebarNav"] a', has_text="Runs").first.click)
    following = page.get_by_text("1 job is running: this list follows it.")
    following.wait_for(timeout=60_000)
    shot(page, "runs-following-a-live-run")
    other = page.context.new_page()   # the same visitor in a second tab
    other.goto(f"{app_server.url}/train?run={run_id}")
    wait_for_app(other)
    other.get_by_role("button", name="Stop").click()
    other.wait_for_function(STATUS_IS, arg="stopped", timeout=60_000)
    other.close()
    following.wait_for(state="detached", timeout=60_000)
    page.get_by_text("Tick rows to compare").first.wait_for()

    # A run the CLI writes into the same runs directory shows up, and goes when deleted, with no click
    # either (the page listed it only after one: a browser check's find). Written as `python -m zoo train`
    # writes a run's folder (zoo/runs.py), without its minute of training.
    import shutil

    from zoo.runs import RunWriter
    from zoo.spec import ExperimentSpec

    cli_run = RunWriter(app_server.runs_dir, ExperimentSpec(model="mlp", epochs=1))
    cell = page.get_by_text(cli_run.run_id).first
    cell.wait_for(state="attached", timeout=30_000)   # a cell of the runs table, once its folder appeared
    shutil.rmtree(cli_run.path)
    cell.wait_for(state="detached", timeout=30_000)


def test_a_run_the_cli_writes_is_followed_on_its_own_page(app_server, page):
    """The Train page opened on a run the CLI was writing into the same runs directory drew it once: it said
    `running`, its chart as it was, after the CLI had been stopped (a check of one person in two tabs and a
    shell). It follows the run's files while they say it runs, as the Runs page does."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from tests.cores import CHILD_ENV

    before = set(os.listdir(app_server.runs_dir))
    cli = subprocess.Popen([sys.executable, "-m", "zoo", "train", "--model", "mlp", "--epochs", "200", "--patience",
                            "0", "--runs-dir", str(app_server.runs_dir)], cwd=Path(__file__).resolve().parents[1],
                           env={**os.environ, **CHILD_ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:   # its folder, once its result says it runs
            new = [Path(app_server.runs_dir, n) for n in set(os.listdir(app_server.runs_dir)) - before]
            result = [f / "result.json" for f in new if (f / "result.json").exists()]
            if result and json.loads(result[0].read_text() or "{}").get("status") == "running":
                folder = result[0].parent
                break
            assert time.monotonic() < deadline and cli.poll() is None, "the CLI's run did not start"
            time.sleep(0.2)
        page.goto(f"{app_server.url}/train?run={folder.name}")
        wait_for_app(page)
        # (.first: the page is drawn again as each epoch is written, and a CI run found the note on the page twice at
        # one moment of such a redraw: a strict locator failed on it. The test waits for the note, not for one copy.)
        page.get_by_text("the page follows its files").first.wait_for(timeout=30_000)
        assert page.evaluate(STATUS_IS, "running")
        cli.send_signal(signal.SIGINT)   # Ctrl-C: the run ends `stopped`, keeping what it finished
        assert cli.wait(timeout=60) == 0
        page.wait_for_function(STATUS_IS, arg="stopped", timeout=30_000)   # with no click
        page.get_by_text("the page follows its files").first.wait_for(state="detached")   # none left
        page.get_by_text("by request during epoch").first.wait_for()
    finally:
        cli.kill()


def test_a_start_turned_off_by_another_tabs_run_comes_back_when_that_run_ends(page, tmp_path):
    """A second tab whose Start a first tab's run turned off, showing nothing live itself, still said the run
    "has not ended", Start off, after it had (a demo visitors' check): it comes back on by itself. A server of
    one job per visitor, as the hosted demo's default. A tab drawn before the run started, its Start pressed,
    said the run had not ended beside a run view still saying "press Start", with no Stop; and a page of the other
    task said which run, not where it was (a new user's check): the first shows the run, the second links to it."""
    from tests.browser import streamlit_server

    with streamlit_server(tmp_path / "runs", tmp_path / "streamlit.log", PLAYGROUND_JOBS_PER_SESSION="1") as server:
        open_train(page, server.url)
        set_slider(page, "train-settings-epochs", "End")        # 200 epochs: it runs until it is stopped
        set_slider(page, "train-settings-patience", "Home")
        early = page.context.new_page()   # the same visitor, its Train page drawn before the run starts
        open_train(early, server.url)
        page.get_by_role("button", name="Start training").click()
        page.wait_for_function(RUN_IN_URL)
        run_id = page.evaluate(RUN_IN_URL)
        wait_for_points(page)
        after_run(early, early.get_by_role("button", name="Start training").click)   # on still: drawn before
        early.wait_for_function(f"() => new URLSearchParams(location.search).get('run') === {run_id!r}")
        early.get_by_role("button", name="Stop").wait_for()
        early.close()
        other = page.context.new_page()   # the same visitor, on a page of the other task: no live panel there
        other.goto(f"{server.url}/forecast")
        wait_for_app(other)
        start = other.get_by_role("button", name="Train and forecast")
        other.get_by_text("has not ended").first.wait_for(timeout=60_000)
        assert start.is_disabled()
        link = other.get_by_role("link", name=f"Your run {run_id} is running: open it")
        assert link.get_attribute("href").endswith(f"train?run={run_id}"), link.get_attribute("href")
        after_run(page, page.get_by_role("button", name="Stop").click)
        page.wait_for_function(STATUS_IS, arg="stopped", timeout=60_000)
        other.get_by_text("has not ended").first.wait_for(state="detached", timeout=30_000)   # no click there
        assert start.is_enabled()
        other.close()


CUT_METRICS = """() => [...document.querySelectorAll('[data-testid=stMetric]')].filter(m => {
    const parts = [m.querySelector('[data-testid=stMetricValue]'), m.querySelector('[data-testid=stMetricLabel]')];
    return parts.some(p => p && [p, ...p.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1));
}).map(m => m.innerText.replace(/\\s+/g, ' '))"""


def test_a_runs_headline_numbers_are_whole_on_a_small_laptop(app_server, page):
    """At 1,024 x 700, the sidebar open, a run's metrics read "test accu… 23.…" and a board's pick "test … 0.…"
    (a narrow-screen visitor's check): they wrap to the next line rather than being cut."""
    from tests.test_leaderboard import monthly_csv
    from zoo.engine import run_experiment
    from zoo.leaderboard import LeaderboardSpec, run_leaderboard
    from zoo.spec import ExperimentSpec

    run = run_experiment(ExperimentSpec(model="mlp", data="mnist-sample", epochs=1, limit_train=256, device="cpu"),
                         runs_dir=app_server.runs_dir)
    board = run_leaderboard(LeaderboardSpec(data=str(monthly_csv(app_server.runs_dir.parent / "sales.csv")),
                                            horizon=6, budget=0.01), runs_dir=app_server.runs_dir)
    page.set_viewport_size({"width": 1024, "height": 700})
    for address, metric in ((f"/train?run={run.run_id}", "test accuracy"),
                            (f"/forecast?run={board['run_id']}", "validation MASE")):
        page.goto(f"{app_server.url}{address}")
        wait_for_app(page)
        page.locator("[data-testid=stMetric]").filter(has_text=metric).first.wait_for(timeout=60_000)
        assert page.evaluate(CUT_METRICS) == [], address
    # on a phone (375 px) the test images sit four to a row, not one (ui/image_results._grid)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{app_server.url}/train?run={run.run_id}")
    wait_for_app(page)
    page.locator("img[alt^='test image']").nth(31).wait_for(timeout=60_000)
    tops = page.evaluate("""() => [...document.querySelectorAll("img[alt^='test image']")]
        .map(e => Math.round(e.getBoundingClientRect().top))""")
    assert len(tops) == 32 and tops.count(tops[0]) == 4, tops
    page.set_viewport_size({"width": 1024, "height": 700})
    # the form's fields one to a line there, not two of 80 px ("optimize/r", "ada": the same check)
    page.goto(f"{app_server.url}/train")
    wait_for_app(page)
    page.get_by_role("button", name="Start training").wait_for()
    widths = page.evaluate("""() => [...document.querySelectorAll('[data-testid=stSelectbox], [data-testid=stNumberInput]')]
        .map(e => [e.innerText.split('\\n')[0], Math.round(e.getBoundingClientRect().width)])""")
    assert widths and all(width >= 150 for _, width in widths), widths
