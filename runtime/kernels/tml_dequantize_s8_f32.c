/*
 * tml_dequantize_s8_f32.c - int8 -> float32, as TFLM's
 * reference_ops::Dequantize: scale * (x - zero_point). TFLM multiplies in
 * double and rounds to float once; the exact product of a float and a 9-bit
 * integer fits a double, so one float multiplication rounds identically.
 */
#include "tml/kernels.h"
#include "tml_fixedpoint_ext.h"

void tml_dequantize_s8_f32(const tml_quant_params_t *p, const int8_t *in, float *out)
{
    const float scale = tml_f32_from_word(p->scale_bits);
    for (int32_t i = 0; i < p->n; i++)
        out[i] = scale * (float)((int32_t)in[i] - p->zero_point);
}
