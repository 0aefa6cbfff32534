"""Process-wide objects (the job manager) and per-tab identity."""
from __future__ import annotations

import os
import uuid

import streamlit as st

from zoo.jobs import JobManager


@st.cache_resource
def job_manager() -> JobManager:
    """One job manager per server process, shared by every browser tab (survives reloads)."""
    return JobManager()


def session_owner() -> str:
    """An id for this browser session, so the per-session job cap applies per tab."""
    if "owner" not in st.session_state:
        st.session_state.owner = uuid.uuid4().hex[:12]
    return st.session_state.owner


def runs_dir() -> str:
    return os.environ.get("PLAYGROUND_RUNS_DIR", "runs")


def is_local() -> bool:
    """Local use shows every run in the runs directory; the hosted demo (PLAYGROUND_DEMO=1) only this session's."""
    return os.environ.get("PLAYGROUND_DEMO", "") not in ("1", "true", "yes")
