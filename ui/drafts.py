"""What a visitor set in a form and has not run yet, kept across a reload of the page.

Streamlit keeps a widget's value for one browser session (`persist_state="session"`: across page
switches); a reload or a new tab is a new session, and the form came back at its defaults (issue 11:
"every widget keeps its value across reruns, file replacements and reloads of the page"). So each
set-up widget is declared with `kept(key)`, and each set-up page ends with `save(forms)`: the values of
those keys go to a store held by this server process, one draft per visitor (their cookie's token,
ui/state.visitor_token) and runs directory. The next session of the same browser finds them: each set-up
page starts with `restore(forms)`, before its widgets, the first time the session draws them.

A form's draft remembers the run the page's address opened when it was saved (`?run=`), and is
restored only on that same address, so that it is what the person left there:
- on `/train` after a reload: what was set, not the defaults;
- on `/train?run=X` after editing the form beside run X: what was set, not run X's settings again;
- on a link to another run, or a run opened from the Runs page: that run's settings
  (ui/run_view.take_prefill), as before.

Only values a JSON file could hold are kept, each string at most `MAX_TEXT` characters and a draft at
most `MAX_DRAFT_CHARS` (an upload's bytes are not: the page says the file stays for the browser
session). The store is bounded (`MAX_VISITORS`, the least recently saved dropped first: the hosted
demo's strangers included) and lives as long as the server process: a restart of the server starts every form at its
defaults, and loses nothing that ran (runs are files).
"""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any, Callable, Iterable

import streamlit as st

PERSIST = "session"   # Streamlit's persist_state: the value survives page switches in one session
# At most MAX_VISITORS x MAX_DRAFT_CHARS (about 64 MB) however many strangers come; a draft of every form
# with a few models' fields each is a few thousand characters.
MAX_VISITORS = 2_000
MAX_VALUES = 1_000        # keys per visitor: a form has a few dozen; each model viewed adds its own
MAX_TEXT = 1_000          # characters of one kept string (a study name, a typed number)
MAX_DRAFT_CHARS = 32_000  # of a draft's values as text; past it the keys written longest ago are dropped
# Which form a widget's key belongs to: its prefix (the pages' own key names).
FORMS = {"image": ("train-",), "series": ("forecast-",), "search": ("search_", "sp_", "attach_")}
_KEYS, _CONSIDERED, _RESTORED, _SAVED = "draft-keys", "draft-considered", "draft-restored", "draft-saved"
_EMPTY = {"values": {}, "opened": {}}


class DraftStore:
    """{(runs dir, visitor token): {"values": {key: value}, "opened": {form: run id or None}}}, bounded."""

    def __init__(self, max_visitors: int = MAX_VISITORS):
        self.max_visitors = max_visitors
        self._drafts: OrderedDict[tuple, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, who: tuple) -> dict | None:
        with self._lock:
            draft = self._drafts.get(who)
            return None if draft is None else copy.deepcopy(draft)

    def update(self, who: tuple, change: Callable[[dict], dict]) -> None:
        """Replace the draft with `change(draft)` (a copy of it, or an empty one), in one step: two tabs of one
        browser saving at once both land."""
        with self._lock:
            new = change(copy.deepcopy(self._drafts.get(who) or _EMPTY))
            self._drafts[who] = copy.deepcopy(new)
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


def keepable(value: Any) -> bool:
    """A value a draft keeps: what JSON could hold, no string over MAX_TEXT characters."""
    if value is None or isinstance(value, (bool, int, float)):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    if isinstance(value, (list, tuple)):
        return len(value) <= MAX_TEXT and all(keepable(v) for v in value)
    if isinstance(value, dict):
        return len(value) <= MAX_TEXT and all(isinstance(k, str) and keepable(v) for k, v in value.items())
    return False


def merged(draft: dict, values: dict, opened: dict) -> dict:
    """`draft` with `values` and `opened` written over it, the keys just written last: past MAX_VALUES keys or
    MAX_DRAFT_CHARS characters, those written longest ago are dropped (another model's fields, say)."""
    items = [(k, v) for k, v in draft["values"].items() if k not in values] + list(values.items())
    items = items[-MAX_VALUES:]
    sizes = [len(repr(k)) + len(repr(v)) + 4 for k, v in items]   # as in repr(dict): "k: v, "
    total, first = sum(sizes), 0
    while total > MAX_DRAFT_CHARS:
        total -= sizes[first]
        first += 1
    return {"values": dict(items[first:]), "opened": {**draft["opened"], **opened}}


def _who() -> tuple:
    from ui.state import runs_dir, visitor_token

    return (runs_dir(), visitor_token())


def _page_run() -> str | None:
    return st.query_params.get("run") or None


def save(forms: Iterable[str]) -> None:
    """Keep the current values of the kept keys drawn in this session in the visitor's draft; the page draws
    `forms`, whose draft now belongs to this address's run. Called at the end of each set-up page (and of
    the Train page's set-up fragment), so that every change the visitor makes is kept before the next."""
    state = st.session_state
    keys = state.get(_KEYS) or set()
    current = {k: state[k] for k in sorted(keys) if k in state and keepable(state[k])}
    opened = {form: _page_run() for form in forms}
    if state.get(_SAVED) == (current, opened):
        return   # nothing changed since this session's last save
    # Merged into what is stored, not written over it: another tab of the same browser may have saved forms
    # this one never drew.
    store().update(_who(), lambda draft: merged(draft, current, opened))
    state[_SAVED] = copy.deepcopy((current, opened))


def restore(forms: Iterable[str]) -> None:
    """Before a set-up page's widgets: each of `forms` not drawn before in this session gets the visitor's
    draft of it, if that draft was saved on the address the page has now (then it `holds`)."""
    state = st.session_state
    considered = state.setdefault(_CONSIDERED, set())
    todo = [form for form in forms if form not in considered]
    if not todo:
        return
    considered.update(todo)
    draft = store().get(_who()) or _EMPTY
    here = _page_run()
    restored = state.setdefault(_RESTORED, {})
    for form in todo:
        if form in draft["opened"] and draft["opened"][form] == here:
            for key, value in draft["values"].items():
                if form_of(key) == form:
                    state.setdefault(key, value)
            restored[form] = here


def holds(form: str) -> bool:
    """Whether the form's values are the visitor's draft for this very address, restored in this session:
    then a run's settings do not replace them (ui/run_view.take_prefill)."""
    restored = st.session_state.get(_RESTORED) or {}
    return form in restored and restored[form] == _page_run()
