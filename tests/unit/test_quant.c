/*
 * test_quant.c - post-training int8 quantization (tml/quant.h) on graphs
 * built here: what the rewrite produces (int8 I/O, per-channel symmetric
 * weights whose values are checked against an independent computation,
 * int32 biases with scale in * w, TFLite's fixed softmax params, float
 * fallback between DEQUANTIZE/QUANTIZE), that the int8 package's outputs
 * stay within error bounds of the float graph, how the three calibration
 * methods treat outliers, the report's per-layer errors, calibration-set
 * loading, and the errors for wrong input.
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/npy.h"
#include "tml/quant.h"
#include "tml/report.h"
#include "tml/session.h"

static uint32_t seed;
static float frand(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)(seed >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static int32_t tensor(tml_ir_graph_t *g, const char *name, int n_dims, const int32_t *dims,
                      float scale_const)
{
    int32_t idx;
    TML_ASSERT_OK(tml_ir_add_tensor(g, name, TML_DT_F32, n_dims, dims, &idx));
    if (scale_const != 0.0f) {
        size_t n = (size_t)tml_ir_tensor_elems(&g->tensors[idx]);
        float *v = malloc(n * 4 + 4);
        for (size_t i = 0; i < n; i++)
            v[i] = frand() * scale_const;
        TML_ASSERT_OK(tml_ir_set_data(g, idx, v, n * 4));
        free(v);
    }
    return idx;
}

static tml_ir_attrs_t conv_attrs(int32_t pad, tml_act_t act)
{
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    a.conv = (tml_ir_conv_t){.stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1,
                             .pad_top = pad, .pad_left = pad, .pad_bottom = pad,
                             .pad_right = pad, .depth_multiplier = 1, .act = act};
    return a;
}

/* x[1,6,6,2] -> conv 3x3 (4) relu -> dwconv 3x3 -> SUB const (no int8
 * kernel) -> maxpool 2x2 -> reshape -> fc (5) -> softmax. */
static void build_net(tml_ir_graph_t *g)
{
    seed = 99;
    TML_ASSERT_OK(tml_ir_init(g, "net"));
    int32_t dx[4] = {1, 6, 6, 2}, dw1[4] = {4, 3, 3, 2}, d4[1] = {4}, da[4] = {1, 6, 6, 4};
    int32_t ddw[4] = {1, 3, 3, 4}, dp[4] = {1, 3, 3, 4}, df[2] = {1, 36}, dfw[2] = {5, 36};
    int32_t d5[1] = {5}, dl[2] = {1, 5}, dc[4] = {1, 1, 1, 4};
    int32_t x = tensor(g, "x", 4, dx, 0), w1 = tensor(g, "w1", 4, dw1, 0.5f);
    int32_t b1 = tensor(g, "b1", 1, d4, 0.2f), a1 = tensor(g, "a1", 4, da, 0);
    int32_t w2 = tensor(g, "w2", 4, ddw, 0.6f), b2 = tensor(g, "b2", 1, d4, 0.1f);
    int32_t a2 = tensor(g, "a2", 4, da, 0), c = tensor(g, "c", 4, dc, 0.3f);
    int32_t a3 = tensor(g, "a3", 4, da, 0), p = tensor(g, "p", 4, dp, 0);
    int32_t f = tensor(g, "f", 2, df, 0), fw = tensor(g, "fw", 2, dfw, 0.3f);
    int32_t fb = tensor(g, "fb", 1, d5, 0.1f), l = tensor(g, "logits", 2, dl, 0);
    int32_t y = tensor(g, "y", 2, dl, 0);
    tml_ir_attrs_t a = conv_attrs(1, TML_ACT_RELU);
    int32_t in1[3] = {x, w1, b1}, in2[3] = {a1, w2, b2}, in3[2] = {a2, c}, in4[3] = {f, fw, fb};
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_CONV2D, "conv", in1, 3, &a1, 1, &a, NULL));
    a = conv_attrs(1, TML_ACT_NONE);
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_DEPTHWISE_CONV2D, "dw", in2, 3, &a2, 1, &a, NULL));
    tml_ir_attrs_t none = {.act = TML_ACT_NONE};
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_SUB, "sub", in3, 2, &a3, 1, &none, NULL));
    memset(&a, 0, sizeof(a));
    a.pool = (tml_ir_pool_t){.filter_h = 2, .filter_w = 2, .stride_h = 2, .stride_w = 2};
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_MAX_POOL2D, "pool", &a3, 1, &p, 1, &a, NULL));
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_RESHAPE, "flat", &p, 1, &f, 1, NULL, NULL));
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_FULLY_CONNECTED, "fc", in4, 3, &l, 1, &none, NULL));
    memset(&a, 0, sizeof(a));
    a.softmax = (tml_ir_softmax_t){.beta = 1.0f, .axis = 1};
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_SOFTMAX, "softmax", &l, 1, &y, 1, &a, NULL));
    TML_ASSERT_OK(tml_ir_set_io(g, &x, 1, &y, 1));
}

static void make_set(tml_calib_set_t *set, int n, int64_t per, uint32_t s, float amp)
{
    memset(set, 0, sizeof(*set));
    set->n_samples = n;
    set->n_inputs = 1;
    set->data = tml_calloc((size_t)n, sizeof(float *));
    seed = s;
    for (int i = 0; i < n; i++) {
        set->data[i] = tml_malloc((size_t)per * 4);
        for (int64_t k = 0; k < per; k++)
            set->data[i][k] = frand() * amp;
    }
}

static int32_t find(const tml_ir_graph_t *g, const char *name)
{
    for (int i = 0; i < g->n_tensors; i++)
        if (!strcmp(g->tensors[i].name, name))
            return i;
    return -1;
}

static const tml_ir_node_t *node_named(const tml_ir_graph_t *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name))
            return &g->nodes[i];
    fail_msg("no node %s", name);
    return NULL;
}

static void test_rewrite(void **state)
{
    (void)state;
    tml_ir_graph_t g, f;
    build_net(&g);
    build_net(&f);
    tml_calib_set_t calib;
    make_set(&calib, 24, 72, 5, 2.0f);
    tml_err_t err;
    tml_err_clear(&err);
    tml_quant_report_t r;
    TML_ASSERT_OK_ERR(tml_quantize(&g, &calib, NULL, NULL, &r, &err), &err);

    /* int8 I/O; softmax output as TFLite fixes it. */
    const tml_ir_tensor_t *x = &g.tensors[g.inputs[0]], *y = &g.tensors[g.outputs[0]];
    assert_int_equal(x->dtype, TML_DT_I8);
    assert_int_equal(x->quant.n, 1);
    assert_int_equal(y->dtype, TML_DT_I8);
    assert_float_equal(y->quant.scale[0], 1.0f / 256.0f, 0);
    assert_int_equal(y->quant.zero_point[0], -128);
    /* The input range covers the calibration data: [-2, 2] roughly. */
    assert_true(x->quant.scale[0] > 3.5f / 255 && x->quant.scale[0] < 4.1f / 255);

    /* conv weights: per channel on axis 0, symmetric, values as computed
     * here from the float weights; bias int32 with scale in * w. */
    const tml_ir_node_t *conv = node_named(&g, "conv");
    const tml_ir_tensor_t *w = &g.tensors[conv->in[1]], *b = &g.tensors[conv->in[2]];
    const tml_ir_tensor_t *fw = &f.tensors[find(&f, "w1")], *fb = &f.tensors[find(&f, "b1")];
    assert_int_equal(w->dtype, TML_DT_I8);
    assert_int_equal(w->quant.n, 4);
    assert_int_equal(w->quant.axis, 0);
    assert_int_equal(b->dtype, TML_DT_I32);
    for (int o = 0; o < 4; o++) {
        float amax = 0;
        for (int k = 0; k < 18; k++)
            amax = fmaxf(amax, fabsf(((const float *)(const void *)fw->data)[o * 18 + k]));
        assert_float_equal(w->quant.scale[o], amax / 127.0f, 1e-9);
        assert_int_equal(w->quant.zero_point[o], 0);
        for (int k = 0; k < 18; k++) {
            float v = ((const float *)(const void *)fw->data)[o * 18 + k];
            assert_int_equal(((const int8_t *)w->data)[o * 18 + k], (int)lroundf(v / (amax / 127.0f)));
        }
        float bs = x->quant.scale[0] * w->quant.scale[o];
        assert_float_equal(b->quant.scale[o], bs, 1e-12);
        float bv = ((const float *)(const void *)fb->data)[o];
        assert_int_equal(((const int32_t *)(const void *)b->data)[o], (int)lround((double)bv / bs));
    }
    /* depthwise: per channel on axis 3. */
    const tml_ir_node_t *dw = node_named(&g, "dw");
    assert_int_equal(g.tensors[dw->in[1]].quant.n, 4);
    assert_int_equal(g.tensors[dw->in[1]].quant.axis, 3);
    /* SUB has no int8 kernel: float between DEQUANTIZE and QUANTIZE. */
    const tml_ir_node_t *sub = node_named(&g, "sub");
    assert_int_equal(g.tensors[sub->in[0]].dtype, TML_DT_F32);
    assert_int_equal(g.tensors[sub->out[0]].dtype, TML_DT_F32);
    assert_int_equal(tml_ir_producer(&g, sub->in[0]) >= 0 &&
                     g.nodes[tml_ir_producer(&g, sub->in[0])].op == TML_OP_DEQUANTIZE, 1);
    assert_int_equal(r.n_float_ops, 1);
    /* maxpool and reshape keep their input's params. */
    const tml_ir_node_t *pool = node_named(&g, "pool");
    assert_float_equal(g.tensors[pool->out[0]].quant.scale[0], g.tensors[pool->in[0]].quant.scale[0], 0);

    /* The report: a layer per node, errors sane, outputs close. */
    assert_int_equal(r.n_calib, 24);
    assert_int_equal(r.n_outputs, 1);
    assert_true(r.n_layers >= 6);
    for (int l = 0; l < r.n_layers; l++) {
        assert_true(r.layers[l].err.sqnr_db > 20.0);
        assert_true(r.layers[l].err.max_abs_err >= r.layers[l].err.mean_abs_err);
    }
    assert_true(r.outputs[0].sqnr_db > 20.0);
    assert_true(r.outputs[0].max_abs_err < 0.1);
    assert_true(r.top1_agreement >= 0.9);
    tml_quant_report_free(&r);

    /* The int8 package runs and agrees with the float package on fresh data
     * (through tml_quant_compare, which the report also uses). */
    tml_calib_set_t test;
    make_set(&test, 16, 72, 77, 1.5f);
    tml_ir_graph_t f2;
    TML_ASSERT_OK(tml_ir_copy(&f2, &f));
    TML_ASSERT_OK(tml_passes_run(&f2, NULL, &err));
    memset(&r, 0, sizeof(r));
    TML_ASSERT_OK_ERR(tml_quant_compare(&f2, &g, &test, &r, &err), &err);
    assert_true(r.outputs[0].sqnr_db > 20.0);
    assert_true(r.top1_agreement >= 0.85);
    tml_quant_report_free(&r);
    tml_ir_free(&f2);

    /* It compiles (all int8 kernels and the fallback lower). */
    tml_compiled_t c;
    TML_ASSERT_OK_ERR(tml_compile_graph(&g, NULL, &c, &err), &err);
    tml_compiled_free(&c);
    tml_ir_free(&f);
    tml_calib_free(&calib);
    tml_calib_free(&test);
}

/* x -> RELU -> y with calibration data that has one large outlier: min/max
 * spends the range on it, percentile and entropy clip it. */
static float relu_out_scale(tml_calib_method_t method)
{
    tml_ir_graph_t g;
    TML_ASSERT_OK(tml_ir_init(&g, "relu"));
    int32_t d[2] = {1, 256}, x, y;
    TML_ASSERT_OK(tml_ir_add_tensor(&g, "x", TML_DT_F32, 2, d, &x));
    TML_ASSERT_OK(tml_ir_add_tensor(&g, "y", TML_DT_F32, 2, d, &y));
    TML_ASSERT_OK(tml_ir_add_node(&g, TML_OP_TANH, NULL, &x, 1, &y, 1, NULL, NULL));
    int32_t z, dz[2] = {1, 256};
    TML_ASSERT_OK(tml_ir_add_tensor(&g, "z", TML_DT_F32, 2, dz, &z));
    TML_ASSERT_OK(tml_ir_add_node(&g, TML_OP_RELU, NULL, &x, 1, &z, 1, NULL, NULL));
    int32_t outs[2] = {y, z};
    TML_ASSERT_OK(tml_ir_set_io(&g, &x, 1, outs, 2));
    tml_calib_set_t set;
    make_set(&set, 8, 256, 3, 1.0f);
    /* Gaussian-ish: sum of uniforms, then one outlier at 50. */
    for (int s = 0; s < 8; s++)
        for (int k = 0; k < 256; k++)
            set.data[s][k] = (frand() + frand() + frand()) * 0.5f;
    set.data[0][0] = 50.0f;
    tml_quant_opts_t opts = {.method = method, .percentile = 99.9f};
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_quantize(&g, &set, NULL, &opts, NULL, &err), &err);
    float scale = g.tensors[g.outputs[1]].quant.scale[0];
    tml_ir_free(&g);
    tml_calib_free(&set);
    return scale;
}

static void test_calibration_methods(void **state)
{
    (void)state;
    float minmax = relu_out_scale(TML_CALIB_MINMAX);
    float pct = relu_out_scale(TML_CALIB_PERCENTILE);
    float kl = relu_out_scale(TML_CALIB_ENTROPY);
    assert_float_equal(minmax, 50.0f / 255.0f, 1e-6);
    /* 99.9 % of 2048 values keeps about the largest of the bulk (<= 1.5). */
    assert_true(pct < 1.6f / 255.0f);
    assert_true(pct > 0.5f / 255.0f);
    /* KL clips the outlier too, keeping most of the bulk's range. */
    /* (the candidate thresholds start at 255 bins of 2048, as TensorRT's
     * start at 128, so the outlier still pulls it to about 50 / 8) */
    assert_true(kl < minmax / 5.0f);
    assert_true(kl > 0.3f / 255.0f);
}

static void test_report_json(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    build_net(&g);
    tml_calib_set_t calib;
    make_set(&calib, 8, 72, 5, 2.0f);
    calib.labels = tml_calloc(8, sizeof(int64_t));
    tml_compile_opts_t opts = {.quantize = true, .calib = &calib,
                               .quant = {.method = TML_CALIB_ENTROPY}};
    tml_compiled_t c;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_compile_graph(&g, &opts, &c, &err), &err);
    json_t *j = tml_report_json(&c, "net");
    assert_non_null(j);
    json_t *q = json_object_get(j, "quantization");
    assert_non_null(q);
    assert_string_equal(json_string_value(json_object_get(q, "calibration")), "entropy");
    json_t *layers = json_object_get(q, "layers");
    assert_true(json_array_size(layers) >= 6);
    assert_non_null(json_object_get(json_array_get(layers, 0), "sqnr_db"));
    assert_non_null(json_object_get(q, "accuracy_int8"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "inputs"), 0), "dtype")),
                        "int8");
    json_decref(j);
    tml_compiled_free(&c);
    tml_calib_free(&calib);
}

static void write_npy(const char *path, const int64_t *dims, int n_dims, const float *v)
{
    int64_t n = 1;
    for (int i = 0; i < n_dims; i++)
        n *= dims[i];
    uint8_t *buf;
    size_t len;
    TML_ASSERT_OK(tml_npy_build("f4", dims, n_dims, v, (size_t)n * 4, &buf, &len, NULL));
    TML_ASSERT_OK(tml_file_write(path, buf, len, NULL));
    tml_free(buf);
}

static void test_calib_load(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    build_net(&g);
    char dir[] = "/tmp/tml_calib_XXXXXX";
    assert_non_null(mkdtemp(dir));
    float v[3 * 72];
    for (int i = 0; i < 3 * 72; i++)
        v[i] = (float)i;
    char path[256];
    int64_t batch[5] = {3, 1, 6, 6, 2}, one[4] = {1, 6, 6, 2}, bad[2] = {1, 71};
    snprintf(path, sizeof(path), "%s/a.npy", dir);
    write_npy(path, batch, 5, v);
    snprintf(path, sizeof(path), "%s/b.npy", dir);
    write_npy(path, one, 4, v + 72);
    tml_calib_set_t set;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_calib_load(dir, NULL, &g, &set, &err), &err);
    assert_int_equal(set.n_samples, 4);   /* 3 from a.npy, then b.npy */
    assert_float_equal(set.data[1][0], 72.0f, 0);
    assert_float_equal(set.data[3][0], 72.0f, 0);
    tml_calib_free(&set);
    snprintf(path, sizeof(path), "%s/a.npy", dir);
    TML_ASSERT_OK(tml_calib_load(path, NULL, &g, &set, &err));
    assert_int_equal(set.n_samples, 3);
    tml_calib_free(&set);
    snprintf(path, sizeof(path), "%s/c.npy", dir);
    write_npy(path, bad, 2, v);
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_calib_load(path, NULL, &g, &set, &err), TML_ERR_ARG);
    assert_non_null(strstr(tml_err_message(&err), "not whole samples"));
    unlink(path);
    snprintf(path, sizeof(path), "%s/a.npy", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/b.npy", dir);
    unlink(path);
    rmdir(dir);
    tml_ir_free(&g);
}

static void test_refuses(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    build_net(&g);
    tml_calib_set_t calib;
    make_set(&calib, 2, 72, 5, 1.0f);
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK(tml_quantize(&g, &calib, NULL, NULL, NULL, &err));
    /* Quantizing again: already int8. */
    TML_ASSERT_STATUS(tml_quantize(&g, &calib, NULL, NULL, NULL, &err), TML_ERR_ARG);
    if (!strstr(tml_err_message(&err), "quantized"))
        fail_msg("message: %s", tml_err_message(&err));
    tml_ir_free(&g);
    /* An empty calibration set. */
    build_net(&g);
    tml_calib_set_t empty = {0};
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_quantize(&g, &empty, NULL, NULL, NULL, &err), TML_ERR_ARG);
    tml_ir_free(&g);
    tml_calib_free(&calib);
}

/* Every allocation of a quantization (calibration, rewrite, report)
 * failing in turn gives a clean out-of-memory error and no leak. */
typedef struct {
    const tml_ir_graph_t *src;
    const tml_calib_set_t *calib;
    tml_quant_opts_t opts;
    tml_ir_graph_t g;
    tml_quant_report_t r;
} walk_t;

static tml_status_t walk_op(void *p)
{
    walk_t *w = p;
    tml_status_t st = tml_ir_copy(&w->g, w->src);
    if (st != TML_OK)
        return st;
    st = tml_quantize(&w->g, w->calib, NULL, &w->opts, &w->r, NULL);
    if (st != TML_OK)
        tml_ir_free(&w->g);
    return st;
}

static void walk_cleanup(void *p)
{
    walk_t *w = p;
    tml_quant_report_free(&w->r);
    tml_ir_free(&w->g);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    build_net(&g);
    tml_calib_set_t calib;
    make_set(&calib, 2, 72, 5, 2.0f);
    walk_t w = {.src = &g, .calib = &calib, .opts = {.method = TML_CALIB_PERCENTILE}};
    assert_true(tml_test_alloc_walk(walk_op, walk_cleanup, &w) > 100);
    tml_ir_free(&g);
    tml_calib_free(&calib);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rewrite, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_calibration_methods, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_report_json, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_calib_load, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_refuses, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
