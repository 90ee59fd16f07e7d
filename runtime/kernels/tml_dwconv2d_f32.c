/*
 * tml_dwconv2d_f32.c - float32 depthwise 2-D convolution with a depth
 * multiplier.
 *
 * Follows TFLite's reference float DepthwiseConv: output channel
 * oc = ic * M + m; products summed in window order (ky, kx), positions
 * outside the input skipped, bias (0 if absent) added last, then clamped.
 */
#include "tml/kernels/nn.h"
#include "tml_nn_f32.h"

void tml_dwconv2d_f32(const tml_conv_params_t *p, const float *input, const float *weights,
                      const float *bias, float *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c;
    const int32_t out_c = p->out_c, m_count = p->depth_multiplier;
    const float lo = tml_nn_f32_word(p->act_min), hi = tml_nn_f32_word(p->act_max);
    for (int32_t b = 0; b < p->n; b++) {
        const float *in_b = input + b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                float *out = output + ((b * p->out_h + oy) * p->out_w + ox) * out_c;
                for (int32_t ic = 0; ic < in_c; ic++) {
                    for (int32_t m = 0; m < m_count; m++) {
                        const int32_t oc = ic * m_count + m;
                        float acc = 0.0f;
                        for (int32_t ky = 0; ky < p->k_h; ky++) {
                            const int32_t y = y0 + ky * p->dilation_h;
                            if (y < 0 || y >= in_h)
                                continue;
                            for (int32_t kx = 0; kx < p->k_w; kx++) {
                                const int32_t x = x0 + kx * p->dilation_w;
                                if (x < 0 || x >= in_w)
                                    continue;
                                acc += in_b[(y * in_w + x) * in_c + ic] *
                                       weights[(ky * p->k_w + kx) * out_c + oc];
                            }
                        }
                        out[oc] = tml_clamp_f32(acc + (bias ? bias[oc] : 0.0f), lo, hi);
                    }
                }
            }
        }
    }
}
