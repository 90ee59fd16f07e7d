/*
 * ir.h - the compiler's graph IR, produced by every importer (TFLite, ONNX)
 * and consumed by the passes, the quantizer, the lowering and the backends.
 *
 * Design: tensors and nodes in two growable arrays, referenced by index.
 * Layout conventions are TFLite's, because that is what the runtime runs:
 * activations NHWC, conv weights [C_out, KH, KW, C_in], depthwise weights
 * [1, KH, KW, C_in * M], fully-connected weights [N_out, N_in]. Importers of
 * other layouts (ONNX is NCHW) convert at import. Padding is always explicit
 * (top/left/bottom/right), so SAME/VALID/auto_pad are resolved by importers.
 * Nodes are kept in a valid execution order (each input produced earlier).
 */
#ifndef TML_IR_H
#define TML_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tml/core.h"
#include "tml/pkg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TML_IR_MAX_DIMS 8

typedef struct tml_ir_quant {
    int n;                 /* 0: not quantized; 1: per-tensor; >1: per-channel */
    int axis;              /* channel axis when n > 1 */
    float *scale;          /* n entries, owned */
    int32_t *zero_point;   /* n entries, owned */
} tml_ir_quant_t;

typedef struct tml_ir_tensor {
    char *name;            /* owned, never NULL */
    tml_dtype_t dtype;
    int n_dims;
    int32_t dims[TML_IR_MAX_DIMS];
    tml_ir_quant_t quant;
    uint8_t *data;         /* constant contents (owned), NULL for activations */
    size_t data_len;
} tml_ir_tensor_t;

/* Graph operations. The names table in ir.c is guarded against this list. */
typedef enum tml_ir_op {
    TML_OP_CONV2D,
    TML_OP_DEPTHWISE_CONV2D,
    TML_OP_FULLY_CONNECTED,
    TML_OP_AVG_POOL2D,
    TML_OP_MAX_POOL2D,
    TML_OP_ADD,
    TML_OP_SUB,
    TML_OP_MUL,
    TML_OP_DIV,
    TML_OP_RESHAPE,
    TML_OP_SOFTMAX,
    TML_OP_QUANTIZE,
    TML_OP_DEQUANTIZE,
    TML_OP_CONCAT,
    TML_OP_PAD,
    TML_OP_MEAN,
    TML_OP_LOGISTIC,
    TML_OP_TANH,
    TML_OP_RELU,
    TML_OP_RELU6,
    TML_OP_RELU_N1_TO_1,
    TML_OP_HARD_SWISH,
    TML_OP_LEAKY_RELU,
    TML_OP_PRELU,
    TML_OP_CLIP,
    TML_OP_TRANSPOSE,
    TML_OP_SLICE,
    TML_OP_SPLIT,
    TML_OP_HARD_SIGMOID,               /* y = clamp(alpha * x + beta, 0, 1) */
    TML_OP_COUNT
} tml_ir_op_t;

/* Fused activation of conv/fc/pool/add/mul/concat nodes. */
typedef enum tml_act {
    TML_ACT_NONE = 0,
    TML_ACT_RELU,
    TML_ACT_RELU_N1_TO_1,
    TML_ACT_RELU6,
} tml_act_t;

typedef struct tml_ir_conv {           /* CONV2D, DEPTHWISE_CONV2D */
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
    int32_t depth_multiplier;          /* DEPTHWISE_CONV2D only */
    tml_act_t act;
} tml_ir_conv_t;

typedef struct tml_ir_pool {           /* AVG_POOL2D, MAX_POOL2D */
    int32_t filter_h, filter_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
    bool count_include_pad;            /* AVG: divide by the full window (ONNX option) */
    tml_act_t act;
} tml_ir_pool_t;

typedef struct tml_ir_softmax {
    float beta;
    int32_t axis;                      /* normalised to >= 0 */
} tml_ir_softmax_t;

typedef struct tml_ir_axis {           /* CONCAT, SPLIT */
    int32_t axis;                      /* normalised to >= 0 */
    tml_act_t act;                     /* CONCAT only */
} tml_ir_axis_t;

typedef struct tml_ir_pad {
    int32_t before[TML_IR_MAX_DIMS], after[TML_IR_MAX_DIMS];
    float value;                       /* float graphs; int8 pads with the zero point */
} tml_ir_pad_t;

typedef struct tml_ir_reduce {         /* MEAN */
    int32_t n_axes;
    int32_t axes[TML_IR_MAX_DIMS];     /* normalised to >= 0, ascending */
    bool keep_dims;
} tml_ir_reduce_t;

typedef struct tml_ir_transpose {
    int32_t perm[TML_IR_MAX_DIMS];     /* out dim i is in dim perm[i] */
} tml_ir_transpose_t;

typedef struct tml_ir_slice {          /* strided slice, resolved to concrete indices */
    int32_t begin[TML_IR_MAX_DIMS];
    int32_t stride[TML_IR_MAX_DIMS];   /* output dims come from the output tensor */
} tml_ir_slice_t;

typedef struct tml_ir_scalar {         /* LEAKY_RELU alpha; CLIP min/max */
    float alpha;
    float min, max;
    float beta;                        /* HARD_SIGMOID: alpha * x + beta */
} tml_ir_scalar_t;

typedef union tml_ir_attrs {
    tml_ir_conv_t conv;
    tml_ir_pool_t pool;
    tml_act_t act;                     /* FULLY_CONNECTED, ADD, SUB, MUL, DIV */
    tml_ir_softmax_t softmax;
    tml_ir_axis_t axis;
    tml_ir_pad_t pad;
    tml_ir_reduce_t reduce;
    tml_ir_transpose_t transpose;
    tml_ir_slice_t slice;
    tml_ir_scalar_t scalar;
} tml_ir_attrs_t;

typedef struct tml_ir_node {
    tml_ir_op_t op;
    char *name;                        /* owned; may be "" */
    int n_in, n_out;
    int32_t *in;                       /* tensor indices, -1 for an absent optional input; owned */
    int32_t *out;                      /* owned */
    tml_ir_attrs_t attrs;
} tml_ir_node_t;

typedef struct tml_ir_graph {
    char *name;                        /* owned */
    tml_ir_tensor_t *tensors;
    int n_tensors, cap_tensors;
    tml_ir_node_t *nodes;
    int n_nodes, cap_nodes;
    int32_t *inputs;                   /* graph input tensor indices; owned */
    int n_inputs;
    int32_t *outputs;
    int n_outputs;
} tml_ir_graph_t;

/* Initialises an empty graph named name (copied). */
tml_status_t tml_ir_init(tml_ir_graph_t *g, const char *name);
/* Frees everything the graph owns; g may then be re-initialised. */
void tml_ir_free(tml_ir_graph_t *g);

/* Adds a tensor (name copied; NULL gets "t<index>"); *index receives its index. */
tml_status_t tml_ir_add_tensor(tml_ir_graph_t *g, const char *name, tml_dtype_t dtype,
                               int n_dims, const int32_t *dims, int32_t *index);
/* Makes tensor idx constant with a copy of data[0..len); len must equal
 * tml_ir_tensor_bytes. */
tml_status_t tml_ir_set_data(tml_ir_graph_t *g, int32_t idx, const void *data, size_t len);
/* Sets quantization: n scales and zero points (copied), channel axis if n > 1. */
tml_status_t tml_ir_set_quant(tml_ir_graph_t *g, int32_t idx, int n, const float *scale,
                              const int32_t *zero_point, int axis);
/* Appends a node (arrays copied, name may be NULL); *index may be NULL. */
tml_status_t tml_ir_add_node(tml_ir_graph_t *g, tml_ir_op_t op, const char *name,
                             const int32_t *in, int n_in, const int32_t *out, int n_out,
                             const tml_ir_attrs_t *attrs, int32_t *index);
/* Sets the graph's inputs or outputs (copied). */
tml_status_t tml_ir_set_io(tml_ir_graph_t *g, const int32_t *inputs, int n_inputs,
                           const int32_t *outputs, int n_outputs);
/* Removes the nodes whose keep[] entry is false, and then tensors no node,
 * input or output refers to. Indices are renumbered. */
tml_status_t tml_ir_compact(tml_ir_graph_t *g, const bool *keep_node);

/* Element count and byte size of a tensor (0 for an unknown dtype). */
int64_t tml_ir_tensor_elems(const tml_ir_tensor_t *t);
size_t tml_ir_tensor_bytes(const tml_ir_tensor_t *t);
bool tml_ir_is_const(const tml_ir_tensor_t *t);

/* Checks indices, dtypes, that constant data sizes match shapes, that every
 * node's inputs are graph inputs, constants or outputs of earlier nodes, and
 * that every tensor has at most one producer. */
tml_status_t tml_ir_validate(const tml_ir_graph_t *g, tml_err_t *err);

/* The node that produces tensor idx, or -1. Linear time. */
int32_t tml_ir_producer(const tml_ir_graph_t *g, int32_t idx);
/* Number of node inputs and graph outputs that read tensor idx. */
int tml_ir_n_consumers(const tml_ir_graph_t *g, int32_t idx);

const char *tml_ir_op_name(tml_ir_op_t op);
const char *tml_dtype_name(tml_dtype_t dtype);
const char *tml_act_name(tml_act_t act);

/* Multiply-accumulates of one node (0 for ops without any). */
int64_t tml_ir_node_macs(const tml_ir_graph_t *g, const tml_ir_node_t *n);

/* Writes a stable, diff-friendly text form of the graph (pass tests compare it). */
void tml_ir_dump(const tml_ir_graph_t *g, FILE *out);

#ifdef __cplusplus
}
#endif
#endif /* TML_IR_H */
