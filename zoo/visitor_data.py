"""What the server keeps of one visitor of the hosted demo, and deleting all of it at their word.

A visitor (zoo/demo.owner_of: a hash of their cookie's token) leaves four kinds of files under the runs directory:
their runs (a run's result names its owner), their uploads (`uploads/<owner>/`, zoo/forecast_io.store_upload), their
studies (`optuna/<owner>/`, zoo/demo.visitor_folder) and what they set in the forms (`drafts/<owner>.json`,
ui/draft_store.py). The demo's sweep deletes each a day after its last use (zoo/demo.sweep); a visitor who deleted
every run they could still left the rest there, the raw CSV among it, with no way to remove it (a demo visitor's
check). No Streamlit here: the Runs page asks (ui/visitor_data.py).
"""
from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field

from zoo import demo
from zoo.registry import SpecError


@dataclass
class VisitorData:
    """What is kept of one visitor: their run ids, their uploads' names, their studies' files (a journal holds
    every study of theirs) and whether their forms' settings are kept."""

    runs: list[str] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)
    studies: bool = False
    drafts: bool = False
    names: list[str] = field(default_factory=list)   # of uploads deleted alone, kept to name their runs

    @property
    def empty(self) -> bool:
        return not (self.runs or self.uploads or self.studies or self.drafts or self.names)

    def in_words(self) -> str:
        """"3 runs, 1 uploaded CSV file (`sales.csv`), your searches' studies and what you set in the forms"."""
        parts = []
        if self.runs:
            parts.append(f"{len(self.runs)} run{'s' if len(self.runs) > 1 else ''}")
        if self.uploads:
            parts.append(f"{len(self.uploads)} uploaded CSV file{'s' if len(self.uploads) > 1 else ''} "
                         f"({_listed(self.uploads)})")
        if self.names:   # (kept to name the runs trained on them: delete_upload's keep_name)
            whose = "uploads' names" if len(self.names) > 1 else "upload's name"
            parts.append(f"{len(self.names)} deleted {whose} ({_listed(self.names)})")
        if self.studies:
            parts.append("your searches' studies")
        if self.drafts:
            parts.append("what you set in the forms")
        if not parts:
            return "nothing"
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _listed(names: list[str], most: int = 5) -> str:
    return ", ".join(f"`{name}`" for name in names[:most]) + (", …" if len(names) > most else "")


def kept_of(owner: str, root, run_ids=None) -> VisitorData:
    """What the server keeps of `owner` under the runs directory `root`. `run_ids`: their runs' ids where the caller
    listed them already (the Runs page), else read here."""
    from zoo.forecast_io import display_name
    from zoo.runs import list_runs

    uploads, studies, drafts = demo.visitor_files(owner, root)
    if run_ids is None:
        run_ids = [run.run_id for run in list_runs(root) if run.result.get("owner") == owner]
    return VisitorData(
        runs=sorted(run_ids),
        uploads=sorted(display_name(path) for path in uploads.glob("*.csv")) if uploads.is_dir() else [],
        studies=studies.is_dir() and any(p.is_file() and p.suffix == ".log" for p in studies.rglob("*")),
        drafts=drafts.is_file(),
        # (a name file alone: "nothing of yours" had been said beside it: a demo visitor's check)
        names=sorted(display_name(p.with_suffix(".csv")) for p in uploads.glob("*.json")
                     if not p.with_suffix(".csv").exists()) if uploads.is_dir() else [])


def forget(owner: str, root, active_jobs: list[str] = ()) -> tuple[VisitorData, VisitorData]:
    """Delete everything `kept_of` lists for `owner`: returns what went and what is left (a run another process
    began to write meanwhile, a file the server may not remove), so the page says both; a run the sweep deleted
    meanwhile is no fault. Refused (SpecError, nothing deleted) while a job of theirs is queued or running
    (`active_jobs`: their ids), or a run of theirs is being written: its run, its study's journal and the upload it
    reads are still in use."""
    from zoo.run_health import being_written
    from zoo.runs import delete_run, list_runs

    if active_jobs:
        raise SpecError(f"{', '.join(active_jobs)} {'is' if len(active_jobs) == 1 else 'are'} still queued or "
                        "running: stop it first (or wait until it ends); nothing was deleted.")
    runs = [run for run in list_runs(root) if run.result.get("owner") == owner]
    written = [run.run_id for run in runs if being_written(run.result)]
    if written:   # before anything goes: all of it, or nothing and why
        raise SpecError(f"run {', '.join(written)} is still being written (a search's trial): stop its search "
                        "first, or wait until it ends; nothing was deleted.")
    before = kept_of(owner, root, [run.run_id for run in runs])
    for run in runs:
        with contextlib.suppress(SpecError, OSError):   # gone meanwhile, or refused: what is left says so
            delete_run(run.path)
    uploads, studies, drafts = demo.visitor_files(owner, root)
    for folder in (uploads, studies):
        shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        drafts.unlink(missing_ok=True)
    left = kept_of(owner, root)
    gone = VisitorData(runs=[r for r in before.runs if r not in left.runs],
                       uploads=[u for u in before.uploads if u not in left.uploads],
                       studies=before.studies and not left.studies, drafts=before.drafts and not left.drafts,
                       names=[n for n in before.names if n not in left.names])
    return gone, left
