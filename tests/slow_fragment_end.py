"""A fragment's own rerun slow to end: installed first by an app server a browser test starts
(tests/browser.start_app's `before`).

The pinned Streamlit ends each run with `ScriptRunner._on_script_finished`, which, after it has told the browser the
run is over, collects the garbage (gc.collect(2), slow on a loaded machine). A whole run the browser asks for in that
moment (a click on another page) runs next in the same script thread, with the element stack a fragment's rerun left
(ui/state.page_starts_at_the_top). Here the first fragment rerun of the server's life says it is ending (it creates
the file TEST_FRAGMENT_ENDING_FILE names) and then waits there until a rerun is asked for (at most WAIT_S), and writes
in that file whether one was: a test's click is met in that moment every time, and a test can tell that it was."""
import os
import time
from pathlib import Path

WAIT_S = 30.0


def install() -> None:
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner, ScriptRunnerEvent
    from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

    finish = ScriptRunner._on_script_finished
    slowed = []

    def finish_slowly(self, ctx, event, *args, **kwargs):
        finish(self, ctx, event, *args, **kwargs)
        if event == ScriptRunnerEvent.FRAGMENT_STOPPED_WITH_SUCCESS and not slowed:
            slowed.append(True)
            said = Path(os.environ["TEST_FRAGMENT_ENDING_FILE"])
            said.touch()
            deadline = time.monotonic() + WAIT_S
            while self._requests._state != ScriptRequestType.RERUN and time.monotonic() < deadline:
                time.sleep(0.02)
            said.write_text("a rerun was asked for" if self._requests._state == ScriptRequestType.RERUN else "none")

    ScriptRunner._on_script_finished = finish_slowly
