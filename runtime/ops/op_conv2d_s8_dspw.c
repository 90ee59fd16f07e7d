/*
 * op_conv2d_s8_dspw.c - glue of CONV2D_S8_DSPW: operands input, weights,
 * rq | output, scratch (see tml/kernels/nn.h); the load-time check is
 * tml_op_nn_check_conv_dspw.
 */
#include "op_nn_dsp.h"

static tml_status_t check_conv2d_s8_dspw(const tml_op_ctx_t *ctx)
{
    return tml_op_nn_check_conv_dspw(ctx, 1);
}

static void eval_conv2d_s8_dspw(const tml_op_ctx_t *ctx)
{
    tml_conv2d_s8_dspw((const tml_conv_params_t *)ctx->params, (const int8_t *)ctx->data[0],
                       (const int8_t *)ctx->data[1], (const int32_t *)ctx->data[2],
                       (int8_t *)ctx->data[3], (int8_t *)ctx->data[4]);
}

const tml_op_desc_t tml_op_conv2d_s8_dspw = {
    .name = "CONV2D_S8_DSPW",
    .min_inputs = 3,
    .max_inputs = 3,
    .n_outputs = 2,
    .n_params = sizeof(tml_conv_params_t) / 4,
    .check = check_conv2d_s8_dspw,
    .eval = eval_conv2d_s8_dspw,
};
