"""Make sure the benches' Fashion-MNIST is here, or say what they run on instead.

    python bench/_data.py [--data-dir DIR] [--no-install]

Prints the dataset to use on the last line of stdout (`fashion-mnist`, else `mnist`, else
`mnist-sample`), and on stderr how it was found and, for a fallback, why. In order: the IDX files
already in the data folder or in /usr/share/datasets/fashion-mnist; Debian's package
`dataset-fashion-mnist` (apt-get, as root, unless --no-install); torchvision's download; then the
full MNIST (already here or downloaded); then the bundled 4,000-digit sample, whose epochs are too
short for the speed goals to mean much (the note says so).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zoo.data.images import is_available, read_raw  # noqa: E402
from zoo.registry import SpecError  # noqa: E402


def _apt_install(package: str) -> str:
    """Install a Debian package; '' on success, else why not."""
    if shutil.which("apt-get") is None:
        return "no apt-get here"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return "apt-get needs root"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "install", "-y", "-q", package], ["apt-get", "update", "-q"],
                    ["apt-get", "install", "-y", "-q", package]):
        proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=180)
        if proc.returncode == 0 and command[1] == "install":
            return ""
    return (proc.stderr.strip().splitlines() or ["apt-get failed"])[-1]


def _fetch(name: str, data_dir) -> str:
    """Read (downloading if need be) an image dataset; '' on success, else why not."""
    import socket

    socket.setdefaulttimeout(30)   # a machine whose network drops packets fails in seconds, not minutes
    try:
        read_raw(name, data_dir)
        return ""
    except SpecError as exc:
        found = re.search(r"could not be downloaded \((.*)\); put", str(exc))
        return found.group(1) if found else str(exc)


def choose(data_dir=None, install: bool = True) -> tuple[str, str]:
    """(dataset, how it was found or why it is a fallback)."""
    if is_available("fashion-mnist", data_dir):
        return "fashion-mnist", "Fashion-MNIST found"
    why = []
    if install:
        failed = _apt_install("dataset-fashion-mnist")
        if not failed and is_available("fashion-mnist", data_dir):
            return "fashion-mnist", "Fashion-MNIST installed from Debian's dataset-fashion-mnist"
        why.append(f"apt-get: {failed or 'installed, but the files are not where expected'}")
    failed = _fetch("fashion-mnist", data_dir)
    if not failed:
        return "fashion-mnist", "Fashion-MNIST downloaded by torchvision"
    why.append(f"download: {failed}")
    reason = "; ".join(why)
    if is_available("mnist", data_dir) or not _fetch("mnist", data_dir):
        return "mnist", (f"NOTE: Fashion-MNIST is not here and could not be fetched ({reason}); the benches run on "
                         "MNIST instead (same size and shapes, easier: accuracies are higher than on Fashion-MNIST)")
    return "mnist-sample", (f"NOTE: neither Fashion-MNIST nor MNIST is here or could be fetched ({reason}); the "
                            "benches run on the bundled 4,000-digit sample: epochs that short do not measure the "
                            "speed goals, which stay unproven")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--no-install", action="store_true", help="do not try apt-get")
    args = parser.parse_args()
    name, note = choose(args.data_dir, install=not args.no_install)
    print(note, file=sys.stderr)
    print(name)


if __name__ == "__main__":
    main()
