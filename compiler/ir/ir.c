/*
 * ir.c - building, checking and printing the graph IR (see tml/ir.h).
 */
#include <inttypes.h>
#include <string.h>

#include "tml/ir.h"

static const char *const op_names[] = {
    "CONV2D", "DEPTHWISE_CONV2D", "FULLY_CONNECTED", "AVG_POOL2D", "MAX_POOL2D",
    "ADD", "SUB", "MUL", "DIV", "RESHAPE", "SOFTMAX", "QUANTIZE", "DEQUANTIZE",
    "CONCAT", "PAD", "MEAN", "LOGISTIC", "TANH", "RELU", "RELU6", "RELU_N1_TO_1",
    "HARD_SWISH", "LEAKY_RELU", "PRELU", "CLIP", "TRANSPOSE", "SLICE", "SPLIT",
    "HARD_SIGMOID",
};
_Static_assert(sizeof(op_names) / sizeof(op_names[0]) == TML_OP_COUNT,
               "op_names must list every tml_ir_op_t");

static const char *const dtype_names[] = {"unknown", "float32", "int8", "uint8", "int16",
                                          "int32", "int64", "bool"};
_Static_assert(sizeof(dtype_names) / sizeof(dtype_names[0]) == TML_DT_COUNT,
               "dtype_names must list every tml_dtype_t");

const char *tml_ir_op_name(tml_ir_op_t op)
{
    return (unsigned)op < TML_OP_COUNT ? op_names[op] : "?";
}

const char *tml_dtype_name(tml_dtype_t dtype)
{
    return (unsigned)dtype < TML_DT_COUNT ? dtype_names[dtype] : "?";
}

const char *tml_act_name(tml_act_t act)
{
    switch (act) {
    case TML_ACT_NONE: return "none";
    case TML_ACT_RELU: return "relu";
    case TML_ACT_RELU_N1_TO_1: return "relu_n1_to_1";
    case TML_ACT_RELU6: return "relu6";
    }
    return "?";
}

tml_status_t tml_ir_init(tml_ir_graph_t *g, const char *name)
{
    memset(g, 0, sizeof(*g));
    g->name = tml_strdup(name ? name : "");
    return g->name ? TML_OK : TML_ERR_NOMEM;
}

static void free_tensor(tml_ir_tensor_t *t)
{
    tml_free(t->name);
    tml_free(t->data);
    tml_free(t->quant.scale);
    tml_free(t->quant.zero_point);
}

static void free_node(tml_ir_node_t *n)
{
    tml_free(n->name);
    tml_free(n->in);
    tml_free(n->out);
}

void tml_ir_free(tml_ir_graph_t *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_tensors; i++)
        free_tensor(&g->tensors[i]);
    for (int i = 0; i < g->n_nodes; i++)
        free_node(&g->nodes[i]);
    tml_free(g->tensors);
    tml_free(g->nodes);
    tml_free(g->inputs);
    tml_free(g->outputs);
    tml_free(g->name);
    memset(g, 0, sizeof(*g));
}

/* Grows *array (of elem-sized items, *cap capacity) to hold one more than n. */
static tml_status_t grow(void **array, int *cap, int n, size_t elem)
{
    if (n < *cap)
        return TML_OK;
    int new_cap = *cap ? *cap * 2 : 16;
    void *bigger = tml_realloc(*array, (size_t)new_cap * elem);
    if (!bigger)
        return TML_ERR_NOMEM;
    *array = bigger;
    *cap = new_cap;
    return TML_OK;
}

static int32_t *dup_i32(const int32_t *src, int n)
{
    int32_t *copy = tml_malloc(n > 0 ? (size_t)n * sizeof(int32_t) : 1);
    if (copy && n > 0)
        memcpy(copy, src, (size_t)n * sizeof(int32_t));
    return copy;
}

tml_status_t tml_ir_add_tensor(tml_ir_graph_t *g, const char *name, tml_dtype_t dtype,
                               int n_dims, const int32_t *dims, int32_t *index)
{
    if (n_dims < 0 || n_dims > TML_IR_MAX_DIMS || (n_dims > 0 && !dims))
        return TML_ERR_ARG;
    if (grow((void **)&g->tensors, &g->cap_tensors, g->n_tensors, sizeof(tml_ir_tensor_t)))
        return TML_ERR_NOMEM;
    tml_ir_tensor_t *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof(*t));
    char fallback[32];
    if (!name) {
        snprintf(fallback, sizeof(fallback), "t%d", g->n_tensors);
        name = fallback;
    }
    t->name = tml_strdup(name);
    if (!t->name)
        return TML_ERR_NOMEM;
    t->dtype = dtype;
    t->n_dims = n_dims;
    for (int i = 0; i < n_dims; i++)
        t->dims[i] = dims[i];
    if (index)
        *index = g->n_tensors;
    g->n_tensors++;
    return TML_OK;
}

tml_status_t tml_ir_set_data(tml_ir_graph_t *g, int32_t idx, const void *data, size_t len)
{
    if (idx < 0 || idx >= g->n_tensors)
        return TML_ERR_ARG;
    tml_ir_tensor_t *t = &g->tensors[idx];
    if (len != tml_ir_tensor_bytes(t))
        return TML_ERR_ARG;
    uint8_t *copy = tml_malloc(len ? len : 1);
    if (!copy)
        return TML_ERR_NOMEM;
    if (len)
        memcpy(copy, data, len);
    tml_free(t->data);
    t->data = copy;
    t->data_len = len;
    return TML_OK;
}

tml_status_t tml_ir_set_quant(tml_ir_graph_t *g, int32_t idx, int n, const float *scale,
                              const int32_t *zero_point, int axis)
{
    if (idx < 0 || idx >= g->n_tensors || n < 0)
        return TML_ERR_ARG;
    tml_ir_tensor_t *t = &g->tensors[idx];
    float *s = NULL;
    int32_t *z = NULL;
    if (n > 0) {
        s = tml_malloc((size_t)n * sizeof(float));
        z = tml_malloc((size_t)n * sizeof(int32_t));
        if (!s || !z) {
            tml_free(s);
            tml_free(z);
            return TML_ERR_NOMEM;
        }
        memcpy(s, scale, (size_t)n * sizeof(float));
        memcpy(z, zero_point, (size_t)n * sizeof(int32_t));
    }
    tml_free(t->quant.scale);
    tml_free(t->quant.zero_point);
    t->quant.n = n;
    t->quant.axis = n > 1 ? axis : 0;
    t->quant.scale = s;
    t->quant.zero_point = z;
    return TML_OK;
}

tml_status_t tml_ir_add_node(tml_ir_graph_t *g, tml_ir_op_t op, const char *name,
                             const int32_t *in, int n_in, const int32_t *out, int n_out,
                             const tml_ir_attrs_t *attrs, int32_t *index)
{
    if ((unsigned)op >= TML_OP_COUNT || n_in < 0 || n_out < 0)
        return TML_ERR_ARG;
    if (grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes, sizeof(tml_ir_node_t)))
        return TML_ERR_NOMEM;
    tml_ir_node_t node;
    memset(&node, 0, sizeof(node));
    node.op = op;
    node.n_in = n_in;
    node.n_out = n_out;
    node.name = tml_strdup(name ? name : "");
    node.in = dup_i32(in, n_in);
    node.out = dup_i32(out, n_out);
    if (!node.name || !node.in || !node.out) {
        free_node(&node);
        return TML_ERR_NOMEM;
    }
    if (attrs)
        node.attrs = *attrs;
    g->nodes[g->n_nodes] = node;
    if (index)
        *index = g->n_nodes;
    g->n_nodes++;
    return TML_OK;
}

tml_status_t tml_ir_set_io(tml_ir_graph_t *g, const int32_t *inputs, int n_inputs,
                           const int32_t *outputs, int n_outputs)
{
    int32_t *in = dup_i32(inputs, n_inputs);
    int32_t *out = dup_i32(outputs, n_outputs);
    if (!in || !out) {
        tml_free(in);
        tml_free(out);
        return TML_ERR_NOMEM;
    }
    tml_free(g->inputs);
    tml_free(g->outputs);
    g->inputs = in;
    g->n_inputs = n_inputs;
    g->outputs = out;
    g->n_outputs = n_outputs;
    return TML_OK;
}

tml_status_t tml_ir_compact(tml_ir_graph_t *g, const bool *keep_node)
{
    bool *used = tml_calloc((size_t)g->n_tensors + 1, sizeof(bool));
    int32_t *remap = tml_malloc(((size_t)g->n_tensors + 1) * sizeof(int32_t));
    if (!used || !remap) {
        tml_free(used);
        tml_free(remap);
        return TML_ERR_NOMEM;
    }
    int n_kept = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (keep_node && !keep_node[i]) {
            free_node(&g->nodes[i]);
            continue;
        }
        g->nodes[n_kept++] = g->nodes[i];
    }
    g->n_nodes = n_kept;
    for (int i = 0; i < g->n_nodes; i++) {
        for (int j = 0; j < g->nodes[i].n_in; j++)
            if (g->nodes[i].in[j] >= 0)
                used[g->nodes[i].in[j]] = true;
        for (int j = 0; j < g->nodes[i].n_out; j++)
            used[g->nodes[i].out[j]] = true;
    }
    for (int i = 0; i < g->n_inputs; i++)
        used[g->inputs[i]] = true;
    for (int i = 0; i < g->n_outputs; i++)
        used[g->outputs[i]] = true;
    int n_tensors = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        if (!used[i]) {
            free_tensor(&g->tensors[i]);
            remap[i] = -1;
            continue;
        }
        remap[i] = n_tensors;
        g->tensors[n_tensors++] = g->tensors[i];
    }
    g->n_tensors = n_tensors;
    for (int i = 0; i < g->n_nodes; i++) {
        for (int j = 0; j < g->nodes[i].n_in; j++)
            if (g->nodes[i].in[j] >= 0)
                g->nodes[i].in[j] = remap[g->nodes[i].in[j]];
        for (int j = 0; j < g->nodes[i].n_out; j++)
            g->nodes[i].out[j] = remap[g->nodes[i].out[j]];
    }
    for (int i = 0; i < g->n_inputs; i++)
        g->inputs[i] = remap[g->inputs[i]];
    for (int i = 0; i < g->n_outputs; i++)
        g->outputs[i] = remap[g->outputs[i]];
    tml_free(used);
    tml_free(remap);
    return TML_OK;
}

int64_t tml_ir_tensor_elems(const tml_ir_tensor_t *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->n_dims; i++)
        n *= t->dims[i] < 0 ? 0 : t->dims[i];
    return n;
}

size_t tml_ir_tensor_bytes(const tml_ir_tensor_t *t)
{
    return (size_t)tml_ir_tensor_elems(t) * tml_dtype_size(t->dtype);
}

bool tml_ir_is_const(const tml_ir_tensor_t *t) { return t->data != NULL; }

int32_t tml_ir_producer(const tml_ir_graph_t *g, int32_t idx)
{
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_out; j++)
            if (g->nodes[i].out[j] == idx)
                return i;
    return -1;
}

int tml_ir_n_consumers(const tml_ir_graph_t *g, int32_t idx)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++)
            n += g->nodes[i].in[j] == idx;
    for (int i = 0; i < g->n_outputs; i++)
        n += g->outputs[i] == idx;
    return n;
}

tml_status_t tml_ir_validate(const tml_ir_graph_t *g, tml_err_t *err)
{
    tml_status_t st = TML_OK;
    uint8_t *ready = tml_calloc((size_t)g->n_tensors + 1, 1);
    if (!ready)
        return tml_err_set(err, TML_ERR_NOMEM, "validate: out of memory");
    for (int i = 0; i < g->n_tensors && st == TML_OK; i++) {
        const tml_ir_tensor_t *t = &g->tensors[i];
        if (t->dtype <= TML_DT_UNKNOWN || t->dtype >= TML_DT_COUNT)
            st = tml_err_set(err, TML_ERR_CORRUPT, "tensor %d (%s): unknown dtype", i, t->name);
        else if (t->n_dims < 0 || t->n_dims > TML_IR_MAX_DIMS)
            st = tml_err_set(err, TML_ERR_CORRUPT, "tensor %d (%s): %d dims", i, t->name, t->n_dims);
        for (int d = 0; d < t->n_dims && st == TML_OK; d++)
            if (t->dims[d] < 0)
                st = tml_err_set(err, TML_ERR_CORRUPT, "tensor %d (%s): dim %d is %" PRId32,
                                 i, t->name, d, t->dims[d]);
        if (st == TML_OK && t->data && t->data_len != tml_ir_tensor_bytes(t))
            st = tml_err_set(err, TML_ERR_CORRUPT, "tensor %d (%s): %zu data bytes for a shape of %zu",
                             i, t->name, t->data_len, tml_ir_tensor_bytes(t));
        if (t->data)
            ready[i] = 1;
    }
    for (int i = 0; i < g->n_inputs && st == TML_OK; i++) {
        if (g->inputs[i] < 0 || g->inputs[i] >= g->n_tensors)
            st = tml_err_set(err, TML_ERR_CORRUPT, "graph input %d: bad tensor index", i);
        else
            ready[g->inputs[i]] = 1;
    }
    for (int i = 0; i < g->n_nodes && st == TML_OK; i++) {
        const tml_ir_node_t *n = &g->nodes[i];
        for (int j = 0; j < n->n_in && st == TML_OK; j++) {
            int32_t x = n->in[j];
            if (x == -1)
                continue;
            if (x < 0 || x >= g->n_tensors)
                st = tml_err_set(err, TML_ERR_CORRUPT, "node %d (%s): input %d: bad tensor index",
                                 i, tml_ir_op_name(n->op), j);
            else if (!ready[x])
                st = tml_err_set(err, TML_ERR_CORRUPT,
                                 "node %d (%s): input %d (%s) is not computed before it",
                                 i, tml_ir_op_name(n->op), j, g->tensors[x].name);
        }
        for (int j = 0; j < n->n_out && st == TML_OK; j++) {
            int32_t x = n->out[j];
            if (x < 0 || x >= g->n_tensors)
                st = tml_err_set(err, TML_ERR_CORRUPT, "node %d (%s): output %d: bad tensor index",
                                 i, tml_ir_op_name(n->op), j);
            else if (ready[x])
                st = tml_err_set(err, TML_ERR_CORRUPT,
                                 "node %d (%s): output %s is also produced elsewhere",
                                 i, tml_ir_op_name(n->op), g->tensors[x].name);
            else
                ready[x] = 1;
        }
    }
    for (int i = 0; i < g->n_outputs && st == TML_OK; i++)
        if (g->outputs[i] < 0 || g->outputs[i] >= g->n_tensors || !ready[g->outputs[i]])
            st = tml_err_set(err, TML_ERR_CORRUPT, "graph output %d is never computed", i);
    tml_free(ready);
    return st;
}

int64_t tml_ir_node_macs(const tml_ir_graph_t *g, const tml_ir_node_t *n)
{
    if (n->n_in < 2 || n->n_out < 1 || n->in[1] < 0)
        return 0;
    const tml_ir_tensor_t *w = &g->tensors[n->in[1]];
    const tml_ir_tensor_t *out = &g->tensors[n->out[0]];
    int64_t out_elems = tml_ir_tensor_elems(out);
    switch (n->op) {
    case TML_OP_CONV2D:
        /* each output element: KH * KW * C_in products */
        if (w->n_dims != 4)
            return 0;
        return out_elems * w->dims[1] * w->dims[2] * w->dims[3];
    case TML_OP_DEPTHWISE_CONV2D:
        if (w->n_dims != 4)
            return 0;
        return out_elems * w->dims[1] * w->dims[2];
    case TML_OP_FULLY_CONNECTED:
        if (w->n_dims != 2)
            return 0;
        return out_elems * w->dims[1];
    default:
        return 0;
    }
}

static void dump_dims(FILE *out, const tml_ir_tensor_t *t)
{
    fputc('[', out);
    for (int d = 0; d < t->n_dims; d++)
        fprintf(out, d ? ",%" PRId32 : "%" PRId32, t->dims[d]);
    fputc(']', out);
}

void tml_ir_dump(const tml_ir_graph_t *g, FILE *out)
{
    fprintf(out, "graph %s: %d tensors, %d nodes\n", g->name, g->n_tensors, g->n_nodes);
    for (int i = 0; i < g->n_nodes; i++) {
        const tml_ir_node_t *n = &g->nodes[i];
        fprintf(out, "  %s(", tml_ir_op_name(n->op));
        for (int j = 0; j < n->n_in; j++) {
            if (j)
                fputs(", ", out);
            if (n->in[j] < 0) {
                fputs("-", out);
                continue;
            }
            const tml_ir_tensor_t *t = &g->tensors[n->in[j]];
            fprintf(out, "%s%s:%s", t->data ? "const " : "", t->name, tml_dtype_name(t->dtype));
            dump_dims(out, t);
        }
        fputs(") -> ", out);
        for (int j = 0; j < n->n_out; j++) {
            const tml_ir_tensor_t *t = &g->tensors[n->out[j]];
            fprintf(out, "%s%s:%s", j ? ", " : "", t->name, tml_dtype_name(t->dtype));
            dump_dims(out, t);
        }
        fputc('\n', out);
    }
}
