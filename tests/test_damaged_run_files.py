"""A run directory whose files a full disk, a crash or a hand left damaged (a storage-faults check): each is said in
one sentence where it is used, what else the run holds is shown, and nothing damaged reads as done."""
from __future__ import annotations

import shutil

import pytest

from tests.test_cli import zoo_main
from tests.test_forecast_page import finished_run  # noqa: F401  (a fixture)
from tests.test_pages import no_exceptions, open_page, text_of, trained_runs  # noqa: F401  (a fixture)
from zoo.registry import SpecError
from zoo.runs import CANDIDATE_COLUMNS, BoardWriter, load_run


def candidate(name: str) -> dict:
    return {"name": name, "label": name, "kind": "baseline", "status": "done", "val_mase": 0.9, "test_mase": 1.1,
            "settings": {"season": 12}, "sparkline": [1.0, 2.0, 3.0, 4.0], "note": ""}


def test_a_candidate_row_cut_short_by_a_full_disk_is_no_ranked_candidate_and_the_next_row_follows_whole(runs_dir):
    """`forecast-auto` on a disk that filled mid-board left candidates.csv cut inside its 5th row (15 of 16 fields, a
    truncated JSON sparkline): `zoo runs` and the Runs page said "leaderboard (5 ranked so far)" and the board listed
    that row as done. The row cut short is not read, and the next one is written after the last whole row."""
    from zoo.run_records import run_record

    board = BoardWriter(runs_dir, {"data": "ETTh1"})
    board.write_result({"status": "running"})
    for name in ("naive", "seasonal_naive", "mean", "linear_ls"):
        board.append_candidate(candidate(name))
    with open(board.path / "candidates.csv", "a") as fh:
        fh.write('drift,drift,baseline,done,0.8,0.8,1.0,1.0,9.0,,,0.1,3,"{}","[1.0,2.')   # the disk refused the rest
    run = load_run(board.path)
    assert [c["name"] for c in run.candidates()] == ["naive", "seasonal_naive", "mean", "linear_ls"]
    assert run_record(run)["model"] == "leaderboard (4 ranked so far)"
    board.append_candidate(candidate("theta"))
    rows = load_run(board.path).candidates()
    assert [c["name"] for c in rows] == ["naive", "seasonal_naive", "mean", "linear_ls", "theta"]
    assert rows[-1]["sparkline"] == [1.0, 2.0, 3.0, 4.0] and rows[-1]["settings"] == {"season": 12}
    import pandas as pd

    assert list(pd.read_csv(board.path / "candidates.csv").columns) == list(CANDIDATE_COLUMNS)   # pandas reads it
    # a row of too few fields that did end its line (written by hand) is not read either
    with open(board.path / "candidates.csv", "a") as fh:
        fh.write("croston,croston,baseline,done\n")
    assert len(load_run(board.path).candidates()) == 5


@pytest.mark.parametrize("table, body, why", [
    ("forecast", b"date,forecast\n2024-01-01 00:00:00,1.5\n\x00\x01,x,y,3,4,5\n", "("),
    # read by pandas, but no run's: another's columns, words for numbers (a re-check: KeyError, ValueError tracebacks)
    ("forecast", b"a,b\n1,2\n", "(it has no column date, forecast)"),
    ("forecast", b"date,forecast\n2024-01-01 00:00:00,yy\n", "(its column forecast holds words, not numbers)"),
    ("backtest", b"a,b\n1,2\n", "(it has no column time, step, actual, predicted)"),
])
def test_a_forecast_or_backtest_csv_with_garbage_is_one_sentence_and_the_rest_of_the_run_is_shown(
        finished_run, table, body, why):  # noqa: F811
    """Garbage in forecast.csv put pandas' ParserError traceback in place of the rest of the Forecast page's run view:
    no downloads, no "Close this run". Now one sentence where the table would be, the rest shown."""
    (finished_run / f"{table}.csv").write_bytes(body)
    with pytest.raises(SpecError, match=f"this run's {table}.csv cannot be read"):
        load_run(finished_run).table(table)
    at = open_page("app_pages/forecast.py", query={"run": finished_run.name})
    no_exceptions(at)
    said = [e.value for e in at.error]
    assert len(said) == 1 and said[0].startswith(f"This run's {table}.csv cannot be read {why}"), said
    assert "Traceback" not in text_of(at)
    assert {"backtest.csv", "forecast.csv", "whole run (.zip)"} <= {b.label for b in at.download_button}
    assert any(b.label == "Close this run" for b in at.button)
    assert any(h.value == ("Forecast" if table == "backtest" else "Backtest") for h in at.subheader)


@pytest.mark.parametrize("damage", ["cut short", "garbage", "empty"])
def test_a_damaged_checkpoint_is_said_in_a_sentence_on_the_pages_and_the_command_line(
        trained_runs, runs_dir, tmp_path, damage):  # noqa: F811
    """A best.pt cut short or overwritten with garbage gave "Could not evaluate this run's checkpoint: [Errno 22]
    Invalid argument" on Train, "Cannot load this model: [Errno 22] ..." on Inspect, and `zoo gradcam` "internal
    error (OSError: ...)" with exit 1. Now one sentence: best.pt is damaged, train the run again; exit 2."""
    src, ids = trained_runs
    shutil.copytree(src / ids[0], runs_dir / ids[0])
    run_dir = runs_dir / ids[0]
    whole = (run_dir / "best.pt").read_bytes()
    (run_dir / "best.pt").write_bytes({"cut short": whole[:-10], "garbage": b"not a checkpoint\n" * 50,
                                       "empty": b""}[damage])
    with pytest.raises(SpecError, match="best.pt (is damaged or cut short|is not a plain state_dict)"):
        load_run(run_dir).model
    proc = zoo_main("gradcam", "--run", str(run_dir), "--index", "0", "--out", str(tmp_path / "cam.png"))
    assert proc.returncode == 2, proc.stderr
    assert "train the run again (its settings are kept)" in proc.stderr and "internal error" not in proc.stderr
    assert "Errno" not in proc.stderr, proc.stderr
    for page, prefix in (("app_pages/train.py", "Could not evaluate this run's checkpoint: "),
                         ("app_pages/inspect.py", "Cannot load this model: ")):
        at = open_page(page, query={"run": ids[0]})
        no_exceptions(at)
        said = [e.value for e in at.error if e.value.startswith(prefix)]
        assert len(said) == 1 and "train the run again (its settings are kept)" in said[0], [e.value for e in at.error]
        assert "Errno" not in said[0]


def test_a_run_whose_result_json_cannot_be_read_is_said_to_be_there_on_its_page(trained_runs, runs_dir):  # noqa: F811
    """The Runs page listed the folder as unreadable with its error, while /train?run=<id> said "There is no run ...
    it was deleted, or it belongs to another server's runs directory". The run's page says what the Runs page says."""
    src, ids = trained_runs
    shutil.copytree(src / ids[0], runs_dir / ids[0])
    (runs_dir / ids[0] / "result.json").write_text('{"status": "fini')
    at = open_page("app_pages/train.py", query={"run": ids[0]})
    no_exceptions(at)
    said = [e.value for e in at.error]
    assert not [s for s in said if "There is no run" in s], said
    assert [s for s in said if s.startswith(f"Run `{ids[0]}`'s folder is in ")
            and "but it cannot be read: result.json is not readable JSON (" in s], said
    runs = open_page("app_pages/runs.py")
    assert f"`{ids[0]}`: result.json is not readable JSON (" in text_of(runs)
