"""The engine and the run store: determinism, early stopping, stop, divergence, checkpoints."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import pandas as pd
import pytest
import torch
from torch import nn

import zoo
from zoo.data import load_data
from zoo.engine import GPU_SYNC_EVERY, EarlyStopping, evaluate, fit, run_experiment, weight_init
from zoo.registry import DataShape, SpecError, hp
from zoo.runs import METRIC_COLUMNS
from zoo.spec import ExperimentSpec

QUICK = dict(model="cnn", limit_train=1000, batch_size=64, seed=0)


@pytest.fixture(scope="module")
def sample():
    return load_data(ExperimentSpec(**QUICK))


def test_fit_leaves_its_data_as_it_was(sample):
    """One loaded dataset serves many runs (the Inspect page caches one for every session): fit trains
    on a copy moved to its device and dtype, and leaves the caller's tensors as they were."""
    names = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")
    before = {n: (getattr(sample, n).dtype, getattr(sample, n).device, getattr(sample, n).clone()) for n in names}
    fit(ExperimentSpec(**QUICK, epochs=1, precision="fp64"), data=sample)   # fp64: every float tensor must move
    for n in names:
        dtype, device, values = before[n]
        tensor = getattr(sample, n)
        assert (tensor.dtype, tensor.device) == (dtype, device), n
        assert torch.equal(tensor, values), n


def test_early_stopping_says_when_to_stop_and_remembers_the_best():
    stopper = EarlyStopping(patience=2, min_delta=0.1, mode="min")
    decisions = [stopper.step(v, e) for e, v in enumerate([1.0, 0.5, 0.45, 0.44], start=1)]
    assert decisions == [False, False, False, True]
    assert stopper.best == 0.5 and stopper.best_epoch == 2
    assert stopper.step(0.2, 5) is False and stopper.best_epoch == 5 and stopper.counter == 0
    never = EarlyStopping(patience=0)
    assert not any(never.step(1.0, e) for e in range(1, 20))
    up = EarlyStopping(patience=1, mode="max")
    assert [up.step(v, e) for e, v in enumerate([0.5, 0.6, 0.6], start=1)] == [False, False, True]


def test_same_spec_and_seed_give_identical_metrics(sample):
    spec = ExperimentSpec(**QUICK, epochs=2)
    a, b = fit(spec, data=sample), fit(spec, data=sample)
    strip = lambda h: [{k: v for k, v in row.items() if k not in ("seconds", "samples_per_s")} for row in h]  # noqa: E731
    assert strip(a.history) == strip(b.history)
    assert a.test_metrics == b.test_metrics
    c = fit(spec.replace(seed=1), data=load_data(spec.replace(seed=1)))
    assert strip(c.history) != strip(a.history)


def test_run_directory_is_complete_and_load_run_restores_the_best_model(runs_dir, sample):
    spec = ExperimentSpec(**QUICK, epochs=2)
    result = run_experiment(spec, runs_dir=runs_dir, data=sample)
    path = result.run_dir
    assert {p.name for p in path.iterdir()} == {"spec.json", "metrics.csv", "best.pt", "result.json"}
    metrics = pd.read_csv(path / "metrics.csv")
    assert tuple(metrics.columns) == METRIC_COLUMNS and list(metrics.epoch) == [1, 2]
    assert (metrics.seconds > 0).all() and (metrics.samples_per_s > 0).all()
    saved = json.loads((path / "result.json").read_text())
    assert saved["status"] == "finished" and saved["best_epoch"] == result.best_epoch
    assert saved["started"] < saved["finished"]   # the start is kept in the last result.json (the Runs page's date)
    assert saved["metrics"] == result.test_metrics
    state = torch.load(path / "best.pt", map_location="cpu", weights_only=True)
    assert set(state) == set(result.model.state_dict())

    run = zoo.load_run(path)
    assert run.spec == spec
    assert not run.model.training and next(run.model.parameters()).device.type == "cpu"
    data = load_data(spec)
    _, accuracy = evaluate(run.model, data.x_test, data.y_test, "image")
    assert accuracy == pytest.approx(saved["metrics"]["test_accuracy"])


def test_early_stopping_ends_the_run_with_the_best_weights_restored(runs_dir, sample):
    # min_delta so large that nothing after epoch 1 counts as better: patience 2 stops after epoch 3.
    spec = ExperimentSpec(**QUICK, epochs=10, patience=2, min_delta=100.0)
    result = run_experiment(spec, runs_dir=runs_dir, data=sample)
    assert result.status == "early_stopped" and result.epochs_run == 3 and result.best_epoch == 1
    # in the words the form shows: "val loss", not the spec's val_loss
    assert result.reason.startswith("val loss did not improve by more than 100 for 2 epochs; best was epoch 1")
    # Epochs 2 and 3 learned, by less than 100: the lower of their losses is named beside the one kept.
    later = min(result.history[1:], key=lambda row: row["val_loss"])
    assert later["val_loss"] < result.history[0]["val_loss"]
    assert result.reason.endswith(f" (epoch {later['epoch']}'s val loss {later['val_loss']:.4g} beat epoch 1's "
                                  f"{result.history[0]['val_loss']:.4g} by no more than the min delta, so epoch 1's "
                                  "weights are kept)")
    # Without a min delta, no "by more than 0" (a forecast user's check): steps of 1e-30 leave every weight as it
    # is, so the validation loss repeats and the run stops after epoch 2.
    frozen = run_experiment(spec.replace(min_delta=0.0, epochs=5, patience=1, optimizer="sgd", momentum=0.0,
                                         lr=1e-30), runs_dir=runs_dir, data=sample)
    assert frozen.status == "early_stopped" and frozen.epochs_run == 2, (frozen.status, frozen.history)
    assert frozen.reason == "val loss did not improve for 1 epoch; best was epoch 1"
    # Patience run out with the last epoch: every epoch ran, so the run finished (it was "stopped early, 2/2 epochs")
    last = run_experiment(spec.replace(min_delta=0.0, epochs=2, patience=1, optimizer="sgd", momentum=0.0,
                                       lr=1e-30), runs_dir=runs_dir, data=sample)
    assert (last.status, last.epochs_run, last.best_epoch) == ("finished", 2, 1), (last.status, last.history)
    assert last.reason == ("completed all 2 epochs; val loss had not improved in its last 1 epoch (best was epoch 1): "
                           "more epochs need a higher patience too")
    best = torch.load(result.run_dir / "best.pt", weights_only=True)
    for key, value in result.model.state_dict().items():
        assert torch.equal(value.cpu(), best[key]), key
    assert result.history[0]["val_loss"] == pytest.approx(result.best_value)


def test_min_delta_is_early_stoppings_own_and_a_run_that_ends_says_what_it_kept(runs_dir, sample):
    """A learner's check: min delta 0.5 of val accuracy, set beside patience 0 (early stopping off), and three epochs
    that reached 85.5% from 62.75%: the run "completed all 3 epochs" keeping epoch 1's weights, unsaid. With
    early stopping off, the best epoch is kept; with it on and the run ending, the epoch kept is said, as when it
    stops early."""
    spec = ExperimentSpec(**QUICK, epochs=3, monitor="val_metric", min_delta=0.5)
    off = run_experiment(spec.replace(patience=0), runs_dir=runs_dir, data=sample)
    accuracy = [row["val_metric"] for row in off.history]
    assert off.status == "finished" and off.best_epoch == 1 + accuracy.index(max(accuracy)) > 1, accuracy
    assert off.reason == "completed all 3 epochs"
    on = run_experiment(spec.replace(patience=5), runs_dir=runs_dir, data=sample)
    assert on.status == "finished" and on.best_epoch == 1
    assert on.reason == (f"completed all 3 epochs (epoch {off.best_epoch}'s val accuracy {max(accuracy):.4g} beat "
                         f"epoch 1's {accuracy[0]:.4g} by no more than the min delta, so epoch 1's weights are kept)")


def test_a_metric_that_rose_by_less_than_min_delta_is_named_beside_the_epoch_kept():
    """Accuracy, the better the higher: 0.80, then 0.84 (within min delta 0.05), then NaN."""
    from zoo.engine import _within_min_delta

    spec = ExperimentSpec(**QUICK, monitor="val_metric", min_delta=0.05, patience=2)
    stopper = EarlyStopping(patience=2, min_delta=0.05, mode="max")
    history = [{"epoch": e, "val_loss": 0.5, "val_metric": m} for e, m in ((1, 0.80), (2, 0.84), (3, float("nan")))]
    assert [stopper.step(row["val_metric"], row["epoch"]) for row in history] == [False, False, True]
    assert _within_min_delta(history, spec, stopper) == (" (epoch 2's val accuracy 0.84 beat epoch 1's 0.8 by no more "
                                                         "than the min delta, so epoch 1's weights are kept)")
    assert _within_min_delta(history[:1], spec, stopper) == ""   # nothing after the epoch kept
    worse = [history[0], {**history[1], "val_metric": 0.79}]
    assert _within_min_delta(worse, spec, stopper) == ""         # a later epoch no better: nothing to say


def test_huge_sgd_learning_rate_diverges_and_keeps_a_loadable_checkpoint(runs_dir, sample):
    spec = ExperimentSpec(**QUICK, optimizer="sgd", lr=1e4, epochs=3)
    result = run_experiment(spec, runs_dir=runs_dir, data=sample)
    assert result.status == "diverged" and "learning rate" in result.reason
    saved = json.loads((result.run_dir / "result.json").read_text())
    assert saved["status"] == "diverged"
    model = zoo.load_run(result.run_dir).model
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert all(torch.isfinite(torch.tensor(v)) for v in saved["metrics"].values())
    # No epoch finished: the Runs page shows no test score or best epoch for the initial weights (it
    # showed "best epoch 0" and their accuracy of about 10%, as if a trained model had scored it).
    from zoo.run_records import run_record

    run = zoo.load_run(result.run_dir)
    assert not run.epoch_rows() and saved["metrics"].get("test_accuracy") is not None
    row = run_record(run)
    assert row["test accuracy"] is None and row["best epoch"] is None and row["test loss"] is None
    assert "verdict" not in saved   # nothing trained to judge


def test_a_stop_request_ends_within_a_batch_and_keeps_finished_epochs(runs_dir, sample):
    batches = []

    def count(event):
        if event["type"] == "batch":
            batches.append(event)

    steps = iter(range(10**6))
    # Stop in the middle of epoch 2: epoch 1 (16 batches) is finished work and is kept.
    stop_at = 16 + 5
    result = run_experiment(ExperimentSpec(**QUICK, epochs=5), runs_dir=runs_dir, data=sample,
                            callback=count, should_stop=lambda: next(steps) >= stop_at)
    assert result.status == "stopped" and result.epochs_run == 1 and result.best_epoch == 1
    assert len(pd.read_csv(result.run_dir / "metrics.csv")) == 1
    saved = json.loads((result.run_dir / "result.json").read_text())
    assert saved["status"] == "stopped"
    # Its best weights trained, so they are judged against the trivial answer as a finished run's are (the
    # run view's "vs trivial" beside its accuracy); a run that ended in its first epoch is not (test above).
    assert saved["verdict"]["trivial_accuracy"] > 0 and "better" in saved["verdict"]


def test_a_fault_while_training_writes_failed_and_keeps_the_checkpoint(runs_dir, sample):
    def explode(event):
        if event["type"] == "epoch" and event["epoch"] == 2:
            raise RuntimeError("boom in epoch 2")

    with pytest.raises(RuntimeError, match="boom"):
        run_experiment(ExperimentSpec(**QUICK, epochs=3), runs_dir=runs_dir, data=sample, callback=explode)
    (path,) = list(runs_dir.iterdir())
    saved = json.loads((path / "result.json").read_text())
    assert saved["status"] == "failed" and "boom in epoch 2" in saved["reason"]
    assert "RuntimeError" in saved["traceback"] and saved["finished"] >= saved["started"]
    # the epochs it wrote and the one its checkpoint holds (the run view read "epochs completed —" so)
    assert saved["epochs_run"] == len(pd.read_csv(path / "metrics.csv")) == 2 and saved["best_epoch"] in (1, 2)
    torch.load(path / "best.pt", weights_only=True)
    assert not [p for p in path.iterdir() if p.name.endswith(".tmp")], "no temp file left behind"


@pytest.mark.parametrize("scheme", ["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
                                    "orthogonal", "normal", "zeros"])
@pytest.mark.parametrize("name", ["mlp", "cnn", "lstm", "tcn", "transformer"])
def test_every_init_scheme_reaches_every_weight_matrix(scheme, name):
    torch.manual_seed(0)
    model = zoo.build(name, DataShape("image"))
    model.apply(weight_init(scheme))
    # a weight-normed layer's weight as the forward pass uses it (g * v / ||v||), not its two tensors: zero init
    # zeroed v, and the weight was 0 / 0 (a review)
    weights = [(n, p) for n, p in model.named_parameters() if p.dim() >= 2 and ".parametrizations." not in n]
    weights += [(f"{n}.weight", m.weight.detach()) for n, m in model.named_modules()
                if "weight" in getattr(m, "parametrizations", {})]
    assert all(torch.isfinite(p).all() for _, p in weights)
    for n, p in weights:
        if scheme == "zeros":
            assert not p.any(), n
        elif scheme == "normal":
            assert p.std().item() == pytest.approx(0.01, rel=0.5), n
        elif scheme == "orthogonal" and p.dim() == 2 and p.shape[0] <= p.shape[1]:
            assert torch.allclose(p @ p.T, torch.eye(p.shape[0]), atol=1e-4), n
    biases = [p for n, p in model.named_parameters() if n.endswith("bias") and "norm" not in n]
    assert all(not b.any() for b in biases)


def test_kaiming_suits_relu_layers_as_its_formula_says():
    layer = torch.nn.Linear(1000, 500)
    weight_init("kaiming_normal")(layer)
    assert layer.weight.std().item() == pytest.approx((2 / 1000) ** 0.5, rel=0.05)
    weight_init("xavier_normal")(layer)
    assert layer.weight.std().item() == pytest.approx((2 / 1500) ** 0.5, rel=0.05)


@pytest.mark.parametrize("precision,dtype", [("fp64", torch.float64), ("bf16", torch.float32)])
def test_precisions_that_the_cpu_can_do_train(precision, dtype, sample):
    result = fit(ExperimentSpec(**QUICK, epochs=1, precision=precision), data=sample)
    assert result.status == "finished" and result.test_metrics["test_accuracy"] > 0.3
    assert next(result.model.parameters()).dtype == dtype


def test_fp16_and_missing_devices_are_refused_with_what_to_do():
    with pytest.raises(SpecError, match="fp16 needs a CUDA GPU"):
        fit(ExperimentSpec(**QUICK, precision="fp16", device="cpu"))
    if not torch.cuda.is_available():
        with pytest.raises(SpecError, match="not available here"):
            fit(ExperimentSpec(**QUICK, device="cuda"))


@pytest.mark.parametrize("optimizer,schedule", [("adamw", "cosine"), ("sgd", "step")])
def test_optimizers_and_schedules(optimizer, schedule, sample):
    result = fit(ExperimentSpec(**QUICK, epochs=3, optimizer=optimizer, schedule=schedule, lr=0.01), data=sample)
    lrs = [row["lr"] for row in result.history]
    assert result.status == "finished" and lrs[0] == pytest.approx(0.01)
    assert lrs[1] < lrs[0], "the schedule lowers the learning rate"


def test_validation_split_is_seeded_disjoint_and_normalised_with_training_statistics():
    a = load_data(ExperimentSpec(seed=0))
    b = load_data(ExperimentSpec(seed=0))
    assert torch.equal(a.x_val, b.x_val)
    assert a.sizes() == {"train": 3600, "val": 400, "test": 1000}
    assert abs(a.x_train.mean().item()) < 1e-4 and a.x_train.std().item() == pytest.approx(1.0, abs=1e-3)
    train_rows = {tuple(r.tolist()) for r in a.x_train.flatten(1)[:, ::7]}
    assert not any(tuple(r.tolist()) in train_rows for r in a.x_val.flatten(1)[:, ::7])


# ---------------------------------------------------------------- divergence on the device-summed path
# On a GPU the loss is summed on the device and read every GPU_SYNC_EVERY batches. `sync_every`
# runs that same path on the CPU. A real model that goes wrong from a chosen training batch on
# (`spoiler`, registered for these tests only) says exactly when the fault came, so the tests can
# check that it is caught within one read interval.


@dataclass(frozen=True)
class SpoilerConfig:
    at_step: int = hp(1, low=1, high=10**6, help="the training batch (counted over the run) from which it goes wrong")
    how: str = hp("nan", choices=("nan", "explode"), help="NaN outputs, or outputs a million times too large")


class Spoiler(nn.Module):
    def __init__(self, config: SpoilerConfig, shape: DataShape):
        super().__init__()
        self.config, self.steps = config, 0
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(shape.input_shape()), shape.num_classes))

    def forward(self, x):
        out = self.body(x)
        if self.training:
            self.steps += 1
            if self.steps >= self.config.at_step:
                return out * (float("nan") if self.config.how == "nan" else 1e6)
        return out


@pytest.fixture
def spoiler():
    from zoo.registry import _REGISTRY, register_model

    register_model("spoiler", tasks=("image",), config=SpoilerConfig)(lambda config, shape: Spoiler(config, shape))
    yield "spoiler"
    _REGISTRY.pop("spoiler", None)


SPOILED = dict(limit_train=1000, batch_size=32, seed=0, epochs=4)   # 32 batches an epoch, the last of 8
FAULT = 32 + 5                                                      # epoch 2, batch 5


@pytest.mark.parametrize("how,words", [("nan", "became nan"), ("explode", "exploded")])
@pytest.mark.parametrize("sync_every", [1, GPU_SYNC_EVERY])
def test_a_nan_or_an_explosion_ends_diverged_within_one_read_and_keeps_the_best_checkpoint(
        spoiler, sample, runs_dir, how, words, sync_every):
    spec = ExperimentSpec(model=spoiler, model_params={"at_step": FAULT, "how": how}, **SPOILED)
    batches = []
    result = run_experiment(spec, runs_dir=runs_dir, data=sample, sync_every=sync_every,
                            should_stop=lambda: batches.append(1) and False)   # called before every batch
    assert result.status == "diverged" and words in result.reason and "lower the learning rate" in result.reason
    caught = int(re.search(r"by batch (\d+)", result.reason).group(1))
    assert "in epoch 2" in result.reason and caught == (5 if sync_every == 1 else 16)
    assert FAULT <= len(batches) < FAULT + sync_every, "caught at the first read after the fault"
    saved = json.loads((result.run_dir / "result.json").read_text())
    assert saved["status"] == "diverged" and saved["best_epoch"] == 1
    assert len(pd.read_csv(result.run_dir / "metrics.csv")) == 1

    # best.pt holds epoch 1's weights: those of the same run stopped after its first epoch.
    clean = fit(spec.replace(epochs=1), data=sample, sync_every=sync_every)
    best = torch.load(result.run_dir / "best.pt", weights_only=True)
    assert best.keys() == clean.model.state_dict().keys()
    for key, value in clean.model.state_dict().items():
        assert torch.equal(best[key], value), key
    assert all(math.isfinite(v) for v in saved["metrics"].values())


def test_reading_the_loss_every_16_batches_gives_the_same_run_as_every_batch(sample):
    """The GPU's read interval changes when the CPU waits, not what is computed."""
    # 32 batches an epoch: reads at 16 and 32. An MLP (it was a CNN, 18 s): the read interval is the loop's, not the model's.
    spec = ExperimentSpec(**{**QUICK, "model": "mlp", "batch_size": 32}, epochs=2)
    strip = lambda h: [{k: v for k, v in row.items() if k not in ("seconds", "samples_per_s")} for row in h]  # noqa: E731
    every, sixteenth = fit(spec, data=sample, sync_every=1), fit(spec, data=sample, sync_every=GPU_SYNC_EVERY)
    assert strip(every.history) == strip(sixteenth.history)
    assert every.test_metrics == sixteenth.test_metrics


def test_a_run_that_diverged_at_once_draws_its_few_batch_losses(runs_dir, sample):
    """A run that diverged at its second batch showed an empty chart under "Diverged: the loss
    exploded": its one or two batch losses were a line through a point, which plotly does not draw.
    They are drawn as markers, the explosion with them."""
    from ui.live import training_figure
    from zoo.jobs import reduce_training

    state: dict = {}
    result = run_experiment(ExperimentSpec(**QUICK, optimizer="sgd", lr=1e4, epochs=3), runs_dir=runs_dir,
                            data=sample, callback=lambda event: reduce_training(state, event))
    assert result.status == "diverged" and not result.history
    points = state["batch_losses"]
    assert 1 <= len(points) < 30
    figure = training_figure(batch_points=points, epoch_rows=state.get("epoch_rows"))
    raw = next(t for t in figure.data if t.name == "train loss (batch)")
    assert "markers" in raw.mode and list(raw.y) == [p[1] for p in points]


def test_an_explosion_is_on_the_chart_as_the_message_names_it(spoiler, sample, runs_dir):
    """A learner read "the training loss exploded to 2.18e+05 ... by batch 2" beside a chart of one point at 2.3:
    the read that caught it ended the run before its batch event. The exploded loss is sent as the last batch
    event (a non-finite one is not: a chart cannot draw it)."""
    spec = ExperimentSpec(model=spoiler, model_params={"at_step": FAULT, "how": "explode"}, **SPOILED)
    events = []
    result = run_experiment(spec, runs_dir=runs_dir, data=sample, callback=events.append)
    assert result.status == "diverged" and "exploded" in result.reason
    named = float(re.search(r"exploded to ([0-9.e+-]+)", result.reason).group(1))
    last = [e for e in events if e["type"] == "batch"][-1]
    caught = int(re.search(r"by batch (\d+)", result.reason).group(1))
    assert (last["epoch"], last["batch"]) == (2, caught) and math.isclose(last["loss"], named, rel_tol=1e-2)


def test_run_ids_are_stamped_in_utc_whatever_the_local_zone(monkeypatch):
    """Ids sorted by the clock of whoever made them: a run at 21:14 UTC under TZ=Asia/Tokyo was 20261204-061424
    and listed (list_runs orders by id) before later runs made elsewhere (a CLI user's check)."""
    import time

    from zoo.runs import new_board_id, new_run_id

    try:
        for zone in ("Asia/Tokyo", "America/Los_Angeles"):
            monkeypatch.setenv("TZ", zone)
            time.tzset()
            before = time.strftime("%Y%m%d-%H%M%SZ", time.gmtime())
            stamps = [new_run_id(ExperimentSpec())[:16], new_board_id()[:16]]
            after = time.strftime("%Y%m%d-%H%M%SZ", time.gmtime())
            assert all(before <= stamp <= after for stamp in stamps), (zone, stamps, before)
    finally:
        monkeypatch.undo()   # the zone as it was, then read again
        time.tzset()


def test_the_runs_tables_speed_is_the_median_over_epochs_as_labelled(runs_dir, sample):
    """A learner's check: epochs at 2,959 and 9,992 samples/s showed 9,992 under "median over epochs" (the upper of
    the two middle values); the median of two is their mean."""
    import statistics

    from zoo.run_records import run_record

    result = run_experiment(ExperimentSpec(**QUICK, epochs=2), runs_dir=runs_dir, data=sample)
    run = zoo.load_run(result.run_dir)
    speeds = [r["samples_per_s"] for r in run.epoch_rows()]
    assert len(speeds) == 2 and speeds[0] != speeds[1]
    assert run_record(run)["samples/s"] == pytest.approx(statistics.mean(speeds))


def test_the_min_delta_note_gives_the_digits_that_tell_two_close_values_apart():
    """A browser check: "epoch 2's val loss 2.309 beat epoch 1's 2.309 by no more than the min delta" read as no
    change at all; the values are written with as many digits as tell them apart."""
    from zoo.engine import EarlyStopping, _within_min_delta

    stopper = EarlyStopping(patience=1, min_delta=0.1)
    history = [{"epoch": 1, "val_loss": 2.30912}, {"epoch": 2, "val_loss": 2.30871}]
    for row in history:
        stopper.step(row["val_loss"], row["epoch"])
    said = _within_min_delta(history, ExperimentSpec(), stopper)
    assert said == (" (epoch 2's val loss 2.3087 beat epoch 1's 2.3091 by no more than the min delta, so epoch 1's "
                    "weights are kept)"), said


def test_a_run_records_its_threads_and_versions_and_says_when_its_command_takes_other_threads(runs_dir, sample,
                                                                                         monkeypatch):
    """A page's run beside another job trained on one CPU thread (zoo/worker.sharing_cores), its command on two, and
    their numbers differed with nothing recorded to say why (a researcher's check). The run records the threads it
    took in turn and the versions it ran on; its command's caveat says what to set."""
    from multiprocessing import Value

    from zoo import devices, worker
    from zoo.runs import load_run, reproduce_caveat

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)   # (sharing_cores leaves a count set by the user alone)
    # a command here takes every core, whatever this process holds (tests/cores.py gives each test process a share)
    command_threads = worker.cores()
    monkeypatch.setattr(devices, "THREADS_AT_START", command_threads)
    spec = ExperimentSpec(**QUICK, epochs=1, device="cpu")
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(command_threads)   # as its command would
        alone = load_run(run_experiment(spec, runs_dir=runs_dir, data=sample).run_dir)
        assert alone.result["threads"] == [command_threads]
        assert alone.result["versions"]["torch"] == torch.__version__ and alone.result["versions"]["python"]
        assert reproduce_caveat(alone.result, False) is None   # the count its command takes: no caveat
        if worker.cores() < 2:
            pytest.skip("one core: no share of it is smaller")
        torch.set_num_threads(worker.cores())
        running = Value("i", 2)   # two jobs: this one's share is half the cores, from its first batch
        shared = load_run(run_experiment(spec, runs_dir=runs_dir, data=sample,
                                         should_stop=worker.sharing_cores(lambda: False, running)).run_dir)
        share = worker.cores() // 2
        assert shared.result["threads"] == [share]   # every batch on its share (a review: it had said two counts)
        if share != command_threads:
            assert (f"This run trained with {share} CPU thread{'s' if share != 1 else ''}, and its command would take "
                    f"{command_threads} here: set OMP_NUM_THREADS={share} before it") in \
                reproduce_caveat(shared.result, False)
        calls = []

        def another_job_ends() -> bool:   # the share grows back part way, as sharing_cores sets it
            calls.append(1)
            if len(calls) == 5:
                torch.set_num_threads(worker.cores())
            return False

        torch.set_num_threads(share)
        moved = load_run(run_experiment(spec, runs_dir=runs_dir, data=sample, should_stop=another_job_ends).run_dir)
        assert moved.result["threads"] == [share, worker.cores()]
        assert reproduce_caveat(moved.result, False) == (
            f"This run trained with {share} and then {worker.cores()} CPU threads in turn (the cores were shared "
            "with other jobs): its command, on one count of threads throughout, adds its sums in another order, so "
            "its numbers may differ from these in the last digits, and its model a little more.")
    finally:
        torch.set_num_threads(before)


def test_runs_of_one_spec_that_did_not_run_alike_are_not_said_to_train_the_same_model(runs_dir, tmp_path):
    """The Runs page said "on the same data and device the same settings train the same model" of two runs of one
    spec whose CSV had lost a line between them, their scores apart (a researcher's check)."""
    import numpy as np

    from ui.compare import same_spec_words
    from zoo.run_records import run_record
    from zoo.runs import load_run

    csv = tmp_path / "load.csv"
    values = np.sin(np.arange(300) / 5.0)
    frame = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=300, freq="h"), "load": values})
    frame.to_csv(csv, index=False)
    spec = ExperimentSpec(task="series", data=str(csv), model="linear", lookback=12, horizon=3, epochs=1,
                          device="cpu")
    first = run_record(load_run(run_experiment(spec, runs_dir=runs_dir).run_dir))
    again = run_record(load_run(run_experiment(spec, runs_dir=runs_dir).run_dir))
    assert same_spec_words([first, again]).startswith("These runs have the same spec, seed included: on the same "
                                                      "data and device the same settings train the same model")
    frame.iloc[:-1].to_csv(csv, index=False)
    changed = run_record(load_run(run_experiment(spec, runs_dir=runs_dir).run_dir))
    said = same_spec_words([first, changed])
    assert said.startswith("These runs have the same spec, seed included, but did not run alike (the data file's "
                           "contents changed between them): their numbers can differ for that"), said
    other = {**changed, "versions": {**changed["versions"], "torch": "2.13.0"}}
    assert f"torch {first['run']}: {torch.__version__}; {other['run']}: 2.13.0" in same_spec_words([first, other])


def test_a_trained_model_used_outside_the_app_gives_the_runs_numbers_from_its_recorded_input_scaling(runs_dir,
                                                                                                   tmp_path):
    """A developer's check: a run's best.pt used in their own code gave plausible, wrong numbers on raw inputs; the
    mean and deviation the model's inputs were scaled by were in no file of the run. result.json's input_scaling
    says how (README, "From Python"), and with it alone the run's forecast and test accuracy come back."""
    import numpy as np

    from zoo.data.images import read_raw
    from zoo.runs import load_run

    csv = tmp_path / "load.csv"
    values = 50 + 10 * np.sin(np.arange(400) / 6.0) + np.arange(400) * 0.05
    pd.DataFrame({"time": pd.date_range("2024-01-01", periods=400, freq="h"), "load": values.round(3)}).to_csv(
        csv, index=False)
    spec = ExperimentSpec(task="series", data=str(csv), model="mlp", lookback=24, horizon=6, epochs=2, device="cpu")
    run = load_run(run_experiment(spec, runs_dir=runs_dir).run_dir)
    scaling = run.result["input_scaling"]
    assert scaling["columns"] == ["load"]
    mean, std = np.array(scaling["mean"]), np.array(scaling["std"])
    raw = pd.read_csv(csv)[scaling["columns"]].to_numpy(np.float64)[-24:]
    x = torch.tensor((raw - mean) / std, dtype=torch.float32)[None]
    with torch.no_grad():
        forecast = run.model(x)[0].double().numpy() * std[-1] + mean[-1]
    assert forecast == pytest.approx(run.table("forecast")["forecast"].to_numpy(), rel=1e-5)

    image = load_run(run_experiment(ExperimentSpec(**QUICK, epochs=1, device="cpu"), runs_dir=runs_dir).run_dir)
    scaling = image.result["input_scaling"]
    _, _, test_x, test_y = read_raw("mnist-sample", None)   # the pixels as stored, 0-255
    x = ((test_x.float() / 255 - scaling["mean"]) / scaling["std"]).unsqueeze(1)
    with torch.no_grad():
        accuracy = (image.model(x).argmax(1) == test_y).double().mean().item()
    assert accuracy == pytest.approx(image.result["metrics"]["test_accuracy"], abs=1e-9)
