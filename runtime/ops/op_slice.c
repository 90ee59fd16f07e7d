/*
 * op_slice.c - glue for TML_K_SLICE (byte-wise strided, any dtype): input
 * and output of one dtype of elem_size bytes; steps may be negative, the
 * walk from offset stays inside the input (op_extra_util.h).
 */
#include "op_extra_util.h"

static tml_status_t check_slice(const tml_op_ctx_t *ctx)
{
    const tml_slice_params_t *p = (const tml_slice_params_t *)ctx->params;
    return xk_check_walk(ctx, p->elem_size, p->offset, p->out_dims, p->in_step, 1);
}

static void eval_slice(const tml_op_ctx_t *ctx)
{
    tml_slice((const tml_slice_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

const tml_op_desc_t tml_op_slice = {
    "SLICE", 1, 1, 1, sizeof(tml_slice_params_t) / 4, check_slice, eval_slice,
};
