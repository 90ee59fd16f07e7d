/*
 * tml_add_s8.c - int8 elementwise addition with 4-D broadcasting.
 *
 * Matches TFLM's quantized ADD (reference_integer_ops::AddElementwise /
 * BroadcastAdd4DSlow): each input, offset by its zero point, is shifted left
 * by left_shift (20) for headroom, rescaled to the common scale (twice the
 * larger input scale) with a multiplier below one, the two are summed, and
 * the sum is rescaled to the output scale, offset and clamped.
 */
#include "tml/kernels.h"
#include "tml_fixedpoint.h"

static inline int8_t add_one(const tml_add_s8_params_t *p, int8_t a, int8_t b)
{
    int32_t x1 = ((int32_t)a + p->in1_offset) * ((int32_t)1 << p->left_shift);
    int32_t x2 = ((int32_t)b + p->in2_offset) * ((int32_t)1 << p->left_shift);
    int32_t s1 = tml_mul_by_quantized_mul(x1, p->in1_mult, p->in1_shift);
    int32_t s2 = tml_mul_by_quantized_mul(x2, p->in2_mult, p->in2_shift);
    int32_t sum = tml_mul_by_quantized_mul(s1 + s2, p->out_mult, p->out_shift) + p->out_offset;
    return (int8_t)tml_clamp_i32(sum, p->act_min, p->act_max);
}

void tml_add_s8(const tml_add_s8_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    const int32_t *d = p->out_shape, *s1 = p->in1_stride, *s2 = p->in2_stride;
    for (int32_t i0 = 0; i0 < d[0]; i0++)
        for (int32_t i1 = 0; i1 < d[1]; i1++)
            for (int32_t i2 = 0; i2 < d[2]; i2++) {
                const int8_t *a = in1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int8_t *b = in2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (int32_t i3 = 0; i3 < d[3]; i3++)
                    *out++ = add_one(p, a[i3 * s1[3]], b[i3 * s2[3]]);
            }
}
