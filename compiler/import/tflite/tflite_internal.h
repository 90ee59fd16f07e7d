/*
 * tflite_internal.h - shared state of the TFLite importer: the model walk
 * (tflite_import.c) and the per-op mapping (tflite_ops.c).
 *
 * TFLite tensors are imported into the IR lazily, the first time a node or
 * the graph's input/output list refers to them, so constant operands that
 * become attributes (PAD amounts, MEAN axes, RESHAPE shapes) never reach the
 * IR. Everything copied from the file is charged to a budget proportional to
 * the file size, so a small hostile file whose tables share one big vector
 * many times cannot make the importer use time or memory far beyond its size.
 */
#ifndef TML_TFLITE_INTERNAL_H
#define TML_TFLITE_INTERNAL_H

#include "flatbuf.h"
#include "tml/ir.h"
#include "tml/tflite.h"

/* Schema field ids (tensorflow/lite/schema/schema.fbs). A union takes two
 * ids: its type tag, then its value. */
enum {
    TFL_MODEL_VERSION = 0, TFL_MODEL_OPCODES = 1, TFL_MODEL_SUBGRAPHS = 2, TFL_MODEL_BUFFERS = 4,
    TFL_OPCODE_DEPRECATED_CODE = 0, TFL_OPCODE_CUSTOM = 1, TFL_OPCODE_VERSION = 2,
    TFL_OPCODE_CODE = 3,
    TFL_SUBGRAPH_TENSORS = 0, TFL_SUBGRAPH_INPUTS = 1, TFL_SUBGRAPH_OUTPUTS = 2,
    TFL_SUBGRAPH_OPERATORS = 3,
    TFL_TENSOR_SHAPE = 0, TFL_TENSOR_TYPE = 1, TFL_TENSOR_BUFFER = 2, TFL_TENSOR_NAME = 3,
    TFL_TENSOR_QUANT = 4, TFL_TENSOR_IS_VARIABLE = 5, TFL_TENSOR_SPARSITY = 6,
    TFL_QUANT_SCALE = 2, TFL_QUANT_ZERO_POINT = 3, TFL_QUANT_DETAILS_TYPE = 4,
    TFL_QUANT_DIM = 6,
    TFL_BUFFER_DATA = 0, TFL_BUFFER_OFFSET = 1, TFL_BUFFER_SIZE = 2,
    TFL_OP_OPCODE_INDEX = 0, TFL_OP_INPUTS = 1, TFL_OP_OUTPUTS = 2, TFL_OP_OPTIONS_TYPE = 3,
    TFL_OP_OPTIONS = 4, TFL_OP_INTERMEDIATES = 8,
};

/* BuiltinOperator codes the importer maps. */
enum {
    TFL_ADD = 0, TFL_AVERAGE_POOL_2D = 1, TFL_CONCATENATION = 2, TFL_CONV_2D = 3,
    TFL_DEPTHWISE_CONV_2D = 4, TFL_DEQUANTIZE = 6, TFL_FULLY_CONNECTED = 9, TFL_LOGISTIC = 14,
    TFL_MAX_POOL_2D = 17, TFL_MUL = 18, TFL_RELU = 19, TFL_RELU_N1_TO_1 = 20, TFL_RELU6 = 21,
    TFL_RESHAPE = 22, TFL_SOFTMAX = 25, TFL_TANH = 28, TFL_CUSTOM = 32, TFL_PAD = 34,
    TFL_TRANSPOSE = 39, TFL_MEAN = 40, TFL_SUB = 41, TFL_DIV = 42, TFL_SQUEEZE = 43,
    TFL_STRIDED_SLICE = 45, TFL_SPLIT = 49, TFL_PRELU = 54, TFL_PADV2 = 60, TFL_SLICE = 65,
    TFL_EXPAND_DIMS = 70, TFL_LEAKY_RELU = 98, TFL_QUANTIZE = 114, TFL_HARD_SWISH = 117,
};

/* BuiltinOptions union tags of the option tables the importer reads. */
enum {
    TFL_OPT_CONV2D = 1, TFL_OPT_DEPTHWISE = 2, TFL_OPT_POOL2D = 5, TFL_OPT_FULLY_CONNECTED = 8,
    TFL_OPT_SOFTMAX = 9, TFL_OPT_CONCATENATION = 10, TFL_OPT_ADD = 11, TFL_OPT_MUL = 21,
    TFL_OPT_REDUCER = 27, TFL_OPT_SUB = 28, TFL_OPT_DIV = 29, TFL_OPT_STRIDED_SLICE = 32,
    TFL_OPT_SPLIT = 35, TFL_OPT_LEAKY_RELU = 75,
};

/* TensorType values. */
enum {
    TFL_FLOAT32 = 0, TFL_INT32 = 2, TFL_UINT8 = 3, TFL_INT64 = 4, TFL_BOOL = 6, TFL_INT16 = 7,
    TFL_INT8 = 9,
};

#define TFL_UNMAPPED (-2)     /* tensor map entry: not imported yet */
#define TFL_MAX_OP_IO 1024    /* inputs or outputs of one operator */

typedef struct tfl_ctx {
    fb_buf_t fb;
    const char *model;        /* name used in messages */
    tml_ir_graph_t *g;
    tml_err_t *err;
    fb_vec_t buffers;         /* Model.buffers */
    fb_vec_t opcodes;         /* Model.operator_codes */
    fb_vec_t tensors;         /* SubGraph(0).tensors */
    int32_t *map;             /* TFLite tensor index -> IR tensor index or TFL_UNMAPPED */
    uint64_t budget;          /* elements and bytes we may still copy */
} tfl_ctx_t;

/* One operator being converted. */
typedef struct tfl_op {
    int index;                /* position in SubGraph.operators */
    int32_t code;             /* effective builtin code */
    int32_t version;
    const char *name;         /* builtin name */
    fb_table_t opts;          /* builtin options when has_opts */
    bool has_opts;
    uint8_t opts_type;
    int n_in, n_out;
    int32_t in[TFL_MAX_OP_IO];   /* TFLite tensor indices, -1 = absent */
    int32_t out[TFL_MAX_OP_IO];
} tfl_op_t;

/* A TFLite tensor's static description, read without importing it. */
typedef struct tfl_tensor_info {
    int32_t tfl_index;
    tml_dtype_t dtype;
    int n_dims;
    int32_t dims[TML_IR_MAX_DIMS];
    const uint8_t *data;      /* constant bytes inside the file, NULL if none */
    size_t data_len;
    const char *name;
} tfl_tensor_info_t;

/* Charges n copied elements/bytes to the budget (CORRUPT when exhausted). */
tml_status_t tfl_charge(tfl_ctx_t *ctx, uint64_t n);

/* Reads a TFLite tensor's description (index checked). */
tml_status_t tfl_tensor_info(tfl_ctx_t *ctx, int32_t tfl_index, tfl_tensor_info_t *info);

/* The IR index of TFLite tensor tfl_index, importing it on first use
 * (-1 stays -1 for an absent optional input). */
tml_status_t tfl_tensor(tfl_ctx_t *ctx, int32_t tfl_index, int32_t *ir_index);

/* Converts one operator into IR nodes (tflite_ops.c). */
tml_status_t tfl_convert_op(tfl_ctx_t *ctx, const tfl_op_t *op);

/* Highest operator version the importer handles for a builtin code, 0 when
 * the op is not supported at all. */
int32_t tfl_max_version(int32_t code);

#endif /* TML_TFLITE_INTERNAL_H */
