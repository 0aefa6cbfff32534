"""What several commands share: the flags that make an ExperimentSpec, read from its declarations
(zoo/spec.py), and the progress lines printed while a run trains."""
from __future__ import annotations

import argparse
import re
import sys

from zoo.registry import SpecError, as_typed, get_model, get_task
from zoo.spec import ExperimentSpec, flag, settings

GROUP_TITLES = {None: "more settings", "Optimiser": "training: optimiser", "Loop": "training: loop",
                "Numerics": "training: numerics", "Early stopping": "training: early stopping"}


class UsageError(Exception):
    pass


class JobFailed(Exception):
    """A job the command ran ended failed (a worker killed, a Ray cluster lost, a search whose every trial failed,
    each trial's reason said as it ended): said in one sentence, exit 1, no traceback (zoo/cli/__init__.py). `run`:
    the run_id and run_dir of the run it ended, for the JSON error line."""

    def __init__(self, message: str, **run):
        super().__init__(message)
        self.run = run


class StopOnInterrupt:
    """Ctrl-C as the app's Stop: the first SIGINT asks the run to stop (`should_stop`, so it ends
    after the batch or candidate at hand, `stopped`, its best checkpoint or finished candidates kept
    and its result printed); a second one quits at once (KeyboardInterrupt; a run so quit ends
    `stopped` too, engine.run_experiment). SIGTERM (`timeout`, `docker stop`, a job scheduler) is taken
    as Ctrl-C: it killed the process at once and left the run `running` for good (a CLI user's check).
    A no-op off the main thread, where signal handlers cannot be set."""

    SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self, then_ignore: bool = False):
        self.requested = False
        self._previous = None
        self._ended = None   # the run, once it has ended (run_ended)
        self._quits = False  # quit_at_once
        self._stops = False  # stops_a_run: a first signal is a Stop (before it is known, the signal is only kept)
        self._then_ignore = then_ignore

    def __call__(self) -> bool:
        return self.requested

    def run_ended(self, summary: dict) -> None:
        """The run has ended and written its files: a second Ctrl-C while the command says so still names it. It
        had quit with a bare "interrupted", no run in the JSON, after a board that had stopped and kept every
        file (a CLI user's check)."""
        from zoo.run_health import QuitAtOnce

        if summary.get("run_id") and summary.get("run_dir"):
            self._ended = QuitAtOnce(summary["run_id"], summary["run_dir"],
                                     f"{summary.get('reason') or 'as it said'}; its files are complete",
                                     status=summary.get("status") or "ended")

    def quit_at_once(self) -> None:
        """A command with no run to stop (summary, gradcam): a signal quits it, one that came already included."""
        self._quits = True
        if self.requested:
            raise KeyboardInterrupt

    def stops_a_run(self) -> None:
        """A command that runs something: a signal is its Stop, one that came while it started included."""
        self._stops = True
        if self.requested:
            self._say_stopping()

    @staticmethod
    def _say_stopping() -> None:
        print("stopping: the run ends after the current step and keeps what it finished (Ctrl-C again to quit "
              "at once)", file=sys.stderr, flush=True)

    def _handle(self, signum, frame):
        if self._ended is not None:   # nothing left to stop: quit, naming the run
            raise self._ended
        if self.requested or self._quits:
            raise KeyboardInterrupt
        self.requested = True
        if self._stops:   # not said of `summary` in its start, which then quits (a review)
            self._say_stopping()

    def __enter__(self):
        import signal

        try:
            self._previous = {name: signal.signal(getattr(signal, name), self._handle) for name in self.SIGNALS}
        except ValueError:   # not the main thread
            self._previous = None
        return self

    def __exit__(self, *exc):
        import signal

        for name, handler in (self._previous or {}).items():
            # `then_ignore` (the process's own entry, zoo/__main__.py): the command is over, only its output and
            # Python's teardown (a second or two of torch's modules) are left, where a signal had killed it by the
            # signal (exit 143 after a JSON line that said `stopped`: a CLI user's check). Ignored: CPython resets
            # a Python handler before its teardown, not an ignored signal (a review).
            signal.signal(getattr(signal, name), signal.SIG_IGN if self._then_ignore else handler)
        return False


def run_ended(args, summary: dict) -> None:
    """Tell the command's Ctrl-C handler (StopOnInterrupt) that its run has ended, where it has one."""
    stopper = getattr(args, "should_stop", None)
    if isinstance(stopper, StopOnInterrupt):
        stopper.run_ended(summary)


def run_dir_arg(value: str, runs_dir=None):
    """A --run: a run directory, or a run id (what `train` prints) under the runs directory. The id that train
    printed was refused with "give a folder under the runs directory", which it was (a CLI user's check)."""
    from pathlib import Path

    from zoo.runs import is_run_id, run_path, runs_root

    if Path(value).is_dir():
        return Path(value)
    if is_run_id(value) and run_path(value, runs_dir).is_dir():
        return run_path(value, runs_dir)
    raise SpecError(f"there is no run {value} (a run directory, or a run id under {runs_root(runs_dir)}); give a "
                    "run's folder, or its id with --runs-dir where its runs directory is.")


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one `error:` line (exit 2) instead of printing usage. A flag is taken
    only as written in full: `--js` was read as `--json` on success, but a failure then printed no JSON line (the
    error path looks for `--json` itself: a CLI user's check), and a prefix changes meaning when a flag is added."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message):
        # argparse's own words for a number flag that is not one ("argument --n-trials: invalid int value: 'abc'"),
        # said as a declared setting's flag says it ("--epochs 'abc' is not a whole number": a new user's check)
        wrong = re.fullmatch(r"argument (\S+): invalid (int|float) value: (.*)", message)
        if wrong:
            flags, kind, value = wrong.groups()
            message = f"{flags.split('/')[-1]} {value} is not {'a whole number' if kind == 'int' else 'a number'}"
        raise UsageError(f"{message}; see `python -m zoo {self.prog.split()[-1]} --help`.")


def add_spec_arguments(p: argparse.ArgumentParser, *, only: tuple[str, ...] | None = None) -> None:
    """The flags that make an ExperimentSpec: --data, --model, --set, and one flag per declared
    setting (`only` limits them to those names). Values are checked by the declaration when the spec
    is made, so a flag accepts whatever the setting accepts (any positive lr, not only the form's
    range)."""
    p.add_argument("--data", default="mnist-sample",
                   help="mnist-sample (bundled, default), mnist, fashion-mnist; or a CSV path, or ETTh1 (bundled), "
                        "for a series")
    p.add_argument("--model", default=None, help="model name (see `python -m zoo models`); default cnn / linear")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a model hyperparameter, checked against its declared range (repeatable)")
    p.add_argument("--data-dir", default=None, help="where torchvision datasets live (default: $PLAYGROUND_DATA "
                                                    "or ~/.cache/torch-playground)")
    p.add_argument("--runs-dir", default=None, help="run store (default: $PLAYGROUND_RUNS_DIR or ./runs)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    groups: dict = {}
    for h in settings():
        if not h.cli or (only is not None and h.name not in only):
            continue
        if h.tasks is not None:
            title = " and ".join(get_task(t).title for t in h.tasks) + " only"
        else:
            title = GROUP_TITLES.get(h.group, h.group)
        group = groups.setdefault(title, p.add_argument_group(title))
        group.add_argument(flag(h.name), dest=h.name, default=None, metavar=h.kind.upper(), help=_help(h))


def _help(h) -> str:
    from zoo.demo import offered

    if h.kind == "choice":
        allowed = " | ".join(map(str, h.choices))
    elif h.kind in ("int", "float"):
        # On the hosted demo, the range its form offers and the command line takes (zoo/demo.offered): the help
        # said "the form offers 1 to 200" where both stopped at 30 (a demo visitor's check)
        shown = offered(h)
        capped = f", at most {as_typed(shown.high)} on this hosted demo" if shown.high != h.high else ""
        allowed = f"valid: {h.valid.describe()}{capped}; the form offers {as_typed(h.low)} to {as_typed(shown.high)}"
    else:
        allowed = ""
    said = [part for part in (default_said(h), allowed) if part]
    return (f"{h.help} ({'; '.join(said)})" if said else h.help).replace("%", "%%")


def default_said(h) -> str:
    """"default X" for a setting's help, unless its help says its default itself ("target column (default: the
    last numeric ...)" had read "... (default None)" after it) or it has none to say (None, "")."""
    return "" if "(default" in h.help or h.default in (None, "") else f"default {h.default}"


def is_series_data(data: str) -> bool:
    from zoo.data.series import SAMPLE_NAMES  # names of the bundled series, e.g. ETTh1

    lowered = data.strip().lower()
    return lowered in SAMPLE_NAMES or lowered.endswith((".csv", ".tsv", ".txt")) or "/" in data or "\\" in data


def parse_sets(model: str, assignments: list[str], task: str) -> dict:
    """`--set key=value` pairs, coerced and checked against the model's declared ranges."""
    declared = {h.name: h for h in get_model(model, task).hparams(task)}
    params = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SpecError(f"--set {item!r} is not KEY=VALUE; write it like --set hidden_size=64.")
        if key not in declared:
            raise SpecError(f"model {model!r} has no hyperparameter {key!r} for the {task} task; it has "
                            f"{', '.join(declared) or 'none'}.")
        if key in params:   # as --search and --fix refuse a key twice: `--set k=a --set k=b` had kept b unsaid
            raise SpecError(f"--set {key} is given twice; give it once.")
        params[key] = declared[key].check(value.strip())
    return params


def refuse_unused(spec: ExperimentSpec) -> None:
    """`train`: a model value typed that does nothing beside the others (ModelEntry.unused), refused, saying why and
    what to do, as the form greys it out: `--set dropout=0.3` of a one-layer LSTM was recorded in spec.json and its
    command as if it did something (a learner's check). Not a search's: its trials may sample the other value."""
    # A training setting alike (min delta with early stopping off, patience 0: the form greys it out)
    values = spec.to_dict()
    for h in settings(spec.task):
        if values.get(h.name, h.default) != h.default and (why := h.unused_because(values)):
            other, least = h.used_from
            raise SpecError(f"{flag(h.name)} {as_typed(values[h.name])} does nothing with {flag(other)} "
                            f"{as_typed(values[other])} ({h.name.replace('_', ' ')} is {why}); give {flag(other)} "
                            f"{h.needed_value()}, or leave {flag(h.name)} out.")
    entry = get_model(spec.model, spec.task)
    declared = {h.name: h for h in entry.hparams(spec.task)}
    for key, why in entry.unused(spec.model_params, spec.task).items():
        other, least = declared[key].used_from
        now = spec.model_params.get(other, declared[other].default)
        raise SpecError(f"--set {key}={as_typed(spec.model_params[key])} does nothing for {spec.model} with "
                        f"{other}={as_typed(now)} ({key} is {why}); give --set {other}={declared[key].needed_value()}"
                        f", or leave {key} out.")


def data_arg(data: str) -> str:
    """--data as a spec keeps it: a file named by a relative path, by its absolute one, so that the run's spec
    (spec.json, leaderboard.json), its command and a later load work from any folder (a CLI user's check: spec.json
    kept ../../data.csv, which load_run and the command then read from wherever they ran). A name is kept."""
    from pathlib import Path

    typed = Path(data)
    return str(typed.resolve()) if not typed.is_absolute() and typed.is_file() else data


def spec_from_args(args) -> ExperimentSpec:
    """The spec the flags describe: each given setting checked by its declaration, the rest defaults."""
    task = "series" if is_series_data(args.data) else "image"
    model = args.model or get_task(task).default_model
    fields = dict(task=task, data=data_arg(args.data), model=model, model_params=parse_sets(model, args.set, task))
    for h in settings():
        value = getattr(args, h.name, None)
        if value is None:
            continue
        if not h.serves(task):
            raise SpecError(f"{flag(h.name)} is for the {' and '.join(h.tasks)} task, and --data {args.data} makes "
                            f"this {'an' if task[0] in 'aeiou' else 'a'} {task} run; leave it out.")
        fields[h.name] = h.check(value)
    spec = ExperimentSpec(**fields)
    if getattr(args, "dry_run", False):   # a tiny run: 1 epoch of two batches, or of fewer samples where set so
        # (--limit-train 50 had been raised to 128 unsaid: a CLI user's check)
        two_batches = 2 * spec.batch_size
        spec = spec.replace(epochs=1, limit_train=min(spec.limit_train, two_batches) if spec.limit_train else
                            two_batches)
    return spec.validate()


def windows_for_the_series(spec: ExperimentSpec, args, refused: Exception | None = None) -> ExperimentSpec:
    """A CSV the default windows (the bundled sample's 96 / 24) do not fit, with no --lookback or --horizon
    given: the windows suggest_windows gives it, said on stderr, as the Forecast page fits them
    (ui/series_windows.fit_to_series). A daily CSV of 120 rows ended with "horizon 24 needs 24 validation
    rows" on the command line, where the page had offered lookback 28 and horizon 7 (a forecast user's
    check). Otherwise the spec as it is; `refused` (the error loading the data gave, `train`'s way of asking
    without reading the file twice) is raised again when the windows were not what it refused."""
    from zoo.data.series import make_windows, read_series, resolve_series_source, suggest_windows

    def as_it_was() -> ExperimentSpec:
        if refused is not None:
            raise refused
        return spec

    # Only those not given are fitted: --horizon 6 alone kept lookback 96 on 60 rows, refused (a CLI check), where
    # the page fits the lookback to the horizon the person set (suggest_windows' `horizon`)
    if spec.task != "series" or args.lookback is not None:   # a lookback set: the horizon is the person's to
        return as_it_was()                                     # choose (the page's too)
    try:
        sf = read_series(resolve_series_source(spec.data), target=spec.target, date_col=spec.date_col,
                         layout=spec.layout)
    except SpecError:
        return as_it_was()   # the file's own error, which loading it gives
    try:
        make_windows(sf, spec.lookback, spec.horizon, features=spec.features, split=spec.split, season=spec.season)
        return as_it_was()   # the defaults fit: what was refused, if anything, was something else
    except SpecError:
        pass
    try:
        suggested = suggest_windows(sf, spec.split, season=spec.season, horizon=args.horizon)
        if args.horizon is not None:   # the horizon given may be what does not fit: then its own error, not a
            make_windows(sf, suggested["lookback"], spec.horizon, features=spec.features, split=spec.split,
                         season=spec.season)   # lookback fitted in vain (a review: --horizon 70 on 60 rows)
    except SpecError:
        return as_it_was()
    if args.horizon is not None:
        print(f"The default lookback {spec.lookback} does not fit this series of {len(sf):,} rows at horizon "
              f"{spec.horizon}: using lookback {suggested['lookback']}, as the Forecast page would. Give --lookback "
              "to set it.", file=sys.stderr, flush=True)
        return spec.replace(lookback=suggested["lookback"], windows_fitted=["lookback"])
    print(f"The default lookback {spec.lookback} and horizon {spec.horizon} do not fit this series of {len(sf):,} rows: "
          f"using lookback {suggested['lookback']} and horizon {suggested['horizon']}, as the Forecast page would "
          f"({suggested['reason'].rstrip('.')}). Give --lookback and --horizon to set them.", file=sys.stderr, flush=True)
    return spec.replace(lookback=suggested["lookback"], horizon=suggested["horizon"],
                        windows_fitted=["lookback", "horizon"])


def spec_and_data(spec: ExperimentSpec, args, *, say_the_pages: bool = False):
    """The spec and its data, the file read once where the windows fit: the data first (an error in it is
    reported before the engine's imports), and only when loading refused the default windows of a CSV, the
    windows the page would fit (`windows_for_the_series`) and a second read. `say_the_pages` (train): where a
    series' windows or training settings, not given as flags, are not those the Forecast page gives it, say the
    page's, as flags (`the_pages_settings`)."""
    from zoo.data import load_data

    try:
        data = load_data(spec, args.data_dir)
    except SpecError as exc:
        spec = windows_for_the_series(spec, args, refused=exc)
        data = load_data(spec, args.data_dir)
    windows = data.extra.get("windows")
    say_data_notes(list(getattr(getattr(windows, "sf", None), "notes", []) or []))
    if say_the_pages and windows is not None:
        the_pages_settings(spec, args, data)
    return spec, data


def the_pages_settings(spec: ExperimentSpec, args, data) -> None:
    """Where the Forecast page would train this series otherwise, for the settings not given as flags, say how, as
    the flags that do it: the lookback and horizon the series suggests (zoo's suggest_windows, which the page
    applies: ui/series_windows.fit_to_series), and where this run's settings make too few optimisation steps (the
    verdict's rule), the leaderboard's recipe, which the page uses where its own make too few
    (zoo/forecast_io.recipe_if_few_steps). A daily CSV trained on the defaults (lookback 96,
    horizon 24, 35 steps) scored test MASE 1.97 here, 0.87 on the page with its 28 / 7 and recipe, and the command
    line said neither (a forecast user's check). The flags' defaults stay the run's: a command's defaults do not
    change with its data unsaid (a CSV the defaults do not fit is fitted, and said: `windows_for_the_series`)."""
    from zoo import forecast_io as fio
    from zoo.data.series import suggest_windows
    from zoo.forecast import detect_period

    ws = data.extra["windows"]
    lookback, horizon, flags = spec.lookback, spec.horizon, []
    if args.lookback is None and not spec.windows_fitted:   # (fitted already where the defaults did not fit)
        try:
            suggested = suggest_windows(ws.sf, spec.split, season=spec.season, horizon=args.horizon)
        except SpecError:
            suggested = None
        if suggested is not None and (suggested["lookback"], suggested["horizon"]) != (lookback, horizon):
            lookback, horizon = suggested["lookback"], suggested["horizon"]
            flags += [f"--lookback {lookback}"] + ([] if args.horizon is not None else [f"--horizon {horizon}"])
            print(f"note: lookback {spec.lookback} and horizon {spec.horizon} (the defaults"
                  f"{', and the --horizon given' if args.horizon is not None else ''}); the Forecast page would set "
                  f"{' '.join(flags)} from this series ({suggested['reason'].rstrip('.')}).", file=sys.stderr,
                  flush=True)
    given = [key for key in fio.RECIPE_KEYS if getattr(args, key, None) is not None]
    run_windows = data.sizes()["train"]
    if not given and not getattr(args, "dry_run", False) and fio.few_steps(
            run_windows, {"batch_size": spec.batch_size, "epochs": spec.epochs}):
        # Too few steps for this run (the verdict's rule, zoo/verdict.FEW_STEPS); the recipe for the windows the
        # page would set, which the flags above add (the same as the run's where they agree).
        from zoo.data.series import make_windows

        page_windows = run_windows
        if flags:
            page_windows = min(len(make_windows(ws.sf, lookback, horizon, features=spec.features, split=spec.split,
                                                season=spec.season).train_starts), spec.limit_train or len(ws.sf.frame))
        recipe = fio.series_recipe(spec.model, page_windows, lookback, detect_period(ws, season=spec.season))
        steps = -(-run_windows // spec.batch_size) * spec.epochs
        recipe_flags = [f"{flag(k)} {as_typed(recipe[k])}" for k in fio.RECIPE_KEYS]
        print(f"note: {fio.epochs_in_words(spec.epochs)} of batch {spec.batch_size} (the defaults) make {steps} "
              f"optimisation step{'s' * (steps != 1)} on {run_windows:,} training windows, too few to fit a model; the "
              f"leaderboard's recipe for {spec.model}, which the Forecast page uses on a series its own settings "
              f"train so little: {' '.join(recipe_flags)}.", file=sys.stderr, flush=True)
        if flags:   # the windows' too: one line to copy
            print(f"note: to train as the Forecast page would, add {' '.join(flags + recipe_flags)}.", file=sys.stderr,
                  flush=True)


def say_data_notes(notes: list[str]) -> None:
    """What reading a CSV found and fixed (values that are not numbers, gaps filled), on stderr as the Forecast
    page shows it under "What the reader found": the command line had kept it to --json and result.json (a
    forecast user's check)."""
    for note in notes:
        print(f"note: {note}", file=sys.stderr, flush=True)


def progress_printer(event: dict) -> None:
    """One line per epoch on stderr."""
    if event["type"] == "start":
        sizes = event["sizes"]
        batches = event["batches_per_epoch"]
        print(f"device {event['device']}: train {sizes['train']}, val {sizes['val']}, test {sizes['test']}, "
              f"{batches} batch{'' if batches == 1 else 'es'} per epoch", file=sys.stderr, flush=True)
    elif event["type"] == "epoch":
        mark = " *" if event.get("improved") else ""
        print(f"epoch {event['epoch']:3d}  train_loss {event['train_loss']:.4f}  val_loss {event['val_loss']:.4f}  "
              f"val_metric {event['val_metric']:.4f}  lr {event['lr']:.3g}  {event['seconds']:.1f}s  "
              f"{event['samples_per_s']:.0f} samples/s{mark}", file=sys.stderr, flush=True)
    elif event["type"] == "phase":   # testing, backtesting: minutes, on a long lookback, after a Ctrl-C's "stopping"
        print(f"{event['words']}…", file=sys.stderr, flush=True)
    elif event["type"] == "finished":
        print(f"{event['status']}: {event.get('reason', '')}", file=sys.stderr, flush=True)
        # The score the pages lead with (the task's headline), so that a run reproduced here reads against the
        # page's number without --json (a learner had to open result.json to compare 88.10%).
        task = (event.get("shape") or {}).get("task")
        t = get_task(task) if task else None
        value = (event.get("metrics") or {}).get(t.headline[0]) if t else None   # MASE is None where its scale is 0
        from zoo.runs import ended_untrained

        if ended_untrained(event):   # as the pages: the initial weights' chance-level score is not a result
            print(f"no epoch finished: the initial weights are not a trained model to score; run {event.get('run_dir')}",
                  file=sys.stderr, flush=True)
        else:
            if value is not None:
                print(f"{t.headline[1]} {t.format_metric(value)} (the best epoch's weights, on the test split); "
                      f"run {event.get('run_dir')}", file=sys.stderr, flush=True)
            if task == "series":   # also where MASE is undefined (seasonal naive exact), the baselines matter most
                say_series_report(event)


def say_series_report(result: dict) -> None:
    """After a series run's score, what the Forecast page shows beside it: the model against each baseline, the
    intervals' test coverage, and the report's notes (an interval left out, and why). The command line kept
    them to result.json: a run that lost to the least-squares baseline, or whose "80%" interval covered 43%,
    printed only its MASE (a CLI user's check)."""
    from zoo.forecast_io import beats_lines

    lines = beats_lines(result)
    if lines:
        print(f"against the baselines (test RMSE): {'; '.join(line['text'] for line in lines)}",
              file=sys.stderr, flush=True)
    say_coverage(result, (result.get("interval_windows") or {}).get("validation"), "windows")
    say_data_notes(result.get("notes") or [])


def say_coverage(result: dict, calibrated_on: int | None, what: str) -> None:
    """"on the test windows, the 80% interval covers 56% of the actual values (calibrated on 40 validation
    windows)": a series run's, a leaderboard pick's (`what`: "origins"), on stderr."""
    from zoo.forecast_io import coverage_lines, coverage_shortfall

    covered = [f"{level}% interval covers {share:.0%}" for level, share in coverage_lines(result) if share is not None]
    if covered:
        print(f"on the test {what}, the {', the '.join(covered)} of the actual values"
              + (f" (calibrated on {calibrated_on} validation {what})" if calibrated_on else ""), file=sys.stderr,
              flush=True)
    short = coverage_shortfall(result, calibrated_on, what)
    if short:
        print(f"warning: {short}", file=sys.stderr, flush=True)
