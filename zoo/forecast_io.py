"""What the Forecast page needs around the library: uploads kept for workers, header columns, the
settings check, and a series run's results as tables and lines.

An upload is bytes in one browser session's memory, but training runs in a worker process that
reads `spec.data` from disk. `store_upload` writes the bytes once under the runs directory,
named by their SHA-256 (`<runs>/uploads/<sha256>.csv`, so the same file uploaded twice is one
file), with a sidecar `<sha256>.json` that keeps the person's own file name for display.

Pure Python, numpy and pandas; no Streamlit, no torch.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import re
from pathlib import Path

import pandas as pd

from zoo.data import series
from zoo.data.series import SeriesFrame, make_windows, read_series, resolve_series_source, sample_series_path
from zoo.data.series.windows import larger_share
from zoo.registry import SpecError, join_or
from zoo.runs import atomic_write_bytes
from zoo.spec import FITTED_TRAINING

MAX_UPLOAD_MB = 50                      # the same as .streamlit/config.toml's server.maxUploadSize
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1_000_000
MAX_UPLOAD_ROWS = 1_000_000             # a page upload trains in the hosted demo: stricter than the CLI
SAMPLE_NAME = "ETTh1"                   # what spec.data says for the bundled sample (resolve_series_source)
SAMPLE_LICENCE = ("ETTh1 (Electricity Transformer Temperature, hourly, 2016-07 to 2018-06, 17,420 rows) by "
                  "Haoyi Zhou et al., from the ETDataset repository (github.com/zhouhaoyi/ETDataset), "
                  "licensed CC BY-ND 4.0; bundled unchanged.")
UPLOADS = "uploads"
BASELINE_NAMES = {"naive": "naive (last value)", "seasonal_naive": "seasonal naive", "mean": "window mean",
                  "linear": "linear least squares"}
METRIC_LABELS = {"mae": "MAE", "rmse": "RMSE", "mape": "MAPE %", "smape": "sMAPE %", "mase": "MASE",
                 "mse_norm": "MSE (norm.)", "mae_norm": "MAE (norm.)"}
FORECAST_COLUMNS = ("date", "forecast", "lower_80", "upper_80", "lower_95", "upper_95")


# ---------------------------------------------------------------------------------------------
# uploads


class NamedBytes(io.BytesIO):
    """Bytes that carry the file's name, so the reader's messages name the person's file."""

    def __init__(self, raw: bytes, name: str):
        super().__init__(raw)
        self.name = name


def upload_key(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def file_key(path) -> str:
    """`upload_key` of a file on disk, read in blocks (a search compares a CSV's by it: zoo/search/study.py)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def upload_limits() -> tuple[int, int]:
    """(bytes, rows) an upload may have: the page's, or the hosted demo's caps (zoo/demo.py)."""
    from zoo import demo

    return demo.upload_limits() or (MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS)


def read_upload(raw: bytes, name: str, *, target: str | None = None, date_col: str | None = None,
                layout: str = "long") -> SeriesFrame:
    """`read_series` on uploaded bytes, with the page's caps; raises SpecError in one sentence."""
    max_bytes, max_rows = upload_limits()
    return read_series(NamedBytes(raw, name or "the upload"), target=target, date_col=date_col, layout=layout,
                       max_bytes=max_bytes, max_rows=max_rows)


def safe_name(name: str) -> str:
    """An upload's file name as the pages show it and a run keeps it: letters, digits, spaces and . , + - ( ), "_"
    inside a word, each other character "-", at most 120 characters. The pages write names in Markdown, and on the hosted
    demo a stranger's file called "[prize](http:evil.example).csv" showed a live link on the run's page that
    its link was sent to (a demo check)."""
    kept = re.sub(r"[^\w .,+()-]", "-", str(name))
    # "_" only inside a word ("__bold__" is Markdown too), and no "www." for an autolink to start at
    kept = re.sub(r"(?<![^\W_])_|_(?![^\W_])", "-", kept)
    kept = re.sub(r"(?i)\bwww\.", "www-", kept).strip() or "upload.csv"
    return kept[:120]


def store_upload(raw: bytes, name: str, runs_dir, owner: str | None = None) -> Path:
    """Write an upload to `<runs_dir>/uploads/<owner>/<sha256>.csv` (once) and its name beside it;
    return the path. Each visitor's uploads are their own folder (zoo/demo.py counts it in their disk)."""
    max_bytes, _ = upload_limits()
    if len(raw) > max_bytes:
        raise SpecError(f"{name} is {len(raw):,} bytes, over the upload limit of {max_bytes / 1e6:g} MB; "
                        "upload a shorter extract of the series.")
    path = upload_path(raw, runs_dir, owner)
    folder, key = path.parent, path.stem
    if not path.exists():   # a hosted demo's visitor keeps at most their disk cap, uploads included
        from zoo import demo

        demo.check_upload_room(owner or "local", runs_dir, len(raw))
    else:
        mark_used(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            atomic_write_bytes(path, raw)
        atomic_write_bytes(folder / f"{key}.json", json.dumps({"name": safe_name(name), "bytes": len(raw)}).encode("utf-8"))
    except OSError as exc:   # a read-only or full runs directory: one sentence, not a traceback
        from zoo import demo

        if demo.demo_mode():   # no server path, nor advice only its operator can take (a re-check: a visitor read
            # the uploads folder's path and "make the runs directory writable")
            raise SpecError(f"this demo's server cannot keep your upload now ({exc.strerror or exc}); try again "
                            "later, and tell the demo's operator if it goes on.") from None
        raise SpecError(f"cannot keep the upload in {folder} ({exc.strerror or exc}); make the runs directory "
                        "writable and give it free space.") from None
    return path


def upload_path(raw: bytes, runs_dir, owner: str | None = None) -> Path:
    """Where `store_upload` keeps these bytes: `<runs_dir>/uploads/<owner>/<sha256>.csv`."""
    return Path(runs_dir) / UPLOADS / (owner or "local") / f"{upload_key(raw)}.csv"


def is_sample(data) -> bool:
    source = resolve_series_source(data)
    try:
        return Path(source).resolve() == sample_series_path().resolve()
    except (TypeError, OSError):
        return False


def stored_upload(data, runs_dir, owner: str | None = None) -> Path | None:
    """The path when `data` is a file stored by `store_upload` under this runs directory (and, given
    `owner`, that visitor's), else None.

    Only such files (and the sample) may be re-opened by a page, so a spec handed over from
    elsewhere cannot make a page show an arbitrary file of the server, or another visitor's upload."""
    path = _upload_named(data, runs_dir)
    if path is None or not path.is_file():
        return None
    if owner is not None and path.parent.name != owner:
        return None
    return path


def _upload_named(data, runs_dir) -> Path | None:
    """The path `data` names when it has an upload's place under this runs directory (`uploads/<owner>/<x>.csv`),
    there or not; else None. `stored_upload` and `gone_upload` ask."""
    if not data:
        return None
    try:
        path = Path(data).resolve()
        folder = (Path(runs_dir) / UPLOADS).resolve()
    except (TypeError, OSError):
        return None
    return path if path.parent.parent == folder and path.suffix == ".csv" else None


def keep_again_if_runs_read(raw: bytes, name: str, runs_dir, owner: str | None = None) -> Path | None:
    """Keep an upload again at once when its bytes are those of a deleted one whose runs stay (`delete_upload`'s
    `keep_name`): they read it by that path, so Inspect and Train again work for them again. A file is otherwise kept
    only once a run or a search uses it: "upload it again" had brought nothing back (a demo visitor's check)."""
    path = upload_path(raw, runs_dir, owner)
    if path.exists() or not path.with_suffix(".json").exists():
        return None
    return store_upload(raw, display_name(path), runs_dir, owner)   # under the name its runs know it by


def gone_upload(data, runs_dir) -> bool:
    """Whether `data` names an upload of this runs directory that is no longer kept (deleted, or swept): what reads
    it again says so by the file's name, not the server's path (a demo visitor's check)."""
    path = _upload_named(data, runs_dir)
    return path is not None and not path.exists()


def uploads_read_by(runs, runs_dir) -> tuple[list[str], int, int]:
    """The uploads `runs` (zoo.runs.Run) were trained on, which stay when those runs are deleted (another run, a
    search or a board may read them): their names, the number of files and the number of the runs that read one.
    Only files stored as uploads and still there (`stored_upload`), not any path through a folder named "uploads";
    named by their sidecars, as a hashed file name is no name to say (the Runs page's delete question)."""
    reading = [run for run in runs if stored_upload(run.data, runs_dir) is not None]
    files = {str(run.data) for run in reading}
    names = sorted({display_name(f) for f in files if Path(f).with_suffix(".json").exists()})
    return names, len(files), len(reading)


def stored_uploads(runs_dir, owner: str | None = None, limit: int = 20) -> list[dict]:
    """The uploads kept by `store_upload` (a run, a search, a leaderboard or the Inspect page used them),
    `owner`'s only when given (on the hosted demo; locally every one, as `stored_upload` re-opens any), the
    last used first (`mark_used`): [{"path", "name", "bytes", "used", "key"}]. What the Forecast and Search
    pages offer as earlier uploads, so a reload (which drops an upload's bytes, ui/series_source.py) does not
    make the visitor upload a file the server keeps. A stat per file; only the `limit` newest are read."""
    root = Path(runs_dir) / UPLOADS
    found = []
    for path in root.glob(f"{owner}/*.csv" if owner else "*/*.csv"):
        try:
            stat = path.stat()
        except OSError:   # swept meanwhile
            continue
        found.append((stat.st_mtime, stat.st_size, path))
    out, keys = [], set()
    for used, size, path in sorted(found, key=lambda item: item[0], reverse=True):
        if path.stem in keys:   # locally, the same bytes kept for two visitors: one file to the person
            continue
        keys.add(path.stem)
        out.append({"path": str(path), "name": display_name(path), "bytes": size, "used": used, "key": path.stem})
        if len(out) == limit:
            break
    return out


def delete_upload(data, runs_dir, owner: str | None = None, keep_name: bool = False) -> str:
    """Delete an upload `store_upload` kept (its file and its name), `owner`'s only when given (the hosted demo);
    returns its name. A visitor had no way to remove a CSV of theirs from the server but to wait for the demo's
    sweep (a demo visitor's check). `keep_name`: runs trained on it stay, named by the file's name (its sidecar;
    without it, by the file's hash: a check), until the same bytes are uploaded again, to the same path, or the
    sweep. Refused (SpecError) for a path that is no such upload: nothing else of the server is deleted."""
    path = stored_upload(data, runs_dir, owner)
    if path is None:
        raise SpecError("that file is not an upload kept on this server (deleted already?); nothing was deleted.")
    name = display_name(path)
    for file in (path,) if keep_name else (path, path.with_suffix(".json")):
        file.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()   # the visitor's folder, once empty
    return name


def mark_used(path) -> None:
    """An upload used again (a run started from an earlier upload, or the same bytes stored again): first in
    `stored_uploads`, and its age counted from now by the demo's sweep (zoo/demo.py), which deletes by a file's
    modification time: a file first uploaded a day ago and used a minute ago would go from under its run."""
    path = Path(path)
    for file in (path, path.with_suffix(".json")):
        try:
            os.utime(file)
        except OSError:   # swept meanwhile: the run that reads it says so
            pass


def display_name(data, runs_dir=None) -> str:
    """What a person calls a spec's data: the sample's name, an upload's original file name, or the file name."""
    if data is None:
        return "?"
    if is_sample(data):
        return f"{SAMPLE_NAME} (bundled sample)"
    path = Path(str(data))
    sidecar = path.with_suffix(".json")
    if UPLOADS in path.parts and sidecar.exists():
        try:
            return safe_name(json.loads(sidecar.read_text(encoding="utf-8"))["name"])   # older sidecars too
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return safe_name(path.name)


def data_as_sent(data) -> str | None:
    """What the hosted demo shows for a spec's data that is a path on the server: the name the file was sent
    under (an upload's, display_name); None for a dataset's or the sample's name, which a spec reads as it is
    (the Reproduce command and a run's downloads, zoo/demo.shareable_bytes)."""
    path = Path(str(data or ""))
    return None if not data or path.name == str(path) else display_name(data)


# ---------------------------------------------------------------------------------------------
# columns and the settings check


def header_columns(raw: bytes, name: str = "the upload") -> list[str]:
    """The file's column names as the reader names them (col_0, ... without a header), or [] when the
    file cannot be split into columns. For the target and date-column choosers, which must work even
    when reading with the default choices fails (say, a constant last column)."""
    notes: list[str] = []
    try:
        text = series._decode(raw, name, notes)
        head = "\n".join(text[:200_000].replace("\r\n", "\n").replace("\r", "\n").split("\n")[:60])
        rows, _, _ = series._split_table(head, name, 1000, notes, head_only=True)
    except SpecError:
        return []
    except (ValueError, TypeError, csv.Error, UnicodeDecodeError):
        return []
    if not rows:
        return []
    width = max(len(r) for r in rows[:50])
    if series._has_header(rows[0]):
        names = series._column_names(rows[0], width)
    else:
        names = [f"col_{i}" for i in range(width)]
    # A trailing delimiter makes an unnamed empty last column the reader drops.
    while names and names[-1] == f"col_{len(names) - 1}" and all(len(r) < len(names) or not r[len(names) - 1].strip()
                                                                 for r in rows[1:50]):
        names.pop()
    return names


def check_window_settings(lookback: int | None, horizon: int, season: int = 0) -> None:
    """Raise SpecError for a lookback, horizon or season outside the spec's rule (zoo/spec.py), in the
    page's words. The page's boxes take any number, so that a box never shows a value other than the one
    used; this is what refuses one out of range, before any window is cut or model built. A lookback of
    None is not checked (a leaderboard takes the page's horizon and season, and chooses its lookback)."""
    from zoo.spec import setting

    refused = []   # each said, not the first only: three boxes typed wrong had shown the lookback's alone (a check)
    for name, value in (("lookback", lookback), ("horizon", horizon), ("season", season)):
        if value is None:
            continue
        try:
            setting(name).check(value)
        except SpecError as exc:
            refused.append(str(exc).replace(f"{name}=", f"{name} ", 1))
    if refused:
        raise SpecError(" ".join(refused))


def check_windows(sf: SeriesFrame, lookback: int, horizon: int, features: str = "target",
                  split: str = "0.7,0.1,0.2", season: int = 0) -> dict:
    """The windows these settings make, without training: sizes, row boundaries, the seasonal period
    and notes. Raises SpecError (one sentence) when a split is too short or a setting is invalid."""
    from zoo.forecast import detect_period
    from zoo.forecast.baselines import season_too_long_to_detect, usual_season
    from zoo.leaderboard.plan import is_yearly

    check_window_settings(lookback, horizon, season)
    ws = make_windows(sf, lookback, horizon, features=features, split=split, season=season)
    a, b, n = ws.split_rows
    index = sf.frame.index
    period = detect_period(ws, season=season)
    unconfirmed = usual_season(sf.freq) if not season and period == 1 and not season_too_long_to_detect(a, sf.freq) \
        else None
    return {
        "sizes": {"train": len(ws.train_starts), "val": len(ws.val_starts), "test": len(ws.test_starts)},
        "rows": (a, b, n),
        "bounds": {"val": index[a], "test": index[b], "end": index[n - 1]},
        "season": period,
        "season_set": bool(season),
        # the usual season of the rows' frequency, when the training part is too short to detect it
        "season_undetectable": season_too_long_to_detect(a, sf.freq) if not season and period == 1 else None,
        # the usual season, when the training part holds enough cycles of it but too little evidence
        "season_unconfirmed": unconfirmed,
        # and where it is, the season the rows before the test part show (validation too), where a leaderboard
        # detects it (zoo/leaderboard/plan.py): a board said "period 4" beside this check's "none detected" on 40
        # quarterly rows, unexplained (a forecast user's check)
        "season_before_test": detect_period(sf.frame[sf.target].to_numpy(float)[:b], sf.freq) if unconfirmed else None,
        # a season detected in yearly rows, which a leaderboard ranks without (zoo/leaderboard/plan.py): the page said
        # "Seasonal period: 10 (detected)" beside a board's "period 1" on lynx, unexplained (a forecast user's check)
        "board_without_season": not season and period > 1 and is_yearly(sf.freq),
        "n_features": ws.n_features,
        "few_train": few_train_windows_note(len(ws.train_starts), lookback, horizon),
        "notes": list(ws.notes) + few_test_windows_note(len(ws.test_starts), horizon)
                 + (["every numeric column as input is the target alone here: the file has no other numeric "
                     "column."] if features == "all" and ws.n_features == 1 else []),
    }


FEW_TEST_WINDOWS = 20   # below this many test windows, the scores rest on too few forecasts to compare on


def few_test_windows_note(test_windows: int, horizon: int) -> list[str]:
    """A note when the test part makes few windows: its scores (MASE, coverage, the baselines') average
    so few forecasts that one unusual stretch swings them, and a model that wins there may not win."""
    if test_windows >= FEW_TEST_WINDOWS:
        return []
    fixes = [larger_share("test")] + (["a shorter horizon"] if horizon > 1 else []) + ["a longer series"]
    return [f"Only {test_windows} test window{'' if test_windows == 1 else 's'}: the test scores average that "
            f"few forecasts, so they are noisy and one unusual stretch can decide which model looks best. "
            f"{join_or(fixes, sentence_start=True)} gives steadier scores."]


def few_train_windows_note(train_windows: int, lookback: int, horizon: int) -> str | None:
    """A warning when the training part makes too few windows for a model to learn from (zoo/verdict.py's
    FEW_TRAIN_WINDOWS): Start stays on (the person may mean it), and the run's verdict names it as the cause."""
    from zoo.verdict import FEW_TRAIN_WINDOWS

    if train_windows >= FEW_TRAIN_WINDOWS:
        return None
    # Each fix offered where it can be made: a browser check read "A shorter lookback" beside lookback 1.
    fixes = [f for f, possible in (("a shorter lookback", lookback > 1), ("a shorter horizon", horizon > 1),
                                   (larger_share("training"), lookback == horizon == 1), ("a longer series", True))
             if possible]
    return (f"Only {train_windows} training window{'' if train_windows == 1 else 's'}: each takes lookback {lookback} "
            f"+ horizon {horizon} rows of the training part, so a model has {train_windows} example"
            f"{'' if train_windows == 1 else 's'} to learn from and will hardly beat the baselines. "
            f"{join_or(fixes, sentence_start=True)} gives it more.")


# The training settings a recipe for a series sets (the Forecast page's form, the command line's flags).
RECIPE_KEYS = FITTED_TRAINING   # (zoo/spec.py: a run's spec says which of them the page fitted)


def series_recipe(model: str, train_windows: int, lookback: int, period: int) -> dict:
    """The training settings zoo/leaderboard/plan.zoo_settings gives `model` on these windows (about 1,500 steps,
    early stopping, a cosine schedule), within the hosted demo's cap on epochs (zoo/demo.py)."""
    from zoo.leaderboard.plan import zoo_settings

    recipe = zoo_settings(model, train_windows, lookback, period)
    return {name: recipe[name] for name in RECIPE_KEYS}


def few_steps(train_windows: int, settings: dict) -> bool:
    """Do `settings` (batch_size and epochs) make fewer than zoo/verdict.FEW_STEPS optimisation steps on these
    windows (too few to fit a model)?"""
    from zoo.verdict import FEW_STEPS

    return -(-int(train_windows) // int(settings["batch_size"])) * int(settings["epochs"]) < FEW_STEPS


def epochs_in_words(n: int) -> str:
    return f"{n} epoch{'' if n == 1 else 's'}"


def recipe_if_few_steps(model: str, train_windows: int, lookback: int, period: int, settings: dict) -> dict | None:
    """`series_recipe` where `settings` (batch_size and epochs) make fewer than zoo/verdict.FEW_STEPS optimisation
    steps on these windows, else None: the Forecast page's first training settings of a series
    (ui/series_windows.page_training), and the command line's where no training flag is given. With the defaults
    alone a forecast user's daily CSV took 35 steps on the command line (test MASE 1.97) where the page trained it
    on the recipe (0.87)."""
    return series_recipe(model, train_windows, lookback, period) if few_steps(train_windows, settings) else None


# ---------------------------------------------------------------------------------------------
# a series run's results (read from its directory by zoo/runs.py's Run.table), as the page shows them


def backtest_step(backtest: pd.DataFrame, step: int) -> pd.DataFrame:
    """One row per test window at horizon step `step` (1..H), in time order."""
    part = backtest[backtest["step"] == int(step)]
    return part.sort_values("time", kind="stable").reset_index(drop=True)


def baseline_label(name: str, season: int | None = None) -> str:
    label = BASELINE_NAMES.get(name, name.replace("_", " "))
    if name == "seasonal_naive" and season:
        label += f" (period {season})"
    return label


def metrics_table(result: dict, model: str = "model") -> pd.DataFrame:
    """Model and baselines (rows) by metric (columns), on the test windows; None where undefined."""
    rows = {f"your model: {model}": result.get("metrics") or {}}
    season = result.get("season")
    for name, values in (result.get("baselines") or {}).items():
        rows[baseline_label(name, season)] = values or {}
    frame = pd.DataFrame.from_dict(
        {label: {METRIC_LABELS[k]: _finite(values.get(k)) for k in METRIC_LABELS} for label, values in rows.items()},
        orient="index")
    return frame


def _finite(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def beats_lines(result: dict) -> list[dict]:
    """Per baseline, in the report's order: {"won", "tie", "verdict" ('beats' / 'ties with' / 'does not beat'),
    "baseline" (its label), "detail" (': RMSE 1.79 vs 1.95'), "text" (all of it in one line)}, by
    zoo/forecast/report.compare_rmse on the stored RMSEs. With no season (period 1) seasonal naive is the naive
    forecast itself: one line, not a second baseline beaten (a forecast user read "beats 3 of 4" so)."""
    from zoo.forecast.report import compare_rmse

    mine = result.get("metrics") or {}
    season = result.get("season")
    names = list(result.get("beats") or result.get("baselines") or {})
    out = []
    for name in names:
        if name == "seasonal_naive" and season == 1:
            continue
        theirs = (result.get("baselines") or {}).get(name) or {}
        a, b = _finite(mine.get("rmse")), _finite(theirs.get("rmse"))
        outcome = compare_rmse(a, b) if a is not None or b is not None else (
            "beats" if (result.get("beats") or {}).get(name) else "loses")
        detail = "" if a is None or b is None else f": RMSE {a:.4g} vs {b:.4g}"
        verdict = {"beats": "beats", "ties": "ties with", "loses": "does not beat"}[outcome]
        label = baseline_label(name, season)
        if name == "naive" and season == 1 and "seasonal_naive" in names:
            label += ", which is also seasonal naive here (no season)"
        out.append({"won": outcome == "beats", "tie": outcome == "ties", "name": name, "verdict": verdict,
                    "baseline": label, "detail": detail, "text": f"{verdict} {label}{detail}"})
    return out


def coverage_lines(result: dict) -> list[tuple[int, float | None]]:
    """(nominal percent, share of test actuals inside the interval) for the 80% and 95% intervals."""
    coverage = result.get("coverage") or {}
    return [(int(level), _finite(coverage.get(level))) for level in sorted(coverage, key=int)]


PLAIN_CSV = (",", ".")
WRITTEN_HEAD_BYTES = 256_000   # enough rows to tell a file's separator and decimal mark (its first thousand)


def written_like(data) -> tuple[str, str]:
    """The separator and decimal mark of the CSV a series run read (SeriesFrame.written), judged on its head;
    PLAIN_CSV for the sample, a file gone or one that does not read."""
    from zoo.data.series import read_series, resolve_series_source

    try:
        with open(resolve_series_source(data), "rb") as f:
            head = f.read(WRITTEN_HEAD_BYTES)
        if len(head) == WRITTEN_HEAD_BYTES:
            head = head[:head.rfind(b"\n") + 1]   # whole rows only
        return read_series(NamedBytes(head, "head")).written
    except (SpecError, OSError, TypeError, ValueError):
        return PLAIN_CSV


def written_as(table: bytes, written: tuple[str, str]) -> bytes:
    """A CSV the run wrote (comma-separated, decimal points) written with the person's own separator and decimal
    mark: a forecast.csv of a semicolon file with decimal commas opened as one column of text in a spreadsheet set
    to a comma decimal mark (a forecast user's check). Dates stay ISO (2024-01-31), which spreadsheets read in every
    locale; the run directory's own files stay as they are."""
    if tuple(written) == PLAIN_CSV:
        return table
    sep, decimal = written
    frame = pd.read_csv(io.BytesIO(table), dtype=str, keep_default_na=False)
    if decimal != ".":
        frame = frame.apply(lambda column: column.str.replace(r"^(-?\d+)\.(\d+)(e[-+]?\d+)?$", r"\1,\2\3",
                                                              regex=True, case=False))
    return frame.to_csv(sep=sep, index=False).encode("utf-8")


def written_in_words(written: tuple[str, str]) -> str:
    """"semicolon-separated, with decimal commas", as a download's help says its format."""
    from zoo.data.series.text import _DELIMITER_NAMES

    sep, decimal = written
    return (f"{_DELIMITER_NAMES.get(sep, repr(sep))}-separated, with decimal "
            f"{'commas' if decimal == ',' else 'points'}")


SHORT_COVERAGE_POINTS = 20   # an interval holding this many points fewer of the test actuals than its level is said


def coverage_shortfall(result: dict, calibrated_on: int | None, what: str, tested: int | None = None) -> str | None:
    """A sentence where an interval held far fewer of the test actuals than its level says (SHORT_COVERAGE_POINTS),
    else None: a board's "80% interval" band held 31% of them, calibrated on 5 validation origins, with only a red
    delta to say so (a forecast user's check). `what`: "windows" or "origins"; `tested`: how many there were on the
    test part (by default the result's own: a board's plan's test origins, a run's test windows), where a shortfall
    that few forecasts of a well calibrated interval would show by chance (a one-sided binomial test at 1%) is not said: 6 to 12 of them fell 20 points short about one time in ten (a review). The
    pages and the CLI say it alike."""
    from scipy.stats import binom

    if tested is None:
        tested = (result.get("plan") or {}).get("test_origins") or (result.get("sizes") or {}).get("test")

    def by_chance(level: int, share: float) -> bool:
        return bool(tested) and binom.cdf(math.floor(share * tested + 1e-9), tested, level / 100) >= 0.01

    short = [(level, share) for level, share in coverage_lines(result)
             if share is not None and share * 100 < level - SHORT_COVERAGE_POINTS and not by_chance(level, share)]
    if not short:
        return None
    held = ", ".join(f"the {level}% interval held only {share:.0%}" for level, share in short)
    on = f", calibrated on {calibrated_on} validation {what}" if calibrated_on else ""
    return (f"on the test {what}, {held} of the actual values: the band is too narrow for this series{on}. Read it "
            "as a rough guide, not as its level.")


__all__ = ["MAX_UPLOAD_MB", "MAX_UPLOAD_BYTES", "SAMPLE_NAME", "SAMPLE_LICENCE", "NamedBytes", "upload_key",
           "read_upload", "store_upload", "stored_upload", "is_sample", "display_name", "header_columns",
           "check_windows", "backtest_step", "baseline_label", "metrics_table", "beats_lines", "coverage_lines",
           "coverage_shortfall"]
