/*
 * tml_avgpool_s8.c - int8 average pooling.
 *
 * Matches TFLM's reference_integer_ops::AveragePool: the int32 sum of the
 * window positions inside the input is divided by their count, rounding
 * half away from zero ((sum + count/2) / count for sum > 0, (sum - count/2)
 * / count otherwise, C division truncating), then clamped. Input and output
 * share quantization, so no rescaling. The loader guarantees every window
 * holds at least one input position.
 */
#include "tml/kernels/nn.h"
#include "tml_fixedpoint.h"

void tml_avgpool_s8(const tml_pool_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, c = p->c;
    for (int32_t b = 0; b < p->n; b++) {
        const int8_t *in_b = input + b * in_h * in_w * c;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t ky0 = y0 < 0 ? -y0 : 0;
            const int32_t ky1 = p->k_h < in_h - y0 ? p->k_h : in_h - y0;
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t kx0 = x0 < 0 ? -x0 : 0;
                const int32_t kx1 = p->k_w < in_w - x0 ? p->k_w : in_w - x0;
                int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * c;
                for (int32_t ch = 0; ch < c; ch++) {
                    int32_t sum = 0, count = 0;
                    for (int32_t ky = ky0; ky < ky1; ky++)
                        for (int32_t kx = kx0; kx < kx1; kx++) {
                            sum += in_b[((y0 + ky) * in_w + (x0 + kx)) * c + ch];
                            count++;
                        }
                    if (count == 0) { /* excluded by the loader; stay defined */
                        out[ch] = (int8_t)tml_clamp_i32(0, p->act_min, p->act_max);
                        continue;
                    }
                    sum = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                    out[ch] = (int8_t)tml_clamp_i32(sum, p->act_min, p->act_max);
                }
            }
        }
    }
}
