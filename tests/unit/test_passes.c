/*
 * test_passes.c - each graph pass of tml/passes.h on a small graph built
 * here: the tml_ir_dump text before and after (what the pass did), the
 * attributes it set, and that the graph computes the same outputs with and
 * without the pass (compiled and run on the host runtime, random inputs;
 * float within 1e-5 relative, int8 bit-exact).
 */
#include <math.h>
#include <stdlib.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/onnx.h"
#include "tml/passes.h"
#include "tml/session.h"

typedef void (*build_fn)(tml_ir_graph_t *g);
typedef tml_status_t (*pass_fn)(tml_ir_graph_t *g, int *n_changed, tml_err_t *err);

static uint32_t seed = 12345;
static float frand(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)(seed >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static int32_t act(tml_ir_graph_t *g, const char *name, int n_dims, const int32_t *dims)
{
    int32_t idx;
    TML_ASSERT_OK(tml_ir_add_tensor(g, name, TML_DT_F32, n_dims, dims, &idx));
    return idx;
}

static int32_t cst(tml_ir_graph_t *g, const char *name, int n_dims, const int32_t *dims)
{
    int32_t idx = act(g, name, n_dims, dims);
    size_t n = (size_t)tml_ir_tensor_elems(&g->tensors[idx]);
    float *v = malloc(n * 4 + 4);
    for (size_t i = 0; i < n; i++)
        v[i] = frand();
    TML_ASSERT_OK(tml_ir_set_data(g, idx, v, n * 4));
    free(v);
    return idx;
}

static void node(tml_ir_graph_t *g, tml_ir_op_t op, const int32_t *in, int n_in, int32_t out,
                 const tml_ir_attrs_t *attrs)
{
    TML_ASSERT_OK(tml_ir_add_node(g, op, NULL, in, n_in, &out, 1, attrs, NULL));
}

static tml_ir_attrs_t conv_attrs(int32_t pad)
{
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    a.conv = (tml_ir_conv_t){.stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1,
                             .pad_top = pad, .pad_left = pad, .pad_bottom = pad,
                             .pad_right = pad, .depth_multiplier = 1};
    return a;
}

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

static void expect_dump(const tml_ir_graph_t *g, const char *want)
{
    char *got = dump(g);
    if (strcmp(got, want))
        fail_msg("dump:\n%s\nexpected:\n%s", got, want);
    free(got);
}

/* Runs g (taken over) on inputs from a fixed seed; returns output 0 as
 * bytes (malloc'd) and its length. */
static uint8_t *run_graph(tml_ir_graph_t *g, bool passes, size_t *len, int *n_kernels)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_compile_opts_t opts = {.no_passes = !passes};
    tml_compiled_t c;
    TML_ASSERT_OK_ERR(tml_compile_graph(g, &opts, &c, &err), &err);
    if (n_kernels)
        *n_kernels = c.lowered.n_ops;
    tml_session_t s;
    TML_ASSERT_OK_ERR(tml_session_open(&s, c.pkg, c.pkg_len, &err), &err);
    uint32_t in_seed = 777;
    for (uint32_t i = 0; i < tml_rt_n_inputs(&s.rt); i++) {
        const tml_pkg_tensor_t *t = tml_rt_input(&s.rt, i);
        uint8_t *data = malloc(t->byte_len + 4);
        for (uint32_t k = 0; k < t->byte_len / 4; k++) {
            in_seed = in_seed * 1664525u + 1013904223u;
            float v = (float)(in_seed >> 8) / (float)(1u << 24) * 4.0f - 2.0f;
            if (t->dtype == TML_DT_F32)
                memcpy(data + 4 * k, &v, 4);
        }
        if (t->dtype != TML_DT_F32)
            for (uint32_t k = 0; k < t->byte_len; k++)
                data[k] = (uint8_t)(k * 37u + 11u);
        TML_ASSERT_OK_ERR(tml_session_set_input(&s, i, data, t->byte_len, &err), &err);
        free(data);
    }
    TML_ASSERT_OK_ERR(tml_session_run(&s, &err), &err);
    const void *out;
    TML_ASSERT_OK_ERR(tml_session_output(&s, 0, &out, len, &err), &err);
    uint8_t *copy = malloc(*len);
    memcpy(copy, out, *len);
    tml_session_close(&s);
    tml_compiled_free(&c);
    return copy;
}

/* Builds the graph, checks the dump before, runs the pass, checks the
 * dump after and that it changed n things, and that outputs agree. */
static void check_pass(build_fn build, pass_fn pass, const char *before, const char *after,
                       int want_changed, tml_ir_graph_t *kept)
{
    tml_ir_graph_t g, ref;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK(tml_ir_init(&g, "g"));
    seed = 12345;
    build(&g);
    TML_ASSERT_OK_ERR(tml_ir_validate(&g, &err), &err);
    expect_dump(&g, before);
    int changed = -1;
    TML_ASSERT_OK_ERR(pass(&g, &changed, &err), &err);
    TML_ASSERT_OK_ERR(tml_ir_validate(&g, &err), &err);
    expect_dump(&g, after);
    assert_int_equal(changed, want_changed);
    if (kept) {
        *kept = g; /* the caller looks at attributes, then runs it */
        memset(&g, 0, sizeof(g));
        TML_ASSERT_OK(tml_ir_init(&g, "g"));
        seed = 12345;
        build(&g);
        TML_ASSERT_OK(pass(&g, NULL, &err));
    }
    TML_ASSERT_OK(tml_ir_init(&ref, "g"));
    seed = 12345;
    build(&ref);
    size_t len_a, len_b;
    uint8_t *a = run_graph(&ref, false, &len_a, NULL);
    uint8_t *b = run_graph(&g, false, &len_b, NULL);
    assert_int_equal(len_a, len_b);
    for (size_t i = 0; i < len_a / 4; i++) {
        float fa, fb;
        memcpy(&fa, a + 4 * i, 4);
        memcpy(&fb, b + 4 * i, 4);
        if (fabsf(fa - fb) > 1e-5f * (1.0f + fabsf(fa)))
            fail_msg("output %zu: %g before the pass, %g after", i, (double)fa, (double)fb);
    }
    free(a);
    free(b);
}

/* ---- constant folding ---- */

static void build_const_fold(tml_ir_graph_t *g)
{
    int32_t d[2] = {1, 4};
    int32_t x = act(g, "x", 2, d), c1 = cst(g, "c1", 2, d), c2 = cst(g, "c2", 2, d);
    int32_t k = act(g, "k", 2, d), y = act(g, "y", 2, d);
    tml_ir_attrs_t none = {.act = TML_ACT_NONE};
    int32_t add_in[2] = {c1, c2}, mul_in[2] = {x, k};
    node(g, TML_OP_ADD, add_in, 2, k, &none);
    node(g, TML_OP_MUL, mul_in, 2, y, &none);
    TML_ASSERT_OK(tml_ir_set_io(g, &x, 1, &y, 1));
}

static void test_const_fold(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    check_pass(build_const_fold, tml_pass_const_fold,
               "graph g: 5 tensors, 2 nodes\n"
               "  ADD(const c1:float32[1,4], const c2:float32[1,4]) -> k:float32[1,4]\n"
               "  MUL(x:float32[1,4], k:float32[1,4]) -> y:float32[1,4]\n",
               "graph g: 3 tensors, 1 nodes\n"
               "  MUL(x:float32[1,4], const k:float32[1,4]) -> y:float32[1,4]\n",
               1, &g);
    /* The folded constant is c1 + c2, computed independently here. */
    seed = 12345;
    float c1[4], c2[4], k[4];
    for (int i = 0; i < 4; i++)
        c1[i] = frand();
    for (int i = 0; i < 4; i++)
        c2[i] = frand();
    memcpy(k, g.tensors[g.nodes[0].in[1]].data, 16);
    for (int i = 0; i < 4; i++)
        assert_float_equal(k[i], c1[i] + c2[i], 1e-6);
    tml_ir_free(&g);
}

/* ---- identity removal ---- */

static void build_identity(tml_ir_graph_t *g)
{
    int32_t d[4] = {1, 2, 3, 4}, dt[4] = {1, 4, 2, 3};
    int32_t x = act(g, "x", 4, d), r = act(g, "r", 4, d), t1 = act(g, "t1", 4, dt);
    int32_t t2 = act(g, "t2", 4, d), p = act(g, "p", 4, d), y = act(g, "y", 4, d);
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    node(g, TML_OP_RESHAPE, &x, 1, r, NULL);
    a.transpose = (tml_ir_transpose_t){.perm = {0, 3, 1, 2}};
    node(g, TML_OP_TRANSPOSE, &r, 1, t1, &a);
    a.transpose = (tml_ir_transpose_t){.perm = {0, 2, 3, 1}};
    node(g, TML_OP_TRANSPOSE, &t1, 1, t2, &a);
    memset(&a, 0, sizeof(a));
    node(g, TML_OP_PAD, &t2, 1, p, &a);
    node(g, TML_OP_RELU, &p, 1, y, NULL);
    TML_ASSERT_OK(tml_ir_set_io(g, &x, 1, &y, 1));
}

static void test_identity(void **state)
{
    (void)state;
    check_pass(build_identity, tml_pass_identity,
               "graph g: 6 tensors, 5 nodes\n"
               "  RESHAPE(x:float32[1,2,3,4]) -> r:float32[1,2,3,4]\n"
               "  TRANSPOSE(r:float32[1,2,3,4]) -> t1:float32[1,4,2,3]\n"
               "  TRANSPOSE(t1:float32[1,4,2,3]) -> t2:float32[1,2,3,4]\n"
               "  PAD(t2:float32[1,2,3,4]) -> p:float32[1,2,3,4]\n"
               "  RELU(p:float32[1,2,3,4]) -> y:float32[1,2,3,4]\n",
               "graph g: 2 tensors, 1 nodes\n"
               "  RELU(x:float32[1,2,3,4]) -> y:float32[1,2,3,4]\n",
               3, NULL);
}

/* An identity whose output is a graph output: the producer writes it. */
static void build_identity_out(tml_ir_graph_t *g)
{
    int32_t d[2] = {2, 3};
    int32_t x = act(g, "x", 2, d), r = act(g, "r", 2, d), y = act(g, "y", 2, d);
    node(g, TML_OP_RELU, &x, 1, r, NULL);
    node(g, TML_OP_RESHAPE, &r, 1, y, NULL);
    TML_ASSERT_OK(tml_ir_set_io(g, &x, 1, &y, 1));
}

static void test_identity_graph_output(void **state)
{
    (void)state;
    check_pass(build_identity_out, tml_pass_identity,
               "graph g: 3 tensors, 2 nodes\n"
               "  RELU(x:float32[2,3]) -> r:float32[2,3]\n"
               "  RESHAPE(r:float32[2,3]) -> y:float32[2,3]\n",
               "graph g: 2 tensors, 1 nodes\n"
               "  RELU(x:float32[2,3]) -> y:float32[2,3]\n",
               1, NULL);
}

/* ---- BatchNorm folding ---- */

static void build_bn(tml_ir_graph_t *g)
{
    int32_t dx[4] = {1, 5, 5, 3}, dw[4] = {4, 3, 3, 3}, db[1] = {4}, dy[4] = {1, 5, 5, 4};
    int32_t ds[4] = {1, 1, 1, 4};
    int32_t x = act(g, "x", 4, dx), w = cst(g, "w", 4, dw), b = cst(g, "b", 1, db);
    int32_t c = act(g, "c", 4, dy), s = cst(g, "scale", 4, ds), m = act(g, "m", 4, dy);
    int32_t t = cst(g, "shift", 1, db), y = act(g, "y", 4, dy);
    tml_ir_attrs_t a = conv_attrs(1), none = {.act = TML_ACT_NONE}, relu = {.act = TML_ACT_RELU};
    int32_t conv_in[3] = {x, w, b}, mul_in[2] = {c, s}, add_in[2] = {t, m};
    node(g, TML_OP_CONV2D, conv_in, 3, c, &a);
    node(g, TML_OP_MUL, mul_in, 2, m, &none);
    node(g, TML_OP_ADD, add_in, 2, y, &relu);
    TML_ASSERT_OK(tml_ir_set_io(g, &x, 1, &y, 1));
}

static void test_bn_fold(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    check_pass(build_bn, tml_pass_bn_fold,
               "graph g: 8 tensors, 3 nodes\n"
               "  CONV2D(x:float32[1,5,5,3], const w:float32[4,3,3,3], const b:float32[4]) -> c:float32[1,5,5,4]\n"
               "  MUL(c:float32[1,5,5,4], const scale:float32[1,1,1,4]) -> m:float32[1,5,5,4]\n"
               "  ADD(const shift:float32[4], m:float32[1,5,5,4]) -> y:float32[1,5,5,4]\n",
               "graph g: 4 tensors, 1 nodes\n"
               "  CONV2D(x:float32[1,5,5,3], const w/bn_folded:float32[4,3,3,3], const m/bn_folded_bias:float32[4]) -> y:float32[1,5,5,4]\n",
               2, &g);
    assert_int_equal(g.nodes[0].attrs.conv.act, TML_ACT_RELU); /* the ADD's activation moved */
    tml_ir_free(&g);
}

/* ---- pad fusion ---- */

static void build_pad(tml_ir_graph_t *g)
{
    int32_t dx[4] = {1, 4, 4, 2}, dp[4] = {1, 6, 7, 2}, dw[4] = {1, 3, 3, 2}, dy[4] = {1, 4, 5, 2};
    int32_t dcw[4] = {3, 1, 1, 2}, dz[4] = {1, 4, 5, 3};
    int32_t x = act(g, "x", 4, dx), p = act(g, "p", 4, dp), w = cst(g, "dw", 4, dw);
    int32_t y = act(g, "y", 4, dy), cw = cst(g, "cw", 4, dcw), z = act(g, "z", 4, dz);
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    a.pad.before[1] = 1;
    a.pad.after[1] = 1;
    a.pad.before[2] = 2;
    a.pad.after[2] = 1;
    node(g, TML_OP_PAD, &x, 1, p, &a);
    a = conv_attrs(0);
    int32_t dw_in[2] = {p, w}, cv_in[2] = {y, cw};
    node(g, TML_OP_DEPTHWISE_CONV2D, dw_in, 2, y, &a);
    node(g, TML_OP_CONV2D, cv_in, 2, z, &a);
    TML_ASSERT_OK(tml_ir_set_io(g, &x, 1, &z, 1));
}

static void test_pad_fusion(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    check_pass(build_pad, tml_pass_pad_fusion,
               "graph g: 6 tensors, 3 nodes\n"
               "  PAD(x:float32[1,4,4,2]) -> p:float32[1,6,7,2]\n"
               "  DEPTHWISE_CONV2D(p:float32[1,6,7,2], const dw:float32[1,3,3,2]) -> y:float32[1,4,5,2]\n"
               "  CONV2D(y:float32[1,4,5,2], const cw:float32[3,1,1,2]) -> z:float32[1,4,5,3]\n",
               "graph g: 5 tensors, 2 nodes\n"
               "  DEPTHWISE_CONV2D(x:float32[1,4,4,2], const dw:float32[1,3,3,2]) -> y:float32[1,4,5,2]\n"
               "  CONV2D(y:float32[1,4,5,2], const cw:float32[3,1,1,2]) -> z:float32[1,4,5,3]\n",
               1, &g);
    const tml_ir_conv_t *c = &g.nodes[0].attrs.conv;
    assert_int_equal(c->pad_top, 1);
    assert_int_equal(c->pad_bottom, 1);
    assert_int_equal(c->pad_left, 2);
    assert_int_equal(c->pad_right, 1);
    tml_ir_free(&g);
}

/* ---- activation fusion ---- */

static void build_act(tml_ir_graph_t *g)
{
    int32_t dx[2] = {1, 6}, dw[2] = {5, 6}, dh[2] = {1, 5};
    int32_t x = act(g, "x", 2, dx), w = cst(g, "w", 2, dw), h = act(g, "h", 2, dh);
    int32_t r = act(g, "r", 2, dh), s = act(g, "s", 2, dh), c = act(g, "c", 2, dh);
    int32_t y = act(g, "y", 2, dh);
    tml_ir_attrs_t none = {.act = TML_ACT_NONE}, clip;
    memset(&clip, 0, sizeof(clip));
    clip.scalar.min = 0.0f;
    clip.scalar.max = 6.0f;
    int32_t fc_in[2] = {x, w}, add_in[2] = {r, r};
    node(g, TML_OP_FULLY_CONNECTED, fc_in, 2, h, &none);
    node(g, TML_OP_RELU, &h, 1, r, NULL);
    node(g, TML_OP_ADD, add_in, 2, s, &none);
    node(g, TML_OP_CLIP, &s, 1, c, &clip);
    node(g, TML_OP_TANH, &c, 1, y, NULL); /* not an activation that fuses */
    TML_ASSERT_OK(tml_ir_set_io(g, &x, 1, &y, 1));
}

static void test_act_fusion(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    check_pass(build_act, tml_pass_act_fusion,
               "graph g: 7 tensors, 5 nodes\n"
               "  FULLY_CONNECTED(x:float32[1,6], const w:float32[5,6]) -> h:float32[1,5]\n"
               "  RELU(h:float32[1,5]) -> r:float32[1,5]\n"
               "  ADD(r:float32[1,5], r:float32[1,5]) -> s:float32[1,5]\n"
               "  CLIP(s:float32[1,5]) -> c:float32[1,5]\n"
               "  TANH(c:float32[1,5]) -> y:float32[1,5]\n",
               "graph g: 5 tensors, 3 nodes\n"
               "  FULLY_CONNECTED(x:float32[1,6], const w:float32[5,6]) -> r:float32[1,5]\n"
               "  ADD(r:float32[1,5], r:float32[1,5]) -> c:float32[1,5]\n"
               "  TANH(c:float32[1,5]) -> y:float32[1,5]\n",
               2, &g);
    assert_int_equal(g.nodes[0].attrs.act, TML_ACT_RELU);
    assert_int_equal(g.nodes[1].attrs.act, TML_ACT_RELU6);
    tml_ir_free(&g);
}

/* ---- dead-node removal ---- */

static void build_dead(tml_ir_graph_t *g)
{
    int32_t d[1] = {8};
    int32_t x = act(g, "x", 1, d), y = act(g, "y", 1, d), t = act(g, "t", 1, d);
    int32_t u = act(g, "u", 1, d);
    node(g, TML_OP_RELU, &x, 1, y, NULL);
    node(g, TML_OP_TANH, &x, 1, t, NULL);
    node(g, TML_OP_LOGISTIC, &t, 1, u, NULL);
    TML_ASSERT_OK(tml_ir_set_io(g, &x, 1, &y, 1));
}

static void test_dead_nodes(void **state)
{
    (void)state;
    check_pass(build_dead, tml_pass_dead_nodes,
               "graph g: 4 tensors, 3 nodes\n"
               "  RELU(x:float32[8]) -> y:float32[8]\n"
               "  TANH(x:float32[8]) -> t:float32[8]\n"
               "  LOGISTIC(t:float32[8]) -> u:float32[8]\n",
               "graph g: 2 tensors, 1 nodes\n"
               "  RELU(x:float32[8]) -> y:float32[8]\n",
               2, NULL);
}

/* ---- the pipeline on an imported ONNX model ---- */

static void test_pipeline_onnx(void **state)
{
    (void)state;
    const char *path = tml_test_source("tests/models/onnx/conv_bn_relu_pool_fc.onnx");
    size_t len;
    uint8_t *buf = tml_test_read(path, &len);
    tml_ir_graph_t a, b;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_onnx_import(buf, len, path, &a, &err), &err);
    TML_ASSERT_OK_ERR(tml_onnx_import(buf, len, path, &b, &err), &err);
    tml_free(buf);
    size_t la, lb;
    int ka, kb;
    uint8_t *ya = run_graph(&a, false, &la, &ka);
    uint8_t *yb = run_graph(&b, true, &lb, &kb);
    assert_int_equal(la, lb);
    for (size_t i = 0; i < la / 4; i++) {
        float fa, fb;
        memcpy(&fa, ya + 4 * i, 4);
        memcpy(&fb, yb + 4 * i, 4);
        assert_float_equal(fa, fb, 1e-5);
    }
    assert_true(kb < ka); /* the Relu fused into the conv */
    free(ya);
    free(yb);
}

/* Failing allocations leave no leak and a clean status. */
typedef struct {
    tml_ir_graph_t g;
} walk_ctx_t;

static tml_status_t walk_op(void *p)
{
    walk_ctx_t *ctx = p;
    tml_ir_graph_t *g = &ctx->g;
    seed = 12345;
    tml_status_t st = tml_ir_init(g, "g");
    if (st != TML_OK)
        return st;
    /* Built without asserts: allocation failures must come back. */
    int32_t d[4] = {1, 5, 5, 3}, dw[4] = {4, 3, 3, 3}, db[1] = {4}, dy[4] = {1, 5, 5, 4};
    int32_t x, w, b, c, s, y;
    float vals[108];
    for (int i = 0; i < 108; i++)
        vals[i] = frand();
    if ((st = tml_ir_add_tensor(g, "x", TML_DT_F32, 4, d, &x)) ||
        (st = tml_ir_add_tensor(g, "w", TML_DT_F32, 4, dw, &w)) ||
        (st = tml_ir_set_data(g, w, vals, 108 * 4)) ||
        (st = tml_ir_add_tensor(g, "b", TML_DT_F32, 1, db, &b)) ||
        (st = tml_ir_set_data(g, b, vals, 16)) ||
        (st = tml_ir_add_tensor(g, "c", TML_DT_F32, 4, dy, &c)) ||
        (st = tml_ir_add_tensor(g, "s", TML_DT_F32, 1, db, &s)) ||
        (st = tml_ir_set_data(g, s, vals + 4, 16)) ||
        (st = tml_ir_add_tensor(g, "y", TML_DT_F32, 4, dy, &y)))
        goto out;
    tml_ir_attrs_t a = conv_attrs(1), none = {.act = TML_ACT_NONE};
    int32_t conv_in[3] = {x, w, b}, mul_in[2] = {c, s};
    int32_t r;
    if ((st = tml_ir_add_node(g, TML_OP_CONV2D, NULL, conv_in, 3, &c, 1, &a, NULL)) ||
        (st = tml_ir_add_node(g, TML_OP_MUL, NULL, mul_in, 2, &y, 1, &none, NULL)) ||
        (st = tml_ir_add_tensor(g, "r", TML_DT_F32, 4, dy, &r)) ||
        (st = tml_ir_add_node(g, TML_OP_RELU, NULL, &y, 1, &r, 1, NULL, NULL)) ||
        (st = tml_ir_set_io(g, &x, 1, &r, 1)))
        goto out;
    st = tml_passes_run(g, NULL, NULL);
out:
    if (st != TML_OK)
        tml_ir_free(g);
    return st;
}

static void walk_cleanup(void *p)
{
    tml_ir_free(&((walk_ctx_t *)p)->g);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    walk_ctx_t ctx;
    unsigned n = tml_test_alloc_walk(walk_op, walk_cleanup, &ctx);
    assert_true(n > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_const_fold, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_identity, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_identity_graph_output, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_bn_fold, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_pad_fusion, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_act_fusion, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_dead_nodes, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_onnx, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
