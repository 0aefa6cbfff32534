"""The training loop: one ExperimentSpec in, a trained model with its best weights out.

Data sits on the training device as whole tensors and is sliced by shuffled indices (no
DataLoader), early stopping decides when to stop, the best weights are restored whatever ended
training (finished, early stop, a stop request, divergence), and progress goes to a callback as
events. `run_experiment` adds the run directory around `fit`. What differs between tasks (loss,
metric, what runs after training) comes from the task table (zoo/registry.py).

The loss is summed on the device and read back every `sync_every` batches (1 on the CPU, where
reading it costs nothing; 16 on a GPU, where `.item()` would make the CPU wait for the GPU at
every step, and the zoo's small models would be bound by that wait instead of by the GPU).
Divergence is judged at each read, so it is caught within that many batches. The step itself and
the sums it feeds are in zoo/steps.py, with the opt-in CUDA graph of the step (`cuda_graph`).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from zoo.data import TensorData, load_data
from zoo.data.images import reads_data_dir
from zoo.devices import check_device_settings, numerics, resolve_device, software_versions
from zoo.initialisation import weight_init
from zoo.registry import build, get_task, resolve
from zoo.verdict import judge
from zoo import demo
from zoo.run_health import end_on_fault, end_on_quit, process_identity
from zoo.runs import RunWriter, data_fingerprint, ended_untrained, runs_root
from zoo.spec import ExperimentSpec
from zoo.steps import GraphStep, Tally, eager_step

Callback = Callable[[dict], None]
BATCH_EVENT_INTERVAL_S = 0.2
EVAL_BATCH = 2048
GPU_SYNC_EVERY = 16


class EarlyStopping:
    """Tracks the monitored value; `step(value)` returns True when training should stop.

    It says when to stop, remembers the best epoch, and treats patience=0 as "never stop early"
    (the source material's version returned nothing and never set its minimum:
    docs/architecture.md, "Faults of the source material").
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, mode: str = "min"):
        if mode not in ("min", "max"):
            raise ValueError("mode must be min or max")
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best: float | None = None
        self.best_epoch = 0
        self.counter = 0

    def is_improvement(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, value: float, epoch: int) -> bool:
        """Record `value` for `epoch`; True means stop now."""
        if self.is_improvement(value):
            self.best, self.best_epoch, self.counter = value, epoch, 0
            return False
        self.counter += 1
        return self.patience > 0 and self.counter >= self.patience


def _within_min_delta(history: list[dict], spec, stopper: EarlyStopping) -> str:
    """Where a later epoch did better by no more than min delta: said, since its weights are not the ones
    kept (min delta decides what counts as better, for the best checkpoint as for stopping, as in Keras's
    EarlyStopping; a learner took epoch 2 for a mistake beside epoch 3's lower loss)."""
    key = "val_loss" if spec.monitor == "val_loss" else "val_metric"
    later = [row for row in history if row["epoch"] > stopper.best_epoch and math.isfinite(row[key])]
    if not later:
        return ""
    pick = (min if stopper.mode == "min" else max)(later, key=lambda row: row[key])
    if not (pick[key] < stopper.best if stopper.mode == "min" else pick[key] > stopper.best):
        return ""
    label = get_task(spec.task).label(spec.monitor)
    # with the digits that tell the two apart: "2.309 beat epoch 1's 2.309" read as no change (a browser check)
    digits = next((d for d in range(4, 17) if f"{pick[key]:.{d}g}" != f"{stopper.best:.{d}g}"), 17)
    return (f" (epoch {pick['epoch']}'s {label} {pick[key]:.{digits}g} beat epoch {stopper.best_epoch}'s "
            f"{stopper.best:.{digits}g} by no more than the min delta, so epoch {stopper.best_epoch}'s weights are kept)")


@dataclass
class FitResult:
    status: str
    reason: str
    epochs_run: int
    best_epoch: int
    best_value: float | None
    test_metrics: dict
    history: list[dict]
    model: nn.Module
    data: TensorData
    device: str
    seconds: float
    run_id: str | None = None
    run_dir: Path | None = None
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """result.json's fields and the CLI's --json. `untrained` says that the run ended before any epoch did
        (zoo/runs.ended_untrained): its "metrics" are then the initial weights' (a chance-level accuracy), kept as
        data, as the pages show them flagged; a script read them as a result beside `best_epoch: 0`."""
        return {
            "run_id": self.run_id, "run_dir": str(self.run_dir) if self.run_dir else None,
            "status": self.status, "reason": self.reason, "epochs_run": self.epochs_run,
            "best_epoch": self.best_epoch, "best_value": self.best_value,
            "untrained": ended_untrained({"status": self.status, "best_epoch": self.best_epoch}),
            "metrics": self.test_metrics,
            "device": self.device, "seconds": round(self.seconds, 3), **self.extra,
        }


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, task: str, autocast=None) -> tuple[float, float]:
    """(mean loss, mean metric) over a split, in eval mode: accuracy for images, MAE for series (over the
    targets the file held: Task.scored)."""
    spec_task = get_task(task)
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=x.device)
    metric_sum = torch.zeros((), dtype=torch.float64, device=x.device)
    scored = torch.zeros((), dtype=torch.float64, device=x.device)
    for start in range(0, len(x), EVAL_BATCH):
        xb, yb = x[start:start + EVAL_BATCH], y[start:start + EVAL_BATCH]
        with (autocast or _no_autocast)():
            out = model(xb)
        loss_sum += spec_task.loss(out.float(), yb, reduction="sum")
        metric_sum += spec_task.metric_sum(out.float(), yb)
        scored += spec_task.scored(yb)
    n = scored.item() or 1.0   # (an empty split: 0, as before)
    return loss_sum.item() / n, metric_sum.item() / n


def _no_autocast():
    from contextlib import nullcontext

    return nullcontext()


def _cpu_state(model: nn.Module) -> dict:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def _use_channels_last(model: nn.Module, data: TensorData, device: torch.device) -> bool:
    """LeNet's training batches ran 1.06-1.28x faster on the CPU (oneDNN) with the weights in
    channels-last layout (two alternated measurements on this noisy 2-core machine; with the fused
    optimizer step, 1.4-1.45x together); the numbers are the same up to rounding. Only where
    measured: image batches through a model with a Conv2d, on the CPU."""
    return (device.type == "cpu" and data.x_train.dim() == 4
            and any(isinstance(m, nn.Conv2d) for m in model.modules()))


OPTIMIZERS = {
    "adam": lambda params, spec, fused: torch.optim.Adam(params, lr=spec.lr, weight_decay=spec.weight_decay, **fused),
    "adamw": lambda params, spec, fused: torch.optim.AdamW(params, lr=spec.lr, weight_decay=spec.weight_decay,
                                                           **fused),
    "sgd": lambda params, spec, fused: torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum,
                                                       weight_decay=spec.weight_decay, **fused),
}
SCHEDULES = {
    "none": lambda optimizer, spec: None,
    "cosine": lambda optimizer, spec: torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=spec.epochs),
    "step": lambda optimizer, spec: torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, spec.epochs // 3),
                                                                    gamma=0.1),
}


def make_optimizer(model: nn.Module, spec: ExperimentSpec, device: torch.device, *, graph: bool = False):
    # One fused kernel per step instead of a dozen foreach ops: the optimizer step is a fair share of
    # a small model's batch on the CPU (bench/train_speed.py).
    fused = {"fused": True} if device.type in ("cpu", "cuda") else {}
    optimizer = OPTIMIZERS[spec.optimizer](model.parameters(), spec, fused)
    if graph:
        # Stepped inside a CUDA graph (zoo/steps.py): the state on the device (`capturable`: Adam,
        # AdamW; SGD keeps none on the host), and the learning rate a device tensor that a schedule
        # updates in place (a float would be baked into the captured kernel).
        for group in optimizer.param_groups:
            group["lr"] = torch.tensor(group["lr"], dtype=torch.float32, device=device)
            if "capturable" in group:
                group["capturable"] = True
        # The warm-up steps and each epoch's short last batch step it uncaptured, on purpose: torch's
        # warning that capturable=True without a capture "can impair performance" does not apply.
        optimizer._warned_capturable_if_run_uncaptured = True
    return optimizer, SCHEDULES[spec.schedule](optimizer, spec)


class Divergence:
    """Judges the summed losses read back from the device: a non-finite loss, or one that exploded
    past `factor` times the first batch's."""

    def __init__(self, factor: float):
        self.factor, self.reference = factor, None

    def check(self, window_max: float, epoch: int, batch: int) -> str | None:
        if not math.isfinite(window_max):
            return f"the training loss became {window_max} in epoch {epoch}, by batch {batch}; lower the learning rate"
        if self.reference is None:
            self.reference = max(window_max, 1e-12)
        elif window_max > self.factor * self.reference:
            return (f"the training loss exploded to {window_max:.3g} (over {self.factor:g} times the first "
                    f"batches' {self.reference:.3g}) in epoch {epoch}, by batch {batch}; lower the learning rate")
        return None


def fit(spec: ExperimentSpec, *, data: TensorData | None = None, data_dir=None, writer: RunWriter | None = None,
        callback: Callback | None = None, should_stop: Callable[[], bool] | None = None,
        sync_every: int | None = None, test: bool = True) -> FitResult:
    """Train the spec's model; return the result with the best weights restored, and its test metrics unless
    `test` is False (run_experiment, for a task whose after_fit scores the test split itself).

    `data` is left as it was: what trains is a copy moved to the run's device and dtype (a copy only
    where it must move), so one loaded dataset can serve many runs. `sync_every`: batches between two
    reads of the loss (default 1 on the CPU, GPU_SYNC_EVERY on a GPU); the tests set it to run the
    GPU's interval on the CPU."""
    spec.validate()
    task = get_task(spec.task)
    emit = callback or (lambda event: None)
    should_stop = should_stop or (lambda: False)
    device = resolve_device(spec.device)
    check_device_settings(spec, device)
    num = numerics(spec.precision, device)
    if data is None:
        data = load_data(spec, data_dir)
    data = data.to(device, num.dtype)

    torch.manual_seed(spec.seed)
    model = build(spec.model, data.shape, spec.model_params)
    init = weight_init(spec.init)
    if init is not None:
        model.apply(init)
    model.to(device=device, dtype=num.dtype)
    channels_last = _use_channels_last(model, data, device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer, scheduler = make_optimizer(model, spec, device, graph=spec.cuda_graph)
    # Min delta is early stopping's: with early stopping off (patience 0) the best checkpoint is the best epoch. It had
    # kept epoch 1 (63% val accuracy) of three that reached 85.5%, min delta 0.5 set with patience 0, unsaid (a learner).
    stopper = EarlyStopping(spec.patience, spec.min_delta if spec.patience > 0 else 0.0, task.direction(spec.monitor))
    divergence = Divergence(spec.divergence_factor)
    shuffle = torch.Generator().manual_seed(spec.seed)
    sync_every = sync_every or (1 if device.type == "cpu" else GPU_SYNC_EVERY)
    tally = Tally(device)
    graph_step = (GraphStep(model, optimizer, task.loss, num, tally, data.x_train, data.y_train, spec.batch_size,
                            spec.model) if spec.cuda_graph else None)

    # Epoch 0's checkpoint is the initial model, so a run that diverges or is stopped in its first
    # epoch still ends with a loadable best.pt.
    best_state = _cpu_state(model)
    if writer:
        writer.save_best(best_state)
    n_train = len(data.x_train)
    batches = max(1, math.ceil(n_train / spec.batch_size))
    emit({"type": "start", "device": str(device), "epochs": spec.epochs, "batches_per_epoch": batches,
          "n_train": n_train, "sizes": data.sizes()})

    history: list[dict] = []
    status, reason = "finished", (f"completed all {spec.epochs} epochs" if spec.epochs != 1 else
                                  "completed its one epoch")
    step = 0
    # The CPU threads it trained with: sums over another count add in another order, and the numbers differ in their
    # last digits (a researcher's check found a page run beside another job apart from its own command's)
    threads: dict = {}   # (in the order taken; read at each batch, after should_stop, which sets a worker's share
    # of the cores before its first: read before it, a run on its share throughout had said it took two counts)
    started = time.perf_counter()
    for epoch in range(1, spec.epochs + 1):
        model.train()
        epoch_start = time.perf_counter()
        order = torch.randperm(n_train, generator=shuffle).to(device)
        tally.new_epoch()
        seen, window_batches, last_emit = 0, 0, time.perf_counter()
        interrupted = None
        for b in range(batches):
            stop = should_stop()
            threads.setdefault(torch.get_num_threads())   # after should_stop, which may share cores (zoo/worker.py)
            if stop:   # True, or a reason (the hosted demo's wall-time cap, say); a reason keeps its class
                interrupted = ("stopped", type(stop)(f"{stop} during epoch {epoch}") if isinstance(stop, str)
                               else f"stopped by request during epoch {epoch}")
                break
            idx = order[b * spec.batch_size:(b + 1) * spec.batch_size]
            if graph_step is not None:
                graph_step(idx)
            else:
                xb, yb = data.x_train[idx], data.y_train[idx]
                if channels_last:
                    xb = xb.contiguous(memory_format=torch.channels_last)
                eager_step(model, optimizer, task.loss, num, tally, xb, yb)
            step += 1
            window_batches += 1
            seen += len(idx)
            last_batch = b == batches - 1
            if window_batches % sync_every and not last_batch:
                continue
            # A read: the only point where the CPU waits for the device.
            total, worst = tally.window_sum.item(), tally.window_max.item()
            problem = divergence.check(worst, epoch, b + 1)
            if problem:
                interrupted = ("diverged", problem)
                if math.isfinite(worst):   # the loss the message names, on the chart too (a learner saw one
                    # point of 2.3 beside "exploded to 2.18e+05 by batch 2"); the window's worst batch, not its mean
                    emit({"type": "batch", "epoch": epoch, "batch": b + 1, "batches": batches, "step": step,
                          "loss": worst, "samples_per_s": seen / max(time.perf_counter() - epoch_start, 1e-9)})
                break
            now = time.perf_counter()
            if now - last_emit >= BATCH_EVENT_INTERVAL_S or last_batch or step == 1:   # the chart starts at once
                emit({"type": "batch", "epoch": epoch, "batch": b + 1, "batches": batches, "step": step,
                      "loss": total / window_batches, "samples_per_s": seen / max(now - epoch_start, 1e-9)})
                tally.new_window()
                window_batches, last_emit = 0, now
        train_seconds = time.perf_counter() - epoch_start
        if interrupted:
            status, reason = interrupted
            break

        val_loss, val_metric = evaluate(model, data.x_val, data.y_val, spec.task, num.autocast)
        lr = float(optimizer.param_groups[0]["lr"])
        if scheduler is not None:
            scheduler.step()
        row = {"epoch": epoch, "train_loss": tally.epoch_sum.item() / max(seen, 1), "val_loss": val_loss,
               "val_metric": val_metric, "lr": lr, "seconds": train_seconds,
               "samples_per_s": seen / max(train_seconds, 1e-9)}
        history.append(row)
        monitored = val_loss if spec.monitor == "val_loss" else val_metric
        diverged = not math.isfinite(val_loss)   # its row is kept, as every epoch's, and no best is taken from it
        stop_early = improved = False
        if not diverged:
            stop_early = stopper.step(monitored, epoch)
            improved = stopper.best_epoch == epoch
        if improved:
            best_state = _cpu_state(model)
            if writer:
                writer.save_best(best_state, epoch=epoch, value=monitored, row=row)
        # The row after the epoch's checkpoint: a row on disk means its best is kept. A second Ctrl-C right after
        # the row, before best.pt, had kept epoch 0's weights (tests/test_cli.py's quit at once, now and then).
        # A kill between the two leaves the row with the checkpoint, for zoo/runs.end_run to write.
        if writer:
            writer.append_metrics(row)
        emit({"type": "epoch", **row, "best_epoch": stopper.best_epoch, "patience_counter": stopper.counter,
              "patience": spec.patience, "improved": improved})
        if diverged:
            status = "diverged"
            reason = f"the validation loss became {val_loss} after epoch {epoch}; lower the learning rate"
            break
        if improved:
            emit({"type": "best", "epoch": epoch, "value": monitored})
        # Patience run out with the last epoch ends no run early: every epoch asked for ran (it was said "stopped
        # early, 10/10 epochs": a demo visitor's check)
        if stop_early:
            epochs = f"{spec.patience} epoch{'s' if spec.patience != 1 else ''}"
            by = f" by more than {spec.min_delta:g}" if spec.min_delta else ""   # "by more than 0": a forecast user
            if epoch == spec.epochs:   # said all the same: more epochs alone would end at the same epoch (a review)
                reason += (f"; {task.label(spec.monitor)} had not improved{by} in its last {epochs} (best was epoch "
                           f"{stopper.best_epoch}): more epochs need a higher patience too")
                break
            status = "early_stopped"
            reason = (f"{task.label(spec.monitor)} did not improve{by} for {epochs}; "
                      f"best was epoch {stopper.best_epoch}")
            reason += _within_min_delta(history, spec, stopper)
            break

    if status == "finished":   # a later epoch better by no more than min delta: said, as when it stopped early
        reason += _within_min_delta(history, spec, stopper)
    model.load_state_dict(best_state)
    if channels_last:
        model.to(memory_format=torch.contiguous_format)  # hand back an ordinary module
    # Said while it lasts: a Stop's "ends after the current batch" had stood for 11 minutes while an lstm of lookback
    # 5,000 was tested and backtested, as if the Stop had not been heard (a learner's check)
    test_metrics = {}
    if test:
        weights = "the initial weights (no epoch finished)" if stopper.best_epoch == 0 else \
            f"the best weights (epoch {stopper.best_epoch})"
        emit({"type": "phase", "words": f"Training has ended: testing {weights} on the {len(data.x_test):,} test "
                                        "samples"})
        test_loss, test_metric = evaluate(model, data.x_test, data.y_test, spec.task, num.autocast)
        test_metrics = {"test_loss": test_loss, task.test_metric: test_metric}
    model.eval()
    return FitResult(status=status, reason=reason, epochs_run=len(history), best_epoch=stopper.best_epoch,
                     best_value=stopper.best, test_metrics=test_metrics,
                     history=history, model=model, data=data, device=str(device),
                     seconds=time.perf_counter() - started,
                     extra={"threads": list(threads or [torch.get_num_threads()])})


def run_experiment(spec: ExperimentSpec, *, runs_dir=None, data_dir=None, run_id: str | None = None,
                   callback: Callback | None = None, should_stop: Callable[[], bool] | None = None,
                   data: TensorData | None = None, owner: str | None = None,
                   sync_every: int | None = None, search: dict | None = None) -> FitResult:
    """fit() with a run directory: spec.json first, metrics as they come, result.json at the end.

    Bad input (SpecError), a run past the hosted demo's caps (zoo/demo.py) and a runs directory
    that cannot be written raise before anything else is written. A fault while training writes
    result.json with status `failed` and the message, keeps the best checkpoint, then re-raises.
    `owner` (a visitor, zoo/demo.py) is recorded in result.json, and `search` (a search trial's study and number,
    zoo/search/study.py) from its first write: a trial whose worker was killed had lost it, and was listed on Runs
    as a run of its own under "Hide search trials" (a Ray user's check).
    """
    spec.validate()
    check_device_settings(spec, resolve_device(spec.device))
    task = get_task(spec.task)
    demo.check_spec(spec, n_train=demo.known_train_samples(spec))   # before reading data it may refuse
    if data is None:
        data = load_data(spec, data_dir)
    demo.check_spec(spec, n_train=len(data.x_train))
    demo.check_memory(spec, data.shape)
    demo.check_checkpoint_room(owner, runs_root(runs_dir), spec, data.shape)
    writer = RunWriter(runs_root(runs_dir), spec, run_id)
    # in every result.json written, the last one too (Run.started)
    base = {"run_id": writer.run_id, "shape": data.shape.to_dict(), "sizes": data.sizes(),
            "class_names": data.class_names, "owner": owner, "process": process_identity(),
            "versions": software_versions(), "started": time.time(), **({"search": search} if search else {})}
    if scaling := data.input_scaling():
        base["input_scaling"] = scaling
    if fingerprint := data_fingerprint(spec.data):   # the file as read: its page says if it changes after (runs.py)
        base["data_file"] = fingerprint
    elif data_dir is not None and reads_data_dir(spec.data):   # a dataset's folder given, not the default: read
        base["data_dir"] = str(Path(data_dir).resolve())         # again from there (Run.data_dir)
    emit = callback or (lambda event: None)
    try:   # (a disk that refuses result.json, or a Ctrl-C, from here on ends the run as one in training does)
        writer.write_result({**base, "status": "running"})
        emit({"type": "run", "run_id": writer.run_id, "run_dir": str(writer.path)})
        # A series' after_fit scores the test split (its backtest) and its metrics replace the engine's: the engine's
        # own pass over it was thrown away, a third of the wait after training (an lstm of lookback 5,000: minutes)
        result = fit(spec, data=data, writer=writer, callback=callback, should_stop=should_stop,
                     sync_every=sync_every, test=not task.after_fit)
        result.run_id, result.run_dir = writer.run_id, writer.path
        if task.after_fit:
            emit({"type": "phase", "words": f"Training has ended: {task.after_fit_words}"})
            result.extra.update(resolve(task.after_fit)(result, data, writer))
        if result.best_epoch >= 1:   # the best weights trained (a diverged or stopped run's too): judged
            result.extra["verdict"] = judge(spec, result, data)
        writer.save_best(_cpu_state(result.model))
    except KeyboardInterrupt:
        raise end_on_quit(writer.path, "the best checkpoint so far is kept", emit, writer.run_id) from None
    except Exception as exc:
        files = end_on_fault(writer.path, base, exc, emit, writer.run_id)
        if files is not None:
            raise files from None
        raise
    if result.status == "stopped" and getattr(result.reason, "status", None) == "failed":
        # A stop nobody asked for (the server that ran the job is gone: zoo/worker.py's ServerGone) ends
        # the run failed, in this one last write. `fit`'s callers (a leaderboard's folds) see a stop.
        result.status = "failed"
    summary = {**base, **result.summary(), "finished": time.time()}
    writer.write_result(summary)
    emit({"type": "finished", **summary})
    return result
