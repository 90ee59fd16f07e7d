/*
 * op_mean.c - glue for TML_K_MEAN_S8 and TML_K_MEAN_F32.
 */
#include "op_elem_util.h"

/* n_reduced bound for int8: |sum - zp * n| <= 255 * 2^22 < 2^30. */
#define MEAN_S8_MAX_REDUCED (1 << 22)

/* Shapes: in = product(in_dims), out = the same with reduced dims as 1,
 * n_reduced = product of the reduced dims. */
static tml_status_t check_mean_shapes(const tml_op_ctx_t *ctx, const int32_t *in_dims,
                                      const int32_t *reduce, int32_t n_reduced, uint32_t dtype)
{
    const uint32_t es = tml_dtype_size(dtype);
    int32_t out_dims[TML_ELEM_MAX_DIMS], red_dims[TML_ELEM_MAX_DIMS];
    if (ctx->n_in != 1 || ctx->n_out != 1)
        return TML_ERR_CORRUPT;
    for (int d = 0; d < TML_ELEM_MAX_DIMS; d++) {
        if (reduce[d] != 0 && reduce[d] != 1)
            return TML_ERR_CORRUPT;
        out_dims[d] = reduce[d] ? 1 : in_dims[d];
        red_dims[d] = reduce[d] ? in_dims[d] : 1;
    }
    int64_t n_in, n_out, n_red;
    if (!elem_dims_product(in_dims, TML_ELEM_MAX_DIMS, ELEM_I32_MAX / es, &n_in) ||
        !elem_dims_product(out_dims, TML_ELEM_MAX_DIMS, ELEM_I32_MAX / es, &n_out) ||
        !elem_dims_product(red_dims, TML_ELEM_MAX_DIMS, ELEM_I32_MAX, &n_red) || n_red != n_reduced)
        return TML_ERR_CORRUPT;
    if (elem_want_exact(ctx->t[0], dtype, (uint64_t)n_in * es) ||
        elem_want_exact(ctx->t[1], dtype, (uint64_t)n_out * es))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static tml_status_t check_mean_s8(const tml_op_ctx_t *ctx)
{
    const tml_mean_s8_params_t *p = (const tml_mean_s8_params_t *)ctx->params;
    tml_status_t st = check_mean_shapes(ctx, p->in_dims, p->reduce, p->n_reduced, TML_DT_I8);
    if (st != TML_OK)
        return st;
    if (p->n_reduced > MEAN_S8_MAX_REDUCED || (p->requantize != 0 && p->requantize != 1))
        return TML_ERR_CORRUPT;
    if (p->requantize) {
        if (!elem_in_range(p->in_zp, -128, 127) || !elem_in_range(p->out_zp, -128, 127) ||
            p->mult < 0 || p->shift < -31)
            return TML_ERR_CORRUPT;
        /* a left shift must keep the largest corrected sum below 2^30 */
        uint64_t max_abs = 255u * (uint64_t)p->n_reduced;
        if (p->shift > 0 && (p->shift > 30 || (max_abs << p->shift) >= (1ull << 30)))
            return TML_ERR_CORRUPT;
    }
    return TML_OK;
}

static void eval_mean_s8(const tml_op_ctx_t *ctx)
{
    tml_mean_s8((const tml_mean_s8_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

static tml_status_t check_mean_f32(const tml_op_ctx_t *ctx)
{
    const tml_mean_f32_params_t *p = (const tml_mean_f32_params_t *)ctx->params;
    return check_mean_shapes(ctx, p->in_dims, p->reduce, p->n_reduced, TML_DT_F32);
}

static void eval_mean_f32(const tml_op_ctx_t *ctx)
{
    tml_mean_f32((const tml_mean_f32_params_t *)ctx->params, ctx->data[0], ctx->data[1]);
}

const tml_op_desc_t tml_op_mean_s8 = {
    "MEAN_S8", 1, 1, 1, sizeof(tml_mean_s8_params_t) / 4, check_mean_s8, eval_mean_s8,
};
const tml_op_desc_t tml_op_mean_f32 = {
    "MEAN_F32", 1, 1, 1, sizeof(tml_mean_f32_params_t) / 4, check_mean_f32, eval_mean_f32,
};
