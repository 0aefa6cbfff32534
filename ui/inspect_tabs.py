"""The Inspect page's tabs (app_pages/inspect.py), one function each, drawn for a subject (a saved
run's model or a freshly configured one, ui/inspect_views.py). The numbers come from zoo.inspect
and zoo.explain, which give the model back as they found it; each tab that runs the model says so
with `unchanged_badge`.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json

import pandas as pd
import streamlit as st
import torch

from ui import drafts
from ui import inspect_views as views
from ui.form import metrics_row, typed_field
from ui.state import button_pressed
from zoo import demo
from zoo import explain as ze
from zoo import inspect as zi
from zoo.initialisation import INITS
from zoo.registry import HParam, get_task

TREE_ROWS = 20   # the module table's rows on screen (a CNN has 16 modules; a Transformer scrolls)


def kept(name: str, subject=None, **declared) -> dict:
    """A tab's widget `key`, `persist_state` and declared default (ui/drafts.kept: `options`, or `default` with the
    widget's default argument's name, and `fallback`). Only the open tab draws its widgets, and Streamlit forgets a
    widget's value the run it is not drawn, so a batch size set on Summary came back at the run's after a look at
    Internals (a learner's check); and a reload kept the open tab but not what was set in it, Grad-CAM++ at
    features.0 back at Grad-CAM at the last layer (another): each value is in the visitor's draft (the form
    `inspect-tabs`, ui/drafts.py). Given `subject`, the value is the subject's own (a layer, an image index, a
    batch size whose default is the run's): another run starts from its own defaults, not the last one's. Its
    key holds a digest of the subject's (a new model's is its whole configuration), so that the draft's bound
    keeps many subjects."""
    return drafts.kept(tab_key(name, subject), **declared)


def tab_key(name: str, subject=None) -> str:
    """The session key of a tab's widget `name` (`kept`), the subject's own where one is given."""
    suffix = "" if subject is None else "::" + hashlib.sha1(subject.key.encode()).hexdigest()[:12]
    return f"inspect-{name}{suffix}"


def unchanged_badge(model, before: dict) -> None:
    """Show that the model came back as it went in (device, dtype, modes, hooks)."""
    if zi.state_snapshot(model) == before:
        st.badge("model unchanged: device, dtype, train/eval flags and hooks as before", icon=":material/check:",
                 color="green")
    else:
        st.badge("the model changed", icon=":material/warning:", color="red")


def summary_tab(subject) -> None:
    """Summary: the layer table from torchinfo, with the totals."""
    model, shape = subject.model, subject.shape
    c1, c2 = st.columns(2)
    batch_size = typed_field(c1, HParam("batch size", int(subject.batch_size), "int", low=1, high=8192),
                             tab_key("summary-batch", subject), label="Batch size",
                             help="shapes, mult-adds and memory are for a batch this large (1 to 8192)")
    precisions = list(zi.PRECISION_DTYPES)
    precision = c2.segmented_control("Precision", precisions,
                                     required=True, **kept("summary-precision", subject, default="default",
                                            fallback=subject.precision if subject.precision in precisions else "fp32"),
                                     help="bytes per number for the sizes: fp32 4, fp16 and bf16 2, fp64 8")
    if batch_size is None:   # said under its box
        return
    before = zi.state_snapshot(model)
    # Said while it runs (seconds on a large model): the metrics and the table had stood as grey placeholders, and
    # a learner took them for missing (a learner's check)
    with st.spinner("Summarising: torchinfo's pass and a measured training step…"):
        summary = zi.summarize(model, shape, batch_size=int(batch_size), precision=precision or "fp32")
    t = summary.totals
    m = metrics_row(3) + metrics_row(3)   # counts, then memory: six in a row cut the mult-adds short ("18,325,...")
    m[0].metric("Parameters", f"{t['total_params']:,}",
                help=f"{t['trainable_params']:,} trainable, {t['frozen_params']:,} frozen")
    m[1].metric("Trainable / frozen", f"{t['trainable_params']:,} / {t['frozen_params']:,}")
    m[2].metric("Mult-adds per batch", f"{t['mult_adds']:,}")
    m[3].metric(f"Parameters at {t['precision']}", f"{t['params_mb']:.3f} MB",
                help=None if t["precision"] in ("fp32", "fp64") else
                f"the weights where the model itself is cast to {t['precision']}; under mixed precision (torch.amp) "
                f"they stay fp32, {t['total_params'] * 4 / 1e6:.3f} MB, and only the computation runs at "
                f"{t['precision']}")
    m[4].metric("Forward + backward", f"{t['forward_backward_mb']:.2f} MB",
                help=f"torchinfo's estimate: every layer's output, twice. Estimated total with input and "
                     f"parameters: {t['total_mb']:.2f} MB")
    m[5].metric("Training step, measured", f"{t['training_step_mb']:,.2f} MB",
                help=f"what one training step with Adam holds at this batch, measured with the model as it is, in "
                     f"{t['measured_dtype']} (the Precision above sizes the other figures, not this one): the tensors autograd keeps for backward (everything a layer saves, "
                     "attention's scores and a recurrent layer's gates too), the weights, their gradients and "
                     "Adam's two moments; the backward's own temporaries come on top"
                     + (". The hosted demo's cap on a run's training memory is on this figure" if demo.caps() else ""))
    st.dataframe(views.summary_frame(summary), hide_index=True, width="stretch", key="inspect-summary-table",
                 height=min(38 + 35 * len(summary.rows), 640),
                 column_config={"params": st.column_config.NumberColumn(format="localized"),
                                "mult-adds": st.column_config.NumberColumn(format="localized"),
                                # wide enough for a nested name: a transformer's read "(TransformerNe", "self_a"
                                # (a learner's check), and kept in view beside the shapes
                                "layer": st.column_config.TextColumn(width="medium", pinned=True)})
    theirs = t["torchinfo"]["mult_adds"]
    st.caption("From torchinfo, run on a batch of random inputs in eval mode under no_grad, with the model "
               "left where it is. Mult-adds: each weight times the positions it is applied at"
               # attention's own products hold no weight: a learner missed them in a transformer's total
               + (", so attention's own products (the scores QKᵀ and their weighting of V) are not counted"
                  if any(r.type == "MultiheadAttention" for r in summary.rows) else "")
               + ("." if theirs == t["mult_adds"] else
                  f" (torchinfo's own total is {theirs:,}: it counts "
                  f"{'; '.join(t.get('torchinfo_counts_otherwise') or ['some layers otherwise'])}).")
               + " Forward + backward: the output of every layer with weights, twice (activation and its gradient), "
                 "torchinfo's estimate: it misses what a layer keeps inside it (attention's scores, a recurrent "
                 "layer's gates at every step), which the measured training step counts; "
               + (f"optimizer state is extra (Adam keeps two more copies of the {t['grads_mb']:.3f} MB of trainable "
                  "weights)." if t["precision"] in ("fp32", "fp64") else
                  # under mixed precision (torch.amp) the weights and Adam's moments stay fp32: two copies at fp16
                  # read as half what they hold (a learner's check)
                  f"optimizer state is extra: Adam keeps two more numbers per trainable weight, "
                  f"{2 * t['trainable_params'] * 4 / 1e6:.3f} MB in fp32, as mixed precision (torch.amp) keeps "
                  f"them; {2 * t['grads_mb']:.3f} MB only where the model itself is cast to {t['precision']}."))
    unchanged_badge(model, before)


def internals_tab(subject) -> None:
    """Internals: a Module's ordered dictionaries: parameters, buffers, children, hooks."""
    model = subject.model
    st.markdown("A `Module` keeps its state in a few ordered dictionaries: `_parameters` (learnable tensors), "
                "`_buffers` (state without gradients, like BatchNorm's running stats; names in "
                "`_non_persistent_buffers_set` stay out of the state_dict), `_modules` (children), and one "
                "dictionary per kind of hook.")
    left, right = st.columns([1, 1], gap="large")
    tree = zi.module_tree(model)
    with left:
        shown = min(len(tree), TREE_ROWS)
        st.dataframe(views.tree_frame(tree), hide_index=True, width="stretch", key="inspect-tree",
                     column_order=["module", "type", "own params", "buffers", "mode", "hooks"],
                     column_config={"own params": st.column_config.NumberColumn(format="localized")},
                     height=38 + 35 * shown)
        if len(tree) > shown:   # the grid's scroll bar shows only on hover: a learner summed 14 of 16 rows
            st.caption(f"{shown} of {len(tree)} modules shown: scroll the table for the rest.")
    with right:
        names = [t["name"] for t in tree]
        weighted = zi.weighted_layers(model)
        picked = st.selectbox("Module", names,
                              **kept("module", subject, options=names,
                                     fallback=names.index(weighted[0]) if weighted else 0),
                              format_func=lambda n: f"{n or '(model)'} · {type(model.get_submodule(n)).__name__}")
        info = zi.module_internals(model, picked)
        # Wrapped: in the narrow right column a Conv2d's repr ran past the box, its "# eval mode" out of sight.
        st.code(f"{info['type']}({info['extra_repr']})  # {'train' if info['training'] else 'eval'} mode",
                wrap_lines=True)
        st.markdown("**`_parameters`**")
        # In this narrow column, no device column (the model's, said under the title): the buffers' `persistent`
        # was cut off the table's edge (a learner's check)
        if info["parameters"]:
            # Every row in sight: at the grid's default height a 2-layer bidirectional LSTM's 16 showed 10, with
            # nothing to say so, and a learner concluded the `_l1_reverse` weights did not exist
            st.dataframe(views.tensor_frame(info["parameters"]), hide_index=True, width="stretch",
                         column_order=["name", "shape", "dtype", "requires_grad"],
                         height=38 + 35 * len(info["parameters"]))
        else:
            st.caption("empty: this module's weights, if any, live in its children")
        for p in info["parametrized"]:
            st.caption(f"`{p['name']}` is computed by {', '.join(p['parametrizations'])} from "
                       f"{', '.join(p['originals'])} (in `parametrizations.{p['name']}`), so it is not in "
                       "`_parameters`.")
        st.markdown("**`_buffers`**")
        if info["buffers"]:
            st.dataframe(views.tensor_frame(info["buffers"], ("persistent",)), hide_index=True, width="stretch",
                         column_order=["name", "shape", "dtype", "persistent"], height=38 + 35 * len(info["buffers"]))
        else:
            st.caption("empty")
        if info["non_persistent_buffers"]:
            st.caption(f"`_non_persistent_buffers_set` = {set(info['non_persistent_buffers'])}: not saved "
                       "in the state_dict, rebuilt by the constructor.")
        st.markdown("**`_modules`**")
        st.write(", ".join(f"`{m['name']}` ({m['type']})" for m in info["modules"]) or "empty (a leaf)")
        st.markdown("**Hook dictionaries**")
        st.dataframe(views.hooks_frame({"count": info["hooks"]}), width="stretch")
        if info["parametrized"] and info["hooks"]["load_state_dict_pre"]:
            st.caption("weight_norm registered the load_state_dict pre-hook: it converts checkpoints saved with "
                       "the old `weight_g`/`weight_v` names.")
    with st.expander("state_dict: what `torch.save(model.state_dict())` writes"):
        entries = zi.state_dict_entries(model)
        st.dataframe(views.tensor_frame(entries, ("kind", "numel")), hide_index=True, width="stretch",
                     column_config={"numel": st.column_config.NumberColumn(format="localized")})
        # requires_grad unticked on every row beside `_parameters`' ticks read as frozen weights (a learner's check)
        st.caption("requires_grad is off on every entry: `state_dict()` holds the parameters' values detached from "
                   "autograd (`keep_vars=False`), not the parameters themselves, which still require grad.")


def init_lab_tab(subject) -> None:
    """Init lab: each initialisation scheme on a fresh copy: activation spread, weights, symmetry."""
    shape = subject.shape
    # BatchNorm in train mode: zoo/inspect/labs.init_lab says why. He is twice LeCun's variance, not Xavier's
    # (a learner's check: twice Xavier's only where fan_in = fan_out)
    st.markdown("A fresh model of this configuration, initialised by each scheme through `Module.apply` "
                "(as training does), then one batch of real inputs in eval mode, but for BatchNorm, which "
                "normalises with the batch's own statistics as in training. Xavier (variance 2/(fan_in + fan_out)) "
                "keeps a layer's output near its input's spread for tanh-like units; He (2/fan_in, twice "
                "LeCun's 1/fan_in) makes up for ReLU zeroing half; N(0, 0.01) lets the signal die out, unless a "
                "BatchNorm rescales it; with zeros no layer before the output layer gets a gradient at the first "
                "step (the symmetry check below says which layers learn, and whether one before it does later).")
    schemes_all = list(INITS)
    c1, c2 = st.columns([3, 1])
    schemes = c1.multiselect("Schemes", schemes_all,
                             # every scheme the sentence above speaks of (N(0, 0.01) was only in the list)
                             **kept("init-schemes", default="default",
                                    fallback=["default", "xavier_normal", "kaiming_normal", "normal", "zeros"]),
                             format_func=lambda s: views.SCHEME_LABELS.get(s, s))
    steps = c2.slider("SGD steps for the symmetry check", 0, 30, **kept("init-steps", default="value", fallback=5),
                      help="plain SGD (lr 0.05) on 32 samples, then count the units that still differ")
    st.caption("Try it under **New model**: an mlp with depth 6 and activation tanh, then relu; compare Xavier "
               "with He. A std of exactly 0 (zero init) is drawn at 10⁻¹².")
    x, y = subject.batch(64)
    labs = {s: views.cached_init_lab(subject.key, subject.model_name, json.dumps(subject.params, sort_keys=True),
                                     json.dumps(dataclasses.asdict(shape)), s, steps, x, y) for s in schemes}
    if not labs:   # the tab had gone blank below its settings (a learner's check)
        st.info("Pick at least one scheme above to compare.", icon=":material/touch_app:")
    if labs:
        st.plotly_chart(views.activation_std_figure(labs), key="inspect-init-std", config={"displaylogo": False})
        hist_scheme = st.selectbox("Weight histograms for", schemes, **kept("init-hist", options=schemes, fallback=0),
                                   format_func=lambda s: views.SCHEME_LABELS.get(s, s))
        if hist_scheme in labs:
            st.plotly_chart(views.weight_hist_figure(labs[hist_scheme]), key="inspect-init-hist-fig",
                            config={"displaylogo": False})
        if steps:
            table = {}
            for s, lab in labs.items():
                for row in lab.symmetry:
                    table.setdefault(f"{row['layer']}.{row['param']}", {})[views.SCHEME_LABELS.get(s, s)] = \
                        f"{row['distinct']} of {row['units']}"
            # Zero init is not the symmetry case (a learner's check): at the first step the gradient sent back through
            # a zero weight is 0, so only the layers whose output is the model's output learn (measured on every
            # model and variant, tests/test_inspect.py). What learns later is measured, not said: a transformer's
            # hidden output is not 0 (its positional encoding), so its head's weights learn at once and send a
            # gradient back from the second step (a learner's check: "nothing before the output layer learns" was
            # false there); DLinear's two maps both read the window, so both learn at once (a learner's check: the
            # lab called its `linear` a layer before the output).
            st.markdown(f"**Distinct units after {steps} SGD steps** (rows of each weight matrix that still "
                        "differ). With zero init every weight is 0, so a gradient sent back through a layer's zero "
                        "weights is 0: at the first step only the output layer learns (every layer whose output is "
                        "the model's output), none before it. A constant start other than zero is the symmetry case: "
                        "every unit of a layer gets the same gradient, so they stay one.")
            cut = {views.SCHEME_LABELS.get(s, s): len(lab.loss) for s, lab in labs.items() if len(lab.loss) < steps}
            caps = demo.caps()
            if cut and caps is not None:   # the hosted demo's time for a look inside a model ran out (zoo/demo.py)
                st.warning(f"This hosted demo gives a look inside a model at most {caps.inspect_seconds} s of the "
                           "server's time, so the check stopped early with "
                           + ", ".join(f"{name} ({taken} of {steps} steps)" for name, taken in cut.items())
                           + ": its counts are after those steps. Fewer steps, or a smaller model, fit whole.",
                           icon=":material/timer:")
            words = "zeros" in labs and views.zero_init_words(
                labs["zeros"], subject.model_name, [n for n, p in subject.model.named_parameters() if p.requires_grad])
            if words:
                st.markdown(words)
            st.dataframe(pd.DataFrame(table).T, width="stretch")


def modes_tab(subject) -> None:
    """Modes & precision: train() against eval(), and the model cast to each precision."""
    model = subject.model
    x, _ = subject.batch(64)
    st.subheader("train() and eval()")
    st.markdown("In `train()` mode `nn.Dropout(p)` zeroes each number with probability p and multiplies the "
                "rest by **1/(1-p)**, so the expected value stays the same; in `eval()` it does nothing (it "
                "does not multiply by p). BatchNorm normalises with the batch's own mean and variance in "
                "train mode, updating its running stats, and with the running stats in eval mode.")
    report = zi.compare_modes(model, x)
    rows = report["layers"]
    drops = [r for r in rows if "p" in r]
    norms = [r for r in rows if "train_output_mean" in r]
    st.metric("Largest output difference, train vs eval", f"{report['output_max_diff']:.4g}",
              help="the same batch through the model in each mode (a copy: running stats stay as they were)")
    if drops:
        st.markdown("**Dropout layers** (train mode, one batch)")
        st.dataframe(pd.DataFrame([{
            "layer": r["layer"], "p": r["p"], "dropped in train": r.get("train_dropped_fraction"),
            "kept values scaled by": r.get("train_kept_scale"), "1/(1-p)": r["expected_scale"],
            "change in eval": r.get("eval_max_change")} for r in drops]), hide_index=True, width="stretch")
    if norms:
        st.markdown("**BatchNorm layers**")
        st.dataframe(pd.DataFrame([{
            "layer": r["layer"], "train: |mean| per channel (max)": r["train_output_mean"],
            # the mean over channels of each channel's std (zoo/inspect/labs.compare_modes): "std per channel" over
            # one number was read as one channel's (a learner's check)
            "train: std per channel (mean)": r["train_output_std"], "eval: |mean| (max)": r["eval_output_mean"],
            "eval: std per channel (mean)": r["eval_output_std"], "running mean moved by": r.get("running_mean_change"),
            "momentum": r["momentum"]} for r in norms]), hide_index=True, width="stretch")
    for r in report["internal_dropout"]:
        st.caption(f"`{r['layer']}` ({r['type']}) also drops {r['p']:g} {r['where']}, inside the layer.")
    if not drops and not norms and not report["internal_dropout"]:
        st.info("This model has no Dropout or BatchNorm, so train() and eval() give the same output.",
                icon=":material/info:")
    p = st.slider("Try nn.Dropout(p) on a vector of ones", 0.0, 0.9, step=0.05,
                  **kept("dropout-p", default="value", fallback=0.5))
    demo = zi.dropout_demo(p, n=12)
    st.dataframe(pd.DataFrame({"train()": demo["train"], "eval()": demo["eval"]}).T
                 .rename(columns=lambda i: f"x{i}"), width="stretch")
    st.caption(f"Kept values become 1/(1-{p:g}) = {demo['scale']:.4g} in training; evaluation returns the input.")

    st.subheader("Precision")
    with st.spinner("Running the model at each precision…"):
        rows = zi.compare_precisions(model, x)
    table = pd.DataFrame([{
        "precision": r["precision"], "bytes per number": r["bytes_per_element"],
        "parameter KB": r["param_bytes"] / 1e3, "max |Δ output| vs fp32": r.get("max_abs_diff"),
        "max relative Δ": r.get("max_rel_diff"), "same prediction": r.get("prediction_agreement"),
        "note": r.get("error") or r.get("note", "")} for r in rows])
    if not table["note"].any():
        table = table.drop(columns="note")
    if table["same prediction"].isna().all():
        table = table.drop(columns="same prediction")   # series models: no classes
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"same prediction": st.column_config.NumberColumn(format="percent"),
                                # one format for every model: 177.88 beside another's 177.704 (a learner's check)
                                "parameter KB": st.column_config.NumberColumn(format="%.1f")})
    st.caption(precision_caption())


def precision_caption() -> str:
    """What bf16 and fp16 keep of fp32, in bits as torch.finfo gives them (zoo.inspect.float_bits): stored bits, the
    implicit leading 1 apart, since "8 bits of mantissa" read as bf16's 8 exponent bits (a learner's check)."""
    b, h = zi.float_bits(torch.bfloat16), zi.float_bits(torch.float16)
    return (f"A copy of the model cast with `.to(dtype)`, on the same batch in eval mode. bf16 keeps fp32's range "
            f"({b['exponent']} exponent bits) with {b['fraction']} stored fraction bits, about {b['digits']:.1f} "
            f"significant digits; fp16 stores {h['fraction']} fraction bits, about {h['digits']:.1f} digits, but only "
            f"{h['exponent']} exponent bits: it overflows above {h['max']:g}.")


def hooks_tab(subject) -> None:
    """Hooks: forward and backward hooks on chosen layers for one batch."""
    model = subject.model
    st.markdown("`register_forward_hook` sees each chosen layer's output; `register_full_backward_hook` sees "
                "the gradient of the loss with respect to its output and input. One batch goes forward and "
                "backward, then every hook is removed (in a `finally`, even on an error).")
    layers = zi.hookable_layers(model)
    default = zi.weighted_layers(model)[:6] or layers[:4]
    c1, c2, c3 = st.columns([4, 1, 1], vertical_alignment="bottom")
    chosen = c1.multiselect("Layers to hook", layers,
                            **kept("hook-layers", subject, default="default", fallback=default))
    mode = c2.segmented_control("Mode", ["eval", "train"], required=True,
                                **kept("hook-mode", default="default", fallback="eval"))
    run_now = button_pressed(c3, "Run one batch", type="primary", key="inspect-hook-run", disabled=not chosen,
                             icon=":material/play_arrow:", help=None if chosen else "pick a layer to hook first")
    if not chosen:
        st.caption("Pick at least one layer to hook: **Run one batch** is off until then.")
    state_key = f"inspect-capture::{subject.key}"
    if run_now:
        x, y = subject.batch(32)
        st.session_state[state_key] = zi.capture(model, x, chosen, y=y, mode=mode or "eval")
    result = st.session_state.get(state_key)
    if result is None:
        st.info("Pick layers and press **Run one batch**.", icon=":material/touch_app:")
    else:
        if list(result.layers) != list(chosen):   # what is shown is the last batch's, not the layers picked now
            st.warning(f"Below: the last batch, which hooked {', '.join(f'`{n}`' for n in result.layers)}. Press "
                       "**Run one batch** to hook the layers picked now.", icon=":material/history:")
        now = {n: zi.hook_counts(model.get_submodule(n)) for n in result.layers}
        k1, k2, k3 = metrics_row(3)
        k1.metric("Loss of the batch", f"{result.loss:.4f}", help=f"{result.mode} mode")
        k2.metric("Hooks while running", sum(c["forward"] + c["backward"] for c in result.hooks_during.values()))
        k3.metric("Hooks now", sum(sum(c.values()) for c in now.values()),
                  help="read from the modules' hook dictionaries after the run")
        for note in result.notes:
            st.caption(note)
        counts = {f"{n} · during": result.hooks_during[n] for n in result.layers[:4]}
        counts.update({f"{n} · now": now[n] for n in result.layers[:4]})
        with st.expander("Hook dictionaries during the run and now"):
            st.dataframe(views.hooks_frame(counts), width="stretch")
        g1, g2 = st.columns(2)
        g1.plotly_chart(views.grad_norm_figure(result), key="inspect-hook-grads", config={"displaylogo": False})
        g2.plotly_chart(views.param_grad_figure(result), key="inspect-hook-pgrads", config={"displaylogo": False})
        st.dataframe(views.activation_frame(result.activation_stats), hide_index=True, width="stretch")
        first = next(iter(result.activations.values()), None)
        if first is not None and first.shape[0] < result.batch_size:   # "captured 8×6×24×24" of a batch of 32
            st.caption(f"The outputs kept, and their statistics above, are of the first {first.shape[0]} samples of "
                       f"the batch of {result.batch_size}; the loss and the gradient norms are of the whole batch.")
        shown = st.selectbox("Look at a captured output", list(result.activations), key="inspect-hook-show")
        if shown:
            act = result.activations[shown]
            if act.dim() == 4:
                st.image(views.feature_grid(act[0]), caption=f"{shown}: feature maps of the first sample "
                                                            f"({min(16, act.shape[1])} of {act.shape[1]} channels)")
            elif act.dim() == 3:
                x_title, y_title = views.sequence_axes(subject.model_name)
                st.plotly_chart(views.sequence_heatmap(act[0].numpy(), title=f"{shown}: first sample",
                                                       x_title=x_title, y_title=y_title),
                                key="inspect-hook-seq", config={"displaylogo": False})
            else:
                st.plotly_chart(views.activation_histogram(act, shown), key="inspect-hook-hist",
                                config={"displaylogo": False})


def explain_tab(subject) -> None:
    """Grad-CAM / Saliency: what a prediction looks at: Grad-CAM, Grad-CAM++ or gradient saliency."""
    model, shape = subject.model, subject.shape
    n = len(subject.x_test)
    c1, c2, c3, c4 = st.columns([1, 1.5, 1, 1])
    classifies = get_task(subject.task).classifies
    label = f"Test {'image' if classifies else 'window'} (0 to {n - 1})"
    index = typed_field(c1, HParam("test index", 0, "int", low=0, high=n - 1), tab_key("cam-index", subject),
                        label=label)
    if not subject.trained:
        st.caption("These weights are untrained: the maps show what a random network looks at.")
    if classifies:
        convs = ze.conv_layers(model)
        methods = ["Grad-CAM", "Grad-CAM++", "Saliency"] if convs else ["Saliency"]
        # A key of its own for models without convolutions (Saliency only), kept while not drawn: the
        # choice made for a CNN comes back with the CNN, not the Saliency an MLP had to show.
        method = c2.segmented_control("Method", methods, required=True,
                                      **kept("cam-method" if convs else "cam-method-plain", default="default",
                                             fallback=methods[0])) or methods[0]
        layer = c3.selectbox("Layer", convs or ["(input)"],
                             **kept("cam-layer", subject, options=convs or ["(input)"],
                                    fallback=len(convs) - 1 if convs else 0), disabled=method == "Saliency",
                             help="any convolution; the default is the last one")
        names = subject.class_names or [str(i) for i in range(shape.num_classes)]
        targets = ["predicted", *range(len(names))]
        target = c4.selectbox("Explain class", targets, **kept("cam-target", subject, options=targets, fallback=0),
                              # a digit's class is its name: "3", not "3 · 3" (a learner's check)
                              format_func=lambda v: str(v) if v == "predicted" or str(v) == names[v] else
                              f"{v} · {names[v]}")
        target = None if target == "predicted" else int(target)
        if not convs:
            st.info(ze.no_conv_message(model, subject.model_name).replace("(--method saliency)", "(below)"),
                    icon=":material/info:")
        if index is None:   # said under its box; the pickers beside it stay drawn, as set
            return
        x = subject.x_test[index:index + 1]
        before = zi.state_snapshot(model)
        if method == "Saliency":
            result = ze.saliency(model, x, target=target)
            cam, chosen = result.scaled[0], result.target[0]
            probs = torch.softmax(torch.from_numpy(result.output), 1)[0].numpy()
            label = "gradient saliency |∂logit/∂pixel|"
        else:
            result = ze.grad_cam(model, x, target=target, layer=layer,
                                 method="gradcam" if method == "Grad-CAM" else "gradcam++")
            cam, chosen, probs = result.cam[0], result.target[0], result.probabilities[0]
            label = f"{method} at {result.layer}"
        image = ze.to_display(x[0], subject.mean, subject.std)
        truth = int(subject.y_test[index])
        pics = st.columns(3)
        pics[0].image(views.enlarge((image * 255).astype("uint8")),
                      caption=f"test image {index} · label {names[truth]}")
        pics[1].image(views.enlarge(ze.jet(cam)), caption=label)
        pics[2].image(views.enlarge(ze.overlay(image, cam)),
                      caption=f"overlay · class {names[chosen]} ({probs[chosen]:.1%})")
        st.plotly_chart(views.probability_figure(probs, names, chosen), key="inspect-cam-probs",
                        config={"displaylogo": False})
        if method == "Saliency":
            st.caption("Gradient saliency: how much each pixel moves the class's logit (the largest absolute "
                       "gradient over channels), scaled so the largest is 1.")
        else:
            weights = ("the mean gradient of the class's logit (before softmax) over each map" if method == "Grad-CAM"
                       else "the class's positive gradients at each position, each weighted by a factor from the "
                            "second- and third-order gradients (α = g² / (2g² + ΣA·g³))")
            placed = ("puts each of its cells at the centre of its receptive field on the image (bilinear in "
                      "between)" if result.placed else "stretches it over the image (bilinear)")
            st.caption(f"{method} weights the layer's feature maps by {weights}, sums them, keeps the positive "
                       f"part ({result.low_res.shape[1]}×{result.low_res.shape[2]} cells), {placed} and scales it "
                       "to [0, 1].")
        unchanged_badge(model, before)
    else:
        horizon = shape.horizon
        steps = ["all steps", *range(1, horizon + 1)]
        step = c2.selectbox("Explain forecast step", steps, **kept("sal-step", subject, options=steps, fallback=0))
        target = None if step == "all steps" else int(step) - 1
        # A forecast that is the network's output plus the window's last value: that add-back alone gives the last
        # step a gradient of 1 per forecast step and buried the rest (every step of an lstm's map under 0.004 of
        # it: a learner's check), so what the network added is explained first; the whole forecast is a click away.
        adds_back = ze.adds_last_value_back(model)
        parts = {"network": "what the network adds", "forecast": "the whole forecast"}
        part = c3.radio("Explain", list(parts), format_func=parts.get,
                        **kept("sal-part", subject, options=list(parts), fallback=0),
                        help="This model forecasts the window's last value plus what its network adds "
                             "(window_norm last): the whole forecast's saliency is mostly that last value.") \
            if adds_back else "forecast"
        if index is None:   # said under its box; the pickers beside it stay drawn, as set
            return
        x = subject.x_test[index:index + 1]
        before = zi.state_snapshot(model)
        result = ze.saliency(model, x, target=target, part=part)
        features = subject.feature_names or [f"feature {i}" for i in range(shape.n_features)]
        st.plotly_chart(views.saliency_figure(result.scaled[0], features), key="inspect-sal-map",
                        config={"displaylogo": False})
        caption = ("How much each input number moves "
                   + ("what the network adds to the window's last value" if part == "network" else "the forecast")
                   + " (the chosen step, or the sum of all steps): the absolute gradient, scaled so the largest is 1.")
        if part == "network":
            caption += (" The forecast adds that last value back, which alone gives the target's last step a gradient "
                        "of 1 for each forecast step explained: pick **the whole forecast** to see it.")
        elif adds_back:
            caption += (" This model adds the window's last value back to its forecast, which alone gives the "
                        "target's last step a gradient of 1 for each forecast step explained and hides the rest: "
                        "pick **what the network adds** to see what it learned.")
        st.caption(caption)
        st.plotly_chart(views.window_figure(x[0].numpy(), features, subject.y_test[index].numpy()),
                        key="inspect-sal-window", config={"displaylogo": False})
        unchanged_badge(model, before)


# The tabs in their order on the page.
TABS = {"Summary": summary_tab, "Internals": internals_tab, "Init lab": init_lab_tab,
        "Modes & precision": modes_tab, "Hooks": hooks_tab, "Grad-CAM / Saliency": explain_tab}
