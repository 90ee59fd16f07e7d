/*
 * op_maxpool_f32.c - glue of MAXPOOL_F32: operands input | output (see
 * tml/kernels/nn.h) for tml_maxpool_f32() (max pooling); the load-time check is
 * tml_op_nn_check_pool.
 */
#include "op_nn.h"

static tml_status_t check_maxpool_f32(const tml_op_ctx_t *ctx)
{
    return tml_op_nn_check_pool(ctx, 0, 0);
}

static void eval_maxpool_f32(const tml_op_ctx_t *ctx)
{
    tml_maxpool_f32((const tml_pool_params_t *)ctx->params, (const float *)ctx->data[0],
                    (float *)ctx->data[1]);
}

const tml_op_desc_t tml_op_maxpool_f32 = {
    .name = "MAXPOOL_F32",
    .min_inputs = 1,
    .max_inputs = 1,
    .n_outputs = 1,
    .n_params = sizeof(tml_pool_params_t) / 4,
    .check = check_maxpool_f32,
    .eval = eval_maxpool_f32,
};
