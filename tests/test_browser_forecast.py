"""The Forecast page in a real Chromium: upload a CSV, train 2 epochs with the live chart, see the
backtest plot, download the forecast. (Opening a run by its `?run=` URL is covered by AppTest in
tests/test_forecast_page.py.)

Screenshots land in tests/artifacts/forecast-*.png: look at them after a change to the page.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.browser import after_run, enter_text, run_heading, set_slider, slider_value, upload, wait_for_app
from tests.conftest import tall_shot
from zoo.forecast_io import FORECAST_COLUMNS

pytestmark = pytest.mark.browser

ROWS, HORIZON = 400, 24
PLOTTED = """(selector) => { const el = document.querySelector(selector + ' .js-plotly-plot');
    return el && el.data ? el.data.reduce((n, t) => n + ((t.x || []).length), 0) : 0; }"""


def daily_cycle_csv(path: Path) -> pd.Timestamp:
    """400 hourly rows with a daily cycle; returns the last timestamp."""
    rng = np.random.default_rng(1)
    t = np.arange(ROWS)
    dates = pd.date_range("2024-05-01", periods=ROWS, freq="h")
    value = 20 + 5 * np.sin(2 * np.pi * t / 24) + 0.01 * t + rng.normal(0, 0.4, ROWS)
    pd.DataFrame({"timestamp": dates.strftime("%Y-%m-%d %H:%M"), "demand": value.round(3)}).to_csv(path, index=False)
    return dates[-1]


def test_upload_train_two_epochs_backtest_and_download_the_forecast(app_server, page, tmp_path):
    csv_path = tmp_path / "hourly demand.csv"
    last = daily_cycle_csv(csv_path)

    page.goto(f"{app_server.url}/forecast")
    wait_for_app(page)
    after_run(page, page.get_by_text("Upload a CSV").click)
    upload(page, page.locator(".st-key-forecast-upload input[type='file']"), str(csv_path))
    preview = page.locator(".st-key-forecast-preview")
    preview.get_by_text("400 rows").wait_for(timeout=30_000)
    text = preview.inner_text()
    assert "timestamp" in text and "hourly (h)" in text and "demand" in text
    assert f"2024-05-01 00:00 → {last:%Y-%m-%d %H:%M}" in text   # an hourly span keeps its hour at midnight

    # A lookback past its range stays in the box as typed and is refused there, with Start off (Streamlit's
    # own max kept 99999 in the box while the page used the last value inside it).
    lookback = page.locator(".st-key-forecast-lookback input")
    enter_text(page, lookback, "99999")
    page.get_by_test_id("stAlertContentError").get_by_text("lookback 99999 is outside its range [1, 5000]").wait_for()
    assert lookback.input_value() == "99999"
    assert page.get_by_role("button", name="Train and forecast").is_disabled()
    # A thousand as a German visitor writes it: Streamlit's number box read it in the browser as 1 and trained on
    # that, the box showing 1.000 (a German visitor's check); the page's text box says both readings
    enter_text(page, lookback, "1.000")
    page.get_by_test_id("stAlertContentError").get_by_text("lookback '1.000' is 1000 where the dot separates "
                                                           "thousands and 1 where it is a decimal mark").wait_for()
    assert lookback.input_value() == "1.000" and page.get_by_role("button", name="Train and forecast").is_disabled()
    enter_text(page, lookback, "96")
    page.get_by_text("lookback '1.000'").first.wait_for(state="detached")

    page.get_by_text("Training settings", exact=True).click()
    set_slider(page, "forecast-settings-epochs", "Home", "ArrowRight")
    assert slider_value(page, "forecast-settings-epochs") == "2"
    page.get_by_text("2 epochs · batch").wait_for()
    page.get_by_text("That is few steps to fit a model").wait_for()   # 161 windows: 1 step per epoch at batch 256
    tall_shot(page, "forecast-upload-preview")

    page.get_by_role("button", name="Train and forecast").click()
    page.wait_for_url("**/forecast?run=*", timeout=30_000)
    run_id = page.url.split("run=")[1].split("&")[0]
    heading = run_heading(page, run_id)
    heading.wait_for(timeout=30_000)
    # The button sits deep in the set-up column; the run (the live chart and Stop) starts at the top of
    # the view column, scrolled out of sight: the page brings it into view (ui/run_view.show_started).
    expect(heading).to_be_in_viewport(timeout=10_000)
    tall_shot(page, "forecast-live")   # the live panel (or, on a fast machine, already the results)

    # The results replace the live panel when the job ends: the backtest plot has the test windows.
    backtest = ".st-key-forecast-backtest"
    page.wait_for_function(f"() => ({PLOTTED})('{backtest}') > 0", timeout=120_000)
    wait_for_app(page)
    run_dir = app_server.runs_dir / run_id
    result = json.loads((run_dir / "result.json").read_text())
    assert result["status"] == "finished" and result["epochs_run"] == 2, result.get("reason")
    test_windows = result["sizes"]["test"]
    assert page.evaluate(f"({PLOTTED})('{backtest}')") >= 2 * test_windows   # actual and model, at least
    page.locator(".st-key-forecast-beats").get_by_text("naive (last value)").wait_for()
    page.get_by_text("hourly demand.csv").first.wait_for()                     # the upload's own name
    spec = json.loads((run_dir / "spec.json").read_text())
    assert Path(spec["data"]).parent.parent.name == "uploads" and spec["epochs"] == 2
    tall_shot(page, "forecast-results")

    # Download the forecast: it parses, has H rows, increasing hourly dates after the last row, and ordered bounds.
    with page.expect_download() as info:
        page.get_by_role("button", name="forecast.csv").click()
    saved = tmp_path / "downloaded-forecast.csv"
    info.value.save_as(saved)
    forecast = pd.read_csv(saved, parse_dates=["date"])
    assert tuple(forecast.columns) == FORECAST_COLUMNS
    assert len(forecast) == HORIZON
    assert forecast["date"].is_monotonic_increasing and forecast["date"].is_unique
    assert forecast["date"].iloc[0] == last + pd.Timedelta(1, "h")
    assert (forecast["date"].diff().dropna() == pd.Timedelta(1, "h")).all()
    assert np.isfinite(forecast[["forecast", "lower_80", "upper_80"]].to_numpy()).all()
    assert (forecast["lower_80"] <= forecast["forecast"]).all() and (forecast["forecast"] <= forecast["upper_80"]).all()
    # 40 validation rows make 17 windows: enough to calibrate the 80% interval (4), too few for the 95% one
    # (19), which is left empty rather than printed too narrow (zoo/forecast/scores.py).
    assert result["interval_windows"]["validation"] < result["interval_windows"]["needed"]["95"]
    assert forecast[["lower_95", "upper_95"]].isna().all().all()


def test_a_semicolon_files_downloads_are_written_as_that_file(app_server, page, tmp_path):
    """A semicolon CSV with decimal commas (as a spreadsheet set to a comma decimal mark exports it) read well, but
    its forecast.csv came back comma-separated with decimal points: one column of text in that spreadsheet (a
    forecast user's check). The page's CSV downloads are written with the file's separator and decimal mark; the
    run's own files are not changed."""
    from zoo import forecast_io as fio
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    source = tmp_path / "hourly.csv"
    daily_cycle_csv(source)
    table = pd.read_csv(source)
    raw = table.to_csv(sep=";", decimal=",", index=False).encode()
    stored = fio.store_upload(raw, "eu.csv", app_server.runs_dir)
    run = run_experiment(ExperimentSpec(task="series", data=str(stored), model="linear", epochs=1, lookback=48,
                                        horizon=HORIZON, device="cpu"), runs_dir=app_server.runs_dir)
    page.goto(f"{app_server.url}/forecast?run={run.run_id}")
    wait_for_app(page)
    button = page.get_by_role("button", name="forecast.csv")
    button.wait_for(timeout=60_000)
    with page.expect_download() as info:
        button.click()
    saved = tmp_path / "downloaded.csv"
    info.value.save_as(saved)
    text = saved.read_text()
    assert text.splitlines()[0] == ";".join(FORECAST_COLUMNS), text[:200]
    theirs = pd.read_csv(saved, sep=";", decimal=",")
    ours = pd.read_csv(run.run_dir / "forecast.csv")   # the run directory's own, as the run wrote it
    assert "," in text.splitlines()[1] and "." not in text.splitlines()[1].split(";", 1)[1]
    pd.testing.assert_frame_equal(theirs, ours)
