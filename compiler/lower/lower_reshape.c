/*
 * lower_reshape.c - RESHAPE -> TML_K_COPY. The bytes do not change; the
 * op may run in place (inplace_input 0), in which case the planner aliases
 * the two tensors and the copy is a no-op. A shape operand, if any, is
 * ignored: the output tensor's shape is what counts.
 */
#include "lower_elem.h"

tml_status_t tml_lower_reshape(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    int32_t in, out;
    tml_status_t st = tml_lower_elem_io(ctx, node, 1, &in, &out);
    if (st != TML_OK)
        return st;
    const tml_ir_tensor_t *ti = &ctx->g->tensors[in], *to = &ctx->g->tensors[out];
    if (ti->dtype != to->dtype)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "input is %s, output %s",
                              tml_dtype_name(ti->dtype), tml_dtype_name(to->dtype));
    size_t bytes = tml_ir_tensor_bytes(ti);
    if (bytes != tml_ir_tensor_bytes(to))
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "input has %zu bytes, output %zu", bytes,
                              tml_ir_tensor_bytes(to));
    if (bytes > INT32_MAX)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "tensor of %zu bytes", bytes);
    tml_copy_params_t p = {(int32_t)bytes};
    return tml_lower_emit(ctx, TML_K_COPY, &in, 1, &out, 1, &p, sizeof(p), 0);
}
