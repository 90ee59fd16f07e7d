/*
 * test_onnx.c - the ONNX importer on small models made by
 * tests/models/make_onnx_models.py (onnx 1.12 / numpy; expected weights in
 * the .npy files beside the models were computed there with numpy).
 *
 * Checks the imported IR: ops, shapes and NHWC layout (via tml_ir_dump),
 * attributes, BatchNorm folding and weight layouts against numpy (float
 * tolerance 1e-5 relative), external data and its path checks, error
 * messages for what is unsupported, sniffing, robustness against truncated
 * and bit-flipped files, and clean failure on every allocation.
 */
#include <math.h>
#include <stdlib.h>

#include "tml_test.h"
#include "tml/npy.h"
#include "tml/onnx.h"

#define MODEL(name) tml_test_source("tests/models/onnx/" name)

static char *dump(const tml_ir_graph_t *g)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    tml_ir_dump(g, f);
    fclose(f);
    return text;
}

/* Imports a model file (NHWC unless nchw); fails the test on error. */
static void import_file(const char *path, bool nchw, tml_ir_graph_t *g)
{
    size_t len;
    uint8_t *buf = tml_test_read(path, &len);
    tml_err_t err;
    tml_err_clear(&err);
    if (nchw)
        TML_ASSERT_OK_ERR(tml_onnx_import_nchw(buf, len, path, g, &err), &err);
    else
        TML_ASSERT_OK_ERR(tml_onnx_import(buf, len, path, g, &err), &err);
    tml_free(buf);
}

/* Imports expecting failure with status want; returns the message. */
static void import_fails(const char *path, tml_status_t want, const char *const *needles)
{
    size_t len;
    uint8_t *buf = tml_test_read(path, &len);
    tml_err_t err;
    tml_err_clear(&err);
    tml_ir_graph_t g;
    TML_ASSERT_STATUS(tml_onnx_import(buf, len, path, &g, &err), want);
    for (int i = 0; needles[i]; i++)
        if (!strstr(err.msg, needles[i]))
            fail_msg("message '%s' lacks '%s'", err.msg, needles[i]);
    assert_int_equal(g.n_nodes, 0);
    tml_ir_free(&g);
    tml_free(buf);
}

static int32_t find_tensor(const tml_ir_graph_t *g, const char *name)
{
    for (int i = 0; i < g->n_tensors; i++)
        if (!strcmp(g->tensors[i].name, name))
            return i;
    fail_msg("no tensor %s", name);
    return -1;
}

static const tml_ir_node_t *find_node(const tml_ir_graph_t *g, tml_ir_op_t op, int nth)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == op && nth-- == 0)
            return &g->nodes[i];
    fail_msg("no %s node #%d", tml_ir_op_name(op), nth);
    return NULL;
}

/* Compares a constant float tensor with a .npy file, 1e-5 relative. */
static void expect_npy(const tml_ir_tensor_t *t, const char *npy_path)
{
    size_t len;
    uint8_t *buf = tml_test_read(npy_path, &len);
    tml_npy_t npy;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_npy_parse(buf, len, &npy, &err), &err);
    assert_string_equal(npy.dtype, "f4");
    assert_int_equal(npy.n_dims, t->n_dims);
    for (int d = 0; d < t->n_dims; d++)
        assert_int_equal(npy.dims[d], t->dims[d]);
    assert_non_null(t->data);
    assert_int_equal(npy.data_len, t->data_len);
    for (size_t i = 0; i < t->data_len / 4; i++) {
        float want, got;
        memcpy(&want, npy.data + 4 * i, 4);
        memcpy(&got, t->data + 4 * i, 4);
        if (fabsf(want - got) > 1e-5f * (1.0f + fabsf(want)))
            fail_msg("%s[%zu]: %g, expected %g", t->name, i, got, want);
    }
    tml_free(buf);
}

static void conv_bn_pool_fc_imports_nchw_then_nhwc(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    import_file(MODEL("conv_bn_relu_pool_fc.onnx"), true, &g);
    char *before = dump(&g);
    assert_string_equal(before,
        "graph conv_bn_relu_pool_fc: 11 tensors, 6 nodes\n"
        "  CONV2D(x:float32[1,3,8,8], const bn/folded_weights:float32[4,3,3,3], const bn/folded_bias:float32[4]) -> bn:float32[1,4,8,8]\n"
        "  RELU(bn:float32[1,4,8,8]) -> relu:float32[1,4,8,8]\n"
        "  MAX_POOL2D(relu:float32[1,4,8,8]) -> pool:float32[1,4,4,4]\n"
        "  RESHAPE(pool:float32[1,4,4,4]) -> flat:float32[1,64]\n"
        "  FULLY_CONNECTED(flat:float32[1,64], const fc/weights:float32[5,64], const fc/bias:float32[5]) -> fc:float32[1,5]\n"
        "  SOFTMAX(fc:float32[1,5]) -> y:float32[1,5]\n");
    free(before);
    tml_ir_free(&g);

    import_file(MODEL("conv_bn_relu_pool_fc.onnx"), false, &g);
    char *after = dump(&g);
    /* Transposes only at the input edge and before the Flatten of a 4-D
     * tensor; the symbolic batch became 1; BatchNorm is gone. */
    assert_string_equal(after,
        "graph conv_bn_relu_pool_fc: 13 tensors, 8 nodes\n"
        "  TRANSPOSE(x:float32[1,3,8,8]) -> x/nhwc:float32[1,8,8,3]\n"
        "  CONV2D(x/nhwc:float32[1,8,8,3], const bn/folded_weights/ohwi:float32[4,3,3,3], const bn/folded_bias:float32[4]) -> bn:float32[1,8,8,4]\n"
        "  RELU(bn:float32[1,8,8,4]) -> relu:float32[1,8,8,4]\n"
        "  MAX_POOL2D(relu:float32[1,8,8,4]) -> pool:float32[1,4,4,4]\n"
        "  TRANSPOSE(pool:float32[1,4,4,4]) -> pool/nchw:float32[1,4,4,4]\n"
        "  RESHAPE(pool/nchw:float32[1,4,4,4]) -> flat:float32[1,64]\n"
        "  FULLY_CONNECTED(flat:float32[1,64], const fc/weights:float32[5,64], const fc/bias:float32[5]) -> fc:float32[1,5]\n"
        "  SOFTMAX(fc:float32[1,5]) -> y:float32[1,5]\n");
    free(after);
    assert_int_equal(g.n_inputs, 1);
    assert_int_equal(g.n_outputs, 1);
    assert_string_equal(g.tensors[g.inputs[0]].name, "x");
    assert_string_equal(g.tensors[g.outputs[0]].name, "y");

    const tml_ir_node_t *conv = find_node(&g, TML_OP_CONV2D, 0);
    assert_int_equal(conv->attrs.conv.pad_top, 1);
    assert_int_equal(conv->attrs.conv.pad_right, 1);
    assert_int_equal(conv->attrs.conv.stride_h, 1);
    assert_int_equal(conv->attrs.conv.dilation_w, 1);
    expect_npy(&g.tensors[conv->in[1]], MODEL("conv_bn_relu_pool_fc.folded_w.npy"));
    expect_npy(&g.tensors[conv->in[2]], MODEL("conv_bn_relu_pool_fc.folded_b.npy"));
    const tml_ir_node_t *pool = find_node(&g, TML_OP_MAX_POOL2D, 0);
    assert_int_equal(pool->attrs.pool.filter_h, 2);
    assert_int_equal(pool->attrs.pool.stride_w, 2);
    assert_int_equal(pool->attrs.pool.pad_bottom, 0);
    const tml_ir_node_t *tr = find_node(&g, TML_OP_TRANSPOSE, 1);
    int32_t to_nchw[4] = {0, 3, 1, 2};
    assert_memory_equal(tr->attrs.transpose.perm, to_nchw, sizeof(to_nchw));
    const tml_ir_node_t *fc = find_node(&g, TML_OP_FULLY_CONNECTED, 0);
    expect_npy(&g.tensors[fc->in[1]], MODEL("conv_bn_relu_pool_fc.fc_w.npy"));
    expect_npy(&g.tensors[fc->in[2]], MODEL("conv_bn_relu_pool_fc.fc_b.npy"));
    assert_int_equal(find_node(&g, TML_OP_SOFTMAX, 0)->attrs.softmax.axis, 1);
    TML_ASSERT_OK(tml_ir_validate(&g, NULL));
    tml_ir_free(&g);
}

static void mobile_block_layouts_and_attributes(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    import_file(MODEL("mobile_block.onnx"), false, &g);
    char *text = dump(&g);
    assert_string_equal(text,
        "graph mobile_block: 28 tensors, 17 nodes\n"
        "  MUL(x:float32[1,8,10,10], const bn/scale:float32[1,8,1,1]) -> bn/scaled:float32[1,8,10,10]\n"
        "  ADD(bn/scaled:float32[1,8,10,10], const bn/shift:float32[1,8,1,1]) -> bn:float32[1,8,10,10]\n"
        "  TRANSPOSE(bn:float32[1,8,10,10]) -> bn/nhwc:float32[1,10,10,8]\n"
        "  DEPTHWISE_CONV2D(bn/nhwc:float32[1,10,10,8], const dw/1hwc:float32[1,3,3,8], const dw_out/bias:float32[8]) -> dw_out:float32[1,5,5,8]\n"
        "  SPLIT(dw_out:float32[1,5,5,8]) -> g_out/group0_in:float32[1,5,5,4], g_out/group1_in:float32[1,5,5,4]\n"
        "  CONV2D(g_out/group0_in:float32[1,5,5,4], const g_out/group0_weights/ohwi:float32[4,1,1,4], const g_out/group0_bias:float32[4]) -> g_out/group0_out:float32[1,5,5,4]\n"
        "  CONV2D(g_out/group1_in:float32[1,5,5,4], const g_out/group1_weights/ohwi:float32[4,1,1,4], const g_out/group1_bias:float32[4]) -> g_out/group1_out:float32[1,5,5,4]\n"
        "  CONCAT(g_out/group0_out:float32[1,5,5,4], g_out/group1_out:float32[1,5,5,4]) -> g_out:float32[1,5,5,8]\n"
        "  MEAN(g_out:float32[1,5,5,8]) -> se_pool:float32[1,1,1,8]\n"
        "  HARD_SIGMOID(se_pool:float32[1,1,1,8]) -> se_gate:float32[1,1,1,8]\n"
        "  MUL(g_out:float32[1,5,5,8], se_gate:float32[1,1,1,8]) -> se:float32[1,5,5,8]\n"
        "  ADD(se:float32[1,5,5,8], const bias_c/nhwc:float32[1,1,1,8]) -> biased:float32[1,5,5,8]\n"
        "  HARD_SWISH(biased:float32[1,5,5,8]) -> hs:float32[1,5,5,8]\n"
        "  CONCAT(hs:float32[1,5,5,8], dw_out:float32[1,5,5,8]) -> cat:float32[1,5,5,16]\n"
        "  AVG_POOL2D(cat:float32[1,5,5,16]) -> avg:float32[1,5,5,16]\n"
        "  MAX_POOL2D(avg:float32[1,5,5,16]) -> y/nhwc:float32[1,1,1,16]\n"
        "  TRANSPOSE(y/nhwc:float32[1,1,1,16]) -> y:float32[1,16,1,1]\n");
    free(text);
    /* BatchNorm on a graph input cannot fold: scale = 1 / sqrt(4 + 1e-5). */
    const tml_ir_tensor_t *scale = &g.tensors[find_tensor(&g, "bn/scale")];
    float s;
    memcpy(&s, scale->data, 4);
    assert_float_equal(s, 1.0 / sqrt(4.0 + 1e-5), 1e-6);
    const tml_ir_tensor_t *shift = &g.tensors[find_tensor(&g, "bn/shift")];
    memcpy(&s, shift->data + 4, 4);
    assert_float_equal(s, -0.5 / sqrt(4.0 + 1e-5), 1e-6);
    /* SAME_UPPER, stride 2, 10 -> 5: one row/column of padding, at the end. */
    const tml_ir_node_t *dw = find_node(&g, TML_OP_DEPTHWISE_CONV2D, 0);
    assert_int_equal(dw->attrs.conv.depth_multiplier, 1);
    assert_int_equal(dw->attrs.conv.stride_h, 2);
    assert_int_equal(dw->attrs.conv.pad_top, 0);
    assert_int_equal(dw->attrs.conv.pad_bottom, 1);
    assert_int_equal(dw->attrs.conv.pad_left, 0);
    assert_int_equal(dw->attrs.conv.pad_right, 1);
    assert_int_equal(find_node(&g, TML_OP_SPLIT, 0)->attrs.axis.axis, 3);
    assert_int_equal(find_node(&g, TML_OP_CONCAT, 0)->attrs.axis.axis, 3);
    assert_int_equal(find_node(&g, TML_OP_CONCAT, 1)->attrs.axis.axis, 3);
    const tml_ir_node_t *mean = find_node(&g, TML_OP_MEAN, 0);
    assert_int_equal(mean->attrs.reduce.n_axes, 2);
    assert_int_equal(mean->attrs.reduce.axes[0], 1);
    assert_int_equal(mean->attrs.reduce.axes[1], 2);
    assert_true(mean->attrs.reduce.keep_dims);
    const tml_ir_node_t *hsig = find_node(&g, TML_OP_HARD_SIGMOID, 0);
    assert_float_equal(hsig->attrs.scalar.alpha, 0.25, 0);
    assert_float_equal(hsig->attrs.scalar.beta, 0.4f, 0);
    const tml_ir_node_t *avg = find_node(&g, TML_OP_AVG_POOL2D, 0);
    assert_true(avg->attrs.pool.count_include_pad);
    assert_int_equal(avg->attrs.pool.pad_left, 1);
    const tml_ir_node_t *gmax = find_node(&g, TML_OP_MAX_POOL2D, 0);
    assert_int_equal(gmax->attrs.pool.filter_h, 5);
    assert_int_equal(gmax->attrs.pool.filter_w, 5);
    tml_ir_free(&g);
}

static void dense_ops_shapes_and_attributes(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    import_file(MODEL("dense_ops.onnx"), false, &g);
    static const tml_ir_op_t want[] = {
        TML_OP_RESHAPE, TML_OP_FULLY_CONNECTED, TML_OP_RESHAPE, TML_OP_SUB, TML_OP_DIV,
        TML_OP_CLIP, TML_OP_LEAKY_RELU, TML_OP_PRELU, TML_OP_TANH, TML_OP_RESHAPE,
        TML_OP_FULLY_CONNECTED, TML_OP_RESHAPE, TML_OP_LOGISTIC, TML_OP_TRANSPOSE,
        TML_OP_SOFTMAX, TML_OP_TRANSPOSE,
    };
    assert_int_equal(g.n_nodes, sizeof(want) / sizeof(want[0]));
    for (int i = 0; i < g.n_nodes; i++)
        assert_int_equal(g.nodes[i].op, want[i]);
    const tml_ir_node_t *clip = find_node(&g, TML_OP_CLIP, 0);
    assert_float_equal(clip->attrs.scalar.min, -1.0, 0);
    assert_float_equal(clip->attrs.scalar.max, 1.0, 0);
    assert_float_equal(find_node(&g, TML_OP_LEAKY_RELU, 0)->attrs.scalar.alpha, 0.1f, 0);
    /* softmax over axis 1 of [2, 5, 3]: moved last and back */
    const tml_ir_node_t *soft = find_node(&g, TML_OP_SOFTMAX, 0);
    assert_int_equal(soft->attrs.softmax.axis, 2);
    assert_int_equal(g.tensors[soft->in[0]].dims[2], 5);
    const tml_ir_tensor_t *y = &g.tensors[g.outputs[0]];
    assert_string_equal(y->name, "y");
    assert_int_equal(y->n_dims, 3);
    assert_int_equal(y->dims[1], 5);
    assert_int_equal(y->dims[2], 3);
    /* MatMul weights [K, N] became FC weights [N, K] */
    const tml_ir_node_t *fc = find_node(&g, TML_OP_FULLY_CONNECTED, 1);
    assert_int_equal(g.tensors[fc->in[1]].dims[0], 3);
    assert_int_equal(g.tensors[fc->in[1]].dims[1], 4);
    tml_ir_free(&g);
}

static void shape_ops_fold_and_remap_axes(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    import_file(MODEL("shape_ops.onnx"), false, &g);
    char *text = dump(&g);
    /* Shape/Gather/Unsqueeze/Concat folded into constants; Identity and
     * Dropout vanish except where a graph output needs its own tensor. */
    assert_string_equal(text,
        "graph shape_ops: 16 tensors, 12 nodes\n"
        "  TRANSPOSE(x:float32[1,2,6,6]) -> x/nhwc:float32[1,6,6,2]\n"
        "  CONV2D(x/nhwc:float32[1,6,6,2], const cw/ohwi:float32[4,1,1,2], const c/bias:float32[4]) -> c:float32[1,6,6,4]\n"
        "  PAD(c:float32[1,6,6,4]) -> padded:float32[1,7,7,4]\n"
        "  SLICE(padded:float32[1,7,7,4]) -> sl:float32[1,4,4,4]\n"
        "  SPLIT(sl:float32[1,4,4,4]) -> s0:float32[1,4,4,2], s1:float32[1,4,4,2]\n"
        "  MEAN(s0:float32[1,4,4,2]) -> rm:float32[1,2]\n"
        "  TRANSPOSE(s1:float32[1,4,4,2]) -> s1/nchw:float32[1,2,4,4]\n"
        "  RESHAPE(s1/nchw:float32[1,2,4,4]) -> flat:float32[1,32]\n"
        "  RESHAPE(rm:float32[1,2]) -> rm3:float32[1,2,1]\n"
        "  TRANSPOSE(rm3:float32[1,2,1]) -> rmt:float32[1,1,2]\n"
        "  RESHAPE(rmt:float32[1,1,2]) -> y0:float32[1,2]\n"
        "  RESHAPE(flat:float32[1,32]) -> y1:float32[1,32]\n");
    free(text);
    const tml_ir_node_t *pad = find_node(&g, TML_OP_PAD, 0);
    int32_t before[TML_IR_MAX_DIMS] = {0, 1, 0, 0}, after[TML_IR_MAX_DIMS] = {0, 0, 1, 0};
    assert_memory_equal(pad->attrs.pad.before, before, sizeof(before));
    assert_memory_equal(pad->attrs.pad.after, after, sizeof(after));
    const tml_ir_node_t *slice = find_node(&g, TML_OP_SLICE, 0);
    int32_t begin[4] = {0, 1, 0, 0}, stride[4] = {1, 1, 2, 1};
    assert_memory_equal(slice->attrs.slice.begin, begin, sizeof(begin));
    assert_memory_equal(slice->attrs.slice.stride, stride, sizeof(stride));
    const tml_ir_node_t *mean = find_node(&g, TML_OP_MEAN, 0);
    assert_false(mean->attrs.reduce.keep_dims);
    assert_int_equal(mean->attrs.reduce.axes[0], 1);
    assert_int_equal(mean->attrs.reduce.axes[1], 2);
    int32_t perm[3] = {0, 2, 1};
    assert_memory_equal(find_node(&g, TML_OP_TRANSPOSE, 2)->attrs.transpose.perm, perm, sizeof(perm));
    tml_ir_free(&g);
}

static void qdq_and_typed_fields(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    import_file(MODEL("qdq.onnx"), false, &g);
    const tml_ir_node_t *conv = find_node(&g, TML_OP_CONV2D, 0);
    expect_npy(&g.tensors[conv->in[1]], MODEL("qdq.w.npy"));
    const tml_ir_tensor_t *xq = &g.tensors[find_tensor(&g, "xq")];
    assert_int_equal(xq->dtype, TML_DT_I8);
    assert_int_equal(xq->quant.n, 1);
    assert_float_equal(xq->quant.scale[0], 0.05f, 0);
    assert_int_equal(xq->quant.zero_point[0], 3);
    assert_int_equal(find_node(&g, TML_OP_QUANTIZE, 0)->out[0], find_tensor(&g, "xq"));
    assert_int_equal(find_node(&g, TML_OP_DEQUANTIZE, 0)->in[0], find_tensor(&g, "xq"));
    tml_ir_free(&g);

    import_file(MODEL("typed_fields.onnx"), false, &g);
    const tml_ir_node_t *fc = find_node(&g, TML_OP_FULLY_CONNECTED, 0);
    const tml_ir_tensor_t *bias = &g.tensors[fc->in[2]];
    float want[4] = {0.5f, 1.0f, 1.5f, 2.0f};
    assert_memory_equal(bias->data, want, sizeof(want));
    find_node(&g, TML_OP_RELU6, 0); /* Clip(0, 6) with opset-9 attributes */
    assert_int_equal(g.tensors[g.outputs[0]].dims[0], 2);
    tml_ir_free(&g);
}

static void external_data_and_path_checks(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    import_file(MODEL("external.onnx"), false, &g);
    const tml_ir_node_t *conv = find_node(&g, TML_OP_CONV2D, 0);
    expect_npy(&g.tensors[conv->in[1]], MODEL("external.w.npy"));
    tml_ir_free(&g);
    static const char *const escape[] = {"'../escape.bin'", "outside the model's folder", NULL};
    import_fails(MODEL("external_bad.onnx"), TML_ERR_CORRUPT, escape);
    /* Without the model's path there is nothing to resolve against. */
    size_t len;
    uint8_t *buf = tml_test_read(MODEL("external.onnx"), &len);
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_onnx_import(buf, len, NULL, &g, &err), TML_ERR_ARG);
    assert_non_null(strstr(err.msg, "external data"));
    tml_free(buf);
}

static void unsupported_inputs_are_named(void **state)
{
    (void)state;
    static const char *const op[] = {"Einsum", "opset 13", "'ein'", NULL};
    import_fails(MODEL("unsupported_op.onnx"), TML_ERR_UNSUPPORTED, op);
    static const char *const domain[] = {"com.example", "'fancy'", NULL};
    import_fails(MODEL("foreign_domain.onnx"), TML_ERR_UNSUPPORTED, domain);
    static const char *const dynamic[] = {"'x'", "symbolic", NULL};
    import_fails(MODEL("dynamic_dim.onnx"), TML_ERR_UNSUPPORTED, dynamic);
    tml_ir_graph_t g;
    tml_err_t err;
    tml_err_clear(&err);
    const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    TML_ASSERT_STATUS(tml_onnx_import(junk, sizeof(junk), NULL, &g, &err), TML_ERR_CORRUPT);
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_onnx_import(NULL, 0, NULL, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "no graph"));
}

static void sniff_tells_onnx_apart(void **state)
{
    (void)state;
    static const char *const models[] = {
        "conv_bn_relu_pool_fc.onnx", "mobile_block.onnx", "qdq.onnx", "typed_fields.onnx",
    };
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "tests/models/onnx/%s", models[i]);
        size_t len;
        uint8_t *buf = tml_test_read(tml_test_source(rel), &len);
        assert_true(tml_onnx_sniff(buf, len));
        assert_false(tml_onnx_sniff(buf, 1));
        tml_free(buf);
    }
    size_t len;
    uint8_t *npy = tml_test_read(MODEL("qdq.w.npy"), &len);
    assert_false(tml_onnx_sniff(npy, len));
    tml_free(npy);
    const uint8_t tflite[] = {0x1c, 0, 0, 0, 'T', 'F', 'L', '3', 0, 0, 0, 0};
    assert_false(tml_onnx_sniff(tflite, sizeof(tflite)));
    assert_false(tml_onnx_sniff(NULL, 0));
}

/* Every truncation and many bit flips: an error or a valid graph, never a
 * crash (the ASan+UBSan build checks the memory side), never a leak. */
static void truncations_and_bit_flips_never_crash(void **state)
{
    (void)state;
    static const char *const models[] = {
        "conv_bn_relu_pool_fc.onnx", "mobile_block.onnx", "dense_ops.onnx", "shape_ops.onnx",
        "qdq.onnx", "typed_fields.onnx",
    };
    unsigned n_ok = 0, n_err = 0;
    for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "tests/models/onnx/%s", models[m]);
        size_t len;
        uint8_t *buf = tml_test_read(tml_test_source(rel), &len);
        uint8_t *copy = malloc(len);
        assert_non_null(copy);
        for (size_t cut = 0; cut < len; cut++) {
            uint8_t *exact = malloc(cut ? cut : 1);
            assert_non_null(exact);
            memcpy(exact, buf, cut);
            tml_ir_graph_t g;
            tml_err_t err;
            tml_err_clear(&err);
            tml_status_t st = tml_onnx_import(exact, cut, NULL, &g, &err);
            if (st == TML_OK) {
                TML_ASSERT_OK(tml_ir_validate(&g, NULL));
                n_ok++;
            } else {
                assert_true(err.msg[0] != '\0');
                n_err++;
            }
            tml_ir_free(&g);
            free(exact);
        }
        srand(42 + (unsigned)m);
        for (int flip = 0; flip < 600; flip++) {
            memcpy(copy, buf, len);
            size_t at = (size_t)rand() % len;
            copy[at] ^= (uint8_t)(1u << (rand() % 8));
            if (flip % 3 == 0)
                copy[(size_t)rand() % len] = (uint8_t)rand();
            tml_ir_graph_t g;
            tml_err_t err;
            tml_err_clear(&err);
            tml_status_t st = tml_onnx_import(copy, len, NULL, &g, &err);
            if (st == TML_OK) {
                TML_ASSERT_OK(tml_ir_validate(&g, NULL));
                n_ok++;
            } else {
                n_err++;
            }
            tml_ir_free(&g);
        }
        free(copy);
        tml_free(buf);
    }
    assert_true(n_err > 0);
    print_message("robustness: %u imports succeeded, %u were refused\n", n_ok, n_err);
}

typedef struct {
    uint8_t *buf;
    size_t len;
    tml_ir_graph_t g;
} walk_ctx_t;

static tml_status_t walk_import(void *ctx_)
{
    walk_ctx_t *ctx = ctx_;
    return tml_onnx_import(ctx->buf, ctx->len, NULL, &ctx->g, NULL);
}

static void walk_free(void *ctx_)
{
    walk_ctx_t *ctx = ctx_;
    tml_ir_free(&ctx->g);
}

static void every_allocation_failure_is_clean(void **state)
{
    (void)state;
    static const char *const models[] = {"conv_bn_relu_pool_fc.onnx", "mobile_block.onnx",
                                         "shape_ops.onnx"};
    for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "tests/models/onnx/%s", models[m]);
        walk_ctx_t ctx;
        memset(&ctx, 0, sizeof(ctx));
        ctx.buf = tml_test_read(tml_test_source(rel), &ctx.len);
        assert_true(tml_test_alloc_walk(walk_import, walk_free, &ctx) > 10);
        tml_free(ctx.buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(conv_bn_pool_fc_imports_nchw_then_nhwc, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(mobile_block_layouts_and_attributes, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(dense_ops_shapes_and_attributes, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(shape_ops_fold_and_remap_axes, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(qdq_and_typed_fields, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(external_data_and_path_checks, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(unsupported_inputs_are_named, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test(sniff_tells_onnx_apart),
        cmocka_unit_test_setup_teardown(truncations_and_bit_flips_never_crash, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(every_allocation_failure_is_clean, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
