"""One training step of the engine's loop (zoo/engine.py), and the loss tally it keeps on the device.

`Tally` holds the sums the loop reads back every `sync_every` batches: the epoch's loss x samples,
and the sum and the largest loss of the batches since the last read. They live on the training
device and are updated in place, so adding a batch's loss never makes the CPU wait for the GPU,
and a captured CUDA graph can update them too. `torch.maximum` carries a NaN or an inf through, so
the read sees it whichever batch it came from.

`eager_step` is the ordinary step. `GraphStep` (the spec's opt-in `cuda_graph`, CUDA only) runs the
same step, gather of the batch and tally included, as one captured CUDA graph: a replay is one
launch where the eager step is some fifty, and the zoo's small models at small batches are bound by
those launches rather than by the GPU. It follows PyTorch's whole-network capture recipe
("CUDA Graphs" in the CUDA semantics notes): a few eager steps on a side stream first (cuDNN's
autotuning, cuBLAS's workspace, the optimizer's state), the optimizer `capturable` with its
learning rate a device tensor (so a schedule still applies to the replays), autocast without its
cast cache. The epoch's last, smaller batch runs eagerly into the same gradient buffers.
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import Callable

import torch
from torch import nn

from zoo.registry import SpecError


class Tally:
    """The loss sums of the loop, on the training device (see the module's docstring)."""

    def __init__(self, device: torch.device):
        self.epoch_sum = torch.zeros((), dtype=torch.float64, device=device)   # loss x samples, this epoch
        self.window_sum = torch.zeros((), dtype=torch.float64, device=device)  # loss, batches since the last read
        self.window_max = torch.zeros((), dtype=torch.float32, device=device)

    def add(self, loss: torch.Tensor, n: int) -> None:
        self.epoch_sum.add_(loss * n)
        self.window_sum.add_(loss)
        torch.maximum(self.window_max, loss.float(), out=self.window_max)

    def new_window(self) -> None:
        self.window_sum.zero_()
        self.window_max.zero_()

    def new_epoch(self) -> None:
        self.epoch_sum.zero_()
        self.new_window()


def eager_step(model: nn.Module, optimizer, loss_fn: Callable, num, tally: Tally,
               xb: torch.Tensor, yb: torch.Tensor) -> None:
    """Forward, loss, backward and optimizer step on one batch; its loss goes to the tally."""
    with num.autocast():
        loss = loss_fn(model(xb), yb)
    optimizer.zero_grad(set_to_none=True)
    if num.scaler is not None:
        num.scaler.scale(loss).backward()
        num.scaler.step(optimizer)
        num.scaler.update()
    else:
        loss.backward()
        optimizer.step()
    tally.add(loss.detach(), len(xb))


class GraphStep:
    """The training step captured once as a CUDA graph and replayed for every full batch."""

    WARMUP = 3   # eager steps before the capture, on a side stream (PyTorch's recipe)

    def __init__(self, model: nn.Module, optimizer, loss_fn: Callable, num, tally: Tally,
                 x: torch.Tensor, y: torch.Tensor, batch_size: int, model_name: str = "model"):
        self.model, self.optimizer, self.loss_fn, self.tally = model, optimizer, loss_fn, tally
        self.x, self.y, self.batch_size, self.model_name = x, y, batch_size, model_name
        # Inside a capture autocast must not cache its casts (they would be the capture's own tensors).
        self.autocast = ((lambda: torch.autocast("cuda", dtype=num.amp_dtype, cache_enabled=False))
                         if num.amp_dtype is not None else nullcontext)
        self.idx = torch.zeros(batch_size, dtype=torch.long, device=x.device)   # the replays' batch
        self.graph: torch.cuda.CUDAGraph | None = None
        self.warmed = 0

    def _step(self, idx: torch.Tensor) -> None:
        xb, yb = self.x[idx], self.y[idx]
        with self.autocast():
            loss = self.loss_fn(self.model(xb), yb)
        loss.backward()
        self.optimizer.step()
        self.tally.add(loss.detach(), len(idx))

    def __call__(self, idx: torch.Tensor) -> None:
        if len(idx) != self.batch_size:
            # The epoch's last batch: eager. Once captured, the gradients are the graph's buffers:
            # zeroed and accumulated into, not replaced.
            self.optimizer.zero_grad(set_to_none=self.graph is None)
            self._step(idx)
            return
        if self.graph is None and self.warmed < self.WARMUP:
            side = torch.cuda.Stream(device=idx.device)
            side.wait_stream(torch.cuda.current_stream(idx.device))
            with torch.cuda.stream(side):
                self.optimizer.zero_grad(set_to_none=True)
                self._step(idx)
            torch.cuda.current_stream(idx.device).wait_stream(side)
            self.warmed += 1
            return
        self.idx.copy_(idx)
        if self.graph is None:
            self._capture()
        self.graph.replay()

    def _capture(self) -> None:
        # The captured backward allocates the gradients from the graph's pool; every replay rewrites them.
        self.optimizer.zero_grad(set_to_none=True)
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                self._step(self.idx)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SpecError(f"the {self.model_name} model's training step could not be captured as a CUDA graph "
                            f"({first}); train it without cuda_graph.") from exc
        self.graph = graph

