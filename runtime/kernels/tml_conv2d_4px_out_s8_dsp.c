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

/* acc += the int8 group x . the crossed weight pair words a, b (rows 0, 1). */
static inline void mac_cross(uint32_t x, uint32_t a, uint32_t b, uint32_t *acc0, uint32_t *acc1)
{
    const uint32_t xa = tml_sxtb16(x), xb = tml_sxtb16_ror8(x);
    *acc0 = tml_smlad(tml_sxtb16(b), xb, tml_smlad(tml_sxtb16(a), xa, *acc0));
    *acc1 = tml_smlad(tml_sxtb16_ror8(b), xb, tml_smlad(tml_sxtb16_ror8(a), xa, *acc1));
}

/* Output pixel px, straight from the input. */
static void one_pixel(const tml_conv_params_t *p, const int8_t *input, const int8_t *weights,
                      const int32_t *mult, const int32_t *shift, const int32_t *bias,
                      int8_t *output, int32_t px)
{
    const int32_t in_c = p->in_c, k = p->k_h * p->k_w * in_c, out_c = p->out_c;
    const int32_t per_img = p->out_h * p->out_w;
    const int32_t b = px / per_img, oy = (px % per_img) / p->out_w, ox = px % p->out_w;
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    const int8_t *in_b = input + b * p->in_h * p->in_w * in_c;
    const uint32_t zp4 = (uint8_t)(int8_t)-p->input_offset * 0x01010101u;
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    int8_t *out = output + px * out_c;
    int32_t oc = 0;
    for (; oc < out_c; oc += 2) {
        const int two = oc + 1 < out_c;
        const int8_t *w = weights + oc * k;
        uint32_t acc0 = (uint32_t)bias[oc], acc1 = two ? (uint32_t)bias[oc + 1] : 0u;
        for (int32_t ky = 0; ky < p->k_h; ky++) {
            const int32_t y = y0 + ky;
            for (int32_t kx = 0; kx < p->k_w; kx++) {
                const int32_t x = x0 + kx;
                const int in = y >= 0 && y < p->in_h && x >= 0 && x < p->in_w;
                const int8_t *src = in_b + (y * p->in_w + x) * in_c;
                for (int32_t i = 0; i < in_c; i += 4) {
                    const uint32_t v = in ? tml_dsp_load32(src + i) : zp4;
                    if (two) {
                        mac_cross(v, tml_dsp_load32(w), tml_dsp_load32(w + 4), &acc0, &acc1);
                        w += 8;
                    } else { /* the odd last row, plain */
                        const uint32_t ww = tml_dsp_load32(w);
                        acc0 = tml_smlad(tml_sxtb16_ror8(ww), tml_sxtb16_ror8(v),
                                         tml_smlad(tml_sxtb16(ww), tml_sxtb16(v), acc0));
                        w += 4;
                    }
                }
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
                               const int8_t *weights, const int32_t *mult,
                               const int32_t *shift, const int32_t *bias, int8_t *output)
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
