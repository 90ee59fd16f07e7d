/*
 * tml_logistic_f32.c - float32 logistic, as TFLM's reference_ops::Logistic:
 * 1 above 16.619047, exp(x) below -9, else 1 / (1 + exp(-x)).
 */
#include <math.h>

#include "tml/kernels.h"

void tml_logistic_f32(const tml_unary_f32_params_t *p, const float *in, float *out)
{
    const float cutoff_upper = 16.619047164916992188f;
    const float cutoff_lower = -9.0f;
    for (int32_t i = 0; i < p->n; i++) {
        float x = in[i];
        if (x > cutoff_upper)
            out[i] = 1.0f;
        else if (x < cutoff_lower)
            out[i] = expf(x);
        else
            out[i] = 1.0f / (1.0f + expf(-x));
    }
}
