"""The Forecast page's "Find the best model": start a leaderboard (zoo/leaderboard/) on the chosen
series, watch its rows appear as each candidate finishes, then the pick's forecast with its
conformal intervals, the backtest and the downloads.

    find_best(...)      the page's section under the data and window settings: budget and Start
    live_board(job)     the running leaderboard, redrawn every second: a row per finished
                        candidate (validation and test MASE, time, a sparkline of its forecast),
                        the pick so far marked, the budget used, Stop
    finished_board(run) the same table read back from the run directory, the skipped ones and
                        why, the pick's forecast and backtest, downloads and the command

Everything shown after the run is read from its directory (zoo/runs.py), so `?run=<id>` shows it
again after a reload or a restart.
"""
from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from ui import form
from ui.live import REFRESH_S, format_duration, status_badge
from ui.series_source import NO_SERIES
from ui.state import button_pressed, can_control, fragment, job_manager, runs_dir, session_owner
from ui.text import code
from zoo import demo
from zoo.forecast_io import check_window_settings, display_name
from zoo.jobs import ACTIVE
from zoo.leaderboard.board import NO_ZOO_MODEL, earlier_rule
from zoo.leaderboard.plan import default_horizon
from zoo.leaderboard.scoring import baseline_beat_the_pick
from zoo.leaderboard.spec import LeaderboardSpec
from zoo.leaderboard.spec import settings as settings_declared
from zoo.registry import refusal
from zoo.spec import command_lines

TASK = "series"   # the task whose page shows leaderboards (the Forecast page)
KIND_LABELS = {"baseline": "baseline", "classical": "classical", "zoo": "zoo model", "ensemble": "ensemble"}
STATUS_LABELS = {"done": "ranked", "skipped": "skipped", "failed": "failed"}
SHORT_BUDGET = 60.0   # seconds: below it the page warns before the press (the shortest bench board took 20 s)


# ---------------------------------------------------------------------------------------------
# starting one


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def board_problem(key: str, target, date_col, layout: str, horizon: int, season: int, _sf) -> str | None:
    """Why a leaderboard cannot run on this series with this horizon (zoo/leaderboard/plan.py's
    make_plan: too few rows), or None; cached by the data (its key, choices and layout) and the settings.
    Only what the board uses counts: it chooses its own lookback and split, so the page's window
    settings for one model (a lookback too long for a short series, say) do not block it."""
    from zoo.leaderboard.plan import make_plan

    return refusal(make_plan, _sf.frame[_sf.target].to_numpy(float), _sf.freq, horizon=int(horizon),
                   season=int(season or 0))


def find_best(source, sf, windows: dict, choice: dict, prefill: dict | None = None) -> None:
    """The page's "Find the best model": the budget (declared on LeaderboardSpec) and the button.
    Uses the page's data, target, date column and season, and its horizon where the person set one (else the
    board's own: `board_horizon`); the leaderboard chooses each
    model's lookback and recipe itself, so only its own check (`board_problem`) disables it. A board
    handed back by "Run this board again" (`board_prefill`) sets the budget too."""
    from ui.form import hparam_widget, set_values
    from ui.run_view import start_blocker, why_start_is_off

    st.subheader("Or find the best model")
    st.caption("Every model of the zoo (each with a recipe suited to this series), the baselines and the "
               "classical AutoETS (also bagged), AutoTheta and AutoARIMA, ranked on rolling-origin validation "
               "before the test part; the pick is the median of the best three, which beat picking any one of them "
               "on 26 other public series (the project's benchmarks; bagged AutoETS stands in there for AutoETS), "
               "or, where a Stop or the budget leaves fewer than three models ranked, the lowest validation score. "
               "Rows appear as each one finishes. It uses this page's data, target and season, and the horizon "
               "where you set one; it chooses each model's lookback, its folds and its test part itself (the window "
               "settings above are for training one model).")
    budget_decl = demo.offered(next(h for h in settings_declared() if h.name == "budget"))   # (the demo's cap)
    if prefill and prefill.get(BOARD_BUDGET) is not None:
        # The CLI takes budgets past the page's range (an hour, say): set to the nearest, and said.
        for note in set_values([budget_decl], "forecast-board", {"budget": prefill[BOARD_BUDGET]}):
            st.warning(f"This board's {note.replace('budget=', 'budget of ', 1)} s.",
                       icon=":material/warning:")
        if not prefill.get(BOARD_AGAIN):   # opened (a link, a reload), not asked for: the visitor's own stays kept
            from ui import drafts

            drafts.not_the_visitors(["forecast-board-budget"])
    blocker = start_blocker(job_manager(), session_owner())
    # Above the fields it speaks of; written once the budget's cap and the board's own check are known.
    again = st.empty() if prefill and prefill.get(BOARD_AGAIN) else None
    if prefill:
        unshown_warning(prefill)
    budget = hparam_widget(budget_decl, "forecast-board-budget", label="time budget (seconds)")
    if budget is not None and budget < SHORT_BUDGET:   # before the press, not only in the skipped rows after it
        st.caption(f":material/timer: With under {SHORT_BUDGET:.0f} s some candidates may not fit; they are listed "
                   "as skipped. On 2 CPU cores, the project's benchmark boards of 114-218 rows took 20-49 s each, "
                   "every candidate included.")
    # The page's horizon and season in their ranges first: a horizon of 0 was taken as "the frequency's
    # usual" and a board of another horizon started (a forecast user's check).
    horizon = board_horizon(windows)
    problem = None if sf is None else (
        refusal(check_window_settings, None, windows["horizon"], windows["season"])
        or board_problem(source.key, choice.get("target"), choice.get("date_col"), choice.get("layout", "long"),
                         horizon, int(windows.get("season") or 0), sf))
    if sf is not None and not problem and not horizon:
        planned, why = board_plan_horizon(source.key, choice.get("target"), choice.get("date_col"),
                                          choice.get("layout", "long"), int(windows.get("season") or 0), sf)
        st.caption(f":material/straighten: It ranks at horizon {planned}, its own for this series: {why} (the horizon "
                   f"above, {int(windows['horizon'])}, is fitted for training one model on its split; set one there "
                   "to rank at it).")
    if sf is not None and windows.get("features") == "all":
        # Its candidates forecast the target from its own past: "all numeric columns" was dropped unsaid (a
        # forecast user's check)
        st.caption(":material/info: It ranks on the target's own past: the Inputs setting above (all numeric "
                   "columns) is for training one model.")
    # The hosted demo's wall-time cap per job, said before the click (zoo refuses it on submit too).
    over_cap = None if budget is None else refusal(demo.check_budget, float(budget))
    if again is not None:
        then = ("press **Find the best model** to run it again, or change them first."
                if not (blocker or over_cap or problem)
                else "**Find the best model** is off for now; below it says why.")
        filled = ("data, season and budget" if "horizon" in (prefill.get("windows_fitted") or ())
                  else "data, horizon, season and budget")   # its own horizon: chosen again, said below
        again.info(f"The {filled} of leaderboard {prefill[BOARD_AGAIN]} are filled in: {then}",
                   icon=":material/replay:")
    if sf is None:   # said beside this button too: the page's Start, which says it, is far above
        with st.container(key="forecast-board-problem"):
            st.caption(f":material/block: Not possible here: {NO_SERIES}.")
    elif problem:   # beside its button, as why it is off
        with st.container(key="forecast-board-problem"):
            st.caption(f":material/block: Not possible here: {problem}")
            usual_horizon(source, sf, windows, choice)
    elif over_cap:   # as the Train page's refusals: before the click, not after it
        st.error(form.sentence(over_cap), icon=":material/error:")
    elif blocker:
        why_start_is_off(blocker)
    pressed = button_pressed(st, "Find the best model", key="forecast-board-start", icon=":material/leaderboard:",
                             disabled=bool(sf is None or problem or over_cap or blocker or budget is None),
                             width="stretch",
                             help="AutoARIMA is the slowest candidate: on 2,000 hourly rows its folds and test fit "
                                  "took 190 s here, more than the default budget, and with a season over 24 (weekly "
                                  "data) it is not tried at all; what does not fit is listed as skipped")
    if not pressed:
        return
    from ui.series_source import data_for_spec
    from zoo.registry import SpecError

    try:
        data = data_for_spec(source, runs_dir(), session_owner())
    except SpecError as exc:   # a hosted demo's disk cap, a read-only runs directory
        st.error(str(exc), icon=":material/error:")
        return
    # One model's windows ride along in `extra` (not settings of the board), and which the page had fitted: a
    # reload while it runs fills the page back with them, as a training run's spec does (ui/prefill.py's
    # _restore_after_reload), the fitted ones following the series (a review: a fitted lookback came back as set).
    from ui.series_windows import fitted_names

    # (A lookback box's text that is no number is not the board's setting, and not kept as one: a reload would
    # have filled it back as the run's own, a review's check.)
    page = {**{k: windows[k] for k in PAGE_WINDOWS if not (k == "lookback" and isinstance(windows[k], str))},
            "windows_fitted": fitted_names()}
    spec = LeaderboardSpec(data=data, target=sf.target, date_col=sf.date_col, layout=choice.get("layout", "long"),
                           horizon=horizon, season=int(windows.get("season") or 0),
                           budget=float(budget), extra={"page": page})
    start_board(spec)


def board_horizon(windows: dict) -> int:
    """The horizon a board started from the page ranks at: the page's where the person set it (or a run's kept
    for its data), else 0, the board's own (zoo/leaderboard/plan.make_plan: the frequency's usual, or the longest
    that fits with an 80% interval's validation origins). The page's own fit is for one model's 70/10/20 split: a
    board of 120 monthly rows had ranked at its 9, where the board's refits hold 12 and the command line ranked at
    12 (a forecast user's check)."""
    from ui.series_windows import fitted_names

    return 0 if "horizon" in fitted_names() else windows["horizon"]   # (a box's text that is no number: refused by
    # find_best's check before it is used)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def board_plan_horizon(key: str, target, date_col, layout: str, season: int, _sf) -> tuple[int, str]:
    """The horizon a board of its own horizon (0) ranks at on this series, and why in words, from its plan
    (board_problem's cache keys): the longest that fits need not leave an 80% interval its origins (a review)."""
    from zoo.forecast.scores import min_calibration_windows
    from zoo.leaderboard.plan import make_plan

    plan = make_plan(_sf.frame[_sf.target].to_numpy(float), _sf.freq, season=int(season or 0))
    need = min_calibration_windows(0.8)
    if plan.horizon == default_horizon(_sf.freq):
        why = "the usual one for this frequency"
    elif len(plan.val_origins) >= need:
        why = f"the longest that fits it with the {need} validation origins an 80% interval is calibrated on"
    else:
        why = (f"the longest that fits it, which leaves {len(plan.val_origins)} validation origin(s), too few for an "
               f"80% interval (it needs {need})")
    return plan.horizon, why


def usual_horizon(source, sf, windows: dict, choice: dict) -> None:
    """Where the page's horizon is too long for a board, a button that sets one it takes, on a press only: the
    page's own suggestion (ui/series_windows.py) where a board takes its horizon, so that one press fits one
    model's windows and the board alike (a board-only "Use horizon 12" left one model's Start off beside
    "Use lookback 36, horizon 9": a forecast user's check); else the frequency's usual one (the CLI's default:
    12 for monthly data, zoo/leaderboard/plan.py). A 120-row monthly series was refused at the page's 24
    while `forecast-auto` ran it."""
    from ui.series_windows import suggestion, use_horizon, use_windows

    if not all(isinstance(windows.get(name), int) for name in ("horizon", "season")):
        return   # a box's text that is no number ("1.000"): the refusal above says what to type

    def fits(horizon: int) -> bool:
        return horizon < int(windows["horizon"]) and not board_problem(
            source.key, choice.get("target"), choice.get("date_col"), choice.get("layout", "long"), horizon,
            int(windows.get("season") or 0), sf)

    suggested = suggestion(sf, windows)
    if suggested is not None and fits(suggested["horizon"]):
        lookback, horizon = suggested["lookback"], suggested["horizon"]
        st.button(f"Use lookback {lookback}, horizon {horizon}, as suggested above", key="forecast-board-usual-horizon",
                  icon=":material/auto_fix_high:", on_click=use_windows, args=(lookback, horizon))
        return
    usual = default_horizon(sf.freq)
    if fits(usual):
        st.button(f"Use horizon {usual}, the usual one for this frequency", key="forecast-board-usual-horizon",
                  icon=":material/auto_fix_high:", on_click=use_horizon, args=(usual,))


BOARD_BUDGET = "board_budget"   # the prefill's keys (not a training spec's fields): the budget,
BOARD_UNSHOWN = "board_unshown"  # the settings the page has no field for (`unshown_settings`),
BOARD_COMMAND = "board_command"  # and the command that reproduces the board with them
BOARD_AGAIN = "board_again"      # the board whose "Run this board again" filled the page
PAGE_WINDOWS = ("lookback", "features", "split")   # one model's windows, kept in a board's `extra`


def board_prefill(settings: dict, plan: dict | None = None, page_windows: bool = False) -> dict:
    """What the Forecast page's left column takes from a leaderboard (its run view's prefill): the
    data, layout, target and date column (the pickers' "detect" where the board detected them: the
    person's other choice would rank another series), the horizon (the one it ran with: its plan's,
    when it was left to the frequency) and season, and its budget. Nothing of one model's windows or
    training settings: the board chose those itself, and the page keeps the person's (after a reload,
    `page_windows`, those the page had when it started the board). The settings the page has no field
    for go along to be named (`unshown_settings`), not silently dropped."""
    from ui.series_source import AUTO

    horizon = settings.get("horizon") or (plan or {}).get("horizon")
    prefill = {"task": TASK, **{k: settings.get(k) for k in ("data", "layout", "season")},
               "target": settings.get("target") or AUTO, "date_col": settings.get("date_col") or AUTO,
               BOARD_BUDGET: settings.get("budget"), BOARD_UNSHOWN: unshown_settings(settings)}
    if prefill[BOARD_UNSHOWN]:
        prefill[BOARD_COMMAND] = LeaderboardSpec.from_dict(settings).cli_command(plan)
    if horizon:
        prefill["horizon"] = int(horizon)
    if not settings.get("horizon"):
        # The board's own horizon (none set): shown, but as the page's fitted ones are, following the series for one
        # model's windows, so that the board starts at its own again. Filled in as set, a monthly board's 10 put
        # "too few for one window" on the page's 80 rows, Train and forecast off (a forecast user's check).
        prefill["windows_fitted"] = ["horizon"]
    if page_windows:   # a reload: the page's own windows as they were when it started the board, and which it fitted
        prefill.update({k: v for k, v in ((settings.get("extra") or {}).get("page") or {}).items()
                        if k in (*PAGE_WINDOWS, "windows_fitted")})
    return {k: v for k, v in prefill.items() if v is not None}


SHOWN = ("data", "target", "date_col", "layout", "horizon", "season", "budget")   # what find_best sets


def unshown_settings(settings: dict) -> dict:
    """A board's settings away from their defaults that the page has no field for (the CLI's --models,
    --folds, --test-share, --seed, --device)."""
    return {h.name: settings[h.name] for h in settings_declared()
            if h.name not in SHOWN and settings.get(h.name) not in (None, h.default)}


def unshown_warning(prefill: dict) -> None:
    """Say which of the board's settings the page runs at their defaults, with the command that keeps them."""
    unshown = prefill.get(BOARD_UNSHOWN) or {}
    if not unshown:
        return
    listed = "; ".join(f"{name.replace('_', ' ')} {value}" for name, value in unshown.items())
    with st.container(key="forecast-board-unshown"):
        st.warning(f"That board also set {listed}, which this page has no field for: Find the best model runs "
                   "with their defaults. Its command keeps them:", icon=":material/warning:")
        st.code(command_lines(prefill.get(BOARD_COMMAND, "")), language="bash")


def run_again(run) -> None:
    """Fill the page with this leaderboard's settings (`board_prefill`), the board still shown beside
    them; the person presses Find the best model (the same board, or one they changed first)."""
    from ui import drafts
    from ui.prefill import PREFILL

    st.session_state[PREFILL] = {**board_prefill(run.settings, run.result.get("plan")), BOARD_AGAIN: run.run_id}
    # Asked for, as Train again's spec is (ui/prefill.hand_off): the visitor's own from now on. Left as the page
    # filled them when the board's address opened, the page's own address gave back the older set-up (a forecast
    # user's check: the Runs page, then the sidebar's Forecast link, and the board's data and horizon were gone).
    # Its budget too (a form of its own, marked as the board's when its address opened: not_the_visitors; a review).
    for asked in ("series", "board"):
        drafts.forget_fill(asked)
    st.rerun()


def start_board(spec: LeaderboardSpec) -> None:
    from zoo.leaderboard.job import submit_leaderboard
    from zoo.registry import SpecError

    try:
        job = submit_leaderboard(job_manager(), spec, owner=session_owner(), runs_dir=runs_dir())
    except SpecError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    from ui.run_view import show_started, started_from_form

    started_from_form("series")
    show_started(job.id)


# ---------------------------------------------------------------------------------------------
# the table


def board_table(rows: list[dict], pick: str | None = None) -> pd.DataFrame:
    """The candidates as the page shows them: ranked ones by validation MASE first (the pick marked:
    none while the board runs, when the leader so far is rarely the pick, the ensemble made at the
    end), then the skipped and failed ones."""
    ranked = sorted([r for r in rows if r.get("status") == "done" and r.get("val_mase") is not None],
                    key=lambda r: r["val_mase"])
    rest = [r for r in rows if r not in ranked]
    out = []
    for i, r in enumerate(ranked + rest):
        done = r.get("status") == "done"
        out.append({
            "rank": i + 1 if done and r in ranked else None,
            "pick": "★" if r["name"] == pick else "",
            "candidate": r.get("label") or r["name"],
            "kind": KIND_LABELS.get(r.get("kind"), r.get("kind")),
            "val MASE": r.get("val_mase"),
            "test MASE": r.get("test_mase"),
            # in points, shown to one decimal: Streamlit's "percent" format gave "82.64%" beside "75%"
            "80% cover": None if r.get("coverage_80") is None else 100 * r["coverage_80"],
            "seconds": r.get("seconds"),
            "forecast": r.get("sparkline") or [],
            "status": STATUS_LABELS.get(r.get("status"), r.get("status")),
            "note": r.get("note") or "",
        })
    # The scores right after the candidate: a phone's 375 px showed rank, pick, candidate and kind, the MASEs out of
    # sight (a phone user's check)
    return pd.DataFrame(out, columns=["rank", "pick", "candidate", "val MASE", "test MASE", "80% cover", "kind",
                                      "seconds", "forecast", "status", "note"])


def show_table(rows: list[dict], pick: str | None, key: str) -> None:
    with st.container(key="forecast-board-table"):
        st.dataframe(board_table(rows, pick), key=key, hide_index=True, width="stretch", column_config={
            "rank": st.column_config.NumberColumn(width=52),   # narrower than "small": room for the scores
            "pick": st.column_config.TextColumn(width=44, help=(
                "the pick, once the board ends: the ensemble of the best three, or the first row where the board "
                "had fewer than three models besides the baselines (stopped, or a small budget)")),
            "kind": st.column_config.TextColumn(width="small"),
            "val MASE": st.column_config.NumberColumn(format="%.3f", width="small", help=(
                "mean absolute error over every validation origin and step, over the seasonal naive error "
                "in-sample; what the ranking uses")),
            "test MASE": st.column_config.NumberColumn(format="%.3f", width="small", help=(
                "the same on the test part, which the pick never looks at")),
            "80% cover": st.column_config.NumberColumn(format="%.1f%%", width="small", help=(
                "share of the test actuals inside the 80% conformal interval calibrated on validation")),
            "seconds": st.column_config.NumberColumn(format="%.1f", width="small"),
            "forecast": st.column_config.LineChartColumn("forecast", width="medium",
                                                         help="the last three horizons of the series, then this "
                                                              "candidate's forecast"),
            "note": st.column_config.TextColumn(width="large"),
        }, placeholder="—")   # a value a candidate does not have (a skipped one's scores), not "None"


# ---------------------------------------------------------------------------------------------
# live


def live_board(job, key: str) -> None:
    from ui.run_view import live_heading

    live_heading(job, "leaderboard", "ends the candidate running now; the table ranks those that finished")
    spec = job.payload.get("spec") or {}
    planned = (job.snapshot()["state"].get("plan") or {}).get("horizon")   # its own, where none was set
    horizon = spec.get("horizon") or (f"{planned} (its own)" if planned else "its own, chosen from the series")
    st.caption(f"{display_name(spec.get('data'), runs_dir())} · horizon {horizon} · "
               f"budget {format_duration(spec.get('budget', 0))}")
    live_table(job.id)


@fragment(run_every=REFRESH_S)
def live_table(job_id: str) -> None:
    from ui.live import live_job, not_yet_running
    from ui.state import job_manager

    job, snapshot = live_job(job_id)
    if job is None:
        return
    state = snapshot["state"]
    if snapshot["stop_requested"]:
        status_badge("stopped", "stopping…")
    elif snapshot["status"] in ("queued", "starting"):
        not_yet_running(job_manager(), job.id, snapshot["status"],
                        "Starting the worker (loading PyTorch and reading the series)…")
        return
    else:
        status_badge("running", "ranking")
    rows = state.get("rows", [])
    planned = state.get("planned") or []
    budget = float(state.get("budget") or (job.payload.get("spec") or {}).get("budget") or 1)
    now = time.time()
    # Never below 0: st.progress refuses a negative value, and a worker's start time is its host's
    # clock (a Ray node's may run ahead of the server's).
    elapsed = max(0.0, now - (state.get("started") or snapshot.get("started") or now))
    current = state.get("current")
    # the two times alike ("1 min 05 s of 120 s" read as two units: a forecast user's check)
    line = f"{len(rows)} of {len(planned) or '?'} candidates · {format_duration(elapsed)} of {format_duration(budget)}"
    if current:
        line += f" · now: {current}"
    with st.container(key="forecast-board-progress"):
        st.progress(min(1.0, elapsed / budget), text=line)
    plan = state.get("plan")
    if plan:
        # the target too, as the finished board's header names it (a forecast user's check: not said while it ran)
        target = f"target {code(state['target'])} · " if state.get("target") else ""
        st.caption(f"{target}horizon {plan['horizon']}, period {plan['period']}, lookback {plan['lookback']}; "
                   f"{len(plan['folds'])} validation fold{'' if len(plan['folds']) == 1 else 's'} "
                   f"({plan['val_origins']} origins), "
                   f"{plan['test_origins']} test origins")
    if rows:
        show_table(rows, None, key=f"{job_id}-live-table")
        st.caption("No pick yet: when the board ends, ★ marks it. It is the median forecast of the best three on "
                   "validation, not the top row so far (the top row where fewer than three models besides the "
                   "baselines were ranked).")
    else:
        st.caption("The first rows (the baselines) appear within seconds.")


# ---------------------------------------------------------------------------------------------
# finished


def finished_board(run, job, key: str) -> None:
    from ui import series_results
    from ui.run_view import outcome_banner, written_elsewhere
    from zoo import forecast_io as fio

    snapshot = job.snapshot() if job is not None else None
    result = run.result
    status = snapshot["status"] if snapshot else run.status
    reason = (snapshot["reason"] if snapshot else "") or result.get("reason", "")
    status_badge(status)
    st.markdown(f"#### Leaderboard `{run.run_id}`")
    spec = run.settings
    plan = result.get("plan") or {}
    ran_with = (f" · horizon {plan['horizon']}, period {plan['period']}, lookback {plan['lookback']}"
                if {"horizon", "period", "lookback"} <= set(plan) else "")
    target = result.get("target") or spec.get("target")   # (none yet, where a board being written has not said)
    took = f" · took {format_duration(result.get('seconds'))}" if result.get("seconds") is not None else ""
    st.caption(f"{display_name(spec.get('data'), runs_dir())}{f' · target {code(target)}' if target else ''}"
               f"{ran_with} · budget {format_duration(spec.get('budget', 0))}{took}")
    if not can_control(result.get("owner")):
        from ui.run_view import another_visitors_note

        another_visitors_note(st, "leaderboard")
    elif button_pressed(st, "Run this board again", key=f"{key}-board-again", icon=":material/replay:",
                        help="fill the page with this leaderboard's data, horizon, season and budget, to change them "
                             "and find the best model again"):
        run_again(run)
    traceback = (snapshot["state"].get("traceback") if snapshot else None) or result.get("traceback")
    if status in ACTIVE and job is None:   # the CLI's board, or one whose server stopped
        written_elsewhere(run, "leaderboard")
    else:
        outcome_banner(status, reason, traceback)
    rows = run.candidates()
    pick = (result.get("pick") or {}).get("name")
    if rows:
        st.subheader("Leaderboard")
        ranked = sum(r["status"] == "done" for r in rows)
        label = (result.get("pick") or {}).get("label")
        # An ensemble's members named here: in the table they sit in its last column, past the window's edge.
        labels = {r["name"]: r.get("label") or r["name"] for r in rows}
        settings = (result.get("pick") or {}).get("settings") or {}
        members, in_place_of = settings.get("members") or [], settings.get("in_place_of") or {}
        named = [labels.get(m, m) for m in members]
        # the stand-in said after the list: "(of bagged AutoETS in place of AutoETS, AutoARIMA, tcn)" read as in
        # place of all three (a forecast user's check); with why the next best is a member: "of AutoARIMA, bagged
        # AutoETS and linear" beside AutoARIMA, AutoETS, bagged AutoETS, linear ranked so read as not the best three
        # (a new user's check)
        stood = "".join(f"; {labels.get(m, m)} stands in for {labels.get(n, n)}, the two taking one place"
                        for m, n in in_place_of.items() if m in members)
        listed = ", ".join(named[:-1]) + f" and {named[-1]}" if len(named) > 1 else "".join(named)
        of = f" (of {listed}{stood})" if named else ""
        with st.container(key="forecast-board-summary"):
            st.markdown((f"★ **the pick: {label}**{of} · " if label else "") + f"{ranked} ranked · "
                        f"{len(rows) - ranked} skipped or failed")
            no_zoo = next((n for n in result.get("notes") or [] if n.startswith(NO_ZOO_MODEL)), None)
            if no_zoo:   # a finished board whose pick had no neural model to beat: not a clean finish
                st.warning(form.sentence(no_zoo), icon=":material/timer_off:")
        show_table(rows, pick, key=f"{key}-board-{run.run_id}")
        skipped = [r for r in rows if r["status"] != "done"]
        if skipped:
            with st.container(key="forecast-board-skipped"):
                # in the table, without a rank: "did not make the table" read as if they were not in it (a
                # forecast user's check)
                st.markdown(f"**{len(skipped)} not ranked:** " + "; ".join(
                    f"{r.get('label') or r['name']} ({r.get('note')})" for r in skipped))
        # The table sits in the page's right column: at 1,400 px it ended at test MASE, its scroll bar hidden until
        # hovered (a forecast user's check).
        st.caption("Ranked by validation MASE over the rolling-origin folds; the test MASE is shown beside it and "
                   "was never used to choose. ★ marks the pick. Further right, where the table is cut off: 80% "
                   "coverage, seconds, each forecast and notes; scroll the table, or open it full screen from "
                   "its top-right corner.")
    if result.get("pick"):
        p = result["pick"]
        st.subheader(f"The pick: {p['label']}")
        why = next((n for n in result.get("notes") or [] if n.startswith("the pick is")), None)
        if why:   # the pick is not the first row of the table: say why where it is named, not only in the notes
            st.caption(form.sentence(why))
        if older := earlier_rule(p, rows):
            st.caption(form.sentence(older))
        cols = form.metrics_row(4)
        cols[0].metric("test MASE", _f(p.get("test_mase")), help="below 1 beats the seasonal naive forecast in-sample")
        cols[1].metric("validation MASE", _f(p.get("val_mase")))
        series_results.coverage_metrics(cols[2:], result, plan.get("val_origins"), "origins")
        beaten = baseline_beat_the_pick(result)
        if beaten:
            st.warning(form.sentence(beaten), icon=":material/warning:")
        tables = series_results.run_tables(str(run.path), run.stamp())
        forecast, backtest = tables["forecast"], tables["backtest"]
        if series_results.unreadable_table(tables, "forecast"):
            pass
        elif forecast is not None and len(forecast):
            # As a one-model run's chart: the board's 200 rows left a week's forecast of daily data a sliver.
            rows_shown = series_results.history_rows(len(forecast), plan.get("lookback") or 0)
            history = series_results.history_of(spec.get("data"), result.get("target"), spec.get("date_col"),
                                                series_results._data_stamp(spec.get("data")), rows_shown)
            st.markdown(f"**The pick's forecast: {series_results.after_the_last_row(len(forecast))}, "
                        f"{series_results.intervals_named(forecast, 'with their')}**")
            with st.container(key="forecast-future"):
                st.plotly_chart(series_results.forecast_figure(forecast, history, result.get("target") or ""),
                                key=f"{key}-board-forecast-{run.run_id}", config=series_results.PLOT_CONFIG)
            series_results.forecast_table(forecast)   # the numbers, not only a chart (forecast.csv)
        if series_results.unreadable_table(tables, "backtest"):
            pass
        elif backtest is not None and len(backtest):
            with st.expander("Backtest of the pick on the test part"):
                horizon = int(backtest["step"].max())
                step = st.slider("Horizon step", 1, horizon, 1, key=f"{key}-board-step-{run.run_id}") \
                    if horizon > 1 else 1
                st.plotly_chart(series_results.backtest_figure(fio.backtest_step(backtest, step)),
                                key=f"{key}-board-backtest-{run.run_id}", config=series_results.PLOT_CONFIG)
        if p.get("spec") and not can_control(result.get("owner")):
            st.caption(":material/visibility: Another visitor's leaderboard: you may look at it and download its "
                       "files.")
        elif p.get("spec"):
            if button_pressed(st, "Train the pick on its own", key=f"{key}-board-train", icon=":material/replay:",
                              help="fill the form with the pick's model and recipe. It then trains as one run does, "
                                   f"on its spec's split of the rows (split {p['spec'].get('split')}), not on every "
                                   "row before the board's test part, so its scores can differ from the board's"):
                from ui.prefill import hand_off

                hand_off(p["spec"])
    notes = list(result.get("data_notes") or []) + list(result.get("notes") or [])
    if notes:
        with st.expander("Notes on the data and the validation"):
            st.markdown(series_results.notes_list(notes))
    from ui.run_view import downloads

    downloads(run, key, BOARD_DOWNLOADS)


BOARD_DOWNLOADS = {
    "candidates.csv": ("text/csv", "every candidate: scores, time, settings, sparkline (the series' last rows, then its forecast)"),
    "forecast.csv": ("text/csv", "the pick's forecast with its 80% and 95% intervals"),
    "backtest.csv": ("text/csv", "the pick on every test origin and step, with its bounds and the baselines'"),
    "best.pt": ("application/octet-stream", "the pick's weights (a zoo model)"),
    "leaderboard.json": ("application/json", "the leaderboard's settings"),
}


def _f(v) -> str:
    return "—" if v is None else f"{v:.3f}"


def is_board_job(job) -> bool:
    return (job.payload or {}).get("kind") == "leaderboard"


def show(run, job, key: str) -> bool:
    """The run view's hook: draw a leaderboard (live or finished) and return True; False for anything else."""
    if job is not None and job.active and is_board_job(job):
        live_board(job, key)
        return True
    if run is not None and run.is_leaderboard:
        finished_board(run, job, key)
        return True
    return False
