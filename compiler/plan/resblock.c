/*
 * resblock.c - fuses residual blocks (conv, conv, add back the block's
 * input) into one RESBLOCK_S8 call, for the smallest arena.
 *
 * Unfused, a block needs its input x (kept alive for the ADD) next to the
 * first conv's output a, then next to a and b: two or three activations of
 * the block's size at once. Fused, rows of a live in a ring of k_h rows and
 * each output row overwrites x's row once nothing needs it any more
 * (tml/kernels/inplace.h), so the block needs x and the ring. The rewrite
 * works on lowered ops, before the in-place hints and the plan: three
 * consecutive reference ops CONV2D_S8 (x -> a), CONV2D_S8 (a -> b), ADD
 * (x, b) or (b, x) without broadcasting become one op, when a and b have no
 * other reader, x dies at the ADD (so the output may take x's buffer), and
 * the geometry lets the rows stream over x.
 */
#include <stdio.h>
#include <string.h>

#include "tml/plan.h"

static int is_output(const tml_ir_graph_t *g, int32_t t)
{
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t)
            return 1;
    return 0;
}

static int same_shape(const tml_ir_tensor_t *a, const tml_ir_tensor_t *b)
{
    return a->dtype == b->dtype && a->n_dims == b->n_dims &&
           memcmp(a->dims, b->dims, sizeof(int32_t) * (size_t)a->n_dims) == 0;
}

static int plain_conv(const tml_lop_t *op)
{
    return op->kernel == TML_K_CONV2D_S8 && op->n_out == 1 && (op->n_in == 4 || op->n_in == 5) &&
           op->n_params == (int)(sizeof(tml_conv_params_t) / 4);
}

/* Readers of tensor t among all ops (inputs only). */
static int n_readers(const tml_lowered_t *lw, int32_t t)
{
    int n = 0;
    for (int i = 0; i < lw->n_ops; i++)
        for (int j = 0; j < lw->ops[i].n_in; j++)
            n += lw->ops[i].operands[j] == t;
    return n;
}

/* The fused params for ops i, i + 1, i + 2 when they form a block that may
 * be fused; 0 otherwise. */
static int match(const tml_ir_graph_t *g, const tml_lowered_t *lw, int i,
                 tml_resblock_s8_params_t *p, int32_t *x_out)
{
    const tml_lop_t *ca = &lw->ops[i], *cb = &lw->ops[i + 1], *add = &lw->ops[i + 2];
    if (!plain_conv(ca) || !plain_conv(cb) ||
        !((add->kernel == TML_K_ADD_S8 && add->n_in == 2) ||
          (add->kernel == TML_K_ADD_S8_LUT && add->n_in == 4)) || add->n_out != 1 ||
        add->n_params != (int)(sizeof(tml_add_s8_params_t) / 4))
        return 0;
    int32_t x = ca->operands[0], a = ca->operands[ca->n_in], b = cb->operands[cb->n_in];
    int32_t out = add->operands[add->n_in];
    if (x < 0 || a < 0 || b < 0 || out < 0 || cb->operands[0] != a)
        return 0;
    int x_first; /* which ADD input is x */
    if (add->operands[0] == x && add->operands[1] == b)
        x_first = 1;
    else if (add->operands[0] == b && add->operands[1] == x)
        x_first = 0;
    else
        return 0;
    const tml_ir_tensor_t *tx = &g->tensors[x];
    if (tml_ir_is_const(tx) || tx->dtype != TML_DT_I8 || !same_shape(tx, &g->tensors[b]) ||
        !same_shape(tx, &g->tensors[out]))
        return 0;
    /* a and b exist only inside the block; x dies at the ADD. */
    if (is_output(g, a) || is_output(g, b) || is_output(g, x) || n_readers(lw, a) != 1 ||
        n_readers(lw, b) != 1 || n_readers(lw, x) != 2)
        return 0;
    memset(p, 0, sizeof(*p));
    memcpy(&p->conv_a, ca->params, sizeof(p->conv_a));
    memcpy(&p->conv_b, cb->params, sizeof(p->conv_b));
    const tml_conv_params_t *pa = &p->conv_a, *pb = &p->conv_b;
    if (pa->stride_h != 1 || pa->dilation_h != 1 || pb->stride_h != 1 || pb->dilation_h != 1 ||
        !tml_resblock_s8_may_alias(p))
        return 0;
    if (tml_resblock_s8_scratch_size(p) > INT32_MAX)
        return 0;
    if (pa->out_h != pb->in_h || pa->out_w != pb->in_w || pa->out_c != pb->in_c ||
        pb->out_h != pa->in_h || pb->out_w != pa->in_w || pb->out_c != pa->in_c || pa->n != pb->n)
        return 0;
    const tml_add_s8_params_t *ap = (const tml_add_s8_params_t *)add->params;
    p->x_offset = x_first ? ap->in1_offset : ap->in2_offset;
    p->x_mult = x_first ? ap->in1_mult : ap->in2_mult;
    p->x_shift = x_first ? ap->in1_shift : ap->in2_shift;
    p->b_offset = x_first ? ap->in2_offset : ap->in1_offset;
    p->b_mult = x_first ? ap->in2_mult : ap->in1_mult;
    p->b_shift = x_first ? ap->in2_shift : ap->in1_shift;
    p->out_offset = ap->out_offset;
    p->left_shift = ap->left_shift;
    p->out_mult = ap->out_mult;
    p->out_shift = ap->out_shift;
    p->act_min = ap->act_min;
    p->act_max = ap->act_max;
    *x_out = x;
    return 1;
}

tml_status_t tml_plan_fuse_resblocks(tml_ir_graph_t *g, tml_lowered_t *lw, int *n_fused,
                                     tml_err_t *err)
{
    *n_fused = 0;
    for (int i = 0; i + 2 < lw->n_ops; i++) {
        tml_resblock_s8_params_t p;
        int32_t x;
        if (!match(g, lw, i, &p, &x))
            continue;
        tml_lop_t *ca = &lw->ops[i], *cb = &lw->ops[i + 1], *add = &lw->ops[i + 2];
        char name[256];
        snprintf(name, sizeof(name), "%s/ring", g->nodes[add->node].name);
        int32_t ring, dims[1] = {(int32_t)tml_resblock_s8_scratch_size(&p)};
        tml_status_t st = tml_ir_add_tensor(g, name, TML_DT_I8, 1, dims, &ring);
        if (st != TML_OK)
            return tml_err_set(err, st, "residual block fusion: cannot add the ring scratch");
        int32_t *params = tml_malloc(sizeof(p));
        if (!params)
            return tml_err_set(err, TML_ERR_NOMEM, "residual block fusion: out of memory");
        memcpy(params, &p, sizeof(p));
        tml_lop_t fused;
        memset(&fused, 0, sizeof(fused));
        fused.kernel = TML_K_RESBLOCK_S8;
        fused.n_in = 11;
        fused.n_out = 2;
        fused.operands[0] = x;
        for (int j = 1; j < 5; j++) {
            fused.operands[j] = j < ca->n_in ? ca->operands[j] : -1;
            fused.operands[4 + j] = j < cb->n_in ? cb->operands[j] : -1;
        }
        /* ADD_S8_LUT's tables (inputs 2, 3 for its inputs 0, 1), by x and b. */
        int x_first = add->operands[0] == x;
        fused.operands[9] = add->kernel == TML_K_ADD_S8_LUT ? add->operands[x_first ? 2 : 3] : -1;
        fused.operands[10] = add->kernel == TML_K_ADD_S8_LUT ? add->operands[x_first ? 3 : 2] : -1;
        fused.operands[11] = add->operands[add->n_in];
        fused.operands[12] = ring;
        fused.params = params;
        fused.n_params = (int)(sizeof(p) / 4);
        fused.node = add->node;
        fused.inplace_input = 0;
        fused.overlap_input = -1;
        tml_free(ca->params);
        tml_free(cb->params);
        tml_free(add->params);
        lw->ops[i] = fused;
        memmove(&lw->ops[i + 1], &lw->ops[i + 3], (size_t)(lw->n_ops - i - 3) * sizeof(tml_lop_t));
        lw->n_ops -= 2;
        (*n_fused)++;
    }
    return TML_OK;
}
