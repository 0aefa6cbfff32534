"""Weight initialisation schemes: one table of names (torch-free, read by the spec's declaration)
and `weight_init`, the function training hands to `Module.apply`.
"""
from __future__ import annotations

import functools
import json
from typing import Callable

# scheme -> (function of torch.nn.init, its keyword arguments); "default" keeps PyTorch's own.
INIT_SCHEMES: dict[str, tuple[str, dict] | None] = {
    "default": None,
    "xavier_uniform": ("xavier_uniform_", {}),
    "xavier_normal": ("xavier_normal_", {}),
    "kaiming_uniform": ("kaiming_uniform_", {"nonlinearity": "relu"}),
    "kaiming_normal": ("kaiming_normal_", {"nonlinearity": "relu"}),
    "orthogonal": ("orthogonal_", {}),
    "normal": ("normal_", {"mean": 0.0, "std": 0.01}),
    "zeros": ("zeros_", {}),
}
INITS = tuple(INIT_SCHEMES)


def weight_init(scheme: str) -> Callable | None:
    """A function for `model.apply(...)` that re-initialises each layer's own weights.

    Weights are the matrices and kernels (2-D or more): Linear, Conv, the RNN's weight_ih/hh. A weight-normed
    layer's weight is g * v / ||v|| (torch.nn.utils.parametrizations.weight_norm): its direction v is drawn by the
    scheme and its magnitude g set to ||v||, so that the weight is the scheme's draw; for zeros, g is 0 (a zero v
    is 0 / 0). Biases become zero. Norm layers keep their ones-and-zeros. `default` keeps PyTorch's own
    initialisation (returns None).
    """
    import torch
    from torch import nn
    from torch.nn.utils.parametrize import ParametrizationList

    if scheme not in INIT_SCHEMES:
        raise KeyError(scheme)
    if INIT_SCHEMES[scheme] is None:
        return None
    name, kwargs = INIT_SCHEMES[scheme]
    function = getattr(nn.init, name)

    def init(weight):
        function(weight, **kwargs)

    def apply(module: nn.Module) -> None:
        # A parametrization's own tensors are its owner's business (below): `apply` reached them as a module of
        # their own, and g (out x 1 x 1, 2-D or more) was drawn as a weight, v zeroed by zeros: a zero-init TCN's
        # loss was NaN, and any other scheme's magnitudes were a draw from a fan-in of 1 (a review).
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, ParametrizationList)):
            return
        for param_name, param in module.named_parameters(recurse=False):
            if param.dim() >= 2:
                init(param.data)
            elif param_name.startswith("bias"):
                nn.init.zeros_(param.data)
        parametrizations = getattr(module, "parametrizations", None)
        if parametrizations is not None and "weight" in parametrizations:
            magnitude, direction = parametrizations.weight.original0.data, parametrizations.weight.original1.data
            if scheme == "zeros":
                nn.init.zeros_(magnitude)
                return
            init(direction)
            dim = getattr(parametrizations.weight[0], "dim", 0)
            others = tuple(d for d in range(direction.dim()) if d != dim)
            magnitude.copy_(torch.linalg.vector_norm(direction, dim=others, keepdim=True))

    return apply


def with_a_gradient(named: list, grads) -> list[str]:
    """The names of `named` (name, parameter) pairs whose gradient in `grads` is there and not all zero."""
    return [n for (n, _), g in zip(named, grads) if g is not None and bool(g.abs().sum() > 0)]


def learning_at_the_first_step(model, shape) -> tuple[list[str], list[str]]:
    """(names of the parameters that get a non-zero gradient, names of those that get none) from one backward pass
    of `model` as it is, on a random batch of `shape` (a zoo.registry.DataShape). With zero init the gradient sent
    back through a zero weight is 0, so only the layers whose output is the model's output learn at the first step:
    the head of most models, but both maps of DLinear and the one map of a linear forecaster, which read the window
    itself (the init lab said "no layer before the output learns" of DLinear's `linear`, a learner's check).
    Measured, not declared, so a new model needs no word here. The upstream gradient is `out.sum()`'s ones: which
    tensors get one does not depend on the loss. The random numbers drawn (the batch, dropout) are its own."""
    import torch

    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    with torch.random.fork_rng(devices=[]):
        x = torch.randn(4, *shape.input_shape(), generator=torch.Generator().manual_seed(0))
        grads = torch.autograd.grad(model(x).sum(), [p for _, p in named], allow_unused=True)
    learning = with_a_gradient(named, grads)
    return learning, [n for n, _ in named if n not in learning]


@functools.lru_cache(maxsize=64)
def _zero_init_holds_back(model_name: str, shape, params_json: str) -> bool:
    import torch

    from zoo.registry import build

    with torch.random.fork_rng(devices=[]):   # the caller's random numbers stay as they were (a review)
        model = build(model_name, shape, json.loads(params_json))
        model.apply(weight_init("zeros"))
        return bool(learning_at_the_first_step(model, shape)[1])


def zero_init_holds_back(model_name: str, shape, params: dict | None) -> bool:
    """Whether zero init leaves some layer of this model without a gradient at the first step (a layer before
    its output layers): true of every model but the linear forecasters, whose every map reads the window. A
    zero-init linear run that lost to the baselines was told zero init was why (zoo/verdict.likely_cause)."""
    return _zero_init_holds_back(model_name, shape, json.dumps(params or {}, sort_keys=True))
