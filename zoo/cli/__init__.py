"""`python -m zoo models|train|search|summary|gradcam|forecast-auto|runs`: the library's operations, headless.

Contract (README, "Command line"): with --json the last line of stdout is one JSON object; exit 0
on success, exit 2 on bad input with one line `error: ...` on stderr and no traceback, exit 1 only
for a fault of the program itself.

One module per command in this package, each with `add_arguments(parser)` and `run(args) -> dict`;
only the module asked for is imported, so `models` does not pay for importing optuna. The library
never imports this package: the commands call the library.
"""
from __future__ import annotations

import importlib
import json
import math
import shlex
import sys
import traceback

from zoo.cli.common import (JobFailed, Parser, StopOnInterrupt, UsageError, add_spec_arguments,  # noqa: F401
                             spec_from_args)
from zoo.registry import SpecError

COMMANDS = {
    "models": "list the models with their hyperparameters, defaults and ranges",
    "train": "train one model and record the run",
    "search": "search hyperparameters with Optuna",
    "summary": "layer-by-layer summary of a configured model",
    "gradcam": "Grad-CAM heatmap of a trained image model, or saliency of any trained model",
    "forecast-auto": "the best forecast of a series: every model, the baselines and the classical peers ranked",
    "runs": "list the runs, newest first, with their status and test scores",
}


def main(argv: list[str] | None = None, *, process_entry: bool = False) -> int:
    """The command line; `process_entry` where the process is the command's own (zoo/__main__.py), which then
    ignores SIGINT and SIGTERM once its command is over (StopOnInterrupt's `then_ignore`); tests call it in theirs."""
    argv = list(sys.argv[1:] if argv is None else argv)
    top = Parser(prog="python -m zoo", description="The PyTorch playground, headless.")
    top.add_argument("command", choices=list(COMMANDS), help="; ".join(f"{k}: {v}" for k, v in COMMANDS.items()))
    args = None
    try:
        if not argv:   # usage, then the contract's one error line (it had printed usage alone, to stdout)
            top.print_help(sys.stderr)
            raise UsageError(f"give a command: {', '.join(COMMANDS)}; see `python -m zoo --help`.")
        if argv[0] in ("-h", "--help"):
            top.print_help()
            return 0
        command = argv[0]
        named = next((a for a in argv if a in COMMANDS), None)
        if command not in COMMANDS and command.startswith("-") and named:
            # `python -m zoo --json forecast-auto ...` had read as a command named '--json' (a scripting user's check)
            rest = [a for a in argv if a != named]
            raise UsageError(f"the command comes first, then its options: python -m zoo {shlex.join([named, *rest])}")
        if command not in COMMANDS:
            raise UsageError(f"unknown command {command!r}; use one of {', '.join(COMMANDS)}.")
        from zoo.server_settings import problems

        if wrong := problems(names=False):   # as the app refuses them (zoo/server_settings.py)
            raise UsageError(" ".join(wrong))
        for unknown in problems(names=True):   # (the values are right by now: only names are left)
            # A name no setting has: said, and run (a machine's environment may hold a newer checkout's setting, which
            # refused had stopped every command there: a review); the app, which strangers use, refuses it
            print(f"warning: {unknown}", file=sys.stderr)
        # From before the command's imports (torch's: about a second), not from its run's start: a SIGTERM in that
        # second had killed the command with nothing on stdout, no JSON line (a CLI user's check). A signal before
        # the run begins is its Stop all the same: the run ends at once, `stopped`, and says so.
        with StopOnInterrupt(then_ignore=process_entry) as stopper:
            module = importlib.import_module(f"zoo.cli.{command.replace('-', '_')}")
            parser = Parser(prog=f"python -m zoo {command}", description=COMMANDS[command])
            module.add_arguments(parser)
            args = parser.parse_args(argv[1:])
            if getattr(module, "STOPPABLE", False):   # a command that runs something: Ctrl-C is its Stop
                from zoo.run_health import recover_interrupted

                try:
                    recover_interrupted(getattr(args, "runs_dir", None))   # a killed command's runs, as a server does
                except OSError:
                    pass   # a runs directory it cannot read or write: the command says so when it writes there
                args.should_stop = stopper
                stopper.stops_a_run()
            else:   # the others end at the first Ctrl-C (KeyboardInterrupt, below)
                stopper.quit_at_once()
            result = module.run(args)
    except (SpecError, UsageError) as exc:
        return _failed(2, as_flags(str(exc), argv), argv)
    except KeyboardInterrupt as exc:   # a second Ctrl-C: the run it quit is ended and named (run_health.QuitAtOnce)
        run = {"run_id": exc.run_id, "run_dir": exc.run_dir} if getattr(exc, "run_dir", None) else {}
        from zoo.runs import status_words

        said = f"; run {run['run_id']} ended {status_words(exc.status)}, {exc.reason} (in {run['run_dir']})" \
            if run else ""
        return _failed(130, f"interrupted{said}", argv, **run)
    except JobFailed as exc:
        return _failed(1, str(exc), argv, **exc.run)
    except Exception as exc:  # a fault of the program itself: say so, with the traceback for a bug report
        traceback.print_exc()
        return _failed(1, f"internal error ({type(exc).__name__}: {exc}); please report it with the traceback above.",
                       argv)
    if getattr(args, "json", False):
        print(json_line(result))
    return 0


def _failed(code: int, message: str, argv: list[str], **run) -> int:
    """The `error:` line on stderr (DESIGN.md's CLI contract) and, under --json, the last line of stdout as one JSON
    object all the same, {"status": "error", "exit": code, "error": message}: a script that read the last line got
    nothing, or an earlier command's output (a CLI user's check). `run`: the run_id and run_dir of a run it quit."""
    print(f"error: {message}", file=sys.stderr)
    if "--json" in argv:
        print(json.dumps({"status": "error", "exit": code, "error": message, **run}))
    return code


def as_flags(message: str, argv: list[str]) -> str:
    """A setting's refusal as the command line names it: "test_share=0.9 must be in (0, 0.9)" is the spec's field,
    which the person typed as --test-share 0.9 (a CLI user's check). Only a flag in `argv`: a setting given as
    --fix optimizer=foo is named as typed there (a review)."""
    import re

    named = re.match(r"([a-z][a-z0-9_]*)=(\S+) ((?:must|is) .*)", message, re.S)
    flag = f"--{named[1].replace('_', '-')}" if named else None
    if flag and any(a == flag or a.startswith(flag + "=") for a in argv):
        return f"{flag} {named[2]} {named[3]}"
    # A setting named in brackets beside its words, as the demo's caps name one to change ("set the training samples
    # (limit_train) to 100 or fewer"): the command line's flag for it (a docs check)
    from zoo.spec import settings

    flags = {h.name for h in settings()}
    return re.sub(r"\(([a-z][a-z0-9_]*)\)", lambda m: f"(--{m[1].replace('_', '-')})" if m[1] in flags else m[0],
                  message)


def json_line(result) -> str:
    """The --json line: strict JSON, with a value that is not a finite number (an activation memory past the summary's
    limit, a loss that overflowed) as null. Python's json writes NaN and Infinity, which are not JSON: jq and a
    browser's JSON.parse refuse the whole line."""
    return json.dumps(_finite(result), default=_json_default, allow_nan=False)


def _finite(value):
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:   # a numpy or torch scalar
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _json_default(value):
    if hasattr(value, "tolist"):   # an array
        return _finite(value.tolist())
    return str(value)
