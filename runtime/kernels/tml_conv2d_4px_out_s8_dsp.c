/*
 * tml_conv2d_4px_out_s8_dsp.c - CONV2D_4PX_S8_DSP without a scratch operand:
 * the widened windows live in the tail of the output buffer, which is
 * written last (tml_conv2d_4px.h; layouts: tml/kernels/nn.h).
 *
 * For the pixels whose outputs would land on that tail, one pixel at a
 * time reads the int8 input straight, widening it per channel pair: slower
 * per MAC, but only for about scratch / out_c pixels, and the arena needs
 * no scratch at all (the compiler picks this kernel where the scratch
 * would raise the arena's peak and the output is large beside it).
 */
#include "tml_conv2d_4px.h"

/* acc0, acc1 += the n int8 values at x (n a multiple of 4) . the crossed
 * weight pairs at w (2n bytes), rows 0 and 1. */
static __attribute__((noinline)) void mac_cross(const int8_t *x, const int8_t *w, int32_t n,
                                                uint32_t *acc0, uint32_t *acc1)
{
    uint32_t a0 = *acc0, a1 = *acc1;
    for (const int8_t *end = x + n; x != end; x += 4, w += 8) {
        const uint32_t v = tml_dsp_load32(x), a = tml_dsp_load32(w), b = tml_dsp_load32(w + 4);
        const uint32_t xa = tml_sxtb16(v), xb = tml_sxtb16_ror8(v);
        a0 = tml_smlad(tml_sxtb16(b), xb, tml_smlad(tml_sxtb16(a), xa, a0));
        a1 = tml_smlad(tml_sxtb16_ror8(b), xb, tml_smlad(tml_sxtb16_ror8(a), xa, a1));
    }
    *acc0 = a0;
    *acc1 = a1;
}

/* acc += the n int8 values at x . the plain weight row at w. */
static inline void mac_plain(const int8_t *x, const int8_t *w, int32_t n, uint32_t *acc)
{
    uint32_t a0 = *acc;
    for (const int8_t *end = x + n; x != end; x += 4, w += 4) {
        const uint32_t v = tml_dsp_load32(x), ww = tml_dsp_load32(w);
        a0 = tml_smlad(tml_sxtb16_ror8(ww), tml_sxtb16_ror8(v),
                       tml_smlad(tml_sxtb16(ww), tml_sxtb16(v), a0));
    }
    *acc = a0;
}

/* Output pixel px, straight from the input: per window row its stretch
 * inside the input, and the zero point (ZP_LEN bytes on the stack) for the
 * padding on either side. */
#define ZP_LEN 64
static __attribute__((noinline)) void one_pixel(const tml_conv_params_t *p, const int8_t *input,
                                                const int8_t *weights, const int32_t *mult,
                                                const int32_t *shift, const int32_t *bias,
                                                int8_t *output, int32_t px)
{
    const int32_t in_c = p->in_c, k = p->k_h * p->k_w * in_c, out_c = p->out_c;
    const int32_t per_img = p->out_h * p->out_w;
    const int32_t b = px / per_img, oy = (px % per_img) / p->out_w, ox = px % p->out_w;
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    const int32_t kx_lo = x0 < 0 ? -x0 : 0;
    const int32_t kx_hi = x0 + p->k_w > p->in_w ? p->in_w - x0 : p->k_w;
    const int8_t *in_b = input + b * p->in_h * p->in_w * in_c;
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    int8_t zp[ZP_LEN] __attribute__((aligned(4)));
    for (int i = 0; i < ZP_LEN; i++)
        zp[i] = (int8_t)-p->input_offset;
    int8_t *out = output + px * out_c;
    for (int32_t oc = 0; oc < out_c; oc += 2) {
        const int two = oc + 1 < out_c, wpv = two ? 2 : 1; /* weight bytes per value */
        uint32_t acc0 = (uint32_t)bias[oc], acc1 = two ? (uint32_t)bias[oc + 1] : 0u;
        const int8_t *w = weights + oc * k;
        for (int32_t ky = 0; ky < p->k_h; ky++) {
            const int32_t y = y0 + ky;
            const int row_in = y >= 0 && y < p->in_h && kx_lo < kx_hi;
            /* pieces: [0, a) padding, [a, c) input, [c, k_w * in_c) padding */
            const int32_t a = row_in ? kx_lo * in_c : p->k_w * in_c;
            const int32_t c = row_in ? kx_hi * in_c : a;
            const int8_t *src = in_b + (y * p->in_w + x0) * in_c;
            for (int32_t at = 0; at < p->k_w * in_c;) {
                const int inside = at >= a && at < c;
                int32_t n = inside ? c - at : (at < a ? a : p->k_w * in_c) - at;
                if (!inside && n > ZP_LEN)
                    n = ZP_LEN;
                const int8_t *x = inside ? src + at : zp;
                if (two)
                    mac_cross(x, w, n, &acc0, &acc1);
                else
                    mac_plain(x, w, n, &acc0);
                w += wpv * n;
                at += n;
            }
        }
        const rq_t r0 = rq_prep(mult[oc], shift[oc], out_off);
        out[oc] = rq(acc0, &r0, out_off, lo, hi);
        if (two) {
            const rq_t r1 = rq_prep(mult[oc + 1], shift[oc + 1], out_off);
            out[oc + 1] = rq(acc1, &r1, out_off, lo, hi);
        }
    }
}

void tml_conv2d_4px_out_s8_dsp(const tml_conv_params_t *p, const int8_t *input,
                               const int8_t *weights, const int32_t *mult, const int32_t *shift,
                               const int32_t *bias, int8_t *output)
{
    const int32_t n_px = p->n * p->out_h * p->out_w, out_c = p->out_c;
    const uint32_t out_len = (uint32_t)n_px * (uint32_t)out_c;
    const uint32_t col_len = tml_conv2d_4px_s8_dsp_scratch_size(p);
    int32_t n_fast = 0;
    if (out_len >= col_len) {
        /* the output is 4-byte aligned (the loader checks), so is the tail */
        const uint32_t col_off = (out_len - col_len) & ~3u;
        n_fast = (int32_t)(col_off / (uint32_t)out_c) & ~3;
        conv4px_range(p, input, weights, mult, shift, bias, output,
                      (uint32_t *)(void *)(output + col_off), 0, n_fast);
    }
    for (int32_t px = n_fast; px < n_px; px++)
        one_pixel(p, input, weights, mult, shift, bias, output, px);
}
