"""TensorData: a dataset already split, normalised and resident on the training device.

The engine slices these tensors by shuffled indices instead of going through a DataLoader: for
data that fits in memory this is several times faster (see BENCHMARKS.md), and it keeps every
tensor of a run on one device.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dataclasses

import torch

from zoo.registry import DataShape


SPLITS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")


def _overlapping_view(t: torch.Tensor) -> bool:
    """Does `t` show more values than its storage holds (windows that share rows)?"""
    return t._base is not None and t.numel() * t.element_size() > t.untyped_storage().nbytes()


@dataclass
class TensorData:
    task: str                  # "image" (classification) or "series" (regression of H steps)
    shape: DataShape
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    name: str = ""
    class_names: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)   # task-specific (scaler, dates, ...)

    def to(self, device=None, dtype=None) -> "TensorData":
        """A copy on `device` whose floating tensors (inputs, series targets) take `dtype`. This one
        is left as it is; a tensor already in place is shared, not copied. A series' windows, views of one
        series that overlap (zoo/data/series/windows.window_tensors), stay views there: the series moves once
        and the windows are taken again over it. `Tensor.to` writes every window out, (N, L, C) values where
        the series holds N + L: a 1,000,000-row series at lookback 672 came to 2.7 GB per column on a GPU, or
        in fp64 (a review)."""
        moved: dict = {}   # the series each split's windows view, moved once

        def move(t):
            want = dtype if dtype is not None and t.is_floating_point() else t.dtype
            if _overlapping_view(t) and (torch.device(device) if device is not None else t.device, want) != \
                    (t.device, t.dtype):
                storage = t.untyped_storage()
                key = (storage.data_ptr(), t.dtype)
                if key not in moved:
                    whole = torch.empty(0, dtype=t.dtype, device=t.device).set_(
                        storage, 0, (storage.nbytes() // t.element_size(),), (1,))
                    moved[key] = whole.to(device=device, dtype=want)
                return moved[key].as_strided(t.size(), t.stride(), t.storage_offset())
            return t.to(device=device, dtype=want)
        return dataclasses.replace(self, **{name: move(getattr(self, name)) for name in SPLITS})

    def head(self, n: int) -> "TensorData":
        """A copy that trains on the first `n` training samples only (spec.limit_train of images)."""
        return dataclasses.replace(self, x_train=self.x_train[:n], y_train=self.y_train[:n])

    def tail(self, n: int) -> "TensorData":
        """A copy that trains on the last `n` training samples only (spec.limit_train of a series: its
        latest windows, nearest the validation part and what is forecast, as a leaderboard's capped fits)."""
        return dataclasses.replace(self, x_train=self.x_train[-n:], y_train=self.y_train[-n:])

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.x_train), "val": len(self.x_val), "test": len(self.x_test)}

    def input_scaling(self) -> dict | None:
        """How raw values become the model's input, fitted on this run's training part (result.json's
        `input_scaling`): a model used outside the app (its best.pt) gave plausible, wrong numbers on raw inputs,
        and the mean and deviation were in no file of the run (a check of a developer using a trained model;
        README, "From Python"). None where the data holds none."""
        if self.task == "image" and "mean" in self.extra:
            return {"input": "(pixel / 255 - mean) / std, as float32 of shape (N, 1, height, width)",
                    "mean": float(self.extra["mean"]), "std": float(self.extra["std"])}
        ws = self.extra.get("windows")
        if self.task == "series" and ws is not None:
            return {"input": "(value - mean) / std per column, the last `lookback` rows of `columns` (the target "
                             "last), as float32 of shape (N, lookback, columns)",
                    "output": "(N, horizon) scaled as the target: forecast = output * std[-1] + mean[-1]",
                    "columns": list(ws.columns), "mean": [float(v) for v in ws.mean],
                    "std": [float(v) for v in ws.std]}
        return None
