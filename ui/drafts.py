"""What a visitor set in a form and has not run yet, kept across a reload of the page.

Streamlit keeps a widget's value for one browser session (`persist_state="session"`: across page
switches); a reload or a new tab is a new session, and the form came back at its defaults (issue 11:
"every widget keeps its value across reruns, file replacements and reloads of the page"). So each
set-up widget is declared with `kept(key)`, and each set-up page ends with `save(forms)`: the values of
those keys go to a store held by this server process, a draft per visitor (their cookie's token,
ui/state.visitor_token), runs directory, form and address. The next session of the same browser finds
them: each set-up page starts with `restore(forms)`, before its widgets, the first time the session
draws them.

The address is the run the page's URL opens (`?run=`), or none: a draft is what the person left there.
- `/train` after a reload: what was set, not the defaults;
- `/train?run=X` after editing the form beside run X: what was set, not run X's settings again;
- a run's address with no draft (a link to it, its first Open from the Runs page): that run's settings
  (ui/prefill.take_prefill), as before; back on the page's own address (Close, the sidebar) with the form
  untouched since, the visitor's own draft again;
- two tabs on two addresses keep a draft each.

Only values a JSON file could hold are kept, each string at most `MAX_TEXT` characters (an upload's bytes are not:
the page says the file stays for the browser session, and beside a run the run's stored copy is used). The store
(ui/draft_store.DraftStore) is bounded, held in the server's memory and written through to a file per visitor under
the runs directory, so a restarted server gives each visitor their forms back. Forms as the pages first drew them,
which the visitor has not set, are held in memory only until the visitor has a file: a stranger's look at the pages
writes none.
"""
from __future__ import annotations

import copy
from typing import Any, Iterable

import streamlit as st

from ui.draft_store import AS_FILLED, DraftStore

PERSIST = "session"   # Streamlit's persist_state: the value survives page switches in one session
# {widget key: (the value the visitor set, the value the field shows)}: a kept value the field cannot show now (a
# cap lowered since it was set: ui/form.hparam_widget says so beside it). The draft keeps the value set while the
# field shows the other: saving what it shows had lost the value set, and the note with it, at the next reload.
BROUGHT_WITHIN = "draft-brought-within"
MAX_TEXT = 1_000          # characters of one kept string (a study name, a typed number)
# Which form a widget's key belongs to: its prefix (the pages' own key names).
# The leaderboard's budget first: a form of its own inside the Forecast page's keys (see WHOLE_VISIT).
FORMS = {"closed": ("train-closed", "forecast-closed", "train-watched", "forecast-watched"),   # the live run a visitor
         # closed, and the one the page last showed them live (ui/run_view.current_run_id): first, since
         # a form's keys are those of its first matching prefix; not the Train or Forecast form's, whose values are
         # compared with a run's to give the visitor's own back (a review: a Close had kept the run's settings)
         "image": ("train-",), "board": ("forecast-board-budget",), "series": ("forecast-",),
         "search": ("search_", "sp_", "attach_", "continue_"),   # (continue_: more trials for a study, ui/search_setup)
         "runs": ("runs-only-mine", "runs-hide-trials", "runs-diff-all", "runs-picked"),   # its switches and ticks
         # The Inspect page's open tab, and the new model set up there (a reload had brought back the newest saved
         # run in its place: a learner's check).
         "inspect": ("inspect-tab", "inspect-source", "inspect-task", "inspect-model-", "inspect-new-", "inspect-seed",
                     "inspect-lookback", "inspect-horizon", "inspect-features", "inspect-image-data",
                     "inspect-series-source"),
         # What is set inside its tabs (ui/inspect_tabs.kept), a draft of its own: a key per subject viewed, whose
         # bound must not push the model set up above out of its draft.
         "inspect-tabs": ("inspect-summary-", "inspect-module", "inspect-init-", "inspect-dropout-", "inspect-hook-",
                          "inspect-cam-", "inspect-sal-")}
# Forms kept once per visitor, not per address: a view's switches, not a set-up beside a run (the Inspect page
# names a run in its address once one is picked, and a draft per run viewed pushed the visitor's Train forms
# beside runs out of MAX_RUN_DRAFTS); and the leaderboard's budget, no setting of a training run: kept beside
# one's address, an old 150 came back over the 30 the visitor had set since, and Train again took it to the
# page's own (a browser check).
WHOLE_VISIT = {"runs", "inspect", "inspect-tabs", "board", "closed"}
_KEYS, _CONSIDERED, _RESTORED, _SAVED = "draft-keys", "draft-considered", "draft-restored", "draft-saved"
_FILLING, _FILLED = "draft-filling", "draft-filled"   # see filled_from_run, restore and save
_FIRST = "draft-first-drawn"   # {(form, address): the values this session first saved} (see save)
_BACK_TO = "draft-back-to"   # {form: the run beside which the draft a Close gives back was set} (_give_back_own)
_WATCHED_BEFORE = "draft-watched-before"   # {form: the run the page came back to, forgotten as another opened}
_ASKED = "draft-asked"   # the forms a spec the visitor asked for filled in this session (forget_fill)
_PLAIN = "draft-plain-keys"   # the kept keys that are plain values, not widgets' (see register)
_GENERATION = "draft-generation"   # the store's count of the visitor's forgettings this session began at (see save)
_TOUCHED = "draft-touched"   # {(form, address): the fields the person set in this session since its last save}


@st.cache_resource(show_spinner=False)
def store() -> DraftStore:
    """The server's one store (tests clear it between tests: tests/conftest.py)."""
    return DraftStore()


def form_of(key: str) -> str | None:
    return next((form for form, prefixes in FORMS.items() if key.startswith(prefixes)), None)


def kept(key: str, *, options: Iterable | None = None, default: str | None = None, fallback: Any = None) -> dict:
    """A set-up widget's `key` and `persist_state`, its value kept in the visitor's draft:
    `st.slider(..., **kept("train-settings-epochs"))`.

    With `options` (a selectbox's, a radio's) the `index`, or with `default` the name of the widget's default
    argument ("value"), of the value the state holds: the widget declares what it shows as its default. A browser
    that has not yet kept a value the page set before the widget (a draft, a run's settings, a page default) builds
    the widget from its declared default at the next run and sends that back: the Inspect page's Run box went to
    the newest run at the first click after the page loaded (tests/test_pages.py), and a form's slider once showed
    its minimum (ui/form.py's `slot`). `fallback`: the widget's own default, while the state holds no value."""
    register(key, widget=True)
    args = {"key": key, "persist_state": PERSIST}
    name = "index" if options is not None else default
    if name is None:
        return args
    value = st.session_state.get(key)
    if key in st.session_state and options is not None and value in list(options):
        args[name] = list(options).index(value)
    elif key in st.session_state and options is None:
        args[name] = value
    elif fallback is not None:
        args[name] = fallback
    return args


def register(key: str, *, widget: bool = False) -> None:
    """Keep `key`'s value in the draft: a plain value a form keeps beside its widgets, or (`widget`) a widget's. A
    widget's key is gone from the session while its widget is not drawn (another model's fields), and its draft
    keeps the last value; a plain value the page pops is popped from the draft too: a flag that said "the person
    set the horizon", popped when a series of another step came, came back from the draft after a reload and froze
    a daily file's horizon of 7 on the next hourly one (a forecast user's check). A key of no form in FORMS keeps
    its value for the session only."""
    if form_of(key) is None:
        return
    st.session_state.setdefault(_KEYS, set()).add(key)
    if not widget:
        st.session_state.setdefault(_PLAIN, set()).add(key)


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


def _who() -> tuple:
    from ui.state import runs_dir, visitor_token

    return (runs_dir(), visitor_token())


def _page_run(form: str | None = None) -> str | None:
    return None if form in WHOLE_VISIT else st.query_params.get("run") or None


def _keys(form: str) -> list[str]:
    """The form's kept keys that this session holds."""
    state = st.session_state
    return [k for k in sorted(state.get(_KEYS) or set()) if form_of(k) == form and k in state]


def _values(form: str) -> dict:
    """The form's kept values as they are in this session now: for a field showing a value other than the one the
    visitor set, because it cannot show that one (BROUGHT_WITHIN), the one set; a storage URL's password masked."""
    state, set_before = st.session_state, st.session_state.get(BROUGHT_WITHIN, {})
    values = {k: _masked(k, state[k]) for k in _keys(form) if keepable(state[k])}
    return {k: set_before[k][0] if k in set_before and set_before[k][1] == v else v for k, v in values.items()}


# Fields whose value may hold a password (a database URL typed as a study's storage): a draft is a file on the
# server's disk, where a lab's check found one in clear. Kept masked, as a page's address keeps it: after a reload
# the Search page asks for it again (ui/search_setup.py).
SECRETS = ("search_storage", "attach_storage")


def _masked(key: str, value: Any) -> Any:
    if key not in SECRETS or not isinstance(value, str):
        return value
    from zoo.search.storage import display_storage

    return display_storage(value)


def _popped(form: str) -> list[str]:
    """The form's plain values (`register`) that this session held and has popped since."""
    state = st.session_state
    return [k for k in sorted(state.get(_PLAIN) or set()) if form_of(k) == form and k not in state]


def not_the_visitors(keys: Iterable[str]) -> None:
    """Values a run's settings put in a form kept once per visitor (WHOLE_VISIT) as the page opened the run, not
    set by the visitor: `save` leaves their draft as they set it until they change these (opening a board's link
    wrote its budget over the one the visitor had set on the page: a review), and the page's own address gives
    theirs back (`restore`)."""
    state = st.session_state
    keys = [k for k in keys if k in state]
    if keys:
        form = form_of(keys[0])
        state.setdefault(_SAVED, {})[(form, _page_run(form))] = {k: copy.deepcopy(state[k]) for k in sorted(keys)}
        state.setdefault(_FILLING, {})[form] = (st.query_params.get("run"), True)


def watched_before(form: str, run_id: str) -> None:
    """Say that the page of `form` came back to run `run_id` (ui/run_view.current_run_id) before the run its address
    opens now: a Close of that one whose settings filled the form gives back the draft set beside `run_id` where it was
    set after the page's own (`_give_back_own`)."""
    st.session_state.setdefault(_WATCHED_BEFORE, {})[form] = run_id


def filled_from_run(form: str) -> None:
    """Say that the page fills `form` from the run its address opens (ui/prefill.take_prefill): the values the
    page saves next are that run's, not the visitor's. While the visitor leaves them as they are, the page's own
    address (Close, the sidebar's link) gives back what they set there (`restore`), and a draft beside a run holds
    them marked as the run's (AS_FILLED)."""
    st.session_state.setdefault(_FILLING, {})[form] = (_page_run(form), True)
    st.session_state.get(_FILLED, {}).pop(form, None)


def forget_fill(form: str) -> None:
    """The form's values are the visitor's from now on (a spec they asked for: Train again, Train with best, Run
    this board again), written at the next `save` even where they are what the page last saved (a board's budget
    that `not_the_visitors` left unwritten: the visitor's older one came back after a reload; a review)."""
    state = st.session_state
    state.get(_FILLED, {}).pop(form, None)
    # Written even as the page's first drawing of the form in this session: the visitor's, not its defaults (a
    # review: Train again, the visitor's first step, was held in memory only and lost to a restart)
    state.setdefault(_ASKED, set()).add(form)
    for key in [k for k in state.get(_SAVED, {}) if k[0] == form]:
        del state[_SAVED][key]


def save(forms: Iterable[str]) -> None:
    """Keep the current values of `forms` (the page draws them) as their drafts on this page's address.
    Called at the end of each set-up page (and of the Train page's set-up fragment), so that every change
    the visitor makes is kept before the next."""
    state = st.session_state
    generation = store().generation(_who())
    if state.setdefault(_GENERATION, generation) != generation:
        # The visitor deleted all their data in another tab since this session began (ui/visitor_data.py): its forms
        # are theirs no more. Saved, they had written the drafts' file again, a deleted run's id in it (a check).
        # (In this server's memory: a session on another server process sharing the runs directory is not told.)
        from ui.state import KEPT_ON_FORGET, toast_next_run

        forget_mine(keep=KEPT_ON_FORGET, in_store=False)
        toast_next_run("Your data was deleted in another tab: this tab's forms start again at their defaults.",
                       ":material/delete_forever:")
        st.rerun(scope="app")
    for form in forms:
        here = _page_run(form)
        values, popped = _values(form), _popped(form)
        # As the page first drew the form in this session, before the visitor set anything: a form of no values yet
        # too (the Close a session's first value, a review); not a spec the visitor asked for (forget_fill).
        first = state.setdefault(_FIRST, {}).setdefault((form, here), copy.deepcopy(values))
        if not values and not popped:
            continue
        # {form: (the run beside which the page filled it, those values, whether they are the run's settings or
        # the visitor's draft beside it)}
        filled = state.setdefault(_FILLED, {})
        if form in state.get(_FILLING, {}):   # the first values after the page filled the form beside a run
            run_id, as_run = state[_FILLING].pop(form)
            filled[form] = (run_id, copy.deepcopy(values), as_run)
        if form in filled and filled[form][1] != values:
            del filled[form]   # the visitor changed them: theirs from now on
        last = state.get(_SAVED, {}).get((form, here))
        held = last is not None and store().has(_who(), form, here)   # (the store's bounds may have dropped it)
        if held and last == values:
            continue   # nothing changed since this session's last save
        # Only changes are written: another tab of this browser on the same address does not write over what was
        # set in this one, left as it was, nor, where the visitor set another field there, the fields it left (a
        # browser check: epochs set in one tab went back to the other tab's at a patience set there).
        changed = {k: v for k, v in values.items() if k not in last or last[k] != v} if held else values
        touched = state.get(_TOUCHED, {}).pop((form, here), set())
        if held:
            # A field another tab set since this one last saved, and that this tab's page changed by itself (fitted
            # to a series, say), keeps the other tab's value: a tab left open had fitted the lookback and epochs set
            # in another to a file uploaded in it, and written them over the other's (a check of one person in two
            # tabs). Set here by the person, the newest wins, as always.
            stored = store().get(_who(), form, here) or {}
            changed = {k: v for k, v in changed.items()
                       if k in touched or k not in stored or stored[k] == last.get(k)}
            # and only what this tab held at its last save is popped: a flag it never had ("the person set the
            # lookback", set in the other tab) had been taken out of the draft by its save
            popped = [k for k in popped if k in last]
        as_run = here is not None and form in filled and filled[form][2]
        store().save(_who(), form, here, {**changed, AS_FILLED: as_run}, gone=popped,
                     untouched=values == first and form not in state.get(_ASKED, ()), shown=values)
        state.setdefault(_SAVED, {})[(form, here)] = copy.deepcopy(values)


def _give_back_own(form: str) -> None:
    """On the page's own address (no run): a form that still holds a run's settings as the page filled them (the
    run's address opened in this session: a link, the Runs page's Open, another day) goes back to what the visitor
    set here, and says so. Closing the run (or leaving by the sidebar) had kept the run's settings as theirs, over
    their own (a review). Edited since, it stays as they left it: their newest set-up; so does the visitor's draft
    beside the run, restored there, where it was set after the page's own (as the drafts are at the Close)."""
    state = st.session_state
    if st.query_params.get("run") or form not in state.get(_FILLED, {}):
        return
    run_id, values, as_run = state[_FILLED].pop(form)
    if not kept_own(form) or _values(form) != values:
        return
    if not as_run and not store().changed_after(_who(), form, None, run_id):
        return   # the visitor's draft beside the run, set after the page's own (as it is now, not as the tab opened)
    for key in _keys(form):
        del state[key]
        state.get(BROUGHT_WITHIN, {}).pop(key, None)   # said of the value set beside the run, not of their own (a review)
    state.get(_CONSIDERED, set()).discard(form)   # restored below from the visitor's own draft
    state.get(_RESTORED, {}).pop(form, None)
    # or from the draft beside the run the page had come back to before this one opened (its run view forgot it:
    # `watched_before`), where set after the page's own: the page's own older draft had come back, "what you had
    # set before opening run X" (a browser check)
    before = state.get(_WATCHED_BEFORE, {}).get(form)
    back_to = state.setdefault(_BACK_TO, {})[form] = before if before != run_id else None
    given = store().get(_who(), form, back_to if back_to and _set_later(form, back_to) else None) or {}
    # Said where it changes a field (it was said of a form that stayed as it was: a browser check); the board's budget
    # goes back with the form it sits in, unsaid.
    if form not in WHOLE_VISIT and any(key in given and given[key] != value for key, value in values.items()):
        from ui.state import toast

        toast(f"The form is back to what you had set before opening run {run_id}.", ":material/edit_note:")


def restore(forms: Iterable[str], beside: str | None = None) -> None:
    """Before a set-up page's widgets: each of `forms` not drawn before in this session gets the visitor's
    draft of it on the address the page has now, if there is one (then it `holds`); on the page's own address,
    a form still as a run's settings filled it gets the visitor's own back (`_give_back_own`).

    `beside`: the run the page shows on its own address (ui/run_view.run_brought_back: the visitor's live run, or
    the one it last showed them live): where the visitor set the form beside that run after they last set it
    here (while the run trained, the address being the run's), that draft is the form, as they last left it. The
    page's own draft had come back instead, and for a live run, whose address the page then moves to, was saved
    beside it over what was set there (a learner's check)."""
    state = st.session_state
    # Where the session's drafts began: one that stops before its first save (Inspect with no run) had taken a later
    # forgetting's count at that save, and written the forms it had restored before it (a review)
    state.setdefault(_GENERATION, store().generation(_who()))
    note_touched([form for form in forms if form in state.get(_CONSIDERED, ())])   # (before the page changes any)
    for form in forms:
        _give_back_own(form)
    considered = state.setdefault(_CONSIDERED, set())
    todo = [form for form in forms if form not in considered]
    if not todo:
        return
    considered.update(todo)
    restored = state.setdefault(_RESTORED, {})
    for form in todo:
        here = _page_run(form)
        back_to = state.get(_BACK_TO, {}).pop(form, None)   # (`_give_back_own`, which says so itself)
        near = back_to or beside
        if here is None and near is not None and form not in WHOLE_VISIT and _set_later(form, near):
            _restore_set_beside(form, near, say=back_to is None)
            restored[form] = here
            continue
        values = store().get(_who(), form, here) or {}
        if values.pop(AS_FILLED, False):
            values = {}   # the run's settings as the page filled them, never changed: not the visitor's, filled again
        if not values and here is not None and form not in WHOLE_VISIT:
            # A run's address first opened: the page's own draft, and the run's settings over it (take_prefill),
            # so that what a run does not hold stays as set (the lookback beside a board, which sets none).
            own = store().get(_who(), form, None) or {}
            own.pop(AS_FILLED, None)
            for key, value in own.items():
                state.setdefault(key, value)
            continue
        if not values:
            continue
        for key, value in values.items():
            state.setdefault(key, value)
        if here is not None and form not in WHOLE_VISIT:
            _own_models_under(form, values, store().get(_who(), form, None) or {})
            # (marked in any case: `_give_back_own` keeps the draft beside the run where it is, at the Close, the one
            # set last; decided here, a Close in a tab opened before the page's own was set again saved over it)
            # The visitor's draft beside the run, as they left it there: back on the page's own address, left as
            # it came, their own draft there comes back, as after a run's settings filled it. Closing a run whose
            # address was typed (or a deleted run's) kept the draft beside it as the page's own, the form set there
            # lost (a learner's check). Not where the draft beside the run was set after the page's own: that is
            # their newest (what they set while the run trained, on its address), kept at a Close, as in the session
            # they set it and as on the page's own address (`beside`); it had given way to the older one (a review).
            state.setdefault(_FILLING, {})[form] = (here, False)
        if here is not None and values.get("forecast-source") == "upload":
            # A file uploaded in a session is not kept (only its name and key): beside the run it was uploaded
            # for, the draft takes the run's stored copy of it, its own settings kept (they had given way to the
            # run's: a horizon set after the run came back as the run's, a forecast user's check). Another file
            # uploaded beside a run stays the draft's, asked for again, as on the page's own address.
            stored = _runs_stored_copy(values, here)
            if stored is False:   # the draft names no file: the run's settings fill the form (take_prefill)
                continue
            if stored is not None:
                from ui.series_source import use_stored

                use_stored(stored)
        restored[form] = here


def note_touched(forms: Iterable[str]) -> None:
    """At the top of a run of the page (`restore`) or of a fragment that saves (the Train page's set-up), before its
    code sets anything: the fields of `forms` whose values differ from this session's last save, which only the
    person can have changed in between (the page's own changes are saved at the end of the run that made them).
    `save` writes a field another tab set since over that tab's value only where the person set it here."""
    state = st.session_state
    for form in forms:
        here = _page_run(form)
        last = state.get(_SAVED, {}).get((form, here))
        if last is None:
            continue
        touched = {k for k, v in _values(form).items() if k not in last or last[k] != v}
        state.setdefault(_TOUCHED, {}).setdefault((form, here), set()).update(touched)


def _set_later(form: str, run_id: str) -> bool:
    """Whether the visitor's draft of `form` beside run `run_id` is theirs (not the run's settings as the page filled
    them) and was saved after their draft on the page's own address, or they have none there."""
    values = store().get(_who(), form, run_id)
    return values is not None and not values.get(AS_FILLED) and store().changed_after(_who(), form, run_id, None)


def _restore_set_beside(form: str, run_id: str, say: bool = True) -> None:
    """The form as the visitor last set it, beside run `run_id`, on the page's own address: saved there from now on
    (their newest set-up), with nothing to give back at a Close (`_FILLING` is left unset). `say`: in a toast."""
    state = st.session_state
    values = store().get(_who(), form, run_id) or {}
    values.pop(AS_FILLED, None)
    own = store().get(_who(), form, None) or {}
    own.pop(AS_FILLED, None)
    for key, value in values.items():
        state.setdefault(key, value)
    _own_models_under(form, values, own)
    if values.get("forecast-source") == "upload":
        stored = _runs_stored_copy(values, run_id)   # the run's stored copy of the file it read, as beside the run
        if isinstance(stored, str):
            from ui.series_source import use_stored

            use_stored(stored)
    from ui.prefill import PREFILL   # (ui/prefill imports this module)

    # A spec asked for (its task names its form) fills the form next: its page says so, and this would contradict it
    # (a review).
    handed = (state.get(PREFILL) or {}).get("task") == form
    if say and not handed and {k: v for k, v in own.items() if k in values} != values:
        from ui.state import toast

        toast(f"The form is as you last left it while viewing run {run_id}.", ":material/edit_note:")


def _own_models_under(form: str, values: dict, own: dict) -> None:
    """The other models' fields set on the page's own address (`own`), which a draft beside a run (`values`) does not
    hold (only the model drawn there): kept under it, as a run's address first opened keeps the page's own draft under
    the run's; else a Close that keeps the draft beside the run saved their defaults over the page's own."""
    fields = {"image": "train-model-", "series": "forecast-model-"}.get(form)
    for key, value in own.items():
        if fields and key.startswith(fields) and key not in values:
            st.session_state.setdefault(key, value)


def _runs_stored_copy(values: dict, run_id: str) -> str | bool | None:
    """The run `run_id`'s stored copy of the draft's upload, where the upload is the file the run read (the copy
    is named by the content's SHA-256, as the draft names the upload: zoo/forecast_io.store_upload,
    ui/series_source.UPLOAD_KEY); False where the draft names no upload; None for another file."""
    from pathlib import Path

    from ui.series_source import UPLOAD_KEY
    from ui.state import runs_dir, upload_owner
    from zoo import forecast_io as fio
    from zoo.runs import is_run_id, open_run

    if not values.get(UPLOAD_KEY):
        return False
    run = open_run(run_id, runs_dir()) if is_run_id(run_id) else None
    data = run.data if run is not None else None
    if data is None or Path(str(data)).stem != values.get(UPLOAD_KEY):
        return None
    return str(data) if fio.stored_upload(data, runs_dir(), upload_owner()) is not None else None


def kept_own(form: str) -> bool:
    """Whether the visitor has a draft of the form on its page's own address (no run): what they set there."""
    return store().has(_who(), form, None)


def holds(form: str) -> bool:
    """Whether the form's values are the visitor's draft for this very address, restored in this session:
    then a run's settings do not replace them (ui/prefill.take_prefill)."""
    restored = st.session_state.get(_RESTORED) or {}
    return form in restored and restored[form] == _page_run(form)


def forget_mine(keep: Iterable[str] = (), in_store: bool = True) -> None:
    """This visitor's drafts gone, in the store and in this session (zoo/visitor_data.forget: they asked for
    everything of theirs to go): every form starts again at its defaults, and a draft this session held would
    otherwise have been saved again at its next rerun. The visitor's other sessions (tabs) drop theirs at their next
    save. `keep`: session keys that are no form's (whose visitor this browser is). `in_store`: False for a session
    that only drops its own (`save`: another tab forgot the store's), which must not count as a forgetting again."""
    if in_store:
        store().forget(_who())
    for key in [k for k in st.session_state if k not in set(keep)]:
        del st.session_state[key]
    st.session_state[_GENERATION] = store().generation(_who())
