"""Installed first by an app server a browser test starts (tests/browser.start_app's `before`), or patched in by
an AppTest: each session's first toast meets a rerun, which ends that script run at the toast's call, before the
toast is sent.

A message the browser sends while a page draws does the same at the next element the page draws (the pinned
Streamlit's ScriptRunner._enqueue_forward_msg handles the rerun before it sends the element): on CI's machine the
Train page the Home page's sample run opened met it at its toast about once in ten runs (ui/state.toast). Here it
happens every time."""
import streamlit as st

CUT = "test-cut-at-toast"
st_toast = st.toast


def rerun_at_first_toast(*args, **kwargs):
    if not st.session_state.get(CUT):
        st.session_state[CUT] = True
        st.rerun()
    return st_toast(*args, **kwargs)


def install() -> None:
    st.toast = rerun_at_first_toast
