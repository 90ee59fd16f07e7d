/*
 * lower_ops.h - the per-op lowering functions and the table that maps IR ops
 * to them (lower_registry.c). An op without an entry is reported as
 * unsupported by the lowering, naming the node.
 */
#ifndef TML_LOWER_OPS_H
#define TML_LOWER_OPS_H

#include "tml/lower.h"

typedef tml_status_t (*tml_lower_fn)(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);

extern const tml_lower_fn tml_lower_table[TML_OP_COUNT];

/* nn ops (lower_conv2d.c, lower_dwconv2d.c, lower_fc.c, lower_pool.c) */
tml_status_t tml_lower_conv2d(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_dwconv2d(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_fc(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_avgpool(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_maxpool(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
/* elementwise ops (compiler/lower/lower_<op>.c) */
tml_status_t tml_lower_add(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_mul(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_reshape(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_softmax(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_quantize(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_dequantize(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_concat(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_pad(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_mean(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_logistic(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_tanh(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_relu(tml_lower_ctx_t *ctx, const tml_ir_node_t *node); /* RELU, RELU6, RELU_N1_TO_1 */
tml_status_t tml_lower_clip(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_hard_swish(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
/* ONNX extras (lower_sub.c, lower_prelu.c, lower_transpose.c; kernels/extra.h) */
tml_status_t tml_lower_sub(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_div(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_prelu(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_leaky_relu(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_hard_sigmoid(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_transpose(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_slice(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);
tml_status_t tml_lower_split(tml_lower_ctx_t *ctx, const tml_ir_node_t *node);

#endif /* TML_LOWER_OPS_H */
