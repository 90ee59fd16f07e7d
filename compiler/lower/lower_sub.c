/*
 * lower_sub.c - SUB and DIV -> TML_K_SUB_F32, TML_K_DIV_F32 (float32 only;
 * quantized models reach these ops only through ONNX, which is float).
 * The 4-D broadcast view and fused activation range are those of ADD_F32.
 */
#include <string.h>

#include "lower_elem.h"
#include "lower_extra.h"

tml_status_t tml_lower_sub(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    return tml_lower_extra_binary(ctx, node, TML_K_SUB_F32, node->attrs.act);
}

tml_status_t tml_lower_div(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    return tml_lower_extra_binary(ctx, node, TML_K_DIV_F32, node->attrs.act);
}
