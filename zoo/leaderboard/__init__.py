"""The best forecast for a series, picked for you: a leaderboard of every model of the zoo, the
baselines and the classical peers (AutoETS, AutoTheta, AutoARIMA, and AutoETS bagged), ranked on
rolling-origin validation, with an ensemble of the best few as a candidate of its own.

    spec.py        LeaderboardSpec: the settings, declared once (CLI flags, the page's widgets)
    plan.py        the horizon, period, lookback, folds and origins; each zoo model's recipe for the series
    candidates.py  the candidates: baselines, classical (statsforecast), the zoo's models (the engine)
    board.py       running them within the budget, the ensemble, the ranking, the pick's intervals
    job.py         the job target (zoo/jobs.py runs it in a worker) and the reducer of its events

A leaderboard is one run (zoo/runs.py: leaderboard.json, candidates.csv, result.json and the
pick's backtest.csv, forecast.csv, best.pt). The CLI is `python -m zoo forecast-auto`.
No Streamlit here.
"""
from zoo.leaderboard.board import rank, run_board
from zoo.leaderboard.job import leaderboard_job, reduce_board, run_leaderboard, submit_leaderboard
from zoo.leaderboard.plan import Plan, make_plan
from zoo.leaderboard.spec import LeaderboardSpec

__all__ = ["LeaderboardSpec", "Plan", "leaderboard_job", "make_plan", "rank", "reduce_board", "run_board",
           "run_leaderboard", "submit_leaderboard"]
