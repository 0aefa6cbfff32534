"""Inspect: look inside a saved run's model (`?run=<id>`, as the Train page links) or a freshly
configured one. Tabs: Summary, Internals, Init lab, Modes & precision, Hooks, Grad-CAM / Saliency.

The numbers come from zoo.inspect and zoo.explain, which give the model back as they found it
(device, dtype, each submodule's train/eval flag, hooks, grads, buffers); each tab is a function
of ui/inspect_tabs.py, the drawing helpers are in ui/inspect_views.py. Only the open tab runs.
"""
import streamlit as st

from ui.state import my_runs, runs_dir, runs_dir_shown
from ui.text import code

st.title("Inspect")

from ui import drafts, form, inspect_tabs  # noqa: E402  (these import torch: Home never imports this file)
from ui import inspect_views as views  # noqa: E402
from zoo import inspect as zi  # noqa: E402
from zoo.data.images import IMAGE_DATASETS, is_available  # noqa: E402
from zoo.registry import HParam, SpecError, get_model, get_task, list_models, refusal  # noqa: E402
from zoo.runs import is_run_id, open_run  # noqa: E402

# ---------------------------------------------------------------- what to inspect
url_run = st.query_params.get("run")
# An address arrived at (a link, Back, Forward) opens its run and says what is wrong with it, once; a rerun of the
# same address (a tab, a setting) leaves the box as the visitor set it. The page writes the address only on a pick
# (ui/inspect_views.name_run_in_url): a write at every load was a browser history entry of its own, so Back stayed
# on Inspect or opened the page before with this run's ?run= (a learner's check).
arrived = url_run != st.session_state.get("inspect-url-run")
st.session_state["inspect-url-run"] = url_run
if url_run and not is_run_id(url_run):   # the URL is input like any other: no path is built from it unchecked
    if arrived:
        st.error(f"{code(url_run[:80])} is not a run id; pick a run below.", icon=":material/error:")   # (run_view)
    url_run = None
mine = [r for r in my_runs() if r.has_checkpoint]
DRAFT_FORMS = ["inspect", "inspect-tabs"]   # what a reload finds as it was left (ui/drafts.py)
first_draw = "inspect-source" not in st.session_state
# a reload: the tab the visitor had open and the new model they set up (ui/drafts.py)
drafts.restore(DRAFT_FORMS)
if (first_draw or arrived) and url_run:
    st.session_state["inspect-source"] = "Saved run"   # a run's address opens that run, whatever the draft was
elif "inspect-source" not in st.session_state:
    st.session_state["inspect-source"] = "Saved run" if mine else "New model"
source = st.segmented_control("Look inside", ["Saved run", "New model"],
                              required=True, **drafts.kept("inspect-source", default="default"),
                              help="a trained run's best weights, or a model configured here (untrained)")
source = source or "Saved run"
subject = None
try:
    if source == "Saved run":
        runs = list(mine)
        shared = open_run(url_run, runs_dir()) if url_run else None
        if shared is not None and shared.has_checkpoint and url_run not in [r.run_id for r in runs]:
            runs.insert(0, shared)   # a shared link opens its run (another visitor's too: looking changes nothing)
        if url_run and shared is None:
            if arrived:
                st.error(f"There is no run `{url_run}` in {runs_dir_shown()}; pick another one.",
                         icon=":material/search_off:")
        elif url_run and not shared.has_checkpoint and arrived:
            st.warning(f"Run `{url_run}` has no checkpoint yet: it appears here once it has saved its first "
                       "best weights.", icon=":material/hourglass_top:")
        if not runs:
            st.info("No run with a saved checkpoint yet: train one on the Train page, or look at a new model.",
                    icon=":material/info:")
            st.page_link("app_pages/train.py", label="Go to Train", icon=":material/fitness_center:")
            st.stop()
        ids = [r.run_id for r in runs]
        shown = st.session_state.get("inspect-run")
        if shown not in ids or (arrived and url_run in ids):
            st.session_state["inspect-run"] = url_run if url_run in ids else ids[0]
            if shown and shown not in ids and not arrived:   # deleted in another tab: another run, said so
                st.warning(f"Run `{shown}` is no longer in {runs_dir_shown()} (deleted, or it lost its checkpoint): "
                           f"this is run `{st.session_state['inspect-run']}` now.", icon=":material/search_off:")
        by_id = {r.run_id: r for r in runs}
        # The box's declared default is the run it shows, not the newest: a browser that has not yet kept the value
        # this run sets (a click soon after the page loads) builds the box from its default and sends that back, and
        # a run opened by its address became the newest run at the first click (1 in 14 under load, none since).
        # A pick puts its run in the address (name_run_in_url); a load does not (see `arrived` above).
        run_id = st.selectbox("Run", ids, index=ids.index(st.session_state["inspect-run"]), key="inspect-run",
                              format_func=lambda i: views.run_label(by_id[i]), on_change=views.name_run_in_url,
                              args=("inspect-run",))
        subject = views.subject_from_run(by_id[run_id])
    else:
        st.query_params.pop("run", None)
        # The address no longer names a run: Back to the one it named arrives at it again. Kept as arrived at, Back
        # found the new model kept and took ?run= out again, so that the run was never shown (a learner's check).
        st.session_state["inspect-url-run"] = None
        c1, c2, c3 = st.columns([1, 2, 2])
        task = c1.segmented_control("Task", ["image", "series"],
                                    required=True, **drafts.kept("inspect-task", default="default", fallback="image"))
        task = task or "image"
        model_name = c2.selectbox("Model", list_models(task),
                                  **drafts.kept(f"inspect-model-{task}", options=list_models(task)),
                                  format_func=lambda n: f"{n} · {get_model(n).summary}")
        if get_task(task).datasets is not None:   # a closed list of datasets (images)
            datasets = [d for d in IMAGE_DATASETS if IMAGE_DATASETS[d].bundled or is_available(d)]
            data = c3.selectbox("Data", datasets, **drafts.kept("inspect-image-data", options=datasets))
            extra = {}
        else:
            data = views.series_data_picker(c3)
            s1, s2, s3 = st.columns(3)
            extra = dict(lookback=form.typed_field(s1, HParam("lookback", 96, "int", low=4, high=1000),
                                                   "inspect-lookback", label="lookback L"),
                         horizon=form.typed_field(s2, HParam("horizon", 24, "int", low=1, high=500),
                                                  "inspect-horizon", label="horizon H"),
                         features=s3.selectbox("features", ["target", "all"],
                                               **drafts.kept("inspect-features", options=["target", "all"])))
        seed_field = HParam("seed", 0, "int", low=0, high=2**31 - 1)
        # open where its seed is refused (a draft brought one back after a reload): the page stops below, and the
        # reason had been inside the closed box, the page blank under the pickers (a review's check)
        refused = refusal(seed_field.check_in_form, st.session_state.get("inspect-seed", 0)) is not None
        with st.expander("Model hyperparameters", key="inspect-new-box", expanded=refused):
            params = form.model_form(model_name, key_prefix="inspect-new", task=task, columns=3)
            seed = form.typed_field(st, seed_field, "inspect-seed", label="seed for the weights")
        if seed is None or None in extra.values():   # said under its box; what was typed is kept for a reload
            drafts.save(DRAFT_FORMS)
            st.stop()
        subject = views.subject_from_config(task, model_name, form.non_defaults(model_name, params), data=data,
                                            seed=int(seed), **extra)
except (SpecError, OSError, ValueError, RuntimeError) as exc:   # a moved CSV, a config that does not build
    st.error(f"Cannot load this model: {exc}", icon=":material/error:")
    drafts.save(DRAFT_FORMS)
    st.stop()

device, dtype = zi.model_place(subject.model)
st.markdown(subject.title)
st.caption(f"On {device} in {str(dtype).replace('torch.', '')} · {subject.data_note}")

drafts.register("inspect-tab", widget=True)
tabs = st.tabs(list(inspect_tabs.TABS), key="inspect-tab", on_change="rerun")
for tab, draw in zip(tabs, inspect_tabs.TABS.values()):
    with tab:
        if tab.open:   # only the open tab runs
            # a SpecError: a pass refused, past the hosted demo's room (zoo/demo.check_inspection), or an input
            # the model cannot run on (zoo/inspect/summary.summarize)
            try:
                draw(subject)
            except SpecError as exc:
                st.error(str(exc), icon=":material/error:")
drafts.save(DRAFT_FORMS)
