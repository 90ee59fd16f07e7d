/*
 * onnx_import.c - the ONNX importer's driver: decode the ModelProto, check
 * the opsets, load initializers and graph inputs, convert each node with the
 * op table below, and hand the NCHW graph to the layout pass.
 *
 * The decoded model lives only for the duration of the import; every IR
 * string and constant is a copy. Value names map to IR tensors through a
 * small open-addressing hash table whose keys point into the decoded model.
 */
#include <string.h>

#include "onnx_internal.h"
#include "tml/pass_layout.h"

/* ---- protobuf-c through the counted allocator ---- */

/* allocator_data points at a bool set when an allocation fails, so a NULL
 * from the decoder can be told apart: out of memory or malformed bytes. */
static void *pb_alloc(void *data, size_t size)
{
    void *p = tml_malloc(size);
    if (!p)
        *(bool *)data = true;
    return p;
}

static void pb_free(void *data, void *ptr)
{
    (void)data;
    tml_free(ptr);
}


/* ---- sniffing ---- */

static bool read_varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= len)
            return false;
        uint8_t b = buf[(*pos)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

bool tml_onnx_sniff(const uint8_t *buf, size_t len)
{
    if (!buf || len < 2)
        return false;
    /* ModelProto fields and their wire types (0 varint, 2 length-delimited). */
    static const struct { uint8_t field, wire; } known[] = {
        {1, 0}, {2, 2}, {3, 2}, {4, 2}, {5, 0}, {6, 2}, {7, 2}, {8, 2}, {14, 2},
        {20, 2}, {25, 2},
    };
    size_t pos = 0;
    bool core = false;
    for (int n_fields = 0; n_fields < 8 && pos < len; n_fields++) {
        uint64_t key, v;
        if (!read_varint(buf, len, &pos, &key))
            return false;
        uint64_t field = key >> 3, wire = key & 7;
        bool ok = false;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            ok |= known[i].field == field && known[i].wire == wire;
        if (!ok)
            return false;
        if (!read_varint(buf, len, &pos, &v))
            return false;
        if (wire == 2) {
            if (v > len - pos)
                return false;
            pos += (size_t)v;
        }
        core |= field == 1 || field == 7 || field == 8;
    }
    return core;
}

/* ---- the value table ---- */

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

onnx_value_t *onnx_value_get(onnx_ctx_t *c, const char *name)
{
    uint32_t mask = c->cap_values - 1;
    for (uint32_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
        onnx_value_t *v = &c->values[i];
        if (!v->name)
            return NULL;
        if (!strcmp(v->name, name))
            return v;
    }
}

tml_status_t onnx_value_add(onnx_ctx_t *c, const char *name, onnx_value_t **out)
{
    onnx_value_t *v = onnx_value_get(c, name);
    if (v) {
        *out = v;
        return TML_OK;
    }
    if ((c->n_values + 1) * 2 > c->cap_values) {
        /* Grow and rehash; keys stay pointers into the model. */
        uint32_t cap = c->cap_values * 2;
        onnx_value_t *old = c->values;
        uint32_t old_cap = c->cap_values;
        onnx_value_t *bigger = tml_calloc(cap, sizeof(*bigger));
        if (!bigger)
            return TML_ERR_NOMEM;
        c->values = bigger;
        c->cap_values = cap;
        for (uint32_t i = 0; i < old_cap; i++) {
            if (!old[i].name)
                continue;
            uint32_t j = hash_name(old[i].name) & (cap - 1);
            while (bigger[j].name)
                j = (j + 1) & (cap - 1);
            bigger[j] = old[i];
        }
        tml_free(old);
    }
    uint32_t mask = c->cap_values - 1;
    uint32_t i = hash_name(name) & mask;
    while (c->values[i].name)
        i = (i + 1) & mask;
    v = &c->values[i];
    v->name = name;
    v->tensor = -1;
    v->n_uses = 0;
    c->n_values++;
    *out = v;
    return TML_OK;
}

bool onnx_is_graph_output(const onnx_ctx_t *c, const char *name)
{
    for (size_t i = 0; i < c->graph->n_output; i++)
        if (c->graph->output[i]->name && !strcmp(c->graph->output[i]->name, name))
            return true;
    return false;
}

/* ---- the op table ---- */

static const onnx_op_entry_t op_table[] = {
    {"Add", onnx_conv_add},
    {"AveragePool", onnx_conv_avgpool},
    {"BatchNormalization", onnx_conv_batchnorm},
    {"Cast", onnx_conv_cast},
    {"Clip", onnx_conv_clip},
    {"Concat", onnx_conv_concat},
    {"Constant", onnx_conv_constant},
    {"Conv", onnx_conv_conv},
    {"DequantizeLinear", onnx_conv_dequantize},
    {"Div", onnx_conv_div},
    {"Dropout", onnx_conv_identity},
    {"Flatten", onnx_conv_flatten},
    {"Gather", onnx_conv_gather},
    {"Gemm", onnx_conv_gemm},
    {"GlobalAveragePool", onnx_conv_global_avgpool},
    {"GlobalMaxPool", onnx_conv_global_maxpool},
    {"HardSigmoid", onnx_conv_hard_sigmoid},
    {"HardSwish", onnx_conv_hard_swish},
    {"Identity", onnx_conv_identity},
    {"LeakyRelu", onnx_conv_leaky_relu},
    {"MatMul", onnx_conv_matmul},
    {"MaxPool", onnx_conv_maxpool},
    {"Mul", onnx_conv_mul},
    {"PRelu", onnx_conv_prelu},
    {"Pad", onnx_conv_pad},
    {"QLinearConv", onnx_conv_qlinear_conv},
    {"QLinearMatMul", onnx_conv_qlinear_matmul},
    {"QuantizeLinear", onnx_conv_quantize},
    {"ReduceMean", onnx_conv_reduce_mean},
    {"Relu", onnx_conv_relu},
    {"Reshape", onnx_conv_reshape},
    {"Shape", onnx_conv_shape},
    {"Sigmoid", onnx_conv_sigmoid},
    {"Slice", onnx_conv_slice},
    {"Softmax", onnx_conv_softmax},
    {"Split", onnx_conv_split},
    {"Squeeze", onnx_conv_squeeze},
    {"Sub", onnx_conv_sub},
    {"Tanh", onnx_conv_tanh},
    {"Transpose", onnx_conv_transpose},
    {"Unsqueeze", onnx_conv_unsqueeze},
};

onnx_convert_fn onnx_find_op(const char *op_type)
{
    for (size_t i = 0; i < sizeof(op_table) / sizeof(op_table[0]); i++)
        if (!strcmp(op_table[i].op_type, op_type))
            return op_table[i].convert;
    return NULL;
}

/* ---- the import ---- */

static bool is_default_domain(const char *domain)
{
    return !domain || !domain[0] || !strcmp(domain, "ai.onnx");
}

static tml_status_t find_opset(onnx_ctx_t *c, const TmlOnnx__ModelProto *m)
{
    c->opset = -1;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const TmlOnnx__OperatorSetIdProto *o = m->opset_import[i];
        if (is_default_domain(o->domain))
            c->opset = o->has_version ? o->version : 1;
    }
    if (c->opset < 0) {
        /* IR version 1 and 2 files predate opset_import: opset 1. */
        if (m->n_opset_import == 0 && m->has_ir_version && m->ir_version < 3)
            c->opset = 1;
        else
            return tml_err_set(c->err, TML_ERR_CORRUPT, "the model imports no opset of the "
                               "default ONNX domain");
    }
    if (c->opset < 1 || c->opset > TML_ONNX_MAX_OPSET)
        return tml_err_set(c->err, TML_ERR_UNSUPPORTED, "default-domain opset %lld is not "
                           "supported (1..%d)", (long long)c->opset, TML_ONNX_MAX_OPSET);
    return TML_OK;
}

static tml_status_t add_graph_input(onnx_ctx_t *c, const TmlOnnx__ValueInfoProto *vi,
                                    int32_t *tensor)
{
    const char *name = vi->name;
    const TmlOnnx__TypeProto *type = vi->type;
    if (!type || type->value_case != TML_ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        !type->tensor_type)
        return tml_err_set(c->err, TML_ERR_UNSUPPORTED, "graph input '%s' is not a tensor",
                           name);
    const TmlOnnx__TypeProto__Tensor *tt = type->tensor_type;
    tml_dtype_t dtype = onnx_dtype(tt->elem_type);
    if (dtype == TML_DT_UNKNOWN)
        return tml_err_set(c->err, TML_ERR_UNSUPPORTED, "graph input '%s': element type %s "
                           "is not supported", name, onnx_dtype_name(tt->elem_type));
    if (!tt->shape)
        return tml_err_set(c->err, TML_ERR_UNSUPPORTED, "graph input '%s' has no shape: "
                           "only static shapes are supported", name);
    if (tt->shape->n_dim > TML_IR_MAX_DIMS)
        return tml_err_set(c->err, TML_ERR_UNSUPPORTED, "graph input '%s' has %zu dims, at "
                           "most %d", name, tt->shape->n_dim, TML_IR_MAX_DIMS);
    int32_t dims[TML_IR_MAX_DIMS];
    int n_dims = (int)tt->shape->n_dim;
    for (int d = 0; d < n_dims; d++) {
        const TmlOnnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
        bool known = dim->value_case == TML_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        if (!known && d == 0) {
            dims[d] = 1; /* symbolic batch */
            continue;
        }
        if (!known)
            return tml_err_set(c->err, TML_ERR_UNSUPPORTED, "graph input '%s': dim %d is "
                               "symbolic ('%s'): only static shapes are supported", name, d,
                               dim->value_case == TML_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                                   ? dim->dim_param : "");
        if (dim->dim_value < 0 || dim->dim_value > INT32_MAX)
            return tml_err_set(c->err, TML_ERR_CORRUPT, "graph input '%s': dim %d is %lld",
                               name, d, (long long)dim->dim_value);
        dims[d] = (int32_t)dim->dim_value;
    }
    if (!onnx_dims_ok(n_dims, dims))
        return tml_err_set(c->err, TML_ERR_UNSUPPORTED, "graph input '%s': too large", name);
    if (tml_ir_add_tensor(c->g, name, dtype, n_dims, dims, tensor) != TML_OK)
        return tml_err_set(c->err, TML_ERR_NOMEM, "out of memory");
    return TML_OK;
}

static int32_t find_frozen(const onnx_ctx_t *c, const char *name)
{
    for (int i = 0; c->frozen && i < c->frozen->n_tensors; i++)
        if (c->frozen->tensors[i].data && !strcmp(c->frozen->tensors[i].name, name))
            return i;
    return -1;
}

static tml_status_t copy_frozen(onnx_ctx_t *c, int32_t idx, int32_t *tensor)
{
    const tml_ir_tensor_t *t = &c->frozen->tensors[idx];
    if (!onnx_dims_ok(t->n_dims, t->dims) || t->data_len != tml_ir_tensor_bytes(t))
        return tml_err_set(c->err, TML_ERR_ARG, "frozen input '%s': bad shape", t->name);
    if (tml_ir_add_tensor(c->g, t->name, t->dtype, t->n_dims, t->dims, tensor) != TML_OK ||
        tml_ir_set_data(c->g, *tensor, t->data, t->data_len) != TML_OK)
        return tml_err_set(c->err, TML_ERR_NOMEM, "out of memory");
    return TML_OK;
}

static tml_status_t convert_nodes(onnx_ctx_t *c)
{
    const TmlOnnx__GraphProto *gp = c->graph;
    for (size_t i = 0; i < gp->n_node; i++) {
        const onnx_node_t *node = gp->node[i];
        c->node = node;
        c->node_idx = (int)i;
        if (!node->op_type)
            return onnx_fail(c, TML_ERR_CORRUPT, "node without an op_type");
        if (!is_default_domain(node->domain))
            return onnx_fail(c, TML_ERR_UNSUPPORTED, "operator domain '%s' is not supported "
                             "(only the default ONNX domain)", node->domain);
        for (size_t j = 0; j < node->n_input; j++)
            if (!node->input[j])
                return onnx_fail(c, TML_ERR_CORRUPT, "input %zu has no name", j);
        for (size_t j = 0; j < node->n_output; j++)
            if (!node->output[j])
                return onnx_fail(c, TML_ERR_CORRUPT, "output %zu has no name", j);
        onnx_convert_fn fn = onnx_find_op(node->op_type);
        if (!fn)
            return onnx_fail(c, TML_ERR_UNSUPPORTED, "operator %s is not supported",
                             node->op_type);
        tml_status_t st = fn(c);
        if (st != TML_OK)
            return st;
        for (size_t j = 0; j < node->n_output; j++) {
            onnx_value_t *v = node->output[j][0] ? onnx_value_get(c, node->output[j]) : NULL;
            if (v && v->tensor < 0 && v->n_uses > 0)
                return onnx_fail(c, TML_ERR_UNSUPPORTED, "output %zu ('%s') is not supported",
                                 j, node->output[j]);
        }
    }
    c->node = NULL;
    return TML_OK;
}

static tml_status_t import_graph(onnx_ctx_t *c, const TmlOnnx__ModelProto *m, bool nchw)
{
    const TmlOnnx__GraphProto *gp = m->graph;
    tml_status_t st = find_opset(c, m);
    if (st != TML_OK)
        return st;
    if (tml_ir_init(c->g, gp->name ? gp->name : "onnx") != TML_OK)
        return tml_err_set(c->err, TML_ERR_NOMEM, "out of memory");

    /* Every name the graph mentions, with its reader count. */
    size_t n_names = gp->n_initializer + gp->n_input + gp->n_output;
    for (size_t i = 0; i < gp->n_node; i++)
        n_names += gp->node[i]->n_input + gp->node[i]->n_output;
    c->cap_values = 64;
    while (c->cap_values < 2 * n_names && c->cap_values < (1u << 30))
        c->cap_values *= 2;
    c->values = tml_calloc(c->cap_values, sizeof(onnx_value_t));
    if (!c->values)
        return tml_err_set(c->err, TML_ERR_NOMEM, "out of memory");
    onnx_value_t *v;
    for (size_t i = 0; i < gp->n_node; i++) {
        for (size_t j = 0; j < gp->node[i]->n_input; j++) {
            const char *name = gp->node[i]->input[j];
            if (!name || !name[0])
                continue;
            if (onnx_value_add(c, name, &v) != TML_OK)
                return tml_err_set(c->err, TML_ERR_NOMEM, "out of memory");
            v->n_uses++;
        }
    }
    for (size_t i = 0; i < gp->n_output; i++) {
        if (!gp->output[i]->name)
            return tml_err_set(c->err, TML_ERR_CORRUPT, "graph output %zu has no name", i);
        if (onnx_value_add(c, gp->output[i]->name, &v) != TML_OK)
            return tml_err_set(c->err, TML_ERR_NOMEM, "out of memory");
        v->n_uses++;
    }

    for (size_t i = 0; i < gp->n_initializer; i++) {
        const onnx_tensor_t *t = gp->initializer[i];
        if (!t->name || !t->name[0])
            return tml_err_set(c->err, TML_ERR_CORRUPT, "initializer %zu has no name", i);
        if (onnx_value_add(c, t->name, &v) != TML_OK)
            return tml_err_set(c->err, TML_ERR_NOMEM, "out of memory");
        if (v->tensor >= 0)
            return tml_err_set(c->err, TML_ERR_CORRUPT, "initializer '%s' is given twice",
                               t->name);
        if ((st = onnx_tensor_import(c, t, t->name, &v->tensor)) != TML_OK)
            return st;
    }

    int32_t *io = tml_malloc((gp->n_input + gp->n_output + 1) * sizeof(int32_t));
    if (!io)
        return tml_err_set(c->err, TML_ERR_NOMEM, "out of memory");
    int n_inputs = 0, n_outputs = 0;
    for (size_t i = 0; i < gp->n_input && st == TML_OK; i++) {
        const TmlOnnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name || !vi->name[0]) {
            st = tml_err_set(c->err, TML_ERR_CORRUPT, "graph input %zu has no name", i);
            break;
        }
        if ((st = onnx_value_add(c, vi->name, &v)) != TML_OK) {
            st = tml_err_set(c->err, st, "out of memory");
            break;
        }
        if (v->tensor >= 0)
            continue; /* an initializer listed as input: a constant */
        int32_t fz = find_frozen(c, vi->name);
        if (fz >= 0) {
            st = copy_frozen(c, fz, &v->tensor);
            continue;
        }
        if ((st = add_graph_input(c, vi, &v->tensor)) == TML_OK)
            io[n_inputs++] = v->tensor;
    }
    if (st == TML_OK)
        st = tml_ir_set_io(c->g, io, n_inputs, NULL, 0);
    if (st == TML_OK)
        st = convert_nodes(c);
    for (size_t i = 0; i < gp->n_output && st == TML_OK; i++) {
        v = onnx_value_get(c, gp->output[i]->name);
        if (!v || v->tensor < 0)
            st = tml_err_set(c->err, TML_ERR_CORRUPT, "graph output '%s' is never computed",
                             gp->output[i]->name);
        else if (tml_ir_is_const(&c->g->tensors[v->tensor]))
            st = tml_err_set(c->err, TML_ERR_UNSUPPORTED, "graph output '%s' is a constant",
                             gp->output[i]->name);
        else
            io[n_inputs + n_outputs++] = v->tensor;
    }
    if (st == TML_OK && tml_ir_set_io(c->g, io, n_inputs, io + n_inputs, n_outputs) != TML_OK)
        st = tml_err_set(c->err, TML_ERR_NOMEM, "out of memory");
    tml_free(io);
    if (st != TML_OK)
        return st;
    if (!nchw && (st = tml_pass_layout_nhwc(c->g, c->err)) != TML_OK)
        return st;
    if ((st = tml_ir_compact(c->g, NULL)) != TML_OK)
        return tml_err_set(c->err, st, "out of memory");
    return tml_ir_validate(c->g, c->err);
}

static tml_status_t import(const uint8_t *buf, size_t len, const char *model_path,
                           const tml_ir_graph_t *frozen, tml_ir_graph_t *g, tml_err_t *err,
                           bool nchw)
{
    if (!g)
        return tml_err_set(err, TML_ERR_ARG, "onnx import: no graph given");
    memset(g, 0, sizeof(*g));
    if (!buf && len)
        return tml_err_set(err, TML_ERR_ARG, "onnx import: no buffer given");
    bool oom = false;
    ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, &oom};
    TmlOnnx__ModelProto *m = tml_onnx__model_proto__unpack(&pb_allocator, len, buf);
    if (!m && oom)
        return tml_err_set(err, TML_ERR_NOMEM, "onnx: out of memory decoding the model");
    if (!m)
        return tml_err_set(err, TML_ERR_CORRUPT, "onnx: not a valid ONNX model (protobuf "
                           "decoding failed)");
    tml_status_t st;
    if (!m->graph) {
        st = tml_err_set(err, TML_ERR_CORRUPT, "onnx: the model has no graph");
    } else {
        onnx_ctx_t c = {.g = g, .err = err, .model_path = model_path, .frozen = frozen,
                        .graph = m->graph, .node_idx = -1};
        st = import_graph(&c, m, nchw);
        tml_free(c.values);
        for (int i = 0; i < c.n_owned; i++)
            tml_free(c.owned[i]);
        tml_free(c.owned);
        if (st != TML_OK)
            tml_err_wrap(err, "onnx");
    }
    tml_onnx__model_proto__free_unpacked(m, &pb_allocator);
    if (st != TML_OK)
        tml_ir_free(g);
    return st;
}

tml_status_t tml_onnx_import(const uint8_t *buf, size_t len, const char *model_path,
                             tml_ir_graph_t *g, tml_err_t *err)
{
    return import(buf, len, model_path, NULL, g, err, false);
}

tml_status_t tml_onnx_import_frozen(const uint8_t *buf, size_t len, const char *model_path,
                                    const tml_ir_graph_t *frozen, tml_ir_graph_t *g,
                                    tml_err_t *err)
{
    return import(buf, len, model_path, frozen, g, err, false);
}

tml_status_t tml_onnx_import_nchw(const uint8_t *buf, size_t len, const char *model_path,
                                  tml_ir_graph_t *g, tml_err_t *err)
{
    return import(buf, len, model_path, NULL, g, err, true);
}

tml_status_t tml_onnx_tensor_decode(const uint8_t *buf, size_t len, tml_ir_graph_t *g,
                                    int32_t *tensor, tml_err_t *err)
{
    if (!g || !tensor || (!buf && len))
        return tml_err_set(err, TML_ERR_ARG, "onnx tensor: bad arguments");
    bool oom = false;
    ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, &oom};
    TmlOnnx__TensorProto *t = tml_onnx__tensor_proto__unpack(&pb_allocator, len, buf);
    if (!t)
        return tml_err_set(err, oom ? TML_ERR_NOMEM : TML_ERR_CORRUPT,
                           oom ? "onnx tensor: out of memory" : "onnx tensor: not a TensorProto");
    onnx_ctx_t c = {.g = g, .err = err, .node_idx = -1};
    tml_status_t st;
    if (t->has_data_location && t->data_location == TML_ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        st = tml_err_set(err, TML_ERR_UNSUPPORTED, "onnx tensor: external data");
    else
        st = onnx_tensor_import(&c, t, t->name && t->name[0] ? t->name : "tensor", tensor);
    tml_onnx__tensor_proto__free_unpacked(t, &pb_allocator);
    return st;
}
