"""`python -m zoo models [--task image|series] [--json]`: every model with its hyperparameters."""
from __future__ import annotations

from zoo.registry import TASKS, describe_models


def add_arguments(p) -> None:
    p.add_argument("--task", choices=tuple(TASKS), default=None)
    p.add_argument("--json", action="store_true")


def run(args) -> dict:
    models = describe_models(args.task)
    if not args.json:
        for m in models:
            print(f"{m['name']:12s} [{', '.join(m['tasks'])}]  {m['summary']}")
            for h in m["hyperparameters"]:
                rng = (f"[{h['low']:g}, {h['high']:g}]{' log' if h['log'] else ''}" if "low" in h
                       else "{" + ", ".join(map(str, h["choices"])) + "}" if "choices" in h else "bool")
                only = f" ({', '.join(h['tasks'])} only)" if "tasks" in h else ""
                print(f"    {h['name']:16s} default {h['default']!s:10s} {rng:22s} {h['help']}{only}")
    return {"models": models}
