/*
 * tml_add_f32.c - float32 elementwise addition with 4-D broadcasting and a
 * fused activation range (TFLM: in1 + in2, then min(max(., lo), hi)).
 */
#include "tml/kernels.h"
#include "tml_fixedpoint_ext.h"

void tml_add_f32(const tml_binary_f32_params_t *p, const float *in1, const float *in2, float *out)
{
    const int32_t *d = p->out_shape, *s1 = p->in1_stride, *s2 = p->in2_stride;
    const float lo = tml_f32_from_word(p->act_min_bits);
    const float hi = tml_f32_from_word(p->act_max_bits);
    for (int32_t i0 = 0; i0 < d[0]; i0++)
        for (int32_t i1 = 0; i1 < d[1]; i1++)
            for (int32_t i2 = 0; i2 < d[2]; i2++) {
                const float *a = in1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const float *b = in2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (int32_t i3 = 0; i3 < d[3]; i3++) {
                    float r = a[i3 * s1[3]] + b[i3 * s2[3]];
                    r = r < lo ? lo : r;
                    *out++ = r > hi ? hi : r;
                }
            }
}
