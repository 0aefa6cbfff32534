"""The live training panel: a fragment that redraws from `job.snapshot()` every second.

The job trains in a worker process (zoo/jobs.py); its events are folded into `job.state` by a
reader thread. This fragment only reads a snapshot and draws: status, progress (epoch, batch,
samples/s, time left), best epoch and patience, and the chart. When the job ends it reruns the
whole page once, so the page can swap the panel for the results. The Stop button is not in here:
a button inside a fragment that reruns every second would not interrupt it, so the page draws it.

`training_figure` is a plain function of the numbers, used for live jobs, finished runs and
series jobs alike (the task table says what `val_metric` is: accuracy for images, MAE for series).
"""
from __future__ import annotations

import math
import time

import plotly.graph_objects as go
import streamlit as st

from ui.form import metrics_row
from ui.state import fragment, is_local
from zoo.jobs import ACTIVE
from zoo.plots import WHOLE_TICKS_UP_TO
from zoo.registry import format_percent, get_task
from zoo.runs import STATUS_TITLES, listing_state, status_words

REFRESH_S = 1.0
FIRST_POINTS_REFRESH_S = 0.25   # until the chart has its first points: they show within a quarter second
MAX_DRAWN = 1500
FEW_POINTS = 30   # batch points drawn as markers too (a run that ended in its first batches)
COLORS = {"train": "#1f77b4", "val": "#d62728", "metric": "#2ca02c", "best": "#9467bd"}
# status: (title, what it means when no reason was recorded, badge colour, icon)
STATUSES = {status: (STATUS_TITLES[status], meaning, colour, icon) for status, (meaning, colour, icon) in {
    "queued": ("waiting for a free worker", "gray", ":material/schedule:"),
    "starting": ("loading PyTorch and the data", "blue", ":material/hourglass_top:"),
    "running": ("training", "blue", ":material/play_arrow:"),
    "finished": ("training completed every planned epoch", "green", ":material/check_circle:"),
    "early_stopped": ("the monitored value stopped improving", "green", ":material/flag:"),
    "stopped": ("stopped on request", "orange", ":material/stop_circle:"),
    # not stored: a search trial its pruner stopped is `stopped` on disk, with `pruned` beside it (zoo/runs.run_status)
    "pruned": ("the search's pruner stopped this trial", "gray", ":material/content_cut:"),
    "diverged": ("the loss blew up, so training ended", "red", ":material/trending_up:"),
    "failed": ("the job failed", "red", ":material/error:"),
}.items()}


def smooth(values: list[float], weight: float = 0.8) -> list[float]:
    """Exponential moving average with bias correction (TensorBoard's smoothing), so the first
    points are not dragged towards zero."""
    out, avg = [], 0.0
    for i, v in enumerate(values, start=1):
        if v is None or not math.isfinite(v):
            out.append(out[-1] if out else v)
            continue
        avg = weight * avg + (1 - weight) * v
        out.append(avg / (1 - weight ** i))
    return out


def smoothing_weight(n_points: int) -> float:
    """More smoothing for longer curves: about 1/20th of the curve per time constant, within [0.3, 0.95]."""
    if n_points <= 1:
        return 0.0
    return min(0.95, max(0.3, 1 - 20 / n_points))


def training_figure(*, batch_points=None, epoch_rows=None, best_epoch: int | None = None, task: str = "image",
                    uirevision: str | None = None, height: int = 380, epochs: int | None = None,
                    monitor: str = "val_loss") -> go.Figure:
    """Train loss per batch (raw, faint, and smoothed), validation loss and metric per epoch (the
    metric on a second axis), and the best epoch marked on the curve it was chosen by (`monitor`). Works with
    only epoch rows (a run read back from disk: the train loss is then the epoch mean).

    Built from plain dicts in one go.Figure call: this runs every second for every open live
    chart, and trace-by-trace construction (add_trace, add_vline) costs ten times more."""
    batch_points = batch_points or []
    epoch_rows = epoch_rows or []
    metric_name = get_task(task).label("val_metric")
    traces: list[dict] = []
    if batch_points:
        x = [p[0] for p in batch_points]
        y = [p[1] for p in batch_points]
        smoothed = smooth(y, smoothing_weight(len(y)))
        # Draw at most MAX_DRAWN points per curve (every k-th, the last always): the browser redraws
        # this chart every second, and a lighter chart leaves more CPU to the training.
        stride = max(1, math.ceil(len(x) / MAX_DRAWN))
        keep = list(range(len(x) - 1, -1, -stride))[::-1]
        x, y, smoothed = [x[i] for i in keep], [y[i] for i in keep], [smoothed[i] for i in keep]
        # A run that diverged in its first batches has a point or two: a line through one point is not
        # drawn at all, so few points are drawn as markers too, in full colour.
        few = len(x) < FEW_POINTS
        traces.append(dict(type="scatter", x=x, y=y, mode="lines+markers" if few else "lines",
                           name="train loss (batch)", legendgroup="train", line=dict(color=COLORS["train"], width=1),
                           opacity=0.9 if few else 0.25, hoverinfo=None if few else "skip"))
        traces.append(dict(type="scatter", x=x, y=smoothed, mode="lines", name="train loss (smoothed)",
                           legendgroup="train", line=dict(color=COLORS["train"], width=2)))
    elif epoch_rows:
        traces.append(dict(type="scatter", x=[r["epoch"] for r in epoch_rows], y=[r["train_loss"] for r in epoch_rows],
                           mode="lines+markers", name="train loss (epoch mean)",
                           line=dict(color=COLORS["train"], width=2)))
    if epoch_rows:
        xs = [r["epoch"] for r in epoch_rows]
        traces.append(dict(type="scatter", x=xs, y=[r["val_loss"] for r in epoch_rows], mode="lines+markers",
                           name="val loss", line=dict(color=COLORS["val"], width=2)))
        traces.append(dict(type="scatter", x=xs, y=[r["val_metric"] for r in epoch_rows], mode="lines+markers",
                           name=metric_name, yaxis="y2", line=dict(color=COLORS["metric"], width=2, dash="dot")))
    shapes, annotations = [], []
    if best_epoch:
        shapes.append(dict(type="line", x0=best_epoch, x1=best_epoch, xref="x", y0=0, y1=1, yref="paper",
                           line=dict(color=COLORS["best"], width=1, dash="dash")))
        annotations.append(dict(x=best_epoch, xref="x", y=1, yref="paper", yanchor="bottom", showarrow=False,
                                text=f"best: epoch {best_epoch}", font=dict(color=COLORS["best"])))
        best = next((r for r in epoch_rows if r["epoch"] == best_epoch), None)
        if best is not None:   # (on the val loss line where the val accuracy chose it had read as a mistake: a learner)
            on_metric = monitor == "val_metric"
            traces.append(dict(type="scatter", x=[best_epoch], y=[best["val_metric" if on_metric else "val_loss"]],
                               mode="markers", name="best epoch", marker=dict(symbol="star", size=14,
                                                                              color=COLORS["best"]),
                               **({"yaxis": "y2"} if on_metric else {})))
    x_range = None
    if epochs:
        seen = max([p[0] for p in batch_points[-1:]] + [r["epoch"] for r in epoch_rows[-1:]] + [1])
        x_range = [0, max(1.0, min(float(epochs), seen * 1.15 + 0.5))]
    layout = dict(
        height=height, margin=dict(l=55, r=65, t=60, b=45), uirevision=uirevision,  # the legend may grow the top margin
        legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0),
        # whole epochs on a short axis: a pruned trial's one epoch read 0, 0.2, 0.4 ... 1 (a learner's check); the
        # batches between them are drawn at their fraction of an epoch all the same
        xaxis=dict(title=dict(text="epoch"), range=x_range, rangemode="tozero", automargin=False,
                   **({"dtick": 1} if (x_range[1] if x_range else max([r["epoch"] for r in epoch_rows] + [1]))
                      <= WHOLE_TICKS_UP_TO else {})),
        yaxis=dict(title=dict(text="loss"), rangemode="tozero", automargin=False),
        yaxis2=dict(title=dict(text=metric_name), overlaying="y", side="right", showgrid=False, automargin=False,
                    **_metric_axis(get_task(task).metric_format, [r["val_metric"] for r in epoch_rows])),
        hovermode="x unified", shapes=shapes, annotations=annotations,
    )
    return go.Figure(data=traces, layout=layout)


def _metric_axis(metric_format: str, values: list) -> dict:
    """Accuracy on a steady axis from a round tenth below its lowest value up to 100% (an axis that
    rescales every second is hard to read); other metrics (MAE) from zero, automatically."""
    values = [v for v in values if v is not None and math.isfinite(v)]
    if metric_format != "percent":
        return dict(rangemode="tozero")
    low = max(0.0, math.floor(round((min(values, default=0.0) - 0.05) * 10, 9)) / 10)
    # Ticks of its own, at round percents: left to plotly, the right axis took the loss axis's five places and read
    # "80% 84% 88% 92% 97%" (a learner's check).
    step = 0.05 if 1.0 - low <= 0.3 else 0.1 if 1.0 - low <= 0.6 else 0.2
    ticks = sorted(round(1.0 - i * step, 2) for i in range(int((1.0 - low) / step + 1e-9) + 1))   # 100% always
    return dict(tickformat=".0%", range=[low, 1.0], tickmode="array", tickvals=ticks)


def format_duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "?"
    if seconds < 9.95:   # tenths: a 0.47 s run "took 0 s" (a browser check)
        return f"{max(0.0, seconds):.1f}".removesuffix(".0") + " s"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def run_caps_sentence(caps) -> str:
    """What the hosted demo allows a run, and what a visitor keeps (zoo/demo.py Caps), in one sentence."""
    return (f"a run trains at most {caps.epochs} epochs on at most {caps.train_samples:,} samples, a model of at "
            f"most {caps.model_mb:,} MB of weights, with a training step of at most {caps.train_memory_mb:,} MB, and "
            "stops after "
            f"{cap_duration(caps.wall_seconds)}; you keep at most {caps.runs_per_visitor} runs "
            f"({caps.disk_mb_per_visitor} MB), for {caps.max_age_hours:g} hours")


def cap_duration(seconds: int) -> str:
    """A cap's time in words: "10 minutes" where it is whole minutes, else seconds ("stops after 0
    minutes" was a 20-second cap)."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds // 60} minute{'s' if seconds != 60 else ''}"
    return f"{seconds} s"


RATE_BATCHES = 5   # batches of the first epoch before its rate is a time left


def progress(state: dict, now: float | None = None) -> tuple[float, str]:
    """(fraction of the planned epochs done, a line with epoch, batch, samples/s and time left)."""
    epochs = state.get("epochs") or 0
    batches = state.get("batches") or 0
    epoch, batch = state.get("epoch") or 0, state.get("batch") or 0
    if not epochs or not epoch or not batches:
        return 0.0, "waiting for the first batch…"
    done = min(1.0, ((epoch - 1) + batch / batches) / epochs)
    speed = state.get("samples_per_s")
    rows = [r for r in state.get("epoch_rows") or [] if r.get("seconds")]
    train_samples = state.get("n_train") or (state.get("sizes") or {}).get("train")
    # Time left from the surest rate there is: whole epochs (training and validation) once one has
    # ended; before that the epoch's samples/s; the time since the start only as a last resort, as
    # it holds the start-up (a transformer said 13 min left in its first batches and took 75 s).
    # None over the first batches of the first epoch: their rate holds the warm-up (an lstm said
    # about 2 min left after its first batch, and took 7 s in all).
    if rows:
        left = sum(r["seconds"] for r in rows) / len(rows) * epochs * (1 - done)
    elif epoch == 1 and batch < RATE_BATCHES:
        left = None
    elif speed and train_samples:
        left = epochs * (1 - done) * train_samples / speed
    else:
        started = state.get("started_training")
        elapsed = ((now or time.time()) - started) if started else None
        left = elapsed * (1 - done) / done if elapsed and done > 0 else None
    parts = [f"epoch {epoch}/{epochs}", f"batch {batch}/{batches}"]
    if speed:
        parts.append(f"{speed:,.0f} samples/s")
    if left is not None and done < 1:
        parts.append(f"about {format_duration(left)} left")
    return done, " · ".join(parts)


def status_badge(status: str, text: str | None = None) -> None:
    """The run's status as a coloured badge, in a container keyed `run-status` around one keyed by the stored status
    (`status-early_stopped`: tests read the status there, the words a person reads are the badge's). A badge with
    its own words (a run "stopping…") is keyed by them, so it never reads as the status it is on its way to."""
    _, _, color, icon = STATUSES.get(status, (status, "", "gray", ":material/help:"))
    shown = status if text is None else "".join(c for c in text if c.isalnum())
    with st.container(key="run-status"), st.container(key=f"status-{shown}"):
        st.badge(text or status_words(status), color=color, icon=icon)


def _best_summary(rows: list[dict], best_epoch: int | None, metric_name: str) -> str:
    best = next((r for r in rows if r["epoch"] == best_epoch), None)
    if best is None:
        return "—"
    return f"{best_epoch} (val loss {best['val_loss']:.4f}, {metric_name} {best['val_metric']:.4f})"


def render_progress_metrics(snapshot: dict, task: str, planned_epochs: int | None = None) -> None:
    """Epoch, best epoch, last validation numbers and the patience counter as metrics."""
    metric_name = get_task(task).label("val_metric")
    state = snapshot["state"]
    rows = state.get("epoch_rows") or []
    last, prev = (rows[-1] if rows else None), (rows[-2] if len(rows) > 1 else None)
    c1, c2, c3, c4 = metrics_row(4)
    c1.metric("epoch", f"{state.get('epoch') or 0} / {state.get('epochs') or planned_epochs or '?'}")
    best = state.get("best_epoch")
    c2.metric("best epoch", best or "—", help=_best_summary(rows, best, metric_name))
    if last is not None:
        lower_is_better = get_task(task).metric_goal == "min"
        delta = None if prev is None else last["val_metric"] - prev["val_metric"]
        if lower_is_better:
            value, change = f"{last['val_metric']:.4f}", None if delta is None else f"{delta:+.4f}"
        else:
            # "pts vs ...", as the result's "+79.8 pts vs trivial" (it read "+4.75 pt", of no comparison said)
            value = format_percent(last["val_metric"])
            change = None if delta is None else f"{100 * delta:+.2f} pts vs the epoch before"
        c3.metric(metric_name, value, change, delta_color="inverse" if lower_is_better else "normal")
    else:
        c3.metric(metric_name, "—")
    patience = state.get("patience")
    if patience:
        c4.metric("patience", f"{state.get('patience_counter', 0)} / {patience}",
                  help="epochs without improvement; training stops early when it reaches the patience")
    else:
        c4.metric("patience", "off" if patience == 0 else "—", help="early stopping is off (patience 0)")


def live_panel(job_id: str) -> None:
    """The running job's status, progress and chart, redrawn every second from its snapshot; four
    times a second until the first points arrive, so that Start shows a curve at once (a fragment's
    refresh is fixed when it is drawn: the quick one reruns the page once, to hand over)."""
    from ui.state import job_manager

    job = job_manager().get(job_id)
    state = job.state if job is not None else {}
    if state.get("batch_losses") or state.get("epoch_rows"):
        _live_panel(job_id)
    else:
        _first_points(job_id)


@fragment(run_every=FIRST_POINTS_REFRESH_S)
def _first_points(job_id: str) -> None:
    from ui.state import job_manager

    job = job_manager().get(job_id)
    if job is not None and (job.state.get("batch_losses") or job.state.get("epoch_rows")):
        st.rerun(scope="app")   # the points are here: the page draws the once-a-second panel
    _draw_live(job_id)


# Seen once, not reproduced (2026-12-07): a click on the Train form's "batch norm" 0.3 s after another, that click's
# whole-page run still drawing, as this panel's timer asked for its rerun, left the model preview drawn with the click
# before's value beside the box shown with the new one, for good: this panel's reruns redraw only itself. Over 300
# clicks since, timed against the timer too, did not lose one (tests/test_browser_train.py's loop now waits between
# clicks).
# If it comes back: here a rerun that finds the form's values changed since the page last drew them could ask for
# the whole page (st.rerun(scope="app")).
@fragment(run_every=REFRESH_S)
def _live_panel(job_id: str) -> None:
    _draw_live(job_id)


def live_job(job_id: str):
    """(job, snapshot) for a live fragment to draw; (None, None), with a warning, when this server no
    longer knows the job. Reruns the whole page once the job has ended: the page then draws its outcome."""
    from ui.state import job_manager

    manager = job_manager()
    job = manager.get(job_id)
    if job is None:
        st.warning(f"Job {job_id} is no longer known to this server.")
        return None, None
    if job.stop_requested and job.active:
        manager.wait(job_id, timeout=0.5)  # stopping takes a moment: show the outcome without another tick
    snapshot = job.snapshot()
    if snapshot["status"] not in ACTIVE:
        st.rerun()
    return job, snapshot


def not_yet_running(manager, job_id: str, status: str, starting_words: str) -> None:
    """The badge and the why of a job that waits: its place in the queue (a position, and the cap it waits on), or
    its worker starting, where a job this server started can still wait for room on a Ray cluster (the manager
    says why). One owner for every live view: a board queued behind other visitors' jobs said "Starting the worker"
    with no position (a demo visitors' check)."""
    status_badge(status, "starting" if status == "starting" else None)
    st.caption(manager.describe_wait(job_id) or (starting_words if status == "starting" else "Waiting in the queue…"))


def _draw_live(job_id: str) -> None:
    from ui.state import job_manager

    manager = job_manager()
    job, snapshot = live_job(job_id)
    if job is None:
        return
    task = job.task or "image"
    state = snapshot["state"]
    status = snapshot["status"]
    if state.get("phase"):   # training over, testing or backtesting: a Stop has been heard, or is not needed
        status_badge("running", "finishing…")
        st.caption(f"{state['phase']}…" + (" (the Stop ended the training; this part runs to its end)"
                                           if snapshot["stop_requested"] else ""))
    elif snapshot["stop_requested"]:
        status_badge("stopped", "stopping…")
        st.caption("Stop requested: the worker ends after the current batch and keeps the best checkpoint.")
    elif status in ("queued", "starting"):
        not_yet_running(manager, job.id, status, "Starting the worker process (loading PyTorch and the data)…")
    else:
        status_badge("running", f"running on {state['device']}" if state.get("device") else "running")
    # Where it runs (a pid, a Ray node) is for whoever runs the server: not said on the hosted demo
    if snapshot["where"] and status != "queued" and not snapshot["stop_requested"] and is_local():
        st.caption(f"Worker: {snapshot['where']}")
    fraction, line = progress(state)
    st.progress(fraction, text=line)
    render_progress_metrics(snapshot, task, (job.payload.get("spec") or {}).get("epochs"))
    if not state.get("batch_losses") and not state.get("epoch_rows"):
        st.caption("The loss curves appear here with the first batches.")
        return
    fig = training_figure(batch_points=state.get("batch_losses"), epoch_rows=state.get("epoch_rows"),
                          best_epoch=state.get("best_epoch"), task=task, uirevision=job_id,
                          epochs=state.get("epochs"), monitor=(job.payload.get("spec") or {}).get("monitor", "val_loss"))
    st.plotly_chart(fig, key=f"live-chart-{job_id}", config={"displaylogo": False})
    if state.get("batch_losses"):
        st.caption(CURVES_READ)


# Why train and val loss differ early on, under a chart with batch points (a learner read the smoothed train loss at
# 1.05 above val loss at 0.30 as "something is wrong")
# "(dropout on)" was read beside an LSTM of one layer, whose dropout is off (a learner's check).
CURVES_READ = ("Train loss is taken on each batch as the model learns, in train mode (its dropout and batch norm, "
               "where it has them, acting as in training); its smoothed line "
               "is a running average, so it lags behind. Val loss is taken once per epoch, in eval mode, with the "
               "epoch's weights: early on it is often the lower of the two.")


LIST_REFRESH_S = 2.0   # a list of runs (the Runs page) follows its live jobs this often


def job_progress(manager, owner: str | None = None) -> tuple:
    """What a list of runs shows of this server's jobs (of `owner`, or all): each one's status and how
    far it has got (a training's epochs, a leaderboard's rows, a search's trials and epochs). Read it
    before the list is drawn and hand it to `follow_live_jobs`: a job that ends in between is then seen
    to move on. Read without a snapshot's copies, as it runs every LIST_REFRESH_S seconds."""
    return tuple((job.id, job.status, len(job.state.get("epoch_rows", ())), len(job.state.get("rows", ())),
                  job.state.get("done"), job.state.get("trial"), job.state.get("epoch"))
                 for job in manager.jobs(owner))


def live_jobs_said(statuses: list[str]) -> str:
    """The line over a list that follows its live jobs, each said as it is: a queued job had been counted as
    running, beside the page's own "1 of your jobs is still queued" (a demo visitor's check)."""
    queued = statuses.count("queued")
    running = len(statuses) - queued   # (starting: its worker is up)

    def jobs_are(n: int) -> str:
        return f"{n} job{'s are' if n > 1 else ' is'}"

    if running and queued:
        said = f"{jobs_are(running)} running and {queued} {'are' if queued > 1 else 'is'} queued"
    else:
        said = f"{jobs_are(running)} running" if running else f"{jobs_are(queued)} queued"
    return f"{said}: this list follows {'them' if len(statuses) > 1 else 'it'}."


def follow_live_jobs(manager, seen: tuple, owner: str | None = None, listing: tuple | None = None,
                     root: str | None = None) -> None:
    """While a job of `seen` (job_progress's, read before the page drew its list) runs, look every
    LIST_REFRESH_S seconds whether one has moved on (a new epoch, trial or leaderboard row, an end)
    and redraw the whole page when one has: a list drawn once said `running` for a run long finished.
    Given `listing` (zoo.runs.listing_state of `root`, read before the list; locally), also whenever a run
    folder there appears, moves on, ends or goes, as one the CLI started does: the list showed it only after a
    click.
    Nothing is drawn while none runs."""
    running = [p for p in seen if p[1] in ACTIVE]
    if not running and job_progress(manager, owner) == seen and listing is None:
        return
    if running:
        st.caption(f":material/autorenew: {live_jobs_said([status for _, status, *_ in running])}")

    @fragment(run_every=LIST_REFRESH_S)
    def _follow() -> None:
        if job_progress(manager, owner) != seen or (listing is not None and listing_state(root) != listing):
            st.rerun(scope="app")

    _follow()
