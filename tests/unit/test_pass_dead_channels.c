/*
 * test_pass_dead_channels.c - the dead-channel pass is exact: graphs with
 * constant channels (all-zero weights, with biases that give the zero point
 * or another constant) compile with and without the pass to packages whose
 * outputs are identical on random inputs, while the pass removes channels,
 * weights and MACs. Channels the pass must keep (constant != zero point
 * feeding a padded conv; graph outputs) are kept.
 */
#include <stdlib.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/session.h"

typedef struct {
    tml_ir_graph_t g;
    uint32_t seed;
} builder_t;

static uint32_t next_rand(builder_t *b)
{
    b->seed = b->seed * 1664525u + 1013904223u;
    return b->seed >> 8;
}

static int32_t act(builder_t *b, const char *name, int32_t h, int32_t w, int32_t c, float scale, int32_t zp)
{
    int32_t dims[4] = {1, h, w, c}, idx;
    TML_ASSERT_OK(tml_ir_add_tensor(&b->g, name, TML_DT_I8, 4, dims, &idx));
    TML_ASSERT_OK(tml_ir_set_quant(&b->g, idx, 1, &scale, &zp, 0));
    return idx;
}

/* Weights [o, kh, kw, i] (or [1, kh, kw, o] for depthwise) with the given
 * output channels all zero, per-channel scales, and a bias per channel. */
static void weights(builder_t *b, const char *name, int dw, int32_t o, int32_t kh, int32_t kw,
                    int32_t i, const int *dead, float in_scale, int32_t *w_idx, int32_t *b_idx,
                    const int32_t *bias_values)
{
    int32_t dims[4] = {dw ? 1 : o, kh, kw, dw ? o : i};
    TML_ASSERT_OK(tml_ir_add_tensor(&b->g, name, TML_DT_I8, 4, dims, w_idx));
    size_t n = (size_t)o * kh * kw * (dw ? 1 : i);
    int8_t *data = malloc(n);
    for (size_t k = 0; k < n; k++) {
        int32_t oc = dw ? (int32_t)(k % (size_t)o) : (int32_t)(k / ((size_t)kh * kw * i));
        data[k] = dead[oc] ? 0 : (int8_t)((int32_t)(next_rand(b) % 200) - 100);
    }
    TML_ASSERT_OK(tml_ir_set_data(&b->g, *w_idx, data, n));
    free(data);
    float *scales = malloc((size_t)o * sizeof(float));
    int32_t *zps = calloc((size_t)o, sizeof(int32_t));
    float *bscales = malloc((size_t)o * sizeof(float));
    for (int32_t c = 0; c < o; c++) {
        scales[c] = 0.002f + 0.0005f * (float)(c % 5);
        bscales[c] = scales[c] * in_scale;
    }
    TML_ASSERT_OK(tml_ir_set_quant(&b->g, *w_idx, o, scales, zps, dw ? 3 : 0));
    int32_t bdims[1] = {o};
    char bname[64];
    snprintf(bname, sizeof(bname), "%s_bias", name);
    TML_ASSERT_OK(tml_ir_add_tensor(&b->g, bname, TML_DT_I32, 1, bdims, b_idx));
    TML_ASSERT_OK(tml_ir_set_data(&b->g, *b_idx, bias_values, (size_t)o * sizeof(int32_t)));
    TML_ASSERT_OK(tml_ir_set_quant(&b->g, *b_idx, o, bscales, zps, 0));
    free(scales);
    free(zps);
    free(bscales);
}

static void conv(builder_t *b, tml_ir_op_t op, int32_t in, int32_t w, int32_t bias, int32_t out,
                 int32_t pad, tml_act_t a)
{
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    attrs.conv = (tml_ir_conv_t){.stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1,
                                 .pad_top = pad, .pad_left = pad, .pad_bottom = pad,
                                 .pad_right = pad, .depth_multiplier = 1, .act = a};
    int32_t ins[3] = {in, w, bias};
    TML_ASSERT_OK(tml_ir_add_node(&b->g, op, NULL, ins, 3, &out, 1, &attrs, NULL));
}

/* input 6x6x3 -> conv3x3 pad1 (8 ch: 2 dead to the zero point through ReLU,
 * 1 dead to another constant) -> dw3x3 pad1 -> conv1x1 (6 ch, 1 dead) ->
 * conv3x3 no padding (4 ch) -> output. */
static void build(builder_t *b)
{
    memset(b, 0, sizeof(*b));
    b->seed = 12345;
    TML_ASSERT_OK(tml_ir_init(&b->g, "deadnet"));
    int32_t x = act(b, "x", 6, 6, 3, 0.05f, -10);
    int32_t t1 = act(b, "t1", 6, 6, 8, 0.04f, -128);
    int32_t t2 = act(b, "t2", 6, 6, 8, 0.03f, -128);
    int32_t t3 = act(b, "t3", 6, 6, 6, 0.05f, -20);
    int32_t y = act(b, "y", 4, 4, 4, 0.1f, 3);
    int32_t w, bias;
    const int dead1[8] = {0, 1, 0, 0, 1, 0, 1, 0};
    const int32_t b1[8] = {100, -5000, 50, 0, -1, 20, 9000, -30}; /* 1, 4 -> zp; 6 -> constant */
    weights(b, "w1", 0, 8, 3, 3, 3, dead1, 0.05f, &w, &bias, b1);
    conv(b, TML_OP_CONV2D, x, w, bias, t1, 1, TML_ACT_RELU);
    const int dead2[8] = {0};
    const int32_t b2[8] = {10, 20, -30, 40, 0, 60, 70, -80};
    weights(b, "w2", 1, 8, 3, 3, 1, dead2, 0.04f, &w, &bias, b2);
    conv(b, TML_OP_DEPTHWISE_CONV2D, t1, w, bias, t2, 1, TML_ACT_RELU6);
    const int dead3[6] = {0, 0, 1, 0, 0, 0};
    const int32_t b3[6] = {5, -5, 4000, 0, 7, 9};
    weights(b, "w3", 0, 6, 1, 1, 8, dead3, 0.03f, &w, &bias, b3);
    conv(b, TML_OP_CONV2D, t2, w, bias, t3, 0, TML_ACT_NONE);
    const int dead4[4] = {0, 1, 0, 0}; /* a graph output channel: must stay */
    const int32_t b4[4] = {1, 2, 3, 4};
    weights(b, "w4", 0, 4, 3, 3, 6, dead4, 0.05f, &w, &bias, b4);
    conv(b, TML_OP_CONV2D, t3, w, bias, y, 0, TML_ACT_NONE);
    TML_ASSERT_OK(tml_ir_set_io(&b->g, &x, 1, &y, 1));
}

static void pass_is_exact_and_removes_channels(void **state)
{
    (void)state;
    tml_err_t err;
    tml_err_clear(&err);
    builder_t b1, b2;
    build(&b1);
    build(&b2);
    tml_compiled_t with, without;
    tml_compile_opts_t keep = {.keep_dead_channels = true};
    TML_ASSERT_OK_ERR(tml_compile_graph(&b1.g, NULL, &with, &err), &err);
    TML_ASSERT_OK_ERR(tml_compile_graph(&b2.g, &keep, &without, &err), &err);

    /* t1: channels 1, 4 (zero point) reach the dw and then the 1x1 conv;
     * channel 6 is a constant other than the zero point, and the dw conv
     * pads, so it must stay. t3's channel 2 is a constant other than the
     * zero point feeding an unpadded conv: folded into its bias. */
    assert_int_equal(with.dead_channels.channels_removed, 5); /* 2 in t1, 2 in t2, 1 in t3 */
    assert_true(with.dead_channels.weight_bytes_saved > 0);
    assert_true(with.dead_channels.macs_saved > 0);
    assert_int_equal(without.dead_channels.channels_removed, 0);
    assert_true(with.const_bytes < without.const_bytes);

    tml_session_t s1, s2;
    TML_ASSERT_OK_ERR(tml_session_open(&s1, with.pkg, with.pkg_len, &err), &err);
    TML_ASSERT_OK_ERR(tml_session_open(&s2, without.pkg, without.pkg_len, &err), &err);
    int8_t input[6 * 6 * 3];
    uint32_t seed = 7;
    for (int trial = 0; trial < 50; trial++) {
        for (size_t i = 0; i < sizeof(input); i++) {
            seed = seed * 1103515245u + 12345u;
            input[i] = (int8_t)(seed >> 24);
        }
        TML_ASSERT_OK(tml_session_set_input(&s1, 0, input, sizeof(input), &err));
        TML_ASSERT_OK(tml_session_set_input(&s2, 0, input, sizeof(input), &err));
        TML_ASSERT_OK(tml_session_run(&s1, &err));
        TML_ASSERT_OK(tml_session_run(&s2, &err));
        const void *o1, *o2;
        size_t n1, n2;
        TML_ASSERT_OK(tml_session_output(&s1, 0, &o1, &n1, &err));
        TML_ASSERT_OK(tml_session_output(&s2, 0, &o2, &n2, &err));
        assert_int_equal(n1, n2);
        assert_memory_equal(o1, o2, n1);
    }
    tml_session_close(&s1);
    tml_session_close(&s2);
    tml_compiled_free(&with);
    tml_compiled_free(&without);
}

static void mlperf_vww_loses_most_dead_weights(void **state)
{
    (void)state;
    if (!tml_test_have_shared())
        skip();
    char path[4096];
    snprintf(path, sizeof(path), "%s/vww_96_int8/model.tflite", tml_test_shared("models/mlperf-tiny"));
    tml_compiled_t c;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_compile_file(path, NULL, &c, &err), &err);
    print_message("vww: %d channels removed, %lld weight bytes and %lld MACs saved\n",
                  c.dead_channels.channels_removed, (long long)c.dead_channels.weight_bytes_saved,
                  (long long)c.dead_channels.macs_saved);
    assert_true(c.dead_channels.channels_removed > 900);
    assert_true(c.const_bytes < 70000);
    tml_compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pass_is_exact_and_removes_channels, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(mlperf_vww_loses_most_dead_weights, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
