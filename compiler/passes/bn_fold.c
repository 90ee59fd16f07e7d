/*
 * bn_fold.c - BatchNorm folding (see tml/passes.h).
 *
 * y = conv(x; W, b) * s + t, with s and t per output channel (the last,
 * NHWC axis), is conv(x; W * s, b * s + t). The pass matches a float MUL
 * (then an ADD, or either alone) whose non-constant operand comes from a
 * CONV2D, DEPTHWISE_CONV2D or FULLY_CONNECTED without a fused activation,
 * and whose constant is a scalar or one value per channel broadcast along
 * the last axis. New weight and bias constants are made (the old ones may
 * be shared); the MUL/ADD node goes and the conv writes its output.
 */
#include <string.h>

#include "pass_util.h"
#include "tml/passes.h"

/* Per-channel values of constant c for ch channels on the last axis of a
 * rank-`rank` output: c is a scalar or [.., 1, ch]. Returns false if not. */
static bool channel_const(const tml_ir_tensor_t *c, int rank, int32_t ch, float *vals)
{
    if (!tml_ir_is_const(c) || c->dtype != TML_DT_F32 || c->n_dims > rank)
        return false;
    int64_t n = tml_ir_tensor_elems(c);
    if (n != 1 && n != ch)
        return false;
    for (int d = 0; d + 1 < c->n_dims; d++)
        if (c->dims[d] != 1)
            return false;
    for (int32_t i = 0; i < ch; i++)
        memcpy(&vals[i], c->data + 4 * (n == 1 ? 0 : i), 4);
    return true;
}

static tml_act_t *producer_act(tml_ir_node_t *p)
{
    return p->op == TML_OP_FULLY_CONNECTED ? &p->attrs.act : &p->attrs.conv.act;
}

/* Output channels of the conv/fc p and how its weights hold them: weight
 * element k belongs to channel k / inner % ch. */
static bool weight_layout(const tml_ir_graph_t *g, const tml_ir_node_t *p, int32_t *ch,
                          int64_t *inner)
{
    const tml_ir_tensor_t *w = &g->tensors[p->in[1]];
    const tml_ir_tensor_t *y = &g->tensors[p->out[0]];
    if (y->n_dims < 1)
        return false;
    *ch = y->dims[y->n_dims - 1];
    if (p->op == TML_OP_DEPTHWISE_CONV2D) {
        *inner = 1; /* [1, KH, KW, C]: channel is the last axis */
        return w->n_dims == 4 && w->dims[3] == *ch;
    }
    *inner = w->dims[0] > 0 ? tml_ir_tensor_elems(w) / w->dims[0] : 0;
    return w->n_dims >= 2 && w->dims[0] == *ch;
}

/* Folds y = x * s (is_mul) or y = x + s into p's weights/bias. */
static tml_status_t fold_into(tml_ir_graph_t *g, int32_t p, const float *s, bool is_mul,
                              int32_t ch, int64_t inner)
{
    tml_ir_node_t *pn = &g->nodes[p];
    int32_t w_idx = pn->in[1], b_idx = pn->n_in > 2 ? pn->in[2] : -1;
    tml_status_t st = TML_OK;
    float *bias = tml_calloc((size_t)ch + 1, sizeof(float));
    if (!bias)
        return TML_ERR_NOMEM;
    if (b_idx >= 0)
        memcpy(bias, g->tensors[b_idx].data, (size_t)ch * 4);
    char name[256];
    if (is_mul) {
        const tml_ir_tensor_t *w = &g->tensors[w_idx];
        int64_t n = tml_ir_tensor_elems(w);
        float *wd = tml_malloc((size_t)n * 4 + 4);
        int32_t dims[TML_IR_MAX_DIMS], n_dims = w->n_dims, nw;
        memcpy(dims, w->dims, sizeof(dims));
        if (!wd) {
            tml_free(bias);
            return TML_ERR_NOMEM;
        }
        memcpy(wd, w->data, (size_t)n * 4);
        for (int64_t k = 0; k < n; k++)
            wd[k] *= s[(k / inner) % ch];
        snprintf(name, sizeof(name), "%s/bn_folded", w->name);
        st = tml_ir_add_tensor(g, name, TML_DT_F32, n_dims, dims, &nw);
        if (st == TML_OK)
            st = tml_ir_set_data(g, nw, wd, (size_t)n * 4);
        tml_free(wd);
        if (st == TML_OK)
            g->nodes[p].in[1] = nw;
        for (int32_t c = 0; c < ch; c++)
            bias[c] *= s[c];
    } else {
        for (int32_t c = 0; c < ch; c++)
            bias[c] += s[c];
    }
    int32_t nb;
    snprintf(name, sizeof(name), "%s/bn_folded_bias", g->tensors[g->nodes[p].out[0]].name);
    if (st == TML_OK)
        st = tml_ir_add_tensor(g, name, TML_DT_F32, 1, &ch, &nb);
    if (st == TML_OK)
        st = tml_ir_set_data(g, nb, bias, (size_t)ch * 4);
    tml_free(bias);
    if (st != TML_OK)
        return st;
    pn = &g->nodes[p];
    if (pn->n_in > 2) {
        pn->in[2] = nb;
        return TML_OK;
    }
    int32_t *in = tml_realloc(pn->in, 3 * sizeof(int32_t));
    if (!in)
        return TML_ERR_NOMEM;
    in[2] = nb;
    pn->in = in;
    pn->n_in = 3;
    return TML_OK;
}

tml_status_t tml_pass_bn_fold(tml_ir_graph_t *g, int *n_changed, tml_err_t *err)
{
    if (n_changed)
        *n_changed = 0;
    bool *keep = tml_pu_keep_all(g);
    if (!keep)
        return tml_err_set(err, TML_ERR_NOMEM, "batchnorm folding: out of memory");
    int changed = 0;
    tml_status_t st = TML_OK;
    for (int i = 0; i < g->n_nodes && st == TML_OK; i++) {
        tml_ir_node_t *n = &g->nodes[i];
        if ((n->op != TML_OP_MUL && n->op != TML_OP_ADD) || n->n_in != 2 || n->n_out != 1 ||
            n->in[0] < 0 || n->in[1] < 0)
            continue;
        int xi = tml_ir_is_const(&g->tensors[n->in[0]]) ? 1 : 0;
        int32_t x = n->in[xi], c = n->in[1 - xi], y = n->out[0];
        if (tml_ir_is_const(&g->tensors[x]) || g->tensors[y].dtype != TML_DT_F32 ||
            !tml_pu_same_shape(&g->tensors[x], &g->tensors[y]) || tml_pu_is_output(g, x) ||
            tml_pu_node_readers(g, x) != 1)
            continue;
        int32_t p = tml_ir_producer(g, x);
        if (p < 0 || !keep[p])
            continue;
        tml_ir_node_t *pn = &g->nodes[p];
        if ((pn->op != TML_OP_CONV2D && pn->op != TML_OP_DEPTHWISE_CONV2D &&
             pn->op != TML_OP_FULLY_CONNECTED) || pn->n_in < 2 || pn->n_out != 1 ||
            *producer_act(pn) != TML_ACT_NONE || !tml_ir_is_const(&g->tensors[pn->in[1]]) ||
            g->tensors[pn->in[1]].dtype != TML_DT_F32 ||
            (pn->n_in > 2 && pn->in[2] >= 0 && !tml_ir_is_const(&g->tensors[pn->in[2]])))
            continue;
        if (pn->n_in > 2 && pn->in[2] < 0)
            continue;
        int32_t ch;
        int64_t inner;
        if (!weight_layout(g, pn, &ch, &inner) || ch < 1)
            continue;
        float *s = tml_malloc((size_t)ch * sizeof(float));
        if (!s) {
            st = TML_ERR_NOMEM;
            break;
        }
        if (channel_const(&g->tensors[c], g->tensors[y].n_dims, ch, s)) {
            tml_act_t act = n->attrs.act;
            st = fold_into(g, p, s, n->op == TML_OP_MUL, ch, inner);
            if (st == TML_OK) {
                pn = &g->nodes[p];
                *producer_act(pn) = act;
                pn->out[0] = y;
                keep[i] = false;
                changed++;
            }
        }
        tml_free(s);
    }
    if (st != TML_OK) {
        tml_free(keep);
        return tml_err_set(err, st, "batchnorm folding: out of memory");
    }
    if (n_changed)
        *n_changed = changed;
    return tml_pu_finish(g, keep, "batchnorm folding", err);
}
