"""The training loop: one ExperimentSpec in, a trained model with its best weights out.

Data sits on the training device as whole tensors and is sliced by shuffled indices (no
DataLoader), early stopping decides when to stop, the best weights are restored whatever ended
training (finished, early stop, a stop request, divergence), and progress goes to a callback as
events. `run_experiment` adds the run store around `fit`.
"""
from __future__ import annotations

import math
import time
import traceback
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from zoo.data import TensorData, load_data
from zoo.registry import SpecError, build
from zoo.runs import RunWriter, runs_root
from zoo.spec import ExperimentSpec

Callback = Callable[[dict], None]
BATCH_EVENT_INTERVAL_S = 0.2
EVAL_BATCH = 2048


class EarlyStopping:
    """Tracks the monitored value; `step(value)` returns True when training should stop.

    The seed's version returned nothing and never set its minimum; this one says when to stop,
    remembers the best epoch, and treats patience=0 as "never stop early".
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


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` picks cuda, then mps, then cpu; a named device must exist here."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise SpecError(f"device {name!r} is not a device name; use auto, cpu, cuda, cuda:N or mps.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SpecError(f"device {name!r} is not available here (no CUDA GPU); use auto or cpu.")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise SpecError(f"device {name!r} does not exist: this machine has {torch.cuda.device_count()} GPU(s).")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise SpecError(f"device {name!r} is not available here (no Apple GPU); use auto or cpu.")
    return device


def check_precision(precision: str, device: torch.device) -> None:
    if precision == "fp16" and device.type != "cuda":
        raise SpecError(f"precision fp16 needs a CUDA GPU (autocast with GradScaler), and this run is on "
                        f"{device.type}; use fp32, bf16 or fp64.")
    if precision == "fp64" and device.type == "mps":
        raise SpecError("precision fp64 is not supported on mps; use fp32 or bf16.")


INITS = {
    "xavier_uniform": nn.init.xavier_uniform_,
    "xavier_normal": nn.init.xavier_normal_,
    "kaiming_uniform": lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"),
    "kaiming_normal": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
    "orthogonal": nn.init.orthogonal_,
    "normal": lambda w: nn.init.normal_(w, 0.0, 0.01),
    "zeros": nn.init.zeros_,
}


def weight_init(scheme: str) -> Callable[[nn.Module], None] | None:
    """A function for `model.apply(...)` that re-initialises each layer's own weights.

    Weights are the matrices and kernels (2-D or more): Linear, Conv, the RNN's weight_ih/hh, and
    for weight-normed convolutions the direction `original1`. Biases become zero. Norm layers keep
    their ones-and-zeros. `default` keeps PyTorch's own initialisation.
    """
    if scheme == "default":
        return None
    init = INITS[scheme]

    def apply(module: nn.Module) -> None:
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)):
            return
        for name, param in module.named_parameters(recurse=False):
            if param.dim() >= 2:
                init(param.data)
            elif name.startswith("bias"):
                nn.init.zeros_(param.data)
        parametrizations = getattr(module, "parametrizations", None)
        if parametrizations is not None and "weight" in parametrizations:
            init(parametrizations.weight.original1.data)

    return apply


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
        return {
            "run_id": self.run_id, "run_dir": str(self.run_dir) if self.run_dir else None,
            "status": self.status, "reason": self.reason, "epochs_run": self.epochs_run,
            "best_epoch": self.best_epoch, "best_value": self.best_value, "metrics": self.test_metrics,
            "device": self.device, "seconds": round(self.seconds, 3), **self.extra,
        }


def _loss_fn(task: str):
    return F.cross_entropy if task == "image" else F.mse_loss


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, task: str, autocast=nullcontext) -> tuple[float, float]:
    """(mean loss, metric) over a split, in eval mode: accuracy for images, MAE for series."""
    model.eval()
    loss_sum, metric_sum = 0.0, 0.0
    for start in range(0, len(x), EVAL_BATCH):
        xb, yb = x[start:start + EVAL_BATCH], y[start:start + EVAL_BATCH]
        with autocast():
            out = model(xb)
        out = out.float()
        if task == "image":
            loss_sum += F.cross_entropy(out, yb, reduction="sum").item()
            metric_sum += (out.argmax(1) == yb).sum().item()
        else:
            yb = yb.float()
            loss_sum += F.mse_loss(out, yb, reduction="sum").item() / yb.shape[1]
            metric_sum += (out - yb).abs().mean(dim=1).sum().item()
    n = max(1, len(x))
    return loss_sum / n, metric_sum / n


def _cpu_state(model: nn.Module) -> dict:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def _use_channels_last(model: nn.Module, data: TensorData, device: torch.device) -> bool:
    """LeNet's training batches ran 1.06-1.28x faster on the CPU (oneDNN) with the weights in
    channels-last layout (two alternated measurements on this noisy 2-core machine; with the fused
    optimizer step, 1.4-1.45x together); the numbers are the same up to rounding. Only where
    measured: image batches through a model with a Conv2d, on the CPU."""
    return (device.type == "cpu" and data.x_train.dim() == 4
            and any(isinstance(m, nn.Conv2d) for m in model.modules()))


def fit(spec: ExperimentSpec, *, data: TensorData | None = None, data_dir=None, writer: RunWriter | None = None,
        callback: Callback | None = None, should_stop: Callable[[], bool] | None = None) -> FitResult:
    """Train the spec's model; return the result with the best weights restored."""
    spec.validate()
    emit = callback or (lambda event: None)
    should_stop = should_stop or (lambda: False)
    device = resolve_device(spec.device)
    check_precision(spec.precision, device)
    if data is None:
        data = load_data(spec, data_dir)
    dtype = torch.float64 if spec.precision == "fp64" else torch.float32
    data.to(device, dtype)

    torch.manual_seed(spec.seed)
    model = build(spec.model, data.shape, spec.model_params)
    init = weight_init(spec.init)
    if init is not None:
        model.apply(init)
    model.to(device=device, dtype=dtype)
    channels_last = _use_channels_last(model, data, device)
    if channels_last:
        model.to(memory_format=torch.channels_last)

    params = model.parameters()
    # One fused kernel per step instead of a dozen foreach ops: the optimizer step is a fair share of
    # a small model's batch on the CPU (bench/train_speed.py).
    fused = {"fused": True} if device.type in ("cpu", "cuda") else {}
    if spec.optimizer == "sgd":
        optimizer = torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum, weight_decay=spec.weight_decay,
                                    **fused)
    elif spec.optimizer == "adamw":
        optimizer = torch.optim.AdamW(params, lr=spec.lr, weight_decay=spec.weight_decay, **fused)
    else:
        optimizer = torch.optim.Adam(params, lr=spec.lr, weight_decay=spec.weight_decay, **fused)
    if spec.schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=spec.epochs)
    elif spec.schedule == "step":
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, spec.epochs // 3), gamma=0.1)
    else:
        scheduler = None

    if spec.precision in ("bf16", "fp16"):
        amp_dtype = torch.bfloat16 if spec.precision == "bf16" else torch.float16
        autocast = lambda: torch.autocast(device_type=device.type, dtype=amp_dtype)  # noqa: E731
    else:
        autocast = nullcontext
    scaler = torch.amp.GradScaler("cuda") if spec.precision == "fp16" else None

    monitor_mode = "max" if (spec.monitor == "val_metric" and data.task == "image") else "min"
    stopper = EarlyStopping(spec.patience, spec.min_delta, monitor_mode)
    loss_fn = _loss_fn(data.task)
    shuffle = torch.Generator().manual_seed(spec.seed)

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
    status, reason = "finished", f"completed all {spec.epochs} epochs"
    reference_loss = None
    step = 0
    started = time.perf_counter()
    for epoch in range(1, spec.epochs + 1):
        model.train()
        epoch_start = time.perf_counter()
        order = torch.randperm(n_train, generator=shuffle).to(device)
        loss_total, seen = 0.0, 0
        window_loss, window_batches, last_emit = 0.0, 0, time.perf_counter()
        interrupted = None
        for b in range(batches):
            if should_stop():
                interrupted = ("stopped", f"stopped by request during epoch {epoch}")
                break
            idx = order[b * spec.batch_size:(b + 1) * spec.batch_size]
            xb, yb = data.x_train[idx], data.y_train[idx]
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            with autocast():
                out = model(xb)
                loss = loss_fn(out.float(), yb.float() if data.task == "series" else yb)
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                interrupted = ("diverged", f"the training loss became {loss_value} in epoch {epoch}, batch {b + 1}; "
                                           "lower the learning rate")
                break
            if reference_loss is None:
                reference_loss = max(loss_value, 1e-12)
            elif loss_value > spec.divergence_factor * reference_loss:
                interrupted = ("diverged", f"the training loss exploded to {loss_value:.3g} "
                                           f"(over {spec.divergence_factor:g} times the first batch's "
                                           f"{reference_loss:.3g}) in epoch {epoch}; lower the learning rate")
                break
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            step += 1
            loss_total += loss_value * len(idx)
            seen += len(idx)
            window_loss += loss_value
            window_batches += 1
            now = time.perf_counter()
            if now - last_emit >= BATCH_EVENT_INTERVAL_S or b == batches - 1:
                emit({"type": "batch", "epoch": epoch, "batch": b + 1, "batches": batches, "step": step,
                      "loss": window_loss / window_batches, "samples_per_s": seen / max(now - epoch_start, 1e-9)})
                window_loss, window_batches, last_emit = 0.0, 0, now
        train_seconds = time.perf_counter() - epoch_start
        if interrupted:
            status, reason = interrupted
            break

        val_loss, val_metric = evaluate(model, data.x_val, data.y_val, data.task, autocast)
        lr = optimizer.param_groups[0]["lr"]
        if scheduler is not None:
            scheduler.step()
        row = {"epoch": epoch, "train_loss": loss_total / max(seen, 1), "val_loss": val_loss,
               "val_metric": val_metric, "lr": lr, "seconds": train_seconds,
               "samples_per_s": seen / max(train_seconds, 1e-9)}
        history.append(row)
        if writer:
            writer.append_metrics(row)
        monitored = val_loss if spec.monitor == "val_loss" else val_metric
        if not math.isfinite(val_loss):
            status, reason = "diverged", f"the validation loss became {val_loss} after epoch {epoch}; lower the learning rate"
            emit({"type": "epoch", **row, "best_epoch": stopper.best_epoch, "patience_counter": stopper.counter,
                  "patience": spec.patience})
            break
        stop_early = stopper.step(monitored, epoch)
        improved = stopper.best_epoch == epoch
        if improved:
            best_state = _cpu_state(model)
            if writer:
                writer.save_best(best_state)
        emit({"type": "epoch", **row, "best_epoch": stopper.best_epoch, "patience_counter": stopper.counter,
              "patience": spec.patience, "improved": improved})
        if improved:
            emit({"type": "best", "epoch": epoch, "value": monitored})
        if stop_early:
            status = "early_stopped"
            reason = (f"{spec.monitor} did not improve by more than {spec.min_delta:g} for {spec.patience} epochs; "
                      f"best was epoch {stopper.best_epoch}")
            break

    model.load_state_dict(best_state)
    if channels_last:
        model.to(memory_format=torch.contiguous_format)  # hand back an ordinary module
    test_loss, test_metric = evaluate(model, data.x_test, data.y_test, data.task, autocast)
    if data.task == "image":
        test_metrics = {"test_loss": test_loss, "test_accuracy": test_metric}
    else:
        test_metrics = {"test_loss": test_loss, "test_mae_norm": test_metric}
    model.eval()
    result = FitResult(status=status, reason=reason, epochs_run=len(history), best_epoch=stopper.best_epoch,
                       best_value=stopper.best, test_metrics=test_metrics, history=history, model=model,
                       data=data, device=str(device), seconds=time.perf_counter() - started)
    return result


def shape_dict(data: TensorData) -> dict:
    import dataclasses

    return dataclasses.asdict(data.shape)


def run_experiment(spec: ExperimentSpec, *, runs_dir=None, data_dir=None, run_id: str | None = None,
                   callback: Callback | None = None, should_stop: Callable[[], bool] | None = None,
                   data: TensorData | None = None) -> FitResult:
    """fit() with a run directory: spec.json first, metrics as they come, result.json at the end.

    Bad input (SpecError) raises before anything is written. A fault while training writes
    result.json with status `failed` and the message, keeps the best checkpoint, then re-raises.
    """
    spec.validate()
    device = resolve_device(spec.device)
    check_precision(spec.precision, device)
    if data is None:
        data = load_data(spec, data_dir)
    writer = RunWriter(runs_root(runs_dir), spec, run_id)
    base = {"run_id": writer.run_id, "shape": shape_dict(data), "sizes": data.sizes(),
            "class_names": data.class_names}
    writer.write_result({**base, "status": "running", "started": time.time()})
    emit = callback or (lambda event: None)
    emit({"type": "run", "run_id": writer.run_id, "run_dir": str(writer.path)})
    try:
        result = fit(spec, data=data, writer=writer, callback=callback, should_stop=should_stop)
        result.run_id, result.run_dir = writer.run_id, writer.path
        if data.task == "series":
            from zoo.forecast import evaluate_forecast, write_report

            report = evaluate_forecast(result.model, data.extra["windows"], device=result.device)
            write_report(report, writer.path)
            result.test_metrics = report.metrics
            result.extra.update(report.summary_extra())
        writer.save_best(_cpu_state(result.model))
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        writer.write_result({**base, "status": "failed", "reason": f"{type(exc).__name__}: {message}",
                             "traceback": traceback.format_exc(), "finished": time.time()})
        emit({"type": "finished", "status": "failed", "reason": message, "run_id": writer.run_id})
        raise
    summary = {**base, **result.summary(), "history": result.history, "finished": time.time()}
    writer.write_result(summary)
    emit({"type": "finished", **{k: v for k, v in summary.items() if k != "history"}})
    return result
