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

    This is how the seed's MNIST RNN reads a digit: one pixel row per time step.
    """
    if x.dim() == 4:
        b, c, h, w = x.shape
        return x.permute(0, 2, 1, 3).reshape(b, h, c * w)
    return x


def sequence_dims(shape) -> tuple[int, int, int]:
    """(steps, features per step, outputs) of a model that reads its input as a sequence."""
    if shape.task == "image":
        return shape.height, shape.channels * shape.width, shape.num_classes
    return shape.lookback, shape.n_features, shape.horizon
