/*
 * tml_quantize_f32_s8.c - float32 -> int8 affine quantization, as TFLM's
 * reference_ops::AffineQuantize: round(x / scale) (float division, ties away
 * from zero) + zero_point, clamped to int8. Values far outside the int8
 * range are clamped before the float -> int conversion, which gives the same
 * result without the conversion's overflow; NaN gives zero_point.
 */
#include <math.h>

#include "tml/kernels.h"
#include "tml_fixedpoint_ext.h"

void tml_quantize_f32_s8(const tml_quant_params_t *p, const float *in, int8_t *out)
{
    const float scale = tml_f32_from_word(p->scale_bits);
    for (int32_t i = 0; i < p->n; i++) {
        float r = roundf(in[i] / scale);
        int32_t q;
        if (r > 1024.0f)
            q = 1024;
        else if (r < -1024.0f)
            q = -1024;
        else if (r == r)
            q = (int32_t)r;
        else
            q = 0;
        out[i] = (int8_t)tml_clamp_i32(q + p->zero_point, INT8_MIN, INT8_MAX);
    }
}
