/*
 * op_nn.h - check helpers shared by the nn ops' glue (conv, depthwise,
 * fully-connected, pools). Private to runtime/ops.
 *
 * Each helper returns TML_OK or TML_ERR_CORRUPT. Together they let a check
 * function prove that its kernel stays inside every operand: tensors must
 * have exactly the byte length the params imply, every element count must
 * fit an int32 index, and window geometry must keep every intermediate
 * index computation of the kernels within int32.
 */
#ifndef TML_OP_NN_H
#define TML_OP_NN_H

#include "ops.h"

/* t is present, has dtype, exactly elems elements by its dims and exactly
 * elems * size(dtype) bytes; elems must be in [1, INT32_MAX]. */
tml_status_t tml_op_nn_want_exact(const tml_pkg_tensor_t *t, uint32_t dtype, uint64_t elems);

/* One spatial axis of a window op: in >= 1, k >= 1, stride >= 1,
 * dilation >= 1, pads >= 0, in + pads fits int32 and covers the effective
 * window, and out == (in + pads - eff_k) / stride + 1. */
tml_status_t tml_op_nn_check_axis(int32_t in, int32_t out, int32_t k, int32_t stride,
                                  int32_t dilation, int32_t pad_before, int32_t pad_after);

/* Per-channel requantization operands: int32 mult and shift, count entries
 * each, constant data present, mult >= 0 and shift in [-31, 30]. */
tml_status_t tml_op_nn_check_requant(const tml_op_ctx_t *ctx, uint32_t mult_i,
                                     uint32_t shift_i, uint32_t count);

/* int8 quantized params: offsets as produced from int8 zero points and an
 * activation range inside int8. */
tml_status_t tml_op_nn_check_s8_range(int32_t input_offset, int32_t output_offset,
                                      int32_t act_min, int32_t act_max);

/* float activation range: both bit patterns are numbers with lo <= hi. */
tml_status_t tml_op_nn_check_f32_range(int32_t act_min, int32_t act_max);

/* Shared check of the four conv kernels; depthwise selects the weight
 * layout and the depth multiplier rule; s8 selects the operand list
 * (input, weights, mult, shift, [bias]) vs (input, weights, [bias]). */
tml_status_t tml_op_nn_check_conv(const tml_op_ctx_t *ctx, int depthwise, int s8);

/* Shared check of the four pool kernels. */
tml_status_t tml_op_nn_check_pool(const tml_op_ctx_t *ctx, int s8, int avg);

#endif /* TML_OP_NN_H */
