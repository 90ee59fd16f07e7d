/*
 * test_tflite.c - the TFLite importer: the MLPerf Tiny models from ../shared
 * (op kinds, I/O, quantization, resolved attributes), one hand-made model per
 * mapped op (tests/harness/tflite_build.c writes them), the error messages,
 * and robustness: truncations and bit flips of real models must give an
 * error or a valid graph, never a crash, and allocation failures are clean.
 *
 * With TML_TFLITE_CORPUS_DIR set, every hand-made model is also written
 * there (plus truncated and bit-flipped variants): that is how
 * tests/fuzz/corpus/tflite/ was generated.
 */
#include <math.h>
#include <stdlib.h>

#include "tflite_build.h"
#include "tml_test.h"
#include "tml/tflite.h"

#define MODEL_NAME "test.tflite"

/* ---- Helpers -------------------------------------------------------------- */

static void save_seed(const char *seed, const uint8_t *bytes, size_t len)
{
    const char *dir = getenv("TML_TFLITE_CORPUS_DIR");
    if (!dir || !seed)
        return;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s.tflite", dir, seed);
    assert_int_equal(tml_file_write(path, bytes, len, NULL), TML_OK);
    /* A truncated and a corrupted variant of each seed, for the fuzzer. */
    snprintf(path, sizeof(path), "%s/%s_trunc.tflite", dir, seed);
    assert_int_equal(tml_file_write(path, bytes, len * 2 / 3, NULL), TML_OK);
    uint8_t *flipped = tml_malloc(len);
    assert_non_null(flipped);
    memcpy(flipped, bytes, len);
    flipped[len / 3] ^= 0x10;
    flipped[len / 2] ^= 0x81;
    snprintf(path, sizeof(path), "%s/%s_flip.tflite", dir, seed);
    assert_int_equal(tml_file_write(path, flipped, len, NULL), TML_OK);
    tml_free(flipped);
}

/* Builds m and imports it; returns the import status. */
static tml_status_t import_built(const char *seed, const tfb_model_t *m, tml_ir_graph_t *g,
                                 tml_err_t *err)
{
    uint8_t *bytes;
    size_t len;
    TML_ASSERT_OK(tfb_build(m, &bytes, &len));
    save_seed(seed, bytes, len);
    tml_err_clear(err);
    tml_status_t st = tml_tflite_import(bytes, len, MODEL_NAME, g, err);
    tml_free(bytes);
    if (st == TML_OK) {
        tml_err_t verr;
        tml_err_clear(&verr);
        TML_ASSERT_OK_ERR(tml_ir_validate(g, &verr), &verr);
    }
    return st;
}

static tfb_tensor_t tensor(const char *name, int type, int n_dims, const int32_t *dims)
{
    tfb_tensor_t t;
    memset(&t, 0, sizeof(t));
    t.name = name;
    t.type = type;
    t.n_dims = n_dims;
    if (n_dims > 0)
        memcpy(t.dims, dims, (size_t)n_dims * sizeof(int32_t));
    return t;
}

static tfb_tensor_t const_tensor(const char *name, int type, int n_dims, const int32_t *dims,
                                 const void *data, size_t len)
{
    tfb_tensor_t t = tensor(name, type, n_dims, dims);
    t.data = data;
    t.data_len = len;
    return t;
}

static tfb_op_t make_op(int32_t code, int n_in, const int32_t *in, int n_out, const int32_t *out)
{
    tfb_op_t op;
    memset(&op, 0, sizeof(op));
    op.code = code;
    op.version = 1;
    op.n_in = n_in;
    op.n_out = n_out;
    memcpy(op.in, in, (size_t)n_in * sizeof(int32_t));
    memcpy(op.out, out, (size_t)n_out * sizeof(int32_t));
    return op;
}

static void add_opt(tfb_op_t *op, uint8_t type, int id, int size, uint32_t value)
{
    op->opts_type = type;
    op->opts[op->n_opts++] = (tfb_opt_t){id, size, value};
}

/* A model of the given tensors and ops, with graph inputs/outputs. */
static tfb_model_t model(const tfb_tensor_t *t, int n_t, const tfb_op_t *ops, int n_ops,
                         int n_in, const int32_t *in, int n_out, const int32_t *out)
{
    tfb_model_t m;
    memset(&m, 0, sizeof(m));
    m.tensors = t;
    m.n_tensors = n_t;
    m.ops = ops;
    m.n_ops = n_ops;
    m.n_inputs = n_in;
    m.n_outputs = n_out;
    memcpy(m.inputs, in, (size_t)n_in * sizeof(int32_t));
    memcpy(m.outputs, out, (size_t)n_out * sizeof(int32_t));
    return m;
}

/* Index of the IR tensor named name, or fails. */
static int32_t find_tensor(const tml_ir_graph_t *g, const char *name)
{
    for (int i = 0; i < g->n_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0)
            return i;
    fail_msg("no tensor named %s", name);
    return -1;
}

static void assert_dims(const tml_ir_tensor_t *t, int n, const int32_t *dims)
{
    assert_int_equal(t->n_dims, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(t->dims[i], dims[i]);
}

/* Op code values used below (BuiltinOperator). */
enum {
    ADD = 0, AVERAGE_POOL_2D = 1, CONCATENATION = 2, CONV_2D = 3, DEPTHWISE_CONV_2D = 4,
    FULLY_CONNECTED = 9, LSTM = 16, MAX_POOL_2D = 17, RESHAPE = 22, SOFTMAX = 25, CUSTOM = 32,
    PAD = 34, TRANSPOSE = 39, MEAN = 40, SQUEEZE = 43, STRIDED_SLICE = 45, SPLIT = 49,
    PADV2 = 60, SLICE = 65, EXPAND_DIMS = 70, LEAKY_RELU = 98, HARD_SWISH = 117,
    VAR_HANDLE = 142,
};

/* ---- The shared MLPerf Tiny models ---------------------------------------- */

typedef struct expect_model {
    const char *dir;
    int n_nodes;
    int n_conv, n_dw, n_fc, n_avg, n_add, n_reshape, n_softmax;
    tml_dtype_t in_dtype;
    int in_n_dims;
    int32_t in_dims[4];
    int out_n_dims;
    int32_t out_dims[2];
} expect_model_t;

static const expect_model_t mlperf[] = {
    {"ad01_fp32", 10, 0, 0, 10, 0, 0, 0, 0, TML_DT_F32, 2, {1, 640}, 2, {1, 640}},
    {"ad01_int8", 10, 0, 0, 10, 0, 0, 0, 0, TML_DT_I8, 2, {1, 640}, 2, {1, 640}},
    {"kws_ref_model", 13, 5, 4, 1, 1, 0, 1, 1, TML_DT_I8, 4, {1, 49, 10, 1}, 2, {1, 12}},
    {"pretrainedResnet", 16, 9, 0, 1, 1, 3, 1, 1, TML_DT_F32, 4, {1, 32, 32, 3}, 2, {1, 10}},
    {"pretrainedResnet_quant", 16, 9, 0, 1, 1, 3, 1, 1, TML_DT_I8, 4, {1, 32, 32, 3}, 2, {1, 10}},
    {"str_ww_ref_model", 11, 4, 4, 1, 0, 0, 1, 1, TML_DT_I8, 4, {1, 30, 1, 40}, 2, {1, 3}},
    {"vww_96_float", 31, 14, 13, 1, 1, 0, 1, 1, TML_DT_F32, 4, {1, 96, 96, 3}, 2, {1, 2}},
    {"vww_96_int8", 31, 14, 13, 1, 1, 0, 1, 1, TML_DT_I8, 4, {1, 96, 96, 3}, 2, {1, 2}},
};

static uint8_t *read_model(const char *dir, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "models/mlperf-tiny/%s/model.tflite", dir);
    return tml_test_read(tml_test_shared(rel), len);
}

static void mlperf_models_import(void **state)
{
    (void)state;
    if (!tml_test_have_shared())
        skip();
    for (size_t m = 0; m < sizeof(mlperf) / sizeof(mlperf[0]); m++) {
        const expect_model_t *e = &mlperf[m];
        size_t len;
        uint8_t *buf = read_model(e->dir, &len);
        assert_true(tml_tflite_sniff(buf, len));
        tml_ir_graph_t g;
        tml_err_t err;
        tml_err_clear(&err);
        TML_ASSERT_OK_ERR(tml_tflite_import(buf, len, e->dir, &g, &err), &err);
        tml_free(buf);
        TML_ASSERT_OK_ERR(tml_ir_validate(&g, &err), &err);
        assert_string_equal(g.name, e->dir);
        int count[TML_OP_COUNT] = {0};
        for (int i = 0; i < g.n_nodes; i++)
            count[g.nodes[i].op]++;
        printf("%-24s %2d nodes:", e->dir, g.n_nodes);
        for (int op = 0; op < TML_OP_COUNT; op++)
            if (count[op])
                printf(" %s x%d", tml_ir_op_name((tml_ir_op_t)op), count[op]);
        printf("\n");
        assert_int_equal(g.n_nodes, e->n_nodes);
        assert_int_equal(count[TML_OP_CONV2D], e->n_conv);
        assert_int_equal(count[TML_OP_DEPTHWISE_CONV2D], e->n_dw);
        assert_int_equal(count[TML_OP_FULLY_CONNECTED], e->n_fc);
        assert_int_equal(count[TML_OP_AVG_POOL2D], e->n_avg);
        assert_int_equal(count[TML_OP_ADD], e->n_add);
        assert_int_equal(count[TML_OP_RESHAPE], e->n_reshape);
        assert_int_equal(count[TML_OP_SOFTMAX], e->n_softmax);
        assert_int_equal(g.n_inputs, 1);
        assert_int_equal(g.n_outputs, 1);
        const tml_ir_tensor_t *in = &g.tensors[g.inputs[0]];
        const tml_ir_tensor_t *out = &g.tensors[g.outputs[0]];
        assert_int_equal(in->dtype, e->in_dtype);
        assert_int_equal(out->dtype, e->in_dtype);
        assert_dims(in, e->in_n_dims, e->in_dims);
        assert_dims(out, e->out_n_dims, e->out_dims);
        /* int8 models: activations per-tensor, conv weights per-channel on
         * axis 0 (depthwise: axis 3), biases int32 with zero point 0. */
        for (int i = 0; i < g.n_nodes; i++) {
            const tml_ir_node_t *n = &g.nodes[i];
            if (e->in_dtype != TML_DT_I8 || n->n_in < 3 || n->in[2] < 0)
                continue;
            if (n->op != TML_OP_CONV2D && n->op != TML_OP_DEPTHWISE_CONV2D)
                continue;
            const tml_ir_tensor_t *w = &g.tensors[n->in[1]];
            const tml_ir_tensor_t *b = &g.tensors[n->in[2]];
            const tml_ir_tensor_t *y = &g.tensors[n->out[0]];
            int c_out = y->dims[3];
            assert_int_equal(w->dtype, TML_DT_I8);
            assert_true(tml_ir_is_const(w));
            assert_int_equal(w->quant.n, c_out);
            assert_int_equal(w->quant.axis, n->op == TML_OP_CONV2D ? 0 : 3);
            assert_int_equal(b->dtype, TML_DT_I32);
            assert_int_equal(b->quant.n, c_out);
            assert_int_equal(b->quant.zero_point[0], 0);
            assert_int_equal(y->quant.n, 1);
            if (n->op == TML_OP_DEPTHWISE_CONV2D)
                assert_int_equal(n->attrs.conv.depth_multiplier, 1);
        }
        tml_ir_free(&g);
    }
    assert_true(mlperf[0].n_nodes == 10);
}

static void kws_details(void **state)
{
    (void)state;
    if (!tml_test_have_shared())
        skip();
    size_t len;
    uint8_t *buf = read_model("kws_ref_model", &len);
    tml_ir_graph_t g;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_tflite_import(buf, len, "kws.tflite", &g, &err), &err);
    tml_free(buf);
    /* Input quantization as recorded in the file. */
    const tml_ir_tensor_t *in = &g.tensors[g.inputs[0]];
    assert_int_equal(in->quant.n, 1);
    assert_int_equal(in->quant.zero_point[0], 83);
    assert_true(fabsf(in->quant.scale[0] - 0.584702909f) < 1e-7f);
    const tml_ir_tensor_t *out = &g.tensors[g.outputs[0]];
    assert_int_equal(out->quant.zero_point[0], -128);
    assert_true(out->quant.scale[0] == 0.00390625f);
    /* First conv: 49x10 input, 10x4 kernel, stride 2, SAME -> 25x5, with
     * total padding 9 (4 top, 5 bottom) and 2 (1 left, 1 right). */
    const tml_ir_node_t *c = &g.nodes[0];
    assert_int_equal(c->op, TML_OP_CONV2D);
    assert_int_equal(c->attrs.conv.stride_h, 2);
    assert_int_equal(c->attrs.conv.stride_w, 2);
    assert_int_equal(c->attrs.conv.dilation_h, 1);
    assert_int_equal(c->attrs.conv.pad_top, 4);
    assert_int_equal(c->attrs.conv.pad_bottom, 5);
    assert_int_equal(c->attrs.conv.pad_left, 1);
    assert_int_equal(c->attrs.conv.pad_right, 1);
    assert_int_equal(c->attrs.conv.act, TML_ACT_RELU);
    const tml_ir_tensor_t *w = &g.tensors[c->in[1]];
    const int32_t wdims[4] = {64, 10, 4, 1};
    assert_dims(w, 4, wdims);
    assert_int_equal(w->data_len, 64 * 10 * 4);
    /* Average pool over the whole 25x5 map, then flatten, FC, softmax. */
    assert_int_equal(g.nodes[9].op, TML_OP_AVG_POOL2D);
    assert_int_equal(g.nodes[9].attrs.pool.filter_h, 25);
    assert_int_equal(g.nodes[9].attrs.pool.filter_w, 5);
    assert_false(g.nodes[9].attrs.pool.count_include_pad);
    assert_int_equal(g.nodes[10].op, TML_OP_RESHAPE);
    assert_int_equal(g.nodes[10].n_in, 1); /* the shape operand is dropped */
    assert_int_equal(g.nodes[12].op, TML_OP_SOFTMAX);
    assert_true(g.nodes[12].attrs.softmax.beta == 1.0f);
    assert_int_equal(g.nodes[12].attrs.softmax.axis, 1);
    assert_true(tml_ir_node_macs(&g, c) == 25 * 5 * 64 * 10 * 4);
    tml_ir_free(&g);
}

/* Imports buf[0..len) and requires an error or a valid graph. */
static void import_must_not_crash(const uint8_t *buf, size_t len, int *n_ok)
{
    tml_ir_graph_t g;
    tml_err_t err;
    tml_err_clear(&err);
    tml_status_t st = tml_tflite_import(buf, len, "mut.tflite", &g, &err);
    if (st == TML_OK) {
        TML_ASSERT_OK_ERR(tml_ir_validate(&g, &err), &err);
        (*n_ok)++;
        tml_ir_free(&g);
    } else {
        assert_true(st == TML_ERR_CORRUPT || st == TML_ERR_UNSUPPORTED);
        assert_true(strncmp(err.msg, "mut.tflite: ", 12) == 0);
        assert_int_equal(g.n_nodes, 0);
        assert_null(g.tensors);
    }
}

static uint32_t rng_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void truncations_and_bit_flips(void **state)
{
    (void)state;
    if (!tml_test_have_shared())
        skip();
    static const char *const dirs[] = {"kws_ref_model", "str_ww_ref_model", "ad01_int8",
                                       "vww_96_int8", "pretrainedResnet_quant"};
    for (size_t m = 0; m < sizeof(dirs) / sizeof(dirs[0]); m++) {
        size_t len;
        uint8_t *orig = read_model(dirs[m], &len);
        /* An exact-size copy per run, so ASan sees any read past the end. */
        int n_ok = 0, n_runs = 0;
        uint32_t seed = 12345u + (uint32_t)m;
        /* Truncations: every length in the first 600 bytes (headers, root,
         * vtables), then sampled lengths across the file. */
        for (size_t cut = 0; cut < len; cut += cut < 600 ? 1 : 1 + rng_next(&seed) % (len / 150)) {
            uint8_t *copy = malloc(cut ? cut : 1);
            memcpy(copy, orig, cut);
            import_must_not_crash(copy, cut, &n_ok);
            free(copy);
            n_runs++;
        }
        assert_int_equal(n_ok, 0); /* no prefix of a model is a whole model */
        /* Single-bit flips: all bits of the first 256 bytes, then sampled
         * positions in the flatbuffer part of the file. */
        uint8_t *copy = malloc(len);
        int n_flip_ok = 0;
        for (int i = 0; i < 256 * 8 + 1500; i++) {
            size_t pos = i < 256 * 8 ? (size_t)i / 8 : rng_next(&seed) % len;
            int bit = i < 256 * 8 ? i % 8 : (int)(rng_next(&seed) % 8);
            memcpy(copy, orig, len);
            copy[pos] ^= (uint8_t)(1u << bit);
            import_must_not_crash(copy, len, &n_flip_ok);
            n_runs++;
        }
        free(copy);
        /* Most flips land in weights or names and leave a valid model. */
        assert_true(n_flip_ok > 0);
        printf("%s: %d mutated imports, %d flips still valid\n", dirs[m], n_runs, n_flip_ok);
        tml_free(orig);
    }
}

typedef struct walk_ctx {
    const uint8_t *buf;
    size_t len;
    tml_ir_graph_t g;
} walk_ctx_t;

static tml_status_t walk_import(void *ctx_)
{
    walk_ctx_t *ctx = ctx_;
    return tml_tflite_import(ctx->buf, ctx->len, "walk.tflite", &ctx->g, NULL);
}

static void walk_free(void *ctx_)
{
    walk_ctx_t *ctx = ctx_;
    tml_ir_free(&ctx->g);
}

static void kws_alloc_failures_are_clean(void **state)
{
    (void)state;
    if (!tml_test_have_shared())
        skip();
    size_t len;
    uint8_t *buf = read_model("kws_ref_model", &len);
    walk_ctx_t ctx = {buf, len, {0}};
    unsigned n = tml_test_alloc_walk(walk_import, walk_free, &ctx);
    assert_true(n > 34); /* at least one allocation per tensor */
    tml_free(buf);
}

/* ---- Hand-made one-op models ---------------------------------------------- */

static void sniff_checks_the_identifier(void **state)
{
    (void)state;
    const uint8_t good[8] = {8, 0, 0, 0, 'T', 'F', 'L', '3'};
    const uint8_t bad[8] = {8, 0, 0, 0, 'T', 'F', 'L', '2'};
    assert_true(tml_tflite_sniff(good, 8));
    assert_false(tml_tflite_sniff(good, 7));
    assert_false(tml_tflite_sniff(bad, 8));
    assert_false(tml_tflite_sniff(NULL, 8));
    tml_ir_graph_t g;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_tflite_import(bad, 8, "x.tflite", &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "not a TFLite model"));
    TML_ASSERT_STATUS(tml_tflite_import(NULL, 8, "x.tflite", &g, NULL), TML_ERR_ARG);
    TML_ASSERT_STATUS(tml_tflite_import(good, 8, "x.tflite", NULL, NULL), TML_ERR_ARG);
    /* Identifier but nothing else. */
    TML_ASSERT_STATUS(tml_tflite_import(good, 8, "x.tflite", &g, &err), TML_ERR_CORRUPT);
}

/* conv: input [1,6,6,2] int8, weights [3,3,3,2] per-channel, bias [3],
 * stride 2 SAME -> [1,3,3,3]; total padding (3-1)*2+3-6 = 1 -> 0 before, 1 after. */
static const float conv_w_scale[3] = {0.5f, 0.25f, 0.125f};
static const int64_t conv_w_zp[3] = {0, 0, 0};
static const float act_scale[1] = {0.05f};
static const int64_t act_zp[1] = {-3};
static int8_t conv_w[3 * 3 * 3 * 2];
static const int32_t conv_b[3] = {10, -20, 30};

static void conv_tensors(tfb_tensor_t *t, int32_t out_hw)
{
    t[0] = tensor("x", TFB_INT8, 4, (const int32_t[]){1, 6, 6, 2});
    t[0].n_quant = 1, t[0].scale = act_scale, t[0].zero_point = act_zp;
    t[1] = const_tensor("w", TFB_INT8, 4, (const int32_t[]){3, 3, 3, 2}, conv_w, sizeof(conv_w));
    t[1].n_quant = 3, t[1].scale = conv_w_scale, t[1].zero_point = conv_w_zp, t[1].quant_dim = 0;
    t[2] = const_tensor("b", TFB_INT32, 1, (const int32_t[]){3}, conv_b, sizeof(conv_b));
    t[3] = tensor("y", TFB_INT8, 4, (const int32_t[]){1, out_hw, out_hw, 3});
    t[3].n_quant = 1, t[3].scale = act_scale, t[3].zero_point = act_zp;
}

static tfb_op_t conv_op(void)
{
    tfb_op_t op = make_op(CONV_2D, 3, (const int32_t[]){0, 1, 2}, 1, (const int32_t[]){3});
    op.version = 3;
    add_opt(&op, 1, 0, 1, 0);  /* padding SAME */
    add_opt(&op, 1, 1, 4, 2);  /* stride_w */
    add_opt(&op, 1, 2, 4, 2);  /* stride_h */
    add_opt(&op, 1, 3, 1, 3);  /* RELU6 */
    return op;
}

static void conv2d_same_padding_and_quant(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(conv_w); i++)
        conv_w[i] = (int8_t)(i * 7 - 60);
    tfb_tensor_t t[4];
    conv_tensors(t, 3);
    tfb_op_t op = conv_op();
    tfb_model_t m = model(t, 4, &op, 1, 1, (const int32_t[]){0}, 1, (const int32_t[]){3});
    tml_ir_graph_t g;
    tml_err_t err;
    TML_ASSERT_OK_ERR(import_built("conv2d", &m, &g, &err), &err);
    assert_int_equal(g.n_nodes, 1);
    const tml_ir_node_t *n = &g.nodes[0];
    assert_int_equal(n->op, TML_OP_CONV2D);
    assert_int_equal(n->n_in, 3);
    assert_string_equal(g.tensors[n->in[0]].name, "x");
    assert_string_equal(g.tensors[n->in[1]].name, "w");
    assert_string_equal(g.tensors[n->in[2]].name, "b");
    assert_string_equal(g.tensors[n->out[0]].name, "y");
    assert_string_equal(n->name, "y");
    const tml_ir_conv_t *c = &n->attrs.conv;
    assert_int_equal(c->stride_h, 2);
    assert_int_equal(c->stride_w, 2);
    assert_int_equal(c->dilation_h, 1); /* schema default */
    assert_int_equal(c->dilation_w, 1);
    assert_int_equal(c->pad_top, 0);
    assert_int_equal(c->pad_bottom, 1);
    assert_int_equal(c->pad_left, 0);
    assert_int_equal(c->pad_right, 1);
    assert_int_equal(c->act, TML_ACT_RELU6);
    const tml_ir_tensor_t *w = &g.tensors[n->in[1]];
    assert_int_equal(w->quant.n, 3);
    assert_int_equal(w->quant.axis, 0);
    assert_true(w->quant.scale[2] == 0.125f);
    assert_memory_equal(w->data, conv_w, sizeof(conv_w));
    const tml_ir_tensor_t *x = &g.tensors[n->in[0]];
    assert_int_equal(x->quant.n, 1);
    assert_int_equal(x->quant.zero_point[0], -3);
    assert_true(x->quant.scale[0] == 0.05f);
    int32_t b0;
    memcpy(&b0, g.tensors[n->in[2]].data, 4);
    assert_int_equal(b0, 10);
    assert_int_equal(g.n_inputs, 1);
    assert_int_equal(g.inputs[0], n->in[0]);
    assert_int_equal(g.outputs[0], n->out[0]);
    tml_ir_free(&g);

    /* An output size that SAME padding cannot give is named. */
    conv_tensors(t, 4);
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_string_equal(err.msg, "test.tflite: operator 0 (CONV_2D): height: output size 4, "
                        "expected 3 for input 6, kernel 3, stride 2, dilation 1, SAME padding");
    /* VALID padding: (6-3)/2+1 = 2, no padding. */
    conv_tensors(t, 2);
    op.opts[0].value = 1;
    TML_ASSERT_OK_ERR(import_built(NULL, &m, &g, &err), &err);
    assert_int_equal(g.nodes[0].attrs.conv.pad_bottom, 0);
    assert_int_equal(g.nodes[0].attrs.conv.pad_right, 0);
    tml_ir_free(&g);
    /* Only the deprecated byte-sized op code: still CONV_2D. */
    m.deprecated_codes_only = true;
    TML_ASSERT_OK_ERR(import_built("conv2d_deprecated_code", &m, &g, &err), &err);
    assert_int_equal(g.nodes[0].op, TML_OP_CONV2D);
    tml_ir_free(&g);
    /* Constant data stored after the flatbuffer (Buffer offset/size). */
    m.deprecated_codes_only = false;
    m.external_buffers = true;
    TML_ASSERT_OK_ERR(import_built("conv2d_external", &m, &g, &err), &err);
    assert_memory_equal(g.tensors[g.nodes[0].in[1]].data, conv_w, sizeof(conv_w));
    tml_ir_free(&g);
    /* ... and cut off: the offset/size runs past the end. */
    uint8_t *bytes;
    size_t len;
    TML_ASSERT_OK(tfb_build(&m, &bytes, &len));
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_tflite_import(bytes, len - 4, MODEL_NAME, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "run past the end of the file"));
    tml_free(bytes);
}

static void conv2d_rejects_bad_quant_and_versions(void **state)
{
    (void)state;
    tfb_tensor_t t[4];
    conv_tensors(t, 3);
    tfb_op_t op = conv_op();
    tfb_model_t m = model(t, 4, &op, 1, 1, (const int32_t[]){0}, 1, (const int32_t[]){3});
    tml_ir_graph_t g;
    tml_err_t err;
    /* Per-channel scales on an axis of another size. */
    t[1].quant_dim = 3;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "per-channel scales do not match quantized dimension 3"));
    t[1].quant_dim = 0;
    /* A version beyond what the mapping reads. */
    op.version = 99;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_UNSUPPORTED);
    assert_string_equal(err.msg, "test.tflite: operator 0: op CONV_2D (code 3, version 99) is "
                        "not supported (this version)");
    op.version = 3;
    /* Constant data of the wrong size for the shape. */
    t[2].data_len = 8;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "holds 8 bytes, the shape needs 12"));
    t[2].data_len = sizeof(conv_b);
    /* Unsupported tensor type. */
    t[0].type = TFB_FLOAT16;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "type FLOAT16 (1) is not supported"));
    t[0].type = TFB_INT8;
    /* A variable (stateful) tensor. */
    t[0].is_variable = true;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "is a variable"));
    t[0].is_variable = false;
    /* Fused TANH is not an IR activation. */
    op.opts[3].value = 4;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "fused TANH"));
    op.opts[3].value = 3;
    /* Options of another op's type. */
    op.opts_type = 5;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    op.opts_type = 1;
    /* Bad tensor index. */
    op.in[0] = 9;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "tensor index 9 out of range"));
    op.in[0] = 0;
    TML_ASSERT_OK_ERR(import_built(NULL, &m, &g, &err), &err);
    tml_ir_free(&g);
}

static void unsupported_ops_are_named(void **state)
{
    (void)state;
    tfb_tensor_t t[2] = {tensor("a", TFB_FLOAT32, 2, (const int32_t[]){1, 4}),
                         tensor("b", TFB_FLOAT32, 2, (const int32_t[]){1, 4})};
    tfb_op_t op = make_op(LSTM, 1, (const int32_t[]){0}, 1, (const int32_t[]){1});
    tfb_model_t m = model(t, 2, &op, 1, 1, (const int32_t[]){0}, 1, (const int32_t[]){1});
    tml_ir_graph_t g;
    tml_err_t err;
    TML_ASSERT_STATUS(import_built("lstm", &m, &g, &err), TML_ERR_UNSUPPORTED);
    assert_string_equal(err.msg, "test.tflite: operator 0: op LSTM (code 16, version 1) is not "
                        "supported");
    /* Codes above 127 live only in builtin_code (the byte saturates). */
    op.code = VAR_HANDLE;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_UNSUPPORTED);
    assert_string_equal(err.msg, "test.tflite: operator 0: op VAR_HANDLE (code 142, version 1) "
                        "is not supported");
    op.code = CUSTOM;
    op.custom_code = "TFLite_Detection_PostProcess";
    TML_ASSERT_STATUS(import_built("custom", &m, &g, &err), TML_ERR_UNSUPPORTED);
    assert_string_equal(err.msg, "test.tflite: operator 0: custom op "
                        "'TFLite_Detection_PostProcess' (version 1) is not supported");
    op.custom_code = NULL;
    op.code = 400;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_UNSUPPORTED);
    assert_string_equal(err.msg, "test.tflite: operator 0: op unknown (code 400, version 1) is "
                        "not supported");
    op.code = HARD_SWISH;
    TML_ASSERT_OK_ERR(import_built("hard_swish", &m, &g, &err), &err);
    assert_int_equal(g.nodes[0].op, TML_OP_HARD_SWISH);
    tml_ir_free(&g);
    assert_string_equal(tml_tflite_builtin_name(45), "STRIDED_SLICE");
    assert_string_equal(tml_tflite_builtin_name(205), "REDUCE_WINDOW");
    assert_null(tml_tflite_builtin_name(-1));
}

static void depthwise_derives_multiplier(void **state)
{
    (void)state;
    static float w[1 * 3 * 3 * 4];
    tfb_tensor_t t[3] = {
        tensor("x", TFB_FLOAT32, 4, (const int32_t[]){1, 4, 4, 2}),
        const_tensor("w", TFB_FLOAT32, 4, (const int32_t[]){1, 3, 3, 4}, w, sizeof(w)),
        tensor("y", TFB_FLOAT32, 4, (const int32_t[]){1, 4, 4, 4}),
    };
    /* Bias absent (-1); depth_multiplier 0; dilation 1 written explicitly. */
    tfb_op_t op = make_op(DEPTHWISE_CONV_2D, 3, (const int32_t[]){0, 1, -1}, 1,
                          (const int32_t[]){2});
    add_opt(&op, 2, 0, 1, 0);
    add_opt(&op, 2, 1, 4, 1);
    add_opt(&op, 2, 2, 4, 1);
    add_opt(&op, 2, 3, 4, 0);
    add_opt(&op, 2, 4, 1, 1);
    add_opt(&op, 2, 5, 4, 1);
    add_opt(&op, 2, 6, 4, 1);
    tfb_model_t m = model(t, 3, &op, 1, 1, (const int32_t[]){0}, 1, (const int32_t[]){2});
    tml_ir_graph_t g;
    tml_err_t err;
    TML_ASSERT_OK_ERR(import_built("depthwise", &m, &g, &err), &err);
    const tml_ir_node_t *n = &g.nodes[0];
    assert_int_equal(n->op, TML_OP_DEPTHWISE_CONV2D);
    assert_int_equal(n->attrs.conv.depth_multiplier, 2);
    assert_int_equal(n->in[2], -1);
    assert_int_equal(n->attrs.conv.pad_top, 1);
    assert_int_equal(n->attrs.conv.pad_bottom, 1);
    assert_int_equal(n->attrs.conv.act, TML_ACT_RELU);
    tml_ir_free(&g);
    /* 4 output channels from 3 input channels is no depthwise conv. */
    t[0].dims[3] = 3;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "not a multiple of 3 input channels"));
}

static void fully_connected_keep_num_dims(void **state)
{
    (void)state;
    static float w[5 * 4];
    tfb_tensor_t t[3] = {
        tensor("x", TFB_FLOAT32, 3, (const int32_t[]){2, 3, 4}),
        const_tensor("w", TFB_FLOAT32, 2, (const int32_t[]){5, 4}, w, sizeof(w)),
        tensor("y", TFB_FLOAT32, 3, (const int32_t[]){2, 3, 5}),
    };
    tfb_op_t op = make_op(FULLY_CONNECTED, 3, (const int32_t[]){0, 1, -1}, 1,
                          (const int32_t[]){2});
    add_opt(&op, 8, 0, 1, 1); /* RELU */
    add_opt(&op, 8, 2, 1, 1); /* keep_num_dims */
    tfb_model_t m = model(t, 3, &op, 1, 1, (const int32_t[]){0}, 1, (const int32_t[]){2});
    tml_ir_graph_t g;
    tml_err_t err;
    TML_ASSERT_OK_ERR(import_built("fully_connected", &m, &g, &err), &err);
    assert_int_equal(g.nodes[0].op, TML_OP_FULLY_CONNECTED);
    assert_int_equal(g.nodes[0].attrs.act, TML_ACT_RELU);
    assert_int_equal(g.nodes[0].in[2], -1);
    assert_true(tml_ir_node_macs(&g, &g.nodes[0]) == 2 * 3 * 5 * 4);
    tml_ir_free(&g);
    /* Shuffled weights are not supported. */
    add_opt(&op, 8, 1, 1, 1);
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "weights format 1"));
    op.n_opts = 2;
    /* keep_num_dims off, but a 3-D output recorded: shapes disagree. */
    op.opts[1].value = 0;
    t[2] = tensor("y", TFB_FLOAT32, 2, (const int32_t[]){6, 5});
    TML_ASSERT_OK_ERR(import_built(NULL, &m, &g, &err), &err);
    tml_ir_free(&g);
    t[2] = tensor("y", TFB_FLOAT32, 2, (const int32_t[]){6, 4});
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
}

static void pools(void **state)
{
    (void)state;
    tfb_tensor_t t[3] = {
        tensor("x", TFB_INT8, 4, (const int32_t[]){1, 5, 5, 2}),
        tensor("max", TFB_INT8, 4, (const int32_t[]){1, 2, 2, 2}),
        tensor("avg", TFB_INT8, 4, (const int32_t[]){1, 2, 2, 2}),
    };
    tfb_op_t ops[2] = {
        make_op(MAX_POOL_2D, 1, (const int32_t[]){0}, 1, (const int32_t[]){1}),
        make_op(AVERAGE_POOL_2D, 1, (const int32_t[]){1}, 1, (const int32_t[]){2}),
    };
    /* max: 2x2 VALID stride 2: (5-2)/2+1 = 2. avg: 3x3 SAME stride 1 on 2x2. */
    uint32_t maxo[6] = {1, 2, 2, 2, 2, 0}, avgo[6] = {0, 1, 1, 3, 3, 1};
    for (int i = 0; i < 6; i++) {
        add_opt(&ops[0], 5, i, i == 0 || i == 5 ? 1 : 4, maxo[i]);
        add_opt(&ops[1], 5, i, i == 0 || i == 5 ? 1 : 4, avgo[i]);
    }
    tfb_model_t m = model(t, 3, ops, 2, 1, (const int32_t[]){0}, 1, (const int32_t[]){2});
    tml_ir_graph_t g;
    tml_err_t err;
    TML_ASSERT_OK_ERR(import_built("pools", &m, &g, &err), &err);
    const tml_ir_pool_t *mp = &g.nodes[0].attrs.pool, *ap = &g.nodes[1].attrs.pool;
    assert_int_equal(g.nodes[0].op, TML_OP_MAX_POOL2D);
    assert_int_equal(mp->filter_h, 2);
    assert_int_equal(mp->stride_w, 2);
    assert_int_equal(mp->pad_bottom + mp->pad_right, 0);
    assert_int_equal(g.nodes[1].op, TML_OP_AVG_POOL2D);
    assert_int_equal(ap->filter_w, 3);
    assert_int_equal(ap->pad_top, 1);
    assert_int_equal(ap->pad_left, 1);
    assert_int_equal(ap->pad_bottom, 1);
    assert_int_equal(ap->pad_right, 1);
    assert_int_equal(ap->act, TML_ACT_RELU);
    assert_false(ap->count_include_pad);
    tml_ir_free(&g);
    /* A zero stride is rejected, not divided by. */
    ops[0].opts[1].value = 0;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "stride 0"));
}

static void add_broadcast_reshape_softmax(void **state)
{
    (void)state;
    static const float bias[3] = {1, 2, 3};
    static const int32_t shape[2] = {4, 3};
    tfb_tensor_t t[6] = {
        tensor("x", TFB_FLOAT32, 4, (const int32_t[]){1, 2, 2, 3}),
        const_tensor("c", TFB_FLOAT32, 1, (const int32_t[]){3}, bias, sizeof(bias)),
        tensor("sum", TFB_FLOAT32, 4, (const int32_t[]){1, 2, 2, 3}),
        const_tensor("shape", TFB_INT32, 1, (const int32_t[]){2}, shape, sizeof(shape)),
        tensor("flat", TFB_FLOAT32, 2, (const int32_t[]){4, 3}),
        tensor("prob", TFB_FLOAT32, 2, (const int32_t[]){4, 3}),
    };
    tfb_op_t ops[3] = {
        make_op(ADD, 2, (const int32_t[]){0, 1}, 1, (const int32_t[]){2}),
        make_op(RESHAPE, 2, (const int32_t[]){2, 3}, 1, (const int32_t[]){4}),
        make_op(SOFTMAX, 1, (const int32_t[]){4}, 1, (const int32_t[]){5}),
    };
    add_opt(&ops[0], 11, 0, 1, 2); /* RELU_N1_TO_1 */
    add_opt(&ops[2], 9, 0, 4, tfb_f32(0.5f));
    tfb_model_t m = model(t, 6, ops, 3, 1, (const int32_t[]){0}, 1, (const int32_t[]){5});
    tml_ir_graph_t g;
    tml_err_t err;
    TML_ASSERT_OK_ERR(import_built("add_reshape_softmax", &m, &g, &err), &err);
    assert_int_equal(g.n_nodes, 3);
    assert_int_equal(g.nodes[0].op, TML_OP_ADD);
    assert_int_equal(g.nodes[0].attrs.act, TML_ACT_RELU_N1_TO_1);
    assert_int_equal(g.nodes[1].op, TML_OP_RESHAPE);
    assert_int_equal(g.nodes[1].n_in, 1);
    assert_int_equal(g.n_tensors, 5); /* the shape operand never reaches the IR */
    assert_int_equal(g.nodes[2].op, TML_OP_SOFTMAX);
    assert_true(g.nodes[2].attrs.softmax.beta == 0.5f);
    assert_int_equal(g.nodes[2].attrs.softmax.axis, 1);
    tml_ir_free(&g);
    /* A reshape that changes the element count. */
    t[4].dims[0] = 5, t[5].dims[0] = 5;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "operator 1 (RESHAPE): output (flat) has 15 elements"));
    t[4].dims[0] = 4, t[5].dims[0] = 4;
    /* An operand that does not broadcast. */
    t[1].dims[0] = 2;
    t[1].data_len = 8;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "does not broadcast"));
    t[1].dims[0] = 3;
    t[1].data_len = sizeof(bias);
    /* Operators out of execution order: the graph check catches it. */
    tfb_op_t swapped[3] = {ops[1], ops[0], ops[2]};
    m.ops = swapped;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "is not computed before it"));
}

static void concat_pad_mean_transpose(void **state)
{
    (void)state;
    static const int32_t pads[8] = {0, 0, 1, 2, 0, 1, 0, 0};
    static const int64_t axes[2] = {2, -3};
    static const int32_t perm[4] = {0, 3, 1, 2};
    tfb_tensor_t t[10] = {
        tensor("a", TFB_INT8, 4, (const int32_t[]){1, 2, 2, 3}),
        tensor("b", TFB_INT8, 4, (const int32_t[]){1, 2, 2, 5}),
        tensor("cat", TFB_INT8, 4, (const int32_t[]){1, 2, 2, 8}),
        const_tensor("pads", TFB_INT32, 2, (const int32_t[]){4, 2}, pads, sizeof(pads)),
        tensor("padded", TFB_INT8, 4, (const int32_t[]){1, 5, 3, 8}),
        const_tensor("axes", TFB_INT64, 1, (const int32_t[]){2}, axes, sizeof(axes)),
        tensor("mean", TFB_INT8, 4, (const int32_t[]){1, 1, 1, 8}),
        const_tensor("perm", TFB_INT32, 1, (const int32_t[]){4}, perm, sizeof(perm)),
        tensor("tr", TFB_INT8, 4, (const int32_t[]){1, 8, 1, 1}),
        tensor("unused", TFB_INT8, 1, (const int32_t[]){1}),
    };
    tfb_op_t ops[4] = {
        make_op(CONCATENATION, 2, (const int32_t[]){0, 1}, 1, (const int32_t[]){2}),
        make_op(PAD, 2, (const int32_t[]){2, 3}, 1, (const int32_t[]){4}),
        make_op(MEAN, 2, (const int32_t[]){4, 5}, 1, (const int32_t[]){6}),
        make_op(TRANSPOSE, 2, (const int32_t[]){6, 7}, 1, (const int32_t[]){8}),
    };
    add_opt(&ops[0], 10, 0, 4, (uint32_t)-1);
    add_opt(&ops[2], 27, 0, 1, 1);
    tfb_model_t m = model(t, 10, ops, 4, 2, (const int32_t[]){0, 1}, 1, (const int32_t[]){8});
    tml_ir_graph_t g;
    tml_err_t err;
    TML_ASSERT_OK_ERR(import_built("concat_pad_mean_transpose", &m, &g, &err), &err);
    assert_int_equal(g.n_nodes, 4);
    assert_int_equal(g.nodes[0].op, TML_OP_CONCAT);
    assert_int_equal(g.nodes[0].attrs.axis.axis, 3);
    assert_int_equal(g.nodes[1].op, TML_OP_PAD);
    assert_int_equal(g.nodes[1].n_in, 1);
    assert_int_equal(g.nodes[1].attrs.pad.before[1], 1);
    assert_int_equal(g.nodes[1].attrs.pad.after[1], 2);
    assert_int_equal(g.nodes[1].attrs.pad.before[2], 0);
    assert_int_equal(g.nodes[1].attrs.pad.after[2], 1);
    assert_int_equal(g.nodes[2].op, TML_OP_MEAN);
    assert_int_equal(g.nodes[2].n_in, 1);
    assert_int_equal(g.nodes[2].attrs.reduce.n_axes, 2);
    assert_int_equal(g.nodes[2].attrs.reduce.axes[0], 1);
    assert_int_equal(g.nodes[2].attrs.reduce.axes[1], 2);
    assert_true(g.nodes[2].attrs.reduce.keep_dims);
    assert_int_equal(g.nodes[3].op, TML_OP_TRANSPOSE);
    assert_int_equal(g.nodes[3].attrs.transpose.perm[1], 3);
    assert_int_equal(g.nodes[3].attrs.transpose.perm[3], 2);
    assert_int_equal(g.n_tensors, 6); /* pads, axes, perm dropped; unused never imported */
    tml_ir_free(&g);
    /* MEAN without keep_dims must drop the axes from the output shape. */
    ops[2].opts[0].value = 0;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "does not match the reduction"));
    ops[2].opts[0].value = 1;
    /* A perm that is not a permutation. */
    static const int32_t bad_perm[4] = {0, 3, 3, 2};
    t[7].data = bad_perm;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "not a permutation"));
    t[7].data = perm;
    /* Paddings that are not a constant. */
    t[3].data = NULL;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "paddings (pads) is not a constant"));
}

static void padv2_value(void **state)
{
    (void)state;
    static const int32_t pads[4] = {1, 1, 0, 0};
    static const float value = 3.5f;
    tfb_tensor_t t[4] = {
        tensor("x", TFB_FLOAT32, 2, (const int32_t[]){2, 2}),
        const_tensor("pads", TFB_INT32, 2, (const int32_t[]){2, 2}, pads, sizeof(pads)),
        const_tensor("v", TFB_FLOAT32, 0, NULL, &value, sizeof(value)),
        tensor("y", TFB_FLOAT32, 2, (const int32_t[]){4, 2}),
    };
    tfb_op_t op = make_op(PADV2, 3, (const int32_t[]){0, 1, 2}, 1, (const int32_t[]){3});
    tfb_model_t m = model(t, 4, &op, 1, 1, (const int32_t[]){0}, 1, (const int32_t[]){3});
    tml_ir_graph_t g;
    tml_err_t err;
    TML_ASSERT_OK_ERR(import_built("padv2", &m, &g, &err), &err);
    assert_int_equal(g.nodes[0].op, TML_OP_PAD);
    assert_int_equal(g.nodes[0].n_in, 1);
    assert_true(g.nodes[0].attrs.pad.value == 3.5f);
    assert_int_equal(g.nodes[0].attrs.pad.before[0], 1);
    tml_ir_free(&g);
}

static void slices_split_and_reshapes(void **state)
{
    (void)state;
    static const int32_t begin[3] = {0, 1, -1}, end[3] = {1, 6, 0}, strides[3] = {1, 2, -1};
    static const int32_t sbegin[2] = {1, 0}, ssize[2] = {2, -1};
    static const int32_t split_axis = 1;
    static const int32_t ed_axis = 0;
    tfb_tensor_t t[16] = {
        tensor("x", TFB_FLOAT32, 3, (const int32_t[]){1, 6, 4}),
        const_tensor("begin", TFB_INT32, 1, (const int32_t[]){3}, begin, sizeof(begin)),
        const_tensor("end", TFB_INT32, 1, (const int32_t[]){3}, end, sizeof(end)),
        const_tensor("strides", TFB_INT32, 1, (const int32_t[]){3}, strides, sizeof(strides)),
        tensor("ss", TFB_FLOAT32, 2, (const int32_t[]){3, 3}),
        const_tensor("sbegin", TFB_INT32, 1, (const int32_t[]){2}, sbegin, sizeof(sbegin)),
        const_tensor("ssize", TFB_INT32, 1, (const int32_t[]){2}, ssize, sizeof(ssize)),
        tensor("sl", TFB_FLOAT32, 2, (const int32_t[]){2, 3}),
        const_tensor("axis", TFB_INT32, 0, NULL, &split_axis, 4),
        tensor("p0", TFB_FLOAT32, 2, (const int32_t[]){2, 1}),
        tensor("p1", TFB_FLOAT32, 2, (const int32_t[]){2, 1}),
        tensor("p2", TFB_FLOAT32, 2, (const int32_t[]){2, 1}),
        tensor("sq", TFB_FLOAT32, 1, (const int32_t[]){2}),
        const_tensor("ed_axis", TFB_INT32, 0, NULL, &ed_axis, 4),
        tensor("ed", TFB_FLOAT32, 2, (const int32_t[]){1, 2}),
        tensor("lr", TFB_FLOAT32, 2, (const int32_t[]){1, 2}),
    };
    tfb_op_t ops[6] = {
        make_op(STRIDED_SLICE, 4, (const int32_t[]){0, 1, 2, 3}, 1, (const int32_t[]){4}),
        make_op(SLICE, 3, (const int32_t[]){4, 5, 6}, 1, (const int32_t[]){7}),
        make_op(SPLIT, 2, (const int32_t[]){8, 7}, 3, (const int32_t[]){9, 10, 11}),
        make_op(SQUEEZE, 1, (const int32_t[]){10}, 1, (const int32_t[]){12}),
        make_op(EXPAND_DIMS, 2, (const int32_t[]){12, 13}, 1, (const int32_t[]){14}),
        make_op(LEAKY_RELU, 1, (const int32_t[]){14}, 1, (const int32_t[]){15}),
    };
    add_opt(&ops[0], 32, 4, 4, 1); /* shrink axis 0 */
    add_opt(&ops[2], 35, 0, 4, 3);
    add_opt(&ops[5], 75, 0, 4, tfb_f32(0.2f));
    tfb_model_t m = model(t, 16, ops, 6, 1, (const int32_t[]){0}, 3,
                          (const int32_t[]){9, 11, 15});
    tml_ir_graph_t g;
    tml_err_t err;
    TML_ASSERT_OK_ERR(import_built("slices", &m, &g, &err), &err);
    assert_int_equal(g.n_nodes, 7);
    /* STRIDED_SLICE with a shrunk axis: SLICE to [1,3,3], then RESHAPE. */
    const tml_ir_node_t *s = &g.nodes[0];
    assert_int_equal(s->op, TML_OP_SLICE);
    assert_int_equal(s->n_in, 1);
    assert_int_equal(s->attrs.slice.begin[0], 0);
    assert_int_equal(s->attrs.slice.begin[1], 1);
    assert_int_equal(s->attrs.slice.begin[2], 3);
    assert_int_equal(s->attrs.slice.stride[1], 2);
    assert_int_equal(s->attrs.slice.stride[2], -1);
    assert_dims(&g.tensors[s->out[0]], 3, (const int32_t[]){1, 3, 3});
    assert_int_equal(g.nodes[1].op, TML_OP_RESHAPE);
    assert_int_equal(g.nodes[1].in[0], s->out[0]);
    assert_int_equal(g.nodes[1].out[0], find_tensor(&g, "ss"));
    /* SLICE with size -1: begin [1,0], stride 1, straight to its output. */
    const tml_ir_node_t *sl = &g.nodes[2];
    assert_int_equal(sl->op, TML_OP_SLICE);
    assert_int_equal(sl->attrs.slice.begin[0], 1);
    assert_int_equal(sl->attrs.slice.stride[1], 1);
    assert_int_equal(sl->out[0], find_tensor(&g, "sl"));
    /* SPLIT: data input only, 3 outputs along axis 1. */
    const tml_ir_node_t *sp = &g.nodes[3];
    assert_int_equal(sp->op, TML_OP_SPLIT);
    assert_int_equal(sp->n_in, 1);
    assert_int_equal(sp->in[0], find_tensor(&g, "sl"));
    assert_int_equal(sp->n_out, 3);
    assert_int_equal(sp->attrs.axis.axis, 1);
    assert_int_equal(g.nodes[4].op, TML_OP_RESHAPE); /* SQUEEZE */
    assert_int_equal(g.nodes[5].op, TML_OP_RESHAPE); /* EXPAND_DIMS */
    assert_int_equal(g.nodes[5].n_in, 1);
    assert_int_equal(g.nodes[6].op, TML_OP_LEAKY_RELU);
    assert_true(g.nodes[6].attrs.scalar.alpha == 0.2f);
    tml_ir_free(&g);
    /* A strided slice whose output disagrees with the bounds. */
    t[4].dims[0] = 2;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "operator 0 (STRIDED_SLICE): slice of 9 elements"));
    t[4].dims[0] = 3;
    /* SPLIT into a count the dim does not divide. */
    ops[2].opts[0].value = 4;
    TML_ASSERT_STATUS(import_built(NULL, &m, &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "num_splits 4 but 3 outputs"));
}

/* Hostile structure: a subgraph whose operators vector repeats one operator
 * reference many times must be bounded by the budget or by validation. */
static void hand_broken_flatbuffers(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    tml_err_t err;
    /* Root offset pointing past the end. */
    uint8_t b1[16] = {0xf0, 0, 0, 0, 'T', 'F', 'L', '3'};
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_tflite_import(b1, sizeof(b1), "b.tflite", &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "root table offset out of range"));
    /* A table whose vtable offset points outside the buffer. */
    uint8_t b2[16] = {8, 0, 0, 0, 'T', 'F', 'L', '3', 0, 0, 0, 0x80};
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_tflite_import(b2, sizeof(b2), "b.tflite", &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "vtable offset out of range"));
    /* A misaligned root table. */
    uint8_t b3[16] = {9, 0, 0, 0, 'T', 'F', 'L', '3'};
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_tflite_import(b3, sizeof(b3), "b.tflite", &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "misaligned table"));
    /* A vtable claiming more bytes than exist: vtable at 12 (soffset -4),
     * size 0x40. */
    uint8_t b4[16] = {8, 0, 0, 0, 'T', 'F', 'L', '3', 0xfc, 0xff, 0xff, 0xff, 0x40, 0, 8, 0};
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_tflite_import(b4, sizeof(b4), "b.tflite", &g, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "bad vtable size"));
    /* An empty but well-formed model: no subgraph. */
    uint8_t b5[20] = {12, 0, 0, 0, 'T', 'F', 'L', '3', 4, 0, 4, 0, 4, 0, 0, 0};
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_tflite_import(b5, 16, "b.tflite", &g, &err), TML_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "schema version 0"));
}

typedef struct built_walk {
    uint8_t *bytes;
    size_t len;
    tml_ir_graph_t g;
} built_walk_t;

static tml_status_t built_import(void *ctx_)
{
    built_walk_t *ctx = ctx_;
    return tml_tflite_import(ctx->bytes, ctx->len, MODEL_NAME, &ctx->g, NULL);
}

static void built_free(void *ctx_)
{
    built_walk_t *ctx = ctx_;
    tml_ir_free(&ctx->g);
}

static void alloc_failures_on_small_model(void **state)
{
    (void)state;
    tfb_tensor_t t[4];
    conv_tensors(t, 3);
    tfb_op_t op = conv_op();
    tfb_model_t m = model(t, 4, &op, 1, 1, (const int32_t[]){0}, 1, (const int32_t[]){3});
    built_walk_t ctx;
    memset(&ctx, 0, sizeof(ctx));
    TML_ASSERT_OK(tfb_build(&m, &ctx.bytes, &ctx.len));
    assert_true(tml_test_alloc_walk(built_import, built_free, &ctx) >= 4);
    tml_free(ctx.bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tml_test_leak_setup, tml_test_leak_teardown)
        T(sniff_checks_the_identifier),
        T(conv2d_same_padding_and_quant),
        T(conv2d_rejects_bad_quant_and_versions),
        T(unsupported_ops_are_named),
        T(depthwise_derives_multiplier),
        T(fully_connected_keep_num_dims),
        T(pools),
        T(add_broadcast_reshape_softmax),
        T(concat_pad_mean_transpose),
        T(padv2_value),
        T(slices_split_and_reshapes),
        T(hand_broken_flatbuffers),
        T(alloc_failures_on_small_model),
        T(mlperf_models_import),
        T(kws_details),
        T(kws_alloc_failures_are_clean),
        T(truncations_and_bit_flips),
#undef T
    };
    TML_TEST_MAIN(tests);
}
