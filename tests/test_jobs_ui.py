"""zoo.jobs as the pages use it: jobs that raise or whose worker dies end `failed` with a message,
the queue says where a job waits, stop works, and the live state stays bounded.

Most jobs here run tiny targets defined below (the worker imports this module, not torch), so a
job costs a process start, not a training run. One test trains for real and kills the worker.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.conftest import wait_for
from zoo.jobs import MAX_BATCH_POINTS, WORKER_NICE, JobManager, reduce_training, submit_training

HERE = "tests.test_jobs_ui"


# ------------------------------------------------------------------ targets (run in the worker process)

def raises(payload, emit, should_stop):
    emit({"type": "progress", "step": 1})
    raise RuntimeError(payload.get("message", "boom"))


def leaves_its_run_running(payload, emit, should_stop):
    """A run whose last write the disk refused: result.json still says `running` when the worker reports."""
    from zoo.runs import RunWriter
    from zoo.spec import ExperimentSpec

    writer = RunWriter(payload["runs_dir"], ExperimentSpec(), payload["run_id"])
    writer.write_result({"status": "running"})
    raise OSError(28, "No space left on device")


def raises_user_error(payload, emit, should_stop):
    from zoo.registry import SpecError

    raise SpecError("mnist is not in /nowhere; put the IDX files there, or use mnist-sample.\nsecond line")


def waits(payload, emit, should_stop):
    """Emit a heartbeat until asked to stop (or a time limit), then report how it ended."""
    deadline = time.time() + payload.get("limit", 60)
    while time.time() < deadline:
        if should_stop():
            return {"status": "stopped", "reason": "stopped by request"}
        emit({"type": "tick"})
        time.sleep(0.05)
    return {"status": "finished", "reason": "time limit"}


def slow_start(payload, emit, should_stop):
    time.sleep(60)  # like importing torch and loading data: no stop checks yet


def starts_and_marks(payload, emit, should_stop):
    emit({"type": "start"})   # the job is running once the server reads this
    time.sleep(1)   # (the queue's feeder thread sends it meanwhile)
    Path(payload["marker"]).touch()
    time.sleep(60)


def reports_niceness(payload, emit, should_stop):
    return {"status": "finished", "niceness": os.nice(0)}


def reports_threads(payload, emit, should_stop):
    """Report torch's thread count as the engine would see it."""
    import torch

    deadline = time.time() + 60
    while time.time() < deadline and not should_stop():
        emit({"type": "threads", "threads": torch.get_num_threads()})
        time.sleep(0.1)
    return {"status": "stopped"}


@pytest.fixture
def manager():
    m = JobManager(max_running=2, per_owner=1)
    yield m
    m.shutdown()


# ------------------------------------------------------------------ failures

def test_a_job_that_raises_ends_failed_with_its_message(manager):
    job = manager.submit(f"{HERE}:raises", {"message": "the model blew a fuse"}, owner="a")
    manager.wait(job.id, timeout=60)
    assert job.status == "failed"
    assert job.reason == "the model blew a fuse"
    assert "RuntimeError" in job.state["traceback"]  # a program fault: the page offers the traceback
    assert job.ended is not None and not job.active


def test_a_run_a_failed_job_left_running_ends_failed_on_disk(manager, runs_dir):
    """The server marks the run of a job that failed, where the worker's own last write did not happen (the Runs
    page had said `running` for it until the server restarted: a review)."""
    from zoo.runs import load_run, new_run_id
    from zoo.spec import ExperimentSpec

    run_id = new_run_id(ExperimentSpec())
    job = manager.submit(f"{HERE}:leaves_its_run_running", {"runs_dir": str(runs_dir), "run_id": run_id}, owner="a")
    manager.wait(job.id, timeout=60)
    run = load_run(runs_dir / run_id)
    assert job.status == run.status == "failed" and "No space left on device" in run.result["reason"]


def test_a_user_error_fails_with_its_one_line_message_and_no_traceback(manager):
    job = manager.submit(f"{HERE}:raises_user_error", {}, owner="a")
    manager.wait(job.id, timeout=60)
    assert job.status == "failed"
    assert job.reason == "mnist is not in /nowhere; put the IDX files there, or use mnist-sample."
    assert job.state["traceback"] is None  # bad input, not a bug: nothing to report


def test_a_killed_worker_ends_failed_and_the_queue_moves_on(manager):
    first = manager.submit(f"{HERE}:waits", {"limit": 60}, owner="a")
    second = manager.submit(f"{HERE}:waits", {"limit": 0.2}, owner="a")  # same owner: waits for the first
    wait_for(lambda: first.status == "running" or first.state.get("events"), what="the first job to run")
    assert second.status == "queued"
    assert manager.queue_position(second.id) == 1
    first._handle.process.kill()
    manager.wait(first.id, timeout=30)
    assert first.status == "failed"
    assert "worker process was killed by SIGKILL" in first.reason
    manager.wait(second.id, timeout=60)
    assert second.status == "finished"  # the app keeps working: the next job ran


def test_a_killed_training_worker_marks_its_run_failed_and_keeps_the_checkpoint(manager, runs_dir):
    import torch

    from zoo.runs import load_run
    from zoo.spec import ExperimentSpec

    spec = ExperimentSpec(model="cnn", epochs=200, patience=0, limit_train=512)
    job = submit_training(manager, spec, owner="a", runs_dir=runs_dir)
    wait_for(lambda: job.state.get("epoch_rows"), timeout=120, what="a first finished epoch")
    job._handle.process.kill()
    manager.wait(job.id, timeout=30)
    assert job.status == "failed" and "killed by SIGKILL" in job.reason
    run = load_run(runs_dir / job.id)
    assert run.status == "failed" and "killed by SIGKILL" in run.result["reason"]
    assert len(run.epoch_rows()) >= 1, "the epochs it finished are kept"
    state = torch.load(runs_dir / job.id / "best.pt", weights_only=True)
    run.model.load_state_dict(state)  # a complete checkpoint, not half a file
    # and it says so: the epochs finished and the one its checkpoint holds (the Train page read "best epoch —"
    # and "epochs completed —" beside a chart of 5 epochs: a fault check)
    assert run.result["epochs_run"] == len(run.epoch_rows())
    assert 1 <= run.result["best_epoch"] <= run.result["epochs_run"] and not run.untrained


def test_a_run_ended_from_outside_says_the_epochs_on_disk_and_the_one_its_checkpoint_holds(runs_dir):
    """zoo/runs.end_run, for a worker that died: epochs_run from metrics.csv, best_epoch as RunWriter.save_best
    recorded it with the checkpoint; a run killed in its first epoch holds the initial weights (untrained)."""
    import torch

    from zoo.runs import RunWriter, end_run, load_run
    from zoo.spec import ExperimentSpec

    spec = ExperimentSpec(model="mlp", epochs=9)
    for finished in (3, 0):
        writer = RunWriter(runs_dir, spec)
        writer.write_result({"status": "running"})
        writer.save_best({"w": torch.zeros(2)})   # epoch 0's: the initial weights
        for epoch in range(1, finished + 1):
            writer.append_metrics({"epoch": epoch, "train_loss": 1.0, "val_loss": 1.0 / epoch})
            if epoch <= 2:
                writer.save_best({"w": torch.full((2,), float(epoch))}, epoch=epoch, value=1.0 / epoch)
        assert end_run(writer.path, "failed", "the worker process was killed by SIGKILL")
        run = load_run(writer.path)
        assert (run.result["epochs_run"], run.result["best_epoch"]) == ((3, 2) if finished else (0, 0))
        assert run.untrained == (not finished)
        assert torch.load(writer.path / "best.pt", weights_only=True)["w"][0] == min(finished, 2)
    # killed before its first checkpoint: no weights, so no epoch is claimed for them (a review)
    writer = RunWriter(runs_dir, spec)
    writer.write_result({"status": "running"})
    assert end_run(writer.path, "failed", "killed") and "best_epoch" not in load_run(writer.path).result
    # a leaderboard has no epochs (its Runs row read "best epoch 0")
    from zoo.runs import BoardWriter

    board = BoardWriter(runs_dir, {"data": "ETTh1"})
    board.write_result({"status": "running"})
    assert end_run(board.path, "failed", "killed") and "best_epoch" not in load_run(board.path).result


@pytest.mark.parametrize("stopped_in", ["the record", "best.pt", "best_epoch", "the row"])
def test_a_run_stopped_anywhere_in_an_epochs_save_names_the_epoch_its_checkpoint_holds(runs_dir, monkeypatch,
                                                                                      stopped_in):
    """RunWriter.save_best and the row after it are four writes: a process stopped in any of them leaves end_run
    a run whose best_epoch is the epoch best.pt holds and whose metrics.csv has that epoch's row. A kill after the
    checkpoint, before its row, had left best_epoch 2 beside one row (CI); one after best.pt, before best_epoch,
    a run naming epoch 1 for epoch 2's weights (a review)."""
    import torch

    import zoo.runs
    from zoo.runs import RunWriter, end_run, load_run
    from zoo.spec import ExperimentSpec

    writer = RunWriter(runs_dir, ExperimentSpec(model="mlp", epochs=9))
    writer.write_result({"status": "running"})
    rows = [{"epoch": e, "train_loss": 1.0, "val_loss": 1.0 / e} for e in (1, 2)]
    writer.save_best({"w": torch.zeros(2)}, epoch=1, value=1.0, row=rows[0])
    writer.append_metrics(rows[0])
    real_patch, real_write = zoo.runs.patch_result, zoo.runs.atomic_write_bytes

    def patch(run_dir, **changes):
        if stopped_in == "the record" or (stopped_in == "best_epoch" and "best_epoch" in changes):
            raise KeyboardInterrupt   # the second Ctrl-C: the write does not happen
        return real_patch(run_dir, **changes)

    def write(path, payload):
        if stopped_in == "best.pt" and path.name == "best.pt":
            raise KeyboardInterrupt
        return real_write(path, payload)

    monkeypatch.setattr(zoo.runs, "patch_result", patch)
    monkeypatch.setattr(zoo.runs, "atomic_write_bytes", write)
    try:
        writer.save_best({"w": torch.ones(2)}, epoch=2, value=0.5, row=rows[1])
    except KeyboardInterrupt:
        pass
    monkeypatch.undo()
    assert end_run(writer.path, "failed", "the worker process was killed by SIGKILL")
    run = load_run(writer.path)
    held = int(torch.load(writer.path / "best.pt", weights_only=True)["w"][0]) + 1
    assert held == (2 if stopped_in in ("best_epoch", "the row") else 1)
    assert (run.result["best_epoch"], run.result["epochs_run"]) == (held, held)
    assert run.result["best_value"] == 1.0 / held and "checkpoint_record" not in run.result
    assert [r["epoch"] for r in run.epoch_rows()] == list(range(1, held + 1))


def test_two_processes_ending_one_run_write_its_last_row_once(runs_dir):
    """The server that saw its worker die and another process's recover_interrupted may end a run at once: end_run
    waits for the run directory's lock (each had counted the rows, then both wrote the missing one). A half row
    that a full disk left is cut before the row is written."""
    import threading

    import torch

    from zoo.runs import RunWriter, _locked, end_run, load_run
    from zoo.spec import ExperimentSpec

    writer = RunWriter(runs_dir, ExperimentSpec(model="mlp", epochs=9))
    writer.write_result({"status": "running"})
    row = {"epoch": 1, "train_loss": 1.0, "val_loss": 0.5}
    writer.save_best({"w": torch.ones(2)}, epoch=1, value=0.5, row=row)
    with open(writer.path / "metrics.csv", "a") as fh:
        fh.write("1,1.0,0.")   # the disk refused the rest
    ended = []
    with _locked(writer.path):
        other = threading.Thread(target=lambda: ended.append(end_run(writer.path, "failed", "killed")))
        other.start()
        other.join(0.5)
        assert other.is_alive() and not ended, "end_run waits for the run directory's lock"
    other.join(10)
    assert ended == [True] and not end_run(writer.path, "failed", "killed again")
    run = load_run(writer.path)
    assert [r["epoch"] for r in run.epoch_rows()] == [1] and run.result["epochs_run"] == 1
    assert len(run.metrics) == 1   # pandas reads the file
    # its metrics.csv gone: the ending is written all the same (end_run had raised, leaving it `running`)
    again = RunWriter(runs_dir, ExperimentSpec(model="mlp", epochs=9))
    again.write_result({"status": "running"})
    again.save_best({"w": torch.ones(2)}, epoch=1, value=0.5, row=row)
    (again.path / "metrics.csv").unlink()
    assert end_run(again.path, "failed", "killed") and load_run(again.path).status == "failed"


# ------------------------------------------------------------------ queue, stop, caps

def test_queue_positions_under_the_server_cap(manager):
    jobs = [manager.submit(f"{HERE}:waits", {"limit": 60}, owner=f"user{i}") for i in range(4)]
    wait_for(lambda: manager.running_count() == 2, what="two running jobs")
    assert [j.status for j in jobs[2:]] == ["queued", "queued"]
    assert [manager.queue_position(j.id) for j in jobs] == [None, None, 1, 2]
    manager.stop(jobs[2].id)  # a queued job never starts
    assert jobs[2].status == "stopped" and "before it started" in jobs[2].reason
    assert manager.queue_position(jobs[3].id) == 1
    manager.stop(jobs[0].id)
    manager.wait(jobs[0].id, timeout=30)
    assert jobs[0].status == "stopped"
    wait_for(lambda: jobs[3].status in ("starting", "running"), what="the queued job to start")


def test_a_queue_left_by_a_killed_server_is_said_at_its_runs_address_and_a_live_ones_is_left(tmp_path):
    """A job queued behind the server's cap has no run directory yet: a server killed and restarted lost it, and
    its address said "there is no run ...: it was deleted" (a demo visitors' check). Each manager keeps its queue
    on disk, locked while it lives; the next one keeps a killed server's waiting jobs as `failed`, saying why, and
    leaves a live server's alone (its lock held: a killed server's forkserver, which outlives it, holds none)."""
    import signal
    import subprocess
    import sys

    from zoo.jobs import LOST_IN_QUEUE

    queue_dir = tmp_path / "runs" / ".queue"
    server = subprocess.Popen([sys.executable, "-c", f"""
import time
from zoo.jobs import JobManager
m = JobManager(max_running=1, per_owner=1, queue_dir={str(queue_dir)!r})
for owner in ("a", "b", "c"):
    m.submit("{HERE}:waits", {{"limit": 60}}, owner=owner, job_id="run-" + owner)
print("queued", flush=True)
time.sleep(120)
"""], stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        assert server.stdout.readline().strip() == "queued"
        written = json.loads(next(queue_dir.glob("*.json")).read_text())
        assert [j["id"] for j in written["jobs"]] == ["run-b", "run-c"]
        live = JobManager(queue_dir=queue_dir)   # the other server still runs: its queue is its own
        assert live.get("run-b") is None and len(list(queue_dir.glob("*.json"))) == 1
        live.shutdown()
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    restarted = JobManager(queue_dir=queue_dir)
    try:
        lost = [restarted.get(f"run-{o}") for o in ("a", "b", "c")]
        assert lost[0] is None   # it had started: its run directory (none for this job) is the run's word
        assert [(j.status, j.reason, j.owner) for j in lost[1:]] == [("failed", LOST_IN_QUEUE, "b"),
                                                                     ("failed", LOST_IN_QUEUE, "c")]
        assert not list(queue_dir.glob("*.json")) and len(list(queue_dir.glob("*.lock"))) == 1   # its own lock
        # its own queue: written while jobs wait, emptied as they start or stop
        jobs = [restarted.submit(f"{HERE}:waits", {"limit": 60}, owner=o) for o in ("x", "x")]
        assert jobs[0].status in ("starting", "running") and jobs[1].status == "queued"   # one per owner
        assert [j["id"] for j in json.loads(next(queue_dir.glob("*.json")).read_text())["jobs"]] == [jobs[1].id]
        restarted.stop(jobs[1].id)
        assert not list(queue_dir.glob("*.json"))
    finally:
        restarted.shutdown()
    assert not list(queue_dir.iterdir())   # a manager shut down leaves nothing behind


def test_a_job_that_ended_before_its_run_directory_says_how_after_a_restart(tmp_path):
    """A learner's run failed before it wrote its run directory (MNIST, which could not be downloaded): the page
    said why, and after a server restart its address said "there is no run ...: it was deleted". The queue file
    keeps such jobs as they ended (zoo/jobs.left_no_run), and the next manager keeps them for the one after."""
    import signal
    import subprocess
    import sys

    runs = tmp_path / "runs"
    queue_dir = runs / ".queue"
    run_id = "20261205-094631Z-cnn-b63207e6731e"
    server = subprocess.Popen([sys.executable, "-c", f"""
import time
from zoo.jobs import JobManager
m = JobManager(max_running=1, per_owner=1, queue_dir={str(queue_dir)!r})
job = m.submit("{HERE}:raises_user_error", {{"runs_dir": {str(runs)!r}, "run_id": {run_id!r}}}, owner="a",
               job_id={run_id!r})
m.wait(job.id, timeout=60)
print(job.status, flush=True)
time.sleep(120)
"""], stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        assert server.stdout.readline().strip() == "failed"
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    restarted = JobManager(queue_dir=queue_dir)
    try:
        job = restarted.get(run_id)
        assert (job.status, job.owner) == ("failed", "a") and job.reason.startswith("mnist is not in /nowhere")
        kept = json.loads(next(queue_dir.glob("*.json")).read_text())["jobs"]   # its own file, for the next restart
        assert [(j["id"], j["status"]) for j in kept] == [(run_id, "failed")]
        # Dismissed on the Runs page (forget): out of the file too, or the next restart brought it back (a review)
        assert restarted.forget(run_id) and not list(queue_dir.glob("*.json"))
        with restarted._lock:
            restarted._adopt(kept)   # as the next restart would find it, for the rest of this test
        (runs / run_id).mkdir(parents=True)   # a run directory of that id: the run's files say how it ended
        restarted.submit(f"{HERE}:waits", {"limit": 0}, owner="b")
        wait_for(lambda: not list(queue_dir.glob("*.json")), what="the queue file to drop it")
    finally:
        restarted.shutdown()


def test_on_the_demo_a_job_that_left_no_run_is_kept_for_a_restart_as_long_as_runs_are(tmp_path, monkeypatch):
    """Kept from restart to restart, such jobs outlived the runs the demo's sweep deletes (a review)."""
    from zoo import demo
    from zoo.jobs import Job

    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    queue_dir = tmp_path / "runs" / ".queue"
    manager = JobManager(queue_dir=queue_dir)
    try:
        hours = demo.caps().max_age_hours
        for job_id, age in (("20261201-000000Z-cnn-0123456789ab", hours + 1), ("20261205-000000Z-cnn-0123456789ab", 1)):
            job = Job(id=job_id, owner="a", target="zoo.worker:train", status="failed", reason="no data",
                      payload={"runs_dir": str(tmp_path / "runs"), "run_id": job_id}, ended=time.time() - age * 3600)
            with manager._lock:
                manager._jobs[job_id] = job
                manager._order.append(job_id)
                manager._journal_queue()
        kept = json.loads(next(queue_dir.glob("*.json")).read_text())["jobs"]
        assert [j["id"] for j in kept] == ["20261205-000000Z-cnn-0123456789ab"]
        # a queue file cut short or edited by hand: its times read as now, not a TypeError at the server's start
        manager._adopt([{"id": "20261205-000001Z-cnn-0123456789ab", "status": "failed", "reason": "r",
                         "ended": "soon", "created": None}])
        with manager._lock:
            manager._journal_queue()
        assert manager.get("20261205-000001Z-cnn-0123456789ab").ended <= time.time()
    finally:
        manager.shutdown()


def test_stop_takes_effect_while_the_job_runs(manager):
    job = manager.submit(f"{HERE}:waits", {"limit": 60}, owner="a")
    wait_for(lambda: job.state.get("events"), what="the job to run")
    manager.stop(job.id)
    manager.wait(job.id, timeout=10)
    assert job.status == "stopped"


def test_a_stop_between_picking_a_job_and_starting_it_is_not_lost(manager, monkeypatch):
    """The interleaving that lost a Stop: the scheduler has picked a queued job and is about to start
    it when the Stop lands. Driven, not timed: the Stop is made right at that point. (From another
    thread it would wait for the manager's one lock, and find the job either queued or starting.)"""
    real_start = JobManager._start

    def start_after_a_stop(self, job, *args):
        self.stop(job.id)
        real_start(self, job, *args)

    monkeypatch.setattr(JobManager, "_start", start_after_a_stop)
    job = manager.submit(f"{HERE}:waits", {"limit": 60}, owner="a")
    assert job.status == "stopped" and job.reason == "stopped before it started"
    assert job._handle is None, "a stopped job must never start its worker"


def test_a_stop_that_ends_a_starting_worker_is_a_stop_even_when_its_start_is_read_after(manager, tmp_path,
                                                                                           monkeypatch):
    """A loaded machine's browser test: Stop found the job starting and ended its worker, whose "start" the server
    read only then; judged by its status, now running, the job read "failed: the worker process was killed by
    SIGTERM". Driven: the server reads the worker's events only after the Stop."""
    import threading

    stopped = threading.Event()
    real_follow = JobManager._follow

    def follow_after_the_stop(self, job, events):
        stopped.wait(60)
        real_follow(self, job, events)

    monkeypatch.setattr(JobManager, "_follow", follow_after_the_stop)
    marker = tmp_path / "sent"
    job = manager.submit(f"{HERE}:starts_and_marks", {"marker": str(marker)}, owner="a")
    wait_for(marker.exists, what="the worker to have sent its start")
    assert job.status == "starting"
    manager.stop(job.id)
    stopped.set()
    manager.wait(job.id, timeout=10)
    assert job.status == "stopped" and job.reason == "stopped while its worker was starting", (job.status, job.reason)


def test_stop_while_starting_ends_the_worker_at_once(manager, tmp_path):
    run_dir = tmp_path / "runs" / "run-1"
    run_dir.mkdir(parents=True)
    (run_dir / "spec.json").write_text("{}")
    (run_dir / "result.json").write_text(json.dumps({"status": "running"}))
    job = manager.submit(f"{HERE}:slow_start", {"runs_dir": str(tmp_path / "runs"), "run_id": "run-1"}, owner="a")
    wait_for(lambda: job._handle is not None and job._handle.is_alive(), what="the worker to start")
    assert job.status == "starting"
    start = time.perf_counter()
    manager.stop(job.id)
    manager.wait(job.id, timeout=10)
    assert job.status == "stopped" and job.reason == "stopped while its worker was starting"
    assert time.perf_counter() - start < 5  # not after the 60 s "import"
    assert json.loads((run_dir / "result.json").read_text())["status"] == "stopped"


def test_workers_run_at_a_lower_priority_than_the_server(manager):
    job = manager.submit(f"{HERE}:reports_niceness", {}, owner="a")
    manager.wait(job.id, timeout=60)
    assert job.result["niceness"] == min(19, os.nice(0) + WORKER_NICE)


def test_forget_drops_ended_jobs_only(manager):
    job = manager.submit(f"{HERE}:waits", {"limit": 60}, owner="a")
    assert manager.forget(job.id) is False  # active
    manager.stop(job.id)
    manager.wait(job.id, timeout=30)
    assert manager.forget(job.id) is True
    assert manager.get(job.id) is None and job.id not in [j.id for j in manager.jobs()]


# ------------------------------------------------------------------ the live state

def test_batch_losses_stay_bounded_and_keep_the_start_of_the_curve():
    state: dict = {}
    batches = 100
    for step in range(3 * MAX_BATCH_POINTS):
        epoch, batch = divmod(step, batches)
        reduce_training(state, {"type": "batch", "epoch": epoch + 1, "batch": batch + 1, "batches": batches,
                                "loss": float(step), "samples_per_s": 1.0})
    points = state["batch_losses"]
    assert len(points) <= MAX_BATCH_POINTS
    xs = [p[0] for p in points]
    assert xs == sorted(xs)
    assert xs[-1] == pytest.approx(3 * MAX_BATCH_POINTS / batches)
    assert xs[0] < 0.01 * xs[-1]  # the start of the curve is still there
    # Merged points are means of neighbours: the curve's values are preserved on average.
    assert points[0][1] < 10 and points[-1][1] == 3 * MAX_BATCH_POINTS - 1


def test_epoch_events_fold_into_rows_best_epoch_and_patience():
    state: dict = {}
    reduce_training(state, {"type": "start", "device": "cpu", "epochs": 3, "batches_per_epoch": 10,
                            "sizes": {"train": 640, "val": 64, "test": 100}})
    for epoch, (val, best, counter) in enumerate([(0.5, 1, 0), (0.6, 1, 1), (0.4, 3, 0)], start=1):
        reduce_training(state, {"type": "epoch", "epoch": epoch, "train_loss": 1.0, "val_loss": val,
                                "val_metric": 0.9, "lr": 1e-3, "seconds": 1.0, "samples_per_s": 640.0,
                                "best_epoch": best, "patience_counter": counter, "patience": 5})
    assert [r["val_loss"] for r in state["epoch_rows"]] == [0.5, 0.6, 0.4]
    assert state["best_epoch"] == 3 and state["patience_counter"] == 0 and state["patience"] == 5
    assert json.dumps(state)  # plain data: a snapshot can be copied and drawn


def test_two_running_jobs_share_the_cores_and_one_alone_gets_them_all(manager, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    cores = len(os.sched_getaffinity(0))
    if cores < 2:
        pytest.skip("needs at least 2 cores")

    def threads(job):
        events = [e for e in job.state.get("events", []) if e.get("type") == "threads"]
        return events[-1]["threads"] if events else None

    first = manager.submit(f"{HERE}:reports_threads", {}, owner="a")
    wait_for(lambda: threads(first) == cores, what=f"the only job to use all {cores} cores")
    second = manager.submit(f"{HERE}:reports_threads", {}, owner="b")
    wait_for(lambda: threads(first) == cores // 2 and threads(second) == cores // 2,
             what=f"each of two jobs to use {cores // 2} threads")
    manager.stop(second.id)
    manager.wait(second.id, timeout=30)
    wait_for(lambda: threads(first) == cores, what="the remaining job to take all the cores back")
