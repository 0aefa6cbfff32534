"""Process-wide objects (the job manager), the visitor's identity, and what this visitor may do.

A visitor is a browser: a random token kept in a cookie (no account), so the identity survives
reloads and new tabs of the same browser. Jobs and run files record `zoo.demo.owner_of(token)`.
On the hosted demo (PLAYGROUND_DEMO=1, or in .streamlit/secrets.toml) a visitor sees and controls
their own runs, studies and uploads only; anyone with a run's URL may view it, read-only. Locally,
one person owns everything.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import secrets
import threading

import streamlit as st
# (the pinned 1.67's: what a rerun raises in a script run, `toast`)
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException

from zoo import demo, server_log
from zoo.jobs import JobManager
from zoo.server_log import log

VISITOR_COOKIE = "playground_visitor"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
SWEEP_EVERY_S = 600


server_log.to_stderr()   # the server's log on stderr (zoo/server_log.py), once per process
# How much of an unexpected error the configuration shows (.streamlit/config.toml), read before app.py sets it for the
# demo's strangers
ERROR_DETAILS = st.get_option("client.showErrorDetails")


def apply_secrets() -> None:
    """PLAYGROUND_* settings from .streamlit/secrets.toml, over the environment's (a host that takes secrets, not
    environment variables; zoo/demo.apply_secrets)."""
    demo.secrets_in_files()   # (read for a file there that is not TOML, which Streamlit says in its log alone)
    try:
        items = dict(st.secrets)
    except Exception:   # no secrets file (or one not readable, said by refuse_bad_settings): nothing to apply
        return
    demo.apply_secrets(items)


_logged: set = set()


def refuse_bad_settings() -> None:
    """A server whose PLAYGROUND_* settings are set wrong serves no page, and says which and what to set, on the page
    and, once each, in its log (zoo/server_settings.py). Serving had meant guessing: a misspelt PLAYGROUND_DEMO ran the
    demo in local mode, every visitor's runs shown to everyone (an operator's check)."""
    from zoo.server_settings import problems

    said = problems()
    if not said:
        _say_how_it_serves()
        return
    for line in said:
        if line not in _logged:
            _logged.add(line)
            log.error("a setting is wrong, no page is served until it is put right: %s", line)
    st.error("This server's settings are wrong, so it serves no page until they are put right, and restarted:\n\n"
             + "\n".join(f"- {line}" for line in said), icon=":material/error:")
    st.stop()


@functools.cache
def _say_how_it_serves() -> None:
    """Once per server, in its log: the mode and the caps in force, where they came from being the environment, a
    secrets file or the defaults (an operator's check: settings a secrets file changed were nowhere to be seen)."""
    from zoo.server_settings import value

    if demo.demo_mode():
        log.info("serving the hosted demo (PLAYGROUND_DEMO on), runs in %s, at most %d job(s) at once, %d per "
                 "visitor; caps: %s", runs_dir(), value("PLAYGROUND_MAX_JOBS"), value("PLAYGROUND_JOBS_PER_SESSION"),
                 ", ".join(f"{k}={v}" for k, v in vars(demo.caps()).items()))
    else:
        log.info("serving locally (PLAYGROUND_DEMO off: one person owns every run), runs in %s", runs_dir())


def job_manager() -> JobManager:
    """One job manager per server process, shared by every browser tab (survives reloads). Its
    workers are local processes, or Ray tasks when PLAYGROUND_RAY_ADDRESS names a cluster; a
    setting that names no usable cluster stops the page with its one sentence."""
    from zoo.registry import SpecError

    try:
        return _job_manager()
    except SpecError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()


_made: list[JobManager] = []


@st.cache_resource(show_spinner="Starting the job runner…")
def _job_manager() -> JobManager:
    """Starting it also marks the runs a killed server left `running` as failed, and on the hosted
    demo starts the sweep that deletes runs older than the age cap."""
    from zoo.launch import make_launcher
    from zoo.run_health import recover_interrupted

    recover_interrupted(runs_dir())   # each run it ends is a line of the server's log (zoo/run_health.end_if_gone)
    if demo.demo_mode():
        threading.Thread(target=_sweep_forever, daemon=True, name="demo-sweep").start()
    from zoo.runs import queue_path

    manager = JobManager(launcher=make_launcher(warm=True), queue_dir=queue_path(runs_dir()))
    _made[:] = [manager]
    return manager


def existing_job_manager() -> JobManager | None:
    """The job manager if this server has made one, without making it (the device badge: a server
    that never ran a job has nothing on its GPUs, and need not start the workers' forkserver)."""
    return _made[0] if _made else None


def _sweep_forever() -> None:
    import time

    while True:
        try:
            deleted = demo.sweep(runs_dir())
            if deleted:
                log.info("the demo's sweep deleted %d run(s) past the age cap (and their visitors' uploads, studies "
                         "and forms as old): %s", len(deleted), ", ".join(deleted))
        except OSError as exc:   # a run deleted under our feet, a full disk: said, and tried again next time
            log.warning("the demo's sweep stopped short (%s); it tries again in %d s", exc, SWEEP_EVERY_S)
        except Exception as exc:   # said in the log, and tried again: a sweep that ended here had ended for good
            log.error("the demo's sweep failed (%s: %s); it tries again in %d s", type(exc).__name__, exc,
                      SWEEP_EVERY_S)
        time.sleep(SWEEP_EVERY_S)


VISITOR_KEYS = ("visitor", "visitor-cookie-set")   # a session's keys that say whose browser it is (`visitor_token`)
# What a session keeps when the visitor's data is deleted (ui/drafts.forget_mine): whose browser it is, and the count
# of its runs, which only grows (mark_run)
KEPT_ON_FORGET = (*VISITOR_KEYS, "script-runs")
# The session keys of a question a page asks (a Delete…'s confirmation) start so: see drop_questions_on_leaving
QUESTION = "asked-"
PAGE_SHOWN = "page-shown"   # the page this session's last script run drew (drop_questions_on_leaving; owed toasts)


def drop_questions_on_leaving(page: str) -> None:
    """A page's open question (a Delete…'s confirmation) goes once the visitor goes to another page: coming back,
    the warning and its red "Delete permanently" had waited there, long after (a demo visitor's check)."""
    if st.session_state.get(PAGE_SHOWN) not in (None, page):
        for key in [k for k in st.session_state if str(k).startswith(QUESTION)]:
            del st.session_state[key]
    st.session_state[PAGE_SHOWN] = page


def visitor_token() -> str:
    """This browser's token: from its cookie, or a new one (`keep_visitor` stores it in the cookie)."""
    if "visitor" not in st.session_state:
        cookie = st.context.cookies.get(VISITOR_COOKIE)
        valid = isinstance(cookie, str) and bool(_TOKEN.match(cookie))   # (AppTest has no real cookies)
        st.session_state["visitor"] = cookie if valid else secrets.token_hex(16)
        st.session_state["visitor-cookie-set"] = valid
    return st.session_state["visitor"]


def keep_visitor() -> None:
    """Put the visitor's token in a cookie (once per browser), so a reload or a new tab is the same visitor.

    Tabs opened together on a first visit (a restored session, links opened at once) each start a session before
    any of them has written the cookie, so each makes a token of its own, and the last to write it held the
    browser: runs started in the other tabs belonged to a visitor no browser was, read-only to their own starter
    (a demo visitors' check). So a tab that finds another token in the cookie, before writing its own or just after
    (two tabs that both found none), reloads, and its new session takes the cookie's token; it has done nothing
    yet under its own."""
    token = visitor_token()
    if not st.session_state.get("visitor-cookie-set"):
        st.session_state["visitor-cookie-set"] = True
        st.html(ADOPT_OR_KEEP.replace("TOKEN", token), unsafe_allow_javascript=True)


ADOPT_OR_KEEP = f"""<script>(() => {{
    const held = () => (document.cookie.match(/(?:^|;\\s*){VISITOR_COOKIE}=([0-9a-f]{{32}})(?:;|$)/) || [])[1];
    const adopt = () => {{
        const other = held();
        // once per token: a server that cannot read the cookie would otherwise be reloaded for ever
        if (other && other !== "TOKEN" && sessionStorage.getItem("{VISITOR_COOKIE}") !== other) {{
            sessionStorage.setItem("{VISITOR_COOKIE}", other);
            location.reload();
        }}
        return !!other;
    }};
    if (adopt()) return;
    document.cookie = "{VISITOR_COOKIE}=TOKEN; path=/; max-age=31536000; SameSite=Lax";
    setTimeout(adopt, 500);
}})();</script>"""


# The mark's wrapper takes no room: without it the column's gap would add a line of space.
RUN_MARK = ('<style>div:has(> [class*="st-key-script-run-"]) {display: none}</style>'
            '<span hidden data-visitor="OWNER"></span>')   # whose session drew it (a test reads it: keep_visitor)


def page_starts_at_the_top() -> None:
    """Point the main area's elements at its top, where a whole page's run starts: app.py calls it first.

    The pinned Streamlit (1.67) sets the script thread's element stack (`context_dg_stack`) to a fragment's place
    for the fragment's own rerun, and does not set it back. A whole run asked for as that rerun ends (past its last
    check for requests: in `_on_script_finished`, whose gc.collect(2) is slow on a loaded machine) runs next in the
    same thread, with fresh cursors and that stack (exec_code resets both only where a RerunException ended the run,
    streamlit/streamlit pull 8798). The Runs page, clicked as the Train page's live chart redrew (a fragment's rerun
    each second), drew its title inside the chart's container, at [0, 1, 1, 0, 3]; the browser's app, which had
    cleared the Train page, broke on it ("Bad delta path index") and went blank, and a CI run's test waited on it in
    vain (tests/test_browser_smoke.py::test_a_page_asked_for_while_a_fragment_ends_is_drawn_at_the_top). Widget
    callbacks run before app.py, with that stack still: none of ours draws, and one must not."""
    from streamlit.delta_generator_singletons import context_dg_stack, get_default_dg_stack_value

    context_dg_stack.set(get_default_dg_stack_value())


def mark_run(where=None) -> None:
    """Number this session's script runs: an empty, hidden container keyed `script-run-N`, drawn by
    app.py (in the sidebar, before the page) and at the start of each fragment (`fragment`).

    Streamlit's page says whether a run is going (stApp's `data-test-script-state`), not which run it
    shows, so a driver of the page cannot tell "the run my click starts has not begun" from "it has
    ended". tests/browser.py's `wait_for_app(after=N)` reads the highest N before an action and waits
    until a greater one is drawn and the run has ended. N counts over the session, so a fragment's
    run also draws a greater N than any on the page."""
    count = st.session_state.get("script-runs", 0) + 1
    st.session_state["script-runs"] = count
    (where or st).container(key=f"script-run-{count}").html(RUN_MARK.replace("OWNER", session_owner()))


def fragment(func=None, *, run_every=None):
    """`st.fragment` whose every run starts with a run mark (`mark_run`); use it for every fragment."""
    def decorate(body):
        @functools.wraps(body)
        def marked(*args, **kwargs):
            mark_run()
            with script_run(whole_page=False):   # (a fragment's own rerun: app.py's is not running)
                return body(*args, **kwargs)
        return st.fragment(marked, run_every=run_every)
    return decorate(func) if func is not None else decorate


def session_owner() -> str:
    """What this visitor's jobs and runs record as their owner."""
    return demo.owner_of(visitor_token())


def runs_dir() -> str:
    from zoo.server_settings import value

    return value("PLAYGROUND_RUNS_DIR")   # (set empty: ./runs, as unset; it had been the server's own folder)


def runs_dir_shown() -> str:
    """The runs directory as a message names it: its path locally; on the hosted demo, not the
    server's path (README, "Deploying the hosted demo")."""
    return f"`{runs_dir()}`" if is_local() else "this demo's runs"


def is_local() -> bool:
    """Local use: one person, every run. The hosted demo (PLAYGROUND_DEMO=1): each visitor their own."""
    return not demo.demo_mode()


def upload_owner() -> str | None:
    """Whose uploads a page may re-open: this visitor's on the hosted demo, any locally."""
    return None if is_local() else session_owner()


def can_control(owner: str | None) -> bool:
    """May this visitor stop, delete or re-run something of `owner`'s?"""
    return is_local() or owner == session_owner()


def my_runs(root: str | None = None) -> list:
    """This visitor's runs (zoo.runs.Run), newest first; locally, every run."""
    from zoo.runs import list_runs

    runs = list_runs(root or runs_dir())
    if [r for r in runs if end_if_abandoned(r)]:
        runs = list_runs(root or runs_dir())
    return runs if is_local() else [r for r in runs if r.result.get("owner") == session_owner()]


def end_if_abandoned(run) -> bool:
    """A run whose process is gone (a command killed while this server serves) ended as a restart would end it
    (zoo/run_health.end_if_gone); True when it was. Not a run one of this server's jobs names, a search's trial
    included (the job's last `run_id`): its job manager ends those, saying how their worker ended (the hosted demo's
    wall-time cap, a kill), where a page's listing in the moment between had written the generic "failed" first
    (a review)."""
    from zoo.run_health import end_if_gone

    if run.status not in ("running", "queued"):  # most runs ended: no job list to build for them
        return False
    manager = existing_job_manager()
    if manager is not None and run.run_id in {name for job in manager.jobs()
                                              for name in (job.id, job.state.get("run_id")) if name}:
        return False
    return end_if_gone(run)


OWED_TOASTS = "owed-toasts"   # [(body, icon, page)] to show on `page`'s next run (`toast`, `toast_next_run`)


def toast(body: str, icon: str) -> None:
    """`st.toast`, shown by the page's next script run where a rerun cut this one short at it (`script_run`).

    A rerun the browser asks for while a script runs (a click or change outside a fragment, what a page sends as it
    opens) ends the run at its next element, raised from that element's call before it is sent (the pinned 1.67's
    ScriptRunner._enqueue_forward_msg). The Train page the Home page's sample run opened said nothing, about once in
    ten CI runs of tests/test_browser_nothing_lost.py, where it had to say what its form held: the toast was that
    element, and only a page's first drawing says it."""
    try:
        st.toast(body, icon=icon)
    except RerunException:
        toast_next_run(body, icon)
        raise


def toast_next_run(body: str, icon: str) -> None:
    """A toast for the page's next script run, drawing nothing now: said of what an action did just before its
    st.rerun(), where an element (a `toast`) in the middle of the action would be a place a rerun could cut it short
    (a delete of several runs, half done). (1.67 keeps a toast sent before a rerun: ForwardMsgQueue.clear, after
    streamlit/streamlit issue 7740.)"""
    st.session_state.setdefault(OWED_TOASTS, []).append((body, icon, st.session_state.get(PAGE_SHOWN)))


def _show_owed_toasts() -> None:
    """Those owed to this page (the visitor gone to another page since, they are dropped: they were of that one)."""
    owed = st.session_state.get(OWED_TOASTS)
    while owed:
        body, icon, page = owed[0]
        if page in (None, st.session_state.get(PAGE_SHOWN)):   # (None: said after a forget cleared the session)
            st.toast(body, icon=icon)   # (cut short again: still owed)
        owed.pop(0)


TAKEN = "taken-this-run"   # {key: value} session values this script run took (`take_for_this_run`)
_in_script_run: contextvars.ContextVar[bool] = contextvars.ContextVar("in_script_run", default=False)
_fragment_rerun: contextvars.ContextVar[bool] = contextvars.ContextVar("fragment_rerun", default=False)


def in_fragment_rerun() -> bool:
    """In a fragment's own rerun: the rest of the page stays as the last whole run drew it."""
    return _fragment_rerun.get()


def take_for_this_run(key: str, default=None):
    """A session value a run uses up (a spec handed to a page, a note to say once): taken out of the session now,
    and put back where a rerun cuts the run short (`script_run`), for the next run to take. Called again in the
    same run, the value taken.

    Popped for good at once, one was lost where a rerun cut the run short before the page had drawn it (a browser's
    message does, at the next element: `toast` says how): the Forecast page fills its training settings from a spec
    deep in its run, and the form kept its own while the toast said it held the run's; a note of what a value became
    in the form was never said (tests/test_nothing_lost.py). Outside `script_run` (a page's file run alone, in a
    test) it is popped for good, as it was."""
    taken = st.session_state.setdefault(TAKEN, {}) if _in_script_run.get() else {}
    if key in st.session_state:
        taken[key] = st.session_state.pop(key)
    return taken.get(key, default)


def taken_this_run(key: str, default=None):
    """What `take_for_this_run(key)` took in this run."""
    return st.session_state.get(TAKEN, {}).get(key, default)


PRESSED = "pressed-"   # the session key of a press `button_pressed` has not read yet: PRESSED + the button's key


@contextlib.contextmanager
def script_run(whole_page: bool = True):
    """Around a script run's body: app.py's page, and a fragment's own rerun (`fragment`, `whole_page` False);
    within one, another is part of it. It first shows the toasts owed to the page (`toast`, `toast_next_run`); what
    the run took (`take_for_this_run`) is put back where a rerun cuts it short (a browser's message, st.rerun(),
    st.switch_page()), unless set anew meanwhile (Run this board again's spec, then st.rerun()); ended otherwise, an
    error and st.stop() included, the run has used it up. A whole page's run that was not cut short drew every
    button there is to press: a press none of them read is dropped (`button_pressed`). A fragment's own run drew only
    its own: Streamlit runs the fragments queued together one after another after their callbacks, so a press of the
    next one's button is still to be read (a review: the Train page's Start is in a fragment)."""
    if _in_script_run.get():
        yield
        return
    mark = _in_script_run.set(True)
    part = _fragment_rerun.set(not whole_page)
    st.session_state.pop(TAKEN, None)   # (a run ended without passing here: a test's)
    cut = False
    try:
        _show_owed_toasts()
        yield
    except RerunException:
        cut = True
        for key, value in st.session_state.pop(TAKEN, {}).items():
            st.session_state.setdefault(key, value)
        raise
    finally:
        _in_script_run.reset(mark)
        _fragment_rerun.reset(part)
        st.session_state.pop(TAKEN, None)
        if whole_page and not cut:
            for key in [k for k in st.session_state if str(k).startswith(PRESSED)]:
                del st.session_state[key]


def button_pressed(where, label: str, *, key: str, **kwargs) -> bool:
    """`where.button(label, key=key, ...)`, True in the run that reads the press, for a button whose action is done
    in the page's body. Its press is recorded by a callback, before the page draws, and read here: a change the
    person made just after the click (the browser's next message) ends the script run at the next element drawn, and
    where that was before this button, the next run's message has no click in it (a click is sent once) and the
    press was lost (tests/cut_at_element.rerun_with_the_click_gone). Read once: its action, cut short in turn, is not
    done again. A button drawn disabled in the run that reads it is not pressed."""
    where.button(label, key=key, on_click=_press, args=(key,), **kwargs)
    return bool(st.session_state.pop(PRESSED + key, False)) and not kwargs.get("disabled")


def _press(key: str) -> None:
    st.session_state[PRESSED + key] = True


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
