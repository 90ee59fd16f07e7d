/*
 * op_inplace.h - the load-time check shared by the in-place convolution
 * kernels' glue. Private to runtime/ops.
 */
#ifndef TML_OP_INPLACE_H
#define TML_OP_INPLACE_H

#include "op_nn.h"

/* tml_op_nn_check_conv for the 23-word tml_conv_inplace_params_t (int8
 * operands), reverse in {0, 1}, and, when the input and the output overlap
 * in the arena, an overlap that tml_conv_inplace_bound() allows: otherwise
 * the kernel would read input bytes it has already overwritten. */
tml_status_t tml_op_inplace_check_conv(const tml_op_ctx_t *ctx, int depthwise);

#endif /* TML_OP_INPLACE_H */
