"""The Forecast page under AppTest (one script run per `.run()`), and its helpers in zoo/forecast_io.py.

The page with the bundled sample; every file of the CSV corpus through the page's real upload path
(`st.file_uploader`, which this Streamlit's AppTest drives): each previews cleanly or shows exactly
one one-sentence error, never an exception; a finished series run's results read back by `?run=`.
Live training is driven in a real browser (tests/test_browser_forecast.py).
"""
from __future__ import annotations

import io
import json
import math
import re
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.number_boxes import number_box
from zoo import forecast_io as fio
from zoo.data.series import read_series, suggest_windows
from zoo.registry import SpecError

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
CORPUS = ROOT / "tests" / "csv_corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def hourly_csv(rows: int = 300, seed: int = 0) -> bytes:
    """A small hourly series with a daily cycle (and a second column)."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    dates = pd.date_range("2024-03-01", periods=rows, freq="h")
    load = 50 + 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, rows)
    temp = 15 + 5 * np.sin(2 * np.pi * (t - 6) / 24) + rng.normal(0, 0.5, rows)
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d %H:%M:%S"), "temp": temp.round(3), "load": load.round(3)})
    return frame.to_csv(index=False).encode()


def new_app(query: dict | None = None) -> AppTest:
    """The Forecast page inside app.py's st.navigation (so its page links resolve), before its first run."""
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py")
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at


def texts(at, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def all_text(at) -> str:
    return "\n".join(texts(at, "markdown") + texts(at, "caption") + texts(at, "info") + texts(at, "error")
                     + texts(at, "warning") + texts(at, "success"))


def start_button(at):
    found = [b for b in at.button if b.key == "forecast-start"]
    return found[0] if found else None


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert "Traceback" not in all_text(at)


# ---------------------------------------------------------------------------------------------
# the page


def test_page_renders_the_bundled_sample_with_its_licence(runs_dir):
    at = new_app().run()
    assert_clean(at)
    assert not at.error, texts(at, "error")
    shown = all_text(at)
    assert "17,420 rows" in shown and "date column `date`" in shown and "hourly (h)" in shown   # names as code
    assert "2016-07-01 00:00 → 2018-06-26 19:00" in shown   # one format, its hours, no seconds (a review)
    assert "target `OT`" in shown
    assert "CC BY-ND 4.0" in shown and "Zhou" in shown
    # Defaults that train fast: linear, lookback 96, horizon 24, 3 epochs, and the windows they make.
    assert at.selectbox(key="forecast-model").value == "linear"
    assert number_box(at, key="forecast-lookback").value == 96
    assert number_box(at, key="forecast-horizon").value == 24
    assert at.session_state["forecast-settings-epochs"] == 3
    assert "12,075** train" in shown and "scaler is fitted on the 12,194 training rows only" in shown
    assert "Seasonal period: **24** (detected)" in shown
    assert "3 epochs · batch 256" in shown and "144 optimisation steps (48 per epoch)" in shown
    assert start_button(at) is not None and not start_button(at).disabled
    assert at.get("plotly_chart"), "the preview chart is drawn"
    target = next(s for s in at.selectbox if s.key.startswith("forecast-target-"))
    date = next(s for s in at.selectbox if s.key.startswith("forecast-date-"))
    # the reader's own target once, as the default ("OT (default)" and "OT" again read as a column twice)
    assert target.options == ["OT (default)", "HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL"]
    assert date.options[0] == "date (detected)" and "date" not in date.options   # named once, as the target

    # Multivariate: every numeric column is an input channel of the model.
    at.radio(key="forecast-features").set_value("all").run()
    assert_clean(at)
    assert "input (batch, 96 x 7) → output **(batch, 24)**" in all_text(at)

    # The ETT protocol on the sample; then settings too long for the split: one clear error, Start disabled.
    at.selectbox(key="forecast-split").set_value("ett").run()
    assert_clean(at)
    assert "8,521** train" in all_text(at) and "not in any split" in all_text(at) and not at.error
    at.selectbox(key="forecast-split").set_value("custom").run()
    at.text_input(key="forecast-split-custom").set_value("0.9,0.05,0.05").run()
    number_box(at, key="forecast-horizon").set_value(1000).run()
    assert_clean(at)
    assert len(at.error) == 1, texts(at, "error")
    assert "validation split has 871 rows" in at.error[0].value and "use a horizon of at most 871," in at.error[0].value
    assert start_button(at).disabled
    at.text_input(key="forecast-split-custom").set_value("90/5").run()
    assert len(at.error) == 1 and "is not three shares" in at.error[0].value


def test_every_corpus_file_previews_or_shows_one_clear_error_through_the_uploader(runs_dir):
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.session_state["forecast-lookback"] = 8   # the corpus's files are short (as in test_series_data)
    at.session_state["forecast-horizon"] = 4
    at.session_state["forecast-lookback-set"] = at.session_state["forecast-horizon-set"] = True   # the person's

    at.run()
    assert_clean(at)
    outcomes = {}
    for name in sorted(EXPECTED):
        # typed for each file: what the person set for a file of another step is let go (fit_to_series)
        at.session_state["forecast-lookback"], at.session_state["forecast-horizon"] = "8", "4"   # as typed (a text box)
        at.session_state["forecast-lookback-set"] = at.session_state["forecast-horizon-set"] = True
        at.file_uploader(key="forecast-upload").set_value((name, (CORPUS / name).read_bytes(), "text/csv"))
        at.run()
        assert_clean(at)
        errors = texts(at, "error")
        button = start_button(at)
        if EXPECTED[name] == "ok":
            assert not errors, f"{name}: {errors}"
            assert "rows** · date column" in all_text(at), f"{name}: no preview"
            assert button is not None and not button.disabled, name
        else:
            assert len(errors) == 1, f"{name}: {errors}"
            message = errors[0]
            assert "\n" not in message and len(message) < 400, message
            assert button is None or button.disabled, name
        outcomes[name] = "ok" if not errors else "error"
    assert outcomes == EXPECTED


def test_find_the_best_model_is_blocked_only_by_what_the_board_uses(runs_dir):
    """The board chooses its own lookback and split, so the page's window settings for one model do not
    block it; its horizon does, with the reason beside the button. 119 quarters (woolyrnq): the default
    lookback 96 and horizon 24 are too long for both; horizon 4 with lookback 96 still too long to
    train one model, but a board runs."""
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(
        ("woolyrnq.csv", (ROOT / "bench" / "data" / "woolyrnq_quarterly.csv").read_bytes(), "text/csv")).run()
    assert_clean(at)

    def find():
        return next(b for b in at.button if b.key == "forecast-board-start")

    def why() -> str:
        return "\n".join(c.value for c in at.caption if c.value.startswith(":material/block: Not possible here"))

    number_box(at, key="forecast-lookback").set_value(96).run()   # the person's own (the sample's defaults)
    number_box(at, key="forecast-horizon").set_value(24).run()
    assert start_button(at).disabled and find().disabled
    assert "too few for a leaderboard with horizon 24" in why() and "use a horizon of at most" in why()
    # The page's suggestion is offered beside it, set only by a press, and fits one model's windows and the
    # board alike: a board-only horizon left one model's Start off.
    suggested = suggest_windows(fio.read_upload((ROOT / "bench" / "data" / "woolyrnq_quarterly.csv").read_bytes(),
                                                "woolyrnq.csv"))
    assert at.button(key="forecast-board-usual-horizon").label == (
        f"Use lookback {suggested['lookback']}, horizon {suggested['horizon']}, as suggested above")
    at.button(key="forecast-board-usual-horizon").click().run()
    assert (number_box(at, key="forecast-lookback").value, number_box(at, key="forecast-horizon").value) == (
        suggested["lookback"], suggested["horizon"])
    assert not find().disabled and not why() and not start_button(at).disabled
    number_box(at, key="forecast-lookback").set_value(96).run()
    assert len(at.error) == 1 and "lookback 96" in at.error[0].value   # one model: too long
    assert start_button(at).disabled and not find().disabled and not why()
    # A horizon or season out of its range turns it off too: horizon 0 started a board of the frequency's
    # usual horizon, which the person never set (a forecast user's check).
    number_box(at, key="forecast-horizon").set_value(0).run()
    assert find().disabled and "horizon 0 is outside its range [1, 1000]" in why()
    number_box(at, key="forecast-horizon").set_value(4).run()
    number_box(at, key="forecast-season").set_value(-3).run()
    assert find().disabled and "season -3 must be at least 0" in why()
    # A season too long for the rows is named as the cause, not the horizon, which it was.
    number_box(at, key="forecast-season").set_value(40).run()
    assert find().disabled and "too few for a leaderboard with season 40" in why()
    assert "set a season shorter than 40 (1 for none), or use a longer series" in why() and "horizon" not in why()
    number_box(at, key="forecast-season").set_value(0).run()
    assert not find().disabled and not why()


def test_the_model_line_waits_for_the_data_when_every_column_is_an_input(runs_dir):
    """With every column as input and no file read (an upload's settings kept by a reload, its file not),
    the model line said "input (batch, 96 x 1)": a guess. It waits for the data, and says why; with the
    target alone the count is known without it."""
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.radio(key="forecast-features").set_value("all").run()
    assert "input (batch" not in all_text(at) and "each of its columns is an input" in all_text(at)
    # Find the best model is off too, and says why beside it (a new visitor saw it grey with no reason)
    assert at.button(key="forecast-board-start").disabled
    assert ":material/block: Not possible here: read a series first: the bundled sample, an earlier upload" in \
        all_text(at)
    at.file_uploader(key="forecast-upload").set_value(
        ("clean.csv", (CORPUS / "clean.csv").read_bytes(), "text/csv")).run()
    lookback = number_box(at, key="forecast-lookback").value   # the series' own (fit_to_series)
    assert f"input (batch, {lookback} x 2)" in all_text(at) and "each of its columns is an input" not in all_text(at)
    # a file of one numeric column: "all" is the target alone, and the page says so (a visitor wondered)
    at.file_uploader(key="forecast-upload").set_value(
        ("wineind.csv", (ROOT / "bench" / "data" / "wineind_monthly.csv").read_bytes(), "text/csv")).run()
    number_box(at, key="forecast-lookback").set_value(24).run()
    number_box(at, key="forecast-horizon").set_value(12).run()
    assert "input (batch, 24 x 1)" in all_text(at) and "the target alone here" in all_text(at)
    at.file_uploader(key="forecast-upload").set_value(None).run()
    at.radio(key="forecast-features").set_value("target").run()
    assert "input (batch, 24 x 1)" in all_text(at) and "the target alone here" not in all_text(at)


def test_a_constant_target_can_be_swapped_for_another_column(runs_dir):
    """The default target passes over a constant column after the values (zoo/data/series/read.py); one chosen is
    refused, naming another to choose, and the default chosen back runs."""
    import numpy as np
    import pandas as pd

    from ui.series_source import AUTO

    hours = pd.date_range("2023-01-02", periods=200, freq="h")
    frame = pd.DataFrame({"date": hours.strftime("%Y-%m-%d %H:%M"), "load": 50 + 5 * np.sin(np.arange(200) / 4),
                          "temp": 7.5})
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(
        ("constant temp.csv", frame.to_csv(index=False).encode(), "text/csv")).run()
    assert_clean(at)
    assert not at.error and "target `load`" in all_text(at)
    target = next(s for s in at.selectbox if s.key.startswith("forecast-target-"))
    target.set_value("temp").run()
    assert len(at.error) == 1
    assert "'temp' is constant" in at.error[0].value and "choose another target" in at.error[0].value
    target = next(s for s in at.selectbox if s.key.startswith("forecast-target-"))
    target.set_value(AUTO).run()   # "load (default)"
    assert_clean(at)
    assert not at.error and "target `load`" in all_text(at)
    assert not start_button(at).disabled


def test_the_target_list_offers_only_the_columns_read_as_numbers(runs_dir):
    """'weather', a text column the reader dropped (and said so), was offered as a target, then refused with
    "choose one of 'temperature', 'visitors'" (a forecast user's check)."""
    import pandas as pd

    dates = pd.date_range("2024-01-01", periods=120, freq="D")
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "temperature": [float(i % 10) for i in range(120)],
                          "weather": ["sunny" if i % 3 else "rain" for i in range(120)],
                          "visitors": [float(i % 7 + i) for i in range(120)]})
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(("mixed.csv", frame.to_csv(index=False).encode(),
                                                       "text/csv")).run()
    assert_clean(at)
    assert r"Non-numeric column\(s\) 'weather' were dropped" in all_text(at)   # Markdown-escaped brackets
    target = next(s for s in at.selectbox if s.key.startswith("forecast-target-"))
    assert "weather" not in target.options and "temperature" in target.options, target.options
    target.set_value("temperature").run()
    assert_clean(at)
    assert not at.error and "target `temperature`" in all_text(at)


def test_a_file_name_in_messages_is_the_uploaded_name(runs_dir):
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(("my sales.csv", b"", "text/csv")).run()
    assert_clean(at)
    assert len(at.error) == 1 and at.error[0].value.startswith("my sales.csv is empty")


def test_bad_run_ids_in_the_url_are_refused_plainly(runs_dir):
    at = new_app({"run": "../../etc"}).run()
    assert_clean(at)
    assert any("`../../etc` is not a run id" in e for e in texts(at, "error"))
    at = new_app({"run": "20990101-000000-linear-000000"}).run()
    assert_clean(at)
    assert any("There is no run" in e for e in texts(at, "error"))


def test_an_image_run_is_sent_to_the_train_page(runs_dir):
    from zoo.spec import ExperimentSpec

    (runs_dir / "20990101-000000-cnn-abcdef").mkdir(parents=True)
    (runs_dir / "20990101-000000-cnn-abcdef" / "spec.json").write_text(ExperimentSpec().to_json())
    at = new_app({"run": "20990101-000000-cnn-abcdef"}).run()
    assert_clean(at)
    assert any("is an image classification run: it is shown on its own page" in i for i in texts(at, "info"))


def test_a_failed_series_run_shows_why_and_what_is_missing(runs_dir):
    from zoo.spec import ExperimentSpec

    run = runs_dir / "20990101-000000-linear-fa11ed"
    run.mkdir(parents=True)
    (run / "spec.json").write_text(ExperimentSpec(task="series", data="ETTh1", model="linear").to_json())
    (run / "result.json").write_text(json.dumps({"status": "failed", "reason": "RuntimeError: out of memory"}))
    (run / "metrics.csv").write_text("epoch,train_loss,val_loss,val_metric,lr,seconds,samples_per_s\n")
    at = new_app({"run": run.name}).run()
    assert_clean(at)
    assert any("out of memory" in e for e in texts(at, "error"))
    assert "no checkpoint was written" in all_text(at)
    assert not at.get("plotly_chart") or all(c.key != f"forecast-backtest-{run.name}"
                                             for c in at.get("plotly_chart"))


@pytest.fixture
def finished_run(runs_dir):
    """A real series run (1 epoch, in-process) trained on an upload stored as the page stores it."""
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    path = fio.store_upload(hourly_csv(), "shop load.csv", runs_dir)
    spec = ExperimentSpec(task="series", data=str(path), model="linear", lookback=48, horizon=12, epochs=1,
                          batch_size=64, device="cpu")
    result = run_experiment(spec, runs_dir=runs_dir)
    return runs_dir / result.run_id


def test_a_finished_run_shows_metrics_beats_backtest_forecast_and_downloads(finished_run):
    run_id = finished_run.name
    at = new_app({"run": run_id}).run()
    assert_clean(at)
    shown = all_text(at)
    assert f"Run `{run_id}`" in shown
    assert "shop load.csv" in shown                          # the upload's own name, not its hash
    result = json.loads((finished_run / "result.json").read_text())
    for name, won in result["beats"].items():
        verdict = "beats" if won else ("ties with", "does not beat")   # a tie: within report.TIE
        assert any(f"**{v} {fio.baseline_label(name, result['season'])}" in shown for v in
                   ((verdict,) if won else verdict)), name
    coverage = {m.label: m.value for m in at.metric if m.label.endswith("% coverage")}
    assert coverage == {f"{lv}% coverage": f"{result['coverage'][str(lv)]:.1%}" for lv in (80, 95)}
    table = next(d.value for d in at.dataframe if "model" in list(d.value.columns))
    # every baseline, the strongest (lowest test RMSE) beside the model: on a narrow screen the table scrolls sideways,
    # and the one that beat the model had been the column out of sight (a small-screen check)
    rmse = {name: values["rmse"] for name, values in result["baselines"].items()}
    from ui.series_results import SHORT_BASELINES

    assert list(table.columns) == ["model"] + [SHORT_BASELINES[n] for n in sorted(rmse, key=rmse.get)]
    assert sorted(rmse, key=rmse.get) != list(rmse), "a fixture whose order tells the sort from the stored order"
    assert list(table.index) == list(fio.METRIC_LABELS.values())
    charts = at.get("plotly_chart")
    assert len(charts) >= 3, "backtest, error by step and forecast"
    ahead = next(d for d in at.dataframe if "forecast" in list(d.value.columns))
    config = json.loads(ahead.proto.columns)   # hourly: the hour shown, no seconds; a missing value a dash
    assert config["date"]["type_config"] == {"type": "datetime", "format": "YYYY-MM-DD HH:mm"}, config["date"]
    assert ahead.proto.placeholder == "—"
    labels = {b.label for b in at.download_button}
    assert {"forecast.csv", "backtest.csv", "best.pt", "spec.json", "whole run (.zip)"} <= labels
    assert "python -m zoo train \\\n  --data " in "\n".join(c.value for c in at.code)

    # Another horizon step and a baseline: still clean.
    at.slider(key=f"forecast-step-{run_id}").set_value(12).run()
    assert_clean(at)
    assert "made 12 steps before" in all_text(at)

    # "Train again" fills the form from the run and re-opens its stored upload (over other training settings set
    # on the page before: those the hand-over's recipe is compared with must be the run's)
    at.session_state["forecast-settings-epochs"] = 40
    next(b for b in at.button if b.key == "forecast-again").click().run()
    assert_clean(at)
    assert "run" not in at.query_params
    assert at.radio(key="forecast-source").value == "stored"
    assert number_box(at, key="forecast-lookback").value == 48
    assert number_box(at, key="forecast-horizon").value == 12
    assert at.session_state["forecast-settings-epochs"] == 1
    assert "300 rows** · date column `date`" in all_text(at) and not at.error
    # The run's recipe is kept for its data; on other data, what the person did not change follows the page's
    # recipe again, said once (a small series' 200 epochs of batch 32 stayed on for ETTh1: a forecast user's check)
    at.slider(key="forecast-settings-patience").set_value(7).run()   # changed by the person: theirs
    at.radio(key="forecast-source").set_value("sample").run()
    assert_clean(at)
    assert at.session_state["forecast-settings-epochs"] == 3 and at.session_state["forecast-settings-batch_size"] == 256
    assert at.session_state["forecast-settings-patience"] == 7
    assert any(w.value.startswith("The training settings filled in from a run were for its series") for w in at.warning)
    at.run()
    assert not any("filled in from a run" in w.value for w in at.warning)   # said once


def test_a_runs_recipe_handed_over_follows_the_page_on_data_the_page_had_fitted_before(finished_run):
    """The page fitted its recipe to the sample, then "Train again" on a run of an upload, then the sample again: the
    fit's memory (the same data, model and windows as before) kept the run's epochs and batch on the sample, and
    the caption called them the leaderboard's recipe (a review's check of the hand-over)."""
    at = new_app().run()
    assert_clean(at)
    assert (at.session_state["forecast-settings-epochs"], at.session_state["forecast-settings-batch_size"]) == (3, 256)
    at.query_params["run"] = finished_run.name
    at.run()
    next(b for b in at.button if b.key == "forecast-again").click().run()
    assert_clean(at)
    assert (at.session_state["forecast-settings-epochs"], at.session_state["forecast-settings-batch_size"]) == (1, 64)
    assert not any("filled in from a run" in w.value for w in at.warning)   # its own data: kept, no word
    at.radio(key="forecast-source").set_value("sample").run()
    assert_clean(at)
    assert (at.session_state["forecast-settings-epochs"], at.session_state["forecast-settings-batch_size"]) == (3, 256)
    assert any(w.value.startswith("The training settings filled in from a run were for its series") for w in at.warning)
    assert not any(c.value.startswith("The leaderboard's recipe") for c in at.caption)


def test_training_settings_the_person_set_stay_theirs_after_train_again(runs_dir):
    """Three epochs set by hand, the rest the page's recipe: after Train again, the next file made them the
    recipe's 200, unsaid (a forecast user's check). A run's spec says which the page had fitted (training_fitted);
    those the person set stay theirs, the fitted ones follow the new file. A spec that does not say: all follow."""
    from ui.prefill import PREFILL
    from zoo.spec import ExperimentSpec

    def handed(training_fitted):
        spec = ExperimentSpec(task="series", data="ETTh1", model="linear", epochs=3, batch_size=64, lookback=96,
                              horizon=24, training_fitted=training_fitted).to_dict()
        at = new_app()
        at.session_state[PREFILL] = spec
        at.run()
        assert (at.session_state["forecast-settings-epochs"], at.session_state["forecast-settings-batch_size"]) \
            == (3, 64)
        at.session_state["forecast-source"] = "upload"
        at.run()
        at.file_uploader(key="forecast-upload").set_value(("sales.csv", monthly_csv(120), "text/csv")).run()
        assert_clean(at)
        return at.session_state["forecast-settings-epochs"], at.session_state["forecast-settings-batch_size"]

    epochs, batch = handed(["batch_size", "patience", "lr", "schedule"])
    assert epochs == 3 and batch != 64   # the person's epochs; the recipe's batch for 120 monthly rows
    assert handed(None) == (200, batch)   # a run that does not say: every one follows (as before the field)

    # what Start records: here the recipe's values, the epochs changed by the person
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(("sales.csv", monthly_csv(120), "text/csv")).run()
    at.slider(key="forecast-settings-epochs").set_value(4).run()
    start_button(at).click().run()
    assert_clean(at)
    from ui.state import job_manager

    job = job_manager().get(at.query_params["run"])
    try:
        spec = job.payload["spec"]   # what the worker is given, and writes as the run's spec.json
    finally:
        job_manager().stop(job.id)
        job_manager().wait(job.id, timeout=60)   # a state, not a count: the job has ended
    assert spec["epochs"] == 4 and spec["training_fitted"] == ["batch_size", "patience", "lr", "schedule"]


def test_the_samples_widget_keys_hold_no_server_path(runs_dir):
    """The sample's key holds its path: its widgets' keys took its first 12 characters, and "sample:/tmp/" showed in
    an element's class on the hosted demo (a demo visitor's check: no page shows a server path)."""
    at = new_app().run()
    assert_clean(at)
    keys = [w.key for w in (*at.selectbox, *at.radio, *at.text_input) if w.key]
    assert "forecast-target-sample" in keys and not any("/" in key for key in keys), keys


def test_a_backtest_of_more_windows_than_its_file_keeps_says_so(runs_dir):
    """ETTh1 at the defaults has 3,461 test windows and backtest.csv keeps 2,000 evenly spaced: the
    caption said "2,000 test windows" beside the page's "3,461 test"."""
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    result = run_experiment(ExperimentSpec(task="series", data="ETTh1", model="linear", epochs=1, device="cpu"),
                            runs_dir=runs_dir)
    total = json.loads((runs_dir / result.run_id / "result.json").read_text())["sizes"]["test"]
    assert total > 2000
    at = new_app({"run": result.run_id}).run()
    assert_clean(at)
    assert any(f"2,000 of the {total:,} test windows, evenly spaced" in c and "use every one" in c
               for c in texts(at, "caption"))


def test_a_run_with_too_few_validation_windows_shows_no_interval(runs_dir):
    """Three validation windows cannot calibrate an 80% or a 95% interval: the run view shows none
    (no coverage, no band, empty bounds) and says why, instead of a narrow band under those names."""
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    path = fio.store_upload(hourly_csv(), "shop load.csv", runs_dir)
    spec = ExperimentSpec(task="series", data=str(path), model="linear", lookback=48, horizon=28, epochs=1,
                          device="cpu")
    run_dir = runs_dir / run_experiment(spec, runs_dir=runs_dir).run_id
    result = json.loads((run_dir / "result.json").read_text())
    assert result["coverage"] == {"80": None, "95": None} and result["interval_windows"]["validation"] == 3
    at = new_app({"run": run_dir.name}).run()
    assert_clean(at)
    coverage = {m.label: m.value for m in at.metric if m.label.endswith("% coverage")}
    assert coverage == {"80% coverage": "—", "95% coverage": "—"}
    assert "80% interval is left out" in all_text(at) and "at least 4 validation windows" in all_text(at)
    from zoo.runs import load_run

    forecast = load_run(run_dir).table("forecast")
    assert forecast["forecast"].notna().all() and forecast[["lower_80", "upper_95"]].isna().all().all()


def test_a_run_on_a_series_without_dates_forecasts_plain_steps(runs_dir):
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    path = fio.store_upload((CORPUS / "no_date_column.csv").read_bytes(), "no_date_column.csv", runs_dir)
    spec = ExperimentSpec(task="series", data=str(path), model="linear", lookback=8, horizon=4, epochs=1,
                          device="cpu")
    run_dir = runs_dir / run_experiment(spec, runs_dir=runs_dir).run_id
    at = new_app({"run": run_dir.name}).run()
    assert_clean(at)
    assert not at.error and len(at.get("plotly_chart")) >= 3
    ahead = next(d for d in at.dataframe if "forecast" in list(d.value.columns))
    assert "date" not in json.loads(ahead.proto.columns)   # step numbers, not read as dates
    from zoo.runs import load_run

    forecast = load_run(run_dir).table("forecast")
    rows = len(read_series(path))
    assert forecast["date"].tolist() == list(range(rows, rows + 4))


# ---------------------------------------------------------------------------------------------
# zoo/forecast_io.py


def test_store_upload_keeps_bytes_once_and_the_original_name(tmp_path):
    raw = hourly_csv(50)
    first = fio.store_upload(raw, "Umsatz März.csv", tmp_path, owner="visitor-a")
    again = fio.store_upload(raw, "Umsatz März.csv", tmp_path, owner="visitor-a")
    assert first == again == tmp_path / "uploads" / "visitor-a" / f"{fio.upload_key(raw)}.csv"
    assert first.read_bytes() == raw
    assert fio.display_name(str(first), tmp_path) == "Umsatz März.csv"
    assert fio.display_name("ETTh1") == "ETTh1 (bundled sample)"
    assert fio.stored_upload(str(first), tmp_path) == first.resolve()
    assert fio.stored_upload(str(first), tmp_path, owner="visitor-a") == first.resolve()
    assert fio.stored_upload(str(first), tmp_path, owner="visitor-b") is None, "another visitor's upload"
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes(raw)
    assert fio.stored_upload(str(outside), tmp_path) is None
    assert fio.stored_upload(str(tmp_path / "uploads" / ".." / "elsewhere.csv"), tmp_path) is None
    assert not [p for p in (tmp_path / "uploads").rglob("*") if p.name.endswith(".tmp")]
    with pytest.raises(SpecError, match="over the upload limit"):
        fio.store_upload(b"x" * (fio.MAX_UPLOAD_BYTES + 1), "big.csv", tmp_path)


def test_stored_uploads_list_a_visitors_files_the_last_used_first(tmp_path):
    import os

    a = fio.store_upload(hourly_csv(50), "a.csv", tmp_path, owner="visitor-a")
    b = fio.store_upload(hourly_csv(60), "b.csv", tmp_path, owner="visitor-a")
    other = fio.store_upload(hourly_csv(70), "theirs.csv", tmp_path, owner="visitor-b")
    for path, when in ((a, 1_000), (b, 2_000), (other, 3_000)):
        os.utime(path, (when, when))
    assert [e["name"] for e in fio.stored_uploads(tmp_path, "visitor-a")] == ["b.csv", "a.csv"]
    assert [e["name"] for e in fio.stored_uploads(tmp_path)] == ["theirs.csv", "b.csv", "a.csv"], "locally: all"
    assert [e["name"] for e in fio.stored_uploads(tmp_path, limit=1)] == ["theirs.csv"]
    # Used again, by a run from the earlier upload (mark_used) or the same bytes uploaded again: first, and
    # young again for the demo's sweep, which deletes by modification time.
    fio.mark_used(a)
    assert [e["name"] for e in fio.stored_uploads(tmp_path, "visitor-a")] == ["a.csv", "b.csv"]
    assert a.stat().st_mtime > 2_000 and a.with_suffix(".json").stat().st_mtime > 2_000
    os.utime(a, (1_000, 1_000))
    fio.store_upload(hourly_csv(50), "a.csv", tmp_path, owner="visitor-a")
    assert a.stat().st_mtime > 2_000
    listed = fio.stored_uploads(tmp_path, "visitor-a")[0]
    assert listed["path"] == str(a) and listed["bytes"] == len(hourly_csv(50)) and listed["key"] == a.stem
    a.with_suffix(".json").write_text('{"bytes": "x"}')   # a sidecar spoilt: still listed, by its file name
    assert fio.stored_uploads(tmp_path, "visitor-a")[0]["name"] == a.name
    assert fio.stored_uploads(tmp_path, "nobody") == [] and fio.stored_uploads(tmp_path / "missing") == []
    # Locally every visitor's folder is listed: the same bytes kept for two of them are one entry (a browser
    # check saw two identical lines).
    fio.store_upload(hourly_csv(60), "b.csv", tmp_path, owner="visitor-b")
    assert [e["name"] for e in fio.stored_uploads(tmp_path)].count("b.csv") == 1


@pytest.mark.parametrize("name", [n for n, e in sorted(EXPECTED.items()) if e == "ok"])
def test_header_columns_name_every_column_the_reader_keeps(name):
    raw = (CORPUS / name).read_bytes()
    sf = read_series(raw)
    columns = fio.header_columns(raw, name)
    assert [c for c in [sf.date_col, *sf.columns] if c and c not in columns] == []


def test_header_columns_of_a_long_file_and_of_files_without_columns():
    from zoo.data.series import sample_series_path

    assert fio.header_columns(sample_series_path().read_bytes()) == ["date", "HUFL", "HULL", "MUFL", "MULL", "LUFL",
                                                                     "LULL", "OT"]
    for name in ("empty.csv", "binary.csv", "html_page.csv", "zip_xlsx_renamed.csv"):
        assert fio.header_columns((CORPUS / name).read_bytes(), name) == []


def test_reading_an_upload_names_the_file_and_applies_the_caps():
    with pytest.raises(SpecError, match="^weird.csv is a PNG image"):
        fio.read_upload((CORPUS / "png_renamed.csv").read_bytes(), "weird.csv")
    with pytest.raises(SpecError, match="over the limit"):
        fio.read_upload(b"date,value\n" * (fio.MAX_UPLOAD_BYTES // 11 + 1), "huge.csv")
    sf = fio.read_upload(hourly_csv(40), "x.csv", target="temp")
    assert sf.target == "temp" and sf.freq == "h"


def test_check_windows_reports_sizes_bounds_and_the_season():
    sf = fio.read_upload(hourly_csv(300), "x.csv")
    check = fio.check_windows(sf, 48, 12)
    assert check["rows"] == (210, 240, 300)
    assert check["sizes"] == {"train": 210 - 48 - 12 + 1, "val": 30 - 12 + 1, "test": 60 - 12 + 1}
    assert check["bounds"]["test"] == sf.frame.index[240]
    assert check["season"] == 24 and not check["season_set"]
    assert fio.check_windows(sf, 48, 12, season=12)["season"] == 12
    with pytest.raises(SpecError, match="validation split"):
        fio.check_windows(sf, 48, 48)


def test_a_season_detected_in_yearly_rows_is_said_to_be_left_out_by_the_board():
    """lynx (yearly): the page's check said "Seasonal period: 10 (detected)" beside a board's "period 1" and its note
    "set --season to use one", a flag the page has no box for (a forecast user's check). The check says the board
    ranks yearly data without it; the board's note names the season, as both the page and the command line set it."""
    from zoo.data.series import read_series
    from zoo.leaderboard.plan import make_plan

    sf = read_series(str(Path(__file__).resolve().parent.parent / "bench" / "data" / "lynx_yearly.csv"))
    check = fio.check_windows(sf, 20, 6)
    assert check["season"] == 10 and check["board_without_season"]
    assert not fio.check_windows(sf, 20, 6, season=10)["board_without_season"]
    assert not fio.check_windows(fio.read_upload(hourly_csv(300), "x.csv"), 48, 12)["board_without_season"]
    plan = make_plan(sf.frame[sf.target].to_numpy(float), sf.freq, horizon=6)
    assert plan.period == 1
    assert "yearly data: no seasonal period, as in the M4 competition (set the season to use one)." in plan.notes


@pytest.mark.parametrize("key, value, words", [
    ("forecast-lookback", 99999, "lookback 99999 is outside its range [1, 5000]"),
    ("forecast-lookback", 0, "lookback 0 is outside its range [1, 5000]"),
    ("forecast-horizon", -1, "horizon -1 is outside its range [1, 1000]"),
    ("forecast-season", -3, "season -3 must be at least 0"),
    # a German visitor's numbers: Streamlit's number box had read "1.000" as 1 and "1,5" as 15 in the browser
    ("forecast-lookback", "1.000", "lookback '1.000' is 1000 where the dot separates thousands and 1 where it is a "
                                   "decimal mark; write the whole number without it (1000 or 1)."),
    ("forecast-horizon", "1,5", "horizon '1,5' is not a whole number; give a whole number such as 24."),
    ("forecast-season", "12.5", "season '12.5' is not a whole number"),
])
def test_a_window_setting_out_of_range_is_kept_as_typed_with_start_off(key, value, words, runs_dir):
    """The boxes have no min or max: Streamlit's box kept showing 99999 while the page trained with the
    last value inside its range (a new user's check). The value typed is the value used, and the spec's
    range refuses it here, in the field's own words."""
    at = new_app().run()
    number_box(at, key=key).set_value(value).run()
    assert_clean(at)
    assert number_box(at, key=key).box.value == str(value)   # as typed
    assert len(at.error) == 1 and words in at.error[0].value, texts(at, "error")
    assert start_button(at).disabled
    # the board's check says a horizon's or season's too (the lookback is one model's: a board chooses its own)
    assert at.button(key="forecast-board-start").disabled == (key != "forecast-lookback")


def test_every_window_box_typed_wrong_is_said_at_once(runs_dir):
    """Three boxes typed wrong had shown the lookback's message alone, the next one's only once it was mended (a
    German visitor's check)."""
    at = new_app().run()
    for key, text in (("forecast-lookback", "1.000"), ("forecast-horizon", "abc"), ("forecast-season", "2,5")):
        number_box(at, key=key).set_value(text).run()
    assert_clean(at)
    assert [e.value for e in at.error] == [
        "lookback '1.000' is 1000 where the dot separates thousands and 1 where it is a decimal mark; write the whole "
        "number without it (1000 or 1). horizon 'abc' is not a whole number; give a whole number such as 24. season "
        "'2,5' is not a whole number; give a whole number such as 0."]
    assert start_button(at).disabled and at.button(key="forecast-board-start").disabled


def monthly_csv(rows: int) -> bytes:
    """Monthly sales with a clear yearly cycle."""
    rng = np.random.default_rng(3)
    t = np.arange(rows)
    sales = 100 + 20 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, rows)
    dates = pd.date_range("2020-01-01", periods=rows, freq="MS").strftime("%Y-%m-%d")
    return pd.DataFrame({"month": dates, "sales": sales.round(2)}).to_csv(index=False).encode()


def uploaded_with_windows(raw: bytes, lookback: int, horizon: int) -> AppTest:
    """The Forecast page with `raw` uploaded as sales.csv and these windows set, drawn without an exception."""
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(("sales.csv", raw, "text/csv")).run()
    number_box(at, key="forecast-lookback").set_value(lookback).run()
    number_box(at, key="forecast-horizon").set_value(horizon).run()
    assert_clean(at)
    return at


def test_a_usual_season_without_enough_evidence_is_named_with_what_to_set(runs_dir):
    """A forecast user's 60 months (42 in training: enough cycles) with a yearly wave under a trend and noise
    read "Seasonal period: 1 (none detected)" and nothing more; the baselines then ran with period 1. Such a
    wave (150 over noise of 30) is now detected (zoo/forecast/baselines._evidence's view after a line); one of
    60, as deep as the noise's spread, is not, and the caption names the usual season and the Season value to
    set. (The leaderboard's benchmarks give each series its season: detection does not move them.)"""
    def months_of(wave: float) -> bytes:
        rng = np.random.default_rng(3)
        t = np.arange(60)
        sales = 1000 + 5 * t + wave * np.sin(2 * np.pi * t / 12) + rng.normal(0, 30, 60)
        months = pd.date_range("2019-01-01", periods=60, freq="MS").strftime("%Y-%m")
        return pd.DataFrame({"month": months, "sales": sales.round(2)}).to_csv(index=False).encode()

    assert fio.check_windows(fio.read_upload(months_of(150), "sales.csv"), 12, 3)["season"] == 12
    raw = months_of(60)
    check = fio.check_windows(fio.read_upload(raw, "sales.csv"), 12, 3)
    assert (check["season"], check["season_undetectable"], check["season_unconfirmed"]) == (1, None, 12)
    assert fio.check_windows(fio.read_upload(raw, "sales.csv"), 12, 3, season=12)["season_unconfirmed"] is None
    assert fio.check_windows(fio.read_upload(monthly_csv(96), "sales.csv"), 8, 2)["season_unconfirmed"] is None

    at = uploaded_with_windows(raw, 12, 3)
    assert ("Seasonal period: **1** (none detected: the 42 training rows show no season at 12 steps, the usual one "
            "at this frequency, clear enough to tell from noise") in all_text(at)
    assert "set Season to 12 if you know the series repeats every 12 steps" in all_text(at)


def test_a_season_the_training_rows_do_not_show_but_the_rows_before_the_test_part_do_is_said_as_a_board_finds_it(
        runs_dir):
    """40 quarterly rows with a clear season: the check read "none detected" on its 28 training rows, and a board on
    the same page then ranked at "period 4", detected on the 32 rows before its test part, with nothing to say why
    the two differ (a forecast user's check). The check says what those rows show, and the board's note their count."""
    from zoo.leaderboard.plan import make_plan

    rng = np.random.default_rng(1)
    t = np.arange(40)
    revenue = 45 + 0.6 * t + np.tile([-1.0, 5.0, 6.0, -3.0], 10) + rng.normal(0, 1.5, 40)
    raw = pd.DataFrame({"quarter": [f"{2014 + i // 4}Q{i % 4 + 1}" for i in t],
                        "revenue": revenue.round(2)}).to_csv(index=False).encode()
    sf = fio.read_upload(raw, "revenue.csv")
    check = fio.check_windows(sf, 8, 2)
    assert (check["season"], check["season_unconfirmed"], check["season_before_test"], check["rows"][1]) == \
        (1, 4, 4, 32)
    plan = make_plan(sf.frame[sf.target].to_numpy(float), sf.freq)
    assert plan.period == 4 and "seasonal period 4 (detected on the 32 rows before the test part)." in plan.notes
    at = uploaded_with_windows(raw, 8, 2)
    assert ("none detected: the 28 training rows show no season at 4 steps, the usual one at this frequency, clear "
            "enough to tell from noise (the 32 rows before the test part, validation included, do show it; a "
            "leaderboard detects the season on the rows before its own test part); set Season to 4") in all_text(at), \
        all_text(at)


def test_a_season_too_long_for_the_training_rows_is_named_as_the_reason_none_was_found(runs_dir):
    """48 months (33 in training) hold under three yearly cycles, however clear: no season is detected
    (zoo/forecast/baselines.MIN_CYCLES), and the caption says why and what to do instead of a bare
    "none detected"."""
    short = fio.read_upload(monthly_csv(48), "sales.csv")
    check = fio.check_windows(short, 8, 2)
    assert check["season"] == 1 and check["season_undetectable"] == 12
    assert fio.check_windows(short, 8, 2, season=12)["season_undetectable"] is None   # set by the person
    longer = fio.check_windows(fio.read_upload(monthly_csv(96), "sales.csv"), 8, 2)
    assert longer["season"] == 12 and longer["season_undetectable"] is None

    at = uploaded_with_windows(monthly_csv(48), 8, 2)
    assert ("Seasonal period: **1** (none detected: the 33 training rows hold fewer than 3 cycles of 12 steps, "
            "the usual season at this frequency") in all_text(at)
    assert "set Season if the series has one" in all_text(at)
    # its first rows show months as dates, not "2020-01-01 00:00:00"; hourly rows keep the hour
    first = next(d for d in at.dataframe if "sales" in d.value.columns)
    assert json.loads(first.proto.columns)["_index"]["type_config"]["format"] == "YYYY-MM-DD"
    at.radio(key="forecast-source").set_value("sample").run()
    first = next(d for d in at.dataframe if "OT" in d.value.columns)
    assert json.loads(first.proto.columns)["_index"]["type_config"]["format"] == "YYYY-MM-DD HH:mm"


def test_the_boards_usual_horizon_sets_the_horizon_alone(runs_dir):
    """Where the page has no suggestion (shares it cannot split by), the board offers the frequency's usual
    horizon; pressing it set the lookback as the person's too, so it stopped following the series (found in a
    browser check)."""
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(
        ("woolyrnq.csv", (ROOT / "bench" / "data" / "woolyrnq_quarterly.csv").read_bytes(), "text/csv")).run()
    at.selectbox(key="forecast-split").set_value("custom").run()
    at.text_input(key="forecast-split-custom").set_value("0.5,0.25").run()
    number_box(at, key="forecast-horizon").set_value(24).run()
    button = at.button(key="forecast-board-usual-horizon")
    assert button.label == "Use horizon 8, the usual one for this frequency"
    button.click().run()
    assert_clean(at)
    assert number_box(at, key="forecast-horizon").value == 8
    assert at.session_state["forecast-horizon-set"] and "forecast-lookback-set" not in at.session_state


def test_a_board_ranks_at_its_own_horizon_until_the_person_sets_one(runs_dir):
    """A forecast user's check: 120 monthly rows, the page's horizon fitted for one model's 70/10/20 split (9: one
    season would leave fewer than the 4 validation windows an 80% interval needs), and the board ranked at that 9
    where its own refits hold 12, which the command line ranked at. A board ranks at its own horizon while the
    page's follows the series, says so beside its button, and at the person's once they set one."""
    from ui.state import job_manager
    from zoo.leaderboard.spec import LeaderboardSpec as Spec

    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(("sales.csv", monthly_csv(120), "text/csv")).run()
    assert_clean(at)
    assert number_box(at, key="forecast-horizon").value == 9   # one model's, fitted to the series
    assert any(c.value.startswith(":material/straighten: It ranks at horizon 12, its own for this series: the usual "
                                  "one for this frequency (the horizon above, 9, is fitted for training one model")
               for c in at.caption), [c.value for c in at.caption]

    def started() -> Spec:
        at.button(key="forecast-board-start").click().run()
        assert_clean(at)
        run = at.query_params["run"]
        job = job_manager().get(run if isinstance(run, str) else run[0])
        try:
            return Spec.from_dict(job.payload["spec"])
        finally:
            job_manager().stop(job.id)
            deadline = time.time() + 60
            while job.active and time.time() < deadline:   # a state, not a count: the job has ended
                time.sleep(0.2)

    assert started().horizon == 0   # the board's own: 12 here
    at.query_params.clear()
    at.run()
    number_box(at, key="forecast-horizon").set_value(6).run()   # the person's
    assert not any(c.value.startswith(":material/straighten:") for c in at.caption)
    assert started().horizon == 6


@pytest.mark.parametrize("demo_mode", [False, True])
def test_training_settings_follow_the_series_until_the_person_sets_one(runs_dir, monkeypatch, demo_mode):
    """Ten years of months with the suggested windows make 40 training windows: the page's 3 epochs of batch
    256 are 3 steps (a new user's linear run scored MASE 2.24; the leaderboard's linear 0.46), and every first
    run on a forecast user's own CSVs "learned nothing useful". The form takes the recipe the leaderboard
    trains the model with, says so, follows the model while the person has changed nothing, and keeps what
    they set; the sample, where the defaults make enough steps, keeps them."""
    from zoo.leaderboard.plan import zoo_settings

    if demo_mode:
        monkeypatch.setenv("PLAYGROUND_DEMO", "1")
        monkeypatch.delenv("PLAYGROUND_CAP_EPOCHS", raising=False)
    at = new_app()
    at.run()
    assert at.session_state["forecast-settings-epochs"] == 3 and "144 optimisation steps" in all_text(at)
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(("sales.csv", monthly_csv(120), "text/csv")).run()
    assert_clean(at)   # the lookback and horizon are the series' suggestion (ui/series_windows.fit_to_series)
    lookback = number_box(at, key="forecast-lookback").value
    train_windows = fio.check_windows(fio.read_upload(monthly_csv(120), "sales.csv"), lookback,
                                      number_box(at, key="forecast-horizon").value)["sizes"]["train"]
    for model in ("linear", "lstm"):
        if model != "linear":
            at.selectbox(key="forecast-model").set_value(model).run()
        recipe = zoo_settings(model, train_windows, lookback, 12)
        epochs = min(recipe["epochs"], 30) if demo_mode else recipe["epochs"]
        assert at.session_state["forecast-settings-epochs"] == epochs
        assert int(at.session_state["forecast-settings-batch_size"]) == recipe["batch_size"]
        assert at.session_state["forecast-settings-lr"] == recipe["lr"]
        assert at.session_state["forecast-settings-schedule"] == "cosine"
        assert (f"The leaderboard's recipe for {model} on these windows, because the page's 3 epochs of batch 256 "
                f"would make 3 optimisation steps;") in all_text(at)
        assert f"{epochs} epochs · batch {recipe['batch_size']}" in all_text(at)
    assert not [b for b in at.button if b.key == "forecast-use-recipe"] and not start_button(at).disabled
    at.slider(key="forecast-settings-epochs").set_value(7).run()   # the person's from now on; the rest follow
    at.selectbox(key="forecast-model").set_value("mlp").run()
    recipe = zoo_settings("mlp", train_windows, lookback, 12)   # on the demo, within its cap of 30 epochs
    assert recipe["epochs"] <= 30 if demo_mode else recipe["epochs"] > 30   # 40 windows: the recipe asks for more
    assert at.session_state["forecast-settings-epochs"] == 7
    assert (at.session_state["forecast-settings-lr"], at.session_state["forecast-settings-patience"]) == (
        recipe["lr"], recipe["patience"])   # mlp's, not lstm's
    assert ("The leaderboard's recipe for mlp on these windows (batch size, patience, learning rate, schedule), "
            "because the page's 3 epochs of batch 256 would make 3 optimisation steps; a setting you change stays "
            "as you set it") in all_text(at)
    button = at.button(key="forecast-use-recipe")   # the whole recipe still offered, applied only when pressed
    epochs = min(recipe["epochs"], 30) if demo_mode else recipe["epochs"]
    assert f"batch {recipe['batch_size']}, {epochs} epochs" in button.label
    assert button.label.endswith(f"early stopping after {recipe['patience']} epochs without improvement")   # a unit
    button.click().run()
    assert_clean(at)
    assert at.session_state["forecast-settings-epochs"] == epochs
    assert not [b for b in at.button if b.key == "forecast-use-recipe"]      # enough steps now


def test_notes_are_listed_as_sentences():
    from ui.series_results import notes_list

    assert notes_list(["dates are read from column 'month'", "Already a sentence.", ""]) == (
        "- Dates are read from column 'month'\n- Already a sentence.\n- ")


def test_a_tables_height_shows_whole_rows():
    from ui.series_results import table_height

    assert [table_height(n) for n in (1, 8, 9, 24)] == [73, 318, 318, 318]   # (rows + header) x 35 + 3


def test_result_tables_from_a_run_directory(finished_run):
    result = json.loads((finished_run / "result.json").read_text())
    from zoo.runs import load_run

    run = load_run(finished_run)
    forecast = run.table("forecast")
    assert tuple(forecast.columns) == fio.FORECAST_COLUMNS and len(forecast) == 12
    assert pd.api.types.is_datetime64_any_dtype(forecast["date"]) and forecast["date"].is_monotonic_increasing
    assert (forecast["date"].diff().dropna() == pd.Timedelta(1, "h")).all()
    backtest = run.table("backtest")
    part = fio.backtest_step(backtest, 3)
    assert len(part) == result["sizes"]["test"] and part["time"].is_monotonic_increasing
    table = fio.metrics_table(result, "linear")
    assert list(table.index)[0] == "your model: linear" and len(table) == 5
    assert math.isclose(table.iloc[0]["MAE"], result["metrics"]["mae"])
    lines = fio.beats_lines(result)
    assert [line["name"] for line in lines] == ["naive", "seasonal_naive", "mean", "linear"]
    for line in lines:
        assert line["text"].startswith("beats " if result["beats"][line["name"]] else ("ties with ", "does not beat "))
        assert "RMSE" in line["detail"]
    assert [lv for lv, _ in fio.coverage_lines(result)] == [80, 95]
    with zipfile.ZipFile(__import__("io").BytesIO(run.zip())) as zf:
        names = {Path(n).name for n in zf.namelist()}
    assert {"spec.json", "result.json", "metrics.csv", "best.pt", "backtest.csv", "forecast.csv"} <= names


def test_captions_name_only_the_interval_levels_a_run_has():
    """Under 19 validation windows the 95% interval is left out (conformal_intervals); the captions
    said "with 80% and 95% intervals" all the same."""
    from ui.series_results import intervals_named
    from zoo.forecast.scores import conformal_intervals

    def frame(n_windows: int) -> pd.DataFrame:
        half = conformal_intervals(np.arange(1.0, n_windows + 1))
        return pd.DataFrame({f"{side}_{int(level * 100)}": [10 + sign * width[0]]
                             for level, width in half.items() for side, sign in (("lower", -1), ("upper", 1))})

    assert intervals_named(frame(40), "with their") == "with their 80% and 95% intervals"
    assert intervals_named(frame(10), "with their") == "with their 80% interval"
    assert intervals_named(frame(2), "with their") == "without intervals (too few validation windows to calibrate one)"


def test_a_test_part_of_few_windows_is_said_to_give_noisy_scores(runs_dir):
    """48 months with the default split leave 9 test rows: horizon 6 makes 4 test windows, whose scores a
    new user took at face value. The windows' caption says they are few; a longer series says nothing."""
    short = fio.read_upload(monthly_csv(48), "sales.csv")
    check = fio.check_windows(short, 8, 6)
    assert check["sizes"]["test"] < fio.FEW_TEST_WINDOWS
    assert any(f"Only {check['sizes']['test']} test windows" in n for n in check["notes"]), check["notes"]
    assert not any("test window" in n for n in fio.check_windows(fio.read_upload(monthly_csv(240), "sales.csv"),
                                                                 8, 6)["notes"])
    at = new_app().run()
    at.radio(key="forecast-source").set_value("upload").run()
    at.file_uploader(key="forecast-upload").set_value(("sales.csv", monthly_csv(48), "text/csv")).run()
    number_box(at, key="forecast-lookback").set_value(8)
    number_box(at, key="forecast-horizon").set_value(6).run()
    assert_clean(at)
    assert any("test windows: the test scores average" in c for c in texts(at, "caption")), texts(at, "caption")


def test_a_handed_over_target_beside_another_date_column_stays_named(tmp_path):
    """A run names the target and date column it read. The target shows as the reader's default only where
    the reader would choose it: beside another date column than its own it may choose another (here it takes
    the numeric `year` as dates and `sales` as target; beside `fiscal` as dates its own target is `year`), so
    "(detect)" there trained the next run on `year` (a review's check)."""
    rows = 60
    frame = pd.DataFrame({"fiscal": range(1991, 1991 + rows), "sales": [100 + 8.41 * i for i in range(rows)],
                          "year": range(1990, 1990 + rows)})
    path = tmp_path / "y.csv"
    frame.to_csv(path, index=False)

    def script(csv_path, handed):
        import streamlit as st

        from ui.series_source import DataSource, data_preview

        source = DataSource(kind="upload", key="abcdef0123456789", name="y.csv", raw=open(csv_path, "rb").read())
        prefill = handed if not st.session_state.get("handed") else None
        st.session_state["handed"] = True
        sf, _, _ = data_preview(source, prefill)
        st.text(f"reads target={sf.target} date={sf.date_col}")

    for handed, shown, reads in (({"target": "sales", "date_col": "fiscal"}, ("sales", "fiscal"), "target=sales date=fiscal"),
                                 ({"target": "sales", "date_col": "year"}, ("(detect)", "(detect)"), "target=sales date=year")):
        at = AppTest.from_function(script, args=(str(path), handed), default_timeout=60).run()
        assert not at.exception
        assert tuple(s.value for s in at.selectbox) == shown
        assert at.text[0].value == f"reads {reads}"


def test_a_model_that_ties_with_naive_is_neither_a_win_nor_a_success():
    """A forecast user's lstm, best at epoch 1 (test MASE 1.5), read "beats 3 of 4 baselines" under a green
    banner: it beat naive by 0.3% RMSE, seasonal naive with period 1 (the same forecast) counted as a second
    win, and the window mean. A gap within report.TIE is a tie; with no season, naive and seasonal naive are
    one line; and a model that does not beat the obvious forecast is judged as having learned nothing."""
    from types import SimpleNamespace

    from zoo.forecast.report import TIE
    from zoo.verdict import series_verdict

    baselines = {"naive": {"rmse": 106.1}, "seasonal_naive": {"rmse": 106.1}, "mean": {"rmse": 150.0},
                 "linear": {"rmse": 44.36}}
    mine = 105.8
    beats = {name: mine < b["rmse"] * (1 - TIE) for name, b in baselines.items()}
    assert beats == {"naive": False, "seasonal_naive": False, "mean": True, "linear": False}
    result = {"metrics": {"rmse": mine}, "baselines": baselines, "beats": beats, "season": 1}
    lines = fio.beats_lines(result)
    assert [(line["name"], line["verdict"]) for line in lines] == [
        ("naive", "ties with"), ("mean", "beats"), ("linear", "does not beat")]
    assert lines[0]["text"] == ("ties with naive (last value), which is also seasonal naive here (no season): "
                                "RMSE 105.8 vs 106.1")
    verdict = series_verdict(SimpleNamespace(extra={"beats": beats, "season": 1}), None)
    assert not verdict["better"] and "does not beat the naive forecast" in verdict["message"]
    # With a season the obvious forecasts are both naive and seasonal naive; beating both is better.
    seasonal = {"naive": True, "seasonal_naive": False, "mean": True, "linear": True}
    assert not series_verdict(SimpleNamespace(extra={"beats": seasonal, "season": 24}), None)["better"]
    assert series_verdict(SimpleNamespace(extra={"beats": {**seasonal, "seasonal_naive": True}, "season": 24}),
                          None)["better"]
    with_season = fio.beats_lines({**result, "season": 12})
    assert [line["name"] for line in with_season] == ["naive", "seasonal_naive", "mean", "linear"]
    # A run saved under the old margin (1e-6) said it beat naive by 0.3%: read again by the one rule, it ties.
    old = {**result, "beats": {**beats, "naive": True, "seasonal_naive": True}}
    assert fio.beats_lines(old)[0]["verdict"] == "ties with"
    # Only the obvious forecast not beaten is named (it said "naive or seasonal naive" beside a won line).
    one = series_verdict(SimpleNamespace(extra={"beats": {**seasonal, "naive": False, "seasonal_naive": True},
                                                "season": 24}), None)
    assert "does not beat the naive forecast (last value) on" in one["message"] and "seasonal" not in one["message"]


def test_a_model_far_worse_than_naive_is_said_to_be_worse_by_how_much_not_as_good(runs_dir):
    """A learner's check: a transformer at lr 1 (test RMSE 6.781 against the naive forecast's 1.951) was told "the
    obvious forecast does as well". The verdict now says it is worse, and by how much; a tie still reads as one."""
    from types import SimpleNamespace

    from zoo.verdict import series_verdict

    baselines = {"naive": {"rmse": 1.951}, "seasonal_naive": {"rmse": 2.4}, "mean": {"rmse": 9.0},
                 "linear": {"rmse": 1.9}}
    beats = {"naive": False, "seasonal_naive": False, "mean": True, "linear": False}
    far = series_verdict(SimpleNamespace(extra={"beats": beats, "season": 24, "baselines": baselines},
                                         test_metrics={"rmse": 6.781}), None)
    assert far["message"] == ("the model forecasts worse than the naive forecast (last value) on the test windows "
                              "(RMSE 6.781 against 1.951, 3.5 times as large): the obvious forecast is better")
    near = series_verdict(SimpleNamespace(extra={"beats": beats, "season": 24, "baselines": baselines},
                                          test_metrics={"rmse": 2.2}), None)
    assert near["message"].startswith("the model forecasts worse than the naive forecast (last value) on the test "
                                      "windows (RMSE 2.2 against 1.951, 13% larger)")
    tie = series_verdict(SimpleNamespace(extra={"beats": beats, "season": 1, "baselines": baselines},
                                         test_metrics={"rmse": 1.96}), None)
    assert tie["message"].endswith("the obvious forecast does as well")
    # A real run, trained to nothing (lr 0 keeps the initial weights' forecasts), and its page
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    spec = ExperimentSpec(task="series", data="etth1", model="linear", lookback=48, horizon=24, epochs=1, lr=1e-12,
                          limit_train=256)
    result = run_experiment(spec, runs_dir=runs_dir)
    verdict = result.extra.get("verdict") or {}
    naive = result.extra["baselines"]["naive"]["rmse"]
    assert result.best_epoch == 1 and result.test_metrics["rmse"] > 1.2 * naive   # untrained: worse
    assert verdict["message"].startswith("the model forecasts worse than the naive forecast (last value) on the test "
                                         "windows (RMSE "), verdict


def test_a_run_of_few_optimisation_steps_is_told_to_train_longer_not_to_shrink_the_model(runs_dir):
    """A forecast user's first run (3 epochs at batch 256 on 39 windows: 3 steps) was told "the model fits the
    training data much better than the validation data: try a smaller model" for a linear model far from
    fitted. Below zoo/verdict.FEW_STEPS the cause names the steps and says to train longer."""
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec
    from zoo.verdict import FEW_STEPS

    rng = np.random.default_rng(3)
    t = np.arange(60)
    sales = 1000 + 5 * t + 150 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 30, 60)
    path = runs_dir.parent / "sales.csv"
    pd.DataFrame({"month": pd.date_range("2019-01-01", periods=60, freq="MS").strftime("%Y-%m"),
                  "sales": sales.round(2)}).to_csv(path, index=False)
    spec = ExperimentSpec(task="series", model="linear", data=str(path), lookback=12, horizon=3, epochs=3,
                          batch_size=256)
    result = run_experiment(spec, runs_dir=runs_dir)
    verdict = json.loads((result.run_dir / "result.json").read_text())["verdict"]
    assert not verdict["better"], verdict
    steps = 3   # one batch per epoch
    assert steps < FEW_STEPS and verdict["cause"].startswith(f"it took only {steps} optimisation steps (3 epochs of ")
    assert "train for more epochs or use a smaller batch size" in verdict["cause"]
    # One epoch has no fall to read: it read "the training loss did not fall: check the learning rate" (a review).
    one = run_experiment(spec.replace(epochs=1), runs_dir=runs_dir)
    cause = json.loads((one.run_dir / "result.json").read_text())["verdict"]["cause"]
    assert cause.startswith("it took only 1 optimisation step (1 epoch of "), cause


def test_a_run_saved_under_the_old_rule_is_judged_by_todays(runs_dir):
    """A series run saved before the tie and obvious-forecast rules kept its "better" verdict (it beat the window
    mean), so its page still showed a success beside "ties with naive". Its page judges it again from its stored
    RMSEs, with the cause read from its own epochs."""
    from zoo.engine import run_experiment
    from zoo.runs import open_run
    from zoo.spec import ExperimentSpec
    from zoo.verdict import verdict_now

    path = runs_dir.parent / "hourly.csv"
    path.write_bytes(hourly_csv(400))
    run = run_experiment(ExperimentSpec(task="series", model="linear", data=str(path), lookback=24, horizon=6,
                                        epochs=2, batch_size=32), runs_dir=runs_dir)
    result_file = run.run_dir / "result.json"
    saved = json.loads(result_file.read_text())
    naive = saved["baselines"]["naive"]["rmse"]
    saved["metrics"]["rmse"] = naive * 0.997   # within report.TIE of naive: a tie today, a win then
    saved["beats"] = {name: True for name in saved["beats"]}
    saved["season"] = 1
    saved["verdict"] = {"better": True, "trivial": "the naive forecast (last value)"}   # as the old rule saved it
    result_file.write_text(json.dumps(saved))
    now = verdict_now(open_run(run.run_id, runs_dir))
    assert now["better"] is False and "does not beat the naive forecast" in now["message"]
    assert now["cause"] and now["cause"] != "unknown"
    at = new_app({"run": run.run_id}).run()
    assert not at.exception
    assert any("learned nothing useful" in w.value and "does not beat the naive forecast" in w.value
               for w in at.warning), texts(at, "warning")
    # A run today's rule also finds better keeps its verdict as saved.
    saved["metrics"]["rmse"] = naive * 0.5
    result_file.write_text(json.dumps(saved))
    assert verdict_now(open_run(run.run_id, runs_dir)) == saved["verdict"]
    # One saved as not better, in the words before they said by how much it lost (an upgrade check: 44% worse than
    # naive read "does as well"), takes today's words and keeps its cause.
    saved["metrics"]["rmse"] = naive * 1.44
    saved["beats"] = {name: False for name in saved["beats"]}
    saved["verdict"] = {"better": False, "trivial": "the naive forecast (last value)", "cause": "as saved",
                        "message": "the model does not beat the naive forecast (last value) on the test windows by "
                                   "more than 1% RMSE: the obvious forecast does as well"}
    result_file.write_text(json.dumps(saved))
    now = verdict_now(open_run(run.run_id, runs_dir))
    assert now["better"] is False and now["cause"] == "as saved", now
    assert now["message"].startswith("the model forecasts worse than the naive forecast (last value) on the test "
                                     "windows (RMSE "), now
    assert now["message"].endswith(", 44% larger): the obvious forecast is better"), now


def test_a_three_step_horizon_is_drawn_on_whole_steps_and_one_step_is_named_in_the_singular():
    """A forecast user saw "1, 1.5, 2, 2.5, 3 steps ahead" on the error chart and "The 1 steps after the last
    row" above a one-step forecast."""
    from ui.series_results import after_the_last_row, error_by_step

    backtest = pd.DataFrame({"step": [1, 2, 3] * 2, "actual": [1.0] * 6, "predicted": [1.5] * 6,
                             "baseline_naive": [2.0] * 6, "time": list(range(6))})
    axis = error_by_step(backtest, ("naive",)).layout.xaxis
    assert (axis.dtick, axis.tickformat, axis.rangemode) == (1, "d", "nonnegative")
    assert after_the_last_row(1) == "the step after the last row"
    assert after_the_last_row(12) == "the 12 steps after the last row"


def test_a_file_of_several_numeric_columns_says_which_the_default_target_is(runs_dir):
    """month,sales,price: the default target is the last numeric column, price, which a forecast user would have
    forecast without opening the list. The page names the numeric columns and the default beside the list."""
    months = pd.date_range("2015-01-01", periods=72, freq="MS").strftime("%Y-%m")
    raw = pd.DataFrame({"month": months, "sales": np.arange(72) + 100.0, "price": np.arange(72) % 3 + 5.0}) \
        .to_csv(index=False).encode()
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(("two cols.csv", raw, "text/csv")).run()
    assert_clean(at)
    said = "2 numeric columns (`sales`, `price`); the default is the last, `price`: pick the one to forecast"
    assert said in all_text(at)
    target = next(s for s in at.selectbox if s.label.startswith("Target"))
    target.set_value("sales").run()
    assert_clean(at)
    assert said not in all_text(at)


def test_the_ett_split_is_offered_where_the_series_has_its_rows_and_kept_while_it_is_set(runs_dir):
    """The ETT protocol needs 14,400 hourly rows: offered on a 120-row upload it gave a red error. It is
    offered for a series long enough (the sample), and kept while it is set: a short file after it says so,
    and the split the person chose is not changed unseen."""
    at = new_app()
    at.run()
    from ui.series_windows import SPLITS

    assert SPLITS["ett"] in at.selectbox(key="forecast-split").options   # the sample: 17,420 rows
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(("sales.csv", monthly_csv(120), "text/csv")).run()
    assert_clean(at)
    assert SPLITS["ett"] not in at.selectbox(key="forecast-split").options and not at.error
    days = pd.date_range("1980-01-01", periods=15_000, freq="D")   # rows enough, but days: not its months of hours
    daily = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "v": np.arange(15_000.0) % 7}).to_csv(index=False)
    at.file_uploader(key="forecast-upload").set_value(("daily.csv", daily.encode(), "text/csv")).run()
    assert_clean(at)
    assert SPLITS["ett"] not in at.selectbox(key="forecast-split").options

    at = new_app()
    at.run()
    at.selectbox(key="forecast-split").set_value("ett").run()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(("sales.csv", monthly_csv(120), "text/csv")).run()
    assert at.selectbox(key="forecast-split").value == "ett"
    assert len(at.error) == 1 and "the ETT split needs 14,400 rows" in at.error[0].value
    assert start_button(at).disabled


def test_a_lookback_that_follows_the_series_follows_a_typed_horizon(runs_dir):
    """A typed horizon alone refits a lookback the person has not set (it stayed fitted for the horizon
    before until the next file); a lookback the person typed stays as typed."""
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(("sales.csv", monthly_csv(120), "text/csv")).run()
    sf = read_series(monthly_csv(120))
    assert number_box(at, key="forecast-lookback").value == suggest_windows(sf, "0.7,0.1,0.2")["lookback"] == 36
    number_box(at, key="forecast-horizon").set_value(3).run()
    assert_clean(at)
    expected = suggest_windows(sf, "0.7,0.1,0.2", horizon=3)["lookback"]
    assert expected != 36 and number_box(at, key="forecast-lookback").value == expected
    # and says so: it had moved without a word beside "lookback 36 and horizon 9 are suggested" (a browser check)
    follows = f":material/info: Lookback {expected} follows the horizon you set (3)"
    assert any(c.value.startswith(follows) for c in at.caption), [c.value for c in at.caption]
    number_box(at, key="forecast-lookback").set_value(30).run()
    number_box(at, key="forecast-horizon").set_value(6).run()
    assert number_box(at, key="forecast-lookback").value == 30 and number_box(at, key="forecast-horizon").value == 6
    assert not any(c.value.startswith(":material/info: Lookback") for c in at.caption)   # the person's own


def test_a_horizon_too_long_for_any_lookback_leaves_the_lookback_and_is_blamed_alone(runs_dir):
    """A forecast user's check: horizon 150 typed on 120 monthly rows moved the fitted lookback to 1 on its own, and
    the error then said "lookback 1 + horizon 150 needs 151 training rows; use a smaller lookback or horizon"."""
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(("sales.csv", monthly_csv(120), "text/csv")).run()
    assert number_box(at, key="forecast-lookback").value == 36
    number_box(at, key="forecast-horizon").set_value(150).run()
    assert number_box(at, key="forecast-lookback").value == 36, \
        "the lookback is not moved for a horizon that no lookback fits"
    errors = " ".join(e.value for e in at.error)
    assert "horizon 150 needs 151 training rows even with lookback 1); use a horizon of at most " in errors, errors
    # A horizon the training rows hold but validation does not: blamed too, not "a smaller lookback" (a review)
    number_box(at, key="forecast-horizon").set_value(60).run()
    errors = " ".join(e.value for e in at.error)
    assert "the validation split has 12 rows, too few for one window (horizon 60 needs 60 validation rows); use a " \
           "horizon of at most 12, a larger validation share (the Split setting; --split on the command line), or a " \
           "longer series (120 rows now)." in errors, errors
    assert number_box(at, key="forecast-lookback").value == 36
    number_box(at, key="forecast-horizon").set_value(3).run()   # and back to a horizon that fits: it follows again
    assert_clean(at)
    assert number_box(at, key="forecast-lookback").value == suggest_windows(read_series(monthly_csv(120)),
                                                                             "0.7,0.1,0.2", horizon=3)["lookback"]


def test_the_previews_part_labels_sit_above_the_plot_where_the_line_cannot_cross_them():
    """The series' line ran over the "test" label inside the plot (a forecast user's check)."""
    from ui.series_source import preview_figure

    sf = fio.read_upload(monthly_csv(120), "sales.csv")
    fig = preview_figure(sf, fio.check_windows(sf, 24, 6))
    labels = {a.text: a for a in fig.layout.annotations}
    assert set(labels) == {"val", "test"}
    assert all(a.yref == "y domain" and a.y == 1 and a.yanchor == "bottom" for a in labels.values())
    assert fig.layout.margin.t >= 11 + 8   # room for the 11 px labels above the plot


EVIL_NAME = "[prize](http:evil.example).csv"
EVIL_COLUMN = "[click me](http://evil.example/x) :x: `tick"


def markdown_outside_code(at) -> str:
    """Every Markdown source the page wrote (titles, captions, messages), less its inline code spans."""
    sources = all_text(at).splitlines() + texts(at, "subheader") + texts(at, "title") + texts(at, "header")
    return "\n".join(re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", s) for s in sources)


def test_a_files_name_and_its_columns_are_shown_as_typed_never_as_markdown(runs_dir):
    """A CSV named "[prize](http:evil.example).csv" with a column "[click me](http://evil.example/x) :x:" showed
    live links and an emoji on the Forecast page and on its run's page, which on the hosted demo another visitor
    opens from a link (a demo check). The name is kept safe (zoo/forecast_io.safe_name); a column's name is
    written as a code span (ui/text.code)."""
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    from ui.text import code

    assert code("a`b") == "``a`b``" and code("`x") == "`` `x ``" and code("plain") == "`plain`"
    assert fio.safe_name(EVIL_NAME) == "-prize-(http-evil.example).csv"
    frame = pd.read_csv(io.BytesIO(hourly_csv())).rename(columns={"load": EVIL_COLUMN, "temp": "[t](http://e.x)"})
    raw = frame.to_csv(index=False).encode()
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value((EVIL_NAME, raw, "text/csv")).run()
    assert_clean(at)
    shown = markdown_outside_code(at)
    assert "rows** · date column" in shown   # the preview is there
    assert "](" not in shown and ":x:" not in shown, shown
    assert "\\[click me\\]\\(http:\u200b//evil.example/x\\)" in shown   # the reader's note, escaped (ui/text.plain)

    path = fio.store_upload(raw, EVIL_NAME, runs_dir)
    assert fio.display_name(path) == "-prize-(http-evil.example).csv"
    run = run_experiment(ExperimentSpec(task="series", data=str(path), model="linear", lookback=48, horizon=12,
                                        epochs=1, batch_size=64, device="cpu", target=EVIL_COLUMN), runs_dir=runs_dir)
    at = new_app({"run": run.run_id}).run()
    assert_clean(at)
    shown = markdown_outside_code(at)
    assert "](" not in shown and ":x:" not in shown, shown


def test_the_forecast_tables_numbers_have_the_same_decimals_in_every_cell():
    """A browser check: "%.4g" wrote 118 beside 122.4 in the forecast table. One format, about four significant
    digits of the largest value, for every cell."""
    from ui.series_results import number_format

    assert number_format(pd.DataFrame({"forecast": [118.0, 122.4], "lower_80": [np.nan, 101.25]})) == "%.1f"
    assert number_format(pd.DataFrame({"forecast": [0.0123, -0.004]})) == "%.5f"
    assert number_format(pd.DataFrame({"forecast": [12345.0, 9.0]})) == "%.0f"
    assert number_format(pd.DataFrame({"forecast": [np.nan]})) == "%.3f"   # nothing to size: as for 1
    assert number_format(pd.DataFrame({"forecast": [3e-7]})) == "%.4g"    # fixed decimals would show 0.000000
    assert "%.1f" % 118.0 == "118.0"


def test_each_metric_row_of_a_run_shows_its_numbers_with_the_same_decimals():
    """The run view's metrics table wrote every cell "%.4g": MAE 118 beside the baseline's 122.4, and MASE 0.7 beside
    0.7412. Each metric's row now has one number of decimals (number_format), the best value still highlighted, a
    missing score still "—"."""
    from ui.series_results import metrics_styled

    table = pd.DataFrame({"model": [118.0, 0.7, 3e-7], "naive": [122.4, 0.7412, None]},
                         index=["mae", "mase", "tiny"])
    styled = metrics_styled(table)
    text = styled.to_string(delimiter="|")
    rows = {line.split("|")[0]: line.split("|")[1:] for line in text.splitlines()[1:]}
    assert rows["mae"] == ["118.0 ★", "122.4"]   # the best marked in words too, not only highlighted
    assert rows["mase"] == ["0.7000 ★", "0.7412"]
    assert rows["tiny"] == ["3e-07 ★", "—"]
    import re

    rule = re.search(r"([^{}]*)\{\s*font-weight: bold", styled.to_html()).group(1)   # the highlighted cells' rule
    assert sorted(re.findall(r"row\d_col\d", rule)) == ["row0_col0", "row1_col0", "row2_col0"]   # each row's best


def test_the_target_list_names_the_readers_own_target_once_unless_another_date_column_is_used(runs_dir):
    """"load (default), temperature, load" read as a column twice (a forecast user's check). Beside another date
    column than the reader's, the reader may choose another target, so the column is named there too."""
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    # before a file: its limits and what to do past them (Streamlit's own refusal says only "File must be 50MB or
    # smaller.")
    assert any(c.value.startswith("Up to 50 MB and") and "aggregate it to a coarser frequency" in c.value
               for c in at.caption), [c.value for c in at.caption]
    # (load not 200, 201, 202, ...: a column that goes up by one a row is a row counter, never the default target)
    raw = "week,temperature,load\n" + "".join(f"2021-{1 + i // 28:02d}-{1 + i % 28:02d},{10 + i % 7},{200 + i * 7 % 31}\n"
                                              for i in range(300))
    at.file_uploader(key="forecast-upload").set_value(("two.csv", raw.encode(), "text/csv")).run()
    assert_clean(at)
    target = next(s for s in at.selectbox if s.key.startswith("forecast-target-"))
    assert [target.format_func(o) for o in target.options] == ["load (default)", "temperature"]
    assert not any(c.value.startswith("Up to 50 MB") for c in at.caption)
    next(s for s in at.selectbox if s.key.startswith("forecast-date-")).set_value("temperature").run()
    target = next(s for s in at.selectbox if s.key.startswith("forecast-target-"))
    assert "load" in target.options


def test_the_forecast_charts_history_breaks_where_values_were_filled_in(tmp_path):
    """The backtest drew a gap in the file as a break, the forecast chart's history and the upload's preview as an
    ordinary line through the interpolated values (a browser check): they all draw the file's own values."""
    from ui.series_results import history_of

    days = pd.date_range("2024-01-01", periods=120, freq="D")
    kept = ~((days >= "2024-04-10") & (days < "2024-04-15"))
    path = tmp_path / "gap.csv"
    pd.DataFrame({"day": days[kept].strftime("%Y-%m-%d"), "v": np.arange(120.0)[kept]}).to_csv(path, index=False)
    history = history_of(str(path), None, None, 0.0, 40)
    assert len(history) == 40 and history.index[-1] == days[-1]
    assert list(history.index[history.isna()]) == list(pd.date_range("2024-04-10", "2024-04-14"))
    # the upload's preview too (it drew the interpolated line)
    from ui.series_source import preview_figure

    line = preview_figure(fio.read_upload(path.read_bytes(), "gap.csv")).data[0]
    assert list(pd.DatetimeIndex(line.x)[np.isnan(np.asarray(line.y, float))]) == \
        list(pd.date_range("2024-04-10", "2024-04-14"))


def test_a_short_daily_series_has_its_date_ticks_on_days():
    """A short daily backtest's axis had ticks at 12:00, a time the series has not (a forecast user's check):
    a daily series' charts put ticks on days alone; hourly or long ones keep plotly's own."""
    import pandas as pd

    from ui.series_results import backtest_figure, forecast_figure
    from zoo.plots import DAY_MS, day_ticks

    days = pd.date_range("2024-03-01", periods=4, freq="D")
    part = pd.DataFrame({"time": days, "actual": [1.0, 2, 3, 4], "predicted": [1.0, 2, 3, 4]})
    assert backtest_figure(part).layout.xaxis.dtick == DAY_MS
    ahead = pd.DataFrame({"date": pd.date_range("2024-03-05", periods=7, freq="D"), "forecast": range(7),
                          **{f"{end}_{level}": float("nan") for end in ("lower", "upper") for level in (80, 95)}})
    history = pd.Series([1.0] * 7, index=pd.date_range("2024-02-27", periods=7, freq="D"))
    assert forecast_figure(ahead, history).layout.xaxis.dtick == 2 * DAY_MS   # 13 days: every other one
    assert day_ticks(pd.date_range("2024-03-01", periods=400, freq="D")) == {}   # plotly's months
    assert day_ticks(pd.date_range("2024-03-01", periods=10, freq="h")) == {}
    assert day_ticks(pd.bdate_range("2024-03-01", periods=6))["dtick"] == DAY_MS   # business days: a day apart
    assert day_ticks([]) == {} and day_ticks(range(5)) == {}   # plain steps, no dates


def test_a_runs_csv_the_page_cannot_open_is_asked_for_and_no_other_series_stands_in(runs_dir, tmp_path):
    """A command-line board reopened showed the bundled ETTh1 under its weekly settings, "Run this board again"
    enabled beside it, though the same file had been uploaded on the page (a forecast user's check). Locally the
    run's CSV opens as the earlier upload of the same bytes; otherwise the upload box waits for it, nothing read."""
    from zoo.spec import ExperimentSpec

    rows = "date,v\n" + "".join(f"2024-01-{d:02d},{d % 7}\n" for d in range(1, 29))
    kept = fio.store_upload(rows.encode(), "sales.csv", runs_dir)
    (tmp_path / "sales.csv").write_text(rows)   # the file the command line was given, uploaded on the page too
    (tmp_path / "other.csv").write_text(rows + "2024-01-29,1\n")
    for name, source in (("sales.csv", "stored"), ("other.csv", "upload")):
        at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py")
        at.session_state["prefill_spec"] = ExperimentSpec(task="series", data=str(tmp_path / name),
                                                          model="linear").to_dict()
        at.run()
        assert not at.exception
        assert at.session_state["forecast-source"] == source, name
        warned = any("not a file this page can open" in w.value for w in at.warning)
        assert warned == (source == "upload")
        # the toast says what to do first where the file is asked for: "check it and press Train and forecast"
        # had stood beside a Start that was off for it (a researcher's check)
        toasts = [t.value for t in at.toast]
        if source == "stored":
            assert Path(at.session_state["forecast-stored-path"]) == kept
            assert toasts == ["The form now holds the spec you picked: check it and press Train and forecast."]
        else:
            assert at.button(key="forecast-board-start").disabled   # no series read, none ranked
            assert toasts == ["The form now holds the spec you picked: upload its data again (the warning says why), "
                              "then press Train and forecast."], toasts


def test_plain_text_keeps_an_address_and_a_time_as_typed_and_no_shortcode():
    """A teacher's check: the words of a lost Ray cluster carried zero-width spaces into its address and time
    ("192.0.2.2:\u200b6390", "10:\u200b22:\u200b46"), which a person copied to a terminal. A colon before a number
    is left alone; one that could start an emoji shortcode, a colour or a link still is not."""
    from ui.text import plain

    said = plain("the Ray cluster at 192.0.2.2:6390 stopped answering at 10:22:46")
    assert said == "the Ray cluster at 192.0.2.2:6390 stopped answering at 10:22:46"
    for made in (":x:", ":100:", ":1234:", ":8ball:", ":+1:", ":red[a]", "http://x"):
        assert "\u200b" in plain(made), made


def test_a_preview_of_times_with_zones_says_the_clock_it_shows_them_on(runs_dir):
    """A dates check: a file from 2023-03-20T00:00+01:00 to days after the spring change (+02:00) is read on its
    latest row's clock, a note says so, and the forecast's table names that clock; the preview's span and first rows
    showed 01:00 under a plain header, an hour off the file's first row to one who read them."""
    times = pd.date_range("2023-03-20", periods=24 * 12, freq="h", tz="Europe/Berlin")
    load = 50 + 10 * np.sin(2 * np.pi * np.arange(len(times)) / 24)
    raw = pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M:%S%z"), "load": load.round(3)}).to_csv(index=False)
    at = new_app()
    at.session_state["forecast-source"] = "upload"
    at.run()
    at.file_uploader(key="forecast-upload").set_value(("berlin.csv", raw.encode(), "text/csv")).run()
    assert_clean(at)
    headline = next(m.value for m in at.markdown if "rows**" in m.value)
    assert headline.endswith("· 2023-03-20 01:00 → 2023-04-01 00:00 (UTC+02:00)"), headline
    first_rows = json.loads(at.dataframe[0].proto.columns)
    assert first_rows["_index"]["label"] == "time (UTC+02:00)", first_rows
