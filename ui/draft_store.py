"""The store of the visitors' drafts (ui/drafts.py): held in the server's memory and written through to a file per
visitor under the runs directory (`drafts/<owner id>.json`, zoo/demo.DRAFTS: the owner id is a hash of the token, as
runs record it), so a restarted server gives each visitor their forms back: a restart had started every form at its
defaults, unsaid (a forecast user's check).

Bounded in memory and on disk alike: at most `MAX_VISITORS` visitors (the least recently saved dropped first: the
hosted demo's strangers included), a visitor's drafts at most `MAX_DRAFT_CHARS`, each draft `MAX_FORM_CHARS` and
`MAX_VALUES` keys, `MAX_RUN_DRAFTS` beside runs. The files are swept with the runs on the hosted demo
(zoo/demo.sweep). Several server processes may share one runs directory: a file changed by another is read again,
and a save locks the folder from its read to its write. A file the server cannot write (a read-only or full runs
directory) leaves the drafts in memory only: the page has said what that directory's fault means for runs.
No Streamlit here: ui/drafts.py holds what a page session does with its drafts.
"""
from __future__ import annotations

import contextlib
import copy
import json
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable

from zoo import demo

try:
    import fcntl
except ImportError:   # (Windows: no lock between processes, as before; one Streamlit server is one process)
    fcntl = None

# At most MAX_VISITORS x MAX_DRAFT_CHARS (about 64 MB) however many strangers come; a form's draft with a few
# models' fields is one to three thousand characters.
MAX_VISITORS = 2_000
MAX_VALUES = 1_000        # keys per draft: a form has a few dozen; each model viewed adds its own
MAX_DRAFT_CHARS = 32_000  # of a visitor's drafts as text; past it the drafts changed longest ago are dropped
MAX_FORM_CHARS = 8_000    # of one draft: the three pages' own (no run) always fit in MAX_DRAFT_CHARS
# Less for the Inspect tabs' settings, a key per subject viewed: at 8,000 they left room for 4 of the
# MAX_RUN_DRAFTS drafts beside runs (a review); 3,000 keeps about seven subjects' settings.
FORM_CHARS = {"inspect-tabs": 3_000}
MAX_FILE_BYTES = 16 * MAX_DRAFT_CHARS   # a visitor's file: UTF-8 (up to 4 bytes a character) and JSON's marks
PARTIAL = ".partial"   # a file being written (`_write`): one a killed server left is swept with the drafts
MAX_RUN_DRAFTS = 6        # drafts beside runs per visitor: each run opened or started may leave one
AS_FILLED = "draft-as-filled"   # in a stored draft: its values are a run's as the page filled them, not the visitor's


class DraftStore:
    """{(runs dir, visitor token): {(form, the address's run id or None): {key: value}}}, bounded: at most
    `max_visitors` visitors (the least recently saved dropped) and, per visitor, `MAX_DRAFT_CHARS` of
    values (the drafts changed longest ago dropped). Each visitor's drafts are written through to their file
    under the runs directory (`file_of`) and read from it the first time this process is asked for them."""

    def __init__(self, max_visitors: int = MAX_VISITORS):
        self.max_visitors = max_visitors
        self._drafts: OrderedDict[tuple, OrderedDict] = OrderedDict()
        self._lock = threading.Lock()
        self._folders: set[Path] = set()   # the drafts folders this store read or wrote (`clear`)
        # Each visitor's file as this store last read or wrote it ((inode, mtime), None: no file): one changed since
        # (another server process on this runs directory wrote it, the demo's sweep deleted it) is read again, so
        # that a save does not write an older copy over it.
        self._stamps: dict[tuple, tuple | None] = {}
        self._clock = 0   # the mtime this store gives the files it writes, each later than the last (`_write`)
        self._filed: set[tuple] = set()   # the visitors whose file this store has read or written
        self._generation: dict[tuple, int] = {}   # how many times each visitor had their drafts forgotten (`forget`)

    @staticmethod
    def file_of(who: tuple) -> Path:
        root, token = who
        return Path(root) / demo.DRAFTS / f"{demo.owner_of(token)}.json"

    def get(self, who: tuple, form: str, run: str | None) -> dict | None:
        with self._lock:
            values = self._held(who, keep=False).get((form, run))
            return None if values is None else copy.deepcopy(values)

    def has(self, who: tuple, form: str, run: str | None) -> bool:
        with self._lock:
            return (form, run) in self._held(who, keep=False)

    def changed_after(self, who: tuple, form: str, run: str | None, than: str | None) -> bool:
        """Whether the draft of `form` on the address of `run` was changed after the one on the address of `than`, or
        there is none there (the visitor's drafts are held in the order they were last changed in: `save`)."""
        with self._lock:
            order = list(self._held(who, keep=False))
            return (form, run) in order and ((form, than) not in order
                                             or order.index((form, run)) > order.index((form, than)))

    def save(self, who: tuple, form: str, run: str | None, values: dict, gone: Iterable[str] = (),
             untouched: bool = False, shown: Iterable[str] = ()) -> None:
        """Write `values` over the draft of `form` on the address of `run`, and take the keys `gone` out of it, in
        one step (two tabs of one browser saving at once both land). `untouched`: the values as the page first drew
        them, the visitor has set nothing yet: held in memory, written to a file only where the visitor has one (each
        stranger's first look at a page had written a file of defaults, which took a place among `max_visitors` and
        deleted the file of someone who had set a form). Bounds: the keys written last are kept past
        MAX_VALUES or MAX_FORM_CHARS (another model's fields written long ago go first); past MAX_DRAFT_CHARS for the
        visitor, or
        MAX_RUN_DRAFTS drafts beside runs, the drafts beside runs changed longest ago go first (those holding a run's
        settings as the page filled them before those the visitor set), the drafts of the pages without a run last."""
        # The folder's lock before this store's: a `get` (every set-up page) does not wait behind a save that waits
        # on another process (a review).
        with _folder_locked(self.file_of(who).parent, create=not untouched), self._lock:
            drafts = self._held(who)
            old = drafts.get((form, run), {})
            gone, shown = set(gone), set(shown)
            kept = [(k, v) for k, v in old.items() if k not in values and k not in gone]
            # The keys the saving tab shows, unchanged, after the others: its save writes only those it changed
            # (`save` below), and trimming had dropped them before another subject's set longer ago (a review).
            items = ([(k, v) for k, v in kept if k not in shown] + [(k, v) for k, v in kept if k in shown]
                     + list(copy.deepcopy(values).items()))
            items = items[-MAX_VALUES:]
            sizes = [len(repr(k)) + len(repr(v)) + 4 for k, v in items]   # as in repr(dict): "k: v, "
            total, first = sum(sizes), 0
            while total > FORM_CHARS.get(form, MAX_FORM_CHARS):
                total, first = total - sizes[first], first + 1
            new = dict(items[first:])
            # Changed, it goes last: the order `changed_after` reads as the order the visitor set the drafts in (a
            # session's first save of a draft it restored, unchanged, had made it the newest: a review).
            if new != old:
                drafts.pop((form, run), None)
            drafts[(form, run)] = new
            # oldest first; a run's settings as the page filled them (AS_FILLED, which `restore` takes for no draft)
            # before the visitor's own drafts beside runs
            beside = [k for k in drafts if k[1] is not None and k != (form, run)]
            others = ([k for k in beside if drafts[k].get(AS_FILLED)]
                      + [k for k in beside if not drafts[k].get(AS_FILLED)])
            others += [k for k in drafts if k[1] is None and k != (form, run)]
            sizes = {k: len(repr(d)) for k, d in drafts.items()}
            beside_runs = sum(1 for k in drafts if k[1] is not None)
            for key in others:
                if sum(sizes.values()) <= MAX_DRAFT_CHARS and beside_runs <= MAX_RUN_DRAFTS:
                    break
                del drafts[key]
                sizes.pop(key)
                beside_runs -= key[1] is not None
            self._drafts.move_to_end(who)
            if untouched and self._stamps.get(who) is None and who not in self._filed:   # (no file: `_held` stamped
                return   # it so; one this store read or wrote, deleted since by the bounds or the sweep, is written
            self._write(who, drafts)   # again, as before: a review)

    def forget(self, who: tuple) -> None:
        """Forget one visitor's drafts, in memory and in their file (they asked for everything of theirs to go:
        zoo/visitor_data.forget deletes the file too, and a draft held in memory would have written it again)."""
        with _folder_locked(self.file_of(who).parent, create=False), self._lock:
            self._drafts.pop(who, None)
            self._stamps.pop(who, None)
            self._filed.discard(who)
            self._generation[who] = self._generation.get(who, 0) + 1
            self.file_of(who).unlink(missing_ok=True)

    def generation(self, who: tuple) -> int:
        """How many times `forget` forgot the visitor's drafts in this server: a session that began before the last
        holds forms the visitor asked to be rid of (ui/drafts.save)."""
        with self._lock:
            return self._generation.get(who, 0)

    def clear(self) -> None:
        """Forget every draft, in memory and in the files this store read or wrote (tests start so)."""
        with self._lock:
            self._drafts.clear()
            self._stamps.clear()
            self._filed.clear()
            self._generation.clear()
            for folder in self._folders:
                for path in folder.glob("*.json"):
                    path.unlink(missing_ok=True)

    def _held(self, who: tuple, keep: bool = True) -> OrderedDict:
        """The visitor's drafts: in memory while their file is as this store left it, else read from it (a
        restarted server, another server process's save, the sweep). `keep`: hold them in memory (a save); a mere
        look at a visitor with no drafts adds none, so a stranger's page views push no one's out of memory."""
        path = self.file_of(who)
        stamp = _stamp(path)
        drafts = self._drafts.get(who)
        if drafts is not None and self._stamps.get(who) == stamp:
            return drafts
        drafts = self._read(path)
        if stamp is not None:
            self._filed.add(who)
        if drafts or keep or who in self._drafts:
            self._drafts[who], self._stamps[who] = drafts, stamp
            while len(self._drafts) > self.max_visitors:
                gone, _ = self._drafts.popitem(last=False)   # out of memory only: its file keeps it
                self._stamps.pop(gone, None)
                self._filed.discard(gone)
        return drafts

    def _read(self, path: Path) -> OrderedDict:
        self._folders.add(path.parent)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                return OrderedDict()   # not a file this store wrote
            rows = json.loads(path.read_text(encoding="utf-8"))
            return OrderedDict(((form, run), {k: _untagged(v) for k, v in values.items()})
                               for form, run, values in rows
                               if isinstance(form, str) and isinstance(run, (str, type(None)))
                               and isinstance(values, dict))
        except (OSError, ValueError, TypeError, AttributeError):
            return OrderedDict()   # none yet, or unreadable: the forms start at their defaults, as they did

    def _write(self, who: tuple, drafts: OrderedDict) -> None:
        """The visitor's file, replaced whole (a reader never sees half of it); past `max_visitors` files, the
        least recently written are deleted. A runs directory the server cannot write to keeps them in memory."""
        path = self.file_of(who)
        self._folders.add(path.parent)
        partial = path.with_name(f".{path.name}.{os.getpid()}{PARTIAL}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            new = not path.exists()
            partial.write_text(json.dumps([[form, run, _tagged(values)] for (form, run), values in drafts.items()],
                                          ensure_ascii=False), encoding="utf-8")
            # The order of saves, for the bound below: the file system's clock may stamp many in one tick (a review);
            # back to the real time where the system's clock went back (else every file would be stamped ahead).
            now = time.time_ns()
            self._clock = self._clock + 1 if 0 <= self._clock - now < 10**9 else now
            os.utime(partial, ns=(self._clock, self._clock))
            stamp = _stamp(partial)   # before it is the visitor's file: the inode and time survive the rename, and
            os.replace(partial, path)  # another process's replace after it is then seen as a change (a review)
            self._stamps[who] = stamp
            self._filed.add(who)
            if new:   # the least recently saved others go, never this one
                files = sorted((p for p in path.parent.glob("*.json") if p != path), key=_written)
                for old in files[:max(0, len(files) + 1 - self.max_visitors)]:
                    old.unlink(missing_ok=True)
        except (OSError, ValueError):   # (ValueError: a string UTF-8 cannot hold, a lone surrogate: a review)
            try:
                partial.unlink(missing_ok=True)
            except OSError:
                pass


LOCK = ".lock"   # the drafts folder's lock file (`_folder_locked`): neither a draft nor a file being written
LOCK_WAIT = 5.0   # seconds a save waits for another process's save before it goes on without the lock
_HELD_LOCKS: set[int] = set()   # this process's descriptors of the lock file now open (closed in a forked child)
_HELD_GUARD = threading.Lock()   # a descriptor's open and close with its place in _HELD_LOCKS (numbers are reused)


def _close_held_locks_in_child() -> None:
    for fd in list(_HELD_LOCKS):   # a fork during a save had kept the lock held in the child for as long as the child
        try:                       # lived (a training worker started with PLAYGROUND_START_METHOD=fork): a review
            os.close(fd)
        except OSError:
            pass
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_locks_in_child)


@contextlib.contextmanager
def _folder_locked(folder: Path, create: bool):
    """The drafts folder locked against the other server processes on this runs directory (replicas behind one
    address), from a save's read of a visitor's file to its replace: two processes saving one visitor's two tabs at
    once each read the file, added their form and replaced it whole, and the second wrote a copy without the first's
    save, which the first then read back and lost for good (tests/test_nothing_lost.py).

    A lock file opened for writing (`LOCK`), flock'ed: Linux's NFS client takes a flock as a POSIX lock, which needs
    a descriptor open for writing (a directory's cannot be: a review). Waits at most `LOCK_WAIT` seconds, then goes on
    unlocked, as before, rather than hold up the visitor's page behind a stopped process. `create`: make the folder
    first (a save to be written); where there is no folder, or the lock file cannot be opened (a read-only runs
    directory), the save goes on unlocked, as before."""
    fd = None
    if fcntl is not None:
        try:
            if create:
                folder.mkdir(parents=True, exist_ok=True)
            with _HELD_GUARD:   # from its open to its close: a child forked while it waits would hold it too
                fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
                _HELD_LOCKS.add(fd)
            deadline = time.monotonic() + LOCK_WAIT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.002)
        except OSError:
            if fd is not None:
                _close_lock(fd)
            fd = None
    try:
        yield
    finally:
        if fd is not None:
            _close_lock(fd)   # (which releases the lock)


def _close_lock(fd: int) -> None:
    with _HELD_GUARD:
        os.close(fd)
        _HELD_LOCKS.discard(fd)


def _written(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _stamp(path: Path) -> tuple | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


TUPLE = "__tuple__"   # a tuple in a draft's file (a range slider's value): JSON has lists only


def _tagged(value: Any) -> Any:
    if isinstance(value, tuple):
        return {TUPLE: [_tagged(v) for v in value]}
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    if isinstance(value, dict):
        return {k: _tagged(v) for k, v in value.items()}
    return value


def _untagged(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {TUPLE} and isinstance(value[TUPLE], list):
            return tuple(_untagged(v) for v in value[TUPLE])
        return {k: _untagged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    return value
