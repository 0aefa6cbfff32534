"""The run directory, `runs/<run_id>/`: the only code that names, writes or reads its files.

    spec.json      everything that defines the run (written first)
    metrics.csv    one row per epoch, appended and flushed as it goes: the run's epoch history
    best.pt        the best epoch's state_dict (torch.load(..., weights_only=True))
    result.json    status, reason, best epoch, final metrics; patched by the search and the job runner
    backtest.csv   series runs: every test window and horizon step (a bounded sample of windows)
    forecast.csv   series runs: the steps after the series, with their intervals

A leaderboard (zoo/leaderboard/: every model of a series ranked on validation) is one run too:

    leaderboard.json  its settings (written first, in place of spec.json: it trains many models)
    candidates.csv    one row per candidate as it finishes or is skipped: scores, time, settings,
                      its sparkline (the series' last rows, then its forecast after them: named
                      `forecast` before, when it read as 48 forecasts where 12 were); appended and
                      flushed as it goes, like metrics.csv
    result.json       status, the pick, the ranking's summary
    backtest.csv, forecast.csv   the pick's, as for a series run; best.pt the pick's weights when
                      the pick is a model of the zoo

Every file but metrics.csv is written atomically (a temp file in the same folder, fsync, then
os.replace), so a killed process leaves the previous complete version or none, never half a
checkpoint. A run id comes from a URL or a form as often as from this code, so it is validated
(`check_run_id`) before any path is built from it.

A job on a machine that does not mount the runs directory (a Ray node, zoo/ray_launcher.py)
writes its run directories to a local spool and sends their files to the server as they change
(`changed_files`), where `receive_file` writes them: the run directory is the same wherever the job
ran. `mark_root` and `shares_root` tell whether a machine sees the same runs directory.

Torch-free but for the checkpoint: torch is imported when a state_dict is saved or loaded.
"""
from __future__ import annotations

import contextlib
import csv
import fcntl
import functools
import hashlib
import io
import json
import math
import os
import shlex
import pickle
import re
import secrets
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from zoo.registry import DataShape, SpecError
from zoo.spec import ExperimentSpec

SPEC, METRICS, CHECKPOINT, RESULT = "spec.json", "metrics.csv", "best.pt", "result.json"
LEADERBOARD, CANDIDATES = "leaderboard.json", "candidates.csv"
CANDIDATE_COLUMNS = ("name", "label", "kind", "status", "val_mae", "val_mase", "test_mae", "test_mase", "test_smape",
                     "coverage_80", "coverage_95", "seconds", "folds", "settings", "sparkline", "note")
TABLES = {"backtest": "backtest.csv", "forecast": "forecast.csv"}
TIME_COLUMNS = ("date", "time", "origin")   # the tables' columns of times
TABLE_NEEDS = {"backtest": ("time", "step", "actual", "predicted"), "forecast": ("date", "forecast")}   # (Run.table)
METRIC_COLUMNS = ("epoch", "train_loss", "val_loss", "val_metric", "lr", "seconds", "samples_per_s")
CHECKPOINT_RECORD = "checkpoint_record"   # in a running run's result.json: what best.pt holds (RunWriter.save_best)
RUN_FILES = (SPEC, METRICS, CHECKPOINT, RESULT, *TABLES.values())
# The order a run first writes its files in, which zoo/run_transfer.py delivers them in (a training run writes
# best.pt, result.json and metrics.csv again every epoch it improves: RunWriter.save_best).
WRITE_ORDER = (SPEC, METRICS, CHECKPOINT, *TABLES.values(), RESULT)   # every one of RUN_FILES (a test says so)
ROOT_MARK = ".playground-root"   # in the runs root: a token that names this runs directory
STATUSES = ("queued", "running", "finished", "early_stopped", "stopped", "diverged", "failed")
ENDED = ("finished", "early_stopped", "stopped", "diverged", "failed")
# A status as pages and notes say it (ui/live.STATUSES titles its badge so): the stored `early_stopped` had been shown
# as stored on the badge, the Runs page and a search trial's note (a learner's check, a review). "starting" is a
# job's; "pruned" is a search trial's stop, marked beside `stopped` (run_status).
STATUS_TITLES = {"queued": "Queued", "starting": "Starting", "running": "Running", "finished": "Finished",
                 "early_stopped": "Stopped early", "stopped": "Stopped", "pruned": "Pruned", "diverged": "Diverged",
                 "failed": "Failed"}


def status_words(status: str) -> str:
    """"stopped early" for `early_stopped`; a status it does not know, as it is."""
    return STATUS_TITLES[status].lower() if status in STATUS_TITLES else status


RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")


def run_status(status: str, result: dict) -> str:
    """The status a page shows for a run: a trial the search's pruner stopped is "pruned", as the Search page's
    trial table says, not "stopped", which a learner read as their own Stop (zoo/search/study.py marks it)."""
    return "pruned" if status == "stopped" and result.get("pruned") else status


def runs_root(explicit: str | os.PathLike | None = None) -> Path:
    """--runs-dir, else PLAYGROUND_RUNS_DIR, else ./runs."""
    from zoo.server_settings import value

    return Path(explicit or value("PLAYGROUND_RUNS_DIR"))


def id_stamp() -> str:
    """A run id's time: UTC, said by its Z. The local time had made ids sort by the clock of whoever ran them (a
    run at 21:14 UTC under TZ=Asia/Tokyo was 20261204-061424 and listed before later runs: a CLI user's check),
    and list_runs orders by id."""
    return time.strftime("%Y%m%d-%H%M%SZ", time.gmtime())


def new_run_id(spec: ExperimentSpec) -> str:
    """Sortable by time, and unguessable (its last part is 48 random bits): a shared URL reveals only its run."""
    return f"{id_stamp()}-{spec.model}-{secrets.token_hex(6)}"


# The runs directory's own folders (forecast_io.UPLOADS, demo.STUDIES, demo.DRAFTS), never a run: "?run=drafts" had
# read "There is no run drafts ...: it was deleted", where other odd ids read "not a run id" (a demo visitors' check)
NOT_RUN_IDS = frozenset({"uploads", "optuna", "drafts"})


def is_run_id(run_id) -> bool:
    """A run id names one folder of the runs directory: no separator, no '..', nothing odd, none of its own."""
    return (isinstance(run_id, str) and bool(RUN_ID_RE.match(run_id)) and ".." not in run_id
            and run_id not in NOT_RUN_IDS)


def check_run_id(run_id) -> str:
    if not is_run_id(run_id):
        raise SpecError(f"{str(run_id)[:80]!r} is not a run id (letters, digits, '-', '_' and '.'); "
                        "copy it from the Runs page.")
    return run_id


def queue_path(root: str | os.PathLike | None = None) -> Path:
    """Where each server keeps the jobs waiting in its queue, which have no run directory yet (zoo/jobs.py)."""
    return runs_root(root) / ".queue"


def run_path(run_id: str, root: str | os.PathLike | None = None) -> Path:
    """The folder of `run_id` under the runs root, after checking the id."""
    return runs_root(root) / check_run_id(run_id)


# ---------------------------------------------------------------------------------------------
# writing


def atomic_write_bytes(path: Path, payload: bytes) -> Path:
    """Write to a temp file in the same folder, fsync, then rename over `path` (never half a file)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def _write_json(path: Path, value: dict) -> None:
    atomic_write_text(path, json.dumps(value, indent=2, default=_json_default))


def ended_untrained(result: dict) -> bool:
    """Whether a training run's result (result.json, or the engine's closing event) ended before any epoch did:
    its checkpoint is the initial weights and its test scores an untrained model's (Run.untrained, the CLI)."""
    return result.get("status") in ENDED and result.get("best_epoch") == 0


def data_fingerprint(data) -> dict | None:
    """{"bytes", "sha256"} of the data file a run reads (None for a dataset's name or a folder), in its result.json:
    its command reads the file as it is when run, and one changed since gives other numbers, unsaid (a scripting
    user's check: a board's pick scored 1.239 run again on an edited file, 0.826 before). Read once per version of
    the file (its size and modification time), as a page shows the run again at each rerun."""
    try:
        path = Path(str(data or ""))
        if not data or not path.is_file():
            return None
        stat = path.stat()
        return _fingerprint(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    except OSError:
        return None


@functools.lru_cache(maxsize=64)
def _fingerprint(path: str, size: int, mtime_ns: int) -> dict:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return {"bytes": size, "sha256": digest.hexdigest()}


def data_file_change(result: dict, data) -> str | None:
    """"changed" or "gone" where the file a run read (`data`; its size and sha256 in `result`'s `data_file`) is not
    the file it read; None where it is, or where the run kept no fingerprint. What reads the file again (the run's
    command, its test windows on Inspect or in `gradcam`) says so: `gradcam` explained an edited file's windows
    without a word (a docs check)."""
    read = result.get("data_file")
    if not read or data is None:
        return None
    now = data_fingerprint(data)
    return "gone" if now is None else "changed" if now != read else None


def data_file_words(change: str | None, data, run: str = "this run", quote: str = "`") -> str | None:
    """`data_file_change`'s finding in the words each reader of the file starts with ("the file this run read (`x.csv`)
    is no longer there"), lower case; each says after it what the change means there."""
    if change not in ("gone", "changed"):
        return None
    from zoo.forecast_io import UPLOADS, display_name

    path = Path(str(data))
    # An upload by the name it was sent with (its hash had been said: a demo visitor's check); any other file as it is
    name = display_name(data) if UPLOADS in path.parts and path.with_suffix(".json").exists() else path.name
    name = f"{quote}{name}{quote}"
    return {"gone": f"the file {run} read ({name}) is no longer there",
            "changed": f"{name} has changed since {run} read it"}.get(change)


def reproduce_caveat(result: dict, leaderboard: bool, data=None) -> str | None:
    """Why a run's command may not give its numbers (`result`: its result.json; `data`: the file it read): the
    command runs everything to its end (seeded, it gives the same numbers where nothing was cut short). Said under
    the command by the pages and the CLI alike (a board run again by its own command fitted BaggedETS, skipped the
    first time, and picked another: a CLI user's check)."""
    change = data_file_change(result, data)
    if change is not None:
        words = data_file_words(change, data)
        return words[0].upper() + words[1:] + (
            ": the command needs it, or a copy of it as it was then." if change == "gone" else
            ": the command reads it as it is now, so its numbers will differ from these.")
    if result.get("status") == "stopped":
        return ("This run was stopped before its end: the command runs it to the end, so its numbers may differ "
                "from these.")
    if (threads := threads_caveat(result)) is not None:
        return threads
    if leaderboard and any("budget" in (row.get("note") or "") for row in result.get("skipped") or []):
        return ("Some candidates did not fit in this board's budget: the command gives them the same budget, at "
                "the speed of the machine it runs on, so more or fewer may fit and the ranking may differ.")
    return None


def threads_caveat(result: dict) -> str | None:
    """A run on the CPU trained with another count of threads than its command will, run alone here: a sum over
    another count adds in another order, and its numbers differ in the last digits, the model's a little more. A
    page's run beside another job had trained on one thread (zoo/worker.sharing_cores), where its command took two
    (a researcher's check)."""
    from zoo.devices import THREADS_AT_START as here

    threads = result.get("threads") or []
    if not str(result.get("device", "")).startswith("cpu") or not threads:
        return None
    if len(threads) > 1:
        return (f"This run trained with {' and then '.join(map(str, threads))} CPU threads in turn (the cores were "
                "shared with other jobs): its command, on one count of threads throughout, adds its sums in another "
                "order, so its numbers may differ from these in the last digits, and its model a little more.")
    if threads[0] != here:
        return (f"This run trained with {threads[0]} CPU thread{'s' if threads[0] != 1 else ''}, and its command "
                f"would take {here} here: set OMP_NUM_THREADS={threads[0]} before it for the same count (another "
                "count adds its sums in another order, and the numbers differ in the last digits).")
    return None


class RunFilesError(SpecError):
    """The run directory cannot be written (read-only, full disk): one sentence, what to do."""


def is_files_fault(exc: BaseException, run_dir=None) -> bool:
    """An OSError of the disk a run writes to (full, read-only, over quota, not allowed), or of a file in `run_dir`
    (its folder deleted from under it): what files_error says what to do about. Not every OSError: a helper process
    that could not be started (ENOMEM) is no fault of the runs directory (a review)."""
    import errno

    if not isinstance(exc, OSError):
        return False
    inside = run_dir is not None and any(str(name).startswith(str(run_dir)) for name in (exc.filename, exc.filename2)
                                         if name is not None)
    return inside or exc.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM)


def files_error(path, exc: OSError) -> RunFilesError:
    from zoo import demo

    why = exc.strerror or type(exc).__name__
    if demo.demo_mode():   # no server path, nor advice only its operator can take (a storage-faults check: a visitor
        # read the runs directory's path and "PLAYGROUND_RUNS_DIR or --runs-dir says where it is")
        return RunFilesError(f"this demo's server cannot write the run's files now ({why}); nothing of yours that "
                             "finished is lost: try again later, and tell the demo's operator if it goes on.")
    return RunFilesError(f"cannot write the run's files in {Path(path).parent} ({why}); make the runs directory "
                         "writable and give it free space (PLAYGROUND_RUNS_DIR or --runs-dir says where it is).")


class RunWriter:
    """Writes one run's directory as training goes."""

    def __init__(self, root: Path, spec: ExperimentSpec, run_id: str | None = None):
        self.run_id = check_run_id(run_id) if run_id else new_run_id(spec)
        self.path = Path(root) / self.run_id
        self._start(lambda: atomic_write_text(self.path / SPEC, spec.to_json()), METRICS, METRIC_COLUMNS)

    def _start(self, write_settings, table: str, columns) -> None:
        """The directory, its settings (`write_settings`) and its table's header; a directory that cannot be
        written is one sentence (files_error), as a run's and a leaderboard's alike (a runs directory that was a
        file had ended a leaderboard in "internal error")."""
        try:
            self.path.mkdir(parents=True, exist_ok=False)
            write_settings()
            with open(self.path / table, "w", newline="") as fh:
                csv.writer(fh).writerow(columns)
        except FileExistsError:
            raise
        except OSError as exc:
            raise files_error(self.path, exc) from None

    def append_metrics(self, row: dict) -> None:
        _append_metrics(self.path, row)

    def save_best(self, state_dict: dict, epoch: int | None = None, value: float | None = None,
                  row: dict | None = None) -> None:
        """best.pt; with `epoch` (training's, as it improves), result.json then says which epoch it holds, so that
        a run whose process is killed still says its best epoch (`end_run`; the Train page read "best epoch —"
        beside a checkpoint of epoch 5: a fault check).

        Two files cannot change at once, so result.json first records the checkpoint about to be written (its
        epoch, value, metrics `row` and hash: CHECKPOINT_RECORD), then best.pt is replaced, then best_epoch is
        set. A process stopped anywhere in between leaves `end_run` what it needs: the record where best.pt
        hashes as it says (best.pt was replaced; best_epoch and, where the engine had not written it yet, the
        epoch's row follow from it), best_epoch as it was where it does not. A kill between the checkpoint and
        the row had left a checkpoint of epoch 2 beside one epoch in metrics.csv (CI, now and then), and one
        between best.pt and best_epoch a run naming epoch 1 for epoch 2's weights (a review)."""
        import torch

        buffer = io.BytesIO()
        torch.save(state_dict, buffer)
        payload = buffer.getvalue()
        if epoch is not None:
            patch_result(self.path, **{CHECKPOINT_RECORD: {"epoch": epoch, "value": value, "row": row,
                                                           "sha256": hashlib.sha256(payload).hexdigest()}})
        atomic_write_bytes(self.path / CHECKPOINT, payload)
        if epoch is not None:
            patch_result(self.path, best_epoch=epoch, best_value=value)

    def write_result(self, result: dict) -> None:
        _write_json(self.path / RESULT, result)

    def write_table(self, name: str, frame, utc_offset=None) -> Path:
        """A pandas table of the run (TABLES: backtest, forecast) as CSV, atomically. Times on the clock of a
        file whose timestamps carried zones (SeriesFrame.utc_offset) are written with that offset, so the file
        says which clock its times are on: without it, a forecast past a daylight-saving change read an hour
        off the local time, with nothing to say so (a forecast user's check). `table` reads it back."""
        if utc_offset is not None:
            import datetime

            import pandas as pd

            clock = datetime.timezone(pd.Timedelta(utc_offset))
            frame = frame.assign(**{col: frame[col].dt.tz_localize(clock) for col in TIME_COLUMNS
                                    if col in frame and pd.api.types.is_datetime64_dtype(frame[col])})
        return atomic_write_text(self.path / TABLES[name], frame.to_csv(index=False))


class BoardWriter(RunWriter):
    """Writes one leaderboard's directory: its settings first, then a candidate row as each one ends."""

    def __init__(self, root: Path, settings: dict, run_id: str | None = None):
        self.run_id = check_run_id(run_id) if run_id else new_board_id()
        self.path = Path(root) / self.run_id
        self._start(lambda: _write_json(self.path / LEADERBOARD, settings), CANDIDATES, CANDIDATE_COLUMNS)

    def append_candidate(self, row: dict) -> None:
        # after the last whole row, as an epoch's (a disk full mid-board had left half a row that the next one
        # continued, and that read as a ranked candidate: a storage-faults check)
        _append_row(self.path / CANDIDATES, CANDIDATE_COLUMNS, row)


def new_board_id() -> str:
    return f"{id_stamp()}-leaderboard-{secrets.token_hex(6)}"


def _cell(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=_json_default, separators=(",", ":"))
    return _fmt(value)


def patch_result(run_dir, **changes) -> bool:
    """Add keys to a run's result.json (the search's view of a trial, say); False if there is none."""
    path = Path(run_dir) / RESULT
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    result.update(changes)
    _write_json(path, result)
    return True


def end_run(run_dir, status: str, reason: str) -> bool:
    """Record how a run ended when its own process could not (it died, or was stopped while
    starting): only a result that still says `queued` or `running`, or none, is changed. The best
    checkpoint and the epochs written so far stay as they are. True when something was written.
    Under the run directory's lock: the server that saw its worker die and another process starting
    (zoo/run_health.recover_interrupted) may end the same run at once, and had written its last row twice."""
    run_dir = Path(run_dir)
    if not _is_run_dir(run_dir):
        return False
    with _locked(run_dir):
        path = run_dir / RESULT
        try:
            result = json.loads(path.read_text()) if path.exists() else {}
        except ValueError:
            result = {}
        if result.get("status") not in (None, "running", "queued"):
            return False   # the run wrote its own ending before its process died
        result.update(status=status, reason=reason, finished=time.time())
        record = result.pop(CHECKPOINT_RECORD, None)
        # A training run's epochs finished, as metrics.csv has them, and the one its best.pt holds (RunWriter.
        # save_best): 0 where it holds the initial weights, which Run.untrained says. Not a board's (no epochs),
        # nor a run killed before its first checkpoint (no weights at all: a review).
        training = (run_dir / SPEC).exists() and not (run_dir / LEADERBOARD).exists() \
            and (run_dir / CHECKPOINT).exists()
        if training and "epochs_run" not in result:
            written = _epochs_written(run_dir)
            if record and _sha256(run_dir / CHECKPOINT) == record.get("sha256"):
                result.update(best_epoch=record["epoch"], best_value=record.get("value"))
                if record.get("row") and record["epoch"] == written + 1 and (run_dir / METRICS).exists():
                    try:
                        _append_metrics(run_dir, record["row"])   # stopped after its checkpoint, before its row
                        written += 1
                    except OSError:
                        pass   # the ending is written all the same: a run left `running` says nothing
            result["epochs_run"] = written
            result.setdefault("best_epoch", 0)
        _write_json(path, result)
    return True


@contextlib.contextmanager
def _locked(run_dir: Path):
    """The run directory's own lock (flock on the folder: no lock file among the run's files)."""
    fd = os.open(run_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _append_metrics(run_dir: Path, row: dict) -> None:
    _append_row(run_dir / METRICS, METRIC_COLUMNS, row)


def _append_row(path: Path, columns, row: dict) -> None:
    """One row at the end of a run's table (metrics.csv, a board's candidates.csv), after its last complete line: a
    write the disk refused part way had left half a row, which the next row continued (pandas then refused the
    file: a review). `_csv_rows` reads the complete rows only."""
    with open(path, "a+b") as fh:   # (made where it is missing; writes go to its end)
        size = fh.seek(0, os.SEEK_END)
        if size and (fh.seek(size - 1), fh.read(1))[1] != b"\n":
            fh.seek(0)
            fh.truncate(fh.read().rfind(b"\n") + 1)
        fh.seek(0, os.SEEK_END)
        text = io.StringIO()
        csv.writer(text).writerow([_cell(row.get(c)) for c in columns])
        fh.write(text.getvalue().encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


def _epochs_written(run_dir: Path) -> int:
    return len(_csv_rows(run_dir / METRICS))


def _fmt(value):
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else value


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


# ---------------------------------------------------------------------------------------------
# reading


@dataclass
class Run:
    """A run read back from disk. `.model` has the best weights, on the CPU, in eval mode."""

    path: Path
    spec: ExperimentSpec
    result: dict
    # `changed_at` its folder just before it was read: a view that follows it compares with this, so that a write
    # between the read and the view's own look is not missed (a review: the page stayed "running" for good)
    read_at: tuple = ()

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def is_leaderboard(self) -> bool:
        """A leaderboard (many candidates ranked, zoo/leaderboard/) rather than one trained model."""
        return (self.path / LEADERBOARD).exists()

    @property
    def settings(self) -> dict:
        """A leaderboard's settings (leaderboard.json); {} for a training run."""
        if not self.is_leaderboard:
            return {}
        try:
            return json.loads((self.path / LEADERBOARD).read_text())
        except (OSError, ValueError):
            return {}

    def candidates(self) -> list[dict]:
        """A leaderboard's candidate rows so far (CANDIDATE_COLUMNS; settings and sparkline decoded)."""
        out = []
        for row in _csv_rows(self.path / CANDIDATES):
            if "sparkline" not in row:   # a board written before the column's rename
                row["sparkline"] = row.pop("forecast", None)
            item = {k: _number(v) for k, v in row.items() if k is not None}
            for key in ("settings", "sparkline"):
                try:
                    item[key] = json.loads(row.get(key) or "null")
                except ValueError:
                    item[key] = None
            for key in ("name", "label", "kind", "status"):   # text, even where it looks like a number
                item[key] = row.get(key) or ""
            item["note"] = row.get("note") or ""
            out.append(item)
        return out

    @property
    def data(self) -> str | None:
        """What the run read: a dataset's or the sample's name, or a CSV's path (an upload's, on the server)."""
        return self.settings.get("data") if self.is_leaderboard else self.spec.data

    def ran_with(self, data: str | None = None) -> dict:
        """The run's settings (a board's, else its spec's) with the column it forecast pinned where the reader
        picked it, as `command` and the Runs page's compare name it (a board's "OT" beside "—" for runs that read
        the same column unnamed: a browser check); with `data` in place of the run's. A wide table's target is the
        reader's own melted column: nothing to name."""
        settings = {**(self.settings if self.is_leaderboard else self.spec.to_dict()),
                    **({"data": data} if data else {})}
        detected = self.result.get("target")
        if detected and not settings.get("target") and settings.get("layout", "long") == "long":
            settings["target"] = detected
        return settings

    def command(self, data: str | None = None, server_paths: bool = True) -> str:
        """The shell command that reproduces this run: `zoo forecast-auto` for a leaderboard, else `zoo train`;
        with `data` in place of the run's (the hosted demo names an upload by the file the visitor sent); without
        `server_paths`, no folder of this machine's (the hosted demo's pages: its `--data-dir`)."""
        # The column it forecast, where the reader picked it (no --target): run again on the file with a column
        # added after it, the command had forecast that one, with a spec.json the same byte for byte (a CLI user's
        # check). A wide table's target is the reader's own melted column: nothing to name.
        settings = self.ran_with(data)
        if self.is_leaderboard:
            from zoo.leaderboard.spec import LeaderboardSpec

            return LeaderboardSpec.from_dict(settings).cli_command(self.result.get("plan"))
        command = ExperimentSpec.from_dict(settings).cli_command()
        # the datasets' folder it was given (--data-dir): without it the command looked in the default one and
        # failed, "mnist is not in ... and could not be downloaded" (a docs check)
        return command + (f" --data-dir {shlex.quote(self.data_dir)}" if self.data_dir and data is None
                          and server_paths else "")

    @property
    def data_dir(self) -> str | None:
        """The torchvision datasets' folder the run was given (`--data-dir`), where not the default one: what
        reads its data again (its command, gradcam, Inspect) looks there."""
        return self.result.get("data_dir")

    @property
    def status(self) -> str:
        return self.result.get("status", "unknown")

    @property
    def shape(self) -> DataShape:
        if "shape" not in self.result:
            # a run cut off before its first result (a process killed while it started: its folder holds spec.json
            # alone, or the ending a restart recorded) has no model to build (`summary` and `gradcam` ended in
            # "internal error (KeyError: 'shape')": a CLI user's check)
            raise SpecError(f"run {self.run_id} ended ({self.result.get('status', 'unknown')}) before its data was "
                            "read, so it has no model to build; pick another run, or train this one again.")
        return DataShape(**self.result["shape"])

    @property
    def untrained(self) -> bool:
        """Ended before any epoch did (diverged at once, stopped in the first): its checkpoint holds the initial
        weights, and its test scores are an untrained model's."""
        return not self.is_leaderboard and ended_untrained(self.result)

    @property
    def test_scores(self) -> dict:
        """The test split's scores of a trained model, as result.json holds them; none for an untrained run. A
        stopped run's best checkpoint is evaluated like any other's, but one stopped (or diverged) before its
        first epoch ended kept the initial weights, and their chance-level score read as a result. Every page
        that shows a run's scores reads them here (the Train page showed 10.50% where the Runs page showed "—")."""
        return {} if self.untrained else dict(self.result.get("metrics") or {})

    @property
    def has_checkpoint(self) -> bool:
        return (self.path / CHECKPOINT).exists()

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT

    @property
    def started(self) -> float | None:
        """When the run began: result.json says so, else the time of the file written first (spec.json,
        a leaderboard's leaderboard.json: runs written before result.json kept `started` to the end)."""
        when = self.result.get("started")
        if when is None:
            try:
                when = (self.path / (LEADERBOARD if self.is_leaderboard else SPEC)).stat().st_mtime
            except OSError:
                when = self.result.get("finished")
        return when

    @property
    def metrics(self):
        """metrics.csv as a DataFrame (one row per epoch so far)."""
        import pandas as pd

        return pd.read_csv(self.path / METRICS)

    def epoch_rows(self) -> list[dict]:
        """The epochs written so far, as dicts with METRIC_COLUMNS (missing values as None)."""
        return [{k: _number(v) for k, v in row.items() if k is not None} for row in _csv_rows(self.path / METRICS)]

    def table(self, name: str):
        """A series run's backtest or forecast table (TABLES) with its time columns parsed; None if absent."""
        import pandas as pd

        path = self.path / TABLES[name]
        if not path.exists():
            return None
        try:
            frame = pd.read_csv(path)
            # the columns the views draw, their numbers numbers: a file pandas reads but no run wrote (other columns,
            # words for numbers) had put a KeyError's or ValueError's traceback in the view's place (a re-check)
            missing = [c for c in TABLE_NEEDS[name] if c not in frame]
            if missing:
                raise ValueError(f"it has no column {', '.join(missing)}")
            words = [c for c in TABLE_NEEDS[name] if c not in TIME_COLUMNS and len(frame)
                     and not pd.api.types.is_numeric_dtype(frame[c])]
            if words:
                raise ValueError(f"its column {words[0]} holds words, not numbers")
            for col in TIME_COLUMNS:
                if col in frame:
                    frame[col], offset = _time_column(frame[col])
                    if offset is not None:   # in minutes: Streamlit writes a table's attrs as JSON, which a Timedelta
                        frame.attrs["utc_offset_minutes"] = int(offset.total_seconds() // 60)   # is not (it warned)
        except (ValueError, TypeError, OSError) as exc:   # pandas' ParserError, EmptyDataError, bytes that are no
            # UTF-8: one sentence where the table would be, the rest of the run shown (garbage in forecast.csv had
            # put pandas' traceback in place of the rest of the run's view, its downloads too: a storage-faults check)
            why = " ".join(str(exc).split())[:160] or type(exc).__name__
            raise SpecError(f"this run's {path.name} cannot be read ({why}); its other files are as they were: "
                            "download them below, or train the run again to write it anew.") from None
        return frame

    def stamp(self) -> float:
        """A number that changes when the run's files do (keys caches of what is read from them)."""
        names = (CHECKPOINT, RESULT, CANDIDATES, *TABLES.values())
        return max([(self.path / n).stat().st_mtime for n in names if (self.path / n).exists()], default=0.0)

    def files(self) -> list[Path]:
        """The run's files (no temp files), for downloads."""
        return [p for p in sorted(self.path.iterdir()) if p.is_file() and not p.name.startswith(".")]

    def zip(self) -> bytes:
        """The whole run directory as a zip, without temp files."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in self.files():
                zf.write(path, arcname=f"{self.run_id}/{path.name}")
        return buffer.getvalue()

    @property
    def model(self):
        if not hasattr(self, "_model"):
            import torch

            from zoo.registry import build

            spec = self.spec
            if self.is_leaderboard:
                pick = (self.result.get("pick") or {}).get("spec")
                if not pick or not self.has_checkpoint:
                    picked = self.result.get("pick") or {}   # its label: "median of the best 3", not "ensemble"
                    raise SpecError(f"leaderboard {self.run_id} picked {picked.get('label') or picked.get('name')!r}, "
                                    "which is not a model of the zoo; it has no weights to load.")
                spec = ExperimentSpec.from_dict(pick)
            model = build(spec.model, self.shape, spec.model_params)
            try:
                # weights_only: a checkpoint is tensors, never code. A pickle that asks to call a
                # function (os.system, say) is refused before anything in it runs.
                state = torch.load(self.path / CHECKPOINT, map_location="cpu", weights_only=True)
            except pickle.UnpicklingError as exc:   # code asked for, or bytes that are no pickle of tensors
                lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
                said = next((line for line in lines if line.startswith("Unsupported")), lines[-1] if lines else "")
                raise SpecError(f"{self.path.name}/{CHECKPOINT} is not a plain state_dict (damaged, cut short, or "
                                f"asking for code: {said[:120]}), so it was not loaded; train the run again (its "
                                "settings are kept).") from None
            except FileNotFoundError:
                raise SpecError(f"{self.path.name} has no {CHECKPOINT} (it was removed), so it has no weights to "
                                "load; train the run again (its settings are kept).") from None
            except (RuntimeError, OSError, EOFError, KeyError, ValueError, IndexError):
                # a truncated file or garbage: "[Errno 22] Invalid argument", torch's zip reader, an unpickler's
                # KeyError had reached the pages and `zoo gradcam` ("internal error") as they were (a storage-faults
                # check)
                raise self._damaged_checkpoint() from None
            if not isinstance(state, dict):
                raise self._damaged_checkpoint()
            model.load_state_dict(state)
            self._model = model.eval()
        return self._model

    def _damaged_checkpoint(self) -> SpecError:
        return SpecError(f"{self.path.name}/{CHECKPOINT} is damaged or cut short, so its weights cannot be loaded; "
                         "train the run again (its settings are kept).")


def _csv_rows(path: Path) -> list[dict]:
    """A run's table (metrics.csv, candidates.csv) as rows of strings, its complete ones only: none when it is not
    there (yet) or cannot be read. A row is complete when its line ended and it has as many fields as the header: a
    write the disk refused part way leaves half a row at the end (`_append_row` cuts it before the next one), which
    had counted as a ranked candidate, cut inside its sparkline (a storage-faults check). A file another process
    is appending to reads the same way."""
    try:
        with open(path, newline="") as fh:
            text = fh.read()
    except (OSError, ValueError):   # (ValueError: bytes that are no UTF-8)
        return []
    if not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        for row in reader:
            if header and len(row) == len(header):
                rows.append(dict(zip(header, row)))
    except csv.Error:   # a quoted field left open: the rows before it stand
        pass
    return rows


def _number(text):
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    if math.isnan(value):
        return None
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _time_column(values):
    """(dates where the column holds dates, else the numbers (plain steps) as they are; the UTC offset the
    times were written with, or None). Times with an offset come back naive on that clock, as the series'
    own are (zoo/data/series/read.py), so that a page draws them beside the series."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(values):
        return values, None
    try:
        parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
    except ValueError:   # times of several offsets (a file edited by hand): pandas refuses, coerce or not
        return values, None
    if not parsed.notna().all():
        return values, None
    if parsed.dt.tz is None:
        return parsed, None
    return parsed.dt.tz_localize(None), parsed.dt.tz.utcoffset(None)


def _is_run_dir(path: Path) -> bool:
    return (path / SPEC).exists() or (path / LEADERBOARD).exists()


def board_spec(settings: dict, result: dict | None = None) -> ExperimentSpec:
    """What a leaderboard shares with a series run (data, target, horizon, season, seed), as a spec
    whose model is "leaderboard": how the runs list, compare and the run view describe it. It is a
    description, not something to train (the pick's own spec is in result.json). Where the board chose
    its horizon, lookback or target, its `result` (result.json) says which: a board of 12 steps read as
    the spec's default 24, its lookback 96 and no target (a scripting user's check of `load_run(...).spec`)."""
    keys = ("data", "target", "date_col", "layout", "horizon", "season", "seed", "device")
    fields = {k: settings[k] for k in keys if settings.get(k) is not None}
    if not fields.get("horizon"):
        fields.pop("horizon", None)
    plan, result = (result or {}).get("plan") or {}, result or {}
    chose = {"horizon": plan.get("horizon"), "lookback": plan.get("lookback"),
             # a wide table's target is the reader's own melted column, not one of the file (Run.ran_with; a review)
             "target": result.get("target") if fields.get("layout", "long") == "long" else None}
    fields.update({k: v for k, v in chose.items() if v and not fields.get(k)})
    return ExperimentSpec(task="series", model="leaderboard", epochs=1, **fields)


# What load_run read of each run folder, by the folder's path: its settings and result.json, with the files' stats
# when read. A server after months (3,000 runs) re-read every one on each script run of the Train, Forecast, Inspect
# and Runs pages, 0.8-1.1 s of CPU each time (a check of a server after months; bench/runs_listing.py measures it).
_READ: dict[str, tuple[tuple, ExperimentSpec, dict]] = {}
# Files changed this recently are read again, whatever their stats say: a file rewritten within the clock's tick with
# the same size (and a freed inode taken again) has the same stats (git's "racy" files, the same answer)
SETTLED_S = 2.0


def _files_key(path: Path, names) -> tuple | None:
    """The stats of a run's settings and result files (None where one changed within SETTLED_S: read it again)."""
    key, now = [], time.time_ns()
    for name in names:
        try:
            st = os.stat(path / name)
        except FileNotFoundError:
            key.append(None)
            continue
        if now - st.st_mtime_ns < SETTLED_S * 1e9 or now - st.st_ctime_ns < SETTLED_S * 1e9:
            return None
        key.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(key)


def load_run(path: str | os.PathLike) -> Run:
    """Read a run directory (spec.json, result.json); the model loads on first use of `.model`.
    A leaderboard's directory (leaderboard.json) reads as a Run too, `is_leaderboard` True. Files unchanged since
    this process last read them are not read again (`_READ`): Runs of one folder then share their spec and the values
    inside their result, which say what the files hold; to change a run, change its files (patch_result)."""
    path = Path(path)
    read_at = changed_at(path)
    board = (path / LEADERBOARD).exists()
    if not board and not (path / SPEC).exists():
        raise SpecError(f"{path} is not a run directory (no spec.json); pick a folder under the runs directory.")
    key = _files_key(path, (LEADERBOARD if board else SPEC, RESULT))   # before the reads: a change after is seen next
    held = _READ.get(str(path))
    if key is not None and held is not None and held[0] == key:
        return Run(path=path, spec=held[1], result=dict(held[2]), read_at=read_at)
    spec, result = _read_run_files(path, board)
    if key is not None:
        _READ[str(path)] = (key, spec, result)
    return Run(path=path, spec=spec, result=dict(result), read_at=read_at)


def _read_run_files(path: Path, board: bool) -> tuple[ExperimentSpec, dict]:
    result_file = path / RESULT
    try:
        result = json.loads(result_file.read_text()) if result_file.exists() else {"status": "unknown"}
        if not isinstance(result, dict):   # valid JSON, but not a run's (`null`, edited by hand: a review)
            raise ValueError
    except ValueError:   # cut off mid-write by hand or a full disk (the run itself writes it whole: write_json)
        raise SpecError(f"{path.name}/{RESULT} is not readable JSON, so the run cannot be read; pick another run, "
                        "or train this one again.") from None
    described = json.loads((path / (LEADERBOARD if board else SPEC)).read_text())
    if not isinstance(described, dict):
        raise SpecError(f"{path.name}/{LEADERBOARD if board else SPEC} holds no settings, so the run cannot be read; "
                        "pick another run.")
    return (board_spec(described, result) if board else ExperimentSpec.from_dict(described)), result


def open_run(run_id: str, root: str | os.PathLike | None = None) -> Run | None:
    """The run `run_id` under the runs root (the id checked first), or None when there is none."""
    path = run_path(run_id, root)
    if not _is_run_dir(path):
        return None
    try:
        return load_run(path)
    except (ValueError, OSError, TypeError):
        return None


def exists(run_id: str, root: str | os.PathLike | None = None) -> bool:
    return is_run_id(run_id) and _is_run_dir(runs_root(root) / run_id)


def list_runs(root: str | os.PathLike | None = None) -> list[Run]:
    """Every readable run under the root, newest first (`unreadable_runs`: the others)."""
    return _scan_runs(root)[0]


def unreadable_runs(root: str | os.PathLike | None = None, readable=()) -> list[tuple[str, str]]:
    """The folders under the root that hold a run's files (spec.json or leaderboard.json) but cannot be read as one,
    each with why: a spec.json edited by hand, or written by another version of the playground. list_runs leaves
    them out, and the Runs page and `python -m zoo runs` name them, where a run had gone from every list without a
    word. `readable`: the ids of runs a listing just read, not read again."""
    return _scan_runs(root, skip=set(readable))[1]


def unreadable_run(run_id: str, root: str | os.PathLike | None = None) -> str | None:
    """Why the run `run_id`, whose folder is under the root, cannot be read (as `unreadable_runs` says it); None where
    there is no such folder, or it reads. What a run's page says where open_run gives None for a folder that is
    there: it had said the run was deleted, beside the Runs page naming it unreadable (a storage-faults check)."""
    path = run_path(run_id, root)
    if not _is_run_dir(path):
        return None
    try:
        load_run(path)
    except (ValueError, OSError, TypeError) as exc:
        return _why_unreadable(path, exc) if path.exists() else None
    return None


def _scan_runs(root, skip: set = frozenset()) -> tuple[list[Run], list[tuple[str, str]]]:
    root = runs_root(root)
    if not root.exists():
        return [], []
    runs, unreadable = [], []
    children = sorted(root.iterdir(), reverse=True)
    for gone in set(_READ) - {str(child) for child in children}:   # deleted folders' reads: not kept for good
        if Path(gone).parent == root:
            _READ.pop(gone, None)
    for child in children:
        if child.name not in skip and child.is_dir() and _is_run_dir(child):
            try:
                runs.append(load_run(child))
            except (ValueError, OSError, TypeError) as exc:
                if child.exists():   # not one deleted meanwhile
                    unreadable.append((child.name, _why_unreadable(child, exc)))
    # Newest first: by the id's stamp (its second, UTC), then by when each began within that second, where ids
    # differ only in their random part (three command-line runs of one second were listed in a random order: CI)
    return sorted(runs, key=lambda run: (run.run_id[:16], run.started or 0.0), reverse=True), unreadable


def _why_unreadable(folder: Path, exc: Exception) -> str:
    """Which of the run's files failed, in a few words (load_run's own say what to do on a run's page)."""
    for name in (RESULT, SPEC, LEADERBOARD):
        try:
            held = json.loads((folder / name).read_text())
        except FileNotFoundError:
            continue
        except OSError as bad:
            return f"{name} cannot be opened ({bad.strerror})"
        except ValueError as bad:
            return f"{name} is not readable JSON ({bad})"
        if not isinstance(held, dict):
            return f"{name} holds {json.dumps(held)[:40]}, not a run's fields"
    named = LEADERBOARD if (folder / LEADERBOARD).exists() else SPEC
    if isinstance(exc, SpecError):   # the spec's refusal of a field or a setting
        return f"{named}: {exc}"
    return f"{named}: {type(exc).__name__}: {exc}"


def changed_at(folder: str | os.PathLike) -> tuple:
    """The change times of a run folder's result and its epoch or candidate rows, a stat each and no file read
    (zeros for a folder that is gone): what a view of a run another process writes watches to redraw."""
    times = []
    for name in (RESULT, METRICS, CANDIDATES):
        try:
            times.append(os.stat(os.path.join(folder, name)).st_mtime_ns)
        except OSError:   # not written yet, not this kind of run, or the folder went meanwhile
            times.append(0)
    return tuple(times)


def listing_state(root: str | os.PathLike | None = None) -> tuple:
    """Each folder under the root with its `changed_at`: what a list of runs watches to redraw when a run
    appears, moves on, ends or goes, one the CLI started too (ui/live.py)."""
    try:
        folders = [entry.path for entry in os.scandir(runs_root(root)) if entry.is_dir()]
    except OSError:
        return ()
    return tuple(sorted((os.path.basename(f), changed_at(f)) for f in folders))


def delete_run(path: str | os.PathLike) -> None:
    """Remove a run's directory; refused (SpecError) for one that is not a run's or is still being written."""
    from zoo.run_health import being_written

    path = Path(path)
    if not _is_run_dir(path):
        raise SpecError(f"{path} is not a run directory; nothing was deleted.")
    try:
        result = json.loads((path / RESULT).read_text())
    except (OSError, ValueError):   # none yet, or damaged: no process says it writes it
        result = {}
    if being_written(result):
        raise SpecError(f"run {path.name} is still running (a search's trial, or a job of another process): stop it "
                        "first, or wait until it ends; nothing was deleted.")
    shutil.rmtree(path)
