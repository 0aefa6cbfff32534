"""Torch's threads in the test processes and in the servers and commands they start.

The README's test command runs two test processes (-n 2) on the machine's cores. Each took torch's default, a thread
per core, and torch's OpenMP threads wait for each other at every operation while another process holds a core
(BENCHMARKS.md, "Train page responsiveness": why two jobs share the cores, zoo/worker.py). The files that train in the
test process took 104-133 s so, and 23 s with each process on its share of the cores."""
from __future__ import annotations

import os

PROCESSES = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
EACH = max(1, len(os.sched_getaffinity(0)) // PROCESSES)
# An app server or a command a test starts: its share too, unless the person running the tests set a count. Its job
# workers then keep that count (zoo/worker.py leaves a count set alone): core sharing between jobs is tested in the
# test process (tests/test_jobs_ui.py, tests/test_engine.py), where it is not set.
CHILD_ENV = {"OMP_NUM_THREADS": str(EACH)} if PROCESSES > 1 and "OMP_NUM_THREADS" not in os.environ else {}


def take_share() -> None:
    """This test process's torch on its share of the cores, once, as the session starts. zoo.devices reads that count
    as the one a command takes here (THREADS_AT_START, which the reproducibility caveat compares a run's with), as for
    a person who set OMP_NUM_THREADS: the runs a test trains in this process, a command's `main` included, say nothing
    of threads (tests/test_engine.py sets its own count to look at the caveat)."""
    if PROCESSES > 1 and "OMP_NUM_THREADS" not in os.environ:
        import sys

        import torch

        torch.set_num_threads(min(EACH, torch.get_num_threads()))
        if "zoo.devices" in sys.modules:   # (read before: given the count it would have read now)
            sys.modules["zoo.devices"].THREADS_AT_START = torch.get_num_threads()
