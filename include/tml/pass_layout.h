/*
 * pass_layout.h - the NCHW -> NHWC layout pass.
 *
 * Importers of NCHW formats (ONNX) build the graph in their own layout and
 * then run this pass, so every op's layout rule lives in one place.
 *
 * Input contract: 4-D activations are NCHW; CONV2D weights are
 * [C_out, C_in, KH, KW], DEPTHWISE_CONV2D weights [C * M, 1, KH, KW]; every
 * axis attribute (CONCAT, SPLIT, SOFTMAX, MEAN, PAD, SLICE, TRANSPOSE) counts
 * in that layout. Output: the IR conventions of tml/ir.h (NHWC activations
 * inside conv/pool chains, [C_out, KH, KW, C_in] and [1, KH, KW, C * M]
 * weights). The pass holds each tensor in NHWC only where a spatial op
 * produces or wants it, follows that layout through layout-agnostic ops
 * (activations, broadcasting arithmetic, whose constant operands are
 * permuted instead), remaps axes of axis-sensitive ops, and inserts a
 * TRANSPOSE only where a tensor has to change layout: at graph inputs and
 * outputs (which keep their NCHW shape and name) and before ops whose
 * semantics need the NCHW element order (RESHAPE of a 4-D tensor).
 */
#ifndef TML_PASS_LAYOUT_H
#define TML_PASS_LAYOUT_H

#include "tml/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Converts g in place. On error the message names the node; g is then only
 * fit for tml_ir_free. */
tml_status_t tml_pass_layout_nhwc(tml_ir_graph_t *g, tml_err_t *err);

#ifdef __cplusplus
}
#endif
#endif /* TML_PASS_LAYOUT_H */
