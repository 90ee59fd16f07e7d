/*
 * op_nn_dspw_check.c - the load-time proof of the DSP convolutions with
 * requant records (CONV2D_S8_DSPW, CONV2D_1X1_S8_DSPW; see op_nn_dsp.h):
 * the reference convolution's geometry and sizes, the re-ordered weights,
 * the records' ranges that tml_dsp_rq_rec relies on, and the scratch.
 */
#include <stdint.h>

#include "op_nn_dsp.h"

#define MAX_I32 2147483647u

/* count constant records whose folded bias, multiplier and shift are in
 * the ranges of tml/kernels/nn.h (so no shift is undefined and the
 * accumulators stay within 1.5 * 2^30). */
static int records_ok(const tml_op_ctx_t *ctx, uint32_t i, uint32_t count)
{
    const tml_pkg_tensor_t *t = ctx->t[i];
    if (!t || t->storage != TML_PKG_CONST || !ctx->data[i] || ((uintptr_t)ctx->data[i] & 3u) ||
        tml_op_nn_want_exact(t, TML_DT_I32, (uint64_t)count * TML_DSP_RQ_LEN) != TML_OK)
        return 0;
    const int32_t *r = (const int32_t *)ctx->data[i];
    for (uint32_t c = 0; c < count; c++, r += TML_DSP_RQ_LEN) {
        if (r[TML_DSP_RQ_BIAS] > TML_DSP_MAX_BIAS || r[TML_DSP_RQ_BIAS] < -TML_DSP_MAX_BIAS ||
            r[TML_DSP_RQ_MULT2] >= 0 || r[TML_DSP_RQ_SHIFT] < 1 ||
            r[TML_DSP_RQ_SHIFT] > TML_DSP_RQ_MAX_SHIFT)
            return 0;
    }
    return 1;
}

tml_status_t tml_op_nn_check_conv_dspw(const tml_op_ctx_t *ctx, int im2col)
{
    const tml_conv_params_t *p = (const tml_conv_params_t *)ctx->params;
    if (!p || ctx->n_in != 3 || ctx->n_out != (im2col ? 2u : 1u))
        return TML_ERR_CORRUPT;
    if (p->n < 1 || p->in_c < 1 || p->out_c < 1 || p->depth_multiplier != 1)
        return TML_ERR_CORRUPT;
    if (tml_op_nn_check_axis(p->in_h, p->out_h, p->k_h, p->stride_h, p->dilation_h,
                             p->pad_top, p->pad_bottom) != TML_OK ||
        tml_op_nn_check_axis(p->in_w, p->out_w, p->k_w, p->stride_w, p->dilation_w,
                             p->pad_left, p->pad_right) != TML_OK)
        return TML_ERR_CORRUPT;
    if (!im2col && (p->k_h != 1 || p->k_w != 1 || p->pad_top || p->pad_left ||
                    p->pad_bottom || p->pad_right || p->in_c % 4))
        return TML_ERR_CORRUPT;
    /* Each factor is below 2^31 and each pair below 2^31, so no uint64
     * product below wraps (as tml_op_nn_check_conv). */
    if ((uint64_t)p->n * (uint64_t)p->in_h > MAX_I32 ||
        (uint64_t)p->in_w * (uint64_t)p->in_c > MAX_I32 ||
        (uint64_t)p->n * (uint64_t)p->out_h > MAX_I32 ||
        (uint64_t)p->out_w * (uint64_t)p->out_c > MAX_I32)
        return TML_ERR_CORRUPT;
    const uint64_t k = (uint64_t)p->k_h * (uint64_t)p->k_w * (uint64_t)p->in_c;
    if (k > TML_DSP_MAX_K) /* k_h, k_w >= 1: each factor is bounded too */
        return TML_ERR_CORRUPT;
    const uint64_t k_pad = (k + 3u) & ~(uint64_t)3u;
    const uint64_t in_elems =
        ((uint64_t)p->n * (uint64_t)p->in_h) * ((uint64_t)p->in_w * (uint64_t)p->in_c);
    const uint64_t out_elems =
        ((uint64_t)p->n * (uint64_t)p->out_h) * ((uint64_t)p->out_w * (uint64_t)p->out_c);
    if (tml_op_nn_want_exact(ctx->t[0], TML_DT_I8, in_elems) != TML_OK ||
        tml_op_nn_want_exact(ctx->t[1], TML_DT_I8, k_pad * (uint64_t)p->out_c) != TML_OK ||
        tml_op_nn_want_exact(ctx->t[3], TML_DT_I8, out_elems) != TML_OK)
        return TML_ERR_CORRUPT;
    /* Weights read with LDRD: constant and 4-byte aligned. */
    if (ctx->t[1]->storage != TML_PKG_CONST || !ctx->data[1] || ((uintptr_t)ctx->data[1] & 3u))
        return TML_ERR_CORRUPT;
    if (!records_ok(ctx, 2, (uint32_t)p->out_c))
        return TML_ERR_CORRUPT;
    if (im2col) {
        /* the widened pair is read with LDM: 4-byte aligned */
        if (tml_op_want(ctx->t[4], TML_DT_I8, tml_conv2d_s8_dspw_scratch_size(p)) != TML_OK ||
            !ctx->data[4] || ((uintptr_t)ctx->data[4] & 3u))
            return TML_ERR_CORRUPT;
    }
    return tml_op_nn_check_s8_range(p->input_offset, p->output_offset, p->act_min, p->act_max);
}
