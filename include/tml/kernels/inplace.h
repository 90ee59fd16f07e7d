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

/* ---- RESBLOCK_S8 ------------------------------------------------------------
 * A residual block in one call, row-streamed so that it needs the block
 * input x and a ring of k_h(B) rows of conv A's output, where the three ops
 * it replaces need x, a and b side by side:
 *
 *   a = CONV2D_S8(x; conv_a), b = CONV2D_S8(a; conv_b), out = ADD_S8(x, b)
 *
 * computed bit for bit as those three kernels would (TFLM's ConvPerChannel
 * twice, then its quantized ADD with the add_* params of tml_add_s8_params_t
 * given for x and for b; the sum is commutative, so the ADD's operand order
 * does not matter). out may be x itself (same address): output row r is
 * written over x row r once every row of a that reads it exists, and no row
 * of a computed later reads it. That holds when
 *
 *   conv_b.k_h - conv_b.pad_top - conv_a.pad_top >= 1
 *
 * (for 3x3 'same' convs, 3 - 1 - 1 = 1); otherwise out must not overlap x.
 * Both convs have stride_h = dilation_h = 1 (any width geometry), so row r
 * of b needs rows r - pad_top .. r - pad_top + k_h - 1 of a: the ring holds
 * the last k_h(B) rows of a, row y in slot y % k_h.
 * Shapes: x and out [n, h, w, c] = conv_a input = conv_b output; conv_b's
 * input is conv_a's output. ring is int8 scratch of
 * tml_resblock_s8_scratch_size(p) bytes, overlapping nothing.
 *
 * RESBLOCK_S8 operands: inputs  [x, weights_a, mult_a, shift_a, bias_a,
 *                                weights_b, mult_b, shift_b, bias_b,
 *                                lut_x, lut_b]
 *                       outputs [out int8 [n, h, w, c], ring int8 scratch]
 * The convs' operands are as CONV2D_S8's (a bias may be absent). lut_x and
 * lut_b, both present or both absent, are ADD_S8_LUT's tables (int32 [256]:
 * the rescale of each int8 value of x and of b, from the params); without
 * them the kernel computes the rescales per element, as ADD_S8 does.
 */
typedef struct tml_resblock_s8_params {
    tml_conv_params_t conv_a;      /* x -> a */
    tml_conv_params_t conv_b;      /* a -> b */
    int32_t x_offset, b_offset;    /* ADD: -zero point of x and of b */
    int32_t out_offset;            /* ADD: output zero point */
    int32_t left_shift;
    int32_t x_mult, x_shift;       /* rescale of x to the common scale */
    int32_t b_mult, b_shift;       /* rescale of b */
    int32_t out_mult, out_shift;   /* common scale -> output scale */
    int32_t act_min, act_max;
} tml_resblock_s8_params_t;
_Static_assert(sizeof(tml_resblock_s8_params_t) == 56 * 4, "tml_resblock_s8_params_t is 56 words");

/* Bytes of ring scratch: conv_b.k_h rows of conv_a's output (the loader
 * refuses more than INT32_MAX). */
static inline uint64_t tml_resblock_s8_scratch_size(const tml_resblock_s8_params_t *p)
{
    return (uint64_t)(uint32_t)p->conv_b.k_h * (uint32_t)p->conv_a.out_w * (uint32_t)p->conv_a.out_c;
}

/* Whether out may be x itself for this geometry (the rule above). */
static inline int tml_resblock_s8_may_alias(const tml_resblock_s8_params_t *p)
{
    return (int64_t)p->conv_b.k_h - p->conv_b.pad_top - p->conv_a.pad_top >= 1;
}

void tml_resblock_s8(const tml_resblock_s8_params_t *p, const int8_t *x,
                     const int8_t *weights_a, const int32_t *mult_a, const int32_t *shift_a,
                     const int32_t *bias_a, const int8_t *weights_b, const int32_t *mult_b,
                     const int32_t *shift_b, const int32_t *bias_b, const int32_t *lut_x,
                     const int32_t *lut_b, int8_t *out, int8_t *ring);

#ifdef __cplusplus
}
#endif
#endif /* TML_KERNELS_INPLACE_H */
