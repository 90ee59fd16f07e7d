/*
 * op_pad.c - glue for TML_K_PAD: input and output of one dtype whose size is
 * elem_size; the output shape is the input's plus the padding.
 */
#include "op_elem_util.h"

static tml_status_t check_pad(const tml_op_ctx_t *ctx)
{
    const tml_pad_params_t *p = (const tml_pad_params_t *)ctx->params;
    if (ctx->n_in != 1 || ctx->n_out != 1 || !ctx->t[0] || !ctx->t[1])
        return TML_ERR_CORRUPT;
    const uint32_t dtype = ctx->t[0]->dtype;
    const int32_t es = p->elem_size;
    if ((es != 1 && es != 2 && es != 4 && es != 8) || tml_dtype_size(dtype) != (uint32_t)es)
        return TML_ERR_CORRUPT;
    int32_t out_dims[TML_ELEM_MAX_DIMS];
    for (int d = 0; d < TML_ELEM_MAX_DIMS; d++) {
        int64_t sum = (int64_t)p->before[d] + p->in_dims[d] + p->after[d];
        if (p->before[d] < 0 || p->after[d] < 0 || p->in_dims[d] < 0 || sum > ELEM_I32_MAX)
            return TML_ERR_CORRUPT;
        out_dims[d] = (int32_t)sum;
    }
    /* The kernel multiplies out dims (a prefix may be non-zero while a later
     * one is 0), so the product of the non-zero ones must fit too. */
    int64_t n_in, n_out;
    if (!elem_dims_product(p->in_dims, TML_ELEM_MAX_DIMS, ELEM_I32_MAX / es, &n_in) ||
        !elem_dims_product(out_dims, TML_ELEM_MAX_DIMS, ELEM_I32_MAX / es, &n_out))
        return TML_ERR_CORRUPT;
    if (elem_want_exact(ctx->t[0], dtype, (uint64_t)n_in * (uint64_t)es) ||
        elem_want_exact(ctx->t[1], dtype, (uint64_t)n_out * (uint64_t)es))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static void eval_pad(const tml_op_ctx_t *ctx)
{
    tml_pad((const tml_pad_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

const tml_op_desc_t tml_op_pad = {
    "PAD", 1, 1, 1, sizeof(tml_pad_params_t) / 4, check_pad, eval_pad,
};
