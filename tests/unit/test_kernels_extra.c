/*
 * test_kernels_extra.c - the kernels of tml/kernels/extra.h (SUB, DIV,
 * PRELU, LEAKY_RELU, HARD_SIGMOID float32; byte-wise TRANSPOSE and SLICE):
 * values worked out by hand in the comments, the op checks' bounds proofs
 * (params that would read or write outside an operand are refused), and
 * the lowering of SPLIT into one SLICE per output. End-to-end coverage on
 * real models is in test_onnx_conformance.c.
 */
#include <float.h>
#include <math.h>

#include "tml_test.h"
#include "tml/ir.h"
#include "tml/kernels.h"
#include "tml/lower.h"
#include "../../runtime/ops/ops.h"

static int32_t word(float v)
{
    int32_t w;
    memcpy(&w, &v, 4);
    return w;
}

static void binary_kernels_broadcast(void **state)
{
    (void)state;
    /* a [2, 3], b [3] broadcast over rows */
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {0.5f, -2, 4};
    tml_binary_f32_params_t p;
    memset(&p, 0, sizeof(p));
    int32_t shape[4] = {1, 1, 2, 3}, sa[4] = {0, 0, 3, 1}, sb[4] = {0, 0, 0, 1};
    memcpy(p.out_shape, shape, sizeof(shape));
    memcpy(p.in1_stride, sa, sizeof(sa));
    memcpy(p.in2_stride, sb, sizeof(sb));
    p.act_min_bits = word(-FLT_MAX);
    p.act_max_bits = word(FLT_MAX);
    float out[6];
    tml_sub_f32(&p, a, b, out);
    const float sub[6] = {0.5f, 4, -1, 3.5f, 7, 2};
    assert_memory_equal(out, sub, sizeof(sub));
    tml_div_f32(&p, a, b, out);
    const float div[6] = {2, -1, 0.75f, 8, -2.5f, 1.5f};
    assert_memory_equal(out, div, sizeof(div));
    /* PRELU: negative inputs times the slope of their column */
    const float x[6] = {-1, 2, -3, 4, -5, 0};
    tml_prelu_f32(&p, x, b, out);
    const float prelu[6] = {-0.5f, 2, -12, 4, 10, 0};
    assert_memory_equal(out, prelu, sizeof(prelu));
    /* the fused range clamps: relu6 */
    p.act_min_bits = word(0);
    p.act_max_bits = word(6);
    tml_sub_f32(&p, a, b, out);
    const float clamped[6] = {0.5f, 4, 0, 3.5f, 6, 2};
    assert_memory_equal(out, clamped, sizeof(clamped));
}

static void unary_kernels(void **state)
{
    (void)state;
    const float in[5] = {-4, -0.5f, 0, 1, 10};
    float out[5];
    tml_leaky_relu_f32_params_t lp = {.n = 5, .alpha = word(0.25f)};
    tml_leaky_relu_f32(&lp, in, out);
    const float leaky[5] = {-1, -0.125f, 0, 1, 10};
    assert_memory_equal(out, leaky, sizeof(leaky));
    /* clamp(0.2 x + 0.5, 0, 1): -4 -> 0 (from -0.3), -0.5 -> 0.4, 0 -> 0.5,
     * 1 -> 0.7, 10 -> 1 */
    tml_hard_sigmoid_f32_params_t hp = {.n = 5, .alpha = word(0.2f), .beta = word(0.5f)};
    tml_hard_sigmoid_f32(&hp, in, out);
    const float want[5] = {0, 0.4f, 0.5f, 0.7f, 1};
    for (int i = 0; i < 5; i++)
        assert_float_equal(out[i], want[i], 1e-6);
}

static void transpose_and_slice_move_bytes(void **state)
{
    (void)state;
    /* [2, 3] int16 -> [3, 2] */
    const int16_t in[6] = {1, 2, 3, 4, 5, 6};
    int16_t out[6];
    tml_transpose_params_t tp = {.elem_size = 2,
                                 .out_dims = {1, 1, 1, 1, 3, 2},
                                 .in_stride = {0, 0, 0, 0, 1, 3}};
    tml_transpose(&tp, in, out);
    const int16_t t_want[6] = {1, 4, 2, 5, 3, 6};
    assert_memory_equal(out, t_want, sizeof(t_want));
    /* in = [[1, 2, 3], [4, 5, 6]], rows reversed, every other column:
     * out[r][c] = in[1 - r][2 c] = [[4, 6], [1, 3]] */
    tml_slice_params_t sp = {.elem_size = 2, .offset = 3,
                             .out_dims = {1, 1, 1, 1, 2, 2},
                             .in_step = {0, 0, 0, 0, -3, 2}};
    tml_slice(&sp, in, out);
    const int16_t s_want[4] = {4, 6, 1, 3};
    assert_memory_equal(out, s_want, sizeof(s_want));
}

/* An op context over descriptors t (inputs then outputs). */
static tml_status_t check(uint32_t kernel, const void *params, tml_pkg_tensor_t *t, int n_in,
                          int n_out)
{
    const tml_op_desc_t *d = tml_op_find(kernel);
    assert_non_null(d);
    tml_op_ctx_t ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.params = params;
    ctx.n_in = (uint32_t)n_in;
    ctx.n_out = (uint32_t)n_out;
    for (int i = 0; i < n_in + n_out; i++)
        ctx.t[i] = &t[i];
    return d->check(&ctx);
}

static tml_pkg_tensor_t desc(tml_dtype_t dtype, uint32_t byte_len)
{
    tml_pkg_tensor_t t;
    memset(&t, 0, sizeof(t));
    t.dtype = (uint8_t)dtype;
    t.n_dims = 1;
    t.dims[0] = (int32_t)(byte_len / tml_dtype_size(dtype));
    t.byte_len = byte_len;
    return t;
}

static void checks_refuse_out_of_bounds_params(void **state)
{
    (void)state;
    /* binary: [2, 3] - [3] */
    tml_binary_f32_params_t p;
    memset(&p, 0, sizeof(p));
    int32_t shape[4] = {1, 1, 2, 3}, sa[4] = {0, 0, 3, 1}, sb[4] = {0, 0, 0, 1};
    memcpy(p.out_shape, shape, sizeof(shape));
    memcpy(p.in1_stride, sa, sizeof(sa));
    memcpy(p.in2_stride, sb, sizeof(sb));
    tml_pkg_tensor_t t[3] = {desc(TML_DT_F32, 24), desc(TML_DT_F32, 12), desc(TML_DT_F32, 24)};
    static const uint32_t binary[] = {TML_K_SUB_F32, TML_K_DIV_F32, TML_K_PRELU_F32};
    for (size_t k = 0; k < 3; k++) {
        TML_ASSERT_OK(check(binary[k], &p, t, 2, 1));
        t[1].byte_len = 8; /* b too short for its stride walk */
        TML_ASSERT_STATUS(check(binary[k], &p, t, 2, 1), TML_ERR_CORRUPT);
        t[1].byte_len = 12;
        t[2].byte_len = 20; /* output not exactly 6 floats */
        TML_ASSERT_STATUS(check(binary[k], &p, t, 2, 1), TML_ERR_CORRUPT);
        t[2].byte_len = 24;
        t[0].dtype = TML_DT_I8;
        TML_ASSERT_STATUS(check(binary[k], &p, t, 2, 1), TML_ERR_CORRUPT);
        t[0].dtype = TML_DT_F32;
    }
    /* unary */
    tml_leaky_relu_f32_params_t lp = {.n = 6, .alpha = 0};
    tml_hard_sigmoid_f32_params_t hp = {.n = 6};
    tml_pkg_tensor_t u[2] = {desc(TML_DT_F32, 24), desc(TML_DT_F32, 24)};
    TML_ASSERT_OK(check(TML_K_LEAKY_RELU_F32, &lp, u, 1, 1));
    TML_ASSERT_OK(check(TML_K_HARD_SIGMOID_F32, &hp, u, 1, 1));
    lp.n = 7;
    hp.n = -1;
    TML_ASSERT_STATUS(check(TML_K_LEAKY_RELU_F32, &lp, u, 1, 1), TML_ERR_CORRUPT);
    TML_ASSERT_STATUS(check(TML_K_HARD_SIGMOID_F32, &hp, u, 1, 1), TML_ERR_CORRUPT);
    /* transpose [2, 3] int16 */
    tml_transpose_params_t tp = {.elem_size = 2,
                                 .out_dims = {1, 1, 1, 1, 3, 2},
                                 .in_stride = {0, 0, 0, 0, 1, 3}};
    tml_pkg_tensor_t m[2] = {desc(TML_DT_I16, 12), desc(TML_DT_I16, 12)};
    TML_ASSERT_OK(check(TML_K_TRANSPOSE, &tp, m, 1, 1));
    tp.in_stride[5] = 4; /* last element read would be 2 + 4 = index 6 */
    TML_ASSERT_STATUS(check(TML_K_TRANSPOSE, &tp, m, 1, 1), TML_ERR_CORRUPT);
    tp.in_stride[5] = -3; /* negative strides only for SLICE */
    TML_ASSERT_STATUS(check(TML_K_TRANSPOSE, &tp, m, 1, 1), TML_ERR_CORRUPT);
    tp.in_stride[5] = 3;
    tp.elem_size = 4; /* not the dtype's size */
    TML_ASSERT_STATUS(check(TML_K_TRANSPOSE, &tp, m, 1, 1), TML_ERR_CORRUPT);
    /* slice: reversed rows from offset 3 */
    tml_slice_params_t sp = {.elem_size = 2, .offset = 3,
                             .out_dims = {1, 1, 1, 1, 2, 2},
                             .in_step = {0, 0, 0, 0, -3, 2}};
    m[1] = desc(TML_DT_I16, 8);
    TML_ASSERT_OK(check(TML_K_SLICE, &sp, m, 1, 1));
    sp.offset = 2; /* the reversed walk would reach index -1 */
    TML_ASSERT_STATUS(check(TML_K_SLICE, &sp, m, 1, 1), TML_ERR_CORRUPT);
    sp.offset = 4; /* and here index 6 */
    TML_ASSERT_STATUS(check(TML_K_SLICE, &sp, m, 1, 1), TML_ERR_CORRUPT);
    sp.offset = 3;
    sp.out_dims[5] = 3; /* output holds 4 elements, not 6 */
    TML_ASSERT_STATUS(check(TML_K_SLICE, &sp, m, 1, 1), TML_ERR_CORRUPT);
}

static void split_lowers_to_slices(void **state)
{
    (void)state;
    tml_ir_graph_t g;
    TML_ASSERT_OK(tml_ir_init(&g, "split"));
    int32_t x, a, b, in_dims[3] = {2, 5, 3}, a_dims[3] = {2, 2, 3}, b_dims[3] = {2, 3, 3};
    TML_ASSERT_OK(tml_ir_add_tensor(&g, "x", TML_DT_F32, 3, in_dims, &x));
    TML_ASSERT_OK(tml_ir_add_tensor(&g, "a", TML_DT_F32, 3, a_dims, &a));
    TML_ASSERT_OK(tml_ir_add_tensor(&g, "b", TML_DT_F32, 3, b_dims, &b));
    tml_ir_attrs_t attrs = {.axis = {.axis = 1}};
    int32_t outs[2] = {a, b};
    TML_ASSERT_OK(tml_ir_add_node(&g, TML_OP_SPLIT, "split", &x, 1, outs, 2, &attrs, NULL));
    TML_ASSERT_OK(tml_ir_set_io(&g, &x, 1, outs, 2));
    tml_lowered_t lw;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_lower_graph(&g, &lw, &err), &err);
    assert_int_equal(lw.n_ops, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(lw.ops[i].kernel, TML_K_SLICE);
        const tml_slice_params_t *p = (const tml_slice_params_t *)(const void *)lw.ops[i].params;
        assert_int_equal(p->elem_size, 4);
        /* x is [2, 5, 3]: rows of 15, each piece starts 2 * 3 elements later */
        assert_int_equal(p->offset, i == 0 ? 0 : 6);
        assert_int_equal(p->out_dims[3], 2);
        assert_int_equal(p->out_dims[4], i == 0 ? 2 : 3);
        assert_int_equal(p->in_step[3], 15);
        assert_int_equal(p->in_step[4], 3);
        assert_int_equal(p->in_step[5], 1);
    }
    /* and the kernel over real data: b = x[:, 2:5, :] */
    float xd[30], bd[18];
    for (int i = 0; i < 30; i++)
        xd[i] = (float)i;
    tml_slice((const tml_slice_params_t *)(const void *)lw.ops[1].params, xd, bd);
    assert_float_equal(bd[0], 6, 0);
    assert_float_equal(bd[8], 14, 0);
    assert_float_equal(bd[9], 21, 0);
    tml_lowered_free(&lw);
    tml_ir_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(binary_kernels_broadcast),
        cmocka_unit_test(unary_kernels),
        cmocka_unit_test(transpose_and_slice_move_bytes),
        cmocka_unit_test(checks_refuse_out_of_bounds_params),
        cmocka_unit_test_setup_teardown(split_lowers_to_slices, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
