/*
 * tml_add_s8_lut.c - int8 ADD with the per-input rescale tabulated.
 *
 * ADD_S8 spends two of its three fixed-point multiplies per element on
 * rescaling each input, a function of one int8 value: the compiler
 * evaluates it for all 256 values (with the same arithmetic, so results are
 * bit-identical) and the kernel only adds two table entries and rescales the
 * sum to the output.
 */
#include "tml/kernels.h"
#include "tml_fixedpoint.h"

void tml_add_s8_lut(const tml_add_s8_params_t *p, const int8_t *in1, const int8_t *in2,
                    const int32_t *lut1, const int32_t *lut2, int8_t *out)
{
    const int32_t *d = p->out_shape, *s1 = p->in1_stride, *s2 = p->in2_stride;
    for (int32_t i0 = 0; i0 < d[0]; i0++)
        for (int32_t i1 = 0; i1 < d[1]; i1++)
            for (int32_t i2 = 0; i2 < d[2]; i2++) {
                const int8_t *a = in1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int8_t *b = in2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (int32_t i3 = 0; i3 < d[3]; i3++) {
                    int32_t sum = lut1[a[i3 * s1[3]] + 128] + lut2[b[i3 * s2[3]] + 128];
                    int32_t v = tml_mul_by_quantized_mul(sum, p->out_mult, p->out_shift) + p->out_offset;
                    *out++ = (int8_t)tml_clamp_i32(v, p->act_min, p->act_max);
                }
            }
}
