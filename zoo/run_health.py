"""Which process writes a run, and the runs whose process is gone: a server or worker killed
leaves its runs saying `running`; a starting server marks them `failed` (zoo/runs.py owns the files,
this module only decides which runs ended without saying so).
"""
from __future__ import annotations

import os
from pathlib import Path

from zoo.runs import end_run, list_runs
from zoo.server_log import log


# Set for a job on a Ray node: the process_identity of the server that started it. Not a PLAYGROUND_*
# name: those are the server's settings, which zoo/worker.py copies to a node only when there are some.
SERVER_ENV = "ZOO_SERVER_PROCESS"


def process_identity() -> dict:
    """Which process writes a run: enough to tell later whether it still runs (the host, its pid and
    when that pid started, so a reused pid does not count). A job on a Ray node also names the server
    that started it (zoo/ray_launcher.py sets SERVER_ENV): the server's host can tell whether that one runs."""
    import json
    import socket

    identity = {"host": socket.gethostname(), "pid": os.getpid(), "pid_started": _pid_started(os.getpid())}
    if os.environ.get(SERVER_ENV):
        identity["server"] = json.loads(os.environ[SERVER_ENV])
    return identity


def _pid_started(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]   # field 22, starttime, after the command name
    except (OSError, IndexError):
        return None


def _still_running(identity: dict | None) -> bool:
    """False when the process that wrote a run is known to be gone: on this host, its pid is dead or
    reused; on another host (a Ray node), the server on this host that started it is gone, since Ray
    ends the tasks of a driver that exits (its fate sharing: docs.ray.io, "Fault tolerance")."""
    import socket

    if not identity:
        return True   # a run that does not say: leave it alone
    if identity.get("host") != socket.gethostname():
        server = identity.get("server")
        if not server or server.get("host") != socket.gethostname():
            return True   # another machine's run, started by no server here: leave it alone
        identity = server
    pid = int(identity.get("pid", -1))
    if identity.get("pid_started") is None or not os.path.isdir("/proc"):
        # No /proc where it was written, or here (macOS, Windows): whether the pid lives is all there is to go
        # by. Read as gone, every run of a command beside the app was ended `failed` mid-training by the pages
        # that list runs (end_if_gone; a review).
        return _pid_exists(pid)
    started = _pid_started(pid)
    return started is not None and started == identity.get("pid_started")


def _pid_exists(pid: int) -> bool:
    if pid <= 0:
        return False   # no pid recorded (os.kill(-1, ...) would signal every process)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:   # another user's process (EPERM), or a system without signal 0: alive as far as we know
        return True
    return True


def being_written(result: dict) -> bool:
    """Whether a run (its result, as `Run.result` reads it) is known to be written by a live process: it says
    `running` or `queued`, and its process, or the server on this host that started it on a Ray node, is alive here.
    A search's trial is a run of the study's job, not a job of its own: the Runs page let one be deleted mid-training,
    and the trial then ended "refused before it trained: cannot write the run's files" (a learner's check). Only a
    process seen alive counts: `_still_running`'s benefit of the doubt (no record; another host's run, as every run
    of an earlier container is to a new one) would keep such a run from being deleted for good, and
    `recover_interrupted` leaves it too (a review). Linux only (/proc): elsewhere no run is known to be written, as
    before."""
    import socket

    identity = result.get("process")
    if result.get("status") not in ("running", "queued") or not identity:
        return False
    if identity.get("host") != socket.gethostname():
        identity = identity.get("server") or {}
        if identity.get("host") != socket.gethostname():
            return False
    return _still_running(identity)


class QuitAtOnce(KeyboardInterrupt):
    """The KeyboardInterrupt a run's process quits with once the run is ended (`end_on_quit`): it says which
    run, so the CLI's `error: interrupted` and its JSON name the run as a finished command's output does (a
    script had only "interrupted", with no run id to find the kept epochs by: a CLI user's check)."""

    def __init__(self, run_id: str | None, run_dir, reason: str, status: str = "stopped"):
        super().__init__(reason)
        self.run_id, self.run_dir, self.reason, self.status = run_id, str(run_dir), reason, status


def end_on_quit(run_dir, kept: str, emit, run_id: str | None = None) -> QuitAtOnce:
    """A run whose process quits at once (the CLI's second Ctrl-C, or SIGTERM then Ctrl-C:
    zoo/cli/common.StopOnInterrupt) ends `stopped` before the KeyboardInterrupt goes on, as runs.end_run
    ends a run whose process died (its epochs and best epoch kept): it said `running` for good (a CLI
    user's check). `kept`: what it keeps, in words. Returns the interrupt to go on with, naming the run."""
    from zoo.runs import end_run

    reason = f"quit at once (a second Ctrl-C or SIGTERM); {kept}"
    try:
        end_run(run_dir, "stopped", reason)
    except OSError:
        pass   # the disk refuses even that: the CLI still says it was interrupted
    emit({"type": "finished", "status": "stopped", "reason": reason, "run_id": run_id})
    return QuitAtOnce(run_id, run_dir, reason)


def end_on_fault(run_dir, base: dict, exc: Exception, emit, run_id: str | None = None) -> Exception | None:
    """A run (training or a board) whose process caught a fault: it ends `failed` as one whose process died does
    (runs.end_run: the epochs it wrote and the one its checkpoint holds; "epochs completed —" had stood beside epoch
    1's row and weights), with `base` (result.json's fields from its first write, which may never have happened: the
    owner, on the hosted demo) and the traceback of a fault of the program. A fault of the runs disk (full,
    read-only) is said as what to do about it, no traceback: that error is returned for the caller to raise in
    place of `exc` (a board had ended "internal error (OSError)", exit 1: a CLI user's check); else None."""
    import traceback

    from zoo.runs import files_error, is_files_fault, patch_result

    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    files = files_error(Path(run_dir) / "x", exc) if is_files_fault(exc, run_dir) else None
    try:
        end_run(run_dir, "failed", str(files) if files else f"{type(exc).__name__}: {message}")
        patch_result(run_dir, **base, traceback=None if files else traceback.format_exc())
    except OSError:
        pass   # the disk refuses even that: the job and the CLI still say what happened
    emit({"type": "finished", "status": "failed", "reason": str(files) if files else message, "run_id": run_id})
    return files


def recover_interrupted(root=None) -> list[str]:
    """Runs that say `running` or `queued` but whose process is gone (a server, a worker or a command
    killed): mark them `failed`, keeping their epochs and best checkpoint. Called when a server starts
    and when a command that runs something does (zoo/cli: a CLI user's killed runs said `running` for
    good), so a run is never `running` forever. Returns their ids."""
    return [run.run_id for run in list_runs(root) if end_if_gone(run)]


def end_if_gone(run) -> bool:
    """`recover_interrupted` for one run (a `zoo.runs.Run`): ended `failed` where it says `running` or `queued`
    and its process is known gone; True when it was. The pages call it on a run this server is not running: a
    command killed while the server served stayed `running` on the Runs page until the server restarted (a
    browser check)."""
    if run.status not in ("running", "queued") or _still_running(run.result.get("process")):
        return False
    kept = "the candidates that finished are kept" if run.is_leaderboard else "the best checkpoint so far is kept"
    # (or it could not write its end: a disk full then refuses the ending that said why, and this one, written once
    # there is room, had named a kill alone, where the command had said "No space left on device": a faults check)
    reason = ("the process that ran it stopped before it ended (the server, its worker or the command that ran it was "
              f"killed, or it could not write its end: a full or read-only disk); {kept}")
    if not end_run(run.path, "failed", reason):
        return False
    # the server's log had its "started" line and no end where its server was killed (an operator's check)
    log.warning("run %s ended failed: %s", run.run_id, reason)
    return True
