"""The worker side of a job: what runs in the job's own process (zoo/jobs.py starts it).

`main` runs a target `module:function(payload, emit, should_stop) -> dict`, sends its events and
its result (or its error) back through a queue, and checks the stop event between batches through
`should_stop`. `train` is the target of a training job. A job on a Ray cluster runs the same
`main` in a Ray worker process (zoo/ray_worker.py).
"""
from __future__ import annotations

import importlib
import os
import time
import traceback
from typing import Callable

from zoo.server_settings import value_at_import

# Workers run at a lower CPU priority than the server, so that pages stay responsive while jobs
# train on a machine with few cores; on an otherwise idle machine training speed is unchanged.
WORKER_NICE = value_at_import("PLAYGROUND_WORKER_NICE")


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def sharing_cores(should_stop: Callable[[], bool], running) -> Callable[[], bool]:
    """`should_stop`, which also keeps this worker's torch threads at its share of the cores.

    torch gives each process one OpenMP thread per core. Two jobs on a 2-core machine would run 4
    threads, and a team of threads is as fast as its slowest member: each preempted thread stalls
    the other, and training runs many times slower than the same two jobs with one thread each.
    The engine calls this between batches; it looks at the shared count of running jobs at most
    once a second. A thread count the user set (OMP_NUM_THREADS) is left alone.
    """
    if "OMP_NUM_THREADS" in os.environ or running is None:
        return should_stop
    total, checked = cores(), [0.0]

    def check() -> bool:
        now = time.monotonic()
        if now - checked[0] >= 1.0:
            checked[0] = now
            import torch

            share = max(1, total // max(1, running.value))
            if torch.get_num_threads() != share:
                torch.set_num_threads(share)
        return should_stop()

    return check


def within_wall_time(should_stop: Callable[[], bool]) -> Callable:
    """`should_stop`, which on the hosted demo also ends a job past its wall-time cap (zoo/demo.py):
    it then returns the reason, and the run ends `stopped` with its best checkpoint."""
    from zoo import demo

    deadline = demo.wall_deadline(time.time())
    if deadline is None:
        return should_stop
    cap = demo.caps().wall_seconds

    def check():
        if time.time() > deadline:
            return f"stopped by the hosted demo's wall-time cap ({cap} s per job)"
        return should_stop()

    return check


def orphan_aware(should_stop: Callable[[], bool],
                 server_gone: Callable[[], bool] | None = None) -> Callable[[], bool]:
    """`should_stop`, which is also true once the server that started this worker has died (killed,
    say): nobody reads this job's events any more, so it ends at the next batch instead of training
    on as an orphan. Looked at once a second (a local worker: its parent process), or as `server_gone`
    says (a Ray job: its events cannot reach the server); `orphaned()` then says why it stopped."""
    import multiprocessing as mp

    parent, checked, gone = mp.parent_process(), [0.0], [False]

    def is_gone() -> bool:
        now = time.monotonic()
        if server_gone is not None and not gone[0]:
            gone[0] = server_gone()
        if parent is not None and not gone[0] and now - checked[0] >= 1.0:
            checked[0] = now
            gone[0] = not parent.is_alive()
        return gone[0]

    def check():
        # The engine writes this reason with status `failed` in the run's one last write: a status
        # patched after a `stopped` write could be lost, the process killed in between (Ray ends a
        # dead server's tasks at about the time its hub goes).
        return ServerGone(SERVER_GONE) if is_gone() else should_stop()

    check.orphaned = is_gone   # asked again, not a flag read once: the hub may be found gone after a stop
    return check


SERVER_GONE = "the server that ran this job went away"   # the engine adds "during epoch N"


class ServerGone(str):
    """A should_stop reason that ends the run `failed`, not `stopped`: nobody asked for the stop
    (zoo/engine.py's run_experiment reads `status`; `fit` stops as for any other reason)."""

    status = "failed"


_niced = False


def _lower_priority() -> None:
    """os.nice(WORKER_NICE), once per process (a Ray worker process runs one job after another)."""
    global _niced
    if WORKER_NICE > 0 and hasattr(os, "nice") and not _niced:
        _niced = True
        try:
            os.nice(WORKER_NICE)
        except OSError:
            pass


def main(target: str, payload: dict, events, stop_event, running=None, env: dict | None = None, *,
         exact_settings: bool = False, own_process_group: bool = False) -> None:
    """Entry point of the worker process: run `target(payload, emit, should_stop)`.

    `env` is set before the target runs: the server's PLAYGROUND_* settings, and CUDA_VISIBLE_DEVICES
    (the GPU the job runner placed this job on; CUDA reads it when it starts, at the first use of a
    GPU). `own_process_group`: a local worker leaves the signals sent to its parent's group (a terminal's
    Ctrl-C, `timeout`'s SIGTERM) to the parent, which stops it through `stop_event` as the app's Stop does:
    a `search --workers 2` crashed with each worker's KeyboardInterrupt and left its trials `running` (a CLI
    user's check), and `timeout` killed them. Its parent's end is still seen (`orphan_aware`)."""
    if own_process_group:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)   # before it leaves the group, a Ctrl-C may come
        try:
            os.setpgrp()
        except OSError:
            pass   # a session leader already (never a forked worker): the signals ignored above still hold
    def emit(event: dict) -> None:
        events.put(event)

    env = env or {}
    # The server's settings replace what was inherited: always for a local worker, forked from a
    # forkserver that kept the environment of when it started (a PLAYGROUND_DEMO since unset would
    # cap its jobs); on a Ray node only when the server has some (the node may set its own).
    if exact_settings or any(k.startswith("PLAYGROUND_") for k in env):
        for key in [k for k in os.environ if k.startswith("PLAYGROUND_") and k not in env]:
            del os.environ[key]
    os.environ.update(env)
    _lower_priority()
    try:
        module, _, name = target.partition(":")
        func = getattr(importlib.import_module(module), name)
        should_stop = orphan_aware(within_wall_time(sharing_cores(stop_event.is_set, running)),
                                   getattr(stop_event, "server_gone", None))   # a Ray job's Outbox
        result = func(payload, emit, should_stop)
        events.put({"type": "done", "result": result})
    except BaseException as exc:  # report everything, including SpecError, to the server
        from zoo.registry import SpecError

        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        events.put({"type": "error", "message": message, "user_error": isinstance(exc, SpecError),
                    "traceback": traceback.format_exc()})


def train(payload: dict, emit: Callable[[dict], None], should_stop: Callable[[], bool]) -> dict:
    """Train one spec and record the run (target of a training job)."""
    from zoo.engine import run_experiment
    from zoo.spec import ExperimentSpec

    spec = ExperimentSpec.from_dict(payload["spec"])
    result = run_experiment(spec, runs_dir=payload.get("runs_dir"), data_dir=payload.get("data_dir"),
                            run_id=payload.get("run_id"), callback=emit, should_stop=should_stop,
                            owner=payload.get("owner"))
    if result.status == "stopped" and getattr(should_stop, "orphaned", lambda: False)():
        # A Stop that came before the server was found gone (the engine writes `failed` itself when the
        # server's absence is what stopped it): nobody is left to see it, so it ends failed all the same.
        from zoo.runs import patch_result

        reason = f"{SERVER_GONE} while it trained; the best checkpoint so far is kept"
        patch_result(result.run_dir, status="failed", reason=reason)
        result.status, result.reason = "failed", reason
    return result.summary()
