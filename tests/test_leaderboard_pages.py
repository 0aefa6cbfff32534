"""A leaderboard read back by the pages (AppTest): the Runs page lists it as one run, the Forecast
page shows it again from `?run=<id>` with its table, the pick, the skipped ones and the command."""
from __future__ import annotations

import json
import time

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.test_leaderboard import monthly_csv, yearly_csv
from tests.test_pages import APP, no_exceptions, open_page, text_of
from tests.number_boxes import number_box
from zoo.leaderboard import LeaderboardSpec, run_leaderboard
from zoo.runs import patch_result


def test_a_leaderboard_is_one_run_that_reopens(runs_dir, tmp_path):
    summary = run_leaderboard(LeaderboardSpec(data=str(monthly_csv(tmp_path / "sales.csv")), horizon=6, budget=0.01),
                              runs_dir=runs_dir)
    runs = open_page("app_pages/runs.py")
    no_exceptions(runs)
    table = runs.dataframe[0].value
    row = table[table["run"] == summary["run_id"]].iloc[0]
    ranked = len(summary["ranking"])
    assert row["model"] == f"leaderboard ({ranked} of {summary['candidates']} ranked): {summary['pick']['label']}"
    assert ranked < summary["candidates"]   # budget 0.01 s: the baselines only
    assert row["test MASE"] == summary["pick"]["test_mase"] > 0
    assert row["status"] == "finished" and len(table) == 1   # one row for the whole board

    # The pick not the first row (here the ensemble is; run_board's note as it would say otherwise):
    # said where the pick is named, not only in the collapsed notes.
    why = ("the pick is the ensemble (median of the best 3), not linear least squares (lowest validation MASE): "
           "on 26 development series ...")
    patch_result(runs_dir / summary["run_id"], notes=summary["notes"] + [why])
    at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
    no_exceptions(at)
    text = text_of(at)
    assert f"the pick: {summary['pick']['label']}" in text and " not ranked:" in text
    # no model of the zoo ranked: said as a warning beside the pick, not only among the notes (a fault check)
    assert [w.value for w in at.warning if w.value.startswith("None of the zoo's models fit in the 0.01 s budget: ")]
    # the ensemble's members named beside it (in the table they sit in its last column, out of view)
    assert summary["pick"]["settings"]["members"] == ["linear_ls", "seasonal_naive", "mean"]
    assert "the pick: median of the best 3** (of linear least squares, seasonal naive and window mean)" in text
    # a member that stands in for a better-ranked candidate is said so beside the pick (under AutoETS ranked first,
    # "of bagged AutoETS, AutoARIMA, mlp" read as not the best three: a forecast user's check)
    patch_result(runs_dir / summary["run_id"], pick={**summary["pick"], "settings": {
        **summary["pick"]["settings"], "in_place_of": {"seasonal_naive": "linear_ls"}}})
    at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
    no_exceptions(at)
    assert ("the pick: median of the best 3** (of linear least squares, seasonal naive and window mean; seasonal "
            "naive stands in for linear least squares, the two taking one place)") in text_of(at)
    patch_result(runs_dir / summary["run_id"], pick=summary["pick"])
    at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
    assert any(c.value.startswith("The pick is the ensemble (median of the best 3), not linear least squares")
               for c in at.caption)
    assert any("forecast-auto" in c.value for c in at.code)
    # The pick's forecast after as much history as a one-model run's chart shows (ui/series_results.history_rows):
    # 200 rows left a week's forecast of daily data a sliver at the chart's edge.
    from ui.series_results import history_rows

    chart = next(c for c in at.get("plotly_chart") if "board-forecast" in c.proto.id)
    traces = json.loads(chart.proto.spec)["data"]
    history = next(t for t in traces if t.get("name") == "history")
    assert len(history["x"]) == history_rows(6, summary["plan"]["lookback"]) == 24
    board = next(d for d in at.dataframe if "candidate" in d.value.columns)
    assert board.proto.placeholder == "—"   # a skipped candidate's scores are a dash, not "None"
    # coverage in points to one decimal, every row alike (the "percent" format gave "82.64%" beside "75%")
    cover = json.loads(board.proto.columns)["80% cover"]
    assert cover["type_config"]["format"] == "%.1f%%", cover
    shown = board.value.set_index("candidate")["80% cover"]
    assert shown[summary["pick"]["label"]] == pytest.approx(100 * summary["coverage"]["80"])
    plan = summary["plan"]   # what it ran with, under its heading: the horizon, period and lookback it chose
    assert any(f"horizon {plan['horizon']}, period {plan['period']}, lookback {plan['lookback']} · budget" in c.value
               for c in at.caption)
    # budget 0.01 s cut the board short: the command may not give the same table, and the page says so
    assert any("did not fit in this board's budget: the command gives them the same budget" in c.value
               for c in at.caption)
    assert any(h.value.startswith("The pick:") for h in at.subheader)
    # the pick's forecast as numbers too, as a run's (a helper's check found only a chart and the csv)
    forecast = pd.read_csv(runs_dir / summary["run_id"] / "forecast.csv")
    table = next(d for d in at.dataframe if "upper_80" in d.value.columns)
    assert len(table.value) == len(forecast) == plan["horizon"]
    assert table.value["forecast"].tolist() == pytest.approx(forecast["forecast"].tolist())
    assert f"the {plan['horizon']} steps after the last row, with their 80%" in text_of(at)
    # the columns a narrow right column cuts off are named, with how to reach them (a forecast user's check)
    assert "Further right, where the table is cut off: 80% coverage, seconds, each forecast and notes" in text_of(at)


def test_a_level_without_an_interval_shows_a_dash_and_why(runs_dir, tmp_path):
    """Nine validation origins calibrate an 80% interval, not a 95% one: the page says so instead of
    a coverage of 0% (tests/test_leaderboard.py has the numbers)."""
    summary = run_leaderboard(LeaderboardSpec(data=str(yearly_csv(tmp_path / "y.csv")), horizon=6, budget=60,
                                              models="naive,linear_ls"), runs_dir=runs_dir)
    at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
    no_exceptions(at)
    shown = {m.label: m for m in at.metric}
    assert shown["80% coverage"].value.endswith("%")
    assert shown["95% coverage"].value == "—"
    assert "too few validation origins" in shown["95% coverage"].proto.help


def test_run_this_board_again_fills_the_page_with_its_settings_and_keeps_one_models_windows(runs_dir, tmp_path):
    """Reopening a board showed it but left the page's settings as they were: "Run this board again"
    fills the data (the stored upload), the target it detected (not the one picked since), the horizon
    it ran with (its own here: it follows the series on the page, as fitted ones do), its season and its budget; the lookback
    the person set for one model is kept; its candidates, which the page has no field for, are named
    with the command that keeps them; Find the best model then starts the board the page shows."""
    from ui.state import job_manager
    from zoo import forecast_io as fio
    from zoo.leaderboard.spec import LeaderboardSpec as Spec

    import pandas as pd

    frame = pd.read_csv(monthly_csv(tmp_path / "sales.csv"))
    frame.insert(1, "promo", (frame["sales"] * 0.1).round(2))   # another numeric column, before the target
    path = fio.store_upload(frame.to_csv(index=False).encode(), "sales.csv", runs_dir)
    asked = LeaderboardSpec(data=str(path), season=12, budget=40, models="naive,seasonal_naive")
    summary = run_leaderboard(asked, runs_dir=runs_dir)
    assert summary["plan"]["horizon"] == 12   # horizon 0: the monthly usual
    at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
    no_exceptions(at)
    at.button(key="forecast-board-again").click().run()
    no_exceptions(at)
    assert at.query_params["run"] in (summary["run_id"], [summary["run_id"]])   # the board stays beside them
    assert any(f"The data, season and budget of leaderboard {summary['run_id']} are filled in: press **Find the best "
               "model**" in i.value
               for i in at.info)
    # The person then sets one model's lookback, another horizon and another target, and comes back to
    # the board: the board's own settings return, the lookback stays.
    number_box(at, key="forecast-lookback").set_value(30).run()
    number_box(at, key="forecast-horizon").set_value(5).run()
    next(s for s in at.selectbox if s.key.startswith("forecast-target-")).set_value("promo").run()
    at.query_params["run"] = summary["run_id"]
    at.run()
    at.button(key="forecast-board-again").click().run()
    no_exceptions(at)
    assert next(s for s in at.selectbox if s.key.startswith("forecast-target-")).value == "(detect)"
    unshown = " ".join(w.value for w in at.warning)
    assert "That board also set models naive,seasonal_naive, which this page has no field for" in unshown
    assert any("--models naive,seasonal_naive" in c.value and "--budget 40" in c.value for c in at.code)
    assert at.radio(key="forecast-source").value == "stored" and "sales.csv" in text_of(at)
    assert number_box(at, key="forecast-horizon").value == 12
    assert number_box(at, key="forecast-season").value == 12
    assert float(at.session_state["forecast-board-budget"]) == 40
    assert number_box(at, key="forecast-lookback").value == 30   # one model's setting: the person's, kept
    start = at.button(key="forecast-board-start")
    assert not start.disabled
    start.click().run()
    no_exceptions(at)
    job = job_manager().get(at.query_params["run"] if isinstance(at.query_params["run"], str)
                            else at.query_params["run"][0])
    try:
        again = Spec.from_dict(job.payload["spec"])
        for name in ("data", "layout", "season", "budget"):
            assert getattr(again, name) == summary_setting(runs_dir, summary, name), name
        assert (again.horizon, again.target) == (0, summary["target"])   # as it ran: its own, detected
        assert again.models == ""   # the page's: every candidate (the warning said so)
    finally:
        job_manager().stop(job.id)
        deadline = time.time() + 60
        while job.active and time.time() < deadline:   # a state, not a count: the job has ended
            time.sleep(0.2)


def test_run_this_board_again_at_its_own_horizon_leaves_one_models_form_as_it_fits(runs_dir, tmp_path):
    """80 monthly rows: the board ranked at its own horizon 10 where one model's 70/10/20 split holds 5. "Run this
    board again" filled the 10 in as set, and the page said "too few for one window", Train and forecast off (a
    forecast user's check). The board's own horizon follows the series on the page; the board starts at its own."""
    from ui.state import job_manager
    from zoo import forecast_io as fio
    from zoo.leaderboard.spec import LeaderboardSpec as Spec

    path = fio.store_upload(monthly_csv(tmp_path / "sales.csv", rows=80).read_bytes(), "sales.csv", runs_dir)
    summary = run_leaderboard(LeaderboardSpec(data=str(path), budget=30, models="naive"), runs_dir=runs_dir)
    at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
    at.button(key="forecast-board-again").click().run()
    no_exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert not at.button(key="forecast-start").disabled
    assert number_box(at, key="forecast-horizon").value < summary["plan"]["horizon"]
    assert any(f"It ranks at horizon {summary['plan']['horizon']}, its own for this series" in c.value
               for c in at.caption)
    # a lookback box that holds no number is one model's setting, not the board's: the board starts, and keeps no
    # such text as the page's lookback (a reload would have filled it back as the run's own: a review's check)
    number_box(at, key="forecast-lookback").set_value("abc").run()
    assert at.button(key="forecast-start").disabled and not at.button(key="forecast-board-start").disabled
    at.button(key="forecast-board-start").click().run()
    no_exceptions(at)
    job = job_manager().get(at.query_params["run"] if isinstance(at.query_params["run"], str)
                            else at.query_params["run"][0])
    try:
        assert Spec.from_dict(job.payload["spec"]).horizon == 0
        assert "lookback" not in Spec.from_dict(job.payload["spec"]).extra["page"]
    finally:
        job_manager().stop(job.id)
        deadline = time.time() + 60
        while job.active and time.time() < deadline:   # a state, not a count: the job has ended
            time.sleep(0.2)


def summary_setting(runs_dir, summary, name):
    from zoo.runs import open_run

    return open_run(summary["run_id"], runs_dir).settings[name]


def test_a_board_opened_by_its_address_gives_its_horizon_and_a_lookback_that_fits_the_series(runs_dir):
    """A board has a horizon and no lookback (it chose one per model). Opened by its address in a new session,
    its horizon counted as the person's windows and froze the page's lookback at the sample's 96: "too few for
    one window" on 120 monthly rows, Start off (found in review). The board's own horizon (none set) is said beside
    Find the best model, which ranks at it again; the page's horizon and lookback follow the series, as on a fresh
    page (filled in as set, the board's 10 put 80 rows' one-model form in "too few for one window": a forecast
    user's check)."""
    from tests.test_pages import ME
    from zoo import forecast_io as fio
    from zoo.data.series import suggest_windows
    from zoo.demo import owner_of

    raw = pd.DataFrame({"month": pd.date_range("2010-01-01", periods=120, freq="MS").strftime("%Y-%m"),
                        "sales": (100 + 10 * (pd.Series(range(120)) % 12)).astype(float)}).to_csv(index=False).encode()
    stored = fio.store_upload(raw, "monthly sales.csv", runs_dir, owner_of(ME))
    summary = run_leaderboard(LeaderboardSpec(data=str(stored), horizon=0, budget=30, models="naive,seasonal_naive"),
                              runs_dir=runs_dir, owner=owner_of(ME))
    at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]}, state={"visitor": ME})
    no_exceptions(at)
    assert summary["plan"]["horizon"] == 12
    assert any("It ranks at horizon 12, its own for this series" in c.value for c in at.caption)
    fitted = suggest_windows(fio.read_upload(raw, "monthly sales.csv"))
    assert number_box(at, key="forecast-horizon").value == fitted["horizon"]
    assert number_box(at, key="forecast-lookback").value == fitted["lookback"] < 96
    assert not at.error, [e.value for e in at.error]
    assert not at.button(key="forecast-start").disabled


def test_a_board_is_compared_by_its_own_settings_and_says_why_it_has_no_curves(runs_dir, tmp_path):
    """Compare read a board as a training spec full of defaults (lr 0.001, 10 epochs...) and drew it as
    an empty curve: it is compared by its own settings (horizon and lookback as it ran, its budget, its
    pick), a single run's training fields are empty in its column, and the curves say why it has none."""
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    data = str(monthly_csv(tmp_path / "sales.csv"))
    summary = run_leaderboard(LeaderboardSpec(data=data, budget=40, models="naive,seasonal_naive"),
                              runs_dir=runs_dir)
    single = run_experiment(ExperimentSpec(task="series", data=data, model="linear", lookback=20, horizon=12, epochs=1,
                                           device="cpu"), runs_dir=runs_dir)
    at = open_page("app_pages/runs.py")
    no_exceptions(at)
    at.session_state["runs-table-0"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    no_exceptions(at)
    assert len(at.get("plotly_chart")) == 1   # the single run's curves
    assert any(c.value.startswith(f"No curves for {summary['run_id']}: a leaderboard has no epochs of its own")
               for c in at.caption)
    diff = at.dataframe[1].value
    board, run = diff[summary["run_id"]], diff[single.run_id]
    assert board["model"] == "leaderboard" and run["model"] == "linear"
    assert board["budget"] == "40" and run["budget"] == "—"
    assert board["pick"] == summary["pick"]["label"]
    # and by its pick's scores, side by side (two boards compared showed their settings alone)
    # to three decimals, as the board shows them (0.75 beside the board's 0.750: a forecast user's check)
    assert board["pick test MASE"] == f"{summary['pick']['test_mase']:.3f}"
    assert board["pick val MASE"] == f"{summary['pick']['val_mase']:.3f}"
    # coverage in points, as the board shows it (0.868 here read beside 86.8% there)
    assert board["pick 80% cover"] == f"{100 * summary['coverage']['80']:.1f}%"
    assert board["learning rate (lr)"] == "—" and board["epochs"] == "—"   # not a training spec's defaults
    assert board["lookback"] == str(summary["plan"]["lookback"]) and run["lookback"] == "20"
    assert "horizon" not in diff.index   # 12 both: the board's as it ran (set to 0, chosen from the frequency)
    # the column each forecast, which the reader picked for both: "sales" beside "—" had read as two targets (a
    # browser check), and is no difference
    assert "target" not in diff.index
    at.toggle(key="runs-diff-all").set_value(True).run()
    every = at.dataframe[1].value
    assert every.loc["target", summary["run_id"]] == every.loc["target", single.run_id] == "sales"
    at.toggle(key="runs-diff-all").set_value(False).run()
    diff = at.dataframe[1].value
    order = list(diff.index)   # shared fields, then the board's own, then the training fields it lacks
    assert order.index("lookback") < order.index("budget") < order.index("pick") < order.index("learning rate (lr)")


def test_a_reload_during_a_board_fills_the_page_with_its_settings(runs_dir):
    """A new browser session (a reload) that opens this visitor's running board fills the page from
    it, as a live training run's does: the board's spec is a LeaderboardSpec, taken as the page
    takes a board (its horizon, its season, its budget), not dropped for not being a training spec;
    and the page's lookback for one model, kept in the board's `extra`, comes back too (it was 96)."""
    from tests.test_pages import ME
    from ui.state import job_manager
    from zoo.demo import owner_of
    from zoo.jobs import Job

    spec = LeaderboardSpec(data="ETTh1", horizon=0, season=24, budget=90, extra={"page": {"lookback": 48}})
    job = Job(id="20261201-000000-leaderboard-0123456789ab", owner=owner_of(ME), target="none:none",
              payload={"spec": spec.to_dict(), "kind": "leaderboard", "task": "series"}, status="running",
              state={"plan": {"horizon": 24, "period": 24, "lookback": 96, "folds": [[0, 1]], "val_origins": 3,
                              "test_origins": 9}, "planned": ["naive"], "rows": [], "budget": 90})
    manager = job_manager()
    with manager._lock:
        manager._jobs[job.id], _ = job, manager._order.append(job.id)
    try:
        at = open_page("app_pages/forecast.py", query={"run": job.id}, state={"visitor": ME})
        no_exceptions(at)
        assert number_box(at, key="forecast-horizon").value == 24   # the plan's: "0, by frequency" as it ran
        assert number_box(at, key="forecast-season").value == 24
        assert float(at.session_state["forecast-board-budget"]) == 90
        assert number_box(at, key="forecast-lookback").value == 48   # one model's, as the page had it
        assert any(m.value.startswith(f"#### Leaderboard `{job.id}`") for m in at.markdown)
    finally:
        with manager._lock:
            manager._jobs.pop(job.id, None)
            manager._order.remove(job.id)


def test_a_reload_after_a_board_ended_fills_the_page_with_its_settings(runs_dir):
    """As during a board (above), once it has ended: a session opened on its URL takes its horizon,
    season and budget, and the page's lookback it was started with."""
    summary = run_leaderboard(LeaderboardSpec(data="ETTh1", horizon=12, season=24, budget=120, models="naive",
                                              extra={"page": {"lookback": 48}}), runs_dir=runs_dir)
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py")   # a session opened on its URL
    at.query_params["run"] = summary["run_id"]
    at.run()
    no_exceptions(at)
    assert (number_box(at, key="forecast-horizon").value, number_box(at, key="forecast-season").value,
            number_box(at, key="forecast-lookback").value) == (12, 24, 48)
    assert float(at.session_state["forecast-board-budget"]) == 120


def test_a_reload_after_a_board_gives_back_a_lookback_the_page_had_fitted_as_fitted(runs_dir):
    """A review: the page's lookback, kept in a board's `extra`, came back after a reload as if the person had typed
    it, so it stayed put when they then changed the horizon (a training run's spec says which windows the page
    fitted: so does a board's `extra` now). One they typed stays."""
    from zoo.data.series import read_series, resolve_series_source, suggest_windows

    for fitted in (["lookback"], []):
        summary = run_leaderboard(LeaderboardSpec(data="ETTh1", horizon=12, season=24, budget=120, models="naive",
                                                  extra={"page": {"lookback": 48, "windows_fitted": fitted}}),
                                  runs_dir=runs_dir)
        at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py")
        at.query_params["run"] = summary["run_id"]
        at.run()
        no_exceptions(at)
        number_box(at, key="forecast-horizon").set_value(36).run()
        no_exceptions(at)
        follows = suggest_windows(read_series(resolve_series_source("ETTh1")), str(at.session_state["forecast-split"]), season=24,
                                  horizon=36)["lookback"]
        assert follows != 48
        assert number_box(at, key="forecast-lookback").value == (follows if fitted else 48), fitted


def test_a_reload_shows_the_column_the_reader_chose_as_its_default(runs_dir):
    """A board started on the page names the target the reader chose (OT); a reload showed "OT" as if the
    person had picked it, and the reader's note that it is the last numeric column was gone."""
    summary = run_leaderboard(LeaderboardSpec(data="ETTh1", target="OT", horizon=12, budget=60, models="naive"),
                              runs_dir=runs_dir)
    at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
    no_exceptions(at)
    target = next(s for s in at.selectbox if s.key.startswith("forecast-target-"))
    assert target.value == "(detect)" and target.format_func(target.value) == "OT (default)"
    assert next(s for s in at.selectbox if s.key.startswith("forecast-date-")).value == "(detect)"
    assert "'OT' \\(the last numeric column\\)" in text_of(at)   # a reader's note, Markdown escaped (ui/text.plain)


def test_a_board_budget_past_the_pages_range_is_set_to_its_nearest_and_said(runs_dir):
    """The CLI takes an hour's budget; the page's slider ends at 1,800 s: "Run this board again" sets
    1,800 and says so, rather than changing it without a word."""
    summary = run_leaderboard(LeaderboardSpec(data="ETTh1", budget=3600, models="naive"), runs_dir=runs_dir)
    at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
    at.button(key="forecast-board-again").click().run()
    no_exceptions(at)
    assert at.radio(key="forecast-source").value == "sample"
    assert float(at.session_state["forecast-board-budget"]) == 1800
    assert any("This board's budget of 3600" in w.value and "using 1800 s" in w.value for w in at.warning)


def test_the_live_table_marks_no_pick_and_the_finished_one_marks_only_the_pick():
    """While a board ran, ★ sat on the leader so far (AutoARIMA), and moved to the ensemble at the end:
    a person watching took AutoARIMA for the winner. Live, no row is marked; finished, only the pick."""
    from ui.leaderboard import board_table

    rows = [{"name": "AutoARIMA", "status": "done", "val_mase": 0.5},
            {"name": "naive", "status": "done", "val_mase": 0.9},
            {"name": "ensemble", "status": "done", "val_mase": 0.6}]
    assert list(board_table(rows[:2])["pick"]) == ["", ""]
    # the scores next to the candidate, in view on a phone (they were after its kind, out of sight at 375 px)
    assert list(board_table(rows).columns)[:6] == ["rank", "pick", "candidate", "val MASE", "test MASE", "80% cover"]
    assert list(board_table(rows, "ensemble")["pick"]) == ["", "★", ""]


def test_a_short_budget_is_warned_of_before_the_press(runs_dir):
    """At the slider's 10 s a board skips most of its candidates; each skipped row says why, but only after
    the press: below a minute the page says so beside the budget (a new visitor's check)."""
    at = open_page("app_pages/forecast.py")
    short = "some candidates may not fit"
    assert not any(short in c.value for c in at.caption)   # the default budget, 150 s
    at.slider(key="forecast-board-budget").set_value(10.0).run()
    no_exceptions(at)
    assert any(short in c.value and "20-49 s" in c.value for c in at.caption)
    at.slider(key="forecast-board-budget").set_value(60.0).run()
    assert not any(short in c.value for c in at.caption)


def test_inputs_of_every_numeric_column_are_said_to_be_one_models_not_the_boards(runs_dir):
    """The board forecasts the target from its own past: "all numeric columns (multivariate)" set on the page was
    dropped by Find the best model without a word (a forecast user's check)."""
    at = open_page("app_pages/forecast.py")
    said = "It ranks on the target's own past: the Inputs setting above (all numeric columns) is for training one model."
    assert not any(said in c.value for c in at.caption)
    at.radio(key="forecast-features").set_value("all").run()
    no_exceptions(at)
    assert any(said in c.value for c in at.caption)


def test_a_baseline_clearly_better_on_the_test_part_is_said_beside_the_pick(runs_dir, tmp_path):
    """A board's pick (fitted on one spike) scored test MASE 0.651 beside the naive forecast's 0.126, unsaid on the
    page and the command line (a forecast user's check). Said where a baseline's is under 0.9 of the pick's; a few
    hundredths either way are not."""
    from zoo.leaderboard.scoring import baseline_beat_the_pick

    summary = run_leaderboard(LeaderboardSpec(data=str(monthly_csv(tmp_path / "sales.csv")), horizon=6, budget=0.01),
                              runs_dir=runs_dir)
    pick = summary["pick"]
    other = next(r for r in summary["board"] if r["name"] == "naive")
    assert pick["name"] != "naive"

    def board_with_naive_at(share: float) -> list[dict]:
        return [{**r, "test_mase": share * pick["test_mase"]} if r is other else
                {**r, "test_mase": max(r["test_mase"], pick["test_mase"])} if r["kind"] == "baseline" else r
                for r in summary["board"]]

    for share, said in ((0.5, True), (0.95, False)):
        patch_result(runs_dir / summary["run_id"], board=board_with_naive_at(share))
        at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
        no_exceptions(at)
        warned = [w.value for w in at.warning if "did better than the pick" in w.value]
        assert bool(warned) == said, (share, warned)
        if said:
            assert warned == [f"On the test part, the baseline naive (last value) (test MASE "
                              f"{0.5 * pick['test_mase']:.3f}) did better than the pick ({pick['test_mase']:.3f}), "
                              "which was chosen on validation alone: look at the notes on the data and the pick's "
                              "backtest before trusting its forecast."]
    # the command line's warning is the same sentence (zoo/cli/forecast_auto.py); on fewer test origins than the
    # plan's notes call enough to tell models apart by, not said
    assert baseline_beat_the_pick({**summary, "board": board_with_naive_at(0.5)}).startswith("on the test part, the ")
    few = {**summary, "board": board_with_naive_at(0.5), "plan": {**summary["plan"], "test_origins": 4}}
    assert baseline_beat_the_pick(few) is None


def test_an_interval_holding_far_fewer_test_actuals_than_its_level_is_said(runs_dir, tmp_path, capsys):
    """A board's band labelled "80% interval" held 31% of the test actuals, calibrated on 5 validation origins,
    with a red delta alone to say so (a forecast user's check): said under the coverage, on the page and the
    command line, where an interval holds 20 points or more fewer than its level."""
    from zoo.cli.common import say_coverage
    from zoo.forecast_io import coverage_shortfall

    said = ("on the test origins, the 80% interval held only 31% of the actual values: the band is too narrow for "
            "this series, calibrated on 5 validation origins. Read it as a rough guide, not as its level.")
    assert coverage_shortfall({"coverage": {"80": 0.306, "95": None}}, 5, "origins") == said
    assert coverage_shortfall({"coverage": {"80": 0.61, "95": 0.94}}, 5, "origins") is None   # 19 points under
    # 55% of 12 forecasts is what a calibrated 80% interval shows about once in fifty: not said; of 50, said
    assert coverage_shortfall({"coverage": {"80": 0.55}}, 5, "origins", tested=12) is None
    assert coverage_shortfall({"coverage": {"80": 0.55}}, 5, "origins", tested=50) is not None
    say_coverage({"coverage": {"80": 0.306, "95": None}}, 5, "origins")
    assert f"warning: {said}\n" in capsys.readouterr().err
    summary = run_leaderboard(LeaderboardSpec(data=str(monthly_csv(tmp_path / "sales.csv")), horizon=6, budget=0.01),
                              runs_dir=runs_dir)
    for coverage, warned in (({"80": 0.306, "95": 0.9}, True), ({"80": 0.75, "95": 0.9}, False)):
        patch_result(runs_dir / summary["run_id"], coverage=coverage)
        at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
        no_exceptions(at)
        shown = [w.value for w in at.warning if "the band is too narrow" in w.value]
        assert shown == ([f"On the test origins, the 80% interval held only 31% of the actual values: the band is too "
                          f"narrow for this series, calibrated on {summary['plan']['val_origins']} validation "
                          "origins. Read it as a rough guide, not as its level."] if warned else [])


def test_a_queued_board_says_its_place_in_the_queue_and_why(runs_dir):
    """A board queued behind other visitors' jobs said "Starting the worker (loading PyTorch and reading the
    series)" with no position, where a queued run says its place and the cap it waits on (a demo visitors' check):
    both say it through ui/live.not_yet_running, and a search's queued worker says why too."""
    from tests.test_pages import ME
    from ui.search_views import job_lines
    from ui.state import job_manager
    from zoo.demo import owner_of
    from zoo.jobs import Job

    manager = job_manager()
    spec = LeaderboardSpec(data="ETTh1", horizon=24, budget=90)
    ahead = Job(id="20261201-000000-leaderboard-aaaaaaaaaaaa", owner="another", target="none:none",
                payload={"spec": spec.to_dict(), "kind": "leaderboard", "task": "series"}, status="queued")
    board = Job(id="20261201-000001-leaderboard-0123456789ab", owner=owner_of(ME), target="none:none",
                payload={"spec": spec.to_dict(), "kind": "leaderboard", "task": "series"}, status="queued")
    with manager._lock:
        for job in (ahead, board):
            manager._jobs[job.id], _ = job, manager._order.append(job.id)
    try:
        at = open_page("app_pages/forecast.py", query={"run": board.id}, state={"visitor": ME})
        no_exceptions(at)
        said = text_of(at)
        assert manager.describe_wait(board.id).startswith("position 2 in the queue: ")
        assert manager.describe_wait(board.id) in said and "Starting the worker" not in said
        lines, _ = job_lines(manager, [board.id])
        assert lines == [f"worker {board.id.rsplit('-', 1)[-1]}: queued: {manager.describe_wait(board.id)}"]
    finally:
        with manager._lock:
            for job in (ahead, board):
                manager._jobs.pop(job.id, None)
                manager._order.remove(job.id)


def test_a_board_picked_by_an_earlier_rule_says_so_where_its_pick_is_named(runs_dir, tmp_path):
    """An upgrade check: a board of an earlier version had picked linear least squares alone, and its page said
    "the pick is the median of the best three" above it with no word that the board had been picked otherwise."""
    summary = run_leaderboard(LeaderboardSpec(data=str(monthly_csv(tmp_path / "sales.csv")), horizon=6, budget=0.01),
                              runs_dir=runs_dir)
    earlier = "this board's pick, linear least squares, was made by an earlier version's rule"

    def captions() -> list[str]:
        at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
        no_exceptions(at)
        return [c.value for c in at.caption]

    assert not [c for c in captions() if earlier in c.lower()]   # the pick today's rule gives: nothing said
    from zoo.runs import open_run

    single = next(r for r in open_run(summary["run_id"], runs_dir).candidates() if r["name"] == "linear_ls")
    patch_result(runs_dir / summary["run_id"], pick={**summary["pick"], "name": "linear_ls", "kind": single["kind"],
                                                     "label": single["label"], "settings": {}})
    said = [c for c in captions() if earlier in c.lower()]
    assert said == ["This board's pick, linear least squares, was made by an earlier version's rule; the rule now is "
                    "the median of the best 3 where 3 models are ranked besides the baselines, else the lowest "
                    "validation score: run this board again to pick by it."], said
    # an ensemble of another size than today's (rule 5 took the best 1 to 5 on validation), under the same name
    patch_result(runs_dir / summary["run_id"], pick={**summary["pick"], "label": "median of the best 2",
                                                     "settings": {**summary["pick"]["settings"], "size": 2}})
    assert [c for c in captions() if "this board's pick, median of the best 2, was made by an earlier" in c.lower()]


def test_a_board_another_process_writes_says_so_and_is_followed(runs_dir, tmp_path):
    """A board the CLI runs into the same runs directory, opened by its address: the page drew it once, `running`,
    with the rows it had then (a check of one person in two tabs and a shell). It says whose it is and follows its
    files (ui/run_view.written_elsewhere; a browser test follows a training run's so)."""
    from zoo.run_health import process_identity

    summary = run_leaderboard(LeaderboardSpec(data=str(monthly_csv(tmp_path / "sales.csv")), horizon=6, budget=0.01),
                              runs_dir=runs_dir)
    patch_result(runs_dir / summary["run_id"], status="running", process=process_identity())   # this live process
    at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
    no_exceptions(at)
    assert [w.value for w in at.warning if w.value.startswith("This leaderboard's files say it is still running, but "
                                                               "this server is not running it")]
    assert not at.success   # no "Finished" banner for a board that has not ended
    # its heading says nothing it does not know yet ("target None · took ?": a re-check)
    patch_result(runs_dir / summary["run_id"], target=None, seconds=None)
    at = open_page("app_pages/forecast.py", query={"run": summary["run_id"]})
    assert not [c.value for c in at.caption if "None" in c.value or "took ?" in c.value]
    assert [c.value for c in at.caption if " · budget " in c.value]
