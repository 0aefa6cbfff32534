"""Widgets of the Search page: the space editor, the study setup, and the live view of a study.

The live view reads the study from its storage (not from the job's events), so it shows the
same thing for a study this page started, one started by `python -m zoo search` workers on other
machines, and one attached to later. Figures keep a fixed plotly `uirevision` and stable keys, so
a refresh with new trials keeps the user's zoom.
"""
from __future__ import annotations

import math

import streamlit as st

from zoo.registry import HParam, SpecError, list_models
from zoo.search import (FIGURES, PRUNERS, SAMPLERS, SearchConfig, best_spec, build_space,
                        config_of_study, declared_settings, default_search_keys, default_storage,
                        default_study_name, display_storage, load_study, objective_label, open_storage,
                        state_counts, study_figures, study_names, study_summary, submit_search, trials_frame)
from zoo.data.images import IMAGE_DATASETS
from zoo.registry import get_task
from zoo.spec import ExperimentSpec

REFRESH_S = 2.0


# ------------------------------------------------------------------ storage handles


@st.cache_resource(show_spinner=False)
def _storage(url: str):
    """One storage object per URL for the server: a journal is replayed incrementally, a database
    keeps its connection pool."""
    return open_storage(url)


def load(target: dict):
    return load_study(target["storage"], target["study"], opened=_storage(target["storage"]))


# ------------------------------------------------------------------ the space editor


def _log_options(h: HParam) -> list:
    """Values for a log-scaled range slider: powers of two for integers, 1-2-5 steps for floats."""
    low, high = h.low, h.high
    values = {low, high}
    if h.kind == "int":
        k = 1
        while k <= high:
            if k >= low:
                values.add(k)
            k *= 2
    else:
        exponent = math.floor(math.log10(low))
        while 10 ** exponent <= high:
            for m in (1, 2, 5):
                v = float(f"{m}e{exponent}")
                if low <= v <= high:
                    values.add(v)
            exponent += 1
    return sorted(values)


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _range_widget(h: HParam, key: str, disabled: bool):
    """A two-handled slider inside the declared range (so a range can be narrowed, never widened)."""
    if h.kind in ("bool", "choice"):
        options = [False, True] if h.kind == "bool" else list(h.choices)
        return st.multiselect(f"{h.name} values", options, default=options, key=key, disabled=disabled,
                              label_visibility="collapsed", format_func=str)
    if h.log:
        options = _log_options(h)
        return st.select_slider(f"{h.name} range", options=options, value=(options[0], options[-1]), key=key,
                                disabled=disabled, label_visibility="collapsed", format_func=_fmt)
    if h.kind == "int":
        return st.slider(f"{h.name} range", int(h.low), int(h.high), (int(h.low), int(h.high)),
                         step=int(h.step or 1), key=key, disabled=disabled, label_visibility="collapsed")
    step = h.step or (h.high - h.low) / 100
    return st.slider(f"{h.name} range", float(h.low), float(h.high), (float(h.low), float(h.high)),
                     step=float(step), key=key, disabled=disabled, label_visibility="collapsed", format="%g")


def _value_widget(h: HParam, default, key: str, disabled: bool):
    label = f"{h.name} value"
    if h.kind == "bool":
        return st.checkbox(label, value=bool(default), key=key, disabled=disabled, label_visibility="collapsed")
    if h.kind == "choice":
        options = list(h.choices)
        return st.selectbox(label, options, index=options.index(default), key=key, disabled=disabled,
                            label_visibility="collapsed", format_func=str)
    if h.kind == "int":
        return st.number_input(label, int(h.low), int(h.high), int(default), step=int(h.step or 1), key=key,
                               disabled=disabled, label_visibility="collapsed")
    step = h.step or (h.low if h.log else (h.high - h.low) / 100)
    return st.number_input(label, float(h.low), float(h.high), float(default), step=float(step), key=key,
                           disabled=disabled, label_visibility="collapsed", format="%g")


def space_editor(model: str, task: str):
    """One row per declared setting: search it (over a narrowed range or a subset of values) or fix it.

    Returns the SearchSpace, or raises SpecError with what to change.
    """
    defaults = set(default_search_keys(model, task))
    search, fix = {}, {}
    head = st.columns([2, 1, 4, 2])
    for col, text in zip(head, ("setting", "search", "range searched", "value when fixed")):
        col.caption(text)
    for scope, h in declared_settings(model, task):
        if scope == "train" and isinstance(h.searchable, str):
            continue  # a shared setting (epochs, precision), set below
        key = f"sp_{model}_{h.name}"
        name_col, on_col, range_col, value_col = st.columns([2, 1, 4, 2], vertical_alignment="center")
        name_col.markdown(f"`{h.name}`", help=f"{h.help} ({scope})")
        searched = on_col.checkbox(f"search {h.name}", value=h.name in defaults, key=f"{key}_on",
                                   label_visibility="collapsed")
        with range_col:
            chosen = _range_widget(h, f"{key}_range", disabled=not searched)
        with value_col:
            value = _value_widget(h, h.default, f"{key}_value", disabled=searched)
        if searched:
            search[h.name] = list(chosen) if h.kind in ("bool", "choice") else tuple(chosen)
        elif value != h.default:
            fix[h.name] = value
    return build_space(model, task, search=search, fix=fix)


# ------------------------------------------------------------------ the study setup


def setup_form(runs_dir: str, max_workers: int) -> tuple[SearchConfig, int] | None:
    """The "New study" tab. When Start is pressed: a validated config and the number of workers."""
    top = st.columns([2, 2, 2])
    data = top[0].selectbox("Data", list(IMAGE_DATASETS), key="search_data",
                            help="the bundled mnist-sample trains in seconds; mnist and fashion-mnist need their files")
    csv = top[0].text_input("or a CSV file (series)", key="search_csv", placeholder="path/to/series.csv")
    task = "series" if csv.strip() else "image"
    models = list_models(task)
    model = top[1].selectbox("Model", models, index=models.index("mlp") if "mlp" in models else 0,
                             key=f"search_model_{task}")
    objective = top[2].radio("Objective", ("val_loss", "val_metric"), key="search_objective", horizontal=True,
                             format_func=lambda o: f"best {objective_label(o, task)} ({get_task(task).direction(o)})")

    st.markdown("**Search space**: what each trial samples, and what it holds fixed")
    with st.container(border=True, height=420):
        try:
            space = space_editor(model, task)
            space_error = None
        except SpecError as exc:
            space, space_error = None, str(exc)
        if space is not None:
            st.caption(f"Searching {len(space.dims)} setting(s): {', '.join(space.names) or 'none'}. "
                       "Ranges come from the model's declarations; narrow them with the sliders.")

    row = st.columns(5)
    n_trials = row[0].number_input("Trials", 1, 10_000, 20, key="search_trials")
    minutes = row[1].number_input("Time budget (min)", 0.0, 24 * 60.0, 0.0, step=1.0, key="search_minutes",
                                  help="0: none. No new trial starts after this; running trials finish")
    defaults = ExperimentSpec()
    epochs = row[2].number_input("Epochs per trial", 1, 200, defaults.epochs, key="search_epochs")
    limit_train = row[3].number_input("Train samples (0 = all)", 0, 1_000_000, 0, step=500, key="search_limit",
                                      help="use only the first N training samples: quicker trials for a first look")
    workers = row[4].number_input("Workers", 1, max(1, max_workers), 1, key="search_workers",
                                  help="workers sharing this study, each a job: a process here, or a Ray task on the "
                                       "cluster when the server uses one (PLAYGROUND_RAY_ADDRESS)")
    row = st.columns(4)
    sampler = row[0].selectbox("Sampler", SAMPLERS, key="search_sampler",
                               help="tpe: learns from earlier trials; random; grid: every combination (ranges "
                                    "are split into a few values)")
    pruner = row[1].selectbox("Pruner", PRUNERS, key="search_pruner",
                              help="median: stop a trial whose epoch value is worse than the median of earlier "
                                   "trials at that epoch; hyperband: successive halving")
    study = row[2].text_input("Study name", key="search_study_name",
                              placeholder=default_study_name(ExperimentSpec(task=task, model=model,
                                                                            data=csv or data), objective))
    storage = row[3].text_input("Storage", key="search_storage", placeholder=default_storage(runs_dir),
                                help="a journal file (default, under the runs directory) or a database URL such "
                                     "as postgresql://user:pass@host/db; workers anywhere can join the same study")
    if space_error:
        st.error(space_error)
    if not st.button("Start search", type="primary", key="search_start", icon=":material/play_arrow:"):
        return None
    if space is None:
        return None
    spec = ExperimentSpec(task=task, data=csv.strip() or data, model=model, epochs=int(epochs),
                          limit_train=int(limit_train))
    config = SearchConfig(spec=spec, space=space, objective=objective, n_trials=int(n_trials),
                          timeout=float(minutes) * 60 or None, study=study.strip() or None,
                          storage=storage.strip() or default_storage(runs_dir), sampler=sampler, pruner=pruner,
                          runs_dir=runs_dir)
    config.validate()
    return config, int(workers)


def start(manager, owner: str, config: SearchConfig, workers: int) -> dict:
    jobs = submit_search(manager, config, owner=owner, workers=workers)
    return {"storage": config.storage_url, "study": config.study_name, "jobs": [j.id for j in jobs]}


def attach_form(runs_dir: str) -> dict | None:
    """The "Attach to a study" tab: a storage URL and one of its studies."""
    storage = st.text_input("Storage", value=default_storage(runs_dir), key="attach_storage",
                            help="the journal file or database URL the workers use")
    try:
        names = study_names(storage) if storage.strip() else []
    except SpecError as exc:
        st.error(str(exc))
        return None
    if not names:
        st.info(f"No studies in {display_storage(storage)} yet.")
        return None
    name = st.selectbox("Study", names, key="attach_name")
    if st.button("Attach", key="attach_go", icon=":material/link:"):
        return {"storage": storage.strip(), "study": name, "jobs": []}
    return None


# ------------------------------------------------------------------ the live view


def job_lines(manager, job_ids: list[str]) -> tuple[list[str], bool]:
    lines, active = [], False
    for job_id in job_ids:
        job = manager.get(job_id)
        if job is None:
            continue
        snap = job.snapshot()
        state = snap["state"]
        active = active or job.active
        if snap["status"] == "queued":
            text = f"queued (position {manager.queue_position(job_id)})"
        elif job.active:
            text = (manager.describe_wait(job_id) or "starting") if "trial" not in state else \
                f"trial {state['trial']}, epoch {state.get('epoch', 0)}/{state.get('epochs', '?')}"
            if snap["stop_requested"]:
                text += ", stopping"
            elif snap["where"]:
                text += f" · {snap['where']}"
        else:
            text = f"{snap['status']}: {snap['reason']}"
        lines.append(f"worker {job_id.rsplit('-', 1)[-1]}: {text}")
    return lines, active


def live_view(manager, target: dict) -> None:
    """Trial table and figures of the study, refreshed every few seconds while its jobs run."""
    _, active = job_lines(manager, target.get("jobs", []))
    live = active and st.toggle(
        "Live updates", value=True, key="search_live",
        help="Pause them to zoom into a plot: Streamlit draws a chart whose data changed as a new chart, at full "
             "view, so a refresh with new trials resets the zoom.")

    @st.fragment(run_every=REFRESH_S if live else None)
    def _live():
        lines, still_active = job_lines(manager, target.get("jobs", []))
        if active and not still_active:
            st.rerun(scope="app")  # the jobs ended: redraw the whole page (buttons, no more refresh)
        try:
            study = load(target)
        except SpecError as exc:
            st.warning(str(exc))
            return
        trials = study.get_trials(deepcopy=False)
        hide = st.session_state.get("search_hide_pruned", False)
        chosen = st.session_state.get("search_plot_params", [])
        # Figures first, from the same snapshot as the table: the page then updates in one go
        # instead of showing a new table above the previous refresh's figures.
        figures = _study_figures(study, trials, hide, chosen)
        summary = study_summary(study)
        counts = state_counts(trials)
        cols = st.columns(5)
        cols[0].metric("Trials", len(trials))
        cols[1].metric("Complete", counts.get("COMPLETE", 0))
        cols[2].metric("Pruned", counts.get("PRUNED", 0))
        cols[3].metric("Running", counts.get("RUNNING", 0))
        best = summary["best_value"]
        cols[4].metric(f"Best {_objective(study)}", "-" if best is None else f"{best:.4f}",
                       help=None if best is None else f"trial {summary['best_trial']}, run {summary['best_run_id']}")
        if lines:
            st.caption(" · ".join(lines))
        hide = st.toggle("Hide pruned trials", key="search_hide_pruned")
        frame = trials_frame(trials, hide_pruned=hide)
        st.container(key="search_trial_table").dataframe(frame, hide_index=True, width="stretch",
                     column_config={
                         "trial": st.column_config.NumberColumn("trial", width=50, pinned=True),
                         "state": st.column_config.TextColumn("state", width=90, pinned=True),
                         "value": st.column_config.NumberColumn(_objective(study), format="%.4f"),
                         "duration_s": st.column_config.NumberColumn("duration (s)", format="%.1f"),
                         "run_id": st.column_config.TextColumn("run"),
                     })
        names = sorted({k for t in trials for k in t.params})
        st.multiselect("Parameters for the parallel, slice and contour plots (default: the most important)",
                       names, key="search_plot_params")
        _draw_figures(figures)

    _live()


def _objective(study) -> str:
    fp = study.user_attrs.get("playground", {})
    return objective_label(fp.get("objective", "val_loss"), fp.get("task", "image"))


def _study_figures(study, trials, hide: bool, chosen: list) -> dict:
    """The figures for this snapshot of the trials, recomputed only when a trial changed."""
    signature = (study.study_name, hide, tuple(chosen),
                 tuple((t.number, t.state, t.value, len(t.intermediate_values)) for t in trials))
    cached = st.session_state.get("_search_figs")
    if cached and cached[0] == signature:
        return cached[1]
    figures = study_figures(study, hide_pruned=hide, params=list(chosen) or None)
    st.session_state["_search_figs"] = (signature, figures)
    return figures


def _draw_figures(figures: dict) -> None:
    # Two small plots per row; the ones with a panel per parameter get the full width.
    for row in (("history", "intermediate"), ("importance", "contour"), ("parallel",), ("slice",)):
        for col, name in zip(st.columns(len(row)), row):
            with col.container(key=f"search_fig_{name}"):
                st.markdown(f"**{FIGURES[name]}**")
                fig = figures.get(name)
                if isinstance(fig, str) or fig is None:
                    st.info(fig or "not available")
                else:
                    st.plotly_chart(fig, key=f"search_chart_{name}", width="stretch")


def continue_form(manager, owner: str, target: dict, runs_dir: str, max_workers: int) -> dict | None:
    """More trials for an attached study made by the playground, with the settings it was made with."""
    try:
        study = load(target)
    except SpecError:
        return None
    config = config_of_study(study)
    if config is None:
        return None
    cols = st.columns([1, 1, 2])
    more = cols[0].number_input("More trials", 1, 10_000, 10, key="continue_trials")
    workers = cols[1].number_input("Workers", 1, max(1, max_workers), 1, key="continue_workers")
    if cols[2].button("Run more trials", key="continue_go", icon=":material/add:"):
        config.storage, config.runs_dir, config.n_trials, config.timeout = target["storage"], runs_dir, int(more), None
        config.sampler_seed = None  # a seeded sampler would propose the first trials' settings again
        return start(manager, owner, config.validate(), int(workers))
    return None


def train_with_best(target: dict) -> None:
    """Hand the best trial's spec to the page of its task (Train or Forecast), which fills its form."""
    from ui.run_view import hand_off

    hand_off(best_spec(load(target)))


def stop(manager, target: dict) -> None:
    for job_id in target.get("jobs", []):
        manager.stop(job_id)


def is_active(manager, target: dict | None) -> bool:
    return bool(target) and any((manager.get(j) is not None and manager.get(j).active) for j in target.get("jobs", []))


def remember(target: dict) -> None:
    """Keep the study across reloads: job ids (their payload knows the storage) or a password-free storage."""
    st.session_state["search_target"] = target
    params = {"study": target["study"]}
    if target.get("jobs"):
        params["jobs"] = ",".join(target["jobs"])
    if display_storage(target["storage"]) == target["storage"]:
        params["storage"] = target["storage"]
    st.query_params.update(params)


def recall(manager) -> dict | None:
    if "search_target" in st.session_state:
        return st.session_state["search_target"]
    q = st.query_params
    if "study" not in q:
        return None
    jobs = [j for j in q.get("jobs", "").split(",") if j and manager.get(j) is not None]
    storage = q.get("storage")
    if storage is None and jobs:
        storage = manager.get(jobs[0]).payload["config"]["storage"]
    if storage is None:
        return None
    target = {"storage": storage, "study": q["study"], "jobs": jobs}
    st.session_state["search_target"] = target
    return target
