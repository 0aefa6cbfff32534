"""Hyperparameter search with Optuna: the space from the declarations, one fresh run per trial.

    space.py    what a study samples and what it holds fixed (from zoo/spec.py and the model's config)
    storage.py  where studies live: a journal file under the runs directory, or a database URL
    study.py    one worker's settings, creating or joining the study, the objective, the job target
    ended.py    trials left running by a worker that ended (killed, its cluster lost): told failed
    report.py   reading a study back: states, best trial and spec, trial table, Optuna's figures

No Streamlit here; torch is imported only when trials run, so the Search page loads without it.
The CLI is zoo/cli/search.py.
"""
from __future__ import annotations

import logging
import re

import optuna

from zoo.search.ended import fail_trials_of_ended_workers
from zoo.search.report import (FEW_TRIALS, FIGURES, STATE_NAMES, best_spec, few_trials_note, importance, in_percent,
                               state_counts, study_figures, study_summary, study_view, trial_reason, trial_state,
                               trials_frame, varied_params)
from zoo.search.space import (DEFAULT_TRAIN_KEYS, Dim, SearchSpace, build_space, declared_settings,
                              default_search_keys, narrow, parse_narrowing)
from zoo.search.storage import (JOURNAL_NAME, default_storage, display_storage, is_url, load_study, open_storage,
                                sqlalchemy_url, storage_in_words, study_names)
from zoo.search.study import (MEDIAN_STARTUP_TRIALS, OBJECTIVES, PRUNERS, SAMPLERS, SearchConfig, SearchInterrupted,
                              TrialFailed, config_of_study, default_study_name, direction, fresh_study_name,
                              make_objective, make_pruner, make_sampler, objective_label, open_study, reduce_search,
                              run_search, search_on_workers, search_worker, submit_search)

# Optuna says "A new study created ..." at INFO for every in-memory view the page draws from; our
# own progress lines say what matters.
optuna.logging.set_verbosity(optuna.logging.WARNING)


class _TrialFailuresSaidOnce(logging.Filter):
    """Drop Optuna's "Trial N failed with ..." warnings (with a traceback): a trial that fails here
    (diverged, stopped, its worker dead) is one our progress lines and its run already say why, and a
    stopped search printed a traceback for its stopped trial."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not re.match(r"Trial \d+ failed with ", record.getMessage())


logging.getLogger("optuna.study._optimize").addFilter(_TrialFailuresSaidOnce())

__all__ = [
    "DEFAULT_TRAIN_KEYS", "FEW_TRIALS", "FIGURES", "JOURNAL_NAME", "MEDIAN_STARTUP_TRIALS", "OBJECTIVES", "PRUNERS",
    "SAMPLERS", "STATE_NAMES", "Dim",
    "SearchConfig", "SearchInterrupted", "SearchSpace", "TrialFailed", "best_spec", "build_space",
    "config_of_study", "declared_settings", "default_search_keys", "default_storage", "default_study_name",
    "direction", "display_storage", "fail_trials_of_ended_workers", "fresh_study_name", "storage_in_words",
    "few_trials_note", "importance", "is_url", "load_study", "make_objective", "make_pruner",
    "make_sampler", "narrow", "objective_label", "open_storage", "open_study", "parse_narrowing", "reduce_search",
    "in_percent", "run_search", "search_on_workers", "search_worker", "sqlalchemy_url", "state_counts", "study_figures",
    "study_names", "study_summary", "study_view", "submit_search", "trial_reason", "trial_state", "trials_frame",
    "varied_params",
]
