/*
 * lower_dwconv2d.c - DEPTHWISE_CONV2D -> DWCONV2D_S8 / DWCONV2D_F32.
 *
 * IR: input [N, H, W, C], weights [1, KH, KW, C * M], optional bias
 * [C * M]; output [N, OH, OW, C * M]. The depth multiplier M follows from
 * the shapes (an attribute > 0 must agree). int8 weights are quantized per
 * channel along axis 3. The shared work is in lower_conv2d.c.
 */
#include "lower_nn.h"

tml_status_t tml_lower_dwconv2d(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    return tml_lower_conv_common(ctx, node, true);
}
