/*
 * pad_fusion.c - PAD into a convolution's explicit padding (see
 * tml/passes.h).
 *
 * A convolution pads with zeros (float) or its input zero point (int8), the
 * same values a PAD node writes, so PAD(H, W) then CONV is CONV with larger
 * pads, exactly. A float AVG_POOL2D that counts padding (count_include_pad,
 * or no padding of its own yet) absorbs a PAD the same way. MAX_POOL2D does
 * not: its own padding is never the maximum, a padded zero may be.
 */
#include "pass_util.h"
#include "tml/passes.h"

/* Whether PAD node n pads only H and W of an NHWC tensor with the value a
 * convolution would use. */
static bool spatial_zero_pad(const tml_ir_graph_t *g, const tml_ir_node_t *n)
{
    const tml_ir_tensor_t *x = &g->tensors[n->in[0]], *y = &g->tensors[n->out[0]];
    const tml_ir_pad_t *a = &n->attrs.pad;
    if (x->n_dims != 4 || x->dtype != y->dtype || !tml_pu_same_quant(x, y))
        return false;
    if (a->before[0] || a->after[0] || a->before[3] || a->after[3])
        return false;
    for (int d = 1; d <= 2; d++)
        if (a->before[d] < 0 || a->after[d] < 0)
            return false;
    if (x->dtype == TML_DT_F32)
        return a->value == 0.0f;
    return x->dtype == TML_DT_I8; /* int8 PAD writes the zero point */
}

tml_status_t tml_pass_pad_fusion(tml_ir_graph_t *g, int *n_changed, tml_err_t *err)
{
    if (n_changed)
        *n_changed = 0;
    bool *keep = tml_pu_keep_all(g);
    if (!keep)
        return tml_err_set(err, TML_ERR_NOMEM, "pad fusion: out of memory");
    int changed = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        tml_ir_node_t *pad = &g->nodes[i];
        if (pad->op != TML_OP_PAD || pad->n_in < 1 || pad->n_out != 1 || pad->in[0] < 0)
            continue;
        int32_t y = pad->out[0];
        if (tml_pu_is_output(g, y) || tml_pu_node_readers(g, y) != 1 || !spatial_zero_pad(g, pad))
            continue;
        for (int j = i + 1; j < g->n_nodes; j++) {
            tml_ir_node_t *n = &g->nodes[j];
            if (n->n_in < 1 || n->in[0] != y)
                continue;
            const tml_ir_pad_t *a = &pad->attrs.pad;
            if (n->op == TML_OP_CONV2D || n->op == TML_OP_DEPTHWISE_CONV2D) {
                n->attrs.conv.pad_top += a->before[1];
                n->attrs.conv.pad_bottom += a->after[1];
                n->attrs.conv.pad_left += a->before[2];
                n->attrs.conv.pad_right += a->after[2];
            } else if (n->op == TML_OP_AVG_POOL2D && g->tensors[y].dtype == TML_DT_F32) {
                tml_ir_pool_t *p = &n->attrs.pool;
                bool own_pad = p->pad_top || p->pad_left || p->pad_bottom || p->pad_right;
                if (own_pad && !p->count_include_pad)
                    break;
                p->count_include_pad = true;
                p->pad_top += a->before[1];
                p->pad_bottom += a->after[1];
                p->pad_left += a->before[2];
                p->pad_right += a->after[2];
            } else {
                break;
            }
            n->in[0] = pad->in[0];
            keep[i] = false;
            changed++;
            break;
        }
    }
    if (n_changed)
        *n_changed = changed;
    return tml_pu_finish(g, keep, "pad fusion", err);
}
