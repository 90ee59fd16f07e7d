/*
 * op_transpose.c - glue for TML_K_TRANSPOSE (byte-wise, any dtype): input
 * and output of one dtype of elem_size bytes; strides non-negative and the
 * walk inside the input (op_extra_util.h).
 */
#include "op_extra_util.h"

static tml_status_t check_transpose(const tml_op_ctx_t *ctx)
{
    const tml_transpose_params_t *p = (const tml_transpose_params_t *)ctx->params;
    return xk_check_walk(ctx, p->elem_size, 0, p->out_dims, p->in_stride, 0);
}

static void eval_transpose(const tml_op_ctx_t *ctx)
{
    tml_transpose((const tml_transpose_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

const tml_op_desc_t tml_op_transpose = {
    "TRANSPOSE", 1, 1, 1, sizeof(tml_transpose_params_t) / 4, check_transpose, eval_transpose,
};
