/*
 * op_mul.c - glue for TML_K_MUL_S8 and TML_K_MUL_F32 (see ops.h).
 */
#include "op_elem_util.h"

static tml_status_t check_mul_s8(const tml_op_ctx_t *ctx)
{
    const tml_mul_s8_params_t *p = (const tml_mul_s8_params_t *)ctx->params;
    tml_status_t st = elem_check_bcast(ctx, p->out_shape, p->in1_stride, p->in2_stride, TML_DT_I8);
    if (st != TML_OK)
        return st;
    /* |product| <= 255 * 255 < 2^16: a shift up to 14 keeps it below 2^30 */
    if (!elem_in_range(p->in1_offset, -127, 128) || !elem_in_range(p->in2_offset, -127, 128) ||
        !elem_in_range(p->out_offset, -128, 127) || p->out_mult < 0 ||
        !elem_in_range(p->out_shift, -31, 14) ||
        !elem_in_range(p->act_min, -128, 127) || !elem_in_range(p->act_max, p->act_min, 127))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static void eval_mul_s8(const tml_op_ctx_t *ctx)
{
    tml_mul_s8((const tml_mul_s8_params_t *)ctx->params, ctx->data[0], ctx->data[1], ctx->data[2]);
}

static tml_status_t check_mul_f32(const tml_op_ctx_t *ctx)
{
    const tml_binary_f32_params_t *p = (const tml_binary_f32_params_t *)ctx->params;
    return elem_check_bcast(ctx, p->out_shape, p->in1_stride, p->in2_stride, TML_DT_F32);
}

static void eval_mul_f32(const tml_op_ctx_t *ctx)
{
    tml_mul_f32((const tml_binary_f32_params_t *)ctx->params, ctx->data[0], ctx->data[1], ctx->data[2]);
}

const tml_op_desc_t tml_op_mul_s8 = {
    "MUL_S8", 2, 2, 1, sizeof(tml_mul_s8_params_t) / 4, check_mul_s8, eval_mul_s8,
};
const tml_op_desc_t tml_op_mul_f32 = {
    "MUL_F32", 2, 2, 1, sizeof(tml_binary_f32_params_t) / 4, check_mul_f32, eval_mul_f32,
};
