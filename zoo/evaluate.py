"""What a trained image classifier gets right and wrong on its test set.

`evaluate_run(run)` runs the run's restored best weights over the test split it was trained
against (same dataset, same normalisation from the same seeded split) and returns an
`Evaluation`: per-image predictions, probabilities and losses, from which come the accuracy,
the confusion matrix and a ranking of test images with the mistakes first.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

EVAL_BATCH = 2048


@torch.no_grad()
def predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = EVAL_BATCH) -> torch.Tensor:
    """The model's raw outputs for `x`, in eval mode, on the model's device, returned on the CPU."""
    model.eval()
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    outputs = [model(x[i:i + batch_size].to(device=device, dtype=dtype)).float().cpu()
               for i in range(0, len(x), batch_size)]
    return torch.cat(outputs) if outputs else torch.empty(0)


def confusion_matrix(targets: torch.Tensor, predictions: torch.Tensor, num_classes: int) -> torch.Tensor:
    """counts[true, predicted]: row i holds where the images of class i went."""
    targets, predictions = targets.long().flatten(), predictions.long().flatten()
    flat = torch.bincount(targets * num_classes + predictions, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


@dataclass
class Evaluation:
    """Per-image results of a classifier over a test split (all tensors on the CPU)."""

    logits: torch.Tensor          # N x C
    targets: torch.Tensor         # N, true class
    class_names: list[str]

    @property
    def probabilities(self) -> torch.Tensor:
        return self.logits.softmax(dim=1)

    @property
    def predictions(self) -> torch.Tensor:
        return self.logits.argmax(dim=1)

    @property
    def confidence(self) -> torch.Tensor:
        """Probability the model gave its own answer."""
        return self.probabilities.max(dim=1).values

    @property
    def losses(self) -> torch.Tensor:
        """Cross-entropy of each image (high: confidently wrong, or unsure)."""
        return F.cross_entropy(self.logits, self.targets, reduction="none")

    @property
    def correct(self) -> torch.Tensor:
        return self.predictions == self.targets

    @property
    def accuracy(self) -> float:
        return self.correct.sum().item() / len(self.targets) if len(self.targets) else float("nan")

    @property
    def loss(self) -> float:
        return self.losses.mean().item() if len(self.targets) else float("nan")

    @property
    def num_classes(self) -> int:
        return self.logits.shape[1]

    def confusion_matrix(self) -> torch.Tensor:
        return confusion_matrix(self.targets, self.predictions, self.num_classes)

    def per_class_accuracy(self) -> torch.Tensor:
        """Recall of each class (nan for a class with no test images)."""
        matrix = self.confusion_matrix().double()
        return matrix.diagonal() / matrix.sum(dim=1)

    def ranking(self, mistakes_only: bool = False, true_class: int | None = None) -> torch.Tensor:
        """Indices of test images, mistakes first (most confidently wrong first), then correct
        ones from the least to the most sure, so the interesting images lead the grid. "Confidently"
        is the probability of the class predicted, the one the grid shows under each image: ordered by
        the loss (how low the true class's probability is), a grid of mistakes had read 96%, 88%, 56%,
        55%, 99%, as if shuffled (a numbers check)."""
        wrong = ~self.correct
        # Sort key: mistakes before correct answers; mistakes by their confidence, highest first, and
        # correct answers by theirs, lowest first. A stable sort on the key followed by one on the group
        # keeps the key's order inside each group.
        key = torch.where(wrong, -self.confidence, self.confidence)
        order = torch.argsort(key, stable=True)
        order = order[torch.argsort((~wrong[order]).int(), stable=True)]
        if mistakes_only:
            order = order[wrong[order]]
        if true_class is not None:
            order = order[self.targets[order] == true_class]
        return order


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, class_names: list[str] | None = None) -> Evaluation:
    logits = predict_logits(model, x)
    names = list(class_names) if class_names else [str(i) for i in range(logits.shape[1])]
    return Evaluation(logits=logits, targets=y.long().cpu(), class_names=names)


def evaluate_run(run, data=None, data_dir=None) -> Evaluation:
    """Evaluate a run's best weights (`run` from `zoo.load_run`) on its test split.

    `data` (a TensorData) may be given to skip loading; otherwise the spec's dataset is read and
    normalised exactly as training did (same seed, validation fraction and training subset).
    """
    from zoo.registry import get_task

    if not get_task(run.spec.task).classifies:
        raise ValueError(f"run {run.run_id} is a {run.spec.task} run; evaluate_run handles classifiers")
    if data is None:
        from zoo.data import load_data

        data = load_data(run.spec, data_dir or run.data_dir)   # the folder the run was given (Run.data_dir)
    names = run.result.get("class_names") or data.class_names
    return evaluate(run.model, data.x_test, data.y_test, names)


def raw_test_images(name: str, data_dir=None) -> torch.Tensor:
    """The raw uint8 test images (N x H x W) of an image dataset, in the same order as its test split."""
    from zoo.data.images import read_raw

    return read_raw(name, data_dir)[2]
