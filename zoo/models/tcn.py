"""TCN: causal dilated convolutions with residual blocks (Bai, Kolter and Koltun, 2018).

The source material's version (docs/architecture.md) uses the deprecated `nn.utils.weight_norm`; this one uses
`torch.nn.utils.parametrizations.weight_norm`, whose weight is recomputed from `original0`
(the norm g) and `original1` (the direction v).

For series, `window_norm` (default `last`) has the network predict the deviation from the window's
level, and `patch` (default 1) convolves over tokens of several steps, which both shortens a long
window (336 hourly steps: 14 tokens of 24) and widens the receptive field by the same factor.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from zoo.models.common import PATCH_HELP, WINDOW_NORM_HELP, WINDOW_NORMS, SequenceModel, restore_forecast
from zoo.registry import DataShape, hp, register_model


@dataclass(frozen=True)
class TCNConfig:
    channels: int = hp(32, low=4, high=256, log=True, help="channels in every temporal block")
    levels: int = hp(4, low=1, high=8, help="temporal blocks; block i dilates by 2**i")
    kernel_size: int = hp(3, low=2, high=7, help="taps of each causal convolution")
    dropout: float = hp(0.1, low=0.0, high=0.5, step=0.05, help="dropout inside each block")
    window_norm: str = hp("last", choices=WINDOW_NORMS, tasks=("series",), off="none",
                          help=WINDOW_NORM_HELP)
    patch: int = hp(1, low=1, high=96, log=True, tasks=("series",), off=1, help=PATCH_HELP)


class Chomp1d(nn.Module):
    """Drop the right padding so that output step t sees inputs up to t only (causality)."""

    def __init__(self, chomp: int):
        super().__init__()
        self.chomp = chomp

    def forward(self, x):
        return x[:, :, : -self.chomp].contiguous() if self.chomp else x


class TemporalBlock(nn.Module):
    def __init__(self, n_in: int, n_out: int, kernel_size: int, dilation: int, dropout: float):
        super().__init__()
        pad = (kernel_size - 1) * dilation
        self.net = nn.Sequential(
            weight_norm(nn.Conv1d(n_in, n_out, kernel_size, padding=pad, dilation=dilation)),
            Chomp1d(pad), nn.ReLU(), nn.Dropout(dropout),
            weight_norm(nn.Conv1d(n_out, n_out, kernel_size, padding=pad, dilation=dilation)),
            Chomp1d(pad), nn.ReLU(), nn.Dropout(dropout),
        )
        self.downsample = nn.Conv1d(n_in, n_out, 1) if n_in != n_out else nn.Identity()
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.net(x) + self.downsample(x))


class TCN(SequenceModel):
    def __init__(self, config: TCNConfig, shape: DataShape):
        super().__init__(config, shape)
        blocks = []
        n_in = self.token_features
        for level in range(config.levels):
            blocks.append(TemporalBlock(n_in, config.channels, config.kernel_size, 2 ** level, config.dropout))
            n_in = config.channels
        self.network = nn.Sequential(*blocks)
        self.head = nn.Linear(config.channels, self.outputs)

    def forward(self, x):
        tokens, level, scale = self.read(x)
        seq = tokens.transpose(1, 2)   # (B, features, steps) for Conv1d
        # The last step has seen the last 1 + 2 (kernel_size - 1)(2**levels - 1) steps (tokens).
        return restore_forecast(self.head(self.network(seq)[:, :, -1]), level, scale)


@register_model("tcn", tasks=("image", "series"), config=TCNConfig)
def build_tcn(config: TCNConfig, shape: DataShape) -> nn.Module:
    """Temporal convolutional network (causal, dilated, residual)."""
    return TCN(config, shape)
