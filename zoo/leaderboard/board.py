"""Running a leaderboard: every candidate through the validation folds and the test part within
the budget (each scored alike: zoo/leaderboard/scoring.py), an ensemble of the best few, the ranking,
the pick's conformal intervals, and the run directory (zoo/runs.py's BoardWriter) written as it goes.

The candidates are ranked by their validation MAE over every validation origin of every fold; the
pick is the ensemble, the median of the best three (see `choose`), or the first of the ranking when
no ensemble could be made or the board ranked fewer than three models besides the baselines (a Stop, a
small budget). Nothing from the test part enters either
(tests/test_leaderboard.py changes the test values and gets the same pick). The test scores are
computed for every candidate, to be shown beside it.

Budget: the candidates run in all_candidates' order, cheapest first but for bagged AutoETS, which runs
before the zoo's linear and mlp (on 400 daily rows a 40 s budget spent 30 s on it and then skipped
it, leaving linear 0.7 s: a forecast user's check; left as it is, since the benchmark's boards were
measured with this order). A candidate whose folds so far show that the rest and
its test fit would not end in the time left (`projected_seconds`: later fits have more rows) is
stopped there and listed as skipped with its projected time; a first fold is stopped once it has
run past the time left over the number of fits to make, since it could not pass that check. Once
the budget is spent, the rest are listed as not started; the baselines always run (they take
milliseconds), so a board always ends with a ranked table.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from zoo.forecast.scores import calibration_count, filled_actuals_note, interval_floor, interval_left_out, lower_bound
from zoo.leaderboard.candidates import BASELINE_NAMES, FORECAST_BASELINE, Board, Stopped, all_candidates
from zoo.leaderboard.plan import make_plan
from zoo.leaderboard.scoring import Scorer, mae
from zoo.leaderboard.spec import BY_NAME_ONLY, LeaderboardSpec
from zoo.registry import DataShape, SpecError

ENSEMBLE_SIZE = 3     # the ensemble: the median of the best 3 on validation (see `choose`)
# A candidate that stands in for another among the ensemble's members when both have a validation
# score: Bagged ETS for AutoETS, the better ETS of the two on the development series. AutoETS stays on
# the board, ranked and shown (it is the peer the pick is measured against), but two ETS forecasts do
# not take two of the median's three places (bench/selection_dev.py's fourteenth round; BENCHMARKS.md,
# "Choosing the pick on development series").
STANDS_IN_FOR = {"BaggedETS": "AutoETS"}
SPARK_HISTORY = 3     # the sparkline: the last 3 horizons of history, then the forecast


def run_board(spec: LeaderboardSpec, *, writer=None, emit: Callable[[dict], None] | None = None,
              should_stop: Callable[[], bool] | None = None, clock=time.perf_counter, sf=None, plan=None,
              started: float | None = None) -> dict:
    """Run the leaderboard `spec`; return the summary (also written to result.json by `writer`).
    `sf` is the series and `plan` its make_plan when the caller has them already; the budget runs from
    `started`."""
    from zoo.data.series import read_series, resolve_series_source

    spec.validate()
    emit = emit or (lambda event: None)
    stop_requested = should_stop or (lambda: False)
    started = clock() if started is None else started
    deadline = started + float(spec.budget)
    if sf is None:
        sf = read_series(resolve_series_source(spec.data), target=spec.target, date_col=spec.date_col,
                         layout=spec.layout)
    y = sf.frame[sf.target].to_numpy(np.float64)
    if plan is None:
        plan = make_plan(y, sf.freq, horizon=spec.horizon, season=spec.season, test_share=spec.test_share,
                         folds=spec.folds)
    scorer = Scorer(y, plan, actual=sf.actual_target())

    def halt() -> bool:
        return clock() > deadline or stop_requested()

    board = Board(sf=sf, y=y, plan=plan, seed=spec.seed, device=spec.device, data=str(spec.data), layout=spec.layout,
                  should_stop=halt)
    wanted = spec.model_names()
    candidates = [c for c in all_candidates() if c.name in wanted
                  or (c.name not in BY_NAME_ONLY and (c.kind == "baseline" or not wanted))]
    # The ensemble is counted only where it is asked for (every board, or --models naming it): a count
    # of 7 candidates that ended "6 of 6 ranked" lost one without a word.
    ensemble = ["ensemble"] if not wanted or "ensemble" in wanted else []
    emit({"type": "plan", "plan": plan.to_dict(), "candidates": [c.name for c in candidates] + ensemble,
          "budget": spec.budget, "target": sf.target, "freq": sf.freq, "data_notes": list(sf.notes)})

    rows, preds, models = [], {}, {}
    stopped_by_user = False
    try:
        stopped_by_user = _run_all(candidates, board, scorer, clock, deadline, halt, stop_requested, started, rows,
                                   preds, models, writer, emit)
    finally:
        board.close()
    summary = _finish(spec, board, scorer, rows, preds, models, wanted, stopped_by_user, started, clock,
                      writer, emit)
    return summary


def _run_all(candidates, board, scorer, clock, deadline, halt, stop_requested, started, rows, preds, models,
             writer, emit) -> bool:
    stopped_by_user = False
    for cand in candidates:
        remaining = deadline - clock()
        if stop_requested():
            stopped_by_user = True
        if stopped_by_user or (remaining <= 0 and cand.kind != "baseline") or cand.too_slow(board):
            row = _skip(cand, not_started(stopped_by_user) if stopped_by_user or remaining <= 0 else
                        cand.too_slow(board), board)
        else:
            emit({"type": "candidate_start", "name": cand.name, "kind": cand.kind, "elapsed": clock() - started})
            row, pred = _run_candidate(cand, board, scorer, clock, deadline, halt if cand.kind != "baseline" else
                                       (lambda: False))
            if pred is not None:
                preds[cand.name] = pred
                if getattr(pred["test"], "model", None) is not None:
                    models[cand.name] = pred["test"]
            elif stop_requested():
                stopped_by_user = True
        rows.append(row)
        if writer:
            writer.append_candidate(row)
        emit({"type": "candidate", "row": row, "elapsed": clock() - started})
    return stopped_by_user


def _demo_cap_note(rows, plan) -> str | None:
    """On the hosted demo, where its caps cut the zoo models' fits: training samples (candidates.fit_windows)
    and epochs (plan.zoo_settings)."""
    from zoo import demo
    from zoo.leaderboard.candidates import fit_windows
    from zoo.leaderboard.plan import zoo_settings

    caps = demo.caps()
    trained = [r["name"] for r in rows if r["kind"] == "zoo" and r["status"] == "done"]
    if caps is None or not trained:
        return None
    every = fit_windows(plan, plan.test_start, capped=False)[1]
    sized = fit_windows(plan, plan.test_start)[1]
    cut = [f"on at most {caps.train_samples:,} windows (its cap on training samples): each fit trained on at most its "
           f"latest {caps.train_samples:,} (the test part's fit had {every:,} to choose from)"] \
        if every > caps.train_samples else []
    # Each fit's recipe asks for its own epochs, the fewer windows the more: the smallest fit (the first fold's)
    # asks for the most. A wrapped candidate (deseasoned_linear) trains its model's recipe (it had been looked up
    # as a model of its own name: the board failed at its end, a review).
    smallest = min(fit_windows(plan, end)[1] for end in [f[0] for f in plan.folds] + [plan.test_start])
    models = {c.name: c.zoo_model() for c in all_candidates()}
    shortened = [name for name in trained if models.get(name) and zoo_settings(
        models[name], smallest, plan.lookback, plan.period, sized, capped=False)["epochs"] > caps.epochs]
    if shortened:
        cut.append(f"for at most {caps.epochs} epochs (its cap on epochs), where its recipe asked for more "
                   f"({', '.join(shortened)})")
    if not cut:
        return None
    return (f"on this hosted demo a model of the zoo trains {' and '.join(cut)}; the baselines and the classical "
            "models read every row.")


def _finish(spec, board, scorer, rows, preds, models, wanted, stopped_by_user, started, clock, writer,
            emit) -> dict:
    plan, sf = board.plan, board.sf
    # An ensemble needs two forecasts, one of them scored (all others not finite: that one alone).
    scored = [r for r in rank(rows) if r["name"] in preds]
    if len(preds) >= 2 and scored and (not wanted or "ensemble" in wanted):
        row, pred = _ensemble(rows, preds, plan, scorer, board, ENSEMBLE_SIZE)
        preds["ensemble"] = pred
        rows.append(row)
        if writer:
            writer.append_candidate(row)
        emit({"type": "candidate", "row": row, "elapsed": clock() - started})

    ranked = rank(rows)
    pick = choose(ranked)
    summary = {"status": "stopped" if stopped_by_user else "finished", "plan": plan.to_dict(),
               "target": sf.target, "freq": sf.freq, "seconds": round(clock() - started, 3),
               "budget": spec.budget, "ranking": [r["name"] for r in ranked],
               "skipped": [{"name": r["name"], "note": r["note"]} for r in rows if r["status"] != "done"],
               "data_notes": list(sf.notes), "notes": list(plan.notes)}
    if filled := filled_actuals_note(sf.filled, plan.val_origins, plan.test_origins, plan.horizon):
        summary["notes"].append(filled)
    if pick is not None and pick["kind"] != "ensemble" and "ensemble" in summary["ranking"]:
        summary["notes"].append(_few_models_note(pick, ranked, rows, stopped_by_user))
    elif pick is not None and pick["kind"] == "ensemble" and pick["settings"]["size"] == 1:
        summary["notes"].append(f"the pick is {pick['label']}, alone: no other candidate had a validation "
                                "score to make an ensemble with.")
    elif pick is not None and pick is not ranked[0]:
        summary["notes"].append(f"the pick is the ensemble ({pick['label']}), not {ranked[0]['label']} (lowest "
                                "validation MASE): on 26 development series, always taking the median of the "
                                "best three forecast better than taking the one with the lowest validation "
                                "score, or choosing how many to take on validation (the project's BENCHMARKS.md, "
                                "\"Choosing the pick on development series\").")
    capped = _demo_cap_note(rows, plan)
    if capped:
        summary["notes"].append(capped)
    no_zoo = _no_zoo_model_note(rows, spec.budget, summary["seconds"])
    if no_zoo and not stopped_by_user:
        summary["notes"].insert(0, no_zoo)
    if pick is None and stopped_by_user:
        # A Stop before any candidate finished is a stop, as a training run stopped before its first epoch is: it
        # had ended "failed" and the command said exit 0 beside it (a CLI user's check)
        summary["reason"] = ("stopped by request before any candidate finished, so there is nothing to forecast "
                             "with; run it again and let it run a few seconds (the baselines take about that)")
    elif pick is None:
        summary["status"] = "failed"
        summary["reason"] = "no candidate finished (not even the baselines)"
    else:
        baselines = {n: preds[n]["test"].at_origins for n in BASELINE_NAMES if n in preds}
        outputs = _pick_outputs(pick, preds[pick["name"]], plan, scorer, sf, writer, models.get(pick["name"]),
                                baselines)
        summary["notes"] += outputs.pop("interval_notes", [])
        summary.update(outputs)
        finished = sum(r["status"] == "done" for r in rows)
        summary["reason"] = (f"{'stopped by request; ' if stopped_by_user else ''}{finished} of {len(rows)} "
                             f"candidates ranked on {len(plan.val_origins)} validation origins; the pick is "
                             f"{'the ' if pick['kind'] == 'ensemble' and pick['settings']['size'] > 1 else ''}"
                             f"{pick['label']} (validation MASE {_fmt(pick.get('val_mase'))}, test MASE "
                             f"{_fmt(pick.get('test_mase'))})")
        summary["reason"] += _unfinished(rows, spec.budget)
    summary["candidates"] = len(rows)
    summary["board"] = [{k: r.get(k) for k in ("name", "kind", "status", "val_mase", "test_mase", "seconds")}
                        for r in rows]
    return summary


def _few_models_note(pick: dict, ranked: list[dict], rows: list[dict], stopped_by_user: bool) -> str:
    """Why the pick is the lowest validation score and not the ensemble (`choose`): what left the board with fewer
    than ENSEMBLE_SIZE models, counted as the median's members are (a stand-in and the one it stands in for once)."""
    over, _, failed, not_tried = _unfinished_counts(rows)
    why = [c for c, happened in (("it was stopped", stopped_by_user), ("the budget left the others out", over),
                                 (f"{failed} failed", failed), (f"{not_tried} {'was' if not_tried == 1 else 'were'} "
                                                                "not tried on this series", not_tried)) if happened]
    ran = models_ranked(ranked)
    names = {r["name"] for r in ranked}
    stand_ins = [f"{n} stands in for {STANDS_IN_FOR[n]}" for n in sorted(names) if STANDS_IN_FOR.get(n) in names]
    ensemble = next((r for r in ranked if r["kind"] == "ensemble"), None)
    baselines = {r["name"] for r in rows if r["kind"] == "baseline"}
    members = ((ensemble or {}).get("settings") or {}).get("members") or []
    with_baselines = baselines & set(members)
    # Its row stays on the board, named as every ensemble is: a Stop's board showed "median of the best 3" of
    # AutoETS, AutoTheta and seasonal naive beside "too few for the median of the best 3" (a forecast user's check)
    row_said = (f" The median's row on the board takes {'a baseline' if len(with_baselines) == 1 else 'baselines'}"
                f" among its {len(members)} members to make up the number, and is ranked as "
                "one more candidate." if with_baselines else "")
    return (f"the pick is {pick['label']}, the lowest validation MASE, not the ensemble: "
            f"{' and '.join(why) or 'only those models were asked for'}, and the board had "
            f"{ran or 'no'} model{'' if ran == 1 else 's'} besides the baselines to take a median from"
            f"{' (' + ', '.join(stand_ins) + ')' if stand_ins else ''}, too few for the median of the best "
            f"{ENSEMBLE_SIZE} it picks otherwise (chosen on boards that had more: the project's BENCHMARKS.md, "
            "\"Choosing the pick on development series\")." + row_said)


NO_ZOO_MODEL = "none of the zoo's models fit in the"   # the note's start, which the page shows as a warning


def _no_zoo_model_note(rows: list[dict], budget: float, elapsed: float | None = None) -> str:
    """Where the budget left out every model of the zoo: a board of 40 s, 32 s of it bagged AutoETS's, ranked no
    neural model and read as a clean finish (a fault check); '' otherwise."""
    zoo = [r for r in rows if r["kind"] == "zoo"]
    if not zoo or any(r["status"] == "done" for r in zoo) or not _unfinished_counts(zoo)[0]:
        return ""
    done = [r for r in rows if r["status"] == "done"]
    spent = sum(r.get("seconds") or 0.0 for r in done)
    # the kinds that ranked: "the classical models took 0.0 s" where none had (a 1 s board: a CLI user's check)
    ranked = "the baselines and the classical models" if any(r["kind"] == "classical" for r in done) else \
        "the baselines"
    # ...and where the rest went: "the baselines took 0.0 s of it" alone, of a 10 s board, left 9.3 s unsaid (a
    # forecast user's check), spent on the candidates stopped at their share of it
    unfinished = sum(r.get("seconds") or 0.0 for r in rows if r["status"] != "done")
    rest = f", and those that did not fit {seconds_said(unfinished)}" if unfinished >= 0.05 else ""
    # ...and the board's time outside them (`elapsed`), where it is a share worth saying: 11 s and 6.5 s were said of
    # a 30 s board, the other 12.5 s unsaid (a CLI user's check)
    outside = (elapsed or 0.0) - spent - unfinished
    if outside >= max(0.5, 0.1 * (elapsed or 0.0)):
        # ("went outside the candidates' own fits" left a visitor guessing where: a demo visitors' check)
        rest += (f", and {seconds_said(outside)} went to the board's own work around them (reading the series, "
                 "making the folds, starting the models' processes: longer while the server runs other jobs)")
    return (f"{NO_ZOO_MODEL} {budget:g} s budget: {ranked} took {seconds_said(spent)} of it{rest}, so the pick is "
            "one of them (or their median); a larger budget ranks the zoo's models too.")


def _unfinished_counts(rows: list[dict]) -> tuple[int, int, int, int]:
    """The candidates that did not finish, by cause: (over the budget, stopped by request, failed, not tried on
    this series), from the notes _run_all and _run_candidate give them."""
    def skipped(prefix):
        return sum(r["status"] == "skipped" and r.get("note", "").startswith(prefix) for r in rows)

    not_tried, stopped = skipped("not tried"), skipped("stopped by request")
    over = sum(r["status"] == "skipped" for r in rows) - not_tried - stopped
    return over, stopped, sum(r["status"] == "failed" for r in rows), not_tried


def _unfinished(rows: list[dict], budget: float) -> str:
    """What the reason adds for the candidates that did not finish, each kind counted apart ('' if none)."""
    over, stopped, failed, not_tried = _unfinished_counts(rows)
    parts = [f"{over} did not fit in the {budget:g} s budget" if over else "",
             f"{stopped} stopped by request" if stopped else "",
             f"{failed} failed" if failed else "", f"{not_tried} not tried on this series" if not_tried else ""]
    parts = [p for p in parts if p]
    return f"; {', '.join(parts)} (see skipped)" if parts else ""


def _or_inf(score: float | None) -> float:
    """A score to sort by: None (no finite forecast) last; 0.0 (a perfect one) stays first."""
    return math.inf if score is None else score


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def seconds_said(seconds: float) -> str:
    """A duration in a row's note: tenths under 10 s, so that a small budget's notes do not read "would
    need about 1 s more, and 1 s were left" (1.4 and 0.6) or "ran past 0 s"."""
    return f"{seconds:.1f} s" if seconds < 9.95 else f"{seconds:.0f} s"


def need_and_left(need: float, left: float) -> tuple[str, str]:
    """The time a candidate would need and the time left, said at one precision fine enough to tell them
    apart: seconds_said wrote "would need about 15 s more, and 15 s were left" for 15.3 and 14.8 (a forecast
    user's check), a reason that reads as no reason."""
    for digits in (None, 1, 2, 3):
        said = [seconds_said(x) if digits is None else f"{x:.{digits}f} s" for x in (need, left)]
        if said[0] != said[1]:
            return said[0], said[1]
    return f"just over {said[1]}" if need > left else said[0], said[1]


def _skip(cand, note: str, board, status: str = "skipped", seconds: float = 0.0) -> dict:
    return {"name": cand.name, "kind": cand.kind, "label": cand.label, "status": status, "note": note,
            "seconds": round(seconds, 3), "settings": cand.settings(board), "folds": 0}


def not_started(by_request: bool) -> str:
    """Why a candidate whose clock never started (before it, or while it prepared) has no row of scores."""
    return "stopped by request before it started" if by_request else "not started: the budget was spent"


def _run_candidate(cand, board, scorer, clock, deadline, halt):
    """The candidate through every fold, then the test part; (row, predictions) or (skip row, None)."""
    plan = board.plan
    board.should_stop = halt
    try:
        cand.prepare(board)
    except InterruptedError:   # a Stop, or the budget's end, while it prepared (the classical models' helper started)
        return _skip(cand, not_started(by_request=clock() <= deadline), board), None
    started = clock()
    fits = [(plan.folds[k][0], plan.fold_origins(k)) for k in range(len(plan.folds))]
    fits = [(fit_end, origins) for fit_end, origins in fits if len(origins)]
    test_fit = Fit(plan.test_start, len(plan.test_origins) + 1)   # + the forecast after the last row
    # A first fold past the time left over the number of fits to make cannot pass the check after it
    # (each later fit works on at least as many rows: projected_seconds), so it is stopped there rather
    # than left to run on: AutoARIMA's first fold on 520 hourly rows took 44 s of a 60 s budget only to
    # be skipped after it, and 5 of the 7 zoo models behind it were never started.
    left_at_start, n_fits = max(0.0, deadline - started), len(fits) + 1
    over_share = [False]

    def first_fold_halt() -> bool:
        if halt():
            return True
        over_share[0] = clock() - started > left_at_start / n_fits
        return over_share[0]

    board.should_stop = first_fold_halt if cand.kind != "baseline" and fits else halt
    parts, done = [], []
    try:
        for k, (fit_end, origins) in enumerate(fits):
            fold_started = clock()
            out = cand.forecast(board, fit_end, origins)
            board.should_stop = halt
            parts.append(out.at_origins)
            done.append(Fit(fit_end, len(origins), clock() - fold_started, out.origin_seconds))
            # After each fold: will the rest fit?
            left = [Fit(f, len(o)) for f, o in fits[k + 1:]] + [test_fit]
            projected = projected_seconds(cand, board, done, left)
            now = clock()   # read once: the time left said is the one judged ("0.75 s more, and 0.75 s were left")
            if cand.kind != "baseline" and now + projected > deadline:
                need, left_said = need_and_left(projected, max(0.0, deadline - now))
                return _skip(cand, f"over the budget: after {seconds_said(now - started)} it would need about "
                                   f"{need} more, and {left_said} were left",
                             board, seconds=clock() - started), None
        test = cand.forecast(board, plan.test_start, plan.test_origins, future=True)
    except Stopped:
        if over_share[0] and not done and left_at_start / n_fits < 0.5:
            note = (f"over the budget: {seconds_said(left_at_start)} were left when it started, too little for "
                    f"its {n_fits} fits")
        elif over_share[0] and not done:
            # Its share, not "at that pace its 4 fits would not end in the 20 s": a browser check read 4 x 4.9 s
            # against 20 s (19.6 said rounded) and took the model for dropped unfairly. The first fold had not
            # ended, and each later fit works on at least as many rows.
            share = left_at_start / n_fits
            said = (lambda s: f"{s:.1f} s") if share < 9.95 else seconds_said   # both at the share's precision
            note = (f"over the budget: its first fold had not ended after {said(share)}, its 1/{n_fits} share of "
                    f"the {said(left_at_start)} left for its {n_fits} fits, each later one on at least as many rows")
        else:
            note = "stopped at the end of the budget" if clock() > deadline else "stopped by request"
        return _skip(cand, note, board, seconds=clock() - started), None
    except (SpecError, ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return _skip(cand, message, board, status="failed", seconds=clock() - started), None
    val = np.concatenate(parts) if parts else np.zeros((0, plan.horizon))
    row = {"name": cand.name, "kind": cand.kind, "label": cand.label, "status": "done",
           "seconds": round(clock() - started, 3), "folds": len(parts), "settings": cand.settings(board),
           **scorer.row(val, test.at_origins), "sparkline": _spark(board, test.future)}
    info = dict(test.info)
    if info.get("status") == "diverged":
        row["note"] = f"diverged in its test fit: {info.get('reason', '')}"
    elif info:
        row["note"] = ", ".join(f"{k} {v}" for k, v in info.items() if k != "status")
    return row, {"val": val, "test": test}


@dataclass
class Fit:
    """One fit of a candidate and the origins it forecasts: before it runs, or after (with its time)."""

    fit_end: int
    origins: int
    seconds: float = 0.0
    origin_seconds: float | None = None   # of `seconds`, forecasting the origins', when the candidate tells


def projected_seconds(cand, board, done: list[Fit], left: list[Fit]) -> float:
    """The seconds the fits `left` would take, from those `done`: the time forecasting the origins
    scaled by their number, the rest (the fit, the windows, a helper's start) by each fit's work
    (`cand.fit_work`: its rows, or what a zoo recipe computes). A later fold fits on more rows than the
    first (the test fit on the most), so the mean fold time alone falls short: on 1,000,000 rows, mlp
    passed that projection after its first fold and was stopped by the end of the budget 125 s later
    (BENCHMARKS.md, "Long series")."""
    origin_part = [0.0 if d.origin_seconds is None else min(d.origin_seconds, d.seconds) for d in done]
    per_work = sum(d.seconds - o for d, o in zip(done, origin_part)) / max(
        sum(cand.fit_work(board, d.fit_end) for d in done), 1e-9)
    per_origin = sum(origin_part) / max(sum(d.origins for d in done), 1)
    return sum(per_work * cand.fit_work(board, f.fit_end) + per_origin * f.origins for f in left)


def _spark(board, future) -> list | None:
    """The series' last rows and a candidate's forecast after them, for its sparkline in candidates.csv."""
    if future is None or not np.isfinite(future).all():
        return None
    # The digits a float32 forecast carries, on the same scale as the pick's files (_pick_outputs: the rows
    # before the test part): 23356 was written 23355.999991 in candidates.csv.
    from zoo.forecast.report import float32_decimals

    y, H = board.y, board.plan.horizon
    before = y[:board.plan.test_start]
    values = np.concatenate([y[-SPARK_HISTORY * H:], future])
    decimals = float32_decimals(values, float(np.mean(before)), float(np.std(before)))
    return [round(float(v), 6 if decimals is None else decimals) for v in values]


def rank(rows: list[dict]) -> list[dict]:
    """The finished candidates by validation MAE (lowest first; earlier in the list on a tie)."""
    done = [r for r in rows if r["status"] == "done" and r.get("val_mae") is not None]
    return sorted(done, key=lambda r: r["val_mae"])


def choose(ranked: list[dict]) -> dict | None:
    """The pick: the ensemble (the median of the best three on validation) whenever the board ranked three
    models besides the baselines to take it from, otherwise the lowest validation MAE (the ensemble's own
    included). Decided on development series apart from the bench's (bench/selection_dev.py, BENCHMARKS.md
    "Choosing the pick"): over 26 of them, it beat the weakest of AutoETS, AutoARIMA and AutoTheta as often as
    any other rule tried and more often than taking the lowest validation MAE, with the lowest geometric mean
    of pick MASE / best peer MASE; choosing how many to take (1 to 5) on validation, the rule for a while, won
    as often with a higher mean. Every one of those boards ranked more than three models; one stopped after a
    second ranks the baselines and one model or two, and its "median of the best 3 (of AutoETS, seasonal naive,
    linear least squares)" scored 0.583 on validation beside AutoETS's 0.340 (a forecast user's check)."""
    if not ranked:
        return None
    ensemble = next((r for r in ranked if r["kind"] == "ensemble"), None)
    return ensemble if ensemble is not None and models_ranked(ranked) >= ENSEMBLE_SIZE else ranked[0]


def earlier_rule(pick: dict | None, rows: list[dict]) -> str | None:
    """Where a board's saved pick is not the one `choose` gives its rows, or is an ensemble of another size than
    today's (rule 5 took the best 1 to 5): a board ranked by an earlier version, whose rule was another
    (BENCHMARKS.md, "Choosing the pick": rules 3 to 5), said as such. Its page had shown a single model picked under
    "the pick is the median of the best three" (an upgrade check)."""
    today = choose(rank(rows))
    if not pick or today is None:
        return None
    if today["name"] == pick.get("name"):
        singles = [r for r in rows if r["kind"] != "ensemble"]
        size = min(ENSEMBLE_SIZE, len(members_to_choose_from(singles, {r["name"] for r in singles})))
        if pick.get("kind") != "ensemble" or (pick.get("settings") or {}).get("size", size) == size:
            return None
    return (f"this board's pick, {pick.get('label') or pick.get('name')}, was made by an earlier version's rule; the "
            f"rule now is the median of the best {ENSEMBLE_SIZE} where {ENSEMBLE_SIZE} models are ranked besides the "
            "baselines, else the lowest validation score: run this board again to pick by it.")


def models_ranked(ranked: list[dict]) -> int:
    """The candidates ranked besides the baselines and the ensemble, a stand-in and the one it stands in for
    counted once (they are never both members: `members_to_choose_from`)."""
    names = {r["name"] for r in ranked if r["kind"] not in ("baseline", "ensemble")}
    return len(names - {STANDS_IN_FOR[n] for n in names if n in STANDS_IN_FOR})


COMBINE = {"median": np.median, "mean": np.mean}


def members_to_choose_from(rows, preds) -> list[str]:
    """The candidates an ensemble's members are taken from, best on validation first: every one with
    forecasts, less one whose stand-in (STANDS_IN_FOR) has a validation score."""
    names = [r["name"] for r in rank(rows) if r["name"] in preds]
    replaced = {STANDS_IN_FOR[n] for n in names if n in STANDS_IN_FOR}
    return [n for n in names if n not in replaced]


def _stood_in(in_place_of: dict[str, str]) -> str:
    """What the ensemble's note adds where a stand-in took the place of a candidate that would have been a member:
    said from the same `in_place_of` the page names beside the pick, so the two never disagree."""
    replaced = [f"{m} stands in for {n}" for m, n in in_place_of.items()]
    return ("; " + ", ".join(replaced) + " (the better ETS on the development series: BENCHMARKS.md, \"Choosing "
            "the pick\")") if replaced else ""


def _ensemble(rows, preds, plan, scorer, board, size: int, combine: str = "median", merge: Callable | None = None,
              stand_in: bool = True):
    """The median (or mean) of the best `size` candidates; `merge`, when given, is the combination
    named `combine` (bench/selection_dev.py tries others). Its validation forecasts are honest: for
    each fold, the members are the best on the other folds, so no fold's score picked its own members.
    With `stand_in` (the board's), a candidate's stand-in replaces it among the members
    (`members_to_choose_from`); without, the rounds of bench/selection_dev.py before the fourteenth."""
    names = members_to_choose_from(rows, preds) if stand_in else [r["name"] for r in rank(rows) if r["name"] in preds]
    size = min(size, len(names))
    merge = merge or COMBINE[combine]
    val = np.empty_like(preds[names[0]]["val"])
    block_of, blocks = _selection_blocks(plan)
    for k in range(int(block_of.max()) + 1):
        inside = block_of == k
        if not inside.any():
            continue
        others = ~inside if (~inside).any() else inside
        by_others = sorted(names, key=lambda n: _or_inf(mae(scorer.val_actual[others], preds[n]["val"][others])))
        val[inside] = merge([preds[n]["val"][inside] for n in by_others[:size]], axis=0)
    members = names[:size]
    # For the intervals, the residuals of the combination that forecasts the test part: these members
    # on every fold (the fold-by-fold choice above is for an honest score, not for calibration).
    calibration = merge([preds[n]["val"] for n in members], axis=0)
    test = merge([preds[n]["test"].at_origins for n in members], axis=0)
    futures = [preds[n]["test"].future for n in members]
    future = merge(futures, axis=0) if all(f is not None for f in futures) else None
    from zoo.leaderboard.candidates import Forecasts

    label_of = {r["name"]: r.get("label") or r["name"] for r in rows}
    label = f"{combine} of the best {size}" if size > 1 else f"the best on validation ({label_of[members[0]]})"
    # Which member stands in for a better-ranked candidate: the page names it beside the pick ("median of the best
    # 3 (of bagged AutoETS, AutoARIMA, mlp)" under AutoETS ranked first read as not the best 3: a forecast user)
    # Only where the one it stands for would have been a member without it (a review: AutoETS ranked 6th was named)
    without = [r["name"] for r in rank(rows) if r["name"] in preds][:size]
    in_place_of = {m: STANDS_IN_FOR[m] for m in members if stand_in and STANDS_IN_FOR.get(m) in without}
    row = {"name": "ensemble", "kind": "ensemble", "label": label, "status": "done",
           "seconds": 0.0, "folds": len(plan.folds),
           "settings": {"members": members, "combine": combine, "size": size,
                        **({"in_place_of": in_place_of} if in_place_of else {})},
           **scorer.row(val, test, calibration), "sparkline": _spark(board, future),
           "note": "members: " + ", ".join(members) + f" ({blocks})" + _stood_in(in_place_of)}
    return row, {"val": val, "test": Forecasts(test, future), "calibration": calibration}


def _selection_blocks(plan) -> tuple[np.ndarray, str]:
    """Which block of validation origins each origin is in, for the ensemble's honest score (its members chosen on
    the other blocks), and how that reads. The blocks are the folds; a board of one fold (a short series) has its
    origins' earlier and later halves instead: its members had been chosen on the origins they were then scored on,
    under a note that said "the best on the other folds" (a forecast user's check on 80 monthly rows)."""
    fold_of = np.searchsorted([f[0] for f in plan.folds], plan.val_origins, side="right") - 1
    if len(np.unique(fold_of)) > 1:
        return fold_of, "for each validation fold, the best on the other folds"
    n = len(plan.val_origins)
    if n < 2:
        return np.zeros(n, dtype=int), "chosen on the one validation origin they are scored on"
    return ((np.arange(n) >= n // 2).astype(int),
            "one validation fold: for each half of its origins, the best on the other half")


def _pick_outputs(pick, pred, plan, scorer, sf, writer, model_out, baselines: dict | None = None) -> dict:
    """The pick's backtest and forecast with conformal intervals (calibrated on the validation
    origins), its weights when it is a zoo model; what result.json adds. backtest.csv has each of `baselines`'
    forecasts at the same origins beside the pick's, as a one-model run's has (zoo/forecast/report.py): a board's
    had none (a CLI user's check)."""
    import pandas as pd

    H = plan.horizon
    quantiles = scorer.quantiles(pred.get("calibration", pred["val"]))
    test_pred, future = pred["test"].at_origins, pred["test"].future
    index = sf.frame.index
    origins = plan.test_origins
    rows = (origins[:, None] + np.arange(H)).ravel()
    backtest = pd.DataFrame({"time": np.asarray(index[rows]), "step": np.tile(np.arange(1, H + 1), len(origins)),
                             "actual": scorer.test_actual.ravel(), "predicted": test_pred.ravel(),
                             "origin": np.asarray(index[np.repeat(origins - 1, H)])})
    forecast = pd.DataFrame({"date": sf.future_index(H), "forecast": future if future is not None else np.nan})
    coverage = {}
    floor = interval_floor(sf.actual_target())
    for level, q in quantiles.items():
        pct = int(round(level * 100))
        band = q[None, :] * scorer.test_spread[:, None] if q is not None else np.full(test_pred.shape, np.nan)
        backtest[f"lower_{pct}"] = lower_bound(test_pred, band, floor).ravel()
        backtest[f"upper_{pct}"] = (test_pred + band).ravel()
        half = q * scorer.last_spread if q is not None else np.full(H, np.nan)
        forecast[f"lower_{pct}"] = lower_bound(forecast["forecast"].to_numpy(np.float64), half, floor)
        forecast[f"upper_{pct}"] = forecast["forecast"] + half
        coverage[str(pct)] = pick.get(f"coverage_{pct}")
    for name, at_origins in (baselines or {}).items():
        backtest[f"baseline_{FORECAST_BASELINE.get(name, name)}"] = at_origins.ravel()
    forecast = forecast[["date", "forecast", "lower_80", "upper_80", "lower_95", "upper_95"]]
    # The zoo's models forecast in float32 on a normalised scale, an ensemble of them too: their files keep the
    # digits that carries (zoo/forecast/report.py), the scale being the rows before the test's (each fit's
    # own is close to it); a classical pick's are rounded alike, so a series' files read alike.
    from zoo.forecast.report import round_to_float32_resolution

    before = sf.frame[sf.target].to_numpy(np.float64)[:plan.test_start]
    center, scale = float(np.mean(before)), float(np.std(before))
    round_to_float32_resolution(backtest, [c for c in backtest if c.startswith(("predicted", "lower_", "upper_",
                                                                                "baseline_"))], center, scale)
    round_to_float32_resolution(forecast, [c for c in forecast if c != "date"], center, scale)
    out = {"pick": {"name": pick["name"], "kind": pick["kind"], "label": pick["label"],
                    "val_mase": pick.get("val_mase"), "test_mase": pick.get("test_mase"),
                    "test_mae": pick.get("test_mae"), "settings": pick.get("settings")},
           "coverage": coverage, "intervals": scorer.intervals,
           "metrics": {"mase": pick.get("test_mase"), "mae": pick.get("test_mae"), "smape": pick.get("test_smape")}}
    # too few origins, as a single model's report says it: forecast.csv's empty 95% columns had no word (a CLI check)
    out["interval_notes"] = [note for lv in quantiles if (note := interval_left_out(
        lv, calibration_count(scorer.val_actual), H, calibrated_on="validation origins", more=()))]
    if model_out is not None:
        out["pick"]["spec"] = model_out.spec.to_dict()
        out["shape"] = DataShape(task="series", lookback=plan.lookback, n_features=1, horizon=H).to_dict()
    if writer:
        writer.write_table("backtest", backtest, utc_offset=sf.utc_offset)
        writer.write_table("forecast", forecast, utc_offset=sf.utc_offset)
        if model_out is not None:
            writer.save_best({k: v.detach().cpu() for k, v in model_out.model.state_dict().items()})
    return out
