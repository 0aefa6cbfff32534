"""The hosted demo (PLAYGROUND_DEMO=1): caps hold through the CLI and the library, not only the
widgets; a checkpoint is never unpickled as code; no id from a URL or a form reaches a path
unchecked; no page offers a server path; visitors keep to their own runs.
"""
from __future__ import annotations

import math
import os
import pickle
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.number_boxes import number_box
from zoo import demo
from zoo.registry import SpecError
from zoo.spec import ExperimentSpec

APP = str(ROOT / "app.py")
PAGES = tuple(f"app_pages/{name}.py" for name in ("home", "train", "runs", "forecast", "inspect", "search"))


@pytest.fixture
def demo_on(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    for name in ("EPOCHS", "TRIALS", "TRAIN_SAMPLES", "UPLOAD_MB", "UPLOAD_ROWS", "WALL_SECONDS"):
        monkeypatch.delenv(f"PLAYGROUND_CAP_{name}", raising=False)
    return demo.caps()


def cli(*args, env=None, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "zoo", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=300)


def test_a_forms_range_message_on_the_demo_names_no_command_line(demo_on, monkeypatch):
    """The form's "outside the form's range" told the hosted demo's strangers that "the command line allows more",
    a command line they do not have (a stranger's check); run locally, it still says so."""
    def said(at) -> list[str]:
        return [e.value for e in at.error if "weight decay" in e.value]

    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/train.py").run()
    at.text_input(key="train-settings-weight_decay").set_value("5").run()
    assert said(at) == ["weight decay: 5 is outside the form's range [0, 0.1]; pick a value inside it."], said(at)
    monkeypatch.delenv("PLAYGROUND_DEMO")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/train.py").run()
    at.text_input(key="train-settings-weight_decay").set_value("5").run()
    assert said(at) == ["weight decay: 5 is outside the form's range [0, 0.1]; pick a value inside it (the command "
                        "line allows more: at least 0)."], said(at)
    # a value the command line refuses too: no "allows more" (-5 read "... allows more: at least 0", a learner's check)
    at.text_input(key="train-settings-weight_decay").set_value("-5").run()
    assert said(at) == ["weight decay: -5 is outside the form's range [0, 0.1]; pick a value inside it."], said(at)


# ------------------------------------------------------------------ caps, through the CLI and the library


def test_caps_hold_through_the_cli_with_demo_mode_on(tmp_path, monkeypatch):
    from tests.test_cli import zoo_main

    env = {"PLAYGROUND_DEMO": "1", "PLAYGROUND_CAP_EPOCHS": "3"}
    proc = cli("train", "--epochs", "4", "--runs-dir", str(tmp_path), env=env)   # as a person runs it
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        "error: this hosted demo trains at most 3 epochs per run, and these settings ask for 4; lower the epochs."]
    # The rest through the CLI's `main` in this process (the caps are read from the environment at
    # each call): a process each cost 5 s of start-up.
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PLAYGROUND_CAP_TRIALS", raising=False)
    monkeypatch.setenv("PLAYGROUND_CAP_TRAIN_SAMPLES", "100")
    proc = zoo_main("train", "--data", "mnist-sample", "--epochs", "1", "--runs-dir", str(tmp_path))
    assert proc.returncode == 2 and "at most 100 samples per run" in proc.stderr
    assert "set the training samples (--limit-train) to 100 or fewer" in proc.stderr   # its flag, not its field
    monkeypatch.delenv("PLAYGROUND_CAP_TRAIN_SAMPLES")
    proc = zoo_main("search", "--n-trials", "50", "--runs-dir", str(tmp_path))
    assert proc.returncode == 2 and "at most 20 trials per search" in proc.stderr
    assert not any(tmp_path.iterdir()), "nothing was written for a refused run"
    # Outside demo mode the CLI keeps its own defaults: the same epochs are fine.
    monkeypatch.delenv("PLAYGROUND_DEMO")
    assert zoo_main("train", "--epochs", "4", "--dry-run", "--runs-dir", str(tmp_path)).returncode == 0



def test_the_cli_help_gives_the_demos_range_where_a_cap_lowers_it(monkeypatch):
    """`train --help` on the demo said "the form offers 1 to 200" for --epochs, where the form and the command
    line both stopped at the cap (a demo visitor's check): the help is built from zoo/demo.offered."""
    from tests.test_cli import zoo_main

    def epochs_help() -> str:
        out = " ".join(zoo_main("train", "--help").stdout.split())
        return out[out.index("--epochs INT passes"):out.index("--batch-size INT samples")]

    assert "valid: at least 1; the form offers 1 to 200)" in epochs_help()
    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    monkeypatch.setenv("PLAYGROUND_CAP_EPOCHS", "3")
    assert "valid: at least 1, at most 3 on this hosted demo; the form offers 1 to 3)" in epochs_help()


def test_demo_mode_set_in_the_secrets_file_holds_on_the_command_line_too(tmp_path):
    """README: demo mode is on with PLAYGROUND_DEMO = true in .streamlit/secrets.toml, and the command line obeys the
    caps in demo mode. Only the app read that file: with it alone, `train --epochs 31` trained (a docs check)."""
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text("PLAYGROUND_DEMO = true\nPLAYGROUND_CAP_EPOCHS = 3\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAYGROUND_")}
    proc = subprocess.run([sys.executable, "-m", "zoo", "train", "--epochs", "4", "--runs-dir", str(tmp_path / "r")],
                          capture_output=True, text=True, cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                          timeout=300)
    assert proc.returncode == 2 and proc.stderr.strip().splitlines()[-1] == (
        "error: this hosted demo trains at most 3 epochs per run, and these settings ask for 4; lower the epochs.")
    assert not (tmp_path / "r").exists()


def test_caps_hold_through_the_library_with_demo_mode_on(demo_on, runs_dir):
    from zoo import forecast_io as fio
    from zoo.engine import run_experiment
    from zoo.jobs import JobManager, submit_training

    with pytest.raises(SpecError, match=f"at most {demo_on.epochs} epochs"):
        run_experiment(ExperimentSpec(epochs=demo_on.epochs + 1), runs_dir=runs_dir)
    with pytest.raises(SpecError, match="at most"):
        submit_training(JobManager(max_running=1, per_owner=1), ExperimentSpec(epochs=demo_on.epochs + 1),
                        owner="someone", runs_dir=runs_dir)
    too_big = b"date,value\n" + b"2024-01-01,1\n" * (demo_on.upload_mb * 1_000_000 // 13 + 10)
    with pytest.raises(SpecError, match="over the upload limit"):
        fio.store_upload(too_big, "big.csv", runs_dir, "someone")
    with pytest.raises(SpecError, match="over the limit"):
        fio.read_upload(too_big, "big.csv")
    assert not runs_dir.exists() or not any(p for p in runs_dir.rglob("*") if p.is_file())


def test_a_search_over_more_samples_than_the_cap_is_refused_before_its_first_trial(demo_on, monkeypatch, runs_dir):
    """A search with every training sample (limit_train 0) of a dataset over the cap: refused when it is
    set up, as a run is; before, it started and the engine refused each of its trials in turn."""
    from zoo.search import SearchConfig, build_space

    monkeypatch.setenv("PLAYGROUND_CAP_TRAIN_SAMPLES", "1000")
    config = SearchConfig(spec=ExperimentSpec(model="mlp", data="mnist-sample", epochs=1), space=build_space("mlp"), n_trials=2,
                          runs_dir=str(runs_dir))
    with pytest.raises(SpecError, match="at most 1,000 samples per run, and these settings would use 3,600"):
        config.validate()
    within = ExperimentSpec(model="mlp", data="mnist-sample", epochs=1, limit_train=1000)
    SearchConfig(spec=within, space=build_space("mlp"), n_trials=2).validate()


def test_a_leaderboard_is_capped_and_counted_as_the_visitors(demo_on, runs_dir, tmp_path):
    from zoo.leaderboard import LeaderboardSpec, run_leaderboard
    from zoo.leaderboard.job import submit_leaderboard
    from zoo.jobs import JobManager
    from tests.test_leaderboard import monthly_csv

    data = str(monthly_csv(tmp_path / "sales.csv"))
    over = LeaderboardSpec(data=data, horizon=6, budget=demo_on.wall_seconds + 10)
    with pytest.raises(SpecError, match=f"at most {demo_on.wall_seconds} s.*lower the time budget"):
        submit_leaderboard(JobManager(max_running=1, per_owner=1), over, owner="visitor-a", runs_dir=runs_dir)
    with pytest.raises(SpecError, match="lower the time budget"):
        run_leaderboard(over, runs_dir=runs_dir)   # the CLI's path (forecast-auto) too
    assert not runs_dir.exists() or not any(runs_dir.iterdir())
    summary = run_leaderboard(LeaderboardSpec(data=data, horizon=6, budget=0.01), runs_dir=runs_dir,
                              owner="visitor-a")
    assert demo.usage("visitor-a", runs_dir)["runs"] == 1 and demo.usage("visitor-b", runs_dir)["runs"] == 0
    assert summary["run_id"] in demo.sweep(runs_dir, now=time.time() + demo_on.max_age_hours * 3600 + 60)


def test_a_leaderboards_zoo_models_train_within_the_training_samples_cap(demo_on, runs_dir, tmp_path, monkeypatch):
    """A board on a 40,000-row upload trained its zoo models on 25,600 windows where a run of one model was refused
    past the demo's 20,000 (a demo visitors' check). Each fit of a zoo model takes the latest windows within the cap,
    the board says so, and the baselines read every row."""
    import zoo.engine
    from tests.test_leaderboard import monthly_csv
    from zoo.leaderboard import LeaderboardSpec, run_leaderboard

    trained, epochs = [], []
    real_fit = zoo.engine.fit

    def fit(spec, *, data=None, **kwargs):   # the real fit, its training windows counted
        trained.append((len(data.x_train), data.x_train[-1].clone()))
        epochs.append(spec.epochs)
        return real_fit(spec, data=data, **kwargs)

    monkeypatch.setattr(zoo.engine, "fit", fit)
    monkeypatch.setenv("PLAYGROUND_CAP_TRAIN_SAMPLES", "40")
    spec = LeaderboardSpec(data=str(monthly_csv(tmp_path / "s.csv")), horizon=6, season=12, models="linear",
                           budget=120)
    summary = run_leaderboard(spec, runs_dir=runs_dir)
    assert trained and all(n <= 40 for n, _ in trained), [n for n, _ in trained]
    assert [n for n, _ in trained].count(40) >= 2   # the folds had more: cut to the cap
    note = next(n for n in summary["notes"] if n.startswith("on this hosted demo a model of the zoo trains on at "
                                                            "most 40 windows"))
    assert "each fit trained on at most its latest 40" in note and "the baselines and the classical models read every row" in note
    # and within the cap on epochs (the recipe's 200 for linear on a short series had been trained as they were)
    assert max(epochs) == demo_on.epochs and "and for at most 30 epochs (its cap on epochs), where its recipe asked " \
                                               "for more (linear);" in note
    capped_last = trained[-1][1]
    # The pick's spec says the cap it trained within, so that "Train the pick on its own" is not refused by it
    # and trains on the latest windows as the board's fits did (it had asked for every window: refused).
    from zoo.engine import run_experiment

    pick = ExperimentSpec.from_dict(summary["pick"]["spec"])
    assert pick.limit_train == 40
    trained.clear()
    run_experiment(pick, runs_dir=runs_dir)
    from zoo.data import load_data

    every = load_data(pick.replace(limit_train=0))
    assert trained[0][0] == 40 and torch.equal(trained[0][1], every.x_train[-1])
    # Outside the demo: every window, the latest the same as under the cap (the cut takes the first ones away)
    trained.clear()
    monkeypatch.delenv("PLAYGROUND_DEMO")
    summary = run_leaderboard(spec, runs_dir=runs_dir)
    assert max(n for n, _ in trained) > 40 and torch.equal(trained[-1][1], capped_last) and max(epochs) > 30
    assert not any("hosted demo" in n for n in summary["notes"]) and summary["pick"]["spec"]["limit_train"] == 0


def test_a_demo_board_of_a_wrapped_zoo_model_names_its_cut_epochs(demo_on, runs_dir, tmp_path):
    """The note on the caps looked a candidate's recipe up by its own name: deseasoned_linear is no model, and a
    demo board of it failed at its very end, every candidate trained (a review). A wrapped candidate trains its
    model's recipe, and is named where the cap on epochs cut it."""
    from tests.test_leaderboard import monthly_csv
    from zoo.leaderboard import LeaderboardSpec, run_leaderboard

    spec = LeaderboardSpec(data=str(monthly_csv(tmp_path / "s.csv")), horizon=6, season=12,
                           models="deseasoned_linear", budget=120)
    summary = run_leaderboard(spec, runs_dir=runs_dir)
    assert summary["status"] == "finished", summary.get("reason")
    assert any("for at most 30 epochs (its cap on epochs), where its recipe asked for more (deseasoned_linear)" in n
               for n in summary["notes"]), summary["notes"]


def test_the_wall_time_cap_ends_a_job_as_stopped_with_its_best_checkpoint(monkeypatch, runs_dir):
    from zoo.jobs import JobManager, submit_training
    from zoo.runs import load_run

    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    monkeypatch.setenv("PLAYGROUND_CAP_WALL_SECONDS", "4")
    # Epochs no machine ends in 4 s (30 of 3,000 samples did, on a fast CI machine), so the cap is
    # what ends the job, whatever the speed; the epochs cap is raised to allow them.
    monkeypatch.setenv("PLAYGROUND_CAP_EPOCHS", "100000")
    manager = JobManager(max_running=1, per_owner=1)
    try:
        job = submit_training(manager, ExperimentSpec(model="cnn", epochs=100_000, patience=0, limit_train=256),
                              owner="visitor", runs_dir=runs_dir)
        manager.wait(job.id, timeout=120)
    finally:
        manager.shutdown()
    assert job.status == "stopped" and "wall-time cap (4 s per job)" in job.reason
    run = load_run(runs_dir / job.id)
    assert run.status == "stopped" and run.result["owner"] == "visitor"
    assert run.model is not None   # the best checkpoint loads


def test_runs_and_disk_per_visitor_and_the_age_sweep(demo_on, runs_dir, monkeypatch):
    from zoo.engine import run_experiment
    from zoo.runs import list_runs

    monkeypatch.setenv("PLAYGROUND_CAP_RUNS_PER_VISITOR", "2")
    spec = ExperimentSpec(epochs=1, limit_train=256)
    for _ in range(2):
        run_experiment(spec, runs_dir=runs_dir, owner="visitor-a")
    with pytest.raises(SpecError, match="you keep 2 runs"):
        demo.check_room("visitor-a", runs_dir)
    demo.check_room("visitor-b", runs_dir)   # another visitor is not counted against them
    draft = runs_dir / demo.DRAFTS / "visitor-a.json"   # what they set in a form (ui/drafts.py)
    draft.parent.mkdir()
    draft.write_text("[]")
    assert demo.sweep(runs_dir, now=time.time()) == []   # nothing older than the age cap yet
    assert draft.exists()
    deleted = demo.sweep(runs_dir, now=time.time() + demo_on.max_age_hours * 3600 + 60)
    assert len(deleted) == 2 and list_runs(runs_dir) == [] and not draft.exists()


def test_a_run_whose_checkpoint_would_take_a_visitor_past_the_disk_cap_is_refused(demo_on, runs_dir, monkeypatch):
    """check_room asked only whether a visitor was past the disk cap already, so one just under it could start a
    run whose checkpoint kept up to MODEL_MB more (a demo visitors' check). The checkpoint's size is counted at the
    run's start, before its run directory, and beside the Train page's Start (a refused run had started a job that
    failed saying so); a smaller model still fits, and another visitor is not counted."""
    from zoo.engine import run_experiment
    from zoo.registry import DataShape

    monkeypatch.setenv("PLAYGROUND_CAP_DISK_MB_PER_VISITOR", "1")
    mine = demo.owner_of("a" * 32)
    image = DataShape(task="image", channels=1, height=28, width=28, num_classes=10)
    big = ExperimentSpec(model="mlp", model_params={"depth": 1, "width": 256}, epochs=1, limit_train=64)
    small = ExperimentSpec(model="mlp", model_params={"depth": 1, "width": 16}, epochs=1, limit_train=64)
    weights = demo.parameter_count("mlp", image, big.model_params) * 4
    assert 400_000 < weights < 1_000_000   # fits the cap alone
    run_experiment(small, runs_dir=runs_dir, owner=mine)   # the visitor's one small run
    folder = next(r for r in runs_dir.iterdir() if (r / "spec.json").exists())
    (folder / "padding.bin").write_bytes(b"x" * (1_000_000 - weights // 2 - demo.usage(mine, runs_dir)["bytes"]))
    demo.check_room(mine, runs_dir)   # not past the cap yet: check_room lets it start
    before = sorted(p.name for p in runs_dir.iterdir())
    said = (r"this run's checkpoint would keep about 0\.\d MB of mlp's weights, and your runs and uploads take 0\.\d MB "
            r"of the 1 MB this hosted demo keeps per visitor; delete some runs on the Runs page or lower the model's "
            r"size\.")
    with pytest.raises(SpecError, match=said):
        run_experiment(big, runs_dir=runs_dir, owner=mine)
    assert sorted(p.name for p in runs_dir.iterdir()) == before   # refused before its run directory
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/train.py")
    at.session_state["visitor"] = "a" * 32
    at.session_state["train-model"] = "mlp"
    at.run()
    for name, value in big.model_params.items():
        key = f"train-model-mlp-{name}"
        next(w for kind in (at.slider, at.select_slider) for w in kind if w.key == key) \
            .set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="train-start").disabled
    assert any(re.search(said, e.value, re.IGNORECASE) for e in at.error), [e.value for e in at.error]
    run_experiment(small, runs_dir=runs_dir, owner=mine)   # a small one still fits
    run_experiment(big, runs_dir=runs_dir, owner="visitor-b")   # another visitor's room is their own
    two_layers = big.replace(model_params={"depth": 2, "width": 256})   # 1.08 MB: past the cap alone
    with pytest.raises(SpecError, match=r"this run's checkpoint alone would keep about 1\.1 MB of mlp's weights, "
                                        r"more than the 1 MB this hosted demo keeps per visitor; lower the model's "
                                        r"size\.$"):
        run_experiment(two_layers, runs_dir=runs_dir, owner="visitor-c")


def test_a_visitors_studies_are_in_a_journal_of_their_own_counted_and_swept(demo_on, runs_dir, monkeypatch):
    """On the demo a visitor's studies are kept apart (zoo/search/storage.default_storage), counted in their
    disk and deleted by the age sweep as their runs are; locally every study shares one journal."""
    import optuna

    from zoo.search import default_storage, open_storage

    mine = default_storage(str(runs_dir), "visitor-a")
    assert mine == str(runs_dir / "optuna" / "visitor-a" / "journal.log")
    for bad in ("../visitor-b", "a/b", ""):
        with pytest.raises(SpecError, match="not a visitor's id"):
            demo.visitor_folder(bad)
    before = demo.usage("visitor-a", runs_dir)["bytes"]
    optuna.create_study(study_name="s", storage=open_storage(mine))
    shared = Path(default_storage(str(runs_dir)))
    optuna.create_study(study_name="s", storage=open_storage(str(shared)))
    assert demo.usage("visitor-a", runs_dir)["bytes"] == before + Path(mine).stat().st_size > before
    assert demo.usage("visitor-b", runs_dir)["bytes"] == 0
    demo.sweep(runs_dir, now=time.time())
    assert Path(mine).exists()
    monkeypatch.delenv("PLAYGROUND_DEMO")   # locally the sweep deletes nothing: the shared journal is local use's
    assert demo.sweep(runs_dir, max_age_hours=1, now=time.time() + 7200) == [] and shared.exists()
    assert default_storage(str(runs_dir), "visitor-a") == str(shared)
    monkeypatch.setenv("PLAYGROUND_DEMO", "1")   # on the demo a shared journal is a demo's from before: swept too
    demo.sweep(runs_dir, now=time.time() + demo_on.max_age_hours * 3600 + 60)
    assert not Path(mine).parent.exists() and not shared.exists()


def test_uploads_are_held_to_the_disk_cap_and_the_refusal_names_them(demo_on, runs_dir, monkeypatch):
    """Uploads count in a visitor's disk: before, any number were kept past the cap, and the visitor
    was then told to delete runs (which took 0.2 MB of 15) until the day's sweep."""
    from zoo import forecast_io as fio

    monkeypatch.setenv("PLAYGROUND_CAP_DISK_MB_PER_VISITOR", "1")

    def csv(value: int) -> bytes:
        return b"date,value\n" + b"".join(f"2024-01-01 {h % 24:02d}:00,{value}\n".encode() for h in range(34_000))

    first = fio.store_upload(csv(1), "a.csv", runs_dir, "visitor-a")   # about 0.6 MB
    assert fio.store_upload(csv(1), "a.csv", runs_dir, "visitor-a") == first   # the same file: kept once, no refusal
    with pytest.raises(SpecError, match=r"this upload \(0.6 MB\) cannot be kept: .* of it your uploads; uploads "
                                        "are deleted 24 hours after"):
        fio.store_upload(csv(2), "b.csv", runs_dir, "visitor-a")
    assert len(list((runs_dir / "uploads" / "visitor-a").glob("*.csv"))) == 1
    fio.store_upload(csv(2), "b.csv", runs_dir, "visitor-b")   # another visitor's room is their own
    (runs_dir / "uploads" / "visitor-a" / "pad.csv").write_bytes(b"x" * 500_000)   # as an earlier cap allowed
    with pytest.raises(SpecError, match="of it your uploads; uploads are deleted"):
        demo.check_room("visitor-a", runs_dir)


def test_past_the_disk_for_everyone_new_runs_and_uploads_are_refused_for_every_visitor(demo_on, runs_dir,
                                                                                       monkeypatch, caplog):
    """A visitor is a cookie: a script that drops its cookie is a new visitor each time, with a fresh allowance, and
    nothing capped the runs directory as a whole (an operator's check). Past DISK_MB_TOTAL every visitor's new runs
    and uploads are refused, saying when room comes back, and the server's log says so."""
    from zoo import forecast_io as fio

    monkeypatch.setenv("PLAYGROUND_CAP_DISK_MB_TOTAL", "2")
    monkeypatch.setattr(demo, "_total", {})
    for i in range(3):   # three "visitors" of 0.9 MB each, each within their own 200 MB
        folder = runs_dir / "uploads" / f"visitor-{i}"
        folder.mkdir(parents=True)
        (folder / "a.csv").write_bytes(b"x" * 900_000)
        if i == 1:
            demo.check_room("visitor-new", runs_dir)   # 1.8 MB of 2: room yet
            monkeypatch.setattr(demo, "_total", {})
    said = r"this hosted demo's disk for everyone's runs and uploads is full \(2\.7 MB of 2 MB\); what is kept goes "
    with pytest.raises(SpecError, match=said + "24 hours after its last use: try again later."):
        demo.check_room("visitor-new", runs_dir)
    with pytest.raises(SpecError, match=said):
        fio.store_upload(b"date,value\n2024-01-01,1\n2024-01-02,2\n", "b.csv", runs_dir, "visitor-new")
    assert not (runs_dir / "uploads" / "visitor-new").exists()
    # said once a reading of the size, not on every page's script run (an operator's check: the log flooded)
    assert sum("the demo's disk for everyone is full (2.7 MB of 2 MB)" in r.getMessage() for r in caplog.records) == 1
    assert demo.total_bytes(runs_dir) == 2_700_000
    (runs_dir / "uploads" / "visitor-0" / "a.csv").unlink()   # the sweep, say: read again after a while
    assert demo.total_bytes(runs_dir) == 2_700_000
    assert demo.total_bytes(runs_dir, now=time.monotonic() + demo.TOTAL_READ_EVERY_S + 1) == 1_800_000


# ------------------------------------------------------------------ checkpoints are not code


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_payload_as_a_checkpoint_is_refused_and_runs_nothing(runs_dir, tmp_path):
    from zoo.engine import run_experiment
    from zoo.runs import load_run

    run = run_experiment(ExperimentSpec(epochs=1, limit_train=256), runs_dir=runs_dir)
    marker = tmp_path / "pwned"
    with open(run.run_dir / "best.pt", "wb") as fh:
        pickle.dump({"conv1.weight": Payload(marker)}, fh)
    with pytest.raises(SpecError, match="not a plain state_dict"):
        load_run(run.run_dir).model
    proc = cli("gradcam", "--run", str(run.run_dir), "--index", "0", "--out", str(tmp_path / "cam.png"))
    assert proc.returncode == 2 and "not a plain state_dict" in proc.stderr
    assert not marker.exists(), "the payload ran"


# ------------------------------------------------------------------ ids and paths


@pytest.mark.parametrize("bad", ["../../etc", "..", "a/b", "/etc/passwd", "x\\y", "run\x00id", "", ".hidden",
                                 "drafts", "uploads", "optuna"])   # the runs directory's own folders
def test_every_run_id_is_checked_before_a_path_is_built(bad, runs_dir):
    from zoo.runs import RunWriter, check_run_id, open_run

    with pytest.raises(SpecError):
        check_run_id(bad)
    with pytest.raises(SpecError):
        open_run(bad, runs_dir)
    with pytest.raises(SpecError):
        RunWriter(runs_dir, ExperimentSpec(), run_id=bad or None) if bad else check_run_id(bad)



def test_the_runs_directorys_own_folders_are_no_run_ids():
    from zoo import demo, forecast_io
    from zoo.runs import NOT_RUN_IDS

    assert NOT_RUN_IDS == {forecast_io.UPLOADS, str(demo.STUDIES), str(demo.DRAFTS)}


@pytest.mark.parametrize("page", ["app_pages/train.py", "app_pages/forecast.py", "app_pages/inspect.py"])
def test_a_traversal_in_the_url_is_refused_on_every_page_that_opens_runs(page, runs_dir):
    at = AppTest.from_file(APP, default_timeout=60).switch_page(page)
    at.query_params["run"] = "../../etc"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("is not a run id" in e.value for e in at.error), [e.value for e in at.error]
    # quoted as code: a link, an image the browser fetched at once, or a colour (an attacker's check)
    for markdown in ("[Your session expired: log in](https://evil.example/login)", "![a](http://127.0.0.9:9/p.png)",
                     ":red[**SECURITY ALERT**]"):
        at = AppTest.from_file(APP, default_timeout=60).switch_page(page)
        at.query_params["run"] = markdown
        at.run()
        then = "pick a run below" if "inspect" in page else "open a run from the Runs page"
        assert [e.value for e in at.error] == [f"`{markdown}` is not a run id; {then}."]


def test_on_the_demo_no_page_offers_a_server_path_or_a_storage(demo_on, runs_dir, tmp_path):
    evil = tmp_path / "evil-journal.log"
    for page in PAGES:
        at = AppTest.from_file(APP, default_timeout=60).switch_page(page)
        at.query_params.update({"storage": str(evil), "study": "x"})   # a storage in the URL: ignored here
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        labels = [t.label.lower() for t in at.text_input]
        assert not [lb for lb in labels if any(w in lb for w in ("path", "storage", "csv", "file", "url"))], \
            (page, labels)
    # The Search page's series and the Inspect page's series come from uploads, not typed paths.
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/search.py").run()
    at.radio(key="search_kind").set_value("A series (CSV)").run()
    assert not [t for t in at.text_input if "csv" in t.label.lower() or "path" in t.label.lower()]
    assert not evil.exists(), "a storage path from the URL was opened"


def test_the_search_form_starts_within_the_demos_caps(demo_on, runs_dir, monkeypatch):
    """A demo visitors' check: with caps of 2 trials and 3 epochs, a first visit to Search met 20 trials and 5 epochs
    per trial, "Epochs per trial: 5 is more than 3, this hosted demo's most per run", and Start off."""
    monkeypatch.setenv("PLAYGROUND_CAP_TRIALS", "2")
    monkeypatch.setenv("PLAYGROUND_CAP_EPOCHS", "3")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/search.py")
    at.session_state["visitor"] = "f" * 32
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert number_box(at, key="search_trials").value == 2 and number_box(at, key="search_epochs").value == 3
    assert not at.button(key="search_start").disabled


@pytest.mark.parametrize("local", [True, False])
def test_a_full_dataset_missing_asks_for_files_only_where_the_user_owns_the_server(local, runs_dir,
                                                                                    tmp_path, monkeypatch):
    """Locally the Train page says where to put the IDX files; a demo visitor cannot, and is not shown
    the server's folder."""
    monkeypatch.setenv("PLAYGROUND_DATA", str(tmp_path / "no data here"))
    if not local:
        monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/train.py").run()
    at.selectbox(key="train-data").set_value("mnist").run()
    assert not at.exception
    said = "\n".join(c.value for c in at.caption if "is not on this machine" in c.value)
    assert said and ("IDX files" in said and "no data here" in said) == local and ("no data here" in said) == local


def test_a_spec_handed_over_never_opens_a_file_outside_the_visitors_uploads(demo_on, runs_dir):
    from zoo import forecast_io as fio

    mine = fio.store_upload(b"date,v\n" + b"".join(f"2024-01-{d:02d},{d}\n".encode() for d in range(1, 29)),
                            "theirs.csv", runs_dir, demo.owner_of("d" * 32))
    for data in ("/etc/passwd", str(mine)):   # the server's file, another visitor's upload
        at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py")
        at.session_state["visitor"] = "e" * 32
        at.session_state["prefill_spec"] = ExperimentSpec(task="series", data=data, model="linear").to_dict()
        at.run()
        assert not at.exception
        assert any("not a file this page can open" in w.value for w in at.warning), data
        assert at.session_state["forecast-source"] == "upload"   # nothing read in its place (not the sample)
        # nor is another visitor's upload offered among the earlier uploads (the Forecast and Search pages' picker)
        sources = at.radio(key="forecast-source").options
        assert sources == ["Bundled sample (ETTh1)", "Upload a CSV"], sources
    mine_too = fio.store_upload(b"date,v\n" + b"".join(f"2024-02-{d:02d},{d}\n".encode() for d in range(1, 29)),
                                "mine.csv", runs_dir, demo.owner_of("e" * 32))
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py")
    at.session_state["visitor"] = "e" * 32
    at.session_state["forecast-source"] = "stored"
    at.run()
    assert not at.exception
    assert at.selectbox(key="forecast-stored-path").options == ["mine.csv · 1 kB"]
    assert at.selectbox(key="forecast-stored-path").value == str(mine_too)


def test_the_demo_names_no_server_path_for_a_missing_run_nor_in_a_searchs_url(demo_on, runs_dir):
    """A run URL with no run said "There is no run … in /srv/…/runs" on Train and Inspect, and a search's
    URL carried its journal's path, to any visitor; the demo names neither (README)."""
    missing = "20261130-211900-cnn-000000000000"
    for page in ("app_pages/train.py", "app_pages/inspect.py"):
        at = AppTest.from_file(APP, default_timeout=60).switch_page(page)
        at.query_params["run"] = missing
        at.run()
        errors = [str(e.value) for e in at.error]
        assert any(f"There is no run `{missing}` in this demo's runs" in e for e in errors), (page, errors)
        assert not any(str(runs_dir) in e for e in errors), errors

    def remember_a_search(storage: str) -> None:
        from ui.search_views import remember

        remember({"study": "mine", "jobs": ["search-mine-abcdef-1"], "storage": storage})

    at = AppTest.from_function(remember_a_search, args=(str(runs_dir / "optuna" / "journal.log"),)).run()
    assert not at.exception and dict(at.query_params) == {"study": "mine", "jobs": "search-mine-abcdef-1"}


def test_a_visitors_studies_are_their_own_by_url_and_by_name(demo_on, runs_dir):
    """A study's trials name their runs: on the demo a guessed study name in the URL shows nothing of
    another visitor's study (not its trials, run ids, other names or the storage's path), the same
    words as for a name that does not exist. Names are each visitor's own: a name another visitor took
    is a new study of one's own, with no word that theirs exists (the form said "The study name `X` is
    taken", which told a stranger it did: a demo visitor's check); its owner sees it all."""
    from zoo.search import SearchConfig, build_space, default_storage, load_study, run_search

    theirs, mine = "a" * 32, "b" * 32
    # lr within a range that trains (its declared range reaches 1, where adam may diverge: the trial
    # is then pruned and the study has no best run to look for; it failed so once in a full run)
    def search(visitor: str) -> dict:
        return run_search(SearchConfig(spec=ExperimentSpec(model="mlp", epochs=1, limit_train=256),
                                       space=build_space("mlp", search={"lr": (1e-3, 1e-2)}), n_trials=1,
                                       study="their-study", runs_dir=str(runs_dir), owner=demo.owner_of(visitor)))

    their_run = search(theirs)["best_run_id"]
    assert their_run is not None
    journal = default_storage(str(runs_dir), demo.owner_of(theirs))
    assert journal == str(runs_dir / "optuna" / demo.owner_of(theirs) / "journal.log")

    def search_page(visitor: str, study: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/search.py")
        at.session_state["visitor"] = visitor
        at.query_params["study"] = study
        return at.run()

    def everything(at) -> str:
        return "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "error", "subheader")
                         for e in getattr(at, kind))

    # A new visitor looking (a study's address, the page's new-study and attach forms) writes nothing: each made
    # a folder and an empty journal
    at = search_page("d" * 32, "no-such-study")
    fresh = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/search.py")
    fresh.session_state["visitor"] = "d" * 32
    fresh.run()
    assert not at.exception and not fresh.exception and fresh.text_input(key="search_study_name")
    assert sorted(p.name for p in (runs_dir / "optuna").iterdir()) == [demo.owner_of(theirs)]
    for study in ("their-study", "no-such-study"):
        at = search_page(mine, study)
        assert not at.exception
        text = everything(at)
        assert f"There is no study of yours named `{study}` on this demo." in text
        assert "their-study" not in text.replace("`their-study`", "") and their_run not in text and journal not in text
        assert not [d for d in at.dataframe if their_run in d.value.to_string()]
    at = search_page(mine, "x")
    at.text_input(key="search_study_name").set_value("their-study").run()
    assert not at.exception and "their-study" not in everything(at).replace("`their-study`", "")
    assert "exists" not in everything(at) and "taken" not in everything(at) and "trial(s)" not in everything(at)
    assert not at.button(key="search_start").disabled
    # ... and it is a study of one's own: the same name, two studies of one trial each, each its visitor's
    my_run = search(mine)["best_run_id"]
    assert my_run not in (None, their_run)
    for visitor, run_id in ((theirs, their_run), (mine, my_run)):
        study = load_study(default_storage(str(runs_dir), demo.owner_of(visitor)), "their-study")
        assert [t.user_attrs["run_id"] for t in study.trials] == [run_id]
        assert study.user_attrs["owner"] == demo.owner_of(visitor)

    at = search_page(theirs, "their-study")   # its owner: the trials, and the storage without its path
    assert not at.exception and "Study `their-study`" in everything(at) and journal not in everything(at)
    assert "storage: this demo's study storage" in everything(at)
    assert [d for d in at.dataframe if their_run in d.value.to_string()], "the owner sees the trial table"
    assert not [d for d in at.dataframe if my_run in d.value.to_string()]
    # A trial's download names the study's journal as the shared one's place: no visitor's id in a path
    from zoo.runs import load_run

    run = load_run(runs_dir / their_run)
    assert journal in (run.path / "result.json").read_text()
    shared = demo.shareable_bytes(run, run.path / "result.json")
    assert demo.owner_of(theirs).encode() not in shared and b'"storage": "runs/optuna/journal.log"' in shared
    link = runs_dir.parent / "runs-link"   # a server whose runs directory is a link: the worker names its target
    link.symlink_to(runs_dir)
    via_link = load_run(link / their_run)
    shared = demo.shareable_bytes(via_link, via_link.path / "result.json")
    assert demo.owner_of(theirs).encode() not in shared and str(runs_dir).encode() not in shared
    assert str(link).encode() not in shared and b'"storage": "runs/optuna/journal.log"' in shared

    with pytest.raises(SpecError, match="at most 600 s"):
        SearchConfig(spec=ExperimentSpec(model="mlp", epochs=1), space=build_space("mlp"), n_trials=2,
                     timeout=3600, runs_dir=str(runs_dir), owner="x").validate()


def test_another_visitors_search_worker_in_the_url_is_not_followed_beside_ones_own_study(demo_on, runs_dir):
    """A visitor's own study's URL with another visitor's worker id added (`&jobs=`) showed that worker's state
    ("worker 1: finished: this worker ran 1 trial(s)") as a worker of their study (a demo visitor's check). Job
    ids from the URL are followed only when they are a worker of that study and the visitor's."""
    from ui.state import job_manager
    from zoo.search import SearchConfig, build_space, run_search, submit_search

    alice, bob = "a" * 32, "b" * 32
    spec, space = ExperimentSpec(model="mlp", epochs=1, limit_train=128), build_space("mlp", search={"lr": (1e-3, 1e-2)})
    run_search(SearchConfig(spec=spec, space=space, n_trials=1, study="bobs-study", runs_dir=str(runs_dir),
                            owner=demo.owner_of(bob)))
    manager = job_manager()
    job = submit_search(manager, SearchConfig(spec=spec, space=space, n_trials=1, study="alices-study",
                                              runs_dir=str(runs_dir), owner=demo.owner_of(alice)),
                        owner=demo.owner_of(alice))[0]
    deadline = time.time() + 120
    while manager.get(job.id).active and time.time() < deadline:   # her worker's end, as the page would read it
        time.sleep(0.2)
    assert not manager.get(job.id).active

    def search_page(visitor: str, study: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/search.py")
        at.session_state["visitor"] = visitor
        at.query_params.update(study=study, jobs=job.id)
        return at.run()

    text = lambda at: "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "subheader")   # noqa: E731
                                for e in getattr(at, kind) if not kind == "markdown" or "worker" in str(e.value))
    at = search_page(bob, "bobs-study")
    assert not at.exception and "Study `bobs-study`" in text(at)
    assert "this worker ran" not in text(at) and job.id not in text(at), text(at)
    at = search_page(alice, "alices-study")   # her own worker, beside her own study: followed
    assert "this worker ran" in text(at), text(at)
    # Her study's address without `&jobs=` (typed, shared between her tabs): her workers of it are found
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/search.py")
    at.session_state["visitor"] = alice
    at.query_params.update(study="alices-study")
    at.run()
    assert not at.exception and "this worker ran" in text(at), text(at)


def test_a_runs_downloads_on_the_demo_hold_the_run_not_the_server(demo_on, runs_dir):
    """A visitor who opened another's run by its URL downloaded spec.json with the upload's kept path and
    result.json with its owner's id, its directory and its process's host and pid (a demo visitor's check).
    On the demo a download's JSON names the file as sent, without those keys; every other file is as it is."""
    import io
    import json
    import zipfile

    from zoo import forecast_io as fio
    from zoo.engine import run_experiment
    from zoo.runs import load_run, patch_result

    raw = pd.DataFrame({"t": range(120), "sales": np.arange(120.0) % 12 + 10}).to_csv(index=False).encode()
    stored = fio.store_upload(raw, "my sales.csv", runs_dir, demo.owner_of("a" * 32))
    done = run_experiment(ExperimentSpec(task="series", data=str(stored), model="linear", lookback=12, horizon=3,
                                         epochs=1), runs_dir=runs_dir, owner=demo.owner_of("a" * 32))
    run = load_run(done.run_dir)
    result = json.loads((run.path / "result.json").read_text())
    assert {"owner", "run_dir", "process"} <= set(result) and str(stored) in (run.path / "spec.json").read_text()
    spec = ExperimentSpec.from_json(demo.shareable_bytes(run, run.path / "spec.json").decode())
    assert spec.data == "my sales.csv" and spec.replace(data=str(stored)) == run.spec   # the rest as it was
    shared = json.loads(demo.shareable_bytes(run, run.path / "result.json"))
    assert shared == {k: v for k, v in result.items() if k not in ("owner", "run_dir", "process")}
    with zipfile.ZipFile(io.BytesIO(demo.shareable_zip(run))) as zf:
        names = zf.namelist()
        assert sorted(names) == sorted(f"{run.run_id}/{p.name}" for p in run.files())
        for name in names:
            body = zf.read(name)
            assert str(runs_dir).encode() not in body and demo.owner_of("a" * 32).encode() not in body, name
            if not name.endswith(".json"):
                assert body == (run.path / name.split("/")[1]).read_bytes(), name
    # A failed run's traceback (the server's install paths) and a reason naming its folder (found in review)
    patch_result(run.path, status="failed", traceback="File \"/srv/app/.venv/lib/python3.11/site-packages/x.py\"",
                 reason=f"cannot write the run's files in {run.path}; make the runs directory writable")
    shared = json.loads(demo.shareable_bytes(run, run.path / "result.json"))
    assert "traceback" not in shared and str(runs_dir) not in json.dumps(shared)
    assert shared["reason"] == f"cannot write the run's files in runs/{run.run_id}; make the runs directory writable"
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py")   # nor on its page
    at.session_state["visitor"] = "a" * 32
    at.query_params["run"] = run.run_id
    at.run()
    assert not at.exception and not [c for c in at.code if "/srv/app" in c.value]
    assert [c for c in at.caption if "the server's log has its traceback" in c.value]
    # A dataset's or the sample's name is a spec's own: kept as it is (it read "ETTh1 (bundled sample)")
    sample = run_experiment(ExperimentSpec(task="series", data="ETTh1", model="linear", lookback=12, horizon=3,
                                           epochs=1, limit_train=64), runs_dir=runs_dir, owner=demo.owner_of("a" * 32))
    sample_run = load_run(sample.run_dir)
    shared = ExperimentSpec.from_json(demo.shareable_bytes(sample_run, sample_run.path / "spec.json").decode())
    assert shared == sample_run.spec
    # A damaged JSON file is never sent as its raw bytes, which may name the server
    result = sample_run.path / "result.json"
    result.write_text(result.read_text()[:-5])
    assert str(runs_dir).encode() not in demo.shareable_bytes(sample_run, result)
    assert b"could not be read" in demo.shareable_bytes(sample_run, result)


def test_a_search_stops_at_the_visitors_runs_cap_trial_by_trial(demo_on, runs_dir, monkeypatch):
    """The room was checked once, when the search was submitted: a visitor at 1 run of 2 ran all 4
    trials and kept 5 runs. Each trial keeps a run, so the search now stops when the cap is reached,
    saying why; the trials that ran are kept."""
    from zoo.engine import run_experiment
    from zoo.runs import list_runs
    from zoo.search import SearchConfig, build_space, run_search

    monkeypatch.setenv("PLAYGROUND_CAP_RUNS_PER_VISITOR", "2")
    owner = demo.owner_of("c" * 32)
    run_experiment(ExperimentSpec(epochs=1, limit_train=256), runs_dir=runs_dir, owner=owner)
    summary = run_search(SearchConfig(spec=ExperimentSpec(model="mlp", epochs=1, limit_train=256),
                                      space=build_space("mlp", search={"lr": (1e-3, 1e-2)}), n_trials=4,
                                      study="capped", runs_dir=str(runs_dir), owner=owner))
    assert summary["status"] == "stopped" and summary["worker"]["trials"] == 1
    assert "stopped after 1 trial(s): you keep 2 runs" in summary["reason"]
    assert len([r for r in list_runs(runs_dir) if r.result.get("owner") == owner]) == 2
    # A search whose last trial reaches the cap ran every trial asked for: finished, not "stopped ...: you keep 2
    # runs" (a demo visitors' check); the cap is said by the next Start
    other = demo.owner_of("e" * 32)
    run_experiment(ExperimentSpec(epochs=1, limit_train=256), runs_dir=runs_dir, owner=other)
    exact = run_search(SearchConfig(spec=ExperimentSpec(model="mlp", epochs=1, limit_train=256),
                                    space=build_space("mlp", search={"lr": (1e-3, 1e-2)}), n_trials=1,
                                    study="exact", runs_dir=str(runs_dir), owner=other))
    assert exact["status"] == "finished" and exact["reason"] == "this worker ran 1 trial(s)", exact["reason"]


def test_a_search_of_more_trials_than_the_runs_left_is_refused_before_it_is_queued(demo_on, runs_dir, monkeypatch):
    """Each trial keeps a run: with room for one more run, a search of 3 trials ran one and stopped
    (a new visitor's check); now it is refused when submitted, saying how many trials fit."""
    from zoo.engine import run_experiment
    from zoo.jobs import JobManager
    from zoo.search import SearchConfig, build_space, submit_search

    monkeypatch.setenv("PLAYGROUND_CAP_RUNS_PER_VISITOR", "2")
    owner = demo.owner_of("c" * 32)
    run_experiment(ExperimentSpec(epochs=1, limit_train=256), runs_dir=runs_dir, owner=owner)
    manager = JobManager(max_running=1, per_owner=1)
    config = SearchConfig(spec=ExperimentSpec(model="mlp", epochs=1, limit_train=256), n_trials=3, study="three",
                          space=build_space("mlp", search={"lr": (1e-3, 1e-2)}), runs_dir=str(runs_dir), owner=owner)
    try:
        with pytest.raises(SpecError, match="you keep 1 of the 2 runs this hosted demo keeps per visitor: give at "
                                            "most 1 trial, or delete some runs"):
            submit_search(manager, config, owner=owner)
        assert manager.jobs(owner) == []
    finally:
        manager.shutdown()
    demo.check_room(owner, runs_dir, trials=1)   # one trial fits


def test_more_trials_for_a_study_are_held_to_the_trials_cap_in_all(demo_on, runs_dir, monkeypatch):
    """"Run more trials" took a study of 2 trials to 22 past the cap of 20, and again (a demo visitors' check):
    the cap holds for the study, in zoo and beside the button, which the refusal names."""
    from zoo.search import SearchConfig, build_space, run_search

    monkeypatch.setenv("PLAYGROUND_CAP_TRIALS", "3")
    visitor = "c" * 32

    def search(n: int) -> dict:
        return run_search(SearchConfig(spec=ExperimentSpec(model="mlp", epochs=1, limit_train=256),
                                       space=build_space("mlp", search={"lr": (1e-3, 1e-2)}), n_trials=n,
                                       study="small", runs_dir=str(runs_dir), owner=demo.owner_of(visitor)))

    assert search(2)["n_trials"] == 2
    with pytest.raises(SpecError, match="at most 3 trials per study, and this one has 2 and asks for 2 more; give at "
                                        "most 1."):
        search(2)
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/search.py")
    at.session_state["visitor"] = visitor
    at.query_params["study"] = "small"
    at.run()
    assert not at.exception
    number_box(at, key="continue_trials").set_value(2).run()
    assert at.button(key="continue_go").disabled
    assert ("Run more trials is off until this is fixed: this hosted demo runs at most 3 trials per study, and this "
            "one has 2 and asks for 2 more; give at most 1.") in [c.value.strip(":red[]") for c in at.caption]
    number_box(at, key="continue_trials").set_value(1).run()
    assert not at.button(key="continue_go").disabled


def test_the_demo_search_page_states_its_caps_before_start(demo_on, runs_dir):
    """The caps are said beside Start, and settings past one turn Start off with the cap's own words,
    before anything is pressed (before, the refusal came only once Start was pressed)."""
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/search.py").run()
    assert not at.exception
    said = [c.value for c in at.caption if "On this hosted demo a study runs at most" in c.value]
    assert said and f"at most {demo_on.trials} trials" in said[0] and f"{demo_on.epochs} epochs" in said[0]
    assert said[0].endswith("and a search stops after 10 minutes.")   # the default cap, 600 s
    assert not at.button(key="search_start").disabled
    at.selectbox(key="search_data").set_value("mnist-sample")
    number_box(at, key="search_trials").set_value(demo_on.trials + 1).run()
    assert at.button(key="search_start").disabled
    assert any(f"at most {demo_on.trials} trials per search" in c.value for c in at.caption)
    number_box(at, key="search_trials").set_value(2)
    number_box(at, key="search_epochs").set_value(demo_on.epochs + 1).run()
    assert at.button(key="search_start").disabled
    # said under the box as the demo's cap (demo.offered)
    assert any(f"is more than {demo_on.epochs}, this hosted demo's most per run" in e.value for e in at.error)
    # Two wrong at once: each is said (the caps' line and the trials' refusal had gone while the epochs were wrong:
    # a demo visitor's check)
    number_box(at, key="search_trials").set_value(demo_on.trials + 1).run()
    assert any(f"is more than {demo_on.epochs}, this hosted demo's most per run" in e.value for e in at.error)
    assert any("On this hosted demo a study runs at most" in c.value for c in at.caption)
    assert any(f"at most {demo_on.trials} trials per search" in c.value for c in at.caption)
    number_box(at, key="search_trials").set_value(2)
    number_box(at, key="search_epochs").set_value(1).run()
    assert not at.button(key="search_start").disabled


def test_a_series_search_past_the_samples_cap_is_refused_before_start_and_before_its_first_trial(
        demo_on, runs_dir, monkeypatch):
    """A CSV's size is unknown until it is read (zoo/demo.check_spec): the Search page counts its windows and turns
    Start off, and a search run anyway (the CLI, another worker) is refused once its data is read, not as every
    trial's refusal in turn (a review)."""
    from zoo.search import SearchConfig, build_space, run_search

    monkeypatch.setenv("PLAYGROUND_CAP_TRAIN_SAMPLES", "1000")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/search.py")
    at.session_state["search_kind"] = "A series (CSV)"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="search_start").disabled
    assert any("at most 1,000 samples per run, and these settings would use 12,075" in c.value for c in at.caption), [
        c.value for c in at.caption]
    spec = ExperimentSpec(task="series", data="ETTh1", model="linear", epochs=1)
    config = SearchConfig(spec=spec, space=build_space("linear", task="series"), n_trials=2, runs_dir=str(runs_dir))
    with pytest.raises(SpecError, match="at most 1,000 samples per run, and these settings would use 12,075"):
        run_search(config)
    assert not runs_dir.exists() or not any(p for p in runs_dir.rglob("spec.json"))


def test_home_says_it_is_a_shared_demo_and_its_run_fits_the_caps(demo_on, runs_dir, monkeypatch):
    """Home said nothing of the demo (the caps, and that a visitor's runs are theirs, first showed on
    Train), and its one-click run asked for 5 epochs where the demo allowed 3 (a new visitor's check)."""
    monkeypatch.setenv("PLAYGROUND_CAP_EPOCHS", "3")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/home.py").run()
    assert not at.exception
    assert [i for i in at.info if "This is a shared demo." in i.value and "at most 3 epochs" in i.value
            and "listed for you alone; anyone you give a run's URL can open it" in i.value]
    # every cap a visitor can meet: the search's and the upload's too (a learner's check found them missing)
    assert [i for i in at.info if f"a search runs at most {demo_on.trials} trials, and an uploaded CSV holds at most "
            f"{demo_on.upload_mb} MB and {demo_on.upload_rows:,} rows." in i.value], [i.value for i in at.info]
    # and how long their files stay, and where they delete them sooner (a demo visitor found it said nowhere)
    hours = f"{demo_on.max_age_hours:g} hours"
    assert [i for i in at.info if i.value.endswith(
        f"The server deletes your runs {hours} after they end, uploads, studies and form settings {hours} after their "
        "last use, or at once with **Delete all my data** on the Runs page.")], [i.value for i in at.info]
    assert [c for c in at.caption if "the classic LeNet-style CNN, 3 epochs of Adam" in c.value]
    monkeypatch.delenv("PLAYGROUND_DEMO")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/home.py").run()
    assert not at.info and [c for c in at.caption if "the classic LeNet-style CNN, 5 epochs of Adam" in c.value]


def test_another_visitors_leaderboard_says_whose_it_is(demo_on, runs_dir):
    """A finished run of another visitor said so; their leaderboard only hid "Run this board again"."""
    from zoo.leaderboard import LeaderboardSpec, run_leaderboard

    theirs = "a" * 32
    board = run_leaderboard(LeaderboardSpec(data="ETTh1", budget=60, models="naive"), runs_dir=runs_dir,
                            owner=demo.owner_of(theirs))
    for visitor, said in ((theirs, False), ("b" * 32, True)):
        at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py")
        at.session_state["visitor"] = visitor
        at.query_params["run"] = board["run_id"]
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        notice = [c for c in at.caption if "Another visitor's leaderboard: you may look at it and download its "
                  "files." in c.value]
        assert bool(notice) == said and bool([b for b in at.button if b.key.endswith("board-again")]) != said


def test_a_board_budget_past_the_demos_time_cap_is_not_offered_and_is_refused_before_the_click(
        demo_on, runs_dir, monkeypatch):
    """The page's budget slider went to 1,800 s, and with a cap of 20 s started at 150, refused at once (demo
    visitors' checks): it stops at the cap, its default within it (demo.offered). zoo still refuses a budget past
    the cap from anywhere else (check_budget)."""
    from zoo.demo import check_budget

    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py").run()
    assert not at.exception and not at.button(key="forecast-board-start").disabled
    assert at.slider(key="forecast-board-budget").max == 600
    monkeypatch.setenv("PLAYGROUND_CAP_WALL_SECONDS", "25")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py").run()
    budget = at.slider(key="forecast-board-budget")
    assert (budget.max, budget.value) == (20, 20) and not at.button(key="forecast-board-start").disabled
    with pytest.raises(SpecError, match="at most 25 s, and this one asks for a budget of 30 s"):
        check_budget(30)


def test_a_csv_past_the_samples_cap_turns_train_off_before_the_click_with_the_number_it_would_use(
        demo_on, runs_dir, monkeypatch):
    """A 100,000-row upload (69,881 training windows) past the cap of 20,000 samples: Start was on, and the
    refusal came as a failed run after the click, since the catalogue knows no CSV's size (a demo visitor's
    check). The page knows its windows: the same sentence before the click, Start off. A limit above the
    cap is refused by its own value, not as what the data would use (3,600 images read "would use 50,000")."""
    from zoo.demo import check_spec

    monkeypatch.setenv("PLAYGROUND_CAP_TRAIN_SAMPLES", "1000")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py").run()
    assert not at.exception
    windows = next(c.value for c in at.caption if c.value.startswith("Windows: **")).split("**")[1]   # "12,345"
    refusal = f"at most 1,000 samples per run, and these settings would use {windows};"
    assert at.button(key="forecast-start").disabled and [e for e in at.error if refusal in e.value], [
        e.value for e in at.error]
    at.text_input(key="forecast-settings-limit_train").set_value("1000").run()
    assert not at.button(key="forecast-start").disabled, [e.value for e in at.error]
    # and the steps said under the form are those of the 1,000 it trains (they had counted every window)
    steps = next(c.value for c in at.caption if "optimisation step" in c.value)
    batch = int(at.session_state["forecast-settings-batch_size"])
    epochs = int(at.session_state["forecast-settings-epochs"])
    assert f"{-(-1000 // batch) * epochs:,} optimisation steps ({-(-1000 // batch):,} per epoch, on the latest 1,000 " \
           "training windows)" in steps, steps
    # What a run trains is the cap's measure: a limit above it on data that holds fewer trains them all, within
    # it (a learner's check read the refusal beside "all of them are used"); a limit that the data fills is said
    # as what it would use.
    check_spec(ExperimentSpec(model="mlp", data="mnist-sample", limit_train=50_000), n_train=900)
    with pytest.raises(SpecError, match=r"these settings would use 3,600; set the training samples \(limit_train\) "
                                        r"to 1,000 or fewer"):
        check_spec(ExperimentSpec(model="mlp", data="mnist-sample", limit_train=50_000), n_train=3_600)


def test_run_this_board_again_with_a_budget_past_the_cap_does_not_say_press_start(demo_on, runs_dir,
                                                                                   monkeypatch):
    """A visitor's board of 500 s, and the demo's cap since lowered to 300 s: "Run this board again" said "press
    Find the best model" above a button that was off for the budget. The slider now stops at the cap
    (demo.offered): the budget comes in at 300, said so (nothing set is changed silently), and the button is on."""
    from zoo.leaderboard import LeaderboardSpec, run_leaderboard

    visitor = "c" * 32
    board = run_leaderboard(LeaderboardSpec(data="ETTh1", budget=500, models="naive"), runs_dir=runs_dir,
                            owner=demo.owner_of(visitor))
    monkeypatch.setenv("PLAYGROUND_CAP_WALL_SECONDS", "300")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py")
    at.session_state["visitor"] = visitor
    at.query_params["run"] = board["run_id"]
    at.run()
    at.button(key="forecast-board-again").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key="forecast-board-budget").value == 300 and not at.button(key="forecast-board-start").disabled
    assert [w for w in at.warning if "budget of 500 is outside the form's range [10, 300]; using 300 s" in w.value], [
        w.value for w in at.warning]
    assert not [i for i in at.info if "is off for now" in i.value], [i.value for i in at.info]


def test_start_is_off_with_the_reason_when_a_visitor_keeps_as_many_runs_as_allowed(demo_on, runs_dir,
                                                                                   monkeypatch):
    """At the runs cap, every Start on every page is off and says why and what to do. Before, Start was on
    and the refusal came only once it was pressed (zoo refuses the job then too). Another visitor, whose
    runs are their own, may still start."""
    from zoo.search import SearchConfig, build_space, run_search

    monkeypatch.setenv("PLAYGROUND_CAP_RUNS_PER_VISITOR", "1")
    full, other = "e" * 32, "b" * 32
    # the visitor's one run is a study's trial: its "Run more trials" is a Start too
    run_search(SearchConfig(spec=ExperimentSpec(model="mlp", epochs=1, limit_train=256), n_trials=1,
                            space=build_space("mlp", search={"lr": (1e-3, 1e-2)}), study="kept",
                            runs_dir=str(runs_dir), owner=demo.owner_of(full)))
    starts = {"app_pages/home.py": ["home-start"], "app_pages/train.py": ["train-start"],
              "app_pages/forecast.py": ["forecast-start", "forecast-board-start"],
              "app_pages/search.py": ["search_start"]}
    for visitor in (full, other):
        for page, keys in starts.items():
            at = AppTest.from_file(APP, default_timeout=60).switch_page(page)
            at.session_state["visitor"] = visitor
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            if page == "app_pages/search.py" and visitor == other:
                # room for one run, and a search of 20 trials (one run each) would stop after the first
                assert at.button(key="search_start").disabled
                assert [c for c in at.caption if "each trial keeps a run, and you keep 0 of the 1 runs this hosted "
                        "demo keeps per visitor: give at most 1 trial" in c.value], [c.value for c in at.caption]
                number_box(at, key="search_trials").set_value(1).run()
            said = [c.value for c in at.caption if "you keep 1 run, the most this hosted demo keeps" in c.value.lower()]
            for key in keys:
                assert at.button(key=key).disabled == (visitor == full), (visitor, page, key)
            if visitor == full:
                assert said and "delete some on the Runs page to start another" in said[0], (page, said)
            else:
                assert not said, (page, said)
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/search.py")
    at.session_state["visitor"] = full
    at.query_params["study"] = "kept"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="continue_go").disabled
    assert [c for c in at.caption if "you keep 1 run, the most" in c.value]


def test_a_wall_cap_under_a_minute_is_said_in_seconds(demo_on, monkeypatch):
    """A 20-second cap was said as "stops after 0 minutes"."""
    from ui.live import cap_duration

    assert [cap_duration(s) for s in (20, 60, 90, 600)] == ["20 s", "1 minute", "90 s", "10 minutes"]


def test_another_visitors_run_is_read_only_by_its_url(demo_on, runs_dir):
    from ui.state import job_manager
    from zoo.engine import run_experiment
    from zoo.jobs import Job

    theirs = demo.owner_of("f" * 32)
    # a search's trial (its study named in result.json): the study is theirs too, neither named nor linked (a review)
    finished = run_experiment(ExperimentSpec(epochs=1, limit_train=256), runs_dir=runs_dir, owner=theirs,
                              search={"study": "their-secret-study", "trial": 0, "storage": "x"})
    manager = job_manager()
    live = Job(id="their-live-job", owner=theirs, target="none:none", status="running",
               payload={"spec": ExperimentSpec().to_dict()}, state={"epochs": 5, "batches": 10, "epoch": 1,
                                                                   "batch": 2, "device": "cpu"})
    live._handle = SimpleNamespace(where="process 4242 on this machine", is_alive=lambda: True)
    with manager._lock:
        manager._jobs[live.id] = live
        manager._order.append(live.id)
    try:
        for run_id in (finished.run_id, live.id):
            at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/train.py")
            at.session_state["visitor"] = "0" * 32
            at.query_params["run"] = run_id
            at.run()
            assert not at.exception
            assert not [b for b in at.button if b.key.endswith("-again")], "no Train again for another's run"
            assert not [b for b in at.button if b.key == f"stop-{run_id}"], "no Stop on another visitor's run"
            # said while it runs too (a greyed Stop was all a visitor saw until it ended)
            may = "watch it, not stop it" if run_id == live.id else "look at it and download its files"
            assert [c for c in at.caption if f"Another visitor's run: you may {may}" in c.value], run_id
            assert not [c for c in at.caption if "4242" in c.value], "nor where their worker runs (its pid)"
            if run_id == finished.run_id:
                assert at.download_button, "results and downloads are fine to share"
                assert not [link for link in at.get("page_link") if "their-secret-study" in link.proto.label]
        assert live.status == "running" and not live.stop_requested
        at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/runs.py")
        at.session_state["visitor"] = "0" * 32
        at.run()
        assert not at.dataframe, "their runs are not listed for another visitor (so not deletable)"
    finally:
        with manager._lock:
            manager._jobs.pop(live.id, None)
            manager._order.remove(live.id)


@pytest.mark.parametrize("demo_mode", [True, False])
def test_the_reproduce_command_names_an_upload_by_the_file_sent_on_the_demo(demo_mode, runs_dir,
                                                                            monkeypatch):
    """A run of an uploaded CSV showed `--data /srv/…/runs/uploads/<visitor>/<hash>.csv` to reproduce it:
    a server path the visitor cannot use, and not theirs to see. The demo names the file they sent; a
    local server keeps the path, which works there, and says whose copy it is."""
    from zoo import forecast_io as fio
    from zoo.engine import run_experiment

    if demo_mode:
        monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    else:
        monkeypatch.delenv("PLAYGROUND_DEMO", raising=False)
    token = "a" * 32
    owner = demo.owner_of(token) if demo_mode else None
    rows = np.arange(120, dtype=float) % 12 + 10
    raw = pd.DataFrame({"t": range(120), "sales": rows}).to_csv(index=False).encode()
    stored = fio.store_upload(raw, "my sales.csv", runs_dir, owner)
    run = run_experiment(ExperimentSpec(task="series", data=str(stored), model="linear", lookback=12, horizon=3,
                                        epochs=1), runs_dir=runs_dir, owner=owner)
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py")
    at.session_state["visitor"] = token
    at.query_params["run"] = run.run_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    command = " ".join(c.value for c in at.code)
    captions = " ".join(c.value for c in at.caption)
    assert "python -m zoo train" in command
    if demo_mode:
        assert "--data 'my sales.csv'" in command and str(runs_dir) not in command, command
        assert "`my sales.csv` is the file you uploaded" in captions
        # another visitor who opens the run's address did not upload it (a demo visitors' check)
        other = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py")
        other.session_state["visitor"] = "b" * 32
        other.query_params["run"] = run.run_id
        other.run()
        assert not other.exception, [e.value for e in other.exception]
        theirs = " ".join(c.value for c in other.caption)
        assert "`my sales.csv` is the file this run's owner uploaded" in theirs and "you uploaded" not in theirs
    else:
        assert f"--data {stored}" in command, command
        assert "is the file you uploaded" not in captions
        # the hashed path is said to be the kept copy of their file (a forecast user could not tell)
        assert "`--data` is this server's kept copy of `my sales.csv`" in captions
    # Inspect names it so too, on either server: its heading and the test samples it shows
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/inspect.py")
    at.session_state["visitor"] = token
    at.query_params["run"] = run.run_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])
    assert "**linear** on **my sales.csv**" in shown and "test samples of my sales.csv" in shown
    assert str(runs_dir) not in shown


def test_the_reproduce_command_of_the_bundled_sample_says_no_kept_copy(runs_dir, monkeypatch):
    """A run on ETTh1 said "`--data` is this server's kept copy of `ETTh1 (bundled sample)`" under its command (a
    forecast user's browser check): its name is the sample's, which the command reads on any machine."""
    from zoo.engine import run_experiment

    monkeypatch.delenv("PLAYGROUND_DEMO", raising=False)
    run = run_experiment(ExperimentSpec(task="series", data="ETTh1", model="linear", lookback=24, horizon=6,
                                        epochs=1, limit_train=200), runs_dir=runs_dir)
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/forecast.py")
    at.query_params["run"] = run.run_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "--data ETTh1" in " ".join(c.value for c in at.code)
    assert "kept copy" not in " ".join(c.value for c in at.caption)


def test_a_csv_over_the_upload_rows_cap_is_refused_by_every_run_and_the_inspect_page_keeps_none(
        demo_on, monkeypatch, tmp_path):
    """The Inspect page's upload skipped the demo's row cap (a 200,500-row file was kept, counted in the visitor's
    disk, and shown with its server path: a demo check). The cap holds in zoo for any run of a CSV on the demo;
    the bundled sample, over a small cap, still loads; the Inspect page reads an upload with the caps before it
    keeps it."""
    import numpy as np
    import pandas as pd

    from zoo.data.series import load_series_data
    from zoo.spec import ExperimentSpec

    monkeypatch.setenv("PLAYGROUND_CAP_UPLOAD_ROWS", "500")
    rows = 600
    raw = pd.DataFrame({"t": np.arange(rows), "v": np.sin(np.arange(rows) / 9)}).to_csv(index=False).encode()
    path = tmp_path / "long.csv"
    path.write_bytes(raw)
    with pytest.raises(SpecError, match="more than 500 rows, over the limit"):
        load_series_data(ExperimentSpec(task="series", data=str(path), model="linear", lookback=24, horizon=6))
    assert load_series_data(ExperimentSpec(task="series", data="ETTh1", model="linear")).shape.lookback == 96

    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/inspect.py")
    at.session_state["inspect-source"] = "New model"
    at.session_state["inspect-task"] = "series"
    at.session_state["inspect-series-source"] = "Upload a CSV"
    at.run()
    # the limits, and what to do past them, before a file is chosen (Streamlit's refusal of a larger one says neither)
    assert any("Up to 5 MB and 500 rows: for a larger file, use a shorter extract" in c.value for c in at.caption), [
        c.value for c in at.caption]
    at.file_uploader(key="inspect-upload").set_value(("long.csv", raw, "text/csv")).run()
    assert not at.exception
    assert any("more than 500 rows, over the limit" in e.value for e in at.error)
    assert not (tmp_path / "runs" / "uploads").exists() or not any((tmp_path / "runs" / "uploads").rglob("*.csv"))
    assert "ETTh1" in at.markdown[0].value or any("ETTh1" in c.value for c in at.caption)
    # one within the caps is kept, and said so with where it is deleted (a demo visitor found it kept, unsaid)
    at.file_uploader(key="inspect-upload").set_value(("short.csv", raw[:raw.index(b"\n", 4000)], "text/csv")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(c.value == "The server keeps this file among your earlier uploads on the Forecast page, where you can "
               "delete it." for c in at.caption), [c.value for c in at.caption]
    assert any((tmp_path / "runs" / "uploads").rglob("*.csv"))


def test_a_run_whose_training_step_would_hold_more_than_the_memory_cap_is_refused_before_it_starts(demo_on, tmp_path):
    """The other caps let a visitor ask for a Transformer over a lookback of 1,500 in batches of 2,048: hundreds of
    GB of attention kept for backward (a demo check: a smaller job of that kind needed over 5 GB). The estimate
    (zoo/inspect/summary.training_bytes) is checked against what autograd keeps for a layer written out here."""
    from torch import nn

    from zoo.engine import run_experiment
    from zoo.inspect.summary import training_bytes
    from zoo.registry import DataShape

    # One Linear(8 -> 3) after a flatten: autograd keeps its input (8 floats a sample) for the weight's gradient
    shape = DataShape(task="series", lookback=8, n_features=1, horizon=3)
    layer = nn.Sequential(nn.Flatten(), nn.Linear(8, 3))
    assert training_bytes(layer, shape, batch_size=100) == 100 * 8 * 4 + 4 * (8 * 3 + 3) * 4
    # A batch norm's running statistics and the modules' flags come back as they were; past `limit` a sample counts
    # as infinite (what does not grow with the batch, such as a weight-normed TCN's recomputed weights, is left out
    # of a sample's share by measuring two batch sizes).
    from zoo.inspect.summary import training_memory
    from zoo.registry import build

    cnn = build("cnn", DataShape(task="image", channels=1, height=28, width=28, num_classes=10),
                {"batch_norm": True}).eval()
    before = {k: v.clone() for k, v in cnn.state_dict().items()}
    per_sample, fixed = training_memory(cnn, DataShape(task="image", channels=1, height=28, width=28, num_classes=10))
    assert all(torch.equal(before[k], v) for k, v in cnn.state_dict().items()) and not cnn.training
    assert training_memory(cnn, DataShape(task="image", channels=1, height=28, width=28, num_classes=10),
                           limit=per_sample / 2)[0] == float("inf")
    # Where 4 samples pass the limit, a batch of 1 to 3 may still fit: the slope of 1 and 2 samples, then one
    # sample's whole keep (the layer above keeps 32 bytes a sample); a batch of 2 was once judged over the cap.
    assert [training_memory(layer, shape, limit=limit)[0] for limit in (1000, 100, 50, 20)] == [32, 32, 32, float("inf")]

    spec = ExperimentSpec(task="series", data="ETTh1", model="transformer", lookback=1500, batch_size=2048, epochs=1)
    with pytest.raises(SpecError, match=r"training step holds at most 2,000 MB.*would hold (about [\d,]+|more than "
                                        r"2,000) MB; lower the "
                                        r"batch size, the lookback or the model's size"):
        run_experiment(spec, runs_dir=tmp_path)
    assert not any(tmp_path.iterdir())   # refused before its run directory
    small = run_experiment(spec.replace(lookback=96, batch_size=32, limit_train=64), runs_dir=tmp_path)
    assert small.status in ("finished", "early_stopped")


def test_start_is_off_beside_a_model_whose_training_step_is_over_the_memory_cap(demo_on, runs_dir, monkeypatch):
    """The memory cap (zoo/demo.check_memory) is said before Start, from the model preview's own measure, on the
    Train page and on the Forecast page, as zoo refuses the run when it starts."""
    monkeypatch.setenv("PLAYGROUND_CAP_TRAIN_MEMORY_MB", "0")   # the bundled series' linear model holds 0.1 MB
    for page, key in (("app_pages/train.py", "train-start"), ("app_pages/forecast.py", "forecast-start")):
        at = AppTest.from_file(APP, default_timeout=60).switch_page(page)
        at.session_state["visitor"] = "c" * 32
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.button(key=key).disabled, page
        assert [e for e in at.error if e.value.startswith("This hosted demo trains a model whose training step holds "
                                                          "at most 0 MB") and "lower the batch size" in e.value], \
            (page, [e.value for e in at.error])
    monkeypatch.setenv("PLAYGROUND_CAP_TRAIN_MEMORY_MB", "2000")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/train.py")
    at.session_state["visitor"] = "c" * 32
    at.run()
    assert not at.button(key="train-start").disabled and not at.error


def test_a_model_whose_weights_are_past_the_cap_is_refused_at_start_before_start_and_on_inspect(demo_on, runs_dir,
                                                                                                tmp_path):
    """A demo visitors' check: an lstm of 84,201,482 parameters (hidden size 1,024, 4 layers, both ways) at a batch
    of 8 fitted the training step's cap; its 336 MB checkpoint alone was past a visitor's 200 MB of disk, and the
    Inspect page kept a 390 MB copy of it per browser tab in the server's process. Its weights are refused by zoo
    (run_experiment, before its run directory), beside Start, and on a look inside; every image model's defaults
    pass."""
    from zoo.engine import run_experiment
    from zoo.registry import DataShape, build, list_models

    image = DataShape(task="image", channels=1, height=28, width=28, num_classes=10)
    big = {"hidden_size": 1024, "num_layers": 4, "bidirectional": True}
    spec = ExperimentSpec(model="lstm", model_params=big, epochs=1, batch_size=8, limit_train=64)
    said = (r"keeps a model of at most 40 MB of weights \(10,000,000 parameters at float32\), and lstm with these "
            r"settings has 84,201,482 parameters \(337 MB, which its checkpoint would keep\); lower the model's size")
    with pytest.raises(SpecError, match=said):
        run_experiment(spec, runs_dir=tmp_path)
    assert not any(tmp_path.iterdir())
    with pytest.raises(SpecError, match="keeps a model of at most 40 MB of weights"):
        demo.check_inspection(build("lstm", image, big), (1, 28, 28), 1)

    def with_big_lstm(page: str, prefix: str, state: dict) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60).switch_page(page)
        at.session_state["visitor"] = "c" * 32
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        for name, value in big.items():
            key = f"{prefix}-lstm-{name}"
            widget = next(w for kind in (at.checkbox, at.slider, at.select_slider) for w in kind if w.key == key)
            widget.set_value(value).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    at = with_big_lstm("app_pages/train.py", "train-model", {"train-model": "lstm"})
    assert at.button(key="train-start").disabled
    assert any("keeps a model of at most 40 MB of weights" in e.value for e in at.error), [e.value for e in at.error]
    # Inspect: refused before the page holds a copy of it (the review: the copy was made, then a pass refused)
    at = with_big_lstm("app_pages/inspect.py", "inspect-new",
                       {"inspect-source": "New model", "inspect-model-image": "lstm"})
    assert any(e.value.startswith("Cannot load this model: this hosted demo keeps a model of at most 40 MB") and
               "lstm with these settings has 84,201,482" in e.value for e in at.error), [e.value for e in at.error]
    held = at.session_state["inspect-model"][1] if "inspect-model" in at.session_state else None
    assert held is None or sum(p.numel() for p in held.parameters()) < 10_000_000
    for name in list_models("image"):
        demo.check_weights(name, sum(p.numel() for p in build(name, image, {}).parameters()))


def test_measuring_a_models_training_memory_gives_its_memory_back():
    """Its pack hook returned each saved tensor itself, and an output saved for its own backward made a reference
    cycle the collector never freed: each measure of a Transformer over a lookback of 1,000 kept 5.6 GB in the
    server (the Inspect page's demo check, the Train form's preview), 1.2 to 17.8 GB in four minutes (a browser
    check). Measured again and again, the process grows no more after the first."""
    import gc

    from zoo.inspect.summary import training_memory
    from zoo.registry import DataShape, build

    def resident_mb() -> float:
        """The memory the process holds live: its anonymous resident memory (where tensors live) once glibc has given
        back the heap's free pages (malloc_trim). Without that, memory a measure freed and the allocator kept read as
        kept, depending on what earlier tests had allocated (its mmap threshold): 107-115 MB in 3 of 5 full runs,
        past the 100 allowed, where a leak keeps a measure's ~120 MB each time."""
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
        status = Path("/proc/self/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("RssAnon:"))) / 1e3

    shape = DataShape(task="series", lookback=400, n_features=1, horizon=24)
    model = build("transformer", shape, {}).eval()
    first = training_memory(model, shape)   # about 19 MB a sample: a measure keeps about 120 MB while it runs
    assert first[0] > 10e6
    gc.collect()
    before = resident_mb()
    for _ in range(3):
        assert training_memory(model, shape) == first
    gc.collect()
    assert resident_mb() - before < 100, (before, resident_mb())   # it held 120 MB more after each


def test_a_look_inside_a_model_past_the_memory_cap_is_refused_before_its_pass(demo_on, monkeypatch):
    """The Inspect page runs its passes in the server's own process: a visitor's Transformer over a lookback of
    1,000 at the Summary's batch of 128 took the shared server from 1.9 to 6.4 GB, and the batch box goes to 8,192
    (a demo visitors' check). Every inspection that runs the model is refused past the cap, before its pass
    (zoo/demo.check_inspection), the same model on a smaller batch runs, and outside the demo nothing is."""
    from zoo import explain as ze
    from zoo import inspect as zi
    from zoo.inspect.summary import training_memory
    from zoo.registry import DataShape, build

    shape = DataShape(task="series", lookback=256, n_features=1, horizon=24)
    model = build("transformer", shape, {}).eval()
    per_sample, fixed = training_memory(model, shape)   # about 8.7 MB a sample and 1.1 MB
    cap = math.ceil((fixed + 6 * per_sample) / 1e6)
    fits = int((cap * 1e6 - fixed) // per_sample)   # the batch that fits in the cap
    assert 6 <= fits < 64, fits
    monkeypatch.setenv("PLAYGROUND_CAP_TRAIN_MEMORY_MB", str(cap))
    big, small = torch.zeros(fits + 1, 256, 1), torch.zeros(fits, 256, 1)
    refused = rf"holds at most {cap} MB, and this model \(\w+\) would hold about [\d,]+ MB on {{}} samples of " \
              r"shape \[256, 1\]; lower the batch size, the lookback or the model's size\."
    passes = {"summary": lambda x: zi.summarize(model, example=x), "modes": lambda x: zi.compare_modes(model, x),
              "precisions": lambda x: zi.compare_precisions(model, x), "hooks": lambda x: zi.capture(model, x),
              "saliency": lambda x: ze.saliency(model, x),
              "init lab": lambda x: zi.init_lab("transformer", shape, {}, x, "default")}
    for name, run in passes.items():
        with pytest.raises(SpecError, match=refused.format(fits + 1)):
            run(big)
        run(small)   # within the cap: runs
    with pytest.raises(SpecError, match=refused.format("8,192")):
        zi.summarize(model, shape, batch_size=8192)
    cnn = build("cnn", DataShape(task="image", channels=1, height=28, width=28, num_classes=10), {})
    monkeypatch.setenv("PLAYGROUND_CAP_TRAIN_MEMORY_MB", "0")
    with pytest.raises(SpecError, match=r"on 1 sample of shape \[1, 28, 28\]; lower the model's size\.$"):
        ze.grad_cam(cnn, torch.zeros(1, 1, 28, 28))
    monkeypatch.delenv("PLAYGROUND_DEMO")
    zi.summarize(model, example=big)
    ze.grad_cam(cnn, torch.zeros(1, 1, 28, 28))



def test_looks_inside_a_model_take_turns_on_one_thread_on_the_demo(demo_on, monkeypatch):
    """Inspect runs its passes in the server's own process, outside the jobs and wall caps and above the workers'
    CPU priority: a visitor's init lab took 98 s of a 2-core server while other visitors trained (a demo check). On
    the demo one look inside a model runs at a time, on one of torch's threads; one that waits past its time is
    refused, saying why; an inspection that calls another holds its turn once; outside the demo nothing waits."""
    import threading

    from zoo import explain as ze
    from zoo import inspect as zi
    from zoo.registry import DataShape, build

    shape = DataShape(task="image", channels=1, height=28, width=28, num_classes=10)
    cnn, x = build("cnn", shape, {}).eval(), torch.zeros(2, 1, 28, 28)
    looks = {"summary": lambda: zi.summarize(cnn, shape, batch_size=2), "modes": lambda: zi.compare_modes(cnn, x),
             "precisions": lambda: zi.compare_precisions(cnn, x), "hooks": lambda: zi.capture(cnn, x),
             "saliency": lambda: ze.saliency(cnn, x), "grad-cam": lambda: ze.grad_cam(cnn, x[:1]),
             "init lab": lambda: zi.init_lab("cnn", shape, {}, x, "default", y=torch.zeros(2, dtype=torch.long),
                                             steps=1)}
    for look in looks.values():   # each holds the slot, and on one thread
        torch.set_num_threads(2)
        look()
        assert torch.get_num_threads() == demo.INSPECTION_THREADS
    monkeypatch.setattr(demo, "INSPECTION_WAIT_SECONDS", 0.2)
    holding, release = threading.Event(), threading.Event()

    def another_visitors_look():
        with demo.inspection_slot():
            holding.set()
            release.wait(30)

    other = threading.Thread(target=another_visitors_look)
    other.start()
    try:
        assert holding.wait(30)
        for name, look in looks.items():
            with pytest.raises(SpecError, match=r"^this hosted demo looks inside one model at a time, and other "
                                                r"visitors' looks have kept this one waiting for 0 s; try again"):
                look()
        monkeypatch.delenv("PLAYGROUND_DEMO")   # outside the demo: no turns
        for look in looks.values():
            look()
        monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    finally:
        release.set()
        other.join(30)
    for look in looks.values():   # the slot is free again
        look()


def test_the_init_labs_steps_stop_at_the_demos_time_for_a_look_and_the_page_says_so(demo_on, monkeypatch,
                                                                                   runs_dir):
    """The init lab's symmetry check loops (up to 30 SGD steps, per scheme): on the demo it stops at the time a look
    inside a model is given (PLAYGROUND_CAP_INSPECT_SECONDS), keeps what it measured after the steps it took, and the
    tab says how many of how many; outside the demo every step is taken."""
    from zoo import inspect as zi
    from zoo.registry import DataShape

    shape = DataShape(task="image", channels=1, height=28, width=28, num_classes=10)
    x, y = torch.rand(8, 1, 28, 28), torch.arange(8) % 10
    monkeypatch.setenv("PLAYGROUND_CAP_INSPECT_SECONDS", "0")
    lab = zi.init_lab("mlp", shape, {}, x, "zeros", y=y, steps=5)
    assert (lab.steps, len(lab.loss)) == (5, 0) and lab.symmetry   # counted after the steps taken: none
    from ui.inspect_views import cached_init_lab

    cached_init_lab.clear()   # (this process's earlier tests may have measured the same labs, every step taken)
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/inspect.py")
    at.session_state["visitor"] = "c" * 32
    for key, value in {"inspect-source": "New model", "inspect-tab": "Init lab"}.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    warning = next(w.value for w in at.warning if "stopped early" in w.value)
    assert warning.startswith("This hosted demo gives a look inside a model at most 0 s of the server's time")
    assert "(0 of 5 steps)" in warning
    # no step taken, so nothing measured of zero init to say (ui/inspect_views.zero_init_words)
    assert not any("Here, with zero init" in m.value for m in at.markdown)
    monkeypatch.delenv("PLAYGROUND_DEMO")
    lab = zi.init_lab("mlp", shape, {}, x, "zeros", y=y, steps=5)
    assert (lab.steps, len(lab.loss)) == (5, 5)

def test_the_inspect_page_says_a_pass_past_the_memory_cap_and_keeps_working(demo_on, runs_dir, monkeypatch):
    """The refusal is said in the tab, beside the setting to change; the page and its other tabs go on."""
    monkeypatch.setenv("PLAYGROUND_CAP_TRAIN_MEMORY_MB", "1")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/inspect.py")
    at.session_state["visitor"] = "c" * 32
    for key, value in {"inspect-source": "New model", "inspect-task": "series", "inspect-model-series": "transformer",
                       "inspect-tab": "Summary"}.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e for e in at.error if "runs a model for a look inside it only where a pass holds at most 1 MB" in e.value
            and "lower the batch size" in e.value], [e.value for e in at.error]
    at.session_state["inspect-tab"] = "Internals"   # no pass: shown
    at.run()
    assert not at.exception and not at.error
    assert at.dataframe   # the module table


def test_a_trial_over_the_memory_cap_fails_alone_and_the_search_goes_on(demo_on, monkeypatch, tmp_path):
    """The cap is checked for each trial's own settings (a sampled batch size or model size): one over it had ended
    the whole search with its SpecError (a review's check). It fails with the reason; the others run."""
    from zoo.search import SearchConfig, build_space, run_search

    monkeypatch.setenv("PLAYGROUND_CAP_TRAIN_MEMORY_MB", "0")   # every trial over it
    summary = run_search(SearchConfig(spec=ExperimentSpec(model="mlp", epochs=1, limit_train=64), n_trials=2,
                                      space=build_space("mlp", search={"lr": (1e-3, 1e-2)}), study="capped",
                                      runs_dir=str(tmp_path), owner=demo.owner_of("d" * 32)))
    # each trial failed alone; with none left that gave a value, the worker failed, saying the first one's reason
    assert summary["trials"].get("FAIL") == 2 and summary["status"] == "failed"
    assert summary["reason"].startswith("every trial this worker ran failed (2); the first refused before it trained:"), \
        summary["reason"]
    assert summary["failed_on_input"]   # each refused its settings: the input's fault (the command line exits 2)


def test_training_samples_past_the_cap_on_a_smaller_dataset_start_and_train_them_all(demo_on, runs_dir):
    """A learner on the demo set the training samples to 50,000 on the bundled sample (3,600 training images):
    Start was off, "set 20,000 or fewer", beside "the training split has 3,600, so all of them are used". The
    cap is on what a run trains: Start is on, the note says what is used, and the run trains within the cap."""
    from zoo.engine import run_experiment

    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/train.py")
    at.session_state["visitor"] = "c" * 32
    at.run()
    at.text_input(key="train-settings-limit_train").set_value("50000").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error and not at.button(key="train-start").disabled, [e.value for e in at.error]
    assert [c for c in at.caption if "the training split has 3,600, so all of them are used" in c.value]
    result = run_experiment(ExperimentSpec(model="mlp", data="mnist-sample", epochs=1, limit_train=50_000),
                            runs_dir=runs_dir)
    assert result.summary()["status"] in ("finished", "early_stopped")
    assert len(result.data.x_train) == 3_600


def test_the_forms_offer_epochs_up_to_the_demos_cap(demo_on, runs_dir, monkeypatch):
    """The epochs slider went to 200 beside the demo's cap of 30, and a run set past it was refused only at
    Train (a demo visitors' check). The Train form and the Search's epochs per trial stop at the cap; outside
    the demo they offer the declared range."""
    from zoo.spec import setting

    monkeypatch.setenv("PLAYGROUND_CAP_EPOCHS", "12")
    assert demo.offered(setting("epochs")).high == 12 and demo.offered(setting("lr")) == setting("lr")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/train.py").run()
    assert not at.exception
    assert at.slider(key="train-settings-epochs").max == 12
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/search.py").run()
    number_box(at, key="search_epochs").set_value(20).run()
    assert any("12" in e.value for e in at.error), [e.value for e in at.error]
    monkeypatch.delenv("PLAYGROUND_DEMO")
    assert demo.offered(setting("epochs")) == setting("epochs")
    at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/train.py").run()
    assert at.slider(key="train-settings-epochs").max == setting("epochs").high == 200


@pytest.mark.parametrize("page, prefix", [("app_pages/train.py", "train-settings"),
                                          ("app_pages/forecast.py", "forecast-settings")])
def test_past_the_samples_cap_a_button_sets_the_training_samples_within_it(page, prefix, demo_on, runs_dir, monkeypatch):
    """Data with more training samples than the demo's cap was refused with the form's own settings until the
    visitor typed the cap into "training samples" (a demo visitors' check): a button beside the refusal sets it,
    and Start comes on. The cap itself is still zoo's (check_spec)."""
    monkeypatch.setenv("PLAYGROUND_CAP_TRAIN_SAMPLES", "1000")
    at = AppTest.from_file(APP, default_timeout=60).switch_page(page).run()
    start = "train-start" if page.endswith("train.py") else "forecast-start"
    assert any("at most 1,000 samples" in e.value for e in at.error), [e.value for e in at.error]
    assert at.button(key=start).disabled
    at.button(key=f"{start}-within-caps").click().run()
    assert not at.exception
    assert at.text_input(key=f"{prefix}-limit_train").value.replace(",", "") == "1000"
    assert not [e.value for e in at.error if "samples" in e.value] and not at.button(key=start).disabled


def test_a_studys_refusal_names_no_server_path_on_the_demo(demo_on, runs_dir):
    """Joining a study of one's own with other settings was refused naming the visitor's journal by its server path
    and owner id, and the command line's --study flag (a demo visitors' check): on the demo it names neither."""
    from zoo.search import SearchConfig, build_space, run_search

    owner = demo.owner_of("d" * 32)
    spec = ExperimentSpec(model="mlp", epochs=1, limit_train=64)
    made = dict(space=build_space("mlp", search={"lr": (1e-3, 1e-2)}), n_trials=1, study="mine",
                runs_dir=str(runs_dir), owner=owner)
    run_search(SearchConfig(spec=spec, **made))
    with pytest.raises(SpecError) as refused:
        run_search(SearchConfig(spec=spec.replace(epochs=2), **made))
    said = str(refused.value)
    assert "was made with other settings (they differ in: epochs 1 in the study, 2 here)" in said
    assert "this demo's study storage" in said
    assert str(runs_dir) not in said and owner not in said and "--study" not in said


def test_a_dataset_that_cannot_be_downloaded_names_no_server_path_on_the_demo(demo_on, tmp_path, monkeypatch):
    """A run on fashion-mnist, offline, failed saying the server's data folder and to put files there, which a
    demo visitor can do neither of (a demo visitors' check): on the demo, it says to use the bundled sample."""
    from zoo.data.images import read_raw

    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")   # the download fails at once, whatever the network
    folder = tmp_path / "empty"
    with pytest.raises(SpecError) as refused:
        read_raw("fashion-mnist", folder)
    said = str(refused.value)
    assert said.startswith("fashion-mnist is not on this demo's server and could not be downloaded")
    assert said.endswith("use mnist-sample.") and str(folder) not in said and "PLAYGROUND_DATA" not in said
    # why, not torchvision's first line alone ("(Error downloading train-images-idx3-ubyte.gz:);": a learner's check)
    assert "Error downloading train-images-idx3-ubyte.gz: <urlopen error" in said and ":)" not in said, said
    from zoo.data.images import SYSTEM_COPIES

    if SYSTEM_COPIES["FashionMNIST"].exists():
        return   # Debian's copy is here: it is read, and nothing fails
    monkeypatch.delenv("PLAYGROUND_DEMO")   # locally: the folder, and Debian's package README names (a docs check)
    with pytest.raises(SpecError) as refused:
        read_raw("fashion-mnist", folder)
    assert "install Debian's dataset-fashion-mnist (read from /usr/share/datasets/fashion-mnist), or use " \
           "mnist-sample." in str(refused.value), str(refused.value)


def test_the_secrets_example_holds_every_cap_at_its_default():
    """A docs check: .streamlit/secrets.toml.example lacked three of the caps README's table names, so a host that
    copied it thought it set them all."""
    import tomllib
    from dataclasses import fields

    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text())
    caps = {f"PLAYGROUND_CAP_{f.name.upper()}": f.default for f in fields(demo.Caps)}
    assert {k: v for k, v in example.items() if k.startswith("PLAYGROUND_CAP_")} == caps
