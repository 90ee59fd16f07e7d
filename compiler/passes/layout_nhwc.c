/*
 * layout_nhwc.c - the NCHW -> NHWC layout pass (see tml/pass_layout.h).
 *
 * Design: one walk over the nodes in execution order with a layout per
 * tensor, PLAIN (as the importer made it: NCHW for 4-D) or NHWC (its dims
 * and data permuted). Spatial ops want and make NHWC; layout-agnostic ops
 * take whatever their input has; axis-sensitive ops remap their axes when
 * their input is NHWC; everything else gets PLAIN inputs. A tensor needed in
 * the other layout gets one TRANSPOSE, shared by all readers (alt[]), and a
 * constant is permuted at compile time instead. The node array is rebuilt
 * as it goes so inserted TRANSPOSEs land right before their first reader.
 */
#include <string.h>

#include "tml/pass_layout.h"

enum { PLAIN = 0, NHWC = 1 };

/* Position in NHWC of each NCHW axis, and the permutations both ways. */
static const int32_t nhwc_pos[4] = {0, 3, 1, 2};
static const int32_t to_nhwc_perm[4] = {0, 2, 3, 1};
static const int32_t to_nchw_perm[4] = {0, 3, 1, 2};

typedef struct pass {
    tml_ir_graph_t *g;
    tml_err_t *err;
    uint8_t *layout;            /* per tensor */
    int32_t *alt;               /* per tensor: its copy in the other layout, -1 */
    int cap;
    int node;                   /* index of the node being rewritten (old numbering) */
} pass_t;

static tml_status_t fail(pass_t *p, tml_status_t st, const char *what)
{
    return tml_err_set(p->err, st, "layout pass: node %d: %s", p->node, what);
}

/* Grows the per-tensor arrays to cover every tensor of the graph. */
static tml_status_t track(pass_t *p)
{
    if (p->g->n_tensors <= p->cap)
        return TML_OK;
    int cap = p->g->n_tensors * 2 + 16;
    uint8_t *layout = tml_realloc(p->layout, (size_t)cap);
    if (!layout)
        return fail(p, TML_ERR_NOMEM, "out of memory");
    p->layout = layout;
    int32_t *alt = tml_realloc(p->alt, (size_t)cap * sizeof(int32_t));
    if (!alt)
        return fail(p, TML_ERR_NOMEM, "out of memory");
    p->alt = alt;
    for (int i = p->cap; i < cap; i++) {
        p->layout[i] = PLAIN;
        p->alt[i] = -1;
    }
    p->cap = cap;
    return TML_OK;
}

static void permute_dims(const int32_t *in, const int32_t *perm, int32_t *out)
{
    for (int i = 0; i < 4; i++)
        out[i] = in[perm[i]];
}

/* Row-major 4-D permutation of elem-sized items: out dim i is in dim perm[i]. */
static void permute_data(const uint8_t *src, const int32_t *dims, const int32_t *perm,
                         size_t elem, uint8_t *dst)
{
    int32_t od[4];
    permute_dims(dims, perm, od);
    size_t stride[4];
    stride[3] = 1;
    for (int d = 2; d >= 0; d--)
        stride[d] = stride[d + 1] * (size_t)dims[d + 1];
    size_t o = 0;
    for (int32_t a = 0; a < od[0]; a++)
        for (int32_t b = 0; b < od[1]; b++)
            for (int32_t c = 0; c < od[2]; c++)
                for (int32_t d = 0; d < od[3]; d++) {
                    size_t s = (size_t)a * stride[perm[0]] + (size_t)b * stride[perm[1]] +
                               (size_t)c * stride[perm[2]] + (size_t)d * stride[perm[3]];
                    memcpy(dst + o * elem, src + s * elem, elem);
                    o++;
                }
}

/* Copies the quantization of src to dst, the channel axis moved to NHWC
 * when remap. */
static tml_status_t copy_quant(pass_t *p, int32_t src, int32_t dst, bool remap)
{
    const tml_ir_quant_t *q = &p->g->tensors[src].quant;
    if (!q->n)
        return TML_OK;
    int axis = q->n > 1 && remap && q->axis < 4 ? nhwc_pos[q->axis] : q->axis;
    if (tml_ir_set_quant(p->g, dst, q->n, q->scale, q->zero_point, axis) != TML_OK)
        return fail(p, TML_ERR_NOMEM, "out of memory");
    return TML_OK;
}

/* A new tensor like src with dims permuted (4-D), named src + suffix. */
static tml_status_t add_like(pass_t *p, int32_t src, const int32_t *perm, const char *suffix,
                             int32_t *out)
{
    const tml_ir_tensor_t *t = &p->g->tensors[src];
    char name[256];
    snprintf(name, sizeof(name), "%s%s", t->name, suffix);
    int32_t dims[4];
    permute_dims(t->dims, perm, dims);
    tml_dtype_t dtype = t->dtype;
    if (tml_ir_add_tensor(p->g, name, dtype, 4, dims, out) != TML_OK)
        return fail(p, TML_ERR_NOMEM, "out of memory");
    return track(p);
}

/* A constant permuted with perm (any 4-D constant, weights included). */
static tml_status_t permuted_const(pass_t *p, int32_t src, const int32_t *perm,
                                   const char *suffix, int32_t *out)
{
    tml_status_t st = add_like(p, src, perm, suffix, out);
    if (st != TML_OK)
        return st;
    const tml_ir_tensor_t *t = &p->g->tensors[src];
    uint8_t *data = tml_malloc(t->data_len + 1);
    if (!data)
        return fail(p, TML_ERR_NOMEM, "out of memory");
    permute_data(t->data, t->dims, perm, tml_dtype_size(t->dtype), data);
    st = tml_ir_set_data(p->g, *out, data, t->data_len);
    tml_free(data);
    if (st != TML_OK)
        return fail(p, st, "out of memory");
    return copy_quant(p, src, *out, perm == to_nhwc_perm);
}

static tml_status_t add_transpose(pass_t *p, int32_t in, int32_t out, const int32_t *perm)
{
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    for (int i = 0; i < 4; i++)
        attrs.transpose.perm[i] = perm[i];
    char name[256];
    snprintf(name, sizeof(name), "%s/%s", p->g->tensors[in].name,
             perm == to_nhwc_perm ? "to_nhwc" : "to_nchw");
    if (tml_ir_add_node(p->g, TML_OP_TRANSPOSE, name, &in, 1, &out, 1, &attrs, NULL) != TML_OK)
        return fail(p, TML_ERR_NOMEM, "out of memory");
    return TML_OK;
}

/* Tensor t (4-D) in NHWC: itself, its NHWC copy, a permuted constant or a
 * new TRANSPOSE. */
static tml_status_t want_nhwc(pass_t *p, int32_t t, int32_t *out)
{
    if (p->layout[t] == NHWC) {
        *out = t;
        return TML_OK;
    }
    if (p->alt[t] >= 0) {
        *out = p->alt[t];
        return TML_OK;
    }
    tml_status_t st;
    if (tml_ir_is_const(&p->g->tensors[t])) {
        st = permuted_const(p, t, to_nhwc_perm, "/nhwc", out);
    } else {
        if ((st = add_like(p, t, to_nhwc_perm, "/nhwc", out)) == TML_OK &&
            (st = copy_quant(p, t, *out, true)) == TML_OK)
            st = add_transpose(p, t, *out, to_nhwc_perm);
    }
    if (st != TML_OK)
        return st;
    p->layout[*out] = NHWC;
    p->alt[t] = *out;
    p->alt[*out] = t;
    return TML_OK;
}

/* Tensor t in its plain (NCHW) layout. */
static tml_status_t want_plain(pass_t *p, int32_t t, int32_t *out)
{
    if (t < 0 || p->layout[t] == PLAIN) {
        *out = t;
        return TML_OK;
    }
    if (p->alt[t] >= 0) {
        *out = p->alt[t];
        return TML_OK;
    }
    tml_status_t st;
    if ((st = add_like(p, t, to_nchw_perm, "/nchw", out)) != TML_OK ||
        (st = copy_quant(p, t, *out, false)) != TML_OK)
        return st;
    if (p->g->tensors[t].quant.n > 1 && p->g->tensors[t].quant.axis < 4)
        p->g->tensors[*out].quant.axis = to_nchw_perm[p->g->tensors[t].quant.axis];
    if ((st = add_transpose(p, t, *out, to_nchw_perm)) != TML_OK)
        return st;
    p->layout[*out] = PLAIN;
    p->alt[t] = *out;
    p->alt[*out] = t;
    return TML_OK;
}

/* Declares output t (not yet produced) NHWC: its dims are permuted. */
static void make_nhwc(pass_t *p, int32_t t)
{
    tml_ir_tensor_t *x = &p->g->tensors[t];
    int32_t dims[4];
    permute_dims(x->dims, to_nhwc_perm, dims);
    memcpy(x->dims, dims, sizeof(dims));
    if (x->quant.n > 1 && x->quant.axis < 4)
        x->quant.axis = nhwc_pos[x->quant.axis];
    p->layout[t] = NHWC;
}

static bool is_4d(const pass_t *p, int32_t t)
{
    return t >= 0 && p->g->tensors[t].n_dims == 4;
}

static bool is_const(const pass_t *p, int32_t t)
{
    return t >= 0 && tml_ir_is_const(&p->g->tensors[t]);
}

/* A constant operand of a broadcasting op that runs in NHWC: given rank 4
 * (leading unit dims) and permuted. */
static tml_status_t broadcast_const_nhwc(pass_t *p, int32_t t, int32_t *out)
{
    const tml_ir_tensor_t *x = &p->g->tensors[t];
    if (x->n_dims == 4)
        return want_nhwc(p, t, out);
    int32_t dims[4] = {1, 1, 1, 1};
    for (int i = 0; i < x->n_dims; i++)
        dims[4 - x->n_dims + i] = x->dims[i];
    int32_t pd[4];
    permute_dims(dims, to_nhwc_perm, pd);
    char name[256];
    snprintf(name, sizeof(name), "%s/nhwc", x->name);
    tml_dtype_t dtype = x->dtype;
    if (tml_ir_add_tensor(p->g, name, dtype, 4, pd, out) != TML_OK)
        return fail(p, TML_ERR_NOMEM, "out of memory");
    tml_status_t st = track(p);
    if (st != TML_OK)
        return st;
    x = &p->g->tensors[t];
    uint8_t *data = tml_malloc(x->data_len + 1);
    if (!data)
        return fail(p, TML_ERR_NOMEM, "out of memory");
    permute_data(x->data, dims, to_nhwc_perm, tml_dtype_size(x->dtype), data);
    st = tml_ir_set_data(p->g, *out, data, x->data_len);
    tml_free(data);
    if (st != TML_OK)
        return fail(p, st, "out of memory");
    if ((st = copy_quant(p, t, *out, false)) != TML_OK)
        return st;
    p->layout[*out] = NHWC;
    return TML_OK;
}

static tml_status_t all_plain(pass_t *p, tml_ir_node_t *n)
{
    for (int i = 0; i < n->n_in; i++) {
        tml_status_t st = want_plain(p, n->in[i], &n->in[i]);
        if (st != TML_OK)
            return st;
    }
    return TML_OK;
}

static tml_status_t rewrite_spatial(pass_t *p, tml_ir_node_t *n)
{
    if (n->n_in < 1 || n->n_out != 1 || !is_4d(p, n->in[0]) || !is_4d(p, n->out[0]))
        return fail(p, TML_ERR_CORRUPT, "spatial op without 4-D input and output");
    tml_status_t st = want_nhwc(p, n->in[0], &n->in[0]);
    if (st != TML_OK)
        return st;
    if (n->op == TML_OP_CONV2D || n->op == TML_OP_DEPTHWISE_CONV2D) {
        int32_t w = n->n_in > 1 ? n->in[1] : -1;
        if (!is_const(p, w) || !is_4d(p, w))
            return fail(p, TML_ERR_UNSUPPORTED, "conv weights must be a 4-D constant");
        if (p->alt[w] >= 0) {
            n->in[1] = p->alt[w];
        } else {
            /* OIHW -> OHWI; depthwise [C*M, 1, KH, KW] -> [1, KH, KW, C*M] */
            static const int32_t ohwi[4] = {0, 2, 3, 1}, dw[4] = {1, 2, 3, 0};
            bool is_dw = n->op == TML_OP_DEPTHWISE_CONV2D;
            if ((st = permuted_const(p, w, is_dw ? dw : ohwi, is_dw ? "/1hwc" : "/ohwi",
                                     &n->in[1])) != TML_OK)
                return st;
            p->alt[w] = n->in[1];
        }
    }
    make_nhwc(p, n->out[0]);
    return TML_OK;
}

/* Elementwise op with broadcasting (or a unary one): NHWC when a 4-D
 * operand already is and every other operand can follow. */
static tml_status_t rewrite_elementwise(pass_t *p, tml_ir_node_t *n)
{
    bool any_nhwc = false, can = n->n_out == 1 && is_4d(p, n->out[0]);
    for (int i = 0; i < n->n_in; i++) {
        int32_t t = n->in[i];
        if (t < 0)
            continue;
        if (p->layout[t] == NHWC)
            any_nhwc = true;
        else if (!is_const(p, t) && !is_4d(p, t))
            can = false;
        else if (is_const(p, t) && p->g->tensors[t].n_dims > 4)
            can = false;
    }
    if (!any_nhwc || !can)
        return all_plain(p, n);
    for (int i = 0; i < n->n_in; i++) {
        int32_t t = n->in[i];
        tml_status_t st = TML_OK;
        if (t < 0)
            continue;
        if (is_const(p, t))
            st = broadcast_const_nhwc(p, t, &n->in[i]);
        else
            st = want_nhwc(p, t, &n->in[i]);
        if (st != TML_OK)
            return st;
    }
    make_nhwc(p, n->out[0]);
    return TML_OK;
}

/* CONCAT, SPLIT, PAD, SLICE: NHWC when the (first non-const) input is. */
static tml_status_t rewrite_axis_op(pass_t *p, tml_ir_node_t *n)
{
    bool nhwc = false;
    for (int i = 0; i < n->n_in; i++)
        if (n->in[i] >= 0 && p->layout[n->in[i]] == NHWC)
            nhwc = true;
    for (int i = 0; i < n->n_in; i++)
        if (n->in[i] >= 0 && !is_4d(p, n->in[i]))
            nhwc = false;
    if (!nhwc)
        return all_plain(p, n);
    for (int i = 0; i < n->n_in; i++) {
        tml_status_t st = want_nhwc(p, n->in[i], &n->in[i]);
        if (st != TML_OK)
            return st;
    }
    tml_ir_attrs_t *a = &n->attrs;
    switch (n->op) {
    case TML_OP_CONCAT:
    case TML_OP_SPLIT:
        a->axis.axis = nhwc_pos[a->axis.axis & 3];
        break;
    case TML_OP_PAD: {
        tml_ir_pad_t old = a->pad;
        for (int i = 0; i < 4; i++) {
            a->pad.before[nhwc_pos[i]] = old.before[i];
            a->pad.after[nhwc_pos[i]] = old.after[i];
        }
        break;
    }
    case TML_OP_SLICE: {
        tml_ir_slice_t old = a->slice;
        for (int i = 0; i < 4; i++) {
            a->slice.begin[nhwc_pos[i]] = old.begin[i];
            a->slice.stride[nhwc_pos[i]] = old.stride[i];
        }
        break;
    }
    default:
        break;
    }
    for (int i = 0; i < n->n_out; i++)
        make_nhwc(p, n->out[i]);
    return TML_OK;
}

static tml_status_t rewrite_softmax(pass_t *p, tml_ir_node_t *n)
{
    /* Channels of an image become the last axis in NHWC. */
    if (is_4d(p, n->in[0]) && n->attrs.softmax.axis == 1) {
        tml_status_t st = want_nhwc(p, n->in[0], &n->in[0]);
        if (st != TML_OK)
            return st;
        n->attrs.softmax.axis = 3;
        make_nhwc(p, n->out[0]);
        return TML_OK;
    }
    return all_plain(p, n);
}

static tml_status_t rewrite_mean(pass_t *p, tml_ir_node_t *n)
{
    int32_t x = n->in[0];
    tml_ir_reduce_t *r = &n->attrs.reduce;
    if (!is_4d(p, x) || p->layout[x] != NHWC)
        return all_plain(p, n);
    bool red[4] = {false};
    for (int i = 0; i < r->n_axes; i++)
        if (r->axes[i] >= 0 && r->axes[i] < 4)
            red[r->axes[i]] = true;
    /* Without keep_dims the output is plain: fine when the kept axes come
     * in the same order in both layouts (C reduced, or H and W). */
    if (!r->keep_dims && !red[1] && !(red[2] && red[3]))
        return all_plain(p, n);
    int k = 0;
    for (int i = 0; i < 4; i++)          /* ascending NHWC positions */
        for (int a = 0; a < 4; a++)
            if (red[a] && nhwc_pos[a] == i)
                r->axes[k++] = i;
    if (r->keep_dims)
        make_nhwc(p, n->out[0]);
    return TML_OK;
}

static tml_status_t rewrite_transpose(pass_t *p, tml_ir_node_t *n)
{
    int32_t x = n->in[0];
    if (!is_4d(p, x) || p->layout[x] != NHWC)
        return all_plain(p, n);
    /* Read the NHWC input directly: out dim i is logical axis perm[i]. */
    for (int i = 0; i < 4; i++)
        n->attrs.transpose.perm[i] = nhwc_pos[n->attrs.transpose.perm[i] & 3];
    return TML_OK;
}

static tml_status_t rewrite_reshape(pass_t *p, tml_ir_node_t *n)
{
    int32_t x = n->in[0];
    if (is_4d(p, x) && p->layout[x] == NHWC && p->alt[x] < 0) {
        /* NHWC and NCHW hold the same byte order when C == 1 or H*W == 1. */
        const int32_t *d = p->g->tensors[x].dims; /* N, H, W, C */
        if (d[3] == 1 || (int64_t)d[1] * d[2] == 1)
            return TML_OK;
    }
    return all_plain(p, n);
}

static tml_status_t rewrite(pass_t *p, tml_ir_node_t *n)
{
    switch (n->op) {
    case TML_OP_CONV2D:
    case TML_OP_DEPTHWISE_CONV2D:
    case TML_OP_AVG_POOL2D:
    case TML_OP_MAX_POOL2D:
        return rewrite_spatial(p, n);
    case TML_OP_ADD: case TML_OP_SUB: case TML_OP_MUL: case TML_OP_DIV: case TML_OP_PRELU:
    case TML_OP_LOGISTIC: case TML_OP_TANH: case TML_OP_RELU: case TML_OP_RELU6:
    case TML_OP_RELU_N1_TO_1: case TML_OP_HARD_SWISH: case TML_OP_LEAKY_RELU:
    case TML_OP_CLIP: case TML_OP_HARD_SIGMOID: case TML_OP_QUANTIZE: case TML_OP_DEQUANTIZE:
        return rewrite_elementwise(p, n);
    case TML_OP_CONCAT: case TML_OP_SPLIT: case TML_OP_PAD: case TML_OP_SLICE:
        return rewrite_axis_op(p, n);
    case TML_OP_SOFTMAX:
        return rewrite_softmax(p, n);
    case TML_OP_MEAN:
        return rewrite_mean(p, n);
    case TML_OP_TRANSPOSE:
        return rewrite_transpose(p, n);
    case TML_OP_RESHAPE:
        return rewrite_reshape(p, n);
    default:
        return all_plain(p, n);
    }
}

/* Graph outputs keep their NCHW shape and name: an NHWC result is renamed
 * ".../nhwc" and transposed back into a tensor under the original name. */
static tml_status_t restore_outputs(pass_t *p)
{
    for (int i = 0; i < p->g->n_outputs; i++) {
        int32_t t = p->g->outputs[i];
        if (p->layout[t] != NHWC)
            continue;
        int32_t plain;
        tml_status_t st = want_plain(p, t, &plain);
        if (st != TML_OK)
            return st;
        tml_ir_tensor_t *nt = &p->g->tensors[t], *pt = &p->g->tensors[plain];
        char *orig = nt->name, *renamed = pt->name;
        /* swap names: the plain copy takes the original one */
        size_t len = strlen(orig);
        char *nhwc_name = tml_malloc(len + 6);
        if (!nhwc_name)
            return fail(p, TML_ERR_NOMEM, "out of memory");
        memcpy(nhwc_name, orig, len);
        memcpy(nhwc_name + len, "/nhwc", 6);
        pt->name = orig;
        nt->name = nhwc_name;
        tml_free(renamed);
        p->g->outputs[i] = plain;
    }
    return TML_OK;
}

tml_status_t tml_pass_layout_nhwc(tml_ir_graph_t *g, tml_err_t *err)
{
    pass_t p = {.g = g, .err = err, .node = -1};
    tml_status_t st = track(&p);
    tml_ir_node_t *old = g->nodes;
    int n_old = g->n_nodes, i = 0;
    g->nodes = NULL;
    g->n_nodes = g->cap_nodes = 0;
    for (; i < n_old && st == TML_OK; i++) {
        p.node = i;
        tml_ir_node_t *n = &old[i];
        for (int j = 0; j < n->n_in && st == TML_OK; j++)
            if (n->in[j] < -1 || n->in[j] >= g->n_tensors)
                st = fail(&p, TML_ERR_CORRUPT, "bad input index");
        for (int j = 0; j < n->n_out && st == TML_OK; j++)
            if (n->out[j] < 0 || n->out[j] >= g->n_tensors)
                st = fail(&p, TML_ERR_CORRUPT, "bad output index");
        if (st == TML_OK)
            st = rewrite(&p, n);
        if (st == TML_OK &&
            tml_ir_add_node(g, n->op, n->name, n->in, n->n_in, n->out, n->n_out, &n->attrs,
                            NULL) != TML_OK)
            st = fail(&p, TML_ERR_NOMEM, "out of memory");
        if (st != TML_OK)
            tml_err_wrap(err, "%s%s%s", tml_ir_op_name(n->op), n->name[0] ? " " : "", n->name);
    }
    for (int j = 0; j < n_old; j++) {
        tml_free(old[j].name);
        tml_free(old[j].in);
        tml_free(old[j].out);
    }
    tml_free(old);
    if (st == TML_OK)
        st = restore_outputs(&p);
    tml_free(p.layout);
    tml_free(p.alt);
    return st;
}
