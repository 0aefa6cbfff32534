"""Where a study lives: by default a journal file under the runs directory
(`<runs>/optuna/journal.log`, Optuna's JournalStorage with JournalFileBackend), which several
processes on one machine share without "database is locked"; any SQLAlchemy URL
(postgresql://..., sqlite:///...) also works, and is how workers on several machines share a study.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

import optuna

from zoo.demo import STUDIES
from zoo.registry import SpecError

JOURNAL_NAME = STUDIES / "journal.log"


def default_storage(runs_dir=None, owner: str | None = None) -> str:
    """The journal file under the runs directory. On the hosted demo a visitor's studies are in a journal of
    their own, `<runs>/optuna/<owner>/journal.log`: a study name is then theirs alone, so a name another
    visitor took is neither refused nor revealed ("The study name `X` is taken" had told a stranger that
    another visitor's study of that name existed: a demo visitor's check). Locally every study shares one."""
    from zoo import demo
    from zoo.runs import runs_root

    if owner and demo.demo_mode():
        return str(runs_root(runs_dir) / demo.visitor_folder(owner) / JOURNAL_NAME.name)
    return str(runs_root(runs_dir) / JOURNAL_NAME)


def is_url(storage: str) -> bool:
    return "://" in storage


def display_storage(storage: str) -> str:
    """The storage as it may be shown or logged: a URL's password is masked. (A trial's run keeps it to find its
    study again; a message names it by `storage_in_words`.)"""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", storage)


CONNECT_TIMEOUT_S = 10   # seconds a database server may take to answer a new connection (PostgreSQL's connect_timeout)


def is_masked(storage: str) -> bool:
    """A URL whose password `display_storage` masked: it cannot open its database (a page's address keeps it so)."""
    return bool(re.search(r"://[^:/@]+:\*\*\*@", storage))


def storage_in_words(storage: str) -> str:
    """The storage as a message or a page names it: `display_storage`, and on the hosted demo no server path at
    all (a refusal had named a visitor's journal by its path and owner id: a demo check; README, "Deploying the
    hosted demo")."""
    from zoo import demo

    return "this demo's study storage" if demo.demo_mode() else display_storage(storage)


def sqlalchemy_url(storage: str) -> str:
    """`postgresql://` with the driver that is installed: SQLAlchemy 2.1 means psycopg 3 by it, and
    this project installs psycopg2 (psycopg2-binary), so name it unless psycopg 3 is there."""
    scheme, sep, rest = storage.partition("://")
    if scheme in ("postgresql", "postgres"):
        import importlib.util

        if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
            return f"postgresql+psycopg2://{rest}"
        return f"postgresql://{rest}"
    return storage


def open_storage(storage: str | None = None, runs_dir=None, *, heartbeat: bool = False):
    """An Optuna storage: a journal file (a path, default under the runs directory) or an SQLAlchemy URL.

    `heartbeat` (RDB only) lets a live worker mark the trials of a dead one as failed after a while.
    """
    from optuna.storages import JournalStorage, RDBStorage
    from optuna.storages.journal import JournalFileBackend

    storage = storage or default_storage(runs_dir)
    if not is_url(storage):
        path = Path(storage).expanduser()
        if path.is_dir():
            raise SpecError(f"storage {storage} is a folder; give a journal file path such as {path / 'journal.log'}.")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            backend = JournalFileBackend(str(path))
            mend_journal(path)
            return JournalStorage(backend)
        except OSError as exc:
            raise SpecError(f"cannot open the journal file {storage}: {exc.strerror or exc}; "
                            "give a writable path.") from None
        except ValueError:   # a line that is not a record (json's JSONDecodeError, Optuna's "Invalid log format.")
            raise journal_damaged(storage) from None
    kwargs: dict = {}
    if storage.startswith("sqlite"):
        # SQLite serialises writers; wait for the lock instead of failing at once. For several
        # processes prefer the journal file (the default) or a server database.
        kwargs["engine_kwargs"] = {"connect_args": {"timeout": 60}}
    else:
        if storage.startswith("postgresql"):
            # A server that takes the connection but does not answer (frozen, overloaded) had held `zoo search` for
            # eleven minutes with no word, past a SIGTERM (a shared-database check): give up after CONNECT_TIMEOUT_S.
            kwargs["engine_kwargs"] = {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}}
        if heartbeat:
            kwargs.update(heartbeat_interval=30, grace_period=120)
            heartbeat_failures_in_a_line()
    try:
        return _rdb_storage(RDBStorage, sqlalchemy_url(storage), kwargs)
    except ImportError as exc:
        raise SpecError(f"storage {display_storage(storage)} needs a database driver that is not installed "
                        f"({exc}); install it, or use postgresql:// (psycopg2) or a journal file.") from None
    except Exception as exc:  # sqlalchemy's ArgumentError, OperationalError, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError(f"cannot open storage {display_storage(storage)}: {first}; check the URL, "
                        "that the server runs and the database exists.") from None


def _ends_whole(path: Path) -> bool:
    """Whether a journal file ends with a whole line (or is empty, or is no regular file)."""
    with open(path, "rb") as fh:
        if not path.is_file() or fh.seek(0, os.SEEK_END) == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def mend_journal(path: Path) -> None:
    """Cut off a journal's half last line, which a write cut short leaves (a full disk): Optuna reads past it, but
    its next append, by any study, went on from it, and the line made of the two was no record: every search in
    that runs directory then failed with "internal error (JSONDecodeError ...)", and the Search page showed a
    traceback (a storage-faults check). Cut under the lock Optuna's JournalFileBackend takes for its appends (its
    default JournalFileSymlinkLock on the same file), so that no worker's append is cut while it is written; only
    bytes after the last newline go, which no reader has counted as a record."""
    from optuna.storages.journal import JournalFileSymlinkLock

    if _ends_whole(path):
        return
    lock = JournalFileSymlinkLock(str(path))
    lock.acquire()
    try:
        if _ends_whole(path):   # another process mended it meanwhile
            return
        with open(path, "r+b") as fh:
            end = fh.seek(0, os.SEEK_END)
            while end > 0:   # back to the last newline, a block at a time
                start = max(0, end - 65536)
                fh.seek(start)
                block = fh.read(end - start)
                at = block.rfind(b"\n")
                if at >= 0:
                    end = start + at + 1
                    break
                end = start
            fh.truncate(end)
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        lock.release()


def damaged_line(path: Path) -> int | None:
    """The number of a journal's first line that is not a record, None where every whole line is one."""
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.endswith(b"\n"):
                return None   # a half last line (mend_journal's)
            try:
                json.loads(line)
            except ValueError:
                return number
    return None


def _damaged_now(storage: str) -> bool:
    """Whether the journal file has a line that is not a record; False where it cannot be read (removed meanwhile:
    the error that brought the question is then said as it is)."""
    try:
        return damaged_line(Path(storage).expanduser()) is not None
    except OSError:
        return False


def journal_damaged(storage: str) -> "JournalDamaged":
    """A journal with a line that is not a record (two writes run together: Optuna's append onto a half line that a
    full disk left, before mend_journal): one sentence, naming the file and the line, and what to do."""
    try:
        number = damaged_line(Path(storage).expanduser())
    except OSError:
        number = None
    where = f"at line {number}" if number else "in a line that is not a record"
    return JournalDamaged(f"the study journal {storage_in_words(storage)} is damaged {where} (two records written "
                          "into one, as a disk that was full leaves), so the studies in it cannot be read: move the "
                          "file aside (it keeps them, to mend by hand) and search again, which starts a new journal.")


def journal_files_error(storage: str | None, exc: OSError, kept: str = "") -> SpecError:
    """A study's journal (or a trial's files) that cannot be written (a full disk, read-only): the words of
    zoo/runs.files_error, what to do, and `kept`, what is kept. It had said "internal error (OSError: [Errno 28] No
    space left on device)", or Optuna's "AssertionError: Should not reach." where its tell failed, exit 1, and the
    Search page's Start a traceback (a storage-faults check)."""
    from zoo import demo
    from zoo.runs import RunFilesError, files_error

    if demo.demo_mode():   # its words there: no server path, nor advice only the operator can take
        said = str(files_error(Path(exc.filename or "study"), exc))
        return RunFilesError(said[:-1] + (f"; {kept}." if kept else "."))
    why = exc.strerror or type(exc).__name__
    journal = storage if storage and not is_url(storage) else None
    if exc.filename and (journal is None or Path(str(exc.filename)) != Path(journal).expanduser()):
        what = f"the file {exc.filename}"   # another file of the search's: not named the journal (a review)
    else:
        what = f"the study journal {storage_in_words(journal)}" if journal else "the search's files"
    return RunFilesError(f"cannot write {what} ({why}); make the runs directory writable and give it free space "
                         f"(PLAYGROUND_RUNS_DIR or --runs-dir says where it is){'; ' + kept if kept else ''}.")


def heartbeat_failures_in_a_line() -> None:
    """A heartbeat Optuna's thread could not record (`open_storage(heartbeat=True)`) is one warning line on stderr, not
    the thread's traceback: PostgreSQL stopped while `zoo search` ran printed sixty lines of it before the command's
    own sentence about the storage that stopped answering (tests/test_search_postgres.py, 1 CI run in 3: the thread
    records a heartbeat as each trial starts). Other threads' errors are printed as before. Installed once."""
    global _heartbeat_hook_installed
    if _heartbeat_hook_installed:
        return
    _heartbeat_hook_installed = True
    printed = threading.excepthook

    def hook(args) -> None:
        frames = traceback.extract_tb(args.exc_traceback) if args.exc_traceback else []
        if not any(Path(frame.filename).name == "_heartbeat.py" and "optuna" in frame.filename for frame in frames):
            printed(args)
            return
        first = (str(args.exc_value).strip().splitlines() or [""])[0]
        print(f"warning: the study's storage did not record this worker's heartbeat ({type(args.exc_value).__name__}: "
              f"{first})", file=sys.stderr, flush=True)

    threading.excepthook = hook


_heartbeat_hook_installed = False


def _rdb_storage(cls, url: str, kwargs: dict, attempts: int = 6):
    """RDBStorage, retried: workers started together on a fresh database all try to create Optuna's
    tables, and PostgreSQL lets one win (the others fail with a unique-constraint error on its
    catalogue); a moment later the tables exist and opening succeeds."""
    import random

    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeat
                return cls(url, **kwargs)
        except ImportError:
            raise
        except Exception as exc:
            text = str(exc).lower()
            racing = any(s in text for s in ("duplicate key", "already exists", "unique constraint", "deadlock"))
            if not racing or attempt == attempts - 1:
                raise
            time.sleep(0.2 + random.random() * (attempt + 1))


def no_journal_yet(storage: str) -> bool:
    """A journal file not written yet: no studies, and reading it must not create it (opening the Search page
    made a folder and an empty journal for every new visitor of the demo: a demo visitors' check)."""
    return not is_url(storage) and not Path(storage).expanduser().exists()


# {(journal file, its change time, its size): its studies' names}: the Search page asked three times a run, each
# reading the whole journal again (0.4-0.7 s each for 300 studies: a check of a server after months); a journal
# written since has another change time and size
_NAMES_READ: dict[tuple, list[str]] = {}


def study_names(storage: str | None = None, runs_dir=None) -> list[str]:
    """The studies in a storage, newest first."""
    storage = storage or default_storage(runs_dir)
    if no_journal_yet(storage):
        return []
    stamp = None
    if not is_url(storage):
        with contextlib.suppress(OSError):
            stat = Path(storage).expanduser().stat()
            stamp = (str(Path(storage).expanduser().resolve()), stat.st_mtime_ns, stat.st_size)
    if stamp in _NAMES_READ:
        return list(_NAMES_READ[stamp])
    summaries = optuna.get_all_study_summaries(open_storage(storage, runs_dir), include_best_trial=False)
    summaries.sort(key=lambda s: s.datetime_start.timestamp() if s.datetime_start else 0, reverse=True)
    names = [s.study_name for s in summaries]
    if stamp is not None:
        if len(_NAMES_READ) >= 64:   # (journals of many visitors on the hosted demo: the oldest read first out)
            _NAMES_READ.pop(next(iter(_NAMES_READ)))
        _NAMES_READ[stamp] = names
    return list(names)


def load_study(storage: str | None, name: str, runs_dir=None, *, opened=None) -> optuna.Study:
    """An existing study (to watch it or add trials); SpecError naming the studies there if it is missing."""
    if opened is None and no_journal_yet(storage or default_storage(runs_dir)):
        raise SpecError(f"no study {name!r} in {storage_in_words(storage or default_storage(runs_dir))}; it has no "
                        "studies yet.")
    backend = opened or open_storage(storage, runs_dir)
    try:
        return optuna.load_study(study_name=name, storage=backend)
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(backend, include_best_trial=False)]
        where = storage_in_words(storage or default_storage(runs_dir))
        raise SpecError(f"no study {name!r} in {where}; "
                        + (f"it has {', '.join(names)}." if names else "it has no studies yet.")) from None


def delete_study(storage: str | None, name: str, runs_dir=None, *, drop_empty_journal: bool = False) -> int:
    """Delete a study from its storage (a visitor of the demo had no way to remove theirs but to wait for the sweep);
    returns how many trials it had. Its trials' runs stay: each is a run directory, deleted on the Runs page.

    Optuna deletes from a journal by appending a record: the study's trials stay in the file. `drop_empty_journal`
    (a demo visitor's own journal): a journal left with no study is removed, so nothing of theirs stays in it. A
    study already gone is refused before the storage is opened, which would create an empty journal."""
    storage = storage or default_storage(runs_dir)
    if no_journal_yet(storage):
        load_study(storage, name, runs_dir)   # its SpecError: no such study (and nothing created)
    backend = open_storage(storage, runs_dir)
    trials = len(load_study(storage, name, runs_dir, opened=backend).get_trials(deepcopy=False))
    optuna.delete_study(study_name=name, storage=backend)
    left = optuna.get_all_study_names(storage=backend)
    if name in left:
        # Optuna's database storage lets a refused delete pass (an integrity error, taken for a race it can ignore):
        # a worker elsewhere (a `python -m zoo search`) writing a trial meanwhile left the study and its trials in
        # PostgreSQL under "Deleted study" (a shared-database check).
        raise SpecError(f"study {name!r} was not deleted: its storage refused, as it does while a worker writes a "
                        "trial to it (here or elsewhere, a `python -m zoo search` say); stop its workers, then delete "
                        "it again.")
    if drop_empty_journal and not is_url(storage) and not left:
        folder = Path(storage).expanduser().parent
        for path in folder.glob(Path(storage).name + "*"):   # the journal, its lock
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()   # the visitor's folder, once empty
    return trials


def storage_fault(exc: BaseException | None) -> BaseException | None:
    """The storage's own error behind `exc` (SQLAlchemy's: a database that went away, else Optuna's
    StorageInternalError, whose words guess at "invalid data ... exceeding max length"), following what it was raised
    from or while handling; None where there is none."""
    seen, found = set(), []
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, optuna.exceptions.StorageInternalError) or type(exc).__module__.startswith("sqlalchemy"):
            found.append(exc)
        exc = exc.__cause__ or exc.__context__
    return next((e for e in found if type(e).__module__.startswith("sqlalchemy")), found[0] if found else None)


class StorageLost(SpecError):
    """A study's storage that stopped answering (`answering`): said as it is, the hosted demo included (its words
    name no server path: `storage_in_words`)."""


class JournalDamaged(StorageLost):
    """A journal file with a line that is not a record (`journal_damaged`): said as it is, as a lost storage is."""


def _chain(exc: BaseException | None):
    """`exc` and what it was raised from or while handling."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


@contextlib.contextmanager
def answering(storage: str | None, then: str, kept: str = ""):
    """A storage that stops answering inside (a database gone: `storage_fault`) said as a SpecError: "the study's
    storage ... stopped answering (the database's words): `then`" (what is kept, what to do). A disk that cannot be
    written (full, read-only) is files_error's sentence with `kept`; a journal damaged meanwhile, `journal_damaged`'s.
    """
    try:
        yield
    except SpecError:
        raise
    except Exception as exc:
        from zoo.runs import is_files_fault

        written = next((e for e in _chain(exc) if is_files_fault(e)), None)
        if written is not None:   # a full disk: Optuna's OSError, or its "Should not reach." while handling one
            if storage and not is_url(storage):   # a half record it left, cut now: another worker of the study,
                # whose journal was open before, would append onto it once there is room (a review); best effort,
                # as a full disk may refuse even the lock
                with contextlib.suppress(OSError):
                    mend_journal(Path(storage).expanduser())
            raise journal_files_error(storage, written, kept) from None
        if storage and not is_url(storage) and any(isinstance(e, ValueError) for e in _chain(exc)) \
                and _damaged_now(storage):
            raise journal_damaged(storage) from None   # damaged by another process since this one opened it
        lost = storage_fault(exc)
        if lost is None:
            raise
        first = str(lost).strip().splitlines()[0] if str(lost).strip() else type(lost).__name__
        first = re.sub(r"^\([\w.]+\) ", "", first)   # "(psycopg2.OperationalError) server closed the connection ..."
        raise StorageLost(f"the study's storage {storage_in_words(storage)} stopped answering ({first}): {then}.") \
            from None
