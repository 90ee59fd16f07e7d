/*
 * op_add.c - glue for TML_K_ADD_S8 and TML_K_ADD_F32 (see ops.h). The
 * checks bound every offset and shift so that the int8 kernel's
 * intermediate values provably stay within int32.
 */
#include "op_elem_util.h"

static tml_status_t check_add_s8(const tml_op_ctx_t *ctx)
{
    const tml_add_s8_params_t *p = (const tml_add_s8_params_t *)ctx->params;
    tml_status_t st = elem_check_bcast(ctx, p->out_shape, p->in1_stride, p->in2_stride, TML_DT_I8);
    if (st != TML_OK)
        return st;
    /* |in + offset| <= 255; 2 * 255 * 2^22 < 2^31; multipliers below one */
    if (!elem_in_range(p->in1_offset, -127, 128) || !elem_in_range(p->in2_offset, -127, 128) ||
        !elem_in_range(p->out_offset, -128, 127) || !elem_in_range(p->left_shift, 0, 22) ||
        p->in1_mult < 0 || p->in2_mult < 0 || p->out_mult < 0 ||
        !elem_in_range(p->in1_shift, -31, 0) || !elem_in_range(p->in2_shift, -31, 0) ||
        !elem_in_range(p->out_shift, -31, 0) ||
        !elem_in_range(p->act_min, -128, 127) || !elem_in_range(p->act_max, p->act_min, 127))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static void eval_add_s8(const tml_op_ctx_t *ctx)
{
    tml_add_s8((const tml_add_s8_params_t *)ctx->params, ctx->data[0], ctx->data[1], ctx->data[2]);
}

/* ADD_S8_LUT: the ADD_S8 checks on (in1, in2, out), plus two tables of 256
 * int32 entries each within +-2^30, so that entry sums fit int32. */
static tml_status_t check_add_s8_lut(const tml_op_ctx_t *ctx)
{
    if (ctx->n_in != 4 || ctx->n_out != 1)
        return TML_ERR_CORRUPT;
    for (int i = 2; i < 4; i++) {
        if (tml_op_want(ctx->t[i], TML_DT_I32, 256 * 4) != TML_OK || ctx->t[i]->byte_len != 256 * 4)
            return TML_ERR_CORRUPT;
        const int32_t *lut = (const int32_t *)ctx->data[i];
        for (int v = 0; v < 256; v++)
            if (lut[v] > (1 << 30) || lut[v] < -(1 << 30))
                return TML_ERR_CORRUPT;
    }
    tml_op_ctx_t plain = *ctx;
    plain.n_in = 2;
    plain.t[2] = ctx->t[4];
    plain.data[2] = ctx->data[4];
    return check_add_s8(&plain);
}

static void eval_add_s8_lut(const tml_op_ctx_t *ctx)
{
    tml_add_s8_lut((const tml_add_s8_params_t *)ctx->params, ctx->data[0], ctx->data[1],
                   ctx->data[2], ctx->data[3], ctx->data[4]);
}

static tml_status_t check_binary_f32(const tml_op_ctx_t *ctx)
{
    const tml_binary_f32_params_t *p = (const tml_binary_f32_params_t *)ctx->params;
    return elem_check_bcast(ctx, p->out_shape, p->in1_stride, p->in2_stride, TML_DT_F32);
}

static void eval_add_f32(const tml_op_ctx_t *ctx)
{
    tml_add_f32((const tml_binary_f32_params_t *)ctx->params, ctx->data[0], ctx->data[1], ctx->data[2]);
}

const tml_op_desc_t tml_op_add_s8 = {
    "ADD_S8", 2, 2, 1, sizeof(tml_add_s8_params_t) / 4, check_add_s8, eval_add_s8,
};
const tml_op_desc_t tml_op_add_s8_lut = {
    "ADD_S8_LUT", 4, 4, 1, sizeof(tml_add_s8_params_t) / 4, check_add_s8_lut, eval_add_s8_lut,
};
const tml_op_desc_t tml_op_add_f32 = {
    "ADD_F32", 2, 2, 1, sizeof(tml_binary_f32_params_t) / 4, check_binary_f32, eval_add_f32,
};
