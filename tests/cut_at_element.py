"""A rerun met at an element's call: installed first by an app server a browser test starts
(tests/browser.start_app's `before`: each session's first toast), or patched in by an AppTest (`rerun_at_first`).

A rerun the browser asks for while a page draws (a click or change outside a fragment, what a page sends as it
opens) ends the script run at the next element the page draws, raised from that element's call before the element
is sent (the pinned Streamlit's ScriptRunner._enqueue_forward_msg handles the rerun first). On CI's machine the Train
page the Home page's sample run opened met it at its toast about once in ten runs, and the toast was lost
(ui/state.toast). Here it happens at the first such element of each session, every time."""
import streamlit as st


def cut_key(name: str) -> str:
    return f"test-cut-at-{name}"


def rerun_at_first(name: str, containing: str | None = None):
    """`st.<name>` whose first call in each session (of those whose text holds `containing`) meets a rerun
    (st.rerun(): the RerunException a browser's message raises there); later calls draw."""
    draw = getattr(st, name)

    def cut_then_draw(*args, **kwargs):
        if not st.session_state.get(cut_key(name)) and (containing is None or containing in str(args[:1])):
            st.session_state[cut_key(name)] = True
            st.rerun()
        return draw(*args, **kwargs)

    return cut_then_draw


def install() -> None:
    st.toast = rerun_at_first("toast")


def rerun_with_slider_moved(name: str, key: str, value: float):
    """`st.<name>` whose first call after the slider `key` was drawn in a run meets a rerun carrying that slider at
    `value`: a person who moved it while the page went on drawing (the browser sends every widget's value)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    draw = getattr(st, name)

    def cut_then_draw(*args, **kwargs):
        ctx = get_script_run_ctx()
        state = ctx.session_state._state
        slider = state._key_id_mapper.get_id_from_key(key, None)
        if not st.session_state.get(cut_key(name)) and slider in ctx.shared.widget_ids_this_run.snapshot():
            st.session_state[cut_key(name)] = True
            widgets = [w for w in state.get_widget_states() if w.id != slider]
            moved = WidgetState(id=slider)
            moved.double_array_value.data[:] = [value]
            raise RerunException(RerunData(query_string=ctx.query_string, page_script_hash=ctx.page_script_hash,
                                           widget_states=WidgetStates(widgets=[*widgets, moved])))
        return draw(*args, **kwargs)

    return cut_then_draw


def rerun_with_the_click_gone(name: str, containing: str | None = None, query_string: str | None = None):
    """`st.<name>` whose first call in each session (of those whose text holds `containing`) meets a rerun carrying
    every widget's value but no button's click: a person who changed something else just after a click, the
    browser's next message (a click is sent once, in the message of its own rerun). Its address is the page's as
    the run has it (the browser had what the run set), or `query_string` (sent before that reached it)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    draw = getattr(st, name)

    def cut_then_draw(*args, **kwargs):
        if not st.session_state.get(cut_key(name)) and (containing is None or containing in str(args[:1])):
            st.session_state[cut_key(name)] = True
            ctx = get_script_run_ctx()
            widgets = [w for w in ctx.session_state._state.get_widget_states()
                       if w.WhichOneof("value") != "trigger_value"]
            address = ctx.query_string if query_string is None else query_string
            raise RerunException(RerunData(query_string=address, page_script_hash=ctx.page_script_hash,
                                           widget_states=WidgetStates(widgets=widgets)))
        return draw(*args, **kwargs)

    return cut_then_draw
