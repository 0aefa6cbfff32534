"""The sidebar's device badge: GPU name and memory, or the CPU and its thread count; with
PLAYGROUND_RAY_ADDRESS, the Ray cluster the jobs run on."""
from __future__ import annotations

import os
import platform

import streamlit as st


@st.cache_resource
def describe_device() -> dict:
    import torch

    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return {"kind": "cuda", "label": f"GPU: {props.name}",
                "detail": f"{props.total_memory / 2**30:.1f} GiB, {torch.cuda.device_count()} device(s)"}
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return {"kind": "mps", "label": "GPU: Apple (mps)", "detail": platform.processor() or platform.machine()}
    return {"kind": "cpu", "label": f"CPU: {platform.processor() or platform.machine()}",
            "detail": f"{torch.get_num_threads()} threads, {os.cpu_count()} cores, torch {torch.__version__}"}


def device_badge(slot) -> None:
    info = describe_device()
    with slot.container():
        st.markdown(f"**Device** · {info['label']}")
        st.caption(info["detail"])
        if os.environ.get("PLAYGROUND_RAY_ADDRESS"):
            from ui.state import job_manager

            describe = getattr(job_manager().launcher, "describe", None)
            if describe is not None:
                st.caption(f"Jobs run on the {describe()}")
