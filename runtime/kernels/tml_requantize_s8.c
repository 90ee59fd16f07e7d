/*
 * tml_requantize_s8.c - int8 -> int8 with new quantization (QUANTIZE with an
 * int8 input), as TFLM's reference_ops::Requantize: (x - in_zp) rescaled by
 * in_scale / out_scale, plus out_zp, clamped. Element i is read before it is
 * written, so in and out may be the same buffer.
 */
#include "tml/kernels.h"
#include "tml_fixedpoint.h"

void tml_requantize_s8(const tml_requant_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->n; i++) {
        int32_t r = tml_mul_by_quantized_mul((int32_t)in[i] - p->in_zp, p->mult, p->shift) + p->out_zp;
        out[i] = (int8_t)tml_clamp_i32(r, INT8_MIN, INT8_MAX);
    }
}
