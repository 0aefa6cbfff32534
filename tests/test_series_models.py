"""The series options of the sequence models: `window_norm` (last value / RevIN) and `patch`.

Parametrized over every series model that declares them, so a new model that takes them up is
tested the moment it is registered. The checks are properties that hold whatever the weights:
shift (and for RevIN scale) equivariance, the naive forecast from a zeroed output layer, the
patching order, and that image models ignore `window_norm`.
"""
from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

import zoo
from zoo.models.common import normalise_window, restore_forecast, to_patches
from zoo.registry import DataShape, SpecError, get_model


def declaring(field: str) -> list[str]:
    return [n for n in zoo.list_models("series")
            if field in {f.name for f in dataclasses.fields(get_model(n).config)}]


NORMED = declaring("window_norm")
PATCHED = declaring("patch")


def build(name: str, shape: DataShape, **params) -> nn.Module:
    torch.manual_seed(0)
    return zoo.build(name, shape, params).eval().double()


def test_the_sequence_models_declare_the_options():
    assert {"mlp", "rnn", "lstm", "gru", "tcn", "transformer"} <= set(NORMED)
    assert {"rnn", "lstm", "gru", "tcn", "transformer"} <= set(PATCHED)
    for name in NORMED:
        declared = {h.name: h for h in get_model(name).hparams()}
        assert declared["window_norm"].choices == ("none", "last", "revin")
        assert declared["window_norm"].help
    for name in PATCHED:
        h = {h.name: h for h in get_model(name).hparams()}["patch"]
        assert h.default == 1 and h.low == 1 and h.help


@pytest.mark.parametrize("name", NORMED)
@pytest.mark.parametrize("norm", ["last", "revin"])
@pytest.mark.parametrize("features", [1, 3])
def test_a_shifted_window_gets_a_forecast_shifted_by_the_same_amount(name, norm, features):
    shape = DataShape(task="series", lookback=30, n_features=features, horizon=7)
    model = build(name, shape, window_norm=norm)
    x = torch.randn(5, 30, features, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    shift = torch.tensor([3.0, -2.5, 0.0, 11.0, -40.0], dtype=torch.float64)
    moved = x.clone()
    moved[:, :, -1] += shift[:, None]             # the target (last channel) only
    with torch.no_grad():
        base, out = model(x), model(moved)
        every = model(x + shift[:, None, None])   # every channel moves
    assert torch.allclose(out, base + shift[:, None], atol=1e-9, rtol=0)
    assert torch.allclose(every, base + shift[:, None], atol=1e-9, rtol=0)


@pytest.mark.parametrize("name", NORMED)
def test_revin_forecasts_scale_with_the_window(name):
    shape = DataShape(task="series", lookback=30, n_features=2, horizon=7)
    model = build(name, shape, window_norm="revin")
    x = torch.randn(4, 30, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) * 300 + 100
    with torch.no_grad():
        base, scaled = model(x), model(x * 8.0)
    # Exact but for the eps added to the variance (1e-5 against about 9e4, so a relative 1e-10).
    assert torch.allclose(scaled, base * 8.0, rtol=0, atol=1e-6 * base.abs().max().item())


@pytest.mark.parametrize("name", NORMED)
def test_without_window_norm_the_model_is_not_shift_equivariant(name):
    """The control: the property above comes from the option, not from the architectures."""
    shape = DataShape(task="series", lookback=30, n_features=1, horizon=7)
    model = build(name, shape, window_norm="none")
    x = torch.randn(3, 30, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        assert not torch.allclose(model(x + 5.0), model(x) + 5.0, atol=1e-3)


def output_layer(model: nn.Module) -> nn.Linear:
    return [m for m in model.modules() if isinstance(m, nn.Linear)][-1]


@pytest.mark.parametrize("name", NORMED)
@pytest.mark.parametrize("norm,expected", [("last", "last"), ("revin", "mean")])
def test_a_zeroed_output_layer_forecasts_the_window_level(name, norm, expected):
    """With window_norm=last a model starts from the naive forecast and learns the correction."""
    shape = DataShape(task="series", lookback=24, n_features=2, horizon=5)
    model = build(name, shape, window_norm=norm)
    head = output_layer(model)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    x = torch.randn(4, 24, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(4)) + 7.0
    level = x[:, -1, -1] if expected == "last" else x[:, :, -1].mean(dim=1)
    with torch.no_grad():
        assert torch.allclose(model(x), level[:, None].expand(-1, 5), atol=1e-12)


@pytest.mark.parametrize("name", [n for n in NORMED if "image" in get_model(n).tasks])
def test_series_only_options_are_off_for_images_and_refused_when_given(name):
    """window_norm and patch declare that they serve the series task: an image model gets their
    `off` value, the image form and search space do not show them, and giving one is an error."""
    assert {"window_norm", "patch"} & {h.name for h in get_model(name).hparams()}
    assert not {"window_norm", "patch"} & {h.name for h in get_model(name).hparams("image")}
    model = zoo.build(name, DataShape(task="image"))
    assert getattr(model, "window_norm", "none") == "none" and getattr(model, "patch", 1) == 1
    with pytest.raises(SpecError, match="serves the series task only"):
        zoo.build(name, DataShape(task="image"), {"window_norm": "last"})
    from zoo.search import build_space

    assert not {"window_norm", "patch"} & set(build_space(name, "image").names)


@pytest.mark.parametrize("name", PATCHED)
@pytest.mark.parametrize("lookback,patch", [(336, 24), (30, 7), (5, 16), (1, 4), (17, 1)])
def test_patched_models_take_any_window(name, lookback, patch):
    shape = DataShape(task="series", lookback=lookback, n_features=2, horizon=6)
    torch.manual_seed(0)
    model = zoo.build(name, shape, {"patch": patch, "window_norm": "last"})
    x = torch.randn(3, lookback, 2)
    out = model(x)
    assert out.shape == (3, 6)
    out.square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("name", [n for n in PATCHED if n in ("rnn", "lstm", "gru")])
def test_a_recurrent_model_steps_once_per_patch(name):
    shape = DataShape(task="series", lookback=336, n_features=1, horizon=96)
    model = zoo.build(name, shape, {"patch": 24, "hidden_size": 8})
    seen = {}

    def record(module, args, output):
        seen["input"] = tuple(args[0].shape)    # returns None: the output stays as it is

    model.rnn.register_forward_hook(record)
    model(torch.randn(2, 336, 1))
    assert seen["input"] == (2, 14, 24)
    assert model.rnn.input_size == 24


def test_patched_transformer_attends_over_tokens():
    shape = DataShape(task="series", lookback=336, n_features=1, horizon=96)
    model = zoo.build("transformer", shape, {"patch": 16, "d_model": 16, "heads": 2})
    assert model.embed.in_features == 16
    assert model.position.table.shape[1] == 21


def test_to_patches_groups_consecutive_steps_and_pads_in_front():
    seq = torch.arange(2 * 7 * 2, dtype=torch.float32).reshape(2, 7, 2)   # (B, T=7, F=2)
    tokens = to_patches(seq, 3)                                           # 7 -> 9 steps: 2 repeats of step 0
    assert tokens.shape == (2, 3, 6)
    expected_steps = [[0, 0, 0], [1, 2, 3], [4, 5, 6]]
    for b in range(2):
        for k, steps in enumerate(expected_steps):
            assert torch.equal(tokens[b, k], seq[b, steps].reshape(-1))
    assert torch.equal(tokens[:, -1, -2:], seq[:, -1])                    # the last token ends at the newest step
    assert to_patches(seq, 1) is seq
    assert to_patches(seq, 7).shape == (2, 1, 14)


def test_normalise_and_restore_round_trip():
    x = torch.randn(4, 10, 3, dtype=torch.float64) * 5 + 2
    for mode in ("none", "last", "revin"):
        z, level, scale = normalise_window(x, mode)
        assert z.shape == x.shape
        # Restoring the normalised target channel gives back the raw one.
        assert torch.allclose(restore_forecast(z[:, :, -1], level, scale), x[:, :, -1], atol=1e-12)
    z, _, _ = normalise_window(x, "revin")
    assert torch.allclose(z.mean(dim=1), torch.zeros(4, 3, dtype=torch.float64), atol=1e-12)
    z, _, _ = normalise_window(x, "last")
    assert torch.equal(z[:, -1], torch.zeros(4, 3, dtype=torch.float64))
    flat = torch.ones(2, 6, 1)
    z, level, scale = normalise_window(flat, "revin")
    assert torch.isfinite(z).all() and torch.equal(z, torch.zeros_like(z))
    with pytest.raises(ValueError):
        normalise_window(x, "zscore")
