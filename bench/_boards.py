"""Shared by the leaderboard benches: every candidate's forecasts of a board, kept as it ends.

The run directory keeps the pick's backtest only; bench/selection_dev.py applies other pick rules to
every candidate's forecasts, and bench/forecast_peers.py compares the pick with each peer origin by
origin, so both keep what the board's last step (`zoo.leaderboard.board._finish`) sees.
"""
from __future__ import annotations

import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zoo.leaderboard import board as board_module  # noqa: E402


def capture_boards(store: list) -> None:
    """Wrap the board's last step to append to `store`, for each board that ends, its rows, every
    candidate's forecasts (the numbers, not the trained models, so that it pickles), the plan, the
    scorer, the series (the ensemble's sparkline reads it), and the pick's test forecasts."""
    finish = board_module._finish

    def keep(spec, board, scorer, rows, preds, models, *rest):
        from zoo.leaderboard.candidates import Forecasts

        kept = {name: {"val": p["val"], "test": Forecasts(p["test"].at_origins, p["test"].future)}
                for name, p in preds.items()}
        entry = {"rows": list(rows), "preds": kept, "plan": board.plan, "scorer": scorer,
                 "board": types.SimpleNamespace(y=board.y, plan=board.plan)}   # what _ensemble reads
        store.append(entry)
        summary = finish(spec, board, scorer, rows, preds, models, *rest)
        # The pick may be the ensemble, which the last step makes: its test forecasts, kept apart from
        # the candidates' (the development bench makes its own ensembles from those).
        pick = (summary.get("pick") or {}).get("name")
        if pick in preds:
            entry["pick"] = {"name": pick, "test": preds[pick]["test"].at_origins}
        return summary

    board_module._finish = keep
