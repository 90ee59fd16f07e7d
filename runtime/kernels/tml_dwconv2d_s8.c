/*
 * tml_dwconv2d_s8.c - int8 depthwise 2-D convolution with per-channel
 * requantization and a depth multiplier.
 *
 * Matches TFLM's reference_integer_ops::DepthwiseConvPerChannel: output
 * channel oc = ic * M + m reads input channel ic and weight column oc of the
 * [1, k_h, k_w, out_c] filter; acc = sum of w * (x + input_offset) over the
 * window positions inside the input, + bias if present, requantized with
 * channel oc's multiplier/shift, + output_offset, clamped. Sums in unsigned
 * arithmetic as in tml_conv2d_s8.c.
 */
#include "tml/kernels/nn.h"
#include "tml_fixedpoint.h"

void tml_dwconv2d_s8(const tml_conv_params_t *p, const int8_t *input, const int8_t *weights,
                     const int32_t *mult, const int32_t *shift, const int32_t *bias,
                     int8_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c;
    const int32_t out_c = p->out_c, m_count = p->depth_multiplier;
    for (int32_t b = 0; b < p->n; b++) {
        const int8_t *in_b = input + b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                /* out is [n, out_h, out_w, in_c * M] */
                int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * out_c;
                for (int32_t ic = 0; ic < in_c; ic++) {
                    for (int32_t m = 0; m < m_count; m++) {
                        const int32_t oc = ic * m_count + m;
                        uint32_t acc = 0;
                        for (int32_t ky = 0; ky < p->k_h; ky++) {
                            const int32_t y = y0 + ky * p->dilation_h;
                            if (y < 0 || y >= in_h)
                                continue;
                            for (int32_t kx = 0; kx < p->k_w; kx++) {
                                const int32_t x = x0 + kx * p->dilation_w;
                                if (x < 0 || x >= in_w)
                                    continue;
                                int32_t xv = in_b[(y * in_w + x) * in_c + ic];
                                int32_t wv = weights[(ky * p->k_w + kx) * out_c + oc];
                                acc += (uint32_t)(wv * (xv + p->input_offset));
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
}
