"""The sidebar's device badge: each GPU (name, memory) and the jobs running on it, or the CPU; with PLAYGROUND_RAY_ADDRESS, the Ray
cluster the jobs run on.

It renders on every page, so it stays cheap. What the machine has is read once per server process:
the GPUs from `nvidia-smi`, which needs neither torch nor a CUDA context in the server (torch only
where nvidia-smi is missing or cannot say which GPU CUDA calls which); the CPU from torch, already
loaded by then (app.py draws the badge after the page while torch is not). What runs where is the
job manager's placement (`gpu_load()`, zoo/jobs.py), read at each render from memory. A server that
has not run a job yet has no manager, and the badge does not make one.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess

import streamlit as st

from zoo.server_settings import value

SHOWN_JOBS = 3   # job ids listed per GPU; more are counted


def parse_nvidia_smi(text: str) -> list[dict]:
    """Rows of `nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader,nounits`."""
    gpus = []
    for line in text.strip().splitlines():
        index, uuid, rest = (part.strip() for part in line.split(",", 2))
        name, memory = (part.strip() for part in rest.rsplit(",", 1))
        gpus.append({"index": int(index), "uuid": uuid, "name": name, "memory_gib": float(memory) / 1024})
    return gpus


def as_cuda_numbers(gpus: list[dict], visible: str | None, order: str | None) -> list[dict] | None:
    """The GPUs in CUDA's numbering (the one the job runner places jobs by), or None when nvidia-smi's
    list cannot say it: nvidia-smi numbers by PCI bus, CUDA fastest first unless CUDA_DEVICE_ORDER is
    PCI_BUS_ID (the same order where every GPU is the same model), and CUDA_VISIBLE_DEVICES keeps
    some, by number or UUID, in its own order."""
    if order != "PCI_BUS_ID" and len({g["name"] for g in gpus}) > 1:
        return None
    if visible is None:
        chosen = gpus
    else:
        chosen = []
        for entry in (e.strip() for e in visible.split(",") if e.strip()):
            match = next((g for g in gpus if entry == str(g["index"])
                          or (entry.startswith("GPU-") and g["uuid"].startswith(entry))), None)
            if match is None:
                return None   # a MIG slice, say
            chosen.append(match)
    return [{**g, "index": i} for i, g in enumerate(chosen)]


def _nvidia_smi_gpus() -> list[dict] | None:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
        gpus = parse_nvidia_smi(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return as_cuda_numbers(gpus, os.environ.get("CUDA_VISIBLE_DEVICES"), os.environ.get("CUDA_DEVICE_ORDER"))


def _torch_gpus() -> list[dict]:
    import torch

    if not torch.cuda.is_available():
        return []
    return [{"index": i, "name": (p := torch.cuda.get_device_properties(i)).name,
             "memory_gib": p.total_memory / 2**30} for i in range(torch.cuda.device_count())]


@st.cache_resource(show_spinner="Looking for a GPU…")   # not "Running `describe_device()`." (a learner saw it)
def describe_device() -> dict:
    gpus = _nvidia_smi_gpus()
    if gpus is None:
        gpus = _torch_gpus()
    if gpus:
        return {"kind": "cuda", "gpus": gpus}
    import torch

    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return {"kind": "mps", "label": "GPU: Apple (mps)", "detail": platform.processor() or platform.machine()}
    return {"kind": "cpu", "label": f"CPU: {platform.processor() or platform.machine()}",
            "detail": f"{_count(torch.get_num_threads(), 'thread')}, {_count(os.cpu_count() or 1, 'core')}, "
                      f"torch {torch.__version__}"}


def badge_text(info: dict, load: list[list[str]] | None) -> tuple[str, list[str]]:
    """The badge's label and its lines: one per GPU with the jobs on it (`load[i]`: the ids of the
    jobs the job runner placed on GPU i), or the CPU's detail."""
    if info["kind"] != "cuda":
        return info["label"], [info["detail"]]
    gpus = info["gpus"]
    label = f"GPU: {gpus[0]['name']}" if len(gpus) == 1 else f"{len(gpus)} GPUs"
    lines = []
    for gpu in gpus:
        jobs = load[gpu["index"]] if load and gpu["index"] < len(load) else []
        if not jobs:
            running = "idle"
        else:
            shown = ", ".join(jobs[:SHOWN_JOBS]) + (f" and {len(jobs) - SHOWN_JOBS} more" if len(jobs) > SHOWN_JOBS
                                                    else "")
            running = f"{len(jobs)} job{'s' if len(jobs) > 1 else ''}: {shown}"
        lines.append(f"GPU {gpu['index']} · {gpu['name']} · {gpu['memory_gib']:.1f} GiB · {running}")
    return label, lines


def device_badge(slot) -> None:
    from ui.state import existing_job_manager

    with slot.container():
        # Its first call's spinner where the badge comes, in the sidebar: it had sat under the page (a learner's check)
        info = describe_device()
        manager = existing_job_manager() if info["kind"] == "cuda" else None
        label, lines = badge_text(info, manager.gpu_load() if manager is not None else None)
        st.markdown(f"**Device** · {label}")
        for line in lines:
            st.caption(line)
        if value("PLAYGROUND_RAY_ADDRESS") and manager is None:
            manager = existing_job_manager()
        describe = getattr(getattr(manager, "launcher", None), "describe", None)
        if value("PLAYGROUND_RAY_ADDRESS") and describe is not None:
            st.caption(f"Jobs run on the {describe()}")


def _count(n: int, noun: str) -> str:
    """'1 thread', '2 threads' (the badge read "1 threads" on a server given one: a CI screenshot)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
