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
 * input x, a ring of k_h(B) rows of conv A's output and one output pixel,
 * where the ops it replaces need x, a and b (and s) side by side:
 *
 *   a = CONV2D_S8(x; conv_a), b = CONV2D_S8(a; conv_b),
 *   s = x (identity shortcut) or CONV2D_S8(x; conv_s) (projection: 1x1),
 *   out = ADD_S8(s, b)
 *
 * computed bit for bit as those kernels would (TFLM's ConvPerChannel, then
 * its quantized ADD with the params of tml_add_s8_params_t given for s and
 * for b; the sum is commutative, so the ADD's operand order does not
 * matter). Output row r needs rows r - pad_top .. r - pad_top + k_h - 1 of
 * a (conv_b has stride_h = dilation_h = 1); each row of a is computed once,
 * into ring slot y % k_h, just before the first output row that needs it.
 * Each output pixel computes its projected shortcut pixel first, into
 * scratch (x's own is read element by element, each just before the output
 * element at its place is written), then its values of b, writing each.
 *
 * out may start at x's first byte (in the arena: the ops' in-place hint)
 * when tml_resblock_s8_may_overlap() says no byte of x is needed after
 * that order of work overwrites it; otherwise it must not overlap x. For an
 * identity shortcut and 'same' convs that is k_h(B) - pad_top(B) -
 * pad_top(A) >= 1 (3x3 and 3x3: 3 - 1 - 1 = 1); for ResNet's strided
 * blocks (conv_a 3x3 stride 2, a 1x1 stride 2 shortcut) it holds too.
 *
 * Shapes: x [n, h, w, c] = conv_a's (and conv_s's) input; conv_b's input is
 * conv_a's output; out [n, h', w', c'] = conv_b's (and conv_s's) output, or
 * x's shape with an identity shortcut. scratch is int8 of
 * tml_resblock_s8_scratch_size(p) bytes, overlapping nothing.
 *
 * RESBLOCK_S8 operands: inputs  [x, weights_a, mult_a, shift_a, bias_a,
 *                                weights_b, mult_b, shift_b, bias_b,
 *                                weights_s, mult_s, shift_s, bias_s, lut]
 *                       outputs [out int8, scratch int8]
 * The convs' operands are as CONV2D_S8's (a bias may be absent; conv_s's
 * are all absent with an identity shortcut). lut, if present, is int32
 * [512]: ADD_S8_LUT's tables for s (first 256) and b (next 256), the
 * rescale of each int8 value from the params; without it the kernel
 * computes the rescales per element, as ADD_S8 does.
 */
typedef struct tml_resblock_s8_params {
    tml_conv_params_t conv_a;      /* x -> a: dilation_h 1 */
    tml_conv_params_t conv_b;      /* a -> b: stride_h 1, dilation_h 1 */
    tml_conv_params_t conv_s;      /* x -> s when has_proj: 1x1, no padding */
    int32_t has_proj;              /* 0: the shortcut is x itself */
    int32_t s_offset, b_offset;    /* ADD: -zero point of the shortcut and of b */
    int32_t out_offset;            /* ADD: output zero point */
    int32_t left_shift;
    int32_t s_mult, s_shift;       /* rescale of the shortcut to the common scale */
    int32_t b_mult, b_shift;       /* rescale of b */
    int32_t out_mult, out_shift;   /* common scale -> output scale */
    int32_t act_min, act_max;
} tml_resblock_s8_params_t;
_Static_assert(sizeof(tml_resblock_s8_params_t) == 79 * 4, "tml_resblock_s8_params_t is 79 words");

/* Bytes of scratch: conv_b.k_h rows of conv_a's output, then one output
 * pixel (the loader refuses more than INT32_MAX). */
static inline uint64_t tml_resblock_s8_scratch_size(const tml_resblock_s8_params_t *p)
{
    return (uint64_t)(uint32_t)p->conv_b.k_h * (uint32_t)p->conv_a.out_w *
               (uint32_t)p->conv_a.out_c +
           (uint32_t)p->conv_b.out_c;
}

/* Whether out may start at x's first byte: by simulating, for every output
 * pixel, the end of what has been written against the first byte of x any
 * later work reads. For geometries that passed the kernel's checks. */
int tml_resblock_s8_may_overlap(const tml_resblock_s8_params_t *p);

void tml_resblock_s8(const tml_resblock_s8_params_t *p, const int8_t *x,
                     const int8_t *weights_a, const int32_t *mult_a, const int32_t *shift_a,
                     const int32_t *bias_a, const int8_t *weights_b, const int32_t *mult_b,
                     const int32_t *shift_b, const int32_t *bias_b, const int8_t *weights_s,
                     const int32_t *mult_s, const int32_t *shift_s, const int32_t *bias_s,
                     const int32_t *lut, int8_t *out, int8_t *scratch);

#ifdef __cplusplus
}
#endif
#endif /* TML_KERNELS_INPLACE_H */
