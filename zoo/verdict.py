"""Is a finished run any better than the trivial answer? A run can complete every epoch and still
have learned nothing (SGD with lr 1 and momentum 0.99 ends at chance accuracy); that must read as
a warning, not a green success.

The trivial answer is the task's (the task table's `trivial`): for a classifier, always answering
the test split's most common class (chance, with balanced classes); for a series, the obvious
forecasts it was scored against (zoo/forecast/baselines.py). The verdict says which, by how much,
and the likely cause, read from the run's own epochs.
"""
from __future__ import annotations

import math

from zoo.initialisation import zero_init_holds_back
from zoo.registry import format_percent

# A classifier must beat the majority answer by more than this (accuracy points) to count as better:
# about two standard errors of an accuracy near 10% on the bundled sample's 1,000 test images.
MARGIN = 0.02


# Optimisation steps in all below which even the linear model is far from fitted (the Forecast page says so
# beside its training settings, ui/series_windows.training_caption).
FEW_STEPS = 100
# Training windows below which a series model has too few examples to learn from, whatever its recipe: the
# Forecast page warns before Start (zoo/forecast_io.few_train_windows_note) and a run's cause says so. A weekly
# upload of 156 rows with the sample's lookback 96 made 1 training window and ended with test MASE 3.4, its
# cause read as "try a smaller model" (a forecast user's check).
FEW_TRAIN_WINDOWS = 10
# Training images below which a classifier has too few examples of each class to learn from (ten per class of
# ten): 3 images in batches of 2,048 read "train for more epochs or use a smaller batch size", where neither
# helps (a learner's check).
FEW_TRAIN_IMAGES = 100


def likely_cause(spec, history: list[dict], train_samples: int | None = None, status: str | None = None,
                 shape=None) -> str:
    """The most likely reason a run learned nothing, from its settings, its epochs and (when known) the number
    of training samples, which with the batch size gives the optimisation steps it took; `status` its end
    (`early_stopped`: early stopping is what cut its epochs short); `shape` (its DataShape, when known) tells
    whether zero init held any layer back (zoo/initialisation.zero_init_holds_back)."""
    losses = [row["train_loss"] for row in history if row.get("train_loss") is not None]
    if not losses:
        return "it ended before finishing an epoch: let it train longer"
    first, last = losses[0], losses[-1]
    if spec.init == "zeros" and (shape is None or zero_init_holds_back(spec.model, shape, spec.model_params)):
        # "nothing before it learns" was false of a transformer, whose layers before the head learn from the second
        # step (its positional encoding: the Init lab measures it; a review)
        return ("zero initialisation makes every weight 0, so at the first step the gradient sent back through the "
                "output layer's zero weights is 0, and the layers before it learn late or not at all: use another "
                "init")
    if spec.task == "series" and train_samples is not None and train_samples < FEW_TRAIN_WINDOWS:
        return (f"it had only {train_samples} training window{'' if train_samples == 1 else 's'} to learn from "
                f"(each is lookback {spec.lookback} + horizon {spec.horizon} rows of the training part): a shorter "
                "lookback or a longer series gives it more")
    if spec.task != "series" and train_samples is not None and train_samples < FEW_TRAIN_IMAGES:
        limited = f" (training samples is set to {spec.limit_train:,})" if spec.limit_train else ""
        return (f"it had only {train_samples:,} training sample{'' if train_samples == 1 else 's'}{limited}, too few "
                f"to learn {'a class' if train_samples == 1 else 'the classes'} from: train on a few thousand, or all "
                "of them (0)")
    steps = -(-int(train_samples) // int(spec.batch_size)) * len(losses) if train_samples else None
    few = steps is not None and steps < FEW_STEPS and math.isfinite(last)
    high_lr = spec.lr >= 0.05 or (spec.optimizer == "sgd" and spec.lr * (1 + 10 * spec.momentum) >= 0.5)
    # said beside too few steps too: lr 1 fell from 2707 to 212 in 30 steps, and only the steps were blamed (a fault
    # check); not beside a loss still falling fast, which a usual high rate (SGD's 0.1) does (a review)
    also_lr = f"; the learning rate (lr {spec.lr:g}) is high too: try one ten times lower" if high_lr else ""
    last_val = history[-1].get("val_loss") if history else None
    if high_lr and last_val is not None and (not math.isfinite(last_val) or last_val > 10 * max(first, last)):
        # The training loss is a mean over the epoch's batches, the validation loss the weights at its end: a rate
        # too high shows there first. One step of lr 1 left a validation loss of 5.9e17, and the cause read "did
        # not fall (from 2.3 to 2.3)", one epoch's loss against itself (a learner's check).
        took = f" after {steps} optimisation step{'' if steps == 1 else 's'}" if steps is not None else ""
        rose = "became NaN (not a number)" if math.isnan(last_val) else f"rose to {last_val:.3g}"
        return (f"the validation loss {rose}{took}, the training loss {last:.3g}: the learning rate is probably "
                f"too high (lr {spec.lr:g}); try one ten times lower")
    if not math.isfinite(last) or (len(losses) >= 2 and last >= first * 0.98):   # one epoch has no fall to read
        if high_lr:
            return (f"the training loss did not fall (from {first:.3g} to {last:.3g}): the learning rate is "
                    f"probably too high (lr {spec.lr:g}); try one ten times lower")
        if spec.lr <= 1e-4:
            return (f"the training loss barely moved (from {first:.3g} to {last:.3g}): the learning rate is "
                    f"probably too low (lr {spec.lr:g}); try one ten times higher")
        if not few:
            return (f"the training loss did not fall (from {first:.3g} to {last:.3g}): check the learning rate and "
                    "the model's size")
    if few:
        # Before the generic readings: 3 steps on a short series left the training loss under the validation loss,
        # and "try a smaller model" was given for a 39-parameter linear model (a forecast user's check); one
        # epoch has no fall to read at all. Only what the settings allow: "train for more epochs" of a run early
        # stopping had cut to 2 of its 10, and "a smaller batch size" beside the smallest (a learner's check).
        from zoo.spec import setting

        if status == "early_stopped":
            delta = " or lower the min delta" if spec.min_delta else ""
            fixes = [f"let it train longer: early stopping ended it after {len(losses)} of its {spec.epochs} epochs "
                     f"(raise the patience{delta})"]
        else:
            fixes = ["train for more epochs"]
        if spec.batch_size > setting("batch_size").low:
            fixes.append("use a smaller batch size")
        return (f"it took only {steps} optimisation step{'' if steps == 1 else 's'} ({len(losses)} epoch"
                f"{'' if len(losses) == 1 else 's'} of {train_samples:,} samples in batches of {spec.batch_size}): "
                + " or ".join(fixes) + also_lr)
    # A classifier that gives every class the same probability has a cross-entropy of log(classes), 2.30 of ten: a
    # training loss not below that has learned nothing of the training data either. Adam at lr 1 went 14.96, 2.46,
    # 2.48 (validation 4.19) and the cause read "the model fits the training data much better than the validation
    # data: try a smaller model"; 24.5 then 2.44 read "still falling: train for more epochs" (a learner's check).
    classes = shape.num_classes if shape is not None else 10
    guessing = math.log(classes) if spec.task != "series" and classes > 1 else None
    at_guessing = guessing is not None and last >= 0.95 * guessing
    if at_guessing and high_lr:
        peak = max(losses)
        went = f"reached {peak:.3g} (epoch {losses.index(peak) + 1}) and " if peak > 2 * guessing else ""
        return (f"the training loss {went}ended at {last:.3g}, no lower than the {guessing:.3g} of a model that gives "
                f"the {classes} classes equal chances: it learned nothing even of the training data. The learning "
                f"rate is probably too high (lr {spec.lr:g}): try one ten times lower")
    if len(losses) >= 2 and losses[-1] < 0.95 * losses[-2]:
        return (f"the training loss was still falling when training ended ({losses[-2]:.3g} to {last:.3g} in the "
                f"last epoch): train for more epochs than {len(losses)}")
    # Over-fitting shows as a training loss well under the validation loss. A training loss as high as
    # the validation loss is under-fitting: each epoch's training loss is the mean over batches of a
    # model still learning (and with dropout on), so an under-trained run's sits above its end-of-epoch
    # validation loss, and a smaller model would do worse.
    if last_val is not None and math.isfinite(last_val):
        if last >= 0.9 * last_val or at_guessing:
            return (f"the model does not fit even the training data (training loss {last:.3g}, validation loss "
                    f"{last_val:.3g} after {len(losses)} epoch{'' if len(losses) == 1 else 's'}): train longer, or try a larger model or a higher "
                    "learning rate")
        return (f"the model fits the training data (loss {last:.3g}) much better than the validation data "
                f"({last_val:.3g}): try a smaller model, more dropout or weight decay, or more data")
    return "the model fits the training data but not the test data: try a smaller model or more data"


def image_verdict(result, data) -> dict:
    """The task table's `trivial` for classifiers: accuracy against the majority class and chance."""
    import torch

    labels = data.y_test.detach().to("cpu").long()
    counts = torch.bincount(labels, minlength=data.shape.num_classes).double()
    majority = int(counts.argmax())
    majority_share = float(counts[majority] / counts.sum()) if counts.sum() > 0 else float("nan")
    chance = 1.0 / max(1, data.shape.num_classes)
    trivial = max(majority_share, chance)
    accuracy = float(result.test_metrics.get("test_accuracy", float("nan")))
    better = math.isfinite(accuracy) and accuracy > trivial + MARGIN
    names = data.class_names or [str(i) for i in range(data.shape.num_classes)]
    out = {"better": better, "trivial": f"always answering the most common class ({names[majority]}): "
                                       f"{format_percent(majority_share)}; chance {format_percent(chance)}",
           "trivial_accuracy": trivial}
    if not better:
        # written as every page writes an accuracy (10.70%, not 10.7% under the headline's 10.70%: a review)
        out["message"] = (f"test accuracy {format_percent(accuracy)} is no better than always answering the most "
                          f"common class ({format_percent(majority_share)}) or guessing ({format_percent(chance)})")
    return out


OBVIOUS = {"naive": "the naive forecast (last value)", "seasonal_naive": "seasonal naive (the value one season ago)"}


def _series_outcome(beaten: dict, season, rmse: dict | None = None) -> dict:
    """{"better", "trivial", "message" when not better} from which baselines the run beat (name -> bool), and their
    test RMSEs beside the model's (`rmse`: {"model": ..., name: ...}) where known, to say by how much it lost."""
    # Imported here, not at the top: zoo.forecast loads pandas (0.35 s of CPU), which an image run does not need,
    # and every run imports this module (zoo.engine).
    from zoo.forecast.report import TIE, compare_rmse

    obvious = ["naive"] + (["seasonal_naive"] if (season or 1) > 1 else [])
    unbeaten = [name for name in obvious if not beaten.get(name, False)]
    out = {"better": bool(beaten) and not unbeaten, "trivial": " and ".join(OBVIOUS[n] for n in obvious)}
    rmse = rmse or {}
    mine = rmse.get("model")
    worse = [n for n in unbeaten if mine is not None and rmse.get(n) and compare_rmse(mine, rmse[n]) == "loses"]
    if worse:
        # "does as well" had been said of a model whose RMSE was 3.5 times the naive forecast's (a learner's check)
        name = max(worse, key=lambda n: mine / rmse[n])
        ratio = mine / rmse[name]
        # past 100 times the number says nothing more (seasonal naive of an exactly periodic series: RMSE 1.6e-07)
        by = "more than 100 times as large" if ratio > 100 else f"{ratio:.1f} times as large" if ratio >= 1.5 else \
            f"{ratio - 1:.0%} larger"
        out["message"] = (f"the model forecasts worse than {OBVIOUS[name]} on the test windows (RMSE {mine:.4g} "
                          f"against {rmse[name]:.4g}, {by}): the obvious forecast is better")
    elif unbeaten:
        out["message"] = (f"the model does not beat {' or '.join(OBVIOUS[n] for n in unbeaten)} on the test windows "
                          f"by more than {TIE:.0%} RMSE: the obvious forecast does as well")
    return out


def _rmses(metrics: dict | None, baselines: dict | None) -> dict:
    out = {"model": (metrics or {}).get("rmse")}
    out.update({name: (b or {}).get("rmse") for name, b in (baselines or {}).items()})
    return {k: v for k, v in out.items() if v is not None and math.isfinite(v)}


def series_verdict(result, data) -> dict:
    """The task table's `trivial` for series: the obvious forecasts, naive (the last value) and, where the
    series has a season, seasonal naive. A model that does not beat each of them by more than a tie
    (zoo/forecast/report.TIE) learned nothing useful, whatever else it beats: a forecast user's model, best at
    epoch 1 with a test MASE of 1.5, read as a success because it beat the window mean (a weak baseline under a
    trend)."""
    return _series_outcome(result.extra.get("beats") or {}, result.extra.get("season"),
                           _rmses(getattr(result, "test_metrics", None), result.extra.get("baselines")))


def verdict_now(run) -> dict | None:
    """A stored run's verdict as today's rule gives it. A series run saved before the tie and the obvious-
    forecast rules (series_verdict) kept "better" for beating any baseline by any margin, and its page said so
    under a green banner; its beats are read again from its stored RMSEs (zoo/forecast_io.beats_lines, as its
    page lists them), and the cause from its own epochs, as `judge` gives it. One saved as not better keeps its
    cause and takes today's words: "the obvious forecast does as well" of a model 44% worse than naive, saved before
    the words said by how much it lost, stayed on its page (an upgrade check)."""
    verdict = run.result.get("verdict")
    if not verdict or run.spec.task != "series":
        return verdict
    from zoo.forecast_io import beats_lines

    lines = beats_lines(run.result)
    now = _series_outcome({line["name"]: line["won"] for line in lines}, run.result.get("season"),
                          _rmses(run.result.get("metrics"), run.result.get("baselines")))
    if now["better"] or not lines:
        return verdict
    if not verdict.get("better"):
        return {**verdict, **now}
    train = (run.result.get("sizes") or {}).get("train")
    return {**verdict, **now, "cause": likely_cause(run.spec, run.epoch_rows(), train, run.status, run.shape)}


def learned_nothing(verdict: dict | None) -> str | None:
    """What a run that learned nothing useful fell short of (its verdict's message), or None: one rule for the CLI's
    warning, the Runs table, a search trial's note and the run's page."""
    if not verdict or verdict.get("better", True):
        return None
    return str(verdict.get("message", ""))


def judge(spec, result, data) -> dict:
    """The verdict of a run whose best weights trained (best epoch 1 or later: finished, early stopped, and a
    stopped or diverged one's too): {"better", "trivial", and when not better "message" and "cause"}."""
    from zoo.registry import get_task, resolve

    verdict = resolve(get_task(spec.task).trivial)(result, data)
    if not verdict["better"]:
        sizes = data.sizes() if hasattr(data, "sizes") else {}
        verdict["cause"] = likely_cause(spec, result.history, sizes.get("train"), result.status, data.shape)
    return verdict
