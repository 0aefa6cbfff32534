"""The server's log: the "playground" logger, for its operator. The job runner says each job's start and end
(zoo/jobs.py), the demo its full disk (zoo/demo.py), the app how it serves, its settings set wrong, the runs a restart
ended and the demo's sweep (ui/state.py). An operator's check found nothing of these in the log, Streamlit's banner
alone.

Only the app writes it (`to_stderr`): a command keeps its stderr for its own `error:` line (DESIGN.md's CLI contract),
and without a handler of its own Python's last resort would print the logger's warnings there.
"""
from __future__ import annotations

import logging
import logging.handlers
import queue
import sys
import threading

log = logging.getLogger("playground")
log.addHandler(logging.NullHandler())


class _Stderr(logging.StreamHandler):
    """To whatever sys.stderr is when a line is written (as Python's own last-resort handler does), not the stream
    it was when the server started: one replaced since (a test's capture) is closed by then; the process's own where
    the one in place is closed (a test's capture, ended before the queue's thread wrote its line)."""

    @property
    def stream(self):
        return sys.stderr if not getattr(sys.stderr, "closed", False) else sys.__stderr__

    @stream.setter
    def stream(self, _value):
        pass


_listener: list[logging.handlers.QueueListener] = []
_lines: list[queue.SimpleQueue] = []
DRAIN = 5   # the level of `drain`'s marker: under INFO, so stderr's handler leaves it out


class _Drained(logging.Handler):
    """Sets the event a marker record carries (`drain`): every line before it has been written."""

    def emit(self, record):
        event = getattr(record, "drained", None)
        if event is not None:
            event.set()


def to_stderr() -> None:
    """The log on stderr, beside Streamlit's, once per process: through a queue and a thread of its own, so that a
    line is never written under the job runner's lock (a stderr a log collector is slow to read would have held up
    every page: a review)."""
    if _listener:
        return
    lines: queue.SimpleQueue = queue.SimpleQueue()
    out = _Stderr()
    out.setLevel(logging.INFO)
    out.setFormatter(logging.Formatter("%(asctime)s playground %(levelname)s: %(message)s"))
    listener = logging.handlers.QueueListener(lines, out, _Drained(), respect_handler_level=True)
    listener.start()
    _listener.append(listener)
    _lines.append(lines)
    log.addHandler(logging.handlers.QueueHandler(lines))
    log.setLevel(logging.INFO)


def drain(timeout: float = 5.0) -> None:
    """Wait until every line logged so far is written (the tests: each test's lines within its own output, and a test
    of the log reads it whole)."""
    if not _lines:
        return
    done = threading.Event()
    marker = logging.LogRecord(log.name, DRAIN, __file__, 0, "drained", None, None)
    marker.drained = done
    _lines[0].put(marker)
    done.wait(timeout)


def one_line(text) -> str:
    """A reason as one line of the log: one with a line break in it (a worker's message) would read as two lines,
    the second one forged."""
    return " ".join(str(text).split())
