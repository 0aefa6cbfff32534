"""Datasets: `load_data(spec)` returns a TensorData for the spec's task, on the CPU."""
from __future__ import annotations

from zoo.data.base import TensorData


def load_data(spec, data_dir=None) -> TensorData:
    if spec.task == "image":
        from zoo.data.images import load_image_data

        return load_image_data(spec.data, data_dir=data_dir, val_fraction=spec.val_fraction,
                               seed=spec.seed, limit_train=spec.limit_train)
    from zoo.data.series import load_series_data

    data = load_series_data(spec)
    if spec.limit_train:
        data.x_train, data.y_train = data.x_train[: spec.limit_train], data.y_train[: spec.limit_train]
    return data


__all__ = ["TensorData", "load_data"]
