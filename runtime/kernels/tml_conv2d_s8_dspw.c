/*
 * tml_conv2d_s8_dspw.c - int8 2-D convolution for cores with the DSP
 * extension, any geometry, activations widened once per pixel (see
 * tml/kernels/nn.h, tml_dsp_gemm.h).
 *
 * Partial im2col: the window of each output pixel is gathered into an int8
 * row (positions outside the input hold the input zero point), widened
 * into its slot of a widened pair, and each pair is multiplied with all
 * output channels by tml_dsp_gemm_w2. Scratch is the pair and the row,
 * 5 * k_pad bytes, whatever the image size.
 */
#include "tml_dsp_gemm.h"

static int32_t k_pad_of(const tml_conv_params_t *p)
{
    return (p->k_h * p->k_w * p->in_c + 3) & ~3;
}

uint32_t tml_conv2d_s8_dspw_scratch_size(const tml_conv_params_t *p)
{
    uint32_t k = (uint32_t)p->k_h * (uint32_t)p->k_w * (uint32_t)p->in_c;
    return 5u * ((k + 3u) & ~3u);
}

/* n bytes of value at dst: words, then the tail. */
static inline void fill(int8_t *dst, int8_t value, int32_t n)
{
    const uint32_t v4 = 0x01010101u * (uint8_t)value;
    for (; n >= 4; n -= 4, dst += 4)
        __builtin_memcpy(dst, &v4, 4);
    for (; n > 0; n--)
        *dst++ = value;
}

static inline void copy(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n >= 4; n -= 4, dst += 4, src += 4)
        __builtin_memcpy(dst, src, 4);
    for (; n > 0; n--)
        *dst++ = *src++;
}

/* Where an output pixel's window lies: image b, output row oy, column ox. */
typedef struct pos {
    int32_t b, oy, ox;
} pos_t;

static void advance(const tml_conv_params_t *p, pos_t *at)
{
    if (++at->ox == p->out_w) {
        at->ox = 0;
        if (++at->oy == p->out_h) {
            at->oy = 0;
            at->b++;
        }
    }
}

/* The window of the output pixel at `at` into row (k_pad bytes): positions
 * outside the input hold the input zero point zp, the padding to k_pad 0.
 * The window rows above and below the input are one run of zp; with
 * dilation_w 1 each other window row is one span of the input, copied at
 * once between the zero-point columns left and right of the input. */
static void im2col_edge(const tml_conv_params_t *p, const int8_t *input, const pos_t *at,
                        int8_t *row, int8_t zp, int32_t k_pad)
{
    const int32_t in_c = p->in_c, in_h = p->in_h, in_w = p->in_w, k_h = p->k_h, k_w = p->k_w;
    const int32_t dil_h = p->dilation_h, dil_w = p->dilation_w, span = k_w * in_c;
    const int32_t y0 = at->oy * p->stride_h - p->pad_top, x0 = at->ox * p->stride_w - p->pad_left;
    const int8_t *in_b = input + at->b * in_h * in_w * in_c;
    /* ky in [ky_lo, ky_hi) lands inside the input: y0 + ky * dil_h in [0, in_h) */
    const int32_t ky_lo = y0 >= 0 ? 0 : tml_clamp_i32((-y0 + dil_h - 1) / dil_h, 0, k_h);
    const int32_t ky_hi = y0 >= in_h ? ky_lo
                                     : tml_clamp_i32((in_h - y0 + dil_h - 1) / dil_h, ky_lo, k_h);
    fill(row, zp, ky_lo * span);
    int8_t *dst = row + ky_lo * span;
    if (ky_hi > ky_lo) {
        const int8_t *src = in_b + (y0 + ky_lo * dil_h) * in_w * in_c;
        const int32_t src_step = dil_h * in_w * in_c;
        if (dil_w == 1) {
            /* kx in [kx_lo, kx_hi) lands inside the input */
            const int32_t kx_hi = tml_clamp_i32(in_w - x0, 0, k_w);
            const int32_t kx_lo = tml_clamp_i32(-x0, 0, kx_hi);
            const int32_t n_lo = kx_lo * in_c, n_in = (kx_hi - kx_lo) * in_c;
            const int32_t n_hi = span - n_lo - n_in;
            if (n_in == span) {
                src += x0 * in_c;
                for (int32_t ky = ky_lo; ky < ky_hi; ky++, src += src_step, dst += span)
                    copy(dst, src, span);
            } else {
                for (int32_t ky = ky_lo; ky < ky_hi; ky++, src += src_step, dst += span) {
                    fill(dst, zp, n_lo);
                    if (n_in)
                        copy(dst + n_lo, src + (x0 + kx_lo) * in_c, n_in);
                    fill(dst + n_lo + n_in, zp, n_hi);
                }
            }
        } else {
            for (int32_t ky = ky_lo; ky < ky_hi; ky++, src += src_step, dst += span)
                for (int32_t kx = 0, x = x0; kx < k_w; kx++, x += dil_w) {
                    if (x < 0 || x >= in_w)
                        fill(dst + kx * in_c, zp, in_c);
                    else
                        copy(dst + kx * in_c, src + x * in_c, in_c);
                }
        }
    }
    fill(dst, zp, (k_h - ky_hi) * span);
    dst += (k_h - ky_hi) * span;
    /* The weights are 0 in the padding to k_pad; any x would do. */
    fill(dst, 0, (int32_t)(row + k_pad - dst));
}

/* The same for any pixel: a window inside the input with dilation_w 1
 * (most pixels of a first layer) is k_h spans copied without bounds. */
static inline void im2col(const tml_conv_params_t *p, const int8_t *input, const pos_t *at,
                          int8_t *row, int8_t zp, int32_t k_pad)
{
    const int32_t in_c = p->in_c, in_w = p->in_w, k_h = p->k_h, span = p->k_w * in_c;
    const int32_t y0 = at->oy * p->stride_h - p->pad_top, x0 = at->ox * p->stride_w - p->pad_left;
    if (p->dilation_w != 1 || y0 < 0 || x0 < 0 || y0 + (k_h - 1) * p->dilation_h >= p->in_h ||
        x0 + p->k_w > in_w) {
        im2col_edge(p, input, at, row, zp, k_pad);
        return;
    }
    const int32_t src_step = p->dilation_h * in_w * in_c;
    const int8_t *src = input + ((at->b * p->in_h + y0) * in_w + x0) * in_c;
    int8_t *dst = row;
    for (int32_t ky = 0; ky < k_h; ky++, src += src_step, dst += span)
        copy(dst, src, span);
    fill(dst, 0, (int32_t)(row + k_pad - dst));
}

void tml_conv2d_s8_dspw(const tml_conv_params_t *p, const int8_t *input, const int8_t *weights,
                        const int32_t *rq, int8_t *output, int8_t *scratch)
{
    const int32_t k_pad = k_pad_of(p), out_c = p->out_c, n_px = p->n * p->out_h * p->out_w;
    const int8_t zp = (int8_t)-p->input_offset;
    /* scratch: the widened pair (4 * k_pad bytes, 4-byte aligned), then the row */
    uint32_t *s = (uint32_t *)(void *)scratch;
    int8_t *row = scratch + 4 * k_pad;
    pos_t at = {0, 0, 0};
    for (int32_t px = 0; px < n_px; px += 2) {
        const int two = px + 1 < n_px;
        im2col(p, input, &at, row, zp, k_pad);
        tml_dsp_widen_row(row, k_pad, s);
        advance(p, &at);
        if (two) {
            im2col(p, input, &at, row, zp, k_pad);
            advance(p, &at);
        }
        tml_dsp_widen_row(row, k_pad, s + 2);
        /* out is [n, out_h, out_w, out_c] */
        int8_t *out0 = output + px * out_c;
        tml_dsp_gemm_w2(s, weights, k_pad, out_c, rq, p->output_offset, out0,
                        two ? out0 + out_c : out0);
    }
    tml_dsp_clamp_s8(output, n_px * out_c, p->act_min, p->act_max);
}
