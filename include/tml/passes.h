/*
 * passes.h - small graph passes over the IR, each doing one rewrite, each
 * runnable on any graph (TFLite or ONNX, float or int8) and each leaving the
 * graph valid (tml_ir_validate) and computing the same function.
 *
 * Passes that change arithmetic (BatchNorm folding, activation fusion) touch
 * only float nodes, or int8 nodes where the result is bit-identical, so a
 * pre-quantized TFLite model still runs bit-exact after them. The driver
 * (compiler/compile.c) runs tml_passes_run, which applies them in this
 * order: constant folding, identity removal, BatchNorm folding, pad fusion,
 * activation fusion, dead-node removal. The NCHW -> NHWC layout pass
 * (tml/pass_layout.h) runs inside the ONNX importer, since only an NCHW
 * graph needs it; identity removal then cancels transposes it left back to
 * back, so layout changes happen once, at the graph's edges.
 *
 * Every pass takes the graph, rewrites it in place, and reports through
 * *n_changed (may be NULL) how many nodes it removed or rewrote.
 */
#ifndef TML_PASSES_H
#define TML_PASSES_H

#include "tml/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Nodes whose inputs are all constants are evaluated (with the host
 * runtime's own kernels, so folding is bit-identical to running them) and
 * their outputs become constants. Graph outputs are never folded. */
tml_status_t tml_pass_const_fold(tml_ir_graph_t *g, int *n_changed, tml_err_t *err);

/* Removes nodes that compute nothing: RESHAPE to the same shape, TRANSPOSE
 * with the identity permutation, PAD by zero everywhere, SLICE of the whole
 * tensor, CLIP(-inf, inf), a TRANSPOSE followed by its inverse, and
 * RESHAPE chains (collapsed into one). ONNX Identity and Dropout import as
 * nothing at all, so this is where what is left of them goes. */
tml_status_t tml_pass_identity(tml_ir_graph_t *g, int *n_changed, tml_err_t *err);

/* Folds a per-channel float MUL and/or ADD by constants (what a BatchNorm
 * that was not folded at import, or a scale layer, becomes) into the
 * weights and bias of the CONV2D, DEPTHWISE_CONV2D or FULLY_CONNECTED that
 * produces their input, when nothing else reads the intermediate tensor. */
tml_status_t tml_pass_bn_fold(tml_ir_graph_t *g, int *n_changed, tml_err_t *err);

/* Moves a PAD of the spatial dims (H, W of an NHWC tensor, pad value zero,
 * or the zero point for int8) into the explicit padding of the CONV2D or
 * DEPTHWISE_CONV2D that reads it, removing one kernel call and one
 * activation buffer. */
tml_status_t tml_pass_pad_fusion(tml_ir_graph_t *g, int *n_changed, tml_err_t *err);

/* Fuses RELU, RELU6, RELU_N1_TO_1 and CLIP(0, 6) / CLIP(-1, 1) / CLIP(0,
 * inf) into the CONV2D, DEPTHWISE_CONV2D, FULLY_CONNECTED, ADD, SUB, MUL,
 * pools or CONCAT that produces their input (float nodes only, where this
 * is exact), when nothing else reads that input. */
tml_status_t tml_pass_act_fusion(tml_ir_graph_t *g, int *n_changed, tml_err_t *err);

/* Removes nodes none of whose outputs reach a graph output, then unused
 * tensors. */
tml_status_t tml_pass_dead_nodes(tml_ir_graph_t *g, int *n_changed, tml_err_t *err);

/* What tml_passes_run did, per pass. */
typedef struct tml_pass_stats {
    int const_folded, identities_removed, bn_folded, pads_fused, acts_fused, dead_removed;
} tml_pass_stats_t;

/* Runs all of the above in the order given at the top; stats may be NULL. */
tml_status_t tml_passes_run(tml_ir_graph_t *g, tml_pass_stats_t *stats, tml_err_t *err);

#ifdef __cplusplus
}
#endif
#endif /* TML_PASSES_H */
