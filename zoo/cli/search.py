"""`python -m zoo search ...`: one worker of an Optuna study, its progress on stderr.

Several such processes given the same storage and study name share one study: that is Optuna's
own way to scale out (zoo/search/storage.py). `--workers N` starts N workers from this command,
as local processes or, with `--ray ADDRESS`, as Ray tasks placed by the cluster (zoo/ray_launcher.py)."""
from __future__ import annotations

import sys

from zoo.cli.common import JobFailed, add_spec_arguments, spec_and_data, spec_from_args, windows_for_the_series
from zoo.registry import SpecError
from zoo.search import (MEDIAN_STARTUP_TRIALS, OBJECTIVES, PRUNERS, SAMPLERS, SearchConfig, build_space,
                        default_search_keys, display_storage, run_search)
from zoo.search.space import DEFAULT_TRAIN_KEYS, _key
from zoo.search.study import SearchWorkerFailed, objective_number, objective_value
from zoo.spec import ExperimentSpec


STOPPABLE = True   # Ctrl-C asks the run to stop (zoo/cli/common.py StopOnInterrupt)


def add_arguments(p) -> None:
    add_spec_arguments(p)
    s = p.add_argument_group(
        "search", "The space: without --search, optimizer, lr, batch_size and every model hyperparameter are "
                  "searched over their declared ranges (see `python -m zoo models`). With --search, exactly the "
                  "settings named. Train's flags (--epochs, --lr, --set, ...) give the values every trial shares.")
    s.add_argument("--n-trials", type=int, default=None,
                   help="trials to run, split among --workers (default 20; unlimited when only --timeout is given)")
    s.add_argument("--workers", type=int, default=1,
                   help="workers sharing the study, started by this command (default 1: this process)")
    s.add_argument("--ray", default=None, metavar="ADDRESS",
                   help="run the workers as Ray tasks on this cluster: local (a cluster on this machine), auto, "
                        "ray://HOST:10001 or HOST:6379; they share the study's storage, which every node must "
                        "reach (PostgreSQL, or a journal file on shared storage)")
    s.add_argument("--timeout", type=float, default=None, help="seconds after which this worker starts no new trial")
    s.add_argument("--total-trials", type=int, default=None,
                   help="stop once the study, all workers together, has this many trials")
    s.add_argument("--storage", default=None,
                   help="a journal file path (default <runs-dir>/optuna/journal.log) or an SQLAlchemy URL "
                        "such as postgresql://user:pass@host/db")
    s.add_argument("--study", default=None, help="study name; workers with the same storage and name share it "
                                                 "(default MODEL-DATA-OBJECTIVE)")
    s.add_argument("--sampler", default="tpe", choices=SAMPLERS, help="tpe (default), random, or grid")
    s.add_argument("--sampler-seed", type=int, default=None,
                   help="seed of the sampler (default: none, so parallel workers sample differently); a study "
                        "resumed with it samples from the seed plus the trials it holds, not its first settings "
                        "again")
    s.add_argument("--grid-points", type=int, default=3, help="grid sampler: values per numeric range")
    s.add_argument("--pruner", default="median", choices=PRUNERS,
                   help=f"median (default: once {MEDIAN_STARTUP_TRIALS} trials have finished, stops a trial worse "
                        "than their median at an epoch), none, or hyperband")
    s.add_argument("--objective", default="val_loss", choices=OBJECTIVES,
                   help="best validation loss (minimised) or val_metric: accuracy for images (maximised), "
                        "MAE for series (minimised)")
    s.add_argument("--search", action="append", default=None, metavar="KEY[=LOW:HIGH|=A,B,C]",
                   help="search KEY over its declared range, a narrower LOW:HIGH (keeping its log/linear scale), "
                        "or a list of values; repeatable")
    s.add_argument("--fix", action="append", default=[], metavar="KEY=VALUE",
                   help="hold KEY at VALUE in every trial (taken out of the search); repeatable")
    s.add_argument("--show-space", action="store_true", help="print the space and exit without training")


def _pairs(items: list[str], flag: str, need_value: bool) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = _key(key)
        if not key or (need_value and not sep):
            raise SpecError(f"{flag} {item!r} is not KEY=VALUE; write it like {flag} lr=0.01.")
        if key in out:
            raise SpecError(f"{flag} {key} is given twice; give it once.")
        out[key] = value if sep else None
    return out


def config_from_args(args, spec: ExperimentSpec | None = None) -> SearchConfig:
    """The search the flags ask for; `spec` when the caller has fitted the windows to the data already."""
    spec = spec or windows_for_the_series(spec_from_args(args), args)   # a CSV's own windows where the defaults do not fit
    search = _pairs(args.search, "--search", need_value=False) if args.search else None
    fix = _pairs(args.fix, "--fix", need_value=True)
    # What train's flags set explicitly is shared, not searched: --set keys, and training flags
    # given a value other than their default.
    explicit = dict(spec.model_params)
    defaults = ExperimentSpec(task=spec.task)
    for key in DEFAULT_TRAIN_KEYS:
        if getattr(spec, key) != getattr(defaults, key):
            explicit[key] = getattr(spec, key)
    for key in explicit:
        if search is not None and key in search:
            raise SpecError(f"{key} is both searched (--search) and set by a train flag; drop one.")
    if search is None:
        held = {**{k: v for k, v in fix.items()}, **explicit}
        search = {k: None for k in default_search_keys(spec.model, spec.task, held=held)
                  if k not in fix and k not in explicit}
    space = build_space(spec.model, spec.task, search=search, fix=fix)
    config = SearchConfig(
        spec=spec, space=space, objective=args.objective,
        n_trials=args.n_trials if args.n_trials is not None else (None if args.timeout else 20),
        timeout=args.timeout, total_trials=args.total_trials, study=args.study, storage=args.storage,
        sampler=args.sampler, pruner=args.pruner, sampler_seed=args.sampler_seed, grid_points=args.grid_points,
        runs_dir=args.runs_dir, data_dir=args.data_dir)
    return config.validate()


def _progress(config: SearchConfig):
    maximize = config.direction == "maximize"
    best: list[float] = []

    def said(value: float) -> str:   # 'val accuracy 41.23%', as the Search page writes it
        return objective_value(config.objective, config.spec.task, value)

    def number(value: float) -> str:   # '41.23%'
        return objective_number(config.objective, config.spec.task, value)

    def printer(event: dict) -> None:
        kind = event["type"]
        if kind == "start":
            if event.get("best") is not None and not best:   # a resumed study: its best, not this command's
                best[:] = [event["best"]]
            print(f"study {event['study']} in {event['storage']}: {event['direction']} {event['objective']}",
                  file=sys.stderr, flush=True)
        elif kind == "trial_start":
            params = ", ".join(f"{k}={_short(v)}" for k, v in event["params"].items())
            print(f"trial {event['number']:3d} start  {params}", file=sys.stderr, flush=True)
        elif kind == "trial_end":
            if event["state"] == "COMPLETE":
                value = event["value"]
                # the study's, other workers' trials included (this worker's own had been said as the best: a
                # CLI user's two searches into one study)
                told = [v for v in (value, event.get("study_best"), *best) if v is not None]
                best[:] = [max(told) if maximize else min(told)]
                print(f"trial {event['number']:3d} done   {said(value)}  (best {number(best[0])})",
                      file=sys.stderr, flush=True)
            elif event.get("status") == "diverged":   # pruned in Optuna, so the sampler ranks it worst; its words
                print(f"trial {event['number']:3d} diverged: {event['reason']}", file=sys.stderr, flush=True)
            elif event["state"] == "PRUNED":
                why = event.get("reason") or said(event["value"])
                print(f"trial {event['number']:3d} pruned after epoch {event['epoch']} ({why})",
                      file=sys.stderr, flush=True)
            else:   # a trial the stop ended says so, as the summary and its run do (it read "failed: stopped...")
                ended, reason = "stopped" if event.get("status") == "stopped" else "failed", event.get("reason", "")
                words = reason if reason.startswith(f"{ended} ") else f"{ended}: {reason}"   # not "stopped: stopped by"
                print(f"trial {event['number']:3d} {words}", file=sys.stderr, flush=True)

    return printer


def _short(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def run(args) -> dict:
    if args.workers < 1:
        raise SpecError(f"--workers {args.workers} must be at least 1.")
    one_worker = args.ray is None and args.workers == 1 and not args.show_space
    spec, data = None, None
    if one_worker:
        # The flags are checked before the data is read (a misspelt --search key was said only after the whole
        # file had been): the defaults' windows are valid settings, and fitting them to a CSV changes no flag.
        spec = spec_from_args(args)
        config_from_args(args, spec)
        # One worker in this process: the data read once, here, and handed to it (workers elsewhere read their own).
        spec, data = spec_and_data(spec, args)
    config = config_from_args(args, spec)
    if args.show_space:
        rows = config.space.describe()
        if not args.json:
            for row in rows:
                print(f"{row['setting']:16s} {row['group']:6s} {'search' if row['searched'] else 'fixed ':7s} "
                      f"{row['range']}")
        return {"study": config.study_name, "storage": display_storage(config.storage_url), "space": rows,
                "grid_size": config.space.grid_size(config.grid_points) if config.sampler == "grid" else None}
    if args.ray is not None or args.workers > 1:
        from zoo.launch import make_launcher
        from zoo.search import search_on_workers

        launcher = make_launcher(args.ray or "", named="--ray")   # "": local worker processes
        if hasattr(launcher, "describe"):   # which cluster, as the app's sidebar says it
            print(f"note: the workers run on the {launcher.describe()}", file=sys.stderr, flush=True)
        try:
            summary = search_on_workers(config, args.workers, launcher, emit=_progress(config),
                                        should_stop=getattr(args, "should_stop", None))
        except SearchWorkerFailed as failed:   # what finished is said, then why it ended (exit 1, no traceback)
            if failed.summary:
                say_summary(failed.summary, config, file=sys.stderr)
            raise JobFailed(f"{failed}; the study's finished trials are kept") from None
        finally:
            getattr(launcher, "close", lambda: None)()
    else:
        summary = run_search(config, emit=_progress(config), should_stop=getattr(args, "should_stop", None), data=data)
    if summary.get("status") == "failed":   # no trial gave a value: said, exit 1 (2 where each was refused its
        say_summary(summary, config, file=sys.stderr)   # settings, the input's fault), no "finished"
        raise (SpecError if summary.get("failed_on_input") else JobFailed)(summary["reason"])
    if not args.json:
        if not (summary.get("worker") or {}).get("trials", 1):   # a study full already (--total-trials): why none ran
            print(f"note: {summary.get('reason')}", file=sys.stderr, flush=True)   # (the JSON alone had said it)
        say_summary(summary, config)
    return summary


def say_summary(summary: dict, config, file=None) -> None:
    """The study's trials by outcome and its best, in two lines."""
    print(f"study {summary['study']} ({summary['storage']}): {summary['n_trials']} trials "
          + ", ".join(f"{v} {k}" for k, v in summary["outcomes"].items() if v), file=file)
    if summary["best_value"] is not None:
        print(f"best {objective_value(config.objective, config.spec.task, summary['best_value'])} in trial "
              f"{summary['best_trial']} (run {summary['best_run_id']}): "
              + ", ".join(f"{k}={_short(v)}" for k, v in summary["best_params"].items()), file=file)
