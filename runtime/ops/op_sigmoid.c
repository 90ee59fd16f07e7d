/*
 * op_sigmoid.c - glue for TML_K_LOGISTIC_S8/F32 and TML_K_TANH_S8/F32.
 */
#include "op_elem_util.h"

static tml_status_t check_sigmoid_s8(const tml_op_ctx_t *ctx)
{
    const tml_sigmoid_s8_params_t *p = (const tml_sigmoid_s8_params_t *)ctx->params;
    tml_status_t st = elem_check_unary(ctx, p->n, TML_DT_I8, TML_DT_I8);
    if (st != TML_OK)
        return st;
    if (!elem_in_range(p->in_zp, -128, 127) || p->input_range_radius < 0 || p->input_mult < 0 ||
        !elem_in_range(p->input_left_shift, -31, 31))
        return TML_ERR_CORRUPT;
    /* Differences inside the radius (at most 255) must not wrap when
     * shifted left, so the fixed-point input stays a true value. */
    uint64_t max_abs = p->input_range_radius > 256 ? 255u : (uint64_t)(p->input_range_radius ? p->input_range_radius - 1 : 0);
    if (p->input_left_shift > 0 && (max_abs << p->input_left_shift) > (uint64_t)ELEM_I32_MAX)
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static tml_status_t check_unary_f32(const tml_op_ctx_t *ctx)
{
    const tml_unary_f32_params_t *p = (const tml_unary_f32_params_t *)ctx->params;
    return elem_check_unary(ctx, p->n, TML_DT_F32, TML_DT_F32);
}

static void eval_logistic_s8(const tml_op_ctx_t *ctx)
{
    tml_logistic_s8((const tml_sigmoid_s8_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

static void eval_tanh_s8(const tml_op_ctx_t *ctx)
{
    tml_tanh_s8((const tml_sigmoid_s8_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

static void eval_logistic_f32(const tml_op_ctx_t *ctx)
{
    tml_logistic_f32((const tml_unary_f32_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

static void eval_tanh_f32(const tml_op_ctx_t *ctx)
{
    tml_tanh_f32((const tml_unary_f32_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

const tml_op_desc_t tml_op_logistic_s8 = {
    "LOGISTIC_S8", 1, 1, 1, sizeof(tml_sigmoid_s8_params_t) / 4, check_sigmoid_s8, eval_logistic_s8,
};
const tml_op_desc_t tml_op_logistic_f32 = {
    "LOGISTIC_F32", 1, 1, 1, sizeof(tml_unary_f32_params_t) / 4, check_unary_f32, eval_logistic_f32,
};
const tml_op_desc_t tml_op_tanh_s8 = {
    "TANH_S8", 1, 1, 1, sizeof(tml_sigmoid_s8_params_t) / 4, check_sigmoid_s8, eval_tanh_s8,
};
const tml_op_desc_t tml_op_tanh_f32 = {
    "TANH_F32", 1, 1, 1, sizeof(tml_unary_f32_params_t) / 4, check_unary_f32, eval_tanh_f32,
};
