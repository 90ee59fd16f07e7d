/*
 * lower_extra.h - helpers shared by the lowerings to the kernels of
 * tml/kernels/extra.h (lower_sub.c, lower_prelu.c, lower_transpose.c, ...).
 */
#ifndef TML_LOWER_EXTRA_H
#define TML_LOWER_EXTRA_H

#include "lower_ops.h"

/* A float32 broadcasting binary op (inputs 0 and 1, output 0) with the
 * 4-D params of ADD_F32 and the float range of act. */
tml_status_t tml_lower_extra_binary(tml_lower_ctx_t *ctx, const tml_ir_node_t *node,
                                    tml_kernel_t kernel, tml_act_t act);

/* Emits a TML_K_SLICE from tensor in to tensor out reading in element
 * begin[d] + c_d * stride[d] along each dim d of in (out's rank). */
tml_status_t tml_lower_extra_slice(tml_lower_ctx_t *ctx, int32_t in, int32_t out,
                                   const int32_t *begin, const int32_t *stride);

#endif /* TML_LOWER_EXTRA_H */
