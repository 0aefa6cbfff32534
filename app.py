"""The PyTorch experiment playground: `streamlit run app.py`.

Pages are declared here and live in app_pages/, not pages/: Streamlit starts a server whose main script
has a pages/ folder beside it in its old folder mode, which listed the raw file names in the sidebar
until st.navigation first ran and ran a deep link's page file alone. Until torch is
loaded, the page runs before the sidebar's device badge is filled in, so Home's text appears
before torch is imported; after that the badge is drawn first (a page may end with st.stop()).
"""
import sys
from pathlib import Path

import streamlit as st

from ui.state import (ERROR_DETAILS, apply_secrets, drop_questions_on_leaving, keep_visitor, mark_run,
                      page_starts_at_the_top, refuse_bad_settings, script_run)
from zoo.demo import demo_mode

page_starts_at_the_top()   # first: after a fragment's rerun Streamlit had drawn the page inside the fragment

# The icon is a file the server serves: a :material/…: or emoji icon is fetched from a CDN, and the app
# must work offline (a new user's check saw the favicon fail there).
st.set_page_config(page_title="PyTorch playground", page_icon=str(Path(__file__).parent / "ui" / "icon.png"),
                   layout="wide")
apply_secrets()   # PLAYGROUND_* from .streamlit/secrets.toml, before anything reads them
refuse_bad_settings()   # then checked: a typo in one had been served as its default (zoo/server_settings.py)
# On the demo a stranger sees an error's type, not its traceback's server paths (the log has it whole); locally, what
# the configuration says (set each run: the option is the process's)
st.set_option("client.showErrorDetails", "type" if demo_mode() else ERROR_DETAILS)
keep_visitor()    # this browser's visitor token, kept in a cookie

pages = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/train.py", title="Train", icon=":material/fitness_center:", url_path="train"),
    st.Page("app_pages/runs.py", title="Runs", icon=":material/table_rows:", url_path="runs"),
    st.Page("app_pages/forecast.py", title="Forecast", icon=":material/show_chart:", url_path="forecast"),
    st.Page("app_pages/inspect.py", title="Inspect", icon=":material/biotech:", url_path="inspect"),
    st.Page("app_pages/search.py", title="Search", icon=":material/tune:", url_path="search"),
]
page = st.navigation(pages)
# The tab's title names the page: "PyTorch playground" on every page told a screen reader's user nothing of a page
# change (a keyboard user's check)
st.set_page_config(page_title=f"{page.title} · PyTorch playground")
drop_questions_on_leaving(page.title)
badge = st.sidebar.empty()
mark_run(st.sidebar)   # before the page: a page may end with st.stop()
from ui.device import device_badge  # noqa: E402  (torch-free until describe_device runs)

with script_run():   # the toasts owed to the page first; what it takes is kept for the next where a rerun cuts it
    if "torch" in sys.modules:
        # Cheap once torch is loaded: draw it first, so a page that ends with st.stop() keeps its badge.
        device_badge(badge)
        page.run()
    else:
        page.run()
        device_badge(badge)  # imports torch: after the page has rendered

from ui.state import freeze_imported_objects  # noqa: E402

freeze_imported_objects()  # keeps Streamlit's gc.collect() after every (fragment) run cheap
