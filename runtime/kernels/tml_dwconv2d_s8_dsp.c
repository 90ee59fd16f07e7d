/*
 * tml_dwconv2d_s8_dsp.c - int8 depthwise convolution (depth multiplier 1,
 * channels a multiple of 4) for cores with the DSP extension (see
 * tml/kernels/nn.h, tml_dsp.h).
 *
 * Channels are innermost (NHWC), so one word load takes 4 channels of a
 * window position; SXTB16 splits it into channels (c, c+2) and (c+1, c+3),
 * and the weights, widened and ordered the same way offline, are one LDRD
 * per position; SMLABB / SMLATT then accumulate the 4 channels separately.
 * Window positions outside the input count as the input zero point (the
 * bias is folded, see tml_dsp.h). No scratch.
 */
#include "tml/kernels/nn.h"
#include "tml_dsp.h"

typedef struct dw_acc {
    uint32_t a0, a1, a2, a3; /* channels c, c+1, c+2, c+3 */
} dw_acc_t;

static inline void dw_tap(uint32_t xa, uint32_t xb, const int16_t *w, dw_acc_t *acc)
{
    uint32_t w0, w1;
    tml_dsp_load64(w, &w0, &w1);
    acc->a0 = tml_smlabb(xa, w0, acc->a0);
    acc->a2 = tml_smlatt(xa, w0, acc->a2);
    acc->a1 = tml_smlabb(xb, w1, acc->a1);
    acc->a3 = tml_smlatt(xb, w1, acc->a3);
}

/* All of the window inside the input: k_w is a constant 3 where inlined
 * for the 3x3 case, so the column loop unrolls. */
static inline void dw_interior(const int8_t *px, int32_t row_step, int32_t col_step,
                               int32_t k_h, int32_t k_w, const int16_t *w, dw_acc_t *acc)
{
    for (int32_t ky = 0; ky < k_h; ky++) {
        const int8_t *q = px + ky * row_step;
        for (int32_t kx = 0; kx < k_w; kx++) {
            uint32_t x = tml_dsp_load32(q + kx * col_step);
            dw_tap(tml_sxtb16(x), tml_sxtb16_ror8(x), w, acc);
            w += 4;
        }
    }
}

void tml_dwconv2d_s8_dsp(const tml_conv_params_t *p, const int8_t *input,
                         const int16_t *weights, const int32_t *mult, const int32_t *shift,
                         const int32_t *bias, int8_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, c_n = p->in_c;
    const int32_t k_h = p->k_h, k_w = p->k_w, taps = k_h * k_w;
    const int32_t row_step = p->dilation_h * in_w * c_n, col_step = p->dilation_w * c_n;
    const int32_t zp = -p->input_offset;
    const uint32_t zp_pair = ((uint32_t)zp & 0xFFFFu) | (uint32_t)zp << 16;
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    int8_t *out = output;
    for (int32_t b = 0; b < p->n; b++) {
        const int8_t *in_b = input + b * in_h * in_w * c_n;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int y_in = y0 >= 0 && y0 + (k_h - 1) * p->dilation_h < in_h;
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int inside = y_in && x0 >= 0 && x0 + (k_w - 1) * p->dilation_w < in_w;
                const int8_t *px = inside ? in_b + (y0 * in_w + x0) * c_n : in_b;
                const int16_t *w = weights;
                /* out is [n, out_h, out_w, c_n] */
                for (int32_t c = 0; c < c_n; c += 4, w += taps * 4) {
                    dw_acc_t acc = {(uint32_t)bias[c], (uint32_t)bias[c + 1],
                                    (uint32_t)bias[c + 2], (uint32_t)bias[c + 3]};
                    if (inside && k_h == 3 && k_w == 3) {
                        dw_interior(px + c, row_step, col_step, 3, 3, w, &acc);
                    } else if (inside) {
                        dw_interior(px + c, row_step, col_step, k_h, k_w, w, &acc);
                    } else {
                        const int16_t *wt = w;
                        for (int32_t ky = 0; ky < k_h; ky++) {
                            const int32_t y = y0 + ky * p->dilation_h;
                            for (int32_t kx = 0; kx < k_w; kx++, wt += 4) {
                                const int32_t x = x0 + kx * p->dilation_w;
                                uint32_t xa = zp_pair, xb = zp_pair;
                                if (y >= 0 && y < in_h && x >= 0 && x < in_w) {
                                    uint32_t v = tml_dsp_load32(in_b + (y * in_w + x) * c_n + c);
                                    xa = tml_sxtb16(v);
                                    xb = tml_sxtb16_ror8(v);
                                }
                                dw_tap(xa, xb, wt, &acc);
                            }
                        }
                    }
                    out[c] = tml_dsp_rq(acc.a0, mult[c], shift[c], out_off, lo, hi);
                    out[c + 1] =
                        tml_dsp_rq(acc.a1, mult[c + 1], shift[c + 1], out_off, lo, hi);
                    out[c + 2] =
                        tml_dsp_rq(acc.a2, mult[c + 2], shift[c + 2], out_off, lo, hi);
                    out[c + 3] =
                        tml_dsp_rq(acc.a3, mult[c + 3], shift[c + 3], out_off, lo, hi);
                }
                out += c_n;
            }
        }
    }
}
