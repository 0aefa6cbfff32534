"""Reading a study: trial states and the best trial, its spec (what "Train with best" fills in),
the trial table, and Optuna's own plotly figures.
"""
from __future__ import annotations

import math
import re
import time
import warnings
from collections import Counter

import optuna
from optuna.trial import TrialState

from zoo.plots import count_axis, curves_apart, log_ticks
from zoo.registry import SpecError
from zoo.runs import status_words
from zoo.search.study import config_of_study, in_percent, objective_label
from zoo.spec import ExperimentSpec

STATE_NAMES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")


def state_counts(trials) -> dict[str, int]:
    counts = {name: 0 for name in STATE_NAMES}
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    return {k: v for k, v in counts.items() if v or k in ("COMPLETE", "PRUNED", "FAIL", "RUNNING")}


def _best_trial(study: optuna.Study):
    try:
        return study.best_trial
    except ValueError:  # no complete trial yet
        return None


def study_summary(study: optuna.Study, trials=None) -> dict:
    """The study in numbers; of `trials` where given, a snapshot the caller drew a table from: the page's tiles had
    read "Trials 3 · Complete 3 · Running 1" from two reads of a study a worker wrote between (a demo visitor's
    check)."""
    if trials is None:
        trials = study.get_trials(deepcopy=False)
        best = _best_trial(study)
    else:
        complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
        pick = max if study.direction.name == "MAXIMIZE" else min
        best = pick(complete, key=lambda t: t.value) if complete else None   # (the first of equals, as Optuna's)
    fingerprint = study.user_attrs.get("playground", {})
    return {
        "study": study.study_name, "direction": study.direction.name.lower(),
        "objective": fingerprint.get("objective"), "trials": state_counts(trials), "n_trials": len(trials),
        # the same trials in the trial table's words (trial_state: a diverged trial apart from the pruned ones, a
        # stopped one from the failed), as the page counts them and the command line says them
        "outcomes": dict(Counter(trial_state(t) for t in trials)),
        "best_value": best.value if best else None, "best_params": dict(best.params) if best else None,
        "best_trial": best.number if best else None,
        "best_run_id": best.user_attrs.get("run_id") if best else None,
        "best_run_dir": best.user_attrs.get("run_dir") if best else None,
        # the verdict's words where the best trial's run learned nothing useful (zoo/verdict.py), else None
        "best_learned_nothing": (best.user_attrs.get("result") or {}).get("learned_nothing") if best else None,
    }


def best_spec(study: optuna.Study) -> ExperimentSpec:
    """The spec of the best trial (what "Train with best" fills in), its windows as the trial ran them: none left to
    follow the series (windows_fitted), which the Forecast page would fit again and may fit otherwise (to a target
    chosen after the search's windows were fitted: a demo visitor's check, where the run of "Train with best" had
    lookback 28 and horizon 7 and the trial 100 and 25)."""
    best = _best_trial(study)
    if best is None:
        raise SpecError(f"study {study.study_name!r} has no completed trial yet; wait for one to finish.")
    if "spec" in best.user_attrs:
        return ExperimentSpec.from_dict({**best.user_attrs["spec"], "windows_fitted": []})
    config = config_of_study(study)
    if config is None:
        raise SpecError(f"study {study.study_name!r} was not made by the playground; its best trial has no spec.")
    return config.spec_for(best.params).replace(windows_fitted=[])


def trials_frame(trials, *, hide_pruned: bool = False):
    """One row per trial: number, state, value, parameters, epochs, duration, run."""
    import pandas as pd

    rows = []
    now = time.time()
    for t in trials:
        if hide_pruned and t.state == TrialState.PRUNED:
            continue
        if t.datetime_start is None:
            duration = None
        elif t.datetime_complete is not None:
            duration = (t.datetime_complete - t.datetime_start).total_seconds()
        else:
            duration = now - t.datetime_start.timestamp()
        steps = sorted(t.intermediate_values)
        value = t.value if t.value is None or math.isfinite(t.value) else None   # diverged: its state says so
        state, note = trial_state(t), trial_reason(t)
        best_epoch = (t.user_attrs.get("result") or {}).get("best_epoch")
        if state == "stopped" and value is None and best_epoch in t.intermediate_values \
                and math.isfinite(t.intermediate_values[best_epoch]):
            # Its best epoch's, the one its run's checkpoint keeps and the Runs page scores (it read None beside a
            # run at 64%: a learner's check); not ranked, as it did not end.
            value = t.intermediate_values[best_epoch]
            note += f"; its value is its best epoch's ({best_epoch}): a trial stopped before its end is not ranked"
        rows.append({"trial": t.number, "state": state, "value": value, "note": note,
                     "epochs": steps[-1] if steps else 0, "duration_s": None if duration is None else round(duration, 1),
                     **{f"{k}": v for k, v in t.params.items()}, "run_id": t.user_attrs.get("run_id", "")})
    columns = ["trial", "state", "value", "note", "epochs", "duration_s"]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=columns + ["run_id"])
    return frame


def trial_state(t) -> str:
    """A trial's state as a person reads it, in the Runs page's words for its run: Optuna's, except a
    diverged trial, which study.py prunes so that the sampler ranks it worst, and one stopped by
    request, which Optuna records as a failure."""
    outcome = t.user_attrs.get("result") or {}
    if t.state == TrialState.PRUNED and outcome.get("status") == "diverged":
        return "diverged"
    if t.state == TrialState.FAIL and "stopped by request" in trial_reason(t):
        return "stopped"
    return {"FAIL": "failed"}.get(t.state.name, t.state.name.lower())


def trial_reason(t) -> str:
    """Why a trial ended as it did (pruned, failed, stopped early, ...), from its run's outcome."""
    outcome = t.user_attrs.get("result") or {}
    if t.state in (TrialState.PRUNED, TrialState.FAIL):
        return str(outcome.get("reason") or "")
    said = "" if outcome.get("status") in (None, "finished") else \
        f"{status_words(outcome['status'])}: {outcome.get('reason', '')}"   # "stopped early", not early_stopped
    if outcome.get("learned_nothing") is not None:
        # A complete trial at chance (val loss 15.6, test accuracy 8.4%) read as any other with an empty note, where
        # its run's page says it learned nothing (a learner's check): its verdict, zoo/verdict.py.
        said = f"learned nothing useful: {outcome['learned_nothing']}" + (f"; {said}" if said else "")
    return said


# Optuna colours trials with plotly's Blues, which start at near-white (247, 251, 255): a slice plot's first
# trials and a parallel plot's worst ones vanished on the white page (a learner's check). Every colour of those
# figures, their colour bars' with them, is moved this share of the way to the darkest blue, so their order, and
# what the bar says of them, is kept.
DEEPEN = 1 / 3
DARKEST_BLUE = (8, 48, 107)
_RGB = re.compile(r"rgba?\(([^,]+),([^,]+),([^,)]+)")
# A parallel plot's axis labels nearer than this share of the axis overlap at their 10 px font (Optuna labels
# a log axis at its decades and at its ends: 0.0009 beside 0.001).
LABEL_GAP = 0.06


def deepen(color):
    """An 'rgb(r, g, b)' colour moved DEEPEN of the way to DARKEST_BLUE; any other colour as it is."""
    match = _RGB.match(color) if isinstance(color, str) else None
    if match is None:
        return color
    mixed = (float(c) * (1 - DEEPEN) + d * DEEPEN for c, d in zip(match.groups(), DARKEST_BLUE))
    return "rgb({:.0f},{:.0f},{:.0f})".format(*mixed)


LINE_OPACITY = 0.85   # Optuna draws a parallel plot's lines at 0.5: the best read grey-blue beside a navy colour bar


def visible_colours(fig) -> None:
    """Deepen the colours of Optuna's slice and parallel plots (see DEEPEN): lines, markers, colour scales; and
    draw lines nearly opaque, so that they look the colour the bar gives them."""
    for trace in fig.data:
        line, marker = getattr(trace, "line", None), getattr(trace, "marker", None)
        if line is not None and isinstance(line.color, str):
            line.color = deepen(line.color)
            if trace.opacity is not None and trace.opacity < LINE_OPACITY:
                trace.opacity = LINE_OPACITY
        if marker is not None and marker.colorscale:
            marker.colorscale = [[stop, deepen(colour)] for stop, colour in marker.colorscale]


def readable_log_axes(fig) -> None:
    """A slice or contour plot's log axes labelled so that its panels hold them (zoo/plots.log_ticks): plotly
    labelled lr's slice panel "2 0.001 2 5 0.01 2 5 0.1", the digits overlapping (a learner's check), and a
    contour's lr axis "2 3 4 5 6 7 8 9" between its decades (a browser check)."""
    spans: dict[str, list] = {}
    for trace in fig.data:
        for letter in ("x", "y"):
            anchor = getattr(trace, f"{letter}axis", None) or letter
            values = getattr(trace, letter, None)
            if values is not None:
                spans.setdefault(f"{letter}axis{anchor[1:]}", []).extend(values)
    for axis, values in spans.items():
        if axis in fig.layout and fig.layout[axis].type == "log":
            fig.layout[axis].update(exponentformat="e", **log_ticks(values))   # 1e-06, not plotly's 1µ


def _is_number(text) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def spaced_axis_labels(fig) -> None:
    """Drop a parallel plot's inner axis labels that would overlap a label kept nearer an end (the ends, the
    range of the values, are always kept): see LABEL_GAP. Only on numeric axes: each label of a categorical
    one names its lines' category (a review: 25 categories kept 10 labels)."""
    by_axis: dict = {}
    for note in fig.layout.annotations:
        by_axis.setdefault(note.x, []).append(note)
    kept = []
    for notes in by_axis.values():
        if not all(_is_number(n.text) for n in notes):
            kept += notes
            continue
        ends = [min(notes, key=lambda n: n.y), max(notes, key=lambda n: n.y)]
        placed = list({id(n): n for n in ends}.values())
        for note in sorted(notes, key=lambda n: n.y):
            if all(abs(note.y - other.y) >= LABEL_GAP for other in placed):
                placed.append(note)
        kept += sorted(placed, key=lambda n: n.y)
    fig.layout.annotations = kept


def objective_in_percent(fig, name: str) -> None:
    """Write a figure's objective, an accuracy, in percent: the y axis of the history, intermediate and slice plots,
    the colour bar of the parallel and contour plots, and the parallel plot's objective axis, its first (optuna draws
    that axis's labels as annotations at x=0, in the values' own units: 0.812 there beside 81.2% in the trial table)."""
    if name in ("history", "intermediate", "slice"):
        fig.update_yaxes(tickformat=".0%")
    for trace in fig.data if name in ("parallel", "contour") else ():   # their colour bars (the slice's: trials)
        if trace.type == "contour":
            trace.colorbar.tickformat = ".0%"
        elif trace.type == "scatter" and trace.marker.colorbar.title.text:
            trace.marker.colorbar.tickformat = ".0%"
    if name == "parallel":
        for note in fig.layout.annotations:
            if note.x == 0 and _is_number(note.text):
                note.text = f"{float(note.text):.1%}"


FIGURES = {
    "history": "Optimisation history",
    "intermediate": "Intermediate values (per epoch)",
    "importance": "Parameter importances",
    "parallel": "Parallel coordinates",
    "slice": "Slice",
    "contour": "Contour",
}


def study_view(study: optuna.Study, *, hide_pruned: bool = False) -> optuna.Study:
    """An in-memory copy of the study's finished and running trials (hidden pruned ones left out),
    so every figure of one refresh is drawn from the same snapshot."""
    trials = [t for t in study.get_trials(deepcopy=False)
              if t.state != TrialState.WAITING and not (hide_pruned and t.state == TrialState.PRUNED)]
    view = optuna.create_study(directions=study.directions)
    view.add_trials(trials)
    return view


def with_failed_curves(view: optuna.Study) -> optuna.Study:
    """The view with the epochs of its failed trials (one stopped by the search's Stop, a dead worker's) drawn by
    Optuna's intermediate-values plot, which leaves failed trials out: a search stopped in its first trial drew an
    empty plot on made-up axes, beside a trial table that gave the trial's values (a learner's check). They are
    given to the plot as pruned trials, stopped early, which they are to it; the table says how each ended."""
    trials = view.get_trials(deepcopy=False)
    if not any(t.state == TrialState.FAIL and t.intermediate_values for t in trials):
        return view
    drawn = optuna.create_study(directions=view.directions)
    drawn.add_trials([t if t.state != TrialState.FAIL or not t.intermediate_values else
                      optuna.trial.create_trial(state=TrialState.PRUNED, params=t.params,
                                                distributions=t.distributions,
                                                intermediate_values=t.intermediate_values)
                      for t in trials])
    return drawn


# Completed trials below which the importances, the contour and the best value are mostly chance: PED-ANOVA
# compares the best 10% of trials with the rest, so under 10 the "best" is one trial. They are drawn (the plots
# show the sampler's progress), and the page says so beside them: two trials read "lr 0.57, dropout 0.24" as if
# measured (a learner's check).
FEW_TRIALS = 10


def few_trials_note(n_complete: int) -> str | None:
    """What a study of few completed trials can and cannot tell, or None once it has FEW_TRIALS."""
    if n_complete >= FEW_TRIALS:
        return None
    return (f"From {n_complete} completed trial{'' if n_complete == 1 else 's'}, the importances and the contour are "
            f"mostly chance and the best value is one draw of {n_complete}: they settle after {FEW_TRIALS} or more.")


def importance(view: optuna.Study) -> dict[str, float]:
    """Parameter importances (Optuna's default evaluator, PED-ANOVA), or {} when it cannot say yet."""

    complete = [t for t in view.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    varied = varied_params(complete)
    if len(complete) < 2 or not varied:
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dict(optuna.importance.get_param_importances(view, params=varied))
    except (ValueError, RuntimeError, ZeroDivisionError):
        return {}


def varied_params(trials) -> list[str]:
    """The parameters of every trial in `trials` (those Optuna's importances assess by default) that took more than
    one value: PED-ANOVA gave an lr every completed trial shared an importance of 0.03, above the optimizer and
    activation that varied (a learner's check on a grid search); one that never varied explains nothing."""
    values: dict[str, set] = {}
    for trial in trials:
        for name, value in trial.params.items():
            values.setdefault(name, set()).add(repr(value))
    return sorted(name for name, seen in values.items()
                  if len(seen) > 1 and all(name in t.params for t in trials))


def study_figures(study: optuna.Study, *, hide_pruned: bool = False, params: list[str] | None = None,
                  which=tuple(FIGURES), objective_name: str | None = None) -> dict:
    """Optuna's plotly figures for the study: name -> Figure, or name -> a sentence saying why not yet.

    Every figure gets a fixed `uirevision`, which asks plotly to keep the user's zoom when the figure is
    redrawn with new data. (Streamlit 1.67 makes a chart whose spec changed a new element, so there
    the zoom lasts until new trial data arrives; the page can pause its refresh for zooming.)
    `params` limits the parallel, slice and contour plots (default: the 4 most important).
    """
    from optuna import visualization as vis

    view = study_view(study, hide_pruned=hide_pruned)
    complete = view.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    fingerprint = study.user_attrs.get("playground", {})
    target_name = objective_name or objective_label(fingerprint.get("objective", "val_loss"),
                                                    fingerprint.get("task", "image"))
    ranked = list(importance(view))
    names = sorted({k for t in complete for k in t.params})
    if params is None:
        chosen = ([p for p in ranked if p in names] + [p for p in names if p not in ranked])[:4]
    else:
        chosen = [p for p in params if p in names]
    out: dict = {}
    for name in which:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if name == "history":
                    fig = vis.plot_optimization_history(view, target_name=target_name) if complete else \
                        "The optimisation history appears when the first trial completes."
                elif name == "intermediate":
                    has_steps = any(t.intermediate_values for t in view.get_trials(deepcopy=False))
                    fig = vis.plot_intermediate_values(with_failed_curves(view)) if has_steps else \
                        "Per-epoch values appear after the first epoch of the first trial."
                elif name == "importance":
                    fig = vis.plot_param_importances(view, target_name=target_name, params=ranked) if ranked else \
                        "Parameter importances appear once 2 completed trials differ in a parameter."
                elif len(complete) < 2 or not chosen:
                    fig = f"The {FIGURES[name].lower()} plot appears once 2 trials have completed."
                elif name == "parallel":
                    fig = vis.plot_parallel_coordinate(view, params=chosen, target_name=target_name)
                elif name == "slice":
                    fig = vis.plot_slice(view, params=chosen, target_name=target_name)
                elif name == "contour":
                    fig = vis.plot_contour(view, params=chosen[:2], target_name=target_name) if len(chosen) >= 2 \
                        else "The contour plot needs at least 2 searched parameters."
                else:
                    continue
        except (ValueError, RuntimeError, ZeroDivisionError, KeyError) as exc:
            fig = f"{FIGURES[name]} cannot be drawn yet ({exc})."
        if not isinstance(fig, str):
            fig.update_layout(uirevision=f"{study.study_name}:{name}", title=None,
                              margin=dict(l=10, r=10, t=30, b=10))
            if name == "intermediate":
                fig.update_layout(xaxis_title="epoch", yaxis_title=target_name, showlegend=False)
                for trace in fig.data:   # no legend (a line a trial): each line says its trial where it is pointed at
                    if str(trace.name).startswith("Trial"):   # (nothing told them apart: a learner's check)
                        trace.name = f"trial {trace.name[5:]}"
                        trace.hovertemplate = f"{trace.name}, epoch %{{x}}: %{{y:.4g}}<extra></extra>"
                # a trial at 40 beside seven at 2, drawn flat; never an accuracy, a share on its percent axis (a review)
                if not in_percent(target_name) and curves_apart(list(trace.y) for trace in fig.data):
                    fig.update_yaxes(type="log", title_text=f"{target_name} (log scale)",
                                     **log_ticks(v for trace in fig.data for v in trace.y))
            if name == "importance":   # "lr: 0.50", not Optuna's "lr (FloatDistribution): 0.4977674947251581" (a
                fig.update_traces(hovertemplate="%{y}: %{x:.2f}<extra></extra>")   # learner's check)
            if name in ("parallel", "slice"):
                visible_colours(fig)
            if name in ("slice", "contour"):
                readable_log_axes(fig)
            elif name == "parallel":
                spaced_axis_labels(fig)
            if in_percent(target_name):   # an accuracy as every page writes one (in_percent)
                objective_in_percent(fig, name)
            if name == "history":   # trial numbers: one trial was drawn on an axis from -1 to 1
                count_axis(fig, len(view.trials) - 1)
            elif name == "intermediate":
                count_axis(fig, max((max(t.intermediate_values, default=0) for t in view.trials), default=0))
        out[name] = fig
    return out
