#!/usr/bin/python3
"""make_onnx_models.py - small ONNX models for tests/unit/test_onnx.c.

Run with Debian's python (python3-onnx, python3-numpy):
    /usr/bin/python3 tests/models/make_onnx_models.py
It rewrites tests/models/onnx/*.onnx (and the .npy/.bin files beside them).
Every model is deterministic (fixed seeds) and checked with onnx.checker,
except the deliberately broken ones. Expected values the C test compares
against (folded BatchNorm weights in the IR's layout) are computed here with
numpy, independently of the importer.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx")
F = TensorProto.FLOAT


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def save(name, nodes, inputs, outputs, inits, opset=13, check=True, value_info=None):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits, value_info=value_info or [])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="make_onnx_models.py")
    model.ir_version = 7
    if check:
        onnx.checker.check_model(model)
    path = os.path.join(OUT, name + ".onnx")
    onnx.save(model, path)
    return model


def conv_bn_relu_pool_fc(rng):
    """Conv -> BN (folded) -> Relu -> MaxPool -> Flatten -> Gemm -> Softmax."""
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    gamma = rng.uniform(0.5, 1.5, 4).astype(np.float32)
    beta = rng.standard_normal(4).astype(np.float32)
    mean = rng.standard_normal(4).astype(np.float32)
    var = rng.uniform(0.5, 2.0, 4).astype(np.float32)
    eps = 1e-3
    fc_w = rng.standard_normal((5, 64)).astype(np.float32)
    fc_b = rng.standard_normal(5).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["conv"], name="conv1", pads=[1, 1, 1, 1],
                         kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["conv", "gamma", "beta", "mean", "var"],
                         ["bn"], name="bn1", epsilon=eps),
        helper.make_node("Relu", ["bn"], ["relu"], name="relu1"),
        helper.make_node("MaxPool", ["relu"], ["pool"], name="pool1", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["fc"], name="fc", transB=1,
                         alpha=0.5, beta=2.0),
        helper.make_node("Softmax", ["fc"], ["y"], name="softmax", axis=-1),
    ]
    save("conv_bn_relu_pool_fc", nodes, [vi("x", ["batch", 3, 8, 8])], [vi("y", ["batch", 5])],
         [init("w", w), init("b", b), init("gamma", gamma), init("beta", beta),
          init("mean", mean), init("var", var), init("fc_w", fc_w), init("fc_b", fc_b)])
    s = gamma / np.sqrt(var + np.float32(eps))
    folded_w = (w * s[:, None, None, None]).astype(np.float32)
    folded_b = ((b - mean) * s + beta).astype(np.float32)
    # The IR holds conv weights as [C_out, KH, KW, C_in].
    np.save(os.path.join(OUT, "conv_bn_relu_pool_fc.folded_w.npy"),
            np.ascontiguousarray(folded_w.transpose(0, 2, 3, 1)))
    np.save(os.path.join(OUT, "conv_bn_relu_pool_fc.folded_b.npy"), folded_b)
    np.save(os.path.join(OUT, "conv_bn_relu_pool_fc.fc_w.npy"), (0.5 * fc_w).astype(np.float32))
    np.save(os.path.join(OUT, "conv_bn_relu_pool_fc.fc_b.npy"), (2.0 * fc_b).astype(np.float32))


def mobile_block(rng):
    """Depthwise conv (SAME_UPPER, stride 2), grouped conv, squeeze-excite with
    GlobalAveragePool, HardSigmoid, broadcast Mul, Add of a [C,1,1] constant,
    Concat on channels, BatchNorm that cannot fold (input is a graph input),
    HardSwish, AveragePool with count_include_pad, GlobalMaxPool."""
    dw = rng.standard_normal((8, 1, 3, 3)).astype(np.float32)
    gw = rng.standard_normal((8, 4, 1, 1)).astype(np.float32)
    bias_c = rng.standard_normal((8, 1, 1)).astype(np.float32)
    nodes = [
        helper.make_node("BatchNormalization", ["x", "g", "be", "m", "v"], ["bn"], name="bn_in"),
        helper.make_node("Conv", ["bn", "dw"], ["dw_out"], name="dw", group=8,
                         auto_pad="SAME_UPPER", strides=[2, 2]),
        helper.make_node("Conv", ["dw_out", "gw"], ["g_out"], name="grouped", group=2),
        helper.make_node("GlobalAveragePool", ["g_out"], ["se_pool"], name="se_pool"),
        helper.make_node("HardSigmoid", ["se_pool"], ["se_gate"], name="se_gate", alpha=0.25,
                         beta=0.4),
        helper.make_node("Mul", ["g_out", "se_gate"], ["se"], name="se_mul"),
        helper.make_node("Add", ["se", "bias_c"], ["biased"], name="add_c"),
        helper.make_node("HardSwish", ["biased"], ["hs"], name="hswish"),
        helper.make_node("Concat", ["hs", "dw_out"], ["cat"], name="cat", axis=1),
        helper.make_node("AveragePool", ["cat"], ["avg"], name="avg", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], count_include_pad=1),
        helper.make_node("GlobalMaxPool", ["avg"], ["y"], name="gmax"),
    ]
    c = 8
    save("mobile_block", nodes, [vi("x", [1, c, 10, 10])], [vi("y", [1, 16, 1, 1])],
         [init("g", np.ones(c, np.float32)), init("be", np.zeros(c, np.float32)),
          init("m", np.full(c, 0.5, np.float32)), init("v", np.full(c, 4.0, np.float32)),
          init("dw", dw), init("gw", gw), init("bias_c", bias_c)], opset=14)


def dense_ops(rng):
    """MatMul by constants (2-D and 3-D input), Sub/Div broadcasting, Clip,
    LeakyRelu, PRelu, Tanh, Sigmoid, Softmax over a middle axis."""
    w1 = rng.standard_normal((6, 4)).astype(np.float32)
    w2 = rng.standard_normal((4, 3)).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["mm1"], name="mm1"),
        helper.make_node("Sub", ["mm1", "sub_c"], ["sub"], name="sub"),
        helper.make_node("Div", ["sub", "div_c"], ["div"], name="div"),
        helper.make_node("Clip", ["div", "lo", "hi"], ["clip"], name="clip"),
        helper.make_node("LeakyRelu", ["clip"], ["leaky"], name="leaky", alpha=0.1),
        helper.make_node("PRelu", ["leaky", "slope"], ["prelu"], name="prelu"),
        helper.make_node("Tanh", ["prelu"], ["tanh"], name="tanh"),
        helper.make_node("MatMul", ["tanh", "w2"], ["mm2"], name="mm2"),
        helper.make_node("Sigmoid", ["mm2"], ["sig"], name="sig"),
        helper.make_node("Softmax", ["sig"], ["y"], name="softmax", axis=1),
    ]
    save("dense_ops", nodes, [vi("x", [2, 5, 6])], [vi("y", [2, 5, 3])],
         [init("w1", w1), init("w2", w2), init("sub_c", np.float32([0.5, -0.5, 1.0, 0.0])),
          init("div_c", np.float32(2.0)), init("lo", np.float32(-1.0)),
          init("hi", np.float32(1.0)), init("slope", np.float32([0.1, 0.2, 0.3, 0.4]))])


def shape_ops(rng):
    """PyTorch-style flatten through Shape/Gather/Unsqueeze/Concat/Reshape,
    Transpose, Squeeze/Unsqueeze, Slice, Split, Pad, ReduceMean, Constant,
    Identity and Dropout."""
    cw = rng.standard_normal((4, 2, 1, 1)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "cw"], ["c"], name="pw"),
        helper.make_node("Pad", ["c", "pads"], ["padded"], name="pad", mode="constant"),
        helper.make_node("Slice", ["padded", "starts", "ends", "axes", "steps"], ["sl"],
                         name="slice"),
        helper.make_node("Split", ["sl", "split"], ["s0", "s1"], name="split", axis=1),
        helper.make_node("ReduceMean", ["s0"], ["rm"], name="rmean", axes=[2, 3], keepdims=0),
        helper.make_node("Identity", ["s1"], ["ident"], name="ident"),
        helper.make_node("Dropout", ["ident"], ["drop"], name="drop"),
        helper.make_node("Shape", ["drop"], ["shp"], name="shape"),
        helper.make_node("Constant", [], ["zero"], name="const0",
                         value=helper.make_tensor("zero_t", TensorProto.INT64, [], [0])),
        helper.make_node("Gather", ["shp", "zero"], ["n"], name="gather", axis=0),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"], name="unsq_n"),
        helper.make_node("Concat", ["n1", "minus1"], ["newshape"], name="shape_cat", axis=0),
        helper.make_node("Reshape", ["drop", "newshape"], ["flat"], name="reshape"),
        helper.make_node("Unsqueeze", ["rm", "ax2"], ["rm3"], name="unsq"),
        helper.make_node("Transpose", ["rm3"], ["rmt"], name="transpose", perm=[0, 2, 1]),
        helper.make_node("Squeeze", ["rmt", "ax1"], ["y0"], name="squeeze"),
        helper.make_node("Identity", ["flat"], ["y1"], name="out_ident"),
    ]
    save("shape_ops", nodes, [vi("x", [1, 2, 6, 6])], [vi("y0", [1, 2]), vi("y1", [1, 32])],
         [init("cw", cw), init("pads", np.int64([0, 0, 1, 0, 0, 0, 0, 1])),
          init("starts", np.int64([1, 0])), init("ends", np.int64([5, 7])),
          init("axes", np.int64([2, 3])), init("steps", np.int64([1, 2])),
          init("split", np.int64([2, 2])), init("ax0", np.int64([0])),
          init("minus1", np.int64([-1])), init("ax2", np.int64([2])), init("ax1", np.int64([1]))])


def qdq(rng):
    """Quantized weights dequantized at import; a Q/DQ pair on activations."""
    wq = rng.integers(-127, 128, (3, 2, 1, 1)).astype(np.int8)
    wscale = np.float32([0.1, 0.2, 0.05])
    nodes = [
        helper.make_node("DequantizeLinear", ["wq", "wscale", "wzp"], ["w"], name="dq_w", axis=0),
        helper.make_node("QuantizeLinear", ["x", "xs", "xzp"], ["xq"], name="q_x"),
        helper.make_node("DequantizeLinear", ["xq", "xs", "xzp"], ["xdq"], name="dq_x"),
        helper.make_node("Conv", ["xdq", "w"], ["y"], name="conv"),
    ]
    save("qdq", nodes, [vi("x", [1, 2, 4, 4])], [vi("y", [1, 3, 4, 4])],
         [init("wq", wq), init("wscale", wscale), init("wzp", np.zeros(3, np.int8)),
          init("xs", np.float32(0.05)), init("xzp", np.int8(3))])
    np.save(os.path.join(OUT, "qdq.w.npy"),
            np.ascontiguousarray((wq.astype(np.float32) * wscale[:, None, None, None])
                                 .transpose(0, 2, 3, 1)))


def typed_fields(rng):
    """Initializers in float_data / int64_data instead of raw_data, and an
    old opset (9: Clip bounds as attributes)."""
    w = rng.standard_normal((3, 4)).astype(np.float32)
    wt = helper.make_tensor("w", F, [3, 4], w.flatten().tolist())
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [2, 2])
    ct = helper.make_tensor("c", F, [4], [0.5, 1.0, 1.5, 2.0])
    nodes = [
        helper.make_node("Gemm", ["x", "w", "c"], ["g"], name="gemm"),
        helper.make_node("Clip", ["g"], ["clip"], name="clip", min=0.0, max=6.0),
        helper.make_node("Reshape", ["clip", "shape"], ["y"], name="reshape"),
    ]
    save("typed_fields", nodes, [vi("x", [1, 3])], [vi("y", [2, 2])], [wt, ct, shape], opset=9)


def external_data(rng, bad_location):
    """Conv weights stored in a side file (external data)."""
    w = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    name = "external_bad" if bad_location else "external"
    t = numpy_helper.from_array(w, "w")
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    loc = "../escape.bin" if bad_location else "external.weights.bin"
    for k, v in (("location", loc), ("offset", "16"), ("length", str(w.nbytes))):
        e = t.external_data.add()
        e.key, e.value = k, v
    if not bad_location:
        with open(os.path.join(OUT, "external.weights.bin"), "wb") as f:
            f.write(b"\0" * 16 + w.tobytes())
        np.save(os.path.join(OUT, "external.w.npy"), np.ascontiguousarray(w.transpose(0, 2, 3, 1)))
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1])]
    save(name, nodes, [vi("x", [1, 1, 5, 5])], [vi("y", [1, 2, 5, 5])], [t], check=False)


def unsupported():
    nodes = [helper.make_node("Einsum", ["x", "x"], ["y"], name="ein", equation="ij,ij->ij")]
    save("unsupported_op", nodes, [vi("x", [2, 2])], [vi("y", [2, 2])], [], check=False)
    nodes = [helper.make_node("FancyOp", ["x"], ["y"], name="fancy", domain="com.example")]
    graph = helper.make_graph(nodes, "foreign_domain", [vi("x", [2, 2])], [vi("y", [2, 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("com.example", 1)])
    onnx.save(model, os.path.join(OUT, "foreign_domain.onnx"))
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    save("dynamic_dim", nodes, [vi("x", [1, "h", 4])], [vi("y", [1, "h", 4])], [], check=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(1234)
    conv_bn_relu_pool_fc(rng)
    mobile_block(rng)
    dense_ops(rng)
    shape_ops(rng)
    qdq(rng)
    typed_fields(rng)
    external_data(rng, False)
    external_data(rng, True)
    unsupported()
    for f in sorted(os.listdir(OUT)):
        size = os.path.getsize(os.path.join(OUT, f))
        assert size < 20000, f
        print(f"{f}: {size} bytes")


if __name__ == "__main__":
    main()
