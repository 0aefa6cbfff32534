"""What a visitor set in a form and has not run yet, kept across a reload of the page.

Streamlit keeps a widget's value for one browser session (`persist_state="session"`: across page
switches); a reload or a new tab is a new session, and the form came back at its defaults (issue 11:
"every widget keeps its value across reruns, file replacements and reloads of the page"). So each
set-up widget is declared with `kept(key)`, and each set-up page ends with `save(forms)`: the values of
those keys go to a store held by this server process, one draft per visitor (their cookie's token,
ui/state.visitor_token) and runs directory. The next session of the same browser starts with them
(`restore`, in app.py before any page draws).

A form's draft remembers the run the page's address opened when it was saved (`?run=`), and is
restored only on that same address, so that it is what the person left there:
- on `/train` after a reload: what was set, not the defaults;
- on `/train?run=X` after editing the form beside run X: what was set, not run X's settings again;
- on a link to another run, or a run opened from the Runs page: that run's settings
  (ui/run_view.take_prefill), as before.

Only values a JSON file could hold are kept (an upload's bytes are not: the page says the file stays
for the browser session). The store is bounded (`MAX_VISITORS`, the least recently saved dropped
first) and lives as long as the server process: a restart of the server starts every form at its
defaults, and loses nothing that ran (runs are files).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Iterable

import streamlit as st

PERSIST = "session"   # Streamlit's persist_state: the value survives page switches in one session
MAX_VISITORS = 5_000
MAX_VALUES = 2_000    # keys per visitor: a form has a few dozen; each model viewed adds its own
# Which form a widget's key belongs to: its prefix (the pages' own key names).
FORMS = {"image": ("train-",), "series": ("forecast-",), "search": ("search_", "sp_", "attach_")}
_KEYS, _RESTORED, _SAVED = "draft-keys", "draft-restored", "draft-saved"


class DraftStore:
    """{(runs dir, visitor token): {"values": {key: value}, "opened": {form: run id or None}}}, bounded."""

    def __init__(self, max_visitors: int = MAX_VISITORS):
        self.max_visitors = max_visitors
        self._drafts: OrderedDict[tuple, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, who: tuple) -> dict | None:
        with self._lock:
            draft = self._drafts.get(who)
            return None if draft is None else {"values": dict(draft["values"]), "opened": dict(draft["opened"])}

    def put(self, who: tuple, draft: dict) -> None:
        with self._lock:
            self._drafts[who] = {"values": dict(draft["values"]), "opened": dict(draft["opened"])}
            self._drafts.move_to_end(who)
            while len(self._drafts) > self.max_visitors:
                self._drafts.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._drafts.clear()


@st.cache_resource(show_spinner=False)
def store() -> DraftStore:
    """The server's one store (tests clear it between tests: tests/conftest.py)."""
    return DraftStore()


def form_of(key: str) -> str | None:
    return next((form for form, prefixes in FORMS.items() if key.startswith(prefixes)), None)


def kept(key: str) -> dict:
    """A set-up widget's `key` and `persist_state`, its value kept in the visitor's draft:
    `st.slider(..., **kept("train-settings-epochs"))`."""
    register(key)
    return {"key": key, "persist_state": PERSIST}


def register(key: str) -> None:
    """Keep `key`'s value in the draft (a widget's, or a plain value a form keeps beside its widgets). A key of
    no form in FORMS (the Inspect page's model) keeps its value for the session only."""
    if form_of(key) is None:
        return
    st.session_state.setdefault(_KEYS, set()).add(key)


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def _who() -> tuple:
    from ui.state import runs_dir, visitor_token

    return (runs_dir(), visitor_token())


def _page_run() -> str | None:
    return st.query_params.get("run") or None


def save(forms: Iterable[str]) -> None:
    """Keep the current values of every kept key in the visitor's draft; the page draws `forms`, whose
    draft now belongs to this address's run. Called at the end of each set-up page (and fragment)."""
    state = st.session_state
    keys = state.get(_KEYS) or set()
    previous = state.get(_SAVED) or {"values": {}, "opened": {}}
    # A form this session did not restore (its draft was of another address) keeps its draft until drawn.
    values = {**previous["values"], **{k: state[k] for k in sorted(keys) if k in state and _plain(state[k])}}
    opened = {**previous["opened"], **{form: _page_run() for form in forms}}
    draft = {"values": dict(list(values.items())[:MAX_VALUES]), "opened": opened}
    if draft != previous:
        store().put(_who(), draft)
        state[_SAVED] = draft


def restore() -> None:
    """Once per browser session, before the page draws: the visitor's draft, for each form whose draft was
    saved on the address this session opens. The keys of the other forms are kept in the draft, unshown."""
    state = st.session_state
    if state.get(_RESTORED) is not None:
        return
    draft = store().get(_who()) or {"values": {}, "opened": {}}
    here = _page_run()
    restored = [form for form, run in draft["opened"].items() if run == here]
    for key, value in draft["values"].items():
        if form_of(key) in restored:
            state.setdefault(key, value)
    state[_KEYS] = set(draft["values"])
    state[_SAVED] = draft
    state[_RESTORED] = {"forms": restored, "run": here}


def holds(form: str) -> bool:
    """Whether the form's values this session started with are the visitor's draft for this very address:
    then a run's settings do not replace them (ui/run_view.take_prefill)."""
    restored = st.session_state.get(_RESTORED) or {}
    return form in restored.get("forms", ()) and restored.get("run") == _page_run()
