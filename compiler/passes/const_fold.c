/*
 * const_fold.c - constant folding (see tml/passes.h).
 *
 * A node whose inputs are all constants is evaluated by compiling a one-node
 * graph (its constants as inputs) and running it on the host runtime: the
 * folded values are exactly what the device kernels would have computed, for
 * every op and dtype that has a kernel, with no second implementation of
 * the arithmetic. Nodes without a kernel for their operands stay as they are.
 */
#include <string.h>

#include "pass_util.h"
#include "tml/compiler.h"
#include "tml/passes.h"
#include "tml/session.h"

#define FOLD_MAX_BYTES ((size_t)64 << 20)

/* Builds the one-node graph: each distinct constant input becomes a graph
 * input, each output a graph output. */
static tml_status_t build_single(const tml_ir_graph_t *g, const tml_ir_node_t *n,
                                 tml_ir_graph_t *m, int32_t *src, int *n_src)
{
    tml_status_t st = tml_ir_init(m, "fold");
    int32_t ins[TML_LOP_MAX_OPERANDS], outs[TML_LOP_MAX_OPERANDS], io[2 * TML_LOP_MAX_OPERANDS];
    int n_io = 0;
    *n_src = 0;
    for (int j = 0; j < n->n_in && st == TML_OK; j++) {
        ins[j] = -1;
        if (n->in[j] < 0)
            continue;
        for (int k = 0; k < j; k++)
            if (n->in[k] == n->in[j])
                ins[j] = ins[k];
        if (ins[j] >= 0)
            continue;
        const tml_ir_tensor_t *t = &g->tensors[n->in[j]];
        st = tml_ir_add_tensor(m, t->name, t->dtype, t->n_dims, t->dims, &ins[j]);
        if (st == TML_OK && t->quant.n)
            st = tml_ir_set_quant(m, ins[j], t->quant.n, t->quant.scale, t->quant.zero_point,
                                  t->quant.axis);
        src[(*n_src)++] = n->in[j];
        io[n_io++] = ins[j];
    }
    for (int j = 0; j < n->n_out && st == TML_OK; j++) {
        const tml_ir_tensor_t *t = &g->tensors[n->out[j]];
        st = tml_ir_add_tensor(m, t->name, t->dtype, t->n_dims, t->dims, &outs[j]);
        if (st == TML_OK && t->quant.n)
            st = tml_ir_set_quant(m, outs[j], t->quant.n, t->quant.scale, t->quant.zero_point,
                                  t->quant.axis);
        io[n_io + j] = outs[j];
    }
    if (st == TML_OK)
        st = tml_ir_add_node(m, n->op, n->name, ins, n->n_in, outs, n->n_out, &n->attrs, NULL);
    if (st == TML_OK)
        st = tml_ir_set_io(m, io, n_io, io + n_io, n->n_out);
    return st;
}

/* Evaluates node i; on success its outputs hold constant data. A node the
 * runtime cannot run is left alone (*folded false) unless memory ran out. */
static tml_status_t fold_one(tml_ir_graph_t *g, int i, bool *folded)
{
    *folded = false;
    const tml_ir_node_t *n = &g->nodes[i];
    if (n->n_in > TML_LOP_MAX_OPERANDS || n->n_out > TML_LOP_MAX_OPERANDS)
        return TML_OK;
    tml_ir_graph_t m;
    int32_t src[TML_LOP_MAX_OPERANDS];
    int n_src;
    tml_status_t st = build_single(g, n, &m, src, &n_src);
    if (st != TML_OK) {
        tml_ir_free(&m);
        return st;
    }
    tml_compile_opts_t opts = {.keep_dead_channels = true, .no_passes = true};
    tml_compiled_t c;
    st = tml_compile_graph(&m, &opts, &c, NULL);
    if (st != TML_OK)
        return st == TML_ERR_NOMEM ? st : TML_OK;
    tml_session_t s;
    st = tml_session_open(&s, c.pkg, c.pkg_len, NULL);
    if (st != TML_OK) {
        tml_compiled_free(&c);
        return st == TML_ERR_NOMEM ? st : TML_OK;
    }
    for (int j = 0; j < n_src && st == TML_OK; j++) {
        const tml_ir_tensor_t *t = &g->tensors[src[j]];
        st = tml_session_set_input(&s, (uint32_t)j, t->data, t->data_len, NULL);
    }
    if (st == TML_OK)
        st = tml_session_run(&s, NULL);
    for (int j = 0; j < n->n_out && st == TML_OK; j++) {
        const void *data;
        size_t len;
        st = tml_session_output(&s, (uint32_t)j, &data, &len, NULL);
        if (st == TML_OK)
            st = tml_ir_set_data(g, n->out[j], data, len);
    }
    tml_session_close(&s);
    tml_compiled_free(&c);
    if (st == TML_OK)
        *folded = true;
    else if (st != TML_ERR_NOMEM)
        st = TML_OK;
    return st;
}

tml_status_t tml_pass_const_fold(tml_ir_graph_t *g, int *n_changed, tml_err_t *err)
{
    if (n_changed)
        *n_changed = 0;
    bool *keep = tml_pu_keep_all(g);
    if (!keep)
        return tml_err_set(err, TML_ERR_NOMEM, "constant folding: out of memory");
    int changed = 0;
    tml_status_t st = TML_OK;
    for (int i = 0; i < g->n_nodes && st == TML_OK; i++) {
        const tml_ir_node_t *n = &g->nodes[i];
        bool all_const = n->n_in > 0 && n->n_out > 0;
        size_t bytes = 0;
        for (int j = 0; j < n->n_in && all_const; j++)
            all_const = n->in[j] < 0 || tml_ir_is_const(&g->tensors[n->in[j]]);
        for (int j = 0; j < n->n_out && all_const; j++) {
            all_const = !tml_pu_is_output(g, n->out[j]);
            bytes += tml_ir_tensor_bytes(&g->tensors[n->out[j]]);
        }
        if (!all_const || bytes > FOLD_MAX_BYTES)
            continue;
        bool folded;
        st = fold_one(g, i, &folded);
        if (st == TML_OK && folded) {
            keep[i] = false;
            changed++;
        }
    }
    if (st != TML_OK) {
        tml_free(keep);
        return tml_err_set(err, st, "constant folding: out of memory");
    }
    if (n_changed)
        *n_changed = changed;
    return tml_pu_finish(g, keep, "constant folding", err);
}
