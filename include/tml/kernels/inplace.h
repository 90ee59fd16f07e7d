/*
 * kernels/inplace.h - convolution kernels whose output may overlap their
 * input in the arena. See tml/kernels.h for conventions.
 *
 * CONV2D_S8_INPLACE and DWCONV2D_S8_INPLACE compute exactly what
 * CONV2D_S8 and DWCONV2D_S8 compute (same operands, same arithmetic, bit for
 * bit), with one more guarantee: output elements are produced one at a time
 * in linear order ([n, out_h, out_w, out_c] row-major; descending when
 * reverse is 1), each written right after its own reads and never read
 * back. So an output may start inside its input: writing output element o
 * destroys input element o + delta (delta = output address - input address
 * in bytes, the tensors being int8), which is harmless once no later output
 * needs it. tml_conv_inplace_bound() turns that into one inequality on
 * delta, which the compiler uses to pick the overlap and the loader checks:
 *
 *   forward (reverse 0): delta <= bound, bound = -max_i (last_reader(i) - i)
 *   reverse (reverse 1): delta >= bound, bound =  max_i (i - first_reader(i))
 *
 * over the input elements i that some output reads (o = reader's linear
 * index). Buffers that do not overlap are always fine. For example a
 * pointwise 1x1 conv C_in -> C_out forward has bound = -((P - 1) * (C_out -
 * C_in) + C_out - 1) for P pixels when C_out >= C_in: the input sits at the
 * tail of the output; a depthwise 3x3 stride-1 'same' conv has bound =
 * -((W + 1) * C): the output starts one row and one pixel before the input.
 */
#ifndef TML_KERNELS_INPLACE_H
#define TML_KERNELS_INPLACE_H

#include <stdint.h>

#include "tml/kernels/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tml_conv_inplace_params {
    tml_conv_params_t conv; /* as for CONV2D_S8 / DWCONV2D_S8 */
    int32_t reverse;        /* 0: outputs in ascending order, 1: descending */
} tml_conv_inplace_params_t;
_Static_assert(sizeof(tml_conv_inplace_params_t) == 23 * 4,
               "tml_conv_inplace_params_t is 23 words");

/* The bound on delta above, for a geometry that passed the conv checks
 * (tml_conv_params_t, depthwise selecting the depthwise channel rule).
 * INT64_MAX (forward) / INT64_MIN (reverse) when no input element is read,
 * i.e. any overlap is safe. */
int64_t tml_conv_inplace_bound(const tml_conv_params_t *p, int depthwise, int reverse);

/* Operands and results as tml_conv2d_s8 / tml_dwconv2d_s8 (tml/kernels/nn.h);
 * output may overlap input as described above. */
void tml_conv2d_s8_inplace(const tml_conv_inplace_params_t *p, const int8_t *input,
                           const int8_t *weights, const int32_t *mult, const int32_t *shift,
                           const int32_t *bias, int8_t *output);
void tml_dwconv2d_s8_inplace(const tml_conv_inplace_params_t *p, const int8_t *input,
                             const int8_t *weights, const int32_t *mult, const int32_t *shift,
                             const int32_t *bias, int8_t *output);

#ifdef __cplusplus
}
#endif
#endif /* TML_KERNELS_INPLACE_H */
