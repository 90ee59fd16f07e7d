/*
 * tml_conv2d_direct_s8_dsp.c - int8 2-D convolution without im2col (in_c a
 * multiple of 4, dilation 1, k_h <= 16) for cores with the DSP extension
 * (see tml/kernels/nn.h, tml_dsp.h). No scratch, so it never grows the
 * arena.
 *
 * In NHWC one window row is k_w * in_c contiguous input bytes, which are a
 * contiguous stretch of each pair-interleaved weight row too: a window is
 * k_h such pieces, multiplied straight from the input. A window crossing the
 * border splits its rows into pieces inside the input and pieces of padding,
 * which are read from a small block of input zero points on the stack. Two
 * pixels whose pieces line up (always so inside the image) share one pass
 * of tml_dsp_mac_2x2; others go one at a time.
 */
#include "tml/kernels/nn.h"
#include "tml_dsp.h"

#define MAX_PIECES (3 * 16)
#define ZP_BLOCK 64

typedef struct piece {
    const int8_t *x;  /* input bytes, or NULL for padding */
    int32_t len;      /* bytes, a multiple of 4 */
    int32_t w_off;    /* offset within a weight row */
} piece_t;

/* The pieces of output pixel px's window; returns how many. */
static int pieces(const tml_conv_params_t *p, const int8_t *input, int32_t px, piece_t *pc)
{
    const int32_t in_c = p->in_c, per_img = p->out_h * p->out_w, row_len = p->k_w * in_c;
    const int32_t b = px / per_img, oy = (px % per_img) / p->out_w, ox = px % p->out_w;
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    const int32_t kx_lo = x0 < 0 ? -x0 : 0;
    const int32_t kx_hi = x0 + p->k_w > p->in_w ? p->in_w - x0 : p->k_w;
    const int8_t *in_b = input + b * p->in_h * p->in_w * in_c;
    int n = 0;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t y = y0 + ky, w_row = ky * row_len;
        if (y < 0 || y >= p->in_h || kx_lo >= kx_hi) {
            pc[n++] = (piece_t){0, row_len, w_row};
            continue;
        }
        if (kx_lo > 0)
            pc[n++] = (piece_t){0, kx_lo * in_c, w_row};
        pc[n++] = (piece_t){in_b + (y * p->in_w + x0 + kx_lo) * in_c, (kx_hi - kx_lo) * in_c,
                            w_row + kx_lo * in_c};
        if (kx_hi < p->k_w)
            pc[n++] = (piece_t){0, (p->k_w - kx_hi) * in_c, w_row + kx_hi * in_c};
    }
    return n;
}

static int same_shape(const piece_t *a, const piece_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i].len != b[i].len || a[i].w_off != b[i].w_off || !a[i].x != !b[i].x)
            return 0;
    return 1;
}

/* acc += the window sums of rows 0 and 1 (pieces a, b) with the weight pair
 * at w (two_rows) or the plain row at w. */
static inline __attribute__((always_inline)) void mac(const piece_t *a, const piece_t *b, int n, const int8_t *w, int two_rows,
                const int8_t *zp, uint32_t *acc)
{
    for (int i = 0; i < n; i++) {
        const int8_t *wp = w + (two_rows ? 2 : 1) * a[i].w_off;
        for (int32_t done = 0; done < a[i].len;) {
            int32_t len = a[i].len - done;
            if (!a[i].x && len > ZP_BLOCK)
                len = ZP_BLOCK;
            const int8_t *r0 = a[i].x ? a[i].x + done : zp;
            const int8_t *r1 = b[i].x ? b[i].x + done : zp;
            if (two_rows)
                tml_dsp_mac_2x2(r0, r1, wp, len, acc);
            else
                tml_dsp_mac_2x1(r0, r1, wp, len, acc);
            wp += (two_rows ? 2 : 1) * len;
            done += len;
        }
    }
}

/* Outputs of one or two pixels with pieces a and b (b == a for one). */
static void pixels(const tml_conv_params_t *p, const piece_t *a, const piece_t *b, int n,
                   const int8_t *weights, const int32_t *mult, const int32_t *shift,
                   const int32_t *bias, const int8_t *zp, int8_t *out0, int8_t *out1)
{
    const int32_t out_c = p->out_c, k = p->k_h * p->k_w * p->in_c;
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int8_t *w = weights;
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2, w += 2 * k) {
        uint32_t acc[4];
        acc[0] = acc[2] = (uint32_t)bias[oc];
        acc[1] = acc[3] = (uint32_t)bias[oc + 1];
        mac(a, b, n, w, 1, zp, acc);
        out0[oc] = tml_dsp_rq(acc[0], mult[oc], shift[oc], out_off, lo, hi);
        out0[oc + 1] = tml_dsp_rq(acc[1], mult[oc + 1], shift[oc + 1], out_off, lo, hi);
        if (out1) {
            out1[oc] = tml_dsp_rq(acc[2], mult[oc], shift[oc], out_off, lo, hi);
            out1[oc + 1] = tml_dsp_rq(acc[3], mult[oc + 1], shift[oc + 1], out_off, lo, hi);
        }
    }
    if (oc < out_c) {
        uint32_t acc[2];
        acc[0] = acc[1] = (uint32_t)bias[oc];
        mac(a, b, n, w, 0, zp, acc);
        out0[oc] = tml_dsp_rq(acc[0], mult[oc], shift[oc], out_off, lo, hi);
        if (out1)
            out1[oc] = tml_dsp_rq(acc[1], mult[oc], shift[oc], out_off, lo, hi);
    }
}

void tml_conv2d_direct_s8_dsp(const tml_conv_params_t *p, const int8_t *input,
                              const int8_t *weights, const int32_t *mult,
                              const int32_t *shift, const int32_t *bias, int8_t *output)
{
    const int32_t out_c = p->out_c, n_px = p->n * p->out_h * p->out_w;
    int8_t zp[ZP_BLOCK] __attribute__((aligned(4)));
    for (int i = 0; i < ZP_BLOCK; i++)
        zp[i] = (int8_t)-p->input_offset;
    piece_t a[MAX_PIECES], b[MAX_PIECES];
    for (int32_t px = 0; px < n_px; px += 2) {
        const int n = pieces(p, input, px, a);
        int8_t *out0 = output + px * out_c; /* out is [n, out_h, out_w, out_c] */
        if (px + 1 >= n_px) {
            pixels(p, a, a, n, weights, mult, shift, bias, zp, out0, (int8_t *)0);
            break;
        }
        const int m = pieces(p, input, px + 1, b);
        if (m == n && same_shape(a, b, n)) {
            pixels(p, a, b, n, weights, mult, shift, bias, zp, out0, out0 + out_c);
        } else {
            pixels(p, a, a, n, weights, mult, shift, bias, zp, out0, (int8_t *)0);
            pixels(p, b, b, m, weights, mult, shift, bias, zp, out0 + out_c, (int8_t *)0);
        }
    }
}
