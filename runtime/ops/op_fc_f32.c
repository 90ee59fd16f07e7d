/*
 * op_fc_f32.c - glue of FC_F32: operands input, weights, [bias] | output
 * (see tml/kernels/nn.h). The check proves the input holds batches * n_in
 * and the output batches * n_out floats, the weights [n_out, n_in].
 */
#include "op_nn.h"

static tml_status_t check_fc_f32(const tml_op_ctx_t *ctx)
{
    const tml_fc_params_t *p = (const tml_fc_params_t *)ctx->params;
    if (!p || ctx->n_in < 2 || ctx->n_in > 3 || ctx->n_out != 1)
        return TML_ERR_CORRUPT;
    if (p->batches < 1 || p->n_in < 1 || p->n_out < 1)
        return TML_ERR_CORRUPT;
    if (p->per_channel != 0 || p->input_offset != 0 || p->weights_offset != 0 ||
        p->output_offset != 0)
        return TML_ERR_CORRUPT;
    uint64_t n_in = (uint64_t)p->n_in, n_out = (uint64_t)p->n_out;
    if (tml_op_nn_want_exact(ctx->t[0], TML_DT_F32, (uint64_t)p->batches * n_in) != TML_OK ||
        tml_op_nn_want_exact(ctx->t[1], TML_DT_F32, n_out * n_in) != TML_OK ||
        tml_op_nn_want_exact(ctx->t[ctx->n_in], TML_DT_F32, (uint64_t)p->batches * n_out) !=
            TML_OK)
        return TML_ERR_CORRUPT;
    if (ctx->n_in == 3 && ctx->t[2] &&
        tml_op_nn_want_exact(ctx->t[2], TML_DT_F32, n_out) != TML_OK)
        return TML_ERR_CORRUPT;
    return tml_op_nn_check_f32_range(p->act_min, p->act_max);
}

static void eval_fc_f32(const tml_op_ctx_t *ctx)
{
    const float *bias = ctx->n_in == 3 ? (const float *)ctx->data[2] : NULL;
    tml_fc_f32((const tml_fc_params_t *)ctx->params, (const float *)ctx->data[0],
               (const float *)ctx->data[1], bias, (float *)ctx->data[ctx->n_in]);
}

const tml_op_desc_t tml_op_fc_f32 = {
    .name = "FC_F32",
    .min_inputs = 2,
    .max_inputs = 3,
    .n_outputs = 1,
    .n_params = sizeof(tml_fc_params_t) / 4,
    .check = check_fc_f32,
    .eval = eval_fc_f32,
};
