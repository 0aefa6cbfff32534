"""Small pieces shared by the model families."""
from __future__ import annotations

import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
}


def activation(name: str) -> nn.Module:
    # Never inplace: an inplace ReLU breaks full backward hooks (Grad-CAM, the hooks lab).
    return ACTIVATIONS[name]()


def as_sequence(x: torch.Tensor) -> torch.Tensor:
    """Image batches (B, C, H, W) become sequences of rows (B, H, C*W); series pass unchanged.

    This is how the source material's MNIST RNN reads a digit (docs/architecture.md): one pixel row per time step.
    """
    if x.dim() == 4:
        b, c, h, w = x.shape
        return x.permute(0, 2, 1, 3).reshape(b, h, c * w)
    return x


def sequence_dims(shape) -> tuple[int, int, int]:
    """(steps, features per step, outputs) of a model that reads its input as a sequence."""
    sample, (outputs,) = shape.input_shape(), shape.output_shape()
    if len(sample) == 3:   # an image (C, H, W) is read row by row, as in as_sequence
        channels, height, width = sample
        return height, channels * width, outputs
    steps, features = sample
    return steps, features, outputs


# ---------------------------------------------------------------------------------------------
# Series-only pieces for long input windows (declared per model as `window_norm` and `patch`).

WINDOW_NORMS = ("none", "last", "revin")
WINDOW_NORM_HELP = ("series only: take each input window's level out and add it back to the forecast: "
                    "last = subtract the last value (NLinear), revin = subtract the mean and divide by the "
                    "std (RevIN, no affine); none = raw window")
PATCH_HELP = ("steps per token: the sequence is read as ceil(steps / patch) tokens of patch steps each "
              "(PatchTST, SegRNN), which shortens long windows; 1 = one step per token")
REVIN_EPS = 1e-5


def normalise_window(x: torch.Tensor, mode: str) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """(window, level, scale): the window (B, L, C) with each channel's level (and scale) taken out.

    The model then predicts the target's deviation from that level, in units of that scale, so a
    window shifted by c gets a forecast shifted by c (and with revin, scaled windows scaled
    forecasts): the network never has to carry the absolute level through its layers, which is
    what makes deep models lose to "repeat the last value" on drifting series such as ETTh1's OT.
    `restore_forecast` puts the target channel's (the last) level and scale back on the output.
    """
    if mode == "none":
        return x, None, None
    if mode == "last":
        level = x[:, -1:, :]
        return x - level, level, None
    if mode == "revin":
        level = x.mean(dim=1, keepdim=True)
        scale = torch.sqrt(x.var(dim=1, keepdim=True, unbiased=False) + REVIN_EPS)
        return (x - level) / scale, level, scale
    raise ValueError(f"window_norm must be one of {WINDOW_NORMS}, not {mode!r}")


def restore_forecast(y: torch.Tensor, level: torch.Tensor | None, scale: torch.Tensor | None) -> torch.Tensor:
    """The (B, H) output back on the window's own level and scale (those of the target channel)."""
    if scale is not None:
        y = y * scale[:, 0, -1:]
    if level is not None:
        y = y + level[:, 0, -1:]
    return y


def to_patches(seq: torch.Tensor, patch: int) -> torch.Tensor:
    """(B, T, F) -> (B, ceil(T / patch), patch * F): consecutive steps grouped into one token.

    When T is not a multiple of `patch`, the first step is repeated in front, so the last token
    always ends with the newest step (the one a recurrent model's final state or a causal
    convolution's last output should have seen).
    """
    if patch <= 1:
        return seq
    b, t, f = seq.shape
    pad = (-t) % patch
    if pad:
        seq = torch.cat([seq[:, :1].expand(-1, pad, -1), seq], dim=1)
    return seq.reshape(b, (t + pad) // patch, patch * f)


def patched_dims(shape, patch: int) -> tuple[int, int, int]:
    """(tokens, features per token, outputs) of a sequence model that reads `patch` steps per token."""
    steps, features, outputs = sequence_dims(shape)
    patch = max(1, int(patch))
    return -(-steps // patch), features * patch, outputs


class SequenceModel(nn.Module):
    """Base of the models that read their input as a sequence of tokens: an image's rows, or a
    window's steps grouped `patch` at a time, with the window's level taken out first
    (`window_norm`). Subclasses put the level back on their output with `restore_forecast`."""

    def __init__(self, config, shape):
        super().__init__()
        self.tokens, self.token_features, self.outputs = patched_dims(shape, config.patch)
        self.patch, self.window_norm = config.patch, config.window_norm

    def read(self, x: torch.Tensor):
        """(tokens (B, T, F), level, scale) of an input batch."""
        x, level, scale = normalise_window(x, self.window_norm)
        return to_patches(as_sequence(x), self.patch), level, scale
