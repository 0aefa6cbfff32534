"""A rerun met at an element's call: installed first by an app server a browser test starts
(tests/browser.start_app's `before`: each session's first toast), or patched in by an AppTest (`rerun_at_first`).

A message the browser sends while a page draws (a click, what a page sends as it opens) ends the script run at the
next element the page draws, raised from that element's call before the element is sent (the pinned Streamlit's
ScriptRunner._enqueue_forward_msg handles the rerun first). On CI's machine the Train page the Home page's sample run
opened met it at its toast about once in ten runs, and the toast was lost (ui/state.toast). Here it happens at the
first such element of each session, every time."""
import streamlit as st


def cut_key(name: str) -> str:
    return f"test-cut-at-{name}"


def rerun_at_first(name: str):
    """`st.<name>` whose first call in each session meets a rerun (st.rerun(): the RerunException a browser's
    message raises there); later calls draw."""
    draw = getattr(st, name)

    def cut_then_draw(*args, **kwargs):
        if not st.session_state.get(cut_key(name)):
            st.session_state[cut_key(name)] = True
            st.rerun()
        return draw(*args, **kwargs)

    return cut_then_draw


def install() -> None:
    st.toast = rerun_at_first("toast")
