/*
 * op_dwconv2d_3x3_s8_dsp.c - glue of DWCONV2D_3X3_S8_DSP: operands input,
 * weights, mult, shift, bias | output (see tml/kernels/nn.h); the load-time
 * check is tml_op_nn_check_conv_dsp.
 */
#include "op_nn_dsp.h"

static tml_status_t check_dwconv2d_3x3_s8_dsp(const tml_op_ctx_t *ctx)
{
    return tml_op_nn_check_conv_dsp(ctx, TML_OP_DSP_DWCONV_3X3);
}

static void eval_dwconv2d_3x3_s8_dsp(const tml_op_ctx_t *ctx)
{
    const tml_conv_params_t *p = (const tml_conv_params_t *)ctx->params;
    tml_dwconv2d_3x3_s8_dsp(p, (const int8_t *)ctx->data[0], (const int16_t *)ctx->data[1],
                            (const int32_t *)ctx->data[2], (const int32_t *)ctx->data[3],
                            (const int32_t *)ctx->data[4], (int8_t *)ctx->data[5]);
}

const tml_op_desc_t tml_op_dwconv2d_3x3_s8_dsp = {
    .name = "DWCONV2D_3X3_S8_DSP",
    .min_inputs = 5,
    .max_inputs = 5,
    .n_outputs = 1,
    .n_params = sizeof(tml_conv_params_t) / 4,
    .check = check_dwconv2d_3x3_s8_dsp,
    .eval = eval_dwconv2d_3x3_s8_dsp,
};
