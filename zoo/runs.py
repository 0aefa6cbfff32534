"""The run store: runs/<run_id>/ with spec.json, metrics.csv, best.pt and result.json.

Every file except metrics.csv is written atomically (a temp file in the same folder, then
os.replace), so a killed process leaves the previous complete version or none, never half a
checkpoint. metrics.csv is appended one row per epoch and flushed to disk as it goes.
"""
from __future__ import annotations

import csv
import io
import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from zoo.registry import DataShape, SpecError
from zoo.spec import ExperimentSpec

METRIC_COLUMNS = ("epoch", "train_loss", "val_loss", "val_metric", "lr", "seconds", "samples_per_s")
STATUSES = ("queued", "running", "finished", "early_stopped", "stopped", "diverged", "failed")


def runs_root(explicit: str | os.PathLike | None = None) -> Path:
    """--runs-dir, else PLAYGROUND_RUNS_DIR, else ./runs."""
    return Path(explicit or os.environ.get("PLAYGROUND_RUNS_DIR") or "runs")


def new_run_id(spec: ExperimentSpec) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{spec.model}-{secrets.token_hex(3)}"


def atomic_write_bytes(path: Path, payload: bytes) -> Path:
    """Write to a temp file in the same folder, fsync, then rename over `path` (never half a file)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_save_state(path: Path, state_dict: dict) -> None:
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    atomic_write_bytes(path, buffer.getvalue())


class RunWriter:
    """Writes one run's directory as training goes."""

    def __init__(self, root: Path, spec: ExperimentSpec, run_id: str | None = None):
        self.run_id = run_id or new_run_id(spec)
        self.path = Path(root) / self.run_id
        self.path.mkdir(parents=True, exist_ok=False)
        atomic_write_text(self.path / "spec.json", spec.to_json())
        with open(self.path / "metrics.csv", "w", newline="") as fh:
            csv.writer(fh).writerow(METRIC_COLUMNS)

    def append_metrics(self, row: dict) -> None:
        with open(self.path / "metrics.csv", "a", newline="") as fh:
            csv.writer(fh).writerow([_fmt(row.get(c)) for c in METRIC_COLUMNS])
            fh.flush()
            os.fsync(fh.fileno())

    def save_best(self, state_dict: dict) -> None:
        atomic_save_state(self.path / "best.pt", state_dict)

    def write_result(self, result: dict) -> None:
        atomic_write_text(self.path / "result.json", json.dumps(result, indent=2, default=_json_default))


def _fmt(value):
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else value


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


@dataclass
class Run:
    """A run read back from disk. `.model` has the best weights, on the CPU, in eval mode."""

    path: Path
    spec: ExperimentSpec
    result: dict

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def status(self) -> str:
        return self.result.get("status", "unknown")

    @property
    def shape(self) -> DataShape:
        return DataShape(**self.result["shape"])

    @property
    def metrics(self):
        import pandas as pd

        return pd.read_csv(self.path / "metrics.csv")

    @property
    def model(self) -> torch.nn.Module:
        if not hasattr(self, "_model"):
            from zoo.registry import build

            model = build(self.spec.model, self.shape, self.spec.model_params)
            state = torch.load(self.path / "best.pt", map_location="cpu", weights_only=True)
            model.load_state_dict(state)
            self._model = model.eval()
        return self._model


def load_run(path: str | os.PathLike) -> Run:
    """Read a run directory (spec.json, result.json); the model loads on first use of `.model`."""
    path = Path(path)
    if not (path / "spec.json").exists():
        raise SpecError(f"{path} is not a run directory (no spec.json); pick a folder under the runs directory.")
    spec = ExperimentSpec.from_json((path / "spec.json").read_text())
    result_file = path / "result.json"
    result = json.loads(result_file.read_text()) if result_file.exists() else {"status": "unknown"}
    return Run(path=path, spec=spec, result=result)


def list_runs(root: str | os.PathLike | None = None) -> list[Run]:
    """Every readable run under the root, newest first."""
    root = runs_root(root)
    if not root.exists():
        return []
    runs = []
    for child in sorted(root.iterdir(), reverse=True):
        if child.is_dir() and (child / "spec.json").exists():
            try:
                runs.append(load_run(child))
            except (ValueError, OSError, TypeError):
                continue  # a half-deleted or foreign folder is not a run
    return runs


def delete_run(path: str | os.PathLike) -> None:
    path = Path(path)
    if not (path / "spec.json").exists():
        raise SpecError(f"{path} is not a run directory; nothing was deleted.")
    shutil.rmtree(path)
