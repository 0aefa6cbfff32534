"""CNN: the source material's LeNet-style Net (conv 6 -> pool -> conv 16 -> pool -> 120 -> 84 -> classes)."""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from zoo.models.common import ACTIVATIONS, activation
from zoo.registry import DataShape, hp, register_model


@dataclass(frozen=True)
class CNNConfig:
    channels1: int = hp(6, low=2, high=128, log=True, help="filters in the first convolution")
    channels2: int = hp(16, low=2, high=256, log=True, help="filters in the second convolution")
    kernel_size: int = hp(5, choices=(3, 5), help="side of the square convolution kernels")
    hidden1: int = hp(120, low=16, high=1024, log=True, help="units in the first fully connected layer")
    hidden2: int = hp(84, low=16, high=1024, log=True, help="units in the second fully connected layer")
    batch_norm: bool = hp(False, help="BatchNorm2d after each convolution (running stats are buffers)")
    dropout: float = hp(0.0, low=0.0, high=0.7, step=0.05,
                        help="dropout before the two hidden fully connected layers (not before the output layer)")
    activation: str = hp("relu", choices=tuple(ACTIVATIONS), help="non-linearity")


class LeNet(nn.Module):
    def __init__(self, config: CNNConfig, shape: DataShape):
        super().__init__()
        k = config.kernel_size
        side_h, side_w = shape.height, shape.width
        blocks: list[nn.Module] = []
        in_ch = shape.channels
        for out_ch in (config.channels1, config.channels2):
            blocks.append(nn.Conv2d(in_ch, out_ch, k))
            if config.batch_norm:
                blocks.append(nn.BatchNorm2d(out_ch))
            blocks += [activation(config.activation), nn.MaxPool2d(2, 2)]
            side_h, side_w = (side_h - k + 1) // 2, (side_w - k + 1) // 2
            in_ch = out_ch
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(config.dropout),
            nn.Linear(in_ch * side_h * side_w, config.hidden1),
            activation(config.activation),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden1, config.hidden2),
            activation(config.activation),
            nn.Linear(config.hidden2, shape.num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


@register_model("cnn", tasks=("image",), config=CNNConfig)
def build_cnn(config: CNNConfig, shape: DataShape) -> nn.Module:
    """LeNet-style convolutional network."""
    return LeNet(config, shape)
