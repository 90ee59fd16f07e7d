/*
 * tml_hard_swish_f32.c - float32 hard-swish, as TFLM's
 * reference_ops::HardSwish: x * min(6, max(0, x + 3)) / 6.
 */
#include "tml/kernels.h"

void tml_hard_swish_f32(const tml_unary_f32_params_t *p, const float *in, float *out)
{
    for (int32_t i = 0; i < p->n; i++) {
        float x = in[i];
        float r = x + 3.0f;
        r = 0.0f < r ? r : 0.0f;   /* std::max(0, r) */
        r = r < 6.0f ? r : 6.0f;   /* std::min(6, r) */
        out[i] = x * r / 6.0f;
    }
}
