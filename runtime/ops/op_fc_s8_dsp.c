/*
 * op_fc_s8_dsp.c - glue of FC_S8_DSP: operands input, weights, mult, shift,
 * bias | output (see tml/kernels/nn.h); the load-time check is
 * tml_op_nn_check_fc_dsp.
 */
#include "op_nn_dsp.h"

static tml_status_t check_fc_s8_dsp(const tml_op_ctx_t *ctx)
{
    return tml_op_nn_check_fc_dsp(ctx);
}

static void eval_fc_s8_dsp(const tml_op_ctx_t *ctx)
{
    tml_fc_s8_dsp((const tml_fc_params_t *)ctx->params, (const int8_t *)ctx->data[0],
                  (const int8_t *)ctx->data[1], (const int32_t *)ctx->data[2],
                  (const int32_t *)ctx->data[3], (const int32_t *)ctx->data[4],
                  (int8_t *)ctx->data[5]);
}

const tml_op_desc_t tml_op_fc_s8_dsp = {
    .name = "FC_S8_DSP",
    .min_inputs = 5,
    .max_inputs = 5,
    .n_outputs = 1,
    .n_params = sizeof(tml_fc_params_t) / 4,
    .check = check_fc_s8_dsp,
    .eval = eval_fc_s8_dsp,
};
