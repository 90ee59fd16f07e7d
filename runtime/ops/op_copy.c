/*
 * op_copy.c - glue for TML_K_COPY (RESHAPE): input and output hold the same
 * number of bytes of the same dtype.
 */
#include "op_elem_util.h"

static tml_status_t check_copy(const tml_op_ctx_t *ctx)
{
    const tml_copy_params_t *p = (const tml_copy_params_t *)ctx->params;
    if (ctx->n_in != 1 || ctx->n_out != 1 || p->n_bytes < 0 || !ctx->t[0] || !ctx->t[1] ||
        ctx->t[0]->dtype != ctx->t[1]->dtype ||
        elem_want_exact(ctx->t[0], TML_DT_UNKNOWN, (uint64_t)p->n_bytes) ||
        elem_want_exact(ctx->t[1], TML_DT_UNKNOWN, (uint64_t)p->n_bytes))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static void eval_copy(const tml_op_ctx_t *ctx)
{
    tml_copy((const tml_copy_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

const tml_op_desc_t tml_op_copy = {
    "COPY", 1, 1, 1, sizeof(tml_copy_params_t) / 4, check_copy, eval_copy,
};
