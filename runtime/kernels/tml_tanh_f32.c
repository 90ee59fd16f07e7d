/*
 * tml_tanh_f32.c - float32 tanh (TFLM's reference_ops::Tanh: std::tanh).
 */
#include <math.h>

#include "tml/kernels.h"

void tml_tanh_f32(const tml_unary_f32_params_t *p, const float *in, float *out)
{
    for (int32_t i = 0; i < p->n; i++)
        out[i] = tanhf(in[i]);
}
