/*
 * op_conv2d_s8_inplace.c - glue of CONV2D_S8_INPLACE: unpacks operands and
 * params for tml_conv2d_s8_inplace() (2-D convolution whose output may overlap
 * its input); the load-time check is tml_op_inplace_check_conv.
 */
#include "op_inplace.h"

static tml_status_t check_conv2d_s8_inplace(const tml_op_ctx_t *ctx)
{
    return tml_op_inplace_check_conv(ctx, 0);
}

static void eval_conv2d_s8_inplace(const tml_op_ctx_t *ctx)
{
    /* operands: input, weights, mult, shift, [bias] | output */
    const int32_t *bias = ctx->n_in == 5 ? (const int32_t *)ctx->data[4] : NULL;
    tml_conv2d_s8_inplace((const tml_conv_inplace_params_t *)ctx->params,
                    (const int8_t *)ctx->data[0], (const int8_t *)ctx->data[1],
                    (const int32_t *)ctx->data[2], (const int32_t *)ctx->data[3], bias,
                    (int8_t *)ctx->data[ctx->n_in]);
}

const tml_op_desc_t tml_op_conv2d_s8_inplace = {
    .name = "CONV2D_S8_INPLACE",
    .min_inputs = 4,
    .max_inputs = 5,
    .n_outputs = 1,
    .n_params = sizeof(tml_conv_inplace_params_t) / 4,
    .check = check_conv2d_s8_inplace,
    .eval = eval_conv2d_s8_inplace,
};
