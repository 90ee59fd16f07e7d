/*
 * test_prune.c - magnitude and channel pruning (tml/prune.h).
 *
 * Channel pruning is checked for exactness where it must be exact: the
 * channels built here with zero weights and zero bias are the weakest, so
 * pruning exactly them must leave the outputs unchanged, which also proves
 * the consumer's inputs were cut at the right places (through a TRANSPOSE
 * to NCHW and a flatten, as an ONNX model has them). Magnitude pruning must
 * zero exactly the requested share of each layer, smallest first.
 */
#include <math.h>
#include <stdlib.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/prune.h"
#include "tml/quant.h"

static uint32_t seed;
static float frand(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)(seed >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static int32_t tensor(tml_ir_graph_t *g, const char *name, int n_dims, const int32_t *dims,
                      bool random)
{
    int32_t idx;
    TML_ASSERT_OK(tml_ir_add_tensor(g, name, TML_DT_F32, n_dims, dims, &idx));
    if (random) {
        size_t n = (size_t)tml_ir_tensor_elems(&g->tensors[idx]);
        float *v = malloc(n * 4 + 4);
        for (size_t i = 0; i < n; i++)
            v[i] = frand();
        TML_ASSERT_OK(tml_ir_set_data(g, idx, v, n * 4));
        free(v);
    }
    return idx;
}

static float *fdata(tml_ir_graph_t *g, int32_t t)
{
    return (float *)(void *)g->tensors[t].data;
}

/* x[1,4,4,3] -> conv 3x3 pad 1 (8 ch; channels 2 and 5 dead) relu ->
 * maxpool 2x2 -> TRANSPOSE to NCHW -> RESHAPE [1, 32] -> fc 6 -> relu ->
 * fc 4 (its 6 inputs: channel 1 dead). With residual, the conv output is
 * also added to itself, which must stop channel pruning of the conv. */
static void build(tml_ir_graph_t *g, bool residual)
{
    seed = 4242;
    TML_ASSERT_OK(tml_ir_init(g, "prune"));
    int32_t dx[4] = {1, 4, 4, 3}, dw[4] = {8, 3, 3, 3}, d8[1] = {8}, dc[4] = {1, 4, 4, 8};
    int32_t dp[4] = {1, 2, 2, 8}, dt[4] = {1, 8, 2, 2}, df[2] = {1, 32}, dfw[2] = {6, 32};
    int32_t d6[1] = {6}, dh[2] = {1, 6}, dfw2[2] = {4, 6}, d4[1] = {4}, dy[2] = {1, 4};
    int32_t x = tensor(g, "x", 4, dx, false), w = tensor(g, "w", 4, dw, true);
    int32_t b = tensor(g, "b", 1, d8, true), c = tensor(g, "c", 4, dc, false);
    int32_t p = tensor(g, "p", 4, dp, false), t = tensor(g, "t", 4, dt, false);
    int32_t f = tensor(g, "f", 2, df, false), fw = tensor(g, "fw", 2, dfw, true);
    int32_t fb = tensor(g, "fb", 1, d6, true), h = tensor(g, "h", 2, dh, false);
    int32_t fw2 = tensor(g, "fw2", 2, dfw2, true), fb2 = tensor(g, "fb2", 1, d4, true);
    int32_t y = tensor(g, "y", 2, dy, false);
    for (int k = 0; k < 27; k++) {
        fdata(g, w)[2 * 27 + k] = 0.0f;
        fdata(g, w)[5 * 27 + k] = 0.0f;
    }
    fdata(g, b)[2] = fdata(g, b)[5] = 0.0f;
    for (int k = 0; k < 32; k++)
        fdata(g, fw)[1 * 32 + k] = 0.0f;
    fdata(g, fb)[1] = 0.0f;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    a.conv = (tml_ir_conv_t){.stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1,
                             .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1,
                             .act = TML_ACT_RELU};
    int32_t in1[3] = {x, w, b};
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_CONV2D, "conv", in1, 3, &c, 1, &a, NULL));
    int32_t pin = c;
    if (residual) {
        int32_t r = tensor(g, "r", 4, dc, false), add_in[2] = {c, c};
        tml_ir_attrs_t none = {.act = TML_ACT_NONE};
        TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_ADD, "add", add_in, 2, &r, 1, &none, NULL));
        pin = r;
    }
    memset(&a, 0, sizeof(a));
    a.pool = (tml_ir_pool_t){.filter_h = 2, .filter_w = 2, .stride_h = 2, .stride_w = 2};
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_MAX_POOL2D, "pool", &pin, 1, &p, 1, &a, NULL));
    memset(&a, 0, sizeof(a));
    a.transpose = (tml_ir_transpose_t){.perm = {0, 3, 1, 2}};
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_TRANSPOSE, "nchw", &p, 1, &t, 1, &a, NULL));
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_RESHAPE, "flat", &t, 1, &f, 1, NULL, NULL));
    tml_ir_attrs_t relu = {.act = TML_ACT_RELU}, none = {.act = TML_ACT_NONE};
    int32_t in2[3] = {f, fw, fb}, in3[3] = {h, fw2, fb2};
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_FULLY_CONNECTED, "fc1", in2, 3, &h, 1, &relu, NULL));
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_FULLY_CONNECTED, "fc2", in3, 3, &y, 1, &none, NULL));
    TML_ASSERT_OK(tml_ir_set_io(g, &x, 1, &y, 1));
}

static void make_set(tml_calib_set_t *set, int n)
{
    memset(set, 0, sizeof(*set));
    set->n_samples = n;
    set->n_inputs = 1;
    set->data = tml_calloc((size_t)n, sizeof(float *));
    set->labels = tml_calloc((size_t)n, sizeof(int64_t));
    seed = 9;
    for (int i = 0; i < n; i++) {
        set->data[i] = tml_malloc(48 * 4);
        for (int k = 0; k < 48; k++)
            set->data[i][k] = frand();
        set->labels[i] = i % 4;
    }
}

static void test_channels_exact(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    build(&g, false);
    tml_calib_set_t set;
    make_set(&set, 12);
    tml_prune_opts_t opts = {.channels = 0.25f};
    tml_prune_report_t r;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_prune(&g, &opts, &set, &r, &err), &err);
    /* conv: 8 -> 6 channels (the two dead ones); fc1: 6 -> 5 (floor(1.5)). */
    assert_int_equal(r.layers_structured, 2);
    assert_int_equal(r.channels_removed, 3);
    const tml_ir_node_t *conv = &g.nodes[0], *fc1 = &g.nodes[4], *fc2 = &g.nodes[5];
    assert_int_equal(g.tensors[conv->in[1]].dims[0], 6);
    assert_int_equal(g.tensors[conv->in[2]].dims[0], 6);
    assert_int_equal(g.tensors[conv->out[0]].dims[3], 6);
    assert_int_equal(g.tensors[fc1->in[0]].dims[1], 24);
    assert_int_equal(g.tensors[fc1->in[1]].dims[1], 24);
    assert_int_equal(g.tensors[fc2->in[1]].dims[1], 5);
    assert_true(r.macs_after < r.macs_before);
    assert_true(r.params_after < r.params_before);
    /* Exact: the removed channels contributed nothing. */
    assert_int_equal(r.n_eval, 12);
    assert_float_equal(r.top1_agreement, 1.0, 0);
    assert_true(r.output_err.max_abs_err < 1e-5);
    assert_true(r.have_labels);
    assert_float_equal(r.accuracy_before, r.accuracy_after, 0);
    /* and it compiles to a package. */
    tml_compiled_t c;
    TML_ASSERT_OK_ERR(tml_compile_graph(&g, NULL, &c, &err), &err);
    tml_compiled_free(&c);
    tml_calib_free(&set);
}

static void test_channels_residual_kept(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    build(&g, true);
    tml_prune_opts_t opts = {.channels = 0.25f};
    tml_prune_report_t r;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_prune(&g, &opts, NULL, &r, &err), &err);
    assert_int_equal(r.layers_structured, 1); /* only fc1 */
    assert_int_equal(g.tensors[g.nodes[0].in[1]].dims[0], 8);
    tml_ir_free(&g);
}

static int cmp_abs(const void *a, const void *b)
{
    float x = fabsf(*(const float *)a), y = fabsf(*(const float *)b);
    return x < y ? -1 : x > y;
}

static void test_magnitude(void **state)
{
    (void)state;
    tml_ir_graph_t g, orig;
    build(&g, false);
    build(&orig, false);
    tml_calib_set_t set;
    make_set(&set, 8);
    tml_prune_opts_t opts = {.sparsity = 0.5f};
    tml_prune_report_t r;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_prune(&g, &opts, &set, &r, &err), &err);
    /* Each layer: exactly floor(0.5 n) zeros (more where weights were 0
     * already), and every kept weight is at least as large as every
     * zeroed one. */
    const char *names[3] = {"w", "fw", "fw2"};
    for (int l = 0; l < 3; l++) {
        int32_t t = -1, o = -1;
        for (int i = 0; i < g.n_tensors; i++)
            if (!strcmp(g.tensors[i].name, names[l]))
                t = i;
        for (int i = 0; i < orig.n_tensors; i++)
            if (!strcmp(orig.tensors[i].name, names[l]))
                o = i;
        int64_t n = tml_ir_tensor_elems(&g.tensors[t]);
        float *sorted = malloc((size_t)n * 4);
        memcpy(sorted, fdata(&orig, o), (size_t)n * 4);
        qsort(sorted, (size_t)n, 4, cmp_abs);
        float thr = fabsf(sorted[n / 2 - 1]);
        int64_t zeros = 0;
        for (int64_t k = 0; k < n; k++) {
            float v = fdata(&g, t)[k], v0 = fdata(&orig, o)[k];
            zeros += v == 0.0f;
            if (v != 0.0f) {
                assert_float_equal(v, v0, 0);
                assert_true(fabsf(v0) >= thr);
            } else {
                assert_true(fabsf(v0) <= thr);
            }
        }
        assert_int_equal(zeros, n / 2);
        free(sorted);
    }
    assert_int_equal(r.weights_zero, r.weights_total / 2);
    assert_true(r.top1_agreement >= 0.0 && r.top1_agreement <= 1.0);
    assert_true(r.output_err.max_abs_err > 0.0); /* it did change the function */
    tml_ir_free(&g);
    tml_ir_free(&orig);
    tml_calib_free(&set);
}

static void test_bad_args(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    build(&g, false);
    tml_prune_opts_t opts = {.sparsity = 1.0f};
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_prune(&g, &opts, NULL, NULL, &err), TML_ERR_ARG);
    tml_ir_free(&g);
}

typedef struct {
    const tml_ir_graph_t *src;
    const tml_calib_set_t *set;
    tml_ir_graph_t g;
} walk_t;

static tml_status_t walk_op(void *p)
{
    walk_t *w = p;
    tml_status_t st = tml_ir_copy(&w->g, w->src);
    if (st != TML_OK)
        return st;
    tml_prune_opts_t opts = {.sparsity = 0.3f, .channels = 0.25f};
    st = tml_prune(&w->g, &opts, w->set, NULL, NULL);
    if (st != TML_OK)
        tml_ir_free(&w->g);
    return st;
}

static void walk_cleanup(void *p)
{
    tml_ir_free(&((walk_t *)p)->g);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    build(&g, false);
    tml_calib_set_t set;
    make_set(&set, 2);
    walk_t w = {.src = &g, .set = &set};
    assert_true(tml_test_alloc_walk(walk_op, walk_cleanup, &w) > 50);
    tml_ir_free(&g);
    tml_calib_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_channels_exact, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_channels_residual_kept, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_magnitude, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_bad_args, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
