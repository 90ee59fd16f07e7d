/*
 * resblock.c - fuses residual blocks (conv, conv, add a shortcut of the
 * block's input) into one RESBLOCK_S8 call, for the smallest arena.
 *
 * Unfused, a block needs its input x (kept alive for the shortcut) next to
 * the first conv's output a, then next to a and b (and the shortcut conv's
 * output s): two or three activations of the block's size at once. Fused,
 * rows of a live in a ring of k_h rows and the output streams over x as x
 * stops being needed (tml/kernels/inplace.h), so the block needs x, the
 * ring and one pixel. The rewrite works on lowered ops, before the in-place
 * hints and the plan. Two shapes of block are fused:
 *
 *   identity:   CONV2D_S8 (x -> a), CONV2D_S8 (a -> b), ADD (x, b)
 *   projection: CONV2D_S8 (x -> a), CONV2D_S8 (a -> b) and a 1x1
 *               CONV2D_S8 (x -> s) in any order, then ADD (s, b)
 *
 * consecutive ops, with ADD's inputs in either order and of the output's
 * shape, when a, b and s have no other reader, x dies at the ADD, and
 * tml_resblock_s8_may_overlap() lets the output start where x does: the
 * output then takes x's buffer (identity: same size) or starts at its first
 * byte (projection: an overlap hint at distance 0).
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

static int plain_add(const tml_lop_t *op)
{
    return ((op->kernel == TML_K_ADD_S8 && op->n_in == 2) ||
            (op->kernel == TML_K_ADD_S8_LUT && op->n_in == 4)) &&
           op->n_out == 1 && op->n_params == (int)(sizeof(tml_add_s8_params_t) / 4);
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

static int32_t out_of(const tml_lop_t *op) { return op->operands[op->n_in]; }

/* A block found at ops [first, first + n_ops): its convs (cs NULL for an
 * identity shortcut), its ADD, and the fused params. */
typedef struct block {
    int first, n_ops;
    const tml_lop_t *ca, *cb, *cs, *add;
    int32_t x, shortcut; /* shortcut: x, or conv_s's output */
    tml_resblock_s8_params_t p;
} block_t;

/* Whether ops[first ..] hold a block that may be fused, with n_convs convs
 * (2: identity, 3: projection) then the ADD; fills blk. */
static int match(const tml_ir_graph_t *g, const tml_lowered_t *lw, int first, int n_convs,
                 block_t *blk)
{
    if (first + n_convs >= lw->n_ops)
        return 0;
    const tml_lop_t *add = &lw->ops[first + n_convs], *conv[3];
    if (!plain_add(add))
        return 0;
    for (int k = 0; k < n_convs; k++) {
        conv[k] = &lw->ops[first + k];
        if (!plain_conv(conv[k]))
            return 0;
    }
    memset(blk, 0, sizeof(*blk));
    /* conv_b reads conv_a's output; the third conv is the shortcut. */
    for (int i = 0; i < n_convs && !blk->cb; i++)
        for (int j = 0; j < n_convs; j++)
            if (i != j && conv[j]->operands[0] == out_of(conv[i])) {
                blk->ca = conv[i];
                blk->cb = conv[j];
                if (n_convs == 3)
                    blk->cs = conv[3 - i - j];
                break;
            }
    if (!blk->cb)
        return 0;
    int32_t x = blk->ca->operands[0], a = out_of(blk->ca), b = out_of(blk->cb), y = out_of(add);
    int32_t s = blk->cs ? out_of(blk->cs) : x;
    if (x < 0 || a < 0 || b < 0 || y < 0 || s < 0 || (blk->cs && blk->cs->operands[0] != x))
        return 0;
    int s_first; /* which ADD input is the shortcut */
    if (add->operands[0] == s && add->operands[1] == b)
        s_first = 1;
    else if (add->operands[0] == b && add->operands[1] == s)
        s_first = 0;
    else
        return 0;
    const tml_ir_tensor_t *ty = &g->tensors[y];
    if (tml_ir_is_const(&g->tensors[x]) || g->tensors[x].dtype != TML_DT_I8 ||
        ty->dtype != TML_DT_I8 || !same_shape(ty, &g->tensors[b]) ||
        !same_shape(ty, &g->tensors[s]))
        return 0;
    /* a, b and s exist only inside the block; x dies at the ADD. */
    if (is_output(g, a) || is_output(g, b) || is_output(g, s) || is_output(g, x) ||
        n_readers(lw, a) != 1 || n_readers(lw, b) != 1 || n_readers(lw, s) != (blk->cs ? 1 : 2) ||
        n_readers(lw, x) != 2)
        return 0;
    tml_resblock_s8_params_t *p = &blk->p;
    memcpy(&p->conv_a, blk->ca->params, sizeof(p->conv_a));
    memcpy(&p->conv_b, blk->cb->params, sizeof(p->conv_b));
    const tml_conv_params_t *pa = &p->conv_a, *pb = &p->conv_b, *ps = &p->conv_s;
    if (blk->cs) {
        memcpy(&p->conv_s, blk->cs->params, sizeof(p->conv_s));
        p->has_proj = 1;
        if (ps->k_h != 1 || ps->k_w != 1 || ps->pad_top || ps->pad_left || ps->pad_bottom ||
            ps->pad_right || ps->out_h != pb->out_h || ps->out_w != pb->out_w ||
            ps->out_c != pb->out_c)
            return 0;
    } else if (pb->out_h != pa->in_h || pb->out_w != pa->in_w || pb->out_c != pa->in_c) {
        return 0;
    }
    if (pa->dilation_h != 1 || pb->stride_h != 1 || pb->dilation_h != 1 || pa->n != pb->n ||
        pa->out_h != pb->in_h || pa->out_w != pb->in_w || pa->out_c != pb->in_c ||
        tml_resblock_s8_scratch_size(p) > INT32_MAX || !tml_resblock_s8_may_overlap(p))
        return 0;
    const tml_add_s8_params_t *ap = (const tml_add_s8_params_t *)add->params;
    p->s_offset = s_first ? ap->in1_offset : ap->in2_offset;
    p->s_mult = s_first ? ap->in1_mult : ap->in2_mult;
    p->s_shift = s_first ? ap->in1_shift : ap->in2_shift;
    p->b_offset = s_first ? ap->in2_offset : ap->in1_offset;
    p->b_mult = s_first ? ap->in2_mult : ap->in1_mult;
    p->b_shift = s_first ? ap->in2_shift : ap->in1_shift;
    p->out_offset = ap->out_offset;
    p->left_shift = ap->left_shift;
    p->out_mult = ap->out_mult;
    p->out_shift = ap->out_shift;
    p->act_min = ap->act_min;
    p->act_max = ap->act_max;
    blk->first = first;
    blk->n_ops = n_convs + 1;
    blk->add = add;
    blk->x = x;
    blk->shortcut = s;
    return 1;
}

/* ADD_S8_LUT's two tables as one constant (shortcut's, then b's), or -1
 * for ADD_S8. */
static tml_status_t merged_lut(tml_ir_graph_t *g, const block_t *blk, int32_t *lut,
                               tml_err_t *err)
{
    *lut = -1;
    if (blk->add->kernel != TML_K_ADD_S8_LUT)
        return TML_OK;
    int s_first = blk->add->operands[0] == blk->shortcut;
    const tml_ir_tensor_t *t1 = &g->tensors[blk->add->operands[s_first ? 2 : 3]];
    const tml_ir_tensor_t *t2 = &g->tensors[blk->add->operands[s_first ? 3 : 2]];
    if (!t1->data || !t2->data || t1->data_len != 1024 || t2->data_len != 1024)
        return TML_OK; /* not the tables lowering makes: compute per element */
    int32_t table[512];
    memcpy(table, t1->data, 1024);
    memcpy(table + 256, t2->data, 1024);
    char name[256];
    snprintf(name, sizeof(name), "%s/lut", g->nodes[blk->add->node].name);
    int32_t dims[1] = {512};
    tml_status_t st = tml_ir_add_tensor(g, name, TML_DT_I32, 1, dims, lut);
    if (st == TML_OK)
        st = tml_ir_set_data(g, *lut, table, sizeof(table));
    if (st != TML_OK)
        return tml_err_set(err, st, "residual block fusion: cannot add the ADD tables");
    return TML_OK;
}

/* Replaces the block's ops by one RESBLOCK_S8. */
static tml_status_t fuse(tml_ir_graph_t *g, tml_lowered_t *lw, const block_t *blk,
                         tml_err_t *err)
{
    char name[256];
    snprintf(name, sizeof(name), "%s/scratch", g->nodes[blk->add->node].name);
    int32_t scratch, lut, dims[1] = {(int32_t)tml_resblock_s8_scratch_size(&blk->p)};
    tml_status_t st = tml_ir_add_tensor(g, name, TML_DT_I8, 1, dims, &scratch);
    if (st != TML_OK)
        return tml_err_set(err, st, "residual block fusion: cannot add the scratch");
    if ((st = merged_lut(g, blk, &lut, err)) != TML_OK)
        return st;
    int32_t *params = tml_malloc(sizeof(blk->p));
    if (!params)
        return tml_err_set(err, TML_ERR_NOMEM, "residual block fusion: out of memory");
    memcpy(params, &blk->p, sizeof(blk->p));
    tml_lop_t fused;
    memset(&fused, 0, sizeof(fused));
    fused.kernel = TML_K_RESBLOCK_S8;
    fused.n_in = 14;
    fused.n_out = 2;
    fused.operands[0] = blk->x;
    for (int j = 1; j < 5; j++) {
        fused.operands[j] = j < blk->ca->n_in ? blk->ca->operands[j] : -1;
        fused.operands[4 + j] = j < blk->cb->n_in ? blk->cb->operands[j] : -1;
        fused.operands[8 + j] = blk->cs && j < blk->cs->n_in ? blk->cs->operands[j] : -1;
    }
    fused.operands[13] = lut;
    fused.operands[14] = out_of(blk->add);
    fused.operands[15] = scratch;
    fused.params = params;
    fused.n_params = (int)(sizeof(blk->p) / 4);
    fused.node = blk->add->node;
    /* The output takes x's buffer (same size) or starts at its first byte. */
    fused.inplace_input = blk->cs ? -1 : 0;
    fused.overlap_input = blk->cs ? 0 : -1;
    fused.overlap_off = 0;
    for (int k = 0; k < blk->n_ops; k++)
        tml_free(lw->ops[blk->first + k].params);
    lw->ops[blk->first] = fused;
    memmove(&lw->ops[blk->first + 1], &lw->ops[blk->first + blk->n_ops],
            (size_t)(lw->n_ops - blk->first - blk->n_ops) * sizeof(tml_lop_t));
    lw->n_ops -= blk->n_ops - 1;
    return TML_OK;
}

tml_status_t tml_plan_fuse_resblocks(tml_ir_graph_t *g, tml_lowered_t *lw, int *n_fused,
                                     tml_err_t *err)
{
    *n_fused = 0;
    for (int i = 0; i < lw->n_ops; i++) {
        block_t blk;
        if (!match(g, lw, i, 2, &blk) && !match(g, lw, i, 3, &blk))
            continue;
        tml_status_t st = fuse(g, lw, &blk, err);
        if (st != TML_OK)
            return st;
        (*n_fused)++;
    }
    return TML_OK;
}
