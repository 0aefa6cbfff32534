"""The job runner: worker processes, caps and queue, stop, and failures reported as `failed`."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

from zoo.jobs import JobManager, submit_training
from zoo.spec import ExperimentSpec


@pytest.fixture
def manager():
    m = JobManager(max_running=1, per_owner=1)
    yield m
    m.shutdown()


def test_jobs_beyond_the_cap_wait_in_a_queue_and_run_in_turn(manager, runs_dir, caplog):
    caplog.set_level("INFO", logger="playground")
    quick = ExperimentSpec(epochs=1, limit_train=256)
    first = submit_training(manager, quick, owner="a", runs_dir=runs_dir)
    second = submit_training(manager, quick, owner="b", runs_dir=runs_dir)
    third = submit_training(manager, quick, owner="b", runs_dir=runs_dir)
    assert first.status == "starting"
    assert (manager.queue_position(second.id), manager.queue_position(third.id)) == (1, 2)
    manager.stop(third.id)
    assert third.status == "stopped" and manager.queue_position(third.id) is None
    manager.wait(first.id, timeout=120)
    manager.wait(second.id, timeout=120)
    assert first.status == second.status == "finished"
    assert second.started >= first.ended - 1.0, "the second job started only after the first ended"
    snap = first.snapshot()
    assert snap["state"]["epoch_rows"] and snap["state"]["batch_losses"]
    assert (runs_dir / first.id / "best.pt").exists(), "the job id is the run id"
    # each job's start and end in the server's log (an operator's check found nothing there)
    said = [r.getMessage() for r in caplog.records if r.name == "playground"]
    assert f"job {third.id} ended stopped: stopped before it started" in said
    for job in (first, second):
        assert f"job {job.id} started (train, visitor {job.owner})" in said
        assert any(line.startswith(f"job {job.id} ended finished after ") for line in said), said


def test_a_job_that_raises_shows_failed_with_its_message(manager, runs_dir, tmp_path, monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    spec = ExperimentSpec(data="mnist", epochs=1)
    job = manager.submit("zoo.worker:train",
                         {"spec": spec.to_dict(), "runs_dir": str(runs_dir), "data_dir": str(tmp_path / "empty"),
                          "run_id": "r1"}, owner="a", job_id="r1")
    # The worker inherits the unreachable proxy: the download fails at once, whatever the network.
    manager.wait(job.id, timeout=120)
    assert job.status == "failed"
    assert "could not be downloaded" in job.reason or "not in" in job.reason


def _demo_setting(payload, emit, should_stop):
    return os.environ.get("PLAYGROUND_DEMO")


def _evaluates_for_ever(payload, emit, should_stop):
    """A job that goes on past its Stop (a run evaluating its best weights after the wall-time cap, say)."""
    import time

    while True:
        should_stop()
        time.sleep(0.05)


def test_a_job_running_past_the_wall_time_cap_and_its_grace_is_ended_by_the_server(manager, monkeypatch):
    """A demo visitors' check: a run past a 30 s cap went on evaluating for 120 s more, holding its worker and one of
    the server's job slots; the cap was a Stop the job asks for between batches. Past the cap and its grace the
    server ends the worker, saying why, as stopped; outside demo mode nothing is ended."""
    import time

    from zoo import demo

    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    monkeypatch.setenv("PLAYGROUND_CAP_WALL_SECONDS", "1")
    monkeypatch.setattr(demo, "WALL_GRACE_MIN_S", 2.0)
    job = manager.submit("tests.test_jobs:_evaluates_for_ever", {}, owner="a", job_id="long")
    manager.wait(job.id, timeout=90)
    assert job.status == "stopped", (job.status, job.reason)
    assert job.reason == ("stopped by the hosted demo's wall-time cap (1 s per job): it had not ended 2 s after it "
                          "(evaluating its best weights, say), so its worker was ended there; what it had finished "
                          "is kept")
    assert 3.0 <= job.ended - job.started < 60
    monkeypatch.delenv("PLAYGROUND_DEMO")
    free = manager.submit("tests.test_jobs:_evaluates_for_ever", {}, owner="a", job_id="free")
    time.sleep(5)
    assert free.active   # no cap outside the demo (the fixture's shutdown ends it)


def _until_stopped(payload, emit, should_stop):
    import time

    while not should_stop():
        time.sleep(0.05)
    return {"status": "stopped"}


def test_on_the_demo_a_visitor_holds_no_more_jobs_than_the_cap_whoever_submits_them(manager, monkeypatch):
    """A demo visitors' check: the jobs-per-visitor cap was a page's Start turned off; jobs submitted otherwise (a
    script, two tabs at once) queued past it, each counted in the other visitors' queue positions. The job runner
    refuses them, saying why, and a search's workers are refused all together; outside the demo a person's own jobs
    wait in the queue as before."""
    from zoo.registry import SpecError

    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    first = manager.submit("tests.test_jobs:_until_stopped", {}, owner="a", job_id="a1")
    other = manager.submit("tests.test_jobs:_until_stopped", {}, owner="b", job_id="b1")
    assert other.status == "queued"
    with pytest.raises(SpecError, match="you have 1 job queued or running, and a visitor may hold 1 at a time on "
                                        "this demo; stop one, or wait for it to end"):
        manager.submit("tests.test_jobs:_until_stopped", {}, owner="a", job_id="a2")
    with pytest.raises(SpecError, match=r"you have 0 jobs .* \(2 more asked\)"):
        manager.check_room_for("c", 2)
    assert [j.id for j in manager.jobs()] == ["a1", "b1"] and manager.queue_position("b1") == 1
    manager.stop(first.id)
    manager.wait(first.id, timeout=60)
    assert manager.submit("tests.test_jobs:_until_stopped", {}, owner="a", job_id="a2").status == "queued"
    monkeypatch.delenv("PLAYGROUND_DEMO")
    assert manager.submit("tests.test_jobs:_until_stopped", {}, owner="b", job_id="b2").status == "queued"
    for job in manager.jobs():
        manager.stop(job.id)


@pytest.mark.parametrize("exact", [True, False])
def test_a_local_worker_has_the_servers_settings_not_those_its_forkserver_started_with(exact):
    """A local worker is forked from a forkserver holding the environment of when it started: a
    PLAYGROUND_DEMO since unset must not cap its jobs (zoo/launch.py passes exact_settings). A Ray
    node keeps its own settings when the server has none (exact_settings off)."""
    code = ("import queue, threading; from zoo.worker import main; q = queue.Queue(); "
            f"main('tests.test_jobs:_demo_setting', {{}}, q, threading.Event(), None, {{}}, exact_settings={exact}); "
            "print(q.get()['result'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "PLAYGROUND_DEMO": "1"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == ("None" if exact else "1")


def test_a_ray_job_whose_server_is_out_of_reach_ends_failed_not_stopped(tmp_path, monkeypatch):
    """zoo/worker.py's `main` with a stop event shaped as a Ray job's Outbox (zoo/ray_worker.py) whose
    hub, and so the server, is out of reach (`server_gone`): the run ends at its first batch, failed and
    saying why, as a local worker's orphaned run does; before, it read as a person's Stop, or trained on."""
    import queue

    from zoo import worker
    from zoo.runs import load_run
    from zoo.worker import main

    # main() runs here, in the test process: it must not lower this process's priority for every later test
    monkeypatch.setattr(worker, "_lower_priority", lambda: None)

    class OutOfReach:
        def is_set(self) -> bool:
            return False

        def server_gone(self) -> bool:
            return True

    events = queue.Queue()
    spec = ExperimentSpec(model="mlp", epochs=3, limit_train=256)
    main("zoo.worker:train", {"spec": spec.to_dict(), "runs_dir": str(tmp_path)}, events, OutOfReach())
    last = [events.get_nowait() for _ in range(events.qsize())][-1]
    assert last["type"] == "done" and last["result"]["status"] == "failed", last
    run = load_run(last["result"]["run_dir"])
    assert run.status == "failed" and run.result["reason"] == "the server that ran this job went away during epoch 1"


def test_a_fit_stopped_by_a_gone_server_is_a_stop_to_its_caller_and_a_failed_run(tmp_path):
    """The dead server's stop ends a run `failed` in its one write (run_experiment), but `fit` returns
    `stopped` as for any stop: a leaderboard's fold or a search trial must not take the half-trained
    model as a finished fit."""
    from zoo.engine import fit, run_experiment
    from zoo.worker import SERVER_GONE, ServerGone

    spec = ExperimentSpec(model="mlp", epochs=3, limit_train=256)
    gone = lambda: ServerGone(SERVER_GONE)   # noqa: E731
    assert fit(spec, should_stop=gone).status == "stopped"
    result = run_experiment(spec, runs_dir=tmp_path, should_stop=gone)
    assert result.status == "failed" and result.reason == f"{SERVER_GONE} during epoch 1"


@pytest.mark.parametrize("while_reading", ["metrics.csv", "best.pt", "result.json"])
def test_a_run_file_send_is_a_state_the_run_was_in(tmp_path, monkeypatch, while_reading):
    """A Ray job sends its run files back every second (zoo/run_transfer.changed_files). An epoch that improves
    writes best.pt, result.json and metrics.csv, every epoch again: a send that read result.json, then a best.pt
    saved since, delivered "best epoch 1" beside epoch 2's weights, and a worker killed before the next send left
    the run so (a review); one that read metrics.csv, then best.pt, the checkpoint without its row. Whichever
    file an epoch ends while the send reads, the server's copy, ended as a dead worker's run is, names the epoch
    its checkpoint holds, with that epoch's row; and files arrive in the order the run wrote them."""
    import pathlib

    import torch

    from zoo.run_transfer import changed_files, receive_file
    from zoo.runs import RUN_FILES, WRITE_ORDER, RunWriter, end_run, load_run

    assert sorted(WRITE_ORDER) == sorted(RUN_FILES)
    writer = RunWriter(tmp_path / "node", ExperimentSpec(epochs=3))
    writer.write_result({"status": "running"})

    def epoch(n: int, improved: bool) -> None:   # as zoo/engine.py ends an epoch
        row = {"epoch": n, "train_loss": 1 / n, "val_loss": 1 / n}
        if improved:
            writer.save_best({"w": torch.full((1,), float(n))}, epoch=n, value=1 / n, row=row)
        writer.append_metrics(row)

    def send() -> list:
        files = changed_files(tmp_path / "node", seen)
        for run_id, name, data in files:
            receive_file(tmp_path / "server", run_id, name, data)
        return [name for _, name, _ in files]

    epoch(1, True)
    seen: dict = {}
    assert send() == [n for n in WRITE_ORDER if (writer.path / n).exists()]   # as the run wrote them
    epoch(2, True)
    real_read = pathlib.Path.read_bytes

    ended = []

    def read_bytes(path):   # epoch 3 ends while the send reads one file
        data = real_read(path)
        if path.name == while_reading and not ended:
            ended.append(path.name)
            epoch(3, True)
        return data

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    send()
    monkeypatch.undo()
    server_run = tmp_path / "server" / writer.run_id
    end_run(server_run, "failed", "the Ray worker died")   # no send after this one
    run = load_run(server_run)
    held = int(torch.load(server_run / "best.pt", weights_only=True)["w"].item())
    assert run.result["best_epoch"] == held, f"best.pt of epoch {held} named epoch {run.result['best_epoch']}"
    rows = [r["epoch"] for r in run.epoch_rows()]
    assert ended and held in rows and run.result["epochs_run"] == len(rows), (held, rows, run.result)


def test_two_checkpoints_of_one_size_in_one_clock_tick_are_two_versions(tmp_path):
    """changed_files knows a file changed by its stat: two best.pt of one size written within the clock's
    resolution read as one, and the newer one was not sent (a review). Each atomic write is a new inode."""
    from zoo.run_transfer import _stat_key
    from zoo.runs import atomic_write_bytes

    path = atomic_write_bytes(tmp_path / "best.pt", b"a" * 64)
    first, stat = _stat_key(path), os.stat(path)
    atomic_write_bytes(path, b"b" * 64)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))   # the same time, as within one tick
    assert _stat_key(path) != first


def test_only_a_fault_of_the_runs_disk_is_said_as_one(tmp_path):
    """A board whose helper process could not start (ENOMEM) had been told to free disk space (a review)."""
    import errno

    from zoo.runs import is_files_fault

    assert is_files_fault(OSError(errno.ENOSPC, "No space left on device"))
    assert is_files_fault(OSError(errno.EROFS, "Read-only file system"))
    assert is_files_fault(FileNotFoundError(errno.ENOENT, "gone", str(tmp_path / "run" / "best.pt")), tmp_path)
    assert not is_files_fault(OSError(errno.ENOMEM, "Cannot allocate memory"), tmp_path)
    assert not is_files_fault(FileNotFoundError(errno.ENOENT, "gone", "/usr/bin/missing"), tmp_path)


def test_the_listing_state_moves_when_a_run_appears_moves_on_ends_or_goes(tmp_path):
    """What the Runs page watches to show a run the CLI started (ui/live.follow_live_jobs)."""
    import shutil

    from zoo.runs import METRICS, RESULT, RunWriter, listing_state

    assert listing_state(tmp_path / "none yet") == ()
    writer = RunWriter(tmp_path, ExperimentSpec(epochs=1))
    os.utime(writer.path / METRICS, ns=(1, 1))
    started = listing_state(tmp_path)
    assert started == ((writer.run_id, (0, 1, 0)),)
    assert listing_state(tmp_path) == started, "nothing changed, nothing moves"
    writer.append_metrics({"epoch": 1})   # an epoch's row: the table's epochs column moves on
    os.utime(writer.path / METRICS, ns=(2, 2))
    assert listing_state(tmp_path) == ((writer.run_id, (0, 2, 0)),)
    writer.write_result({"status": "finished"})
    os.utime(writer.path / RESULT, ns=(3, 3))
    assert listing_state(tmp_path) == ((writer.run_id, (3, 2, 0)),)
    shutil.rmtree(writer.path)
    assert listing_state(tmp_path) == ()
