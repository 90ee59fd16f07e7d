/*
 * tml_maxpool_f32.c - float32 max pooling.
 *
 * Follows TFLite's reference float MaxPool: the largest of the window
 * positions inside the input, starting from the lowest float, then clamped.
 */
#include "tml/kernels/nn.h"
#include "tml_nn_f32.h"

#define LOWEST_F32 (-3.40282346638528859812e+38F)

void tml_maxpool_f32(const tml_pool_params_t *p, const float *input, float *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, c = p->c;
    const float lo = tml_nn_f32_word(p->act_min), hi = tml_nn_f32_word(p->act_max);
    for (int32_t b = 0; b < p->n; b++) {
        const float *in_b = input + b * in_h * in_w * c;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t ky0 = y0 < 0 ? -y0 : 0;
            const int32_t ky1 = p->k_h < in_h - y0 ? p->k_h : in_h - y0;
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t kx0 = x0 < 0 ? -x0 : 0;
                const int32_t kx1 = p->k_w < in_w - x0 ? p->k_w : in_w - x0;
                float *out = output + ((b * p->out_h + oy) * p->out_w + ox) * c;
                for (int32_t ch = 0; ch < c; ch++) {
                    float best = LOWEST_F32;
                    for (int32_t ky = ky0; ky < ky1; ky++)
                        for (int32_t kx = kx0; kx < kx1; kx++) {
                            /* std::max(best, v): keeps best unless best < v */
                            float v = in_b[((y0 + ky) * in_w + (x0 + kx)) * c + ch];
                            if (best < v)
                                best = v;
                        }
                    out[ch] = tml_clamp_f32(best, lo, hi);
                }
            }
        }
    }
}
