/*
 * test_kernels_elementwise.c - the elementwise kernels, their op glue and
 * their lowering: small IR graphs are lowered, the lowered params compared
 * with values worked out offline, and the ops run through their check() and
 * eval() as the interpreter does.
 *
 * Expected int8 values come from hand calculation (noted at each case) or
 * from tests/unit/gen/elementwise_expected.py, an independent Python model
 * of TFLM's reference arithmetic, run with /usr/bin/python3 (numpy not
 * needed); each such array says so. Floats are compared within 1e-6
 * relative unless exact by construction.
 */
#include <math.h>
#include <stdlib.h>

#include "tml_test.h"
#include "tml/lower.h"
#include "../../runtime/ops/ops.h"

/* ---- A tiny interpreter for lowered ops -------------------------------- */

#define NET_MAX_TENSORS 32

typedef struct {
    tml_ir_graph_t g;
    tml_lowered_t lw;
    void *buf[NET_MAX_TENSORS];
    tml_pkg_tensor_t pt[NET_MAX_TENSORS];
} net_t;

static void net_init(net_t *n)
{
    memset(n, 0, sizeof(*n));
    TML_ASSERT_OK(tml_ir_init(&n->g, "test"));
}

static int32_t net_tensor(net_t *n, tml_dtype_t dtype, int n_dims, const int32_t *dims, float scale,
                          int32_t zp)
{
    int32_t idx;
    TML_ASSERT_OK(tml_ir_add_tensor(&n->g, NULL, dtype, n_dims, dims, &idx));
    if (scale > 0.0f)
        TML_ASSERT_OK(tml_ir_set_quant(&n->g, idx, 1, &scale, &zp, 0));
    return idx;
}

static void net_node(net_t *n, tml_ir_op_t op, const int32_t *in, int n_in, int32_t out,
                     const tml_ir_attrs_t *attrs)
{
    TML_ASSERT_OK(tml_ir_add_node(&n->g, op, "n", in, n_in, &out, 1, attrs, NULL));
}

/* Lowers the graph and gives every tensor a zeroed buffer and a package
 * descriptor. */
static void net_lower(net_t *n)
{
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_lower_graph(&n->g, &n->lw, &err), &err);
    assert_true(n->g.n_tensors <= NET_MAX_TENSORS);
    for (int i = 0; i < n->g.n_tensors; i++) {
        const tml_ir_tensor_t *t = &n->g.tensors[i];
        size_t bytes = tml_ir_tensor_bytes(t);
        n->buf[i] = tml_calloc(bytes ? bytes : 1, 1);
        assert_non_null(n->buf[i]);
        if (t->data)
            memcpy(n->buf[i], t->data, bytes);
        tml_pkg_tensor_t *p = &n->pt[i];
        memset(p, 0, sizeof(*p));
        p->dtype = (uint8_t)t->dtype;
        p->n_dims = (uint8_t)t->n_dims;
        for (int d = 0; d < TML_PKG_MAX_DIMS; d++)
            p->dims[d] = d < t->n_dims ? t->dims[d] : 1;
        p->byte_len = (uint32_t)bytes;
    }
}

static const tml_op_desc_t *net_ctx(net_t *n, int op_i, tml_op_ctx_t *ctx)
{
    const tml_lop_t *op = &n->lw.ops[op_i];
    const tml_op_desc_t *desc = tml_op_find(op->kernel);
    assert_non_null(desc);
    assert_int_equal(desc->n_params, op->n_params);
    memset(ctx, 0, sizeof(*ctx));
    ctx->params = op->params;
    ctx->n_in = (uint32_t)op->n_in;
    ctx->n_out = (uint32_t)op->n_out;
    for (int i = 0; i < op->n_in + op->n_out; i++) {
        ctx->t[i] = &n->pt[op->operands[i]];
        ctx->data[i] = n->buf[op->operands[i]];
    }
    return desc;
}

static void net_run(net_t *n)
{
    for (int i = 0; i < n->lw.n_ops; i++) {
        tml_op_ctx_t ctx;
        const tml_op_desc_t *desc = net_ctx(n, i, &ctx);
        assert_true(ctx.n_in >= desc->min_inputs && ctx.n_in <= desc->max_inputs);
        assert_int_equal(ctx.n_out, desc->n_outputs);
        TML_ASSERT_OK(desc->check(&ctx));
        desc->eval(&ctx);
    }
}

static void net_free(net_t *n)
{
    for (int i = 0; i < NET_MAX_TENSORS; i++)
        tml_free(n->buf[i]);
    tml_lowered_free(&n->lw);
    tml_ir_free(&n->g);
}

static void set_i8(net_t *n, int32_t t, const int8_t *v, size_t count)
{
    memcpy(n->buf[t], v, count);
}

static void expect_i8(net_t *n, int32_t t, const int8_t *want, size_t count)
{
    const int8_t *got = n->buf[t];
    for (size_t i = 0; i < count; i++)
        if (got[i] != want[i])
            fail_msg("element %zu: got %d, expected %d", i, got[i], want[i]);
}

static void expect_f32(net_t *n, int32_t t, const float *want, size_t count)
{
    const float *got = n->buf[t];
    for (size_t i = 0; i < count; i++) {
        float tol = 1e-6f * (fabsf(want[i]) > 1.0f ? fabsf(want[i]) : 1.0f);
        if (!(fabsf(got[i] - want[i]) <= tol))
            fail_msg("element %zu: got %.9g, expected %.9g", i, (double)got[i], (double)want[i]);
    }
}

/* Lowers a one-input, one-output node of op over int8 [count] tensors,
 * runs it on in and compares with want. */
static void run_unary_s8(tml_ir_op_t op, const tml_ir_attrs_t *attrs, float si, int32_t zi,
                         float so, int32_t zo, const int8_t *in, const int8_t *want,
                         int32_t count, net_t *keep)
{
    net_t n;
    net_init(&n);
    int32_t dims[1] = {count};
    int32_t a = net_tensor(&n, TML_DT_I8, 1, dims, si, zi);
    int32_t b = net_tensor(&n, TML_DT_I8, 1, dims, so, zo);
    net_node(&n, op, &a, 1, b, attrs);
    net_lower(&n);
    set_i8(&n, a, in, (size_t)count);
    net_run(&n);
    expect_i8(&n, b, want, (size_t)count);
    if (keep)
        *keep = n;
    else
        net_free(&n);
}

static const int8_t XS[11] = {-128, -100, -50, -10, -1, 0, 1, 10, 50, 100, 127};

/* ---- ADD / MUL ---------------------------------------------------------- */

static void add_s8_matches_tflm(void **state)
{
    (void)state;
    net_t n;
    net_init(&n);
    int32_t dims[1] = {6};
    int32_t a = net_tensor(&n, TML_DT_I8, 1, dims, 0.1f, 3);
    int32_t b = net_tensor(&n, TML_DT_I8, 1, dims, 0.2f, -5);
    int32_t c = net_tensor(&n, TML_DT_I8, 1, dims, 0.25f, 1);
    int32_t ins[2] = {a, b};
    net_node(&n, TML_OP_ADD, ins, 2, c, NULL);
    net_lower(&n);
    assert_int_equal(n.lw.n_ops, 1);
    assert_int_equal(n.lw.ops[0].kernel, TML_K_ADD_S8);
    const tml_add_s8_params_t *p = (const tml_add_s8_params_t *)n.lw.ops[0].params;
    /* elementwise_expected.py: (m1, sh1, m2, sh2, mo, sho) */
    assert_int_equal(p->left_shift, 20);
    assert_int_equal(p->in1_mult, 1073741824);
    assert_int_equal(p->in1_shift, -1);
    assert_int_equal(p->in2_mult, 1073741824);
    assert_int_equal(p->in2_shift, 0);
    assert_int_equal(p->out_mult, 1717986944);
    assert_int_equal(p->out_shift, -19);
    assert_int_equal(p->in1_offset, -3);
    assert_int_equal(p->in2_offset, 5);
    assert_int_equal(p->out_offset, 1);
    assert_int_equal(p->act_min, -128);
    assert_int_equal(p->act_max, 127);
    assert_int_equal(n.lw.ops[0].inplace_input, 0);
    const int8_t x[6] = {-128, -10, 0, 7, 50, 127}, y[6] = {127, 3, -5, -100, 60, 127};
    /* elementwise_expected.py "add 0.1/3 + 0.2/-5 -> 0.25/1" */
    const int8_t want[6] = {54, 2, 0, -73, 72, 127};
    set_i8(&n, a, x, 6);
    set_i8(&n, b, y, 6);
    net_run(&n);
    expect_i8(&n, c, want, 6);
    net_free(&n);
}

static void add_s8_broadcast_ties_and_relu(void **state)
{
    (void)state;
    /* Scales 1, 1 -> 2, zero points 0: out = (a + b) / 2 rounded half away
     * from zero (by hand), then RELU clamps at the zero point. in2 [3] is
     * broadcast along the rows of in1 [2, 3]. */
    net_t n;
    net_init(&n);
    int32_t d23[2] = {2, 3}, d3[1] = {3};
    int32_t a = net_tensor(&n, TML_DT_I8, 2, d23, 1.0f, 0);
    int32_t b = net_tensor(&n, TML_DT_I8, 1, d3, 1.0f, 0);
    int32_t c = net_tensor(&n, TML_DT_I8, 2, d23, 2.0f, 0);
    int32_t ins[2] = {a, b};
    tml_ir_attrs_t attrs = {.act = TML_ACT_RELU};
    net_node(&n, TML_OP_ADD, ins, 2, c, &attrs);
    net_lower(&n);
    const tml_add_s8_params_t *p = (const tml_add_s8_params_t *)n.lw.ops[0].params;
    const int32_t shape[4] = {1, 1, 2, 3}, s1[4] = {0, 0, 3, 1}, s2[4] = {0, 0, 0, 1};
    assert_memory_equal(p->out_shape, shape, sizeof(shape));
    assert_memory_equal(p->in1_stride, s1, sizeof(s1));
    assert_memory_equal(p->in2_stride, s2, sizeof(s2));
    assert_int_equal(p->act_min, 0);
    const int8_t x[6] = {1, -1, 3, 0, 5, -3}, y[3] = {0, 0, 2};
    /* sums 1 -1 5 / 0 5 -1 -> halves 0.5 -0.5 2.5 / 0 2.5 -0.5 -> 1 -1 3 0 3 -1 -> relu */
    const int8_t want[6] = {1, 0, 3, 0, 3, 0};
    set_i8(&n, a, x, 6);
    set_i8(&n, b, y, 3);
    net_run(&n);
    expect_i8(&n, c, want, 6);
    net_free(&n);
}

static void mul_s8_scalar_broadcast_and_saturation(void **state)
{
    (void)state;
    /* 0.5 * 0.25 / 0.125 = 1: mult 2^30, shift 1 (by hand). out = (a - 1) *
     * (b + 1) + 3. */
    net_t n;
    net_init(&n);
    int32_t d3[1] = {3}, d1[1] = {1};
    int32_t a = net_tensor(&n, TML_DT_I8, 1, d3, 0.5f, 1);
    int32_t b = net_tensor(&n, TML_DT_I8, 1, d1, 0.25f, -1);
    int32_t c = net_tensor(&n, TML_DT_I8, 1, d3, 0.125f, 3);
    int32_t ins[2] = {a, b};
    net_node(&n, TML_OP_MUL, ins, 2, c, NULL);
    net_lower(&n);
    const tml_mul_s8_params_t *p = (const tml_mul_s8_params_t *)n.lw.ops[0].params;
    assert_int_equal(p->out_mult, 1 << 30);
    assert_int_equal(p->out_shift, 1);
    const int8_t x[3] = {3, -5, 127}, y[1] = {5};
    const int8_t want[3] = {15, -33, 127}; /* 2*6+3, -6*6+3, 126*6+3 -> 127 */
    set_i8(&n, a, x, 3);
    set_i8(&n, b, y, 1);
    net_run(&n);
    expect_i8(&n, c, want, 3);
    net_free(&n);
}

static void add_mul_f32_broadcast_relu6(void **state)
{
    (void)state;
    for (int is_mul = 0; is_mul < 2; is_mul++) {
        net_t n;
        net_init(&n);
        int32_t d22[2] = {2, 2}, d21[2] = {2, 1};
        int32_t a = net_tensor(&n, TML_DT_F32, 2, d22, 0, 0);
        int32_t b = net_tensor(&n, TML_DT_F32, 2, d21, 0, 0);
        int32_t c = net_tensor(&n, TML_DT_F32, 2, d22, 0, 0);
        int32_t ins[2] = {a, b};
        tml_ir_attrs_t attrs = {.act = TML_ACT_RELU6};
        net_node(&n, is_mul ? TML_OP_MUL : TML_OP_ADD, ins, 2, c, &attrs);
        net_lower(&n);
        assert_int_equal(n.lw.ops[0].kernel, is_mul ? TML_K_MUL_F32 : TML_K_ADD_F32);
        const float x[4] = {1, -2, 3, 8}, y[2] = {0.5f, -1};
        memcpy(n.buf[a], x, sizeof(x));
        memcpy(n.buf[b], y, sizeof(y));
        net_run(&n);
        const float add_want[4] = {1.5f, 0, 2, 6}, mul_want[4] = {0.5f, 0, 0, 0};
        expect_f32(&n, c, is_mul ? mul_want : add_want, 4);
        net_free(&n);
    }
}

static void bcast_lowering_merges_and_rejects(void **state)
{
    (void)state;
    /* [2,3,4,5,6] + [1,1,1,1,1] collapses to one dim; [2,3] + [4] fails. */
    net_t n;
    net_init(&n);
    int32_t big[5] = {2, 3, 4, 5, 6}, ones[5] = {1, 1, 1, 1, 1};
    int32_t a = net_tensor(&n, TML_DT_F32, 5, big, 0, 0);
    int32_t b = net_tensor(&n, TML_DT_F32, 5, ones, 0, 0);
    int32_t c = net_tensor(&n, TML_DT_F32, 5, big, 0, 0);
    int32_t ins[2] = {a, b};
    net_node(&n, TML_OP_ADD, ins, 2, c, NULL);
    net_lower(&n);
    const tml_binary_f32_params_t *p = (const tml_binary_f32_params_t *)n.lw.ops[0].params;
    const int32_t shape[4] = {1, 1, 1, 720}, s1[4] = {0, 0, 0, 1}, s2[4] = {0, 0, 0, 0};
    assert_memory_equal(p->out_shape, shape, sizeof(shape));
    assert_memory_equal(p->in1_stride, s1, sizeof(s1));
    assert_memory_equal(p->in2_stride, s2, sizeof(s2));
    net_free(&n);

    net_init(&n);
    int32_t d23[2] = {2, 3}, d4[1] = {4};
    a = net_tensor(&n, TML_DT_F32, 2, d23, 0, 0);
    b = net_tensor(&n, TML_DT_F32, 1, d4, 0, 0);
    c = net_tensor(&n, TML_DT_F32, 2, d23, 0, 0);
    int32_t ins2[2] = {a, b};
    net_node(&n, TML_OP_ADD, ins2, 2, c, NULL);
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_lower_graph(&n.g, &n.lw, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(tml_err_message(&err), "do not broadcast"));
    assert_non_null(strstr(tml_err_message(&err), "node 0 (ADD"));
    net_free(&n);
}

/* ---- COPY ---------------------------------------------------------------- */

static void reshape_copies_or_is_noop_in_place(void **state)
{
    (void)state;
    net_t n;
    net_init(&n);
    int32_t d23[2] = {2, 3}, d6[1] = {6};
    int32_t a = net_tensor(&n, TML_DT_I8, 2, d23, 0.5f, 0);
    int32_t b = net_tensor(&n, TML_DT_I8, 1, d6, 0.5f, 0);
    net_node(&n, TML_OP_RESHAPE, &a, 1, b, NULL);
    net_lower(&n);
    assert_int_equal(n.lw.ops[0].kernel, TML_K_COPY);
    assert_int_equal(n.lw.ops[0].inplace_input, 0);
    assert_int_equal(n.lw.ops[0].params[0], 6);
    const int8_t x[6] = {1, 2, 3, -4, -5, 127};
    set_i8(&n, a, x, 6);
    net_run(&n);
    expect_i8(&n, b, x, 6);
    /* Aliased: the same buffer for both is left as is. */
    tml_op_ctx_t ctx;
    const tml_op_desc_t *desc = net_ctx(&n, 0, &ctx);
    ctx.data[1] = ctx.data[0];
    TML_ASSERT_OK(desc->check(&ctx));
    desc->eval(&ctx);
    expect_i8(&n, a, x, 6);
    net_free(&n);
}

/* ---- SOFTMAX ------------------------------------------------------------- */

static void softmax_s8_rows(void **state)
{
    (void)state;
    net_t n;
    net_init(&n);
    int32_t d24[2] = {2, 4};
    int32_t a = net_tensor(&n, TML_DT_I8, 2, d24, 0.1f, 7);
    int32_t b = net_tensor(&n, TML_DT_I8, 2, d24, 1.0f / 256.0f, -128);
    tml_ir_attrs_t attrs = {.softmax = {.beta = 1.0f, .axis = 1}};
    net_node(&n, TML_OP_SOFTMAX, &a, 1, b, &attrs);
    net_lower(&n);
    const tml_softmax_s8_params_t *p = (const tml_softmax_s8_params_t *)n.lw.ops[0].params;
    /* elementwise_expected.py: (input_mult, left_shift, diff_min) */
    assert_int_equal(p->input_mult, 1717986944);
    assert_int_equal(p->input_left_shift, 23);
    assert_int_equal(p->diff_min, -248);
    assert_int_equal(p->outer, 2);
    assert_int_equal(p->depth, 4);
    const int8_t x[8] = {0, 0, 0, 0, 10, 0, -20, -128};
    /* equal values give exactly 1/4 -> 64 - 128 (by hand); the second row
     * from elementwise_expected.py "softmax [10,0,-20,-128]" */
    const int8_t want[8] = {-64, -64, -64, -64, 53, -62, -119, -128};
    set_i8(&n, a, x, 8);
    net_run(&n);
    expect_i8(&n, b, want, 8);
    net_free(&n);

    net_init(&n);
    int32_t d22[2] = {2, 2};
    a = net_tensor(&n, TML_DT_I8, 2, d22, 0.1f, 0);
    b = net_tensor(&n, TML_DT_I8, 2, d22, 1.0f / 256.0f, -128);
    net_node(&n, TML_OP_SOFTMAX, &a, 1, b, &attrs);
    net_lower(&n);
    const int8_t x2[4] = {127, -128, 5, 5};
    /* 1 saturates to 127, the far one is below diff_min (-255 < -248);
     * two equal values give exactly 1/2 -> 0 */
    const int8_t want2[4] = {127, -128, 0, 0};
    set_i8(&n, a, x2, 4);
    net_run(&n);
    expect_i8(&n, b, want2, 4);
    net_free(&n);
}

static void softmax_s8_rejects_bad_output_quant(void **state)
{
    (void)state;
    net_t n;
    net_init(&n);
    int32_t d4[1] = {4};
    int32_t a = net_tensor(&n, TML_DT_I8, 1, d4, 0.1f, 0);
    int32_t b = net_tensor(&n, TML_DT_I8, 1, d4, 1.0f / 128.0f, 0);
    tml_ir_attrs_t attrs = {.softmax = {.beta = 1.0f, .axis = 0}};
    net_node(&n, TML_OP_SOFTMAX, &a, 1, b, &attrs);
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_lower_graph(&n.g, &n.lw, &err), TML_ERR_UNSUPPORTED);
    assert_non_null(strstr(tml_err_message(&err), "scale 1/256"));
    net_free(&n);
}

static void softmax_f32_rows(void **state)
{
    (void)state;
    net_t n;
    net_init(&n);
    int32_t d3[1] = {3};
    int32_t a = net_tensor(&n, TML_DT_F32, 1, d3, 0, 0);
    int32_t b = net_tensor(&n, TML_DT_F32, 1, d3, 0, 0);
    tml_ir_attrs_t attrs = {.softmax = {.beta = 1.0f, .axis = 0}};
    net_node(&n, TML_OP_SOFTMAX, &a, 1, b, &attrs);
    net_lower(&n);
    const float x[3] = {1, 2, 3};
    /* numpy: e = np.exp([1,2,3] - 3.0); e / e.sum() */
    const float want[3] = {0.09003057f, 0.24472847f, 0.66524096f};
    memcpy(n.buf[a], x, sizeof(x));
    net_run(&n);
    expect_f32(&n, b, want, 3);
    net_free(&n);
}

/* ---- QUANTIZE / DEQUANTIZE / REQUANTIZE ---------------------------------- */

static void quantize_rounds_half_away_and_saturates(void **state)
{
    (void)state;
    net_t n;
    net_init(&n);
    int32_t d7[1] = {7};
    int32_t a = net_tensor(&n, TML_DT_F32, 1, d7, 0, 0);
    int32_t b = net_tensor(&n, TML_DT_I8, 1, d7, 0.5f, -3);
    net_node(&n, TML_OP_QUANTIZE, &a, 1, b, NULL);
    net_lower(&n);
    assert_int_equal(n.lw.ops[0].kernel, TML_K_QUANTIZE_F32_S8);
    const float x[7] = {0.25f, -0.25f, 0.75f, 100.0f, -100.0f, NAN, 1.0f};
    /* x / 0.5 = 0.5 -> 1, -0.5 -> -1, 1.5 -> 2, 200, -200, NaN -> 0, 2;
     * plus -3, clamped */
    const int8_t want[7] = {-2, -4, -1, 127, -128, -3, -1};
    memcpy(n.buf[a], x, sizeof(x));
    net_run(&n);
    expect_i8(&n, b, want, 7);
    net_free(&n);
}

static void dequantize_and_requantize(void **state)
{
    (void)state;
    net_t n;
    net_init(&n);
    int32_t d4[1] = {4};
    int32_t a = net_tensor(&n, TML_DT_I8, 1, d4, 0.5f, -3);
    int32_t b = net_tensor(&n, TML_DT_F32, 1, d4, 0, 0);
    net_node(&n, TML_OP_DEQUANTIZE, &a, 1, b, NULL);
    net_lower(&n);
    const int8_t x[4] = {-128, 0, 127, -3};
    const float want[4] = {-62.5f, 1.5f, 65.0f, 0.0f}; /* 0.5 * (x + 3) */
    set_i8(&n, a, x, 4);
    net_run(&n);
    expect_f32(&n, b, want, 4);
    net_free(&n);

    /* int8 -> int8: 0.5 / 0.25 = 2 (mult 2^30, shift 2): out = 2 x + 10 */
    const int8_t rx[4] = {1, -5, 60, -70}, rwant[4] = {12, 0, 127, -128};
    run_unary_s8(TML_OP_QUANTIZE, NULL, 0.5f, 0, 0.25f, 10, rx, rwant, 4, &n);
    assert_int_equal(n.lw.ops[0].kernel, TML_K_REQUANTIZE_S8);
    const tml_requant_params_t *p = (const tml_requant_params_t *)n.lw.ops[0].params;
    assert_int_equal(p->mult, 1 << 30);
    assert_int_equal(p->shift, 2);
    assert_int_equal(n.lw.ops[0].inplace_input, 0);
    net_free(&n);
}

/* ---- CONCAT / PAD --------------------------------------------------------- */

static void concat_same_and_requantized_inputs(void **state)
{
    (void)state;
    net_t n;
    net_init(&n);
    int32_t d122[3] = {1, 2, 2}, d112[3] = {1, 1, 2}, d132[3] = {1, 3, 2};
    int32_t a = net_tensor(&n, TML_DT_I8, 3, d122, 0.5f, 0);
    int32_t b = net_tensor(&n, TML_DT_I8, 3, d112, 0.25f, 10); /* differs */
    int32_t c = net_tensor(&n, TML_DT_I8, 3, d132, 0.5f, 0);
    int32_t ins[2] = {a, b};
    tml_ir_attrs_t attrs = {.axis = {.axis = 1, .act = TML_ACT_NONE}};
    net_node(&n, TML_OP_CONCAT, ins, 2, c, &attrs);
    net_lower(&n);
    assert_int_equal(n.lw.n_ops, 2);
    assert_int_equal(n.lw.ops[0].kernel, TML_K_REQUANTIZE_S8);
    assert_int_equal(n.lw.ops[1].kernel, TML_K_CONCAT);
    const tml_concat_params_t *p = (const tml_concat_params_t *)n.lw.ops[1].params;
    assert_int_equal(p->n_inputs, 2);
    assert_int_equal(p->outer, 1);
    assert_int_equal(p->row_bytes[0], 4);
    assert_int_equal(p->row_bytes[1], 2);
    const int8_t x[4] = {1, 2, 3, 4}, y[2] = {14, 4};
    /* y: 0.25 * (y - 10) / 0.5 = 2 and -3 (ties away: -1.5 -> -2? no:
     * (4 - 10) * 0.5 = -3 exactly; (14 - 10) * 0.5 = 2) */
    const int8_t want[6] = {1, 2, 3, 4, 2, -3};
    set_i8(&n, a, x, 4);
    set_i8(&n, b, y, 2);
    net_run(&n);
    expect_i8(&n, c, want, 6);
    net_free(&n);

    /* float, axis 0: rows follow each other */
    net_init(&n);
    int32_t d12[2] = {1, 2}, d22[2] = {2, 2}, d32[2] = {3, 2};
    a = net_tensor(&n, TML_DT_F32, 2, d12, 0, 0);
    b = net_tensor(&n, TML_DT_F32, 2, d22, 0, 0);
    c = net_tensor(&n, TML_DT_F32, 2, d32, 0, 0);
    int32_t ins2[2] = {a, b};
    attrs.axis.axis = 0;
    net_node(&n, TML_OP_CONCAT, ins2, 2, c, &attrs);
    net_lower(&n);
    assert_int_equal(n.lw.n_ops, 1);
    const float fx[2] = {1, 2}, fy[4] = {3, 4, 5, 6}, fwant[6] = {1, 2, 3, 4, 5, 6};
    memcpy(n.buf[a], fx, sizeof(fx));
    memcpy(n.buf[b], fy, sizeof(fy));
    net_run(&n);
    expect_f32(&n, c, fwant, 6);
    net_free(&n);
}

static void pad_int8_with_zero_point_and_float_value(void **state)
{
    (void)state;
    net_t n;
    net_init(&n);
    int32_t din[4] = {1, 2, 2, 1}, dout[4] = {1, 4, 3, 1};
    int32_t a = net_tensor(&n, TML_DT_I8, 4, din, 0.5f, -7);
    int32_t b = net_tensor(&n, TML_DT_I8, 4, dout, 0.5f, -7);
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    attrs.pad.before[1] = 1;
    attrs.pad.after[1] = 1;
    attrs.pad.after[2] = 1;
    net_node(&n, TML_OP_PAD, &a, 1, b, &attrs);
    net_lower(&n);
    const int8_t x[4] = {1, 2, 3, 4};
    const int8_t want[12] = {-7, -7, -7, 1, 2, -7, 3, 4, -7, -7, -7, -7};
    set_i8(&n, a, x, 4);
    net_run(&n);
    expect_i8(&n, b, want, 12);
    net_free(&n);

    net_init(&n);
    int32_t fin[2] = {1, 2}, fout[2] = {2, 4};
    a = net_tensor(&n, TML_DT_F32, 2, fin, 0, 0);
    b = net_tensor(&n, TML_DT_F32, 2, fout, 0, 0);
    memset(&attrs, 0, sizeof(attrs));
    attrs.pad.before[0] = 1;
    attrs.pad.after[1] = 2;
    attrs.pad.value = 9.5f;
    net_node(&n, TML_OP_PAD, &a, 1, b, &attrs);
    net_lower(&n);
    const float fx[2] = {1, 2}, fwant[8] = {9.5f, 9.5f, 9.5f, 9.5f, 1, 2, 9.5f, 9.5f};
    memcpy(n.buf[a], fx, sizeof(fx));
    net_run(&n);
    expect_f32(&n, b, fwant, 8);
    net_free(&n);
}

/* ---- MEAN ------------------------------------------------------------------ */

static void mean_s8_truncates_or_requantizes(void **state)
{
    (void)state;
    /* Equal quantization: trunc(sum / 4): 11/4 -> 2, -11/4 -> -2 (by hand). */
    net_t n;
    net_init(&n);
    int32_t din[4] = {1, 2, 2, 2}, dout[4] = {1, 1, 1, 2};
    int32_t a = net_tensor(&n, TML_DT_I8, 4, din, 0.1f, 2);
    int32_t b = net_tensor(&n, TML_DT_I8, 4, dout, 0.1f, 2);
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    attrs.reduce.n_axes = 2;
    attrs.reduce.axes[0] = 1;
    attrs.reduce.axes[1] = 2;
    attrs.reduce.keep_dims = true;
    net_node(&n, TML_OP_MEAN, &a, 1, b, &attrs);
    net_lower(&n);
    const tml_mean_s8_params_t *p = (const tml_mean_s8_params_t *)n.lw.ops[0].params;
    assert_int_equal(p->requantize, 0);
    assert_int_equal(p->n_reduced, 4);
    const int8_t x[8] = {1, -1, 2, -2, 3, -3, 5, -5};
    const int8_t want[2] = {2, -2};
    set_i8(&n, a, x, 8);
    net_run(&n);
    expect_i8(&n, b, want, 2);
    net_free(&n);

    /* 0.1/2 -> 0.05/-3, rows of 4 and 6; elementwise_expected.py
     * "mean requant" with sums 10, -37 (n 4) and 500, -700 (n 6). */
    net_init(&n);
    int32_t d24[2] = {2, 4}, d2[1] = {2};
    a = net_tensor(&n, TML_DT_I8, 2, d24, 0.1f, 2);
    b = net_tensor(&n, TML_DT_I8, 1, d2, 0.05f, -3);
    memset(&attrs, 0, sizeof(attrs));
    attrs.reduce.n_axes = 1;
    attrs.reduce.axes[0] = 1;
    net_node(&n, TML_OP_MEAN, &a, 1, b, &attrs);
    net_lower(&n);
    p = (const tml_mean_s8_params_t *)n.lw.ops[0].params;
    assert_int_equal(p->requantize, 1);
    const int8_t x4[8] = {1, 2, 3, 4, -10, -9, -9, -9};
    const int8_t want4[2] = {-2, -25};
    set_i8(&n, a, x4, 8);
    net_run(&n);
    expect_i8(&n, b, want4, 2);
    net_free(&n);

    net_init(&n);
    int32_t d26[2] = {2, 6};
    a = net_tensor(&n, TML_DT_I8, 2, d26, 0.1f, 2);
    b = net_tensor(&n, TML_DT_I8, 1, d2, 0.05f, -3);
    net_node(&n, TML_OP_MEAN, &a, 1, b, &attrs);
    net_lower(&n);
    const int8_t x6[12] = {84, 84, 83, 83, 83, 83, -117, -117, -117, -117, -116, -116};
    const int8_t want6[2] = {127, -128};
    set_i8(&n, a, x6, 12);
    net_run(&n);
    expect_i8(&n, b, want6, 2);
    net_free(&n);
}

static void mean_f32_over_axis0(void **state)
{
    (void)state;
    net_t n;
    net_init(&n);
    int32_t din[2] = {2, 3}, dout[1] = {3};
    int32_t a = net_tensor(&n, TML_DT_F32, 2, din, 0, 0);
    int32_t b = net_tensor(&n, TML_DT_F32, 1, dout, 0, 0);
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    attrs.reduce.n_axes = 1;
    net_node(&n, TML_OP_MEAN, &a, 1, b, &attrs);
    net_lower(&n);
    const float x[6] = {1, 2, 3, 4, 6, -8}, want[3] = {2.5f, 4, -2.5f};
    memcpy(n.buf[a], x, sizeof(x));
    net_run(&n);
    expect_f32(&n, b, want, 3);
    net_free(&n);
}

/* ---- Activations ------------------------------------------------------------- */

static void logistic_tanh_s8_match_tflm(void **state)
{
    (void)state;
    net_t n;
    /* elementwise_expected.py "logistic scale 0.1 zp 0" */
    const int8_t l1[11] = {-128, -128, -126, -59, -6, 0, 6, 59, 126, 127, 127};
    run_unary_s8(TML_OP_LOGISTIC, NULL, 0.1f, 0, 1.0f / 256, -128, XS, l1, 11, &n);
    const tml_sigmoid_s8_params_t *p = (const tml_sigmoid_s8_params_t *)n.lw.ops[0].params;
    assert_int_equal(p->input_mult, 1717986944);
    assert_int_equal(p->input_left_shift, 24);
    assert_int_equal(p->input_range_radius, 120);
    net_free(&n);
    /* "logistic scale 0.05 zp -10" */
    const int8_t l2[11] = {-127, -125, -97, 0, 28, 31, 34, 59, 116, 127, 127};
    run_unary_s8(TML_OP_LOGISTIC, NULL, 0.05f, -10, 1.0f / 256, -128, XS, l2, 11, NULL);
    /* "tanh scale 0.05 zp 0" */
    const int8_t t1[11] = {-128, -128, -126, -59, -6, 0, 6, 59, 126, 127, 127};
    run_unary_s8(TML_OP_TANH, NULL, 0.05f, 0, 1.0f / 128, 0, XS, t1, 11, NULL);
    /* "tanh scale 0.02 zp 5" */
    const int8_t t2[11] = {-127, -124, -102, -37, -15, -13, -10, 13, 92, 122, 126};
    run_unary_s8(TML_OP_TANH, NULL, 0.02f, 5, 1.0f / 128, 0, XS, t2, 11, &n);
    p = (const tml_sigmoid_s8_params_t *)n.lw.ops[0].params;
    assert_int_equal(p->input_mult, 1374389504);
    assert_int_equal(p->input_left_shift, 22);
    assert_int_equal(p->input_range_radius, 480);
    net_free(&n);
}

static void hard_swish_s8_matches_tflm(void **state)
{
    (void)state;
    net_t n;
    /* elementwise_expected.py "hard_swish 0.05/0 -> 0.03/-20" */
    const int8_t h1[11] = {-20, -20, -27, -27, -21, -20, -19, -10, 56, 127, 127};
    run_unary_s8(TML_OP_HARD_SWISH, NULL, 0.05f, 0, 0.03f, -20, XS, h1, 11, &n);
    const tml_hard_swish_s8_params_t *p = (const tml_hard_swish_s8_params_t *)n.lw.ops[0].params;
    assert_int_equal(p->reluish_mult, 17476);
    assert_int_equal(p->reluish_exp, 3);
    assert_int_equal(p->out_mult, 27307);
    assert_int_equal(p->out_exp, -6);
    net_free(&n);
    /* "hard_swish 0.5/3 -> 0.25/-100" (reluish saturates: left shift 6) */
    const int8_t h2[11] = {-100, -100, -100, -100, -101, -102, -101, -86, -6, 94, 127};
    run_unary_s8(TML_OP_HARD_SWISH, NULL, 0.5f, 3, 0.25f, -100, XS, h2, 11, NULL);
}

static void relu_family_s8(void **state)
{
    (void)state;
    /* RELU, 0.5/-10 -> 0.25/-128: 2 (x + 10) - 128, at least -128 (by hand) */
    const int8_t x[5] = {-20, -10, 0, 50, 127};
    const int8_t w[5] = {-128, -128, -108, -8, 127};
    run_unary_s8(TML_OP_RELU, NULL, 0.5f, -10, 0.25f, -128, x, w, 5, NULL);
    /* RELU6 with equal quantization 0.05/-20: clamp to [-20, -20 + 120] */
    const int8_t x6[8] = {-128, -21, -20, 0, 99, 100, 101, 127};
    const int8_t w6[8] = {-20, -20, -20, 0, 99, 100, 100, 100};
    run_unary_s8(TML_OP_RELU6, NULL, 0.05f, -20, 0.05f, -20, x6, w6, 8, NULL);
    /* RELU_N1_TO_1, 0.1/0: clamp to [-10, 10] */
    const int8_t x1[5] = {-128, -11, -10, 3, 11};
    const int8_t w1[5] = {-10, -10, -10, 3, 10};
    run_unary_s8(TML_OP_RELU_N1_TO_1, NULL, 0.1f, 0, 0.1f, 0, x1, w1, 5, NULL);
}

static void float_activations(void **state)
{
    (void)state;
    static const struct {
        tml_ir_op_t op;
        tml_kernel_t kernel;
        float x[4], want[4];
    } cases[] = {
        /* logistic: 1/(1+e^-x); 20 is above the cutoff (1); -10 below (e^-10) */
        {TML_OP_LOGISTIC, TML_K_LOGISTIC_F32, {0, 20, -10, 1}, {0.5f, 1, 4.539993e-05f, 0.7310586f}},
        {TML_OP_TANH, TML_K_TANH_F32, {0, 0.5f, -0.5f, 10}, {0, 0.46211716f, -0.46211716f, 1}},
        /* x * relu6(x + 3) / 6 */
        {TML_OP_HARD_SWISH, TML_K_HARD_SWISH_F32, {1, -4, 4, -1.5f}, {0.6666667f, 0, 4, -0.375f}},
        {TML_OP_RELU6, TML_K_CLAMP_F32, {-1, 3, 7, 6}, {0, 3, 6, 6}},
        {TML_OP_RELU, TML_K_CLAMP_F32, {-1, 3, 7e30f, 0}, {0, 3, 7e30f, 0}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        net_t n;
        net_init(&n);
        int32_t d4[1] = {4};
        int32_t a = net_tensor(&n, TML_DT_F32, 1, d4, 0, 0);
        int32_t b = net_tensor(&n, TML_DT_F32, 1, d4, 0, 0);
        net_node(&n, cases[i].op, &a, 1, b, NULL);
        net_lower(&n);
        assert_int_equal(n.lw.ops[0].kernel, cases[i].kernel);
        memcpy(n.buf[a], cases[i].x, sizeof(cases[i].x));
        net_run(&n);
        expect_f32(&n, b, cases[i].want, 4);
        net_free(&n);
    }
    /* CLIP */
    net_t n;
    net_init(&n);
    int32_t d3[1] = {3};
    int32_t a = net_tensor(&n, TML_DT_F32, 1, d3, 0, 0);
    int32_t b = net_tensor(&n, TML_DT_F32, 1, d3, 0, 0);
    tml_ir_attrs_t attrs = {.scalar = {.min = -0.5f, .max = 2.0f}};
    net_node(&n, TML_OP_CLIP, &a, 1, b, &attrs);
    net_lower(&n);
    const float x[3] = {-3, 1, 5}, want[3] = {-0.5f, 1, 2};
    memcpy(n.buf[a], x, sizeof(x));
    net_run(&n);
    expect_f32(&n, b, want, 3);
    net_free(&n);
}

/* ---- check() rejects inconsistent operands ----------------------------------- */

/* Lowers a node, then expects check() to accept the op as lowered and to
 * reject it after each of a few corruptions of its operands or params. */
#define REJECTS(what)                                                          \
    do {                                                                       \
        if (desc->check(&ctx) != TML_ERR_CORRUPT)                              \
            fail_msg("%s accepted %s (operand %u)", desc->name, what, (unsigned)i); \
    } while (0)

static void expect_check_rejects(net_t *n, int op_i, int param_word, int32_t bad_value)
{
    tml_op_ctx_t ctx;
    const tml_op_desc_t *desc = net_ctx(n, op_i, &ctx);
    TML_ASSERT_OK(desc->check(&ctx));
    uint32_t n_ops = ctx.n_in + ctx.n_out;
    /* every operand one byte short, one byte long, or of another dtype */
    for (uint32_t i = 0; i < n_ops; i++) {
        tml_pkg_tensor_t saved = *ctx.t[i];
        tml_pkg_tensor_t *t = (tml_pkg_tensor_t *)ctx.t[i];
        if (t->byte_len > 0) {
            t->byte_len--;
            REJECTS("a short operand");
        }
        *t = saved;
        if (desc != tml_op_find(TML_K_ADD_S8) && desc != tml_op_find(TML_K_ADD_F32) &&
            desc != tml_op_find(TML_K_MUL_S8) && desc != tml_op_find(TML_K_MUL_F32)) {
            t->byte_len++; /* broadcast inputs may be longer than read; others exact */
            REJECTS("a long operand");
            *t = saved;
        }
        t->dtype = t->dtype == TML_DT_I8 ? TML_DT_U8 : TML_DT_I8;
        if (desc != tml_op_find(TML_K_PAD) || i == 0) /* PAD takes any dtype: only a mismatch fails */
            REJECTS("another dtype");
        *t = saved;
        ctx.t[i] = NULL;
        REJECTS("an absent operand");
        ctx.t[i] = t;
    }
    /* and one param word set to a value the kernel could not run safely */
    if (param_word >= 0) {
        int32_t *params = (int32_t *)ctx.params;
        int32_t saved = params[param_word];
        params[param_word] = bad_value;
        uint32_t i = (uint32_t)param_word;
        REJECTS("a bad param word");
        params[param_word] = saved;
    }
    TML_ASSERT_OK(desc->check(&ctx));
}

static void checks_reject_inconsistent_operands(void **state)
{
    (void)state;
    net_t n;
    net_init(&n);
    int32_t d23[2] = {2, 3}, d3[1] = {3}, d6[1] = {6}, d33[2] = {3, 3};
    int32_t i8a = net_tensor(&n, TML_DT_I8, 2, d23, 0.5f, 1);
    int32_t i8b = net_tensor(&n, TML_DT_I8, 1, d3, 0.25f, -2);
    int32_t f_a = net_tensor(&n, TML_DT_F32, 2, d23, 0, 0);
    int32_t f_b = net_tensor(&n, TML_DT_F32, 1, d3, 0, 0);
    int32_t outs[24];
    int k = 0;
    int32_t ins[2] = {i8a, i8b};
    int32_t fins[2] = {f_a, f_b};
#define OUT(dt, nd, dims, s, z) (outs[k] = net_tensor(&n, dt, nd, dims, s, z), outs[k++])
    net_node(&n, TML_OP_ADD, ins, 2, OUT(TML_DT_I8, 2, d23, 0.5f, 0), NULL);              /* 0 */
    net_node(&n, TML_OP_MUL, ins, 2, OUT(TML_DT_I8, 2, d23, 0.5f, 0), NULL);              /* 1 */
    net_node(&n, TML_OP_ADD, fins, 2, OUT(TML_DT_F32, 2, d23, 0, 0), NULL);               /* 2 */
    net_node(&n, TML_OP_MUL, fins, 2, OUT(TML_DT_F32, 2, d23, 0, 0), NULL);               /* 3 */
    net_node(&n, TML_OP_RESHAPE, &i8a, 1, OUT(TML_DT_I8, 1, d6, 0.5f, 1), NULL);          /* 4 */
    tml_ir_attrs_t sm = {.softmax = {.beta = 1.0f, .axis = 1}};
    net_node(&n, TML_OP_SOFTMAX, &i8a, 1, OUT(TML_DT_I8, 2, d23, 1.0f / 256, -128), &sm); /* 5 */
    net_node(&n, TML_OP_SOFTMAX, &f_a, 1, OUT(TML_DT_F32, 2, d23, 0, 0), &sm);            /* 6 */
    net_node(&n, TML_OP_QUANTIZE, &f_a, 1, OUT(TML_DT_I8, 2, d23, 0.5f, 0), NULL);        /* 7 */
    net_node(&n, TML_OP_DEQUANTIZE, &i8a, 1, OUT(TML_DT_F32, 2, d23, 0, 0), NULL);        /* 8 */
    net_node(&n, TML_OP_QUANTIZE, &i8a, 1, OUT(TML_DT_I8, 2, d23, 0.25f, 0), NULL);       /* 9 */
    tml_ir_attrs_t cat = {.axis = {.axis = 0}};
    int32_t cins[2] = {i8a, i8a};
    int32_t d43[2] = {4, 3};
    net_node(&n, TML_OP_CONCAT, cins, 2, OUT(TML_DT_I8, 2, d43, 0.5f, 1), &cat);          /* 10 */
    tml_ir_attrs_t pad;
    memset(&pad, 0, sizeof(pad));
    pad.pad.before[0] = 1;
    net_node(&n, TML_OP_PAD, &i8a, 1, OUT(TML_DT_I8, 2, d33, 0.5f, 1), &pad);             /* 11 */
    tml_ir_attrs_t red;
    memset(&red, 0, sizeof(red));
    red.reduce.n_axes = 1;
    red.reduce.axes[0] = 1;
    int32_t d2[1] = {2};
    net_node(&n, TML_OP_MEAN, &i8a, 1, OUT(TML_DT_I8, 1, d2, 0.25f, 0), &red);           /* 12 */
    net_node(&n, TML_OP_MEAN, &f_a, 1, OUT(TML_DT_F32, 1, d2, 0, 0), &red);              /* 13 */
    net_node(&n, TML_OP_LOGISTIC, &i8a, 1, OUT(TML_DT_I8, 2, d23, 1.0f / 256, -128), NULL); /* 14 */
    net_node(&n, TML_OP_TANH, &i8a, 1, OUT(TML_DT_I8, 2, d23, 1.0f / 128, 0), NULL);      /* 15 */
    net_node(&n, TML_OP_RELU, &i8a, 1, OUT(TML_DT_I8, 2, d23, 0.5f, 1), NULL);            /* 16 */
    net_node(&n, TML_OP_HARD_SWISH, &i8a, 1, OUT(TML_DT_I8, 2, d23, 0.5f, 1), NULL);      /* 17 */
    net_node(&n, TML_OP_LOGISTIC, &f_a, 1, OUT(TML_DT_F32, 2, d23, 0, 0), NULL);          /* 18 */
    net_node(&n, TML_OP_TANH, &f_a, 1, OUT(TML_DT_F32, 2, d23, 0, 0), NULL);              /* 19 */
    net_node(&n, TML_OP_HARD_SWISH, &f_a, 1, OUT(TML_DT_F32, 2, d23, 0, 0), NULL);        /* 20 */
    net_node(&n, TML_OP_RELU6, &f_a, 1, OUT(TML_DT_F32, 2, d23, 0, 0), NULL);             /* 21 */
#undef OUT
    net_lower(&n);
    assert_int_equal(n.lw.n_ops, 22);
    /* A param word per op that must be refused: offsets past 4 words of
     * the broadcast shapes are the struct's own fields. */
    static const struct { int word; int32_t bad; } bad[22] = {
        {15, 23},         /* ADD_S8 left_shift > 22 */
        {15, -1},         /* MUL_S8 out_mult < 0 */
        {4, -1},          /* ADD_F32 in1 stride negative */
        {11, 1000},       /* MUL_F32 in2 stride reads past the input */
        {0, 5},           /* COPY n_bytes */
        {4, 1},           /* SOFTMAX_S8 diff_min > 0 */
        {1, 4},           /* SOFTMAX_F32 depth */
        {2, 200},         /* QUANTIZE zero point */
        {1, 0},           /* DEQUANTIZE scale 0.0 */
        {4, 23},          /* REQUANTIZE shift */
        {0, 3},           /* CONCAT n_inputs */
        {12, -1},         /* PAD after < 0 */
        {12, 2},          /* MEAN_S8 n_reduced */
        {6, 2},           /* MEAN_F32 reduce flag */
        {4, 31},          /* LOGISTIC_S8 left shift wraps the input */
        {1, 300},         /* TANH_S8 zero point */
        {5, 200},         /* RELU_S8 act_min */
        {6, 1},           /* HARD_SWISH_S8 out_exp > 0 */
        {0, 7},           /* LOGISTIC_F32 n */
        {0, -1},          /* TANH_F32 n */
        {0, 5},           /* HARD_SWISH_F32 n */
        {0, 5},           /* CLAMP_F32 n */
    };
    for (int i = 0; i < 22; i++)
        expect_check_rejects(&n, i, bad[i].word, bad[i].bad);
    net_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, tml_test_leak_setup, tml_test_leak_teardown)
        T(add_s8_matches_tflm),
        T(add_s8_broadcast_ties_and_relu),
        T(mul_s8_scalar_broadcast_and_saturation),
        T(add_mul_f32_broadcast_relu6),
        T(bcast_lowering_merges_and_rejects),
        T(reshape_copies_or_is_noop_in_place),
        T(softmax_s8_rows),
        T(softmax_s8_rejects_bad_output_quant),
        T(softmax_f32_rows),
        T(quantize_rounds_half_away_and_saturates),
        T(dequantize_and_requantize),
        T(concat_same_and_requantized_inputs),
        T(pad_int8_with_zero_point_and_float_value),
        T(mean_s8_truncates_or_requantizes),
        T(mean_f32_over_axis0),
        T(logistic_tanh_s8_match_tflm),
        T(hard_swish_s8_matches_tflm),
        T(relu_family_s8),
        T(float_activations),
        T(checks_reject_inconsistent_operands),
#undef T
    };
    TML_TEST_MAIN(tests);
}
