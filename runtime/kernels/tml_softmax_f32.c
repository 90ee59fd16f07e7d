/*
 * tml_softmax_f32.c - float32 softmax over the last axis, as TFLM's
 * reference_ops::Softmax: exp((x - max) * beta) per element, then each
 * divided by the row sum (accumulated in order).
 */
#include <math.h>

#include "tml/kernels.h"
#include "tml_fixedpoint_ext.h"

void tml_softmax_f32(const tml_softmax_f32_params_t *p, const float *in, float *out)
{
    const float beta = tml_f32_from_word(p->beta_bits);
    for (int32_t row = 0; row < p->outer; row++) {
        const float *x = in + row * p->depth;
        float *y = out + row * p->depth;
        float max = -3.40282347e+38f; /* lowest float */
        for (int32_t c = 0; c < p->depth; c++)
            max = max < x[c] ? x[c] : max;
        float sum = 0.0f;
        for (int32_t c = 0; c < p->depth; c++) {
            float e = expf((x[c] - max) * beta);
            y[c] = e;
            sum += e;
        }
        for (int32_t c = 0; c < p->depth; c++)
            y[c] = y[c] / sum;
    }
}
