"""zoo.inspect: the summary against torch and torchinfo, the guards (device, dtype, per-module
train/eval flags, hooks, grads, buffers), module internals, the init lab, modes, precision and
the hooks lab. Parametrized over every registered model, so a new model is tested as it lands."""
from __future__ import annotations

import copy
import json
import math
import warnings

import numpy as np
import pytest
import torch
import torchinfo
from torch import nn
from torch.nn import functional as F

from zoo import explain, inspect as zi
from zoo.cli import main
from zoo.registry import DataShape, SpecError, build, list_models

SHAPES = {"image": DataShape(task="image"), "series": DataShape(task="series", lookback=24, n_features=3, horizon=6)}
MODELS = [(task, name) for task in ("image", "series") for name in list_models(task)]
IDS = [f"{task}-{name}" for task, name in MODELS]
HOOK_ATTRS = list(zi.HOOK_DICTS.values()) + list(zi.HOOK_BOOKKEEPING) + ["_is_full_backward_hook"]


def fresh(task: str, name: str, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return build(name, SHAPES[task], {})


def batch(task: str, n: int = 6, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    shape = SHAPES[task]
    x = torch.randn(n, *shape.input_shape(), generator=g)
    y = torch.randint(0, 10, (n,), generator=g) if task == "image" else torch.randn(n, shape.horizon, generator=g)
    return x, y


def hook_state(model: nn.Module) -> dict:
    """Every hook dictionary (and the bookkeeping next to them) of every module."""
    return {name: {attr: (dict(v) if isinstance(v := getattr(m, attr, None), dict) else
                          set(v) if isinstance(v, set) else v) for attr in HOOK_ATTRS}
            for name, m in model.named_modules()}


def full_state(model: nn.Module) -> dict:
    return {"snapshot": zi.state_snapshot(model), "hooks": hook_state(model),
            "grads": {n: None if p.grad is None else p.grad.clone() for n, p in model.named_parameters()},
            "buffers": {n: b.clone() for n, b in model.named_buffers()},
            "inplace": {n: m.inplace for n, m in model.named_modules() if hasattr(m, "inplace")}}


def assert_same_state(before: dict, after: dict) -> None:
    assert after["snapshot"] == before["snapshot"]
    assert after["hooks"] == before["hooks"]
    assert after["inplace"] == before["inplace"]
    assert after["grads"].keys() == before["grads"].keys()
    for k, g in before["grads"].items():
        assert (g is None) == (after["grads"][k] is None), k
        if g is not None:
            assert torch.equal(g, after["grads"][k]), k
    for k, b in before["buffers"].items():
        assert torch.equal(b, after["buffers"][k]), k


def no_warnings(record) -> None:
    messages = [f"{w.category.__name__}: {w.message}" for w in record]
    assert not messages, messages


# ---------------------------------------------------------------- summary


@pytest.mark.parametrize("task,name", MODELS, ids=IDS)
def test_summary_parameter_counts_match_torch_and_torchinfo(task, name):
    model = fresh(task, name)
    first = next(model.parameters())
    first.requires_grad_(False)   # a frozen tensor, so trainable and frozen both show
    x, _ = batch(task, 4)
    summary = zi.summarize(model, SHAPES[task], batch_size=4)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)

    # torchinfo on a copy of the same model; its rows keyed by their module's qualified name
    ref_model = copy.deepcopy(model)
    ref = torchinfo.summary(ref_model, input_data=[x], verbose=0, depth=64)
    assert summary.totals["total_params"] == total == ref.total_params
    assert summary.totals["trainable_params"] == trainable == ref.trainable_params
    assert summary.totals["frozen_params"] == first.numel()
    modules = dict(model.named_modules())
    names = {id(m): n for n, m in ref_model.named_modules()}
    ref_rows = {names[i.layer_id]: i for i in ref.summary_list}
    assert summary.rows, "no rows"
    for row in summary.rows:
        module = modules[row.name]
        assert row.params == sum(p.numel() for p in module.parameters()), row.name
        assert row.params == ref_rows[row.name].num_params, row.name
        assert row.trainable_params == ref_rows[row.name].trainable_params, row.name
        assert row.type == type(module).__name__
    assert summary.rows[0].name == "" and summary.rows[0].params == total
    assert summary.rows[0].output_shape == [4, *SHAPES[task].output_shape()]
    assert summary.totals["mult_adds"] >= ref.total_mult_adds > 0
    # what the Summary tab's caption names as counted otherwise: something where, and only where, the totals
    # differ (it had named batch norms and attention for a TCN, which has neither: a learner's check)
    differ = summary.totals["mult_adds"] != summary.totals["torchinfo"]["mult_adds"]
    assert bool(summary.totals["torchinfo_counts_otherwise"]) == differ, summary.totals["torchinfo_counts_otherwise"]
    json.dumps(summary.to_dict())   # the CLI prints it


@pytest.mark.parametrize("name", ["cnn", "mlp", "lstm", "gru"])
def test_mult_adds_and_memory_equal_torchinfo_where_its_rules_apply(name):
    model = fresh("image", name)
    x, _ = batch("image", 8)
    summary = zi.summarize(model, example=x)
    ref = torchinfo.summary(copy.deepcopy(model), input_data=[x], verbose=0, depth=64)
    assert summary.totals["mult_adds"] == ref.total_mult_adds
    assert summary.totals["forward_backward_mb"] * 1e6 == pytest.approx(ref.total_output_bytes)
    assert summary.totals["params_mb"] * 1e6 == pytest.approx(ref.total_param_bytes)
    half = zi.summarize(model, example=x, precision="fp16").totals
    assert half["params_mb"] == pytest.approx(summary.totals["params_mb"] / 2)
    assert half["forward_backward_mb"] == pytest.approx(summary.totals["forward_backward_mb"] / 2)
    assert zi.summarize(model, example=x, precision="fp64").totals["total_mb"] == pytest.approx(
        2 * summary.totals["total_mb"])


def test_batch_norm_mult_adds_count_every_position_where_torchinfo_counts_once_a_sample():
    """The Summary tab's caption gives torchinfo's own total beside the project's and says why they differ (a
    learner saw 712,574 against torchinfo's 692,158 under a caption that named only weight norm and
    attention): a batch norm's weights at every position they scale (N x H x W), against torchinfo's once a
    sample (N). That is the whole difference on a CNN with batch norm."""
    model = build("cnn", SHAPES["image"], {"batch_norm": True})
    x, _ = batch("image", 4)
    summary = zi.summarize(model, example=x)
    norms = [r for r in summary.rows if r.type == "BatchNorm2d"]
    assert norms
    expected = sum(r.params * (math.prod(r.output_shape[:1]) * math.prod(r.output_shape[2:]) - r.output_shape[0])
                   for r in norms)
    assert summary.totals["mult_adds"] - summary.totals["torchinfo"]["mult_adds"] == expected > 0
    assert summary.totals["torchinfo_counts_otherwise"] == [
        "a batch norm's weights once a sample, not at every position they scale"]   # that alone, said


def test_weight_normed_convolutions_count_in_mult_adds():
    """torchinfo counts leaf layers only; a weight-normed conv is not a leaf for it."""
    model = fresh("series", "tcn")
    summary = zi.summarize(model, SHAPES["series"], batch_size=2)
    convs = [r for r in summary.rows if r.type == "ParametrizedConv1d"]
    assert convs and all(r.mult_adds > 0 and r.leaf for r in convs)
    assert not any("parametrizations" in r.name for r in summary.rows)


def test_raw_torchinfo_loses_per_module_modes_and_summarize_keeps_them():
    model = fresh("image", "cnn")
    model.train()
    model.features.eval()                        # a frozen feature extractor in a training model
    torchinfo.summary(model, input_data=[torch.zeros(1, 1, 28, 28)], verbose=0)
    assert model.features.training, "torchinfo's model.train(saved) resets every submodule"

    model.features.eval()
    before = zi.state_snapshot(model)
    zi.summarize(model, SHAPES["image"])
    assert zi.state_snapshot(model) == before
    assert model.training and not model.features.training


def test_summary_never_moves_the_model(monkeypatch):
    """torchinfo calls model.to(device) when it makes its own input; ours never lets it."""
    model = fresh("image", "cnn").double()
    calls = []
    original = nn.Module.to

    def spy(self, *args, **kwargs):
        calls.append((type(self).__name__, args, kwargs))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(nn.Module, "to", spy)
    before = zi.state_snapshot(model)
    summary = zi.summarize(model, SHAPES["image"], batch_size=2)
    assert calls == []
    assert zi.state_snapshot(model) == before
    assert next(model.parameters()).dtype == torch.float64
    assert summary.totals["total_params"] == sum(p.numel() for p in model.parameters())


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_summary_and_explanations_keep_a_cuda_model_on_its_device():
    model = fresh("image", "cnn").cuda()
    x, y = batch("image", 4)
    before = zi.state_snapshot(model)
    zi.summarize(model, SHAPES["image"], batch_size=4)
    zi.capture(model, x, ["features.0", "classifier.7"], y=y)
    explain.grad_cam(model, x)
    assert zi.state_snapshot(model) == before
    lstm = fresh("image", "lstm").cuda()
    before = zi.state_snapshot(lstm)
    zi.capture(lstm, x, y=y)        # cuDNN's RNN backward refuses eval mode: the guard handles it
    explain.saliency(lstm, x)
    assert zi.state_snapshot(lstm) == before


def test_summary_rejects_bad_requests():
    model = fresh("image", "cnn")
    with pytest.raises(SpecError, match="precision"):
        zi.summarize(model, SHAPES["image"], precision="fp8")
    with pytest.raises(SpecError, match="batch size"):
        zi.summarize(model, SHAPES["image"], batch_size=0)
    with pytest.raises(SpecError, match="cannot run on input"):
        zi.summarize(model, example=torch.zeros(2, 3, 5, 5))
    assert all(not any(c.values()) for c in zi.all_hook_counts(model).values())


# ---------------------------------------------------------------- every tool leaves the model as it was


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("task,name", MODELS, ids=IDS)
def test_tools_leave_device_dtype_mode_hooks_grads_and_buffers_alone(task, name, mode):
    model = fresh(task, name)
    model.train(mode == "train")
    x, y = batch(task)
    for p in list(model.parameters())[:2]:
        p.grad = torch.full_like(p, 0.5)        # a half-finished optimizer step must survive
    before = full_state(model)
    globals_before = zi.global_hook_counts()
    other = "eval" if mode == "train" else "train"   # the hooks lab switches mode: it must switch back
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        zi.summarize(model, SHAPES[task], batch_size=3)
        result = zi.capture(model, x, y=y, mode=other)
        if mode == "eval":                             # these work on copies; once per model is enough
            zi.compare_modes(model, x)
            zi.compare_precisions(model, x[:2])
        zi.module_internals(model, zi.hookable_layers(model)[0])
        zi.state_dict_entries(model)
        if task == "image" and explain.conv_layers(model):
            explain.grad_cam(model, x)
            explain.grad_cam(model, x, method="gradcam++")
        elif task == "image":
            with pytest.raises(SpecError, match="no 2-D convolutional layer"):
                explain.grad_cam(model, x)
        explain.saliency(model, x)
    no_warnings(record)
    assert_same_state(before, full_state(model))
    for module in model.modules():   # the hook dictionaries we used are empty again
        for attr in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks"):
            assert not getattr(module, attr), (type(module).__name__, attr)
    assert zi.global_hook_counts() == globals_before
    assert result.backward_method == "full backward hooks"
    assert result.hooks_after == {n: zi.hook_counts(model.get_submodule(n)) for n in result.layers}
    assert all(c["forward"] == 1 and c["backward"] == 1 for c in result.hooks_during.values())


def test_hooks_are_removed_when_the_forward_fails():
    model = fresh("image", "cnn")
    before = hook_state(model)
    with pytest.raises(RuntimeError):
        zi.capture(model, torch.zeros(2, 3, 9, 9), ["features.0", "classifier.2"])
    with pytest.raises(RuntimeError):
        explain.grad_cam(model, torch.zeros(2, 3, 9, 9))
    assert hook_state(model) == before
    assert model.training


# ---------------------------------------------------------------- inplace ReLU


class InplaceNet(nn.Module):
    """The torchvision habit: nn.ReLU(inplace=True) straight after conv and batch norm."""

    def __init__(self, inplace: bool = True):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3), nn.ReLU(inplace=inplace), nn.Conv2d(4, 8, 3), nn.BatchNorm2d(8),
            nn.ReLU(inplace=inplace), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(8 * 12 * 12, 16), nn.ReLU(inplace=inplace),
                                  nn.Dropout(0.3, inplace=inplace), nn.Linear(16, 3))

    def forward(self, x):
        return self.head(self.features(x))


class FunctionalInplaceNet(nn.Module):
    """Inplace ops in forward code, where no flag can turn them off."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.head = nn.Linear(4 * 26 * 26, 3)

    def forward(self, x):
        h = self.conv(x)
        h.relu_()
        return self.head(h.flatten(1))


def twins():
    torch.manual_seed(0)
    inplace = InplaceNet(inplace=True)
    plain = InplaceNet(inplace=False)
    plain.load_state_dict(inplace.state_dict())
    return inplace, plain


def test_the_naive_full_backward_hook_breaks_on_inplace_relu():
    """Why the guard exists: this is what a hooks lab without it runs into."""
    model, _ = twins()
    handle = model.features[0].register_full_backward_hook(lambda *a: None)
    try:
        with pytest.raises(RuntimeError, match="BackwardHookFunction"):
            model(torch.randn(2, 1, 28, 28)).sum().backward()
    finally:
        handle.remove()


def test_hooks_lab_is_safe_with_inplace_relu():
    model, plain = twins()
    x = torch.randn(5, 1, 28, 28)
    y = torch.tensor([0, 1, 2, 0, 1])
    layers = ["features.0", "features.1", "features.2", "features.3", "head.1", "head.2"]
    before = full_state(model)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = zi.capture(model, x, layers, y=y)
        want = zi.capture(plain, x, layers, y=y)
    no_warnings(record)
    assert_same_state(before, full_state(model))
    assert all(m.inplace for m in model.modules() if isinstance(m, nn.ReLU))
    assert got.backward_method == "full backward hooks"
    for a, b in zip(got.gradients, want.gradients):
        assert a["fired"] and a["grad_output_norm"] == pytest.approx(b["grad_output_norm"], rel=1e-5)
    # the conv's captured output is the conv's, not overwritten by the ReLU after it
    assert torch.equal(got.activations["features.0"], want.activations["features.0"])
    assert (got.activations["features.0"] < 0).any()
    for a, b in zip(got.param_grads, want.param_grads):
        assert a["grad_norm"] == pytest.approx(b["grad_norm"], rel=1e-5)


def test_hooks_lab_falls_back_to_tensor_hooks_for_functional_inplace():
    torch.manual_seed(0)
    model = FunctionalInplaceNet()
    x = torch.randn(3, 1, 28, 28)
    y = torch.tensor([0, 1, 2])
    out = model.conv(x)
    out.retain_grad()
    F.cross_entropy(model.head(F.relu(out).flatten(1)), y).backward()
    expected = out.grad.norm().item()
    model.zero_grad(set_to_none=True)
    before = full_state(model)
    got = zi.capture(model, x, ["conv", "head"], y=y)
    assert got.backward_method == "tensor hooks" and got.notes
    assert got.gradients[0]["grad_output_norm"] == pytest.approx(expected, rel=1e-5)
    assert_same_state(before, full_state(model))


# ---------------------------------------------------------------- hooks lab numbers


def test_hooks_lab_gradients_are_the_real_ones():
    model = fresh("image", "cnn")
    model.eval()
    x, y = batch("image", 8)
    got = zi.capture(model, x, ["features.0", "classifier.7"], y=y, keep=3)
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    # dL/dlogits of mean cross-entropy is (softmax - onehot) / batch
    expected = ((torch.softmax(logits, 1) - F.one_hot(y, 10)) / len(y)).norm().item()
    head = next(g for g in got.gradients if g["layer"] == "classifier.7")
    assert head["grad_output_norm"] == pytest.approx(expected, rel=1e-5)
    assert got.loss == pytest.approx(loss.item(), rel=1e-6)
    for row, g in zip(got.param_grads, grads):
        assert row["grad_norm"] == pytest.approx(g.norm().item(), rel=1e-5)
    assert got.activations["features.0"].shape == (3, 6, 24, 24)
    assert all(p.grad is None for p in model.parameters())


def test_a_layer_its_parent_never_calls_is_said_so_and_not_hooked_by_default():
    """nn.MultiheadAttention uses out_proj's weights without calling it: the Hooks tab had said "no gradient
    reached" its output (a learner's check), while its weights' gradients are there."""
    model = fresh("series", "transformer")
    x, y = batch("series", 4)
    out_proj = next(n for n, _ in model.named_modules() if n.endswith("self_attn.out_proj"))
    assert out_proj in zi.never_called_layers(model) and out_proj not in zi.weighted_layers(model)
    linear = next(n for n in zi.weighted_layers(model) if "linear" in n)
    got = zi.capture(model, x, [out_proj, linear], y=y)
    assert any(out_proj in n and "never ran as a module" in n for n in got.notes)
    assert not any(n.startswith("No gradient reached") for n in got.notes), got.notes
    assert out_proj not in got.activations and linear in got.activations
    # a container is never called either, and is said so, not as attention's weights are (a review)
    container = next(n for n, m in model.named_modules() if isinstance(m, nn.ModuleList))
    notes = zi.capture(model, x, [container], y=y).notes
    assert any("a container (nn.ModuleList" in n for n in notes) and not any("MultiheadAttention" in n for n in notes)
    assert next(r for r in got.param_grads if r["name"] == f"{out_proj}.weight")["grad_norm"] > 0


def test_hooks_lab_in_train_mode_restores_batchnorm_running_stats():
    torch.manual_seed(0)
    model = build("cnn", SHAPES["image"], {"batch_norm": True}).eval()
    x, y = batch("image", 8)
    before = full_state(model)
    got = zi.capture(model, x, ["features.1"], y=y, mode="train")
    assert got.mode == "train"
    assert_same_state(before, full_state(model))
    with pytest.raises(SpecError, match="no layer"):
        zi.capture(model, x, ["features.99"])


# ---------------------------------------------------------------- internals


def test_module_internals_show_the_dictionaries_of_the_seed():
    torch.manual_seed(0)
    model = build("cnn", SHAPES["image"], {"batch_norm": True})
    bn = zi.module_internals(model, "features.1")
    assert [b["name"] for b in bn["buffers"]] == ["running_mean", "running_var", "num_batches_tracked"]
    assert all(b["persistent"] for b in bn["buffers"])
    assert [p["name"] for p in bn["parameters"]] == ["weight", "bias"]
    assert bn["hooks"] == dict.fromkeys(zi.HOOK_DICTS, 0)
    top = zi.module_internals(model)
    assert [m["name"] for m in top["modules"]] == ["features", "classifier"] and top["parameters"] == []

    handle = model.features[0].register_forward_hook(lambda *a: None)
    pre = model.features[0].register_forward_pre_hook(lambda *a: None)
    assert zi.module_internals(model, "features.0")["hooks"]["forward"] == 1
    assert zi.module_internals(model, "features.0")["hooks"]["forward_pre"] == 1
    handle.remove()
    pre.remove()
    assert zi.module_internals(model, "features.0")["hooks"] == dict.fromkeys(zi.HOOK_DICTS, 0)
    with pytest.raises(SpecError, match="no submodule"):
        zi.module_internals(model, "nope")


def test_non_persistent_buffers_and_parametrizations():
    transformer = fresh("series", "transformer")
    position = zi.module_internals(transformer, "position")
    assert position["non_persistent_buffers"] == ["table"]
    assert position["buffers"][0]["persistent"] is False
    keys = [e["key"] for e in zi.state_dict_entries(transformer)]
    assert "position.table" not in keys and keys == list(transformer.state_dict())

    tcn = fresh("series", "tcn")
    conv = zi.module_internals(tcn, "network.0.net.0")
    assert conv["parametrized"][0]["name"] == "weight"
    assert conv["parametrized"][0]["originals"] == ["original0", "original1"]
    assert [p["name"] for p in conv["parameters"]] == ["bias"]   # weight is computed, not stored
    entries = {e["key"]: e for e in zi.state_dict_entries(tcn)}
    g = entries["network.0.net.0.parametrizations.weight.original0"]
    assert g["kind"] == "parameter" and g["device"] == "cpu" and g["dtype"] == "float32"
    # What torch.save writes: the state_dict's own tensors, detached (the table had shown the parameters' True)
    key = "network.0.net.0.parametrizations.weight.original0"
    assert g["requires_grad"] is False and tcn.state_dict()[key].requires_grad is False
    assert dict(tcn.named_parameters())[key].requires_grad is True

    cnn = build("cnn", SHAPES["image"], {"batch_norm": True})
    entries = {e["key"]: e for e in zi.state_dict_entries(cnn)}
    assert entries["features.1.num_batches_tracked"]["kind"] == "buffer"
    assert entries["features.1.num_batches_tracked"]["requires_grad"] is False
    tree = zi.module_tree(cnn)
    assert tree[0]["name"] == "" and tree[0]["params"] == sum(p.numel() for p in cnn.parameters())


# ---------------------------------------------------------------- init lab, modes, precision


# every model, and the linear forecaster's other variants: DLinear's two maps both read the window
VARIANTS = [(task, name, {}) for task, name in MODELS] + [("series", "linear", {"variant": v})
                                                          for v in ("dlinear", "linear")]


@pytest.mark.parametrize("task,name,params", VARIANTS, ids=IDS + ["series-linear-dlinear", "series-linear-linear"])
def test_zero_init_leaves_every_weight_before_the_output_layers_without_a_gradient(task, name, params):
    """What the init lab and the run's verdict say of zero init (ui/inspect_views.zero_init_words, zoo/verdict.py):
    every weight is 0, so the gradient sent back through the output layer's zero weights is 0 and no parameter
    before it gets one (they said "the same gradient", the constant-start symmetry case; a learner's check). The
    output layers are the head (the module of the last parameter), but both of DLinear's maps, which read the
    window itself (the lab called DLinear's `linear` a layer before the output: a learner's check). Checked on
    each model against torch's own backward, with the loss training uses."""
    from zoo.initialisation import learning_at_the_first_step, weight_init, zero_init_holds_back

    torch.manual_seed(0)
    model = build(name, SHAPES[task], params)
    model.apply(weight_init("zeros"))
    x, y = batch(task, 16)
    out = model(x)
    loss = F.cross_entropy(out, y) if task == "image" else F.mse_loss(out.reshape(y.shape), y)
    loss.backward()
    # finite: a weight-normed layer's zero direction made 0 / 0 (the TCN's loss was NaN, and NaN > 0 is False)
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    names = [n for n, _ in model.named_parameters()]
    learning = [n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0]
    outputs = {"linear", "trend"} if params.get("variant") == "dlinear" else {names[-1].rsplit(".", 1)[0]}
    assert {n.rsplit(".", 1)[0] for n in learning} == outputs, (outputs, learning)
    model.zero_grad()
    assert learning_at_the_first_step(model, SHAPES[task]) == (learning, [n for n in names if n not in learning])
    # a model with no layer before its output layers (the linear forecasters) is held back by nothing: expected from
    # torch's own gradients above, not the model's name (a contributor's one-layer model had failed here); measuring
    # it leaves the caller's random numbers as they were (a review: a transformer's dropout drew from them)
    before = torch.random.get_rng_state()
    assert zero_init_holds_back(name, SHAPES[task], params) is (len(learning) < len(names))
    assert torch.equal(before, torch.random.get_rng_state())


def test_init_lab_matches_the_schemes_and_shows_zero_init_symmetry():
    params = {"depth": 4, "width": 128, "activation": "relu", "dropout": 0.0}
    x, y = batch("image", 64)
    he = zi.init_lab("mlp", SHAPES["image"], params, x, "kaiming_normal")
    for w in he.weights:
        assert w["std"] == pytest.approx(w["expected_std"], rel=0.1), w["layer"]
    xavier = zi.init_lab("mlp", SHAPES["image"], params, x, "xavier_normal")
    for w in xavier.weights:
        assert w["std"] == pytest.approx(w["expected_std"], rel=0.1), w["layer"]
    small = zi.init_lab("mlp", SHAPES["image"], params, x, "normal")
    linear_std = lambda lab: [a["std"] for a in lab.activations if a["type"] == "Linear"]
    # He keeps the signal alive through ReLU layers; N(0, 0.01) lets it vanish
    assert linear_std(he)[-1] > 0.1 * linear_std(he)[0]
    assert linear_std(small)[-1] < 1e-4 * linear_std(small)[0]

    # BatchNorm normalises with the batch's statistics, as in training: it rescues N(0, 0.01)'s signal (in eval
    # mode its fresh running statistics passed 0.05 through as 0.05, and the lab taught the opposite of what
    # BatchNorm is for: a learner's check)
    normed = zi.init_lab("cnn", SHAPES["image"], {"batch_norm": True, "dropout": 0.5}, x, "normal").activations
    assert [round(a["std"], 1) for a in normed if a["type"] == "BatchNorm2d"] == [1.0, 1.0]
    assert normed[0]["std"] < 0.1   # the convolution before it: N(0, 0.01)'s small output
    # dropout stays off (the identity): its noise is not the initialisation's
    dropped = [(before, a) for before, a in zip(normed, normed[1:]) if a["type"] == "Dropout"]
    assert len(dropped) == 2 and all(a["std"] == before["std"] for before, a in dropped)

    zero = zi.init_lab("mlp", SHAPES["image"], params, x, "zeros", y=y, steps=5)
    assert all(a["std"] == 0 for a in zero.activations if a["type"] == "Linear")
    hidden = [s for s in zero.symmetry if s["units"] == 128]
    assert hidden and all(s["distinct"] == 1 for s in hidden)   # every hidden unit is the same unit
    default = zi.init_lab("mlp", SHAPES["image"], params, x, "default", y=y, steps=5)
    # the histograms hold the weights at init, not after the check's SGD steps (a small layer's, kept whole, had
    # been a view the steps changed: past PyTorch's bound, under a title of its std at init; a learner's check)
    for w in default.weights:
        bound = 1 / math.sqrt(w["fan_in"])   # nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        assert np.abs(w["values"]).max() <= bound, w["layer"]
        if len(w["values"]) == math.prod(w["shape"]):   # kept whole: the title's std is the histogram's
            assert np.std(w["values"], ddof=1) == pytest.approx(w["std"], rel=1e-3), w["layer"]
    assert all(s["distinct"] == s["units"] for s in default.symmetry)
    assert len(default.loss) == 5

    tcn = zi.init_lab("tcn", SHAPES["series"], {}, batch("series")[0], "orthogonal")
    assert tcn.weights and tcn.activations
    # weight-normed convolutions get the scheme's weights too: its magnitude had been drawn as a weight of fan-in 1,
    # and xavier's std came out 0.027 where 0.102 was due (a review)
    for scheme in ("xavier_normal", "kaiming_normal"):
        for w in zi.init_lab("tcn", SHAPES["series"], {}, batch("series")[0], scheme).weights:
            assert w["std"] == pytest.approx(w["expected_std"], rel=0.1), (scheme, w["layer"])
    with pytest.raises(SpecError, match="unknown"):
        zi.init_lab("mlp", SHAPES["image"], params, x, "lecun")


def test_modes_show_what_dropout_and_batchnorm_really_do():
    torch.manual_seed(0)
    model = build("mlp", SHAPES["image"], {"dropout": 0.5, "activation": "tanh"}).eval()
    x, _ = batch("image", 256)
    before = full_state(model)
    report = zi.compare_modes(model, x)
    drops = [r for r in report["layers"] if r["type"] == "Dropout"]
    assert len(drops) == 2
    for r in drops:
        assert r["train_dropped_fraction"] == pytest.approx(0.5, abs=0.02)
        assert r["train_kept_scale"] == pytest.approx(2.0, rel=1e-5)   # 1/(1-p), not p
        assert r["eval_max_change"] == 0.0
    assert report["output_max_diff"] > 0

    torch.manual_seed(0)
    cnn = build("cnn", SHAPES["image"], {"batch_norm": True})
    bn_before = full_state(cnn)
    report = zi.compare_modes(cnn, x[:64])
    bns = [r for r in report["layers"] if r["type"] == "BatchNorm2d"]
    for r in bns:
        assert r["train_output_mean"] < 1e-4 and r["train_output_std"] == pytest.approx(1.0, abs=1e-2)
        assert r["running_mean_change"] > 0 and r["momentum"] == 0.1
        assert r["train_vs_eval_max_diff"] > 0
    assert_same_state(bn_before, full_state(cnn))
    assert_same_state(before, full_state(model))

    demo = zi.dropout_demo(0.25, n=400)
    assert {round(v, 6) for v in demo["train"]} == {0.0, round(4 / 3, 6)} and demo["eval"] == demo["input"]


def test_precisions_halve_and_double_the_bytes():
    model = fresh("image", "cnn")
    x, _ = batch("image", 16)
    rows = {r["precision"]: r for r in zi.compare_precisions(model, x)}
    fp32 = rows["fp32"]["param_bytes"]
    assert rows["fp16"]["param_bytes"] == rows["bf16"]["param_bytes"] == fp32 // 2
    assert rows["fp64"]["param_bytes"] == 2 * fp32
    assert rows["fp32"]["max_abs_diff"] == 0
    assert rows["fp64"]["max_abs_diff"] < 1e-5
    assert 0 < rows["fp16"]["max_abs_diff"] < 0.05 and 0 < rows["bf16"]["max_abs_diff"] < 0.2
    assert rows["fp64"]["prediction_agreement"] == 1.0


# ---------------------------------------------------------------- CLI


def test_summary_cli_json(capsys):
    assert main(["summary", "--model", "cnn", "--data", "mnist-sample", "--set", "batch_norm=true",
                 "--batch-size", "16", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    torch.manual_seed(0)
    model = build("cnn", SHAPES["image"], {"batch_norm": True})
    assert result["totals"]["total_params"] == sum(p.numel() for p in model.parameters())
    assert result["model"] == "cnn" and result["model_class"] == "LeNet"
    assert result["model_params"] == {"batch_norm": True}
    assert result["batch_size"] == 16 and result["precision"] == "fp32"
    names = [r["name"] for r in result["rows"]]
    assert names == [n for n, _ in model.named_modules()]
    conv = result["rows"][names.index("features.0")]
    assert conv["type"] == "Conv2d"
    assert conv["input_shape"] == [16, 1, 28, 28] and conv["output_shape"] == [16, 6, 24, 24]
    assert conv["params"] == 156 and conv["trainable"] is True and conv["mult_adds"] == 156 * 16 * 24 * 24
    for key in ("trainable_params", "frozen_params", "mult_adds", "params_mb", "forward_backward_mb", "total_mb"):
        assert key in result["totals"]


def test_summary_cli_text_and_errors(capsys):
    assert main(["summary", "--model", "transformer"]) == 0
    out = capsys.readouterr().out
    assert "TransformerEncoderLayer" in out and "Parameters:" in out
    for argv, needle in ((["summary", "--model", "nope"], "unknown model"),
                         (["summary", "--model", "cnn", "--set", "kernel_size=4"], "kernel_size"),
                         (["summary", "--model", "cnn", "--batch-size", "0"], "--batch-size"),
                         (["summary", "--model", "cnn", "--precision", "fp8"], "invalid choice")):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:") and needle in err[0], err


def test_the_hooks_gradient_charts_label_their_log_axes_without_small_digits():
    """A learner read the gradient norms' log axis, "10⁻³ 2 5 10⁻² 2 5", as noise: a log axis is labelled
    at its decades, or 1-2-5 marks, or its ends (zoo/plots.log_ticks)."""
    from ui import inspect_views as views
    from zoo.plots import log_ticks

    model = fresh("image", "cnn")
    x, y = batch("image", 4)
    result = zi.capture(model, x, ["features.0", "classifier.7"], y=y)
    for fig in (views.grad_norm_figure(result), views.param_grad_figure(result)):
        axis = fig.layout.yaxis
        assert axis.type == "log" and (axis.minorloglabels == "none" or axis.tickvals), axis
        # dots, not bars: a bar on a log axis starts at an arbitrary bottom, and its length means nothing
        assert {trace.type for trace in fig.data} == {"scatter"} and {t.mode for t in fig.data} == {"markers"}
    assert log_ticks([3e-4, 0.2]) == {"minorloglabels": "none"}
    assert log_ticks([16, 256])["tickvals"] == [20, 50, 100, 200]
    assert log_ticks([1.1e-3, 2.5e-3])["tickvals"] == [1.1e-3, 2.5e-3]
    assert log_ticks([0, float("nan"), None]) == {}
    # the ends are rounded inward, never outside the values (0.00114 to 0.0011 fell below them: a review)
    assert log_ticks([0.00114, 0.0019])["tickvals"] == [0.0012, 0.0019]
    assert log_ticks(np.array([0.00114, 0.0019], dtype=np.float32))["tickvals"] == [0.0012, 0.0019]   # numpy's
    close = log_ticks([0.00114, 0.00115])
    assert close["tickvals"] == [0.00114, 0.00115] and close["ticktext"] == ["0.00114", "0.00115"]
    assert log_ticks([5.0, 5.0])["tickvals"] == [5.0]


def test_the_summary_measures_a_training_step_where_torchinfo_misses_attention(monkeypatch):
    """torchinfo's "Forward + backward" counts layer outputs: a Transformer's attention scores (batch x heads x
    L x L, kept for backward) are not one, so the Summary read 299 MB where the hosted demo refused the same
    model at about 1,720 (a learner saw both). The Summary gives the measured step beside it: at least the
    attention probabilities autograd keeps, the weights four times over (weights, gradients, Adam's two
    moments), the same measure the demo's cap reads, and measured once per model and shape."""
    from zoo.inspect import summary as summary_module

    L, heads, layers, n = 256, 4, 2, 8
    torch.manual_seed(0)
    model = build("transformer", DataShape(task="series", lookback=L, n_features=1, horizon=6),
                  {"heads": heads, "layers": layers, "d_model": 32, "dim_feedforward": 64, "patch": 1})
    shape = DataShape(task="series", lookback=L, n_features=1, horizon=6)
    t = zi.summarize(model, shape, batch_size=n).totals
    weights = sum(p.numel() * 4 for p in model.parameters())
    attention = layers * n * heads * L * L * 4   # softmax's output, float32: what each layer's backward reads
    assert t["training_step_mb"] * 1e6 >= attention + 4 * weights
    assert t["training_step_mb"] > 3 * t["forward_backward_mb"]
    assert t["training_step_mb"] * 1e6 == pytest.approx(summary_module.training_bytes(model, shape, n), rel=1e-6)
    assert t["measured_dtype"] == "float32"
    calls, real = [], summary_module.training_memory
    monkeypatch.setattr(summary_module, "training_memory", lambda *a, **k: calls.append(a) or real(*a, **k))
    again = zi.summarize(model, shape, batch_size=2 * n).totals
    assert not calls and again["training_step_mb"] > t["training_step_mb"]   # the same measure, another batch
    assert "A training step with Adam, measured at float32" in zi.summarize(model, shape, batch_size=n).table()


def test_the_init_labs_zero_init_says_what_learned_before_the_output_layer():
    """The lab said that with zero init nothing before the output layer learns, and counted a zero-init
    transformer's embedding rows, all different at 1e-8 after five steps, as one unit (a learner's check: such a
    transformer reached 28% accuracy). Its positional encoding makes the hidden output non-zero, so the head's
    weights learn at once and send a gradient back from the second step: the lab measures what changed, checked
    here against torch's own steps; the models whose hidden output is 0 learn nothing before the output layer."""
    x, y = batch("image", 64)
    lab = zi.init_lab("transformer", SHAPES["image"], {}, x, "zeros", y=y, steps=5)
    assert {n.rsplit(".", 1)[0] for n in lab.learned_at_first_step} == {"head"}
    assert "embed.weight" in lab.learned_later
    embed = next(s for s in lab.symmetry if s["layer"] == "embed")
    assert embed["distinct"] == embed["units"]
    # torch's own: five plain SGD steps on a zero-init copy change the embedding
    from zoo.initialisation import weight_init

    model = fresh("image", "transformer")
    model.apply(weight_init("zeros"))
    model.train()
    for _ in range(5):
        loss = F.cross_entropy(model(x[:32]), y[:32])
        grads = torch.autograd.grad(loss, list(model.parameters()), allow_unused=True)
        with torch.no_grad():
            for p, g in zip(model.parameters(), grads):
                if g is not None:
                    p -= 0.05 * g
    assert model.embed.weight.abs().max() > 0
    assert zi.init_lab("mlp", SHAPES["image"], {}, x, "zeros", y=y, steps=5).learned_later == []


def test_the_init_labs_zero_init_words_name_the_output_layers_it_measured():
    """The lab's zero-init sentence named DLinear's `linear` a layer before the output layer and gave a transformer's
    positional encoding as the reason, for any model (a learner's check): its words follow what it measured."""
    from ui.inspect_views import zero_init_words

    shape = SHAPES["series"]
    x, y = batch("series", 64)
    for params, says, never in (
            ({"variant": "dlinear"}, "every layer learned from the first step: `linear`, `trend` (the output layers) "
                                     "read the input itself", "only"),
            ({"variant": "nlinear"}, "every layer learned from the first step: `linear` (the output layer) reads",
             "only")):
        lab = zi.init_lab("linear", shape, params, x, "zeros", y=y, steps=5)
        words = zero_init_words(lab, "linear", [n for n, _ in build("linear", shape, params).named_parameters()])
        assert says in words and never not in words and "transformer" not in words, words
    lab = zi.init_lab("lstm", shape, {}, x, "zeros", y=y, steps=5)
    words = zero_init_words(lab, "lstm", [n for n, _ in build("lstm", shape, {}).named_parameters()])
    assert words.startswith("Here, with zero init, only `head` (the output layer) changed in 5 steps, nothing before it")
    lab = zi.init_lab("transformer", shape, {}, x, "zeros", y=y, steps=5)
    words = zero_init_words(lab, "transformer", [n for n, _ in build("transformer", shape, {}).named_parameters()])
    assert "changed later in the 5 steps" in words and "(a transformer adds its positional encoding)" in words
    # one step measures nothing of later ones: not "nothing before it ... they do not" of a transformer (a review)
    lab = zi.init_lab("transformer", shape, {}, x, "zeros", y=y, steps=1)
    words = zero_init_words(lab, "transformer", [n for n, _ in build("transformer", shape, {}).named_parameters()])
    assert words == ("Here, with zero init, only `head` (the output layer) learned at the first step, nothing before "
                     "it: take more steps to see whether a layer before it learns later.")


def test_float_bits_are_the_ieee_layouts_and_the_precision_caption_says_them():
    """The precision tab's caption said "bf16 ... 8 bits of mantissa; fp16 has 11 bits", read as bf16's 8 exponent
    bits (a learner's check). Its bits come from torch.finfo: IEEE 754's binary32 and binary64, binary16, and
    bfloat16 (binary32 cut to 16 bits)."""
    import torch

    from ui.inspect_tabs import precision_caption
    from zoo.inspect import float_bits

    layouts = {torch.float32: (8, 23), torch.float64: (11, 52), torch.float16: (5, 10), torch.bfloat16: (8, 7)}
    for dtype, (exponent, fraction) in layouts.items():
        bits = float_bits(dtype)
        assert (bits["exponent"], bits["fraction"]) == (exponent, fraction), dtype
        assert 1 + exponent + fraction == torch.finfo(dtype).bits
    assert float_bits(torch.float16)["max"] == 65504
    caption = precision_caption()
    assert "bf16 keeps fp32's range (8 exponent bits) with 7 stored fraction bits" in caption
    assert "fp16 stores 10 fraction bits" in caption and "only 5 exponent bits: it overflows above 65504." in caption


def test_a_precision_whose_output_overflows_says_so_not_none():
    """A learner's check: a cnn trained at lr 1 showed "fp16 | None | None | 0%" on Modes & precision, as if the app
    had failed. Weights past fp16's range (65504) overflow there: the row says so, and bf16 (fp32's range) still
    measures its difference."""
    model = fresh("image", "cnn")
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(300.0)   # outputs in the millions, as a run at lr 1 left them
    x, _ = batch("image", 8)
    rows = {r["precision"]: r for r in zi.compare_precisions(model, x)}
    assert rows["fp16"]["finite"] is False and "max_abs_diff" not in rows["fp16"]
    assert rows["fp16"]["note"].startswith("the fp16 output is not finite: ") and "(its largest is 65504)" in \
        rows["fp16"]["note"], rows["fp16"]
    assert "prediction_agreement" not in rows["fp16"]
    assert rows["bf16"]["finite"] is True and rows["bf16"]["max_abs_diff"] > 0 and "note" not in rows["bf16"]


@pytest.mark.parametrize("name", list_models("series"))
def test_a_captured_sequence_outputs_axes_are_named_by_what_they_hold(name):
    """The Hooks tab's heatmap of a 3-D output named its axes "last axis" and "second axis" (a learner's check):
    ui/inspect_views.sequence_axes names them, checked here on each series model's own outputs: the axis called a
    time step or token is the window's length (lookback 24, one step per token), the other is not."""
    from ui.inspect_views import sequence_axes

    model = fresh("series", name)
    outputs = []
    hooks = [m.register_forward_hook(lambda m, i, o: outputs.append(o[0] if isinstance(o, tuple) else o))
             for n, m in model.named_modules() if n and not list(m.children())]
    model(torch.randn(2, 24, 3))
    for h in hooks:
        h.remove()
    x_title, y_title = sequence_axes(name)
    for out in (o for o in outputs if torch.is_tensor(o) and o.dim() == 3 and o.shape[0] == 2):
        rows, columns = out[0].shape   # the heatmap's y (rows) and x (columns)
        steps = rows if y_title.startswith(("token", "time step")) else columns
        assert steps == 24 and ("time step" in x_title) == (columns == 24 and rows != 24), (name, out.shape)
