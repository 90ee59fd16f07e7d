/*
 * onnx_internal.h - shared state of the ONNX importer's files.
 *
 * The importer walks the graph's nodes in their (topological) order. Each
 * ONNX value name maps to one IR tensor; converters look up their inputs by
 * name, infer the output shapes themselves (static shapes, NCHW as in the
 * model) and append IR nodes. Values computed only from constants are folded
 * into constant tensors on the spot (shape arithmetic, Constant nodes,
 * reshapes of weights), so the IR never carries ONNX's shape plumbing.
 */
#ifndef TML_ONNX_INTERNAL_H
#define TML_ONNX_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "onnx.pb-c.h"
#include "tml/ir.h"
#include "tml/onnx.h"

typedef TmlOnnx__NodeProto onnx_node_t;
typedef TmlOnnx__AttributeProto onnx_attr_t;
typedef TmlOnnx__TensorProto onnx_tensor_t;

/* One ONNX value name: the IR tensor holding it (-1 until produced) and how
 * many node inputs and graph outputs read it. */
typedef struct onnx_value {
    const char *name;           /* points into the decoded model */
    int32_t tensor;
    int32_t n_uses;
} onnx_value_t;

typedef struct onnx_ctx {
    tml_ir_graph_t *g;
    tml_err_t *err;
    const char *model_path;     /* may be NULL */
    const tml_ir_graph_t *frozen; /* constants for graph inputs, may be NULL */
    int64_t opset;              /* default domain */
    onnx_value_t *values;       /* open-addressing hash table */
    uint32_t cap_values;        /* power of two */
    uint32_t n_values;
    const TmlOnnx__GraphProto *graph;
    /* The node being converted. */
    const onnx_node_t *node;
    int node_idx;
    /* Value names made by the importer itself (QLinear* rewrites). */
    char **owned;
    int n_owned, cap_owned;
} onnx_ctx_t;

/* ---- values (onnx_import.c) ---- */
onnx_value_t *onnx_value_get(onnx_ctx_t *c, const char *name);   /* NULL if unknown */
tml_status_t onnx_value_add(onnx_ctx_t *c, const char *name, onnx_value_t **out);
/* Whether name is one of the graph's outputs. */
bool onnx_is_graph_output(const onnx_ctx_t *c, const char *name);

/* ---- node helpers (onnx_node.c) ---- */
/* Node-scoped error: "node 3 'conv1' (Conv, opset 13): message". */
tml_status_t onnx_fail(onnx_ctx_t *c, tml_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Number of inputs the node has (trailing empty names included). */
int onnx_n_in(const onnx_ctx_t *c);
/* Tensor index of input i; -1 when absent (past the end or ""). An input
 * naming an unknown value is an error. */
tml_status_t onnx_in(onnx_ctx_t *c, int i, int32_t *tensor);
/* Like onnx_in but the input must be present. */
tml_status_t onnx_in_req(onnx_ctx_t *c, int i, int32_t *tensor);
/* Tensor i of the graph (pointer valid until the next tensor is added). */
tml_ir_tensor_t *onnx_t(onnx_ctx_t *c, int32_t tensor);
/* Creates the IR tensor for output i, registering its ONNX name. */
tml_status_t onnx_out(onnx_ctx_t *c, int i, tml_dtype_t dtype, int n_dims,
                      const int32_t *dims, int32_t *tensor);
/* Whether output i exists (non-empty name). */
bool onnx_has_out(const onnx_ctx_t *c, int i);
/* Makes output i a constant with a copy of data (len bytes). */
tml_status_t onnx_out_const(onnx_ctx_t *c, int i, tml_dtype_t dtype, int n_dims,
                            const int32_t *dims, const void *data, size_t len);
/* Makes output i another name for an existing tensor. */
tml_status_t onnx_out_alias(onnx_ctx_t *c, int i, int32_t tensor);
/* An intermediate tensor named "<output 0>/<suffix>". */
tml_status_t onnx_tmp(onnx_ctx_t *c, const char *suffix, tml_dtype_t dtype, int n_dims,
                      const int32_t *dims, int32_t *tensor);
/* A constant intermediate tensor (data copied). */
tml_status_t onnx_const(onnx_ctx_t *c, const char *suffix, tml_dtype_t dtype, int n_dims,
                        const int32_t *dims, const void *data, size_t len, int32_t *tensor);
/* Appends an IR node named after the ONNX node. */
tml_status_t onnx_node(onnx_ctx_t *c, tml_ir_op_t op, const int32_t *in, int n_in,
                       const int32_t *out, int n_out, const tml_ir_attrs_t *attrs);
/* A RESHAPE of tensor src to dims into *dst (a new tmp, or output 0 when
 * suffix is NULL). Constant inputs are folded. */
tml_status_t onnx_reshape(onnx_ctx_t *c, int32_t src, int n_dims, const int32_t *dims,
                          const char *suffix, int32_t *dst);

/* Attributes; a missing attribute gives the default, a wrong type an error. */
const onnx_attr_t *onnx_attr(const onnx_ctx_t *c, const char *name);
tml_status_t onnx_attr_int(onnx_ctx_t *c, const char *name, int64_t def, int64_t *v);
tml_status_t onnx_attr_float(onnx_ctx_t *c, const char *name, float def, float *v);
/* Up to max ints; *n = -1 when the attribute is absent. */
tml_status_t onnx_attr_ints(onnx_ctx_t *c, const char *name, int64_t *v, int max, int *n);
tml_status_t onnx_attr_floats(onnx_ctx_t *c, const char *name, float *v, int max, int *n);
/* The string (NUL-terminated copy into buf); def when absent. */
tml_status_t onnx_attr_string(onnx_ctx_t *c, const char *name, const char *def, char *buf,
                              size_t buf_len);

/* Constant tensor contents: up to max values of an int32/int64 tensor
 * (*n receives the count), or a float scalar. Non-constant is an error
 * naming what: "the shape input must be a constant". */
tml_status_t onnx_const_ints(onnx_ctx_t *c, int32_t tensor, const char *what, int64_t *v,
                             int max, int *n);
tml_status_t onnx_const_float(onnx_ctx_t *c, int32_t tensor, const char *what, float *v);

/* Every tensor's non-zero dims multiply to at most this, so products of
 * any subset of dims fit int64 comfortably. */
#define ONNX_MAX_ELEMS ((int64_t)1 << 31)
bool onnx_dims_ok(int n_dims, const int32_t *dims);

/* Normalises axis (which may be negative) for rank dims. */
tml_status_t onnx_axis(onnx_ctx_t *c, int64_t axis, int rank, int32_t *out);
/* Product of dims[from..to). */
int64_t onnx_prod(const int32_t *dims, int from, int to);
/* Checks a computed dim fits an IR dim (0..INT32_MAX). */
tml_status_t onnx_dim(onnx_ctx_t *c, int64_t v, const char *what, int32_t *out);

/* ---- tensors (onnx_tensor.c) ---- */
/* ONNX TensorProto.DataType -> IR dtype (TML_DT_UNKNOWN if unsupported). */
tml_dtype_t onnx_dtype(int32_t onnx_type);
const char *onnx_dtype_name(int32_t onnx_type);
/* Adds a constant IR tensor named name from a TensorProto (raw_data, typed
 * fields or external data resolved against c->model_path). */
tml_status_t onnx_tensor_import(onnx_ctx_t *c, const onnx_tensor_t *t, const char *name,
                                int32_t *tensor);

/* ---- converters (onnx_ops_*.c) ---- */
typedef tml_status_t (*onnx_convert_fn)(onnx_ctx_t *c);

typedef struct onnx_op_entry {
    const char *op_type;
    onnx_convert_fn convert;
} onnx_op_entry_t;

/* Finds the converter for op_type, NULL when unsupported. */
onnx_convert_fn onnx_find_op(const char *op_type);

tml_status_t onnx_conv_conv(onnx_ctx_t *c);
tml_status_t onnx_conv_gemm(onnx_ctx_t *c);
tml_status_t onnx_conv_matmul(onnx_ctx_t *c);
tml_status_t onnx_conv_maxpool(onnx_ctx_t *c);
tml_status_t onnx_conv_avgpool(onnx_ctx_t *c);
tml_status_t onnx_conv_global_avgpool(onnx_ctx_t *c);
tml_status_t onnx_conv_global_maxpool(onnx_ctx_t *c);
tml_status_t onnx_conv_batchnorm(onnx_ctx_t *c);

tml_status_t onnx_conv_add(onnx_ctx_t *c);
tml_status_t onnx_conv_sub(onnx_ctx_t *c);
tml_status_t onnx_conv_mul(onnx_ctx_t *c);
tml_status_t onnx_conv_div(onnx_ctx_t *c);
tml_status_t onnx_conv_relu(onnx_ctx_t *c);
tml_status_t onnx_conv_clip(onnx_ctx_t *c);
tml_status_t onnx_conv_leaky_relu(onnx_ctx_t *c);
tml_status_t onnx_conv_prelu(onnx_ctx_t *c);
tml_status_t onnx_conv_sigmoid(onnx_ctx_t *c);
tml_status_t onnx_conv_tanh(onnx_ctx_t *c);
tml_status_t onnx_conv_hard_sigmoid(onnx_ctx_t *c);
tml_status_t onnx_conv_hard_swish(onnx_ctx_t *c);
tml_status_t onnx_conv_softmax(onnx_ctx_t *c);
tml_status_t onnx_conv_quantize(onnx_ctx_t *c);
tml_status_t onnx_conv_dequantize(onnx_ctx_t *c);
tml_status_t onnx_conv_qlinear_conv(onnx_ctx_t *c);
tml_status_t onnx_conv_qlinear_matmul(onnx_ctx_t *c);

tml_status_t onnx_conv_constant(onnx_ctx_t *c);
tml_status_t onnx_conv_identity(onnx_ctx_t *c);
tml_status_t onnx_conv_reshape(onnx_ctx_t *c);
tml_status_t onnx_conv_flatten(onnx_ctx_t *c);
tml_status_t onnx_conv_squeeze(onnx_ctx_t *c);
tml_status_t onnx_conv_unsqueeze(onnx_ctx_t *c);
tml_status_t onnx_conv_transpose(onnx_ctx_t *c);
tml_status_t onnx_conv_concat(onnx_ctx_t *c);
tml_status_t onnx_conv_pad(onnx_ctx_t *c);
tml_status_t onnx_conv_reduce_mean(onnx_ctx_t *c);
tml_status_t onnx_conv_slice(onnx_ctx_t *c);
tml_status_t onnx_conv_split(onnx_ctx_t *c);
tml_status_t onnx_conv_shape(onnx_ctx_t *c);
tml_status_t onnx_conv_gather(onnx_ctx_t *c);
tml_status_t onnx_conv_cast(onnx_ctx_t *c);

#endif /* TML_ONNX_INTERNAL_H */
