"""The playground's library: models, data, training, runs, search and inspection. No Streamlit here.

Importing `zoo` does not import torch (the app's Home page renders before torch loads);
`load_run` and `list_runs` import it on first use.
"""
from zoo.registry import DataShape, SpecError, build, describe_models, get_model, list_models, register_model
from zoo.spec import ExperimentSpec


def load_run(path):
    """The run directory at `path`: `.spec`, `.result`, `.metrics`, and `.model` (best weights, CPU, eval)."""
    from zoo.runs import load_run as _load_run

    return _load_run(path)


def list_runs(root=None):
    from zoo.runs import list_runs as _list_runs

    return _list_runs(root)


__all__ = ["DataShape", "ExperimentSpec", "SpecError", "build", "describe_models", "get_model", "list_models",
           "list_runs", "load_run", "register_model"]
