/*
 * lower_sigmoid.c - LOGISTIC and TANH -> TML_K_LOGISTIC_S8/F32,
 * TML_K_TANH_S8/F32.
 *
 * int8 as TFLM's logistic_common.cc / tanh.cc Prepare: 4 integer bits,
 * q = frexp(input_scale * 2^27) rounded to a Q31 multiplier and left shift,
 * input_range_radius = CalculateInputRadius(4, left_shift, 31). LOGISTIC
 * needs the output zero point -128 (TFLM checks only that; the kernel
 * produces the scale 1/256, tanh's 1/128).
 */
#include "lower_elem.h"

static tml_status_t lower_sigmoid(tml_lower_ctx_t *ctx, const tml_ir_node_t *node, int is_tanh)
{
    int32_t in, out, n;
    tml_status_t st = tml_lower_elem_io(ctx, node, 1, &in, &out);
    if (st != TML_OK || (st = tml_lower_elem_count(ctx, in, &n)) != TML_OK)
        return st;
    const tml_dtype_t dtype = ctx->g->tensors[in].dtype;
    if ((st = tml_lower_elem_dtype(ctx, out, dtype, "output")) != TML_OK)
        return st;
    if (tml_ir_tensor_elems(&ctx->g->tensors[out]) != n)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "output and input sizes differ");
    if (dtype == TML_DT_F32) {
        tml_unary_f32_params_t p = {n};
        return tml_lower_emit(ctx, is_tanh ? TML_K_TANH_F32 : TML_K_LOGISTIC_F32, &in, 1, &out, 1,
                              &p, sizeof(p), 0);
    }
    if (dtype != TML_DT_I8)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "no kernel for %s", tml_dtype_name(dtype));
    float sci, sco;
    int32_t zpo;
    tml_sigmoid_s8_params_t p = {n, 0, 0, 0, 0};
    if ((st = tml_lower_elem_quant(ctx, in, "input", &sci, &p.in_zp)) != TML_OK ||
        (st = tml_lower_elem_quant(ctx, out, "output", &sco, &zpo)) != TML_OK)
        return st;
    if (!is_tanh && zpo != -128)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "int8 output zero point %d, must be -128",
                              (int)zpo);
    tml_lower_elem_q4_multiplier(sci, &p.input_mult, &p.input_left_shift);
    if (p.input_left_shift < -31 || p.input_left_shift > 31)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "input scale %g out of range", (double)sci);
    p.input_range_radius = tml_lower_elem_input_radius(4, p.input_left_shift);
    return tml_lower_emit(ctx, is_tanh ? TML_K_TANH_S8 : TML_K_LOGISTIC_S8, &in, 1, &out, 1, &p,
                          sizeof(p), 0);
}

tml_status_t tml_lower_logistic(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    return lower_sigmoid(ctx, node, 0);
}

tml_status_t tml_lower_tanh(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    return lower_sigmoid(ctx, node, 1);
}
