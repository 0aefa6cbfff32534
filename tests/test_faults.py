"""Faults, and nothing lost: the server killed in mid-run (its worker ends within seconds, the run is
`failed` with its epochs and checkpoint, a restarted server lists it), a read-only or full runs
directory (one clear message, the run `failed`, the server still serving). A worker killed in
mid-epoch is tests/test_jobs_ui.py's test_a_killed_training_worker_marks_its_run_failed_...
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser import start_app
from tests.conftest import ROOT, wait_for
from zoo.spec import ExperimentSpec

pytestmark = pytest.mark.browser


def start_server(runs: Path, log: Path) -> tuple[subprocess.Popen, str]:
    server = start_app(runs, log)
    return server.process, server.url


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:   # a zombie is not training
        return fh.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_killed_server_leaves_no_worker_training_and_a_restart_marks_its_run_failed(visitor_tabs, tmp_path):
    from tests.browser import open_train, set_slider
    from zoo.runs import load_run

    runs, log = tmp_path / "runs", tmp_path / "server.log"
    server, url = start_server(runs, log)
    context = visitor_tabs
    try:
        page = context.new_page()
        open_train(page, url)
        set_slider(page, "train-settings-epochs", "End")
        set_slider(page, "train-settings-patience", "Home")
        page.get_by_role("button", name="Start training").click()
        run_id = page.wait_for_function("() => new URLSearchParams(location.search).get('run')").json_value()
        run_dir = runs / run_id
        wait_for(lambda: (run_dir / "metrics.csv").exists() and len(load_run(run_dir).epoch_rows()) >= 1,
                   120, "a finished epoch")
        worker = load_run(run_dir).result["process"]["pid"]
        assert alive(worker)

        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        killed = time.time()
        wait_for(lambda: not alive(worker), 15, "the orphaned worker to end")
        assert time.time() - killed < 10
        run = load_run(run_dir)
        assert run.status == "failed" and "server" in run.result["reason"]
        assert run.epoch_rows() and run.model is not None   # its epochs and best checkpoint are kept

        # A run the killed server left saying `running` (its process gone): the restart marks it failed.
        stale = runs / "20260101-000000-cnn-0123456789ab"
        stale.mkdir()
        (stale / "spec.json").write_text(ExperimentSpec().to_json())
        gone = subprocess.Popen(["true"])
        gone.wait()
        (stale / "result.json").write_text(json.dumps({"status": "running", "process": {
            "host": os.uname().nodename, "pid": gone.pid, "pid_started": "1"}}))
        server, url = start_server(runs, log)
        page.goto(f"{url}/runs")
        page.get_by_text(run_id).first.wait_for(state="attached", timeout=60_000)   # a cell of the runs table
        assert json.loads((stale / "result.json").read_text())["status"] == "failed"
        assert load_run(run_dir).status == "failed"
        assert "Traceback" not in log.read_text()
    finally:
        server.kill()


@pytest.fixture
def unwritable(tmp_path):
    """A runs directory nobody may write: a read-only tmpfs as root (permissions do not stop root),
    a directory without write permission otherwise."""
    path = tmp_path / "read-only-runs"
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        yield path
        path.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot make a read-only runs directory here (mount: {mounted.stderr.decode().strip()})")
    yield path
    subprocess.run(["umount", str(path)], check=False)


def test_a_read_only_runs_directory_is_one_clear_error_in_the_cli_and_a_failed_job(unwritable, tmp_path):
    from zoo.jobs import JobManager, submit_training

    proc = subprocess.run([sys.executable, "-m", "zoo", "train", "--dry-run", "--runs-dir", str(unwritable)],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "cannot write the run's files" in lines[0] and "make the runs directory writable" in lines[0]

    manager = JobManager(max_running=2, per_owner=2)
    try:
        job = submit_training(manager, ExperimentSpec(epochs=1, limit_train=256), owner="a", runs_dir=unwritable)
        manager.wait(job.id, timeout=120)
        assert job.status == "failed" and "cannot write the run's files" in job.reason
        assert job.state.get("traceback") is None     # a fault of the place, not of the program: no traceback
        # The job runner still serves: the next job, in a writable directory, trains.
        ok = submit_training(manager, ExperimentSpec(epochs=1, limit_train=256), owner="a", runs_dir=tmp_path / "ok")
        manager.wait(ok.id, timeout=120)
        assert ok.status == "finished", ok.reason
    finally:
        manager.shutdown()


@pytest.fixture
def tiny_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("a full disk is made with a tiny tmpfs, which needs root")
    path = tmp_path / "tiny"
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.decode().strip()})")
    yield path
    subprocess.run(["umount", str(path)], check=False)


@pytest.mark.parametrize("command", [("train", "--dry-run"),
                                     ("forecast-auto", "--data", str(ROOT / "tests" / "csv_corpus" / "clean.csv"),
                                      "--models", "linear_ls", "--budget", "30")])
def test_a_full_disk_fails_the_run_with_one_clear_error(tiny_disk, command):
    """forecast-auto had ended "internal error (OSError: ...)", exit 1, with a traceback (a CLI user's check)."""
    if command[0] == "forecast-auto":   # the board's start fits; its tables do not
        (tiny_disk / "ballast").write_bytes(b"x" * 40_000)
    proc = subprocess.run([sys.executable, "-m", "zoo", *command, "--runs-dir", str(tiny_disk)],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert lines[-1].startswith("error: cannot write the run's files") and "No space left" in lines[-1]
    assert "Traceback" not in proc.stderr
    from zoo.runs import list_runs

    runs = list_runs(tiny_disk)
    assert [r.status for r in runs] in ([], ["failed"])   # failed where the disk let it say so


def test_on_the_hosted_demo_a_runs_directory_that_cannot_be_written_names_no_server_path(unwritable, monkeypatch):
    """A storage-faults check: on the hosted demo, a full disk showed a visitor the runs directory's path and
    "PLAYGROUND_RUNS_DIR or --runs-dir says where it is", advice only the operator can take."""
    from zoo.runs import RunFilesError, RunWriter
    from zoo.search.storage import journal_files_error

    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    with pytest.raises(RunFilesError) as err:
        RunWriter(unwritable, ExperimentSpec(epochs=1))
    said = str(err.value)
    assert said == ("this demo's server cannot write the run's files now (Read-only file system); nothing of yours "
                    "that finished is lost: try again later, and tell the demo's operator if it goes on.")
    journal = unwritable / "optuna" / "journal.log"
    with pytest.raises(OSError) as refused:   # the same read-only disk, under the study journal
        journal.parent.mkdir()
    assert str(journal_files_error(str(journal), refused.value)) == said


def test_on_the_hosted_demo_an_upload_that_cannot_be_kept_names_no_server_path(unwritable, monkeypatch):
    """A re-check: on the hosted demo, an upload on a full disk read "cannot keep the upload in <runs>/uploads/<the
    visitor's folder> (...); make the runs directory writable", a server path and the operator's advice."""
    from zoo import forecast_io as fio
    from zoo.registry import SpecError

    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    with pytest.raises(SpecError) as err:
        fio.store_upload(b"date,v\n2024-01-01,1\n", "sales.csv", unwritable, owner="a" * 24)
    assert str(err.value) == ("this demo's server cannot keep your upload now (Read-only file system); try again "
                              "later, and tell the demo's operator if it goes on.")
