"""MLP: the source material's FNN (Linear -> activation -> Linear), with depth, width and dropout to vary.

For series, `window_norm` (default `last`) feeds the window minus its last value and adds that
value back to the output, as NLinear does, so the network learns the change from the present.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from torch import nn

from zoo.models.common import (ACTIVATIONS, WINDOW_NORM_HELP, WINDOW_NORMS, activation, normalise_window,
                               restore_forecast)
from zoo.registry import DataShape, hp, register_model


@dataclass(frozen=True)
class MLPConfig:
    depth: int = hp(2, low=1, high=6, help="number of hidden layers")
    width: int = hp(256, low=16, high=2048, log=True, help="units in each hidden layer")
    activation: str = hp("relu", choices=tuple(ACTIVATIONS), help="non-linearity after each hidden layer")
    dropout: float = hp(0.1, low=0.0, high=0.7, step=0.05, help="dropout after each hidden layer (train mode only)")
    window_norm: str = hp("last", choices=WINDOW_NORMS, tasks=("series",), off="none",
                          help=WINDOW_NORM_HELP)


class MLP(nn.Module):
    def __init__(self, config: MLPConfig, in_features: int, out_features: int):
        super().__init__()
        self.window_norm = config.window_norm
        layers: list[nn.Module] = [nn.Flatten()]
        width_in = in_features
        for _ in range(config.depth):
            layers += [nn.Linear(width_in, config.width), activation(config.activation), nn.Dropout(config.dropout)]
            width_in = config.width
        layers.append(nn.Linear(width_in, out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        x, level, scale = normalise_window(x, self.window_norm)
        return restore_forecast(self.net(x), level, scale)


@register_model("mlp", tasks=("image", "series"), config=MLPConfig)
def build_mlp(config: MLPConfig, shape: DataShape) -> nn.Module:
    """Fully connected network on the flattened input."""
    return MLP(config, math.prod(shape.input_shape()), math.prod(shape.output_shape()))
