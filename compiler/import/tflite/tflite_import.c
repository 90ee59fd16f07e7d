/*
 * tflite_import.c - the TFLite model walk: Model -> subgraph 0 -> tensors,
 * operator codes, operators and the graph's inputs and outputs (see
 * tml/tflite.h). The per-op mapping lives in tflite_ops.c.
 *
 * Order of work: open and check the root, then convert operators one by one
 * in file order (TFLite stores them in execution order), importing tensors as
 * they are referenced, then set the graph I/O and validate the result. Any
 * failure frees the partial graph.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "tflite_internal.h"

/* Largest tensor accepted: keeps element and byte counts far from overflow. */
#define TFL_MAX_ELEMS ((int64_t)1 << 31)

bool tml_tflite_sniff(const uint8_t *buf, size_t len)
{
    return buf && len >= 8 && memcmp(buf + 4, "TFL3", 4) == 0;
}

tml_status_t tfl_charge(tfl_ctx_t *ctx, uint64_t n)
{
    if (n > ctx->budget)
        return tml_err_set(ctx->err, TML_ERR_CORRUPT,
                           "the model refers to far more data than the file holds "
                           "(vectors shared by many tables?)");
    ctx->budget -= n;
    return TML_OK;
}

static tml_status_t map_dtype(int8_t type, tml_dtype_t *dtype)
{
    switch (type) {
    case TFL_FLOAT32: *dtype = TML_DT_F32; return TML_OK;
    case TFL_INT32: *dtype = TML_DT_I32; return TML_OK;
    case TFL_UINT8: *dtype = TML_DT_U8; return TML_OK;
    case TFL_INT64: *dtype = TML_DT_I64; return TML_OK;
    case TFL_BOOL: *dtype = TML_DT_BOOL; return TML_OK;
    case TFL_INT16: *dtype = TML_DT_I16; return TML_OK;
    case TFL_INT8: *dtype = TML_DT_I8; return TML_OK;
    default: *dtype = TML_DT_UNKNOWN; return TML_ERR_UNSUPPORTED;
    }
}

static const char *tfl_type_name(int8_t type)
{
    static const char *const names[] = {
        "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16", "COMPLEX64",
        "INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32", "UINT16",
        "INT4",
    };
    if (type < 0 || (size_t)type >= sizeof(names) / sizeof(names[0]))
        return "unknown";
    return names[type];
}

/* The bytes of buffer buf_index: inline data, or the offset/size pair of
 * models whose buffers follow the flatbuffer. *data is NULL when empty. */
static tml_status_t buffer_bytes(tfl_ctx_t *ctx, uint32_t buf_index, const uint8_t **data,
                                 size_t *data_len)
{
    *data = NULL;
    *data_len = 0;
    if (buf_index == 0)
        return TML_OK; /* buffer 0 is the empty sentinel by convention */
    if (buf_index >= ctx->buffers.n)
        return tml_err_set(ctx->err, TML_ERR_CORRUPT, "buffer index %u out of range (%u buffers)",
                           buf_index, ctx->buffers.n);
    fb_table_t b;
    fb_vec_t vec;
    uint64_t off, size;
    tml_status_t st = fb_vec_table(&ctx->buffers, buf_index, &b);
    if (!st)
        st = fb_vector(&b, TFL_BUFFER_DATA, 1, &vec);
    if (!st)
        st = fb_u64(&b, TFL_BUFFER_OFFSET, 0, &off);
    if (!st)
        st = fb_u64(&b, TFL_BUFFER_SIZE, 0, &size);
    if (st) {
        tml_err_wrap(ctx->err, "buffer %u", buf_index);
        return st;
    }
    if (off > 1) { /* "valid if > 1" per the schema */
        if (vec.n)
            return tml_err_set(ctx->err, TML_ERR_CORRUPT,
                               "buffer %u has both inline data and an offset", buf_index);
        if (off > ctx->fb.len || size > ctx->fb.len - off)
            return tml_err_set(ctx->err, TML_ERR_CORRUPT,
                               "buffer %u: %llu bytes at offset %llu run past the end of the "
                               "file (%zu bytes)", buf_index, (unsigned long long)size,
                               (unsigned long long)off, ctx->fb.len);
        if (size) {
            *data = ctx->fb.data + off;
            *data_len = (size_t)size;
        }
        return TML_OK;
    }
    if (vec.n) {
        *data = fb_vec_bytes(&vec);
        *data_len = vec.n;
    }
    return TML_OK;
}

static tml_status_t open_tensor(tfl_ctx_t *ctx, int32_t tfl_index, fb_table_t *t)
{
    if (tfl_index < 0 || (uint32_t)tfl_index >= ctx->tensors.n)
        return tml_err_set(ctx->err, TML_ERR_CORRUPT, "tensor index %d out of range (%u tensors)",
                           tfl_index, ctx->tensors.n);
    return fb_vec_table(&ctx->tensors, (uint32_t)tfl_index, t);
}

tml_status_t tfl_tensor_info(tfl_ctx_t *ctx, int32_t tfl_index, tfl_tensor_info_t *info)
{
    memset(info, 0, sizeof(*info));
    info->tfl_index = tfl_index;
    fb_table_t t;
    fb_vec_t shape;
    int8_t type;
    uint32_t buf_index, name_len;
    tml_status_t st = open_tensor(ctx, tfl_index, &t);
    if (!st)
        st = fb_vector(&t, TFL_TENSOR_SHAPE, 4, &shape);
    if (!st)
        st = fb_i8(&t, TFL_TENSOR_TYPE, 0, &type);
    if (!st)
        st = fb_u32(&t, TFL_TENSOR_BUFFER, 0, &buf_index);
    if (!st)
        st = fb_string(&t, TFL_TENSOR_NAME, &info->name, &name_len);
    if (st) {
        tml_err_wrap(ctx->err, "tensor %d", tfl_index);
        return st;
    }
    if (map_dtype(type, &info->dtype))
        return tml_err_set(ctx->err, TML_ERR_UNSUPPORTED, "tensor %d (%s): type %s (%d) is not "
                           "supported", tfl_index, info->name, tfl_type_name(type), type);
    if (shape.n > TML_IR_MAX_DIMS)
        return tml_err_set(ctx->err, TML_ERR_UNSUPPORTED, "tensor %d (%s): %u dims, at most %d "
                           "supported", tfl_index, info->name, shape.n, TML_IR_MAX_DIMS);
    info->n_dims = (int)shape.n;
    int64_t elems = 1;
    for (uint32_t d = 0; d < shape.n; d++) {
        int32_t dim = fb_vec_i32(&shape, d);
        if (dim < 0)
            return tml_err_set(ctx->err, TML_ERR_UNSUPPORTED, "tensor %d (%s): dim %u is %d "
                               "(dynamic shapes are not supported)", tfl_index, info->name, d, dim);
        info->dims[d] = dim;
        elems *= dim;
        if (elems > TFL_MAX_ELEMS)
            return tml_err_set(ctx->err, TML_ERR_UNSUPPORTED, "tensor %d (%s): more than %lld "
                               "elements", tfl_index, info->name, (long long)TFL_MAX_ELEMS);
    }
    st = buffer_bytes(ctx, buf_index, &info->data, &info->data_len);
    if (st) {
        tml_err_wrap(ctx->err, "tensor %d (%s)", tfl_index, info->name);
        return st;
    }
    if (info->data) {
        size_t want = (size_t)elems * tml_dtype_size(info->dtype);
        if (info->data_len != want)
            return tml_err_set(ctx->err, TML_ERR_CORRUPT, "tensor %d (%s): buffer %u holds %zu "
                               "bytes, the shape needs %zu", tfl_index, info->name, buf_index,
                               info->data_len, want);
    }
    return TML_OK;
}

/* Copies the quantization parameters of TFLite tensor t into IR tensor idx. */
static tml_status_t import_quant(tfl_ctx_t *ctx, const fb_table_t *t,
                                 const tfl_tensor_info_t *info, int32_t idx)
{
    fb_table_t q;
    bool present;
    tml_status_t st = fb_table(t, TFL_TENSOR_QUANT, &q, &present);
    if (st || !present)
        return st;
    fb_vec_t scale, zp;
    uint8_t details_type;
    int32_t qdim;
    st = fb_vector(&q, TFL_QUANT_SCALE, 4, &scale);
    if (!st)
        st = fb_vector(&q, TFL_QUANT_ZERO_POINT, 8, &zp);
    if (!st)
        st = fb_u8(&q, TFL_QUANT_DETAILS_TYPE, 0, &details_type);
    if (!st)
        st = fb_i32(&q, TFL_QUANT_DIM, 0, &qdim);
    if (st)
        return st;
    if (details_type != 0)
        return tml_err_set(ctx->err, TML_ERR_UNSUPPORTED, "custom quantization is not supported");
    if (scale.n == 0)
        return TML_OK; /* min/max only, or empty: not quantized */
    if (zp.n != 0 && zp.n != scale.n)
        return tml_err_set(ctx->err, TML_ERR_CORRUPT, "%u scales but %u zero points", scale.n,
                           zp.n);
    if (scale.n > 1) {
        if (qdim < 0 || qdim >= info->n_dims || info->dims[qdim] != (int32_t)scale.n)
            return tml_err_set(ctx->err, TML_ERR_CORRUPT, "%u per-channel scales do not match "
                               "quantized dimension %d of the shape", scale.n, qdim);
    }
    if ((st = tfl_charge(ctx, (uint64_t)scale.n * 8)))
        return st;
    float *s = tml_malloc((size_t)scale.n * sizeof(float));
    int32_t *z = tml_malloc((size_t)scale.n * sizeof(int32_t));
    if (!s || !z) {
        st = tml_err_set(ctx->err, TML_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < scale.n; i++) {
        s[i] = fb_vec_f32(&scale, i);
        int64_t zero = zp.n ? fb_vec_i64(&zp, i) : 0;
        if (!isfinite(s[i]) || s[i] < 0.0f) {
            st = tml_err_set(ctx->err, TML_ERR_CORRUPT, "scale %u is %g", i, (double)s[i]);
            goto out;
        }
        if (zero < INT32_MIN || zero > INT32_MAX) {
            st = tml_err_set(ctx->err, TML_ERR_CORRUPT, "zero point %u is out of range", i);
            goto out;
        }
        z[i] = (int32_t)zero;
    }
    if (tml_ir_set_quant(ctx->g, idx, (int)scale.n, s, z, qdim) != TML_OK)
        st = tml_err_set(ctx->err, TML_ERR_NOMEM, "out of memory");
out:
    tml_free(s);
    tml_free(z);
    return st;
}

/* Imports TFLite tensor tfl_index as a new IR tensor. */
static tml_status_t import_tensor(tfl_ctx_t *ctx, int32_t tfl_index, int32_t *ir_index)
{
    tfl_tensor_info_t info;
    fb_table_t t;
    uint8_t is_variable;
    bool has_sparsity;
    tml_status_t st = tfl_tensor_info(ctx, tfl_index, &info);
    if (st)
        return st;
    st = open_tensor(ctx, tfl_index, &t);
    if (!st)
        st = fb_u8(&t, TFL_TENSOR_IS_VARIABLE, 0, &is_variable);
    if (st) {
        tml_err_wrap(ctx->err, "tensor %d", tfl_index);
        return st;
    }
    has_sparsity = fb_has(&t, TFL_TENSOR_SPARSITY);
    if (is_variable)
        return tml_err_set(ctx->err, TML_ERR_UNSUPPORTED, "tensor %d (%s) is a variable "
                           "(stateful models are not supported)", tfl_index, info.name);
    if (has_sparsity)
        return tml_err_set(ctx->err, TML_ERR_UNSUPPORTED, "tensor %d (%s) is sparse (not "
                           "supported)", tfl_index, info.name);
    st = tfl_charge(ctx, strlen(info.name) + 1 + info.data_len + 64);
    if (st)
        return st;
    int32_t idx;
    /* Unnamed tensors get the IR's "t<index>". */
    const char *name = info.name[0] ? info.name : NULL;
    if (tml_ir_add_tensor(ctx->g, name, info.dtype, info.n_dims, info.dims, &idx) != TML_OK)
        return tml_err_set(ctx->err, TML_ERR_NOMEM, "out of memory");
    if (info.data && tml_ir_set_data(ctx->g, idx, info.data, info.data_len) != TML_OK)
        return tml_err_set(ctx->err, TML_ERR_NOMEM, "out of memory");
    st = import_quant(ctx, &t, &info, idx);
    if (st) {
        tml_err_wrap(ctx->err, "tensor %d (%s): quantization", tfl_index, info.name);
        return st;
    }
    ctx->map[tfl_index] = idx;
    *ir_index = idx;
    return TML_OK;
}

tml_status_t tfl_tensor(tfl_ctx_t *ctx, int32_t tfl_index, int32_t *ir_index)
{
    if (tfl_index == -1) {
        *ir_index = -1;
        return TML_OK;
    }
    if (tfl_index < 0 || (uint32_t)tfl_index >= ctx->tensors.n)
        return tml_err_set(ctx->err, TML_ERR_CORRUPT, "tensor index %d out of range (%u tensors)",
                           tfl_index, ctx->tensors.n);
    if (ctx->map[tfl_index] != TFL_UNMAPPED) {
        *ir_index = ctx->map[tfl_index];
        return TML_OK;
    }
    return import_tensor(ctx, tfl_index, ir_index);
}

/* Reads a vector of tensor indices (operator or subgraph I/O) into out. */
static tml_status_t read_indices(tfl_ctx_t *ctx, const fb_table_t *t, int id, const char *what,
                                 int32_t *out, int *n)
{
    fb_vec_t vec;
    tml_status_t st = fb_vector(t, id, 4, &vec);
    if (st) {
        tml_err_wrap(ctx->err, "%s", what);
        return st;
    }
    if (vec.n > TFL_MAX_OP_IO)
        return tml_err_set(ctx->err, TML_ERR_UNSUPPORTED, "%u %s, at most %d supported", vec.n,
                           what, TFL_MAX_OP_IO);
    if ((st = tfl_charge(ctx, vec.n)))
        return st;
    for (uint32_t i = 0; i < vec.n; i++) {
        out[i] = fb_vec_i32(&vec, i);
        if (out[i] < -1 || (out[i] >= 0 && (uint32_t)out[i] >= ctx->tensors.n))
            return tml_err_set(ctx->err, TML_ERR_CORRUPT, "%s %u: tensor index %d out of range "
                               "(%u tensors)", what, i, out[i], ctx->tensors.n);
    }
    *n = (int)vec.n;
    return TML_OK;
}

int32_t tfl_max_version(int32_t code)
{
    /* The versions whose options and semantics the mapping reads; later
     * versions add fields (e.g. quantized_bias_type) it would ignore. */
    switch (code) {
    case TFL_ADD: return 5;
    case TFL_SUB: return 5;
    case TFL_MUL: return 6;
    case TFL_DIV: return 2;
    case TFL_AVERAGE_POOL_2D: return 3;
    case TFL_MAX_POOL_2D: return 3;
    case TFL_CONCATENATION: return 4;
    case TFL_CONV_2D: return 6;
    case TFL_DEPTHWISE_CONV_2D: return 6;
    case TFL_FULLY_CONNECTED: return 9;
    case TFL_RESHAPE: return 2;
    case TFL_SOFTMAX: return 3;
    case TFL_QUANTIZE: return 2;
    case TFL_DEQUANTIZE: return 4;
    case TFL_PAD: return 4;
    case TFL_PADV2: return 4;
    case TFL_MEAN: return 3;
    case TFL_LOGISTIC: return 3;
    case TFL_TANH: return 3;
    case TFL_RELU: return 3;
    case TFL_RELU6: return 3;
    case TFL_RELU_N1_TO_1: return 2;
    case TFL_HARD_SWISH: return 1;
    case TFL_LEAKY_RELU: return 2;
    case TFL_PRELU: return 1;
    case TFL_TRANSPOSE: return 6;
    case TFL_STRIDED_SLICE: return 6;
    case TFL_SLICE: return 5;
    case TFL_SPLIT: return 4;
    case TFL_SQUEEZE: return 2;
    case TFL_EXPAND_DIMS: return 2;
    default: return 0;
    }
}

/* Reads operator i into op and checks its code and version. */
static tml_status_t read_operator(tfl_ctx_t *ctx, const fb_vec_t *ops, uint32_t i, tfl_op_t *op)
{
    fb_table_t t, code_t;
    uint32_t opcode_index;
    int8_t deprecated_code;
    int32_t code;
    const char *custom;
    uint32_t custom_len;
    op->index = (int)i;
    op->name = "?";
    tml_status_t st = fb_vec_table(ops, i, &t);
    if (!st)
        st = fb_u32(&t, TFL_OP_OPCODE_INDEX, 0, &opcode_index);
    if (st)
        return st;
    if (opcode_index >= ctx->opcodes.n)
        return tml_err_set(ctx->err, TML_ERR_CORRUPT, "opcode index %u out of range (%u codes)",
                           opcode_index, ctx->opcodes.n);
    st = fb_vec_table(&ctx->opcodes, opcode_index, &code_t);
    if (!st)
        st = fb_i8(&code_t, TFL_OPCODE_DEPRECATED_CODE, 0, &deprecated_code);
    if (!st)
        st = fb_i32(&code_t, TFL_OPCODE_CODE, 0, &code);
    if (!st)
        st = fb_i32(&code_t, TFL_OPCODE_VERSION, 1, &op->version);
    if (!st)
        st = fb_string(&code_t, TFL_OPCODE_CUSTOM, &custom, &custom_len);
    if (st) {
        tml_err_wrap(ctx->err, "operator code %u", opcode_index);
        return st;
    }
    /* Older files only set the byte-sized deprecated field, newer ones set
     * both (the byte saturating at 127): the larger one is the code. */
    op->code = code > deprecated_code ? code : deprecated_code;
    const char *name = tml_tflite_builtin_name(op->code);
    op->name = name ? name : "unknown";
    if (op->code == TFL_CUSTOM)
        return tml_err_set(ctx->err, TML_ERR_UNSUPPORTED, "custom op '%s' (version %d) is not "
                           "supported", custom, op->version);
    int32_t max_version = tfl_max_version(op->code);
    if (max_version == 0 || op->version < 1 || op->version > max_version)
        return tml_err_set(ctx->err, TML_ERR_UNSUPPORTED,
                           "op %s (code %d, version %d) is not supported%s", op->name, op->code,
                           op->version, max_version ? " (this version)" : "");
    st = fb_u8(&t, TFL_OP_OPTIONS_TYPE, 0, &op->opts_type);
    if (!st)
        st = fb_table(&t, TFL_OP_OPTIONS, &op->opts, &op->has_opts);
    if (!st)
        st = read_indices(ctx, &t, TFL_OP_INPUTS, "inputs", op->in, &op->n_in);
    if (!st)
        st = read_indices(ctx, &t, TFL_OP_OUTPUTS, "outputs", op->out, &op->n_out);
    if (st) {
        tml_err_wrap(ctx->err, "op %s", op->name);
        return st;
    }
    if (fb_has(&t, TFL_OP_INTERMEDIATES)) {
        fb_vec_t inter;
        if ((st = fb_vector(&t, TFL_OP_INTERMEDIATES, 4, &inter)))
            return st;
        if (inter.n)
            return tml_err_set(ctx->err, TML_ERR_UNSUPPORTED, "op %s with intermediate tensors "
                               "is not supported", op->name);
    }
    return TML_OK;
}

static tml_status_t import_model(tfl_ctx_t *ctx)
{
    fb_table_t root, sg;
    fb_vec_t subgraphs, ops;
    uint32_t version;
    tml_status_t st = fb_root(&ctx->fb, &root);
    if (st)
        return st;
    st = fb_u32(&root, TFL_MODEL_VERSION, 0, &version);
    if (!st && version != 3)
        return tml_err_set(ctx->err, TML_ERR_UNSUPPORTED, "schema version %u (expected 3)",
                           version);
    if (!st)
        st = fb_vector(&root, TFL_MODEL_OPCODES, 4, &ctx->opcodes);
    if (!st)
        st = fb_vector(&root, TFL_MODEL_SUBGRAPHS, 4, &subgraphs);
    if (!st)
        st = fb_vector(&root, TFL_MODEL_BUFFERS, 4, &ctx->buffers);
    if (st)
        return st;
    if (subgraphs.n == 0)
        return tml_err_set(ctx->err, TML_ERR_CORRUPT, "the model has no subgraph");
    st = fb_vec_table(&subgraphs, 0, &sg);
    if (!st)
        st = fb_vector(&sg, TFL_SUBGRAPH_TENSORS, 4, &ctx->tensors);
    if (!st)
        st = fb_vector(&sg, TFL_SUBGRAPH_OPERATORS, 4, &ops);
    if (st) {
        tml_err_wrap(ctx->err, "subgraph 0");
        return st;
    }

    ctx->map = tml_malloc(((size_t)ctx->tensors.n + 1) * sizeof(int32_t));
    if (!ctx->map)
        return tml_err_set(ctx->err, TML_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < ctx->tensors.n; i++)
        ctx->map[i] = TFL_UNMAPPED;

    /* Graph inputs first, so they get the first IR indices. */
    int32_t io[TFL_MAX_OP_IO];
    int n_io;
    int32_t *inputs = NULL, *outputs = NULL;
    int n_inputs = 0, n_outputs = 0;
    st = read_indices(ctx, &sg, TFL_SUBGRAPH_INPUTS, "subgraph inputs", io, &n_io);
    if (st)
        return st;
    inputs = tml_malloc(((size_t)n_io + 1) * sizeof(int32_t));
    if (!inputs)
        return tml_err_set(ctx->err, TML_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n_io && !st; i++) {
        if (io[i] < 0)
            st = tml_err_set(ctx->err, TML_ERR_CORRUPT, "subgraph input %d is absent (-1)", i);
        else
            st = tfl_tensor(ctx, io[i], &inputs[n_inputs++]);
    }
    if (st)
        goto out;

    tfl_op_t *op = tml_malloc(sizeof(*op));
    if (!op) {
        st = tml_err_set(ctx->err, TML_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < ops.n && !st; i++) {
        memset(op, 0, offsetof(tfl_op_t, in));
        st = read_operator(ctx, &ops, i, op);
        if (st) {
            tml_err_wrap(ctx->err, "operator %u", i);
            break;
        }
        st = tfl_convert_op(ctx, op);
        if (st)
            tml_err_wrap(ctx->err, "operator %u (%s)", i, op->name);
    }
    tml_free(op);
    if (st)
        goto out;

    st = read_indices(ctx, &sg, TFL_SUBGRAPH_OUTPUTS, "subgraph outputs", io, &n_io);
    if (st)
        goto out;
    outputs = tml_malloc(((size_t)n_io + 1) * sizeof(int32_t));
    if (!outputs) {
        st = tml_err_set(ctx->err, TML_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n_io && !st; i++) {
        if (io[i] < 0)
            st = tml_err_set(ctx->err, TML_ERR_CORRUPT, "subgraph output %d is absent (-1)", i);
        else
            st = tfl_tensor(ctx, io[i], &outputs[n_outputs++]);
    }
    if (st)
        goto out;
    if (tml_ir_set_io(ctx->g, inputs, n_inputs, outputs, n_outputs) != TML_OK)
        st = tml_err_set(ctx->err, TML_ERR_NOMEM, "out of memory");
out:
    tml_free(inputs);
    tml_free(outputs);
    return st;
}

tml_status_t tml_tflite_import(const uint8_t *buf, size_t len, const char *model_name,
                               tml_ir_graph_t *g, tml_err_t *err)
{
    if (!g)
        return tml_err_set(err, TML_ERR_ARG, "tflite import: no graph given");
    memset(g, 0, sizeof(*g));
    if (!model_name)
        model_name = "model";
    if (!buf)
        return tml_err_set(err, TML_ERR_ARG, "%s: no buffer given", model_name);
    if (!tml_tflite_sniff(buf, len))
        return tml_err_set(err, TML_ERR_CORRUPT, "%s: not a TFLite model (no \"TFL3\" file "
                           "identifier at byte 4)", model_name);
    if (tml_ir_init(g, model_name) != TML_OK)
        return tml_err_set(err, TML_ERR_NOMEM, "%s: out of memory", model_name);
    tfl_ctx_t ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.fb.data = buf;
    ctx.fb.len = len;
    ctx.fb.err = err;
    ctx.model = model_name;
    ctx.g = g;
    ctx.err = err;
    /* Real models copy each byte about once (buffers are sometimes shared by
     * a few tensors); 8x the file plus slack is generous for them. */
    ctx.budget = (uint64_t)len * 8 + (1u << 20);
    tml_status_t st = import_model(&ctx);
    tml_free(ctx.map);
    if (st == TML_OK) {
        /* Cheap to check, and it turns any gap in the mapping into an error
         * rather than a graph that crashes a later pass. */
        st = tml_ir_validate(g, err);
        if (st == TML_ERR_CORRUPT)
            tml_err_wrap(err, "imported graph is invalid");
    }
    if (st != TML_OK) {
        tml_err_wrap(err, "%s", model_name);
        tml_ir_free(g);
    }
    return st;
}
