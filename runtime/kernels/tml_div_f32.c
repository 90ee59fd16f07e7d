/*
 * tml_div_f32.c - float32 elementwise quotient with broadcasting:
 * out = clamp(a / b) over out_dims (see tml_binary_f32_params_t).
 */
#include "tml_binary_walk.h"

#define DIV_OP(x, y) ((x) / (y))

void tml_div_f32(const tml_binary_f32_params_t *p, const float *a, const float *b, float *out)
{
    TML_BINARY_WALK(p, a, b, out, DIV_OP);
}
