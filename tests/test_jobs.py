"""The job runner: worker processes, caps and queue, stop, and failures reported as `failed`."""
from __future__ import annotations

import pytest

from zoo.jobs import JobManager, submit_training
from zoo.spec import ExperimentSpec


@pytest.fixture
def manager():
    m = JobManager(max_running=1, per_owner=1)
    yield m
    m.shutdown()


def test_jobs_beyond_the_cap_wait_in_a_queue_and_run_in_turn(manager, runs_dir):
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
