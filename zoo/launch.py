"""Where a job's worker runs: the launchers of the job runner (zoo/jobs.py).

A launcher starts a job's worker (zoo/worker.py `main`) and gives back a `WorkerHandle`: the queue
its events arrive on, how to ask it to stop, whether it is alive, and how to end it. The job runner
needs nothing else, so workers can be local processes (`LocalLauncher`, here) or Ray tasks on a
cluster (zoo/ray_launcher.py); `make_launcher` picks one from PLAYGROUND_RAY_ADDRESS.

Local workers are forked from a forkserver, a small process started once that has already
imported torch, the zoo and the data readers (`PRELOAD`). A new worker is a fork of it: it does not
import torch again (about 2.5 s and 650-740 MB each, CUDA build) and shares those pages with its
siblings. The forkserver itself never runs a tensor operation, so no OpenMP or CUDA state crosses a
fork. BENCHMARKS.md ("Ready workers") has the start latency and memory before and after.
"""
from __future__ import annotations

import contextlib
import multiprocessing as mp
import sys
import threading
import types
from dataclasses import dataclass
from typing import Any

from zoo.server_settings import value
from zoo.worker import main as worker_main


# What a worker needs imported before it can train: loaded once, in the forkserver.
PRELOAD = ["zoo.worker_preload"]

_main_lock = threading.Lock()


@contextlib.contextmanager
def _bare_main():
    """Start workers as if from a plain script, whatever `__main__` is.

    A new process (spawned, or forked by the forkserver) first re-imports the parent's `__main__`
    module. Under Streamlit, `__main__` is the app script (app.py, or whichever page last ran), so
    every worker would first execute the app in bare mode, and a page that fails bare would kill the
    worker. An empty `__main__` for the moment of the start gives the child nothing to re-run.
    """
    with _main_lock:
        saved = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = saved


@dataclass
class WorkerHandle:
    """A started worker, as the job runner sees it."""

    events: Any                 # .get(timeout) -> event dict, raises queue.Empty
    process: Any                # has is_alive(), terminate(), kill(), join(timeout), exitcode, pid
    stop_event: Any             # set() asks the worker to stop between batches
    where: str = ""             # for the page: "process 1234 on this machine", "Ray node ..."

    def request_stop(self) -> None:
        self.stop_event.set()

    def is_alive(self) -> bool:
        return self.process.is_alive()

    def terminate(self) -> None:
        self.process.terminate()

    def join(self, timeout: float | None = None) -> None:
        self.process.join(timeout)

    def death(self) -> str:
        """Why the worker ended without reporting, in words."""
        code = self.process.exitcode
        if code is not None and code < 0:
            import signal

            try:
                return f"the worker process was killed by {signal.Signals(-code).name}"
            except ValueError:
                pass
        return f"the worker process died (exit code {code})"


class LocalLauncher:
    """Worker processes on this machine, forked from a preloaded forkserver (`PRELOAD`)."""

    places_gpus = False   # the job runner picks a job's GPU (CUDA_VISIBLE_DEVICES in `env`)

    def __init__(self, method: str | None = None, *, warm: bool = False):
        self.method = method or value("PLAYGROUND_START_METHOD")
        self.ctx = mp.get_context(self.method)
        if self.method == "forkserver":
            self.ctx.set_forkserver_preload(PRELOAD)
            if warm:
                # Start the forkserver (and its imports, a few seconds) now, in the background, so
                # that the first Start of a fresh server is as quick as the next ones.
                threading.Thread(target=self._warm_up, daemon=True, name="forkserver-warm-up").start()

    def _warm_up(self) -> None:
        from multiprocessing import forkserver

        with _bare_main():
            forkserver.ensure_running()

    def refusal(self) -> str | None:
        """Why no job can start now, or None (the Ray launcher's lost cluster; never here)."""
        return None

    def new_event(self):
        return self.ctx.Event()

    def shared_counter(self):
        return self.ctx.Value("i", 0, lock=False)

    def start(self, job, running_shared, env: dict | None = None) -> WorkerHandle:
        events = self.ctx.Queue()
        stop = self.new_event()
        process = self.ctx.Process(target=worker_main,
                                   args=(job.target, job.payload, events, stop, running_shared, env or {}),
                                   kwargs={"exact_settings": True, "own_process_group": True}, daemon=True,
                                   name=f"playground-{job.id}")
        with _bare_main():
            process.start()
        return WorkerHandle(events=events, process=process, stop_event=stop,
                            where=f"process {process.pid} on this machine")


def make_launcher(address: str | None = None, *, warm: bool = False, named: str = "PLAYGROUND_RAY_ADDRESS"):
    """The launcher PLAYGROUND_RAY_ADDRESS asks for (or `address`, given as `named`: the CLI's --ray): unset, local
    worker processes; `local`, `auto`, `ray://host:port` or `host:port`, Ray tasks on that cluster
    (zoo/ray_launcher.py, which needs `pip install -r requirements-ray.txt`)."""
    address = (address if address is not None else value("PLAYGROUND_RAY_ADDRESS") or "").strip()
    if not address:
        return LocalLauncher(warm=warm)
    from zoo.ray_launcher import check_address

    check_address(address, named)
    try:
        import ray  # noqa: F401
    except ImportError:
        from zoo.registry import SpecError

        raise SpecError(f"Ray address {address!r} is set but Ray is not installed here; "
                        f"`pip install -r requirements-ray.txt`, or leave out {named}.") from None
    from zoo.ray_launcher import RayLauncher

    return RayLauncher(address, warm=warm)
