"""What an image run's view adds (ui/run_view.py draws the rest): the confusion matrix of the
restored best weights on the test split and a grid of test images, mistakes first.

Everything is read from the run directory (so it works after a reload or a server restart); the
evaluation is cached per run and file stamp.
"""
from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from zoo.registry import format_percent

GRID_IMAGES = 32
GRID_CELL_PX = 72          # a 28 px digit drawn at most 84 px wide, shrunk to fit four across a phone (343 px)
# A caption's colours, readable on the light and the dark theme alike; a mistake also says its true class in words.
RIGHT_COLOUR = "#21a366"
WRONG_COLOUR = "#e5484d"


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
def raw_test_images(name: str, data_dir: str | None = None) -> np.ndarray:
    """The dataset's test images as uint8 N x H x W (shared read-only by every session), from the run's own datasets'
    folder (zoo/runs.Run.data_dir) or the default one."""
    from zoo.evaluate import raw_test_images as read

    return read(name, data_dir).numpy()


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


def confusion_table(matrix: np.ndarray, class_names: list[str]) -> pd.DataFrame:
    """The confusion matrix with its rows and columns named: a row per true class, a column per prediction."""
    names = [str(c) for c in class_names]
    return pd.DataFrame(np.asarray(matrix), index=pd.Index([f"true {n}" for n in names], name="true class"),
                        columns=[f"predicted {n}" for n in names])


def _inline_image(image: np.ndarray, alt: str, scale: int = 3) -> str:
    """An <img> of a grey uint8 image, `scale` times its size, with its bytes in the page and its size set.

    st.image's <img> has no height until its file arrives from the server, so the grid below a finished run
    grew as its images loaded (a button under it moved 157 px in the second after the run had been drawn, and a
    click landing then was lost: a browser test's run of five). Drawn here, the grid takes its room at once.
    `pixelated`: the digits stay crisp instead of blurred by the browser's scaling."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8), mode="L").save(buffer, format="PNG")
    height, width = image.shape[:2]
    return (f'<img src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}" '
            f'width="{width * scale}" height="{height * scale}" alt="{html.escape(alt)}" '
            'style="image-rendering: pixelated; max-width: 100%; height: auto">')


def image_grid(evaluation: dict, images: np.ndarray, key: str, untrained: bool = False) -> None:
    """Test images with predicted and true labels, mistakes first (most confidently wrong first)."""
    names = evaluation["class_names"]
    wrong = evaluation["predictions"] != evaluation["targets"]
    choices = ["mistakes first", "mistakes only"] + [f"true class: {n}" for n in names]
    c1, c2 = st.columns([2, 3])
    view = c1.selectbox("Show", choices, key=f"{key}-grid-view",
                        help="Mistakes first, the most confident of them first (the percentage under each image: "
                             "the probability the model gave its prediction); then correct answers, the least "
                             "sure first")
    # Of the weights the run kept: an untrained run's are its initial ones, and its own accuracy says "—" (a learner
    # read 8.30% here as the run's).
    whose = "the initial weights' accuracy" if untrained else "accuracy"
    c2.caption(f"{int(wrong.sum())} mistakes out of {len(wrong)} test images "
               f"({whose} {format_percent(1 - wrong.mean())}). "
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
    cells = []
    for idx in order:
        pred, true = int(evaluation["predictions"][idx]), int(evaluation["targets"][idx])
        conf = float(evaluation["confidence"][idx])
        image = _inline_image(images[idx], f"test image {int(idx)}: predicted {names[pred]}, true {names[true]}")
        if pred == true:
            words = f'<span style="color: {RIGHT_COLOUR}">{html.escape(str(names[pred]))}</span> ({conf:.0%})'
        else:
            words = (f'<strong style="color: {WRONG_COLOUR}">{html.escape(str(names[pred]))}</strong> ({conf:.0%})'
                     f'<br>true {html.escape(str(names[true]))}')
        cells.append(f'<figure style="margin: 0; text-align: center">{image}'
                     f'<figcaption style="font-size: 0.85rem; line-height: 1.3; opacity: 0.85">{words}'
                     '</figcaption></figure>')
    st.html(_grid(cells))


def _grid(cells: list[str]) -> str:
    """The cells as one block that fills the width with as many columns as fit, at least GRID_CELL_PX each.

    Rows of eight st.columns stacked to one image per row on a phone (Streamlit stacks columns below
    640 px): 32 rows of one digit each, a long scroll past them (a phone user's check). A CSS grid
    gives a phone (375 px) four columns and a laptop eight or more."""
    return ('<div style="display: grid; gap: 0.5rem 0.75rem; '
            f'grid-template-columns: repeat(auto-fill, minmax({GRID_CELL_PX}px, 1fr))">{"".join(cells)}</div>')


def sections(run, key: str) -> None:
    """What an image run adds to the run view (ui/run_view.py): the confusion matrix of its best
    weights on the test split, and the test images, mistakes first."""
    if not run.has_checkpoint or "shape" not in run.result:
        return
    if run.untrained:
        st.caption("No epoch finished, so the checkpoint holds the initial weights: the results below "
                   "show an untrained model.")
    try:
        evaluation = cached_evaluation(str(run.path), run.stamp())
        images = raw_test_images(run.spec.data, run.data_dir)
    except Exception as exc:  # the dataset went missing, a checkpoint from another version...
        st.error(f"Could not evaluate this run's checkpoint: {exc}")
        return
    st.subheader("Confusion matrix")
    normalise = st.toggle("as a share of each true class", key=f"{key}-cm-normalise")
    st.plotly_chart(confusion_figure(evaluation["matrix"], evaluation["class_names"], normalise),
                    key=f"{key}-confusion-{run.run_id}", config={"displaylogo": False})
    # The chart's numbers read as one unlabelled list to a screen reader (a keyboard user's check): a table too
    with st.expander("The matrix as a table"):
        st.dataframe(confusion_table(evaluation["matrix"], evaluation["class_names"]), key=f"{key}-confusion-table")
    st.subheader("Test images")
    image_grid(evaluation, images, key, untrained=run.untrained)
