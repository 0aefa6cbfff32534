"""AppTest: every page renders; the Train form is the model declarations; prefill, results, runs.

AppTest runs one script run per `.run()` and never fires `run_every`: live updates are tested in
the browser (test_browser_train.py). Jobs that a test needs in a given state (queued, failed,
running a series model) are put straight into the process's job manager, without a worker.
"""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.number_boxes import NumberBox, number_box
from ui.form import form_settings, is_typed, log_options, widget_key
from zoo.registry import DataShape, build, get_model, list_models
from zoo.spec import ExperimentSpec, command_lines

APP = str(ROOT / "app.py")
ME = "a" * 32                 # this test browser's visitor token (ui.state.visitor_token)
PAGES = tuple(f"app_pages/{name}.py" for name in ("home", "train", "runs", "forecast", "inspect", "search"))


def open_page(page: str, query: dict | None = None, state: dict | None = None, timeout: float = 60) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.query_params.update(query or {})
    at.switch_page(page).run()
    return at


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def text_of(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error] + \
            [w.value for w in at.warning] + [i.value for i in at.info] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


@pytest.fixture(scope="module")
def trained_runs(tmp_path_factory):
    """Two tiny finished cnn runs (different lr) in their own runs directory."""
    from zoo.engine import run_experiment

    root = tmp_path_factory.mktemp("page-runs")
    ids = []
    for lr in (2e-3, 5e-3):
        spec = ExperimentSpec(model="cnn", epochs=1, lr=lr, limit_train=256, batch_size=64)
        ids.append(run_experiment(spec, runs_dir=root).run_id)
    return root, ids


@pytest.fixture
def fake_job():
    """Put a Job in a given state into the app's job manager (no worker); removed afterwards."""
    from ui.state import job_manager
    from zoo.jobs import Job

    manager = job_manager()
    added = []

    def make(job_id: str, status: str, *, owner="someone", task="image", state=None, reason=""):
        job = Job(id=job_id, owner=owner, target="none:none", payload={"spec": ExperimentSpec(task=task).to_dict()},
                  status=status, reason=reason, state=state or {})
        with manager._lock:
            manager._jobs[job_id] = job
            manager._order.append(job_id)
        added.append(job_id)
        return job

    yield make
    with manager._lock:
        for job_id in added:
            manager._jobs.pop(job_id, None)
            if job_id in manager._order:
                manager._order.remove(job_id)


# ------------------------------------------------------------------------------------------ pages

@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(page, runs_dir):
    at = open_page(page)
    no_exceptions(at)
    assert at.sidebar.markdown, "the sidebar (device badge) should render under app.py's navigation"


def test_a_tabs_script_runs_never_overlap():
    """.streamlit/config.toml turns Streamlit's fast reruns off, as `streamlit run` from the checkout (and the
    Dockerfile's copy) reads it: with them, a click started a second script run while the first still used the
    tab's model (the Inspect page's Summary mixed two passes) and widget state (Stop logged a traceback)."""
    out = subprocess.run([sys.executable, "-c", "from streamlit import config\n"
                          "config.get_config_options(force_reparse=True)\n"
                          "print(config.get_option('runner.fastReruns'), config.get_option('server.fileWatcherType'))"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "none"], out.stderr


def test_home_text_renders_before_torch_is_imported(tmp_path):
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'app_pages' / 'home.py')!r}).run()\n"
        "assert not at.exception, at.exception\n"
        "print(json.dumps({'torch': 'torch' in sys.modules, 'title': at.title[0].value,"
        " 'buttons': [b.label for b in at.button]}))\n")
    out = subprocess.run([sys.executable, "-c", "import json\n" + script], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                           "PLAYGROUND_RUNS_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["torch"] is False
    assert report["title"] == "PyTorch playground"
    assert report["buttons"] == ["Train a CNN on sample digits"]


# ------------------------------------------------------------------------------------------ form

def check_widget_matches(at: AppTest, key: str, h) -> None:
    """The widget under `key` shows the declaration `h`: kind, range, scale, step, default, help."""
    if h.name == "device":
        widget = at.selectbox(key=key)
        assert widget.value == "auto" and "cpu" in widget.options
    elif is_typed(h):
        widget = at.text_input(key=key)
        assert h.check(widget.value) == h.default
    elif h.kind == "bool":
        widget = at.checkbox(key=key)
        assert widget.value == h.default
    elif h.kind == "choice":
        widget = at.selectbox(key=key)
        assert len(widget.options) == len(h.choices)
        assert widget.value == h.default
    elif h.log:
        widget = at.select_slider(key=key)
        values = log_options(h)
        assert values[0] == h.low and values[-1] == h.high
        assert len(widget.options) == len(values)
        ratios = [b / a for a, b in zip(values, values[1:])]
        assert all(1 < r <= 2.5 for r in ratios), f"{h.name}: not log-spaced: {values}"
        assert widget.value == h.default
    else:
        widget = at.slider(key=key)
        assert widget.min == pytest.approx(h.low) and widget.max == pytest.approx(h.high), h.name
        assert widget.step == pytest.approx(h.step or (1 if h.kind == "int" else (h.high - h.low) / 100)), h.name
        assert widget.value == pytest.approx(h.default)
    assert h.help in widget.help


@pytest.mark.parametrize("model", list_models("image"))
def test_train_form_matches_the_declared_ranges(model, runs_dir):
    at = open_page("app_pages/train.py")
    at.selectbox(key="train-model").set_value(model).run()
    no_exceptions(at)
    for h in get_model(model).hparams("image"):
        check_widget_matches(at, widget_key(f"train-model-{model}", h.name), h)
    for h in form_settings("image"):
        check_widget_matches(at, widget_key("train-settings", h.name), h)
    assert not [w for w in at.selectbox if w.key.endswith("-window_norm")], "a series-only option on the image form"
    # The preview's parameter count is torch's own count for this model.
    expected = sum(p.numel() for p in build(model, DataShape(task="image")).parameters())
    assert f"{expected:,}** parameters" in text_of(at)


def test_preview_follows_the_form(runs_dir):
    at = open_page("app_pages/train.py")
    at.select_slider(key="train-model-cnn-channels1").set_value(32)
    at.checkbox(key="train-model-cnn-batch_norm").check().run()
    expected = sum(p.numel() for p in build("cnn", DataShape(task="image"),
                                           {"channels1": 32, "batch_norm": True}).parameters())
    assert f"{expected:,}** parameters" in text_of(at)
    assert "(batch, 10)" in text_of(at)


def test_form_keeps_its_values_across_pages(runs_dir):
    at = open_page("app_pages/train.py")
    at.slider(key="train-settings-epochs").set_value(17).run()
    at.switch_page("app_pages/runs.py").run()
    at.switch_page("app_pages/train.py").run()
    assert at.slider(key="train-settings-epochs").value == 17


def test_prefill_spec_fills_the_form_once(runs_dir):
    spec = ExperimentSpec(model="mlp", model_params={"depth": 3, "width": 512, "activation": "gelu"},
                          optimizer="sgd", lr=0.0123, momentum=0.8, epochs=7, batch_size=128, patience=2,
                          min_delta=0.001, seed=5, schedule="cosine", monitor="val_metric")
    at = open_page("app_pages/train.py", state={"prefill_spec": spec.to_dict()})
    no_exceptions(at)
    assert "prefill_spec" not in at.session_state
    assert [t.value for t in at.toast] == ["The form now holds the spec you picked: check it and press Start training."]
    assert at.selectbox(key="train-model").value == "mlp"
    assert at.slider(key="train-model-mlp-depth").value == 3
    assert at.select_slider(key="train-model-mlp-width").value == 512
    assert at.selectbox(key="train-model-mlp-activation").value == "gelu"
    assert at.selectbox(key="train-settings-optimizer").value == "sgd"
    assert at.select_slider(key="train-settings-lr").value == pytest.approx(0.0123)
    assert at.slider(key="train-settings-momentum").value == pytest.approx(0.8)
    assert at.slider(key="train-settings-epochs").value == 7
    assert at.select_slider(key="train-settings-batch_size").value == 128
    assert at.slider(key="train-settings-patience").value == 2
    assert float(at.text_input(key="train-settings-min_delta").value) == pytest.approx(0.001)
    assert at.text_input(key="train-settings-seed").value == "5"
    assert at.selectbox(key="train-settings-schedule").value == "cosine"
    assert at.selectbox(key="train-settings-monitor").value == "val_metric"
    # A later change by the user is not overwritten by the (consumed) prefill.
    at.slider(key="train-settings-epochs").set_value(9).run()
    assert at.slider(key="train-settings-epochs").value == 9


def test_prefill_outside_the_form_range_is_clamped_with_a_note(runs_dir):
    spec = ExperimentSpec(model="cnn", lr=5.0, model_params={"hidden1": 97})
    at = open_page("app_pages/train.py", state={"prefill_spec": spec.to_dict()})
    no_exceptions(at)
    assert at.select_slider(key="train-settings-lr").value == 1.0
    assert at.select_slider(key="train-model-cnn-hidden1").value == 97  # kept exactly, off the grid
    assert any("outside the form's range" in w.value for w in at.warning)


def test_start_submits_a_job_whose_id_is_in_the_url(runs_dir):
    from ui.state import job_manager

    at = open_page("app_pages/train.py")
    at.slider(key="train-settings-epochs").set_value(1)
    at.button(key="train-start").click().run()
    no_exceptions(at)
    run_id = at.query_params.get("run")
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    assert run_id
    job = job_manager().get(run_id)
    try:
        assert job is not None and job.payload["spec"]["epochs"] == 1
        assert job.payload["runs_dir"] == str(runs_dir)
        assert [b.label for b in at.button if b.key == f"stop-{run_id}"] == ["Stop"]
    finally:
        job_manager().stop(run_id)


def test_invalid_configuration_disables_start(runs_dir):
    at = open_page("app_pages/train.py")
    at.selectbox(key="train-settings-precision").set_value("fp16").run()  # needs CUDA
    import torch

    if torch.cuda.is_available():
        pytest.skip("fp16 is valid on this machine")
    assert at.button(key="train-start").disabled
    assert any("fp16" in e.value for e in at.error)


def test_start_names_every_field_that_keeps_it_off(runs_dir):
    """Two fields out of range: each is said under itself, and beside Start only the first one was (a
    learner's check), while the other may be out of sight up the form."""
    at = open_page("app_pages/train.py")
    at.text_input(key="train-settings-seed").set_value("-5").run()
    at.text_input(key="train-settings-weight_decay").set_value("5").run()
    assert at.button(key="train-start").disabled
    beside = [c.value for c in at.caption if "Start is off until" in c.value]
    assert beside == [":red[Start is off until these are fixed. Weight decay: 5 is outside the form's range [0, 0.1]; "
                      "pick a value inside it (the command line allows more: at least 0). Seed: -5 is outside the "
                      "form's range [0, 4294967295]; pick a value inside it.]"]
    # below the range, the same sentence: "-1 must be at least 0" beside "5 is outside its range" had read as two
    # rules, the first allowing 5 (a learner's check); without "the command line allows more: at least 0", which
    # the command line does not allow -1 either (another learner's check)
    at.text_input(key="train-settings-weight_decay").set_value("-1").run()
    assert any(e.value == "weight decay: -1 is outside the form's range [0, 0.1]; pick a value inside it."
               for e in at.error), [e.value for e in at.error]


# ------------------------------------------------------------------------------------------ run views

def test_a_stopped_runs_command_says_it_runs_to_the_end(tmp_path, monkeypatch):
    """The command reproduces a run to its end: for a stopped run the page says its numbers may differ."""
    from zoo.engine import run_experiment
    from zoo.runs import patch_result
    from zoo.spec import ExperimentSpec

    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path))
    result = run_experiment(ExperimentSpec(epochs=1, limit_train=256), runs_dir=tmp_path)
    patch_result(tmp_path / result.run_id, status="stopped", reason="stopped by request during epoch 1")
    at = open_page("app_pages/train.py", query={"run": result.run_id})
    no_exceptions(at)
    assert any("This run was stopped before its end: the command runs it to the end" in c.value for c in at.caption)
    assert [w.value for w in at.warning if w.value.startswith("**Stopped")] == \
        ["**Stopped:** by request during epoch 1."]   # the title is not said twice


def test_finished_run_shows_results_and_downloads(trained_runs, monkeypatch):
    root, ids = trained_runs
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    from zoo.runs import load_run

    run = load_run(root / ids[0])
    at = open_page("app_pages/train.py", query={"run": ids[0]})
    no_exceptions(at)
    labels = [b.label for b in at.download_button]
    assert labels == ["best.pt", "spec.json", "metrics.csv", "whole run (.zip)"]
    assert [c.value for c in at.code] == [command_lines(run.spec.cli_command())]
    assert not [c for c in at.caption if "the command runs it to the end" in c.value]   # finished: it reproduces
    assert f"{run.result['metrics']['test_accuracy']:.2%}" in [m.value for m in at.metric]
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # the curves and the confusion matrix
    confusion = json.loads(charts[1].proto.spec)
    assert confusion["data"][0]["type"] == "heatmap"
    # and as a table, its rows and columns named (the chart read as an unlabelled list to a screen reader)
    table = next(d.value for d in at.dataframe if "predicted 0" in d.value.columns)
    assert list(table.index[:2]) == ["true 0", "true 1"] and table.to_numpy().sum() == 1000
    # The test images, each drawn with its size (ui/image_results._inline_image): 32, mistakes first.
    grid = [h.proto.body for h in at.get("html") if '<img src="data:image/png;base64,' in h.proto.body]
    assert len(grid) == 1 and grid[0].count('width="84" height="84"') == 32
    assert re.search(r"mistakes out of \d+ test images \(accuracy \d+\.\d+%\)", text_of(at))
    assert next(m for m in at.metric if m.label == "best epoch").value == str(run.result["best_epoch"])
    assert "adam lr 0.002 · 256 training samples" in text_of(at)   # the header names a setting not its default
    assert "Finished" in text_of(at)


def test_home_on_the_address_of_a_run_its_button_started_opens_it_on_train(runs_dir):
    """A second click on "Train a CNN on sample digits" cut short the run that switched to the Train page: the page
    stayed on Home (`/?run=<id>`) while the run trained, unseen (a browser check). Home, which shows no run, opens a
    run its button started on Train; another run's address stays on Home."""
    from ui.prefill import STARTED_WITHOUT_FORM

    run_id = "20261207-000000Z-cnn-0123456789ab"
    at = open_page("app_pages/home.py", query={"run": run_id}, state={STARTED_WITHOUT_FORM: {run_id}})
    no_exceptions(at)
    assert at.title[0].value == "Train" and at.query_params["run"] == run_id
    at = open_page("app_pages/home.py", query={"run": run_id})
    no_exceptions(at)
    assert at.title[0].value != "Train"


def test_unknown_run_says_so(runs_dir):
    at = open_page("app_pages/train.py", query={"run": "no-such-run"})
    no_exceptions(at)
    assert any("no-such-run" in e.value for e in at.error)


def test_failed_job_without_a_run_directory_shows_its_message(runs_dir, fake_job):
    fake_job("job-that-failed", "failed", reason="mnist is not in /nowhere and could not be downloaded")
    at = open_page("app_pages/train.py", query={"run": "job-that-failed"})
    no_exceptions(at)
    assert "could not be downloaded" in text_of(at)
    assert "Failed" in text_of(at)


def test_queued_job_shows_its_queue_position(runs_dir, fake_job):
    from ui.state import job_manager

    fake_job("job-ahead", "queued")
    fake_job("job-waiting", "queued")
    assert job_manager().queue_position("job-waiting") == 2
    at = open_page("app_pages/train.py", query={"run": "job-waiting"})
    no_exceptions(at)
    assert "position 2 in the queue" in text_of(at)
    assert [b.label for b in at.button if b.key == "stop-job-waiting"] == ["Stop"]


def test_live_panel_of_a_series_job_shows_mae(runs_dir, fake_job):
    rows = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "val_metric": 0.5 / e, "lr": 1e-3,
             "seconds": 1.0, "samples_per_s": 900.0} for e in (1, 2, 3)]
    state = {"epochs": 10, "batches": 20, "epoch": 4, "batch": 5, "samples_per_s": 950.0, "device": "cpu",
             "started_training": time.time() - 30, "epoch_rows": rows, "best_epoch": 3, "patience_counter": 0,
             "patience": 5, "batch_losses": [(i / 20, 1.0 / (1 + i / 20)) for i in range(65)]}
    fake_job("series-job", "running", task="series", state=state)
    at = open_page("app_pages/train.py", query={"run": "series-job"})
    no_exceptions(at)
    assert "val MAE (norm.)" in [m.label for m in at.metric]
    assert "0 / 5" in [m.value for m in at.metric]  # the patience counter
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["yaxis2"]["title"]["text"] == "val MAE (norm.)"
    names = [t["name"] for t in figure["data"]]
    assert {"train loss (smoothed)", "val loss", "val MAE (norm.)", "best epoch"} <= set(names)
    # why the two losses differ early on, said under it (a learner read val below the smoothed train loss as wrong)
    assert any(c.value.startswith("Train loss is taken on each batch as the model learns, in train mode") for c in
               at.caption)
    progress = at.get("progress")[0].proto
    assert progress.value == math.floor(100 * (3 + 5 / 20) / 10) or abs(progress.value - 32) <= 1
    assert "samples/s" in progress.text and "left" in progress.text


# ------------------------------------------------------------------------------------------ runs page

def test_the_train_form_says_a_batch_that_holds_every_training_sample(monkeypatch, tmp_path):
    """Batch size 1,024 on 500 training samples is one step per epoch: said under the settings, nothing changed."""
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path))
    at = open_page("app_pages/train.py", state={"train-settings-limit_train": "500", "train-settings-batch_size": 1024})
    no_exceptions(at)
    said = [w.value for w in at.warning if "one step per epoch" in w.value]
    assert said == ["batch size 1,024 with 500 training samples: one step per epoch, and such a run learns little. "
                    "Lower the batch size to well below 500, or train on more samples."], [w.value for w in at.warning]
    assert not at.button(key="train-start").disabled   # said, not refused
    at.text_input(key="train-settings-limit_train").set_value("0").run()   # every sample of the set
    assert not [w for w in at.warning if "one step per epoch" in w.value]


def test_the_search_page_refuses_a_searched_setting_that_does_nothing_before_start(monkeypatch, tmp_path):
    """Min delta ticked beside patience fixed at 0: every trial would draw a value early stopping never reads. Said
    under the space, with Start off, as for momentum beside a fixed Adam (zoo/search/space.SearchSpace.check); it was
    refused only after the click, or for min delta not at all."""
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path))
    at = open_page("app_pages/search.py", state={"sp_mlp_min_delta_on": True, "sp_mlp_patience_on": False,
                                                 "sp_mlp_patience_value": 0})
    no_exceptions(at)
    assert at.button(key="search_start").disabled
    assert any("min_delta is used only with patience 1 or more, and patience is fixed at 0" in e.value
               for e in at.error), [e.value for e in at.error]
    number_box(at, key="sp_mlp_patience_value").set_value(3).run()
    no_exceptions(at)
    assert not at.error, [e.value for e in at.error]
    assert not at.button(key="search_start").disabled


def test_runs_page_lists_compares_and_deletes(trained_runs, monkeypatch, tmp_path):
    import shutil

    src, ids = trained_runs
    root = tmp_path / "runs"
    shutil.copytree(src, root)
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    at = open_page("app_pages/runs.py")
    no_exceptions(at)
    table = at.dataframe[0].value
    assert set(table["run"]) == set(ids)

    at.session_state["runs-table-0"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    no_exceptions(at)
    assert len(at.get("plotly_chart")) == 1  # the overlay
    diff = at.dataframe[1].value
    assert list(diff.index) == ["learning rate (lr)"]   # as the form names it (ui/compare.field_label)
    assert sorted(diff.loc["learning rate (lr)"].astype(float)) == [0.002, 0.005]

    at.button(key="runs-delete").click().run()
    assert any("cannot be undone" in w.value for w in at.warning)
    # Another tick after Delete was pressed: the question was about the runs ticked then, and it goes (it had stayed,
    # naming them beside "Delete 1 run…", and deleted them: a browser check)
    at.session_state["runs-table-0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not any("cannot be undone" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == "runs-delete-confirm"]
    at.session_state["runs-table-0"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    at.button(key="runs-delete").click().run()
    assert any("cannot be undone" in w.value for w in at.warning)
    # nothing deleted before the confirmation (the job manager's .queue aside: made where the page is the first to
    # start one for this runs directory, as when this test runs alone; and the visitor's drafts, ui/drafts.py)
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".") and p.name != "drafts") == sorted(ids)
    at.button(key="runs-delete-confirm").click().run()
    no_exceptions(at)
    assert not any((root / i).exists() for i in ids)
    assert any("No runs yet" in i.value for i in at.info)
    assert [t.value for t in at.toast] == ["Deleted 2 runs."]   # said after the rerun, where it is not lost


def test_switches_that_hide_every_run_say_so_not_no_runs_yet(trained_runs, monkeypatch):
    """"Only the runs started in this browser" beside runs made on the command line said "No runs yet. Train one on
    the Train page." with 13 runs on disk (a browser check)."""
    src, ids = trained_runs
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(src))
    at = open_page("app_pages/runs.py")
    at.toggle(key="runs-only-mine").set_value(True).run()
    no_exceptions(at)
    said = [i.value for i in at.info]
    assert said == [f"None of the {len(ids)} runs here are shown: the switches above hide them all."], said


def test_a_ticked_run_the_switches_hide_is_said_to_be_ticked_and_hidden(trained_runs, monkeypatch, tmp_path):
    """A ticked search trial, then "Hide search trials": the page said "Select two or more runs..." with nothing to
    say a tick was hidden, and it came back when the switch went off (a browser check)."""
    import json
    import shutil

    src, ids = trained_runs
    root = tmp_path / "runs"
    shutil.copytree(src, root)
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    trial = root / ids[0] / "result.json"
    trial.write_text(json.dumps({**json.loads(trial.read_text()), "search": {"study": "s", "trial": 0}}))
    at = open_page("app_pages/runs.py")
    rows = list(at.dataframe[0].value["run"])
    at.session_state["runs-table-0"] = {"selection": {"rows": [rows.index(ids[0])], "columns": [], "cells": []}}
    at.run()
    said = "1 ticked run is hidden by the switches above, and not compared: turn them off to see it."
    assert not any(said in c.value for c in at.caption)
    at.toggle(key="runs-hide-trials").set_value(True).run()
    no_exceptions(at)
    assert any(said in c.value for c in at.caption), [c.value for c in at.caption]
    at.toggle(key="runs-hide-trials").set_value(False).run()
    assert not any(said in c.value for c in at.caption)


def test_a_short_runs_duration_has_tenths_and_the_runs_dates_are_in_utc_as_their_ids(trained_runs, monkeypatch):
    """A 0.47 s run "took 0 s"; the Runs page's "started" was the server's local time, unlabelled (a server in Tokyo
    listed a run of 02:14Z as started 11:14: a browser check)."""
    import datetime as dt
    import json

    from zoo.run_records import run_record
    from ui.live import format_duration
    from zoo.runs import open_run

    assert [format_duration(s) for s in (0.0, 0.47, 5.0, 9.94, 9.96, 75)] == [
        "0 s", "0.5 s", "5 s", "9.9 s", "10 s", "1 min 15 s"]
    src, ids = trained_runs
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    import time

    time.tzset()
    try:
        run = open_run(ids[0], src)
        started = run_record(run)["started"]
        assert started.utcoffset() == dt.timedelta(0)
        made = dt.datetime.strptime(ids[0][:16], "%Y%m%d-%H%M%SZ").replace(tzinfo=dt.timezone.utc)
        assert abs((started - made).total_seconds()) < 60   # the id's time (UTC), not 9 hours off
    finally:
        monkeypatch.undo()
        time.tzset()
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(src))
    at = open_page("app_pages/runs.py")
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["started"]["label"] == "started (UTC)", columns["started"]
    assert columns["model"]["width"] == 300   # a board's "leaderboard (13 of 16 ranked): ..." had shown as "leaderb"
    # how to tick a row by keyboard: Space alone does nothing there (a keyboard user's check)
    assert any("the arrow keys to a row, then Shift+Space ticks it" in c.value for c in at.caption)
    # the run's id not pinned at 400 px, which had filled a phone's width (375 px) and kept the rest out of reach
    assert columns["run"]["width"] == 290 and not columns["run"].get("pinned"), columns["run"]


def test_a_run_a_live_process_still_writes_cannot_be_deleted(trained_runs, monkeypatch, tmp_path):
    """A learner's check: a search's trial training (a run of the study's job, not a job of its own) could be
    deleted from the Runs page; the trial then failed "refused before it trained: cannot write the run's files".
    Delete is off for it, as for a running job, and zoo refuses it too; once its process is gone, it goes."""
    import json
    import shutil
    import subprocess
    import sys

    from zoo.registry import SpecError
    from zoo.run_health import process_identity
    from zoo.runs import delete_run

    src, ids = trained_runs
    root = tmp_path / "runs"
    shutil.copytree(src, root)
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    trial = root / ids[0] / "result.json"
    trial.write_text(json.dumps({**json.loads(trial.read_text()), "status": "running", "process": process_identity(),
                                 "search": {"study": "s", "trial": 0}}))
    at = open_page("app_pages/runs.py")
    row = list(at.dataframe[0].value["run"]).index(ids[0])
    at.session_state["runs-table-0"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    no_exceptions(at)
    assert at.button(key="runs-delete").disabled
    with pytest.raises(SpecError, match=f"run {ids[0]} is still running"):
        delete_run(root / ids[0])
    assert (root / ids[0] / "result.json").exists()

    # Its process gone, or none known alive here (no record; another host's, as an earlier container's): deletable
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    for process in ({**process_identity(), "pid": int(gone.stdout)}, None, {**process_identity(), "host": "gone"}):
        trial.write_text(json.dumps({**json.loads(trial.read_text()), "process": process}))
        at.run()
        assert not at.button(key="runs-delete").disabled, process
    delete_run(root / ids[0])
    assert not (root / ids[0]).exists()


def test_a_run_whose_command_was_killed_while_the_server_serves_is_failed_not_running(trained_runs, monkeypatch,
                                                                                      tmp_path):
    """A `python -m zoo train` killed with SIGKILL while the app served stayed "running" on the Runs page and on its
    own, with Delete on, until the server restarted or another command ran (a browser check). Its process known gone,
    the pages end it as a restart would: failed, its epochs and checkpoint kept."""
    import json
    import shutil
    import subprocess
    import sys

    from zoo.run_health import process_identity
    from zoo.runs import open_run

    src, ids = trained_runs
    root = tmp_path / "runs"
    shutil.copytree(src, root)
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    at = open_page("app_pages/runs.py")   # the server serving (its start ends the runs a killed process left)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)

    def killed_in_mid_run(run_id: str) -> None:
        path = root / run_id / "result.json"
        kept = json.loads(path.read_text())
        for ended in ("reason", "finished", "test_metrics", "epochs_run"):
            kept.pop(ended, None)
        path.write_text(json.dumps({**kept, "status": "running",
                                    "process": {**process_identity(), "pid": int(gone.stdout)}}))

    killed_in_mid_run(ids[0])
    at.run()
    no_exceptions(at)
    shown = at.dataframe[0].value.set_index("run")["status"]
    assert shown[ids[0]].startswith("failed"), shown
    said = open_run(ids[0], root).result
    assert said["status"] == "failed" and said["reason"].startswith("the process that ran it stopped before it ended")
    # and the run's own page, opened before any list: failed there too, with why
    killed_in_mid_run(ids[1])
    at = open_page("app_pages/train.py", query={"run": ids[1]})
    no_exceptions(at)
    assert open_run(ids[1], root).status == "failed"
    assert not any("files say it is still running" in w.value for w in at.warning)
    assert any("the process that ran it stopped before it ended" in e.value for e in at.error), \
        [e.value for e in at.error]


def test_a_trial_this_servers_search_job_runs_is_left_to_its_job_manager(trained_runs, monkeypatch, tmp_path,
                                                                       fake_job):
    """A search's trial is a run of the study's job, not a job of its own: its worker killed (the hosted demo's
    wall-time cap), a page listing runs in the moment before the job manager wrote "stopped by the wall-time cap"
    wrote the generic "failed" first, and kept it (a review). A run a job of this server names is its manager's."""
    import json
    import shutil
    import subprocess
    import sys

    from zoo.run_health import process_identity
    from zoo.runs import open_run

    src, ids = trained_runs
    root = tmp_path / "runs"
    shutil.copytree(src, root)
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    at = open_page("app_pages/runs.py")
    fake_job("search-s-1", "running", state={"run_id": ids[0], "run_dir": str(root / ids[0])})
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path = root / ids[0] / "result.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "status": "running",
                                "process": {**process_identity(), "pid": int(gone.stdout)}}))
    at.run()
    no_exceptions(at)
    assert open_run(ids[0], root).status == "running"


def test_without_proc_a_live_process_is_running_and_a_dead_one_gone(monkeypatch):
    """Without /proc (macOS, Windows) no process's start time is known: every run of a command beside the app read
    as its process gone, and the pages that list runs ended it `failed` mid-training (a review). There, whether
    the pid lives is what tells."""
    import subprocess
    import sys

    from zoo import run_health

    monkeypatch.setattr(run_health, "_pid_started", lambda pid: None)
    here = {**run_health.process_identity()}
    assert here["pid_started"] is None
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    assert run_health._still_running(here)
    assert not run_health._still_running({**here, "pid": int(gone.stdout)})
    assert not run_health._still_running({**here, "pid": -1})


def test_train_reattaches_to_this_sessions_live_job(runs_dir, fake_job):
    from zoo.demo import owner_of

    fake_job("my-live-job", "running", owner=owner_of(ME), state={"epochs": 5, "batches": 10, "epoch": 1,
                                                                   "batch": 2, "samples_per_s": 100.0,
                                                                   "device": "cpu"})
    at = open_page("app_pages/train.py", state={"visitor": ME})
    no_exceptions(at)
    assert at.query_params.get("run") in ("my-live-job", ["my-live-job"])
    assert [b.label for b in at.button if b.key == "stop-my-live-job"] == ["Stop"]
    # At the session's job cap (1 by default) Start is off and says why; other sessions' jobs do not count.
    assert at.button(key="train-start").disabled
    # marked as the reason Start is off (ui/run_view.why_start_is_off), not a grey caption among others
    assert any(c.value.startswith(":orange[:material/block:] Run my-live-job has not ended (you may have 1 job "
                                  "queued or running at a time)") for c in at.caption)
    # the page shows that run: no link to it
    opens = "Your run my-live-job is running: open it"
    assert opens not in [link.proto.label for link in at.get("page_link")]
    other = open_page("app_pages/train.py", state={"visitor": "b" * 32})
    assert not other.button(key="train-start").disabled
    # The Search page too: it had queued a second job behind the visitor's run, with no word why it waited
    search = open_page("app_pages/search.py", state={"visitor": ME})
    no_exceptions(search)
    assert search.button(key="search_start").disabled
    assert any(c.value.startswith(":orange[:material/block:] Run my-live-job has not ended") for c in search.caption)
    assert not open_page("app_pages/search.py", state={"visitor": "b" * 32}).button(key="search_start").disabled
    at.button(key="train-close").click().run()  # closed on purpose: not re-attached
    assert not at.query_params.get("run")
    assert any("press **Start training**" in i.value for i in at.info)
    # Start still off for it, and the run it waits on a click away: an empty run view had said nothing of the run
    # that Start said had not ended, nor where to watch or stop it (a new user's check)
    assert at.button(key="train-start").disabled
    links = {link.proto.label: link.proto for link in at.get("page_link")}
    assert opens in links and links[opens].query_string == "run=my-live-job", list(links)
    assert links[opens].page == "train", links[opens]
    at = open_page("app_pages/train.py", state={"visitor": ME})   # a reload: still closed (it had opened it again)
    no_exceptions(at)
    assert not at.query_params.get("run") and not [b for b in at.button if b.key == "stop-my-live-job"]


def test_a_run_lost_in_the_queue_by_a_restart_says_so_and_trains_again(runs_dir, fake_job):
    """A job that waited in the queue when the server was killed (zoo/jobs.py keeps the queue on disk): its address
    had said "there is no run ...: it was deleted" (a demo visitors' check). It says what became of it, and Train
    again fills the form with its spec."""
    from zoo.demo import owner_of
    from zoo.jobs import LOST_IN_QUEUE, TRAINING_TARGET

    job = fake_job("20261204-002331Z-cnn-a1a58fc8e924", "failed", owner=owner_of(ME), reason=LOST_IN_QUEUE)
    job.target, job.payload["spec"] = TRAINING_TARGET, ExperimentSpec(model="mlp", epochs=7).to_dict()
    at = open_page("app_pages/train.py", query={"run": job.id}, state={"visitor": ME})
    no_exceptions(at)
    assert any("waited in the queue, so it never started" in e.value for e in at.error), [e.value for e in at.error]
    assert not any("There is no run" in e.value for e in at.error)
    assert any(c.value.startswith("mlp") for c in at.caption), [c.value for c in at.caption]   # what it was
    at.button(key=f"run-{job.id}-again").click().run()
    no_exceptions(at)
    assert (at.selectbox(key="train-model").value, at.slider(key="train-settings-epochs").value) == ("mlp", 7)
    # a leaderboard lost so: said, with no Train again (its spec is a board's: the review found it raised)
    board = fake_job("20261204-002332Z-leaderboard-a1a58fc8e924", "failed", owner=owner_of(ME), reason=LOST_IN_QUEUE)
    board.target, board.payload = "zoo.leaderboard.job:run", {"task": "series", "spec": {"budget": 150}}
    at = open_page("app_pages/forecast.py", query={"run": board.id}, state={"visitor": ME})
    no_exceptions(at)
    assert any("never started" in e.value for e in at.error) and not [b for b in at.button if "again" in b.key]


@pytest.mark.parametrize("status, reason", [("stopped", "stopped while its worker was starting"),
                                            ("failed", "its worker process died (exit code 1) before it reported a "
                                                       "result; what it had finished is kept")])
def test_a_run_ended_before_it_wrote_a_folder_trains_again_for_its_owner(runs_dir, fake_job, monkeypatch, status,
                                                                         reason):
    """A run stopped the moment it started (its worker still starting) writes no run directory: its view said how it
    ended and what it was, with no Train again, which only a run lost in a restart's queue had (a CI run's browser
    test met it). Its owner gets Train again, filling the form with its spec; on the demo another visitor does not."""
    from zoo.demo import owner_of
    from zoo.jobs import TRAINING_TARGET

    job = fake_job("20261207-024953Z-cnn-2208d1a05708", status, owner=owner_of(ME), reason=reason)
    job.target, job.payload["spec"] = TRAINING_TARGET, ExperimentSpec(model="cnn", epochs=5).to_dict()
    at = open_page("app_pages/train.py", query={"run": job.id}, state={"visitor": ME})
    no_exceptions(at)
    said = [m.value for m in [*at.warning, *at.error]]
    assert any(reason.split(" (")[0].removeprefix("stopped ") in m for m in said), said
    at.button(key=f"run-{job.id}-again").click().run()
    no_exceptions(at)
    assert (at.selectbox(key="train-model").value, at.slider(key="train-settings-epochs").value) == ("cnn", 5)

    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    theirs = fake_job("20261207-024954Z-cnn-2208d1a05709", status, owner=owner_of("b" * 32), reason=reason)
    theirs.target, theirs.payload["spec"] = TRAINING_TARGET, ExperimentSpec(model="cnn").to_dict()
    at = open_page("app_pages/train.py", query={"run": theirs.id}, state={"visitor": ME})
    no_exceptions(at)
    assert not [b for b in at.button if "again" in str(b.key)]


def test_a_run_lost_in_the_queue_by_a_restart_is_said_on_the_runs_page_until_dismissed(runs_dir, fake_job):
    """Such a job has no run directory, so the Runs page said "No runs yet": a visitor who had closed its tab had
    nothing to tell them it was dropped (a demo visitors' check). The page says so, links to its address (where Train
    again starts it) and forgets it on Dismiss; another visitor's is not theirs to see."""
    from zoo.demo import owner_of
    from zoo.jobs import LOST_IN_QUEUE, TRAINING_TARGET

    def training_job(job_id: str, owner: str, state: dict | None = None):
        job = fake_job(job_id, "failed", owner=owner, reason=LOST_IN_QUEUE, state=state)
        job.target = TRAINING_TARGET
        job.payload.update(runs_dir=str(runs_dir), run_id=job_id)   # as zoo/jobs.submit_training makes it
        return job

    job = training_job("20261205-184843Z-cnn-f48741d525d4", owner_of(ME))
    other = training_job("20261205-184844Z-cnn-0123456789ab", owner_of("b" * 32))
    # a run that trained, failed and was deleted since (the demo's sweep): not a job that never trained (a review)
    swept = training_job("20261205-184845Z-cnn-aaaaaaaaaaaa", owner_of(ME),
                         state={"run_dir": str(runs_dir / "20261205-184845Z-cnn-aaaaaaaaaaaa"), "epoch": 3})
    at = open_page("app_pages/runs.py", state={"visitor": ME})
    no_exceptions(at)
    said = [w.value for w in at.warning if "ended before it trained" in w.value]
    assert said == [f"Your job `{job.id}` ended before it trained: {LOST_IN_QUEUE}."], said
    assert other.id not in " ".join(w.value for w in at.warning) and swept.id not in " ".join(said)
    at.button(key=f"runs-dismiss-{job.id}").click().run()
    no_exceptions(at)
    assert not [w.value for w in at.warning if "ended before it trained" in w.value]


def test_a_dismiss_a_rerun_cut_short_before_its_button_is_kept(runs_dir, fake_job, monkeypatch):
    """Dismiss was read where its button is drawn: a change just after the click (the browser's next message,
    tests/cut_at_element) ended that run before, and the next, with no click in its message, said it again."""
    import streamlit as st

    from tests.cut_at_element import cut_key, rerun_with_the_click_gone
    from zoo.demo import owner_of
    from zoo.jobs import LOST_IN_QUEUE, TRAINING_TARGET

    job = fake_job("20261205-184843Z-cnn-f48741d525d4", "failed", owner=owner_of(ME), reason=LOST_IN_QUEUE)
    job.target = TRAINING_TARGET
    job.payload.update(runs_dir=str(runs_dir), run_id=job.id)
    at = open_page("app_pages/runs.py", state={"visitor": ME})
    assert [w.value for w in at.warning if "ended before it trained" in w.value]
    monkeypatch.setattr(st, "title", rerun_with_the_click_gone("title"))
    at.button(key=f"runs-dismiss-{job.id}").click().run()
    no_exceptions(at)
    assert at.session_state[cut_key("title")], "no rerun met the page's run"
    assert not [w.value for w in at.warning if "ended before it trained" in w.value]


def test_a_running_search_that_blocks_start_is_named_by_its_study(runs_dir, fake_job):
    """The Train page said "Search search-learner-cnn-60da15-1 has not ended", its worker's id (a learner's
    check): the search is named by its study."""
    from zoo.demo import owner_of
    from zoo.search import SearchConfig, build_space

    job = fake_job("search-learner-cnn-60da15-1", "running", owner=owner_of(ME))
    from ui.search_views import SEARCH_WORKER

    job.target = SEARCH_WORKER
    spec = ExperimentSpec(model="mlp")
    job.payload = {"config": SearchConfig(spec=spec, space=build_space("mlp"), study="learner-cnn").to_dict()}
    at = open_page("app_pages/train.py", state={"visitor": ME})
    no_exceptions(at)
    assert at.button(key="train-start").disabled
    assert any(c.value.startswith(":orange[:material/block:] The search of study `learner-cnn` has not ended (you "
                                  "may have 1 job queued") for c in at.caption), [c.value for c in at.caption]


def test_a_running_search_says_how_far_each_worker_is_through_what_it_was_asked(runs_dir, fake_job, tmp_path):
    """The live view showed "Trials 3" and "worker 1: trial 3, epoch 1/5" with nothing to say how many trials, or
    how long, the search would run: each worker's line says it."""
    from ui.search_views import SEARCH_WORKER
    from zoo.demo import owner_of
    from zoo.search import SearchConfig, build_space
    from zoo.search.study import open_study

    config = SearchConfig(spec=ExperimentSpec(model="mlp"), space=build_space("mlp"), study="planned", n_trials=10,
                          timeout=300, storage=str(tmp_path / "journal.log"), runs_dir=str(runs_dir))
    open_study(config)
    job = fake_job("search-planned-abc123-1", "running", owner=owner_of(ME),
                   state={"trial": 3, "epoch": 1, "epochs": 5, "done": 2})
    job.target, job.payload = SEARCH_WORKER, {"config": config.to_dict()}
    at = open_page("app_pages/search.py", query={"study": "planned", "jobs": job.id,
                                                 "storage": config.storage}, state={"visitor": ME})
    no_exceptions(at)
    assert "worker 1: trial 3, epoch 1/5 · 2 of 10 trial(s) done, time budget 5 min 00 s" in \
        [c.value for c in at.caption], [c.value for c in at.caption]


def test_a_search_worker_lost_mid_trial_leaves_no_trial_running(runs_dir, fake_job, tmp_path):
    """A search on Ray whose cluster was lost: the page said "worker 1: failed: ..." and "Running 1" beside it, for the
    trial the worker was training, until the study was joined again; the trial's run was on a node this server cannot
    see, so no process check could tell it gone. The worker's job names its trial: failed, its note saying why."""
    from ui.search_views import SEARCH_WORKER
    from zoo import demo
    from zoo.demo import owner_of
    from zoo.search import SearchConfig, build_space, load_study
    from zoo.search.study import open_study

    config = SearchConfig(spec=ExperimentSpec(model="mlp"), space=build_space("mlp"), study="lost", n_trials=4,
                          storage=str(tmp_path / "journal.log"), runs_dir=str(runs_dir))
    study = open_study(config)
    done = study.ask()
    study.tell(done, 0.5)
    study.ask()   # trial 1, its worker gone with the cluster
    study.ask()   # trial 2, its worker ended at the hosted demo's hard deadline (terminated: a review)
    study.ask()   # trial 3, its worker still at work
    lost = "the Ray cluster stopped answering (its head at 10.0.0.5:6379)"
    capped = demo.ended_at_hard_deadline(600)
    workers = []
    for i, (status, reason, trial) in enumerate((("failed", lost, 1), ("stopped", capped, 2), ("running", "", 3)), 1):
        job = fake_job(f"search-lost-abc123-{i}", status, owner=owner_of(ME), reason=reason,
                       state={"trial": trial, "epoch": 2, "epochs": 5, "done": 1, "last": {"number": 0}})
        job.target, job.payload = SEARCH_WORKER, {"config": config.to_dict()}
        workers.append(job.id)
    at = open_page("app_pages/search.py", query={"study": "lost", "jobs": ",".join(workers), "storage": config.storage},
                   state={"visitor": ME})
    no_exceptions(at)
    assert {m.label: m.value for m in at.metric}["Running"] == "1"   # the live worker's
    table = at.dataframe[0].value
    assert list(table["state"]) == ["complete", "failed", "failed", "running"], table
    # the tiles add up to the trials (a stopped trial was in "Trials" and in no tile: a browser check)
    tiles = {m.label: int(m.value) for m in at.metric if m.label in ("Trials", "Complete", "Pruned", "Running",
                                                                      "Ended otherwise")}
    assert tiles["Ended otherwise"] == 2 and tiles["Trials"] == sum(v for k, v in tiles.items() if k != "Trials"), tiles
    assert list(table["note"].iloc[1:3]) == [f"its search worker ended before the trial did ({why}), so its value was "
                                             "never told" for why in (lost, capped)]
    assert [t.state.name for t in load_study(config.storage, "lost").trials] == ["COMPLETE", "FAIL", "FAIL", "RUNNING"]


def test_min_delta_is_greyed_out_with_early_stopping_off_saying_why(runs_dir):
    """Min delta beside patience 0 did nothing a learner could see, but kept an early epoch's weights (zoo/engine.py):
    now early stopping's own, it is greyed out there, as momentum is beside Adam, its help saying why and its units."""
    at = open_page("app_pages/train.py", state={"visitor": ME})
    assert not at.text_input(key="train-settings-min_delta").disabled
    assert "val accuracy as a fraction: 0.01 is 1 point" in at.text_input(key="train-settings-min_delta").help
    at.slider(key="train-settings-patience").set_value(0).run()
    no_exceptions(at)
    greyed = at.text_input(key="train-settings-min_delta")
    assert greyed.disabled and greyed.help.endswith("(used only with patience 1 or more)"), greyed.help
    # a value it holds blocks no Start, and the run keeps the default: it does nothing (a review)
    at.slider(key="train-settings-patience").set_value(5).run()
    at.text_input(key="train-settings-min_delta").set_value("2").run()
    assert at.button(key="train-start").disabled
    assert any("min delta: 2 is outside" in e.value for e in at.error), [e.value for e in at.error]
    at.slider(key="train-settings-patience").set_value(0).run()
    no_exceptions(at)
    assert not at.button(key="train-start").disabled
    assert not at.error, [e.value for e in at.error]   # nor red under a field greyed out, whose value is unused
    assert at.text_input(key="train-settings-min_delta").value == "2"   # kept, said again once it is used
    at.slider(key="train-settings-patience").set_value(5).run()
    assert any("min delta: 2 is outside" in e.value for e in at.error) and at.button(key="train-start").disabled
    # and a spec that holds both (a search trial samples them) reproduces with a command train takes
    from zoo.spec import ExperimentSpec

    assert "--min-delta" not in ExperimentSpec(model="cnn", patience=0, min_delta=0.5).cli_command()
    assert "--min-delta 0.5" in ExperimentSpec(model="cnn", patience=2, min_delta=0.5).cli_command()


def test_runs_page_on_the_hosted_demo_lists_only_this_visitors_runs(trained_runs, monkeypatch, tmp_path):
    import shutil

    from zoo.demo import owner_of
    from zoo.runs import patch_result

    src, ids = trained_runs
    root = tmp_path / "runs"
    shutil.copytree(src, root)
    patch_result(root / ids[1], owner=owner_of(ME))
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    at = open_page("app_pages/runs.py", state={"visitor": ME})
    no_exceptions(at)
    assert list(at.dataframe[0].value["run"]) == [ids[1]]
    assert at.dataframe[0].proto.placeholder == "—"   # a field a run lacks shows a dash, not "None"
    stranger = open_page("app_pages/runs.py", state={"visitor": "b" * 32})
    assert not stranger.dataframe and any("No runs yet" in i.value for i in stranger.info)


def test_the_runs_without_curves_are_named_with_why_in_the_right_number():
    from ui.compare import without_curves

    run = {"rows": [{"epoch": 1}]}
    assert without_curves([{"run": "a", **run}]) is None
    one = without_curves([{"run": "a", **run}, {"run": "b", "rows": []}, {"run": "lb", "rows": [], "leaderboard": True}])
    assert one == ("No curves for lb: a leaderboard has no epochs of its own (it ranks many models); compare it by its "
                   "test MASE in the table, or open it for its candidates; b: ended before its first epoch.")
    assert without_curves([{"run": "b", "rows": []}, {"run": "c", "rows": []}]) == \
        "No curves for b, c: ended before their first epoch."


def test_a_loss_past_the_grids_integers_is_shown_as_infinity_and_said():
    """A loss of 5.9e17 (lr 1, one step) showed in the Runs table as a grey 588708256305685500 with an error's red
    corner, since Streamlit's number columns take any number past 2^53 for an integer they cannot hold (a learner's
    check). It is infinity there, the column still numbers (it sorts as numbers: a review), and said under it."""
    import math

    import pandas as pd

    from ui.compare import past_table_numbers

    table = pd.DataFrame({"run": ["a", "b", "c"], "best val loss": [0.12345, 5.887e17, None],
                          "test loss": [0.2, 0.3, None]})
    said = past_table_numbers(table, ["best val loss", "test loss", "absent"])
    assert said == ["b's best val loss is 5.887e+17"]
    assert table["best val loss"][1] == math.inf and table["best val loss"][0] == 0.12345
    assert pd.api.types.is_float_dtype(table["best val loss"]) and pd.isna(table["best val loss"][2])


def test_a_blown_up_runs_losses_put_the_overlays_loss_axis_on_a_log_scale():
    """A validation loss of 5.9e17 drew every other run's curve flat at 0 (a learner's check)."""
    from ui.compare import overlay_figure

    def record(run, val_loss):
        return {"run": run, "task": "image", "best epoch": 1,
                "rows": [{"epoch": 1, "val_loss": val_loss, "train_loss": 2.3, "val_metric": 0.1}]}

    assert overlay_figure([record("a", 0.3), record("b", 5.887e17)]).layout.yaxis.type == "log"
    assert overlay_figure([record("a", 0.3), record("b", 0.5)]).layout.yaxis.type != "log"
    # ...and runs whose typical losses lie far apart: 416 beside 1.98 drew the second flat at 0 (a learner's check)
    apart = overlay_figure([record("a", 1.98), record("b", 416.0)]).layout.yaxis
    assert apart.type == "log" and apart.title.text == "loss (log scale)"
    assert apart.minorloglabels == "none"   # decades only: plotly labelled 20 to 50 "2 3 4 5" (a learner's check)
    assert overlay_figure([record("a", 0.9), record("b", 2.3)]).layout.yaxis.type != "log"


def test_curves_of_an_image_run_and_a_series_run_are_drawn_on_axes_of_their_own():
    """Both tasks' runs shared one loss axis (a cross-entropy beside an MSE) and one "val MAE / val
    accuracy" axis."""
    from ui.compare import overlay_figure

    def record(run, task, metric):
        return {"run": run, "task": task, "best epoch": 1,
                "rows": [{"epoch": 1, "val_loss": 1.0, "train_loss": 1.1, "val_metric": metric}]}

    fig = overlay_figure([record("img", "image", 0.9), record("ser", "series", 0.4), record("img2", "image", 0.8)])
    axes = {t.name: (t.xaxis, t.yaxis) for t in fig.data if t.name in ("img", "ser", "img2") and t.showlegend is not False}
    assert axes["img"] == axes["img2"] != axes["ser"]
    titles = [a.text for a in fig.layout.annotations]
    assert titles[1] == "val accuracy" and titles[3] == "val MAE (norm.)" and titles[2].startswith("time-series forecasting")
    assert fig.layout.yaxis2.tickformat == ".0%" and fig.layout.yaxis4.tickformat is None
    one = overlay_figure([record("img", "image", 0.9), record("img2", "image", 0.8)])
    assert [a.text for a in one.layout.annotations] == ["loss (solid: val, dashed: train)", "val accuracy"]
    # A run of one epoch: its train loss is a marker (a line of one point draws nothing), and an accuracy
    # axis runs from 0 to 100% (a lone point spread it from below 0% to 150%: a learner's check).
    assert {t.mode for t in one.data if t.name.endswith(" train")} == {"markers"}
    low, high = one.layout.yaxis2.range
    assert 0 <= low < 0.8 and 0.9 < high <= 1.02 and fig.layout.yaxis4.range is None   # an MAE: its own
    # Each row's epoch ticks by its own runs: 2-epoch image runs beside a 30-epoch series run had plotly's
    # fractional ticks, labelled "1 1 1 2 2 2" (a demo visitors' check)
    long = {**record("ser", "series", 0.4), "rows": [{"epoch": e, "val_loss": 1.0, "train_loss": 1.1, "val_metric": 0.4}
                                                    for e in range(1, 31)]}
    short = {**record("img", "image", 0.9), "rows": [{**record("img", "image", 0.9)["rows"][0], "epoch": e}
                                                     for e in (1, 2)]}
    mixed = overlay_figure([short, long])
    assert mixed.layout.xaxis.dtick == mixed.layout.xaxis2.dtick == 1   # the image row
    assert mixed.layout.xaxis3.dtick is None and mixed.layout.xaxis3.tickformat == "d"   # the series row: plotly's


def test_where_specs_differ_shows_only_the_fields_each_runs_task_has():
    """"show every field" listed lookback, horizon, split and season for two image runs."""
    from ui.compare import spec_diff
    from zoo.spec import ExperimentSpec

    images = {"a": ExperimentSpec(model="mlp").to_dict(), "b": ExperimentSpec(model="cnn").to_dict()}
    fields = list(spec_diff(images, show_all=True).index)
    assert "val_fraction" in fields and not {"lookback", "horizon", "split", "season", "target",
                                             "windows_fitted"} & set(fields)
    mixed = spec_diff({"a": images["a"], "s": ExperimentSpec(task="series", data="ETTh1", model="linear").to_dict()},
                      show_all=True)
    assert mixed.loc["lookback", "a"] == "—" and mixed.loc["val_fraction", "s"] == "—"
    # Which windows a page fitted is no setting: a page's run and its own reproduce command have the same spec.
    page_run = ExperimentSpec(task="series", data="ETTh1", model="linear", windows_fitted=["lookback"]).to_dict()
    assert spec_diff({"p": page_run, "c": {**page_run, "windows_fitted": []}}).empty
    assert spec_diff({"p": {**page_run, "training_fitted": ["epochs"]}, "c": page_run}).empty   # nor the training's
    # A model parameter one run sets: its default where the other's model has it (a bare "(default)" hid the
    # value: a learner's check), "—" where it has none; the default set by hand is no difference
    lstm = ExperimentSpec(model="lstm", model_params={"hidden_size": 256}).to_dict()
    rnn, mlp = ExperimentSpec(model="rnn").to_dict(), ExperimentSpec(model="mlp").to_dict()
    assert list(spec_diff({"l": lstm, "r": rnn, "m": mlp}).loc["model.hidden_size"]) == ["256", "128 (default)", "—"]
    cnn = ExperimentSpec(model="cnn", model_params={"batch_norm": True, "channels1": 6}).to_dict()
    diff = spec_diff({"set": cnn, "plain": ExperimentSpec(model="cnn").to_dict()})
    assert list(diff.index) == ["model.batch_norm"] and list(diff.iloc[0]) == ["True", "False (default)"]
    # Two models at their defaults: each one's hyperparameters, not the model's name alone (a learner's check)
    both = spec_diff({"l": rnn, "m": ExperimentSpec(model="mlp", model_params={"dropout": 0.1}).to_dict()})
    assert list(both.loc["model.hidden_size"]) == ["128 (default)", "—"]
    assert both.loc["model.depth", "l"] == "—" and both.loc["model.depth", "m"].endswith("(default)")
    assert both.loc["model.dropout", "m"] == "0.1"
    image_lstm = spec_diff({"c": ExperimentSpec(model="cnn").to_dict(), "l": ExperimentSpec(model="lstm").to_dict()})
    assert not {"model.window_norm", "model.patch"} & set(image_lstm.index)   # the series' fields: not an image run's


def test_where_specs_differ_names_fields_as_the_forms_do_and_leaves_out_an_unused_momentum():
    """Two Adam runs showed "momentum 0.99 vs 0.9" (only SGD uses it) under rows named limit_train and
    model.batch_norm (a learner's check)."""
    from ui.compare import field_label, spec_diff
    from zoo.spec import ExperimentSpec

    adam = {"a": ExperimentSpec(model="cnn", momentum=0.99, limit_train=500).to_dict(),
            "b": ExperimentSpec(model="cnn", momentum=0.9, model_params={"batch_norm": True}).to_dict()}
    assert list(spec_diff(adam).index) == ["limit_train", "model.batch_norm"]
    assert [field_label(f) for f in spec_diff(adam).index] == ["training samples (limit_train)", "batch norm (model)"]
    sgd = {**adam, "b": ExperimentSpec(model="cnn", optimizer="sgd", momentum=0.9).to_dict()}
    assert list(spec_diff(sgd).loc["momentum"]) == ["(unused by adam)", "0.9"]
    assert field_label("epochs") == "epochs"


def test_where_specs_differ_names_an_upload_not_the_servers_path(tmp_path):
    """A browser check: the data row showed `/srv/…/runs/uploads/696c1eb5…`, cut off, beside the table's
    `weekly_sales.csv`. Two uploads of one name still differ, by the start of their content's hash."""
    from ui.compare import spec_diff
    from zoo import forecast_io as fio
    from zoo.spec import ExperimentSpec

    old = fio.store_upload(b"day,v\n2024-01-01,1\n2024-01-02,2\n", "sales.csv", tmp_path, owner="o")
    new = fio.store_upload(b"day,v\n2024-01-01,1\n2024-01-02,3\n", "sales.csv", tmp_path, owner="o")
    specs = {run: ExperimentSpec(task="series", data=str(path), model="linear").to_dict()
             for run, path in (("a", old), ("b", new))}
    assert list(spec_diff(specs).loc["data"]) == [f"sales.csv ({old.stem[:8]})", f"sales.csv ({new.stem[:8]})"]
    assert str(tmp_path) not in spec_diff(specs, show_all=True).to_string()


def test_time_left_follows_the_training_rate_not_the_start_up():
    """A run 30 s into its first epoch of 30, 9 batches of 57 done at 141 samples/s on 3,600 samples,
    most of those 30 s spent starting up: the time since the start said about 13 minutes; the rate
    says 30 x (1 - done) x 3,600 / 141. Once an epoch has ended, its time (validation included) is the
    rate."""
    from ui.live import format_duration, progress

    state = {"epochs": 30, "batches": 57, "epoch": 1, "batch": 9, "samples_per_s": 141.0, "n_train": 3600,
             "started_training": 1000.0}
    _, line = progress(state, now=1030.0)
    done = (9 / 57) / 30
    expected = 30 * (1 - done) * 3600 / 141
    assert f"about {format_duration(expected)} left" in line
    state.update(epoch=3, batch=0, epoch_rows=[{"seconds": 2.0}, {"seconds": 3.0}])
    _, line = progress(state, now=1100.0)
    assert f"about {format_duration(2.5 * 30 * (1 - 2 / 30))} left" in line
    # After the first batch its rate holds the warm-up: no time left yet, rather than minutes for seconds
    _, line = progress({**state, "epoch": 1, "batch": 1, "epoch_rows": [], "samples_per_s": 20.0}, now=1001.0)
    assert line == "epoch 1/30 · batch 1/57 · 20 samples/s"


def test_a_list_following_live_jobs_says_which_are_queued():
    """The Runs page said "1 job is running" for a visitor's queued job, under its own "1 of your jobs is still
    queued" (a demo visitor's check): the line counts each job by its status."""
    from ui.live import live_jobs_said

    assert live_jobs_said(["queued"]) == "1 job is queued: this list follows it."
    assert live_jobs_said(["running", "starting", "queued"]) == ("2 jobs are running and 1 is queued: this list "
                                                                 "follows them.")
    assert live_jobs_said(["running"]) == "1 job is running: this list follows it."


def _by_key(widgets, name: str):
    """The Inspect tab's widget `name`, whatever subject its key is kept for (ui/inspect_tabs.kept)."""
    return next(w for w in widgets if w.key == name or w.key.startswith(name + "::"))


def test_an_inspect_number_that_is_no_number_is_said_under_its_box(trained_runs, monkeypatch):
    """Inspect's number boxes are text boxes read by a declaration (ui/form.typed_field): Streamlit's number box
    read a German "1.000" batch size as 1 in the browser, and the summary was of a batch of 1 (a German visitor's
    check). The text stays as typed, what it is is said under it, and nothing is drawn for a value not given."""
    root, ids = trained_runs
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    at = open_page("app_pages/inspect.py", query={"run": ids[0]}, state={"inspect-tab": "Summary"})

    def mult_adds() -> int:
        return int(next(m.value for m in at.metric if m.label == "Mult-adds per batch").replace(",", ""))

    NumberBox(_by_key(at.text_input, "inspect-summary-batch")).set_value(1).run()
    one = mult_adds()
    NumberBox(_by_key(at.text_input, "inspect-summary-batch")).set_value("1.000").run()
    no_exceptions(at)
    assert [e.value for e in at.error] == [
        "Batch size: '1.000' is 1000 where the dot separates thousands and 1 where it is a decimal mark; write the "
        "whole number without it (1000 or 1)."]
    assert not at.metric and _by_key(at.text_input, "inspect-summary-batch").value == "1.000"
    NumberBox(_by_key(at.text_input, "inspect-summary-batch")).set_value("1e3").run()   # a thousand, in full
    no_exceptions(at)
    assert not at.error and mult_adds() == 1000 * one
    at.session_state["inspect-tab"] = "Grad-CAM / Saliency"
    at.run()
    NumberBox(_by_key(at.text_input, "inspect-cam-index")).set_value("2,0").run()
    no_exceptions(at)
    assert [e.value for e in at.error] == [
        "Test image (0 to 999): '2,0' is not a whole number; give a whole number such as 0."]
    # the pickers beside it stay drawn; no map is drawn for an image not given
    assert _by_key(at.segmented_control, "inspect-cam-method") and not at.get("plotly_chart")
    NumberBox(_by_key(at.text_input, "inspect-cam-index")).set_value("2").run()
    assert not at.error and at.get("plotly_chart")
    at = open_page("app_pages/inspect.py", state={"inspect-source": "New model", "inspect-task": "series",
                                                  "inspect-model-series": "tcn"})
    number_box(at, key="inspect-lookback").set_value("4,5").run()
    no_exceptions(at)
    assert [e.value for e in at.error] == [
        "lookback L: '4,5' is not a whole number; give a whole number such as 96."]
    number_box(at, key="inspect-lookback").set_value(48).run()
    no_exceptions(at)
    assert not at.error and at.metric
    # A refused seed brought back by a reload (the draft): its closed box opens, the reason in sight; the page had
    # been blank under the pickers (a review's check)
    visitor = "b" * 32

    def reloaded() -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60).switch_page("app_pages/inspect.py")
        at.session_state["visitor"] = visitor
        at.session_state["inspect-source"] = "New model"
        return at.run()

    number_box(reloaded(), key="inspect-seed").set_value("x").run()
    at = reloaded()
    no_exceptions(at)
    box = next(e for e in at.expander if e.label == "Model hyperparameters")
    assert box.proto.expanded and [e.value for e in box.error] == [
        "seed for the weights: 'x' is not a whole number; give a whole number such as 0."]
    assert number_box(at, key="inspect-seed").box.value == "x" and not at.metric


def test_an_inspect_tabs_settings_stay_while_another_tab_is_open_and_each_run_has_its_own(trained_runs, monkeypatch):
    """Only the open tab draws its widgets, and a widget not drawn lost its value: a batch size of 4 on Summary
    came back as the run's 48 after a look at Internals, a Grad-CAM image index as 0 (a learner's check). And
    another run's batch size starts at that run's own, not at the value set for the last one."""
    root, ids = trained_runs
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    at = open_page("app_pages/inspect.py", query={"run": ids[0]}, state={"inspect-tab": "Summary"})
    no_exceptions(at)
    batch = NumberBox(_by_key(at.text_input, "inspect-summary-batch"))
    own = batch.value
    batch.set_value(own + 3).run()
    at.session_state["inspect-tab"] = "Internals"
    at.run()
    assert not [w for w in at.text_input if w.key.startswith("inspect-summary-batch")]   # not drawn
    # the state_dict's unticked requires_grad said (beside `_parameters`' ticks it read as frozen weights)
    assert "`state_dict()` holds the parameters' values detached from autograd (`keep_vars=False`)" in text_of(at)
    at.session_state["inspect-tab"] = "Summary"
    at.run()
    no_exceptions(at)
    assert NumberBox(_by_key(at.text_input, "inspect-summary-batch")).value == own + 3
    at.session_state["inspect-tab"] = "Grad-CAM / Saliency"
    at.run()
    NumberBox(_by_key(at.text_input, "inspect-cam-index")).set_value(7).run()
    at.session_state["inspect-tab"] = "Summary"
    at.run()
    at.session_state["inspect-tab"] = "Grad-CAM / Saliency"
    at.run()
    assert NumberBox(_by_key(at.text_input, "inspect-cam-index")).value == 7
    # Another run: its own defaults
    at.selectbox(key="inspect-run").set_value(ids[1]).run()
    no_exceptions(at)
    assert NumberBox(_by_key(at.text_input, "inspect-cam-index")).value == 0


def test_the_internals_tables_say_a_scalar_buffer_is_one():
    """A learner's check: BatchNorm's 0-d num_batches_tracked showed its shape as a dash, as if it had none."""
    from ui.inspect_views import tensor_frame
    from zoo import inspect as zi
    from zoo.registry import DataShape, build

    cnn = build("cnn", DataShape(task="image", channels=1, height=28, width=28, num_classes=10), {"batch_norm": True})
    frame = tensor_frame(zi.module_internals(cnn, "features.1")["buffers"], ("persistent",))
    assert dict(zip(frame["name"], frame["shape"])) == {"running_mean": "6", "running_var": "6",
                                                          "num_batches_tracked": "scalar"}


def test_grad_cam_of_a_run_stopped_in_its_first_epoch_says_its_weights_are_untrained(trained_runs, monkeypatch,
                                                                                    tmp_path):
    """A run stopped before its first epoch ended holds its initial weights: its Grad-CAM maps are a random
    network's, which the tab says, as it does for a new model (it had not: a learner's check)."""
    import shutil

    from zoo.engine import run_experiment

    trained, ids = trained_runs
    root = tmp_path / "runs"   # (trained_runs' directory is the module's: one more run there changes others' lists)
    shutil.copytree(trained / ids[0], root / ids[0])
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    stopped = run_experiment(ExperimentSpec(model="cnn", epochs=1, limit_train=256, batch_size=64), runs_dir=root,
                             should_stop=lambda: True)
    assert stopped.status == "stopped" and stopped.best_epoch == 0
    said = {}
    for run_id in (stopped.run_id, ids[0]):
        at = open_page("app_pages/inspect.py", query={"run": run_id}, state={"inspect-tab": "Grad-CAM / Saliency"})
        assert not at.exception, at.exception
        said[run_id] = any("These weights are untrained" in c.value for c in at.caption)
    assert said == {stopped.run_id: True, ids[0]: False}


def test_a_run_deleted_while_inspected_is_said_gone_not_swapped_silently(trained_runs, monkeypatch, tmp_path):
    """Deleted in another tab, the run on show had become the newest one at the next click, with nothing said
    (a learner's check)."""
    import shutil

    from zoo.runs import delete_run

    trained, ids = trained_runs
    root = tmp_path / "runs"
    for run_id in ids:
        shutil.copytree(trained / run_id, root / run_id)
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    at = open_page("app_pages/inspect.py", query={"run": ids[0]}, state={"inspect-tab": "Internals"})
    assert not at.exception and not at.warning
    delete_run(root / ids[0])
    at.run()
    assert [w.value for w in at.warning if f"Run `{ids[0]}` is no longer in" in w.value], [w.value for w in at.warning]
    assert at.selectbox(key="inspect-run").value == ids[1]
    at.run()   # said once
    assert not [w for w in at.warning if "is no longer in" in w.value]


def test_a_series_runs_inspect_heading_gives_its_test_score(tmp_path, monkeypatch):
    """An image run's heading gave its test accuracy; a series run's gave none, while the run box said its MAE
    (a learner's check)."""
    from zoo.engine import run_experiment

    root = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    run = run_experiment(ExperimentSpec(task="series", data=str(ROOT / "tests" / "csv_corpus" / "clean.csv"),
                                        model="linear", epochs=1, lookback=24, horizon=6), runs_dir=root)
    at = open_page("app_pages/inspect.py", query={"run": run.run_id}, state={"inspect-tab": "Internals"})
    assert not at.exception, at.exception
    heading = next(m.value for m in at.markdown if m.value.startswith(f"Run `{run.run_id}`"))
    assert f"test MAE {run.test_metrics['mae']:.3g} · best weights" in heading, heading


def test_the_inspect_run_box_declares_the_run_it_shows_as_its_default(trained_runs, monkeypatch):
    """A run opened by its address, not the newest: the browser builds the Run box from its declared default when
    a click comes before it has kept the value the page set, and sent the newest run back (the Grad-CAM browser
    test saw the page switch runs at its first click, 1 in 14 under load). The default is the run shown."""
    root, ids = trained_runs
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    older, newest = sorted(ids)   # a run id starts with its time; the box lists the newest first
    at = open_page("app_pages/inspect.py", query={"run": older}, state={"inspect-tab": "Summary"})
    no_exceptions(at)
    for shown in (older, newest, older):
        box = at.selectbox(key="inspect-run")
        if box.value != shown:
            box.set_value(shown).run()
            box = at.selectbox(key="inspect-run")
        assert box.value == shown and box.options[box.proto.default].startswith(shown)


def test_the_hooks_tab_says_when_its_results_are_not_of_the_layers_picked(trained_runs, monkeypatch):
    """Every layer cleared: Run one batch was off without a word, and the last batch's charts stayed as
    if they were of the layers on screen. Now Start says why it is off, and old results say whose they are."""
    root, ids = trained_runs
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    at = open_page("app_pages/inspect.py", query={"run": ids[0]}, state={"inspect-tab": "Hooks"})
    no_exceptions(at)
    layers = _by_key(at.multiselect, "inspect-hook-layers")
    picked = list(layers.value)
    at.button(key="inspect-hook-run").click().run()
    no_exceptions(at)
    assert "the last batch, which hooked" not in text_of(at)
    # whose samples the kept outputs are ("captured 8×6×24×24" beside a batch of 32: a learner's check)
    assert "are of the first 8 samples of the batch of 32; the loss and the gradient norms are of the whole batch" \
        in text_of(at)
    _by_key(at.multiselect, "inspect-hook-layers").set_value([]).run()
    assert at.button(key="inspect-hook-run").disabled
    shown = text_of(at)
    assert "Pick at least one layer to hook" in shown
    assert f"Below: the last batch, which hooked {', '.join(f'`{n}`' for n in picked)}" in shown


def test_inspect_says_a_run_that_ended_before_its_first_epoch_holds_its_initial_weights(runs_dir):
    """A learner inspected a run that diverged in its first epoch: the page said "test accuracy 10.70% · best
    weights" (the Train page says these are an untrained model's, the Runs table shows no score)."""
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    result = run_experiment(ExperimentSpec(model="mlp", optimizer="sgd", lr=1e4, epochs=3, limit_train=256),
                            runs_dir=runs_dir)
    assert result.status == "diverged"
    at = open_page("app_pages/inspect.py", query={"run": result.run_dir.name})
    no_exceptions(at)
    shown = text_of(at)
    assert "diverged · initial weights: no epoch finished" in shown
    assert "best weights" not in shown and "test accuracy" not in shown
    assert at.selectbox(key="inspect-run").format_func(at.selectbox(key="inspect-run").value).endswith(
        "diverged · untrained")
    # The Train page's run view says so above its confusion matrix and test images (ui/image_results.py).
    train = open_page("app_pages/train.py", query={"run": result.run_dir.name})
    no_exceptions(train)
    assert "the checkpoint holds the initial weights" in text_of(train)
    # and its best epoch is none, not "0" beside "no epoch finished", and the grid's accuracy is the initial
    # weights' (a learner read 8.30% there as the run's, whose own accuracy says "—")
    best = next(m for m in train.metric if m.label == "best epoch")
    assert best.value == "none" and "initial weights" in best.help
    assert re.search(r"mistakes out of \d+ test images \(the initial weights' accuracy \d+\.\d+%\)", text_of(train))


def test_an_image_runs_accuracy_is_shown_beside_the_trivial_answer(runs_dir):
    """A learner took an untrained 10.7% for a score: 10 classes give about 10% by chance. The accuracy's
    delta says how far it is from the trivial answer (zoo/verdict.py), and its help names that answer."""
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    result = run_experiment(ExperimentSpec(model="mlp", epochs=1, limit_train=512), runs_dir=runs_dir)
    saved = json.loads((result.run_dir / "result.json").read_text())
    at = open_page("app_pages/train.py", query={"run": result.run_dir.name})
    no_exceptions(at)
    accuracy = next(m for m in at.metric if m.label == "test accuracy")
    expected = (saved["metrics"]["test_accuracy"] - saved["verdict"]["trivial_accuracy"]) * 100
    assert accuracy.delta == f"{expected:+.1f} pts vs trivial"
    assert "always answering the most common class" in accuracy.help


def test_the_module_table_says_when_it_holds_more_rows_than_it_shows(runs_dir):
    """The Internals table showed 14 of a CNN's 16 modules, its scroll bar hidden until hovered, and a learner's
    sum of the "own params" fell 850 short. Now a CNN's fit, and a larger model's table says it scrolls."""
    from ui.inspect_tabs import TREE_ROWS
    from zoo import inspect as zi
    from zoo.registry import DataShape, build

    assert len(zi.module_tree(build("cnn", DataShape(task="image")))) <= TREE_ROWS
    at = open_page("app_pages/inspect.py", state={"inspect-source": "New model", "inspect-tab": "Internals",
                                              "inspect-model-image": "transformer"})
    no_exceptions(at)
    assert any("modules shown: scroll the table for the rest" in c.value for c in at.caption)
    # The picked module's repr is wrapped, not cut: a Conv2d's ran past the narrow column, "# eval mode" hidden.
    module = next(c for c in at.code if c.value.endswith(" mode"))
    assert module.proto.wrap_lines


def test_the_init_lab_plots_every_scheme_its_introduction_speaks_of(runs_dir):
    """The Init lab's first lines say what N(0, 0.01) does, and a learner found it only in the list."""
    from ui.inspect_views import SCHEME_LABELS

    at = open_page("app_pages/inspect.py", state={"inspect-source": "New model", "inspect-tab": "Init lab"})
    no_exceptions(at)
    intro = next(m.value for m in at.markdown if "initialised by each scheme" in m.value)
    plotted = at.multiselect(key="inspect-init-schemes").value
    for scheme in ("normal", "zeros"):   # named in it by their labels
        assert SCHEME_LABELS[scheme] in intro and scheme in plotted, scheme
    for family in ("Xavier", "He"):      # named by family
        assert family in intro and any(SCHEME_LABELS[s].startswith(family) for s in plotted), family
    at.multiselect(key="inspect-init-schemes").set_value([]).run()   # none: said what to do, not a blank tab
    assert any("Pick at least one scheme" in i.value for i in at.info)


def test_a_recurrent_models_dropout_is_greyed_out_with_one_layer_saying_why(runs_dir):
    """Dropout between stacked layers does nothing with one layer (zoo/models/rnn.py passes 0 then), and the
    slider stayed on with no word but its tooltip (a learner's check). The declaration says so (used_from) and
    the form greys it out with the reason; with two layers it is on. The value set is kept either way."""
    at = open_page("app_pages/train.py")
    at.selectbox(key="train-model").set_value("lstm").run()
    dropout = next(w for w in at.slider if w.key == widget_key("train-model-lstm", "dropout"))
    assert dropout.disabled and "used only with num layers 2 or more" in dropout.help
    next(w for w in at.slider if w.key == widget_key("train-model-lstm", "num_layers")).set_value(2).run()
    dropout = next(w for w in at.slider if w.key == widget_key("train-model-lstm", "dropout"))
    assert not dropout.disabled
    dropout.set_value(0.2).run()
    next(w for w in at.slider if w.key == widget_key("train-model-lstm", "num_layers")).set_value(1).run()
    dropout = next(w for w in at.slider if w.key == widget_key("train-model-lstm", "dropout"))
    assert dropout.disabled and dropout.value == 0.2


def test_more_training_samples_than_the_split_has_says_all_are_used(runs_dir):
    """"training samples 5000" on the 5,000-digit sample trained on its training split without a word (a
    learner's check): said beside Start, the value kept as set."""
    from zoo import demo
    from zoo.spec import ExperimentSpec

    available = demo.known_train_samples(ExperimentSpec(data="mnist-sample"))
    at = open_page("app_pages/train.py", state={widget_key("train-settings", "limit_train"): "5000"})
    no_exceptions(at)
    assert [c for c in at.caption if f"Training samples 5,000: the training split has {available:,}, so all of them "
            "are used" in c.value], [c.value for c in at.caption]
    at = open_page("app_pages/train.py", state={widget_key("train-settings", "limit_train"): "100"})
    assert not [c for c in at.caption if "so all of them are used" in c.value]


def _stopped_run(runs_dir, during_epoch: int):
    """A run stopped by request as the Stop button stops one: during `during_epoch` (1: before any epoch ended)."""
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    ended = []
    result = run_experiment(ExperimentSpec(model="mlp", epochs=3, limit_train=256), runs_dir=runs_dir,
                            callback=lambda e: ended.append(e) if e["type"] == "epoch" else None,
                            should_stop=lambda: len(ended) >= during_epoch - 1)
    assert result.status == "stopped" and result.epochs_run == during_epoch - 1
    return result.run_id


@pytest.mark.parametrize("during_epoch", [1, 2])
def test_a_stopped_runs_test_score_is_the_same_on_the_train_and_runs_pages(runs_dir, during_epoch):
    """A stopped run's best checkpoint is evaluated on the test split: after an epoch, a trained model's score,
    which both pages show; stopped in its first epoch, the initial weights' (about 10%), which neither shows
    as a score (the Train page showed "test accuracy 9.90%" where the Runs page showed "—")."""
    run_id = _stopped_run(runs_dir, during_epoch)
    saved = json.loads((runs_dir / run_id / "result.json").read_text())
    assert saved["metrics"]["test_accuracy"] is not None   # evaluated either way: what differs is whose weights
    train = open_page("app_pages/train.py", query={"run": run_id})
    no_exceptions(train)
    shown = next(m for m in train.metric if m.label == "test accuracy").value
    runs = open_page("app_pages/runs.py")
    no_exceptions(runs)
    table = runs.dataframe[0].value
    listed = table["test accuracy"].iloc[0] if "test accuracy" in table else None
    if during_epoch == 1:
        assert shown == "—" and (listed is None or listed != listed)
    else:
        assert shown == f"{saved['metrics']['test_accuracy']:.2%}"
        assert listed is not None and listed == listed


def test_a_series_run_stopped_in_its_first_epoch_says_its_scores_are_an_untrained_models(runs_dir):
    """The Forecast page's headline showed "—" for it, but the table against the baselines gave the initial
    weights' scores with no word of it (an image run's page says so above its results)."""
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    result = run_experiment(ExperimentSpec(task="series", data="ETTh1", model="linear", epochs=2, limit_train=256),
                            runs_dir=runs_dir, should_stop=lambda: True)
    assert result.status == "stopped" and result.epochs_run == 0
    at = open_page("app_pages/forecast.py", query={"run": result.run_id})
    no_exceptions(at)
    assert next(m for m in at.metric if m.label == "test MASE").value == "—"
    shown = text_of(at)
    assert "Against the baselines" in [h.value for h in at.subheader]
    assert "the checkpoint holds the initial weights: the model's column, the backtest and the forecast below show " \
           "an untrained model" in shown
    # and where the forecast is, which is what gets downloaded (a fault check: a diverged run's had no word there)
    assert [w.value for w in at.warning if w.value.startswith("This forecast comes from the initial weights: no epoch finished")]


def test_a_runs_accuracy_reads_the_same_on_the_train_and_runs_pages(runs_dir):
    """One accuracy, one way of writing it: the Runs table's "percent" column wrote 12% (or 10.5%) where the
    Train page wrote 12.00%. The table's cell as its column's format writes it (sprintf, as Streamlit does)."""
    run_id = _stopped_run(runs_dir, during_epoch=2)
    train = open_page("app_pages/train.py", query={"run": run_id})
    shown = next(m for m in train.metric if m.label == "test accuracy").value
    runs = open_page("app_pages/runs.py")
    no_exceptions(runs)
    column = json.loads(runs.dataframe[0].proto.columns)["test accuracy"]
    written = column["type_config"]["format"]
    assert written != "percent", "Streamlit's percent format drops trailing zeros: 12% beside 12.00%"
    assert written % runs.dataframe[0].value["test accuracy"].iloc[0] == shown


def test_the_run_views_list_of_other_runs_says_where_the_rest_are(trained_runs, tmp_path, monkeypatch):
    """"Your other runs (23)" listed 20 runs and said nothing of the other 3: the Runs page lists them all."""
    import shutil

    src, ids = trained_runs
    root = tmp_path / "runs"
    for i in range(24):   # the run shown and 23 others, copies of one real run
        shutil.copytree(src / ids[0], root / f"{ids[0][:-2]}{i:02d}")
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    at = open_page("app_pages/train.py", query={"run": f"{ids[0][:-2]}00"})
    no_exceptions(at)
    others = next(e for e in at.expander if e.label.startswith("Other runs"))
    assert others.label == "Other runs (23)"   # locally every run is listed, not only this browser's: not "Your"
    assert len([b for b in others.button if b.key.startswith("train-other-")]) == 20
    assert "The first 20 of these 23, live ones first, then the newest; the Runs page lists every one." in \
        text_of(at)


def _shown_is_declared_default(widget) -> bool:
    """Whether a widget declares the value it shows as its default (ui/drafts.kept)."""
    proto, value = widget.proto, widget.value
    kind = type(widget).__name__
    if kind in ("Selectbox", "Radio"):
        return proto.default == widget.index
    if kind in ("Multiselect", "ButtonGroup"):   # a multiselect, a segmented control: the indices chosen
        return sorted(proto.default) == sorted(widget.indices)
    values = list(value) if isinstance(value, (tuple, list)) else [value]   # a range's two ends
    if kind == "SelectSlider":
        return [proto.options[int(i)] for i in proto.default] == [widget.format_func(v) for v in values]
    if kind == "Slider":
        return list(proto.default) == [float(v) for v in values]
    return proto.default == value   # a checkbox, a number or a text box


def test_every_set_up_widget_declares_the_value_it_shows_as_its_default(tmp_path, monkeypatch):
    """A run's address fills the Train and Forecast forms through the widgets' state (ui/prefill.py), as a draft does
    after a reload, while each widget declared a fixed default (the first model, a slider's minimum). A browser that
    has not yet kept a value the page set builds the widget from that default at the next run and sends it back: the
    Inspect page's Run box went to the newest run at the first click (1 in 14 under load), and a form's slider once
    showed its minimum. Every set-up widget now declares the value it shows (ui/drafts.kept)."""
    from zoo.engine import run_experiment

    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path))
    image = run_experiment(ExperimentSpec(model="mlp", epochs=2, lr=3e-3, batch_size=32, patience=1, limit_train=256,
                                          device="cpu", model_params={"width": 96, "activation": "gelu"}),
                           runs_dir=tmp_path)
    series = run_experiment(ExperimentSpec(task="series", data="ETTh1", model="tcn", lookback=48, horizon=12, epochs=1,
                                           limit_train=256), runs_dir=tmp_path)
    for page, run, prefix, model in (("app_pages/train.py", image, "train-", "mlp"),
                                     ("app_pages/forecast.py", series, "forecast-", "tcn")):
        at = open_page(page, query={"run": run.run_id})
        no_exceptions(at)
        widgets = set_up_widgets(at, prefix)
        assert len(widgets) > 12, page
        assert [w.key for w in widgets if not _shown_is_declared_default(w)] == [], page
        box = at.selectbox(key=f"{prefix}model")
        assert box.value == model and box.index != 0   # the run's model, not the list's first
    # The Search page's set-up, as a draft left it: its own defaults (mlp, tpe, median) changed
    at = open_page("app_pages/search.py", state={"search_model_image": "cnn", "search_sampler": "random",
                                            "search_pruner": "hyperband", "sp_cnn_dropout_on": False,
                                            "sp_cnn_lr_range": (1e-3, 1e-2), "sp_cnn_dropout_value": 0.25,
                                            "sp_cnn_channels1_range": (8, 32)})
    no_exceptions(at)
    widgets = set_up_widgets(at, ("sp_", "search_"))
    assert len(widgets) > 12
    assert [w.key for w in widgets if not _shown_is_declared_default(w)] == []
    assert not at.checkbox(key="sp_cnn_dropout_on").value and at.selectbox(key="search_pruner").value == "hyperband"
    assert at.select_slider(key="sp_cnn_lr_range").value == (1e-3, 1e-2)
    assert at.select_slider(key="sp_cnn_channels1_range").value == (8, 32)
    # The Inspect page's new model, as a draft left it (a series model, its windows)
    at = open_page("app_pages/inspect.py", state={"inspect-source": "New model", "inspect-task": "series",
                                              "inspect-model-series": "tcn", "inspect-lookback": 48, "inspect-seed": 7})
    no_exceptions(at)
    widgets = set_up_widgets(at, "inspect-")
    assert len(widgets) > 6
    assert [w.key for w in widgets if not _shown_is_declared_default(w)] == []
    assert number_box(at, key="inspect-lookback").value == 48


def set_up_widgets(at, prefixes) -> list:
    """The page's widgets whose keys start with `prefixes`, of every kind a set-up form uses."""
    kinds = ("selectbox", "radio", "multiselect", "segmented_control", "select_slider", "slider", "checkbox", "toggle",
             "text_input")
    return [w for kind in kinds for w in getattr(at, kind) if (w.key or "").startswith(prefixes)]


def test_the_live_accuracys_change_says_what_it_is_compared_with():
    """It read "+4.75 pt" beside the result's "+79.8 pts vs trivial" (a learner's check)."""
    def draw():
        from ui.live import render_progress_metrics

        rows = [{"epoch": 1, "val_metric": 0.5, "val_loss": 1.0}, {"epoch": 2, "val_metric": 0.5475, "val_loss": 0.9}]
        render_progress_metrics({"state": {"epoch_rows": rows, "epoch": 2, "epochs": 5, "best_epoch": 2}}, "image")

    at = AppTest.from_function(draw).run()
    assert not at.exception
    assert [m.delta for m in at.metric if m.delta] == ["+4.75 pts vs the epoch before"]


def test_runs_whose_curves_lie_on_each_other_are_named():
    """Two runs of the same spec and seed draw one line on the overlay: the page says which, so that neither
    looks lost (a learner's check); runs that differ in one epoch's number are not named."""
    from ui.compare import same_curves

    rows = [{"epoch": 1, "train_loss": 0.9, "val_loss": 0.5, "val_metric": 0.8},
            {"epoch": 2, "train_loss": 0.4, "val_loss": 0.3, "val_metric": 0.9}]
    other = [dict(rows[0]), {**rows[1], "val_loss": 0.31}]
    assert same_curves([{"run": "a", "rows": rows}, {"run": "b", "rows": other}]) is None
    said = same_curves([{"run": "a", "rows": rows}, {"run": "b", "rows": [dict(r) for r in rows]},
                        {"run": "c", "rows": other}, {"run": "lb", "rows": [], "leaderboard": True}])
    assert said.startswith("a and b have the same curves") and " c " not in said and "lb" not in said
    three = same_curves([{"run": n, "rows": rows} for n in "xyz"] + [{"run": m, "rows": other} for m in "pq"])
    assert three.startswith("x, y and z have the same curves") and ", and so do p and q " in three


def test_runs_of_one_spec_are_said_to_differ_in_how_they_ended_not_by_chance():
    """A run stopped at epoch 1 beside its 5-epoch twin: "These runs have the same spec (they differ only by chance,
    or not at all)" (a learner's check). The same spec and seed train the same model: what differs is said."""
    from ui.compare import same_spec_words

    def record(run, status, epochs, board=False):
        return {"run": run, "status": status, "epochs": epochs, "leaderboard": board}

    said = same_spec_words([record("cnn-a", "finished", "5/5"), record("cnn-b", "stopped", "1/5")])
    assert "chance" not in said and said.endswith("they differ in how they ended: cnn-a: finished, 5/5 epochs; "
                                                  "cnn-b: stopped, 1/5 epochs.")
    assert same_spec_words([record("a", "finished", "5/5"), record("b", "finished", "5/5")]).endswith(
        "on the same data and device the same settings train the same model, and they ended alike (finished, 5/5 "
        "epochs).")
    assert same_spec_words([record("x", "finished", "—", True), record("y", "failed", "—", True)]) == (
        "These leaderboards have the same settings; they differ in how they ended: x: finished; y: failed.")


def test_a_value_that_does_nothing_beside_the_others_is_not_recorded():
    """An LSTM's dropout acts between stacked layers: with one layer the form greys it out, and its value is left
    out of the spec (it was recorded, and its command said --set dropout=0.3: a learner's check). Used, it is kept;
    at its default it is refused nowhere."""
    from ui.form import non_defaults
    from zoo.cli.common import parse_sets
    from zoo.registry import get_model

    assert get_model("lstm").unused({"dropout": 0.3, "num_layers": 1}) == {
        "dropout": "used only with num layers 2 or more"}
    assert non_defaults("lstm", {"dropout": 0.3, "num_layers": 1, "hidden_size": 64}) == {"hidden_size": 64}
    assert non_defaults("lstm", {"dropout": 0.3, "num_layers": 2}) == {"dropout": 0.3, "num_layers": 2}
    assert parse_sets("lstm", ["dropout=0"], "image") == {"dropout": 0.0}
    assert parse_sets("gru", ["dropout=0.2", "num_layers=3"], "image") == {"dropout": 0.2, "num_layers": 3}
    # A search samples both (its trial's spec holds the pair): the command that reproduces the trial leaves the
    # value out, which train would refuse (a review), and builds the same model.
    import shlex

    from zoo.cli import Parser, add_spec_arguments, spec_from_args
    from zoo.cli.common import refuse_unused
    from zoo.registry import SpecError
    from zoo.spec import ExperimentSpec

    trial = ExperimentSpec(model="lstm", model_params={"dropout": 0.3, "num_layers": 1, "hidden_size": 64})
    assert "dropout" not in trial.cli_command() and "--set hidden_size=64" in trial.cli_command()
    parser = Parser(prog="python -m zoo train")
    add_spec_arguments(parser)
    again = spec_from_args(parser.parse_args(shlex.split(trial.cli_command())[4:]))
    refuse_unused(again)
    assert again.model_params == {"num_layers": 1, "hidden_size": 64}
    with pytest.raises(SpecError, match="does nothing for lstm with num_layers=1"):
        refuse_unused(trial)


def test_the_live_charts_accuracy_axis_has_ticks_at_round_percents():
    """A learner's check: the right axis took the loss axis's five places and read "80% 84% 88% 92% 97%". Its ticks
    are its own, every 5, 10 or 20 points from a round tenth below the lowest accuracy to 100%."""
    from ui.live import training_figure

    rows = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1 / e, "val_metric": m} for e, m in
            ((1, 0.853), (2, 0.926), (3, 0.96))]
    axis = training_figure(epoch_rows=rows, best_epoch=3).layout.yaxis2
    assert (axis.tickmode, axis.tickformat, tuple(axis.range)) == ("array", ".0%", (0.8, 1.0))
    assert list(axis.tickvals) == [0.8, 0.85, 0.9, 0.95, 1.0]
    low = training_figure(epoch_rows=[{**rows[0], "val_metric": 0.11}]).layout.yaxis2
    assert list(low.tickvals) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_the_best_epochs_star_sits_on_the_curve_that_chose_it():
    """A learner's check: monitor val accuracy, and the star on the val loss line, at an epoch whose loss was not the
    lowest. It sits on the curve of the monitored value."""
    from ui.live import training_figure

    rows = [{"epoch": e, "train_loss": 1.0, "val_loss": v, "val_metric": m} for e, v, m in
            ((1, 0.5, 0.80), (2, 0.6, 0.86))]
    star = next(t for t in training_figure(epoch_rows=rows, best_epoch=2, monitor="val_metric").data
                if t.name == "best epoch")
    assert (list(star.y), star.yaxis) == ([0.86], "y2")
    star = next(t for t in training_figure(epoch_rows=rows, best_epoch=1).data if t.name == "best epoch")
    assert (list(star.y), star.yaxis) == ([0.5], None)



def test_a_short_runs_chart_ticks_whole_epochs():
    """A learner's check: a pruned trial's one epoch had ticks at 0, 0.2, 0.4 ... 1; a long run's axis is left to
    plotly."""
    from ui.live import training_figure

    one = [{"epoch": 1, "train_loss": 1.0, "val_loss": 0.5, "val_metric": 0.8}]
    points = [(i / 10, 1.0) for i in range(1, 11)]   # batches at their fraction of the epoch
    assert training_figure(batch_points=points, epoch_rows=one, epochs=3).layout.xaxis.dtick == 1
    assert training_figure(epoch_rows=one).layout.xaxis.dtick == 1
    many = [dict(one[0], epoch=e) for e in range(1, 41)]
    assert training_figure(epoch_rows=many, epochs=40).layout.xaxis.dtick is None


def test_a_runs_header_names_its_schedule_where_set():
    """A cosine run's header read as a constant one's (a learner's check)."""
    from ui.run_view import spec_line

    spec = {"task": "image", "model": "cnn", "data": "mnist-sample", "epochs": 3, "batch_size": 64,
            "optimizer": "adam", "lr": 0.002}
    assert spec_line({**spec, "schedule": "cosine"}).endswith("adam lr 0.002 · cosine schedule")
    assert "schedule" not in spec_line({**spec, "schedule": "none"})


def test_a_ticked_range_of_one_value_is_said_and_nothing_to_search_turns_start_off(runs_dir):
    """A learner's check: lr ticked with its range dragged to one value was searched as fixed without a word
    ("Searching 0 setting(s): none"), and Start stayed on until its click said "nothing to search"."""
    at = open_page("app_pages/search.py", state={"visitor": ME})
    no_exceptions(at)
    model = next(box.value for box in at.selectbox if box.label == "Model")
    for box in at.checkbox:
        if box.key and box.key.startswith(f"sp_{model}_") and box.key.endswith("_on") and box.key != f"sp_{model}_lr_on":
            box.uncheck()
    at.checkbox(key=f"sp_{model}_lr_on").check().run()
    assert not at.button(key="search_start").disabled   # lr alone, over its range: a search
    lr = at.select_slider(key=f"sp_{model}_lr_range")
    lr.set_value((lr.options[-1], lr.options[-1])).run()
    no_exceptions(at)
    assert any(w.value.startswith("`lr` is ticked, but its range holds one value (1), so every trial uses it")
               for w in at.warning), [w.value for w in at.warning]
    assert at.button(key="search_start").disabled
    assert any(e.value.startswith("Nothing to search: every setting is fixed.") for e in at.error), \
        [e.value for e in at.error]


def test_batch_sizes_searched_past_the_training_samples_are_said(runs_dir):
    """A learner's check: 500 training samples with batch_size searched up to 2,048 drew trials of 637, 986 and 1,126,
    one step per epoch each, and most of the small study learned nothing; nothing before Start had said so."""
    at = open_page("app_pages/search.py", state={"visitor": ME})
    said = "`batch_size` is searched up to 2,048, and each trial trains on"
    assert not any(w.value.startswith(said) for w in at.warning)   # the whole sample: 3,600 samples
    at.text_input(key="search_limit").input("500").run()
    no_exceptions(at)
    assert any(w.value.startswith(f"{said} 500 samples: a batch of 500 or more is one step per epoch")
               for w in at.warning), [w.value for w in at.warning]
    assert not at.button(key="search_start").disabled   # said, not refused
    # ...with one click to narrow the range to a quarter of the samples, on the slider's own values (a demo visitor's
    # check: a non-expert had to find and drag the slider)
    model = at.selectbox(key="search_model_image").value
    assert at.select_slider(key=f"sp_{model}_batch_size_range").value == (8, 2048)
    at.button(key="search-narrow-batch").click().run()
    no_exceptions(at)
    assert at.select_slider(key=f"sp_{model}_batch_size_range").value == (8, 64)
    assert not any(w.value.startswith("`batch_size` is searched up to") for w in at.warning)
    # A batch size fixed past the samples is said too (it was not)
    at.checkbox(key=f"sp_{model}_batch_size_on").uncheck().run()
    number_box(at, key=f"sp_{model}_batch_size_value").set_value(1024).run()
    no_exceptions(at)
    assert any(w.value.startswith("`batch_size` is fixed at 1,024, and each trial trains on 500 samples: one step per "
                                  "epoch") for w in at.warning), [w.value for w in at.warning]


def test_a_run_that_never_trained_offers_its_initial_weights_to_inspect_by_that_name(runs_dir):
    """A learner's check: a diverged run's page (its checkpoint the initial weights) offered "Inspect this model",
    and Grad-CAM of a model that never trained followed."""
    from zoo.engine import run_experiment

    spec = ExperimentSpec(model="mlp", optimizer="sgd", lr=1e4, epochs=2, limit_train=512)
    result = run_experiment(spec, runs_dir=runs_dir)
    assert result.status == "diverged" and result.best_epoch == 0
    at = open_page("app_pages/train.py", query={"run": result.run_id}, state={"visitor": ME})
    no_exceptions(at)
    labels = [link.proto.label for link in at.get("page_link")]
    assert "Inspect its initial weights" in labels and "Inspect this model" not in labels, labels


def test_a_search_trials_page_names_its_study_and_opens_it(runs_dir, tmp_path):
    """A trial's run page said nothing of the search it was a trial of (noticed in a review): it now names its study
    and links to it, with the study's storage where it is not the default journal."""
    from zoo import search
    from zoo.runs import load_run

    spec = ExperimentSpec(data="mnist-sample", model="mlp", epochs=1, limit_train=256,
                          model_params={"depth": 1, "width": 16})
    journal = tmp_path / "elsewhere.log"
    config = search.SearchConfig(spec=spec, space=search.build_space("mlp", search={"lr": (1e-3, 3e-2)}),
                                 storage=str(journal), runs_dir=str(runs_dir), n_trials=1, pruner="none",
                                 study="lr-probe")
    search.run_search(config)
    (trial_run,) = [p.name for p in runs_dir.iterdir() if (p / "result.json").exists()]
    assert load_run(runs_dir / trial_run).result["search"]["study"] == "lr-probe"
    at = open_page("app_pages/train.py", query={"run": trial_run}, state={"visitor": ME})
    no_exceptions(at)
    links = {link.proto.label: link.proto for link in at.get("page_link")}
    assert "Trial #0 of study lr-probe" in links, list(links)
    link = links["Trial #0 of study lr-probe"]
    assert "study=lr-probe" in link.query_string and "storage=" in link.query_string, link.query_string
    # Opened, the Search page shows that study (the link's address, as a browser would follow it)
    from urllib.parse import parse_qsl

    page = open_page("app_pages/search.py", query=dict(parse_qsl(link.query_string)), state={"visitor": ME})
    no_exceptions(page)
    assert any(h.value == "Study `lr-probe`" for h in page.subheader), [h.value for h in page.subheader]
    # A study in a database whose URL holds a password (a shared-database check): the link had left the storage out
    # and the page opened the default journal, "No study 'lab6' in .../journal.log"; the address keeps it masked and
    # the page asks for the password where it is given.
    from zoo.runs import patch_result

    record = load_run(runs_dir / trial_run).result["search"]
    patch_result(runs_dir / trial_run, search={**record, "storage": "postgresql://lab:s3cret@127.0.0.1:9/optuna"})
    at = open_page("app_pages/train.py", query={"run": trial_run}, state={"visitor": ME})
    link = next(link.proto for link in at.get("page_link") if link.proto.label == "Trial #0 of study lr-probe")
    assert "s3cret" not in link.query_string and dict(parse_qsl(link.query_string)) == {
        "study": "lr-probe", "storage": "postgresql://lab:***@127.0.0.1:9/optuna"}, link.query_string
    page = open_page("app_pages/search.py", query=dict(parse_qsl(link.query_string)), state={"visitor": ME})
    no_exceptions(page)
    assert [w.value for w in page.warning] == [
        "Study `lr-probe` is in `postgresql://lab:***@127.0.0.1:9/optuna`, whose password a page's address does not "
        "keep: attach to it in \"Attach to a study\" with the storage's full URL."], [w.value for w in page.warning]


def test_a_stopped_runs_testing_and_backtesting_are_said_while_they_last(runs_dir, fake_job, tmp_path):
    """A learner's check: after Stop, an lstm of lookback 5,000 was tested and backtested for 11 minutes under
    "Stop requested: the worker ends after the current batch", as if the Stop had not been heard. The engine now
    says each step after training (its events, folded as the job manager folds them) and the live panel says it."""
    import numpy as np
    import pandas as pd

    from zoo.engine import run_experiment
    from zoo.jobs import reduce_training

    days = pd.date_range("2024-01-01", periods=300, freq="D")
    values = 50 + 10 * np.sin(np.arange(300) * 2 * np.pi / 7)
    path = tmp_path / "daily.csv"
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "value": values}).to_csv(path, index=False)
    spec = ExperimentSpec(task="series", data=str(path), model="linear", lookback=14, horizon=7, epochs=3,
                          batch_size=16)
    events, state = [], {}
    batches = iter(range(10**6))
    result = run_experiment(spec, runs_dir=runs_dir, callback=lambda e: (events.append(e), reduce_training(state, e)),
                            should_stop=lambda: next(batches) >= 3)
    assert result.status == "stopped" and result.best_epoch == 0
    kinds = [e["type"] for e in events]
    phases = [e["words"] for e in events if e["type"] == "phase"]
    # (the series' own test pass is its backtest: the engine's, whose metrics the backtest's replaced, is not run)
    assert phases == ["Training has ended: backtesting it on every test origin beside the baselines, calibrating "
                      "its intervals on the validation windows and forecasting ahead"], phases
    assert {"mase", "rmse", "mae_norm"} <= set(result.test_metrics)
    image_events = []
    image = run_experiment(ExperimentSpec(model="mlp", epochs=1, limit_train=256), runs_dir=runs_dir,
                           callback=image_events.append)
    assert [e["words"] for e in image_events if e["type"] == "phase"] == [
        f"Training has ended: testing the best weights (epoch 1) on the {len(image.data.x_test):,} test samples"]
    assert kinds.index("phase") > max(i for i, k in enumerate(kinds) if k == "batch") and kinds[-1] == "finished"
    job = fake_job("finishing-job", "running", task="series", state={**state, "final": None})
    job.stop_requested = True
    at = open_page("app_pages/forecast.py", query={"run": "finishing-job"})
    no_exceptions(at)
    assert f"{phases[-1]}… (the Stop ended the training; this part runs to its end)" in \
        [c.value for c in at.caption], [c.value for c in at.caption]
    assert "Stop requested: the worker ends after the current batch" not in text_of(at)


def test_a_runs_page_says_its_file_has_changed_under_the_reproduce_command(runs_dir, tmp_path):
    """The run page's reproduce command reads the file as it is now: one edited since the run says so under it."""
    import shutil

    from zoo.engine import run_experiment

    data = tmp_path / "mine.csv"
    shutil.copy(ROOT / "bench" / "data" / "wineind_monthly.csv", data)
    result = run_experiment(ExperimentSpec(task="series", data=str(data), model="linear", lookback=24, horizon=6,
                                           epochs=1), runs_dir=runs_dir)
    said = "`mine.csv` has changed since this run read it"
    at = open_page("app_pages/forecast.py", query={"run": result.run_id}, state={"visitor": ME})
    no_exceptions(at)
    assert not any(said in c.value for c in at.caption)
    data.write_text(data.read_text() + "\n")
    at = open_page("app_pages/forecast.py", query={"run": result.run_id}, state={"visitor": ME})
    no_exceptions(at)
    assert any(said in c.value for c in at.caption), [c.value for c in at.caption]


def test_a_series_models_saliency_explains_what_its_network_adds_to_the_last_value(monkeypatch, tmp_path):
    """An lstm adds the window's last value back to its forecast (window_norm last), and that add-back alone buried
    its saliency map under the last step's 1.0 (a learner's check): the tab explains what the network adds first,
    says why, and shows the whole forecast's map when asked; DLinear adds nothing back and has no such choice."""
    from zoo.engine import run_experiment

    root = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    lstm, dlinear = (run_experiment(ExperimentSpec(task="series", model=name, data="ETTh1", epochs=1, limit_train=128,
                                                   lookback=24, horizon=6, model_params=params), runs_dir=root)
                     for name, params in (("lstm", {}), ("linear", {"variant": "dlinear"})))
    at = open_page("app_pages/inspect.py", query={"run": lstm.run_id}, state={"inspect-tab": "Grad-CAM / Saliency"})
    no_exceptions(at)
    explain = next(r for r in at.radio if r.label == "Explain")
    assert explain.value == "network"
    assert any(c.value.startswith("How much each input number moves what the network adds to the window's last value")
               for c in at.caption)
    explain.set_value("forecast").run()
    no_exceptions(at)
    assert any("pick **what the network adds** to see what it learned" in c.value for c in at.caption)
    at = open_page("app_pages/inspect.py", query={"run": dlinear.run_id}, state={"inspect-tab": "Grad-CAM / Saliency"})
    no_exceptions(at)
    assert not [r for r in at.radio if r.label == "Explain"]
    assert any(c.value.startswith("How much each input number moves the forecast (") and "network" not in c.value
               for c in at.caption)


@pytest.mark.parametrize("model, counted", [("transformer", True), ("cnn", False)])
def test_the_summary_says_attentions_own_products_are_not_in_its_mult_adds(runs_dir, model, counted):
    """A transformer's self-attention counted only its projections, without saying that the QKᵀ scores and their
    weighting of V (no weights) are left out (an Inspect learner's check): said where the model has attention."""
    at = open_page("app_pages/inspect.py", state={"inspect-source": "New model", "inspect-tab": "Summary",
                                              "inspect-model-image": model})
    no_exceptions(at)
    said = next(c.value for c in at.caption if c.value.startswith("From torchinfo"))
    assert ("attention's own products (the scores QKᵀ and their weighting of V) are not counted" in said) is counted


def test_the_search_space_box_says_it_scrolls(runs_dir):
    """The search-space box is a fixed height that scrolls on its own: at 1,024 px it ended on batch_size with no
    sign of the settings below it (a small-screen check)."""
    at = open_page("app_pages/search.py")
    no_exceptions(at)
    assert any(m.value.startswith("**Search space**: what each trial samples, and what it holds fixed (the box "
                                  "scrolls: every setting the model declares is in it)") for m in at.markdown)


def test_deleting_a_run_trained_on_an_upload_says_the_upload_stays(monkeypatch, tmp_path):
    """A visitor deleted their runs and found the CSV still offered among the earlier uploads, with nothing said;
    on the demo its disk note had said uploads go 24 hours "after they were sent", where each use renews them (a
    demo visitors' check). The question says the file stays, where, and on the demo until when."""
    from pathlib import Path

    from zoo.demo import owner_of
    from zoo.engine import run_experiment
    from zoo.forecast_io import sample_series_path, store_upload

    root = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    upload = store_upload(Path(sample_series_path()).read_bytes(), "shop load.csv", root, owner=owner_of(ME))
    run = run_experiment(ExperimentSpec(task="series", model="linear", data=str(upload), epochs=1, limit_train=64,
                                        lookback=24, horizon=6), runs_dir=root, owner=owner_of(ME))
    for on_demo, until in ((False, ""),
                           (True, ", deleted 24 hours after its last use, or now with **Delete this upload** there")):
        if on_demo:
            monkeypatch.setenv("PLAYGROUND_DEMO", "1")
        at = open_page("app_pages/runs.py", state={"visitor": ME} if on_demo else None)
        at.session_state["runs-table-0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
        at.run()
        at.button(key="runs-delete").click().run()
        no_exceptions(at)
        said = next(w.value for w in at.warning if "cannot be undone" in w.value)
        assert said.endswith("This cannot be undone. The CSV file `shop load.csv` it was trained on stays among the "
                             f"Forecast page's earlier uploads{until}."), said
        if on_demo:
            break
    assert (root / run.run_id).exists()
    # A review's: a CSV of one's own in a folder named "uploads" is no upload; one the sweep removed is not said to
    # stay; with an image run beside the upload's, "it was trained on" counts the runs that read it
    monkeypatch.delenv("PLAYGROUND_DEMO")
    own = tmp_path / "uploads" / "my sales.csv"
    own.parent.mkdir()
    own.write_bytes(Path(sample_series_path()).read_bytes())
    mine = run_experiment(ExperimentSpec(task="series", model="linear", data=str(own), epochs=1, limit_train=64,
                                         lookback=24, horizon=6), runs_dir=root, owner=owner_of(ME))
    image = run_experiment(ExperimentSpec(model="mlp", epochs=1, limit_train=64, batch_size=64), runs_dir=root,
                           owner=owner_of(ME))

    def question(ticked: list[str]) -> str:
        at = open_page("app_pages/runs.py")
        rows = list(at.dataframe[0].value["run"])
        at.session_state["runs-table-0"] = {"selection": {"rows": [rows.index(i) for i in ticked], "columns": [],
                                                          "cells": []}}
        at.run()
        at.button(key="runs-delete").click().run()
        no_exceptions(at)
        return next(w.value for w in at.warning if "cannot be undone" in w.value)

    assert question([mine.run_id]).endswith("This cannot be undone.")
    assert question([run.run_id, image.run_id]).endswith(
        "The CSV file `shop load.csv` it was trained on stays among the Forecast page's earlier uploads.")
    upload.unlink()
    assert question([run.run_id, image.run_id]).endswith("This cannot be undone.")


def test_a_demo_visitor_deletes_all_their_data_and_nothing_of_anothers(monkeypatch, tmp_path, fake_job):
    """A visitor who had deleted every run still left their uploaded CSV, their studies and their forms' settings
    on the server, with no way to remove them and no word of them (a demo visitor's check). The Runs page says what
    is kept and for how long, and one button deletes all of it (zoo/visitor_data.forget), the drafts held in the
    server's memory too; another visitor's files stay. Refused, deleting nothing, while a job of theirs runs."""
    from pathlib import Path

    from ui.drafts import store
    from zoo import demo
    from zoo.engine import run_experiment
    from zoo.forecast_io import sample_series_path, store_upload
    from zoo.registry import SpecError
    from zoo.run_health import process_identity
    from zoo.visitor_data import forget, kept_of

    root = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    raw = Path(sample_series_path()).read_bytes()[:200_000]
    files = {}
    for who in (ME, "b" * 32):
        owner = demo.owner_of(who)
        upload = store_upload(raw, "acme sales.csv", root, owner=owner)
        run = run_experiment(ExperimentSpec(task="series", model="linear", data=str(upload), epochs=1,
                                            limit_train=64, lookback=24, horizon=6), runs_dir=root, owner=owner)
        journal = root / demo.visitor_folder(owner) / "journal.log"   # a study's journal (zoo/search/storage.py)
        journal.parent.mkdir(parents=True)
        journal.write_text("{}\n")
        store().save((str(root), who), "forecast", None, {"forecast-upload-name": "acme sales.csv"})
        files[who] = [upload, root / run.run_id, journal, store().file_of((str(root), who))]
        assert all(path.exists() for path in files[who])
    kept = "1 run, 1 uploaded CSV file (`acme sales.csv`), your searches' studies and what you set in the forms"
    assert kept_of(demo.owner_of(ME), root).in_words() == kept
    job = fake_job("my-live-job", "running", owner=demo.owner_of(ME))
    with pytest.raises(SpecError, match="my-live-job is still queued or running: stop it first"):
        forget(demo.owner_of(ME), root, active_jobs=[job.id])
    # a run another process writes (a search's trial, no job of this server): refused too, before anything goes
    result = json.loads((files[ME][1] / "result.json").read_text())
    (files[ME][1] / "result.json").write_text(json.dumps({**result, "status": "running",
                                                          "process": process_identity()}))
    with pytest.raises(SpecError, match="is still being written"):
        forget(demo.owner_of(ME), root)
    (files[ME][1] / "result.json").write_text(json.dumps(result))
    assert all(path.exists() for path in files[ME])   # nothing deleted
    at = open_page("app_pages/runs.py", state={"visitor": ME})
    no_exceptions(at)
    assert any(c.value == f"The server keeps {kept}. It deletes runs 24 hours after they end, uploads, studies and "
                          "form settings 24 hours after their last use, or all of it now with the button below; to "
                          "delete only some runs, tick them in the table above." for c in at.caption), \
        [c.value for c in at.caption]
    assert at.button(key="visitor-data-delete").disabled   # a job of theirs runs, said beside the button
    assert any(c.value == ":orange[:material/block:] Stop my-live-job first, or wait until it ends."
               for c in at.caption)
    job.status = "finished"
    at.run()
    at.button(key="visitor-data-delete").click().run()
    assert any(w.value == f"Delete {kept} from this server? This cannot be undone. Every form starts again at its "
                          "defaults (in your other tabs of this demo, at their next change)." for w in at.warning)
    runs_before = at.session_state["script-runs"]
    at.button(key="visitor-data-confirm-yes").click().run()
    no_exceptions(at)
    assert [t.value for t in at.toast] == [f"Deleted {kept}."]
    assert at.session_state["script-runs"] > runs_before   # the count a browser waits on goes on growing
    assert not any(path.exists() for path in files[ME]), [p for p in files[ME] if p.exists()]
    assert all(path.exists() for path in files["b" * 32])   # another visitor's, all of it
    assert store().get((str(root), ME), "forecast", None) is None   # not held in memory either
    assert at.session_state["visitor"] == ME   # the same visitor still
    assert any(c.value.startswith("The server keeps nothing of yours") for c in at.caption)
    assert "No runs yet" in text_of(at)


def test_an_earlier_upload_is_deleted_from_the_forecast_page_its_runs_stay(monkeypatch, tmp_path, fake_job):
    """The earlier-upload picker had no way to delete a file the server kept (a demo visitor's check): "Delete this
    upload…" asks, says the runs trained on it stay, and deletes the file only (zoo/forecast_io.delete_upload); the
    page then offers what is left, saying nothing went missing. Refused while a job of theirs reads it; the function
    refuses another visitor's upload and any file that is no upload."""
    from pathlib import Path

    from zoo import demo
    from zoo import forecast_io as fio
    from zoo.engine import run_experiment
    from zoo.registry import SpecError

    root = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    raw = Path(fio.sample_series_path()).read_bytes()[:200_000]
    upload = fio.store_upload(raw, "acme sales.csv", root, owner=demo.owner_of(ME))
    others = fio.store_upload(raw, "theirs.csv", root, owner=demo.owner_of("b" * 32))
    run = run_experiment(ExperimentSpec(task="series", model="linear", data=str(upload), epochs=1, limit_train=64,
                                        lookback=24, horizon=6), runs_dir=root, owner=demo.owner_of(ME))
    for path, owner in ((others, demo.owner_of(ME)), (root / run.run_id / "spec.json", None)):
        with pytest.raises(SpecError, match="not an upload kept on this server"):
            fio.delete_upload(str(path), root, owner)
    assert others.exists() and (root / run.run_id / "spec.json").exists()
    job = fake_job("my-board", "running", owner=demo.owner_of(ME))
    job.payload = {"settings": {"data": str(upload)}}
    at = open_page("app_pages/forecast.py", state={"visitor": ME, "forecast-source": "stored"})
    no_exceptions(at)
    assert at.selectbox(key="forecast-stored-path").value == str(upload)
    # a question left open goes with the page: back from another, its red button had waited (a visitor's check)
    at.button(key="upload-delete").click().run()
    assert any(w.value.startswith("Delete `acme sales.csv`") for w in at.warning)
    at.switch_page("app_pages/train.py").run()
    at.switch_page("app_pages/forecast.py").run()
    assert not any(w.value.startswith("Delete `acme sales.csv`") for w in at.warning)
    assert not [b for b in at.button if b.key == "upload-delete-confirm"]
    for refused in (True, False):
        at.button(key="upload-delete").click().run()
        assert any(w.value == "Delete `acme sales.csv` from this server? The 1 run trained on it stays, but Train "
                   "again and Inspect need the file: upload it again then. This cannot be undone." for w in at.warning)
        # the job reading it said with the question, not only on the click (a demo visitor's check)
        assert any(c.value == ":orange[:material/block:] my-board still reads it: stop it first, or wait until it "
                   "ends." for c in at.caption) == refused
        at.button(key="upload-delete-confirm").click().run()
        no_exceptions(at)
        assert upload.exists() == refused
        assert [t.value for t in at.toast] == (["my-board reads `acme sales.csv`: stop it first, or wait until it "
                                                "ends; nothing was deleted."] if refused else
                                               ["Deleted `acme sales.csv` from this server."])
        job.status = "finished"
    assert (root / run.run_id / "spec.json").exists() and others.exists()
    assert at.radio(key="forecast-source").options == ["Bundled sample (ETTh1)", "Upload a CSV"]
    assert not any("no longer kept" in w.value for w in at.warning)
    # Its run keeps the file's name (not its hash); Inspect and Train again say it is gone, by that name, once
    from zoo.runs import load_run

    from zoo.runs import data_file_words
    from zoo.visitor_data import kept_of

    spec = load_run(root / run.run_id).spec
    assert fio.display_name(spec.data) == "acme sales.csv"
    assert data_file_words("gone", spec.data) == "the file this run read (`acme sales.csv`) is no longer there"
    assert kept_of(demo.owner_of(ME), root).in_words().startswith(
        "1 run, 1 deleted upload's name (`acme sales.csv`)")
    inspect = open_page("app_pages/inspect.py", query={"run": run.run_id}, state={"visitor": ME})
    said = [e.value for e in inspect.error]
    assert any("the CSV this run was trained on, `acme sales.csv`, is no longer kept on this server. Upload the same "
               "file again on the Forecast page" in e for e in said) and not any(str(root) in e for e in said), said
    again = open_page("app_pages/forecast.py", state={"visitor": ME, "prefill_spec": spec.to_dict(),
                                                      "forecast-upload-name": "acme sales.csv",
                                                      "forecast-upload-key": upload.stem})
    no_exceptions(again)
    said = [w.value for w in again.warning]
    assert said == ["The run's data (`acme sales.csv`) is no longer kept on this server: upload it again. The other "
                    "settings are filled in."], said
    # Another tab that had picked it: one warning, not a second about the same file "uploaded before this page"
    tab = open_page("app_pages/forecast.py", state={"visitor": ME, "forecast-source": "stored",
                                                    "forecast-stored-path": str(upload),
                                                    "forecast-upload-name": "acme sales.csv",
                                                    "forecast-upload-key": upload.stem})
    said = [w.value for w in tab.warning]
    assert len(said) == 1 and said[0].startswith("The earlier upload picked before is no longer kept"), said
    # The same bytes uploaded again on the page: kept at once, as its run reads them (a file is otherwise kept only
    # once a run uses it, and "upload it again" had brought nothing back: a demo visitor's check)
    again.file_uploader(key="forecast-upload").set_value(("acme sales.csv", raw, "text/csv")).run()
    no_exceptions(again)
    assert upload.is_file()
    assert [t.value for t in again.toast] == ["The runs trained on this file before it was deleted read it again "
                                              "(Inspect, Train again)."]
    inspect = open_page("app_pages/inspect.py", query={"run": run.run_id}, state={"visitor": ME})
    no_exceptions(inspect)
    assert not inspect.error, [e.value for e in inspect.error]


def test_a_demo_visitors_deleted_study_leaves_their_journal_and_their_next_study_shows(monkeypatch, tmp_path, fake_job):
    """A review of "Delete study…": it was on while a worker of the study started from another tab ran; Optuna keeps
    a deleted study's trials in the journal file, and a visitor's journal deleted and written again (a new search
    after Delete all my data) was read through the server's handle of the old file, their new study "no more". Now:
    off while any worker of the study runs; the visitor's journal left with no study goes; the next study shows."""
    from ui.search_views import SEARCH_WORKER
    from ui.state import job_manager
    from zoo import demo
    from zoo.search import SearchConfig, build_space, run_search

    root = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    owner = demo.owner_of(ME)

    def config(study: str) -> SearchConfig:
        return SearchConfig(spec=ExperimentSpec(model="mlp", epochs=1, limit_train=64), n_trials=1, pruner="none",
                            space=build_space("mlp", search={"lr": (1e-3, 3e-2)}), study=study, runs_dir=str(root),
                            owner=owner)

    old = config("old-study")
    run_search(old)
    journal = root / demo.visitor_folder(owner) / "journal.log"
    assert journal.is_file() and old.storage_url == str(journal)
    at = open_page("app_pages/search.py", query={"study": "old-study"}, state={"visitor": ME})
    no_exceptions(at)
    assert any(s.value == "Study `old-study`" for s in at.subheader), [s.value for s in at.subheader]
    assert not at.button(key="search_delete").disabled
    worker = fake_job("search-old-study-abc123-0", "running", owner=owner)   # "Run more trials" in another tab
    worker.target = SEARCH_WORKER
    worker.payload = {"config": {**old.to_dict(), "storage": str(journal.resolve())}}
    at.run()
    assert at.button(key="search_delete").disabled   # why, beside it: this tab's Stop is off too
    assert any(c.value.startswith(":orange[:material/block:] More trials of this study run, started in another tab")
               for c in at.caption), [c.value for c in at.caption]
    worker.status = "finished"
    at.run()
    at.button(key="search_delete").click().run()
    at.button(key="search_delete_confirm").click().run()
    no_exceptions(at)
    assert [t.value for t in at.toast] == ["Deleted study `old-study` and its 1 trial; their runs stay on the Runs "
                                           "page."]
    assert not journal.parent.exists()   # nothing of it left in a journal of theirs, nor their folder
    assert job_manager().get(worker.id) is None   # forgotten: "Your last study" offers it no more
    run_search(config("new-study"))   # the same file name, written again
    at = open_page("app_pages/search.py", query={"study": "new-study"}, state={"visitor": ME})
    no_exceptions(at)
    assert any(s.value == "Study `new-study`" for s in at.subheader), [s.value for s in at.subheader]
    assert not [w for w in at.warning if "no study" in w.value.lower()], [w.value for w in at.warning]


def test_another_tab_of_a_visitor_who_deleted_all_their_data_keeps_nothing_of_it(monkeypatch, tmp_path):
    """A demo visitor's check: after Delete all my data in one tab, moving a slider in another tab on the Train page
    wrote the drafts' file again, with a deleted run's id and its settings, and the Runs page said the server kept
    their form settings again. That tab's forms go too, at its next save (ui/drafts.save), back to their defaults."""
    from ui.drafts import store
    from zoo import demo

    root = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    other_tab = open_page("app_pages/train.py", state={"visitor": ME})
    other_tab.slider(key="train-settings-epochs").set_value(7).run()
    no_exceptions(other_tab)
    drafts_file = store().file_of((str(root), ME))
    assert drafts_file.is_file()
    runs = open_page("app_pages/runs.py", state={"visitor": ME})
    runs.button(key="visitor-data-delete").click().run()
    runs.button(key="visitor-data-confirm-yes").click().run()
    no_exceptions(runs)
    assert not drafts_file.exists()
    other_tab.slider(key="train-settings-patience").set_value(3).run()   # the visitor goes on in the other tab
    no_exceptions(other_tab)
    assert not drafts_file.exists()   # not written again
    assert other_tab.slider(key="train-settings-epochs").value != 7   # its forms at their defaults
    assert other_tab.session_state["visitor"] == ME
    assert drafts_file == demo.visitor_files(demo.owner_of(ME), root)[2]   # the file the Runs page counts


def test_a_late_delete_all_resets_every_tab_and_a_tab_that_never_saved_drops_what_it_restored(monkeypatch, tmp_path):
    """Two holes a review found in the other tabs' reset. A tab whose question was left open while another tab deleted
    everything, confirmed later, said "Deleted what you set in the forms" but reset no tab opened in between. And a tab
    that restored its drafts but stopped before its first save (Inspect with no run) took the later count at that
    save, and wrote the drafts it had restored back."""
    from ui.drafts import store

    root = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(root))
    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    drafts_file = store().file_of((str(root), ME))
    store().save((str(root), ME), "inspect", None, {"inspect-seed": 42})
    stopped = open_page("app_pages/inspect.py", state={"visitor": ME, "inspect-source": "Saved run"})
    no_exceptions(stopped)
    assert "No run with a saved checkpoint yet" in text_of(stopped)   # it stopped before its first save
    late = open_page("app_pages/runs.py", state={"visitor": ME})
    late.button(key="visitor-data-delete").click().run()   # asked, not answered yet
    first = open_page("app_pages/runs.py", state={"visitor": ME})
    first.button(key="visitor-data-delete").click().run()
    first.button(key="visitor-data-confirm-yes").click().run()
    assert not drafts_file.exists()
    between = open_page("app_pages/train.py", state={"visitor": ME})   # opened after that one, before the late one
    between.slider(key="train-settings-epochs").set_value(9).run()
    assert drafts_file.exists()
    late.button(key="visitor-data-confirm-yes").click().run()
    no_exceptions(late)
    assert not drafts_file.exists()
    between.slider(key="train-settings-patience").set_value(3).run()
    no_exceptions(between)
    assert between.slider(key="train-settings-epochs").value != 9 and not drafts_file.exists()
    assert [t.value for t in between.toast] == ["Your data was deleted in another tab: this tab's forms start again "
                                                "at their defaults."]
    stopped.session_state["inspect-source"] = "New model"   # the tab that had stopped, used again
    stopped.run()
    if not stopped.toast:   # (reset already, at that run's save)
        stopped.selectbox(key="inspect-model-image").set_value("mlp").run()
    no_exceptions(stopped)
    assert not drafts_file.exists() or "42" not in drafts_file.read_text(), drafts_file.read_text()
