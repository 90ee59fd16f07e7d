#!/usr/bin/python3
"""make_demo_onnx.py OUT.onnx - the ONNX model `make demo` deploys.

A small float32 CNN on a 3x64x64 image (10 classes), exported from PyTorch
(opset 13) with seeded weights. Its first convolution's output (12x64x64
float32, 192 KiB) next to its input makes the arena about 240 KiB, so it
fits the larger demo profiles (stm32f746, esp32c3, stm32l4r5) and is
refused on nrf52840 and rp2040 for RAM. Takes a second or two.
"""
import sys

import torch
import torch.nn as nn

torch.manual_seed(8)
torch.set_num_threads(1)


class DemoCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(3, 12, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4),
            nn.Conv2d(12, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
            nn.Flatten(), nn.Linear(16, 10))

    def forward(self, x):
        return self.f(x)


model = DemoCNN().eval()
torch.onnx.export(model, torch.zeros(1, 3, 64, 64), sys.argv[1] if len(sys.argv) > 1 else "demo.onnx",
                  input_names=["image"], output_names=["logits"], opset_version=13)
