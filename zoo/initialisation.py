"""Weight initialisation schemes: one table of names (torch-free, read by the spec's declaration)
and `weight_init`, the function training hands to `Module.apply`.
"""
from __future__ import annotations

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

    Weights are the matrices and kernels (2-D or more): Linear, Conv, the RNN's weight_ih/hh, and
    for weight-normed convolutions the direction `original1`. Biases become zero. Norm layers keep
    their ones-and-zeros. `default` keeps PyTorch's own initialisation (returns None).
    """
    from torch import nn

    if scheme not in INIT_SCHEMES:
        raise KeyError(scheme)
    if INIT_SCHEMES[scheme] is None:
        return None
    name, kwargs = INIT_SCHEMES[scheme]
    function = getattr(nn.init, name)

    def init(weight):
        function(weight, **kwargs)

    def apply(module: nn.Module) -> None:
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)):
            return
        for param_name, param in module.named_parameters(recurse=False):
            if param.dim() >= 2:
                init(param.data)
            elif param_name.startswith("bias"):
                nn.init.zeros_(param.data)
        parametrizations = getattr(module, "parametrizations", None)
        if parametrizations is not None and "weight" in parametrizations:
            init(parametrizations.weight.original1.data)

    return apply
