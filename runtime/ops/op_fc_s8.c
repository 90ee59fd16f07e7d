/*
 * op_fc_s8.c - glue of FC_S8: operands input, weights, mult, shift, [bias]
 * | output (see tml/kernels/nn.h). The check proves the input holds
 * batches * n_in and the output batches * n_out elements, the weights
 * [n_out, n_in], mult/shift one or n_out constant entries.
 */
#include "op_nn.h"

static tml_status_t check_fc_s8(const tml_op_ctx_t *ctx)
{
    const tml_fc_params_t *p = (const tml_fc_params_t *)ctx->params;
    if (!p || ctx->n_in < 4 || ctx->n_in > 5 || ctx->n_out != 1)
        return TML_ERR_CORRUPT;
    if (p->batches < 1 || p->n_in < 1 || p->n_out < 1)
        return TML_ERR_CORRUPT;
    if (p->per_channel != 0 && p->per_channel != 1)
        return TML_ERR_CORRUPT;
    if (p->weights_offset < -128 || p->weights_offset > 128)
        return TML_ERR_CORRUPT;
    uint64_t n_in = (uint64_t)p->n_in, n_out = (uint64_t)p->n_out;
    if (tml_op_nn_want_exact(ctx->t[0], TML_DT_I8, (uint64_t)p->batches * n_in) != TML_OK ||
        tml_op_nn_want_exact(ctx->t[1], TML_DT_I8, n_out * n_in) != TML_OK ||
        tml_op_nn_want_exact(ctx->t[ctx->n_in], TML_DT_I8, (uint64_t)p->batches * n_out) !=
            TML_OK)
        return TML_ERR_CORRUPT;
    if (ctx->n_in == 5 && ctx->t[4] &&
        tml_op_nn_want_exact(ctx->t[4], TML_DT_I32, n_out) != TML_OK)
        return TML_ERR_CORRUPT;
    if (tml_op_nn_check_requant(ctx, 2, 3, p->per_channel ? (uint32_t)p->n_out : 1u) != TML_OK)
        return TML_ERR_CORRUPT;
    return tml_op_nn_check_s8_range(p->input_offset, p->output_offset, p->act_min, p->act_max);
}

static void eval_fc_s8(const tml_op_ctx_t *ctx)
{
    const int32_t *bias = ctx->n_in == 5 ? (const int32_t *)ctx->data[4] : NULL;
    tml_fc_s8((const tml_fc_params_t *)ctx->params, (const int8_t *)ctx->data[0],
              (const int8_t *)ctx->data[1], (const int32_t *)ctx->data[2],
              (const int32_t *)ctx->data[3], bias, (int8_t *)ctx->data[ctx->n_in]);
}

const tml_op_desc_t tml_op_fc_s8 = {
    .name = "FC_S8",
    .min_inputs = 4,
    .max_inputs = 5,
    .n_outputs = 1,
    .n_params = sizeof(tml_fc_params_t) / 4,
    .check = check_fc_s8,
    .eval = eval_fc_s8,
};
