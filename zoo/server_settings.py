"""The server's settings: PLAYGROUND_* in the environment, or in .streamlit/secrets.toml (zoo/demo.apply_secrets),
each declared once here with its kind, its range and its default (README, "Deploying the hosted demo", lists them).

`problems()` names every one set wrong: a name no setting has (a misspelt `PLAYGROUND_CAP_EPOCH`), a value not of its
kind or out of its range. The app shows them in place of its pages and writes them to its log (ui/state.py); the
command line refuses a value set wrong and warns of a name no setting has (zoo/cli/__init__.py). An operator's check found each read in its own way, and none
said anything: `PLAYGROUND_DEMO=ture` served the demo in local mode (every visitor's runs to everyone, no caps),
`PLAYGROUND_CAP_MAX_AGE_HOURS=-1` had the sweep delete every run at once, `PLAYGROUND_MAX_JOBS=abc` showed strangers a
traceback, a cap of 2.9 MB was 2. `value(name)` reads one, checked (SpecError, said in a sentence, where it is wrong).
"""
from __future__ import annotations

import difflib
import functools
import os
from dataclasses import dataclass, fields

from zoo.registry import SpecError

PREFIX = "PLAYGROUND_"
ON, OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str                      # "flag", "int", "number", "share" (of a Ray cluster), "text" or "choice"
    default: object = None
    low: float | None = None       # the least value allowed
    above: float | None = None     # a value must be above this (a cap of 0 would refuse or delete everything)
    high: float | None = None
    choices: tuple = ()
    help: str = ""

    def parse(self, raw: str):
        """The value `raw` stands for; SpecError saying what is wrong and what to set."""
        text = raw.strip()
        if not text:   # set empty (`docker run -e NAME=`): not set
            return self.default
        if self.kind == "flag":
            if text.lower() in ON + OFF:
                return text.lower() in ON
            raise SpecError(f"{self.name}={raw!r} is neither on nor off; set it to 1 (on) or 0 (off).")
        if self.kind == "text":
            return raw
        if self.kind == "choice":
            if text in self.choices:
                return text
            raise SpecError(f"{self.name}={raw!r} is not one of {', '.join(self.choices)}; set one of them.")
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if self.kind == "share" and not (number >= 0 and (number <= 1 or number.is_integer())) or \
                self.kind == "share" and self.above is not None and number <= self.above:
            raise SpecError(f"{self.name}={raw!r} is not a share of the cluster Ray can give; use a number such as "
                            "0.25 (a quarter), 1 or 2 (a fraction only below 1).")
        if number != number or number in (float("inf"), float("-inf")):
            raise SpecError(f"{self.name}={raw!r} is not a number; set {self._range()}.")
        if self.kind == "int" and not number.is_integer():
            raise SpecError(f"{self.name}={raw!r} is not a whole number; set {self._range()}.")
        if self.kind == "int" and not text.lstrip("+-").isdigit():
            # 5.0 and 1e1 had passed here and then failed Streamlit's --server.maxUploadSize in the image
            raise SpecError(f"{self.name}={raw!r} is a whole number written otherwise; write it in digits "
                            f"({int(number)}), as Streamlit's own options take it.")
        if (self.low is not None and number < self.low) or (self.above is not None and number <= self.above) \
                or (self.high is not None and number > self.high):
            raise SpecError(f"{self.name}={raw!r} is out of its range; set {self._range()}.")
        return int(number) if self.kind == "int" else number

    def _range(self) -> str:
        kind = "a whole number" if self.kind == "int" else "a number"
        if self.above is not None:
            kind += f" above {self.above:g}"
        elif self.low is not None:
            kind += f" of {self.low:g} or more"
        return kind + (f", at most {self.high:g}" if self.high is not None else "")


def _caps() -> list[Setting]:
    from zoo.demo import Caps

    # 0 allows nothing (every run refused), which is the operator's to choose; a max age of 0 or less had the sweep
    # delete every visitor's runs at once
    return [Setting(f"{PREFIX}CAP_{f.name.upper()}", "int" if f.type == "int" else "number", f.default,
                    **({"above": 0} if f.name == "max_age_hours" else {"low": 0}),
                    help="a cap of the hosted demo (zoo/demo.Caps)") for f in fields(Caps)]


BASE = [
    Setting(f"{PREFIX}DEMO", "flag", False, help="the hosted demo: visitors kept apart, the caps on"),
    Setting(f"{PREFIX}RUNS_DIR", "text", "runs", help="the runs directory"),
    Setting(f"{PREFIX}DATA", "text", None, help="the torchvision datasets' folder"),
    Setting(f"{PREFIX}MAX_JOBS", "int", 2, low=1, help="jobs that run at once on this server"),
    Setting(f"{PREFIX}JOBS_PER_SESSION", "int", 1, low=1, help="jobs one visitor may run at once"),
    Setting(f"{PREFIX}JOBS_PER_GPU", "int", 4, low=1, help="jobs that share one GPU"),
    Setting(f"{PREFIX}MAX_ENDED_JOBS", "int", 200, low=1, help="ended jobs the server remembers"),
    Setting(f"{PREFIX}WORKER_NICE", "int", 10, low=0, high=19, help="how much a worker process yields to the server"),
    Setting(f"{PREFIX}START_METHOD", "choice", "forkserver", choices=("forkserver", "spawn", "fork"),
            help="how worker processes start"),
    Setting(f"{PREFIX}RAY_ADDRESS", "text", None, help="a Ray cluster's address: jobs run there"),
    Setting(f"{PREFIX}RAY_CONNECT_TIMEOUT", "number", 60.0, above=0, help="seconds to wait for the Ray cluster"),
    Setting(f"{PREFIX}RAY_CPUS", "int", None, low=1, help="CPUs of a local Ray cluster the server starts"),
    Setting(f"{PREFIX}CPUS_PER_JOB", "share", 1.0, above=0, help="CPUs a Ray job asks for"),
    Setting(f"{PREFIX}GPU_PER_JOB", "share", 0.0, help="the share of a GPU a Ray job asks for"),
    Setting(f"{PREFIX}RAY_SHIP_CODE", "flag", True, help="send this checkout's code to the Ray cluster"),
    Setting(f"{PREFIX}RAY_COPY_RUNS", "flag", False, help="copy runs back from Ray nodes"),
    Setting(f"{PREFIX}GPU_PROCESS", "flag", False, help="(set by the Ray launcher in a GPU job's process)"),
    Setting(f"{PREFIX}CHROMIUM", "text", None, help="(the tests) Chromium's path"),
]


@functools.lru_cache(maxsize=1)
def declared() -> dict[str, Setting]:
    """Every setting by its name (made once: demo_mode() reads PLAYGROUND_DEMO many times in a script run)."""
    return {s.name: s for s in BASE + _caps()}


def value(name: str, environ=None, given=None):
    """The setting's value, from the environment (its default where unset or empty), or `given` in its place (the
    command line's flag for it, checked the same way); SpecError where it is set wrong."""
    setting = declared()[name]
    raw = (os.environ if environ is None else environ).get(name) if given is None else str(given)
    return setting.default if raw is None else setting.parse(raw)


def value_at_import(name: str):
    """A setting a module reads once, at its import: its default where set wrong, which `problems()` names and the
    app and the command line then refuse to run with (raising here had ended the app's start in a traceback)."""
    try:
        return value(name)
    except SpecError:
        return declared()[name].default


# Secrets files that exist and could not be read (zoo/demo.secrets_in_files): none of their settings is in force, and
# with a TOML slip (`PLAYGROUND_DEMO = True`) the demo had run in local mode, said in one line of Streamlit's log
UNREADABLE_FILES: dict[str, str] = {}


def problems(environ=None, names: bool = True) -> list[str]:
    """A sentence for each PLAYGROUND_* set wrong: a value not of its kind or range, a secrets file that could not be
    read, and (with `names`) a name no setting has."""
    environ = os.environ if environ is None else environ
    known = declared()
    said = [f"{path} is not readable as TOML ({why}), so none of its settings is in force; put it right or remove it."
            for path, why in sorted(UNREADABLE_FILES.items())]
    for name in sorted(k for k in environ if k.upper().startswith(PREFIX)):
        if name != name.upper():   # (a secrets file's `playground_demo = true` had been left out, unsaid)
            if names:
                said.append(f"{name} is not a setting of the playground: their names are in capitals, {name.upper()}.")
            continue
        if name not in known and not names:
            continue
        if name not in known:
            # (the names after the prefix they all share, which alone made PLAYGROUND_FOO "near" PLAYGROUND_DEMO)
            near = difflib.get_close_matches(name[len(PREFIX):], [k[len(PREFIX):] for k in known], n=1, cutoff=0.75)
            said.append(f"{name} is not a setting of the playground, so it changes nothing; "
                        + (f"did you mean {PREFIX}{near[0]}?" if near else "see the README's list of settings."))
            continue
        try:
            known[name].parse(environ[name])
        except SpecError as exc:
            said.append(str(exc))
    return said
