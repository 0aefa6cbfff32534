"""Shared by the job-runner benchmarks (ray_jobs.py, stop_latency.py): the machine's line under a
table, and the table printed and, with --write, saved with the command that made it."""
from __future__ import annotations

import os
import platform
import shlex
import sys
from pathlib import Path


def machine_line(rounds: int) -> str:
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    return (f"{rounds} rounds each, alternated (local, Ray, Ray, local); {os.cpu_count()} cores, "
            f"{platform.machine()}, load average at the end {load}.")


def publish(report: str, script: str, write: str | None) -> None:
    print()
    print(report)
    if write:
        command = f"python bench/{script} " + shlex.join(sys.argv[1:])
        Path(write).write_text(f"Command: `{command}`\n\n{report}\n")
