"""The zoo: every registered model is tested the moment it is registered (one test per task)."""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

import zoo
from zoo.engine import fit
from zoo.registry import DataShape, HParam, SpecError, as_typed, get_model, hparams, make_config, refusal
from zoo.spec import ExperimentSpec, command_lines, settings


def test_at_least_seven_models_per_task():
    assert len(zoo.list_models("image")) >= 7
    assert len(zoo.list_models("series")) >= 7
    assert {"mlp", "cnn", "rnn", "lstm", "gru", "tcn", "transformer"} <= set(zoo.list_models("image"))
    assert {"linear", "mlp", "rnn", "lstm", "gru", "tcn", "transformer"} <= set(zoo.list_models("series"))


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_config_is_frozen_and_declares_every_field(name):
    entry = get_model(name)
    assert entry.config.__dataclass_params__.frozen
    declared = hparams(entry.config)
    assert [h.name for h in declared] == [f.name for f in dataclasses.fields(entry.config)]
    for h in declared:
        assert h.help, f"{name}.{h.name} has no help text"
        assert h.check(h.default) == h.default, f"{name}.{h.name} default is outside its own range"
        if h.kind in ("int", "float"):
            assert h.low <= h.high and (not h.log or h.low > 0)


@pytest.mark.parametrize("name", zoo.list_models("image"))
def test_every_image_model_learns_in_one_epoch_on_the_sample(name):
    spec = ExperimentSpec(model=name, epochs=1, seed=0)
    result = fit(spec)
    assert result.status == "finished"
    assert len(result.history) == 1
    assert result.test_metrics["test_accuracy"] > 0.4, "well above the 0.1 of chance after one epoch"
    assert math.isfinite(result.test_metrics["test_loss"])


@pytest.mark.parametrize("name", zoo.list_models("series"))
@pytest.mark.parametrize("lookback,features,horizon", [(1, 1, 1), (17, 3, 5), (64, 7, 24)])
def test_every_series_model_runs_forward_and_backward_on_any_window(name, lookback, features, horizon):
    torch.manual_seed(0)
    shape = DataShape(task="series", lookback=lookback, n_features=features, horizon=horizon)
    model = zoo.build(name, shape)
    x = torch.randn(4, lookback, features)
    out = model(x)
    assert out.shape == (4, horizon)
    out.square().mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)


def test_cnn_defaults_are_the_seeds_lenet_shape():
    model = zoo.build("cnn", DataShape("image"))
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(c.out_channels, c.kernel_size) for c in convs] == [(6, (5, 5)), (16, (5, 5))]
    assert [l.out_features for l in linears] == [120, 84, 10]


def test_tcn_uses_the_parametrization_weight_norm():
    model = zoo.build("tcn", DataShape("series", lookback=16, n_features=2, horizon=3))
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv1d) and hasattr(m, "parametrizations")]
    assert convs and all("weight" in c.parametrizations for c in convs)


def test_tcn_is_causal():
    """Changing the last input step must not change what the network computed for earlier steps."""
    torch.manual_seed(0)
    model = zoo.build("tcn", DataShape("series", lookback=20, n_features=1, horizon=1)).eval()
    x = torch.randn(1, 20, 1)
    y = x.clone()
    y[0, -1, 0] += 5.0
    feats = lambda t: model.network(t.transpose(1, 2))  # noqa: E731
    assert torch.allclose(feats(x)[..., :-1], feats(y)[..., :-1])


def test_transformer_is_batch_first():
    model = zoo.build("transformer", DataShape("image"))
    assert all(layer.self_attn.batch_first for layer in model.encoder.layers)


def test_out_of_range_and_unknown_hyperparameters_are_refused_with_a_sentence():
    with pytest.raises(SpecError, match="outside its range"):
        make_config("mlp", {"depth": 99})
    with pytest.raises(SpecError, match="has no hyperparameter"):
        make_config("mlp", {"dpth": 2})
    with pytest.raises(SpecError, match="unknown model"):
        get_model("resnet")
    with pytest.raises(SpecError, match="does not fit the image task"):
        zoo.build("linear", DataShape("image"))



@pytest.mark.parametrize("name, typed, said", [
    ("weight_decay", -1, "weight_decay=-1 must be at least 0."),   # it said -1.0 (a learner's check)
    ("weight_decay", "1e9", "weight_decay=1000000000 is outside its range [0, 0.1]"),   # and 1000000000.0
    ("momentum", -0.125, "momentum=-0.125 must be in [0, 1)."),
    ("lr", 1.23456789, "lr=1.23456789 is outside its range [1e-05, 1]"),   # in full, not 1.23457
])
def test_a_refusal_writes_the_number_as_it_was_typed(name, typed, said):
    from zoo.spec import setting

    with pytest.raises(SpecError) as refused:
        setting(name).check_in_range(typed)
    assert str(refused.value).startswith(said)


@pytest.mark.parametrize("typed, said", [
    ("1.000", "limit_train='1.000' is 1000 where the dot separates thousands and 1 where it is a decimal mark; write "
              "the whole number without it (1000 or 1)."),
    ("12,500", "limit_train='12,500' is 12500 where the comma separates thousands and 12.5 where it is a decimal "
               "mark; write the whole number without it (12500)."),
    ("2.500.000", "limit_train='2.500.000' is 2500000 with a dot between thousands; write the whole number without "
                  "the dots (2500000)."),
])
def test_a_whole_number_typed_with_a_thousands_mark_is_refused_saying_both_readings(typed, said):
    """"1.000" training samples, as a German visitor writes a thousand, ran on 1 sample, the box still showing
    1.000 (a visitor's check); "2.0" and "1e3" are whole numbers as before."""
    from zoo.spec import setting

    with pytest.raises(SpecError) as refused:
        setting("limit_train").check_in_form(typed)
    assert str(refused.value).startswith(said)
    assert setting("limit_train").check_in_form("2.0") == 2 and setting("limit_train").check_in_form("1e3") == 1000
    assert setting("limit_train").check_in_form("0.000") == 0   # no thousands mark before a leading 0
    with pytest.raises(SpecError, match="'1,000.000' is not a whole number"):   # both marks: 1000 either way (a review)
        setting("limit_train").check_in_form("1,000.000")


@pytest.mark.parametrize("typed, said", [
    ("1.000", "budget='1.000' is 1000 where the dot separates thousands and 1 where it is a decimal mark; write 1000 "
              "or 1."),
    ("2.500", "budget='2.500' is 2500 where the dot separates thousands and 2.5 where it is a decimal mark; write 2500 "
              "or 2.5."),
    ("1.000.000", "budget='1.000.000' is 1000000 with a dot between thousands; write the whole number without the "
                  "dots (1000000)."),
    ("0,001", "budget='0,001' has a decimal comma; write it with a dot (0.001)."),
    ("1,500", "budget='1,500' is 1500 where the comma separates thousands and 1.5 where it is a decimal mark; write "
              "1500 or 1.5."),
    ("abc", "budget='abc' is not a number; give a number such as 60."),   # 60, not 60.0
])
def test_a_decimal_typed_as_a_german_thousand_or_with_a_decimal_comma_is_said(typed, said):
    """Streamlit's number box read a German "1.000" as 1 and "0,001" as 1 in the browser; the pages' boxes are
    text boxes read here (ui/form.number_box). Three decimals ending in 0 are not how zoo writes a decimal
    (as_typed: 2.5), so such a text is said with both readings, and every number zoo writes reads back as itself."""
    budget = HParam("budget", 60.0, "float", low=0, high=1e6)
    with pytest.raises(SpecError) as refused:
        budget.check_in_form(typed)
    assert str(refused.value) == said
    assert [budget.read(t) for t in ("1.125", "0.500", "2.5", "1000", "1e3")] == [1.125, 0.5, 2.5, 1000, 1000]
    rng = np.random.default_rng(0)
    for number in [*np.round(rng.uniform(0, 1000, 2000), 3), *rng.uniform(0, 1000, 200), 10.0, 1e-05]:
        assert budget.read(as_typed(float(number))) == float(number)
    assert as_typed(10**300) == "1e+300" and as_typed(12345678901234567890) == "12345678901234567890"


def test_a_refusal_is_the_checks_own_sentence_and_only_a_spec_error_is_one():
    assert refusal(make_config, "mlp", {"depth": 99}) == str(pytest.raises(SpecError, make_config, "mlp",
                                                                           {"depth": 99}).value)
    assert refusal(make_config, "mlp", {"depth": 2}) is None
    with pytest.raises(ZeroDivisionError):   # a fault in the check is not a person's bad input
        refusal(lambda: 1 / 0)


def test_spec_json_round_trip_is_exact():
    spec = ExperimentSpec(model="mlp", model_params={"depth": 3, "activation": "tanh"}, lr=0.0123, seed=7)
    again = ExperimentSpec.from_json(spec.to_json())
    assert again == spec
    assert json.loads(again.to_json()) == json.loads(spec.to_json())


def test_every_setting_is_declared_once_with_help_and_a_valid_default():
    declared = {h.name for h in settings()}
    # (windows_fitted and training_fitted are no settings: they say which of those above the page fitted to the series)
    assert {f.name for f in dataclasses.fields(ExperimentSpec)} - declared == {"task", "data", "model", "model_params",
                                                                               "windows_fitted", "training_fitted"}
    spec = ExperimentSpec()
    for h in settings():
        assert h.help, f"{h.name} has no help text"
        assert getattr(spec, h.name) == h.default
        if h.default is not None:
            assert h.check(h.default) == h.default
        if h.kind in ("int", "float"):
            assert h.low <= h.default <= h.high, f"{h.name}'s default is outside the form's range"


def test_a_spec_says_training_fitted_only_where_it_has_something_to_say():
    """A spec that does not say which training settings a page fitted (the command line's) is written without the
    field, readable by a version without it (a review); one that does keeps it, and reads back the same."""
    assert "training_fitted" not in ExperimentSpec().to_dict()
    fitted = ExperimentSpec(task="series", data="ETTh1", model="linear", training_fitted=["epochs"])
    assert ExperimentSpec.from_dict(fitted.to_dict()) == fitted and fitted.to_dict()["training_fitted"] == ["epochs"]
    with pytest.raises(SpecError, match="training_fitted=\\['depth'\\] must list some of batch_size, epochs"):
        fitted.replace(training_fitted=["depth"]).validate()


def test_spec_accepts_any_positive_lr_but_refuses_nonsense():
    ExperimentSpec(lr=1e4).validate()
    for bad in (dict(lr=0.0), dict(lr=-1.0), dict(epochs=0), dict(batch_size=0), dict(optimizer="lbfgs"),
                dict(data="cifar"), dict(precision="int8"), dict(lr=float("nan"))):
        with pytest.raises(SpecError):
            ExperimentSpec(**bad).validate()


def test_cli_command_reproduces_the_spec():
    import shlex

    from zoo.cli import Parser, add_spec_arguments, spec_from_args

    spec = ExperimentSpec(model="mlp", model_params={"depth": 3}, lr=0.01, epochs=2, schedule="cosine", seed=3)
    parser = Parser(prog="python -m zoo train")
    add_spec_arguments(parser)
    args = parser.parse_args(shlex.split(spec.cli_command())[4:])
    assert spec_from_args(args) == spec
    # values as a person types them ("--lr 1.0" was written of lr 1: a learner's check), and read back the same
    spec = ExperimentSpec(model="lstm", lr=1.0, weight_decay=1e-4, model_params={"num_layers": 2, "dropout": 0.5,
                                                                               "bidirectional": True})
    command = spec.cli_command()
    assert " --lr 1 " in command and "--weight-decay 0.0001" in command and "--set dropout=0.5" in command
    assert spec_from_args(parser.parse_args(shlex.split(command)[4:])) == spec


@pytest.mark.parametrize("spec", [
    ExperimentSpec(model="mlp", model_params={"depth": 3}, lr=0.01, epochs=2, schedule="cosine", seed=3),
    ExperimentSpec(task="series", data="my file's data.csv", model="lstm", lookback=48, horizon=12, min_delta=0.5),
])
def test_the_command_shown_a_flag_per_line_is_the_same_command_to_bash(spec):
    """The run view shows `command_lines(...)`: bash reads it as the very arguments of the one-line command
    (a learner's check saw the one line wrapped mid-flag on a narrow page)."""
    import shlex
    import subprocess

    one_line = spec.cli_command()
    shown = command_lines(one_line)
    assert len(shown.splitlines()) == one_line.count(" --") + 1
    assert all(line.endswith(" \\") for line in shown.splitlines()[:-1])

    def argv(command: str) -> list[str]:   # what bash passes to the program
        out = subprocess.run(["bash", "-c", "printf '%s\\0' " + command.split(" ", 1)[1]], capture_output=True,
                             check=True).stdout
        return out.decode().split("\0")[:-1]

    assert argv(shown) == argv(one_line) == shlex.split(one_line)[1:]


def test_a_runs_shape_holds_its_tasks_own_fields_and_reads_back():
    """result.json's "shape" of a series run read "height": 28, "num_classes": 10, the image task's defaults (a CLI
    user's check); each task keeps the fields its models read (Task.shape_fields), and DataShape(**d) reads it."""
    import dataclasses

    from zoo.registry import TASKS, DataShape

    for name, task in TASKS.items():
        shape = DataShape(task=name)
        assert set(shape.to_dict()) == {"task", *task.shape_fields}
        assert DataShape(**shape.to_dict()) == shape
        # every field a model of the task reads for its input and output is among them
        for field in dataclasses.fields(DataShape):
            if field.name not in task.shape_fields and field.name != "task":
                changed = dataclasses.replace(shape, **{field.name: getattr(shape, field.name) + 1})
                assert changed.input_shape() == shape.input_shape() and changed.output_shape() == shape.output_shape()


# ------------------------------------------------------------------ reading runs again


def test_runs_listed_again_are_read_again_only_where_their_files_changed(tmp_path, monkeypatch):
    """A server after months (3,000 runs) read every run's files again on each script run of the Train, Forecast,
    Inspect and Runs pages, 0.8-1.1 s of CPU each time (bench/runs_listing.py). A listing reads again only the
    folders whose settings or result changed since this process read them; what it lists is what a first read
    lists, a change made meanwhile included."""
    from zoo import runs as run_files

    monkeypatch.setattr(run_files, "SETTLED_S", 0.0)   # every file settled at once (a real one after 2 s)
    monkeypatch.setattr(run_files, "_READ", {})
    root = tmp_path / "runs"
    made = []
    for i in range(3):
        writer = run_files.RunWriter(root, ExperimentSpec(model="mlp", epochs=i + 1), run_id=f"20260101-00000{i}Z-mlp-"
                                                                                         f"{i:012d}")
        writer.write_result({"status": "finished", "best_epoch": i + 1})
        made.append(writer.path)
    reads = []
    real = run_files._read_run_files
    monkeypatch.setattr(run_files, "_read_run_files", lambda path, board: reads.append(path.name) or real(path, board))
    first = run_files.list_runs(root)
    assert len(reads) == 3 and [r.spec.epochs for r in first] == [3, 2, 1]
    first[0].result["status"] = "changed by a caller"   # a caller's change to its copy is not what the next read says
    run_files.patch_result(made[1], status="stopped", reason="stopped by request")
    # in place, by hand, and of another size: with SETTLED_S at 0, one of the same size within the clock's tick would
    # keep its stats, the case SETTLED_S is for (the next test)
    (made[0] / run_files.SPEC).write_text(ExperimentSpec(model="mlp", epochs=19).to_json())
    reads.clear()
    again = run_files.list_runs(root)
    assert sorted(reads) == sorted(p.name for p in made[:2])   # the third run's files unchanged: not read
    assert [(r.spec.epochs, r.status) for r in again] == [(3, "finished"), (2, "stopped"), (19, "finished")]
    assert [(r.spec, r.result) for r in again] == [real(p, False) for p in reversed(made)]   # as read anew
    run_files.delete_run(made[2])
    assert [r.run_id for r in run_files.list_runs(root)] == [p.name for p in reversed(made[:2])]
    assert str(made[2]) not in run_files._READ   # a deleted run's read is not kept


def test_a_run_rewritten_within_the_clocks_tick_is_read_as_it_is_now(tmp_path):
    """A file rewritten at once with the same size may keep its stats (the clock's tick; an inode freed and taken
    again): files changed in the last SETTLED_S seconds are read again whatever their stats say."""
    from zoo import runs as run_files

    writer = run_files.RunWriter(tmp_path, ExperimentSpec(model="mlp"))
    for epoch in range(1, 8):
        writer.write_result({"status": "running", "epoch": epoch})
        assert run_files.load_run(writer.path).result["epoch"] == epoch
