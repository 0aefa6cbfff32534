"""A leaderboard read back by the pages (AppTest): the Runs page lists it as one run, the Forecast
page shows it again from `?run=<id>` with its table, the pick, the skipped ones and the command."""
from __future__ import annotations

from tests.test_leaderboard import monthly_csv, yearly_csv
from tests.test_pages import navigation_mode, no_exceptions, open_page, text_of  # noqa: F401 (the fixture)
from zoo.leaderboard import LeaderboardSpec, run_leaderboard
from zoo.runs import patch_result


def test_a_leaderboard_is_one_run_that_reopens(runs_dir, tmp_path):
    summary = run_leaderboard(LeaderboardSpec(data=str(monthly_csv(tmp_path / "sales.csv")), horizon=6, budget=0.01),
                              runs_dir=runs_dir)
    runs = open_page("pages/runs.py")
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
    at = open_page("pages/forecast.py", query={"run": summary["run_id"]})
    no_exceptions(at)
    text = text_of(at)
    assert f"the pick: {summary['pick']['label']}" in text and "did not make the table" in text
    assert any(c.value.startswith("The pick is the ensemble (median of the best 3), not linear least squares")
               for c in at.caption)
    assert any("forecast-auto" in c.value for c in at.code)
    # budget 0.01 s cut the board short: the command may not give the same table, and the page says so
    assert any("did not fit in this board's budget: the command gives them the same budget" in c.value
               for c in at.caption)
    assert any(h.value.startswith("The pick:") for h in at.subheader)


def test_a_level_without_an_interval_shows_a_dash_and_why(runs_dir, tmp_path):
    """Nine validation origins calibrate an 80% interval, not a 95% one: the page says so instead of
    a coverage of 0% (tests/test_leaderboard.py has the numbers)."""
    summary = run_leaderboard(LeaderboardSpec(data=str(yearly_csv(tmp_path / "y.csv")), horizon=6, budget=60,
                                              models="naive,linear_ls"), runs_dir=runs_dir)
    at = open_page("pages/forecast.py", query={"run": summary["run_id"]})
    no_exceptions(at)
    shown = {m.label: m for m in at.metric}
    assert shown["80% interval coverage"].value.endswith("%")
    assert shown["95% interval coverage"].value == "—"
    assert "too few validation origins" in shown["95% interval coverage"].proto.help
