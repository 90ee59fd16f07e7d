/*
 * tml_binary_walk.h - the 4-D broadcast walk shared by the float binary
 * kernels of kernels/extra.h (SUB, DIV, PRELU), over the params of
 * ADD_F32/MUL_F32; the elementwise op is a macro so each kernel stays a
 * straight loop without a call per element.
 */
#ifndef TML_BINARY_WALK_H
#define TML_BINARY_WALK_H

#include "tml/kernels.h"
#include "tml_fixedpoint_ext.h"

/* out[o] = clamp(OP(a[ia], b[ib])) over the broadcast shape. */
#define TML_BINARY_WALK(p, a, b, out, OP)                                                  \
    do {                                                                                   \
        const int32_t *d_ = (p)->out_shape, *sa_ = (p)->in1_stride, *sb_ = (p)->in2_stride; \
        const float lo_ = tml_f32_from_word((p)->act_min_bits);                            \
        const float hi_ = tml_f32_from_word((p)->act_max_bits);                            \
        float *o_ = (out);                                                                 \
        for (int32_t i0 = 0; i0 < d_[0]; i0++)                                             \
            for (int32_t i1 = 0; i1 < d_[1]; i1++)                                         \
                for (int32_t i2 = 0; i2 < d_[2]; i2++) {                                   \
                    const float *pa_ = (a) + i0 * sa_[0] + i1 * sa_[1] + i2 * sa_[2];      \
                    const float *pb_ = (b) + i0 * sb_[0] + i1 * sb_[1] + i2 * sb_[2];      \
                    for (int32_t i3 = 0; i3 < d_[3]; i3++) {                               \
                        float x_ = pa_[i3 * sa_[3]], y_ = pb_[i3 * sb_[3]];                \
                        float r_ = OP(x_, y_);                                             \
                        r_ = r_ < lo_ ? lo_ : r_;                                          \
                        *o_++ = r_ > hi_ ? hi_ : r_;                                       \
                    }                                                                      \
                }                                                                          \
    } while (0)

#endif /* TML_BINARY_WALK_H */
