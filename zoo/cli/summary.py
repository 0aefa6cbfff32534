"""`python -m zoo summary ...`: the layer-by-layer summary of a configured model, or of a saved run's."""
from __future__ import annotations

from zoo.cli.common import add_spec_arguments, run_dir_arg, spec_from_args, windows_for_the_series
from zoo.registry import SpecError

SIZES = ("fp32", "fp16", "bf16", "fp64")


def add_arguments(parser) -> None:
    add_spec_arguments(parser, only=("seed", "device", "target", "date_col", "layout", "lookback", "horizon",
                                     "features", "split", "season"))
    parser.add_argument("--run", default=None, help="summarise a saved run's model instead (its id, or its directory)")
    parser.add_argument("--batch-size", type=int, default=64,
                        help="batch size for the shapes, mult-adds and memory estimate (default 64)")
    parser.add_argument("--precision", default="fp32", choices=SIZES,
                        help="bytes per number for the sizes: fp32 4, fp16/bf16 2, fp64 8")


def run(args) -> dict:
    import torch

    from zoo.devices import resolve_device
    from zoo.inspect import shape_for_spec, summarize
    from zoo.registry import build

    if args.batch_size < 1:
        raise SpecError(f"--batch-size {args.batch_size} must be at least 1.")
    if args.run:
        from zoo.runs import load_run

        run = load_run(run_dir_arg(args.run, args.runs_dir))
        if run.is_leaderboard:   # its pick's model, where the pick is one of the zoo's (else Run.model says it is
            from zoo.spec import ExperimentSpec   # not); a leaderboard's own spec has no shape (KeyError: a check)

            model = run.model
            spec = ExperimentSpec.from_dict(run.result["pick"]["spec"])
        else:
            spec = run.spec
            model = build(spec.model, run.shape, spec.model_params)
        shape = run.shape
        named = {"run_id": run.run_id}   # which run it summarises, as gradcam's JSON says (a CLI user's check)
    else:
        # a CSV the default windows do not fit: the windows train and the Forecast page give it, said (summary
        # ended in "horizon 24 needs 24 validation rows" on 72 monthly rows where train ran: a new user's check)
        spec = windows_for_the_series(spec_from_args(args), args)
        shape = shape_for_spec(spec, args.data_dir)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(spec.seed)
            model = build(spec.model, shape, spec.model_params)
        model.to(resolve_device(spec.device))
        named = {}
    summary = summarize(model, shape, batch_size=args.batch_size, precision=args.precision)
    if not args.json:
        print(f"{spec.model} on {spec.data}: input {list(shape.input_shape())}")
        print(summary.table())
    return {**named, "model": spec.model, "data": spec.data, "model_params": spec.model_params, **summary.to_dict()}
