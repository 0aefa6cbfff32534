"""RNN, LSTM and GRU: read a sequence step by step (image rows, or a series window).

Like the source material's MNIST RNN (docs/architecture.md), a 28x28 digit is 28 time steps of 28 pixels. The prediction comes
from the last layer's final hidden state (both directions when bidirectional), not from the
last output step, which for the reverse direction has seen a single element.

For long series windows two declared options help: `patch` reads several steps per recurrent step
(SegRNN, Lin et al. 2023: 336 hourly steps become 14 daily tokens, so the gradient crosses 14
steps instead of 336 and an epoch costs a small fraction; default 1, step by step as the source material), and
`window_norm` (default `last`, series only) makes the network predict the deviation from the
window's last value instead of the level itself, so it starts out near the naive forecast.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from zoo.models.common import PATCH_HELP, WINDOW_NORM_HELP, WINDOW_NORMS, SequenceModel, restore_forecast
from zoo.registry import DataShape, hp, register_model


@dataclass(frozen=True)
class RecurrentConfig:
    hidden_size: int = hp(128, low=8, high=1024, log=True, help="features in the hidden state")
    num_layers: int = hp(1, low=1, high=4, help="stacked recurrent layers")
    bidirectional: bool = hp(False, help="also read the sequence backwards")
    dropout: float = hp(0.0, low=0.0, high=0.5, step=0.05, help="dropout between stacked layers (needs num_layers > 1)",
                        used_from=("num_layers", 2))
    window_norm: str = hp("last", choices=WINDOW_NORMS, tasks=("series",), off="none",
                          help=WINDOW_NORM_HELP)
    patch: int = hp(1, low=1, high=96, log=True, tasks=("series",), off=1, help=PATCH_HELP)


@dataclass(frozen=True)
class RNNConfig(RecurrentConfig):
    nonlinearity: str = hp("tanh", choices=("tanh", "relu"), help="the Elman RNN's non-linearity")


@dataclass(frozen=True)
class LSTMConfig(RecurrentConfig):
    pass


@dataclass(frozen=True)
class GRUConfig(RecurrentConfig):
    pass


class RecurrentNet(SequenceModel):
    def __init__(self, cell: str, config: RecurrentConfig, shape: DataShape):
        super().__init__(config, shape)
        kwargs = dict(input_size=self.token_features, hidden_size=config.hidden_size, num_layers=config.num_layers,
                      batch_first=True, bidirectional=config.bidirectional,
                      dropout=config.dropout if config.num_layers > 1 else 0.0)
        if cell == "rnn":
            kwargs["nonlinearity"] = config.nonlinearity
        self.cell = cell
        self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](**kwargs)
        directions = 2 if config.bidirectional else 1
        self.head = nn.Linear(config.hidden_size * directions, self.outputs)
        self.directions = directions

    def forward(self, x):
        tokens, level, scale = self.read(x)
        _, state = self.rnn(tokens)
        hidden = state[0] if self.cell == "lstm" else state   # LSTM returns (h_n, c_n)
        last_layer = hidden[-self.directions:]                  # (directions, B, hidden)
        return restore_forecast(self.head(torch.cat(list(last_layer), dim=-1)), level, scale)


@register_model("rnn", tasks=("image", "series"), config=RNNConfig)
def build_rnn(config: RNNConfig, shape: DataShape) -> nn.Module:
    """Elman recurrent network (nn.RNN)."""
    return RecurrentNet("rnn", config, shape)


@register_model("lstm", tasks=("image", "series"), config=LSTMConfig)
def build_lstm(config: LSTMConfig, shape: DataShape) -> nn.Module:
    """Long short-term memory network (nn.LSTM)."""
    return RecurrentNet("lstm", config, shape)


@register_model("gru", tasks=("image", "series"), config=GRUConfig)
def build_gru(config: GRUConfig, shape: DataShape) -> nn.Module:
    """Gated recurrent unit network (nn.GRU)."""
    return RecurrentNet("gru", config, shape)
