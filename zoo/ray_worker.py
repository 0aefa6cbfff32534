"""The node side of a job on a Ray cluster: what runs in the Ray worker process that Ray picked for
the job (zoo/ray_launcher.py submits `run_job` as a Ray task).

It runs the job's target through zoo/worker.py's `main`, as a local worker process does, with two
differences:

- Events are buffered and sent to the launcher's hub actor every `FLUSH_S`; each send brings back
  whether Stop was pressed, which `should_stop` then reads (a local flag: free between batches).
- When this node does not see the server's runs directory (no shared storage: `zoo.run_transfer.shares_root`),
  the job writes its run directories to a local spool and their files go to the server with the
  events, every `FILES_EVERY_S` and once more before the job's last event (`zoo.run_transfer.changed_files`);
  paths in the events are those on the server.

A Ray worker process runs one CPU job after another (Ray reuses it), so torch is imported once per
process, not once per job; a job with a GPU gets a process of its own (`run_gpu_job`).
"""
from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

FLUSH_S = 0.2          # events reach the server this often; a Stop reaches the job as often
FILES_EVERY_S = 1.0    # without shared storage, changed run files go to the server this often
FINAL = ("done", "error")
# How long a job's sends may fail before it takes the server as gone: the hub's process may die and be restarted by
# Ray while the server lives (zoo/ray_launcher.py); a server that is gone fails every send for good.
HUB_GRACE_S = 30.0
HUB_CALL_S = 10.0   # one send's wait: a head lost with its GCS answers no call, not even that the hub is gone
SPOOL_PREFIX = "playground-spool-"   # + the worker's pid: a job's run directories on a node without the runs dir


class Outbox:
    """The worker's `events` (put) and `stop_event` (is_set) for zoo.worker.main, backed by the hub."""

    def __init__(self, hub, job_id: str, spool: str | None = None, head_root: str | None = None):
        self.hub, self.job_id, self.spool, self.head_root = hub, job_id, spool, head_root
        self._pending: list[dict] = []
        self._final: dict | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._closing = threading.Event()
        self._seen: dict = {}
        self._files_at = 0.0
        self.lost: str | None = None   # why the hub cannot be reached (the server went away)
        self._failing_since: float | None = None
        self._hub_incarnation: str | None = None
        self._failed: BaseException | None = None   # what ended the sending thread, raised by close()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="playground-outbox")

    # what zoo.worker.main calls
    def put(self, event: dict) -> None:
        event = self._on_server(event)
        with self._lock:
            if event.get("type") in FINAL:
                self._final = event   # sent last, after the run's files
            else:
                self._pending.append(event)

    def is_set(self) -> bool:
        return self._stop.is_set()

    def server_gone(self) -> bool:
        """The hub is out of reach: the server died, and the job ends `failed`, not as a Stop."""
        return self.lost is not None

    # sending: every send from the outbox's thread. A task's main thread blocked in ray.get gives its CPU back to
    # Ray while it waits (Ray's rule against deadlock), and Ray starts a waiting job in it: three jobs ran on a
    # cluster of two CPUs when started together (a teacher's check of a class on Ray). A background thread's
    # ray.get keeps the CPU; the main thread only joins the thread.
    def start(self) -> None:
        self._thread.start()   # its first send at once: the server learns where the job runs

    def _loop(self) -> None:
        try:
            self.send()
            while not self._closing.wait(FLUSH_S):
                self.send(files=time.monotonic() - self._files_at >= FILES_EVERY_S)
            # the rest, the run's files, then the final event
            while not self.send(files=True, final=True) and not self.lost:
                time.sleep(FLUSH_S)
        except BaseException as exc:   # raised by close() in the job's thread: not lost with this one (a review)
            self._failed = exc

    def send(self, files: bool = False, final: bool = False) -> bool:
        """Send what waits (and the run's changed files, and the final event); True once it has arrived. A send
        that fails is kept for the next one, until sends have failed for HUB_GRACE_S: then the server is gone."""
        with self._lock:
            batch, self._pending = self._pending, []
        if files and self.spool:
            from zoo.run_transfer import changed_files

            self._files_at = time.monotonic()
            batch += [{"type": "file", "run_id": run_id, "name": name, "data": data}
                      for run_id, name, data in changed_files(self.spool, self._seen)]
        if self.lost:
            return False
        import ray

        try:
            stop, incarnation = ray.get(self.hub.push.remote(
                self.job_id, batch + ([self._final] if final and self._final else [])), timeout=HUB_CALL_S)
            if stop:
                self._stop.set()
            if self._hub_incarnation not in (None, incarnation):
                self._seen.clear()   # a restarted hub: the files sent to the one before may not have reached the server
            self._hub_incarnation, self._failing_since = incarnation, None
            return True
        except Exception as exc:  # the hub restarting, or gone with the server that reads it: then end the job
            now = time.monotonic()
            self._failing_since = self._failing_since or now
            if now - self._failing_since < HUB_GRACE_S:
                with self._lock:
                    self._pending[:0] = batch   # sent again, in order, with what came since
                return False
            self.lost = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            self._stop.set()
            return False

    def close(self) -> None:
        """Stop sending in the background once the rest, the run files and then the final event are sent."""
        self._closing.set()
        if self._thread.ident is None:   # never started: its sends, all of them, now
            self._thread.start()
        self._thread.join()
        if self._failed is not None:
            raise self._failed

    def _on_server(self, value):
        """`value` with paths under the spool given as the server's (in dicts and lists)."""
        if not self.spool:
            return value
        if isinstance(value, str) and value.startswith(self.spool):
            return self.head_root + value[len(self.spool):]
        if isinstance(value, dict):
            return {k: self._on_server(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._on_server(v) for v in value]
        return value


def run_job(hub, job_id: str, target: str, payload: dict, ask: dict, root_token: str | None,
            copy_runs: bool = False, env: dict | None = None) -> str | None:
    """The Ray task of one job: run `target` in this Ray worker, talking to the server through `hub`.
    Returns None, or why the hub could not be reached (the server learns it from the task's value)."""
    import ray

    from zoo.run_health import SERVER_ENV
    from zoo.run_transfer import shares_root
    from zoo.worker import main

    head_root = payload.get("runs_dir")
    shared = bool(head_root) and not copy_runs and shares_root(head_root, root_token)
    spool = None
    if head_root and not shared:
        _sweep_spools()
        spool = tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-")
        payload = {**payload, "runs_dir": spool, "runs_dir_server": head_root}
    gpu_ids = [str(g) for g in ray.get_gpu_ids()]
    if not gpu_ids:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""   # no GPU was given to this job: it must not take one
    threads = max(1, int(ask.get("CPU") or 1))
    os.environ["OMP_NUM_THREADS"] = str(threads)   # read by torch when it is imported
    if "torch" in sys.modules:   # imported by an earlier job in this process
        sys.modules["torch"].set_num_threads(threads)
    # Which server started this job, for its runs' result.json (zoo/run_health.py): set per job, as
    # Ray reuses this process for the next one.
    os.environ[SERVER_ENV] = (env or {}).get(SERVER_ENV, "")
    outbox = Outbox(hub, job_id, spool, head_root)
    outbox.put({"type": "placed", "node_ip": ray.util.get_node_ip_address(), "host": socket.gethostname(),
                "node_id": ray.get_runtime_context().get_node_id(), "pid": os.getpid(), "gpu_ids": gpu_ids,
                "resources": ask, "shared_runs": shared if head_root else None})
    outbox.start()
    try:
        main(target, payload, outbox, outbox, None, {k: v for k, v in (env or {}).items()
                                                     if k.startswith("PLAYGROUND_")})
    finally:
        outbox.close()
        if spool and not outbox.lost:
            shutil.rmtree(spool, ignore_errors=True)   # every file is on the server now
    return outbox.lost


def _sweep_spools() -> None:
    """Remove the spools of jobs whose worker process died on this node (a killed job's files
    reached the server up to its last send; what is left here has no reader)."""
    for path in Path(tempfile.gettempdir()).glob(f"{SPOOL_PREFIX}*"):
        pid = path.name[len(SPOOL_PREFIX):].split("-", 1)[0]
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (ValueError, PermissionError):
            continue   # not ours, or another user's process


def run_gpu_job(*args) -> str | None:
    """`run_job` for a job given a GPU (or a share of one), in a process of its own: started for it
    (its own runtime_env) and ended after it (`max_calls=1`). CUDA reads its GPUs once per
    process, so a process that ran a CPU job, or another GPU's job, must not run it."""
    return run_job(*args)


def preload() -> int:
    """Import what a job needs (zoo/worker_preload.py) in a Ray worker process, before any job
    arrives: the process stays in Ray's pool and the next job in it starts without the imports."""
    import zoo.worker_preload  # noqa: F401

    return os.getpid()
