"""LeNet-5 in the original thesis' 28x28, no-padding variant.

The layer attribute names (``conv1``, ``conv2``, ``fc1``, ``fc2``, ``fc3``) are part of the
contract: experiments select weights by these names, and the original's checkpoints use them as
state-dict keys. Each ReLU is its own module so the quantized variant can fuse conv/fc + ReLU.
"""

from __future__ import annotations

import torch
from torch import nn


class LeNet5(nn.Module):
    """conv(1->6,k5)-ReLU-pool, conv(6->16,k5)-ReLU-pool, fc 256->120->84->10; 44,426 parameters."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(120, 84)
        self.relu4 = nn.ReLU()
        self.fc3 = nn.Linear(84, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        return self.flatten(x)

    def classifier(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu3(self.fc1(x))
        x = self.relu4(self.fc2(x))
        return self.fc3(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
