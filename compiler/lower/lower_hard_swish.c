/*
 * lower_hard_swish.c - HARD_SWISH -> TML_K_HARD_SWISH_S8/F32.
 *
 * int8 as TFLM's hard_swish_common.cc HardSwishPrepare, including its float
 * (not double) arithmetic: hires_input_scale = input_scale / 128; output
 * multiplier hires / output_scale and reluish multiplier hires / (3/32768),
 * each QuantizeMultiplier'd and downscaled to Q15 with
 * DownScaleInt32ToInt16Multiplier (round, saturating at 32767).
 */
#include "lower_elem.h"

static int32_t downscale_q15(int32_t mult)
{
    if (mult >= INT32_MAX - (1 << 15))
        return INT16_MAX;
    return (mult + (1 << 15)) >> 16;
}

tml_status_t tml_lower_hard_swish(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
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
        return tml_lower_emit(ctx, TML_K_HARD_SWISH_F32, &in, 1, &out, 1, &p, sizeof(p), 0);
    }
    if (dtype != TML_DT_I8)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "no kernel for %s", tml_dtype_name(dtype));
    float sci, sco;
    tml_hard_swish_s8_params_t p = {n, 0, 0, 0, 0, 0, 0};
    if ((st = tml_lower_elem_quant(ctx, in, "input", &sci, &p.in_zp)) != TML_OK ||
        (st = tml_lower_elem_quant(ctx, out, "output", &sco, &p.out_zp)) != TML_OK)
        return st;
    const float hires_input_scale = (1.0f / 128.0f) * sci;
    const float reluish_scale = 3.0f / 32768.0f;
    int32_t m32;
    tml_quantize_multiplier((double)(hires_input_scale / sco), &m32, &p.out_exp);
    p.out_mult = downscale_q15(m32);
    tml_quantize_multiplier((double)(hires_input_scale / reluish_scale), &m32, &p.reluish_exp);
    p.reluish_mult = downscale_q15(m32);
    if (p.out_exp > 0 || p.out_exp < -15 || p.reluish_exp < -15 || p.reluish_exp > 15)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                              "scales %g -> %g out of range (exponents %d, %d)", (double)sci,
                              (double)sco, (int)p.out_exp, (int)p.reluish_exp);
    return tml_lower_emit(ctx, TML_K_HARD_SWISH_S8, &in, 1, &out, 1, &p, sizeof(p), 0);
}
