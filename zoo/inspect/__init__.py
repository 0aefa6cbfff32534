"""Look inside a model: layer summary, the Module's own dictionaries, init, modes, precision, hooks.

Everything here takes a model and gives it back as it found it (zoo/inspect/guards.py says how):

    guards.py     preserved(), HookSet, inplace_disabled(): the guards the rest runs under
    summary.py    summarize(): torchinfo's table, plus what it misses, and totals at a precision
    internals.py  module_tree(), module_internals(), state_dict_entries()
    labs.py       init_lab(), compare_modes(), compare_precisions(), capture() (the hooks lab)

The CLI's `python -m zoo summary` is zoo/cli/summary.py.
"""
from zoo.inspect.guards import (
                                HOOK_BOOKKEEPING,
                                HOOK_DICTS,
                                MB,
                                PRECISION_BYTES,
                                PRECISION_DTYPES,
                                HookSet,
                                all_hook_counts,
                                global_hook_counts,
                                hook_counts,
                                inplace_disabled,
                                model_place,
                                preserved,
                                state_snapshot,
                                synthetic_windows,
)
from zoo.inspect.internals import module_internals, module_tree, state_dict_entries
from zoo.inspect.labs import (
                                Capture,
                                InitLab,
                                capture,
                                compare_modes,
                                compare_precisions, float_bits,
                                dropout_demo,
                                expected_std,
                                hookable_layers,
                                init_lab,
                                never_called_layers,
                                weighted_layers,
)
from zoo.inspect.summary import LayerRow, ModelSummary, shape_for_spec, summarize

__all__ = ["HOOK_BOOKKEEPING", "HOOK_DICTS", "MB", "PRECISION_BYTES", "PRECISION_DTYPES", "Capture", "HookSet",
           "InitLab", "LayerRow", "ModelSummary", "all_hook_counts", "capture", "compare_modes",
           "compare_precisions", "float_bits", "dropout_demo", "expected_std", "global_hook_counts", "hook_counts",
           "hookable_layers", "init_lab", "inplace_disabled", "model_place", "module_internals", "module_tree",
           "never_called_layers",
           "preserved", "shape_for_spec", "state_dict_entries", "state_snapshot", "summarize",
           "synthetic_windows", "weighted_layers"]
