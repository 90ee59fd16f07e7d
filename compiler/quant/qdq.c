/*
 * qdq.c - pre-quantized (QDQ) graphs to int8 ops (see tml/quant.h).
 *
 * A QDQ model says, around every float op, which int8 tensors it reads
 * (DEQUANTIZE inputs) and which int8 tensor it writes (the QUANTIZE of its
 * output). Folding gives the op those int8 tensors directly, with the
 * model's own scales: weights go back onto the int8 grid they were
 * dequantized from (the importer keeps it on the float constant), biases
 * become int32 with scale x_scale * w_scale. uint8 tensors are made int8
 * first (value - 128, zero point - 128: the same real numbers). Ops the
 * pattern does not fit (no int8 kernel, a QUANTIZE with other params than
 * TFLite's fixed softmax ones, pools whose sides differ) stay float between
 * their DEQUANTIZE and QUANTIZE, which still run.
 */
#include <math.h>
#include <string.h>

#include "../passes/pass_util.h"
#include "quant_internal.h"

static void to_int8(tml_ir_graph_t *g)
{
    for (int t = 0; t < g->n_tensors; t++) {
        tml_ir_tensor_t *x = &g->tensors[t];
        if (x->dtype != TML_DT_U8)
            continue;
        x->dtype = TML_DT_I8;
        for (size_t k = 0; x->data && k < x->data_len; k++)
            x->data[k] = (uint8_t)(int8_t)((int)x->data[k] - 128);
        for (int i = 0; i < x->quant.n; i++)
            x->quant.zero_point[i] -= 128;
    }
}

static bool per_tensor_i8(const tml_ir_tensor_t *t)
{
    return t->dtype == TML_DT_I8 && t->quant.n == 1;
}

static bool quant_is(const tml_ir_tensor_t *t, float scale, int32_t zp)
{
    return t->quant.n == 1 && t->quant.scale[0] == scale && t->quant.zero_point[0] == zp;
}

/* The int8 tensor a DEQUANTIZE turns into x, or -1. */
static int32_t int8_source(const tml_ir_graph_t *g, int32_t x)
{
    int32_t p = tml_ir_producer(g, x);
    if (p < 0 || g->nodes[p].op != TML_OP_DEQUANTIZE || g->nodes[p].n_in != 1)
        return -1;
    int32_t a = g->nodes[p].in[0];
    return a >= 0 && per_tensor_i8(&g->tensors[a]) && !tml_ir_is_const(&g->tensors[a]) ? a : -1;
}

static bool moves_bytes(tml_ir_op_t op)
{
    return op == TML_OP_TRANSPOSE || op == TML_OP_RESHAPE;
}

/* Swaps nodes a < b and rewires them as "a: first op (in -> mid),
 * b: second op (mid -> out)" through a new tensor mid shaped like
 * shape_of and quantized like quant_of. */
static tml_status_t swap_through(tml_ir_graph_t *g, int a, int b, int32_t in, int32_t out,
                                 int32_t shape_of, int32_t quant_of, tml_dtype_t dtype)
{
    const tml_ir_tensor_t *t = &g->tensors[shape_of];
    char name[512];
    snprintf(name, sizeof(name), "%s/int8", g->tensors[out].name);
    int32_t dims[TML_IR_MAX_DIMS], mid;
    memcpy(dims, t->dims, sizeof(dims));
    if (tml_ir_add_tensor(g, name, dtype, t->n_dims, dims, &mid) != TML_OK)
        return TML_ERR_NOMEM;
    const tml_ir_quant_t *q = &g->tensors[quant_of].quant;
    if (tml_ir_set_quant(g, mid, q->n, q->scale, q->zero_point, q->axis) != TML_OK)
        return TML_ERR_NOMEM;
    tml_ir_node_t tmp = g->nodes[a];
    g->nodes[a] = g->nodes[b];
    g->nodes[b] = tmp;
    g->nodes[a].in[0] = in;
    g->nodes[a].out[0] = mid;
    g->nodes[b].in[0] = mid;
    g->nodes[b].out[0] = out;
    return TML_OK;
}

/* Moves DEQUANTIZE below and QUANTIZE above the TRANSPOSE / RESHAPE nodes
 * the layout pass puts between them and the ops (those run on int8 bytes
 * as well), so each op sits directly between its DQ and Q. */
static tml_status_t move_layout_ops(tml_ir_graph_t *g, tml_err_t *err)
{
    bool moved = true;
    for (int round = 0; moved && round < 64; round++) {
        moved = false;
        for (int i = 0; i < g->n_nodes; i++) {
            tml_ir_node_t *n = &g->nodes[i];
            if (!moves_bytes(n->op) || n->n_in < 1 || n->n_out != 1 || n->in[0] < 0)
                continue;
            int32_t x = n->in[0], t = n->out[0];
            if (g->tensors[x].dtype != TML_DT_F32 || tml_ir_is_const(&g->tensors[x]))
                continue;
            int32_t p = tml_ir_producer(g, x);
            if (p >= 0 && g->nodes[p].op == TML_OP_DEQUANTIZE && !tml_pu_is_output(g, x) &&
                tml_pu_node_readers(g, x) == 1 && per_tensor_i8(&g->tensors[g->nodes[p].in[0]])) {
                int32_t a = g->nodes[p].in[0];
                if (swap_through(g, p, i, a, t, t, a, TML_DT_I8) != TML_OK)
                    return tml_err_set(err, TML_ERR_NOMEM, "qdq folding: out of memory");
                moved = true;
                continue;
            }
            /* t read only by one QUANTIZE: quantize x first. */
            if (tml_pu_is_output(g, t) || tml_pu_node_readers(g, t) != 1 || tml_pu_is_output(g, x) ||
                tml_pu_node_readers(g, x) != 1 || p < 0)
                continue;
            for (int k = i + 1; k < g->n_nodes; k++) {
                tml_ir_node_t *q = &g->nodes[k];
                if (q->op != TML_OP_QUANTIZE || q->in[0] != t)
                    continue;
                int32_t z = q->out[0];
                if (!per_tensor_i8(&g->tensors[z]))
                    break;
                if (swap_through(g, i, k, x, z, x, z, TML_DT_I8) != TML_OK)
                    return tml_err_set(err, TML_ERR_NOMEM, "qdq folding: out of memory");
                moved = true;
                break;
            }
        }
    }
    return TML_OK;
}

/* Folds node i if it fits; *z receives the int8 output. */
static tml_status_t fold_node(tml_ir_graph_t *g, int i, bool *keep, bool *folded, tml_err_t *err)
{
    *folded = false;
    tml_ir_node_t n = g->nodes[i];
    if (n.op == TML_OP_QUANTIZE || n.op == TML_OP_DEQUANTIZE || n.n_out != 1 || n.n_in > 16 ||
        !tml_quant_has_int8_kernel(g, &n))
        return TML_OK;
    int32_t y = n.out[0];
    if (g->tensors[y].dtype != TML_DT_F32 || tml_pu_is_output(g, y))
        return TML_OK;
    /* Every reader of y a QUANTIZE with one set of params. */
    int32_t z = -1;
    int n_q = 0;
    for (int k = 0; k < g->n_nodes; k++)
        for (int j = 0; j < g->nodes[k].n_in; j++) {
            if (g->nodes[k].in[j] != y)
                continue;
            int32_t o = g->nodes[k].out[0];
            if (g->nodes[k].op != TML_OP_QUANTIZE || !keep[k] || !per_tensor_i8(&g->tensors[o]) ||
                (z >= 0 && !tml_pu_same_quant(&g->tensors[o], &g->tensors[z])))
                return TML_OK;
            if (z < 0)
                z = o;
            n_q++;
        }
    if (z < 0)
        return TML_OK;
    int32_t ins[16];
    int32_t act_in = -1;
    for (int j = 0; j < n.n_in; j++) {
        ins[j] = n.in[j];
        if (n.in[j] < 0 || tml_ir_is_const(&g->tensors[n.in[j]]))
            continue;
        if ((ins[j] = int8_source(g, n.in[j])) < 0)
            return TML_OK;
        if (act_in < 0)
            act_in = ins[j];
    }
    if (act_in < 0)
        return TML_OK;
    const tml_ir_tensor_t *zt = &g->tensors[z], *at = &g->tensors[act_in];
    if ((n.op == TML_OP_SOFTMAX || n.op == TML_OP_LOGISTIC) && !quant_is(zt, 1.0f / 256.0f, -128))
        return TML_OK;
    if (n.op == TML_OP_TANH && !quant_is(zt, 1.0f / 128.0f, 0))
        return TML_OK;
    if (tml_quant_passes_through(n.op) && !tml_pu_same_quant(zt, at))
        return TML_OK;
    tml_status_t st = TML_OK;
    if (n.op == TML_OP_CONV2D || n.op == TML_OP_DEPTHWISE_CONV2D ||
        n.op == TML_OP_FULLY_CONNECTED) {
        float *w_scales = NULL;
        int32_t ch = 0;
        st = tml_quant_weights(g, ins[1], n.op == TML_OP_DEPTHWISE_CONV2D, true, &ins[1],
                               &w_scales, &ch, err);
        if (st == TML_OK && n.n_in > 2 && ins[2] >= 0)
            st = tml_quant_bias(g, ins[2], g->tensors[act_in].quant.scale[0], w_scales, ch,
                                &ins[2], err);
        tml_free(w_scales);
    } else {
        for (int j = 0; j < n.n_in && st == TML_OK; j++)
            if (ins[j] >= 0 && tml_ir_is_const(&g->tensors[ins[j]]))
                st = tml_quant_const(g, ins[j], &ins[j], err);
    }
    if (st != TML_OK)
        return st;
    tml_ir_node_t *node = &g->nodes[i];
    memcpy(node->in, ins, (size_t)n.n_in * sizeof(int32_t));
    node->out[0] = z;
    /* The QUANTIZE nodes go; readers of their other outputs read z. */
    for (int k = 0; k < g->n_nodes; k++) {
        if (g->nodes[k].op != TML_OP_QUANTIZE || g->nodes[k].in[0] != y || !keep[k])
            continue;
        int32_t o = g->nodes[k].out[0];
        keep[k] = false;
        g->nodes[k].in[0] = -1;
        if (o != z)
            tml_pu_replace_reads(g, o, z);
    }
    (void)n_q;
    *folded = true;
    return TML_OK;
}

tml_status_t tml_quant_fold_qdq(tml_ir_graph_t *g, int *n_changed, tml_err_t *err)
{
    if (n_changed)
        *n_changed = 0;
    bool any = false;
    for (int i = 0; i < g->n_nodes; i++)
        any |= g->nodes[i].op == TML_OP_QUANTIZE || g->nodes[i].op == TML_OP_DEQUANTIZE;
    if (!any)
        return TML_OK;
    to_int8(g);
    tml_status_t st = tml_passes_run(g, NULL, err);
    if (st == TML_OK)
        st = move_layout_ops(g, err);
    if (st == TML_OK)
        st = tml_pass_dead_nodes(g, NULL, err);
    if (st != TML_OK)
        return st;
    bool *keep = tml_pu_keep_all(g);
    if (!keep)
        return tml_err_set(err, TML_ERR_NOMEM, "qdq folding: out of memory");
    int changed = 0;
    for (int i = 0; i < g->n_nodes && st == TML_OK; i++) {
        bool folded = false;
        if (keep[i])
            st = fold_node(g, i, keep, &folded, err);
        changed += folded;
    }
    if (st != TML_OK) {
        tml_free(keep);
        return st;
    }
    if (tml_pu_mark_dead(g, keep) < 0) {
        tml_free(keep);
        return tml_err_set(err, TML_ERR_NOMEM, "qdq folding: out of memory");
    }
    if ((st = tml_pu_finish(g, keep, "qdq folding", err)) != TML_OK)
        return st;
    if (n_changed)
        *n_changed = changed;
    return tml_ir_validate(g, err);
}
