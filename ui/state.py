"""Process-wide objects (the job manager) and per-tab identity."""
from __future__ import annotations

import os
import uuid

import streamlit as st

from zoo.jobs import JobManager


_made: list[JobManager] = []


@st.cache_resource
def job_manager() -> JobManager:
    """One job manager per server process, shared by every browser tab (survives reloads)."""
    from zoo.launch import LocalLauncher

    manager = JobManager(launcher=LocalLauncher(warm=True))
    _made[:] = [manager]
    return manager


def existing_job_manager() -> JobManager | None:
    """The job manager if this server has made one, without making it (the device badge: a server
    that never ran a job has nothing on its GPUs, and need not start the workers' forkserver)."""
    return _made[0] if _made else None


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


def remember_run(run_id: str) -> None:
    """Note a run as this session's (started here, or opened by its URL), for the Runs page."""
    runs = st.session_state.setdefault("my_runs", [])
    if run_id not in runs:
        runs.append(run_id)


def session_runs() -> list[str]:
    """The runs this browser session started or opened, oldest first."""
    return list(st.session_state.get("my_runs", []))


def ensure_app_shell() -> None:
    """Make sure this page runs inside app.py's st.navigation (page config, sidebar, device badge).

    Streamlit quirk: on a fresh server, the first request for a deep link (say a shared
    `/train?run=<id>`) runs the page file alone, in the old `pages/`-folder mode, until app.py
    has called st.navigation once. A page that finds itself run that way switches Streamlit to
    st.navigation mode and reruns: app.py then runs and renders the same page, query string kept.
    """
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without these internals: nothing to repair
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        from unittest.mock import NonCallableMock

        if isinstance(getattr(Runtime, "_instance", None), NonCallableMock):
            # AppTest puts every run back in pages/-folder mode, and a rerun would drop the button
            # click being tested: render the page alone. (tests/test_pages.py keeps AppTest in
            # st.navigation mode instead, like a real server, so there the page runs inside app.py.)
            return
        st.rerun()


_frozen_modules = 0


def freeze_imported_objects() -> None:
    """Move what the imports created (torch, plotly, pandas: millions of objects) out of the garbage
    collector's sight, once they are loaded.

    Streamlit runs a full `gc.collect()` after every script run, fragment reruns included (its
    `runner.postScriptGC`); with those libraries loaded each one walks the whole heap, about 0.1 s,
    once a second per open live chart, holding the GIL. After `gc.freeze()` it walks only what was
    created since. app.py calls it after every page; it freezes again only when at least 50 new
    modules were imported since (a page that brought in optuna, say): a few times per process.
    """
    import gc
    import sys

    global _frozen_modules
    if len(sys.modules) - _frozen_modules >= 50:
        gc.collect()  # what is garbage now is collected, not frozen
        gc.freeze()
        _frozen_modules = len(sys.modules)
