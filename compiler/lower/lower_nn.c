/*
 * lower_nn.c - checks and int8 requantization shared by the nn lowerings.
 *
 * The multiplier arithmetic reproduces TFLM's: PopulateConvolution-
 * QuantizationParams / CalculateOpDataFullyConnected compute, per channel,
 * effective_scale = double(input_scale) * double(filter_scale[c]) /
 * double(output_scale) (GetQuantizedConvolutionMultipler does the same
 * product in double for per-tensor weights), then QuantizeMultiplier.
 */
#include <math.h>

#include "lower_nn.h"

static const tml_ir_tensor_t *tensor(tml_lower_ctx_t *ctx, int32_t idx)
{
    return &ctx->g->tensors[idx];
}

tml_status_t tml_lower_nn_flavour(tml_lower_ctx_t *ctx, int32_t in_idx, int32_t w_idx,
                                  int32_t out_idx, int32_t bias_idx, bool *s8)
{
    tml_dtype_t in = tensor(ctx, in_idx)->dtype, out = tensor(ctx, out_idx)->dtype;
    tml_dtype_t w = w_idx >= 0 ? tensor(ctx, w_idx)->dtype : in;
    tml_dtype_t b = bias_idx >= 0 ? tensor(ctx, bias_idx)->dtype : TML_DT_UNKNOWN;
    if (in == TML_DT_I8 && w == TML_DT_I8 && out == TML_DT_I8 &&
        (bias_idx < 0 || b == TML_DT_I32)) {
        *s8 = true;
        return TML_OK;
    }
    if (in == TML_DT_F32 && w == TML_DT_F32 && out == TML_DT_F32 &&
        (bias_idx < 0 || b == TML_DT_F32)) {
        *s8 = false;
        return TML_OK;
    }
    if (w_idx < 0)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                              "no kernel for input %s, output %s (int8 or float32 only)",
                              tml_dtype_name(in), tml_dtype_name(out));
    return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                          "no kernel for input %s, weights %s, bias %s, output %s "
                          "(int8 with int32 bias, or float32)",
                          tml_dtype_name(in), tml_dtype_name(w),
                          bias_idx >= 0 ? tml_dtype_name(b) : "none", tml_dtype_name(out));
}

tml_status_t tml_lower_nn_need_shape(tml_lower_ctx_t *ctx, int32_t idx, int rank,
                                     const char *what)
{
    const tml_ir_tensor_t *t = tensor(ctx, idx);
    if (t->n_dims != rank)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "%s '%s' has %d dims, expected %d",
                              what, t->name, t->n_dims, rank);
    for (int i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 1)
            return tml_lower_fail(ctx, TML_ERR_CORRUPT, "%s '%s' has dim %d = %d",
                                  what, t->name, i, (int)t->dims[i]);
    }
    if (tml_ir_tensor_elems(t) > INT32_MAX)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "%s '%s' is too large", what, t->name);
    return TML_OK;
}

tml_status_t tml_lower_nn_check_axis(tml_lower_ctx_t *ctx, const char *axis, int32_t in,
                                     int32_t out, int32_t k, int32_t stride, int32_t dil,
                                     int32_t pad_before, int32_t pad_after)
{
    if (stride < 1 || dil < 1 || k < 1)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT,
                              "%s: stride %d, dilation %d, window %d must all be >= 1", axis,
                              (int)stride, (int)dil, (int)k);
    if (pad_before < 0 || pad_after < 0)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "%s: negative padding %d/%d", axis,
                              (int)pad_before, (int)pad_after);
    int64_t eff_k = (int64_t)(k - 1) * dil + 1;
    int64_t span = (int64_t)in + pad_before + pad_after;
    if (span > INT32_MAX)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "%s: padded input too large", axis);
    if (span < eff_k)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT,
                              "%s: window %lld wider than the padded input %lld", axis,
                              (long long)eff_k, (long long)span);
    int64_t want = (span - eff_k) / stride + 1;
    if (want != out)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT,
                              "%s: output size %d, but input %d, pads %d+%d, window %lld, "
                              "stride %d give %lld",
                              axis, (int)out, (int)in, (int)pad_before, (int)pad_after,
                              (long long)eff_k, (int)stride, (long long)want);
    return TML_OK;
}

/* A per-tensor int8 activation quantization: scale > 0, zero point int8. */
static tml_status_t need_act_quant(tml_lower_ctx_t *ctx, int32_t idx, const char *what)
{
    const tml_ir_tensor_t *t = tensor(ctx, idx);
    if (t->quant.n != 1)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                              "int8 %s '%s' needs per-tensor quantization (has %d scales)",
                              what, t->name, t->quant.n);
    float s = t->quant.scale[0];
    int32_t zp = t->quant.zero_point[0];
    if (!(s > 0.0f) || isinf(s))
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "int8 %s '%s' has scale %g", what,
                              t->name, (double)s);
    if (zp < -128 || zp > 127)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "int8 %s '%s' has zero point %d", what,
                              t->name, (int)zp);
    return TML_OK;
}

tml_status_t tml_lower_nn_requant(tml_lower_ctx_t *ctx, int32_t in_idx, int32_t w_idx,
                                  int32_t out_idx, int w_axis, int32_t n_ch,
                                  bool per_tensor_len1, bool allow_w_zp, tml_act_t act,
                                  tml_lower_requant_t *rq)
{
    tml_status_t st;
    if ((st = need_act_quant(ctx, in_idx, "input")) != TML_OK ||
        (st = need_act_quant(ctx, out_idx, "output")) != TML_OK)
        return st;
    const tml_ir_tensor_t *w = tensor(ctx, w_idx);
    int n_q = w->quant.n;
    if (n_q != 1 && !(n_q == n_ch && w->quant.axis == w_axis))
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                              "int8 weights '%s' have %d scales on axis %d; expected 1, or "
                              "%d on axis %d",
                              w->name, n_q, n_q > 1 ? w->quant.axis : 0, (int)n_ch, w_axis);
    for (int c = 0; c < n_q; c++) {
        float s = w->quant.scale[c];
        if (!(s > 0.0f) || isinf(s))
            return tml_lower_fail(ctx, TML_ERR_CORRUPT, "int8 weights '%s' have scale %g",
                                  w->name, (double)s);
        int32_t zp = w->quant.zero_point[c];
        if (zp != 0 && !(allow_w_zp && n_q == 1 && zp >= -128 && zp <= 127))
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                                  "int8 weights '%s' have zero point %d; int8 weights must "
                                  "be symmetric (zero point 0)",
                                  w->name, (int)zp);
    }
    const tml_ir_tensor_t *in = tensor(ctx, in_idx), *out = tensor(ctx, out_idx);
    const float in_scale = in->quant.scale[0], out_scale = out->quant.scale[0];
    rq->input_offset = -in->quant.zero_point[0];
    rq->weights_offset = n_q == 1 ? -w->quant.zero_point[0] : 0;
    rq->output_offset = out->quant.zero_point[0];
    tml_lower_act_range_s8(act, out_scale, out->quant.zero_point[0], &rq->act_min,
                           &rq->act_max);
    if (rq->act_min > rq->act_max)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                              "activation %s leaves no int8 output range", tml_act_name(act));

    int n = (n_q == 1 && per_tensor_len1) ? 1 : (int)n_ch;
    int32_t *mult = tml_malloc((size_t)n * sizeof(int32_t));
    int32_t *shift = tml_malloc((size_t)n * sizeof(int32_t));
    if (!mult || !shift) {
        tml_free(mult);
        tml_free(shift);
        return tml_lower_fail(ctx, TML_ERR_NOMEM, "out of memory");
    }
    st = TML_OK;
    for (int c = 0; c < n && st == TML_OK; c++) {
        const double w_scale = (double)w->quant.scale[n_q == 1 ? 0 : c];
        const double eff = (double)in_scale * w_scale / (double)out_scale;
        if (!isfinite(eff)) {
            st = tml_lower_fail(ctx, TML_ERR_CORRUPT, "channel %d: effective scale %g", c, eff);
            break;
        }
        tml_quantize_multiplier(eff, &mult[c], &shift[c]);
        if (shift[c] > 30)
            st = tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                                "channel %d: effective scale %g too large for a fixed-point "
                                "multiplier", c, eff);
    }
    int32_t dims[1] = {n};
    if (st == TML_OK)
        st = tml_lower_add_const(ctx, "mult", TML_DT_I32, 1, dims, mult,
                                 (size_t)n * sizeof(int32_t), &rq->mult_idx);
    if (st == TML_OK)
        st = tml_lower_add_const(ctx, "shift", TML_DT_I32, 1, dims, shift,
                                 (size_t)n * sizeof(int32_t), &rq->shift_idx);
    tml_free(mult);
    tml_free(shift);
    rq->n_mult = n;
    return st;
}
