/*
 * op_softmax.c - glue for TML_K_SOFTMAX_S8 and TML_K_SOFTMAX_F32.
 */
#include "op_elem_util.h"

/* Each exp is at most 2^19 in Q12.19, so rows of up to 4095 elements sum
 * below 2^31. */
#define SOFTMAX_S8_MAX_DEPTH 4095

static tml_status_t check_rows(const tml_op_ctx_t *ctx, int32_t outer, int32_t depth, uint32_t dtype)
{
    int32_t dims[2] = {outer, depth};
    int64_t n;
    if (!elem_dims_product(dims, 2, ELEM_I32_MAX / 4, &n) || (outer > 0 && depth < 1))
        return TML_ERR_CORRUPT;
    return elem_check_unary(ctx, (int32_t)n, dtype, dtype);
}

static tml_status_t check_softmax_s8(const tml_op_ctx_t *ctx)
{
    const tml_softmax_s8_params_t *p = (const tml_softmax_s8_params_t *)ctx->params;
    tml_status_t st = check_rows(ctx, p->outer, p->depth, TML_DT_I8);
    if (st != TML_OK)
        return st;
    /* diff_min <= 0 makes the row maximum count, so the sum is > 0 */
    if (p->depth > SOFTMAX_S8_MAX_DEPTH || p->input_mult < 0 ||
        !elem_in_range(p->input_left_shift, 0, 31) || p->diff_min > 0)
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static void eval_softmax_s8(const tml_op_ctx_t *ctx)
{
    tml_softmax_s8((const tml_softmax_s8_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

static tml_status_t check_softmax_f32(const tml_op_ctx_t *ctx)
{
    const tml_softmax_f32_params_t *p = (const tml_softmax_f32_params_t *)ctx->params;
    return check_rows(ctx, p->outer, p->depth, TML_DT_F32);
}

static void eval_softmax_f32(const tml_op_ctx_t *ctx)
{
    tml_softmax_f32((const tml_softmax_f32_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

const tml_op_desc_t tml_op_softmax_s8 = {
    "SOFTMAX_S8", 1, 1, 1, sizeof(tml_softmax_s8_params_t) / 4, check_softmax_s8, eval_softmax_s8,
};
const tml_op_desc_t tml_op_softmax_f32 = {
    "SOFTMAX_F32", 1, 1, 1, sizeof(tml_softmax_f32_params_t) / 4, check_softmax_f32, eval_softmax_f32,
};
