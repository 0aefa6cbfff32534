"""Home: what the playground is, and one button that trains a first model.

This page's text must show before torch is imported (that takes seconds): nothing here imports
torch until the button is pressed (zoo.spec, zoo.jobs and ui.state are torch-free).
"""
import streamlit as st

from ui.state import ensure_app_shell, job_manager, runs_dir, session_owner
from zoo.spec import ExperimentSpec

ensure_app_shell()
st.title("PyTorch playground")
st.markdown(
    """
Pick a model from the zoo (an MLP, a LeNet-style CNN, RNN/LSTM/GRU, a TCN, a Transformer, a linear forecaster),
set its hyperparameters, and **train it on MNIST-style images** or on **your own CSV time series**
without writing code. Watch the loss fall live, stop it or let early stopping do it, search
hyperparameters with Optuna, and look inside the result: layer summaries, parameters, buffers
and hooks, Grad-CAM heatmaps.

Every run is a spec you can download and reproduce with `python -m zoo train ...`.
"""
)

left, right = st.columns([1, 2], vertical_alignment="center")
if left.button("Train a CNN on sample digits", type="primary", icon=":material/play_arrow:", key="home-start"):
    from zoo.jobs import submit_training
    from zoo.registry import SpecError

    spec = ExperimentSpec(task="image", data="mnist-sample", model="cnn")
    try:
        job = submit_training(job_manager(), spec, owner=session_owner(), runs_dir=runs_dir())
    except SpecError as exc:   # the hosted demo's caps: too many runs kept, say
        st.error(str(exc), icon=":material/error:")
    else:
        st.switch_page("pages/train.py", query_params={"run": job.id})
right.caption("The default run: the classic LeNet-style CNN, 5 epochs of Adam on the bundled 5,000-digit "
              "MNIST sample. It takes under a minute on a laptop CPU.")

st.markdown(
    """
**Pages**
- **Train**: dataset, model, hyperparameters and training settings; the live chart; results and downloads.
- **Runs**: every run, side by side: overlay the curves, see where their specs differ.
- **Forecast**: train a series model on a CSV of your own and forecast ahead, or let the leaderboard find the
  best of every model, the baselines and the classical AutoETS, AutoTheta and AutoARIMA.
- **Inspect**: the layers, parameters, buffers and hooks of a trained model; Grad-CAM.
- **Search**: let Optuna pick hyperparameters from the same ranges the forms use.
"""
)
