"""The Forecast page's data source and its preview (the Search page's too). Reading is cached per file
content and choice (an upload is keyed by its SHA-256), and a refusal is cached as its one-sentence
message, so a bad file is not re-read on every rerun. The window settings and their check are
ui/series_windows.py; the results of a series run are ui/series_results.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui import drafts, form, series_results, visitor_data
from ui.state import toast, upload_owner
from ui.text import code, plain
from zoo import forecast_io as fio
from zoo.data.series import read_series, sample_series_path
from zoo.data.series.columns import clock_name
from zoo.data.series.grid import describe_freq
from zoo.data.series.missing import stamp_format
from zoo.plots import day_ticks
from zoo.registry import SpecError

AUTO = "(detect)"
PROBLEM_WORDS = ("dropped", "missing", "duplicate", "irregular", "not in time order", "not valid", "not a date",
                 "treated as missing", "gaps", "time zones", "infinite", "constant", "not in the format of the rest",
                 "moved to", "far from", "zone's name")
def is_problem(note: str) -> bool:
    """Whether a reader's note says something is wrong (a warning icon) or only what it chose (a check mark). The
    target's note names the columns it passed over ("neither constant nor a calendar part such as 'day'"), which
    read as a problem beside the right choice (a forecast user's check)."""
    return not note.startswith("target: ") and any(w in note.lower() for w in PROBLEM_WORDS)


# Why nothing can start while no series is read: said by Train and forecast, Find the best model and Search (the
# board's had said "choose the bundled sample or upload a CSV" beside a kept copy of the file, offered above it: a
# forecast user's check).
NO_SERIES = ("read a series first: the bundled sample, an earlier upload (a kept copy of a file a run used), or a "
             "CSV that reads cleanly")
COLOR_HISTORY = "#555555"
MAX_PREVIEW_POINTS = 4000


# ---------------------------------------------------------------------------------------------
# the data source


@dataclass
class DataSource:
    kind: str                 # "sample", "upload" or "stored" (a file uploaded before, kept in the runs dir)
    key: str                  # cache key: the content's SHA-256, or the sample's path and mtime
    name: str                 # what the person calls it (their file name)
    raw: bytes | None = None  # an upload's bytes (not yet on disk)
    path: str | None = None   # a file on disk
    spec_data: str | None = None  # what spec.data says (None for an upload: stored when training starts)


def apply_prefill_source(prefill: dict, runs_dir: str) -> bool:
    """Point the source picker at a handed-over spec's data: the sample, or an upload kept in the runs
    directory. Any other path is not opened (the page shows files people uploaded, not the server's). False where
    the person has to upload the data again (said in a warning)."""
    data = prefill.get("data")
    if fio.is_sample(data):
        st.session_state["forecast-source"] = "sample"
    elif fio.stored_upload(data, runs_dir, upload_owner()) is not None:
        use_stored(str(data))
    elif (kept := _kept_copy_of(data, runs_dir)) is not None:
        use_stored(kept)
        st.info(f"The run's data ({Path(str(data)).name}) is open as the earlier upload of the same content.",
                icon=":material/info:")
    else:
        # The upload box, empty: with the sample left in its place, a command-line board reopened showed ETTh1 under
        # its settings, and "Run this board again" would have ranked ETTh1 as the person's series (a forecast
        # user's check). Nothing starts until the file is there (NO_SERIES).
        st.session_state["forecast-source"] = "upload"
        # An upload deleted since: by its name and why, and not beside the page's own earlier upload's warning
        # ("... was uploaded before this page was loaded": two at once, a demo visitor's check)
        gone = fio.gone_upload(data, runs_dir)
        if gone:   # (another file's draft upload keeps its own offer: "Use the kept copy", a review)
            _drop_draft_upload()
        why = "is no longer kept on this server" if gone else "is not a file this page can open"
        st.warning(f"The run's data (`{fio.display_name(data)}`) {why}: upload it again. The other settings are "
                   "filled in.", icon=":material/warning:")
        return False
    return True


def _drop_draft_upload() -> None:
    """The draft's upload forgotten (its name and its bytes' hash): the file it names is gone, said once already."""
    for key in (UPLOAD_NAME, UPLOAD_KEY):
        st.session_state.pop(key, None)


def _kept_copy_of(data, runs_dir: str) -> str | None:
    """Locally, the earlier upload with the same bytes as the file `data` names (a command-line run's CSV on this
    machine, uploaded on the page before), else None. On the hosted demo no file outside the visitor's uploads is
    read."""
    from ui.state import is_local

    if not is_local() or not data:
        return None
    try:
        size = Path(str(data)).stat().st_size
        same_size = [e for e in fio.stored_uploads(runs_dir, upload_owner(), limit=1_000) if e["bytes"] == size]
        key = fio.file_key(data) if same_size else None   # a command line's file of gigabytes is read only if it may
    except OSError:
        return None
    return next((e["path"] for e in same_size if e["key"] == key), None)


UPLOAD_NAME = "forecast-upload-name"   # the uploaded file's name, kept in the draft (its bytes are not)
UPLOAD_KEY = "forecast-upload-key"     # and its content's SHA-256: a kept copy is that file, not one of its name
STORED = "forecast-stored-path"        # the earlier upload picked, a path under the runs directory


READ_ONCE = "forecast-uploads-read"      # the content keys of uploads that read as a series in this session


def _draft_upload(name: str = "", key: str = "") -> None:
    """The upload the visitor's draft names (its bytes are not kept: a reload asks for the file again, or offers
    the server's copy); "" for none, saved as such: a draft keeps keys not written (ui/drafts.py)."""
    st.session_state[UPLOAD_NAME], st.session_state[UPLOAD_KEY] = name, key


def _upload_changed() -> None:
    if st.session_state.get("forecast-upload") is None:   # the person removed the file
        st.session_state.pop("forecast-last-upload", None)
        _draft_upload()


def use_stored(path: str) -> None:
    """The source picker on an earlier upload (a path under the runs directory)."""
    st.session_state[STORED] = path
    st.session_state["forecast-source"] = "stored"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(1, round(n / 1e3))} kB"


def _label(entry: dict, earlier: list[dict]) -> str:
    """Its name and size; with the start of its content's hash where two uploads share a name."""
    same_name = sum(e["name"] == entry["name"] for e in earlier) > 1
    return f"{entry['name']} · {_size(entry['bytes'])}" + (f" · {entry['key'][:8]}" if same_name else "")


def data_for_spec(source: DataSource, runs_dir: str, owner: str) -> str:
    """What a spec's `data` says for this source when a run, a search or a leaderboard starts: an upload is
    stored under the runs directory (a worker reads it there, and the run can be reproduced), an earlier upload
    is marked used (first in the list, and its age for the demo's sweep counted from now), the sample is named.
    Raises SpecError (the demo's disk cap, a read-only runs directory)."""
    if source.kind == "upload":
        return str(fio.store_upload(source.raw, source.name, runs_dir, owner))
    if source.kind == "stored":
        fio.mark_used(source.path)
    return source.spec_data or source.name


def _earlier_uploads(runs_dir: str) -> list[dict]:
    """fio.stored_uploads, with the one picked before (a handed-over spec's, or the draft's) among them; a pick
    no longer kept (the demo's sweep, a deletion) is said and dropped, never swapped for another file."""
    earlier = fio.stored_uploads(runs_dir, upload_owner())
    picked = st.session_state.get(STORED)
    path = fio.stored_upload(picked, runs_dir, upload_owner()) if picked else None
    if picked and path is None:
        st.session_state.pop(STORED, None)
        if st.session_state.get(UPLOAD_KEY) == Path(str(picked)).stem:   # the same file: said once, here (its
            _drop_draft_upload()   # "uploaded before this page was loaded" beside: a visitor's check)
        if st.session_state.get("forecast-source") == "stored":
            st.session_state["forecast-source"] = "upload"
            st.warning("The earlier upload picked before is no longer kept on this server: upload the file again, "
                       "or pick another earlier upload. The other settings are as you left them.",
                       icon=":material/upload_file:")
    elif path is not None:
        # By content: locally the list keeps one copy of bytes two visitors uploaded (fio.stored_uploads).
        listed = next((e["path"] for e in earlier if e["key"] == path.stem), None)
        if listed is None:   # past the list's length: offered still, last
            listed = str(picked)
            earlier.append({"path": listed, "name": fio.display_name(path), "bytes": path.stat().st_size,
                            "key": path.stem})
        st.session_state[STORED] = listed   # the path as the list writes it (a spec's may be written otherwise)
    if earlier and STORED not in st.session_state:
        st.session_state[STORED] = earlier[0]["path"]
    return earlier


def source_picker(runs_dir: str) -> DataSource | None:
    """The sample, an upload, or an earlier upload: one the server keeps since a run, a search, a leaderboard
    or the Inspect page used it (fio.stored_uploads; the file a run used after "Train again"). None until a
    file is there."""
    earlier = _earlier_uploads(runs_dir)
    options = ["sample", "upload"] + (["stored"] if earlier else [])
    labels = {"sample": "Bundled sample (ETTh1)", "upload": "Upload a CSV",
              "stored": "An earlier upload" if len(earlier) == 1 else f"Earlier uploads ({len(earlier)})"}
    if st.session_state.get("forecast-source") not in options:
        st.session_state["forecast-source"] = "sample"
    kind = st.radio("Source", options, format_func=labels.get, horizontal=True, label_visibility="collapsed",
                    **drafts.kept("forecast-source", options=options))
    if kind == "sample":
        path = sample_series_path()
        st.caption(f":material/license: {fio.SAMPLE_LICENCE}")
        return DataSource("sample", f"sample:{path}:{path.stat().st_mtime}", fio.SAMPLE_NAME, path=str(path),
                          spec_data=fio.SAMPLE_NAME)
    if kind == "stored":
        names = {e["path"]: _label(e, earlier) for e in earlier}
        chosen = st.selectbox("Earlier upload", list(names), format_func=names.get,
                              **drafts.kept(STORED, options=names),
                              help="files uploaded for a run, a search, a leaderboard or the Inspect page, the "
                                   "last used first; the server keeps a copy of each so that its runs can be "
                                   "reproduced")
        path = fio.stored_upload(chosen, runs_dir, upload_owner())
        if path is None:   # swept between the list and now
            st.warning("That upload is no longer kept on this server: upload the file again.",
                       icon=":material/upload_file:")
            return None
        name = fio.display_name(chosen, runs_dir)
        st.caption(f"`{name}` as kept on this server; upload it again under **Upload a CSV** to change it.")
        visitor_data.delete_upload_control(str(chosen), name, STORED)
        return DataSource("stored", path.stem, name, path=str(path), spec_data=str(chosen))
    uploaded = st.file_uploader(
        "CSV file", type=["csv", "tsv", "txt"], key="forecast-upload",
        max_upload_size=max(1, int(fio.upload_limits()[0] // 1_000_000)),
        on_change=_upload_changed,
        help=f"A column of dates (optional) and one or more columns of numbers; comma, semicolon, tab or pipe "
             f"separated; UTF-8, UTF-16 or Latin-1; up to {fio.upload_limits()[0] / 1e6:g} MB and "
             f"{fio.upload_limits()[1]:,} rows.")
    if uploaded is None:
        st.caption(upload_limits_said())
    last = st.session_state.get("forecast-last-upload")
    if uploaded is not None and (last is None or last.get("file_id") != uploaded.file_id):
        raw = uploaded.getvalue()
        # the name as the pages write it (Markdown) and a run keeps it: zoo/forecast_io.safe_name
        last = {"file_id": uploaded.file_id, "name": fio.safe_name(uploaded.name), "raw": raw, "key": fio.upload_key(raw)}
        st.session_state["forecast-last-upload"] = last
        try:
            if fio.keep_again_if_runs_read(raw, uploaded.name, runs_dir, upload_owner()) is not None:
                toast("The runs trained on this file before it was deleted read it again (Inspect, Train again).",
                      ":material/history:")
        except SpecError as exc:   # the demo's disk cap: kept later, once a run uses it, as any upload
            st.caption(plain(exc))
    drafts.register(UPLOAD_NAME)
    drafts.register(UPLOAD_KEY)
    if last is None:
        dropped = st.session_state.get(UPLOAD_NAME)
        if dropped:   # a new page load (a reload, another tab): the draft names a file whose bytes were not kept
            # The same bytes, not the same name: another data.csv kept from an earlier run is another file.
            kept_copy = next((e for e in earlier if e["key"] == st.session_state.get(UPLOAD_KEY)), None)
            if kept_copy:   # a run or a search used it, so the server has it
                st.warning(f"`{dropped[:120]}` was uploaded before this page was loaded (a reload, or another "
                           "tab); the server kept a copy when a run or a search used it.",
                           icon=":material/upload_file:")
                st.button(f"Use the kept copy of {dropped[:60]}", key="forecast-use-kept", icon=":material/history:",
                          on_click=use_stored, args=(kept_copy["path"],))
            else:
                st.warning(f"`{dropped[:120]}` was uploaded before this page was loaded (a reload, or another "
                           "tab); a browser does not send a file again, and the server keeps one only once a run "
                           "or a search uses it. Upload it again: the other settings are as you left them.",
                           icon=":material/upload_file:")
        else:   # (under the warning it read as a contradiction: a browser check)
            st.caption("The file is kept until this page is reloaded or closed (another tab does not have it); "
                       "a run or a search started with it keeps a copy, so that it can be reproduced.")
        return None
    _draft_upload(last["name"], last["key"])
    if uploaded is None:
        st.caption(f"Using `{last['name']}`, uploaded earlier in this session.")
    return DataSource("upload", last["key"], last["name"], raw=last["raw"])


# ---------------------------------------------------------------------------------------------
# reading (cached) and the preview


def _source_bytes(source: DataSource) -> bytes:
    if source.raw is not None:
        return source.raw
    with open(source.path, "rb") as fh:
        return fh.read(fio.MAX_UPLOAD_BYTES + 1)


@st.cache_data(max_entries=12, ttl=3600, show_spinner="Reading the series…")
def read_choice(key: str, name: str, target: str | None, date_col: str | None, _source: DataSource,
                layout: str = "long") -> dict:
    """{"sf": SeriesFrame} or {"error": one sentence}; cached by content key, name and choices."""
    try:
        if _source.raw is not None:
            sf = fio.read_upload(_source.raw, name, target=target, date_col=date_col, layout=layout)
        else:
            sf = read_series(_source.path, target=target, date_col=date_col, layout=layout)
        return {"sf": sf}
    except SpecError as exc:
        return {"error": str(exc)}
    except Exception as exc:  # the reader promises SpecError; never let a surprise reach the page as a traceback
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        return {"error": f"{name} could not be read as a time series ({type(exc).__name__}: {first}); "
                         "check that it is a CSV of dates and numbers."}


@st.cache_data(max_entries=32, show_spinner=False)
def columns_of(key: str, name: str, _source: DataSource) -> list[str]:
    try:
        names = fio.header_columns(_source_bytes(_source), name)
    except OSError:
        return []
    return [n for n in names if len(n) <= 100][:500]


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def check_choice(key: str, target, date_col, lookback: int, horizon: int, features: str, split: str, season: int,
                 _sf, layout: str = "long") -> dict:
    """fio.check_windows, or {"error": ...}, cached by the data (its key, choices and layout) and the settings."""
    try:
        return fio.check_windows(_sf, lookback, horizon, features=features, split=split, season=season)
    except SpecError as exc:
        return {"error": str(exc)}
    except (ValueError, TypeError, MemoryError) as exc:  # make_windows promises SpecError; stay one line anyway
        return {"error": f"these settings cannot cut the series into windows ({type(exc).__name__}: "
                         f"{(str(exc).splitlines() or [''])[0][:160]}); try a smaller lookback or horizon."}


def check_chosen(source: DataSource, choice: dict, windows: dict, sf) -> dict:
    """check_choice for what a page has drawn: the file, its column choices and the window settings
    (the Forecast and Search pages check the same way, before Start)."""
    return check_choice(source.key, choice["target"], choice["date_col"], windows["lookback"], windows["horizon"],
                        windows["features"], windows["split"], windows["season"], sf, choice["layout"])


def upload_limits_said() -> str:
    """The upload's limits and what to do past them, beside an uploader that holds no file: Streamlit refuses a
    larger file in the browser with "File must be 5.0MB or smaller." alone (a learner's check on the demo)."""
    max_bytes, max_rows = fio.upload_limits()
    return (f"Up to {max_bytes / 1e6:g} MB and {max_rows:,} rows: for a larger file, use a shorter extract or "
            "aggregate it to a coarser frequency (hourly to daily, say).")


def _apply_prefill_columns(prefill: dict | None, target_key: str, date_key: str, targets: list, dates: list,
                           detected) -> None:
    """A handed-over spec's target and date column; the one the reader would choose itself shows as its
    default, as it did before the run (a page's run names the column it read: the reader's note that it is
    "the last numeric column" was gone after a reload)."""
    if not prefill:
        return
    date_col, default_date = prefill.get("date_col"), detected.date_col if detected else None
    # The reader's default target is its choice beside its own date column: beside another one (a numeric year
    # column it would take as dates, say), it may choose another target, so the target stays named then.
    default_target = detected.target if detected and date_col in (None, AUTO, default_date) else None
    for key, value, options, default in ((target_key, prefill.get("target"), targets, default_target),
                                         (date_key, date_col, dates, default_date)):
        if value is not None and value == default:   # the reader's own choice: its "(default)" option
            st.session_state[key] = AUTO
        elif value in options:
            st.session_state[key] = value


def _layout(source: DataSource, prefill: dict | None) -> str:
    """'long', or 'wide' once the person chose to read a wide table as one long series (or a
    handed-over spec says so)."""
    key = f"forecast-layout-{_short(source.key)}"
    drafts.register(key)
    if prefill and prefill.get("layout"):
        st.session_state[key] = prefill["layout"]
    return st.session_state.get(key, "long")


def _short(source_key: str) -> str:
    """A data source's part of its widgets' keys: the content's hash's start, or `sample` (the sample's key holds
    its path: "sample:/tmp/" had shown in a page's element class on the hosted demo, a demo visitor's check)."""
    return "sample" if source_key.startswith("sample:") else source_key[:12]


def _set_layout(source_key: str, layout: str) -> None:
    st.session_state[f"forecast-layout-{_short(source_key)}"] = layout


def wide_offer(source: DataSource, sf, layout: str) -> None:
    """A wide table (a row per year, a column per month): say so, and offer to read it as one series."""
    from zoo.data.series import looks_wide

    note = looks_wide(sf if sf is not None else _source_bytes(source))
    if layout == "long" and note:
        with st.container(key="forecast-wide-offer"):
            st.info(note, icon=":material/table_chart:")
            st.button("Read it as one long series", key="forecast-use-wide", icon=":material/swap_vert:",
                      on_click=_set_layout, args=(source.key, "wide"))
    elif layout == "wide":
        st.caption("Read as one long series, period after period (the file is a wide table).")
        st.button("Read the table as it is", key="forecast-use-long", type="tertiary",
                  on_click=_set_layout, args=(source.key, "long"))


def data_preview(source: DataSource, prefill: dict | None = None):
    """Target and date-column choosers, then the preview (or the one-sentence refusal).

    Returns (SeriesFrame or None, chart placeholder, the choices {target, date_col, layout})."""
    layout = _layout(source, prefill)
    default = read_choice(source.key, source.name, None, None, source, layout)
    columns = columns_of(source.key, source.name, source)
    detected = default.get("sf")
    target, date_col = None, None
    if len(columns) >= 2:
        short = _short(source.key)
        tkey, dkey = f"forecast-target-{short}", f"forecast-date-{short}"
        # The reader's own target is the first option, "load (default)", and not named again after it ("load
        # (default), temperature, load" read as a column twice: a forecast user's check) while the reader's date
        # column is the one in use: beside another, the reader may choose another target, so it is named then.
        own_dates = (AUTO, detected.date_col) if detected else (AUTO,)
        named_default = detected is not None and st.session_state.get(dkey, AUTO) in own_dates and not (
            prefill and prefill.get("date_col") not in (None, *own_dates))
        # Only the columns the reader kept as numbers: 'weather', dropped as text, was offered and then refused
        # with "choose one of 'temperature', 'visitors'" (a forecast user's check).
        targets = [AUTO] + [c for c in columns if detected is None or (
            c in detected.columns and not (named_default and c == detected.target))]
        dates = [AUTO] + [c for c in columns if detected is None or c != detected.date_col]   # once, as the targets
        _apply_prefill_columns(prefill, tkey, dkey, targets, dates, detected)
        c1, c2 = st.columns(2)
        target = c1.selectbox(
            "Target (the column to forecast)", targets, **drafts.kept(tkey, options=targets),
            format_func=lambda c: (f"{detected.target} (default)" if detected
                                   else "the last numeric column, not a 0/1 flag nor constant")
            if c == AUTO else c,
            help="the values the model learns to predict; the other numeric columns are inputs in multivariate mode")
        date_col = c2.selectbox(
            "Date column", dates, **drafts.kept(dkey, options=dates),
            format_func=lambda c: (f"{detected.date_col} (detected)" if detected and detected.date_col else
                                   "none found: plain steps" if detected else "detect") if c == AUTO else c,
            help="the timestamps: rows are sorted by them and the forecast gets their frequency")
        target = None if target == AUTO else target
        date_col = None if date_col == AUTO else date_col
        numeric = list(detected.columns) if detected is not None else []
        if target is None and len(numeric) > 1 and source.kind != "sample":
            # Position is all the default knows: a forecast user's month,sales,price would have forecast price.
            c1.caption(f":material/help: {len(numeric)} numeric columns ({', '.join(map(code, numeric[:6]))}"
                       f"{', …' if len(numeric) > 6 else ''}); the default is the last, {code(detected.target)}: "
                       "pick the one to forecast if it is another.")
    outcome = default if (target, date_col) == (None, None) else read_choice(source.key, source.name, target,
                                                                              date_col, source, layout)
    if "error" in outcome:
        if source.kind == "upload" and "error" in default and source.key not in st.session_state.get(READ_ONCE, ()):
            # A file that read with no choice of columns tried in this session is nothing to ask for again: after a
            # reload the page had said "`textonly.csv` was uploaded before this page was loaded ... Upload it
            # again" (a demo visitor's check). One that read with a target picked keeps its name (a review).
            _draft_upload()
        with st.container(key="forecast-read-error"):
            st.error(plain(outcome["error"]), icon=":material/error:")   # it may quote a column's name
        wide_offer(source, None, layout)
        return None, None, {"target": target, "date_col": date_col, "layout": layout}
    sf = outcome["sf"]
    if source.kind == "upload":
        st.session_state.setdefault(READ_ONCE, set()).add(source.key)
    wide_offer(source, sf, layout)
    summary = sf.summary()
    with st.container(key="forecast-preview"):
        dates = sf.frame.index
        written = stamp_format(dates) if sf.date_col and len(dates) else None
        # A file whose times carried zones is read on one clock (the latest row's): said, as the run's tables say it
        # (series_results.date_column), or the first row read an hour off the file's "+01:00" (a dates check).
        clock = f" ({clock_name(sf.utc_offset)})" if written and sf.utc_offset is not None else ""
        span = f" · {dates[0]:{written}} → {dates[-1]:{written}}{clock}" if written else ""
        st.markdown(f"**{summary['rows']:,} rows** · date column {code(sf.date_col) if sf.date_col else '**none**'} · "
                    f"frequency **{describe_freq(sf.freq, dates)}** · target {code(sf.target)}{span}")
        others = [c for c in sf.columns if c != sf.target]
        if others:
            st.caption(f"Other numeric columns (inputs in multivariate mode): {', '.join(map(code, others[:20]))}"
                       + (f" and {len(others) - 20} more" if len(others) > 20 else ""))
        chart = st.empty()
        notes = [n for n in summary["notes"]]
        if notes:
            lines = []
            for note in notes:
                problem = is_problem(note)
                icon = ":orange[:material/warning:]" if problem else ":green[:material/check:]"
                lines.append(f"{icon} {plain(form.sentence(note))}")   # it may quote a column's name (ui/text.py)
            st.markdown("**What the reader found**  \n" + "  \n".join(lines))
        with st.expander("First rows"):
            first = sf.frame.head(12)
            dates = series_results.date_column(first.index, sf.utc_offset, name=sf.date_col)
            st.dataframe(first, width="stretch", column_config={"_index": dates} if dates is not None else None)
    return sf, chart, {"target": target, "date_col": date_col, "layout": layout}


def preview_figure(sf, check: dict | None = None, height: int = 220) -> go.Figure:
    """The target over time (thinned to a few thousand points), with the validation and test parts shaded: the
    file's own values, a value filled in a break, as the run's charts draw them (it drew the interpolated line)."""
    y = pd.Series(sf.actual_target(), index=sf.frame.index)
    stride = max(1, len(y) // MAX_PREVIEW_POINTS)
    part = y.iloc[::stride]
    fig = go.Figure(go.Scatter(x=part.index, y=part.to_numpy(), mode="lines", name=sf.target,
                               line=dict(color=COLOR_HISTORY, width=1)))
    if check and "bounds" in check:
        b = check["bounds"]
        for start, end, label, color, where in (
                (b["val"], b["test"], "val", "rgba(255,127,14,0.15)", "top left"),
                (b["test"], b["end"], "test", "rgba(44,160,44,0.15)", "top right")):
            # The label above the plot (in the top margin), where the series' line never runs over it (a
            # forecast user's check: the line crossed "test")
            fig.add_vrect(x0=start, x1=end, fillcolor=color, line_width=0, annotation_text=label,
                          annotation_position=where, annotation_yanchor="bottom", annotation_font_size=11)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=24, b=10), showlegend=False,
                      yaxis=dict(title=sf.target), hovermode="x", xaxis=day_ticks(part.index))
    return fig
