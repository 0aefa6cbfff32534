"""`python -m zoo train ...`: train one model and record the run."""
from __future__ import annotations

import sys

from zoo.cli.common import add_spec_arguments, progress_printer, spec_from_args


STOPPABLE = True   # Ctrl-C asks the run to stop (zoo/cli/common.py StopOnInterrupt)


def add_arguments(p) -> None:
    add_spec_arguments(p)
    p.add_argument("--dry-run", action="store_true", help="one epoch on two batches, to check that it runs")


def run(args) -> dict:
    from zoo.data import load_data
    from zoo.registry import SpecError

    spec = spec_from_args(args)
    # The data, then the engine: an error in the data is reported before the engine's imports.
    try:
        data = load_data(spec, args.data_dir)
    except SpecError as exc:
        spec = windows_for_the_series(spec, args, exc)
        data = load_data(spec, args.data_dir)

    from zoo.engine import run_experiment

    result = run_experiment(spec, runs_dir=args.runs_dir, data_dir=args.data_dir, callback=progress_printer, data=data,
                            should_stop=getattr(args, "should_stop", None))   # Ctrl-C (zoo/cli/common.py)
    verdict = result.extra.get("verdict") or {}
    if verdict and not verdict.get("better"):
        # As the pages say it, a warning and not a success: a short CSV's run of 5 steps ended "finished:
        # completed all 5 epochs" with a test MASE of 4.1, worse than every baseline (a forecast user's check).
        print(f"warning: finished, but it learned nothing useful: {verdict.get('message', '')}. Likely cause: "
              f"{verdict.get('cause', '')}.", file=sys.stderr, flush=True)
    return result.summary()


def windows_for_the_series(spec, args, refusal: Exception):
    """A CSV the default windows (the bundled sample's 96 / 24) do not fit, with no --lookback or --horizon
    given: the windows suggest_windows gives it, said on stderr, as the Forecast page fits them
    (ui/series_windows.fit_to_series). A daily CSV of 120 rows ended with "horizon 24 needs 24 validation
    rows" on the command line, where the page had offered lookback 28 and horizon 7 (a forecast user's
    check). Anything else, or a value given, raises `refusal` as it was."""
    from zoo.data.series import make_windows, read_series, resolve_series_source, suggest_windows
    from zoo.registry import SpecError

    if spec.task != "series" or args.lookback is not None or args.horizon is not None:
        raise refusal
    try:
        sf = read_series(resolve_series_source(spec.data), target=spec.target, date_col=spec.date_col,
                         layout=spec.layout)
        suggested = suggest_windows(sf, spec.split, season=spec.season, features=spec.features)
    except SpecError:
        raise refusal from None
    try:
        make_windows(sf, spec.lookback, spec.horizon, features=spec.features, split=spec.split, season=spec.season)
    except SpecError:
        pass   # the windows are what was refused
    else:
        raise refusal   # something else was
    print(f"The default lookback {spec.lookback} and horizon {spec.horizon} do not fit this series of {len(sf):,} rows: "
          f"using lookback {suggested['lookback']} and horizon {suggested['horizon']}, as the Forecast page would "
          f"({suggested['reason'].rstrip('.')}). Give --lookback and --horizon to set them.", file=sys.stderr, flush=True)
    return spec.replace(lookback=suggested["lookback"], horizon=suggested["horizon"])
