"""The playground's library: models, data, training, runs, search and inspection. No Streamlit here."""
from zoo.registry import DataShape, SpecError, build, describe_models, get_model, list_models, register_model
from zoo.runs import list_runs, load_run
from zoo.spec import ExperimentSpec

__all__ = ["DataShape", "ExperimentSpec", "SpecError", "build", "describe_models", "get_model", "list_models",
           "list_runs", "load_run", "register_model"]
