"""Datasets: `load_data(spec)` returns a TensorData for the spec's task, on the CPU.

Which loader reads a task's data is in the task table (zoo/registry.py, `Task.loader`). Importing
this package does not import torch (the image catalogue is read by torch-free pages)."""
from __future__ import annotations


def load_data(spec, data_dir=None):
    from zoo.registry import get_task, resolve

    return resolve(get_task(spec.task).loader)(spec, data_dir)


def __getattr__(name):
    if name == "TensorData":
        from zoo.data.base import TensorData

        return TensorData
    raise AttributeError(name)


__all__ = ["TensorData", "load_data"]
