/*
 * op_extra_util.h - the bounds proof shared by the byte-wise walks of
 * kernels/extra.h (op_transpose.c, op_slice.c). Private to runtime/ops.
 *
 * The kernels read input element offset + sum(c_d * step[d]) for every
 * output coordinate c (0 <= c_d < out_dims[d]), in int32. The check proves
 * the output holds exactly product(out_dims) elements of the input's dtype,
 * and that the lowest and highest index formed, and every partial sum on
 * the way (each lies between the two), are inside the input.
 */
#ifndef TML_OP_EXTRA_UTIL_H
#define TML_OP_EXTRA_UTIL_H

#include "op_elem_util.h"

static inline tml_status_t xk_check_walk(const tml_op_ctx_t *ctx, int32_t elem_size,
                                         int64_t offset, const int32_t *out_dims,
                                         const int32_t *step, int allow_negative)
{
    const tml_pkg_tensor_t *in = ctx->n_in == 1 ? ctx->t[0] : NULL;
    const tml_pkg_tensor_t *out = ctx->n_out == 1 ? ctx->t[1] : NULL;
    if (!in || !out || in->dtype != out->dtype || elem_size < 1 ||
        (uint32_t)elem_size != tml_dtype_size(in->dtype))
        return TML_ERR_CORRUPT;
    int64_t count;
    if (!elem_dims_product(out_dims, TML_XK_MAX_DIMS, ELEM_I32_MAX / elem_size, &count) ||
        elem_want_exact(out, in->dtype, (uint64_t)count * (uint64_t)elem_size))
        return TML_ERR_CORRUPT;
    int64_t lo = 0, hi = 0;
    for (int d = 0; d < TML_XK_MAX_DIMS; d++) {
        if (step[d] < 0 && !allow_negative)
            return TML_ERR_CORRUPT;
        if (count == 0)
            continue;
        int64_t span = (int64_t)(out_dims[d] - 1) * step[d];
        if (span < 0)
            lo += span;
        else
            hi += span;
    }
    if (count == 0)
        return TML_OK;
    int64_t in_elems = (int64_t)(in->byte_len / (uint32_t)elem_size);
    if (offset < 0 || offset + lo < 0 || offset + hi >= in_elems || offset + hi > ELEM_I32_MAX)
        return TML_ERR_CORRUPT;
    return TML_OK;
}

#endif /* TML_OP_EXTRA_UTIL_H */
