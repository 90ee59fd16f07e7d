/*
 * pass_util.c - see pass_util.h.
 */
#include <string.h>

#include "pass_util.h"

bool tml_pu_is_output(const tml_ir_graph_t *g, int32_t t)
{
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t)
            return true;
    return false;
}

bool tml_pu_is_input(const tml_ir_graph_t *g, int32_t t)
{
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] == t)
            return true;
    return false;
}

int tml_pu_node_readers(const tml_ir_graph_t *g, int32_t t)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++)
            n += g->nodes[i].in[j] == t;
    return n;
}

void tml_pu_replace_reads(tml_ir_graph_t *g, int32_t from, int32_t to)
{
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++)
            if (g->nodes[i].in[j] == from)
                g->nodes[i].in[j] = to;
}

bool tml_pu_same_shape(const tml_ir_tensor_t *a, const tml_ir_tensor_t *b)
{
    if (a->dtype != b->dtype || a->n_dims != b->n_dims)
        return false;
    for (int d = 0; d < a->n_dims; d++)
        if (a->dims[d] != b->dims[d])
            return false;
    return true;
}

bool tml_pu_same_quant(const tml_ir_tensor_t *a, const tml_ir_tensor_t *b)
{
    if (a->quant.n != b->quant.n || (a->quant.n > 1 && a->quant.axis != b->quant.axis))
        return false;
    for (int i = 0; i < a->quant.n; i++)
        if (a->quant.scale[i] != b->quant.scale[i] ||
            a->quant.zero_point[i] != b->quant.zero_point[i])
            return false;
    return true;
}

bool tml_pu_bypass(tml_ir_graph_t *g, int32_t node, int32_t x, int32_t y, bool *keep)
{
    if (!tml_pu_is_output(g, y)) {
        tml_pu_replace_reads(g, y, x);
        keep[node] = false;
        return true;
    }
    /* y must stay a graph output under its name: x's producer writes it. */
    if (tml_pu_is_output(g, x) || tml_pu_is_input(g, x) || tml_ir_is_const(&g->tensors[x]))
        return false;
    int32_t p = tml_ir_producer(g, x);
    if (p < 0 || !keep[p])
        return false;
    for (int j = 0; j < g->nodes[p].n_out; j++)
        if (g->nodes[p].out[j] == x)
            g->nodes[p].out[j] = y;
    keep[node] = false;
    g->nodes[node].in[0] = -1; /* it no longer reads x: x has no producer now */
    tml_pu_replace_reads(g, x, y);
    return true;
}

bool *tml_pu_keep_all(const tml_ir_graph_t *g)
{
    bool *keep = tml_malloc((size_t)g->n_nodes + 1);
    if (keep)
        memset(keep, 1, (size_t)g->n_nodes + 1);
    return keep;
}

int tml_pu_mark_dead(const tml_ir_graph_t *g, bool *keep)
{
    bool *live = tml_calloc((size_t)g->n_tensors + 1, 1);
    if (!live)
        return -1;
    for (int i = 0; i < g->n_outputs; i++)
        live[g->outputs[i]] = true;
    int n_dead = 0;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        const tml_ir_node_t *n = &g->nodes[i];
        if (!keep[i])
            continue;
        bool used = false;
        for (int j = 0; j < n->n_out; j++)
            used |= live[n->out[j]];
        if (!used) {
            keep[i] = false;
            n_dead++;
            continue;
        }
        for (int j = 0; j < n->n_in; j++)
            if (n->in[j] >= 0)
                live[n->in[j]] = true;
    }
    tml_free(live);
    return n_dead;
}

tml_status_t tml_pu_finish(tml_ir_graph_t *g, bool *keep, const char *pass, tml_err_t *err)
{
    tml_status_t st = tml_ir_compact(g, keep);
    tml_free(keep);
    if (st != TML_OK)
        return tml_err_set(err, st, "%s: out of memory", pass);
    return TML_OK;
}
