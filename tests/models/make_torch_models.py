#!/usr/bin/python3
"""make_torch_models.py OUTDIR - PyTorch models and reference data for the
oracle tests (tests/unit/test_oracle.c). Run at test time with Debian's
python (python3-torch, python3-onnx, python3-numpy, python3-sklearn):

    /usr/bin/python3 tests/models/make_torch_models.py build/tests/oracle

For each of four small models (a CNN, a depthwise-separable net, an MLP
ending in softmax, a residual net) it trains briefly on a synthetic task
(so logits have margins and top-1 agreement means something), exports
ONNX (opset 13), and writes into OUTDIR/<model>/:
    model.onnx
    inputs.npy   [N, <input shape>]  test inputs
    torch.npy    [N, <output shape>] PyTorch's outputs for them
    calib.npy    [M, <input shape>]  calibration inputs (same distribution)
Then OUTDIR/digits/: a classifier trained on scikit-learn's bundled digits
(8x8 images, 10 classes), split 75/25 with a fixed seed:
    model.onnx, calib.npy (training images), test_x.npy, test_y.npy (int64),
    torch_acc.txt (PyTorch's accuracy on the held-out split)
Everything is seeded; the files are stamped by this script and torch's
version (stamp.txt).
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(2)
OUT = sys.argv[1] if len(sys.argv) > 1 else "oracle"


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
            nn.Linear(16 * 4 * 4, 10))

    def forward(self, x):
        return self.f(x)


def dw_block(c_in, c_out, stride):
    return [nn.Conv2d(c_in, c_in, 3, stride=stride, padding=1, groups=c_in), nn.BatchNorm2d(c_in),
            nn.ReLU6(), nn.Conv2d(c_in, c_out, 1), nn.BatchNorm2d(c_out), nn.ReLU6()]


class DSNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU6(),
            *dw_block(8, 16, 1), *dw_block(16, 24, 2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, 10))

    def forward(self, x):
        return self.f(x)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 32), nn.ReLU(),
                               nn.Linear(32, 10), nn.Softmax(dim=-1))

    def forward(self, x):
        return self.f(x)


class Block(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.a = nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1),
                               nn.BatchNorm2d(c_out), nn.ReLU(),
                               nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out))
        self.skip = nn.Identity() if stride == 1 and c_in == c_out else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride=stride), nn.BatchNorm2d(c_out))
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.a(x) + self.skip(x))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.b1 = Block(8, 8, 1)
        self.b2 = Block(8, 16, 2)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))

    def forward(self, x):
        return self.head(self.b2(self.b1(self.stem(x))))


def train_synthetic(model, shape, seed, steps=60):
    """A teacher task: labels are the argmax of a fixed random projection
    of the (smoothed) input, so the net learns something input-dependent."""
    g = torch.Generator().manual_seed(seed)
    n_in = int(np.prod(shape))
    teacher = torch.randn(n_in, 10, generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    is_softmax = isinstance(model, MLP)
    for _ in range(steps):
        x = torch.randn(32, *shape, generator=g)
        y = (x.reshape(32, -1) @ teacher).argmax(1)
        out = model(x)
        loss = nn.functional.nll_loss(torch.log(out + 1e-9), y) if is_softmax \
            else nn.functional.cross_entropy(out, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()


def export(model, shape, d):
    os.makedirs(d, exist_ok=True)
    x = torch.zeros(1, *shape)
    torch.onnx.export(model, x, os.path.join(d, "model.onnx"), opset_version=13,
                      input_names=["x"], output_names=["y"], do_constant_folding=True)


def zoo():
    specs = [("cnn", CNN, (3, 16, 16)), ("dsnet", DSNet, (3, 16, 16)),
             ("mlp", MLP, (64,)), ("resnet", ResNet, (3, 16, 16))]
    for i, (name, cls, shape) in enumerate(specs):
        torch.manual_seed(100 + i)
        model = cls()
        train_synthetic(model, shape, 200 + i)
        d = os.path.join(OUT, name)
        export(model, shape, d)
        g = torch.Generator().manual_seed(300 + i)
        inputs = torch.randn(32, 1, *shape, generator=g)
        calib = torch.randn(64, 1, *shape, generator=g)
        with torch.no_grad():
            outs = torch.stack([model(inputs[k]) for k in range(inputs.shape[0])])
        np.save(os.path.join(d, "inputs.npy"), inputs.numpy().astype(np.float32))
        np.save(os.path.join(d, "calib.npy"), calib.numpy().astype(np.float32))
        np.save(os.path.join(d, "torch.npy"), outs.numpy().astype(np.float32))


class DigitsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(1, 12, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(12, 24, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(24 * 2 * 2, 48), nn.ReLU(), nn.Linear(48, 10))

    def forward(self, x):
        return self.f(x)


def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None, :, :]   # [N, 1, 8, 8] in [0, 1]
    y = data.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=0,
                                              stratify=y)
    torch.manual_seed(7)
    model = DigitsNet()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    g = torch.Generator().manual_seed(8)
    model.train()
    for _ in range(12):
        perm = torch.randperm(len(xt), generator=g)
        for k in range(0, len(xt), 64):
            idx = perm[k:k + 64]
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(torch.from_numpy(x_te)).argmax(1).numpy() == y_te).mean()
    d = os.path.join(OUT, "digits")
    export(model, (1, 8, 8), d)
    np.save(os.path.join(d, "calib.npy"), x_tr[:256][:, None])     # [256, 1, 1, 8, 8]
    np.save(os.path.join(d, "test_x.npy"), x_te[:, None])          # [450, 1, 1, 8, 8]
    np.save(os.path.join(d, "test_y.npy"), y_te)
    with open(os.path.join(d, "torch_acc.txt"), "w") as f:
        f.write("%.6f\n" % acc)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    zoo()
    digits()
    with open(os.path.join(OUT, "stamp.txt"), "w") as f:
        f.write("generated by tests/models/make_torch_models.py using torch %s, numpy %s\n"
                % (torch.__version__, np.__version__))
