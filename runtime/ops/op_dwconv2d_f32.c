/*
 * op_dwconv2d_f32.c - glue of DWCONV2D_F32: unpacks operands and params for
 * tml_dwconv2d_f32() (depthwise convolution); the load-time check is
 * tml_op_nn_check_conv.
 */
#include "op_nn.h"

static tml_status_t check_dwconv2d_f32(const tml_op_ctx_t *ctx)
{
    return tml_op_nn_check_conv(ctx, 1, 0);
}

static void eval_dwconv2d_f32(const tml_op_ctx_t *ctx)
{
    /* operands: input, weights, [bias] | output */
    const float *bias = ctx->n_in == 3 ? (const float *)ctx->data[2] : NULL;
    tml_dwconv2d_f32((const tml_conv_params_t *)ctx->params, (const float *)ctx->data[0],
                     (const float *)ctx->data[1], bias, (float *)ctx->data[ctx->n_in]);
}

const tml_op_desc_t tml_op_dwconv2d_f32 = {
    .name = "DWCONV2D_F32",
    .min_inputs = 2,
    .max_inputs = 3,
    .n_outputs = 1,
    .n_params = sizeof(tml_conv_params_t) / 4,
    .check = check_dwconv2d_f32,
    .eval = eval_dwconv2d_f32,
};
