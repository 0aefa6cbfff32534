"""Runs written on another machine (a Ray node without the runs directory): whether a node shares
the server's runs directory, and the run files that travel back to the server, written there by
zoo/runs.py's own writers (only run file names and valid run ids are accepted).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from zoo.registry import SpecError
from zoo.runs import (METRICS, ROOT_MARK, RUN_FILES, WRITE_ORDER, atomic_write_bytes, atomic_write_text,
                      is_run_id, run_path)


def mark_root(root) -> str:
    """The token of this runs directory (written once to `.playground-root`): a machine that reads
    the same token in the same path shares the directory (storage every node mounts)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = root / ROOT_MARK
    if not path.exists():
        tmp = atomic_write_text(root / f".{ROOT_MARK}.{secrets.token_hex(4)}.tmp", secrets.token_hex(8))
        try:
            os.link(tmp, path)   # never replaces: two servers starting together agree on one token
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def shares_root(root, token: str | None) -> bool:
    """Whether this machine sees the runs directory whose token is `token` at `root`."""
    try:
        return bool(token) and (Path(root) / ROOT_MARK).read_text().strip() == token
    except OSError:
        return False


def changed_files(root, seen: dict, tries: int = 5) -> list[tuple[str, str, bytes]]:
    """(run id, file name, contents) of every run file under `root` that changed since the last call
    with the same `seen` (which it updates), delivered in WRITE_ORDER (zoo/runs.py) so that the server writes
    them as the run did. A run's files are read until none changed while they were read (at most `tries`
    times): a training run writes best.pt, result.json and metrics.csv again every epoch it improves, so no
    one order of reading them is safe, and a checkpoint read after the result.json that named an epoch before
    it had reached the server as "best epoch 1" beside epoch 2's weights (a review). What a worker killed
    part way through an epoch's writes leaves, zoo/runs.end_run sorts out, as on the node itself.
    metrics.csv is cut after its last complete row."""
    root, out = Path(root), []
    if not root.is_dir():
        return out
    for run_dir in sorted(root.iterdir()):
        if not (run_dir.is_dir() and is_run_id(run_dir.name)):
            continue
        for _ in range(tries):
            before = {name: _stat_key(run_dir / name) for name in WRITE_ORDER}
            read = []
            for name in WRITE_ORDER:
                if before[name] is None or seen.get((run_dir.name, name)) == before[name]:
                    continue
                try:
                    data = (run_dir / name).read_bytes()
                except OSError:
                    continue   # replaced while read: read again below, or the next call sends it
                if name == METRICS:
                    data = data[: data.rfind(b"\n") + 1]
                read.append((name, data))
            if {name: _stat_key(run_dir / name) for name in WRITE_ORDER} == before:
                break
        for name, data in read:
            seen[(run_dir.name, name)] = before[name]
            out.append((run_dir.name, name, data))
    return out


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    """A file's version: its inode too, as each atomic write is a new file (zoo/runs.atomic_write_bytes): two
    checkpoints of one size saved within the clock's resolution had read as one (a review)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def receive_file(root, run_id: str, name: str, data: bytes) -> Path:
    """Write one file of a run written on another machine into its run directory here, atomically."""
    if name not in RUN_FILES:
        raise SpecError(f"{name[:80]!r} is not a file of a run directory; expected one of {', '.join(RUN_FILES)}.")
    path = run_path(run_id, root)
    path.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(path / name, data)
