/*
 * lower_relu.c - RELU, RELU6, RELU_N1_TO_1 and CLIP -> TML_K_RELU_S8
 * (int8) or TML_K_CLAMP_F32 (float).
 *
 * int8 as TFLM's CalculateReluOpData (TFLite's QuantizedReluX for RELU6 and
 * RELU_N1_TO_1): multiplier in_scale / out_scale, act_min = max(-128,
 * out_zp + roundf(lo / out_scale)), act_max = min(127, out_zp + roundf(hi /
 * out_scale)) (127 for an unbounded hi). For RELU6 with equal quantization
 * this is exactly TFLM's Relu6 clamp to [zp, FloatToQuantizedType(6)].
 */
#include <math.h>
#include <string.h>

#include "lower_elem.h"

/* out_zp + roundf(x / scale) clamped to int8, computed without overflow. */
static int32_t quantize_bound(float x, float scale, int32_t zp)
{
    float q = roundf(x / scale);
    if (q > 1024.0f)
        return 127;
    if (q < -1024.0f)
        return -128;
    int32_t v = zp + (int32_t)q;
    return v < -128 ? -128 : (v > 127 ? 127 : v);
}

static tml_status_t lower_clamp(tml_lower_ctx_t *ctx, const tml_ir_node_t *node, float lo, float hi)
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
        tml_clamp_f32_params_t p = {n, tml_lower_f32_word(lo), tml_lower_f32_word(hi)};
        return tml_lower_emit(ctx, TML_K_CLAMP_F32, &in, 1, &out, 1, &p, sizeof(p), 0);
    }
    if (dtype != TML_DT_I8)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "no kernel for %s", tml_dtype_name(dtype));
    float sci, sco;
    tml_relu_s8_params_t p;
    memset(&p, 0, sizeof(p));
    p.n = n;
    if ((st = tml_lower_elem_quant(ctx, in, "input", &sci, &p.in_zp)) != TML_OK ||
        (st = tml_lower_elem_quant(ctx, out, "output", &sco, &p.out_zp)) != TML_OK)
        return st;
    tml_quantize_multiplier((double)sci / (double)sco, &p.mult, &p.shift);
    if (p.shift > 22)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "rescale %g -> %g is too large",
                              (double)sci, (double)sco);
    p.act_min = quantize_bound(lo, sco, p.out_zp);
    p.act_max = isinf(hi) ? 127 : quantize_bound(hi, sco, p.out_zp);
    if (p.act_max < p.act_min)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "empty clamp range [%g, %g]", (double)lo,
                              (double)hi);
    return tml_lower_emit(ctx, TML_K_RELU_S8, &in, 1, &out, 1, &p, sizeof(p), 0);
}

tml_status_t tml_lower_relu(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    switch (node->op) {
    case TML_OP_RELU: return lower_clamp(ctx, node, 0.0f, INFINITY);
    case TML_OP_RELU6: return lower_clamp(ctx, node, 0.0f, 6.0f);
    case TML_OP_RELU_N1_TO_1: return lower_clamp(ctx, node, -1.0f, 1.0f);
    default: return tml_lower_fail(ctx, TML_ERR_INTERNAL, "not a relu op");
    }
}

tml_status_t tml_lower_clip(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    float lo = node->attrs.scalar.min, hi = node->attrs.scalar.max;
    if (isnan(lo) || isnan(hi) || lo > hi)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "clip range [%g, %g]", (double)lo, (double)hi);
    return lower_clamp(ctx, node, lo, hi);
}
