/*
 * tml_conv2d_1x1_s8_dsp.c - int8 pointwise (1x1, unpadded, any stride)
 * convolution for cores with the DSP extension (see tml/kernels/nn.h,
 * tml_dsp.h).
 *
 * A 1x1 convolution is a matrix multiply of the pixels [n_px, in_c] by the
 * weights [out_c, in_c]: each input pixel already is an im2col row, so no
 * scratch is needed; tml_dsp_rows_2 takes two pixels and two output
 * channels at a time.
 */
#include "tml/kernels/nn.h"
#include "tml_dsp.h"

/* Input pixel of flat output pixel px (over [n, out_h, out_w]). */
static const int8_t *pixel(const tml_conv_params_t *p, const int8_t *input, int32_t px)
{
    const int32_t per_img = p->out_h * p->out_w;
    const int32_t b = px / per_img, oy = (px % per_img) / p->out_w, ox = px % p->out_w;
    return input + ((b * p->in_h + oy * p->stride_h) * p->in_w + ox * p->stride_w) * p->in_c;
}

void tml_conv2d_1x1_s8_dsp(const tml_conv_params_t *p, const int8_t *input,
                           const int8_t *weights, const int32_t *mult, const int32_t *shift,
                           const int32_t *bias, int8_t *output)
{
    const int32_t in_c = p->in_c, out_c = p->out_c, n_px = p->n * p->out_h * p->out_w;
    const int dense = p->stride_h == 1 && p->stride_w == 1;
    for (int32_t px = 0; px < n_px; px += 2) {
        const int two = px + 1 < n_px;
        const int8_t *r0 = dense ? input + px * in_c : pixel(p, input, px);
        const int8_t *r1 = !two ? r0 : dense ? r0 + in_c : pixel(p, input, px + 1);
        /* out is [n, out_h, out_w, out_c] */
        tml_dsp_rows_2(r0, r1, weights, in_c, out_c, mult, shift, bias, p->output_offset,
                       p->act_min, p->act_max, output + px * out_c,
                       two ? output + (px + 1) * out_c : (int8_t *)0);
    }
}
