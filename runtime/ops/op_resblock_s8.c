/*
 * op_resblock_s8.c - glue of RESBLOCK_S8 (tml/kernels/inplace.h): unpacks
 * operands for tml_resblock_s8(). The check proves each conv as
 * CONV2D_S8's check would, on stand-in descriptors for the intermediate a
 * (which never exists whole), the ADD's ranges as ADD_S8's, the ring's size,
 * and that out is either x itself (where the row order allows it) or clear
 * of x, and that the ring overlaps neither.
 */
#include "op_nn.h"

enum { X, W_A, MULT_A, SHIFT_A, BIAS_A, W_B, MULT_B, SHIFT_B, BIAS_B, LUT_X, LUT_B, N_IN,
       OUT = N_IN, RING };

static int in_range(int32_t v, int32_t lo, int32_t hi) { return v >= lo && v <= hi; }

/* A tensor of an int8 conv's input or output shape that is not in the
 * package: only its dtype, dims and length are looked at. */
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

/* The CONV2D_S8 check for one of the two convs: operands first .. first + 3
 * of ctx, the given input and output descriptors. */
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
    return (uint64_t)a->data_off + a->byte_len <= b->data_off ||
           (uint64_t)b->data_off + b->byte_len <= a->data_off;
}

static tml_status_t check_resblock_s8(const tml_op_ctx_t *ctx)
{
    const tml_resblock_s8_params_t *p = (const tml_resblock_s8_params_t *)ctx->params;
    if (!p || ctx->n_in != N_IN || ctx->n_out != 2)
        return TML_ERR_CORRUPT;
    const tml_conv_params_t *ca = &p->conv_a, *cb = &p->conv_b;
    /* Rows are streamed: one row of a per row of its input, one row of b
     * per row of a, so both convs step one row at a time. */
    if (ca->stride_h != 1 || ca->dilation_h != 1 || cb->stride_h != 1 || cb->dilation_h != 1)
        return TML_ERR_CORRUPT;
    if (ca->n != cb->n || ca->out_h != cb->in_h || ca->out_w != cb->in_w ||
        ca->out_c != cb->in_c || cb->out_h != ca->in_h || cb->out_w != ca->in_w ||
        cb->out_c != ca->in_c)
        return TML_ERR_CORRUPT;
    if ((uint64_t)ca->n * ca->out_h > 0x7FFFFFFF || (uint64_t)ca->out_w * ca->out_c > 0x7FFFFFFF)
        return TML_ERR_CORRUPT; /* (also refused by the conv check below) */
    tml_pkg_tensor_t a = stand_in(ca->n, ca->out_h, ca->out_w, ca->out_c);
    if (check_conv(ctx, ca, W_A, ctx->t[X], &a) != TML_OK ||
        check_conv(ctx, cb, W_B, &a, ctx->t[OUT]) != TML_OK)
        return TML_ERR_CORRUPT;
    /* ADD_S8's limits: |v + offset| <= 255 and 2 * 255 * 2^22 < 2^31. */
    if (!in_range(p->x_offset, -127, 128) || !in_range(p->b_offset, -127, 128) ||
        !in_range(p->out_offset, -128, 127) || !in_range(p->left_shift, 0, 22) ||
        p->x_mult < 0 || p->b_mult < 0 || p->out_mult < 0 || !in_range(p->x_shift, -31, 0) ||
        !in_range(p->b_shift, -31, 0) || !in_range(p->out_shift, -31, 0) ||
        !in_range(p->act_min, -128, 127) || !in_range(p->act_max, p->act_min, 127))
        return TML_ERR_CORRUPT;
    /* ADD_S8_LUT's tables: both or neither, 256 entries within +-2^30 so
     * that two of them sum within int32. */
    if (!ctx->t[LUT_X] != !ctx->t[LUT_B])
        return TML_ERR_CORRUPT;
    for (int i = LUT_X; i <= LUT_B && ctx->t[LUT_X]; i++) {
        const tml_pkg_tensor_t *t = ctx->t[i];
        if (tml_op_want(t, TML_DT_I32, 256 * 4) != TML_OK || t->byte_len != 256 * 4 ||
            t->storage != TML_PKG_CONST || !ctx->data[i])
            return TML_ERR_CORRUPT;
        const int32_t *lut = (const int32_t *)ctx->data[i];
        for (int v = 0; v < 256; v++)
            if (lut[v] > (1 << 30) || lut[v] < -(1 << 30))
                return TML_ERR_CORRUPT;
    }
    /* The row length fits int32 (conv check), k_h rows of it may not. */
    uint64_t ring_len = tml_resblock_s8_scratch_size(p);
    const tml_pkg_tensor_t *x = ctx->t[X], *out = ctx->t[OUT], *ring = ctx->t[RING];
    if (ring_len > 0x7FFFFFFF || tml_op_want(ring, TML_DT_I8, 0) != TML_OK ||
        ring->byte_len < ring_len)
        return TML_ERR_CORRUPT; /* the kernel indexes the ring with int32 */
    if (ring->storage == TML_PKG_ARENA &&
        ((x->storage == TML_PKG_ARENA && !disjoint(ring, x)) ||
         (out->storage == TML_PKG_ARENA && !disjoint(ring, out))))
        return TML_ERR_CORRUPT;
    if (x->storage == TML_PKG_ARENA && out->storage == TML_PKG_ARENA && !disjoint(x, out) &&
        !(x->data_off == out->data_off && tml_resblock_s8_may_alias(p)))
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
                    (const int32_t *)ctx->data[LUT_X], (const int32_t *)ctx->data[LUT_B],
                    (int8_t *)ctx->data[OUT], (int8_t *)ctx->data[RING]);
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
