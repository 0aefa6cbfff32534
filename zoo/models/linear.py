"""Linear forecasters: NLinear and DLinear (Zeng et al., "Are Transformers Effective for Time
Series Forecasting?", AAAI 2023), the baselines that long-horizon forecasting papers must beat.

Input (B, L, C) with the target as the last channel; output the next H target values.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from zoo.registry import DataShape, hp, register_model


@dataclass(frozen=True)
class LinearConfig:
    variant: str = hp("nlinear", choices=("nlinear", "dlinear", "linear"),
                      help="nlinear: subtract the last value; dlinear: trend + remainder; linear: plain")
    moving_avg: int = hp(25, low=3, high=101, step=2, help="DLinear's moving-average kernel for the trend (odd)",
                         used_from=("variant", "dlinear"))


class MovingAverage(nn.Module):
    """Trend by a centred moving average, padding both ends with the edge values (as DLinear)."""

    def __init__(self, kernel: int):
        super().__init__()
        self.kernel = kernel

    def forward(self, x):  # x: (B, L, C)
        half = (self.kernel - 1) // 2
        padded = torch.cat([x[:, :1].expand(-1, half, -1), x, x[:, -1:].expand(-1, half, -1)], dim=1)
        return F.avg_pool1d(padded.transpose(1, 2), self.kernel, stride=1).transpose(1, 2)


class LinearForecaster(nn.Module):
    def __init__(self, config: LinearConfig, shape: DataShape):
        super().__init__()
        self.variant = config.variant
        # NLinear is window_norm `last` (zoo/models/common.normalise_window): read by zoo/explain.adds_last_value_back
        self.window_norm = "last" if config.variant == "nlinear" else "none"
        n_in = shape.lookback * shape.n_features
        self.linear = nn.Linear(n_in, shape.horizon)
        if config.variant == "dlinear":
            self.decompose = MovingAverage(config.moving_avg)
            self.trend = nn.Linear(n_in, shape.horizon)

    def forward(self, x):
        if self.variant == "nlinear":
            last = x[:, -1:, :]
            return self.linear((x - last).flatten(1)) + last[:, 0, -1:]
        if self.variant == "dlinear":
            trend = self.decompose(x)
            return self.linear((x - trend).flatten(1)) + self.trend(trend.flatten(1))
        return self.linear(x.flatten(1))


@register_model("linear", tasks=("series",), config=LinearConfig)
def build_linear(config: LinearConfig, shape: DataShape) -> nn.Module:
    """NLinear / DLinear: one linear map from the window to the horizon."""
    return LinearForecaster(config, shape)
