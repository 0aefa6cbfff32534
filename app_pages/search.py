"""Search: set up an Optuna study over the declared settings, run it in the background, watch it live."""
import streamlit as st

from ui import drafts, form
from ui import search_setup as setup_views
from ui import search_views as views
from ui.state import button_pressed, job_manager, runs_dir, session_owner
from ui.text import code
from zoo.registry import SpecError
from zoo.search import MEDIAN_STARTUP_TRIALS, storage_in_words

st.title("Hyperparameter search")
st.caption("Optuna samples settings from the model's declarations; every trial trains a fresh model and is "
           f"recorded as a run. With the median pruner (the default), a poor trial is stopped after an epoch once "
           f"{MEDIAN_STARTUP_TRIALS} trials have finished; workers on other machines can join the same study through a "
           "shared storage.")

drafts.restore(["search"])   # a reload: the set-up as the visitor left it (ui/drafts.py)
manager, owner, runs = job_manager(), session_owner(), runs_dir()
target = views.recall(manager)
if target is not None and st.query_params.get("study") != target["study"]:
    # Back on this page from another (a page switch drops the address's study): the study shown goes back
    # into the address, so that a reload shows it again rather than the offer to (a learner's check).
    views.remember(target)
active = views.is_active(manager, target)

# Above the set-up form, which a tab with no study opens: below it, 1,500 px down, the offer went unseen.
last = views.last_of_mine(manager, owner) if target is None else None   # started in another tab, or before a reload
if last is not None:
    st.info(f"Your last study on this server is {code(last['study'])} "
            f"({'running' if views.is_active(manager, last) else 'ended'}). Show it, or start or attach to another "
            "below.", icon=":material/history:")
    if button_pressed(st, f"Show study {code(last['study'])}", key="search_show_last", icon=":material/visibility:"):
        views.remember(last)
        st.rerun()
setup = st.expander("Set up a study, or attach to one", expanded=target is None, icon=":material/tune:")
# A keyed tab the page tracks: untracked, a study picked in Attach's list drew the page again on the New study tab
# (a check of one person in two tabs); a reload keeps it too (ui/drafts.py).
drafts.register("search_setup_tab", widget=True)
new_tab, attach_tab = setup.tabs(["New study", "Attach to a study"], key="search_setup_tab", on_change="rerun")
with new_tab:
    try:
        started = setup_views.setup_form(runs, manager.per_owner)
        if started is not None:
            if active:
                st.warning("A search is running: stop it before starting another.")
            else:
                target = views.start(manager, owner, *started)
                views.remember(target)
                st.rerun()
    except SpecError as exc:
        st.error(form.sentence(str(exc)), icon=":material/error:")
with attach_tab:
    attached = setup_views.attach_form(runs)
    if attached is not None:
        views.remember(attached)
        st.rerun()
# A reload finds the set-up as it is now; its series part is the Forecast page's form, claimed when drawn.
drafts.save(["search", "series"] if setup_views.draws_series() else ["search"])

if target is None:
    st.info("Start a search, or attach to a study, to see its trials here.")
else:
    st.divider()
    st.subheader(f"Study {code(target['study'])}")
    st.caption(f"storage: {storage_in_words(target['storage'])}")
    # one row, each button as wide as its words ("Train with best" read "Train …" at 1,024 px in a fifth)
    buttons = st.container(horizontal=True)
    # (a callback, as a run's Stop: a rerun met before the button, a change just after the click, keeps it)
    buttons.button("Stop", key="search_stop", disabled=not active or not views.controls(manager, target),
                   icon=":material/stop:", on_click=views.stop, args=(manager, target))
    nothing_to_train = None if active else views.why_no_best(target)   # a failed study's 0 trials, say
    if button_pressed(buttons, "Train with best", key="search_train_best", type="primary",
                      icon=":material/fitness_center:", disabled=bool(nothing_to_train), help=nothing_to_train):
        try:
            views.train_with_best(target)
        except SpecError as exc:
            st.warning(str(exc))
    views.delete_control(manager, target, active, buttons)
    views.live_view(manager, target, active)
    views.join_from_a_shell(target)
    if not active:
        with st.expander("Run more trials in this study", key="search-more-box"):
            try:
                more = setup_views.continue_form(manager, owner, target, runs, manager.per_owner)
            except SpecError as exc:
                st.error(form.sentence(str(exc)), icon=":material/error:")
            else:
                if more is not None:
                    views.remember(more)
                    st.rerun()
