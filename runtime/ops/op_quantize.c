/*
 * op_quantize.c - glue for TML_K_QUANTIZE_F32_S8, TML_K_DEQUANTIZE_S8_F32
 * and TML_K_REQUANTIZE_S8.
 */
#include "op_elem_util.h"

static tml_status_t check_quant(const tml_op_ctx_t *ctx, uint32_t in_dtype, uint32_t out_dtype)
{
    const tml_quant_params_t *p = (const tml_quant_params_t *)ctx->params;
    tml_status_t st = elem_check_unary(ctx, p->n, in_dtype, out_dtype);
    if (st != TML_OK)
        return st;
    if (!elem_in_range(p->zero_point, -128, 127) || !elem_positive_finite(p->scale_bits))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static tml_status_t check_quantize(const tml_op_ctx_t *ctx)
{
    return check_quant(ctx, TML_DT_F32, TML_DT_I8);
}

static tml_status_t check_dequantize(const tml_op_ctx_t *ctx)
{
    return check_quant(ctx, TML_DT_I8, TML_DT_F32);
}

static void eval_quantize(const tml_op_ctx_t *ctx)
{
    tml_quantize_f32_s8((const tml_quant_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

static void eval_dequantize(const tml_op_ctx_t *ctx)
{
    tml_dequantize_s8_f32((const tml_quant_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

static tml_status_t check_requantize(const tml_op_ctx_t *ctx)
{
    const tml_requant_params_t *p = (const tml_requant_params_t *)ctx->params;
    tml_status_t st = elem_check_unary(ctx, p->n, TML_DT_I8, TML_DT_I8);
    if (st != TML_OK)
        return st;
    /* 255 * 2^22 < 2^30: the rescaled value plus out_zp stays in int32 */
    if (!elem_in_range(p->in_zp, -128, 127) || !elem_in_range(p->out_zp, -128, 127) ||
        p->mult < 0 || !elem_in_range(p->shift, -31, 22))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static void eval_requantize(const tml_op_ctx_t *ctx)
{
    tml_requantize_s8((const tml_requant_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

const tml_op_desc_t tml_op_quantize_f32_s8 = {
    "QUANTIZE_F32_S8", 1, 1, 1, sizeof(tml_quant_params_t) / 4, check_quantize, eval_quantize,
};
const tml_op_desc_t tml_op_dequantize_s8_f32 = {
    "DEQUANTIZE_S8_F32", 1, 1, 1, sizeof(tml_quant_params_t) / 4, check_dequantize, eval_dequantize,
};
const tml_op_desc_t tml_op_requantize_s8 = {
    "REQUANTIZE_S8", 1, 1, 1, sizeof(tml_requant_params_t) / 4, check_requantize, eval_requantize,
};
