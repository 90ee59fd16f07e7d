/*
 * identity.c - removal of nodes that compute nothing (see tml/passes.h).
 *
 * Each candidate is recognised from its attributes and shapes alone, and
 * only when input and output agree in dtype, shape and quantization, so
 * removing it is exact for float and int8 graphs alike. A transpose whose
 * permutation undoes the one before it (what a layout change into NHWC and
 * straight back out leaves) is an identity of the pair's outer tensors; the
 * first transpose then dies with its last reader.
 */
#include <math.h>

#include "pass_util.h"
#include "tml/passes.h"

static bool io_same(const tml_ir_graph_t *g, int32_t x, int32_t y)
{
    const tml_ir_tensor_t *a = &g->tensors[x], *b = &g->tensors[y];
    return tml_pu_same_shape(a, b) && tml_pu_same_quant(a, b);
}

static bool perm_is_identity(const int32_t *perm, int rank)
{
    for (int i = 0; i < rank; i++)
        if (perm[i] != i)
            return false;
    return true;
}

/* Whether node n (one data input x, one output y) is a no-op by itself. */
static bool is_noop(const tml_ir_graph_t *g, const tml_ir_node_t *n)
{
    int32_t x = n->in[0], y = n->out[0];
    const tml_ir_tensor_t *tx = &g->tensors[x];
    switch (n->op) {
    case TML_OP_RESHAPE:
        return true; /* shape equality is checked by the caller */
    case TML_OP_TRANSPOSE:
        return perm_is_identity(n->attrs.transpose.perm, tx->n_dims);
    case TML_OP_PAD:
        for (int d = 0; d < tx->n_dims; d++)
            if (n->attrs.pad.before[d] || n->attrs.pad.after[d])
                return false;
        return true;
    case TML_OP_SLICE:
        for (int d = 0; d < tx->n_dims; d++)
            if (n->attrs.slice.begin[d] != 0 || n->attrs.slice.stride[d] != 1)
                return false;
        return true;
    case TML_OP_CLIP:
        return g->tensors[y].dtype == TML_DT_F32 && isinf(n->attrs.scalar.min) &&
               n->attrs.scalar.min < 0 && isinf(n->attrs.scalar.max) && n->attrs.scalar.max > 0;
    default:
        return false;
    }
}

/* The producer of x if it is a single-output node of op `op` that only the
 * caller reads, else -1. */
static int32_t sole_producer(const tml_ir_graph_t *g, const bool *keep, int32_t x, tml_ir_op_t op)
{
    int32_t p = tml_ir_producer(g, x);
    if (p < 0 || !keep[p] || g->nodes[p].op != op || g->nodes[p].n_out != 1 ||
        g->nodes[p].n_in < 1 || g->nodes[p].in[0] < 0)
        return -1;
    return p;
}

tml_status_t tml_pass_identity(tml_ir_graph_t *g, int *n_changed, tml_err_t *err)
{
    if (n_changed)
        *n_changed = 0;
    bool *keep = tml_pu_keep_all(g);
    if (!keep)
        return tml_err_set(err, TML_ERR_NOMEM, "identity removal: out of memory");
    int changed = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        tml_ir_node_t *n = &g->nodes[i];
        if (n->n_in < 1 || n->n_out != 1 || n->in[0] < 0)
            continue;
        int32_t x = n->in[0], y = n->out[0];
        if (tml_ir_is_const(&g->tensors[x]))
            continue; /* constant folding's business */
        if (io_same(g, x, y) && is_noop(g, n)) {
            changed += tml_pu_bypass(g, i, x, y, keep);
            continue;
        }
        /* RESHAPE of a RESHAPE: read the first one's input directly. */
        int32_t p;
        if (n->op == TML_OP_RESHAPE && (p = sole_producer(g, keep, x, TML_OP_RESHAPE)) >= 0 &&
            tml_pu_same_quant(&g->tensors[g->nodes[p].in[0]], &g->tensors[y])) {
            int32_t a = g->nodes[p].in[0];
            n->in[0] = a;
            if (io_same(g, a, y))
                tml_pu_bypass(g, i, a, y, keep);
            changed++;
            continue;
        }
        /* TRANSPOSE undoing the TRANSPOSE before it. */
        if (n->op == TML_OP_TRANSPOSE && (p = sole_producer(g, keep, x, TML_OP_TRANSPOSE)) >= 0) {
            int32_t a = g->nodes[p].in[0];
            int rank = g->tensors[a].n_dims;
            const int32_t *p1 = g->nodes[p].attrs.transpose.perm, *p2 = n->attrs.transpose.perm;
            bool inverse = rank == g->tensors[y].n_dims;
            for (int d = 0; d < rank && inverse; d++)
                inverse = p2[d] >= 0 && p2[d] < rank && p1[p2[d]] == d;
            if (inverse && io_same(g, a, y) && tml_pu_bypass(g, i, a, y, keep))
                changed++;
        }
    }
    int dead = tml_pu_mark_dead(g, keep);
    if (dead < 0) {
        tml_free(keep);
        return tml_err_set(err, TML_ERR_NOMEM, "identity removal: out of memory");
    }
    if (n_changed)
        *n_changed = changed;
    return tml_pu_finish(g, keep, "identity removal", err);
}
