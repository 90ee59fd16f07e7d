/*
 * op_inplace_check.c - load-time check of the in-place convolution kernels:
 * the conv checks (bounds of every buffer), then the overlap rule of
 * tml/kernels/inplace.h on the planned arena offsets, so a package whose
 * overlap would give wrong results is refused like any corrupt one.
 */
#include "op_inplace.h"

tml_status_t tml_op_inplace_check_conv(const tml_op_ctx_t *ctx, int depthwise)
{
    const tml_conv_inplace_params_t *p = (const tml_conv_inplace_params_t *)ctx->params;
    tml_status_t st = tml_op_nn_check_conv(ctx, depthwise, 1);
    if (st != TML_OK)
        return st;
    if (p->reverse != 0 && p->reverse != 1)
        return TML_ERR_CORRUPT;
    const tml_pkg_tensor_t *in = ctx->t[0], *out = ctx->t[ctx->n_in];
    if (in->storage != TML_PKG_ARENA || out->storage != TML_PKG_ARENA)
        return TML_OK;
    /* Both lie inside the arena (checked per tensor), so the sums fit. */
    if ((uint64_t)in->data_off + in->byte_len <= out->data_off ||
        (uint64_t)out->data_off + out->byte_len <= in->data_off)
        return TML_OK;
    int64_t delta = (int64_t)out->data_off - (int64_t)in->data_off;
    int64_t bound = tml_conv_inplace_bound(&p->conv, depthwise, p->reverse);
    if (p->reverse ? delta < bound : delta > bound)
        return TML_ERR_CORRUPT;
    return TML_OK;
}
