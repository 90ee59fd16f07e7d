/*
 * op_nn_dsp_check.c - the load-time proofs of the DSP-extension int8
 * kernels (see op_nn_dsp.h).
 */
#include <stdint.h>

#include "op_nn_dsp.h"

#define MAX_I32 2147483647u

/* Weights read with LDRD: constant and 4-byte aligned. */
static int weights_ok(const tml_op_ctx_t *ctx)
{
    return ctx->t[1] && ctx->t[1]->storage == TML_PKG_CONST && ctx->data[1] &&
           ((uintptr_t)ctx->data[1] & 3u) == 0;
}

/* A present, constant int32 bias of count entries, each within
 * TML_DSP_MAX_BIAS, for dot products of k <= TML_DSP_MAX_K int8 terms:
 * what tml_dsp_rq relies on (tml/kernels/nn.h). */
static int bias_ok(const tml_op_ctx_t *ctx, uint32_t count, uint64_t k)
{
    if (ctx->n_in != 5 || !ctx->t[4] || !ctx->data[4] || k > TML_DSP_MAX_K ||
        tml_op_nn_want_exact(ctx->t[4], TML_DT_I32, count) != TML_OK)
        return 0;
    const int32_t *b = (const int32_t *)ctx->data[4];
    for (uint32_t i = 0; i < count; i++)
        if (b[i] > TML_DSP_MAX_BIAS || b[i] < -TML_DSP_MAX_BIAS)
            return 0;
    return 1;
}

tml_status_t tml_op_nn_check_conv_dsp(const tml_op_ctx_t *ctx, int kind)
{
    const tml_conv_params_t *p = (const tml_conv_params_t *)ctx->params;
    const int depthwise = kind == TML_OP_DSP_DWCONV || kind == TML_OP_DSP_DWCONV_3X3;
    const int scratch = kind == TML_OP_DSP_CONV || kind == TML_OP_DSP_CONV_4PX;
    if (!p || ctx->n_in != 5 || ctx->n_out != (scratch ? 2u : 1u))
        return TML_ERR_CORRUPT;
    if (p->k_h < 1 || p->k_w < 1 || p->in_c < 1 || p->out_c < 1 || !weights_ok(ctx))
        return TML_ERR_CORRUPT;
    /* Reference weight element count, each step bounded by 2^31 (so no
     * uint64 product below can wrap). */
    uint64_t taps = (uint64_t)p->k_h * (uint64_t)p->k_w;
    uint64_t per_tap = depthwise ? (uint64_t)p->out_c : (uint64_t)p->out_c * (uint64_t)p->in_c;
    if (taps > MAX_I32 || per_tap > MAX_I32 || taps * per_tap > MAX_I32)
        return TML_ERR_CORRUPT;
    tml_pkg_tensor_t ref_w = *ctx->t[1];
    ref_w.dtype = TML_DT_I8;
    ref_w.n_dims = 1;
    for (int i = 0; i < TML_PKG_MAX_DIMS; i++)
        ref_w.dims[i] = 1;
    ref_w.dims[0] = (int32_t)(taps * per_tap);
    ref_w.byte_len = (uint32_t)(taps * per_tap);
    tml_op_ctx_t ref = *ctx;
    ref.n_out = 1;
    ref.t[1] = &ref_w;
    ref.t[6] = 0;
    ref.data[6] = 0;
    if (tml_op_nn_check_conv(&ref, depthwise, 1) != TML_OK)
        return TML_ERR_CORRUPT;
    if (!bias_ok(ctx, (uint32_t)p->out_c, depthwise ? taps : taps * (uint64_t)p->in_c))
        return TML_ERR_CORRUPT;

    switch (kind) {
    case TML_OP_DSP_CONV: {
        /* k = taps * in_c <= the reference weight count < 2^31 */
        uint64_t k_pad = (taps * (uint64_t)p->in_c + 3u) & ~(uint64_t)3u;
        if (k_pad * (uint64_t)p->out_c > MAX_I32 || 2u * k_pad > MAX_I32)
            return TML_ERR_CORRUPT;
        if (tml_op_nn_want_exact(ctx->t[1], TML_DT_I8, k_pad * (uint64_t)p->out_c) != TML_OK)
            return TML_ERR_CORRUPT;
        if (tml_op_want(ctx->t[6], TML_DT_I8, tml_conv2d_s8_dsp_scratch_size(p)) != TML_OK ||
            !ctx->data[6])
            return TML_ERR_CORRUPT;
        return TML_OK;
    }
    case TML_OP_DSP_CONV_1X1:
        if (p->k_h != 1 || p->k_w != 1 || p->pad_top || p->pad_left || p->pad_bottom ||
            p->pad_right || p->in_c % 4)
            return TML_ERR_CORRUPT;
        return tml_op_nn_want_exact(ctx->t[1], TML_DT_I8, per_tap);
    case TML_OP_DSP_CONV_DIRECT:
        if (p->in_c % 4 || p->k_h > 16 || p->dilation_h != 1 || p->dilation_w != 1)
            return TML_ERR_CORRUPT;
        return tml_op_nn_want_exact(ctx->t[1], TML_DT_I8, per_tap * taps);
    case TML_OP_DSP_CONV_4PX:
        /* k = taps * in_c < 2^31 as above; the scratch holds 8 * k bytes,
         * 4-byte aligned for its int16 pairs */
        if (p->in_c % 4 || p->dilation_h != 1 || p->dilation_w != 1 ||
            8u * taps * (uint64_t)p->in_c > MAX_I32)
            return TML_ERR_CORRUPT;
        if (tml_op_nn_want_exact(ctx->t[1], TML_DT_I8, per_tap * taps) != TML_OK)
            return TML_ERR_CORRUPT;
        /* the input is read with LDRD, the scratch's int16 pairs with LDR */
        if (tml_op_want(ctx->t[6], TML_DT_I8, tml_conv2d_4px_s8_dsp_scratch_size(p)) != TML_OK ||
            !ctx->data[6] || ((uintptr_t)ctx->data[6] & 3u) || ((uintptr_t)ctx->data[0] & 3u))
            return TML_ERR_CORRUPT;
        return TML_OK;
    case TML_OP_DSP_CONV_4PX_OUT:
        /* its widened windows go to the output's tail, 4-byte aligned;
         * the input is read with LDRD */
        if (p->in_c % 4 || p->dilation_h != 1 || p->dilation_w != 1 ||
            8u * taps * (uint64_t)p->in_c > MAX_I32 || ((uintptr_t)ctx->data[5] & 3u) ||
            ((uintptr_t)ctx->data[0] & 3u))
            return TML_ERR_CORRUPT;
        return tml_op_nn_want_exact(ctx->t[1], TML_DT_I8, per_tap * taps);
    case TML_OP_DSP_DWCONV:
        if (p->depth_multiplier != 1)
            return TML_ERR_CORRUPT;
        return tml_op_nn_want_exact(ctx->t[1], TML_DT_I16, taps * ((per_tap + 3u) & ~3ull));
    case TML_OP_DSP_DWCONV_3X3: {
        if (p->depth_multiplier != 1 || p->k_h != 3 || p->k_w != 3 || p->dilation_h != 1 ||
            p->dilation_w != 1 || p->stride_h > 2 || p->stride_w > 2)
            return TML_ERR_CORRUPT;
        /* 48 int16 per group of 4 channels (per_tap = out_c < 2^31) */
        if (tml_op_nn_want_exact(ctx->t[1], TML_DT_I16, (per_tap + 3u) / 4u * 48u) != TML_OK)
            return TML_ERR_CORRUPT;
        /* what its requantization relies on (tml_dwconv2d_3x3_s8_dsp.c) */
        const int32_t *b = (const int32_t *)ctx->data[4];
        const int32_t *shift = (const int32_t *)ctx->data[3];
        for (int32_t c = 0; c < p->out_c; c++)
            if (b[c] > TML_DW3_MAX_BIAS2 || b[c] < -TML_DW3_MAX_BIAS2 || shift[c] > -1 ||
                shift[c] < -TML_DW3_MAX_RSHIFT)
                return TML_ERR_CORRUPT;
        return TML_OK;
    }
    default:
        return TML_ERR_CORRUPT;
    }
}

tml_status_t tml_op_nn_check_fc_dsp(const tml_op_ctx_t *ctx)
{
    const tml_fc_params_t *p = (const tml_fc_params_t *)ctx->params;
    if (!p || ctx->n_in != 5 || ctx->n_out != 1 || !weights_ok(ctx))
        return TML_ERR_CORRUPT;
    if (p->batches < 1 || p->n_in < 1 || p->n_out < 1 || p->n_in % 4 || p->weights_offset)
        return TML_ERR_CORRUPT;
    if (p->per_channel != 0 && p->per_channel != 1)
        return TML_ERR_CORRUPT;
    uint64_t n_in = (uint64_t)p->n_in, n_out = (uint64_t)p->n_out;
    if (tml_op_nn_want_exact(ctx->t[0], TML_DT_I8, (uint64_t)p->batches * n_in) != TML_OK ||
        tml_op_nn_want_exact(ctx->t[1], TML_DT_I8, n_out * n_in) != TML_OK ||
        tml_op_nn_want_exact(ctx->t[5], TML_DT_I8, (uint64_t)p->batches * n_out) != TML_OK)
        return TML_ERR_CORRUPT;
    if (!bias_ok(ctx, (uint32_t)p->n_out, n_in))
        return TML_ERR_CORRUPT;
    if (tml_op_nn_check_requant(ctx, 2, 3, p->per_channel ? (uint32_t)p->n_out : 1u) != TML_OK)
        return TML_ERR_CORRUPT;
    return tml_op_nn_check_s8_range(p->input_offset, p->output_offset, p->act_min, p->act_max);
}
