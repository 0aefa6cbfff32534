"""Transformer encoder over a sequence (image rows or series steps), batch_first=True.

The source material's TransformerPredictor (docs/architecture.md) permutes to sequence-first and calls the wrong super(); this one
keeps (batch, steps, features) throughout.

For long series windows, `patch` embeds several steps per token (PatchTST, Nie et al. 2023: 336
hourly steps become 21 tokens of 16, so attention costs (336/16)^2 = 441 times less and each token
carries a local shape rather than a single value), and `window_norm` takes each window's level out
before the encoder and puts it back on the forecast (PatchTST uses RevIN for the same reason).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from zoo.models.common import PATCH_HELP, WINDOW_NORM_HELP, WINDOW_NORMS, SequenceModel, restore_forecast
from zoo.registry import DataShape, hp, register_model


@dataclass(frozen=True)
class TransformerConfig:
    d_model: int = hp(64, choices=(16, 32, 64, 128, 256), help="width of each token's embedding")
    heads: int = hp(4, choices=(1, 2, 4, 8), help="attention heads (each sees d_model / heads features)")
    layers: int = hp(2, low=1, high=6, help="encoder layers")
    dim_feedforward: int = hp(128, low=16, high=2048, log=True, help="hidden units of each feed-forward block")
    dropout: float = hp(0.1, low=0.0, high=0.5, step=0.05, help="dropout in attention and feed-forward blocks")
    pooling: str = hp("mean", choices=("mean", "last"), help="summarise the tokens by their mean or the last one")
    window_norm: str = hp("last", choices=WINDOW_NORMS, tasks=("series",), off="none",
                          help=WINDOW_NORM_HELP)
    patch: int = hp(1, low=1, high=96, log=True, tasks=("series",), off=1, help=PATCH_HELP)


class PositionalEncoding(nn.Module):
    """Fixed sinusoidal encodings (Vaswani et al., 2017), added to the token embeddings."""

    def __init__(self, d_model: int, max_len: int):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        table = torch.zeros(max_len, d_model)
        table[:, 0::2] = torch.sin(position * div)
        table[:, 1::2] = torch.cos(position * div)
        # Non-persistent: derived from the shape, so it is not saved in the state_dict.
        self.register_buffer("table", table.unsqueeze(0), persistent=False)

    def forward(self, x):
        return x + self.table[:, : x.size(1)]


class TransformerNet(SequenceModel):
    def __init__(self, config: TransformerConfig, shape: DataShape):
        super().__init__(config, shape)
        self.pooling = config.pooling
        self.embed = nn.Linear(self.token_features, config.d_model)
        self.position = PositionalEncoding(config.d_model, self.tokens)
        layer = nn.TransformerEncoderLayer(config.d_model, config.heads, config.dim_feedforward,
                                           config.dropout, batch_first=True)
        # enable_nested_tensor only helps with padding masks, which we never use.
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.head = nn.Linear(config.d_model, self.outputs)

    def forward(self, x):
        tokens, level, scale = self.read(x)
        tokens = self.encoder(self.position(self.embed(tokens)))
        summary = tokens.mean(dim=1) if self.pooling == "mean" else tokens[:, -1]
        return restore_forecast(self.head(summary), level, scale)


@register_model("transformer", tasks=("image", "series"), config=TransformerConfig)
def build_transformer(config: TransformerConfig, shape: DataShape) -> nn.Module:
    """Transformer encoder with sinusoidal positional encoding."""
    return TransformerNet(config, shape)
