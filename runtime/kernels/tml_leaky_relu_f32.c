/*
 * tml_leaky_relu_f32.c - float32 leaky ReLU: out = x >= 0 ? x : alpha * x.
 */
#include <string.h>

#include "tml/kernels/extra.h"

void tml_leaky_relu_f32(const tml_leaky_relu_f32_params_t *p, const float *in, float *out)
{
    float alpha;
    memcpy(&alpha, &p->alpha, sizeof(alpha));
    for (int32_t i = 0; i < p->n; i++)
        out[i] = in[i] >= 0.0f ? in[i] : alpha * in[i];
}
