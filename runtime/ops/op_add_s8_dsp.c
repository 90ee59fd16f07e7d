/*
 * op_add_s8_dsp.c - glue of ADD_S8_DSP: operands in1, in2, lut1, lut2 | out
 * as ADD_S8_LUT (tml/kernels/elementwise.h), whose checks it runs first;
 * then the kernel's own premises: dense operands, tables within +-2^29 and
 * an output right shift of 1..21 (what its requantization relies on).
 */
#include "ops.h"

static int dense(const int32_t *shape, const int32_t *stride)
{
    int32_t step = 1;
    for (int i = 3; i >= 0; i--) {
        if (shape[i] != 1 && stride[i] != step)
            return 0;
        step *= shape[i];
    }
    return 1;
}

static tml_status_t check_add_s8_dsp(const tml_op_ctx_t *ctx)
{
    tml_status_t st = tml_op_add_s8_lut.check(ctx);
    if (st != TML_OK)
        return st;
    const tml_add_s8_params_t *p = (const tml_add_s8_params_t *)ctx->params;
    if (!dense(p->out_shape, p->in1_stride) || !dense(p->out_shape, p->in2_stride) ||
        p->out_shift < -21 || p->out_shift > -1 || p->out_mult < (1 << 30))
        return TML_ERR_CORRUPT; /* the requant shortcut needs all of these */
    for (int i = 2; i < 4; i++) {
        const int32_t *lut = (const int32_t *)ctx->data[i];
        for (int v = 0; v < 256; v++)
            if (lut[v] > (1 << 29) || lut[v] < -(1 << 29))
                return TML_ERR_CORRUPT;
    }
    return TML_OK;
}

static void eval_add_s8_dsp(const tml_op_ctx_t *ctx)
{
    tml_add_s8_dsp((const tml_add_s8_params_t *)ctx->params, ctx->data[0], ctx->data[1],
                   ctx->data[2], ctx->data[3], ctx->data[4]);
}

const tml_op_desc_t tml_op_add_s8_dsp = {
    "ADD_S8_DSP", 4, 4, 1, sizeof(tml_add_s8_params_t) / 4, check_add_s8_dsp, eval_add_s8_dsp,
};
