#!/usr/bin/python3
"""make_qdq_models.py OUTDIR - pre-quantized ONNX models for the oracle
tests (tests/unit/test_oracle.c), built with onnx.helper and numpy (Debian's
python3-onnx 1.12, python3-numpy); onnxruntime-node gives the reference.

OUTDIR/qdq/model.onnx: QDQ format, int8 activations, per-channel int8 conv
    weights and int32 bias through DequantizeLinear, Conv -> Relu -> Q/DQ ->
    MaxPool -> Flatten -> Gemm (per-tensor int8 weights) -> Q/DQ.
OUTDIR/qlinear/model.onnx: operator format, uint8 activations:
    QuantizeLinear -> QLinearConv (per-channel int8 weights, int32 bias) ->
    Reshape -> QLinearMatMul (uint8 weights) -> DequantizeLinear.
Each with inputs.npy [N, <input shape>] float32 and calib.npy. Seeded.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else "oracle"
F = TensorProto.FLOAT


def init(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def save(d, graph):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="make_qdq_models.py")
    model.ir_version = 7
    onnx.checker.check_model(model)
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))


def per_channel(w):
    s = np.abs(w.reshape(w.shape[0], -1)).max(1) / 127.0
    q = np.clip(np.round(w / s.reshape(-1, *([1] * (w.ndim - 1)))), -127, 127).astype(np.int8)
    return q, s.astype(np.float32)


def qdq_model(rng, d):
    w = rng.standard_normal((6, 3, 3, 3)).astype(np.float32) * 0.3
    b = rng.standard_normal(6).astype(np.float32) * 0.1
    wq, ws = per_channel(w)
    xs, xz = np.float32(4.0 / 255), np.int8(0)
    bq = np.round(b / (xs * ws)).astype(np.int32)
    fc = rng.standard_normal((5, 6 * 4 * 4)).astype(np.float32) * 0.2
    fs = np.float32(np.abs(fc).max() / 127)
    fq = np.clip(np.round(fc / fs), -127, 127).astype(np.int8)
    fb = rng.standard_normal(5).astype(np.float32) * 0.1
    a_s, a_z = np.float32(3.0 / 255), np.int8(-128)
    y_s, y_z = np.float32(6.0 / 255), np.int8(0)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
        helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], axis=0),
        helper.make_node("DequantizeLinear", ["bq", "bs", "bz"], ["bd"], axis=0),
        helper.make_node("Conv", ["xd", "wd", "bd"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("QuantizeLinear", ["r", "as", "az"], ["rq"]),
        helper.make_node("DequantizeLinear", ["rq", "as", "az"], ["rd"]),
        helper.make_node("MaxPool", ["rd"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("QuantizeLinear", ["p", "as", "az"], ["pq"]),
        helper.make_node("DequantizeLinear", ["pq", "as", "az"], ["pd"]),
        helper.make_node("Flatten", ["pd"], ["f"]),
        helper.make_node("DequantizeLinear", ["fq", "fs"], ["fd"]),
        helper.make_node("Gemm", ["f", "fd", "fb"], ["g"], transB=1),
        helper.make_node("QuantizeLinear", ["g", "ys", "yz"], ["gq"]),
        helper.make_node("DequantizeLinear", ["gq", "ys", "yz"], ["y"]),
    ]
    inits = [init("xs", xs), init("xz", xz), init("wq", wq), init("ws", ws),
             init("wz", np.zeros(6, np.int8)), init("bq", bq), init("bs", (xs * ws).astype(np.float32)),
             init("bz", np.zeros(6, np.int32)), init("as", a_s), init("az", a_z),
             init("fq", fq), init("fs", fs), init("fb", fb), init("ys", y_s), init("yz", y_z)]
    g = helper.make_graph(nodes, "qdq", [helper.make_tensor_value_info("x", F, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", F, [1, 5])], inits)
    save(d, g)


def qlinear_model(rng, d):
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32) * 0.4
    wq, ws = per_channel(w)
    xs, xz = np.float32(4.0 / 255), np.uint8(128)
    b = rng.standard_normal(4).astype(np.float32) * 0.1
    bq = np.round(b / (xs * ws)).astype(np.int32)
    cs, cz = np.float32(5.0 / 255), np.uint8(100)
    m = rng.standard_normal((4 * 6 * 6, 3)).astype(np.float32) * 0.1
    ms = np.float32((m.max() - m.min()) / 255)
    mz = np.uint8(np.clip(np.round(-m.min() / ms), 0, 255))
    mq = np.clip(np.round(m / ms) + mz, 0, 255).astype(np.uint8)
    ys, yz = np.float32(4.0 / 255), np.uint8(128)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
        helper.make_node("QLinearConv", ["xq", "xs", "xz", "wq", "ws", "wz", "cs", "cz", "bq"],
                         ["c"], pads=[0, 0, 0, 0]),
        helper.make_node("Reshape", ["c", "shape"], ["f"]),
        helper.make_node("QLinearMatMul", ["f", "cs", "cz", "mq", "ms", "mz", "ys", "yz"], ["mm"]),
        helper.make_node("DequantizeLinear", ["mm", "ys", "yz"], ["y"]),
    ]
    inits = [init("xs", xs), init("xz", xz), init("wq", wq), init("ws", ws),
             init("wz", np.zeros(4, np.int8)), init("bq", bq), init("cs", cs), init("cz", cz),
             init("shape", np.array([1, 4 * 6 * 6], np.int64)), init("mq", mq), init("ms", ms),
             init("mz", mz), init("ys", ys), init("yz", yz)]
    g = helper.make_graph(nodes, "qlinear", [helper.make_tensor_value_info("x", F, [1, 2, 8, 8])],
                          [helper.make_tensor_value_info("y", F, [1, 3])], inits)
    save(d, g)


if __name__ == "__main__":
    rng = np.random.default_rng(11)
    for name, fn, shape in [("qdq", qdq_model, (1, 3, 8, 8)), ("qlinear", qlinear_model, (1, 2, 8, 8))]:
        d = os.path.join(OUT, name)
        fn(rng, d)
        np.save(os.path.join(d, "inputs.npy"),
                rng.uniform(-1.5, 1.5, (16, *shape)).astype(np.float32))
        np.save(os.path.join(d, "calib.npy"),
                rng.uniform(-1.5, 1.5, (16, *shape)).astype(np.float32))
