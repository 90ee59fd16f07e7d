/*
 * tml_dwconv2d_s8_inplace.c - int8 depthwise 2-D convolution whose output
 * may overlap its input (tml/kernels/inplace.h).
 *
 * The arithmetic is tml_dwconv2d_s8's, term for term (TFLM's
 * DepthwiseConvPerChannel: output channel oc reads input channel oc / M);
 * outputs are produced one by one in linear order, ascending or
 * descending, each written once after its own reads.
 */
#include "tml/kernels/inplace.h"
#include "tml_fixedpoint.h"

void tml_dwconv2d_s8_inplace(const tml_conv_inplace_params_t *ip, const int8_t *input,
                             const int8_t *weights, const int32_t *mult, const int32_t *shift,
                             const int32_t *bias, int8_t *output)
{
    const tml_conv_params_t *p = &ip->conv;
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c;
    const int32_t out_c = p->out_c, m_count = p->depth_multiplier;
    const int32_t n_px = p->n * p->out_h * p->out_w;
    for (int32_t i = 0; i < n_px; i++) {
        /* out is [n, out_h, out_w, in_c * M]; q is the pixel's linear index */
        const int32_t q = ip->reverse ? n_px - 1 - i : i;
        const int32_t ox = q % p->out_w, oy = q / p->out_w % p->out_h;
        const int32_t b = q / p->out_w / p->out_h;
        const int8_t *in_b = input + b * in_h * in_w * in_c;
        const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
        for (int32_t j = 0; j < out_c; j++) {
            const int32_t oc = ip->reverse ? out_c - 1 - j : j, ic = oc / m_count;
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
            output[q * out_c + oc] = (int8_t)tml_clamp_i32(v, p->act_min, p->act_max);
        }
    }
}
