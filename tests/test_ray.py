"""Jobs on a Ray cluster (zoo/ray_launcher.py): a real local cluster, started once for this module
with 2 CPUs and one declared GPU (Ray accounts for it; no job here runs CUDA), and the real job
runner on top.

Training jobs run to the end with live events, stop within a second, end `failed` with their files
readable when their Ray worker is killed or their node leaves, and two visitors' jobs stay apart; a job that finds no
room waits and says why; GPU shares put four jobs on one GPU; `python -m zoo search --ray --workers
2` fills one study with no lost or duplicate trial.
"""
from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is optional: pip install -r requirements-ray.txt (.ci/run does)")

from tests.conftest import ROOT, wait_for  # noqa: E402
from zoo.jobs import JobManager, submit_training  # noqa: E402
from zoo.launch import LocalLauncher, make_launcher  # noqa: E402
from zoo.ray_launcher import RayLauncher  # noqa: E402
from zoo.registry import SpecError  # noqa: E402
from zoo.runs import load_run  # noqa: E402
from zoo.spec import ExperimentSpec  # noqa: E402

pytestmark = pytest.mark.ray
HERE = "tests.test_ray"
LONG = ExperimentSpec(model="mlp", epochs=200, patience=0, limit_train=1024)


# ------------------------------------------------------------------ targets (run in a Ray worker)

def waits(payload, emit, should_stop):
    """Report the GPUs Ray gave this job and its process, then tick until asked to stop."""
    emit({"type": "gpus", "ids": ray.get_gpu_ids(), "visible": os.environ.get("CUDA_VISIBLE_DEVICES"),
          "pid": os.getpid()})
    deadline = time.time() + payload.get("limit", 60)
    while time.time() < deadline and not should_stop():
        emit({"type": "tick"})
        time.sleep(0.05)
    return {"status": "stopped" if should_stop() else "finished"}


def process_id() -> int:
    return os.getpid()


# ------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def local_cluster():
    """One local Ray cluster for the module (Ray's own cluster_utils, which can add and remove nodes
    on one machine): a head with 2 CPUs, and a declared GPU for the share accounting."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "num_gpus": 1, "include_dashboard": False})
    ray.init(address=cluster.address, log_to_driver=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


@pytest.fixture(scope="module")
def cluster(local_cluster):
    """The cluster's address."""
    return local_cluster.address


@pytest.fixture(scope="module")
def launcher(cluster):
    """Jobs find the runs directory shared (one machine): they write it directly."""
    launcher = RayLauncher(cluster)
    yield launcher
    launcher.close()


@pytest.fixture(scope="module")
def copying(cluster):
    """Jobs behave as on a node without the runs directory: they write a spool and send the files."""
    launcher = RayLauncher(cluster, copy_runs=True)
    yield launcher
    launcher.close()


def manager_for(launcher, **caps):
    return JobManager(max_running=caps.get("max_running", 2), per_owner=caps.get("per_owner", 1), launcher=launcher)


def stop_all(manager, jobs) -> None:
    """Stop the jobs, wait for each to end, and shut the manager down."""
    for job in jobs:
        manager.stop(job.id)
    for job in jobs:
        manager.wait(job.id, timeout=30)
    manager.shutdown()


def spools() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "playground-spool-*")))


# ------------------------------------------------------------------ training jobs

def test_a_training_job_runs_to_the_end_with_live_events_and_its_files_sent_back(copying, runs_dir):
    """On a node without the runs directory: the files reach the server while the job trains (a long
    job, watched until an epoch has arrived, then stopped), and a job that runs to its end leaves the
    same complete run directory on the server as a local one. (Waits on states: a job that is quick
    on a fast machine must still prove the files travel while it runs.)"""
    before = spools()
    manager = manager_for(copying, per_owner=2)
    long_job = submit_training(manager, LONG, owner="a", runs_dir=runs_dir)
    spec = ExperimentSpec(model="cnn", epochs=2, patience=0, limit_train=1024)
    head = runs_dir / long_job.id

    def live_epoch_sent_back() -> bool:
        assert long_job.active, f"the long job ended ({long_job.status}: {long_job.reason})"
        return bool(long_job.state.get("epoch_rows")) and (head / "spec.json").exists() and \
            len(load_run(head).epoch_rows()) >= 1

    try:
        wait_for(live_epoch_sent_back, timeout=120, what="a live epoch, sent back")
        where = long_job.snapshot()["where"]
        assert "Ray node" in where and "copied here" in where and "1 CPU" in where
        manager.stop(long_job.id)
        manager.wait(long_job.id, timeout=60)
        job = submit_training(manager, spec, owner="a", runs_dir=runs_dir)
        manager.wait(job.id, timeout=120)
    finally:
        manager.shutdown()
    assert long_job.status == "stopped" and load_run(head).status == "stopped"
    assert len(load_run(head).epoch_rows()) == len(long_job.state["epoch_rows"])
    assert job.status == "finished", job.reason
    assert len(job.state["epoch_rows"]) == 2 and job.state["batch_losses"]
    run_dir = runs_dir / job.id
    assert job.state["run_dir"] == str(run_dir.resolve()), "paths in events are the server's"
    run = load_run(run_dir)
    assert run.status == "finished" and len(run.epoch_rows()) == 2
    assert {p.name for p in run.files()} == {"spec.json", "metrics.csv", "best.pt", "result.json"}
    assert run.spec == spec and run.model is not None
    assert spools() - before == set(), "the workers' spools are removed once their files are here"


def test_stop_ends_a_ray_job_and_its_run_says_stopped(launcher, runs_dir):
    manager = manager_for(launcher)
    job = submit_training(manager, LONG, owner="a", runs_dir=runs_dir)
    try:
        wait_for(lambda: job.status == "running" and job.state.get("batch_losses"), timeout=120,
                 what="the job to train")
        assert "copied" not in job.snapshot()["where"], "one machine: the runs directory is shared"
        start = time.perf_counter()
        manager.stop(job.id)
        manager.wait(job.id, timeout=10)
        elapsed = time.perf_counter() - start
    finally:
        manager.shutdown()
    print(f"\nStop -> stopped in {elapsed:.2f} s (its speed: bench/stop_latency.py)")
    assert job.status == "stopped", (job.status, elapsed)
    assert load_run(runs_dir / job.id).status == "stopped"


@ray.remote(num_cpus=0)
class SlowHub:
    """A hub as a busy server's: each send answered after a second."""

    def push(self, job_id, batch):
        time.sleep(1.0)
        return False, "one"


@ray.remote(num_cpus=1)
def sends_for_a_while(hub) -> tuple[float, float]:
    """A job's sends (zoo/ray_worker.Outbox) over 3 s of work: when it ran, in this process's clock."""
    from zoo.ray_worker import Outbox

    began = time.time()
    outbox = Outbox(hub, "job")
    outbox.start()
    outbox.put({"type": "tick"})
    time.sleep(3.0)   # the job's work, its CPU taken
    outbox.close()
    return began, time.time()


def test_jobs_started_together_never_run_more_than_the_cluster_has_cpus(cluster):
    """A teacher's check: three jobs of 1 CPU started together on a cluster of 2 CPUs all ran at once. A task's main
    thread blocked in ray.get gives its CPU back while it waits (Ray's rule against deadlock), and a job's first
    and last sends to the hub were made there: Ray started the third job in that gap. Every send is now the outbox
    thread's. (A slow hub, as a busy server's, holds the gap open long enough to be seen every time.)"""
    hub = SlowHub.remote()
    spans = sorted(ray.get([sends_for_a_while.remote(hub) for _ in range(3)], timeout=120))
    # never three at once: the last to begin began once one of the first two had ended
    first_end = min(end for _, end in spans[:2])
    assert spans[2][0] >= first_end - 0.05, spans
    ray.kill(hub)


def test_a_job_stopped_while_it_waits_for_room_on_the_cluster_says_so(launcher):
    """A teacher's check: a job stopped while the cluster had no room for it was said "stopped while its worker was
    starting"; it had no worker."""
    manager = manager_for(launcher, max_running=3, per_owner=3)
    jobs = [manager.submit(f"{HERE}:waits", {"limit": 600}, owner="a") for _ in range(3)]
    try:
        def placed(job) -> bool:
            return any(e.get("type") == "gpus" for e in job.state.get("events", []))

        wait_for(lambda: sum(map(placed, jobs)) == 2, timeout=120, what="two jobs running")
        waiting = next(j for j in jobs if not placed(j))
        wait_for(lambda: manager.describe_wait(waiting.id).startswith("waiting for the Ray cluster"), timeout=30,
                 what="the third to wait for room")
        manager.stop(waiting.id)
        manager.wait(waiting.id, timeout=30)
    finally:
        stop_all(manager, jobs)
    assert (waiting.status, waiting.reason) == ("stopped", "stopped while it waited for room on the Ray cluster")


def test_a_hub_whose_process_died_is_restarted_and_jobs_go_on(launcher, runs_dir):
    """The hub is a Ray worker process like any other (killed, or ended by the OOM killer): the job running then
    trains on, and every later job had failed at once ("could not reach this server") until the app was
    restarted (a Ray user's check). A Stop pressed after the restart still ends the job."""
    manager = manager_for(launcher)
    job = submit_training(manager, LONG, owner="a", runs_dir=runs_dir)
    try:
        wait_for(lambda: job.status == "running" and job.state.get("epoch_rows"), timeout=120,
                 what="the job to finish an epoch")
        ray.kill(launcher.hub, no_restart=False)   # as its process dying: Ray restarts it
        epochs = len(job.state["epoch_rows"])
        wait_for(lambda: len(job.state.get("epoch_rows", [])) > epochs, timeout=120,
                 what="an epoch after the hub's restart")
        manager.stop(job.id)
        manager.wait(job.id, timeout=30)
        later = submit_training(manager, ExperimentSpec(model="mlp", epochs=1, limit_train=256), owner="a",
                                runs_dir=runs_dir)
        manager.wait(later.id, timeout=120)
    finally:
        manager.shutdown()
    assert job.status == "stopped" and load_run(runs_dir / job.id).status == "stopped", job.reason
    assert later.status == "finished", later.reason


def test_a_killed_ray_worker_ends_the_run_failed_with_its_files_readable(copying, runs_dir):
    import torch

    manager = manager_for(copying)
    job = submit_training(manager, LONG, owner="a", runs_dir=runs_dir)
    head = runs_dir / job.id
    try:
        # Wait on what is checked below, at the server's end: the worker sends its changed files every
        # FILES_EVERY_S, so the epoch's event may arrive a send before metrics.csv's row (best.pt no longer
        # can: zoo/runs.WRITE_ORDER; tests/test_jobs.py checks that send on its own).
        wait_for(lambda: (head / "best.pt").exists() and (head / "spec.json").exists()
                 and len(load_run(head).epoch_rows()) >= 1, timeout=120, what="a checkpoint and an epoch sent back")
        os.kill(job._handle.pid, signal.SIGKILL)
        manager.wait(job.id, timeout=30)
    finally:
        manager.shutdown()
    assert job.status == "failed" and "Ray worker process" in job.reason, job.reason
    run = load_run(head)
    assert run.status == "failed" and "Ray worker process" in run.result["reason"]
    assert len(run.epoch_rows()) >= 1
    run.model.load_state_dict(torch.load(head / "best.pt", weights_only=True))


def test_a_job_whose_node_leaves_the_cluster_ends_failed(local_cluster, runs_dir):
    """A second node with 3 CPUs, the only one that can run a job asking for 3; then it goes."""
    node = local_cluster.add_node(num_cpus=3)
    local_cluster.wait_for_nodes()
    big = RayLauncher(local_cluster.address, cpus_per_job=3)
    manager = manager_for(big)
    job = submit_training(manager, LONG, owner="a", runs_dir=runs_dir)
    try:
        wait_for(lambda: (runs_dir / job.id / "best.pt").exists() and job.state.get("epoch_rows"), timeout=120,
                 what="a checkpoint on the second node")
        assert "3 CPU" in job.snapshot()["where"]
        local_cluster.remove_node(node)
        manager.wait(job.id, timeout=30)
    finally:
        manager.shutdown()
        big.close()
    assert job.status == "failed" and "left the cluster" in job.reason, job.reason
    run = load_run(runs_dir / job.id)
    assert run.status == "failed" and "left the cluster" in run.result["reason"] and run.epoch_rows()


SERVER = """
import sys, time
from zoo.jobs import JobManager, submit_training
from zoo.ray_launcher import RayLauncher
from zoo.spec import ExperimentSpec
manager = JobManager(max_running=1, per_owner=1, launcher=RayLauncher(sys.argv[1]))
job = submit_training(manager, ExperimentSpec(model="mlp", epochs=200, patience=0, limit_train=1024), owner="a",
                      runs_dir=sys.argv[2])
print(job.id, flush=True)
time.sleep(600)
"""


def _status(run_dir: Path) -> str | None:
    try:
        return json.loads((run_dir / "result.json").read_text()).get("status")
    except (OSError, ValueError):
        return None


def test_a_run_on_a_node_whose_server_was_killed_ends_failed(cluster, runs_dir):
    """A server killed while its job trains on a Ray node. Ray ends a dead driver's tasks, and the job,
    its events out of reach, ends `failed` (before: `stopped`, as if a person had pressed Stop). Killed
    before it can say so, its run says `running`; on another node no pid can be checked, so the run
    names the server that started it, and a server starting on that host marks it failed (before: left
    `running` for ever). One machine here: that node is this run's host written as another's."""
    from zoo.run_health import recover_interrupted
    from zoo.runs import patch_result

    server = subprocess.Popen([sys.executable, "-c", SERVER, cluster, str(runs_dir)], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        run_dir = runs_dir / server.stdout.readline().strip()
        wait_for(lambda: _status(run_dir) == "running" and load_run(run_dir).epoch_rows(), timeout=120,
                 what="the job training on the cluster, an epoch done")
        process = load_run(run_dir).result["process"]
        assert process["server"]["pid"] == server.pid, "the run names the server that started it"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        worker = Path(f"/proc/{process['pid']}")
        # `failed` is the only end a job without its server may reach (written once: worker.ServerGone)
        wait_for(lambda: _status(run_dir) == "failed" or not worker.exists(), timeout=60,
                 what="the job to end failed, or its Ray worker to be ended")
    finally:
        server.kill()
    killed_first = not worker.exists() and _status(run_dir) == "running"
    print(f"\nthe run was ended by {'a starting server' if killed_first else 'its job'}")
    if killed_first:   # its Ray worker killed before the job could say so: what a starting server sees
        patch_result(run_dir, process={**process, "host": "another-node"})
        assert recover_interrupted(runs_dir) == [run_dir.name]
    run = load_run(run_dir)
    assert run.status == "failed" and "server" in run.result["reason"], run.result.get("reason")
    assert run.epoch_rows(), "its epochs are kept"


LOSES_ITS_CLUSTER = """
import json, os, sys, time
from zoo.jobs import JobManager, submit_training
from zoo.ray_launcher import RayLauncher
from zoo.spec import ExperimentSpec
launcher = RayLauncher("local", num_cpus=1)
manager = JobManager(max_running=2, per_owner=2, launcher=launcher)
spec = ExperimentSpec(model="mlp", epochs=1000, patience=0, limit_train=4096)
job = submit_training(manager, spec, owner="a", runs_dir=sys.argv[1])
print(json.dumps({"job": job.id}), flush=True)
sys.stdin.readline()   # the test has ended the cluster
manager.wait(job.id, timeout=60)
print(json.dumps({"status": job.status, "reason": job.reason}), flush=True)
late = submit_training(manager, spec, owner="a", runs_dir=sys.argv[1])
manager.wait(late.id, timeout=30)
print(json.dumps({"status": late.status, "reason": late.reason, "sidebar": launcher.describe(),
                  "refusal": launcher.refusal()}), flush=True)
sys.stdin.readline()   # the test has seen the job's worker end, while this server lives
time.sleep(float(sys.argv[2]))
print(json.dumps({"alive": True}), flush=True)
"""


def _children_named(parent: int, names: set[str]) -> list[int]:
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            text = Path(stat).read_text()
        except OSError:
            continue
        comm, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        if int(rest[1]) == parent and comm in names:
            found.append(int(stat.split("/")[2]))
    return found


@pytest.mark.parametrize("killed, ray_wait", [(("gcs_server", "raylet"), "3"), (("gcs_server",), None)],
                         ids=["head", "gcs"])
def test_a_server_whose_cluster_is_stopped_keeps_serving_and_says_its_jobs_failed(runs_dir, killed, ray_wait):
    """`ray stop` on the cluster the app started had ended the app itself 60 s later (Ray's core worker ends a
    driver whose head stays gone, and the server is a driver), every visitor's page with it, its running job left
    `running`. Here Ray's wait is made 3 s: the server outlives it, its job ends `failed` saying the cluster
    stopped answering, epochs kept, a new job is refused in words, and the sidebar says so (its read of the
    cluster had waited for ever). With the GCS alone killed the node's worker had trained on, its run turning
    `finished` on disk after the failure was said (a Ray user's check): it is ended. (Ray's own wait left at its
    60 s there: a worker told 3 s ends itself, which would hide that.)"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RAY_gcs_rpc_server_reconnect_timeout_s", None)
    if ray_wait:
        env["RAY_gcs_rpc_server_reconnect_timeout_s"] = ray_wait
    server = subprocess.Popen([sys.executable, "-c", LOSES_ITS_CLUSTER, str(runs_dir), "8" if ray_wait else "0"],
                              cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        run_dir = runs_dir / json.loads(server.stdout.readline())["job"]
        wait_for(lambda: _status(run_dir) == "running" and load_run(run_dir).epoch_rows(), timeout=120,
                 what="the job training on the cluster, an epoch done")
        worker = Path(f"/proc/{load_run(run_dir).result['process']['pid']}")
        head = _children_named(server.pid, set(killed))
        assert len(head) == len(killed), head
        for pid in head:   # what `ray stop --force` does to them
            os.kill(pid, signal.SIGKILL)
        server.stdin.write("\n")
        server.stdin.flush()
        ended = json.loads(server.stdout.readline() or "{}")
        wait_for(lambda: not worker.exists(), timeout=20, what="the job's Ray worker ended")
        epochs = len(load_run(run_dir).epoch_rows())
        refused = json.loads(server.stdout.readline() or "{}")
        server.stdin.write("\n")
        server.stdin.flush()
        alive = json.loads(server.stdout.readline() or "{}")
    finally:
        server.kill()
        server.wait(timeout=30)
    assert ended.get("status") == "failed", ended
    assert "the Ray cluster at local stopped answering at" in ended["reason"], ended
    assert refused.get("status") == "failed", refused
    assert "stopped answering" in refused["reason"] and "restart the app" in refused["reason"], refused
    assert refused["sidebar"].startswith("Ray cluster (local), which stopped answering at"), refused
    # what the pages' Start says, turned off (ui/run_view.start_blocker): a Start had made a job that failed at once
    assert refused["refusal"] and refused["refusal"] in refused["reason"], refused
    assert alive == {"alive": True}, "the server outlived Ray's wait on its lost head"
    run = load_run(run_dir)
    assert run.status == "failed" and "stopped answering" in run.result["reason"], run.result.get("reason")
    assert 0 < len(run.epoch_rows()) == epochs, "its epochs are kept, and none came after"


def test_a_run_on_another_node_is_ended_only_when_its_server_here_is_gone(runs_dir, caplog):
    """The rule alone: a run written on another host is left alone while the server that started it
    runs (this process), or when no server here started it; it is marked failed once that server is gone."""
    from zoo.run_health import _pid_started, process_identity, recover_interrupted
    from zoo.runs import RunWriter

    gone = subprocess.Popen(["sleep", "30"])
    dead_server = {**process_identity(), "pid": gone.pid, "pid_started": _pid_started(gone.pid)}
    gone.kill()
    gone.wait()
    elsewhere = {"host": "another-node", "pid": 1, "pid_started": "1"}
    ids = {}
    for name, process in (("alive", {**elsewhere, "server": process_identity()}), ("unknown", elsewhere),
                          ("dead", {**elsewhere, "server": dead_server})):
        writer = RunWriter(runs_dir, LONG.replace(epochs=1))
        writer.write_result({"run_id": writer.run_id, "status": "running", "process": process})
        ids[name] = writer.run_id
    caplog.set_level("INFO", logger="playground")
    assert recover_interrupted(runs_dir) == [ids["dead"]]
    assert [load_run(runs_dir / ids[n]).status for n in ("alive", "unknown", "dead")] == ["running", "running",
                                                                                          "failed"]
    # the server's log ends what it had said started (its server was killed: an operator's check), once
    said = [r.getMessage() for r in caplog.records if r.name == "playground" and r.getMessage().startswith("run ")]
    assert said == [f"run {ids['dead']} ended failed: the process that ran it stopped before it ended (the server, "
                    "its worker or the command that ran it was killed, or it could not write its end: a full or "
                    "read-only disk); the best checkpoint so far is kept"], said
    assert recover_interrupted(runs_dir) == []
    assert len([r for r in caplog.records if r.name == "playground" and r.getMessage().startswith("run ")]) == 1


def test_two_visitors_jobs_stay_apart(copying, runs_dir):
    """In copy mode, so the files of two jobs running at once are routed apart too."""
    manager = manager_for(copying, max_running=2, per_owner=1)
    a1 = submit_training(manager, LONG, owner="a", runs_dir=runs_dir)
    b1 = submit_training(manager, LONG.replace(epochs=2, model="cnn", limit_train=256), owner="b", runs_dir=runs_dir)
    a2 = submit_training(manager, LONG.replace(epochs=1), owner="a", runs_dir=runs_dir)
    try:
        assert a2.status == "queued" and "a visitor may run 1 job" in manager.describe_wait(a2.id)
        assert [j.id for j in manager.jobs("a")] == [a1.id, a2.id] and [j.id for j in manager.jobs("b")] == [b1.id]
        manager.wait(b1.id, timeout=120)
        assert b1.status == "finished" and len(b1.state["epoch_rows"]) == 2
        assert a1.active and a2.status == "queued", "b's job ending does not start a's second"
        wait_for(lambda: a1.status == "running", timeout=120, what="a's first job to train")
        manager.stop(a1.id)
        manager.wait(a2.id, timeout=120)
    finally:
        manager.shutdown()
    assert a1.status == "stopped" and a2.status == "finished"
    for job, model in ((a1, "mlp"), (b1, "cnn"), (a2, "mlp")):
        assert job.state["run_id"] == job.id, "each job's events are its own"
        run = load_run(runs_dir / job.id)
        assert run.spec.model == model and len(run.epoch_rows()) == len(job.state["epoch_rows"])
    # The spool of the worker killed in the test before, if any, was swept by these jobs' start.
    dead = [p for p in spools() if not Path(f"/proc/{p.rsplit('spool-', 1)[1].split('-')[0]}").exists()]
    assert dead == []


# ------------------------------------------------------------------ resources

def test_gpu_shares_put_four_jobs_on_one_gpu_and_a_fifth_waits_saying_why(cluster):
    # The processes that ran CPU jobs (the tests before, and this idle pool's) are not used for GPU jobs.
    cpu_pids = set(ray.get([ray.remote(process_id).remote() for _ in range(4)]))
    shares = RayLauncher(cluster, cpus_per_job=0.25, gpu_per_job=0.25)
    manager = manager_for(shares, max_running=5, per_owner=5)
    spec = {"spec": {"device": "auto"}, "limit": 600}   # each holds its share until stopped (60 s could lapse first)
    jobs = [manager.submit(f"{HERE}:waits", spec, owner="a") for _ in range(5)]
    try:
        def gpus(job):
            seen = [e for e in job.state.get("events", []) if e.get("type") == "gpus"]
            return seen[0] if seen else None

        wait_for(lambda: sum(1 for j in jobs if gpus(j)) == 4, timeout=60, what="four jobs placed")
        placed = [j for j in jobs if gpus(j)]
        assert all([str(i) for i in gpus(j)["ids"]] == ["0"] and gpus(j)["visible"] == "0" for j in placed)
        assert not {gpus(j)["pid"] for j in placed} & cpu_pids, "a GPU job never runs in a CPU job's process"
        waiting = next(j for j in jobs if not gpus(j))
        assert waiting.status == "starting"
        why = wait_for(lambda: manager.describe_wait(waiting.id) if "waiting" in manager.describe_wait(waiting.id)
                       else "", what="the cluster's reason")
        assert why.startswith("waiting for the Ray cluster: it asks for 0.25 CPU and 0.25 GPU") and \
            "0 of 1 GPUs free" in why, why
        assert "0.25 GPU (GPU 0)" in placed[0].snapshot()["where"]
        manager.stop(placed[0].id)
        wait_for(lambda: gpus(waiting), timeout=60, what="the fifth job to get the freed share")
        assert gpus(waiting)["pid"] not in cpu_pids | {gpus(j)["pid"] for j in placed}, "a process of its own"
    finally:
        stop_all(manager, jobs)
        shares.close()
    assert [j.status for j in jobs] == ["stopped"] * 5


def test_a_cpu_job_gets_no_gpu_and_a_cuda_job_on_a_cluster_without_one_is_refused(launcher, cluster):
    job = type("Job", (), {"payload": {"spec": {"device": "auto"}}})()
    assert launcher.resources_for(job) == {"CPU": 1.0, "GPU": 0.0}, "PLAYGROUND_GPU_PER_JOB unset: the CPU"
    job.payload = {"config": {"spec": {"device": "cuda"}}}   # a search worker's payload
    assert launcher.resources_for(job) == {"CPU": 1.0, "GPU": 1.0}
    launcher._resources = (time.monotonic(), {}, {"CPU": 2.0})   # as a cluster without GPUs answers
    with pytest.raises(SpecError, match="the Ray cluster has none"):
        launcher.resources_for(job)
    launcher.refresh_resources()


def test_a_search_asking_a_cluster_for_what_it_lacks_is_refused_as_bad_input(launcher, tmp_path, monkeypatch):
    """`search --ray ... --device cuda` on a cluster without a GPU had ended "search worker 1 of 1 (its worker)
    failed: its worker could not be started: ...", exit 1, as a worker lost is (a Ray user's check): it is the
    input's fault, said in its own sentence (SpecError: exit 2)."""
    from zoo import search
    from zoo.search.study import SearchWorkerFailed

    monkeypatch.setattr(launcher, "refresh_resources", lambda: None)   # the poller's refresh: this cluster as faked
    launcher._resources = (time.monotonic(), {}, {"CPU": 2.0})   # as a cluster without GPUs answers
    config = search.SearchConfig(spec=ExperimentSpec(model="mlp", epochs=1, device="cuda"),
                                 space=search.build_space("mlp", search={"lr": (1e-3, 3e-2)}),
                                 storage=str(tmp_path / "journal.log"), runs_dir=str(tmp_path / "runs"), n_trials=1)
    try:
        with pytest.raises(SpecError) as refused:
            search.search_on_workers(config, 1, launcher)
    finally:
        type(launcher).refresh_resources(launcher)   # the cluster as it is, for the module's other tests
    assert not isinstance(refused.value, SearchWorkerFailed)
    assert str(refused.value).startswith("the job asks for a GPU (device cuda) and the Ray cluster has none")


AFTER_SHUTDOWN = """
import ray
from zoo.ray_launcher import connect
connect("local", 1)
ray.shutdown()
try:
    ray.wait([], timeout=0)   # as the launcher's poller may, while the app exits
except Exception as exc:
    print(type(exc).__name__)
print(ray.is_initialized())
"""


def test_a_call_into_ray_after_shutdown_starts_no_cluster(tmp_path):
    """At the app's exit its poller's call into Ray had started a fresh local cluster, whose agents outlived the
    app (a Ray user's check)."""
    done = subprocess.run([sys.executable, "-c", AFTER_SHUTDOWN], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.split() == ["RaySystemError", "False"], (done.stdout, done.stderr[-2000:])


def test_the_launcher_follows_playground_ray_address_and_refuses_bad_settings(monkeypatch):
    monkeypatch.delenv("PLAYGROUND_RAY_ADDRESS", raising=False)
    assert isinstance(make_launcher(), LocalLauncher), "unset: nothing changes"
    monkeypatch.setenv("PLAYGROUND_RAY_ADDRESS", "http://head:8265")
    with pytest.raises(SpecError, match=r"^PLAYGROUND_RAY_ADDRESS='http://head:8265' is not a Ray address; use local"):
        make_launcher()
    # given on the command line, the command line's flag is named (it had blamed the variable: a Ray user's check)
    with pytest.raises(SpecError, match=r"^--ray 'foo' is not a Ray address; use local"):
        make_launcher("foo", named="--ray")
    monkeypatch.setenv("PLAYGROUND_GPU_PER_JOB", "1.5")
    with pytest.raises(SpecError, match=r"PLAYGROUND_GPU_PER_JOB='1.5' is not a share"):
        RayLauncher("local")



def test_an_address_nobody_answers_at_is_given_up_in_a_sentence_not_waited_on(tmp_path):
    """`--ray HOST:PORT` where nothing listens had the command silent for over six minutes, and the app's every page
    on "Starting the job runner…" (a Ray user's check): the connection is given up after
    PLAYGROUND_RAY_CONNECT_TIMEOUT seconds, said in one line with what to check, exit 2."""
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "zoo", "search", "--model", "mlp", "--epochs", "1", "--limit-train",
                           "64", "--n-trials", "1", "--ray", f"127.0.0.1:{port}", "--runs-dir", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "PLAYGROUND_RAY_CONNECT_TIMEOUT": "2"})
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert (f"error: could not reach the Ray cluster at 127.0.0.1:{port} within 2 s; check that `ray start --head` "
            "runs there") in proc.stderr
    assert time.monotonic() - started < 60


# ------------------------------------------------------------------ search

def test_a_search_worker_without_the_runs_directory_refuses_the_journal_in_it(copying, tmp_path):
    from zoo.search import SearchConfig, build_space, submit_search

    spec = ExperimentSpec(model="mlp", epochs=1, limit_train=200)
    config = SearchConfig(spec=spec, space=build_space("mlp", search={"lr": None}), n_trials=1,
                          runs_dir=str(tmp_path / "runs"))   # the default storage: a journal in the runs directory
    manager = manager_for(copying)
    try:
        [job] = submit_search(manager, config, owner="a")
        manager.wait(job.id, timeout=120)
    finally:
        manager.shutdown()
    assert job.status == "failed" and job.state["traceback"] is None, job.reason
    assert "does not mount the server's runs directory, so it cannot reach the study's journal file" in job.reason
    assert "PostgreSQL" in job.reason


def test_python_m_zoo_search_with_two_ray_workers_fills_one_study(cluster, tmp_path):
    """Another process joins this module's cluster by its address, as a server joins `ray start --head`."""
    from tests.test_search import check_shared_study

    storage, runs = str(tmp_path / "optuna" / "journal.log"), tmp_path / "runs"
    args = [sys.executable, "-m", "zoo", "search", "--model", "mlp", "--set", "depth=1", "--epochs", "1",
            "--limit-train", "200", "--runs-dir", str(runs), "--storage", storage, "--study", "on-ray",
            "--n-trials", "6", "--pruner", "none", "--search", "lr=1e-3:3e-2", "--search", "width=16:48",
            "--ray", cluster, "--workers", "2", "--json"]
    # From another folder: the zoo reaches the workers from this process (runtime_env py_modules).
    done = subprocess.run(args, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"note: the workers run on the Ray cluster ({cluster}): 2 CPUs" in done.stderr, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert all("Ray node" in w["where"] for w in summary["workers"])
    check_shared_study(summary["workers"], storage, runs, "on-ray", n_trials=3)
    assert summary["trials"]["COMPLETE"] == 6
    assert Path(storage).exists()
