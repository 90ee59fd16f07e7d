/*
 * tml_sub_f32.c - float32 elementwise difference with broadcasting:
 * out = clamp(a - b) over out_dims (see tml_binary_f32_params_t).
 */
#include "tml_binary_walk.h"

#define SUB_OP(x, y) ((x) - (y))

void tml_sub_f32(const tml_binary_f32_params_t *p, const float *a, const float *b, float *out)
{
    TML_BINARY_WALK(p, a, b, out, SUB_OP);
}
