"""`python -m zoo`: the contract of the README's "Command line", run as a person would, in a subprocess."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.cores import CHILD_ENV

ROOT = Path(__file__).resolve().parent.parent


def zoo_cli(*args, env=None, timeout=300):
    full_env = {**os.environ, **CHILD_ENV, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "zoo", *args], cwd=ROOT, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def zoo_main(*args) -> subprocess.CompletedProcess:
    """The CLI's `main` in this process, its exit code and its output as `zoo_cli` returns them: for
    the tests of what a command answers, not of `python -m zoo` itself (each process here costs about
    4 s of Python and torch start-up: 60 s of the suite for the bad inputs and the dated forecasts)."""
    import contextlib
    import io
    import warnings

    from zoo.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    # Warnings as a process prints them: pytest records them apart, and a stray one must still show
    # as a second line on stderr.
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")   # Python's own filters for a process: these are not shown
        for quiet in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", quiet)
        try:
            code = main(list(args))
        except SystemExit as exc:   # argparse's own refusals, as the process would exit
            code = exc.code
    said = "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in caught)
    return subprocess.CompletedProcess(["zoo", *args], code, stdout.getvalue(), said + stderr.getvalue())


def last_json(proc):
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_models_json_lists_both_tasks_with_ranges():
    proc = zoo_main("models", "--json")
    assert proc.returncode == 0, proc.stderr
    models = last_json(proc)["models"]
    image = [m for m in models if "image" in m["tasks"]]
    series = [m for m in models if "series" in m["tasks"]]
    assert len(image) >= 7 and len(series) >= 7
    for m in models:
        for h in m["hyperparameters"]:
            assert "default" in h and h["help"]
            assert ("low" in h and "high" in h) or "choices" in h or h["type"] == "bool"
    only_series = last_json(zoo_main("models", "--task", "series", "--json"))["models"]
    assert {m["name"] for m in only_series} == {m["name"] for m in series}


def test_train_ends_well_where_the_test_mase_is_undefined(tmp_path):
    """A series that repeats its week exactly has a seasonal naive error of 0, so no MASE (None): the closing line
    of `train` crashed on it after the run was saved (a review's check)."""
    import numpy as np
    import pandas as pd

    days = pd.date_range("2024-01-01", periods=210, freq="D")
    path = tmp_path / "weekly.csv"
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "v": np.tile([3, 5, 8, 13, 8, 5, 3], 30)}).to_csv(path, index=False)
    proc = zoo_main("train", "--data", str(path), "--model", "linear", "--epochs", "1", "--lookback", "14",
                    "--horizon", "7", "--json", "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert last_json(proc)["metrics"]["mase"] is None and "internal error" not in proc.stderr


def test_help_gives_ranges_as_a_person_types_them():
    """`--seed`'s range read "[0, 4.29497e+09]" (a learner's check): whole numbers in full, others shortest."""
    out = zoo_main("train", "--help").stdout
    assert "[0, 4294967295]; the form offers 0 to 4294967295" in " ".join(out.split())
    assert "e+" not in out and "1e-05" in out


def test_train_cnn_three_epochs_reaches_090_and_is_reproducible(tmp_path):
    args = ("train", "--data", "mnist-sample", "--model", "cnn", "--epochs", "3", "--seed", "0", "--json",
            "--runs-dir", str(tmp_path))
    first = zoo_cli(*args)
    assert first.returncode == 0, first.stderr
    a = last_json(first)
    assert a["metrics"]["test_accuracy"] >= 0.90
    # The same command again gives the same numbers: shown on a shorter run of the same command (two epochs on 600
    # images; the second full run had been a minute of the test command's time under its two processes).
    short = ("--epochs", "2", "--limit-train", "600")
    again = [zoo_cli(*args, *short) for _ in range(2)]
    assert [p.returncode for p in again] == [0, 0], [p.stderr for p in again]
    b, c = (last_json(p) for p in again)
    assert b["metrics"] == c["metrics"] and b["best_epoch"] == c["best_epoch"] and b["epochs_run"] == 2
    assert len({a["run_id"], b["run_id"], c["run_id"]}) == 3
    for key in ("run_id", "run_dir", "status", "epochs_run", "best_epoch", "metrics"):
        assert key in a
    assert a["untrained"] is False
    assert set(a["metrics"]) == {"test_loss", "test_accuracy"}
    assert f"test accuracy {a['metrics']['test_accuracy']:.2%} (the best epoch's weights" in first.stderr   # the page's
    run_dir = Path(a["run_dir"])
    assert {p.name for p in run_dir.iterdir()} == {"spec.json", "metrics.csv", "best.pt", "result.json"}
    assert first.stderr.count("epoch ") >= 3, "one progress line per epoch on stderr"


def test_divergence_exits_zero_with_a_loadable_checkpoint(tmp_path):
    proc = zoo_main("train", "--optimizer", "sgd", "--lr", "1e4", "--epochs", "2", "--json", "--runs-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    result = last_json(proc)
    assert result["status"] == "diverged" and result["best_epoch"] == 0
    # A script reads that the metrics are the initial weights' (they are kept as data: the pages show them
    # flagged), as result.json says it too.
    assert result["untrained"] is True
    assert json.loads((Path(result["run_dir"]) / "result.json").read_text())["untrained"] is True
    torch.load(Path(result["run_dir"]) / "best.pt", weights_only=True)
    # Diverged in its first epoch: the initial weights' chance-level accuracy is no result, as on the pages
    # (zoo/runs.ended_untrained); it had ended with "test accuracy 10.70% (the best epoch's weights ...)".
    assert "no epoch finished: the initial weights are not a trained model to score" in proc.stderr
    assert "test accuracy" not in proc.stderr


def _first_run(runs: Path) -> Path:
    """Wait until the command's run can be read, and return its directory: it is made a moment before its
    spec.json, and a wait on the directory alone read it in between (a test that failed in CI)."""
    from zoo.runs import list_runs
    from tests.conftest import wait_for

    return wait_for(lambda: next((run.path for run in list_runs(runs)), None), 120, "the run")


def _ctrl_c(args, runs: Path, ready, started=lambda pid: None, signals=("SIGINT",)) -> tuple[subprocess.Popen, str, str]:
    """Start `python -m zoo ARGS --runs-dir RUNS --json` in a session of its own, wait until `ready(run_dir)`
    (a state of its run directory), then send SIGINT to the whole group, as a terminal's Ctrl-C does
    (or `signals`, one right after the other)."""
    import signal

    from tests.conftest import wait_for

    proc = subprocess.Popen([sys.executable, "-m", "zoo", *args, "--runs-dir", str(runs), "--json"], cwd=ROOT,
                            env={**os.environ, **CHILD_ENV, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    started(proc.pid)
    try:
        run_dir = _first_run(runs)
        wait_for(lambda: ready(run_dir), 180, "the run to be under way", every=0.2)
        for name in signals:   # back to back: both are pending when the main thread next looks
            os.killpg(proc.pid, getattr(signal, name))
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc, out, err


def test_ctrl_c_stops_a_training_run_as_the_apps_stop_does(tmp_path):
    """The first Ctrl-C ends the run after the batch at hand: `stopped`, its epochs and best checkpoint
    kept, its result printed, exit 0 (a stopped run is a success that says so), not a run left
    `running` with an `error: interrupted`."""
    from zoo.runs import load_run

    proc, out, err = _ctrl_c(("train", "--model", "mlp", "--epochs", "200", "--patience", "0"), tmp_path / "r",
                             lambda d: (d / "metrics.csv").exists() and len(load_run(d).epoch_rows()) >= 1)
    assert proc.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    run = load_run(result["run_dir"])
    assert result["status"] == run.status == "stopped" and "stopped by request" in run.result["reason"]
    assert run.epoch_rows() and run.model is not None and len(run.epoch_rows()) < 200
    assert "stopping: the run ends after the current step" in err and "Traceback" not in err


def test_ctrl_c_stops_a_search_keeping_its_trials(tmp_path):
    """A search stopped by Ctrl-C in its first trial: its summary printed, `stopped`, exit 0, the
    trial's run kept as stopped."""
    from zoo.runs import list_runs

    def training(runs_dir):
        return any(r.epoch_rows() for r in list_runs(runs_dir.parent))

    # One searched setting that cannot end a trial early (a sampled lr could diverge in its first epoch,
    # and the stop would land in the next trial), no pruning, no early stopping.
    proc, out, err = _ctrl_c(("search", "--model", "mlp", "--n-trials", "20", "--epochs", "100", "--patience", "0",
                              "--search", "width=16,32", "--pruner", "none", "--sampler-seed", "0"), tmp_path / "r",
                             training)
    assert proc.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "stopped" and summary["reason"] == "stopped by request"
    runs = list_runs(tmp_path / "r")
    assert len(runs) == 1 and runs[0].status == "stopped" and runs[0].model is not None
    assert "Traceback" not in err
    # its line says stopped, as the summary and the run do (it read "trial   0 failed: stopped by request": a Ray
    # user's check)
    assert "trial   0 stopped by request" in err and " failed: " not in err and "stopped: stopped" not in err, err


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_ctrl_c_stops_a_search_on_two_workers_as_it_stops_one(tmp_path, signal_name):
    """A terminal's Ctrl-C reaches the workers of `search --workers 2` too: each died of KeyboardInterrupt, the
    command printed a traceback and 'internal error', exit 1, and both trials said `running` for good; sent to
    the command alone, it was ignored and every trial ran (a CLI user's check); `timeout`'s SIGTERM to the group
    killed the workers (a review). The workers leave both to the command, which stops them as the app's Stop
    does. (2,000 epochs: the first trial is still training when the second has its first epoch.)"""
    from zoo.runs import list_runs

    def both_training(runs_dir):
        return sum(1 for r in list_runs(runs_dir.parent) if r.epoch_rows()) >= 2

    proc, out, err = _ctrl_c(("search", "--model", "mlp", "--n-trials", "20", "--workers", "2", "--epochs", "2000",
                              "--patience", "0", "--search", "width=16,32", "--pruner", "none", "--limit-train",
                              "512"), tmp_path / "r", both_training, signals=(signal_name,))
    assert proc.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "stopped" and summary["reason"].startswith("stopped: 2 workers ran"), summary
    runs = list_runs(tmp_path / "r")
    assert len(runs) >= 2 and {r.status for r in runs} == {"stopped"}, [(r.run_id, r.status) for r in runs]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_sigterm_stops_a_run_and_a_second_signal_quits_with_the_run_ended(tmp_path):
    """SIGTERM (`timeout`, `docker stop`, a scheduler) killed a training at once and left it `running` for good,
    and so did a second Ctrl-C (a CLI user's check). SIGTERM is a Ctrl-C: the run ends `stopped`; a second
    signal quits at once (exit 130), the run `stopped` with its reason all the same, and the error names it."""
    from zoo.runs import load_run

    def training(run_dir):
        return (run_dir / "metrics.csv").exists() and len(load_run(run_dir).epoch_rows()) >= 1

    args = ("train", "--model", "mlp", "--epochs", "200", "--patience", "0")
    proc, out, err = _ctrl_c(args, tmp_path / "term", training, signals=("SIGTERM",))
    assert proc.returncode == 0, err
    assert load_run(json.loads(out.strip().splitlines()[-1])["run_dir"]).status == "stopped"
    # Batches of seconds each (3,600 samples in one, wide convolutions; an epoch of one batch): the two signals land
    # within one batch, where the first alone would end the run at its end.
    slow = ("train", "--model", "cnn", "--epochs", "200", "--patience", "0", "--batch-size", "3600", "--limit-train",
            "3600", "--set", "channels1=64", "--set", "channels2=128")
    proc, out, err = _ctrl_c(slow, tmp_path / "quit", training, signals=("SIGTERM", "SIGINT"))
    assert proc.returncode == 130 and "error: interrupted" in err, err
    quit_json = json.loads(out.strip().splitlines()[-1])   # names the run it quit, as the first signal's output does
    (run_dir,) = (tmp_path / "quit").iterdir()
    assert quit_json["status"] == "error" and quit_json["exit"] == 130 and quit_json["run_dir"] == str(run_dir)
    assert quit_json["run_id"] == run_dir.name and run_dir.name in err, err
    run = load_run(run_dir)
    assert run.status == "stopped" and run.result["reason"].startswith("quit at once"), run.result
    assert run.model is not None and run.result["best_epoch"] >= 1 and run.result["epochs_run"] >= 1   # kept


def test_a_killed_commands_run_is_ended_by_the_next_command(tmp_path):
    """A run whose command was killed (SIGKILL: nothing of it can act) said `running` for good: only a server's
    start ended such runs (a CLI user's check). The next command that runs something does too."""
    import signal

    from zoo.runs import load_run
    from tests.conftest import wait_for

    runs = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, "-m", "zoo", "train", "--model", "mlp", "--epochs", "200", "--runs-dir",
                             str(runs)], cwd=ROOT, env={**os.environ, **CHILD_ENV, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run_dir = _first_run(runs)
        wait_for(lambda: load_run(run_dir).status == "running", 120, "the run to start", every=0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert load_run(run_dir).status == "running"
    zoo_main("train", "--dry-run", "--runs-dir", str(runs))
    run = load_run(run_dir)
    assert run.status == "failed" and "the command that ran it was killed" in run.result["reason"], run.result
    # a kill is not the only way: a full disk refuses the ending that said why (a storage-faults check)
    assert "or it could not write its end: a full or read-only disk" in run.result["reason"]


def test_a_second_ctrl_c_after_the_run_ended_names_the_run(tmp_path, monkeypatch, capsys):
    """A board stopped by Ctrl-C had ended and written every file when a second Ctrl-C came, as the command said
    so: it quit with a bare "interrupted" and no run in the JSON (a CLI user's check). The run is named, with how
    it ended."""
    import signal

    import zoo.cli.train
    from zoo.cli import main
    from zoo.runs import load_run

    def interrupted_twice(verdict):   # called once the run has ended, before the command's last lines
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
        return None

    monkeypatch.setattr(zoo.cli.train, "learned_nothing", interrupted_twice)
    code = main(["train", "--dry-run", "--json", "--runs-dir", str(tmp_path / "r")])
    out, err = capsys.readouterr()
    said = json.loads(out.strip().splitlines()[-1])
    assert code == 130 and said["exit"] == 130 and said["run_id"] and Path(said["run_dir"]).is_dir(), (out, err)
    assert f"run {said['run_id']} ended finished" in err and "its files are complete" in err, err
    assert load_run(Path(said["run_dir"])).status == "finished"


def test_a_stopped_run_that_learned_nothing_is_not_called_finished(tmp_path, monkeypatch, capsys):
    """A run stopped after its first epoch had been warned "finished, but it learned nothing useful" (a CLI user's
    check): the warning says the run's own status."""
    import signal

    import numpy as np
    import pandas as pd

    import zoo.cli.train
    from zoo.cli import main

    days = pd.date_range("2024-01-01", periods=120, freq="D")
    path = tmp_path / "daily.csv"
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"),
                  "visits": 50 + 10 * np.sin(np.arange(120) * 2 * np.pi / 7)}).to_csv(path, index=False)
    printer = zoo.cli.train.progress_printer

    def ctrl_c_after_the_first_epoch(event):
        printer(event)
        if event.get("type") == "epoch":
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(zoo.cli.train, "progress_printer", ctrl_c_after_the_first_epoch)
    code = main(["train", "--data", str(path), "--model", "linear", "--epochs", "5", "--json",
                 "--runs-dir", str(tmp_path / "r")])
    out, err = capsys.readouterr()
    said = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and said["status"] == "stopped" and not said["verdict"]["better"], (said, err)
    assert "warning: stopped, but it learned nothing useful" in err and "finished, but" not in err, err


def test_ctrl_c_stops_a_leaderboard_in_a_classical_fit_with_its_rows(tmp_path):
    """Ctrl-C while AutoARIMA fits in the classical helper (which gets the signal too, as the terminal's
    process group): the board ends `stopped` with the baselines ranked and AutoARIMA's row saying it was
    stopped, the helper's own traceback nowhere."""
    from zoo.runs import load_run

    from tests.test_leaderboard import _children, _cpu_seconds

    def in_arima(run_dir):   # the baselines done, the helper busy: past its warm-up (statsforecast's import, about
        # 1.1 s of CPU: candidates.Classical.prepare), in AutoARIMA's fit (tens of seconds)
        helpers = [pid for pid, cmd in _children(proc_pid[0]) if "zoo.leaderboard.classical" in cmd]
        # candidates.csv: the directory is made a moment before its leaderboard.json, which load_run needs
        return (run_dir / "candidates.csv").exists() and \
            any(r["name"] == "linear_ls" for r in load_run(run_dir).candidates()) and helpers and \
            _cpu_seconds(helpers[0]) >= 3

    data = ROOT / "bench" / "data" / "etth1_ot_hourly_last2000.csv"
    proc_pid = []
    proc, out, err = _ctrl_c(("forecast-auto", "--data", str(data), "--horizon", "24", "--models", "AutoARIMA",
                              "--budget", "600"), tmp_path / "r", in_arima, started=proc_pid.append)
    assert proc.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    run = load_run(result["run_dir"])
    assert result["status"] == run.status == "stopped"
    rows = {r["name"]: r for r in run.candidates()}
    assert rows["AutoARIMA"]["status"] == "skipped" and rows["AutoARIMA"]["note"] == "stopped by request"
    assert result["pick"]["name"] in [n for n, r in rows.items() if r["status"] == "done"]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_train_says_the_command_that_reproduces_it_from_any_folder(tmp_path, monkeypatch):
    """forecast-auto said its command; train said none, and its spec kept --data as typed, relative to the folder
    it ran in (a CLI user's check). The command names the CSV by its absolute path and gives the same scores."""
    import shlex
    import shutil

    shutil.copy(ROOT / "tests" / "csv_corpus" / "clean.csv", tmp_path / "small.csv")
    monkeypatch.chdir(tmp_path)
    first = zoo_main("train", "--data", "small.csv", "--model", "linear", "--epochs", "2", "--runs-dir",
                     str(tmp_path / "r"), "--json")
    assert first.returncode == 0, first.stderr
    said = next(line for line in first.stderr.splitlines() if line.startswith("reproduce with: "))
    command = shlex.split(said.removeprefix("reproduce with: "))
    assert command[:4] == ["python", "-m", "zoo", "train"] and str(tmp_path / "small.csv") in command, command
    monkeypatch.chdir(ROOT)
    again = zoo_main(*command[3:], "--runs-dir", str(tmp_path / "r"), "--json")
    assert again.returncode == 0, again.stderr
    scores = [json.loads(p.stdout.splitlines()[-1])["metrics"] for p in (first, again)]
    assert scores[0] and scores[0] == scores[1]


def test_runs_dir_comes_from_the_environment_unless_the_flag_says_otherwise(tmp_path, monkeypatch):
    env_dir, flag_dir = tmp_path / "env", tmp_path / "flag"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(env_dir))
    a = last_json(zoo_main("train", "--dry-run", "--json"))
    b = last_json(zoo_main("train", "--dry-run", "--json", "--runs-dir", str(flag_dir)))
    assert Path(a["run_dir"]).parent == env_dir and Path(b["run_dir"]).parent == flag_dir


BAD_INPUTS = [
    (("train", "--model", "resnet"), "unknown model"),
    (("train", "--model", "mpl"), "unknown model 'mpl'; did you mean 'mlp'? choose one of"),
    (("train", "--model", "mlp", "--set", "depth=99"), "outside its range"),
    (("train", "--model", "mlp", "--set", "colour=red"), "has no hyperparameter"),
    (("train", "--model", "mlp", "--set", "depth"), "KEY=VALUE"),
    # a value that does nothing beside the others, refused as the page greys it out (a learner's check)
    (("train", "--model", "lstm", "--set", "dropout=0.3"), "error: --set dropout=0.3 does nothing for lstm with "
     "num_layers=1 (dropout is used only with num layers 2 or more); give --set num_layers=2 (or more), or leave "
     "dropout out."),
    # ...and a training setting alike: min delta with early stopping off (a learner's check: it kept epoch 1)
    (("train", "--patience", "0", "--min-delta", "0.5"), "error: --min-delta 0.5 does nothing with --patience 0 (min "
     "delta is used only with patience 1 or more); give --patience 1 (or more), or leave --min-delta out."),
    # ...and one used only beside another's choice: DLinear's moving average with an nlinear forecaster
    (("train", "--data", "ETTh1", "--model", "linear", "--set", "moving_avg=51"), "error: --set moving_avg=51 does "
     "nothing for linear with variant=nlinear (moving_avg is used only with variant dlinear); give --set "
     "variant=dlinear, or leave moving_avg out."),
    (("train", "--precision", "fp16", "--device", "cpu"), "fp16 needs a CUDA GPU"),
    (("train", "--precision", "tf32", "--device", "cpu"), "tf32 needs a CUDA GPU"),
    (("train", "--cuda-graph", "true", "--device", "cpu"), "cuda_graph needs a CUDA GPU"),
    (("train", "--device", "cuda:7"), "cuda"),
    # a setting named as it was typed, by its flag (a CLI user's check: "test_share=0.9 must be in (0, 0.9)")
    (("train", "--lr", "0"), "error: --lr 0 must be a positive number"),   # as typed, not 0.0
    (("train", "--seed", "12345678901234567890"), "error: --seed 12345678901234567890 is outside its range"),
    (("train", "--epochs", "many"), "error: --epochs 'many' is not a whole number"),
    (("train", "--limit-train", "1.000"), "error: --limit-train '1.000' is 1000 where the dot separates thousands and "
     "1 where it is a decimal mark; write the whole number without it (1000 or 1)."),   # it ran on 1 sample
    (("train", "--lr", "inf"), "is not a finite number; give a finite number such as 0.002"),
    # ...and a flag of a command's own, as a setting's (it read "argument --n-trials: invalid int value: 'abc'": a
    # new user's check)
    (("search", "--model", "mlp", "--n-trials", "abc"), "error: --n-trials 'abc' is not a whole number; see "),
    (("search", "--model", "mlp", "--timeout", "soon"), "error: --timeout 'soon' is not a number; see "),
    (("forecast-auto", "--data", "ETTh1", "--test-share", "0.9"), "error: --test-share 0.9 must be in (0, 0.9)"),
    (("train", "--epochs=0"), "error: --epochs 0 must be at least 1"),
    # ...and as typed where it was not a flag (a review: "--optimizer 'foo'" for --fix optimizer=foo)
    (("search", "--data", "mnist-sample", "--model", "mlp", "--fix", "optimizer=foo"), "error: optimizer='foo' is"),
    (("train", "--data", "cifar10"), "unknown image dataset"),
    (("fly",), "unknown command"),
    # a flag before the command (a scripting user's check: "unknown command '--json'")
    (("--json", "forecast-auto", "--data", "my file.csv"),
     "error: the command comes first, then its options: python -m zoo forecast-auto --json --data 'my file.csv'"),
]

@pytest.mark.parametrize("args,needle", BAD_INPUTS)
def test_bad_input_exits_2_with_one_error_line_and_no_traceback(args, needle, tmp_path):
    proc = zoo_main(*args, "--runs-dir", str(tmp_path)) if args[0] == "train" else zoo_main(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not tmp_path.exists() or not any(tmp_path.iterdir()), "bad input writes no run"


@pytest.mark.parametrize("command", [("train", "--data", "ETTh1", "--dry-run"),
                                     ("forecast-auto", "--data", "ETTh1", "--models", "naive", "--budget", "5")])
def test_a_runs_directory_that_is_a_file_is_one_error_line(command, tmp_path):
    """forecast-auto ended in "internal error ... please report it" with a traceback where train said what to do
    (a new user's check: --runs-dir given a CSV's path)."""
    not_a_folder = tmp_path / "data.csv"
    not_a_folder.write_text("date,x\n")
    proc = zoo_main(*command, "--runs-dir", str(not_a_folder))
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[-1] == (f"error: cannot write the run's files in {not_a_folder} (Not a directory); make the runs "
                         "directory writable and give it free space (PLAYGROUND_RUNS_DIR or --runs-dir says where it is).")


def test_summary_fits_the_windows_to_a_short_csv_as_train_does(tmp_path):
    """`summary --data` on 72 monthly rows ended in "horizon 24 needs 24 validation rows", and its advice in
    another refusal, where `train` fits the windows as the Forecast page does (a new user's check)."""
    import numpy as np
    import pandas as pd

    months = pd.date_range("2015-01-01", periods=72, freq="MS")
    path = tmp_path / "monthly.csv"
    pd.DataFrame({"month": months.strftime("%Y-%m"), "sales": 100 + 10 * np.sin(np.arange(72) * np.pi / 6)}) \
        .to_csv(path, index=False)
    summary = zoo_main("summary", "--model", "linear", "--data", str(path), "--json")
    assert summary.returncode == 0, summary.stderr
    train = zoo_main("train", "--model", "linear", "--data", str(path), "--dry-run", "--json",
                     "--runs-dir", str(tmp_path / "runs"))
    fitted = [line for line in train.stderr.splitlines() if "do not fit this series" in line]
    assert fitted and fitted[0] in summary.stderr.splitlines(), (summary.stderr, train.stderr)


def test_an_unknown_command_run_as_a_person_would_exits_2_with_one_line():
    proc = zoo_cli("fly")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: unknown command 'fly'"), proc.stderr


def test_a_dataset_missing_offline_names_the_folder_to_fill(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    # An unreachable proxy makes "offline" certain whatever network this machine has.
    for name in ("https_proxy", "http_proxy", "HTTPS_PROXY", "HTTP_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    proc = zoo_main("train", "--data", "mnist", "--data-dir", str(data_dir), "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ") and str(data_dir / "MNIST" / "raw") in line and "mnist-sample" in line


def test_the_full_datasets_read_the_idx_files_through_torchvision(tmp_path):
    """mnist read offline from a folder holding the IDX files (here the sample's, gzipped as downloaded)."""
    import shutil

    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    shared = ROOT.parent / "shared" / "data" / "mnist-sample"
    if not shared.exists():
        pytest.skip("../shared/data is not beside this checkout")
    for f in shared.glob("*.gz"):
        shutil.copy(f, raw / f.name)
    proc = zoo_main("train", "--data", "mnist", "--data-dir", str(tmp_path / "data"), "--dry-run", "--json",
                    "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert last_json(proc)["status"] == "finished"


def test_a_run_given_a_data_dir_is_reproduced_and_explained_from_it(tmp_path, monkeypatch):
    """`train --data mnist --data-dir D` printed a reproduce command without --data-dir, which then looked in the
    default folder and failed ("mnist is not in ... and could not be downloaded"), and gradcam of the run failed
    until given it again (a docs check): the run keeps its datasets' folder (result.json `data_dir`)."""
    import shutil

    from zoo.runs import load_run

    raw = tmp_path / "my data" / "MNIST" / "raw"
    shutil.copytree(ROOT / "zoo" / "data" / "bundled" / "MNIST" / "raw", raw)
    monkeypatch.setenv("PLAYGROUND_DATA", str(tmp_path / "empty"))   # the default folder holds no MNIST (a review)
    proc = zoo_main("train", "--data", "mnist", "--data-dir", str(tmp_path / "my data"), "--model", "mlp",
                    "--epochs", "1", "--limit-train", "256", "--json", "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    run = load_run(last_json(proc)["run_dir"])
    assert run.data_dir == str(tmp_path / "my data")
    assert f"reproduce with: {run.command()}" in proc.stderr
    assert run.command().endswith(f" --data-dir '{tmp_path / 'my data'}'")
    assert "--data-dir" not in run.command(server_paths=False)   # the hosted demo's pages name no server folder
    from zoo.demo import shareable_bytes

    assert "data_dir" not in json.loads(shareable_bytes(run, run.path / "result.json"))   # nor its downloads
    explained = zoo_main("gradcam", "--run", str(run.path), "--index", "0", "--method", "saliency", "--out",
                         str(tmp_path / "s.png"), "--json")   # no --data-dir: the run's own
    assert explained.returncode == 0, explained.stderr
    # and its page: the run's evaluation and test images from the same folder (a review: "mnist is not in ...")
    from streamlit.testing.v1 import AppTest

    from zoo.evaluate import evaluate_run

    assert evaluate_run(run).accuracy > 0
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "r"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["run"] = run.run_id
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not [e.value for e in at.error], [e.value for e in at.error]
    assert any(s.value == "Confusion matrix" for s in at.subheader)
    # none given, or one nothing reads (the bundled sample's): none kept, none said (a review)
    for data_dir in ((), ("--data-dir", str(tmp_path / "nowhere"))):
        bundled = load_run(last_json(zoo_main("train", "--data", "mnist-sample", "--model", "mlp", "--epochs", "1",
                                              "--limit-train", "64", "--json", "--runs-dir", str(tmp_path / "r"),
                                              *data_dir))["run_dir"])
        assert bundled.data_dir is None and "--data-dir" not in bundled.command()


CORPUS = ROOT / "tests" / "csv_corpus"


@pytest.mark.parametrize("name, layout, freq, first", [
    ("monthly_iso.csv", "long", "MS", "1970-01-01"),          # 1950-01-01, 1950-02-01, ... 1969-12-01
    ("quarterly_iso.csv", "long", "QS", "1989-01-01"),        # 1959-01-01, 1959-04-01, ... 1988-10-01
    ("wide_monthly_table.csv", "wide", "MS", "2011-01-01"),   # YEAR 1950 ... 2010, then JAN ... DEC
])
def test_train_writes_a_forecast_that_continues_the_series_at_its_frequency(name, layout, freq, first, tmp_path):
    # The issue: ISO monthly and quarterly dates read year-day-month gave backtest dates like 1998-01-11 for
    # November 1998 and future dates like 2010-01-23.
    import pandas as pd

    proc = zoo_main("train", "--data", str(CORPUS / name), "--layout", layout, "--model", "linear", "--epochs", "1",
                   "--lookback", "16", "--horizon", "8", "--device", "cpu", "--seed", "0", "--json",
                   "--runs-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(last_json(proc)["run_dir"])
    forecast = pd.read_csv(run_dir / "forecast.csv")
    expected = pd.date_range(first, periods=8, freq=freq)
    assert list(pd.to_datetime(forecast["date"])) == list(expected)
    assert forecast["forecast"].notna().all()
    # The backtest is dated with the file's own dates (for the wide table, the first of each month).
    backtest = pd.to_datetime(pd.read_csv(run_dir / "backtest.csv")["time"])
    if layout == "long":
        file_dates = set(pd.to_datetime(pd.read_csv(CORPUS / name)["date"]))
        assert set(backtest) <= file_dates
    assert (backtest.dt.day == 1).all() and backtest.max() == expected[0] - pd.tseries.frequencies.to_offset(freq)


@pytest.mark.parametrize("command", [("train", "--model", "linear", "--epochs", "1", "--lookback", "24"),
                                     ("forecast-auto", "--models", "naive,linear", "--budget", "30")])
def test_a_forecast_of_times_with_zones_writes_the_clock_they_are_on(command, tmp_path):
    """The times of a file whose timestamps carry zones are on the clock of its last one (+02:00 here, past the
    March change): forecast.csv and backtest.csv wrote them without it, so a forecast read in another tool, or
    past the autumn change, was an hour off the local time with nothing to say so (a forecast user's check)."""
    import pandas as pd

    from zoo.runs import load_run

    proc = zoo_main(*command, "--data", str(CORPUS / "timezones_dst.csv"), "--horizon", "6", "--device", "cpu",
                    "--json", "--runs-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(last_json(proc)["run_dir"])
    written = pd.read_csv(run_dir / "forecast.csv", dtype=str)["date"]
    assert list(written) == [f"2023-03-30 {h:02d}:00:00+02:00" for h in range(2, 8)]   # its last line: 01:00+02:00
    assert pd.read_csv(run_dir / "backtest.csv", dtype=str)[["time", "origin"]].stack().str.endswith("+02:00").all()
    forecast = load_run(run_dir).table("forecast")   # read back on the series' own clock, naive, as pages draw it
    assert forecast["date"].dt.tz is None and forecast["date"].iloc[0] == pd.Timestamp("2023-03-30 02:00")
    assert forecast.attrs["utc_offset_minutes"] == 120   # a number: Streamlit writes a table's attrs as JSON
    json.dumps(forecast.attrs)
    plain = load_run(Path(last_json(zoo_main(*command, "--data", str(CORPUS / "clean.csv"), "--horizon", "6",
                                             "--json", "--runs-dir", str(tmp_path)))["run_dir"])).table("forecast")
    assert "utc_offset_minutes" not in plain.attrs and plain["date"].dt.tz is None   # a file without zones: as before


def test_a_gap_in_the_test_part_is_not_scored_as_actuals(tmp_path):
    """Timestamps missing from the file are added and interpolated so that windows can be cut, but a forecast
    scored against that line was scored against made-up actuals: 20 missing days in a test part moved a run's
    80% coverage from 79% to 71%, with backtest.csv holding the interpolated values as actuals (a forecast
    user's check). They are left out of every score, left empty in backtest.csv, and said, for a run and a
    board alike; the scores equal those recomputed from backtest.csv's real rows."""
    import numpy as np
    import pandas as pd

    from zoo.runs import load_run

    days = pd.date_range("2024-01-01", periods=300, freq="D")
    rng = np.random.default_rng(0)
    values = 50 + 10 * np.sin(np.arange(300) * 2 * np.pi / 7) + rng.normal(0, 1, 300)
    kept = ~((days >= "2024-09-20") & (days < "2024-10-05"))   # 15 days, all in the test part (its last 20%)
    path = tmp_path / "gap.csv"
    pd.DataFrame({"day": days[kept].strftime("%Y-%m-%d"), "value": np.round(values[kept], 3)}).to_csv(path, index=False)
    for command in (("train", "--model", "linear", "--epochs", "2", "--lookback", "14", "--horizon", "7"),
                    ("forecast-auto", "--models", "naive,linear_ls", "--horizon", "7", "--budget", "60")):
        proc = zoo_main(*command, "--data", str(path), "--json", "--runs-dir", str(tmp_path / "r"))
        assert proc.returncode == 0, proc.stderr
        out = last_json(proc)
        said = [n for n in out["notes"] if "were not in the file" in n]
        assert len(said) == 1 and "15 of the test's" in said[0], out["notes"]
        run = load_run(Path(out["run_dir"]))
        backtest = run.table("backtest")
        gap = (backtest["time"] >= "2024-09-20") & (backtest["time"] < "2024-10-05")
        assert gap.any() and backtest.loc[gap, "actual"].isna().all() and backtest.loc[~gap, "actual"].notna().all()
        real = backtest[~gap]
        mae = float((real["predicted"] - real["actual"]).abs().mean())
        scored = out["metrics"]["mae"] if command[0] == "train" else out["pick"]["test_mae"]
        assert scored == pytest.approx(mae, rel=1e-4)
        # the coverage the issue was seen in, of the real actuals alone (a run's backtest.csv holds every window)
        inside = ((real["actual"] >= real["lower_80"]) & (real["actual"] <= real["upper_80"])).mean()
        assert out["coverage"]["80"] == pytest.approx(inside, abs=1e-3 if command[0] == "train" else 0.02)
        # said on stderr by both (forecast-auto had kept its pick's coverage to the JSON: a forecast user's check)
        what = "windows" if command[0] == "train" else "origins"
        assert f"on the test {what}, the 80% interval covers {out['coverage']['80']:.0%}" in proc.stderr, proc.stderr
    # a gap in the validation part: left out of the intervals' calibration, said, and the intervals still given
    kept = ~((days >= "2024-08-01") & (days < "2024-08-04"))   # validation: the 10% before the last 20%
    pd.DataFrame({"day": days[kept].strftime("%Y-%m-%d"), "value": np.round(values[kept], 3)}).to_csv(path, index=False)
    proc = zoo_main("train", "--model", "linear", "--epochs", "2", "--lookback", "14", "--horizon", "7", "--data",
                    str(path), "--json", "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    out = last_json(proc)
    said = [n for n in out["notes"] if "3 of the validation's" in n]
    assert len(said) == 1 and "the validation loss the training curves draw, and early stopping watches, leaves them " \
        "out too" in said[0], out["notes"]
    assert out["coverage"]["80"] is not None and out["coverage"]["95"] is not None
    rows = load_run(Path(out["run_dir"])).epoch_rows()   # a NaN target is no NaN loss (a divergence)
    assert len(rows) == 2 and all(np.isfinite(r["val_loss"]) and np.isfinite(r["val_metric"]) for r in rows), rows
    # a gap in the training part: MASE's scale is the seasonal naive's steps between the file's own values
    import re

    kept = ~((days >= "2024-03-01") & (days < "2024-03-11"))
    pd.DataFrame({"day": days[kept].strftime("%Y-%m-%d"), "value": values[kept]}).to_csv(path, index=False)
    proc = zoo_main("train", "--model", "linear", "--epochs", "2", "--lookback", "14", "--horizon", "7", "--data",
                    str(path), "--json", "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    out = last_json(proc)
    period = int(re.search(r"seasonal period (\d+)", " ".join(out["notes"]))[1])
    train_rows = int(0.7 * 300)
    own = pd.Series(np.where(kept, values, np.nan)[:train_rows])
    scale = (own - own.shift(period)).abs().mean()   # pandas skips the pairs with a NaN
    assert out["metrics"]["mae"] / out["metrics"]["mase"] == pytest.approx(scale, rel=1e-6)


def test_train_and_forecast_auto_say_what_reading_the_csv_fixed(tmp_path):
    """A value that is not a number and gaps filled by interpolation were said on the page ("What the reader
    found") but on the command line only inside --json and result.json (a forecast user's check)."""
    import numpy as np
    import pandas as pd

    days = pd.date_range("2024-01-01", periods=200, freq="D")
    values = [f"{v:.2f}" for v in 50 + 10 * np.sin(np.arange(200) * 2 * np.pi / 7)]
    values[121], values[60] = "n/a?", ""
    path = tmp_path / "dirty.csv"
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "value": values}).to_csv(path, index=False)
    for command in (("train", "--model", "linear", "--epochs", "1", "--lookback", "14", "--horizon", "7"),
                    ("forecast-auto", "--models", "naive", "--budget", "30")):
        proc = zoo_main(*command, "--data", str(path), "--json", "--runs-dir", str(tmp_path / "r"))
        assert proc.returncode == 0, proc.stderr
        notes = last_json(proc)["data_notes"]
        assert any("'n/a?'" in n for n in notes) and any("filled with the last value" in n for n in notes), notes
        for note in notes:
            assert f"note: {note}" in proc.stderr, (command[0], proc.stderr)


def test_a_refused_command_leaves_no_run_behind(tmp_path):
    """A CLI user's check: each refusal of forecast-auto (a series too short for the horizon) wrote a `failed`
    board with a Python traceback in its result.json; a refusal of train writes nothing either."""
    import numpy as np
    import pandas as pd

    path = tmp_path / "monthly.csv"
    months = pd.date_range("2019-01-01", periods=60, freq="MS")
    pd.DataFrame({"month": months.strftime("%Y-%m-%d"),
                  "sales": (100 + 10 * np.sin(np.arange(60) * 2 * np.pi / 12)).round(2)}).to_csv(path, index=False)
    for command in (("forecast-auto", "--horizon", "24"), ("train", "--model", "linear", "--horizon", "70")):
        proc = zoo_main(*command, "--data", str(path), "--runs-dir", str(tmp_path / "r"))
        assert proc.returncode == 2 and "error: " in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir()), command
        assert "using lookback" not in proc.stderr   # no lookback fitted in vain to a horizon that cannot fit
    # A device this machine lacks: train refused it, a board ran with every zoo model failing on it in turn and
    # picked among the rest (exit 0); a sampler seed numpy refuses failed inside the first trial (exit 1, a
    # traceback). Both are refused as bad input (CLI users' checks).
    for command, said in ((("forecast-auto", "--models", "linear", "--device", "tpu"), "is not a device name"),
                          (("forecast-auto", "--models", "linear", "--device", "cuda:99"), "device 'cuda:99' "),
                          (("search", "--model", "mlp", "--sampler-seed", "-3"), "--sampler-seed -3 is outside")):
        proc = zoo_main(*command, "--data", str(path), "--runs-dir", str(tmp_path / "r"))
        assert proc.returncode == 2 and said in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir()), command


def test_the_command_names_the_column_the_reader_picked(tmp_path):
    """spec.json keeps no --target where the reader picked it (a form filled from the run follows another file's
    columns), so the command names it: the same CSV with a numeric column added after it had been read with that
    column as the target, the run's numbers all different, spec.json the same byte for byte (a CLI user's check)."""
    import shlex

    import numpy as np
    import pandas as pd

    from zoo.runs import load_run

    days = pd.date_range("2024-01-01", periods=120, freq="D")
    frame = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "load": (50 + 5 * np.sin(np.arange(120) / 3)).round(3)})
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    said = {}
    for command in (("train", "--model", "linear", "--epochs", "1", "--lookback", "14", "--horizon", "7"),
                    ("forecast-auto", "--models", "naive", "--horizon", "7", "--budget", "30")):
        proc = zoo_main(*command, "--data", str(path), "--json", "--runs-dir", str(tmp_path / "r"))
        assert proc.returncode == 0, proc.stderr
        run = load_run(Path(last_json(proc)["run_dir"]))
        assert (run.settings if run.is_leaderboard else run.spec.to_dict())["target"] is None   # as the person set
        line = next(x for x in proc.stderr.splitlines() if x.startswith("reproduce with: "))
        said[command[0]] = shlex.split(line.removeprefix("reproduce with: "))
        assert said[command[0]][said[command[0]].index("--target") + 1] == "load" and "--target load" in run.command()
    frame.assign(load_forecast_vendor=np.arange(120.0)).to_csv(path, index=False)
    again = zoo_main(*said["train"][3:], "--runs-dir", str(tmp_path / "r"), "--json")
    assert again.returncode == 0 and load_run(Path(last_json(again)["run_dir"])).result["target"] == "load"


def test_a_csv_named_by_a_relative_path_is_kept_by_its_absolute_one(tmp_path, monkeypatch):
    """spec.json kept --data as typed (../../data.csv), which load_run, the page and the printed command then
    read from wherever they ran; and forecast-auto --json printed no command to reproduce it (CLI users' checks)."""
    import numpy as np
    import pandas as pd

    from zoo.runs import load_run

    (tmp_path / "data").mkdir()
    months = pd.date_range("2015-01-01", periods=96, freq="MS")
    pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "sales": (100 + 10 * np.sin(np.arange(96) * 2 * np.pi / 12)
                                                                  ).round(2)}).to_csv(tmp_path / "data" / "m.csv",
                                                                                      index=False)
    monkeypatch.chdir(tmp_path / "data")
    where = str(tmp_path / "data" / "m.csv")
    for command in (("train", "--model", "linear", "--epochs", "1", "--lookback", "12", "--horizon", "6"),
                    ("forecast-auto", "--models", "naive", "--horizon", "6", "--budget", "30")):
        proc = zoo_main(*command, "--data", "m.csv", "--json", "--runs-dir", str(tmp_path / "r"))
        assert proc.returncode == 0, proc.stderr
        run = load_run(Path(last_json(proc)["run_dir"]))
        assert (run.settings if run.is_leaderboard else run.spec.to_dict())["data"] == where
        assert f"reproduce with: python -m zoo {command[0]} --data {where}" in proc.stderr, proc.stderr


def test_total_trials_counts_the_trials_a_study_already_has(tmp_path):
    """--total-trials 2 on a study of 2 trials ran a third (optuna's MaxTrialsCallback is asked after a trial), and
    a resumed study's live "(best ...)" was this command's best, not the study's (a CLI user's check)."""
    common = ("search", "--model", "mlp", "--epochs", "1", "--limit-train", "64", "--pruner", "none", "--study", "s",
              "--search", "lr=0.001:0.01", "--sampler-seed", "0", "--json", "--runs-dir", str(tmp_path / "r"))
    first = zoo_main(*common, "--n-trials", "2")
    assert first.returncode == 0, first.stderr
    best = last_json(first)["best_value"]
    again = zoo_main(*common, "--total-trials", "2")
    assert again.returncode == 0, again.stderr
    out = last_json(again)
    assert out["n_trials"] == 2 and "none was run" in out["reason"], out
    text = zoo_main(*[a for a in common if a != "--json"], "--total-trials", "2")   # said without --json too
    assert text.returncode == 0 and "note: the study has 2 trial(s) already" in text.stderr, text.stderr
    more = zoo_main(*common, "--n-trials", "1", "--total-trials", "3")
    assert more.returncode == 0 and last_json(more)["n_trials"] == 3, more.stderr
    done = [line for line in more.stderr.splitlines() if " done " in line]
    # the study's best, this trial's only if better
    assert len(done) == 1 and float(done[0].split("(best ")[1].rstrip(")")) == pytest.approx(min(best, float(
        done[0].split("val loss ")[1].split()[0])), rel=1e-3), more.stderr


def test_search_writes_an_accuracy_in_percent_as_the_search_page_does(tmp_path):
    """The Search page wrote an accuracy study's values in percent while the CLI printed 'val_metric 0.8125'."""
    # lr held: a sampled one (0.304, adamw) once diverged the one trial in CI, which then printed no accuracy
    proc = zoo_main("search", "--model", "mlp", "--epochs", "1", "--limit-train", "64", "--pruner", "none",
                    "--objective", "val_metric", "--n-trials", "1", "--fix", "lr=0.001",
                    "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"trial +0 done +val accuracy \d+\.\d\d%  \(best \d+\.\d\d%\)", proc.stderr), proc.stderr
    assert re.search(r"^best val accuracy \d+\.\d\d% in trial 0 ", proc.stdout, re.M), proc.stdout


def test_train_and_forecast_auto_say_what_the_page_says_beside_the_score(tmp_path):
    """A CLI user's check: a series run printed only its MASE where the page shows it against each baseline, its
    intervals' coverage and why the 95% one is missing; a board kept why its pick is not its top row, and that its
    test scores were of one forecast, to result.json."""
    import numpy as np
    import pandas as pd

    path = tmp_path / "monthly.csv"
    months = pd.date_range("2019-01-01", periods=60, freq="MS")
    pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "sales": (100 + np.arange(60) + 10 * np.sin(
        np.arange(60) * 2 * np.pi / 12)).round(2)}).to_csv(path, index=False)
    proc = zoo_main("train", "--model", "linear", "--epochs", "2", "--horizon", "6", "--data", str(path),
                    "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr   # the lookback fitted to the horizon given (96 was refused)
    assert "The default lookback 96 does not fit this series of 60 rows at horizon 6: using lookback " in proc.stderr
    assert "against the baselines (test RMSE): " in proc.stderr and "linear least squares: RMSE " in proc.stderr
    assert "note: the 95% interval is left out: calibrating it needs at least 19 validation windows" in proc.stderr
    proc = zoo_main("forecast-auto", "--models", "naive", "--horizon", "6", "--test-share", "0.1", "--budget", "30",
                    "--data", str(path), "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert "note: the test scores are of 1 forecast only" in proc.stderr
    assert ("note: the 95% interval is left out: calibrating it needs at least 19 validation origins and there are 6"
            in proc.stderr), proc.stderr
    # a budget that left candidates out: no model of the zoo ranked, and its command may rank others
    proc = zoo_main("forecast-auto", "--horizon", "6", "--test-share", "0.1", "--budget", "0.01", "--data", str(path),
                    "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert "note: none of the zoo's models fit in the 0.01 s budget" in proc.stderr
    assert "Some candidates did not fit in this board's budget: the command gives them the same budget" in proc.stdout


@pytest.mark.parametrize("command", ["train", "search"])
def test_train_and_search_read_a_csv_once_where_the_default_windows_fit_it(tmp_path, monkeypatch, command):
    """The search fitted a CSV's windows by reading it, then read it again to train: on 1,000,000 rows seconds
    and about 250 MB more. Now one read where the defaults fit, as train; three where they do not (the read that
    refused them, the fitting's, the fitted windows'), which happens to short files only (under 120 rows or so)."""
    import numpy as np
    import pandas as pd

    import zoo.data.series as series
    from zoo.cli import main

    reads = []
    real = series.read_series
    monkeypatch.setattr(series, "read_series", lambda *a, **k: reads.append(1) or real(*a, **k))
    for rows, expected in ((400, 1), (120, 3)):
        path = tmp_path / f"s{rows}.csv"
        pd.DataFrame({"t": np.arange(rows), "v": np.sin(np.arange(rows) / 5)}).to_csv(path, index=False)
        reads.clear()
        extra = ("--n-trials", "1") if command == "search" else ()
        assert main([command, "--data", str(path), "--model", "linear", "--epochs", "1", *extra,
                     "--runs-dir", str(tmp_path / "r")]) == 0
        assert len(reads) == expected, (rows, len(reads))


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_search_refused_for_its_data_lets_the_same_name_work_once_put_right(tmp_path, workers):
    """A search whose windows do not fit the CSV made its study before it read the data, so the retry with the
    settings put right was refused: "study 's2' ... was made with other settings (they differ in: lookback)".
    One worker reads the data before it makes the study; workers started by the command read it after, and the
    empty study they leave is the retry's (zoo/search/study.open_study)."""
    import numpy as np
    import pandas as pd

    from zoo.search.storage import study_names

    path = tmp_path / "short.csv"
    pd.DataFrame({"t": np.arange(60), "v": np.sin(np.arange(60))}).to_csv(path, index=False)
    runs = str(tmp_path / "r")
    common = ("search", "--data", str(path), "--model", "linear", "--n-trials", "2", "--epochs", "1", "--study", "s2",
              "--workers", workers, "--runs-dir", runs)
    proc = zoo_main(*common, "--lookback", "50", "--horizon", "24")
    assert proc.returncode == 2 and "horizon 24 needs 24 validation rows" in proc.stderr, proc.stderr
    assert ("s2" in study_names(None, runs)) == (workers == "2")
    proc = zoo_main(*common, "--lookback", "8", "--horizon", "4", "--json")
    assert proc.returncode == 0, proc.stderr
    assert last_json(proc)["n_trials"] == 2 and study_names(None, runs) == ["s2"]


def test_train_fits_the_windows_to_a_csv_the_defaults_do_not_fit_and_keeps_given_ones(tmp_path):
    """A daily CSV of 120 rows ended with "horizon 24 needs 24 validation rows" on the command line, where the
    Forecast page had fitted lookback 28 and horizon 7 (a forecast user's check). Without --lookback and
    --horizon the CLI fits them as the page does and says so; a value given is kept, and its refusal stands."""
    import numpy as np
    import pandas as pd

    from zoo.data.series import read_series, suggest_windows

    days = pd.date_range("2024-01-01", periods=120, freq="D")
    path = tmp_path / "daily.csv"
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"),
                  "visits": 50 + 10 * np.sin(np.arange(120) * 2 * np.pi / 7)}).to_csv(path, index=False)
    fitted = suggest_windows(read_series(path))
    proc = zoo_main("train", "--data", str(path), "--model", "linear", "--epochs", "1", "--json",
                    "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith(f"The default lookback 96 and horizon 24 do not fit this series of 120 rows: using "
                                  f"lookback {fitted['lookback']} and horizon {fitted['horizon']}, as the Forecast page")
    spec = json.loads((Path(last_json(proc)["run_dir"]) / "spec.json").read_text())
    assert (spec["lookback"], spec["horizon"]) == (fitted["lookback"], fitted["horizon"])
    assert spec["windows_fitted"] == ["lookback", "horizon"]   # the page, opening the run, lets them follow
    # One epoch of one batch: the run's verdict is said, as on the page (it ended "finished: completed its one
    # epoch" and nothing more, with a test MASE of 4.1)
    assert not last_json(proc)["verdict"]["better"]
    assert ("warning: finished, but it learned nothing useful: the model forecasts worse than seasonal naive (the "
            "value one season ago) on the test windows (RMSE " in proc.stderr and "more than 100 times as large)"
            in proc.stderr and "Likely cause: it took only 1 optimisation step" in proc.stderr), proc.stderr
    assert "1 batch per epoch" in proc.stderr
    # the score the page leads with, as the page writes it, so that a reproduced run reads against it
    assert f"test MASE {last_json(proc)['metrics']['mase']:.4g} (the best epoch's weights, on the test split); " \
           f"run {last_json(proc)['run_dir']}" in proc.stderr
    proc = zoo_main("train", "--data", str(path), "--model", "linear", "--epochs", "1", "--horizon", "24",
                    "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 2 and "horizon 24 needs 24 validation rows" in proc.stderr, proc.stderr
    assert "do not fit this series" not in proc.stderr
    # a search's shared windows the same way (it refused the file as train did)
    proc = zoo_main("search", "--data", str(path), "--model", "linear", "--n-trials", "1", "--epochs", "1", "--json",
                    "--runs-dir", str(tmp_path / "s"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("The default lookback 96 and horizon 24 do not fit this series of 120 rows: using "
                                  f"lookback {fitted['lookback']} and horizon {fitted['horizon']}")


def test_an_error_under_json_is_a_json_line_too(tmp_path):
    """With --json a script reads the last line of stdout; an error printed nothing there (a CLI user's check).
    The `error:` line stays on stderr, and stdout's last line says the same as JSON. With no command at all: the
    usage and one `error:` line, exit 2 (it printed the usage alone, to stdout)."""
    said = zoo_main("train", "--model", "nope", "--runs-dir", str(tmp_path), "--json")
    assert said.returncode == 2 and said.stderr.strip().startswith("error: ")
    line = json.loads(said.stdout.strip().splitlines()[-1])
    assert line == {"status": "error", "exit": 2, "error": said.stderr.strip().removeprefix("error: ")}
    assert not zoo_main("train", "--model", "nope", "--runs-dir", str(tmp_path)).stdout.strip()
    bare = zoo_main()
    assert bare.returncode == 2 and not bare.stdout.strip()
    assert bare.stderr.strip().splitlines()[-1].startswith("error: give a command: models, train")


def test_train_says_the_windows_and_recipe_the_forecast_page_would_use_as_flags(tmp_path):
    """A forecast user's check: a daily CSV trained on the defaults (lookback 96, horizon 24, 35 optimisation steps)
    scored test MASE 1.97 on the command line and 0.87 on the page, which fits its windows to the series and trains
    on the leaderboard's recipe, and the command line said neither. It says both, as the flags that do it (the
    page's own functions give the same values); run with them, it says nothing more."""
    import numpy as np
    import pandas as pd

    from ui.series_windows import page_training
    from zoo.data.series import make_windows, read_series, suggest_windows
    from zoo.forecast import detect_period

    days = pd.date_range("2023-01-01", periods=731, freq="D")
    path = tmp_path / "daily sales.csv"
    rng = np.random.default_rng(0)
    sales = 200 + 40 * np.sin(np.arange(731) * 2 * np.pi / 7) + rng.normal(0, 5, 731)
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "sales": sales.round(1)}).to_csv(path, index=False)
    sf = read_series(path)
    fitted = suggest_windows(sf)
    ws = make_windows(sf, fitted["lookback"], fitted["horizon"])
    recipe = page_training("linear", len(ws.train_starts), fitted["lookback"], detect_period(ws))
    assert recipe["epochs"] > 5, "the page trains this series on the recipe"
    flags = (f"--lookback {fitted['lookback']} --horizon {fitted['horizon']} --batch-size {recipe['batch_size']} "
             f"--epochs {recipe['epochs']} --patience {recipe['patience']} --lr {recipe['lr']:g} "
             f"--schedule {recipe['schedule']}")
    proc = zoo_main("train", "--data", str(path), "--model", "linear", "--json", "--runs-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert ("note: lookback 96 and horizon 24 (the defaults); the Forecast page would set --lookback "
            f"{fitted['lookback']} --horizon {fitted['horizon']} from this series") in proc.stderr, proc.stderr
    assert f"note: to train as the Forecast page would, add {flags}." in proc.stderr, proc.stderr
    spec = json.loads((Path(last_json(proc)["run_dir"]) / "spec.json").read_text())
    assert (spec["lookback"], spec["horizon"], spec["epochs"]) == (96, 24, 5), "the flags' defaults stay the run's"
    again = zoo_main("train", "--data", str(path), "--model", "linear", *flags.split(), "--json",
                     "--runs-dir", str(tmp_path / "r"))   # exactly as said
    assert again.returncode == 0, again.stderr
    assert "the Forecast page would" not in again.stderr and "recipe" not in again.stderr, again.stderr
    fewer = zoo_main("train", "--data", str(path), "--model", "linear", "--lookback", str(fitted["lookback"]),
                     "--horizon", str(fitted["horizon"]), "--json", "--runs-dir", str(tmp_path / "r"))
    assert "the Forecast page would" not in fewer.stderr, fewer.stderr   # its windows: only the recipe is said
    recipe_flags = "--batch-size " + flags.split("--batch-size ")[1]
    assert ("the leaderboard's recipe for linear, which the Forecast page uses on a series its own settings train so "
            f"little: {recipe_flags}.") in fewer.stderr, fewer.stderr


def test_a_run_cut_off_before_its_first_result_is_refused_in_a_sentence(tmp_path):
    """A CLI user's check: a run directory with its spec.json alone (a process killed while it started), or a
    result.json cut short, ended `summary` and `gradcam` in "internal error (KeyError: 'shape')" with a traceback."""
    from zoo.spec import ExperimentSpec

    cut = tmp_path / "runs" / "20261205-000000Z-cnn-0123456789ab"
    cut.mkdir(parents=True)
    (cut / "spec.json").write_text(ExperimentSpec(model="cnn").to_json())
    for args in (("summary", "--run", str(cut)), ("gradcam", "--run", str(cut), "--index", "0", "--out", str(tmp_path / "c.png"))):
        proc = zoo_main(*args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.strip() == (f"error: run {cut.name} ended (unknown) before its data was read, so it has no "
                                       "model to build; pick another run, or train this one again."), proc.stderr
    (cut / "result.json").write_text('{"status": "runn')
    proc = zoo_main("summary", "--run", str(cut))
    assert proc.returncode == 2 and proc.stderr.strip() == (f"error: {cut.name}/result.json is not readable JSON, so the "
                                                            "run cannot be read; pick another run, or train this one "
                                                            "again."), proc.stderr


def test_dry_run_keeps_a_smaller_sample_limit_and_a_key_set_twice_is_refused(tmp_path):
    """A CLI user's check: `--dry-run --limit-train 50` printed "--limit-train 128" (two batches of 64), raising the
    limit set; and `--set bidirectional=1 --set bidirectional=0` kept the second unsaid, where --search and --fix
    refuse a key given twice."""
    from zoo.runs import load_run

    small = last_json(zoo_main("train", "--dry-run", "--limit-train", "50", "--json", "--runs-dir", str(tmp_path)))
    spec = load_run(small["run_dir"]).spec
    assert spec.limit_train == 50 and spec.epochs == 1 and "--limit-train 50" in spec.cli_command()
    usual = last_json(zoo_main("train", "--dry-run", "--json", "--runs-dir", str(tmp_path)))
    assert load_run(usual["run_dir"]).spec.limit_train == 128   # two batches of 64
    twice = zoo_main("train", "--model", "lstm", "--set", "bidirectional=1", "--set", "bidirectional=0", "--dry-run")
    assert twice.returncode == 2 and twice.stderr.strip() == "error: --set bidirectional is given twice; give it once."


def test_forecast_auto_says_what_the_reader_found_first_and_refuses_an_image_dataset(tmp_path):
    """A CLI user's check: forecast-auto said the reader's notes (the target it chose among them) after the whole
    board, and `--data mnist-sample` read "file 'mnist-sample' does not exist"."""
    proc = zoo_main("forecast-auto", "--data", "ETTh1", "--models", "naive", "--budget", "5", "--runs-dir",
                    str(tmp_path))
    lines = proc.stderr.splitlines()
    plan = next(i for i, line in enumerate(lines) if " candidates, horizon " in line)
    notes = [i for i, line in enumerate(lines) if line.startswith("note: ") and "target" in line]
    assert proc.returncode == 0 and notes and max(notes) < plan, proc.stderr
    image = zoo_main("forecast-auto", "--data", "mnist-sample")
    assert image.returncode == 2 and image.stderr.strip() == (
        "error: mnist-sample is an image dataset; forecast-auto forecasts a series: give --data a CSV, or ETTh1 for "
        "the bundled one."), image.stderr


def test_a_signal_while_the_command_starts_stops_its_board_and_says_so(tmp_path):
    """SIGTERM in the second a command spends importing (torch's modules) killed it with nothing on stdout, no JSON
    line (a CLI user's check), where one a moment later was the app's Stop. Now it is the Stop from the command's
    start: the board ends at once, `stopped` (not `failed`, which it had said, exit 0 beside it), and says why it
    has no pick. The signal is sent as the command's module is imported: the moment it had killed the process."""
    from zoo.runs import load_run

    data = ROOT / "bench" / "data" / "wineind_monthly.csv"
    script = ("import importlib, os, signal, sys\n"
              "from zoo.cli import main\n"
              "real = importlib.import_module\n"
              "def signalled(name, *a):\n"
              "    if name == 'zoo.cli.forecast_auto':\n"
              "        os.kill(os.getpid(), signal.SIGTERM)\n"
              "    return real(name, *a)\n"
              "importlib.import_module = signalled\n"
              f"sys.exit(main(['forecast-auto', '--data', {str(data)!r}, '--models', 'naive', '--runs-dir', "
              f"{str(tmp_path / 'r')!r}, '--json']))\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    run = load_run(result["run_dir"])
    assert result["status"] == run.status == "stopped" and result.get("pick") is None
    assert result["reason"].startswith("stopped by request before any candidate finished, so there is nothing to "
                                       "forecast with"), result["reason"]
    assert {r["note"] for r in run.candidates()} == {"stopped by request before it started"}
    # A command with no run to stop quits, and does not say it is stopping one (a review)
    quits = subprocess.run([sys.executable, "-c", script.replace("zoo.cli.forecast_auto", "zoo.cli.summary").replace(
        f"['forecast-auto', '--data', {str(data)!r}, '--models', 'naive', '--runs-dir', {str(tmp_path / 'r')!r}, "
        "'--json']", "['summary', '--model', 'mlp', '--json']")], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert quits.returncode == 130 and "error: interrupted" in quits.stderr, (quits.returncode, quits.stderr)
    assert "stopping" not in quits.stderr and json.loads(quits.stdout.strip().splitlines()[-1])["exit"] == 130


def test_a_signal_after_the_result_is_printed_leaves_the_exit_status_the_commands(tmp_path):
    """After its JSON line, Python's teardown takes a second or two; a Ctrl-C or SIGTERM there killed the process
    by the signal (exit 143 after a JSON that said `finished`: a CLI user's check). The command's own status
    stands. The signal is sent once the JSON line is read (unbuffered), while the process tears down."""
    import signal

    data = ROOT / "bench" / "data" / "wineind_monthly.csv"
    proc = subprocess.Popen([sys.executable, "-m", "zoo", "forecast-auto", "--data", str(data), "--models", "naive",
                             "--runs-dir", str(tmp_path / "r"), "--json"], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        while line and not line.startswith("{"):
            line = proc.stdout.readline()
        assert json.loads(line)["status"] == "finished"
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, (proc.returncode, err[-2000:])
    assert rest == ""


def test_a_board_no_candidate_of_which_finished_exits_1_with_its_error(tmp_path, monkeypatch):
    """A board that failed (every candidate failed, no stop) had exited 0, `failed` in its JSON alone (a CLI user's
    check): it is a job that ended failed, exit 1 with its `error:` line naming the run, as the README says."""
    from zoo.leaderboard.candidates import Baseline

    def broken(self, board, fit_end, origins, future=False):
        raise RuntimeError("a fault put here by the test")

    monkeypatch.setattr(Baseline, "forecast", broken)
    data = ROOT / "bench" / "data" / "wineind_monthly.csv"
    said = zoo_main("forecast-auto", "--data", str(data), "--models", "naive", "--runs-dir", str(tmp_path / "r"),
                    "--json")
    assert said.returncode == 1, said.stderr
    (run_dir,) = (tmp_path / "r").iterdir()
    assert f"error: no candidate finished (not even the baselines); run {run_dir.name} in {run_dir}" in said.stderr
    last = json.loads(said.stdout.strip().splitlines()[-1])
    assert last["status"] == "error" and last["exit"] == 1
    assert (last["run_id"], last["run_dir"]) == (run_dir.name, str(run_dir))   # as the 130 line names its run


def test_a_runs_command_says_when_the_file_it_read_has_changed_or_gone(tmp_path):
    """A scripting user's check: a board's file edited after it ran, its reproduce command gave another pick's scores
    (test MAE 1.239 where the run said 0.826), and nothing said why. The run keeps the file's size and sha256; its
    command's caveat says when the file is no longer the one it read, for a board and for a one-model run alike."""
    import shutil

    from zoo.runs import load_run, reproduce_caveat

    data = tmp_path / "mine.csv"
    shutil.copy(ROOT / "bench" / "data" / "wineind_monthly.csv", data)
    board = zoo_main("forecast-auto", "--data", str(data), "--models", "naive", "--runs-dir", str(tmp_path / "r"),
                     "--json")
    train = zoo_main("train", "--data", str(data), "--model", "linear", "--epochs", "1", "--runs-dir",
                     str(tmp_path / "r"), "--json")
    assert board.returncode == train.returncode == 0, (board.stderr, train.stderr)
    runs = [load_run(last_json(proc)["run_dir"]) for proc in (board, train)]
    for run in runs:
        assert run.result["data_file"]["bytes"] == data.stat().st_size
        assert reproduce_caveat(run.result, run.is_leaderboard, data=run.data) is None   # the same file
    assert "has changed since" not in board.stderr + train.stderr
    text = data.read_text()
    data.write_text(text.replace(text.splitlines()[-1], text.splitlines()[-1][:-1] + "9"))   # one value edited
    for run in runs:
        assert reproduce_caveat(run.result, run.is_leaderboard, data=run.data) == (
            "`mine.csv` has changed since this run read it: the command reads it as it is now, so its numbers will "
            "differ from these."), run.run_id
    data.unlink()
    assert reproduce_caveat(runs[0].result, True, data=runs[0].data).startswith(
        "The file this run read (`mine.csv`) is no longer there")


def test_runs_lists_every_run_newest_first_as_the_runs_page_does(tmp_path, monkeypatch):
    """A scripting user had no command to list the runs (only the Runs page did): `runs` lists them newest first,
    each as the page's table has it (zoo/run_records.run_record), with its folder and settings under --json; a run
    whose command was killed is listed failed, as the page lists it, not `running` for good."""
    import subprocess as sp

    from zoo.engine import run_experiment
    from zoo.run_health import process_identity
    from zoo.run_records import run_record
    from zoo.runs import list_runs, load_run
    from zoo.spec import ExperimentSpec

    root = tmp_path / "runs"
    image = run_experiment(ExperimentSpec(model="mlp", epochs=1, limit_train=256, batch_size=64), runs_dir=root)
    series = run_experiment(ExperimentSpec(task="series", model="linear", data="ETTh1", epochs=1, limit_train=128,
                                           lookback=24, horizon=6), runs_dir=root)
    killed = run_experiment(ExperimentSpec(model="mlp", epochs=1, limit_train=64, batch_size=64), runs_dir=root)
    gone = sp.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path = Path(killed.run_dir) / "result.json"
    kept = {k: v for k, v in json.loads(path.read_text()).items() if k not in ("reason", "finished", "test_metrics")}
    path.write_text(json.dumps({**kept, "status": "running", "process": {**process_identity(), "pid": int(gone.stdout)}}))

    proc = zoo_main("runs", "--runs-dir", str(root), "--json")
    assert proc.returncode == 0, proc.stderr
    listed = last_json(proc)
    assert listed["runs_dir"] == str(root)
    assert [r["run"] for r in listed["runs"]] == [killed.run_id, series.run_id, image.run_id]   # newest first
    assert listed["runs"][0]["status"].startswith("failed") and load_run(killed.run_dir).status == "failed"
    assert [r["state"] for r in listed["runs"]] == ["failed", "finished", "finished"]   # the stored one, for a script
    page = {r.run_id: run_record(r) for r in list_runs(root)}
    for r in listed["runs"]:
        assert r["run_dir"] == page[r["run"]]["path"] and r["spec"] == page[r["run"]]["spec"]
        assert {k: v for k, v in r.items() if k in ("status", "model", "data", "epochs", "test accuracy", "test MASE")} \
            == {k: page[r["run"]][k] for k in ("status", "model", "data", "epochs", "test accuracy", "test MASE")}
    lines = zoo_main("runs", "--runs-dir", str(root)).stdout.strip().splitlines()   # the same, one line a run
    assert lines[1].startswith(f"{series.run_id}  ") and "linear on ETTh1 (bundled sample) · 1/1 epochs" in lines[1]
    assert f"test MASE {page[series.run_id]['test MASE']:.3f}" in lines[1]
    assert f"test accuracy {100 * page[image.run_id]['test accuracy']:.2f}%" in lines[2]
    only = last_json(zoo_main("runs", "--runs-dir", str(root), "--task", "series", "--json"))
    assert [r["run"] for r in only["runs"]] == [series.run_id]
    missing = zoo_main("runs", "--runs-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "is not a folder; give the folder the runs were written to" in missing.stderr
    # the runs directory a file, set by PLAYGROUND_RUNS_DIR: "internal error (NotADirectoryError ...)", exit 1, with
    # a traceback (a storage-faults check)
    a_file = tmp_path / "runs.txt"
    a_file.write_text("")
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(a_file))
    listed = zoo_main("runs")
    assert listed.returncode == 2 and listed.stderr.strip() == (
        f"error: the runs directory {a_file} (PLAYGROUND_RUNS_DIR) is not a folder; set it to the folder the runs "
        "were written to, or give --runs-dir."), listed.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert zoo_main("runs", "--runs-dir", str(empty)).stdout.strip() == f"no runs in {empty}"


def test_runs_of_one_second_are_listed_by_when_they_began(tmp_path):
    """Run ids of one second differ only in their random part, and three command-line runs of one second were listed
    in a random order (a CI run): within a second, list_runs (the Runs page's and `runs`' order) goes by when each
    began."""
    import shutil

    from zoo.engine import run_experiment
    from zoo.runs import list_runs, patch_result
    from zoo.spec import ExperimentSpec

    made = run_experiment(ExperimentSpec(model="mlp", epochs=1, limit_train=64, batch_size=64), runs_dir=tmp_path / "a")
    root = tmp_path / "runs"
    for suffix, started in (("ffffffffffff", 1000.0), ("aaaaaaaaaaaa", 2000.0), ("cccccccccccc", 1500.0)):
        copy = root / f"20261206-000000Z-mlp-{suffix}"
        shutil.copytree(made.run_dir, copy)
        patch_result(copy, run_id=copy.name, started=started)
    assert [r.run_id[-12:] for r in list_runs(root)] == ["aaaaaaaaaaaa", "cccccccccccc", "ffffffffffff"]


def _strict_json(line: str):
    """JSON as jq and a browser read it: NaN and Infinity are no JSON (Python's own json reads them)."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(line, parse_constant=refuse)


def test_the_json_line_is_strict_json_with_a_number_that_is_not_finite_as_null(monkeypatch):
    import numpy as np

    from zoo.cli import json_line

    value = {"loss": float("inf"), "nan": np.float32("nan"), "t": torch.tensor(float("-inf")), "ok": np.float64(0.5),
             "n": np.int64(3), "rows": [np.array([1.0, np.nan]), (float("nan"), 2)], "path": Path("/x")}
    assert _strict_json(json_line(value)) == {"loss": None, "nan": None, "t": None, "ok": 0.5, "n": 3,
                                              "rows": [[1.0, None], [None, 2]], "path": "/x"}
    # Through the command line: every command's --json line is written so (a stand-in command's result here, as
    # which commands can meet an overflow varies: a summary's activation memory past its limit is math.inf)
    monkeypatch.setattr("zoo.cli.models.run", lambda args: {"activation_bytes": float("inf")})
    proc = zoo_main("models", "--json")
    assert proc.returncode == 0, proc.stderr
    assert _strict_json(proc.stdout.strip().splitlines()[-1]) == {"activation_bytes": None}
