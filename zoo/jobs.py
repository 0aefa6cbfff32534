"""Jobs: training (or any long operation) in a worker process, outside the UI's script thread.

Why a process and not a thread: Streamlit forbids `st.*` from other threads anyway, and a process
keeps the training loop's Python work off the server's GIL (the page stays responsive while jobs
train), can die without taking the server with it (the job then shows as `failed`), and can be
stopped cooperatively through a shared Event that the engine checks every batch.

The worker (zoo/worker.py) sends events (dicts) through a queue; a reader thread in the server
folds them into `Job.state`, which the page's fragment reads every second. `JobManager` queues jobs
beyond a server-wide cap and a per-owner cap (one visitor), and reports queue positions.

One lock, the manager's, guards every job's status: scheduling a queued job and stopping it cannot
interleave, so a Stop is never lost between "this job may start" and "it has started".
"""
from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import queue
import sys
import threading
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable

from zoo.worker import WORKER_NICE, main as worker_main  # noqa: F401 (WORKER_NICE: what the pages show)

ACTIVE = ("queued", "starting", "running")
MAX_BATCH_POINTS = 4000
# Ended jobs kept in memory (their runs stay on disk): enough for every tab of a busy demo.
MAX_ENDED_JOBS = int(os.environ.get("PLAYGROUND_MAX_ENDED_JOBS", "200"))

_ctx = mp.get_context("spawn")  # fork after torch and the server's threads start is unsafe


_main_lock = threading.Lock()


@contextlib.contextmanager
def _bare_main():
    """Start workers as if from a plain script, whatever `__main__` is.

    spawn re-runs the parent's `__main__` module in the child before calling the target. Under
    Streamlit, `__main__` is the app script (app.py, or whichever page last ran), so every worker
    would first execute the app in bare mode, and a page that fails bare would kill the worker.
    An empty `__main__` for the moment of the start gives the child nothing to re-run.
    """
    with _main_lock:
        saved = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = saved


def reduce_training(state: dict, event: dict) -> None:
    """Fold one training event into the state the live chart reads."""
    kind = event.get("type")
    if kind == "start":
        state.update(device=event["device"], epochs=event["epochs"], batches=event["batches_per_epoch"],
                     sizes=event["sizes"], status="running", started_training=time.time())
    elif kind == "run":
        state.update(run_id=event["run_id"], run_dir=event["run_dir"])
    elif kind == "batch":
        points = state.setdefault("batch_losses", [])
        points.append((event["epoch"] - 1 + event["batch"] / event["batches"], event["loss"]))
        if len(points) > MAX_BATCH_POINTS:
            # Halve the resolution of the whole curve (each pair becomes its mean), so a long run
            # keeps its shape from the first batch on, in a bounded number of points.
            merged = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in zip(points[0::2], points[1::2])]
            if len(points) % 2:
                merged.append(points[-1])
            points[:] = merged
        state.update(epoch=event["epoch"], batch=event["batch"], batches=event["batches"],
                     samples_per_s=event["samples_per_s"])
    elif kind == "epoch":
        state.setdefault("epoch_rows", []).append(
            {k: event[k] for k in ("epoch", "train_loss", "val_loss", "val_metric", "lr", "seconds", "samples_per_s")})
        state.update(best_epoch=event["best_epoch"], patience_counter=event["patience_counter"],
                     patience=event["patience"], epoch=event["epoch"], batch=state.get("batches", 0),
                     samples_per_s=event["samples_per_s"])
    elif kind == "finished":
        state["final"] = {k: v for k, v in event.items() if k != "type"}


@dataclass
class Job:
    id: str
    owner: str
    target: str
    payload: dict
    reducer: Callable[[dict, Any], None] | None = None
    status: str = "queued"
    reason: str = ""
    state: dict = field(default_factory=dict)
    result: dict | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    stop_requested: bool = False
    _process: Any = None
    _stop: Any = None
    _lock: Any = field(default_factory=threading.RLock)   # the manager's lock once submitted

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def snapshot(self) -> dict:
        """A consistent copy for drawing (lists copied so the reader thread may keep appending)."""
        with self._lock:
            state = {k: (list(v) if isinstance(v, list) else v) for k, v in self.state.items()}
            return {"id": self.id, "status": self.status, "reason": self.reason, "state": state,
                    "result": self.result, "created": self.created, "started": self.started, "ended": self.ended,
                    "stop_requested": self.stop_requested}


class JobManager:
    """Runs jobs in worker processes, at most `max_running` at once and `per_owner` per owner."""

    def __init__(self, max_running: int | None = None, per_owner: int | None = None):
        self.max_running = max_running or int(os.environ.get("PLAYGROUND_MAX_JOBS", "2"))
        self.per_owner = per_owner or int(os.environ.get("PLAYGROUND_JOBS_PER_SESSION", "1"))
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._running_shared = _ctx.Value("i", 0, lock=False)  # read by workers to share the cores

    # ------------------------------------------------------------------ public
    def submit(self, target: str, payload: dict, *, owner: str = "local", job_id: str | None = None,
               reducer: Callable[[dict, Any], None] | None = None) -> Job:
        job = Job(id=job_id or f"job-{next(self._ids)}", owner=owner, target=target, payload=payload, reducer=reducer,
                  _stop=_ctx.Event(), _lock=self._lock)
        with self._lock:
            if job.id in self._jobs:
                raise ValueError(f"job {job.id} exists")
            self._jobs[job.id] = job
            self._order.append(job.id)
        self._prune()
        self._schedule()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def jobs(self, owner: str | None = None) -> list[Job]:
        with self._lock:
            return [self._jobs[i] for i in self._order if owner is None or self._jobs[i].owner == owner]

    def queue_position(self, job_id: str) -> int | None:
        """1 for the next job to start; None when the job is not waiting."""
        with self._lock:
            waiting = [i for i in self._order if self._jobs[i].status == "queued"]
            return waiting.index(job_id) + 1 if job_id in waiting else None

    def stop(self, job_id: str) -> None:
        """Ask the job to stop: a queued job never starts; a running one stops within a batch."""
        job = self._jobs.get(job_id)
        if job is None:
            return
        with self._lock:
            job.stop_requested = True
            job._stop.set()
            if job.status == "queued":
                job.status, job.reason, job.ended = "stopped", "stopped before it started", time.time()
            elif job.active:
                if job.status == "starting" and job._process is not None:
                    # Still importing and loading data (seconds): nothing to keep yet, so end it now
                    # rather than after the first batch. _follow reports it as stopped.
                    job._process.terminate()
        self._schedule()

    def forget(self, job_id: str) -> bool:
        """Drop an ended job from memory (say, its run was deleted); an active job is kept."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.active:
                return False
            del self._jobs[job_id]
            self._order.remove(job_id)
            return True

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        deadline = None if timeout is None else time.time() + timeout
        job = self._jobs[job_id]
        while job.active and (deadline is None or time.time() < deadline):
            time.sleep(0.05)
        return job

    def running_count(self) -> int:
        return sum(1 for j in self._jobs.values() if j.status in ("starting", "running"))

    # ------------------------------------------------------------------ internals
    def _schedule(self) -> None:
        with self._lock:
            for job_id in self._order:
                job = self._jobs[job_id]
                if job.status != "queued":
                    continue
                if self.running_count() >= self.max_running:
                    break
                owner_running = sum(1 for j in self._jobs.values()
                                    if j.owner == job.owner and j.status in ("starting", "running"))
                if owner_running >= self.per_owner:
                    continue
                self._start(job)
            self._running_shared.value = self.running_count()

    def _start(self, job: Job) -> None:
        """Start a queued job's worker; called with the lock held, so no Stop can come in between."""
        if job.status != "queued" or job.stop_requested:
            return   # stopped since it was picked: it never starts
        events = _ctx.Queue()
        job.status, job.started = "starting", time.time()
        job._process = _ctx.Process(target=worker_main,
                                    args=(job.target, job.payload, events, job._stop, self._running_shared),
                                    daemon=True, name=f"playground-{job.id}")
        with _bare_main():
            job._process.start()
        threading.Thread(target=self._follow, args=(job, events), daemon=True, name=f"follow-{job.id}").start()

    def _follow(self, job: Job, events) -> None:
        """Fold the worker's events into the job until it reports an end or dies."""
        finished = False
        while not finished:
            try:
                event = events.get(timeout=0.2)
            except queue.Empty:
                if not job._process.is_alive():
                    # Drain anything sent just before exit, then judge.
                    try:
                        event = events.get(timeout=0.2)
                    except queue.Empty:
                        if job.stop_requested and job.status == "starting":
                            status, reason = "stopped", "stopped before training started"
                        else:
                            status = "failed"
                            reason = (f"the worker process died (exit code {job._process.exitcode}) "
                                      "before it reported a result; the best checkpoint so far is kept")
                        _end_run(job, status, reason)  # on disk first: whoever sees the status finds it
                        with job._lock:
                            job.status, job.reason = status, reason
                        break
                else:
                    continue
            with job._lock:
                finished = self._apply(job, event)
        job.ended = time.time()
        job._process.join(timeout=5)
        self._schedule()

    def _prune(self) -> None:
        """Forget the oldest ended jobs beyond MAX_ENDED_JOBS (their run directories stay)."""
        with self._lock:
            ended = [i for i in self._order if not self._jobs[i].active]
            for job_id in ended[: max(0, len(ended) - MAX_ENDED_JOBS)]:
                self._order.remove(job_id)
                del self._jobs[job_id]

    def _apply(self, job: Job, event: dict) -> bool:
        kind = event.get("type")
        if kind == "done":
            job.result = event["result"]
            job.status = (event["result"] or {}).get("status", "finished")
            job.reason = (event["result"] or {}).get("reason", "")
            return True
        if kind == "error":
            job.status = "failed"
            job.reason = event["message"]
            job.state["traceback"] = None if event.get("user_error") else event.get("traceback")
            return True
        if kind in ("start", "run") and job.status == "starting":
            job.status = "running"
        if job.reducer is not None:
            job.reducer(job.state, event)
        else:
            job.state.setdefault("events", []).append(event)
        return False

    def shutdown(self) -> None:
        for job in self.jobs():
            if job.active:
                self.stop(job.id)
        for job in self.jobs():
            if job._process is not None:
                job._process.join(timeout=5)
                if job._process.is_alive():
                    job._process.terminate()


def _end_run(job: Job, status: str, reason: str) -> None:
    """A training worker that died (or was stopped while starting) left result.json saying
    `running`, or none: record how and why it ended (zoo/runs.py keeps an ending the run wrote)."""
    from pathlib import Path

    from zoo.runs import end_run

    run_dir = job.state.get("run_dir")
    if not run_dir and job.payload.get("runs_dir") and job.payload.get("run_id"):
        run_dir = str(Path(job.payload["runs_dir"]) / job.payload["run_id"])  # killed before saying so
    if not run_dir:
        return
    try:
        end_run(run_dir, status, reason)
    except OSError:
        pass  # a full or read-only disk: the job itself still says how it ended


def submit_training(manager: JobManager, spec, *, owner: str = "local", runs_dir=None, data_dir=None) -> Job:
    """Queue a training job whose id is the run id (so `?run=<id>` works from the moment it is queued)."""
    from zoo.runs import new_run_id, runs_root

    spec.validate()
    run_id = new_run_id(spec)
    payload = {"spec": spec.to_dict(), "runs_dir": str(runs_root(runs_dir)), "data_dir": data_dir, "run_id": run_id}
    return manager.submit("zoo.worker:train", payload, owner=owner, job_id=run_id, reducer=reduce_training)
