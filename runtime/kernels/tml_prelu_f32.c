/*
 * tml_prelu_f32.c - float32 parametric ReLU: out = x >= 0 ? x : x * slope,
 * the slope broadcast to x (per channel in practice) by its strides.
 */
#include "tml_binary_walk.h"

#define PRELU_OP(x, s) ((x) >= 0.0f ? (x) : (x) * (s))

void tml_prelu_f32(const tml_binary_f32_params_t *p, const float *x, const float *slope,
                   float *out)
{
    TML_BINARY_WALK(p, x, slope, out, PRELU_OP);
}
