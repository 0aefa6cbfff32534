"""Jobs on a Ray cluster: the job runner's launcher for PLAYGROUND_RAY_ADDRESS (zoo/launch.py).

`RayLauncher.start` submits a job as a Ray task (zoo/ray_worker.py `run_job`) that asks the
cluster for CPUs and, for a job that may use a GPU, a share of one (PLAYGROUND_GPU_PER_JOB=0.25 puts
four jobs on a GPU): Ray, not the server, decides which node runs it and when. The job runner
(zoo/jobs.py) keeps its queue, caps, owners and Stop as they are: a `RayHandle` answers what a local
worker's handle does.

    server (the app, or `python -m zoo search --ray`)        Ray worker process on some node
    JobManager -> RayLauncher.start -------- Ray task ----->  run_job -> zoo.worker.main(target)
    RayHandle.events  <- poller (every POLL_S) <- hub actor <- Outbox (every FLUSH_S): events, Stop
                                                                                      and run files

One small actor, the hub, holds every job's events until the server's poller takes them, and the
Stop flags the jobs read back with each send. A job's end is seen twice over: its last event
("done" or "error"), or its task ending without one (the worker process or its node died, the task
was cancelled), which `death()` puts in words.
"""
from __future__ import annotations

import json
import os
import queue
import re
import secrets
import threading
import time
import types
from pathlib import Path

from zoo.registry import SpecError
from zoo.run_health import SERVER_ENV, process_identity
from zoo.server_settings import value, value_at_import

POLL_S = 0.1
# The cluster's free CPUs and GPUs are read by the poller this often (the page and the job runner read its copy: a
# read of Ray's own waits as long as the cluster does not answer, which had been for ever on a page).
REFRESH_S = 2.0
# A cluster whose head (its GCS) refuses a connection is taken as gone at once, its jobs ended and new ones refused
# in words: a head started again on the same port is another cluster, and Ray ends this process (WrongClusterID) at
# the first read of its state there (`ray stop; ray start --head` had ended the app: a Ray user's check). A head
# that does not answer at all (a network cut) is taken as gone after this long.
LOST_AFTER_S = 10.0
# How long the Ray core worker in this process waits on a lost head before it ends the process: the server is a
# Ray driver, and Ray's default (60 s) had ended the app itself, every visitor's page with it, after `ray stop`
# (a Ray user's check). A year: the server keeps serving and says the cluster is gone.
RECONNECT_S = str(365 * 24 * 3600)
# How long a job whose node died waits to see whether the cluster's head goes too before its failure is worded:
# `ray stop` ends the raylet first and the GCS a second or two later.
HEAD_GOES_S = 5.0
ADDRESS_RE = re.compile(r"^(local|auto|ray://[\w.\-]+:\d+|[\w.\-]+:\d+)$")
ZOO_DIR = Path(__file__).resolve().parent


def check_address(address: str, named: str = "PLAYGROUND_RAY_ADDRESS") -> str:
    """`address` where it is a Ray address, else SpecError naming where it was given (`named`: the environment
    variable, or the command line's --ray, which `--ray foo` had been blamed on: a Ray user's check)."""
    address = (address or "").strip()
    if not ADDRESS_RE.match(address):
        given = f"{named} {address[:80]!r}" if named.startswith("-") else f"{named}={address[:80]!r}"
        raise SpecError(f"{given} is not a Ray address; use local (a cluster on "
                        "this machine), auto (the cluster `ray start` made here), ray://HOST:10001 or HOST:6379.")
    return address


def _spec(payload: dict) -> dict:
    return payload.get("spec") or (payload.get("config") or {}).get("spec") or {}


def _amounts(ask: dict) -> str:
    parts = [f"{ask['CPU']:g} CPU"]
    if ask.get("GPU"):
        parts.append(f"{ask['GPU']:g} GPU")
    return " and ".join(parts)


_started = threading.Event()
_start_lock = threading.Lock()
# How long a connection may take before it is given up, said in a sentence: ray.init on an address nobody listens at
# had kept the app's every page on "Starting the job runner…" and the CLI silent for over six minutes (a Ray user's
# check). A cluster that lacks this machine's token answers within about 20 s, with its own reason; starting a local
# cluster takes about 4 s here.
CONNECT_TIMEOUT_S = value_at_import("PLAYGROUND_RAY_CONNECT_TIMEOUT")
_connecting: dict = {}   # the keeper thread's attempt while it lasts: {"address", "done", "failure"}


def connect(address: str, num_cpus: int | None = None, timeout: float | None = None) -> None:
    """Connect this process to Ray (once): start a local cluster, or join `auto` or an address.

    From a thread that lives as long as the process: Ray ties the processes of a cluster it starts
    to the thread that started them (PR_SET_PDEATHSIG), and a Streamlit script thread ends with
    its script run. Raises SpecError where the connection fails or takes more than `timeout` seconds
    (CONNECT_TIMEOUT_S); an attempt still under way is waited on again by the next call, not repeated."""
    import ray
    from ray._private import auto_init_hook

    # No cluster started by a call into Ray after ray.shutdown (the poller's, as the app exits): one had started a
    # fresh local cluster whose agents outlived the app (a Ray user's check). What RAY_ENABLE_AUTO_CONNECT=0 sets,
    # where Ray was imported before this process's environment could say so.
    auto_init_hook.enable_auto_connect = False
    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    with _start_lock:
        if ray.is_initialized():
            return
        with _attempt_lock:
            pending = dict(_connecting)
        if pending:   # an earlier call gave up waiting on this attempt: wait on it, rather than start another
            _wait_for_connection(pending, timeout)
            return
        kwargs: dict = dict(include_dashboard=False, log_to_driver=False)
        if address == "local":
            kwargs.update(address="local", num_cpus=num_cpus)
        else:
            kwargs["address"] = address
            if value("PLAYGROUND_RAY_SHIP_CODE"):
                # The nodes get this checkout's zoo package from the server (they need the same
                # Python packages installed: requirements.txt and requirements-ray.txt).
                kwargs["runtime_env"] = {"py_modules": [str(ZOO_DIR)], "excludes": ["__pycache__"]}
        # Set whatever the environment said: Ray reads it at ray.init, in this process and the local cluster's own.
        os.environ["RAY_gcs_rpc_server_reconnect_timeout_s"] = RECONNECT_S
        attempt = {"address": address, "done": threading.Event(), "failure": []}

        def keeper() -> None:
            try:
                ray.init(**kwargs)
            except BaseException as exc:  # reported to the caller below
                attempt["failure"].append(exc)
            with _attempt_lock:
                _connecting.clear()
            attempt["done"].set()
            if not attempt["failure"]:
                threading.Event().wait()   # keep the thread (and so the local cluster) alive

        with _attempt_lock:
            _connecting.update(attempt)
        threading.Thread(target=keeper, daemon=True, name="ray-keeper").start()
        _wait_for_connection(attempt, timeout)


_attempt_lock = threading.Lock()


def _wait_for_connection(attempt: dict, timeout: float) -> None:
    """Wait up to `timeout` seconds on a keeper thread's `attempt`; SpecError where it failed or is not done."""
    address = attempt["address"]
    how = ("check that `ray start --head` runs there and that this machine has the cluster's token "
           "(~/.ray/auth_token, with RAY_AUTH_MODE=token): see the README, 'Beyond one machine'")
    if not attempt["done"].wait(timeout):
        raise SpecError(f"could not reach the Ray cluster at {address} within {timeout:g} s; {how}.")
    if attempt["failure"]:
        exc = attempt["failure"][0]
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError(f"could not reach the Ray cluster at {address}: {first}; {how}.")


def _head_address() -> tuple[str, int] | None:
    """The cluster's head (its GCS) as (host, port), for a driver; None for a Ray Client."""
    import ray

    try:
        host, port = ray.get_runtime_context().gcs_address.rsplit(":", 1)
        return host, int(port)
    except Exception:
        return None


def _this_node():
    """Ray's placement on this process's node: the hub lives and dies with the server, not with
    some worker node. (A Ray Client has no node of its own: then anywhere.)"""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    try:
        return NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=True)
    except Exception:
        return "DEFAULT"


class _Hub:
    """The actor between the server and its jobs: events waiting to be taken, and Stop flags."""

    def __init__(self):
        self._events: dict[str, list] = {}
        self._stops: set[str] = set()
        self.incarnation = secrets.token_hex(4)   # a new one when Ray restarts the hub: what it held is lost

    def push(self, job_id: str, events: list) -> tuple[bool, str]:
        """Take a job's events; whether its Stop was pressed, and which hub took them (zoo/ray_worker.Outbox sends
        its run's files again to a restarted one: the last ones sent may have been lost with the hub before)."""
        if events:
            self._events.setdefault(job_id, []).extend(events)
        return job_id in self._stops, self.incarnation

    def stop(self, job_id: str) -> None:
        self._stops.add(job_id)

    def drain(self) -> dict:
        out, self._events = self._events, {}
        return out

    def forget(self, job_id: str) -> None:
        self._stops.discard(job_id)
        self._events.pop(job_id, None)


def _end_worker_here(placed: dict | None) -> None:
    """A job's Ray worker process, where it runs on this machine: killed. Its node's raylet gone with the head, no
    cancel reaches it, and it trained on, orphaned, writing its run (a Ray worker is named `ray::...`: a pid taken
    since by another process is left alone)."""
    import signal
    import socket

    if not placed or placed.get("host") != socket.gethostname() or not placed.get("pid"):
        return
    try:
        if Path(f"/proc/{placed['pid']}/cmdline").read_bytes().startswith(b"ray::"):
            os.kill(int(placed["pid"]), signal.SIGKILL)
    except (OSError, ValueError):
        pass


class RayHandle:
    """A job's Ray task, as the job runner sees it (the interface of zoo.launch.WorkerHandle)."""

    def __init__(self, launcher: "RayLauncher", job_id: str, ref, ask: dict, runs_root: str | None):
        self.launcher, self.job_id, self.ref, self.ask, self.runs_root = launcher, job_id, ref, ask, runs_root
        self.events: queue.Queue = queue.Queue()
        self.placed: dict | None = None      # the worker's first event: node, pid, GPUs
        self.exited = False                  # its task ended and every event it sent has been taken
        self.stop_requested = False
        self.file_errors: list[str] = []

    def deliver(self, events: list) -> None:
        """Called by the launcher's poller with this job's events, in order."""
        from zoo.run_transfer import receive_file

        for event in events:
            kind = event.get("type")
            if kind == "placed":
                self.placed = event
            elif kind == "file":
                try:
                    receive_file(self.runs_root, event["run_id"], event["name"], event["data"])
                except (OSError, SpecError) as exc:
                    self.file_errors.append(str(exc))
            else:
                self.events.put(event)

    @property
    def where(self) -> str:
        p = self.placed
        if p is None:
            return ""
        gpus = f" (GPU {', '.join(p['gpu_ids'])})" if p.get("gpu_ids") else ""
        files = {True: "", False: "; its run files are copied here as it goes", None: ""}[p.get("shared_runs")]
        return f"Ray node {p['node_ip']} ({p['host']}), pid {p['pid']}: {_amounts(self.ask)}{gpus}{files}"

    @property
    def waiting(self) -> str:
        """Why the cluster has not started it yet, in one line; "" once it runs."""
        return "" if self.placed is not None or self.exited else self.launcher.why_waiting(self.ask)

    @property
    def pid(self) -> int | None:
        return self.placed["pid"] if self.placed else None

    def request_stop(self) -> None:
        self.stop_requested = True   # sent again while the job runs: a hub restarted since has forgotten it
        self.launcher.hub.stop.remote(self.job_id)

    def is_alive(self) -> bool:
        return not self.exited

    def terminate(self) -> None:
        import ray

        try:
            ray.cancel(self.ref, force=True)
        except Exception:  # already ended
            pass

    def join(self, timeout: float | None = None) -> None:
        import ray

        ray.wait([self.ref], timeout=timeout)
        self.launcher.forget(self)

    def death(self) -> str:
        """Why the task ended without reporting, in words."""
        import ray
        from ray import exceptions as rx

        node = f"Ray node {self.placed['node_ip']} ({self.placed['host']})" if self.placed else "the Ray cluster"
        if self.launcher.head() in ("refused", "lost"):
            return self.launcher.lost_words()
        try:
            lost = ray.get(self.ref, timeout=5)
            return f"its Ray task on {node} could not reach this server ({lost})" if lost else \
                f"its Ray task on {node} ended"
        except rx.TaskCancelledError:
            return f"its Ray task on {node} was cancelled"
        except rx.OutOfMemoryError:
            return f"Ray ended its worker on {node}: the node ran out of memory"
        except (rx.NodeDiedError, rx.WorkerCrashedError, rx.LocalRayletDiedError) as exc:
            # a worker that crashed before it said where it runs was on a node all the same (a review)
            crashed = isinstance(exc, rx.WorkerCrashedError)
            node_gone = not self.launcher.node_alive(self.placed["node_id"]) if self.placed else not crashed
            # `ray stop` ends a node's raylet and its workers first and the head's GCS a second or two later: a job
            # ended in between had been said "left the cluster", its cluster stopped (a teacher's check)
            if node_gone and self._head_goes(within=HEAD_GOES_S):
                return self.launcher.lost_words()
            if not self.placed and not crashed:   # never on a node: no worker of its own (a teacher's check)
                return "the Ray cluster ended it before it started on a node"
            if node_gone:
                return f"{node} left the cluster"
            if isinstance(exc, rx.NodeDiedError):
                return f"{node} was lost"
            return f"the Ray worker process on {node} died (killed, or out of memory)"
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            return f"its Ray task on {node} failed ({type(exc).__name__}: {first[:200]})"


    def _head_goes(self, within: float) -> bool:
        """Whether the cluster's head stops answering within `within` seconds (a Ray Client's, which has no head
        address to ask, never: not waited on)."""
        if self.launcher._head is None:
            return self.launcher.head() == "lost"
        deadline = time.monotonic() + within
        while True:
            if self.launcher.head() in ("refused", "lost"):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)


class RayLauncher:
    """Jobs as Ray tasks on the cluster at `address` (`local`, `auto`, `ray://host:port`, `host:port`).

    Each job asks for `cpus_per_job` CPUs (PLAYGROUND_CPUS_PER_JOB, default 1) and, when its device
    is `auto` or `cuda` and the cluster has GPUs, `gpu_per_job` of a GPU (PLAYGROUND_GPU_PER_JOB,
    default 0: on the CPU; a `cuda` job asks a whole GPU then). `copy_runs` (PLAYGROUND_RAY_COPY_RUNS=1)
    sends the run files to the server even from a node that shares the runs directory; by default
    only nodes without it do. `warm` imports torch and the zoo in the local cluster's workers at once."""

    places_gpus = True   # the job runner does not pick GPUs: the cluster does

    def __init__(self, address: str = "local", *, num_cpus: int | None = None, cpus_per_job: float | None = None,
                 gpu_per_job: float | None = None, copy_runs: bool | None = None, warm: bool = False):
        import ray

        self.address = check_address(address)
        # (zoo/server_settings.py's "share": its one rule for the settings and for these arguments)
        self.cpus_per_job = value("PLAYGROUND_CPUS_PER_JOB", given=cpus_per_job)
        self.gpu_per_job = value("PLAYGROUND_GPU_PER_JOB", given=gpu_per_job)
        if copy_runs is None:
            copy_runs = value("PLAYGROUND_RAY_COPY_RUNS")
        self.copy_runs = copy_runs
        if num_cpus is None:
            num_cpus = value("PLAYGROUND_RAY_CPUS")
        connect(self.address, num_cpus)
        from zoo.ray_worker import preload, run_gpu_job, run_job

        # No retries: a job whose worker died is reported failed, not silently run again.
        self._task = ray.remote(max_retries=0, retry_exceptions=False)(run_job)
        self._gpu_task = ray.remote(max_retries=0, retry_exceptions=False, max_calls=1)(run_gpu_job)
        # Restarted by Ray when its process dies while this server lives (killed, or out of memory): without, every
        # later job failed at once, "could not reach this server", until the app was restarted (a Ray user's check).
        # A job's sends wait for it a while (zoo/ray_worker.HUB_GRACE_S); Stops are sent again (_poll). No task
        # retries: with them, a call to the hub killed at close was retried for ever, said on the command's stdout.
        self.hub = ray.remote(num_cpus=0, max_restarts=-1)(_Hub).options(scheduling_strategy=_this_node()).remote()
        self._handles: dict[str, RayHandle] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._resources: tuple[float, dict, dict] = (0.0, {}, {})
        self.lost_at: float | None = None     # when the cluster's head was found gone (time.time())
        self._refreshing = threading.Lock()
        # A Ray Client is told the cluster's own internal head address, which its machine may not reach (only the
        # client port open, a port-forward): no probe, or a healthy cluster would be taken as lost (a review).
        self._head = None if self.address.startswith("ray://") else _head_address()
        self.refresh_resources()
        self._poller = threading.Thread(target=self._poll, daemon=True, name="ray-jobs-poller")
        self._poller.start()
        if warm and self.address == "local":
            warm_up = ray.remote(num_cpus=1, max_retries=0)(preload)
            for _ in range(min(8, int(self.total().get("CPU", 1)))):
                warm_up.remote()

    # ------------------------------------------------------------------ the launcher interface
    def refusal(self) -> str | None:
        """Why no job can start now, or None: the cluster was found gone. The pages turn Start off with it (a
        Start after `ray stop` had made a job that failed at once: a teacher's check), and `start` refuses with it."""
        if self.lost_at is None:
            return None
        return f"{self.lost_words()}; restart the app (or the command) to start or join a cluster again"

    def new_event(self):
        return threading.Event()

    def shared_counter(self):
        return types.SimpleNamespace(value=0)   # Ray gives each job its CPUs: nothing to share

    def start(self, job, running_shared=None, env: dict | None = None) -> RayHandle:
        from zoo.run_transfer import mark_root

        if (why := self.refusal()) is not None:
            raise SpecError(why)
        ask = self.resources_for(job)
        payload = dict(job.payload)
        for key in ("runs_dir", "data_dir"):   # the same folder on every node, whatever its working directory
            if payload.get(key):
                payload[key] = str(Path(payload[key]).resolve())
        token = mark_root(payload["runs_dir"]) if payload.get("runs_dir") else None
        options = {"num_cpus": ask["CPU"], "num_gpus": ask["GPU"], "name": f"playground {job.id}"}
        task = self._task
        if ask["GPU"]:
            # A fresh process, never one that ran a CPU job: CUDA reads its GPUs once per process.
            # A runtime_env of their own keeps GPU jobs out of the CPU jobs' pool of processes, and
            # max_calls=1 ends each after its job.
            task = self._gpu_task
            options["runtime_env"] = {"env_vars": {"PLAYGROUND_GPU_PROCESS": "1"}}
        # The server's PLAYGROUND_* settings (demo mode, caps) travel with the job: a node's own
        # environment is not the server's. So does which process the server is: a run on another node
        # whose server has died is ended when a server starts again (zoo/run_health.py).
        env = {**(env or {}), SERVER_ENV: json.dumps(process_identity())}
        ref = task.options(**options).remote(self.hub, job.id, job.target, payload, ask, token,
                                             self.copy_runs, env)
        handle = RayHandle(self, job.id, ref, ask, payload.get("runs_dir"))
        with self._lock:
            self._handles[job.id] = handle
        return handle

    def resources_for(self, job) -> dict:
        """What the job asks the cluster for: {"CPU": n, "GPU": share}."""
        device = str(_spec(job.payload).get("device", "auto"))
        gpus = 0.0
        if device.startswith("cuda"):
            gpus = self.gpu_per_job or 1.0
            if not self.total().get("GPU"):
                raise SpecError(f"the job asks for a GPU (device {device}) and the Ray cluster has none; use device "
                                "auto or cpu, or add a node with a GPU.")
        elif device == "auto" and self.gpu_per_job and self.total().get("GPU"):
            gpus = self.gpu_per_job
        return {"CPU": self.cpus_per_job, "GPU": gpus}

    # ------------------------------------------------------------------ the cluster, for the page
    def refresh_resources(self) -> None:
        import ray

        self._resources = (time.monotonic(), ray.available_resources(), ray.cluster_resources())

    def _refresh_once(self) -> None:
        """refresh_resources in a thread of its own (one at a time): a read of the cluster's state waits as long as
        its head is away, now for ever (RECONNECT_S), and the poller, which notices a lost head, must not wait
        with it (a review: a head stopped inside that read had left every job `running` for good)."""
        with self._refreshing:
            try:
                self.refresh_resources()
            except Exception:   # a moment without the cluster: the next one reads it
                pass

    def total(self) -> dict:
        """The cluster's CPUs and GPUs, as the poller last read them (REFRESH_S)."""
        return self._resources[2]

    def describe(self) -> str:
        """The cluster in one line, for the sidebar: its CPUs and GPUs, and what is free now."""
        if self.lost_at is not None:   # after "Jobs run on the" (ui/device.py)
            when = time.strftime("%H:%M:%S", time.localtime(self.lost_at))
            return (f"Ray cluster ({self.address}), which stopped answering at {when}: restart the app to start or "
                    "join a cluster again")
        total = self.total()
        free = self._resources[1]
        parts = [f"{total.get('CPU', 0.0):g} CPUs ({free.get('CPU', 0.0):g} free)"]
        if total.get("GPU"):
            parts.append(f"{total['GPU']:g} GPUs ({free.get('GPU', 0.0):g} free)")
        # which cluster `auto` found: the app's own, say, where a command ran beside it (a Ray user's check)
        name = f"auto: the one at {self._head[0]}:{self._head[1]}" if self.address == "auto" and self._head else \
            self.address
        return f"Ray cluster ({name}): {', '.join(parts)}"

    def head(self) -> str:
        """The cluster's head now: "up" (it takes a connection), "refused" (nothing listens: stopped) or "silent"
        (no answer in a second); "lost" once the launcher took it as gone. A Ray Client has no head address: "up"."""
        if self.lost_at is not None:
            return "lost"
        if self._head is None:
            return "up"
        import socket

        try:
            with socket.create_connection(self._head, timeout=1.0):
                return "up"
        except ConnectionRefusedError:
            return "refused"
        except OSError:
            return "silent"

    def lost_words(self) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(self.lost_at or time.time()))
        return (f"the Ray cluster at {self.address} stopped answering at {when} (its head node was stopped, "
                "or `ray stop` ran there)")

    def why_waiting(self, ask: dict) -> str:
        _, free, total = self._resources
        fits = all(free.get(k, 0.0) >= v for k, v in ask.items() if v)
        if fits:
            return f"Ray is starting a worker for it ({_amounts(ask)})"
        have = [f"{free.get('CPU', 0.0):g} of {total.get('CPU', 0.0):g} CPUs"]
        if ask.get("GPU"):
            have.append(f"{free.get('GPU', 0.0):g} of {total.get('GPU', 0.0):g} GPUs")
        return (f"waiting for the Ray cluster: it asks for {_amounts(ask)} and the cluster has {' and '.join(have)} "
                "free; it starts when a running job ends there")

    def node_alive(self, node_id: str) -> bool:
        """Whether the node is in the cluster, as its head says within 5 s (a head gone since: not alive)."""
        import ray

        answer: list = []

        def ask() -> None:
            try:
                answer.append(any(n["NodeID"] == node_id and n["Alive"] for n in ray.nodes()))
            except Exception:
                answer.append(False)

        asking = threading.Thread(target=ask, daemon=True, name="ray-nodes")
        asking.start()
        asking.join(5.0)
        return bool(answer and answer[0])

    # ------------------------------------------------------------------ the poller
    def _poll(self) -> None:
        """Take every job's events from the hub, hand them to the jobs' handles, notice ended tasks, keep the
        cluster's resources fresh for the page, and notice the cluster gone (its jobs then end failed)."""
        import ray

        last_refresh, silent_since = 0.0, None
        pending = None   # (the hub's drain asked for, the tasks seen ended before it was asked)
        while not self._closed.wait(POLL_S):
            if self.lost_at is not None:
                self._end_all()
                continue
            try:
                # Asked every tick, before anything reads the cluster's state: see LOST_AFTER_S
                now, head = time.monotonic(), self.head()
                if head == "refused" or (head == "silent" and now - (silent_since or now) >= LOST_AFTER_S):
                    self.lost_at = time.time()
                    continue
                silent_since = (silent_since or now) if head == "silent" else None
                if head == "up" and now - last_refresh >= REFRESH_S and not self._refreshing.locked():
                    last_refresh = now
                    threading.Thread(target=self._refresh_once, daemon=True, name="ray-resources").start()
                with self._lock:
                    handles = [h for h in self._handles.values() if not h.exited]
                if not handles:
                    continue
                if pending is None:
                    for handle in handles:
                        if handle.stop_requested:
                            self.hub.stop.remote(handle.job_id)
                    refs = [h.ref for h in handles]
                    ended, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
                    # asked after the check: an ended task's last events are in its answer
                    pending = (self.hub.drain.remote(), set(ended))
                ready, _ = ray.wait([pending[0]], timeout=1.0)
                if not ready:
                    continue   # the hub is slow, or the cluster gone (seen above): asked again, never twice
                drained, ended = pending
                pending = None
                try:
                    batch = ray.get(drained)
                except ray.exceptions.RayActorError:
                    batch = {}   # the hub is gone: its jobs stop at their next send, and end as failed
                for handle in handles:
                    handle.deliver(batch.get(handle.job_id, []))
                for handle in handles:
                    if handle.ref in ended:
                        handle.exited = True
            except Exception:  # a moment without the cluster: try again at the next tick
                time.sleep(POLL_S)

    def _end_all(self) -> None:
        """The cluster is gone: every job's task is ended and taken as ended (death() says why). Ended, not only
        marked: with its head alone killed, a node's worker trained on, and its run, said failed, turned `finished`
        on disk 150 epochs later, no Stop left to press (a Ray user's check). The cancel goes to the node, not the
        head."""
        with self._lock:
            live = [h for h in self._handles.values() if not h.exited]
        for handle in live:
            try:
                handle.terminate()   # not a Stop: its run would end `stopped`, "by request", after the failure said
            except Exception:   # that node is gone too
                pass
            _end_worker_here(handle.placed)
            handle.exited = True

    def forget(self, handle: RayHandle) -> None:
        with self._lock:
            self._handles.pop(handle.job_id, None)
        try:
            self.hub.forget.remote(handle.job_id)
        except Exception:
            pass

    def close(self) -> None:
        """Stop the poller and end the hub (the jobs' tasks must have ended)."""
        import ray

        self._closed.set()
        self._poller.join(timeout=2)
        try:
            ray.kill(self.hub)
        except Exception:
            pass
