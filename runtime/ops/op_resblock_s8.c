/*
 * op_resblock_s8.c - glue of RESBLOCK_S8 (tml/kernels/inplace.h): unpacks
 * operands for tml_resblock_s8(). The check proves each conv as
 * CONV2D_S8's check would, on stand-in descriptors for the intermediates
 * (which never exist whole), the ADD's ranges as ADD_S8's (and its tables
 * as ADD_S8_LUT's), the scratch size, and that out either starts where x
 * does with tml_resblock_s8_may_overlap() allowing it, or stays clear of
 * x; the scratch overlaps neither.
 */
#include "op_nn.h"

enum {
    X, W_A, MULT_A, SHIFT_A, BIAS_A, W_B, MULT_B, SHIFT_B, BIAS_B, W_S, MULT_S, SHIFT_S, BIAS_S,
    LUT, N_IN, OUT = N_IN, SCRATCH
};

static int in_range(int32_t v, int32_t lo, int32_t hi) { return v >= lo && v <= hi; }

/* An int8 [n, h, w, c] tensor that is not in the package: only its dtype,
 * dims and length are looked at. */
static tml_pkg_tensor_t stand_in(int32_t n, int32_t h, int32_t w, int32_t c)
{
    tml_pkg_tensor_t t = {.dtype = TML_DT_I8, .n_dims = 4, .storage = TML_PKG_ARENA};
    for (int i = 0; i < TML_PKG_MAX_DIMS; i++)
        t.dims[i] = 1;
    t.dims[0] = n;
    t.dims[1] = h;
    t.dims[2] = w;
    t.dims[3] = c;
    t.byte_len = (uint32_t)((uint64_t)n * (uint64_t)h * (uint64_t)w * (uint64_t)c);
    return t;
}

/* The CONV2D_S8 check for one conv: its weights, mult, shift, bias at
 * operands first .. first + 3 of ctx, the given input and output. */
static tml_status_t check_conv(const tml_op_ctx_t *ctx, const tml_conv_params_t *p, int first,
                               const tml_pkg_tensor_t *in, const tml_pkg_tensor_t *out)
{
    tml_op_ctx_t sub = *ctx;
    sub.params = (const int32_t *)p;
    sub.n_in = ctx->t[first + 3] ? 5 : 4;
    sub.n_out = 1;
    sub.t[0] = in;
    sub.data[0] = NULL;
    for (int i = 0; i < 4; i++) {
        sub.t[1 + i] = ctx->t[first + i];
        sub.data[1 + i] = ctx->data[first + i];
    }
    sub.t[sub.n_in] = out;
    return tml_op_nn_check_conv(&sub, 0, 1);
}

static int disjoint(const tml_pkg_tensor_t *a, const tml_pkg_tensor_t *b)
{
    return a->storage != TML_PKG_ARENA || b->storage != TML_PKG_ARENA ||
           (uint64_t)a->data_off + a->byte_len <= b->data_off ||
           (uint64_t)b->data_off + b->byte_len <= a->data_off;
}

static int same_dims(const tml_conv_params_t *p, const tml_conv_params_t *q)
{
    return p->out_h == q->out_h && p->out_w == q->out_w && p->out_c == q->out_c;
}

static tml_status_t check_resblock_s8(const tml_op_ctx_t *ctx)
{
    const tml_resblock_s8_params_t *p = (const tml_resblock_s8_params_t *)ctx->params;
    if (!p || ctx->n_in != N_IN || ctx->n_out != 2 || !ctx->t[X])
        return TML_ERR_CORRUPT;
    const tml_conv_params_t *ca = &p->conv_a, *cb = &p->conv_b, *cs = &p->conv_s;
    /* Rows of a go through the ring one at a time, read by conv_b. */
    if (ca->dilation_h != 1 || cb->stride_h != 1 || cb->dilation_h != 1)
        return TML_ERR_CORRUPT;
    if (ca->n != cb->n || ca->out_h != cb->in_h || ca->out_w != cb->in_w ||
        ca->out_c != cb->in_c || (uint64_t)ca->n * (uint64_t)ca->out_h > 0x7FFFFFFF ||
        (uint64_t)ca->out_w * (uint64_t)ca->out_c > 0x7FFFFFFF)
        return TML_ERR_CORRUPT;
    tml_pkg_tensor_t a = stand_in(ca->n, ca->out_h, ca->out_w, ca->out_c);
    if (check_conv(ctx, ca, W_A, ctx->t[X], &a) != TML_OK ||
        check_conv(ctx, cb, W_B, &a, ctx->t[OUT]) != TML_OK)
        return TML_ERR_CORRUPT;
    if (p->has_proj == 1) {
        /* 1x1, unpadded, from x to out's shape. */
        if (cs->k_h != 1 || cs->k_w != 1 || cs->pad_top || cs->pad_left || cs->pad_bottom ||
            cs->pad_right || cs->n != ca->n || cs->in_h != ca->in_h || cs->in_w != ca->in_w ||
            cs->in_c != ca->in_c || !same_dims(cs, cb) ||
            check_conv(ctx, cs, W_S, ctx->t[X], ctx->t[OUT]) != TML_OK)
            return TML_ERR_CORRUPT;
    } else if (p->has_proj == 0) {
        /* x is the shortcut: out has its shape; no conv_s operands. */
        if (cb->out_h != ca->in_h || cb->out_w != ca->in_w || cb->out_c != ca->in_c)
            return TML_ERR_CORRUPT;
        for (int i = W_S; i <= BIAS_S; i++)
            if (ctx->t[i])
                return TML_ERR_CORRUPT;
    } else {
        return TML_ERR_CORRUPT;
    }
    /* ADD_S8's limits: |v + offset| <= 255 and 2 * 255 * 2^22 < 2^31. */
    if (!in_range(p->s_offset, -127, 128) || !in_range(p->b_offset, -127, 128) ||
        !in_range(p->out_offset, -128, 127) || !in_range(p->left_shift, 0, 22) ||
        p->s_mult < 0 || p->b_mult < 0 || p->out_mult < 0 || !in_range(p->s_shift, -31, 0) ||
        !in_range(p->b_shift, -31, 0) || !in_range(p->out_shift, -31, 0) ||
        !in_range(p->act_min, -128, 127) || !in_range(p->act_max, p->act_min, 127))
        return TML_ERR_CORRUPT;
    /* ADD_S8_LUT's tables, both in one: entries within +-2^30 so that two
     * of them sum within int32. */
    if (ctx->t[LUT]) {
        const tml_pkg_tensor_t *t = ctx->t[LUT];
        if (tml_op_want(t, TML_DT_I32, 512 * 4) != TML_OK || t->byte_len != 512 * 4 ||
            t->storage != TML_PKG_CONST || !ctx->data[LUT])
            return TML_ERR_CORRUPT;
        const int32_t *lut = (const int32_t *)ctx->data[LUT];
        for (int v = 0; v < 512; v++)
            if (lut[v] > (1 << 30) || lut[v] < -(1 << 30))
                return TML_ERR_CORRUPT;
    }
    const tml_pkg_tensor_t *x = ctx->t[X], *out = ctx->t[OUT], *scratch = ctx->t[SCRATCH];
    /* The kernel indexes scratch with int32. */
    uint64_t scratch_len = tml_resblock_s8_scratch_size(p);
    if (scratch_len > 0x7FFFFFFF || tml_op_want(scratch, TML_DT_I8, 0) != TML_OK ||
        scratch->byte_len < scratch_len)
        return TML_ERR_CORRUPT;
    if (!disjoint(scratch, x) || !disjoint(scratch, out))
        return TML_ERR_CORRUPT;
    if (!disjoint(x, out) && !(x->data_off == out->data_off && tml_resblock_s8_may_overlap(p)))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static void eval_resblock_s8(const tml_op_ctx_t *ctx)
{
    tml_resblock_s8((const tml_resblock_s8_params_t *)ctx->params, (const int8_t *)ctx->data[X],
                    (const int8_t *)ctx->data[W_A], (const int32_t *)ctx->data[MULT_A],
                    (const int32_t *)ctx->data[SHIFT_A], (const int32_t *)ctx->data[BIAS_A],
                    (const int8_t *)ctx->data[W_B], (const int32_t *)ctx->data[MULT_B],
                    (const int32_t *)ctx->data[SHIFT_B], (const int32_t *)ctx->data[BIAS_B],
                    (const int8_t *)ctx->data[W_S], (const int32_t *)ctx->data[MULT_S],
                    (const int32_t *)ctx->data[SHIFT_S], (const int32_t *)ctx->data[BIAS_S],
                    (const int32_t *)ctx->data[LUT], (int8_t *)ctx->data[OUT],
                    (int8_t *)ctx->data[SCRATCH]);
}

const tml_op_desc_t tml_op_resblock_s8 = {
    .name = "RESBLOCK_S8",
    .min_inputs = N_IN,
    .max_inputs = N_IN,
    .n_outputs = 2,
    .n_params = sizeof(tml_resblock_s8_params_t) / 4,
    .check = check_resblock_s8,
    .eval = eval_resblock_s8,
};
