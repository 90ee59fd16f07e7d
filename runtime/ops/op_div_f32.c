/*
 * op_div_f32.c - glue for TML_K_DIV_F32 (kernels/extra.h): the 4-D
 * broadcast of ADD_F32, checked the same way (inputs 0 and 1, output 2, all
 * float32; each input's strides stay inside it, the output is exact).
 */
#include "op_elem_util.h"

static tml_status_t check_div(const tml_op_ctx_t *ctx)
{
    const tml_binary_f32_params_t *p = (const tml_binary_f32_params_t *)ctx->params;
    return elem_check_bcast(ctx, p->out_shape, p->in1_stride, p->in2_stride, TML_DT_F32);
}

static void eval_div(const tml_op_ctx_t *ctx)
{
    tml_div_f32((const tml_binary_f32_params_t *)ctx->params, ctx->data[0], ctx->data[1],
                ctx->data[2]);
}

const tml_op_desc_t tml_op_div_f32 = {
    "DIV_F32", 2, 2, 1, sizeof(tml_binary_f32_params_t) / 4, check_div, eval_div,
};
