/*
 * act_fusion.c - activation fusion (see tml/passes.h).
 *
 * RELU-like nodes become the fused activation of the node before them, so
 * the clamp happens in that kernel's output loop: one kernel call and one
 * activation buffer fewer. Only float producers are fused: for int8 the
 * activation's own output quantization would replace the producer's, which
 * changes results (a pre-quantized model must stay bit-exact); the
 * quantizer runs this pass on the float graph before choosing ranges.
 */
#include <math.h>

#include "pass_util.h"
#include "tml/passes.h"

/* The fused activation equivalent to node n, or TML_ACT_NONE. */
static tml_act_t act_of(const tml_ir_node_t *n)
{
    switch (n->op) {
    case TML_OP_RELU: return TML_ACT_RELU;
    case TML_OP_RELU6: return TML_ACT_RELU6;
    case TML_OP_RELU_N1_TO_1: return TML_ACT_RELU_N1_TO_1;
    case TML_OP_CLIP: {
        float lo = n->attrs.scalar.min, hi = n->attrs.scalar.max;
        if (lo == 0.0f && isinf(hi) && hi > 0)
            return TML_ACT_RELU;
        if (lo == 0.0f && hi == 6.0f)
            return TML_ACT_RELU6;
        if (lo == -1.0f && hi == 1.0f)
            return TML_ACT_RELU_N1_TO_1;
        return TML_ACT_NONE;
    }
    default:
        return TML_ACT_NONE;
    }
}

/* Where node p keeps its fused activation, NULL if it has none. */
static tml_act_t *act_slot(tml_ir_node_t *p)
{
    switch (p->op) {
    case TML_OP_CONV2D:
    case TML_OP_DEPTHWISE_CONV2D:
        return &p->attrs.conv.act;
    case TML_OP_FULLY_CONNECTED:
    case TML_OP_ADD:
    case TML_OP_SUB:
    case TML_OP_MUL:
        return &p->attrs.act;
    case TML_OP_AVG_POOL2D:
    case TML_OP_MAX_POOL2D:
        return &p->attrs.pool.act;
    default:
        return NULL;
    }
}

tml_status_t tml_pass_act_fusion(tml_ir_graph_t *g, int *n_changed, tml_err_t *err)
{
    if (n_changed)
        *n_changed = 0;
    bool *keep = tml_pu_keep_all(g);
    if (!keep)
        return tml_err_set(err, TML_ERR_NOMEM, "activation fusion: out of memory");
    int changed = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        tml_ir_node_t *n = &g->nodes[i];
        tml_act_t act = act_of(n);
        if (act == TML_ACT_NONE || n->n_in < 1 || n->n_out != 1 || n->in[0] < 0)
            continue;
        int32_t x = n->in[0], y = n->out[0];
        if (g->tensors[x].dtype != TML_DT_F32 || tml_pu_is_output(g, x) ||
            tml_pu_node_readers(g, x) != 1 || !tml_pu_same_shape(&g->tensors[x], &g->tensors[y]))
            continue;
        int32_t p = tml_ir_producer(g, x);
        if (p < 0 || !keep[p] || g->nodes[p].n_out != 1)
            continue;
        tml_act_t *slot = act_slot(&g->nodes[p]);
        if (!slot || *slot != TML_ACT_NONE)
            continue;
        *slot = act;
        g->nodes[p].out[0] = y;
        keep[i] = false;
        changed++;
    }
    if (n_changed)
        *n_changed = changed;
    return tml_pu_finish(g, keep, "activation fusion", err);
}
