/*
 * lower_softmax.c - SOFTMAX (over the last axis) -> TML_K_SOFTMAX_S8/F32.
 *
 * int8 as TFLM's softmax_common.cc CalculateSoftmaxParams: the output must
 * be scale 1/256, zero point -128; PreprocessSoftmaxScaling gives the
 * multiplier of beta * input_scale * 2^26 (capped at 2^31 - 1, "greater than
 * one" variant) and diff_min = -CalculateInputRadius(5, left_shift).
 */
#include <string.h>

#include "lower_elem.h"

tml_status_t tml_lower_softmax(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    int32_t in, out, n;
    tml_status_t st = tml_lower_elem_io(ctx, node, 1, &in, &out);
    if (st != TML_OK || (st = tml_lower_elem_count(ctx, in, &n)) != TML_OK)
        return st;
    const tml_ir_tensor_t *ti = &ctx->g->tensors[in];
    if (ti->n_dims < 1 || node->attrs.softmax.axis != ti->n_dims - 1)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "softmax over axis %d of %d dims",
                              (int)node->attrs.softmax.axis, ti->n_dims);
    int32_t depth = ti->dims[ti->n_dims - 1];
    int32_t outer = depth > 0 ? n / depth : 0;
    tml_dtype_t dtype = ti->dtype;
    if ((st = tml_lower_elem_dtype(ctx, out, dtype, "output")) != TML_OK)
        return st;
    if (tml_ir_tensor_elems(&ctx->g->tensors[out]) != n)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "output and input sizes differ");

    if (dtype == TML_DT_F32) {
        tml_softmax_f32_params_t p = {outer, depth, tml_lower_f32_word(node->attrs.softmax.beta)};
        return tml_lower_emit(ctx, TML_K_SOFTMAX_F32, &in, 1, &out, 1, &p, sizeof(p), 0);
    }
    if (dtype != TML_DT_I8)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "no kernel for %s", tml_dtype_name(dtype));
    float sci, sco;
    int32_t zpi, zpo;
    if ((st = tml_lower_elem_quant(ctx, in, "input", &sci, &zpi)) != TML_OK ||
        (st = tml_lower_elem_quant(ctx, out, "output", &sco, &zpo)) != TML_OK)
        return st;
    if (zpo != -128 || sco != 1.0f / 256.0f)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                              "int8 output must have scale 1/256 and zero point -128 (has %g, %d)",
                              (double)sco, (int)zpo);
    if (depth > 4095)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "rows of %d elements (at most 4095)",
                              (int)depth);
    double real = (double)node->attrs.softmax.beta * (double)sci * (double)(1 << 26);
    if (real > (double)((1ll << 31) - 1))
        real = (double)((1ll << 31) - 1);
    tml_softmax_s8_params_t p;
    memset(&p, 0, sizeof(p));
    p.outer = outer;
    p.depth = depth;
    if ((st = tml_lower_elem_mult_gt_one(ctx, real, &p.input_mult, &p.input_left_shift)) != TML_OK)
        return st;
    p.diff_min = -tml_lower_elem_input_radius(5, p.input_left_shift);
    return tml_lower_emit(ctx, TML_K_SOFTMAX_S8, &in, 1, &out, 1, &p, sizeof(p), 0);
}
