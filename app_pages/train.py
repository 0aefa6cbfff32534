"""Train: pick a dataset and a model, set it up, train it, watch it learn live, stop it, see the results.

The right-hand column is the run view (ui/run_view.py): `?run=<id>` shows that run, live or
finished. A spec handed over by "Train again" or "Train with best" fills the form once.

The set-up form and the live panel are separate fragments: changing a widget reruns only the
form, and the live chart's refresh every second reruns only the chart.
"""
import streamlit as st

from ui import drafts, form
from ui.prefill import part, say_filled, take_prefill
from ui.run_view import run_brought_back, run_panel, start_button, start_run
from ui.state import fragment, is_local
from zoo.data.images import IMAGE_DATASETS, is_available, shape_of
from zoo.registry import get_model, list_models
from zoo.spec import ExperimentSpec

st.title("Train")

# A reload: the form as the visitor left it on this address (ui/drafts.py), or beside the run the page comes back to
# where they set it there last (the closed and watched runs first: they say which run that is).
drafts.restore(["closed"])
drafts.restore(["image"], beside=run_brought_back("image", "train"))
prefill = part(take_prefill("image"), "form")   # (filled before anything is drawn: a part)
if prefill is not None:
    # Written into the widgets' state here, outside the fragment, so that it happens once.
    if prefill.get("data") in IMAGE_DATASETS:
        st.session_state["train-data"] = prefill["data"]
    notes = []
    if prefill.get("model") in list_models("image"):
        st.session_state["train-model"] = prefill["model"]
        notes += form.set_model_values(prefill["model"], key_prefix="train-model",
                                       values=prefill.get("model_params") or {})
    notes += form.set_training_values(key_prefix="train-settings", values=prefill, task="image")
    st.session_state["train-prefill-notes"] = notes
    say_filled("Start training")   # a form filled from a run (a reload, a link) was not picked: it says which run


def dataset_label(name: str) -> str:
    d = IMAGE_DATASETS[name]
    where = "bundled" if d.bundled else ("on this machine" if is_available(name) else "needs a download")
    return f"{name} · {d.train_size + d.test_size:,} images · {where}"


@fragment
def setup_panel() -> None:
    drafts.note_touched(["image", "closed"])   # (a rerun of this fragment alone does not pass through restore)
    st.subheader("Set up")
    with form.slot("train-notes-slot"):   # notes come and go: the widgets below keep their place (form.slot)
        form.said_later("train-prefill-notes", None)
    data = st.selectbox("Dataset", list(IMAGE_DATASETS), format_func=dataset_label,
                        **drafts.kept("train-data", options=IMAGE_DATASETS),
                        help="mnist-sample is bundled (5,000 real MNIST digits); the full sets are read from "
                             "the data folder, or downloaded where there is a network")
    dataset = IMAGE_DATASETS[data]
    with form.slot("train-dataset-slot"):
        if not dataset.bundled and not is_available(data):
            st.caption(f"{data} is not on this machine: training downloads it (needs the internet)"
                       + (f", or put its four IDX files in `{dataset.raw_folder()}`." if is_local() else
                          "."))   # the hosted demo's visitors cannot put files on the server (nor see its paths)
    model = st.selectbox("Model", list_models("image"), **drafts.kept("train-model", options=list_models("image")),
                         format_func=lambda name: f"{name} · {get_model(name).summary}")
    with st.expander("Model hyperparameters", expanded=True, key="train-model-box"):
        params = form.model_form(model, key_prefix="train-model", task="image")
    base = ExperimentSpec(task="image", data=data, model=model)
    preview = form.render_model_preview(model, params.valid(), shape_of(base))
    with st.expander("Training settings", expanded=True, key="train-settings-box"):
        settings = form.training_form(key_prefix="train-settings", task="image")
        with form.slot("train-batch-note-slot"):
            form.one_step_note(base, settings)

    spec = start_button("Start training", key="train-start", problems=params.problems + settings.problems,
                        preview=preview, settings_key="train-settings",
                        build=lambda: base.replace(model_params=form.non_defaults(model, params), **settings))
    if spec is not None:
        start_run(spec)
    drafts.save(["image", "closed"])   # a reload finds the form as it is now


setup, view = st.columns([2, 3], gap="large")
with setup:
    setup_panel()
with view:
    run_panel("image", key="train", empty="Set up a model (on the left, or above on a phone) and press **Start "
                                           "training**: the loss curves appear here while it trains, and the results "
                                           "when it ends.")
drafts.save(["image", "closed"])   # again: the run view may have put the visitor's live run in the address
