/*
 * tml_conv2d_s8_dsp.c - int8 2-D convolution for cores with the DSP
 * extension, any geometry (see tml/kernels/nn.h, tml_dsp.h).
 *
 * Partial im2col: two output pixels at a time have their windows copied into
 * two scratch rows of k_pad bytes (positions outside the input filled with
 * the input zero point), then tml_dsp_rows_2 multiplies them with two
 * output channels at a time (4 sums, SMLAD on both operands widened with
 * SXTB16). Scratch is therefore 2 * k_pad bytes, whatever the image size.
 */
#include "tml/kernels/nn.h"
#include "tml_dsp.h"

uint32_t tml_conv2d_s8_dsp_scratch_size(const tml_conv_params_t *p)
{
    uint32_t k = (uint32_t)p->k_h * (uint32_t)p->k_w * (uint32_t)p->in_c;
    return 2u * ((k + 3u) & ~3u);
}

static void fill(int8_t *dst, int8_t value, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        dst[i] = value;
}

static void copy(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t i = 0;
    for (; i + 4 <= n; i += 4)
        __builtin_memcpy(dst + i, src + i, 4);
    for (; i < n; i++)
        dst[i] = src[i];
}

/* The window of output pixel px (flat over [n, out_h, out_w]) into row. */
static void im2col(const tml_conv_params_t *p, const int8_t *input, int32_t px, int8_t *row,
                   int8_t zp, int32_t k_pad)
{
    const int32_t in_c = p->in_c, per_img = p->out_h * p->out_w;
    const int32_t b = px / per_img, oy = (px % per_img) / p->out_w, ox = px % p->out_w;
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    const int8_t *in_b = input + b * p->in_h * p->in_w * in_c;
    int8_t *dst = row;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t y = y0 + ky * p->dilation_h;
        if (y < 0 || y >= p->in_h) {
            fill(dst, zp, p->k_w * in_c);
            dst += p->k_w * in_c;
            continue;
        }
        for (int32_t kx = 0; kx < p->k_w; kx++) {
            const int32_t x = x0 + kx * p->dilation_w;
            if (x < 0 || x >= p->in_w)
                fill(dst, zp, in_c);
            else
                copy(dst, in_b + (y * p->in_w + x) * in_c, in_c);
            dst += in_c;
        }
    }
    /* The weights are 0 in the padding to k_pad; any x would do. */
    fill(dst, 0, (int32_t)(row + k_pad - dst));
}

void tml_conv2d_s8_dsp(const tml_conv_params_t *p, const int8_t *input, const int8_t *weights,
                       const int32_t *mult, const int32_t *shift, const int32_t *bias,
                       int8_t *output, int8_t *scratch)
{
    const int32_t k_pad = (int32_t)(tml_conv2d_s8_dsp_scratch_size(p) / 2u);
    const int32_t out_c = p->out_c, n_px = p->n * p->out_h * p->out_w;
    const int8_t zp = (int8_t)-p->input_offset;
    int8_t *row0 = scratch, *row1 = scratch + k_pad;
    for (int32_t px = 0; px < n_px; px += 2) {
        const int two = px + 1 < n_px;
        im2col(p, input, px, row0, zp, k_pad);
        if (two)
            im2col(p, input, px + 1, row1, zp, k_pad);
        /* out is [n, out_h, out_w, out_c] */
        tml_dsp_rows_2(row0, two ? row1 : row0, weights, k_pad, out_c, mult, shift, bias,
                       p->output_offset, p->act_min, p->act_max, output + px * out_c,
                       two ? output + (px + 1) * out_c : (int8_t *)0);
    }
}
