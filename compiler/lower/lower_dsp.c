/*
 * lower_dsp.c - the choice of the int8 kernels for cores with the DSP
 * extension, and the offline work they rely on (see tml/kernels/nn.h and
 * runtime/kernels/tml_dsp.h): weights re-ordered into the streams the
 * kernels read, input_offset * sum(weights) folded into the bias, the
 * im2col scratch of the general convolution sized here and planned in the
 * arena like any tensor. Nodes whose shapes do not suit keep the reference
 * kernels.
 */
#include <string.h>

#include "lower_nn.h"

/* Largest window (k_h * k_w * in_c) given CONV2D_4PX_S8_DSP: 8 KiB of
 * scratch. */
#define TML_CONV_4PX_MAX_K 1024

void tml_lower_dsp_interleave(const int8_t *w, int32_t rows, int32_t k, int32_t k_pad,
                              int group, int8_t *out)
{
    const int32_t full = rows / group * group;
    for (int32_t blk = 0; blk < full; blk += group) {
        int8_t *base = out + (size_t)blk * (size_t)k_pad;
        for (int32_t g = 0; g < k_pad / 4; g++)
            for (int r = 0; r < group; r++)
                for (int b = 0; b < 4; b++) {
                    int32_t i = 4 * g + b;
                    base[((size_t)g * (size_t)group + (size_t)r) * 4u + (size_t)b] =
                        i < k ? w[(size_t)(blk + r) * (size_t)k + (size_t)i] : 0;
                }
    }
    for (int32_t r = full; r < rows; r++)
        for (int32_t i = 0; i < k_pad; i++)
            out[(size_t)r * (size_t)k_pad + (size_t)i] = i < k ? w[(size_t)r * (size_t)k + (size_t)i] : 0;
}

void tml_lower_dsp_cross(const int8_t *w, int32_t rows, int32_t k, int8_t *out)
{
    /* per pair of rows and 4 values: [r0 v0, r1 v0, r0 v2, r1 v2],
     * [r0 v1, r1 v1, r0 v3, r1 v3]; an odd last row plain */
    static const int v_of[8] = {0, 0, 2, 2, 1, 1, 3, 3};
    const int32_t full = rows / 2 * 2;
    for (int32_t r = 0; r < full; r += 2)
        for (int32_t g = 0; g < k / 4; g++)
            for (int j = 0; j < 8; j++)
                out[(size_t)r * (size_t)k + (size_t)g * 8u + (size_t)j] =
                    w[(size_t)(r + (j & 1)) * (size_t)k + (size_t)(4 * g + v_of[j])];
    if (full < rows)
        memcpy(out + (size_t)full * (size_t)k, w + (size_t)full * (size_t)k, (size_t)k);
}

/* Lays out the int8 [rows, k] w for kernel (4PX: pair-crossed, DIRECT:
 * pair-interleaved) into out. */
static void lay_out(tml_kernel_t kernel, const int8_t *w, int32_t rows, int32_t k, int8_t *out)
{
    if (kernel == TML_K_CONV2D_4PX_S8_DSP || kernel == TML_K_CONV2D_4PX_OUT_S8_DSP)
        tml_lower_dsp_cross(w, rows, k, out);
    else
        tml_lower_dsp_interleave(w, rows, k, k, 2, out);
}

static bool conv_4px_family(tml_kernel_t k)
{
    return k == TML_K_CONV2D_4PX_S8_DSP || k == TML_K_CONV2D_4PX_OUT_S8_DSP ||
           k == TML_K_CONV2D_DIRECT_S8_DSP;
}

tml_status_t tml_lower_dsp_conv_4px_set(tml_ir_graph_t *g, tml_lop_t *op, tml_kernel_t want)
{
    if (!conv_4px_family(want) || !conv_4px_family(op->kernel))
        return TML_ERR_INTERNAL;
    if (op->kernel == want)
        return TML_OK;
    const tml_conv_params_t *p = (const tml_conv_params_t *)op->params;
    tml_ir_tensor_t *w = &g->tensors[op->operands[1]];
    const int32_t rows = p->out_c, k = p->k_h * p->k_w * p->in_c;
    const size_t len = (size_t)rows * (size_t)k;
    if (op->n_in != 5 || op->operands[6] < 0 || !w->data || w->data_len != len || k % 4)
        return TML_ERR_INTERNAL;
    /* Both layouts permute the reference bytes: where reference byte i
     * lands is found by laying out each bit of the index i in turn. */
    int8_t *ref = tml_malloc(len), *bit = tml_malloc(len), *laid = tml_malloc(len);
    uint32_t *src = tml_calloc(len, sizeof(uint32_t)); /* src[j]: reference index at j */
    tml_status_t st = TML_ERR_NOMEM;
    if (ref && bit && laid && src) {
        for (int b = 0; b < 32 && ((size_t)1 << b) < len; b++) {
            for (size_t i = 0; i < len; i++)
                bit[i] = (int8_t)((i >> b) & 1u);
            lay_out(op->kernel, bit, rows, k, laid);
            for (size_t j = 0; j < len; j++)
                src[j] |= (uint32_t)laid[j] << b;
        }
        int8_t *cur = (int8_t *)w->data;
        for (size_t j = 0; j < len; j++)
            ref[src[j]] = cur[j];
        lay_out(want, ref, rows, k, cur);
        op->kernel = want;
        /* the scratch stays operand 6, unused but by CONV2D_4PX_S8_DSP */
        op->n_out = want == TML_K_CONV2D_4PX_S8_DSP ? 2 : 1;
        st = TML_OK;
    }
    tml_free(ref);
    tml_free(bit);
    tml_free(laid);
    tml_free(src);
    return st;
}

void tml_lower_dsp_dw_weights(const int8_t *w, int32_t taps, int32_t c, int16_t *out)
{
    /* per 4 channels and tap: (c, c+2, c+1, c+3), the order SXTB16 and
     * SXTB16 ROR #8 split a word of 4 channels into; channels past c (the
     * last group of c % 4) are 0 */
    static const int order[4] = {0, 2, 1, 3};
    for (int32_t cg = 0; cg < (c + 3) / 4; cg++)
        for (int32_t t = 0; t < taps; t++)
            for (int j = 0; j < 4; j++) {
                int32_t ch = 4 * cg + order[j];
                out[((size_t)cg * (size_t)taps + (size_t)t) * 4u + (size_t)j] =
                    ch < c ? w[(size_t)t * (size_t)c + (size_t)ch] : 0;
            }
}

void tml_lower_dsp_dw3x3_weights(const int8_t *w, int32_t c, int16_t *out)
{
    /* per 4 channels, pass (c, c+1 | c+2, c+3), kernel row, channel of
     * the pass: 2 * (w0, w1, w1, w2), the (w0, w1) and (w1, w2) pairs of
     * the kernel's SMLADs, doubled (see tml_dwconv2d_3x3_s8_dsp.c) */
    for (int32_t g = 0; g < (c + 3) / 4; g++)
        for (int pass = 0; pass < 2; pass++)
            for (int ky = 0; ky < 3; ky++)
                for (int j = 0; j < 2; j++) {
                    const int32_t ch = 4 * g + 2 * pass + j;
                    int16_t v[3];
                    for (int kx = 0; kx < 3; kx++) {
                        const size_t at = (size_t)(ky * 3 + kx) * (size_t)c + (size_t)ch;
                        v[kx] = (int16_t)(ch < c ? 2 * w[at] : 0);
                    }
                    int16_t *o = out + (size_t)((((g * 2 + pass) * 3 + ky) * 2 + j) * 4);
                    o[0] = v[0];
                    o[1] = v[1];
                    o[2] = v[1];
                    o[3] = v[2];
                }
}

void tml_lower_dsp_fold_bias(const int8_t *w, int32_t rows, int32_t n, int32_t r_step,
                             int32_t i_step, const int32_t *bias, int32_t input_offset,
                             int32_t *out)
{
    for (int32_t r = 0; r < rows; r++) {
        uint32_t sum = 0;
        for (int32_t i = 0; i < n; i++)
            sum += (uint32_t)(int32_t)w[(size_t)r * (size_t)r_step + (size_t)i * (size_t)i_step];
        out[r] = (int32_t)((bias ? (uint32_t)bias[r] : 0u) + sum * (uint32_t)input_offset);
    }
}

bool tml_lower_dsp_rq_records(const int32_t *folded, const int32_t *mult, const int32_t *shift,
                              int32_t n_mult, int32_t rows, int32_t *out)
{
    for (int32_t r = 0; r < rows; r++) {
        const int32_t q = n_mult == 1 ? 0 : r, rs = -shift[q];
        if (mult[q] < (1 << 30) || rs < 1 || rs > TML_DSP_RQ_MAX_SHIFT)
            return false;
        int32_t *rec = out + (size_t)r * TML_DSP_RQ_LEN;
        rec[TML_DSP_RQ_BIAS] = folded[r];
        rec[TML_DSP_RQ_MULT2] = (int32_t)((uint32_t)mult[q] << 1);
        rec[TML_DSP_RQ_ROUND] = (int32_t)((uint32_t)1 << (rs - 1));
        rec[TML_DSP_RQ_SHIFT] = rs;
    }
    return true;
}

/* The DSP kernels' loader limits (see tml/kernels/nn.h): dot products of
 * at most TML_DSP_MAX_K terms and folded biases within TML_DSP_MAX_BIAS,
 * so that tml_dsp_rq's shortcut is exact. Otherwise the reference kernels
 * run the node. */
static bool acc_bounded(const int32_t *folded, int32_t rows, int64_t k)
{
    if (k > TML_DSP_MAX_K)
        return false;
    for (int32_t r = 0; r < rows; r++)
        if (folded[r] > TML_DSP_MAX_BIAS || folded[r] < -TML_DSP_MAX_BIAS)
            return false;
    return true;
}

static bool have_dsp(const tml_lower_ctx_t *ctx)
{
    return ctx->target && (ctx->target->features & TML_FEAT_DSP);
}

/* Constant weights and (if any) bias, whose bytes the re-ordering reads. */
static bool consts_ok(const tml_lower_ctx_t *ctx, int32_t w_idx, int32_t bias_idx)
{
    const tml_ir_tensor_t *w = &ctx->g->tensors[w_idx];
    if (!tml_ir_is_const(w) || !w->data)
        return false;
    if (bias_idx < 0)
        return true;
    const tml_ir_tensor_t *b = &ctx->g->tensors[bias_idx];
    return tml_ir_is_const(b) && b->data != NULL;
}

/* A copy of a constant tensor's bytes (tensor pointers move when constants
 * are added), or NULL. */
static void *copy_data(tml_lower_ctx_t *ctx, int32_t idx, size_t len)
{
    const tml_ir_tensor_t *t = &ctx->g->tensors[idx];
    if (t->data_len != len)
        return NULL;
    void *p = tml_malloc(len ? len : 1);
    if (p)
        memcpy(p, t->data, len);
    return p;
}

/* Adds weights (new_w, new_w_len bytes of dtype, as [rows, new_w_len /
 * rows / size]) and the folded bias, then emits kernel. */
static tml_status_t emit(tml_lower_ctx_t *ctx, tml_kernel_t kernel, const void *params,
                         size_t params_len, int32_t in_idx, int32_t out_idx, int32_t mult_idx,
                         int32_t shift_idx, tml_dtype_t w_dtype, const void *new_w,
                         size_t new_w_len, int32_t rows, const int32_t *bias,
                         uint32_t scratch_len)
{
    const size_t n_w = new_w_len / tml_dtype_size(w_dtype);
    int32_t w_dims[2] = {rows, (int32_t)(n_w / (size_t)rows)};
    if (n_w % (size_t)rows) { /* depthwise weights padded to a multiple of 4 channels */
        w_dims[0] = 1;
        w_dims[1] = (int32_t)n_w;
    }
    int32_t b_dims[1] = {rows};
    int32_t w_idx, b_idx, outs[2] = {out_idx, -1};
    tml_status_t st = tml_lower_add_const(ctx, "weights_dsp", w_dtype, 2, w_dims, new_w,
                                          new_w_len, &w_idx);
    if (st == TML_OK)
        st = tml_lower_add_const(ctx, "bias_dsp", TML_DT_I32, 1, b_dims, bias,
                                 (size_t)rows * sizeof(int32_t), &b_idx);
    if (st == TML_OK && scratch_len)
        st = tml_lower_add_scratch(ctx, scratch_len, &outs[1]);
    if (st != TML_OK)
        return st;
    int32_t ins[5] = {in_idx, w_idx, mult_idx, shift_idx, b_idx};
    return tml_lower_emit(ctx, kernel, ins, 5, outs, scratch_len ? 2 : 1, params, params_len, -1);
}

/* Adds int8 weights (rows of new_w_len / rows bytes) and the requant
 * records rq (rows of TML_DSP_RQ_LEN), then emits kernel: operands input,
 * weights, rq | output [, scratch]. */
static tml_status_t emit_rq(tml_lower_ctx_t *ctx, tml_kernel_t kernel, const void *params,
                            size_t params_len, int32_t in_idx, int32_t out_idx,
                            const int8_t *new_w, size_t new_w_len, int32_t rows,
                            const int32_t *rq, uint32_t scratch_len)
{
    int32_t w_dims[2] = {rows, (int32_t)(new_w_len / (size_t)rows)};
    int32_t rq_dims[2] = {rows, TML_DSP_RQ_LEN};
    int32_t w_idx, rq_idx, outs[2] = {out_idx, -1};
    tml_status_t st = tml_lower_add_const(ctx, "weights_dsp", TML_DT_I8, 2, w_dims, new_w,
                                          new_w_len, &w_idx);
    if (st == TML_OK)
        st = tml_lower_add_const(ctx, "rq_dsp", TML_DT_I32, 2, rq_dims, rq,
                                 (size_t)rows * TML_DSP_RQ_LEN * sizeof(int32_t), &rq_idx);
    if (st == TML_OK && scratch_len)
        st = tml_lower_add_scratch(ctx, scratch_len, &outs[1]);
    if (st != TML_OK)
        return st;
    int32_t ins[3] = {in_idx, w_idx, rq_idx};
    return tml_lower_emit(ctx, kernel, ins, 3, outs, scratch_len ? 2 : 1, params, params_len, -1);
}

/* The requant records of a conv node (tml_lower_dsp_rq_records) into *rq,
 * or NULL when a channel's mult or shift is outside their ranges (or the
 * mult/shift constants are not what the lowering made). */
static tml_status_t conv_records(tml_lower_ctx_t *ctx, int32_t mult_idx, int32_t shift_idx,
                                 const int32_t *folded, int32_t rows, int32_t **rq)
{
    *rq = NULL;
    const tml_ir_tensor_t *m = &ctx->g->tensors[mult_idx];
    const size_t n_mult = m->data_len / sizeof(int32_t);
    if (!consts_ok(ctx, mult_idx, shift_idx) || (n_mult != 1 && n_mult != (size_t)rows))
        return TML_OK;
    int32_t *mult = copy_data(ctx, mult_idx, n_mult * sizeof(int32_t));
    int32_t *shift = copy_data(ctx, shift_idx, n_mult * sizeof(int32_t));
    int32_t *rec = tml_malloc((size_t)rows * TML_DSP_RQ_LEN * sizeof(int32_t));
    tml_status_t st = TML_OK;
    if (!mult || !shift || !rec)
        st = tml_lower_fail(ctx, TML_ERR_NOMEM, "out of memory (or constant sizes disagree)");
    else if (tml_lower_dsp_rq_records(folded, mult, shift, (int32_t)n_mult, rows, rec))
        *rq = rec, rec = NULL;
    tml_free(mult);
    tml_free(shift);
    tml_free(rec);
    return st;
}

/* DWCONV2D_3X3_S8_DSP serves a depthwise node (depth multiplier 1, w
 * [9, out_c]) of its geometry whose every shift and doubled folded bias is
 * within its limits (tml/kernels/nn.h); the folded bias goes to folded. */
static bool dw3_applies(const tml_lower_ctx_t *ctx, const tml_conv_params_t *p, int32_t shift_idx,
                        int32_t *folded, const int8_t *w, const int32_t *bias)
{
    if (p->k_h != 3 || p->k_w != 3 || p->dilation_h != 1 || p->dilation_w != 1 ||
        p->stride_h > 2 || p->stride_w > 2)
        return false;
    const tml_ir_tensor_t *st = &ctx->g->tensors[shift_idx];
    if (!tml_ir_is_const(st) || !st->data || st->data_len != (size_t)p->out_c * 4u)
        return false;
    tml_lower_dsp_fold_bias(w, p->out_c, 9, 1, p->out_c, bias, p->input_offset, folded);
    for (int32_t c = 0; c < p->out_c; c++) {
        int32_t shift;
        memcpy(&shift, (const uint8_t *)st->data + 4 * (size_t)c, 4);
        if (shift > -1 || shift < -TML_DW3_MAX_RSHIFT || folded[c] > TML_DW3_MAX_BIAS2 / 2 ||
            folded[c] < -TML_DW3_MAX_BIAS2 / 2)
            return false;
    }
    return true;
}

tml_status_t tml_lower_conv_dsp(tml_lower_ctx_t *ctx, const tml_conv_params_t *p,
                                bool depthwise, int32_t in_idx, int32_t w_idx,
                                int32_t mult_idx, int32_t shift_idx, int32_t bias_idx,
                                int32_t out_idx, bool *done)
{
    *done = false;
    if (!have_dsp(ctx) || !consts_ok(ctx, w_idx, bias_idx))
        return TML_OK;
    if (depthwise && p->depth_multiplier != 1)
        return TML_OK;
    const int32_t taps = p->k_h * p->k_w, out_c = p->out_c;
    const int32_t k = depthwise ? 1 : taps * p->in_c;
    const size_t w_len = (size_t)taps * (size_t)out_c * (size_t)(depthwise ? 1 : p->in_c);
    int8_t *w = copy_data(ctx, w_idx, w_len);
    int32_t *bias = bias_idx >= 0 ? copy_data(ctx, bias_idx, (size_t)out_c * 4u) : NULL;
    int32_t *folded = tml_malloc((size_t)out_c * sizeof(int32_t));
    tml_status_t st = TML_OK;
    if (!w || !folded || (bias_idx >= 0 && !bias)) {
        st = tml_lower_fail(ctx, TML_ERR_NOMEM, "out of memory (or constant sizes disagree)");
        goto out;
    }
    if (depthwise && dw3_applies(ctx, p, shift_idx, folded, w, bias)) {
        const size_t w16_len = (size_t)(out_c + 3) / 4u * 48u;
        int16_t *w16 = tml_malloc(w16_len * sizeof(int16_t));
        if (!w16) {
            st = tml_lower_fail(ctx, TML_ERR_NOMEM, "out of memory");
            goto out;
        }
        tml_lower_dsp_dw3x3_weights(w, out_c, w16);
        for (int32_t c = 0; c < out_c; c++)
            folded[c] *= 2; /* within +-2^28 (dw3_applies) */
        st = emit(ctx, TML_K_DWCONV2D_3X3_S8_DSP, p, sizeof(*p), in_idx, out_idx, mult_idx,
                  shift_idx, TML_DT_I16, w16, w16_len * sizeof(int16_t), out_c, folded, 0);
        tml_free(w16);
    } else if (depthwise) {
        const size_t w16_len = (size_t)taps * (size_t)((out_c + 3) & ~3);
        int16_t *w16 = tml_malloc(w16_len * sizeof(int16_t));
        if (!w16) {
            st = tml_lower_fail(ctx, TML_ERR_NOMEM, "out of memory");
            goto out;
        }
        tml_lower_dsp_dw_weights(w, taps, out_c, w16);
        tml_lower_dsp_fold_bias(w, out_c, taps, 1, out_c, bias, p->input_offset, folded);
        if (!acc_bounded(folded, out_c, taps)) {
            tml_free(w16);
            goto out;
        }
        st = emit(ctx, TML_K_DWCONV2D_S8_DSP, p, sizeof(*p), in_idx, out_idx, mult_idx,
                  shift_idx, TML_DT_I16, w16, w16_len * sizeof(int16_t), out_c, folded, 0);
        tml_free(w16);
    } else {
        const bool one = p->k_h == 1 && p->k_w == 1 && !p->pad_top && !p->pad_left &&
                         !p->pad_bottom && !p->pad_right && p->in_c % 4 == 0;
        const int32_t k_pad = (k + 3) & ~3;
        int8_t *wi = tml_malloc((size_t)out_c * (size_t)k_pad);
        if (!wi) {
            st = tml_lower_fail(ctx, TML_ERR_NOMEM, "out of memory");
            goto out;
        }
        tml_lower_dsp_interleave(w, out_c, k, k_pad, 2, wi);
        tml_lower_dsp_fold_bias(w, out_c, k, k, 1, bias, p->input_offset, folded);
        if (!acc_bounded(folded, out_c, k_pad)) {
            tml_free(wi);
            goto out;
        }
        /* No scratch (so no arena growth) whenever the input rows can be
         * read in place: im2col only for the odd channel counts of first
         * layers (RGB, audio), whose scratch is a few dozen bytes. */
        const bool direct = !one && p->in_c % 4 == 0 && p->dilation_h == 1 &&
                            p->dilation_w == 1 && p->k_h <= 16;
        tml_kernel_t kernel = one ? TML_K_CONV2D_1X1_S8_DSP
                              : direct ? TML_K_CONV2D_DIRECT_S8_DSP
                                       : TML_K_CONV2D_S8_DSP;
        /* Where the direct kernel would run, four pixels per pass over
         * int16 windows in scratch are about twice as fast; the scratch
         * (8 * k bytes) is kept to a few KiB. */
        const bool four_px = direct && k <= TML_CONV_4PX_MAX_K;
        if (four_px)
            tml_lower_dsp_cross(w, out_c, k, wi);
        /* With TFLite's multipliers (all of them in practice) the kernels
         * with widened activations and requant records take over from
         * CONV2D_1X1_S8_DSP and CONV2D_S8_DSP. */
        int32_t *rq = NULL;
        if (kernel != TML_K_CONV2D_DIRECT_S8_DSP)
            st = conv_records(ctx, mult_idx, shift_idx, folded, out_c, &rq);
        if (st == TML_OK && rq)
            st = emit_rq(ctx, one ? TML_K_CONV2D_1X1_S8_DSPW : TML_K_CONV2D_S8_DSPW, p,
                         sizeof(*p), in_idx, out_idx, wi, (size_t)out_c * (size_t)k_pad, out_c,
                         rq, one ? 0u : tml_conv2d_s8_dspw_scratch_size(p));
        else if (st == TML_OK && four_px)
            st = emit(ctx, TML_K_CONV2D_4PX_S8_DSP, p, sizeof(*p), in_idx, out_idx, mult_idx,
                      shift_idx, TML_DT_I8, wi, (size_t)out_c * (size_t)k_pad, out_c, folded,
                      tml_conv2d_4px_s8_dsp_scratch_size(p));
        else if (st == TML_OK)
            st = emit(ctx, kernel, p, sizeof(*p), in_idx, out_idx, mult_idx, shift_idx,
                      TML_DT_I8, wi, (size_t)out_c * (size_t)k_pad, out_c, folded,
                      kernel == TML_K_CONV2D_S8_DSP ? tml_conv2d_s8_dsp_scratch_size(p) : 0u);
        tml_free(rq);
        tml_free(wi);
    }
    if (st == TML_OK)
        *done = true;
out:
    tml_free(w);
    tml_free(bias);
    tml_free(folded);
    return st;
}

tml_status_t tml_lower_fc_dsp(tml_lower_ctx_t *ctx, const tml_fc_params_t *p, int32_t in_idx,
                              int32_t w_idx, int32_t mult_idx, int32_t shift_idx,
                              int32_t bias_idx, int32_t out_idx, bool *done)
{
    *done = false;
    if (!have_dsp(ctx) || !consts_ok(ctx, w_idx, bias_idx) || p->weights_offset != 0 ||
        p->n_in % 4 != 0)
        return TML_OK;
    const size_t w_len = (size_t)p->n_out * (size_t)p->n_in;
    int8_t *w = copy_data(ctx, w_idx, w_len);
    int32_t *bias = bias_idx >= 0 ? copy_data(ctx, bias_idx, (size_t)p->n_out * 4u) : NULL;
    int32_t *folded = tml_malloc((size_t)p->n_out * sizeof(int32_t));
    int8_t *wi = tml_malloc(w_len);
    tml_status_t st;
    if (!w || !folded || !wi || (bias_idx >= 0 && !bias)) {
        st = tml_lower_fail(ctx, TML_ERR_NOMEM, "out of memory (or constant sizes disagree)");
    } else {
        tml_lower_dsp_interleave(w, p->n_out, p->n_in, p->n_in, 4, wi);
        tml_lower_dsp_fold_bias(w, p->n_out, p->n_in, p->n_in, 1, bias, p->input_offset, folded);
        st = !acc_bounded(folded, p->n_out, p->n_in) ? TML_OK : emit(ctx, TML_K_FC_S8_DSP, p, sizeof(*p), in_idx, out_idx, mult_idx, shift_idx,
                  TML_DT_I8, wi, w_len, p->n_out, folded, 0);
        if (st == TML_OK && acc_bounded(folded, p->n_out, p->n_in))
            *done = true;
    }
    tml_free(w);
    tml_free(bias);
    tml_free(folded);
    tml_free(wi);
    return st;
}
