/*
 * op_concat.c - glue for TML_K_CONCAT: every input has outer rows of its
 * row_bytes, the output outer rows of their sum, all of one dtype.
 */
#include "op_elem_util.h"

static tml_status_t check_concat(const tml_op_ctx_t *ctx)
{
    const tml_concat_params_t *p = (const tml_concat_params_t *)ctx->params;
    if (p->n_inputs < 1 || p->n_inputs > TML_CONCAT_MAX_INPUTS || (uint32_t)p->n_inputs != ctx->n_in ||
        ctx->n_out != 1 || p->outer < 0 || !ctx->t[ctx->n_in])
        return TML_ERR_CORRUPT;
    const tml_pkg_tensor_t *out = ctx->t[ctx->n_in];
    uint64_t row_bytes = 0;
    for (int k = 0; k < TML_CONCAT_MAX_INPUTS; k++) {
        if (p->row_bytes[k] < 0 || (k >= p->n_inputs && p->row_bytes[k] != 0))
            return TML_ERR_CORRUPT;
        if (k >= p->n_inputs)
            continue;
        if (elem_want_exact(ctx->t[k], out->dtype, (uint64_t)p->outer * (uint64_t)p->row_bytes[k]))
            return TML_ERR_CORRUPT;
        row_bytes += (uint64_t)p->row_bytes[k];
    }
    uint64_t total = (uint64_t)p->outer * row_bytes;
    if (row_bytes > (uint64_t)ELEM_I32_MAX || total > (uint64_t)ELEM_I32_MAX ||
        elem_want_exact(out, out->dtype, total))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static void eval_concat(const tml_op_ctx_t *ctx)
{
    const void *in[TML_CONCAT_MAX_INPUTS];
    for (uint32_t k = 0; k < ctx->n_in; k++)
        in[k] = ctx->data[k];
    tml_concat((const tml_concat_params_t *)ctx->params, in, ctx->data[ctx->n_in]);
}

const tml_op_desc_t tml_op_concat = {
    "CONCAT", 1, TML_CONCAT_MAX_INPUTS, 1, sizeof(tml_concat_params_t) / 4, check_concat, eval_concat,
};
