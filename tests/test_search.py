"""zoo.search: the space from the declarations, independent trials, pruning, and workers sharing a study.

Trials here are tiny (mnist-sample, a few hundred training images, 1-2 epochs of a one-layer mlp):
what is checked is the search machinery, not what it finds.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest
import torch

import zoo
from zoo import search
from zoo.cli import main as zoo_main
from zoo.registry import SpecError, build, get_model
from zoo.runs import load_run
from zoo.spec import ExperimentSpec, train_hparams

ROOT = Path(__file__).resolve().parent.parent
TINY = dict(data="mnist-sample", model="mlp", epochs=2, limit_train=300, model_params={"depth": 1, "width": 32})


def tiny_config(tmp_path, **changes) -> search.SearchConfig:
    spec = ExperimentSpec(**{**TINY, **changes.pop("spec", {})})
    space = changes.pop("space", None) or search.build_space("mlp", search={"lr": (1e-3, 3e-2)})
    defaults = {"storage": str(tmp_path / "journal.log"), "runs_dir": str(tmp_path / "runs"), "n_trials": 2,
                "pruner": "none"}
    return search.SearchConfig(spec=spec, space=space, **{**defaults, **changes})


@pytest.fixture(scope="module")
def tiny_data():
    from zoo.data import load_data

    return load_data(ExperimentSpec(**TINY))


# ------------------------------------------------------------------ the space comes from the declarations


def test_default_space_is_the_declared_ranges():
    space = search.build_space("cnn")
    declared = {h.name: h for h in train_hparams() + get_model("cnn").hparams()}
    assert space.names == ["optimizer", "lr", "batch_size"] + [h.name for h in get_model("cnn").hparams()]
    for dim in space.dims:
        h = declared[dim.name]
        if h.kind in ("int", "float"):
            assert (dim.low, dim.high, dim.log) == (h.low, h.high, h.log), dim.name
        elif h.kind == "bool":
            assert dim.values == (False, True)
        else:
            assert dim.values == h.choices


def test_narrowing_fixing_and_refusals(capsys):
    lr = next(h for h in train_hparams() if h.name == "lr")
    space = search.build_space("mlp", search={"lr": "1e-4:1e-2", "activation": "relu,gelu", "width": None,
                                              "depth": "2"}, fix={"dropout": 0.2})
    assert space.dim("lr").describe() == "[0.0001, 0.01] log" and space.dim("lr").log == lr.log
    assert space.dim("activation").values == ("relu", "gelu")
    assert space.fixed == {"depth": 2, "dropout": 0.2}          # a single value is a fixed value
    spec = space.spec_for(ExperimentSpec(model="mlp"), {"lr": 0.005, "activation": "gelu", "width": 64})
    assert spec.lr == 0.005 and spec.model_params == {"activation": "gelu", "width": 64, "depth": 2, "dropout": 0.2}
    refused = [
        ({"lr": "1e-7:1e-2"}, {}, "outside its range"),          # widening
        ({"activation": "relu,swish"}, {}, "not one of"),
        ({"epochs": None}, {}, "--epochs"),
        ({"precision": None}, {}, "--precision"),
        ({"learning_rate": None}, {}, "not a declared setting"),
        ({"lr": "0.1:0.01"}, {}, "empty"),
        ({"lr": None}, {"lr": 0.1}, "both searched and fixed"),
    ]
    for wanted, fixed, message in refused:
        with pytest.raises(SpecError, match=message):
            search.build_space("mlp", search=wanted, fix=fixed)
    with pytest.raises(SpecError, match="SGD only"):
        search.build_space("mlp", search={"momentum": None}).check(ExperimentSpec(model="mlp"))
    # A setting that does nothing beside a value every trial holds (HParam.used_from): min delta with early stopping
    # off, an LSTM's dropout between stacked layers with one layer. Searched with it, or beside a value that uses it,
    # it is searched.
    with pytest.raises(SpecError, match="min_delta is used only with patience 1 or more, and patience is fixed at 0"):
        search.build_space("mlp", search={"min_delta": None}, fix={"patience": 0}).check(ExperimentSpec(model="mlp"))
    with pytest.raises(SpecError, match="fixed at 0: .* search patience too, fix patience at 1 or more"):
        search.build_space("mlp", search={"min_delta": None}).check(ExperimentSpec(model="mlp", patience=0))
    with pytest.raises(SpecError, match="dropout is used only with num layers 2 or more, and num_layers is fixed at 1"):
        search.build_space("lstm", search={"dropout": None}).check(ExperimentSpec(model="lstm"))
    with pytest.raises(SpecError, match="moving_avg is used only with variant dlinear, and variant is fixed at "
                                        "nlinear: .* fix variant at dlinear, or do not search moving_avg"):
        search.build_space("linear", "series", search={"moving_avg": None}).check(
            ExperimentSpec(task="series", model="linear"))
    for model, searched, fixed, spec in [("mlp", {"min_delta": None}, {}, {}),
                                         ("mlp", {"min_delta": None, "patience": None}, {"patience": 0}, {}),
                                         ("lstm", {"dropout": None, "num_layers": None}, {}, {}),
                                         ("lstm", {"dropout": None}, {"num_layers": 2}, {}),
                                         ("lstm", {"dropout": None}, {}, {"model_params": {"num_layers": 3}})]:
        fixed = {k: v for k, v in fixed.items() if k not in searched}
        search.build_space(model, search=searched, fix=fixed).check(ExperimentSpec(model=model, **spec))
    # Not asked for (the default keys), such a setting is left out beside the value held: `--fix num_layers=1` had
    # been refused for the default dropout (a review); from the command line's text too
    for held in ({"num_layers": 1}, {"num_layers": "1"}):
        space = search.build_space("lstm", "series", fix=held)
        space.check(ExperimentSpec(task="series", model="lstm"))
        assert "dropout" not in space.names and "hidden_size" in space.names
    assert "dropout" in search.build_space("lstm", "series", fix={"num_layers": "3"}).names
    assert zoo_main(["search", "--data", "ETTh1", "--model", "lstm", "--fix", "num_layers=1", "--show-space",
                     "--json"]) == 0
    rows = {row["setting"]: row["searched"] for row in json.loads(capsys.readouterr().out.splitlines()[-1])["space"]}
    assert rows["num_layers"] is False and "dropout" not in [k for k, on in rows.items() if on]


def test_momentum_is_sampled_only_for_sgd_and_grid_is_finite():
    space = search.build_space("mlp", search={"optimizer": None, "momentum": "0.5:0.9"})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(12):
        trial = study.ask()
        params = space.suggest(trial)
        assert ("momentum" in params) == (params["optimizer"] == "sgd")
        study.tell(trial, 0.0)
    grid = search.build_space("mlp", search={"lr": "1e-4:1e-2", "depth": None, "activation": "relu,tanh"}).grid(3)
    assert grid == {"lr": [1e-4, 1e-3, 1e-2], "depth": [1, 4, 6], "activation": ["relu", "tanh"]}


# ------------------------------------------------------------------ independence of trials


def test_a_trials_run_names_its_study_from_its_first_write(tmp_path, tiny_data, monkeypatch):
    """A trial whose worker was killed (its run ended by zoo/runs.end_run) had no study link, the search's patch
    coming at the trial's end, and Runs listed it as a run of its own under "Hide search trials" (a Ray user's
    check): result.json has it while the trial trains, and keeps it through its ending."""
    import zoo.engine

    seen = []
    real_fit = zoo.engine.fit

    def fit_that_dies(spec, **kwargs):   # as the worker killed in its first epoch: result.json says running
        seen.append(json.loads((kwargs["writer"].path / "result.json").read_text()))
        raise RuntimeError("the worker died")

    monkeypatch.setattr(zoo.engine, "fit", fit_that_dies)
    config = tiny_config(tmp_path, n_trials=1)
    search.run_search(config, data=tiny_data)
    monkeypatch.setattr(zoo.engine, "fit", real_fit)
    link = {"study": config.study_name, "trial": 0, "storage": config.storage_url}
    assert seen[0]["status"] == "running" and seen[0]["search"] == link
    (run_dir,) = [p for p in Path(config.runs_dir).iterdir() if p.is_dir() and not p.name.startswith(".")]
    ended = json.loads((run_dir / "result.json").read_text())
    assert ended["status"] == "failed" and ended["search"] == link


def test_trials_are_independent_fresh_models_and_reproducible(tmp_path, tiny_data, monkeypatch):
    """Same parameters and seed -> identical results; every trial's model is built fresh, and its
    initial weights are those of a fresh build, never the previous trial's trained weights."""
    import zoo.engine

    built = []
    real_build = zoo.engine.build

    def recording_build(name, shape, params=None):
        model = real_build(name, shape, params)
        built.append((model, {k: v.detach().clone() for k, v in model.state_dict().items()}, dict(params or {})))
        return model

    monkeypatch.setattr(zoo.engine, "build", recording_build)
    config = tiny_config(tmp_path, n_trials=3, sampler="random", sampler_seed=1,
                         space=search.build_space("mlp", search={"lr": (1e-3, 3e-2), "width": (16, 64)}))
    study = search.open_study(config)
    same = {"lr": 0.01, "width": 32}
    study.enqueue_trial(same)
    study.enqueue_trial(same)
    summary = search.run_search(config, data=tiny_data)
    assert summary["worker"]["trials"] == 3 and summary["trials"]["COMPLETE"] == 3

    trials = study.get_trials()
    assert trials[0].params == trials[1].params == same
    assert trials[0].value == trials[1].value
    runs = [Path(t.user_attrs["run_dir"]) for t in trials]
    metrics = [pd.read_csv(r / "metrics.csv").drop(columns=["seconds", "samples_per_s"]) for r in runs]
    pd.testing.assert_frame_equal(metrics[0], metrics[1])
    results = [json.loads((r / "result.json").read_text()) for r in runs]
    assert results[0]["metrics"] == results[1]["metrics"]
    assert results[0]["search"] == {"study": config.study_name, "trial": 0, "storage": config.storage_url}

    assert len(built) == 3 and len({id(m) for m, _, _ in built}) == 3, "one new model object per trial"
    for (model, initial, params), trial in zip(built, trials):
        torch.manual_seed(config.spec.seed)
        fresh = build("mlp", tiny_data.shape, params).state_dict()
        assert params == {**TINY["model_params"], **{k: v for k, v in trial.params.items() if k == "width"}}
        for key in fresh:
            assert torch.equal(initial[key], fresh[key]), f"trial {trial.number}: {key} is not a fresh build's"
    trained_first = torch.load(runs[0] / "best.pt", weights_only=True)
    second_initial = built[1][1]
    assert any(not torch.equal(trained_first[k], second_initial[k]) for k in second_initial), \
        "trial 1 must not start from trial 0's trained weights"


# ------------------------------------------------------------------ pruning, stop, figures, sqlite


def test_median_pruner_prunes_a_poor_trial_and_its_run_says_so(tmp_path, tiny_data):
    """Five good trials, then one with a hopeless learning rate: the median pruner stops it after
    epoch 1. Also: the figures and the table read the study."""
    config = tiny_config(tmp_path, n_trials=6, pruner="median", spec={"epochs": 2},
                         space=search.build_space("mlp", search={"lr": (1e-3, 3e-2), "width": (16, 64)}))
    study = search.open_study(config)
    for lr in (0.01, 0.012, 0.015, 0.02, 0.025, 0.001):  # the last learns far too slowly
        study.enqueue_trial({"lr": lr, "width": 32})
    summary = search.run_search(config, data=tiny_data)
    assert summary["trials"]["COMPLETE"] == 5 and summary["trials"]["PRUNED"] == 1, summary
    pruned = study.get_trials(states=(optuna.trial.TrialState.PRUNED,))[0]
    assert pruned.number == 5 and sorted(pruned.intermediate_values) == [1]
    assert pruned.user_attrs["result"]["reason"].startswith("pruned by the median pruner after epoch 1")
    # compared with the median of the finished trials, and said so (it read "worse than the earlier trials")
    assert pruned.user_attrs["result"]["reason"].endswith("was worse than the median of the finished trials at that "
                                                          "epoch")
    result = json.loads((Path(pruned.user_attrs["run_dir"]) / "result.json").read_text())
    assert result["status"] == "stopped" and result["pruned"] and result["epochs_run"] == 1
    assert result["reason"].startswith("pruned by the median pruner after epoch 1")
    assert (Path(pruned.user_attrs["run_dir"]) / "best.pt").exists()

    frame = search.trials_frame(study.get_trials())
    assert list(frame["state"]) == ["complete"] * 5 + ["pruned"] and "lr" in frame
    assert len(search.trials_frame(study.get_trials(), hide_pruned=True)) == 5
    figures = search.study_figures(study)
    assert set(figures) == set(search.FIGURES)
    for name, fig in figures.items():
        assert not isinstance(fig, str), (name, fig)
        assert fig.layout.uirevision == f"{study.study_name}:{name}", "a fixed uirevision keeps the zoom"
    # width was 32 in every trial: it explains nothing, and is not ranked (PED-ANOVA gave a constant lr 0.03 above
    # the parameters that varied: a learner's check)
    assert list(figures["importance"].data[0].y) == ["lr"] and list(search.importance(study)) == ["lr"]
    assert search.varied_params(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))) == ["lr"]
    # pointed at, a bar reads "lr: 0.50", not "lr (FloatDistribution): 0.4977674947251581" (a learner's check)
    assert figures["importance"].data[0].hovertemplate == "%{y}: %{x:.2f}<extra></extra>"
    best = search.best_spec(study)
    assert best.lr == summary["best_params"]["lr"] and best.model_params == {"depth": 1, "width": 32}
    assert best.monitor == "val_loss" and best.epochs == 2

    # The Search page attached to this study shows the same table and every figure.
    from streamlit.testing.v1 import AppTest

    main = sys.modules["__main__"]  # AppTest installs the page as __main__; spawned workers would re-run it
    try:
        app = AppTest.from_file(str(ROOT / "app_pages" / "search.py"), default_timeout=60)
        app.run()
        app.text_input(key="attach_storage").set_value(config.storage).run()
        app.button(key="attach_go").click().run()
        assert not app.exception, app.exception
        assert [m.value for m in app.metric][:3] == ["6", "5", "1"]
        assert len(app.dataframe[0].value) == 6 and len(app.get("plotly_chart")) == len(search.FIGURES)
        app.toggle(key="search_hide_pruned").set_value(True).run()
        assert list(app.dataframe[0].value["state"]) == ["complete"] * 5
    finally:
        sys.modules["__main__"] = main


def test_one_trials_history_is_drawn_on_whole_non_negative_trial_numbers():
    """Plotly's autorange put one trial on an x axis from -1 to 1, ticks at -0.5 and 0.5."""
    study = optuna.create_study()
    study.optimize(lambda t: t.suggest_float("lr", 1e-3, 1e-1), n_trials=1)
    history = search.study_figures(study, which=("history",))["history"]
    assert list(history.data[0].x) == [0]
    assert (history.layout.xaxis.rangemode, history.layout.xaxis.tickformat, history.layout.xaxis.dtick) == \
        ("nonnegative", "d", 1)


def test_a_stopped_trials_epochs_are_drawn_in_the_intermediate_values_plot():
    """A search stopped in its first trial drew an empty intermediate-values plot on made-up axes (Optuna's plot
    leaves failed trials out, and a stopped trial is failed), beside a table that gave its values (a learner's
    check). Its epochs are drawn, as are those of a trial that completed."""
    study = optuna.create_study()
    stopped = study.ask({"lr": optuna.distributions.FloatDistribution(1e-3, 1e-1, log=True)})
    for epoch, value in enumerate((0.9, 0.5, 0.4), start=1):
        stopped.report(value, epoch)
    study.tell(stopped, state=optuna.trial.TrialState.FAIL)
    drawn = search.study_figures(study, which=("intermediate",))["intermediate"]
    assert [(list(d.x), list(d.y)) for d in drawn.data if len(d.x)] == [([1, 2, 3], [0.9, 0.5, 0.4])]

    done = study.ask({"lr": optuna.distributions.FloatDistribution(1e-3, 1e-1, log=True)})
    done.report(0.7, 1)
    study.tell(done, 0.7)
    drawn = search.study_figures(study, which=("intermediate",))["intermediate"]
    assert sorted((list(d.x), list(d.y)) for d in drawn.data if len(d.x)) == [([1], [0.7]), ([1, 2, 3], [0.9, 0.5, 0.4])]
    assert [t.state.name for t in study.trials] == ["FAIL", "COMPLETE"]   # the study itself is left as it was
    # with no legend, each line names its trial where it is pointed at (nothing told them apart: a learner's check)
    assert sorted((d.name, d.hovertemplate) for d in drawn.data if len(d.x)) == [
        ("trial 0", "trial 0, epoch %{x}: %{y:.4g}<extra></extra>"),
        ("trial 1", "trial 1, epoch %{x}: %{y:.4g}<extra></extra>")]
    assert drawn.layout.yaxis.type != "log"
    # a trial far above the others puts the axis on a log scale (a trial at 40 drew seven at 2 flat: a learner's check)
    blown = study.ask({"lr": optuna.distributions.FloatDistribution(1e-3, 1e-1, log=True)})
    blown.report(40.0, 1)
    study.tell(blown, 40.0)
    drawn = search.study_figures(study, which=("intermediate",))["intermediate"]
    assert drawn.layout.yaxis.type == "log" and drawn.layout.yaxis.title.text.endswith("(log scale)")
    # never an accuracy, a share on its percent axis, and never where a value is 0, which a log axis drops (a review)
    accuracy = search.study_figures(study, which=("intermediate",), objective_name="val accuracy")["intermediate"]
    assert accuracy.layout.yaxis.type != "log"
    from zoo.plots import curves_apart

    assert curves_apart([[40.0], [1.0]]) and not curves_apart([[40.0], [1.0], [0.0]]) and not curves_apart([[40.0]])


def _luminance(colour: str) -> float:
    r, g, b = (float(c) for c in re.match(r"rgba?\(([^,]+),([^,]+),([^,)]+)", colour).groups())
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("low, high, labels", [
    (9e-4, 2e-2, "decades"),             # two decades or more: only the decades are labelled
    (1.5e-3, 1.8e-2, [2e-3, 5e-3, 1e-2]),   # under two: 1, 2 and 5 times them, in the values' range
    (1.1e-3, 2.5e-3, "ends"),            # within one: its ends (plotly labelled every 0.0005, overlapping)
])
def test_search_figures_can_be_read_every_trial_seen_and_no_axis_labels_overlapping(low, high, labels):
    """A learner's check: a slice plot's first trial and a parallel plot's worst were near-white on the white
    page (Optuna's Blues start at 247, 251, 255); lr's panel read "2 0.001 2 5 0.01 2 5 0.1", overlapping; a
    parallel axis put 0.0009 on 0.001."""
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    study.enqueue_trial({"lr": low})
    study.enqueue_trial({"lr": high})
    study.optimize(lambda t: t.suggest_float("lr", low, high, log=True) + t.suggest_float("dropout", 0, 0.5),
                   n_trials=10)
    figures = search.study_figures(study, which=("slice", "parallel", "contour"))
    contour = figures.pop("contour")   # its log axis read "2 3 4 5 6 7 8 9" between decades (a browser check)
    log_axes = [contour.layout[a] for a in ("xaxis", "yaxis") if contour.layout[a].type == "log"]
    assert log_axes and all(a.minorloglabels == "none" or a.tickvals for a in log_axes)
    # the lines look the colour their bar gives (Optuna draws them at opacity 0.5: the best read grey-blue)
    assert all(t.opacity >= search.report.LINE_OPACITY for t in figures["parallel"].data if t.mode == "lines")
    for fig in figures.values():
        colours = [t.line.color for t in fig.data if getattr(t, "line", None) is not None and t.line.color]
        colours += [c for t in fig.data if getattr(t, "marker", None) is not None and t.marker.colorscale
                    for _, c in t.marker.colorscale]
        assert colours and max(_luminance(c) for c in colours if c.startswith("rgb")) < 0.8   # white is 1
    slice_plot = figures["slice"]
    lr_axis = next(slice_plot.layout["xaxis" + (t.xaxis or "x")[1:]] for t in slice_plot.data
                   if any(isinstance(v, float) and v < 0.2 and v == study.trials[0].params["lr"] for v in t.x))
    assert lr_axis.type == "log"
    if labels == "decades":
        assert lr_axis.minorloglabels == "none"
    elif labels == "ends":
        assert list(lr_axis.tickvals) == [float(f"{low:.2g}"), float(f"{high:.2g}")]
    else:
        assert list(lr_axis.tickvals) == labels
    parallel = figures["parallel"]
    for axis in {n.x for n in parallel.layout.annotations}:
        ys = sorted(n.y for n in parallel.layout.annotations if n.x == axis)
        assert all(b - a >= search.report.LABEL_GAP for a, b in zip(ys, ys[1:])), (axis, ys)


def test_a_parallel_plots_categorical_axis_keeps_every_label():
    """Each label of a categorical axis names its lines' category: spacing drops only numeric labels."""
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    names = [f"act{i:02d}" for i in range(25)]
    for name in names:
        study.enqueue_trial({"act": name})
    study.optimize(lambda t: names.index(t.suggest_categorical("act", names)) + t.suggest_float("lr", 1e-3, 1e-1,
                                                                                                log=True),
                   n_trials=25)
    parallel = search.study_figures(study, which=("parallel",))["parallel"]
    labels = [n.text for n in parallel.layout.annotations]
    assert set(names) <= set(labels)


def test_a_study_made_on_another_file_of_the_same_name_and_other_settings_names_both(tmp_path):
    """Another file's values alone are said as such; with other settings too, each is named (the file's had hidden
    the settings: a review)."""
    import numpy as np
    import pandas as pd

    paths = []
    for folder, scale in (("a", 1.0), ("b", 2.0)):
        (tmp_path / folder).mkdir()
        paths.append(tmp_path / folder / "data.csv")
        pd.DataFrame({"t": np.arange(80), "v": scale * np.sin(np.arange(80) / 3)}).to_csv(paths[-1], index=False)

    def config(path, batch_size):
        spec = ExperimentSpec(task="series", data=str(path), model="linear", lookback=8, horizon=2, epochs=1,
                              batch_size=batch_size)
        space = search.build_space("linear", "series", search={"lr": (1e-3, 1e-2)})
        return search.SearchConfig(spec=spec, space=space, n_trials=1, study="s", storage=str(tmp_path / "journal.log"),
                                   runs_dir=str(tmp_path / "runs"), pruner="none")

    search.run_search(config(paths[0], 32))
    with pytest.raises(SpecError, match=r"was made on another file named data.csv \(its values differ\)"):
        search.open_study(config(paths[1], 32))
    with pytest.raises(SpecError, match=r"they differ in: batch_size 32 in the study, 16 here; the values of the data "
                                        r"file data.csv\)"):
        search.open_study(config(paths[1], 16))


def test_joining_a_study_with_other_settings_is_refused_and_sqlite_is_accepted(tmp_path, tiny_data):
    config = tiny_config(tmp_path, n_trials=1, storage=f"sqlite:///{tmp_path / 'study.db'}", spec={"epochs": 1})
    assert search.run_search(config, data=tiny_data)["trials"]["COMPLETE"] == 1
    study = search.open_study(tiny_config(tmp_path))
    again = search.config_of_study(study)  # what the page's "Run more trials" starts from
    again.storage = str(tmp_path / "journal.log")
    assert search.open_study(again.validate())._study_id == study._study_id
    # a study with trials keeps its settings, and the refusal says each one's two values (a lab's check)
    with pytest.raises(SpecError, match=r"differ in: epochs 1 in the study, 5 here\); give the same"):
        search.open_study(tiny_config(tmp_path, storage=config.storage, spec={"epochs": 5}))
    with pytest.raises(SpecError, match=r"differ in: depth 1 in the study, 3 here; epochs 1 in the study, 2 here; "
                                        r"width 32 in the study, \(default\) here\)"):
        search.open_study(tiny_config(tmp_path, storage=config.storage, spec={"epochs": 2,
                                                                             "model_params": {"depth": 3}}))
    # which settings of the space differ, not "they differ in: space" (a lab's check, joining from a shell)
    other = search.build_space("mlp", search={"lr": (1e-3, 1e-2)}, fix={"batch_size": 32})
    with pytest.raises(SpecError) as refused:
        search.open_study(tiny_config(tmp_path, storage=config.storage, spec={"epochs": 1}, space=other))
    assert "(they differ in: the space (lr [0.001, 0.03] log in the study, [0.001, 0.01] log here; batch_size not " \
           "searched in the study, held at 32 here)); give the same settings to join it (the Search page shows a " \
           "command that joins it)" in str(refused.value)
    # one with none yet (made by a search refused for its data) is taken by the next, its settings written over
    taken = search.open_study(tiny_config(tmp_path, spec={"epochs": 5}))
    assert taken._study_id == study._study_id and search.config_of_study(taken).spec.epochs == 5
    with pytest.raises(SpecError, match="no study 'nope'.*has mlp-mnist-sample-val_loss"):
        search.load_study(str(tmp_path / "journal.log"), "nope")


def test_a_setting_used_only_beside_another_choice_is_drawn_only_beside_it():
    """A demo visitor's check: DLinear's moving average was drawn in every trial of a linear forecaster, nlinear and
    plain ones too, where it does nothing, and the importance plot ranked it among the most important (Optuna's
    importances read a setting's values in the trials that drew it). It is drawn only beside variant dlinear
    (HParam.used_from), as momentum only beside SGD; the grid sampler still names it."""
    space = search.build_space("linear", "series")
    assert {"variant", "moving_avg"} <= set(space.names)
    study = optuna.create_study()
    drawn = {}
    for variant in ("nlinear", "dlinear", "linear"):
        study.enqueue_trial({"variant": variant, "moving_avg": 51})
        trial = study.ask()
        drawn[variant] = space.suggest(trial)
        study.tell(trial, 1.0)
    assert "moving_avg" not in drawn["nlinear"] and "moving_avg" not in drawn["linear"]
    assert drawn["dlinear"]["moving_avg"] == 51
    assert "moving_avg" in space.suggest(optuna.create_study().ask(), conditional=False)


def test_a_study_is_joined_with_the_same_windows_whether_a_page_fitted_them_or_not(tmp_path, tiny_data):
    """Which windows the Forecast page fitted is recorded in the spec (windows_fitted), but it is no setting: the
    same values given as CLI flags join the study, and so does a study stored before the spec had the field."""
    config = tiny_config(tmp_path, n_trials=1, spec={"epochs": 1, "windows_fitted": ["lookback", "horizon"]})
    assert search.run_search(config, data=tiny_data)["trials"]["COMPLETE"] == 1
    study = search.open_study(tiny_config(tmp_path, spec={"epochs": 1}))
    # "Train with best" trains the trial's windows as it ran them, none left for the Forecast page to fit again
    # (to a target chosen after the search's fit, it had fitted 28 and 7 where the trial ran 100 and 25)
    assert study.best_trial.user_attrs["spec"]["windows_fitted"] == ["lookback", "horizon"]
    best = search.best_spec(study)
    assert best.windows_fitted == [] and (best.lookback, best.horizon) == (config.spec.lookback, config.spec.horizon)
    stored = study.user_attrs["playground"]
    stored["shared"].pop("windows_fitted", None)   # as a study of an earlier version holds it
    study.set_user_attr("playground", stored)
    assert search.open_study(tiny_config(tmp_path, spec={"epochs": 1}))._study_id == study._study_id
    # nor which training settings a page fitted (zoo/spec.py's training_fitted)
    fitted = tiny_config(tmp_path, spec={"epochs": 1, "training_fitted": ["batch_size", "lr"]})
    assert search.open_study(fitted)._study_id == study._study_id


def test_cli_bad_input_is_one_error_line(tmp_path, capsys):
    base = ["search", "--model", "mlp", "--runs-dir", str(tmp_path), "--epochs", "1"]
    cases = [
        (["--search", "lr=2:3"], "outside its range"),
        (["--search", "epochs"], "--epochs"),
        (["--fix", "lr"], "KEY=VALUE"),
        (["--search", "lr", "--fix", "lr=0.01"], "both searched and fixed"),
        (["--search", "lr", "--lr", "0.01"], "both searched"),
        (["--storage", "nosuchdb://x/y"], "cannot open storage"),
        (["--sampler", "cmaes"], "invalid choice"),
    ]
    for extra, message in cases:
        code = zoo_main(base + extra)
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2, (extra, err)
        assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], (extra, err)
    code = zoo_main(base + ["--lr", "0.01", "--set", "depth=1", "--show-space", "--json"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    searched = [r["setting"] for r in out["space"] if r["searched"]]
    assert code == 0 and "lr" not in searched and "depth" not in searched and "optimizer" in searched


def test_a_search_jobs_id_is_one_url_field_whatever_its_study_is_named(tmp_path):
    """The Search page keeps its job ids in the URL, comma-separated: a study named with a comma (or &, #)
    made ids that split apart there, so a reload lost the search's Stop and live table."""
    from zoo.jobs import JobManager

    manager = JobManager(max_running=1, per_owner=1)
    config = tiny_config(tmp_path, n_trials=1)
    config.study = "a,b&c=d#e f"
    try:
        (job,) = search.submit_search(manager, config)
        manager.wait(job.id, timeout=120)
    finally:
        manager.shutdown()
    assert re.fullmatch(r"search-a-b-c-d-e-f-[0-9a-f]{6}-1", job.id), job.id
    assert job.status == "finished", job.reason


def test_stopping_a_search_job_stops_its_trial_and_the_study(tmp_path):
    """The Search page's path: a search in a worker process (zoo.jobs); Stop ends it within a batch."""
    from zoo.jobs import JobManager

    manager = JobManager(max_running=1, per_owner=1)
    # No early stopping: the first trial must still be training when Stop comes (with patience 5 it once ended
    # early between two reads of its epoch, and Stop then stopped the second trial).
    config = tiny_config(tmp_path, n_trials=50, spec={"epochs": 50, "limit_train": 2000, "patience": 0})
    (job,) = search.submit_search(manager, config)
    try:
        manager.wait(job.id, timeout=0)
        from tests.conftest import wait_for

        wait_for(lambda: manager.wait(job.id, timeout=0.1).snapshot()["state"].get("epoch", 0) >= 2, 300,
                 "the trial's second epoch (its first's value reported)")
        manager.stop(job.id)
        manager.wait(job.id, timeout=60)
    finally:
        manager.shutdown()
    assert job.status == "stopped", (job.status, job.reason, job.state.get("traceback"))
    study = search.load_study(config.storage, config.study_name)
    trials = study.get_trials()
    assert len(trials) == 1 and trials[0].state.name == "FAIL"
    assert trials[0].user_attrs["result"]["reason"].startswith("stopped by request")
    # The table says what the Runs page says of its run: stopped (Optuna's FAIL read as "fail" before).
    assert list(search.trials_frame(trials)["state"]) == ["stopped"]
    result = json.loads((Path(trials[0].user_attrs["run_dir"]) / "result.json").read_text())
    assert result["status"] == "stopped" and 1 <= result["epochs_run"] < 50
    # Its value is its last epoch's, as its run's (it read None beside a run the Runs page scored: a learner's check)
    import pandas as pd

    epochs = pd.read_csv(Path(trials[0].user_attrs["run_dir"]) / "metrics.csv").set_index("epoch")
    best = epochs.loc[result["best_epoch"], "val_loss"]
    assert best == epochs["val_loss"].min()   # the epoch its checkpoint keeps
    row = search.trials_frame(trials).iloc[0]
    assert row["value"] == pytest.approx(best) and row["note"].endswith("a trial stopped before its end is not ranked")
    assert search.study_summary(study)["best_trial"] is None   # not ranked


# ------------------------------------------------------------------ worker processes sharing one study


def run_workers(storage: str, runs_dir: Path, study: str, n_workers: int = 2, n_trials: int = 3,
                timeout: float = 240) -> list[dict]:
    """Start `n_workers` `python -m zoo search` processes at once against one storage; their JSON results."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-m", "zoo", "search", "--model", "mlp", "--set", "depth=1", "--epochs", "1",
            "--limit-train", "200", "--runs-dir", str(runs_dir), "--storage", storage, "--study", study,
            "--n-trials", str(n_trials), "--pruner", "none", "--search", "lr=1e-3:3e-2", "--search", "width=16:48",
            "--json"]
    procs = [subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(n_workers)]
    outputs = [p.communicate(timeout=timeout) for p in procs]
    results = []
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert "locked" not in err.lower() and "Traceback" not in err, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def check_shared_study(results: list[dict], storage: str, runs_dir: Path, study_name: str, n_trials: int) -> None:
    """Counts add up, and every trial is one run: none lost, none duplicated."""
    total = n_trials * len(results)
    assert [r["worker"]["trials"] for r in results] == [n_trials] * len(results)
    assert len({r["worker"]["pid"] for r in results}) == len(results)
    numbers = sorted(n for r in results for n in r["worker"]["numbers"])
    assert numbers == list(range(total)), "every trial number once, no gap, no duplicate"
    study = search.load_study(storage, study_name)
    trials = study.get_trials()
    assert len(trials) == total and all(t.state.name == "COMPLETE" for t in trials)
    run_ids = [t.user_attrs["run_id"] for t in trials]
    assert len(set(run_ids)) == total
    on_disk = {p.name for p in runs_dir.iterdir() if (p / "spec.json").exists()}
    assert on_disk == set(run_ids), "each run belongs to exactly one trial"
    for t in trials:
        result = json.loads((Path(t.user_attrs["run_dir"]) / "result.json").read_text())
        assert result["search"]["trial"] == t.number and result["status"] == "finished"
    final = search.study_summary(study)
    assert final["trials"]["COMPLETE"] == total and final["best_value"] == min(t.value for t in trials)
    # of a snapshot the page drew its table from: the same numbers as the study's own, and only the snapshot's
    assert search.study_summary(study, trials) == final
    first = search.study_summary(study, trials[:2])
    assert first["n_trials"] == 2 and first["trials"]["COMPLETE"] == 2 and first["outcomes"] == {"complete": 2}
    assert first["best_value"] == min(t.value for t in trials[:2])
    assert first["best_trial"] == min(trials[:2], key=lambda t: t.value).number


def test_two_worker_processes_share_one_journal_file(tmp_path):
    storage, runs = str(tmp_path / "optuna" / "journal.log"), tmp_path / "runs"
    results = run_workers(storage, runs, "shared")
    check_shared_study(results, storage, runs, "shared", n_trials=3)


def test_a_diverged_trial_is_pruned_with_the_worst_value_so_the_sampler_avoids_it(runs_dir, capsys):
    """A trial whose loss exploded used to be FAIL, which Optuna's samplers ignore (they may sample
    there again). Now it is PRUNED at the epoch it diverged with the worst value, and says so: in the
    table, the page's counts and the command line alike (the command line had said "pruned after epoch 1"
    and "1 pruned" where the page said "Pruned 0" and "1 diverged": a learner's check)."""
    from optuna.trial import TrialState

    from zoo.cli.search import _progress

    spec = ExperimentSpec(model="cnn", epochs=2, limit_train=512, optimizer="sgd", lr=100.0, momentum=0.99)
    config = search.SearchConfig(spec=spec, space=search.build_space("cnn", search={"batch_size": [64, 128]}),
                                 n_trials=1, study="diverging", runs_dir=str(runs_dir), sampler="random",
                                 sampler_seed=0)
    summary = search.run_search(config, emit=_progress(config))
    assert summary["outcomes"] == {"diverged": 1} and summary["trials"]["PRUNED"] == 1   # Optuna's state apart
    said = capsys.readouterr().err
    assert "trial   0 diverged: diverged in epoch 1" in said and "pruned" not in said, said
    study = search.load_study(None, "diverging", runs_dir)
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED
    assert trial.intermediate_values == {1: float("inf")}          # minimised: infinitely bad at epoch 1
    row = search.trials_frame(study.trials).iloc[0]
    assert row["note"].startswith("diverged in epoch 1") and "worst value" in row["note"]
    # The table names it as the Runs page does (it read "pruned", with a value of Infinity), the pruner's
    # own prunings apart.
    assert row["state"] == "diverged" and pd.isna(row["value"])


def test_a_study_of_few_trials_says_its_importances_and_best_are_mostly_chance(runs_dir):
    """Two trials drew "lr 0.57, dropout 0.24" in the importances and a contour map, read as measured (a learner's
    check). The figures are drawn, and the page says what so few trials can tell, until FEW_TRIALS."""
    from streamlit.testing.v1 import AppTest

    storage = str(runs_dir / "optuna" / "journal.log")
    study = optuna.create_study(study_name="few", storage=search.open_storage(storage))
    objective = lambda t: (t.suggest_float("lr", 1e-4, 1e-1, log=True) - 0.01) ** 2 + t.suggest_int("width", 8, 64) / 1e3  # noqa: E731
    study.optimize(objective, n_trials=3)
    assert search.few_trials_note(1) and search.few_trials_note(search.FEW_TRIALS) is None

    def notes() -> list[str]:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page("app_pages/search.py")
        at.query_params.update({"study": "few", "storage": storage})
        at.run()
        assert not at.exception
        return [c.value for c in at.caption if "mostly chance" in c.value]

    assert notes() == [":material/info: From 3 completed trials, the importances and the contour are mostly chance "
                       "and the best value is one draw of 3: they settle after 10 or more."]
    study.optimize(objective, n_trials=search.FEW_TRIALS - 3)
    assert notes() == []


def test_cli_flags_are_checked_before_the_data_is_read(tmp_path, capsys):
    """One worker reads the data in this process; a misspelt --search key was said only after the whole file had
    been read (and, for a file that cannot be read, not at all: its error came first)."""
    unreadable = tmp_path / "not-a-series.csv"
    unreadable.write_text("only one column\n1\n")
    code = zoo_main(["search", "--data", str(unreadable), "--model", "linear", "--runs-dir", str(tmp_path),
                     "--search", "nosuchsetting"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "nosuchsetting" in err[0], err
    code = zoo_main(["search", "--data", str(unreadable), "--model", "linear", "--runs-dir", str(tmp_path),
                     "--workers", "0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == ["error: --workers 0 must be at least 1."], err


def test_a_search_of_a_series_whose_mase_is_undefined_completes(tmp_path):
    """A review: 60 monthly rows repeating exactly each year make seasonal naive exact, so MASE (its error as the
    scale) is undefined, None; float(None) ended the whole search with an internal error."""
    import numpy as np

    from tests.test_cli import zoo_main

    months = pd.date_range("2019-01-01", periods=60, freq="MS")
    path = tmp_path / "exact.csv"
    pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "sales": np.tile(np.arange(1.0, 13.0), 5)}).to_csv(
        path, index=False)
    proc = zoo_main("search", "--data", str(path), "--model", "linear", "--n-trials", "1", "--epochs", "1",
                    "--runs-dir", str(tmp_path / "r"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["trials"]["COMPLETE"] == 1


def test_two_csvs_of_one_name_do_not_share_a_study(tmp_path):
    """Studies are joined by the data's name, as its folder differs between machines: a search of another
    small.csv (other values) joined the first one's study, and its best run became the other file's (a CLI
    user's check). A CSV's content is compared too; the same file elsewhere still joins, and a study stored
    before the content was keeps joining by name."""
    import shutil

    from tests.test_cli import zoo_main

    corpus = Path(__file__).parent / "csv_corpus" / "clean.csv"
    first, same, other = tmp_path / "a" / "small.csv", tmp_path / "b" / "small.csv", tmp_path / "c" / "small.csv"
    for path in (first, same, other):
        path.parent.mkdir()
    shutil.copy(corpus, first)
    shutil.copy(corpus, same)
    other.write_text(corpus.read_text().replace(",5", ",6"))

    def search_of(path):
        return zoo_main("search", "--data", str(path), "--model", "linear", "--n-trials", "1", "--epochs", "1",
                        "--runs-dir", str(tmp_path / "r"), "--json")

    assert search_of(first).returncode == 0
    joined = search_of(same)
    assert joined.returncode == 0 and json.loads(joined.stdout.splitlines()[-1])["n_trials"] == 2
    refused = search_of(other)
    assert refused.returncode == 2 and "was made on another file named small.csv (its values differ)" in \
        refused.stderr, refused.stderr
    # A study stored without the content (before it was compared) is joined by name, as it was made
    study = search.load_study(str(tmp_path / "r" / "optuna" / "journal.log"), "linear-small-val_loss")
    study.set_user_attr("playground", {k: v for k, v in study.user_attrs["playground"].items() if k != "data_content"})
    assert search_of(other).returncode == 0


def test_a_trial_that_learned_nothing_says_so_in_its_note_the_summary_and_the_runs_table(tmp_path, tiny_data):
    """A learner's check: trials at chance (val loss 15.6, test accuracy 8.4%, below always answering the most
    common class) read `complete` with an empty note, and the Runs table's row of such a run read `finished`, where
    the run's own page warns that it learned nothing. Zero init learns nothing past the output layer."""
    from zoo.run_records import run_record
    from zoo.runs import load_run

    config = tiny_config(tmp_path, n_trials=1, spec={"epochs": 1, "init": "zeros"})
    summary = search.run_search(config, data=tiny_data)
    trial = search.load_study(config.storage, config.study_name).trials[0]
    assert trial.state.name == "COMPLETE"
    note = search.trial_reason(trial)
    assert note.startswith("learned nothing useful: test accuracy ") and "most common" in note, note
    assert summary["best_learned_nothing"] in note
    row = search.trials_frame([trial]).iloc[0]
    assert row["note"] == note
    record = run_record(load_run(trial.user_attrs["run_dir"]))
    assert record["status"] == "finished, learned nothing useful"
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page("app_pages/search.py")
    at.query_params.update({"study": config.study_name, "storage": config.storage})
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning if w.value.startswith("The best trial so far learned nothing useful: test "
                                                              "accuracy ")], [w.value for w in at.warning]

    config = tiny_config(tmp_path / "b", n_trials=1, spec={"epochs": 1})   # one that learned: nothing said
    assert search.run_search(config, data=tiny_data)["best_learned_nothing"] is None
    trial = search.load_study(config.storage, config.study_name).trials[0]
    assert search.trial_reason(trial) == "" and run_record(load_run(trial.user_attrs["run_dir"]))["status"] == \
        "finished"


def test_a_study_that_workers_elsewhere_fill_is_followed_until_none_of_its_trials_runs(tmp_path, monkeypatch):
    """A lab's check: a study attached while command-line workers (or another machine's) filled it stayed as the
    page first drew it, with no refresh, since only this server's own jobs made the page follow a study."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    storage = str(tmp_path / "elsewhere.log")
    study = optuna.create_study(study_name="lab", storage=search.open_storage(storage))
    study.tell(study.ask(), 0.5)
    running = study.ask()   # a worker in another process, mid-trial

    def page():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page("app_pages/search.py")
        at.query_params.update({"study": "lab", "storage": storage})
        return at.run()

    at = page()
    assert not at.exception
    assert [t for t in at.toggle if t.label == "Live updates"] and at.toggle(key="search_live").value
    assert any("1 trial(s) of this study are running in workers this page did not start" in c.value for c in at.caption)
    study.tell(running, 0.4)   # its worker ended it
    at = page()
    assert not at.exception and not [t for t in at.toggle if t.label == "Live updates"]
    assert not any("running in workers this page did not start" in c.value for c in at.caption)
    # A trial whose worker, a process of this machine, is gone (killed): failed, not followed for as long as the
    # page stays open (a review)
    import socket

    killed = study.ask()
    run_dir = tmp_path / "runs" / "killed-run"
    run_dir.mkdir(parents=True)
    (run_dir / "result.json").write_text(json.dumps({"status": "running", "process": {
        "host": socket.gethostname(), "pid": 2**22 + 17, "pid_started": 1}}))
    study._storage.set_trial_user_attr(killed._trial_id, "run_dir", str(run_dir))
    at = page()
    assert not at.exception and not [t for t in at.toggle if t.label == "Live updates"]
    assert study.trials[-1].state.name == "FAIL"


def test_a_studys_address_without_its_storage_opens_it_from_the_servers_journal(tmp_path, tiny_data, monkeypatch):
    """`/search?study=NAME`, typed or shared, without `&storage=`: the blank set-up form and nothing about the study,
    locally, where the page's and the command line's studies share the runs directory's journal (a learner's
    check). It opens from that journal, as the hosted demo opens a visitor's own."""
    from streamlit.testing.v1 import AppTest

    from zoo.search import default_storage

    runs = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(runs))
    config = tiny_config(tmp_path, n_trials=1, spec={"epochs": 1}, storage=default_storage(runs),
                         runs_dir=str(runs), study="linked")
    search.run_search(config, data=tiny_data)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page("app_pages/search.py")
    at.query_params.update({"study": "linked"})
    at.run()
    assert not at.exception
    assert any("linked" in h.value for h in at.subheader), [h.value for h in at.subheader]
    assert not any(i.value.startswith("Start a search, or attach to a study") for i in at.info)
    # a name the journal does not have: said, with the set-up form, not as a study's view (a learner's check)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page("app_pages/search.py")
    at.query_params.update({"study": "nope"})
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning if w.value.startswith("No study 'nope' in ")], [w.value for w in at.warning]
    assert not any("nope" in h.value for h in at.subheader)
    assert not [b for b in at.button if b.key == "search_stop"]


def test_a_trial_whose_run_directory_goes_mid_training_says_it_failed_after_its_epochs(tmp_path, tiny_data,
                                                                                      monkeypatch):
    """A learner's check: a trial's run deleted while it trained (from the Runs page, which now refuses it; here
    from outside) ended "refused before it trained: cannot write the run's files" beside its 6 epochs."""
    import shutil

    from zoo import engine
    from zoo.runs import runs_root

    real = engine.run_experiment

    def deleted_after_its_first_epoch(spec, *, callback, run_id, runs_dir, **kwargs):
        def on_event(event):
            callback(event)
            if event.get("type") == "epoch" and event["epoch"] == 1:
                shutil.rmtree(runs_root(runs_dir) / run_id)
        return real(spec, callback=on_event, run_id=run_id, runs_dir=runs_dir, **kwargs)

    monkeypatch.setattr(engine, "run_experiment", deleted_after_its_first_epoch)
    config = tiny_config(tmp_path, n_trials=1, spec={"epochs": 3})
    search.run_search(config, data=tiny_data)
    reason = search.open_study(config).get_trials()[0].user_attrs["result"]["reason"]
    assert reason.startswith("failed after 1 epoch(s): cannot write the run's files"), reason


def test_a_trials_value_is_its_kept_epochs_the_one_its_run_keeps(tmp_path, tiny_data):
    """A CLI user's check: with a min delta, a run keeps an early epoch's weights while later epochs score lower by
    less than it (zoo/engine.EarlyStopping). The study had reported the history's lowest value, 0.00138 of epoch 8,
    for a run whose weights, and reproduced value, are epoch 6's 0.00581."""
    config = tiny_config(tmp_path, n_trials=1, spec={"epochs": 3, "patience": 5, "min_delta": 100.0})
    summary = search.run_search(config, data=tiny_data)
    result = json.loads((Path(config.runs_dir) / summary["best_run_id"] / "result.json").read_text())
    assert result["best_epoch"] == 1   # nothing later beat epoch 1 by more than 100
    epochs = {row["epoch"]: row["val_loss"] for row in load_run(Path(config.runs_dir) / summary["best_run_id"])
              .epoch_rows()}
    assert min(epochs.values()) < epochs[1], "later epochs scored lower: otherwise this test shows nothing"
    assert summary["best_value"] == pytest.approx(epochs[1]) == pytest.approx(result["best_value"])


def test_a_trials_fault_is_said_as_it_ends_and_a_worker_whose_every_trial_failed_failed(tmp_path, tiny_data,
                                                                                         monkeypatch, capsys):
    """A CLI user's check: a RuntimeError in a trial (torch's way to say a shape mismatch or out of memory) was
    caught by Optuna unsaid; four trials failed with no word and the command ended "finished", exit 0."""
    from zoo import engine

    def out_of_memory(event):
        raise RuntimeError("CUDA out of memory (a stand-in)")

    real = engine.run_experiment
    monkeypatch.setattr(engine, "run_experiment", lambda spec, **kwargs: real(spec, **{**kwargs,
                                                                                      "callback": out_of_memory}))
    events = []
    summary = search.run_search(tiny_config(tmp_path, n_trials=2), data=tiny_data, emit=events.append)
    ends = [e for e in events if e["type"] == "trial_end"]
    assert [e["state"] for e in ends] == ["FAIL", "FAIL"]
    assert ends[0]["reason"] == "failed before it trained: RuntimeError: CUDA out of memory (a stand-in)", ends[0]
    assert summary["status"] == "failed" and summary["reason"] == (
        "every trial this worker ran failed (2); the first failed before it trained: RuntimeError: CUDA out of "
        "memory (a stand-in)"), summary["reason"]
    assert not summary["failed_on_input"]   # a fault of the run, not of its settings: exit 1, not 2
    # the command line: each trial said, then the failure, exit 1, its JSON line the error's
    code = zoo_main(["search", "--data", "mnist-sample", "--model", "mlp", "--epochs", "1", "--limit-train", "128",
                     "--search", "lr", "--n-trials", "1", "--storage", str(tmp_path / "cli.log"),
                     "--runs-dir", str(tmp_path / "cli-runs"), "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and "trial   0 failed before it trained: RuntimeError: CUDA out of memory" in err, err
    assert json.loads(out.strip().splitlines()[-1])["status"] == "error"


def test_a_worker_its_time_budget_ended_says_so(tmp_path, tiny_data):
    """A learner's check: 20 trials asked for with a time budget of 0.1 min ended "finished: this worker ran 4
    trial(s)", as if the search had run its course. The reason names the budget and the trials asked for."""
    import re

    # A budget shorter than any trial (a CI machine ran all 20 tiny trials within 0.5 s): Optuna starts no trial
    # once it has passed, so at most one runs
    summary = search.run_search(tiny_config(tmp_path, n_trials=20, timeout=0.001), data=tiny_data)
    match = re.fullmatch(r"its time budget of 0.001 s ended it after ([01]) of 20 trial\(s\)", summary["reason"])
    assert summary["status"] == "finished" and match, summary["reason"]
    unbounded = search.run_search(tiny_config(tmp_path / "b", n_trials=1, timeout=600), data=tiny_data)
    assert unbounded["reason"] == "this worker ran 1 trial(s)"


def test_an_accuracy_study_is_written_in_percent_as_every_page_writes_an_accuracy(tmp_path, tiny_data):
    """A learner's check: the Search page's best "0.8125" and its table's 0.0775, beside 79.40% on the Runs and Train
    pages. An accuracy objective is in percent in the best, the table and the figures' value axes; a loss is not."""
    from streamlit.testing.v1 import AppTest

    from zoo.registry import format_percent

    config = tiny_config(tmp_path, n_trials=2, objective="val_metric",
                         space=search.build_space("mlp", search={"lr": (1e-3, 3e-2), "batch_size": [16, 32]}))
    summary = search.run_search(config, data=tiny_data)
    study = search.load_study(config.storage, config.study_name)
    figures = search.study_figures(study)
    assert [figures[n].layout.yaxis.tickformat for n in ("history", "intermediate", "slice")] == [".0%"] * 3
    # the parallel plot's objective axis (its labels are annotations at x=0) and colour bar, the contour's colour bar
    parallel, contour = figures["parallel"], figures["contour"]
    objective_labels = [note.text for note in parallel.layout.annotations if note.x == 0]
    assert objective_labels and all(re.fullmatch(r"\d+\.\d%", text) for text in objective_labels), objective_labels
    assert [t.marker.colorbar.tickformat for t in parallel.data if t.marker.colorbar.title.text] == [".0%"]
    assert [t.colorbar.tickformat for t in contour.data if t.type == "contour"] == [".0%"]
    assert figures["slice"].data[0].marker.colorbar.tickformat is None   # the slice's colour bar counts trials
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page("app_pages/search.py")
    at.query_params.update({"study": config.study_name, "storage": config.storage})
    at.run()
    assert not at.exception
    best = next(m for m in at.metric if m.label.startswith("Best "))
    assert best.value == format_percent(summary["best_value"])
    table = at.dataframe[0].value
    assert sorted(table["value"]) == sorted(100 * t.value for t in study.trials)
    assert at.dataframe[0].proto.placeholder == "—"   # a running trial's value: a dash, not "None" (a demo check)
    # a sampled float to three significant digits (lr 1.75e-05 read "0.00002": a learner's check); a batch size as is
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["lr"]["type_config"]["format"] == "%.3g" and "batch_size" not in columns, columns

    # a pruned trial's note too ("val_metric 0.4123" beside 41.23% in the table: a review)
    from zoo.search.study import objective_value

    assert [objective_value(o, t, 0.4123) for o, t in (("val_metric", "image"), ("val_loss", "image"),
                                                         ("val_metric", "series"))] == \
        ["val accuracy 41.23%", "val loss 0.4123", "val MAE (norm.) 0.4123"]
    loss = tiny_config(tmp_path / "loss", n_trials=1)
    search.run_search(loss, data=tiny_data)
    assert search.study_figures(search.load_study(loss.storage, loss.study_name))["history"].layout.yaxis.tickformat \
        is None


def test_a_trial_its_run_stopped_early_says_so_in_words(tmp_path, tiny_data):
    """A review: a trial whose run early stopping ended read "early_stopped: val loss did not improve ..." in its note,
    the stored status, where every page says "stopped early"."""
    config = tiny_config(tmp_path, n_trials=1, spec={"epochs": 4, "patience": 1, "min_delta": 100.0})
    search.run_search(config, data=tiny_data)
    trial = search.load_study(config.storage, config.study_name).trials[0]
    assert trial.user_attrs["result"]["status"] == "early_stopped"
    assert search.trial_reason(trial).startswith("stopped early: val loss did not improve by more than 100 for 1 "
                                                 "epoch"), search.trial_reason(trial)


def test_a_search_of_several_workers_fails_only_where_every_workers_every_trial_failed():
    """A review: one of four workers whose one trial ran out of memory failed the whole search, its three finished
    trials and best value beside it. It is said beside them; the search fails where every worker failed."""
    from zoo.search.study import workers_ended

    oom = {"status": "failed", "reason": "every trial this worker ran failed (1); the first failed before it "
                                         "trained: RuntimeError: out of memory", "failed_on_input": False}
    fine = {"status": "finished", "reason": "this worker ran 1 trial(s)"}
    assert workers_ended([fine, oom, fine, fine], 4, stopped=False) == {
        "status": "finished", "failed_on_input": False,
        "reason": "4 workers ran 4 trial(s); every trial of 1 of them failed, the first every trial this worker ran "
                  "failed (1); the first failed before it trained: RuntimeError: out of memory"}
    assert workers_ended([oom, oom], 2, stopped=False)["status"] == "failed"
    refused = dict(oom, failed_on_input=True)
    assert workers_ended([refused, refused], 2, stopped=False)["failed_on_input"]
    assert workers_ended([fine, fine], 2, stopped=True)["status"] == "stopped"


def test_a_study_whose_best_run_was_deleted_says_so(tmp_path, tiny_data, monkeypatch):
    """A learner's check: with its best trial's run deleted on the Runs page, the study's page read as before."""
    import shutil

    from streamlit.testing.v1 import AppTest

    config = tiny_config(tmp_path, n_trials=1)
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", config.runs_dir)
    summary = search.run_search(config, data=tiny_data)

    def page():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page("app_pages/search.py")
        at.query_params.update({"study": config.study_name, "storage": config.storage})
        return at.run()

    said = "is not in this server's runs directory (deleted, or written on another machine)"
    assert not [c for c in page().caption if said in c.value]
    shutil.rmtree(Path(config.runs_dir) / summary["best_run_id"])
    assert [c for c in page().caption if said in c.value and summary["best_run_id"] in c.value]


@pytest.mark.parametrize("storage", ["journal.log", "sqlite:///{}/study.db"])
def test_a_killed_workers_trial_is_failed_when_the_study_is_joined_and_a_live_ones_is_left(tmp_path, tiny_data,
                                                                                           storage):
    """A search killed mid-trial left its trial `running` for good in a journal file or SQLite (Optuna's heartbeat
    is a server database's only): the next search on the study said `"running": 1` beside "finished" (a CLI user's
    check). Joining the study fails a running trial whose run's process is gone, naming why; one whose process is
    alive (another worker's, its value not yet told) is left."""
    import socket

    from zoo.run_health import process_identity
    from zoo.runs import RESULT

    url = storage.format(tmp_path) if "{}" in storage else str(tmp_path / storage)
    config = tiny_config(tmp_path, storage=url, n_trials=1)
    study = search.open_study(config)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    for owner, status in (({"host": socket.gethostname(), "pid": int(dead.stdout), "pid_started": "1"}, "failed"),
                          (process_identity(), "running")):
        trial = study.ask()
        run_dir = tmp_path / "runs" / f"trial-{trial.number}"
        run_dir.mkdir(parents=True)
        reason = "the process that ran it stopped before it ended" if status == "failed" else None
        (run_dir / RESULT).write_text(json.dumps({"status": status, "process": owner, "reason": reason}))
        trial.set_user_attr("run_dir", str(run_dir))
    stale = study.get_trials(deepcopy=True, states=(optuna.trial.TrialState.RUNNING,))   # as a second worker saw them
    summary = search.run_search(config, data=tiny_data)   # joins the study: one more trial
    trials = search.load_study(url, config.study_name).get_trials(deepcopy=False)
    assert [t.state.name for t in trials] == ["FAIL", "RUNNING", "COMPLETE"]
    assert trials[0].user_attrs["result"] == {"status": "failed",
                                              "reason": "the process that ran it stopped before it ended"}
    assert summary["outcomes"]["running"] == 1   # the live one only
    # a worker joining at the same moment finds it failed already: not an error that ends that worker (a review)
    from zoo.search.ended import fail_orphaned_trials

    study.get_trials = lambda **_: stale
    assert fail_orphaned_trials(study) == []


def test_a_study_resumed_with_its_sampler_seed_does_not_run_its_first_settings_again(tmp_path, tiny_data):
    """Resumed with --sampler-seed 1, a study's trials 3, 4 and 5 had trials 0, 1 and 2's learning rates (a CLI
    user's check): the seed is offset by the trials the study holds, so that a resume alike samples alike."""
    def resumed_twice(folder) -> list[float]:
        config = tiny_config(folder, n_trials=2, sampler="random", sampler_seed=1)
        search.run_search(config, data=tiny_data)
        search.run_search(config, data=tiny_data)
        return [t.params["lr"] for t in search.load_study(config.storage, config.study_name).trials]

    lrs = resumed_twice(tmp_path / "a")
    assert len(set(lrs)) == 4, lrs
    assert resumed_twice(tmp_path / "b") == lrs   # and seeded still


def test_a_workers_best_so_far_is_the_studys_other_workers_trials_included(tmp_path, tiny_data, capsys):
    """Two searches into one study at once: one printed "(best 1.234)" after the other's trial had reached 0.576
    (a CLI user's check). A trial's end carries the study's best told so far, and the line says the better."""
    from zoo.cli.search import _progress

    config = tiny_config(tmp_path, n_trials=1)
    first = search.run_search(config, data=tiny_data)
    ends = []
    search.run_search(config, data=tiny_data, emit=ends.append)
    end = next(e for e in ends if e["type"] == "trial_end")
    assert end["study_best"] == first["best_value"]   # told before this trial: the other worker's, here
    printer = _progress(config)
    printer({"type": "trial_end", "number": 5, "state": "COMPLETE", "value": 1.234, "study_best": 0.576})
    assert "(best 0.576)" in capsys.readouterr().err


def test_a_search_worker_killed_is_said_in_a_sentence_after_the_studys_summary(tmp_path):
    """A search worker that died (killed here; on a cluster, its node or the cluster lost) ended the command with a
    traceback, "internal error ... please report it" and no summary (a Ray user's check). The study's trials are
    said, its dead trial failed, then the worker's end in one sentence: exit 1."""
    import signal
    import time

    from tests.conftest import wait_for

    runs = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "zoo", "search", "--model", "mlp", "--epochs", "20",
                             "--limit-train", "256", "--n-trials", "2", "--workers", "2", "--study", "killed",
                             "--runs-dir", str(runs), "--sampler", "random",
                             # the trial not killed must finish: a sampled lr of ~1 diverged it (pruned), once in CI
                             "--fix", "lr=0.001", "--pruner", "none",
                             # and neither may end by itself before the kill: no early stopping (with patience 5, a
                             # trial of 256 samples ended in under a second)
                             "--fix", "patience=0"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    try:
        def a_trial_training():
            for result in runs.glob("*/result.json"):
                try:
                    info = json.loads(result.read_text())
                except ValueError:
                    continue
                if info.get("status") == "running" and (result.parent / "metrics.csv").exists():
                    return info["process"]["pid"]
            return None

        pid = wait_for(a_trial_training, timeout=180, what="a trial training")   # the pid seen, not read again
        os.kill(pid, signal.SIGKILL)
        started = time.monotonic()
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1, err[-3000:]
    assert "internal error" not in err and "Traceback" not in err, err[-3000:]
    assert re.search(r"study killed \(.*\): 2 trials", err), err[-3000:]
    assert re.search(r"error: search worker [12] of 2 \(.*\) failed: the worker process was killed by SIGKILL.*; "
                     r"the study's finished trials are kept", err), err[-3000:]
    study = search.load_study(None, "killed", runs)
    assert sorted(t.state.name for t in study.trials) == ["COMPLETE", "FAIL"], (study.trials, time.monotonic() - started)


def test_a_study_is_deleted_from_the_search_page_its_trials_runs_stay(tmp_path, tiny_data, monkeypatch):
    """A demo visitor had no way to remove a study of theirs but to wait for the sweep. "Delete study…" asks, deletes
    it from its storage (zoo/search/storage.delete_study) and leaves the page with no study; the trials' runs stay.
    Another study in the same journal stays too."""
    from streamlit.testing.v1 import AppTest

    from zoo.runs import list_runs

    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    config = tiny_config(tmp_path, n_trials=1)
    search.run_search(config, data=tiny_data)
    other = tiny_config(tmp_path, n_trials=1, study="kept-study")
    search.run_search(other, data=tiny_data)
    runs = {r.run_id for r in list_runs(config.runs_dir)}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page("app_pages/search.py")
    at.query_params.update({"study": config.study_name, "storage": config.storage})
    at.run()
    assert not at.exception
    at.button(key="search_delete").click().run()
    assert any(w.value.startswith(f"Delete study `{config.study_name}`? Its trials' runs stay on the Runs page")
               for w in at.warning), [w.value for w in at.warning]
    at.button(key="search_delete_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert search.study_names(config.storage) == ["kept-study"]
    assert {r.run_id for r in list_runs(config.runs_dir)} == runs and len(runs) == 2
    assert "study" not in at.query_params and not any(s.value.startswith("Study ") for s in at.subheader)


# ------------------------------------------------------------------ a study joined from a shell


def narrowed_space(model: str, task: str) -> search.SearchSpace:
    """The model's default space with its first numeric range halved, its first list of three or more values cut to
    two, and the batch size held: a space as a person narrows it on the Search page."""
    full = search.build_space(model, task, fix={"batch_size": 32})
    asked: dict = {d.name: None for d in full.dims}
    ranged = next(d for d in full.dims if d.kind in ("int", "float"))
    middle = (ranged.low * ranged.high) ** 0.5 if ranged.log else (ranged.low + ranged.high) / 2
    asked[ranged.name] = (ranged.low, int(middle) if ranged.kind == "int" else middle)
    listed = next((d for d in full.dims if d.kind == "choice" and len(d.values) >= 3), None)
    if listed is not None:
        asked[listed.name] = list(listed.values[:2])
    return search.build_space(model, task, search=asked, fix={"batch_size": 32})


@pytest.mark.parametrize("task, model", [(t, m) for t in ("image", "series") for m in zoo.list_models(t)])
def test_a_studys_join_command_reads_back_as_the_same_study(task, model, tmp_path):
    """A lab's check: joining a study the page made from a shell needed the page's ranges, which nothing showed, and
    a guess was refused with "they differ in: space". The command the page shows (SearchConfig.cli_command) reads
    back, through the command line's own flags, into the settings the study holds, for every model."""
    from zoo.cli.common import Parser
    from zoo.cli.search import add_arguments, config_from_args

    data = {"data": "mnist-sample"} if task == "image" else {"data": "ETTh1", "lookback": 48, "horizon": 12}
    spec = ExperimentSpec(task=task, model=model, epochs=3, limit_train=256, **data)
    config = search.SearchConfig(spec=spec, space=narrowed_space(model, task), objective="val_metric",
                                 sampler="random", pruner="hyperband", total_trials=40, study="lab",
                                 storage=str(tmp_path / "lab journal.log")).validate()
    words = shlex.split(config.cli_command())
    assert words[:4] == ["python", "-m", "zoo", "search"]
    parser = Parser(prog="python -m zoo search")
    add_arguments(parser)
    joined = config_from_args(parser.parse_args(words[4:]))
    assert joined.fingerprint() == config.fingerprint()
    assert (joined.study_name, joined.storage_url, joined.sampler, joined.pruner, joined.total_trials) == \
        ("lab", config.storage, "random", "hyperband", 40)


def test_a_worker_started_with_a_studys_join_command_joins_it(tmp_path, tiny_data, capsys, monkeypatch):
    """The command the Search page shows, run from another folder: it joins the study (not refused as made with
    other settings, nor a new study of the same name in that folder's own `runs/optuna/journal.log`, as a command
    that named the server's relative runs directory made: a review) and adds its trial, its run where the page
    finds it."""
    from streamlit.testing.v1 import AppTest

    server, shell = tmp_path / "server", tmp_path / "shell"
    server.mkdir(), shell.mkdir()
    monkeypatch.chdir(server)
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", "runs")   # the server's, as a relative path
    config = tiny_config(server, n_trials=1, study="shared", space=narrowed_space("mlp", "image"), storage=None,
                         runs_dir="runs", spec={"model_params": {}})   # (as the page makes one: its settings all
    search.run_search(config, data=tiny_data)                         # searched or held)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page("app_pages/search.py")
    at.query_params.update({"study": "shared"})
    at.run()
    assert not at.exception
    shown = [c.value for c in at.code if "python -m zoo search" in c.value]   # the page's, as a person copies it
    assert len(shown) == 1, [c.value for c in at.code]
    # and says whose `python` it is: a shell's own, often one without torch, is not the playground's (a lab's check)
    assert any(f"this server's is `{sys.executable}`" in c.value for c in at.caption), [c.value for c in at.caption]
    words = shlex.split(shown[0].replace("\\\n", " "))
    monkeypatch.chdir(shell)
    monkeypatch.delenv("PLAYGROUND_RUNS_DIR")
    code = zoo_main(words[3:] + ["--n-trials", "1"])
    assert code == 0, capsys.readouterr().err
    trials = search.load_study(str(server / "runs" / "optuna" / "journal.log"), "shared").trials
    assert len(trials) == 2 and not (shell / "runs").exists()
    assert Path(trials[1].user_attrs["run_dir"]).parent == server / "runs"
    # A study made in Python with a setting both given and searched: no command that the flags would refuse
    mixed = tiny_config(tmp_path, space=narrowed_space("mlp", "image"))   # (its spec sets depth, which is searched)
    with pytest.raises(SpecError, match="depth, width are both given in the study's shared settings and searched"):
        mixed.cli_command()


# ------------------------------------------------------------------ a full disk under the study's journal


def test_a_journal_a_full_disk_left_with_half_a_record_takes_the_next_search(tmp_path, tiny_data):
    """A storage-faults check: a full disk cut a journal's last record in half; the next search, of another study,
    wrote its record onto that half line, and from then on every search in that runs directory failed with
    "internal error (JSONDecodeError ...)" and the Search page showed a traceback."""
    first = tiny_config(tmp_path, n_trials=1, study="first")
    search.run_search(first, data=tiny_data)
    journal = Path(first.storage)
    with open(journal, "ab") as fh:
        fh.write(b'{"op_code":8,"worker_id":"cut-short","trial_id":0,"user_attr":{"res')   # no newline
    search.run_search(tiny_config(tmp_path, n_trials=1, study="second"), data=tiny_data)
    lines = journal.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])   # the half line cut off, no more
    assert sorted(search.study_names(first.storage)) == ["first", "second"]
    for name in ("first", "second"):
        assert [t.state.name for t in search.load_study(first.storage, name).get_trials()] == ["COMPLETE"]


def test_a_journal_damaged_in_the_middle_is_one_sentence_naming_it(tmp_path, tiny_data, capsys, monkeypatch):
    """A storage-faults check: a journal whose middle line was two records run together (written before the half
    line was cut off) ended every search in "internal error (JSONDecodeError ...)"; the Search page, a traceback."""
    from streamlit.testing.v1 import AppTest

    runs = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(runs))
    config = tiny_config(tmp_path, n_trials=1, study="first", storage=search.default_storage(runs))
    search.run_search(config, data=tiny_data)
    journal = Path(config.storage)
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:1] + [lines[1][:20] + lines[2]] + lines[3:]))
    with pytest.raises(SpecError) as err:
        search.study_names(config.storage)
    message = str(err.value)
    assert f"the study journal {journal} is damaged at line 2" in message and "move the file aside" in message
    assert isinstance(err.value, search.storage.StorageLost)   # the Search page says it, the hosted demo's too
    code = zoo_main(["search", "--data", "mnist-sample", "--model", "mlp", "--epochs", "1", "--limit-train", "128",
                     "--search", "lr", "--n-trials", "1", "--storage", str(journal), "--runs-dir", config.runs_dir])
    assert code == 2 and capsys.readouterr().err.strip() == f"error: {message}"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page("app_pages/search.py").run()
    new_study = next(t for t in at.tabs if t.label == "New study")   # the tab a page opens on, not only Attach's
    from ui.form import sentence

    said = sentence(message)
    assert not at.exception and said in [e.value for e in new_study.error], [e.value for e in at.error]
    # Start is off while it is so, with why: pressed, it had said the same sentence a second time (a two-tabs check)
    assert at.button(key="search_start").disabled
    assert any("off until the study's storage can be read" in c.value for c in new_study.caption)
    assert [e.value for e in new_study.error].count(said) == 1


@pytest.mark.parametrize("typed, said", [
    ("nosuchdb://lab/optuna", "Cannot open storage nosuchdb://lab/optuna: "),
    ("postgresql://me:secret@127.0.0.1:1/optuna", "Cannot open storage postgresql://me:***@127.0.0.1:1/optuna: "),
    ("{folder}", "Storage {folder} is a folder; give a journal file path such as ")])
def test_a_typed_storage_that_does_not_open_is_said_before_start(typed, said, tmp_path, monkeypatch):
    """A lab's check: a wrong password (or a database, a folder given) was said only once Start was pressed; the page
    says it as the storage is typed, above the form, with Start off until it opens."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    typed, said = typed.format(folder=tmp_path), said.format(folder=tmp_path)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page("app_pages/search.py")
    at.session_state["search_storage"] = typed
    at.run()
    assert not at.exception
    assert [e.value for e in at.error if e.value.startswith(said)], [e.value for e in at.error]
    assert "secret" not in " ".join(e.value for e in at.error)
    assert at.button(key="search_start").disabled


def test_a_typed_storage_password_is_not_kept_in_a_draft_and_is_asked_for_again(tmp_path, monkeypatch):
    """A lab's check: a database URL typed as the storage was kept in the visitor's draft, a file on the server's
    disk, password and all. The draft keeps it masked; after a reload the page asks for the password again, with
    Start off, in both tabs; a cleared Attach storage is the server's journal (it had said "No studies in  yet.")."""
    from streamlit.testing.v1 import AppTest

    from ui.drafts import store

    runs = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(runs))
    typed = "postgresql://me:secret@127.0.0.1:1/optuna"

    def page(state: dict):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).switch_page("app_pages/search.py")
        for key, value in {"visitor": "d" * 32, **state}.items():
            at.session_state[key] = value
        return at.run()

    at = page({})
    at.text_input(key="search_storage").set_value(typed).run()   # typed, as a person does (a first draw is no draft)
    at.text_input(key="attach_storage").set_value(typed).run()
    assert not at.exception
    assert typed in [t.value for t in at.text_input]   # this session holds what was typed; the disk, not
    drafts = list((runs / "drafts").glob("*.json"))
    assert drafts and all("secret" not in f.read_text() for f in drafts)
    assert "postgresql://me:***@127.0.0.1:1/optuna" in drafts[0].read_text()
    store.clear()
    at = page({})   # a reload: the set-up from the draft
    assert not at.exception
    assert at.text_input(key="search_storage").value == "postgresql://me:***@127.0.0.1:1/optuna"
    asked = [w.value for w in at.warning if w.value.startswith("The storage's password is not kept")]
    assert len(asked) == 2, [w.value for w in at.warning]   # New study's and Attach's
    assert at.button(key="search_start").disabled
    at.text_input(key="attach_storage").set_value("").run()
    assert not at.exception and not [i.value for i in at.info if "No studies in  yet" in i.value]
    assert [i.value for i in at.info if i.value == f"No studies in {runs / 'optuna' / 'journal.log'} yet."]


FULL_DISK = r"""
import json, os, sys
from pathlib import Path
from zoo.cli import main
from zoo import search

runs = Path(sys.argv[1])
base = ["search", "--data", "mnist-sample", "--model", "mlp", "--epochs", "1", "--limit-train", "128", "--search",
        "lr=0.0005:0.005", "--pruner", "none", "--runs-dir", str(runs)]   # (an lr that trains: a diverged trial is
        # pruned, and one drawn at random from the declared range did, now and then)
out = {"kept": main(base + ["--study", "kept", "--n-trials", "1"])}
with open(runs / "filler", "wb", buffering=0) as fh:   # the disk full
    try:
        while True:
            fh.write(b"\0" * 4096)
    except OSError:
        pass
sys.stderr.write("--full--\n")
# a journal of its own, empty: its first record needs a page of the disk that has none left (one that had written
# before could add a few records into the room left in its last page, and fail later or not at all)
out["full"] = main(base + ["--study", "full", "--n-trials", "6", "--storage", str(runs / "optuna" / "full.log")])
sys.stderr.write("--room--\n")
os.remove(runs / "filler")
out["after"] = main(base + ["--study", "after", "--n-trials", "1"])
storage = str(runs / "optuna" / "journal.log")
out["studies"] = {n: [t.state.name for t in search.load_study(storage, n).get_trials()]
                  for n in search.study_names(storage)}
print(json.dumps(out))
"""


def test_a_search_on_a_full_disk_says_so_in_one_sentence_and_keeps_the_finished_trials(tmp_path):
    """A storage-faults check: a search on a full disk ended "internal error (OSError: [Errno 28] No space left on
    device)", or Optuna's "AssertionError: Should not reach." where it could not record a trial's end, exit 1 (and
    the Search page's Start showed the OSError's traceback); the next search in that runs directory failed too.
    A real full disk: a small tmpfs, mounted in a mount namespace of its own."""
    runs = tmp_path / "runs"
    runs.mkdir()
    mount = f"mount -t tmpfs -o size=64m tmpfs {runs} && exec {sys.executable} -c \"$0\" {runs}"
    if subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("no mount namespace here (unshare -rm) to mount a small tmpfs in")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", mount, FULL_DISK], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    full = proc.stderr.split("--full--\n")[1].split("--room--\n")[0].strip().splitlines()[-1]
    assert out["full"] == 2 and full.startswith("error: cannot write the study journal ") and (
        "(No space left on device); make the runs directory writable and give it free space") in full, full
    assert out["kept"] == 0 and out["after"] == 0 and out["studies"]["kept"] == ["COMPLETE"], out
    assert out["studies"]["after"] == ["COMPLETE"], out


def test_study_names_read_a_journal_again_only_once_it_changed(tmp_path, tiny_data):
    """The Search page asked for a journal's study names three times a run, each reading the whole journal (0.4-0.7 s
    each at 300 studies: a check of a server after months). Read once per version of the file: a study added or
    deleted since is there, or gone, at once."""
    first = tiny_config(tmp_path, n_trials=1, study="first")
    search.run_search(first, data=tiny_data)
    assert search.study_names(first.storage) == ["first"]
    reads = []
    real = search.storage.open_storage
    try:   # (counting the journal's reads: the real storage, opened as before)
        search.storage.open_storage = lambda *a, **k: reads.append(1) or real(*a, **k)
        assert search.study_names(first.storage) == ["first"] and search.study_names(first.storage) == ["first"]
        assert reads == []   # the file has not changed
        search.run_search(tiny_config(tmp_path, n_trials=1, study="second"), data=tiny_data)
        assert search.study_names(first.storage) == ["second", "first"]
        search.storage.delete_study(first.storage, "first")
        assert search.study_names(first.storage) == ["second"]
    finally:
        search.storage.open_storage = real


def test_a_heartbeat_the_storage_did_not_record_is_one_warning_line_not_a_traceback(capsys, monkeypatch):
    """PostgreSQL stopped while `zoo search` ran: Optuna's heartbeat thread, which records as each trial starts, printed
    its sixty-line traceback before the command's one sentence (a CI run of test_search_postgres). Its failure is a
    warning line now; another thread's error is printed whole as before."""
    import threading

    from optuna.exceptions import StorageInternalError
    from optuna.storages._heartbeat import BaseHeartbeat, HeartbeatThread

    from zoo.search import storage

    class StoppedDatabase(BaseHeartbeat):   # as RDBStorage, when the server has gone
        def record_heartbeat(self, trial_id: int) -> None:
            raise StorageInternalError("An exception is raised during the commit.\nserver closed the connection")

        def _get_stale_trial_ids(self, study_id: int) -> list[int]:
            return []

        def get_heartbeat_interval(self) -> int:
            return 30

        def get_heartbeat_stale_trial_callback(self):
            return None

    printed = []   # what Python's own hook is given (pytest's, in a test, turns it into a warning)
    monkeypatch.setattr(threading, "excepthook", lambda args: printed.append(args.exc_type))
    monkeypatch.setattr(storage, "_heartbeat_hook_installed", False)
    storage.heartbeat_failures_in_a_line()
    beat = HeartbeatThread(0, StoppedDatabase())
    beat.start()
    beat.join()
    other = threading.Thread(target=lambda: 1 / 0)
    other.start()
    other.join()
    err = capsys.readouterr().err
    assert ("warning: the study's storage did not record this worker's heartbeat (StorageInternalError: An exception "
            "is raised during the commit.)") in err
    assert "Traceback" not in err and printed == [ZeroDivisionError]
