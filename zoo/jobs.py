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

import itertools
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from zoo.server_log import log, one_line
from zoo.server_settings import value, value_at_import
from zoo.worker import WORKER_NICE  # noqa: F401 (what the pages show)

ACTIVE = ("queued", "starting", "running")
TRAINING_TARGET = "zoo.worker:train"   # a training run's job (submit_training)
_HELD: set[str] = set()   # the queue locks this process's managers hold (JobManager._hold_queue_file)
LOST_IN_QUEUE = ("the server stopped (a restart) while this job waited in the queue, so it never started and "
                 "nothing of it ran; start it again")
MAX_BATCH_POINTS = 4000
# Ended jobs kept in memory (their runs stay on disk): enough for every tab of a busy demo.
MAX_ENDED_JOBS = value_at_import("PLAYGROUND_MAX_ENDED_JOBS")
MAX_ENDED_KEPT = 100   # ended jobs without a run directory kept in the queue file for a restart (left_no_run)


def reduce_training(state: dict, event: dict) -> None:
    """Fold one training event into the state the live chart reads."""
    kind = event.get("type")
    if kind == "start":
        state.update(device=event["device"], epochs=event["epochs"], batches=event["batches_per_epoch"],
                     sizes=event["sizes"], n_train=event.get("n_train"), status="running",
                     started_training=time.time())
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
    elif kind == "phase":   # after training: what the run does until it ends (ui/live.py says it)
        state["phase"] = event["words"]
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
    ended_by_stop: bool = False     # its worker was ended by a Stop while it was starting (JobManager.stop)
    waited_at_stop: str = ""        # why it was not running yet when that Stop came (a Ray cluster with no room)
    gpu: int | None = None          # the GPU the job runner placed it on (None: the CPU, or where the spec says)
    _handle: Any = None             # zoo.launch.WorkerHandle once started
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
                    "stop_requested": self.stop_requested, "gpu": self.gpu,
                    "where": self._handle.where if self._handle is not None else ""}

    @property
    def task(self) -> str:
        """The task the job trains or ranks ("image", "series"): a training spec's, or a leaderboard's own
        `task` (zoo/leaderboard/job.py); "" for a search, whose spec is inside its config."""
        return self.payload.get("task") or (self.payload.get("spec") or {}).get("task", "")

    @property
    def wants_gpu(self) -> bool:
        """A job whose spec lets the job runner choose its GPU (device `auto` or `cuda`)."""
        spec = self.payload.get("spec") or (self.payload.get("config") or {}).get("spec") or {}
        return spec.get("device", "auto") in ("auto", "cuda")


class JobManager:
    """Runs jobs in workers, at most `max_running` at once and `per_owner` per owner (a visitor).

    `launcher` starts the workers (zoo/launch.py: local processes by default, or Ray tasks on a
    cluster, `make_launcher`). On a machine with
    GPUs, a job whose device is `auto` goes to the GPU that runs the fewest jobs, at most
    `jobs_per_gpu` per GPU (PLAYGROUND_JOBS_PER_GPU); `gpus` overrides the count (tests)."""

    def __init__(self, max_running: int | None = None, per_owner: int | None = None, *, launcher=None,
                 gpus: int | None = None, jobs_per_gpu: int | None = None, queue_dir=None):
        from zoo.launch import LocalLauncher

        self.max_running = max_running or value("PLAYGROUND_MAX_JOBS")   # (checked: zoo/server_settings.py)
        self.per_owner = per_owner or value("PLAYGROUND_JOBS_PER_SESSION")
        self.launcher = launcher or LocalLauncher()
        # A launcher that places jobs itself (a Ray cluster: zoo/ray_launcher.py) is given no GPU here.
        self.gpus = 0 if getattr(self.launcher, "places_gpus", False) else (_gpu_count() if gpus is None else gpus)
        self.jobs_per_gpu = jobs_per_gpu or value("PLAYGROUND_JOBS_PER_GPU")
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._running_shared = self.launcher.shared_counter()  # read by workers to share the cores
        # The queue is kept on disk too (`queue_dir`: zoo/runs.queue_path): a queued job has no run directory yet, and a server restarted
        # under it lost it without a word ("there is no run ...: it was deleted", a demo visitors' check).
        self._queue_file = self._queue_lock = None
        if queue_dir is not None:
            self._hold_queue_file(queue_dir)

    # ------------------------------------------------------------------ public
    def submit(self, target: str, payload: dict, *, owner: str = "local", job_id: str | None = None,
               reducer: Callable[[dict, Any], None] | None = None) -> Job:
        job = Job(id=job_id or f"job-{next(self._ids)}", owner=owner, target=target, payload=payload, reducer=reducer,
                  _lock=self._lock)
        with self._lock:
            self.check_room_for(owner)
            if job.id in self._jobs:
                raise ValueError(f"job {job.id} exists")
            self._jobs[job.id] = job
            self._order.append(job.id)
        self._prune()
        self._schedule()
        return job

    @property
    def lock(self):
        """The job runner's lock (re-entrant): held, no job is submitted, started or stopped by another thread."""
        return self._lock

    def check_room_for(self, owner: str, jobs: int = 1) -> None:
        """On the hosted demo, SpecError where `owner` would hold more than `per_owner` jobs queued or running with
        `jobs` more. A page's Start is off then (`blocking`), but the cap is the job runner's: jobs from a script,
        or two tabs at once, had queued past it, each counted in every other visitor's queue position (a demo
        visitors' check). Elsewhere a person's own jobs may wait in the queue (the command line's search workers)."""
        from zoo import demo
        from zoo.registry import SpecError

        if not demo.demo_mode():
            return
        with self._lock:
            held = sum(1 for j in self._jobs.values() if j.owner == owner and j.active)
        if held + jobs > self.per_owner:
            n = self.per_owner
            raise SpecError(f"you have {held} job{'s' if held != 1 else ''} queued or running, and a visitor may hold "
                            f"{n} at a time on this demo{f' ({jobs} more asked)' if jobs > 1 else ''}; stop one, or "
                            "wait for it to end.")

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
            if job.status == "queued":
                job.status, job.reason, job.ended = "stopped", "stopped before it started", time.time()
                self._journal_queue()
                _log_end(job)
            elif job.active and job._handle is not None:
                job._handle.request_stop()
                if job.status == "starting":
                    # Still loading the data: nothing to keep yet, so end it now rather than after
                    # the first batch. _follow reports it as stopped, by this mark: the worker's "running" can
                    # still arrive before its end, and a job judged by its status then read "failed: killed by
                    # SIGTERM" after a Stop (a loaded machine's browser test).
                    job.ended_by_stop = True
                    job.waited_at_stop = getattr(job._handle, "waiting", "") or ""
                    job._handle.terminate()
        self._schedule()

    def forget(self, job_id: str) -> bool:
        """Drop an ended job from memory (say, its run was deleted); an active job is kept."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.active:
                return False
            del self._jobs[job_id]
            self._order.remove(job_id)
            # out of the queue file too: a job that left no run is kept there for a restart, which had brought a
            # dismissed one back (the Runs page's Dismiss: a review)
            self._journal_queue()
            return True

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        deadline = None if timeout is None else time.time() + timeout
        job = self._jobs[job_id]
        while job.active and (deadline is None or time.time() < deadline):
            time.sleep(0.05)
        with self._lock:   # what the job's end does under the lock (its queue file: _follow) is done when this returns
            return job

    def running_count(self, owner: str | None = None) -> int:
        """Jobs that hold a worker now (of one owner, or all)."""
        with self._lock:   # a page's thread reads while a submit or a prune changes the dict (a review)
            return sum(1 for j in self._jobs.values()
                       if j.status in ("starting", "running") and (owner is None or j.owner == owner))

    def blocking(self, owner: str) -> Job | None:
        """The newest of `owner`'s jobs when they have as many queued or running as they may run at
        once (a new one would only wait): what turns a page's Start off. None when they may start one."""
        mine = [j for j in self.jobs(owner) if j.active]
        return mine[-1] if len(mine) >= self.per_owner else None

    def gpu_load(self) -> list[list[str]]:
        """For each GPU, the ids of the jobs placed on it that hold a worker now."""
        load: list[list[str]] = [[] for _ in range(self.gpus)]
        with self._lock:
            jobs = list(self._jobs.values())
        for j in jobs:
            if j.gpu is not None and j.status in ("starting", "running") and j.gpu < self.gpus:
                load[j.gpu].append(j.id)
        return load

    def describe_wait(self, job_id: str) -> str:
        """Why a queued job is not running yet, in one line; "" when it is not waiting. A job this
        server has started can still wait for its launcher (a Ray cluster with no room: its handle's
        `waiting`)."""
        job = self._jobs.get(job_id)
        position = self.queue_position(job_id)
        if job is not None and job.status == "starting" and job._handle is not None:
            return getattr(job._handle, "waiting", "")
        if job is None or position is None:
            return ""
        if self.running_count(job.owner) >= self.per_owner:
            n = self.per_owner
            why = f"a visitor may run {n} job{'s' if n > 1 else ''} at a time; it starts when yours ends"
        elif self.running_count() >= self.max_running:
            n = self.max_running
            why = f"the server runs at most {n} job{'s' if n > 1 else ''} at once"
        elif self.gpus and job.wants_gpu and self._free_gpu() is None:
            n = self.jobs_per_gpu
            why = f"every GPU runs {n} job{'s' if n > 1 else ''}, as many as it may (PLAYGROUND_JOBS_PER_GPU={n})"
        else:
            why = "it starts in a moment"
        return f"position {position} in the queue: {why}"

    # ------------------------------------------------------------------ internals
    def _schedule(self) -> None:
        with self._lock:
            for job_id in self._order:
                job = self._jobs[job_id]
                if job.status != "queued":
                    continue
                if self.running_count() >= self.max_running:
                    break
                if self.running_count(job.owner) >= self.per_owner:
                    continue
                gpu = self._free_gpu() if (self.gpus and job.wants_gpu) else None
                if self.gpus and job.wants_gpu and gpu is None:
                    continue   # every GPU is full: it waits, and a CPU job behind it may start
                self._start(job, gpu)
            self._running_shared.value = self.running_count()
            self._journal_queue()   # what still waits, after what started (a job that starts at once never waited)

    def _free_gpu(self) -> int | None:
        """The GPU that runs the fewest jobs, if one has room for another."""
        load = [len(ids) for ids in self.gpu_load()]
        best = min(range(len(load)), key=load.__getitem__, default=None)
        return best if best is not None and load[best] < self.jobs_per_gpu else None

    def _start(self, job: Job, gpu: int | None = None) -> None:
        """Start a queued job's worker; called with the lock held, so no Stop can come in between."""
        if job.status != "queued" or job.stop_requested:
            return   # stopped since it was picked: it never starts
        job.status, job.started, job.gpu = "starting", time.time(), gpu
        # The server's own settings as they are now (demo mode, caps...): a forked worker inherits the
        # forkserver's environment, which is the server's as it was when the forkserver started.
        env = {k: v for k, v in os.environ.items() if k.startswith("PLAYGROUND_")}
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = visible_device(gpu)
        try:
            job._handle = self.launcher.start(job, self._running_shared, env)
        except Exception as exc:  # no worker could be started (out of memory, a cluster that went away...)
            from zoo.registry import SpecError

            if isinstance(exc, SpecError):   # the job asks for what the place lacks (a GPU on a cluster without one):
                job.status, job.reason = "failed", str(exc)   # bad input, said as such (exit 2, no traceback),
                job.state["traceback"] = None                  # not a worker lost (a Ray user's check)
            else:
                job.status, job.reason = "failed", f"its worker could not be started: {exc}"
            job.ended = time.time()
            _log_end(job)
            return
        log.info("job %s started (%s, visitor %s%s)", job.id, job.target.rsplit(":", 1)[-1], job.owner[:8],
                 "" if gpu is None else f", GPU {gpu}")
        threading.Thread(target=self._follow, args=(job, job._handle.events), daemon=True,
                         name=f"follow-{job.id}").start()

    def _follow(self, job: Job, events) -> None:
        """Fold the worker's events into the job until it reports an end or dies; on the hosted demo, end its
        worker once it runs past the wall-time cap and its grace (zoo/demo.hard_deadline)."""
        from zoo import demo

        caps, finished, ended_by_cap = demo.caps(), False, False
        hard = demo.hard_deadline(job.started or time.time())
        while not finished:
            try:
                event = events.get(timeout=0.2)
            except queue.Empty:
                if hard is not None and not ended_by_cap and time.time() > hard and job._handle.is_alive():
                    job._handle.terminate()
                    ended_by_cap = True
                if not job._handle.is_alive():
                    # Drain anything sent just before exit, then judge.
                    try:
                        event = events.get(timeout=0.2)
                    except queue.Empty:
                        if ended_by_cap:
                            status, reason = "stopped", demo.ended_at_hard_deadline(caps.wall_seconds)
                        elif job.ended_by_stop:   # (a Ray job with no room yet had no worker: a teacher's check;
                            # one Ray was starting a worker for had room: a review)
                            status, reason = "stopped", ("stopped while it waited for room on the Ray cluster"
                                                         if job.waited_at_stop.startswith("waiting for the Ray")
                                                         else "stopped while its worker was starting")
                        else:
                            status = "failed"
                            # any job's (a run keeps its best checkpoint, a leaderboard its finished rows)
                            reason = f"{job._handle.death()} before it reported a result; what it had finished is kept"
                        _end_run(job, status, reason)  # on disk first: whoever sees the status finds it
                        with job._lock:
                            job.status, job.reason, job.ended = status, reason, time.time()
                            self._journal_queue()   # (one that wrote no run directory: kept for a restart)
                        break
                else:
                    continue
            if event.get("type") == "error":   # a worker whose own last write failed (a full disk) left it `running`
                _end_run(job, "failed", event.get("message") or "the job failed")
            with job._lock:
                finished = self._apply(job, event)
                if finished:
                    job.ended = time.time()
                    self._journal_queue()
        _log_end(job)
        job._handle.join(timeout=5)
        self._schedule()

    def _hold_queue_file(self, queue_dir) -> None:
        """This manager's queue file, and a lock held on it while the process lives: a server gone (killed, or its
        container replaced: a new host name, and pid 1 again) is told by its lock being free, not by its pid or
        host. Then the queues of servers that are gone are taken over (_adopt_lost_queues)."""
        import fcntl
        import secrets
        import socket
        from pathlib import Path

        queue_dir = Path(queue_dir)
        try:
            queue_dir.mkdir(parents=True, exist_ok=True)
            name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
            self._queue_lock = open(queue_dir / f"{name}.lock", "w")
            # A POSIX lock (lockf), not flock: a process forked from the server (the workers' forkserver) does not
            # inherit it, so it is free once the server is gone, whatever outlives it. It is the process's, so the
            # process's own managers (tests) skip each other's files by name (_HELD).
            fcntl.lockf(self._queue_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _HELD.add(self._queue_lock.name)
        except OSError:
            return   # a read-only runs directory: the queue is kept in memory only, as before
        self._queue_file = queue_dir / f"{name}.json"
        self._adopt_lost_queues(queue_dir)
        with self._lock:
            self._journal_queue()   # the adopted ended jobs, kept for the next restart too

    def _journal_queue(self) -> None:
        """Write this manager's queued jobs to its queue file (none: no file), and its ended jobs that wrote no
        run directory (`left_no_run`) with how they ended; called with the lock held, each time the queue
        changes and each time a job ends. A job's payload is what its worker is given: JSON (a spec's dict)."""
        if self._queue_file is None:
            return
        import json

        from zoo import demo
        from zoo.runs import atomic_write_text

        jobs = [self._jobs[i] for i in self._order]
        caps = demo.caps()   # on the hosted demo, kept as long as runs are (its sweep's age)
        kept_since = time.time() - caps.max_age_hours * 3600 if caps is not None else 0
        waiting = [{"id": j.id, "owner": j.owner, "target": j.target, "payload": j.payload, "created": j.created}
                   for j in jobs if j.status == "queued"]
        waiting += [{"id": j.id, "owner": j.owner, "target": j.target, "payload": j.payload, "created": j.created,
                     "status": j.status, "reason": j.reason, "ended": j.ended,
                     "traceback": j.state.get("traceback")} for j in jobs
                    if left_no_run(j) and (j.ended or 0) >= kept_since][-MAX_ENDED_KEPT:]
        try:
            if waiting:
                atomic_write_text(self._queue_file, json.dumps({"jobs": waiting}, default=str))
            else:
                self._queue_file.unlink(missing_ok=True)
        except (OSError, TypeError, ValueError):
            pass   # a full disk, a payload JSON cannot hold: the queue still runs; only a restart's word on it is lost

    def _adopt_lost_queues(self, queue_dir) -> None:
        """The jobs a server that is gone (its queue file's lock free: _hold_queue_file) left waiting in its queue:
        kept as `failed` jobs, saying why, so that their run's address says what became of them; its files are
        then removed. Another live server's queue (one runs directory, two servers) is left alone."""
        import fcntl
        import json

        for lock_path in sorted(queue_dir.glob("*.lock")):
            path = lock_path.with_suffix(".json")
            if str(lock_path) in _HELD:
                continue
            try:
                with open(lock_path, "a") as held:
                    fcntl.lockf(held, fcntl.LOCK_EX | fcntl.LOCK_NB)   # taken: its server is gone
                    left = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
                    self._adopt(left.get("jobs", []) if isinstance(left, dict) else [])
                    path.unlink(missing_ok=True)
                    lock_path.unlink(missing_ok=True)
            except (OSError, ValueError):   # held by a live server, or a file half written: left alone
                continue

    def _adopt(self, entries: list) -> None:
        """A gone server's jobs: those that waited, `failed` as LOST_IN_QUEUE; those that had ended without a run
        directory, as they ended (they are this manager's to keep on disk now: _journal_queue)."""
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or entry["id"] in self._jobs:
                continue
            ended = entry.get("status") in ("failed", "stopped") and isinstance(entry.get("reason"), str)
            job = Job(id=entry["id"], owner=str(entry.get("owner", "local")), target=str(entry.get("target", "")),
                      payload=entry.get("payload") if isinstance(entry.get("payload"), dict) else {},
                      status=entry["status"] if ended else "failed", reason=entry["reason"] if ended else LOST_IN_QUEUE,
                      created=_time(entry.get("created")), ended=_time(entry.get("ended")),
                      _lock=self._lock)
            if ended and isinstance(entry.get("traceback"), str):
                job.state["traceback"] = entry["traceback"]
            self._jobs[job.id] = job
            self._order.append(job.id)

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
            if job._handle is not None:
                job._handle.join(timeout=5)
                if job._handle.is_alive():
                    job._handle.terminate()
        if self._queue_lock is not None:   # nothing waits now (every job stopped); what ended is said where it
            from pathlib import Path      # ended (the command line that shut it down): nothing left for a restart

            Path(self._queue_lock.name).unlink(missing_ok=True)
            if self._queue_file is not None:
                self._queue_file.unlink(missing_ok=True)
            _HELD.discard(self._queue_lock.name)
            self._queue_lock.close()
            self._queue_lock = None


def _log_end(job: Job) -> None:
    took = f" after {job.ended - job.started:.0f} s" if job.started and job.ended else ""
    said = log.warning if job.status == "failed" else log.info
    said("job %s ended %s%s%s", job.id, job.status, took, f": {one_line(job.reason)}" if job.reason else "")


def _time(value) -> float:
    """A time read from a queue file: a number, else now (a file edited or cut short: a review)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else time.time()


def left_no_run(job: Job) -> bool:
    """An ended training or leaderboard job that never wrote its run directory (data it could not read, stopped
    before it started): the job is all that says how it ended. Its run's address had said "there is no run ...:
    it was deleted" after a restart (a learner's check: MNIST that could not be downloaded)."""
    from pathlib import Path

    if job.active or job.state.get("run_dir") or not (job.payload.get("runs_dir") and job.payload.get("run_id")):
        return False
    return not (Path(job.payload["runs_dir"]) / job.payload["run_id"]).exists()


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


def visible_device(gpu: int) -> str:
    """What a worker placed on the server's GPU number `gpu` gets as CUDA_VISIBLE_DEVICES: the
    server's own entry for it when the server was started with a CUDA_VISIBLE_DEVICES list (its GPU 0
    under `CUDA_VISIBLE_DEVICES=2,3` is device 2, or that entry's UUID), else the number itself."""
    entries = [e.strip() for e in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if e.strip()]
    return entries[gpu] if gpu < len(entries) else str(gpu)


def _gpu_count() -> int:
    """CUDA GPUs here, without initialising CUDA in the server (torch.cuda.device_count does not)."""
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count()


def submit_training(manager: JobManager, spec, *, owner: str = "local", runs_dir=None, data_dir=None) -> Job:
    """Queue a training job whose id is the run id (so `?run=<id>` works from the moment it is queued)."""
    from zoo import demo
    from zoo.runs import new_run_id, runs_root

    spec.validate()
    demo.check_spec(spec, n_train=demo.known_train_samples(spec))   # a CSV's size: checked by the engine once read
    demo.check_room(owner, runs_root(runs_dir))
    run_id = new_run_id(spec)
    payload = {"spec": spec.to_dict(), "runs_dir": str(runs_root(runs_dir)), "data_dir": data_dir, "run_id": run_id,
               "owner": owner}
    return manager.submit(TRAINING_TARGET, payload, owner=owner, job_id=run_id, reducer=reduce_training)
