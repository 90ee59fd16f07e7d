/*
 * op_hard_sigmoid_f32.c - glue for TML_K_HARD_SIGMOID_F32: float32 input
 * and output of exactly n elements each.
 */
#include "op_elem_util.h"

static tml_status_t check_hard_sigmoid(const tml_op_ctx_t *ctx)
{
    const tml_hard_sigmoid_f32_params_t *p = (const tml_hard_sigmoid_f32_params_t *)ctx->params;
    return elem_check_unary(ctx, p->n, TML_DT_F32, TML_DT_F32);
}

static void eval_hard_sigmoid(const tml_op_ctx_t *ctx)
{
    tml_hard_sigmoid_f32((const tml_hard_sigmoid_f32_params_t *)ctx->params, ctx->data[0],
                         ctx->data[1]);
}

const tml_op_desc_t tml_op_hard_sigmoid_f32 = {
    "HARD_SIGMOID_F32", 1, 1, 1, sizeof(tml_hard_sigmoid_f32_params_t) / 4, check_hard_sigmoid,
    eval_hard_sigmoid,
};
