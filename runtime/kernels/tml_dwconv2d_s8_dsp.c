/*
 * tml_dwconv2d_s8_dsp.c - int8 depthwise convolution (depth multiplier 1,
 * any channel count) for cores with the DSP extension (see
 * tml/kernels/nn.h, tml_dsp.h).
 *
 * Channels are innermost (NHWC), so one word load takes 4 channels of a
 * window position; SXTB16 splits it into channels (c, c+2) and (c+1, c+3),
 * and the weights, widened and ordered the same way offline, are one LDRD
 * per position; SMLABB / SMLATT then accumulate the 4 channels separately.
 * Window positions outside the input count as the input zero point (the
 * bias is folded, see tml_dsp.h): a whole padding row or column is one
 * constant, so the loops only test which rows and columns are inside. The
 * last in_c % 4 channels go one at a time (a word load there could leave
 * the input). No scratch.
 */
#include "tml/kernels/nn.h"
#include "tml_dsp.h"

typedef struct dw_acc {
    uint32_t a0, a1, a2, a3; /* channels c, c+1, c+2, c+3 */
} dw_acc_t;

static inline void dw_tap(uint32_t x, const int16_t *w, dw_acc_t *acc)
{
    uint32_t w0, w1, xa = tml_sxtb16(x), xb = tml_sxtb16_ror8(x);
    tml_dsp_load64(w, &w0, &w1);
    acc->a0 = tml_smlabb(xa, w0, acc->a0);
    acc->a2 = tml_smlatt(xa, w0, acc->a2);
    acc->a1 = tml_smlabb(xb, w1, acc->a1);
    acc->a3 = tml_smlatt(xb, w1, acc->a3);
}

/* Window geometry of one output pixel: rows ky in [ky_lo, ky_hi) and
 * columns kx in [kx_lo, kx_hi) are inside the input. */
typedef struct dw_win {
    const int8_t *px; /* input at window position (0, 0) (may be outside) */
    int32_t ky_lo, ky_hi, kx_lo, kx_hi;
} dw_win_t;

static int32_t first_in(int32_t start, int32_t dil, int32_t k)
{
    int32_t i = 0;
    while (i < k && start + i * dil < 0)
        i++;
    return i;
}

static int32_t end_in(int32_t start, int32_t dil, int32_t k, int32_t len)
{
    int32_t i = k;
    while (i > 0 && start + (i - 1) * dil >= len)
        i--;
    return i;
}

/* 4 channels at offset c of the window: all of it inside, 3x3. */
static inline void dw_3x3(const int8_t *q, int32_t row_step, int32_t col_step,
                          const int16_t *w, dw_acc_t *acc)
{
    dw_tap(tml_dsp_load32(q), w, acc);
    dw_tap(tml_dsp_load32(q + col_step), w + 4, acc);
    dw_tap(tml_dsp_load32(q + 2 * col_step), w + 8, acc);
    q += row_step;
    dw_tap(tml_dsp_load32(q), w + 12, acc);
    dw_tap(tml_dsp_load32(q + col_step), w + 16, acc);
    dw_tap(tml_dsp_load32(q + 2 * col_step), w + 20, acc);
    q += row_step;
    dw_tap(tml_dsp_load32(q), w + 24, acc);
    dw_tap(tml_dsp_load32(q + col_step), w + 28, acc);
    dw_tap(tml_dsp_load32(q + 2 * col_step), w + 32, acc);
}

/* 4 channels at offset c, any window. */
static void dw_any(const dw_win_t *win, int32_t c, int32_t k_h, int32_t k_w, int32_t row_step,
                   int32_t col_step, uint32_t zp4, const int16_t *w, dw_acc_t *acc)
{
    for (int32_t ky = 0; ky < k_h; ky++) {
        const int row_in = ky >= win->ky_lo && ky < win->ky_hi;
        const int8_t *q = win->px + ky * row_step + c;
        for (int32_t kx = 0; kx < k_w; kx++, w += 4) {
            const int in = row_in && kx >= win->kx_lo && kx < win->kx_hi;
            dw_tap(in ? tml_dsp_load32(q + kx * col_step) : zp4, w, acc);
        }
    }
}

/* One channel c (slot j of its group's weights), any window. */
static uint32_t dw_one(const dw_win_t *win, int32_t c, int32_t k_h, int32_t k_w,
                       int32_t row_step, int32_t col_step, int32_t zp, const int16_t *w,
                       uint32_t acc)
{
    for (int32_t ky = 0; ky < k_h; ky++) {
        const int row_in = ky >= win->ky_lo && ky < win->ky_hi;
        const int8_t *q = win->px + ky * row_step + c;
        for (int32_t kx = 0; kx < k_w; kx++, w += 4) {
            const int in = row_in && kx >= win->kx_lo && kx < win->kx_hi;
            acc += (uint32_t)(*w * (in ? q[kx * col_step] : zp));
        }
    }
    return acc;
}

void tml_dwconv2d_s8_dsp(const tml_conv_params_t *p, const int8_t *input,
                         const int16_t *weights, const int32_t *mult, const int32_t *shift,
                         const int32_t *bias, int8_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, c_n = p->in_c, c_full = c_n & ~3;
    const int32_t k_h = p->k_h, k_w = p->k_w, taps = k_h * k_w;
    const int32_t row_step = p->dilation_h * in_w * c_n, col_step = p->dilation_w * c_n;
    const int32_t zp = -p->input_offset;
    const uint32_t zp4 = ((uint32_t)zp & 0xFFu) * 0x01010101u;
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int k3 = k_h == 3 && k_w == 3;
    int8_t *out = output;
    for (int32_t b = 0; b < p->n; b++) {
        const int8_t *in_b = input + b * in_h * in_w * c_n;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            dw_win_t win;
            win.ky_lo = first_in(y0, p->dilation_h, k_h);
            win.ky_hi = end_in(y0, p->dilation_h, k_h, in_h);
            for (int32_t ox = 0; ox < p->out_w; ox++, out += c_n) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                win.kx_lo = first_in(x0, p->dilation_w, k_w);
                win.kx_hi = end_in(x0, p->dilation_w, k_w, in_w);
                /* only dereferenced inside the input */
                win.px = in_b + ((intptr_t)y0 * in_w + x0) * c_n;
                const int inside = win.ky_lo == 0 && win.ky_hi == k_h && win.kx_lo == 0 &&
                                   win.kx_hi == k_w;
                const int16_t *w = weights;
                /* out is [n, out_h, out_w, c_n] */
                int32_t c = 0;
                for (; c < c_full; c += 4, w += taps * 4) {
                    dw_acc_t acc = {(uint32_t)bias[c], (uint32_t)bias[c + 1],
                                    (uint32_t)bias[c + 2], (uint32_t)bias[c + 3]};
                    if (inside && k3)
                        dw_3x3(win.px + c, row_step, col_step, w, &acc);
                    else
                        dw_any(&win, c, k_h, k_w, row_step, col_step, zp4, w, &acc);
                    out[c] = (int8_t)tml_dsp_rq(acc.a0, mult[c], shift[c], out_off, lo, hi);
                    out[c + 1] =
                        (int8_t)tml_dsp_rq(acc.a1, mult[c + 1], shift[c + 1], out_off, lo, hi);
                    out[c + 2] =
                        (int8_t)tml_dsp_rq(acc.a2, mult[c + 2], shift[c + 2], out_off, lo, hi);
                    out[c + 3] =
                        (int8_t)tml_dsp_rq(acc.a3, mult[c + 3], shift[c + 3], out_off, lo, hi);
                }
                /* the group's weight slots are (c, c+2, c+1, c+3) */
                static const int8_t slot[3] = {0, 2, 1};
                for (int32_t j = 0; c < c_n; c++, j++) {
                    uint32_t acc = dw_one(&win, c, k_h, k_w, row_step, col_step, zp,
                                          w + slot[j], (uint32_t)bias[c]);
                    out[c] = (int8_t)tml_dsp_rq(acc, mult[c], shift[c], out_off, lo, hi);
                }
            }
        }
    }
}
