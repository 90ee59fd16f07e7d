/*
 * op_relu.c - glue for TML_K_RELU_S8, TML_K_CLAMP_F32 and the hard-swish
 * kernels TML_K_HARD_SWISH_S8/F32.
 */
#include "op_elem_util.h"

static tml_status_t check_relu_s8(const tml_op_ctx_t *ctx)
{
    const tml_relu_s8_params_t *p = (const tml_relu_s8_params_t *)ctx->params;
    tml_status_t st = elem_check_unary(ctx, p->n, TML_DT_I8, TML_DT_I8);
    if (st != TML_OK)
        return st;
    /* 255 * 2^22 < 2^30: the rescaled value plus out_zp stays in int32 */
    if (!elem_in_range(p->in_zp, -128, 127) || !elem_in_range(p->out_zp, -128, 127) ||
        p->mult < 0 || !elem_in_range(p->shift, -31, 22) ||
        !elem_in_range(p->act_min, -128, 127) || !elem_in_range(p->act_max, p->act_min, 127))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static void eval_relu_s8(const tml_op_ctx_t *ctx)
{
    tml_relu_s8((const tml_relu_s8_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

static tml_status_t check_clamp_f32(const tml_op_ctx_t *ctx)
{
    const tml_clamp_f32_params_t *p = (const tml_clamp_f32_params_t *)ctx->params;
    return elem_check_unary(ctx, p->n, TML_DT_F32, TML_DT_F32);
}

static void eval_clamp_f32(const tml_op_ctx_t *ctx)
{
    tml_clamp_f32((const tml_clamp_f32_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

static tml_status_t check_hard_swish_s8(const tml_op_ctx_t *ctx)
{
    const tml_hard_swish_s8_params_t *p = (const tml_hard_swish_s8_params_t *)ctx->params;
    tml_status_t st = elem_check_unary(ctx, p->n, TML_DT_I8, TML_DT_I8);
    if (st != TML_OK)
        return st;
    /* 16-bit arithmetic: multipliers are Q15, shifts stay within 15 bits */
    if (!elem_in_range(p->in_zp, -128, 127) || !elem_in_range(p->out_zp, -128, 127) ||
        !elem_in_range(p->reluish_mult, 0, 32767) || !elem_in_range(p->reluish_exp, -15, 15) ||
        !elem_in_range(p->out_mult, 0, 32767) || !elem_in_range(p->out_exp, -15, 0))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static void eval_hard_swish_s8(const tml_op_ctx_t *ctx)
{
    tml_hard_swish_s8((const tml_hard_swish_s8_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

static tml_status_t check_hard_swish_f32(const tml_op_ctx_t *ctx)
{
    const tml_unary_f32_params_t *p = (const tml_unary_f32_params_t *)ctx->params;
    return elem_check_unary(ctx, p->n, TML_DT_F32, TML_DT_F32);
}

static void eval_hard_swish_f32(const tml_op_ctx_t *ctx)
{
    tml_hard_swish_f32((const tml_unary_f32_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

const tml_op_desc_t tml_op_relu_s8 = {
    "RELU_S8", 1, 1, 1, sizeof(tml_relu_s8_params_t) / 4, check_relu_s8, eval_relu_s8,
};
const tml_op_desc_t tml_op_clamp_f32 = {
    "CLAMP_F32", 1, 1, 1, sizeof(tml_clamp_f32_params_t) / 4, check_clamp_f32, eval_clamp_f32,
};
const tml_op_desc_t tml_op_hard_swish_s8 = {
    "HARD_SWISH_S8", 1, 1, 1, sizeof(tml_hard_swish_s8_params_t) / 4, check_hard_swish_s8,
    eval_hard_swish_s8,
};
const tml_op_desc_t tml_op_hard_swish_f32 = {
    "HARD_SWISH_F32", 1, 1, 1, sizeof(tml_unary_f32_params_t) / 4, check_hard_swish_f32,
    eval_hard_swish_f32,
};
