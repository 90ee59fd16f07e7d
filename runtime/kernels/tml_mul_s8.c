/*
 * tml_mul_s8.c - int8 elementwise multiplication with 4-D broadcasting.
 *
 * Matches TFLM's quantized MUL (reference_integer_ops::MulElementwise /
 * BroadcastMul4DSlow): the product of the offset inputs is rescaled by one
 * multiplier (in1_scale * in2_scale / out_scale), offset and clamped.
 */
#include "tml/kernels.h"
#include "tml_fixedpoint.h"

void tml_mul_s8(const tml_mul_s8_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    const int32_t *d = p->out_shape, *s1 = p->in1_stride, *s2 = p->in2_stride;
    for (int32_t i0 = 0; i0 < d[0]; i0++)
        for (int32_t i1 = 0; i1 < d[1]; i1++)
            for (int32_t i2 = 0; i2 < d[2]; i2++) {
                const int8_t *a = in1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int8_t *b = in2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (int32_t i3 = 0; i3 < d[3]; i3++) {
                    int32_t x1 = (int32_t)a[i3 * s1[3]] + p->in1_offset;
                    int32_t x2 = (int32_t)b[i3 * s2[3]] + p->in2_offset;
                    int32_t r = p->out_offset +
                                tml_mul_by_quantized_mul(x1 * x2, p->out_mult, p->out_shift);
                    *out++ = (int8_t)tml_clamp_i32(r, p->act_min, p->act_max);
                }
            }
}
