"""zoo.evaluate against independent references: the engine's own test metrics, torch itself, pandas."""
from __future__ import annotations

import pandas as pd
import pytest
import torch

from zoo.data import load_data
from zoo.engine import run_experiment
from zoo.evaluate import Evaluation, confusion_matrix, evaluate, evaluate_run, raw_test_images
from zoo.runs import load_run
from zoo.spec import ExperimentSpec


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny cnn run (two epochs on 1,024 images: it learns, and still makes mistakes)."""
    root = tmp_path_factory.mktemp("eval-runs")
    spec = ExperimentSpec(model="cnn", epochs=2, limit_train=1024, lr=5e-3, seed=3)
    result = run_experiment(spec, runs_dir=root)
    return load_run(result.run_dir)


@pytest.fixture(scope="module")
def evaluation(run) -> Evaluation:
    return evaluate_run(run)


def test_accuracy_and_loss_match_the_engines_test_metrics(run, evaluation):
    metrics = run.result["metrics"]
    assert evaluation.accuracy == pytest.approx(metrics["test_accuracy"], abs=1e-9)
    assert evaluation.loss == pytest.approx(metrics["test_loss"], rel=1e-5)
    assert len(evaluation.targets) == run.result["sizes"]["test"]
    assert evaluation.accuracy > 0.5


def test_predictions_are_the_models_argmax_on_the_normalised_test_split(run, evaluation):
    data = load_data(run.spec)
    with torch.no_grad():
        expected = run.model(data.x_test).argmax(dim=1)
    assert torch.equal(evaluation.predictions, expected)
    assert torch.equal(evaluation.targets, data.y_test)
    assert torch.allclose(evaluation.probabilities.sum(dim=1), torch.ones(len(expected)), atol=1e-5)


def test_confusion_matrix_matches_pandas_crosstab(evaluation):
    matrix = evaluation.confusion_matrix()
    reference = pd.crosstab(pd.Series(evaluation.targets.numpy(), name="true"),
                            pd.Series(evaluation.predictions.numpy(), name="pred"))
    reference = reference.reindex(index=range(10), columns=range(10), fill_value=0)
    assert matrix.tolist() == reference.to_numpy().tolist()
    assert matrix.sum().item() == len(evaluation.targets)
    assert matrix.diagonal().sum().item() / matrix.sum().item() == pytest.approx(evaluation.accuracy)
    recall = evaluation.per_class_accuracy()
    assert recall[3].item() == pytest.approx(matrix[3, 3].item() / matrix[3].sum().item())


def test_confusion_matrix_of_a_hand_made_case():
    targets = torch.tensor([0, 0, 1, 2, 2, 2])
    predictions = torch.tensor([0, 1, 1, 2, 0, 2])
    assert confusion_matrix(targets, predictions, 3).tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_ranking_puts_mistakes_first_most_confidently_wrong_first(evaluation):
    order = evaluation.ranking()
    n = len(evaluation.targets)
    assert sorted(order.tolist()) == list(range(n))
    wrong = ~evaluation.correct[order]
    n_wrong = int(wrong.sum())
    assert 0 < n_wrong < n, "the fixture run should make some mistakes"
    assert wrong[:n_wrong].all() and not wrong[n_wrong:].any()
    # "Confidently": the predicted class's probability, shown under each image (ordered by the loss, the grid's
    # mistakes read 96%, 88%, 56%, 55%, 99%: a numbers check)
    shown = evaluation.confidence[order]
    assert (shown[:n_wrong][:-1] >= shown[:n_wrong][1:]).all()
    assert (shown[n_wrong:][:-1] <= shown[n_wrong:][1:]).all()   # then the least sure correct answers
    mistakes = evaluation.ranking(mistakes_only=True)
    assert mistakes.tolist() == order[:n_wrong].tolist()
    sevens = evaluation.ranking(true_class=7)
    assert (evaluation.targets[sevens] == 7).all()
    assert len(sevens) == int((evaluation.targets == 7).sum())


def test_the_most_confidently_wrong_lead_where_the_loss_would_order_them_otherwise():
    """Two mistakes whose orders differ: the first at 0.6 for a wrong class with 0.05 left for the true one, the
    second at 0.9 with 0.08 for the true one. By the loss the first leads (it gives the true class less); by what
    the grid shows under each image, the confidence, the second (a numbers check)."""
    probs = torch.tensor([[0.6, 0.05, 0.35], [0.9, 0.08, 0.02], [0.1, 0.8, 0.1], [0.2, 0.45, 0.35]])
    result = Evaluation(logits=probs.log(), targets=torch.tensor([1, 1, 1, 1]), class_names=["a", "b", "c"])
    assert result.losses[0] > result.losses[1] and result.confidence[1] > result.confidence[0]
    assert result.ranking().tolist() == [1, 0, 3, 2]   # then the correct answers, the least sure first


def test_evaluate_on_a_hand_made_model():
    model = torch.nn.Linear(2, 3)
    with torch.no_grad():
        model.weight.copy_(torch.eye(3, 2))
        model.bias.zero_()
    x = torch.tensor([[5.0, 0.0], [0.0, 5.0], [5.0, 0.0]])
    result = evaluate(model, x, torch.tensor([0, 1, 1]), ["a", "b", "c"])
    assert result.predictions.tolist() == [0, 1, 0]
    assert result.accuracy == pytest.approx(2 / 3)
    assert result.ranking().tolist()[0] == 2  # the one mistake leads
    assert result.class_names == ["a", "b", "c"]


def test_raw_test_images_line_up_with_the_test_split(run):
    images = raw_test_images(run.spec.data)
    assert images.dtype == torch.uint8
    assert tuple(images.shape) == (run.result["sizes"]["test"], 28, 28)


def test_series_runs_are_refused(run):
    series = type(run)(path=run.path, spec=run.spec.replace(task="series"), result=run.result)
    with pytest.raises(ValueError, match="series"):
        evaluate_run(series)
