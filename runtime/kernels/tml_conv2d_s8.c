/*
 * tml_conv2d_s8.c - int8 2-D convolution with per-channel requantization.
 *
 * Matches TFLM's reference_integer_ops::ConvPerChannel: for every output
 * point, acc = sum over the window of w * (x + input_offset), taking only
 * window positions inside the input (padding contributes nothing, which is
 * the same as padding with the input zero point); then + bias if present,
 * requantize with the channel's multiplier/shift (MultiplyByQuantizedMultiplier,
 * double rounding), + output_offset, clamp. The weight zero point is 0 by
 * the int8 spec, so there is no weight offset.
 * Sums are formed in unsigned arithmetic: identical to TFLM's int32 sums
 * whenever those do not overflow, and defined behaviour when a hostile
 * package makes them overflow.
 */
#include "tml/kernels/nn.h"
#include "tml_fixedpoint.h"

void tml_conv2d_s8(const tml_conv_params_t *p, const int8_t *input, const int8_t *weights,
                   const int32_t *mult, const int32_t *shift, const int32_t *bias,
                   int8_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c;
    const int32_t out_c = p->out_c;
    for (int32_t b = 0; b < p->n; b++) {
        const int8_t *in_b = input + b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                /* out is [n, out_h, out_w, out_c] */
                int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * out_c;
                for (int32_t oc = 0; oc < out_c; oc++) {
                    const int8_t *w_oc = weights + oc * p->k_h * p->k_w * in_c;
                    uint32_t acc = 0;
                    for (int32_t ky = 0; ky < p->k_h; ky++) {
                        const int32_t y = y0 + ky * p->dilation_h;
                        if (y < 0 || y >= in_h)
                            continue;
                        for (int32_t kx = 0; kx < p->k_w; kx++) {
                            const int32_t x = x0 + kx * p->dilation_w;
                            if (x < 0 || x >= in_w)
                                continue;
                            const int8_t *px = in_b + (y * in_w + x) * in_c;
                            const int8_t *pw = w_oc + (ky * p->k_w + kx) * in_c;
                            for (int32_t ic = 0; ic < in_c; ic++)
                                acc += (uint32_t)((int32_t)pw[ic] *
                                                  ((int32_t)px[ic] + p->input_offset));
                        }
                    }
                    if (bias)
                        acc += (uint32_t)bias[oc];
                    int32_t v = tml_mul_by_quantized_mul((int32_t)acc, mult[oc], shift[oc]);
                    v = (int32_t)((uint32_t)v + (uint32_t)p->output_offset);
                    out[oc] = (int8_t)tml_clamp_i32(v, p->act_min, p->act_max);
                }
            }
        }
    }
}
