"""The Search page's set-up: the space editor (one row per declared setting: search it over a
narrowed range, or fix it), a new study (its data, model, budget, name), attaching to a study, and
more trials for one. The live view of a study is ui/search_views.py.

Data for a series study comes from the same uploader and reader as the Forecast page
(ui/series_source.py), never from a path typed by hand; on the hosted demo the storage is the
default journal under the runs directory and only this visitor's studies are listed.
"""
from __future__ import annotations

import math

import streamlit as st

from ui import drafts, series_source, series_windows
from ui.form import hparam_widget, number_box, sentence, slot
from ui.live import cap_duration
from ui.run_view import run_brought_back
from ui.search_views import load, start
from ui.state import button_pressed, is_local, session_owner
from ui.text import code
from zoo import demo
from zoo.data.images import IMAGE_DATASETS
from zoo.registry import HParam, SpecError, as_typed, get_task, list_models, refusal
from zoo.search import (MEDIAN_STARTUP_TRIALS, PRUNERS, SAMPLERS, SearchConfig, build_space, config_of_study,
                        declared_settings, default_search_keys, default_storage, default_study_name, display_storage,
                        fresh_study_name, load_study, objective_label, open_storage, study_names)
from zoo.search.storage import JournalDamaged, is_masked
from zoo.spec import ExperimentSpec, setting


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
        return st.multiselect(f"{h.name} values", options, disabled=disabled,
                              **drafts.kept(key, default="default", fallback=options),
                              label_visibility="collapsed", format_func=str)
    if h.log:
        options = _log_options(h)
        return st.select_slider(f"{h.name} range", options=options, disabled=disabled,
                                **drafts.kept(key, default="value", fallback=(options[0], options[-1])),
                                label_visibility="collapsed",
                                format_func=_fmt)
    if h.kind == "int":
        return st.slider(f"{h.name} range", int(h.low), int(h.high), step=int(h.step or 1), disabled=disabled,
                         **drafts.kept(key, default="value", fallback=(int(h.low), int(h.high))),
                         label_visibility="collapsed")
    step = h.step or (h.high - h.low) / 100
    return st.slider(f"{h.name} range", float(h.low), float(h.high), step=float(step), disabled=disabled,
                     **drafts.kept(key, default="value", fallback=(float(h.low), float(h.high))),
                     label_visibility="collapsed",
                     format="%g")


def _value_widget(h: HParam, default, key: str, disabled: bool):
    label = f"{h.name} value"
    if h.kind == "bool":
        return st.checkbox(label, disabled=disabled, **drafts.kept(key, default="value", fallback=bool(default)),
                           label_visibility="collapsed")
    if h.kind == "choice":
        options = list(h.choices)
        return st.selectbox(label, options, disabled=disabled,
                            **drafts.kept(key, options=options, fallback=options.index(default)),
                            label_visibility="collapsed", format_func=str)
    # A text box (ui/form.number_box) with no range of its own; space_editor reads and checks the value fixed.
    return number_box(st, label, key, fallback=default, disabled=disabled, label_visibility="collapsed")


JOBS_PER_VISITOR = "this server's jobs per visitor"


def checked_number(column, label: str, *, key: str, value, low, high=None, help: str | None = None,
                   problems: list[str], high_is: str | None = None):
    """A number box (ui/form.number_box) of a whole number (an int `value`) or a number, its range checked here: a
    text that is not one, or a number outside the range, is said under the box, added to `problems` (Start is off
    while there are any) and returned as None.

    Streamlit's own min and max leave a typed number past them in the box while the page goes on with
    the last one inside: 99999 trials shown, 20 run. (The Forecast page's windows had the same fault;
    zoo/forecast_io.check_window_settings.) Its integer box turned a typed 2.5 into 2 without a word; here 2.5
    stays and is refused."""
    whole = isinstance(value, int)
    text = number_box(column, label, key, fallback=value, help=help)
    try:   # the text read as the box's kind: "1.000" trials, "2,5" minutes are said (zoo/registry.HParam.read)
        number = HParam(name=label, default=value, kind="int" if whole else "float").read(text)
    except SpecError as exc:
        message = str(exc).replace(f"{label}=", f"{label}: ", 1)
        column.error(message, icon=":material/error:")
        problems.append(message)
        return None
    if number >= low and (high is None or number <= high):
        return number
    # Each says what to type, ending as a sentence (a demo visitors' check read "Workers: 4 is more than 1, this
    # server's jobs per visitor", which said neither)
    number, low, high = as_typed(number), as_typed(low), as_typed(high)
    if float(number) < float(low):
        message = f"{label}: {number} must be at least {low}; type {low} or more."
    elif high_is:   # a limit with a reason, said as such ("at most 2: this server's jobs per visitor")
        message = f"{label}: {number} is more than {high}, {high_is}; type {high} or fewer."
    else:
        message = f"{label}: {number} is outside its range [{low}, {high}]; type a number in it."
    column.error(message, icon=":material/error:")
    problems.append(message)
    return None


def space_editor(model: str, task: str, problems: list[str] | None = None):
    """One row per declared setting: search it (over a narrowed range or a subset of values) or fix it.

    Returns the SearchSpace; None while a fixed value is out of its range (said under its box, every
    row still drawn, the sentence added to `problems`). Raises SpecError with what to change when the
    space itself is wrong.
    """
    defaults = set(default_search_keys(model, task))
    search, fix, bad = {}, {}, []
    head = st.columns([2, 1, 4, 2])
    for col, text in zip(head, ("setting", "search", "range searched", "value when fixed")):
        col.caption(text)
    for scope, h in declared_settings(model, task):
        if scope == "train" and isinstance(h.searchable, str):
            continue  # a shared setting (epochs, precision), set below
        key = f"sp_{model}_{h.name}"
        name_col, on_col, range_col, value_col = st.columns([2, 1, 4, 2], vertical_alignment="center")
        name_col.markdown(f"`{h.name}`", help=f"{h.help} ({scope})")
        searched = on_col.checkbox(f"search {h.name}",
                                   **drafts.kept(f"{key}_on", default="value", fallback=h.name in defaults),
                                   label_visibility="collapsed")
        with range_col:
            chosen = _range_widget(h, f"{key}_range", disabled=not searched)
        with value_col:
            value = _value_widget(h, h.default, f"{key}_value", disabled=searched)
        if searched:
            search[h.name] = list(chosen) if h.kind in ("bool", "choice") else tuple(chosen)
            continue
        try:   # a number box's text read and checked: the forms' one sentence (zoo/registry.HParam)
            value = h.check_in_form(value)
        except SpecError as exc:   # under its box, in its row's words ("lr: 5.0 is outside its range ...")
            message = str(exc).replace(f"{h.name}=", f"{h.name}: ", 1)
            value_col.error(message, icon=":material/error:")
            bad.append(message)
            continue
        if value != h.default:
            fix[h.name] = value
    if bad:
        if problems is not None:
            problems.extend(bad)
        return None
    space = build_space(model, task, search=search, fix=fix)
    for name in search:
        if name in space.fixed:   # ticked, with a range of one value: searched as fixed (zoo/search/space.narrow)
            st.warning(f"`{name}` is ticked, but its range holds one value ({_value_said(space.fixed[name])}), so "
                       "every trial uses it: widen its range to search it.", icon=":material/warning:")
    return space


def _value_said(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# ------------------------------------------------------------------ the study setup


SERIES_DATA = "A series (CSV)"


def draws_series() -> bool:
    """Whether the set-up draws the Forecast page's series widgets (the data is a series)."""
    return st.session_state.get("search_kind") == SERIES_DATA


def _data_choice(column, problems: list[str]) -> tuple[str, dict, object, int | None]:
    """(task, spec fields for the data, the series source (series_source.data_for_spec at Start) or None, the
    series' training windows where the page counted them (the hosted demo's samples cap, before Start). A window
    setting the series cannot take is said under the window boxes and added to `problems`."""
    kind = column.radio("Data", ["Images", SERIES_DATA], **drafts.kept("search_kind", options=["Images", SERIES_DATA]),
                        horizontal=True)
    if kind == "Images":
        data = column.selectbox("Dataset", list(IMAGE_DATASETS), **drafts.kept("search_data", options=IMAGE_DATASETS),
                                help="the bundled mnist-sample trains in seconds; mnist and fashion-mnist need "
                                     "their files")
        return "image", {"data": data}, None, None
    # the Forecast page's form, as the visitor left it on an address without a run, or beside the run that page comes
    # back to, where set there last (as the Forecast page restores it: drawn here first, it is not restored there)
    drafts.restore(["closed"])
    drafts.restore(["series"], beside=run_brought_back("series", "forecast"))
    with st.container(border=True):
        st.markdown("**The series** (the same file and settings as on the Forecast page)")
        with slot("search-data-slot"):   # the file comes and goes: the boxes below keep their place
            source = series_source.source_picker(st.session_state.get("runs-dir-for-search", "runs"))
            sf, chart, choice = series_source.data_preview(source) if source else (None, None, {})
            if sf is not None:
                chart.plotly_chart(series_source.preview_figure(sf), key="search-preview-chart",
                                   config={"displaylogo": False, "displayModeBar": False})
        # The windows' defaults, as the Forecast page starts them: the boxes have no min, so without them a
        # Search opened before Forecast showed a lookback of 0.
        series_windows.init_defaults()
        series_windows.fit_to_series(source, sf)
        windows = series_windows.window_settings(sf)
        with slot("search-windows-slot"):
            # The Forecast page's check, before Start: a setting out of its range, or windows this series
            # is too short for (a lookback of 300 on 400 rows failed only once the search ran); and, as there,
            # where the lookback and horizon came from (fit_to_series set them without a word here).
            if sf is not None:
                series_windows.window_suggestion(sf, windows)
            check = {} if sf is None else series_source.check_chosen(source, choice, windows, sf)
            problem = check.get("error")
            if problem:
                st.error(problem, icon=":material/error:")
                problems.append(problem)
    if sf is None:
        raise SpecError(f"to search on a series, {series_source.NO_SERIES}.")
    fields = dict(data=source.spec_data or source.name, target=sf.target, date_col=sf.date_col, **windows,
                  windows_fitted=series_windows.fitted_names())
    return "series", fields, source, (check.get("sizes") or {}).get("train")


def setup_form(runs_dir: str, max_workers: int) -> tuple[SearchConfig, int] | None:
    """The "New study" tab. When Start is pressed: a validated config and the number of workers."""
    st.session_state["runs-dir-for-search"] = runs_dir
    top = st.columns([2, 2, 2])
    typed_problems: list[str] = []
    task, data_fields, source, train_windows = _data_choice(top[0], typed_problems)
    models = list_models(task)
    model = top[1].selectbox("Model", models, **drafts.kept(f"search_model_{task}", options=models,
                                                            fallback=models.index("mlp") if "mlp" in models else 0))
    objective = top[2].radio("Objective", ("val_loss", "val_metric"),
                             **drafts.kept("search_objective", options=("val_loss", "val_metric")),
                             horizontal=True,
                             format_func=lambda o: f"best {objective_label(o, task)} ({get_task(task).direction(o)})")

    # the box scrolls on its own: at 1,024 px it ended on batch_size, no sign of the settings below (a small-screen check)
    st.markdown("**Search space**: what each trial samples, and what it holds fixed (the box scrolls: every "
                "setting the model declares is in it)")
    with st.container(border=True, height=420):
        try:
            space = space_editor(model, task, typed_problems)
            space_error = None
        except SpecError as exc:
            space, space_error = None, str(exc)
        if space is not None:
            st.caption(f"Searching {len(space.dims)} setting(s): {', '.join(space.names) or 'none'}. "
                       "Ranges come from the model's declarations; narrow them with the sliders.")
        if space is not None and not space.dims:   # said before Start, not after it (a learner's check)
            space, space_error = None, ("Nothing to search: every setting is fixed. Tick \"search\" for at least "
                                        "one, with a range of more than one value.")
        elif space is not None:   # what Start's check would refuse (momentum beside Adam, min delta beside patience
            try:                  # 0), said before it, with the button off
                space.check(ExperimentSpec(task=task, model=model))
            except SpecError as exc:
                space, space_error = None, str(exc)

    row = st.columns(5)
    # On the hosted demo the boxes start within its caps: a first visit met "Epochs per trial: 5 is more than 3, this
    # hosted demo's most per run" (a demo visitors' check). A value set past one is said, as before.
    caps = demo.caps()
    n_trials = checked_number(row[0], "Trials", key="search_trials", value=min(20, caps.trials) if caps else 20, low=1,
                              problems=typed_problems)
    minutes = checked_number(row[1], "Time budget (min)", key="search_minutes", value=0.0, low=0,
                             help="0: none. No new trial starts after this; running trials finish",
                             problems=typed_problems)
    epochs_rule = demo.offered(setting("epochs"))
    epochs = checked_number(row[2], "Epochs per trial", key="search_epochs",
                            value=min(ExperimentSpec().epochs, int(epochs_rule.high)),
                            low=epochs_rule.low, high=epochs_rule.high, problems=typed_problems,
                            high_is="this hosted demo's most per run" if epochs_rule != setting("epochs") else None)
    with row[3]:   # the Train form's own field for this setting: "1e3" is 1,000 there, and here (ui/form.py)
        limit_train = hparam_widget(setting("limit_train"), "search_limit", label="Train samples (0 = all)",
                                    help=setting("limit_train").help,   # which N: the first images, a series' latest
                                    problems=typed_problems)
    workers = checked_number(row[4], "Workers", key="search_workers", value=1, low=1, high=max(1, max_workers),
                             help="workers sharing this study, each a job: a process here, or a Ray task on the "
                                  "cluster when the server uses one (PLAYGROUND_RAY_ADDRESS); at most this "
                                  "server's jobs per visitor", problems=typed_problems, high_is=JOBS_PER_VISITOR)
    row = st.columns(4)
    sampler = row[0].selectbox("Sampler", SAMPLERS, **drafts.kept("search_sampler", options=SAMPLERS),
                               help="tpe: learns from earlier trials; random; grid: every combination (ranges "
                                    "are split into a few values)")
    pruner = row[1].selectbox("Pruner", PRUNERS, **drafts.kept("search_pruner", options=PRUNERS),
                              help=f"median: once {MEDIAN_STARTUP_TRIALS} trials have finished, stop a trial whose "
                                   "epoch value is worse than the median of the finished trials at that epoch (none is "
                                   "stopped before); hyperband: successive halving")
    storage = default_storage(runs_dir, session_owner())
    if is_local():   # the hosted demo keeps a visitor's studies in a journal of their own: no storage is typed there
        storage = row[3].text_input("Storage", **drafts.kept("search_storage", default="value"),
                                    placeholder=storage,
                                    help="a journal file (default, under the runs directory) or a database URL such "
                                         "as postgresql://user:pass@host/db; workers anywhere can join the same "
                                         "study").strip() or storage
    base = default_study_name(ExperimentSpec(task=task, model=model, **data_fields), objective)
    fresh, unreadable = _fresh(base, storage)
    study = row[2].text_input("Study name", **drafts.kept("search_study_name", default="value"),
                              placeholder=fresh,
                              help="a new name makes a new study; the name of an existing one adds trials to it "
                                   "once you say so").strip() or fresh
    existing = _trial_count(storage, study)
    resume = False
    if existing is not None:
        resume = st.checkbox(f"A study named {code(study)} exists with {existing} trial(s): add these trials to it",
                             key="search_resume", help="otherwise give the new study another name")
        if not resume and _searching(study):   # another tab's search of it: "tick the box to add trials" had
            # invited trials into a study this server was searching (a check of one person in two tabs)
            st.warning(f"A study named {code(study)} exists, and a search of it runs on this server now: let it end "
                       "(or stop it) before adding trials to it, or give another name.", icon=":material/warning:")
        elif not resume:
            st.warning(f"A study named {code(study)} exists. Tick the box above to add trials to it, or give another "
                       "name: a new study never shows an older one's trials.", icon=":material/warning:")
    if space_error:
        st.error(space_error)
    spec = ExperimentSpec(task=task, model=model, epochs=int(epochs or 1), limit_train=int(limit_train or 0),
                          **data_fields)
    _one_step_batches(space, demo.known_train_samples(spec) if train_windows is None else train_windows, model)
    # (with a mistyped number, said under its box, the trials only: no cap check of a stand-in)
    # Adding to a study: its trials count towards the demo's cap per study before Start, as for "Run more trials"
    # (it was said only after the click: a demo check).
    over_cap = _demo_caps(spec, n_trials, None if minutes is None else float(minutes) * 60 or None, runs_dir,
                          existing=existing if resume and existing else 0, train_samples=train_windows,
                          typed_problems=bool(typed_problems))
    blocker = _visitor_blocker()
    if unreadable:   # said above the form; a Start had only said it again, twice on the page (a two-tabs check)
        st.caption(":red[Start search is off until the study's storage can be read (see above).]")
    if not button_pressed(st, "Start search", type="primary", key="search_start", icon=":material/play_arrow:",
                          disabled=space is None or (existing is not None and not resume) or bool(over_cap)
                          or bool(typed_problems) or bool(blocker) or unreadable):
        return None
    if source is not None:   # an upload stored, an earlier one marked used
        spec = spec.replace(data=series_source.data_for_spec(source, runs_dir, session_owner()))
    config = SearchConfig(spec=spec, space=space, objective=objective, n_trials=int(n_trials),
                          timeout=float(minutes) * 60 or None, study=study, storage=storage, sampler=sampler,
                          pruner=pruner, runs_dir=runs_dir, owner=session_owner())
    config.validate()
    return config, int(workers)


def _one_step_batches(space, train_samples: int | None, model: str) -> None:
    """Say so where the batch sizes searched reach the training samples: such a trial takes one step per epoch and
    learns little (500 samples, batch_size searched up to 2,048: trials of 637, 986 and 1,126 ended in no time,
    several "learned nothing useful", most of a small study spent: a learner's check). Said, with a button that
    narrows the range, not changed unasked; a batch size fixed as large is said too (it was not: a demo visitor's
    check)."""
    if space is None or not train_samples:
        return
    from zoo.spec import setting

    dim = space.dim("batch_size")
    if dim is None:
        fixed = space.fixed.get("batch_size", setting("batch_size").default)
        if fixed >= train_samples:
            st.warning(f"`batch_size` is fixed at {fixed:,}, and each trial trains on {train_samples:,} samples: "
                       "one step per epoch, and such trials learn little. Fix a smaller value, well below "
                       f"{train_samples:,}, or train on more samples.", icon=":material/warning:")
        return
    largest = max(dim.values) if dim.kind == "choice" else dim.high
    if largest < train_samples:
        return
    st.warning(f"`batch_size` is searched up to {largest:,.0f}, and each trial trains on {train_samples:,} "
               f"samples: a batch of {train_samples:,} or more is one step per epoch, and such a trial learns "
               f"little. Narrow its range to well below {train_samples:,}, or train on more samples.",
               icon=":material/warning:")
    narrowed = _batch_range_for(dim, train_samples)
    if narrowed is not None:
        st.button(f"Search batch_size from {narrowed[0]:,} to {narrowed[1]:,}", key="search-narrow-batch",
                  icon=":material/compress:", on_click=_set_range, args=(model, "batch_size", narrowed),
                  help="at least four steps per epoch for every trial")


def _batch_range_for(dim, train_samples: int) -> tuple[int, int] | None:
    """The searched batch sizes' range cut at a quarter of the training samples (four steps per epoch at least),
    on the slider's own values; None where the range is no slider's (a choice) or nothing below that is left."""
    from zoo.spec import setting

    h = setting("batch_size")
    if dim.kind == "choice" or not h.log:
        return None
    options = [v for v in _log_options(h) if dim.low <= v <= train_samples // 4]
    return (int(options[0]), int(options[-1])) if len(options) >= 2 else None


def _set_range(model: str, name: str, bounds: tuple) -> None:
    st.session_state[f"sp_{model}_{name}_range"] = bounds


def _visitor_blocker() -> str | None:
    """As on Train and Forecast (ui/run_view.start_blocker): a visitor with as many jobs queued or running as
    they may have gets Start off with the reason beside it; Search had queued a second job behind their own
    run with no word why it waited (a demo check)."""
    from ui.run_view import start_blocker, why_start_is_off
    from ui.state import job_manager

    blocker = start_blocker(job_manager(), session_owner())
    if blocker:
        why_start_is_off(blocker)
    return blocker


def _demo_caps(spec: ExperimentSpec, n_trials: int | None, timeout: float | None, runs_dir: str, existing: int = 0,
               button: str = "Start", train_samples: int | None = None, typed_problems: bool = False) -> str | None:
    """On the hosted demo, its caps said before `button`, and the one these settings pass or the runs and disk
    this visitor keeps (the button is off then); zoo refuses the same when the search is submitted
    (`SearchConfig.validate`, `open_study`, `submit_search`). `existing`: the trials the study has (more trials).
    With `typed_problems` (a box's number refused, said under it) only the trials are checked, whose number is no
    stand-in where it was typed right: the caps' line and a trials refusal had gone while another box was wrong (a
    demo visitor's check); the settings are checked once every box holds a number."""
    from zoo.runs import runs_root

    caps = demo.caps()
    if caps is None:
        return None
    st.caption(f":material/info: On this hosted demo a study runs at most {caps.trials} trials, each of at most "
               f"{caps.epochs} epochs on at most {caps.train_samples:,} samples, and a search stops after "
               f"{cap_duration(caps.wall_seconds)}.")
    if n_trials is None:
        return None
    why = refusal(demo.check_trials, int(n_trials), timeout, existing)
    if not typed_problems:
        why = (why or refusal(lambda: demo.check_spec(spec, n_train=demo.known_train_samples(spec)
                                                      if train_samples is None else train_samples))
               # (a CSV's windows, which the page counted)
               or refusal(demo.check_room, session_owner(), runs_root(runs_dir), trials=n_trials))
    if why:
        st.caption(f":red[{button} is off until this is fixed: {why}]")
    return why


def _searching(study: str) -> bool:
    """Whether a search job of this server runs (or waits) on a study of that name."""
    from ui.state import is_local, job_manager, session_owner

    for job in job_manager().jobs(None if is_local() else session_owner()):   # (on the demo, this visitor's studies)
        if job.active and "search" in job.target:
            try:
                if SearchConfig.from_dict(job.payload["config"]).study_name == study:
                    return True
            except (KeyError, TypeError, ValueError):
                continue
    return False


# A storage URL typed before a reload comes back with its password masked (ui/drafts.SECRETS)
PASSWORD_AGAIN = ("The storage's password is not kept once you leave or reload the page (it would be written to the "
                  "server's disk): type the full URL again, its password in place of `***`.")


def _fresh(base: str, storage: str) -> tuple[str, bool]:
    """`fresh_study_name`, or `base` where the storage cannot be read; and whether it cannot, said above the form,
    whose Start is then off: a damaged journal (it had shown a traceback in place of the page: a storage-faults
    check), a storage typed that does not open (a wrong password, a database that is not there: said only once
    Start was pressed, a lab's check)."""
    if is_masked(storage):
        st.warning(PASSWORD_AGAIN, icon=":material/key:")
        return base, True
    try:
        return fresh_study_name(base, storage), False
    except JournalDamaged as exc:
        st.error(sentence(str(exc)), icon=":material/error:")
        return base, True
    except SpecError as exc:
        if not is_local():   # the visitor's own journal, which they do not name: Start says what it can
            return base, False
        st.error(sentence(str(exc)), icon=":material/error:")
        return base, True


def _trial_count(storage: str, name: str) -> int | None:
    """Trials of the study `name` in the storage, None when there is no such study. On the hosted demo the
    storage is the visitor's own (zoo/search/storage.default_storage): another visitor's names are not in it."""
    try:
        if name not in study_names(storage):
            return None
        return len(load_study(storage, name).get_trials(deepcopy=False))
    except SpecError:
        return None


def attach_form(runs_dir: str) -> dict | None:
    """The "Attach to a study" tab: a storage (locally) and one of its studies (on the hosted demo,
    one of this visitor's)."""
    storage = default_storage(runs_dir, session_owner())
    if is_local():
        # cleared, the server's journal, as New study's (it had said "No studies in  yet.": a lab's check)
        storage = st.text_input("Storage", **drafts.kept("attach_storage", default="value", fallback=storage),
                                placeholder=storage, help="the journal file or database URL the workers use; "
                                                          "empty: this server's journal").strip() or storage
    if is_masked(storage):
        st.warning(PASSWORD_AGAIN, icon=":material/key:")
        return None
    try:
        names = study_names(storage) if storage else []
        if names and not is_local():
            from zoo import demo

            opened = open_storage(storage)
            names = [n for n in names if demo.study_is_theirs(load_study(storage, n, opened=opened), session_owner())]
    except SpecError as exc:
        st.error(sentence(str(exc)), icon=":material/error:")
        return None
    if not names:
        st.info("No studies yet." if not is_local() else f"No studies in {display_storage(storage)} yet.")
        return None
    name = st.selectbox("Study", names, **drafts.kept("attach_name", options=names))
    if button_pressed(st, "Attach", key="attach_go", icon=":material/link:"):
        return {"storage": storage, "study": name, "jobs": []}
    return None


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
    problems: list[str] = []
    more = checked_number(cols[0], "More trials", key="continue_trials", value=10, low=1, problems=problems)
    workers = checked_number(cols[1], "Workers", key="continue_workers", value=1, low=1, high=max(1, max_workers),
                             problems=problems, high_is=JOBS_PER_VISITOR)
    # The hosted demo's caps, as before a new study's Start: its trials and the runs this visitor keeps
    over_cap = _demo_caps(config.spec, more, None, runs_dir, existing=len(study.get_trials(deepcopy=False)),
                          button="Run more trials", typed_problems=bool(problems))
    blocker = _visitor_blocker()
    if button_pressed(cols[2], "Run more trials", key="continue_go", icon=":material/add:",
                      disabled=bool(problems or over_cap or blocker)):
        config.storage, config.runs_dir, config.n_trials, config.timeout = target["storage"], runs_dir, int(more), None
        config.sampler_seed = None  # a seeded sampler would propose the first trials' settings again
        config.owner = owner
        return start(manager, owner, config.validate(), int(workers))
    return None
