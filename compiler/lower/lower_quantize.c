/*
 * lower_quantize.c - QUANTIZE (float32 -> int8: TML_K_QUANTIZE_F32_S8;
 * int8 -> int8: TML_K_REQUANTIZE_S8) and DEQUANTIZE (int8 -> float32:
 * TML_K_DEQUANTIZE_S8_F32).
 *
 * The requantization multiplier is in_scale / out_scale in double, as
 * TFLM's quantize_common.cc PrepareQuantizeReference.
 */
#include <string.h>

#include "lower_elem.h"

tml_status_t tml_lower_elem_requantize(tml_lower_ctx_t *ctx, int32_t in, int32_t out)
{
    float sci, sco;
    tml_requant_params_t p;
    memset(&p, 0, sizeof(p));
    tml_status_t st;
    if ((st = tml_lower_elem_count(ctx, in, &p.n)) != TML_OK ||
        (st = tml_lower_elem_quant(ctx, in, "input", &sci, &p.in_zp)) != TML_OK ||
        (st = tml_lower_elem_quant(ctx, out, "output", &sco, &p.out_zp)) != TML_OK)
        return st;
    tml_quantize_multiplier((double)sci / (double)sco, &p.mult, &p.shift);
    if (p.shift > 22)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "rescale %g -> %g is too large",
                              (double)sci, (double)sco);
    return tml_lower_emit(ctx, TML_K_REQUANTIZE_S8, &in, 1, &out, 1, &p, sizeof(p), 0);
}

tml_status_t tml_lower_quantize(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    int32_t in, out, n;
    tml_status_t st = tml_lower_elem_io(ctx, node, 1, &in, &out);
    if (st != TML_OK || (st = tml_lower_elem_count(ctx, in, &n)) != TML_OK ||
        (st = tml_lower_elem_dtype(ctx, out, TML_DT_I8, "output")) != TML_OK)
        return st;
    if (tml_ir_tensor_elems(&ctx->g->tensors[out]) != n)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "output and input sizes differ");
    tml_dtype_t dtype = ctx->g->tensors[in].dtype;
    if (dtype == TML_DT_I8)
        return tml_lower_elem_requantize(ctx, in, out);
    if (dtype != TML_DT_F32)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "no kernel for %s input",
                              tml_dtype_name(dtype));
    float scale;
    tml_quant_params_t p = {n, 0, 0};
    if ((st = tml_lower_elem_quant(ctx, out, "output", &scale, &p.zero_point)) != TML_OK)
        return st;
    p.scale_bits = tml_lower_f32_word(scale);
    return tml_lower_emit(ctx, TML_K_QUANTIZE_F32_S8, &in, 1, &out, 1, &p, sizeof(p), -1);
}

tml_status_t tml_lower_dequantize(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    int32_t in, out, n;
    tml_status_t st = tml_lower_elem_io(ctx, node, 1, &in, &out);
    if (st != TML_OK || (st = tml_lower_elem_count(ctx, in, &n)) != TML_OK ||
        (st = tml_lower_elem_dtype(ctx, in, TML_DT_I8, "input")) != TML_OK ||
        (st = tml_lower_elem_dtype(ctx, out, TML_DT_F32, "output")) != TML_OK)
        return st;
    if (tml_ir_tensor_elems(&ctx->g->tensors[out]) != n)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "output and input sizes differ");
    float scale;
    tml_quant_params_t p = {n, 0, 0};
    if ((st = tml_lower_elem_quant(ctx, in, "input", &scale, &p.zero_point)) != TML_OK)
        return st;
    p.scale_bits = tml_lower_f32_word(scale);
    return tml_lower_emit(ctx, TML_K_DEQUANTIZE_S8_F32, &in, 1, &out, 1, &p, sizeof(p), -1);
}
