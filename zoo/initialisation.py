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
