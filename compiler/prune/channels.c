/*
 * channels.c - structured (channel) pruning (see tml/prune.h).
 *
 * For each CONV2D / FULLY_CONNECTED producer, the walk follows its output
 * through single-reader channel-wise ops to the next weighted layer, noting
 * where the channel axis sits in each tensor (a TRANSPOSE moves it, a
 * flattening RESHAPE spreads it). If the walk ends at a CONV2D or
 * FULLY_CONNECTED, the producer's weakest channels (smallest L1 norm of
 * their weights) go: its weight rows and biases, the channel in every
 * tensor on the way, and the consumer's weights for those inputs. For a
 * fully-connected consumer the flat input index j belongs to channel
 * (j / stride) % C of the last tensor before the flatten.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prune_internal.h"

#define MAX_CHAIN 16

typedef struct chain {
    int32_t tensors[MAX_CHAIN]; /* producer output .. last tensor before the consumer */
    int axis[MAX_CHAIN];        /* channel axis in each; -1 once flattened */
    int n;
    int flat_src;               /* chain entry whose layout the consumer's input flattens */
    int32_t consumer;
} chain_t;

static bool channelwise(const tml_ir_node_t *n)
{
    switch (n->op) {
    case TML_OP_RELU: case TML_OP_RELU6: case TML_OP_RELU_N1_TO_1: case TML_OP_CLIP:
    case TML_OP_LOGISTIC: case TML_OP_TANH: case TML_OP_HARD_SWISH: case TML_OP_LEAKY_RELU:
    case TML_OP_HARD_SIGMOID: case TML_OP_MAX_POOL2D: case TML_OP_AVG_POOL2D: case TML_OP_PAD:
        return true;
    default:
        return false;
    }
}

/* The single node reading t (and only as input 0), or -1. */
static int32_t only_reader(const tml_ir_graph_t *g, int32_t t)
{
    int32_t found = -1;
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t)
            return -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++)
            if (g->nodes[i].in[j] == t) {
                if (found >= 0 || j != 0)
                    return -1;
                found = i;
            }
    return found;
}

static bool const_f32(const tml_ir_graph_t *g, int32_t t)
{
    return t >= 0 && tml_ir_is_const(&g->tensors[t]) && g->tensors[t].dtype == TML_DT_F32;
}

static int count_readers(const tml_ir_graph_t *g, int32_t t)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++)
            n += g->nodes[i].in[j] == t;
    return n;
}

/* Weights (and bias) a node owns alone, float. */
static bool owns_weights(const tml_ir_graph_t *g, const tml_ir_node_t *n)
{
    if (n->n_in < 2 || !const_f32(g, n->in[1]) || count_readers(g, n->in[1]) != 1)
        return false;
    if (n->n_in > 2 && n->in[2] >= 0 && (!const_f32(g, n->in[2]) || count_readers(g, n->in[2]) != 1))
        return false;
    return true;
}

static bool walk(const tml_ir_graph_t *g, int32_t producer, chain_t *c)
{
    memset(c, 0, sizeof(*c));
    int32_t t = g->nodes[producer].out[0];
    int axis = g->tensors[t].n_dims - 1;
    bool flattened = false;
    c->flat_src = 0;
    for (;;) {
        if (c->n == MAX_CHAIN)
            return false;
        c->tensors[c->n] = t;
        c->axis[c->n] = flattened ? -1 : axis;
        if (!flattened)
            c->flat_src = c->n;
        c->n++;
        int32_t r = only_reader(g, t);
        if (r < 0)
            return false;
        const tml_ir_node_t *n = &g->nodes[r];
        const tml_ir_tensor_t *tt = &g->tensors[t];
        if (n->op == TML_OP_CONV2D && !flattened && tt->n_dims == 4 && axis == 3 &&
            owns_weights(g, n)) {
            c->consumer = r;
            return true;
        }
        if (n->op == TML_OP_FULLY_CONNECTED && owns_weights(g, n) &&
            (tt->n_dims == 0 || tt->dims[0] == 1 || flattened) &&
            tml_ir_tensor_elems(tt) == g->tensors[n->in[1]].dims[1]) {
            c->consumer = r;
            return true;
        }
        if (n->n_out != 1)
            return false;
        int32_t next = n->out[0];
        if (flattened)
            return false;
        if (channelwise(n)) {
            if ((n->op == TML_OP_MAX_POOL2D || n->op == TML_OP_AVG_POOL2D) &&
                (tt->n_dims != 4 || axis != 3))
                return false;
            if (n->op == TML_OP_PAD && (n->attrs.pad.before[axis] || n->attrs.pad.after[axis]))
                return false;
            if (n->n_in > 1)
                return false;
        } else if (n->op == TML_OP_TRANSPOSE) {
            int moved = -1;
            for (int i = 0; i < tt->n_dims; i++)
                if (n->attrs.transpose.perm[i] == axis)
                    moved = i;
            if (moved < 0)
                return false;
            axis = moved;
        } else if (n->op == TML_OP_RESHAPE) {
            const tml_ir_tensor_t *o = &g->tensors[next];
            if (o->n_dims != 2 || o->dims[0] != 1 || tt->n_dims < 1 || tt->dims[0] != 1)
                return false;
            flattened = true;
        } else {
            return false;
        }
        t = next;
    }
}

static int cmp_norm(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : (x[1] < y[1] ? -1 : 1);
}

/* Keeps the elements of t whose index along `axis` is kept (keep[] over
 * that axis), shrinking the dim; works on constant data or shape only. */
static tml_status_t shrink_axis(tml_ir_tensor_t *t, int axis, const bool *keep, int32_t n_keep)
{
    int32_t d = t->dims[axis];
    if (t->data) {
        size_t es = tml_dtype_size(t->dtype);
        int64_t outer = 1, inner = 1;
        for (int i = 0; i < axis; i++)
            outer *= t->dims[i];
        for (int i = axis + 1; i < t->n_dims; i++)
            inner *= t->dims[i];
        uint8_t *data = tml_malloc((size_t)(outer * n_keep * inner) * es + 1);
        if (!data)
            return TML_ERR_NOMEM;
        size_t w = 0, block = (size_t)inner * es;
        for (int64_t o = 0; o < outer; o++)
            for (int32_t c = 0; c < d; c++)
                if (keep[c]) {
                    memcpy(data + w, t->data + ((size_t)o * d + c) * block, block);
                    w += block;
                }
        tml_free(t->data);
        t->data = data;
        t->data_len = w;
    }
    t->dims[axis] = n_keep;
    return TML_OK;
}

static tml_status_t prune_chain(tml_ir_graph_t *g, int32_t p, const chain_t *c, float fraction,
                                int *removed)
{
    tml_ir_node_t *pn = &g->nodes[p];
    tml_ir_tensor_t *w = &g->tensors[pn->in[1]];
    int32_t ch = w->dims[0];
    int32_t k = (int32_t)floor((double)fraction * ch);
    if (k >= ch)
        k = ch - 1;
    *removed = 0;
    if (k < 1)
        return TML_OK;
    int64_t per = tml_ir_tensor_elems(w) / ch;
    double *norms = tml_malloc((size_t)ch * 2 * sizeof(double));
    bool *keep = tml_malloc((size_t)ch);
    if (!norms || !keep) {
        tml_free(norms);
        tml_free(keep);
        return TML_ERR_NOMEM;
    }
    for (int32_t o = 0; o < ch; o++) {
        double s = 0;
        for (int64_t e = 0; e < per; e++) {
            float v;
            memcpy(&v, w->data + 4 * ((size_t)o * per + e), 4);
            s += fabs(v);
        }
        norms[2 * o] = s;
        norms[2 * o + 1] = o;
        keep[o] = true;
    }
    qsort(norms, (size_t)ch, 2 * sizeof(double), cmp_norm);
    for (int32_t i = 0; i < k; i++)
        keep[(int32_t)norms[2 * i + 1]] = false;
    tml_free(norms);

    /* The consumer's weights first, while the flat source has its old dims. */
    tml_ir_node_t *cn = &g->nodes[c->consumer];
    tml_ir_tensor_t *cw = &g->tensors[cn->in[1]];
    tml_status_t st;
    if (cn->op == TML_OP_CONV2D) {
        st = shrink_axis(cw, 3, keep, ch - k);
    } else {
        const tml_ir_tensor_t *src = &g->tensors[c->tensors[c->flat_src]];
        int axis = c->axis[c->flat_src];
        int64_t stride = 1;
        for (int i = axis + 1; i < src->n_dims; i++)
            stride *= src->dims[i];
        int32_t n_in = cw->dims[1], n_keep = 0;
        bool *keep_in = tml_malloc((size_t)n_in + 1);
        if (!keep_in) {
            tml_free(keep);
            return TML_ERR_NOMEM;
        }
        for (int32_t j = 0; j < n_in; j++)
            n_keep += keep_in[j] = keep[(j / stride) % ch];
        st = shrink_axis(cw, 1, keep_in, n_keep);
        tml_free(keep_in);
        /* The flattened tensors after the source hold n_keep values. */
        for (int i = c->flat_src + 1; st == TML_OK && i < c->n; i++)
            g->tensors[c->tensors[i]].dims[1] = n_keep;
    }
    for (int i = 0; st == TML_OK && i <= c->flat_src; i++)
        st = shrink_axis(&g->tensors[c->tensors[i]], c->axis[i], keep, ch - k);
    if (st == TML_OK)
        st = shrink_axis(&g->tensors[pn->in[1]], 0, keep, ch - k);
    if (st == TML_OK && pn->n_in > 2 && pn->in[2] >= 0)
        st = shrink_axis(&g->tensors[pn->in[2]], 0, keep, ch - k);
    tml_free(keep);
    if (st == TML_OK)
        *removed = k;
    return st;
}

tml_status_t tml_prune_channels(tml_ir_graph_t *g, float fraction, int *layers, int *removed,
                                tml_err_t *err)
{
    *layers = 0;
    *removed = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        for (int j = 0; j < g->nodes[i].n_out; j++)
            if (g->tensors[g->nodes[i].out[j]].dtype != TML_DT_F32)
                return tml_err_set(err, TML_ERR_ARG, "channel pruning needs a float model "
                                   "(tensor '%s' is %s)", g->tensors[g->nodes[i].out[j]].name,
                                   tml_dtype_name(g->tensors[g->nodes[i].out[j]].dtype));
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const tml_ir_node_t *n = &g->nodes[i];
        if ((n->op != TML_OP_CONV2D && n->op != TML_OP_FULLY_CONNECTED) || n->n_out != 1 ||
            !owns_weights(g, n))
            continue;
        chain_t c;
        if (!walk(g, i, &c))
            continue;
        int k;
        tml_status_t st = prune_chain(g, i, &c, fraction, &k);
        if (st != TML_OK)
            return tml_err_set(err, st, "channel pruning: out of memory");
        if (k > 0) {
            (*layers)++;
            *removed += k;
        }
    }
    return TML_OK;
}
