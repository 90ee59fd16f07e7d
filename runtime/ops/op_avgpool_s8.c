/*
 * op_avgpool_s8.c - glue of AVGPOOL_S8: operands input | output (see
 * tml/kernels/nn.h) for tml_avgpool_s8() (average pooling); the load-time check is
 * tml_op_nn_check_pool.
 */
#include "op_nn.h"

static tml_status_t check_avgpool_s8(const tml_op_ctx_t *ctx)
{
    return tml_op_nn_check_pool(ctx, 1, 1);
}

static void eval_avgpool_s8(const tml_op_ctx_t *ctx)
{
    tml_avgpool_s8((const tml_pool_params_t *)ctx->params, (const int8_t *)ctx->data[0],
                   (int8_t *)ctx->data[1]);
}

const tml_op_desc_t tml_op_avgpool_s8 = {
    .name = "AVGPOOL_S8",
    .min_inputs = 1,
    .max_inputs = 1,
    .n_outputs = 1,
    .n_params = sizeof(tml_pool_params_t) / 4,
    .check = check_avgpool_s8,
    .eval = eval_avgpool_s8,
};
