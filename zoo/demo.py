"""The hosted demo: strangers share one server, so what one visitor may spend is bounded here, in
the library, where the pages, the CLI and the job runner all pass (not only in the widgets).

Demo mode is on when PLAYGROUND_DEMO is 1/true/yes (the app also reads it from `.streamlit/secrets.toml`,
ui/state.py). Each cap is PLAYGROUND_CAP_<NAME> (say PLAYGROUND_CAP_EPOCHS=20); the defaults are
`Caps`' below. Outside demo mode nothing here limits anything: the CLI keeps its own defaults.

Ownership: a visitor is a random token kept in a cookie; files and jobs record `owner_of(token)`,
a hash of it, so a run's files (which anyone with its URL may download) never reveal the token.
"""
from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

from zoo.registry import SpecError, join_or
from zoo.server_settings import UNREADABLE_FILES, value


def apply_secrets(items: dict) -> None:
    """PLAYGROUND_* settings from a secrets file (.streamlit/secrets.toml: a host that takes secrets, not environment
    variables), over the environment's: Streamlit itself puts a secret's text or number into the environment when
    its server starts, over what was there, and the README had said the environment won (an operator's check). The
    app passes Streamlit's secrets (ui/state.py); the command line, the same files read here (`secrets_in_files`)."""
    for key, given in items.items():
        if key.upper().startswith("PLAYGROUND_") and not isinstance(given, dict):
            os.environ[key] = str(given).lower() if isinstance(given, bool) else str(given)


def secrets_in_files(folder: Path | None = None) -> dict:
    """The secrets Streamlit would read from its default files: ~/.streamlit/secrets.toml, then the one in the
    folder it runs in (which wins). A host that set PLAYGROUND_DEMO there had the app capped and the command line on
    the same machine not (a docs check)."""
    import tomllib

    items = {}
    for path in (Path.home() / ".streamlit" / "secrets.toml", (folder or Path.cwd()) / ".streamlit" / "secrets.toml"):
        try:
            items.update(tomllib.loads(path.read_text()))
            UNREADABLE_FILES.pop(str(path), None)
        except FileNotFoundError:   # (none there, or one removed since it was said: no longer a problem)
            UNREADABLE_FILES.pop(str(path), None)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:   # said (server_settings.problems)
            UNREADABLE_FILES[str(path)] = str(exc)
    return items


def demo_mode() -> bool:
    """PLAYGROUND_DEMO on; SpecError where it is neither on nor off (zoo/server_settings.py: a typo had served the
    demo in local mode)."""
    return value("PLAYGROUND_DEMO")


def owner_of(visitor_token: str) -> str:
    """What files and jobs record as a visitor's: a hash of their cookie's token."""
    return hashlib.sha256(f"playground-visitor:{visitor_token}".encode()).hexdigest()[:24]


VISITOR_ID = re.compile(r"[A-Za-z0-9_-]+")   # owner_of's hash (tests name visitors `visitor-a`): no path's parts
STUDIES = Path("optuna")   # under the runs directory: the shared journal locally, a folder per visitor on the demo
DRAFTS = Path("drafts")    # under the runs directory: what each visitor set in a form and has not run (ui/drafts.py)


def visitor_folder(owner: str) -> Path:
    """Where a visitor's studies are kept, relative to the runs directory (zoo/search/storage.default_storage).
    An owner is `owner_of`'s hash; anything else (a path's parts) is refused rather than joined."""
    if not VISITOR_ID.fullmatch(owner or ""):
        raise SpecError(f"{owner!r} is not a visitor's id.")
    return STUDIES / owner


def visitor_files(owner: str, root) -> tuple[Path, Path, Path]:
    """Where a visitor's own files are under the runs directory `root`, beside their runs (a run's result names its
    owner): their uploads' folder (zoo/forecast_io.store_upload), their studies' folder (`visitor_folder`) and the
    file of what they set in the forms (ui/draft_store.py). `usage`, the sweep and zoo/visitor_data.py read them."""
    return (Path(root) / "uploads" / visitor_folder(owner).name, Path(root) / visitor_folder(owner),
            Path(root) / DRAFTS / f"{owner}.json")


@dataclass(frozen=True)
class Caps:
    """What one visitor may spend on the hosted demo (docs: README, "Deploying the hosted demo")."""

    epochs: int = 30                 # epochs of one run
    trials: int = 20                 # trials of one search
    train_samples: int = 20_000      # training samples of one run (limit_train)
    upload_mb: int = 5               # size of one uploaded CSV
    upload_rows: int = 200_000       # rows of one uploaded CSV
    wall_seconds: int = 600          # a job's running time; past it, it ends as stopped
    train_memory_mb: int = 2_000     # what one run's training step may hold (estimated: check_memory)
    model_mb: int = 40               # one model's weights at float32, what its checkpoint keeps (check_memory)
    inspect_seconds: int = 20        # one look inside a model (Inspect, in the server's process): inspection_slot
    runs_per_visitor: int = 50       # runs kept per visitor
    disk_mb_per_visitor: int = 200   # their runs and uploads together
    # every visitor's runs, uploads and studies together: a visitor is a cookie, and a script that drops its cookie is
    # a new visitor each time, with a fresh allowance (an operator's check)
    disk_mb_total: int = 10_000
    max_age_hours: float = 24.0      # runs and uploads older than this are deleted by the sweep

    @classmethod
    def from_env(cls) -> "Caps":
        """The caps PLAYGROUND_CAP_<NAME> sets, checked (zoo/server_settings.py): a whole number where the cap is one
        (2.9 MB had been 2), above zero (a max age of -1 had the sweep delete every run)."""
        return cls(**{f.name: value(f"PLAYGROUND_CAP_{f.name.upper()}") for f in fields(cls)})


def caps() -> Caps | None:
    """The caps in force: None outside demo mode."""
    return Caps.from_env() if demo_mode() else None


def check_spec(spec, n_train: int | None = None) -> None:
    """Refuse a run the demo's caps do not allow, saying which cap and what to change.
    `n_train`: the training samples the data has, when known; the cap is on what a run trains, min(limit_train,
    n_train). A limit_train past the cap on data that holds fewer is no excess (50,000 on the sample's 3,600
    images trains 3,600: a learner's check read a refusal beside "all of them are used"); where the data is not
    read yet, the engine checks again once it is (engine.run_experiment)."""
    c = caps()
    if c is None:
        return
    if spec.epochs > c.epochs:
        raise SpecError(f"this hosted demo trains at most {c.epochs} epochs per run, and these settings ask for "
                        f"{spec.epochs}; lower the epochs.")
    if n_train is None:
        return
    used = min(spec.limit_train, n_train) if spec.limit_train else n_train
    if used > c.train_samples:
        raise CapError(f"this hosted demo trains on at most {c.train_samples:,} samples per run, and these settings "
                       f"would use {used:,}; set the training samples (limit_train) to {c.train_samples:,} or fewer.",
                       within={"limit_train": c.train_samples})


class CapError(SpecError):
    """A spec past one of the demo's caps, with `within`: the settings that would bring it within (a page offers
    to set them: a CSV past the samples cap was refused with the form's own recipe until the visitor typed the
    cap in, a demo visitors' check)."""

    def __init__(self, message: str, within: dict):
        super().__init__(message)
        self.within = within


def offered(h):
    """A setting's declaration (zoo/registry.HParam) as a form offers it on the hosted demo: the epochs slider
    up to the cap on epochs, a leaderboard's time budget up to the cap on a job's time. The epochs had gone to
    200 beside a cap of 30, a run set past it refused only at Train, and the budget to 1800 s beside a cap of
    600 (demo visitors' checks). check_spec and check_budget still refuse a spec past a cap from anywhere else."""
    import dataclasses

    c = caps()
    most = None if c is None else {"epochs": c.epochs, "budget": c.wall_seconds}.get(h.name)
    if most is not None and h.step:   # on the slider's steps from its low end
        most = h.low + (most - h.low) // h.step * h.step
    if most is None or h.high <= most or most <= h.low:   # (a cap at its low end or under: refused as set)
        return h
    most = type(h.high)(most)
    return dataclasses.replace(h, high=most, default=min(h.default, most))


def train_samples_cap() -> int | None:
    """The most training samples one model may train on (a leaderboard's zoo models too:
    zoo/leaderboard/candidates.fit_windows); None outside the demo."""
    c = caps()
    return None if c is None else c.train_samples


def known_train_samples(spec) -> int | None:
    """The training samples a spec would use, where the task's catalogue knows its datasets' sizes
    (images) without reading them; None for a CSV (known once it is windowed)."""
    from zoo.registry import get_task, resolve

    task = get_task(spec.task)
    if task.datasets is None:
        return None
    dataset = resolve(task.datasets).get(spec.data)
    if dataset is None:
        return None
    available = round(dataset.train_size * (1 - spec.val_fraction))
    return min(spec.limit_train, available) if spec.limit_train else available


def check_trials(n_trials: int | None, timeout: float | None = None, existing: int = 0) -> None:
    """`n_trials` more for a study that has `existing` already: at most the cap in all. "Run more trials" took a
    study of 2 to 22, and again (a demo visitors' check)."""
    c = caps()
    if c is None:
        return
    if existing and (n_trials is None or existing + n_trials > c.trials):
        room = c.trials - existing
        raise SpecError(f"this hosted demo runs at most {c.trials} trials per study, and this one has {existing}"
                        + (f" and asks for {'no limit' if n_trials is None else n_trials} more; give at most {room}."
                           if room > 0 else "; start a new study."))
    if n_trials is None or n_trials > c.trials:
        asked = "no limit" if n_trials is None else f"{n_trials}"
        raise SpecError(f"this hosted demo runs at most {c.trials} trials per search, and this one asks for {asked}; "
                        "give fewer trials.")
    if timeout is not None:   # a search's time budget: past the job's wall-time cap it would be cut short
        check_budget(timeout)


def study_is_theirs(study, owner: str | None) -> bool:
    """May `owner` see and add to this Optuna study? On the hosted demo only the visitor who made it
    (its trials name their runs, which are theirs alone); locally, anyone."""
    return not demo_mode() or study.user_attrs.get("owner") == owner


def check_budget(seconds: float) -> None:
    """Refuse a job whose own time budget (a leaderboard's) is past the demo's wall-time cap, which
    would otherwise cut it short without saying so up front."""
    c = caps()
    if c is not None and seconds > c.wall_seconds:
        # In seconds and minutes: the leaderboard's budget is set in seconds, a search's in minutes (600 minutes
        # asked read "a budget of 36000 s" beside a box in minutes: a demo visitor's check).
        def both(s: float) -> str:
            return f"{s:g} s" + (f" ({round(s / 60, 1):g} min)" if s >= 60 else "")

        raise SpecError(f"this hosted demo runs a job for at most {both(c.wall_seconds)}, and this one asks for a "
                        f"budget of {both(seconds)}; lower the time budget.")


def check_memory(spec, shape=None, memory: tuple[float, int] | None = None, params: int | None = None) -> None:
    """Refuse a run whose training step would hold more than the demo's `train_memory_mb` (estimated for its
    model, data `shape` and batch: zoo/inspect/summary.training_memory, or `memory`, that pair as a page's model
    preview measured it), or whose weights are more than `model_mb` (`params`, the preview's count). The other
    caps let one visitor ask for a Transformer over a lookback of 1,500 in batches of 2,048 (hundreds of GB of
    attention); a job of that kind needed over 5 GB at batch 512 (a demo check)."""
    c = caps()
    if c is None:
        return
    if params is not None:
        check_weights(spec.model, params)
    if memory is None:
        import torch

        from zoo.inspect.summary import training_memory
        from zoo.registry import build

        check_model_weights(spec.model, shape, spec.model_params)   # before a forward and backward of it
        with torch.random.fork_rng(devices=[]):   # the run's own seeding is not moved by this model's
            memory = training_memory(build(spec.model, shape, spec.model_params), shape, limit=memory_limit())
    per_sample, fixed = memory
    needed = (per_sample * spec.batch_size + fixed) / 1e6
    if needed > c.train_memory_mb:
        what = f"a lookback of {spec.lookback}, " if spec.task == "series" else ""
        about = f"about {needed:,.0f} MB" if math.isfinite(needed) else f"more than {c.train_memory_mb:,} MB"
        raise SpecError(f"this hosted demo trains a model whose training step holds at most {c.train_memory_mb:,} MB, "
                        f"and {spec.model} with these settings ({what}batches of {spec.batch_size}) would hold {about}; "
                        f"lower the batch size{', the lookback' if what else ''} or the model's size.")


def check_weights(model_name: str, params: int) -> None:
    """Refuse a model whose weights, at float32, are more than the demo's `model_mb`: an lstm of 84 million
    parameters (hidden size 1,024, 4 layers, both ways) fitted the training step's cap at a batch of 8, and its
    336 MB checkpoint alone was past a visitor's disk (200 MB); the Inspect page held a copy of it per browser
    tab, 390 MB each, in the server's own process (a demo visitors' check)."""
    c = caps()
    if c is None or params * 4 <= c.model_mb * 1_000_000:
        return
    raise SpecError(f"this hosted demo keeps a model of at most {c.model_mb:,} MB of weights ({c.model_mb * 250_000:,} "
                    f"parameters at float32), and {model_name} with these settings has {params:,} parameters "
                    f"({params * 4 / 1e6:,.0f} MB, which its checkpoint would keep); lower the model's size.")


def check_model_weights(model_name: str, shape, params: dict) -> None:
    """`check_weights` of the model these settings build, counted without its memory (built on torch's meta
    device: shapes, no storage), so that a model past the cap is never made (the Inspect page had kept one)."""
    if caps() is None:
        return
    check_weights(model_name, parameter_count(model_name, shape, params))


def parameter_count(model_name: str, shape, params: dict) -> int:
    """The parameters of the model these settings build, counted on torch's meta device (shapes, no storage)."""
    import torch

    from zoo.registry import build

    with torch.device("meta"), torch.random.fork_rng(devices=[]):
        return sum(p.numel() for p in build(model_name, shape, params).parameters())


def check_inspection(model, sample_shape, batch_size: int) -> None:
    """Refuse, on the hosted demo, a look inside `model` (zoo/inspect, zoo/explain) whose pass over `batch_size`
    samples of `sample_shape` (one sample's input shape) would hold more than the training step's cap. The Inspect
    page runs these in the server's own process, not in a job's worker: a visitor's Transformer over a lookback
    of 1,000 at the Summary's batch of 128 took the server from 1.9 to 6.4 GB, and the batch box goes to 8,192
    (a demo visitors' check). Measured as check_memory measures a run (the forward and backward's keep and four
    copies of the weights), once per model and shape."""
    c = caps()
    if c is None:
        return
    check_weights(type(model).__name__, sum(p.numel() for p in model.parameters()))
    from zoo.inspect.summary import measured_training_memory

    per_sample, fixed = measured_training_memory(model, tuple(sample_shape))
    needed = (per_sample * batch_size + fixed) / 1e6
    if needed > c.train_memory_mb:
        about = f"about {needed:,.0f} MB" if math.isfinite(needed) else f"more than {c.train_memory_mb:,} MB"
        # what to lower: the batch only where it is more than one sample (Grad-CAM's and Saliency's are one), the
        # lookback only for a series' windows (a sample of shape [lookback, features]: a review's check)
        lower = (["the batch size"] if batch_size > 1 else []) + (
            ["the lookback"] if len(sample_shape) == 2 else []) + ["the model's size"]
        raise SpecError(f"this hosted demo runs a model for a look inside it only where a pass holds at most "
                        f"{c.train_memory_mb:,} MB, and this model ({type(model).__name__}) would hold {about} on "
                        f"{batch_size:,} sample{'s' if batch_size != 1 else ''} of shape {list(sample_shape)}; "
                        f"lower {', '.join(lower[:-1]) + ' or ' if len(lower) > 1 else ''}{lower[-1]}.")


# A look inside a model waits this long for the one before it (inspection_slot) before it is refused.
INSPECTION_WAIT_SECONDS = 60.0
# torch's threads in the server's process on the demo, where it runs the looks inside a model: the other cores are the
# training jobs'.
INSPECTION_THREADS = 1
_INSPECTION_SLOT = threading.Semaphore(1)
_holding = threading.local()   # how deep this thread is in inspections that hold the slot


@contextmanager
def inspection_slot():
    """Hold the server's one slot for a look inside a model, on the hosted demo (zoo/inspect/guards.one_at_a_time).

    Inspect runs its passes and labs in the server's own process, not in a job's worker: outside the jobs cap and the
    wall cap, and at a higher CPU priority than the workers (PLAYGROUND_WORKER_NICE). A visitor's init lab (a
    transformer of d_model 256 and 6 layers, 30 SGD steps, five schemes) took 98 s of the server's two cores, and the
    other visitors' training slowed meanwhile (a demo visitors' check). So on the demo the looks inside a model take
    turns, each on one of torch's threads (INSPECTION_THREADS), and one that has waited INSPECTION_WAIT_SECONDS for
    its turn is refused; a lab that loops stops at `inspection_deadline`. Within a thread the slot is held once (an
    inspection that calls another). Nothing outside the demo."""
    if caps() is None:
        yield
        return
    depth = getattr(_holding, "depth", 0)
    if depth == 0:
        if not _INSPECTION_SLOT.acquire(timeout=INSPECTION_WAIT_SECONDS):
            raise SpecError(f"this hosted demo looks inside one model at a time, and other visitors' looks have "
                            f"kept this one waiting for {INSPECTION_WAIT_SECONDS:.0f} s; try again in a minute.")
        import torch

        if torch.get_num_threads() != INSPECTION_THREADS:
            torch.set_num_threads(INSPECTION_THREADS)
    _holding.depth = depth + 1
    try:
        yield
    finally:
        _holding.depth = depth
        if depth == 0:
            _INSPECTION_SLOT.release()


def inspection_deadline() -> float | None:
    """When a look inside a model that loops (the init lab's SGD steps) stops, in time.monotonic()'s seconds: the
    demo's `inspect_seconds` from now; None outside the demo."""
    c = caps()
    return None if c is None else time.monotonic() + c.inspect_seconds


def memory_limit() -> float | None:
    """Where measuring a model's training memory stops (zoo/inspect/summary.training_memory's `limit`): the demo's
    cap, so that a model one sample of which is past it is judged over it without holding more; None outside the
    demo."""
    c = caps()
    return None if c is None else c.train_memory_mb * 1e6


def upload_limits() -> tuple[int, int] | None:
    """(bytes, rows) an upload may have on the demo; None outside it."""
    c = caps()
    return None if c is None else (c.upload_mb * 1_000_000, c.upload_rows)


def wall_deadline(started: float) -> float | None:
    c = caps()
    return None if c is None else started + c.wall_seconds


# After the wall-time cap a job still evaluates its best weights and writes its files; its worker is ended when
# that takes longer than this share of the cap (at least WALL_GRACE_MIN_S): a run past a 30 s cap had held its
# worker and one of the server's job slots for 150 s, evaluating (a demo visitors' check).
WALL_GRACE_SHARE = 0.25
WALL_GRACE_MIN_S = 60.0


def wall_grace(wall_seconds: float) -> float:
    return max(WALL_GRACE_MIN_S, WALL_GRACE_SHARE * wall_seconds)


def hard_deadline(started: float) -> float | None:
    """When the server ends a job's worker on the hosted demo (zoo/jobs.py), whatever it is doing: the wall-time
    cap from `started` (the job's start on the server) and its grace after it; None outside demo mode."""
    c = caps()
    return None if c is None else started + c.wall_seconds + wall_grace(c.wall_seconds)


def ended_at_hard_deadline(wall_seconds: float) -> str:
    return (f"stopped by the hosted demo's wall-time cap ({wall_seconds:g} s per job): it had not ended "
            f"{wall_grace(wall_seconds):.0f} s after it (evaluating its best weights, say), so its worker was ended "
            "there; what it had finished is kept")


# ---------------------------------------------------------------------------------------------
# what a visitor keeps


def usage(owner: str, root) -> dict:
    """A visitor's runs and the disk their runs and uploads take (bytes: both; uploads: theirs alone)."""
    from zoo.runs import list_runs

    runs = [r for r in list_runs(root) if r.result.get("owner") == owner]
    upload_folder, study_folder, _ = visitor_files(owner, root)
    uploads, studies = _size(upload_folder), _size(study_folder)
    return {"runs": len(runs), "bytes": sum(_size(r.path) for r in runs) + uploads + studies, "uploads": uploads}


def _over_disk(used: dict, c: Caps, room: int = 0) -> str:
    """Why a visitor's disk is full (or has less than `room` bytes left), and what frees it: uploads are not on
    the Runs page, so they are named apart, with when they go (a visitor told to delete runs that took 0.2 MB of
    15 was stuck)."""
    if room:
        text = (f"your runs and uploads take {_megabytes(used['bytes'])} of the {c.disk_mb_per_visitor} MB this "
                "hosted demo keeps per visitor")
    else:
        text = (f"your runs and uploads take {used['bytes'] / 1e6:.0f} MB, the most this hosted demo keeps per "
                f"visitor ({c.disk_mb_per_visitor} MB)")
    smaller = ["lower the model's size"] if room else []
    if used["uploads"] * 2 >= used["bytes"]:
        return (f"{text}, {used['uploads'] / 1e6:.0f} MB of it your uploads; uploads are deleted "
                # after their last use, not their sending: each use renews it (forecast_io.mark_used; a demo check)
                f"{c.max_age_hours:g} hours after they were last used: "
                + join_or(["use one you sent before", "delete runs on the Runs page", *smaller]) + ".")
    return f"{text}; " + join_or(["delete some runs on the Runs page", *smaller]) + "."


# how long the size of every visitor's files is taken as read (a walk of the runs directory)
TOTAL_READ_EVERY_S = 30.0
_total: dict[str, tuple[float, int]] = {}
_total_said: dict[str, float] = {}   # the reading each runs directory's "full" was logged at


def total_bytes(root, now: float | None = None) -> int:
    """What the runs directory holds, every visitor's runs, uploads and studies: read again after TOTAL_READ_EVERY_S
    (a page asks on each script run whether Start may be on)."""
    now = time.monotonic() if now is None else now
    key = str(root)
    if key not in _total or now - _total[key][0] > TOTAL_READ_EVERY_S:
        _total[key] = (now, _size(Path(root)))
    return _total[key][1]


def _check_total(c: Caps, root, n_bytes: int = 0) -> None:
    """Refuse what would take the demo past its disk for everyone (disk_mb_total), saying when room comes back."""
    used = total_bytes(root)
    if used + n_bytes > c.disk_mb_total * 1_000_000:
        if _total_said.get(str(root)) != _total[str(root)][0]:   # once a reading: each page asks on each script run
            from zoo.server_log import log

            _total_said[str(root)] = _total[str(root)][0]
            log.warning(
                "the demo's disk for everyone is full (%s of %d MB): new runs and uploads are refused until the sweep "
                "frees room", _megabytes(used), c.disk_mb_total)
        raise SpecError(f"this hosted demo's disk for everyone's runs and uploads is full ({_megabytes(used)} of "
                        f"{c.disk_mb_total:,} MB); what is kept goes {c.max_age_hours:g} hours after its last use: "
                        "try again later.")


def check_upload_room(owner: str, root, n_bytes: int) -> None:
    """Refuse to keep a new upload of `n_bytes` that would take the visitor past their disk cap, or the demo past its
    disk for everyone."""
    c = caps()
    if c is None:
        return
    used = usage(owner, root)
    if used["bytes"] + n_bytes > c.disk_mb_per_visitor * 1_000_000:
        raise SpecError(f"this upload ({n_bytes / 1e6:.1f} MB) cannot be kept: " + _over_disk(used, c))
    _check_total(c, root, n_bytes)


def check_room(owner: str, root, trials: int = 1) -> None:
    """Refuse a new run when the visitor already keeps as many runs, or as much disk, as allowed; or a
    search of more `trials` (each keeps a run) than the runs they may still keep. A search that starts
    anyway stops at the cap, trial by trial (zoo/search/study.py)."""
    c = caps()
    if c is None:
        return
    used = usage(owner, root)
    room = c.runs_per_visitor - used["runs"]
    if room <= 0:
        runs = f"{used['runs']} run{'' if used['runs'] == 1 else 's'}"
        raise SpecError(f"you keep {runs}, the most this hosted demo keeps per visitor; delete some on the Runs page "
                        "to start another.")
    if used["bytes"] >= c.disk_mb_per_visitor * 1_000_000:
        raise SpecError(_over_disk(used, c))
    if trials > room:   # after the disk: fewer trials would not make room there
        raise SpecError(f"each trial keeps a run, and you keep {used['runs']} of the {c.runs_per_visitor} runs this "
                        f"hosted demo keeps per visitor: give at most {room} trial{'' if room == 1 else 's'}, or delete "
                        "some runs on the Runs page.")
    _check_total(c, root)


def check_checkpoint_room(owner: str | None, root, spec, shape=None, params: int | None = None) -> None:
    """Refuse a visitor's run whose checkpoint (best.pt: its weights at float32) would take their runs and uploads
    past the disk cap. check_room only asks whether they are past it already, so a visitor at 199 MB of 200 could
    start a run that kept 40 MB more (a demo visitors' check). The engine counts the model's own parameters for the
    data's `shape`, without building it (parameter_count); a page beside Start, its preview's count (`params`)."""
    c = caps()
    if c is None or owner is None:
        return
    needed = (parameter_count(spec.model, shape, spec.model_params) if params is None else params) * 4
    cap = c.disk_mb_per_visitor * 1_000_000
    if needed > cap:   # no deleting makes room for it
        raise SpecError(f"this run's checkpoint alone would keep about {_megabytes(needed)} of {spec.model}'s "
                        f"weights, more than the {c.disk_mb_per_visitor} MB this hosted demo keeps per visitor; "
                        "lower the model's size.")
    used = usage(owner, root)
    if used["bytes"] + needed > cap:
        raise SpecError(f"this run's checkpoint would keep about {_megabytes(needed)} of {spec.model}'s weights, and "
                        + _over_disk(used, c, room=needed))


def _megabytes(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes < 10e6 else f"{n_bytes / 1e6:.0f} MB"


def _size(path: Path) -> int:
    """The bytes of the files under `path`; one that goes while it is read (a run's file written whole under a
    temporary name, then renamed) counts as none."""
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(folder, name), follow_symlinks=False).st_size
            except OSError:
                continue
    return total


def sweep(root, max_age_hours: float | None = None, now: float | None = None) -> list[str]:
    """Delete runs, uploads, a visitor's studies and form drafts older than the demo's age cap; a run that is
    still going is kept, and so is a study written to since (a search that runs). Returns the deleted run ids."""
    from zoo.runs import ENDED, delete_run, list_runs

    c = caps()
    hours = max_age_hours if max_age_hours is not None else (c.max_age_hours if c else None)
    if hours is None:
        return []
    cutoff = (now or time.time()) - hours * 3600
    deleted = []
    for run in list_runs(root):
        when = run.result.get("finished") or run.started or 0
        if run.status in ENDED and when < cutoff:
            delete_run(run.path)
            deleted.append(run.run_id)
    uploads = Path(root) / "uploads"
    if uploads.exists():
        for path in uploads.rglob("*"):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        for folder in sorted(uploads.glob("*/"), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                shutil.rmtree(folder, ignore_errors=True)
    # A visitor's studies (their own journal): its trials name runs the sweep has deleted by now. So, on the
    # demo, does the shared journal of local use, last written before the age cap: a demo that ran before each
    # visitor had a journal of their own kept its studies there, and no visitor reaches them now (a review).
    for folder in (Path(root) / STUDIES).glob("*/"):
        newest = max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file()), default=0)
        if newest < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
    # A visitor's forms not saved since (ui/drafts.py): as old as the runs deleted, of a visitor gone that long.
    drafts = Path(root) / DRAFTS
    for path in [*drafts.glob("*.json"), *drafts.glob(".*.partial")]:   # (.partial: one a killed server left)
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue   # deleted meanwhile (the store's bound)
    shared = Path(root) / STUDIES / "journal.log"
    if demo_mode() and shared.is_file() and shared.stat().st_mtime < cutoff:
        shared.unlink(missing_ok=True)
    return deleted


# What a run's downloads hold on the hosted demo: the run, not the server. Its result names its owner (a
# visitor's id), its directory and its process (host, pid), and its spec (a training run's or a board's) the path
# of an upload's kept copy (README, "Deploying the hosted demo": no page shows a server path). A visitor who opened
# another's run by its URL downloaded all of them (a demo visitor's check).
# A failed run's traceback names the server's install paths: its page shows it only locally (ui/run_view.py).
SERVER_KEYS = ("owner", "run_dir", "process", "traceback", "data_dir")   # data_dir: a command-line run's datasets'
# folder (--data-dir), this server's


def shareable_bytes(run, path: Path) -> bytes:
    """One file of `run` as a visitor of the demo may have it: a JSON file without SERVER_KEYS, with the
    upload's path as the name it was sent under (zoo/forecast_io.data_as_sent) and the runs directory as
    `runs` wherever a text names them (a reason that names its run's folder); any other file as it is."""
    import json

    raw = Path(path).read_bytes()
    if Path(path).suffix != ".json":
        return raw
    from zoo.forecast_io import data_as_sent

    data = str(run.data or "")
    sent = data_as_sent(data)
    # The runs directory as the run names it and as a worker resolved it (a link to it, on a server): both.
    roots = sorted({str(run.path.parent), str(run.path.parent.resolve())}, key=len, reverse=True)
    # A trial's link to its study names the visitor's journal, whose folder is their id: as the shared one's.
    owner = str(run.result.get("owner") or "")
    studies = [str(Path(where) / visitor_folder(owner)) for where in roots] if VISITOR_ID.fullmatch(owner) else []

    def clean(value, top=False):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not (top and k in SERVER_KEYS)}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, str):
            value = value.replace(data, sent) if sent else value
            for folder in studies:
                value = value.replace(folder, str(Path(folder).parent))
            for where in roots:
                value = value.replace(where, "runs")
            return value
        return value

    try:
        return json.dumps(clean(json.loads(raw), top=True), indent=2).encode()
    except ValueError:
        # Never its raw bytes, which may name the server: JSON files are written whole (zoo/runs.py's atomic
        # writes), so one that does not parse is damaged, and the download says so.
        return json.dumps({"error": f"{Path(path).name} of this run could not be read"}).encode()


def shareable_zip(run) -> bytes:
    """The run directory as a zip of its shareable_bytes (Run.zip's layout)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in run.files():
            zf.writestr(f"{run.run_id}/{path.name}", shareable_bytes(run, path))
    return buffer.getvalue()
