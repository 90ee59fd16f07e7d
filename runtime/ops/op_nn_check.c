/*
 * op_nn_check.c - the load-time proofs of the nn kernels (see op_nn.h).
 *
 * The kernels index with int32 and compute window origins as
 * o * stride - pad_before + k * dilation; the limits checked here keep all of
 * that inside int32 and inside the operands, whatever a package claims.
 */
#include "op_nn.h"

#define MAX_I32 2147483647

tml_status_t tml_op_nn_want_exact(const tml_pkg_tensor_t *t, uint32_t dtype, uint64_t elems)
{
    if (!t || t->dtype != dtype || elems == 0 || elems > MAX_I32)
        return TML_ERR_CORRUPT;
    uint64_t bytes = elems * tml_dtype_size(dtype);
    if (bytes > UINT32_MAX)
        return TML_ERR_CORRUPT;
    if (tml_op_want(t, dtype, (uint32_t)bytes) != TML_OK || t->byte_len != bytes)
        return TML_ERR_CORRUPT;
    if (tml_op_elems(t) != elems)
        return TML_ERR_CORRUPT;
    return TML_OK;
}

tml_status_t tml_op_nn_check_axis(int32_t in, int32_t out, int32_t k, int32_t stride,
                                  int32_t dilation, int32_t pad_before, int32_t pad_after)
{
    if (in < 1 || out < 1 || k < 1 || stride < 1 || dilation < 1 || pad_before < 0 ||
        pad_after < 0)
        return TML_ERR_CORRUPT;
    int64_t eff_k = (int64_t)(k - 1) * dilation + 1;
    int64_t span = (int64_t)in + pad_before + pad_after;
    if (span > MAX_I32 || span < eff_k)
        return TML_ERR_CORRUPT;
    if ((span - eff_k) / stride + 1 != out)
        return TML_ERR_CORRUPT;
    return TML_OK;
}

tml_status_t tml_op_nn_check_requant(const tml_op_ctx_t *ctx, uint32_t mult_i,
                                     uint32_t shift_i, uint32_t count)
{
    const tml_pkg_tensor_t *mt = ctx->t[mult_i], *st = ctx->t[shift_i];
    if (tml_op_nn_want_exact(mt, TML_DT_I32, count) != TML_OK ||
        tml_op_nn_want_exact(st, TML_DT_I32, count) != TML_OK)
        return TML_ERR_CORRUPT;
    /* The values are checked here, once, so they must be constants. */
    if (mt->storage != TML_PKG_CONST || st->storage != TML_PKG_CONST ||
        !ctx->data[mult_i] || !ctx->data[shift_i])
        return TML_ERR_CORRUPT;
    const int32_t *mult = (const int32_t *)ctx->data[mult_i];
    const int32_t *shift = (const int32_t *)ctx->data[shift_i];
    for (uint32_t i = 0; i < count; i++) {
        if (mult[i] < 0 || shift[i] < -31 || shift[i] > 30)
            return TML_ERR_CORRUPT;
    }
    return TML_OK;
}

tml_status_t tml_op_nn_check_s8_range(int32_t input_offset, int32_t output_offset,
                                      int32_t act_min, int32_t act_max)
{
    /* offsets come from int8 zero points: -zp in [-127, 128], zp in
     * [-128, 127]; one more on each side costs nothing and keeps products
     * of (w + off) * (x + off) far from int32 limits. */
    if (input_offset < -128 || input_offset > 128)
        return TML_ERR_CORRUPT;
    if (output_offset < -128 || output_offset > 127)
        return TML_ERR_CORRUPT;
    if (act_min < -128 || act_max > 127 || act_min > act_max)
        return TML_ERR_CORRUPT;
    return TML_OK;
}

tml_status_t tml_op_nn_check_f32_range(int32_t act_min, int32_t act_max)
{
    float lo = tml_nn_f32_word(act_min), hi = tml_nn_f32_word(act_max);
    if (!(lo <= hi)) /* also rejects NaN */
        return TML_ERR_CORRUPT;
    return TML_OK;
}

tml_status_t tml_op_nn_check_conv(const tml_op_ctx_t *ctx, int depthwise, int s8)
{
    const tml_conv_params_t *p = (const tml_conv_params_t *)ctx->params;
    if (!p || ctx->n_out != 1)
        return TML_ERR_CORRUPT;
    if (p->n < 1 || p->in_c < 1 || p->out_c < 1)
        return TML_ERR_CORRUPT;
    if (tml_op_nn_check_axis(p->in_h, p->out_h, p->k_h, p->stride_h, p->dilation_h,
                             p->pad_top, p->pad_bottom) != TML_OK ||
        tml_op_nn_check_axis(p->in_w, p->out_w, p->k_w, p->stride_w, p->dilation_w,
                             p->pad_left, p->pad_right) != TML_OK)
        return TML_ERR_CORRUPT;
    if (depthwise) {
        if (p->depth_multiplier < 1 ||
            (int64_t)p->in_c * p->depth_multiplier != (int64_t)p->out_c)
            return TML_ERR_CORRUPT;
    } else if (p->depth_multiplier != 1) {
        return TML_ERR_CORRUPT;
    }

    uint32_t dt = s8 ? TML_DT_I8 : TML_DT_F32;
    /* Every factor is below 2^31: multiplying them in pairs first, each
     * pair bounded by 2^31, keeps the uint64 products above exact (no
     * wrap) so want_exact's limits are meaningful. */
    if ((uint64_t)p->n * (uint64_t)p->in_h > MAX_I32 ||
        (uint64_t)p->in_w * (uint64_t)p->in_c > MAX_I32 ||
        (uint64_t)p->n * (uint64_t)p->out_h > MAX_I32 ||
        (uint64_t)p->out_w * (uint64_t)p->out_c > MAX_I32 ||
        (uint64_t)p->k_h * (uint64_t)p->k_w > MAX_I32 ||
        (uint64_t)p->out_c * (depthwise ? 1u : (uint64_t)p->in_c) > MAX_I32)
        return TML_ERR_CORRUPT;

    uint64_t in_elems = ((uint64_t)p->n * (uint64_t)p->in_h) * ((uint64_t)p->in_w * (uint64_t)p->in_c);
    uint64_t out_elems =
        ((uint64_t)p->n * (uint64_t)p->out_h) * ((uint64_t)p->out_w * (uint64_t)p->out_c);
    uint64_t w_elems = ((uint64_t)p->k_h * (uint64_t)p->k_w) *
                       ((uint64_t)p->out_c * (depthwise ? 1u : (uint64_t)p->in_c));
    uint32_t n_req = s8 ? 4 : 2;  /* inputs before the optional bias */
    if (ctx->n_in < n_req || ctx->n_in > n_req + 1)
        return TML_ERR_CORRUPT;
    if (tml_op_nn_want_exact(ctx->t[0], dt, in_elems) != TML_OK ||
        tml_op_nn_want_exact(ctx->t[1], dt, w_elems) != TML_OK ||
        tml_op_nn_want_exact(ctx->t[ctx->n_in], dt, out_elems) != TML_OK)
        return TML_ERR_CORRUPT;
    if (ctx->n_in == n_req + 1 && ctx->t[n_req] &&
        tml_op_nn_want_exact(ctx->t[n_req], s8 ? TML_DT_I32 : TML_DT_F32,
                             (uint64_t)p->out_c) != TML_OK)
        return TML_ERR_CORRUPT;
    if (s8) {
        if (tml_op_nn_check_requant(ctx, 2, 3, (uint32_t)p->out_c) != TML_OK)
            return TML_ERR_CORRUPT;
        return tml_op_nn_check_s8_range(p->input_offset, p->output_offset, p->act_min,
                                        p->act_max);
    }
    if (p->input_offset != 0 || p->output_offset != 0)
        return TML_ERR_CORRUPT;
    return tml_op_nn_check_f32_range(p->act_min, p->act_max);
}

tml_status_t tml_op_nn_check_pool(const tml_op_ctx_t *ctx, int s8, int avg)
{
    const tml_pool_params_t *p = (const tml_pool_params_t *)ctx->params;
    if (!p || ctx->n_in != 1 || ctx->n_out != 1)
        return TML_ERR_CORRUPT;
    if (p->n < 1 || p->c < 1)
        return TML_ERR_CORRUPT;
    if (tml_op_nn_check_axis(p->in_h, p->out_h, p->k_h, p->stride_h, 1, p->pad_top,
                             p->pad_bottom) != TML_OK ||
        tml_op_nn_check_axis(p->in_w, p->out_w, p->k_w, p->stride_w, 1, p->pad_left,
                             p->pad_right) != TML_OK)
        return TML_ERR_CORRUPT;
    /* Padding thinner than the window on every side puts at least one input
     * position in every window (first and last windows included), so the
     * average never divides by zero and the max is never of nothing. */
    if (p->pad_top >= p->k_h || p->pad_bottom >= p->k_h || p->pad_left >= p->k_w ||
        p->pad_right >= p->k_w)
        return TML_ERR_CORRUPT;
    /* Bounds the int32 sum of an int8 window (and the f32 divisor). */
    if ((int64_t)p->k_h * p->k_w > (1 << 23))
        return TML_ERR_CORRUPT;
    if (p->count_include_pad != 0 && (s8 || !avg || p->count_include_pad != 1))
        return TML_ERR_CORRUPT;
    if ((uint64_t)p->n * (uint64_t)p->in_h > MAX_I32 ||
        (uint64_t)p->in_w * (uint64_t)p->c > MAX_I32 ||
        (uint64_t)p->n * (uint64_t)p->out_h > MAX_I32 ||
        (uint64_t)p->out_w * (uint64_t)p->c > MAX_I32)
        return TML_ERR_CORRUPT;
    uint32_t dt = s8 ? TML_DT_I8 : TML_DT_F32;
    uint64_t in_elems = ((uint64_t)p->n * (uint64_t)p->in_h) * ((uint64_t)p->in_w * (uint64_t)p->c);
    uint64_t out_elems = ((uint64_t)p->n * (uint64_t)p->out_h) *
                         ((uint64_t)p->out_w * (uint64_t)p->c);
    if (tml_op_nn_want_exact(ctx->t[0], dt, in_elems) != TML_OK ||
        tml_op_nn_want_exact(ctx->t[1], dt, out_elems) != TML_OK)
        return TML_ERR_CORRUPT;
    if (s8)
        return tml_op_nn_check_s8_range(0, 0, p->act_min, p->act_max);
    return tml_op_nn_check_f32_range(p->act_min, p->act_max);
}
