/*
 * rt_internal.h - shared between the loader and the interpreter.
 */
#ifndef TML_RT_INTERNAL_H
#define TML_RT_INTERNAL_H

#include "ops/ops.h"

/* Fills ctx for op op_index of a bound runtime: operand descriptors and
 * their data pointers. Checks only what binding needs (indices in range);
 * the loader has done the rest. */
tml_status_t tml_rt_bind_op(const tml_rt_t *rt, uint32_t op_index, tml_op_ctx_t *ctx);

#endif /* TML_RT_INTERNAL_H */
