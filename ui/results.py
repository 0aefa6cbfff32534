"""The results of a finished run: outcome, test metrics of the restored best weights, the curves,
the confusion matrix and a grid of test images (mistakes first), and the downloads that let
someone reproduce or reuse the run.

Everything is read from the run directory (so it works after a reload or a server restart); the
job, when this server still has it, adds the per-batch curve that only lives in memory.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ui.live import format_duration, status_badge, training_figure

OUTCOME = {
    "finished": ("Finished", "training completed every planned epoch"),
    "early_stopped": ("Stopped early", "the monitored value stopped improving"),
    "stopped": ("Stopped", "stopped on request"),
    "diverged": ("Diverged", "the loss blew up, so training ended"),
    "failed": ("Failed", "the job failed"),
}
GRID_COLUMNS = 8
GRID_IMAGES = 32


def file_stamp(path: Path) -> float:
    """A number that changes when the run's files do (keys the cached evaluation)."""
    stamps = [(path / name).stat().st_mtime for name in ("best.pt", "result.json") if (path / name).exists()]
    return max(stamps, default=0.0)


@st.cache_data(max_entries=16, show_spinner="Evaluating the best weights on the test set…")
def cached_evaluation(run_path: str, stamp: float) -> dict:
    """Predictions of the run's best weights on its test split, as plain arrays (cached per run)."""
    from zoo.evaluate import evaluate_run
    from zoo.runs import load_run

    evaluation = evaluate_run(load_run(run_path))
    return {
        "class_names": list(evaluation.class_names),
        "targets": evaluation.targets.numpy(),
        "predictions": evaluation.predictions.numpy(),
        "confidence": evaluation.confidence.numpy(),
        "ranking": evaluation.ranking().numpy(),
        "matrix": evaluation.confusion_matrix().numpy(),
        "accuracy": evaluation.accuracy,
        "loss": evaluation.loss,
    }


@st.cache_resource(show_spinner=False, max_entries=4)
def raw_test_images(name: str) -> np.ndarray:
    """The dataset's test images as uint8 N x H x W (shared read-only by every session)."""
    from zoo.evaluate import raw_test_images as read

    return read(name).numpy()


def outcome_banner(status: str, reason: str, traceback: str | None = None) -> None:
    title, default_reason = OUTCOME.get(status, (status, ""))
    reason = reason or default_reason
    text = f"**{title}:** {reason}" + ("" if reason.endswith(".") else ".")
    if status in ("finished", "early_stopped"):
        st.success(text, icon=":material/check_circle:")
    elif status == "stopped":
        st.warning(text, icon=":material/stop_circle:")
    elif status in ("diverged", "failed"):
        st.error(text, icon=":material/error:")
    else:
        st.info(text)
    if traceback:
        with st.expander("Traceback (a fault in the program: please report it)"):
            st.code(traceback, language="text")


def run_without_directory(run_id: str, job, runs_dir: str) -> None:
    """A run id with no run directory: the job ended before writing one (data it could not read,
    stopped while starting, a worker that died), or there is no such run (deleted, or another
    server's runs directory)."""
    if job is not None:
        st.markdown(f"#### Run `{run_id}`")
        status_badge(job.status)
        outcome_banner(job.status, job.reason, job.state.get("traceback"))
    else:
        st.error(f"There is no run `{run_id}` in {runs_dir}: it was deleted, or it belongs to another "
                 "server's runs directory.", icon=":material/search_off:")


def confusion_figure(matrix: np.ndarray, class_names: list[str], normalise: bool = False) -> go.Figure:
    """Heatmap of counts[true, predicted], the diagonal being the correct answers."""
    counts = np.asarray(matrix)
    if normalise:
        totals = counts.sum(axis=1, keepdims=True)
        z = np.divide(counts, totals, out=np.zeros_like(counts, dtype=float), where=totals > 0)
        text = [[f"{v:.0%}" if v else "" for v in row] for row in z]
    else:
        z = counts
        text = [[str(v) if v else "" for v in row] for row in counts]
    labels = [str(c) for c in class_names]
    fig = go.Figure(go.Heatmap(
        z=z, x=labels, y=labels, text=text, texttemplate="%{text}", colorscale="Blues",
        hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>", showscale=False))
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(title="predicted", type="category", side="bottom"),
                      yaxis=dict(title="true", type="category", autorange="reversed"))
    return fig


def _upscale(image: np.ndarray, factor: int = 3) -> np.ndarray:
    """Nearest-neighbour enlargement, so 28 x 28 digits stay crisp instead of blurred by the browser."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def image_grid(evaluation: dict, images: np.ndarray, key: str) -> None:
    """Test images with predicted and true labels, mistakes first (most confidently wrong first)."""
    names = evaluation["class_names"]
    wrong = evaluation["predictions"] != evaluation["targets"]
    choices = ["mistakes first", "mistakes only"] + [f"true class: {n}" for n in names]
    c1, c2 = st.columns([2, 3])
    view = c1.selectbox("Show", choices, key=f"{key}-grid-view",
                        help="Ordered by the loss of each image: the most confidently wrong first")
    c2.caption(f"{int(wrong.sum())} mistakes out of {len(wrong)} test images (accuracy {1 - wrong.mean():.2%}). "
               "Under each image: the prediction and its confidence; for a mistake, in red, and the true class.")
    order = evaluation["ranking"]
    if view == "mistakes only":
        order = order[wrong[order]]
    elif view.startswith("true class: "):
        cls = choices.index(view) - 2
        order = order[evaluation["targets"][order] == cls]
    order = order[:GRID_IMAGES]
    if len(order) == 0:
        st.info("No test images to show here.")
        return
    for start in range(0, len(order), GRID_COLUMNS):
        cols = st.columns(GRID_COLUMNS)
        for col, idx in zip(cols, order[start:start + GRID_COLUMNS]):
            pred, true = int(evaluation["predictions"][idx]), int(evaluation["targets"][idx])
            conf = float(evaluation["confidence"][idx])
            with col:
                st.image(_upscale(images[idx]), width=84)
                if pred == true:
                    st.caption(f":green[{names[pred]}] ({conf:.0%})")
                else:
                    st.caption(f":red[**{names[pred]}**] ({conf:.0%})  \ntrue {names[true]}")


def downloads(run, key: str) -> None:
    """best.pt, spec.json, metrics.csv and the command that reproduces the run."""
    path = Path(run.path)
    row = st.container(horizontal=True)
    if (path / "best.pt").exists():
        row.download_button("best.pt", data=lambda: (path / "best.pt").read_bytes(),
                            file_name=f"{run.run_id}-best.pt", mime="application/octet-stream",
                            key=f"{key}-dl-best", icon=":material/download:", on_click="ignore", type="primary",
                            help="the best epoch's state_dict: torch.load(path, weights_only=True)")
    else:
        row.caption("no checkpoint was written")
    row.download_button("spec.json", data=run.spec.to_json(), file_name=f"{run.run_id}-spec.json",
                        mime="application/json", key=f"{key}-dl-spec", icon=":material/download:", on_click="ignore",
                        help="everything that defines the run; `ExperimentSpec.from_json` reads it back")
    if (path / "metrics.csv").exists():
        row.download_button("metrics.csv", data=lambda: (path / "metrics.csv").read_bytes(),
                            file_name=f"{run.run_id}-metrics.csv", mime="text/csv", key=f"{key}-dl-metrics",
                            icon=":material/download:", on_click="ignore", help="one row per epoch")
    st.markdown("Reproduce it from a shell:")
    st.code(run.spec.cli_command(), language="bash", wrap_lines=True)


def epoch_rows_from_disk(run) -> list[dict]:
    try:
        frame = run.metrics
    except (OSError, ValueError):
        return []
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def summary_metrics(run, status: str) -> None:
    result = run.result
    metrics = result.get("metrics") or {}
    cols = st.columns(4)
    if "test_accuracy" in metrics:
        cols[0].metric("test accuracy", f"{metrics['test_accuracy']:.2%}", help="of the restored best weights")
    elif metrics:
        first = next(iter(metrics))
        cols[0].metric(first.replace("_", " "), f"{metrics[first]:.4g}", help="of the restored best weights")
    else:
        cols[0].metric("test metrics", "—")
    if "test_loss" in metrics:
        cols[1].metric("test loss", f"{metrics['test_loss']:.4f}")
    best = result.get("best_epoch")
    cols[2].metric("best epoch", best if best is not None else "—",
                   help="the checkpoint kept and evaluated (0: the initial weights)")
    seconds = result.get("seconds")
    cols[3].metric("epochs run", result.get("epochs_run", "—"),
                   help=f"training took {format_duration(seconds)}" if seconds else None)


def finished_run_view(run_path: str | Path, *, job=None, key: str = "result") -> None:
    """Everything about a run that has ended (or that this server is not running)."""
    from zoo.runs import load_run

    run = load_run(run_path)
    snapshot = job.snapshot() if job is not None else None
    status = snapshot["status"] if snapshot else run.status
    reason = (snapshot["reason"] if snapshot else "") or run.result.get("reason", "")
    traceback = (snapshot["state"].get("traceback") if snapshot else None) or run.result.get("traceback")
    status_badge(status)
    st.markdown(f"#### Run `{run.run_id}`")
    st.caption(f"{run.spec.model} on {run.spec.data} · {run.spec.epochs} epochs planned · batch {run.spec.batch_size}"
               f" · {run.spec.optimizer} lr {run.spec.lr:g}")
    actions = st.container(horizontal=True, vertical_alignment="center")
    if actions.button("Train again", key=f"{key}-again", icon=":material/replay:",
                      help="fill the form with this run's spec, to change it and start again"):
        st.session_state["prefill_spec"] = run.spec.to_dict()
        st.query_params.pop("run", None)
        st.rerun()
    if (Path(run.path) / "best.pt").exists():
        image = run.spec.task == "image"
        actions.page_link("pages/inspect.py" if image else "pages/forecast.py",
                          label="Inspect this model" if image else "Open in Forecast",
                          icon=":material/biotech:" if image else ":material/show_chart:",
                          query_params={"run": run.run_id})
    if status == "running" and job is None:
        st.warning("This run's files say it is still running, but this server is not running it: it was "
                   "started elsewhere or its server stopped. What was saved so far is shown.")
    else:
        outcome_banner(status, reason, traceback)
    summary_metrics(run, status)
    metric_name = "val accuracy" if run.spec.task == "image" else "val MAE"
    rows = (snapshot["state"].get("epoch_rows") if snapshot else None) or epoch_rows_from_disk(run)
    points = snapshot["state"].get("batch_losses") if snapshot else None
    best_epoch = run.result.get("best_epoch", snapshot["state"].get("best_epoch") if snapshot else None)
    if rows or points:
        st.plotly_chart(training_figure(batch_points=points, epoch_rows=rows, best_epoch=best_epoch,
                                        metric_name=metric_name, uirevision=run.run_id),
                        key=f"{key}-curves-{run.run_id}", config={"displaylogo": False})
    if run.spec.task == "image" and (Path(run.path) / "best.pt").exists() and "shape" in run.result:
        if status in ("stopped", "diverged", "failed") and best_epoch == 0:
            st.caption("No epoch finished, so the checkpoint holds the initial weights: the results below "
                       "show an untrained model.")
        try:
            evaluation = cached_evaluation(str(run.path), file_stamp(Path(run.path)))
            images = raw_test_images(run.spec.data)
        except Exception as exc:  # the dataset went missing, a checkpoint from another version...
            st.error(f"Could not evaluate this run's checkpoint: {exc}")
        else:
            st.subheader("Confusion matrix")
            normalise = st.toggle("as a share of each true class", key=f"{key}-cm-normalise")
            st.plotly_chart(confusion_figure(evaluation["matrix"], evaluation["class_names"], normalise),
                            key=f"{key}-confusion-{run.run_id}", config={"displaylogo": False})
            st.subheader("Test images")
            image_grid(evaluation, images, key)
    st.subheader("Downloads")
    downloads(run, key)
