/*
 * tml_clamp_f32.c - float32 RELU / RELU6 / RELU_N1_TO_1 / Clip: clamp to
 * [min, max] (TFLM's Relu6Float: x > hi ? hi : x < lo ? lo : x).
 */
#include "tml/kernels.h"
#include "tml_fixedpoint_ext.h"

void tml_clamp_f32(const tml_clamp_f32_params_t *p, const float *in, float *out)
{
    const float lo = tml_f32_from_word(p->min_bits);
    const float hi = tml_f32_from_word(p->max_bits);
    for (int32_t i = 0; i < p->n; i++) {
        float x = in[i];
        out[i] = x > hi ? hi : (x < lo ? lo : x);
    }
}
