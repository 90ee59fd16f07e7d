/*
 * op_util.c - helpers the op check functions share (declared in ops.h).
 */
#include "ops.h"

uint32_t tml_op_elems(const tml_pkg_tensor_t *t)
{
    /* 0 for a tensor without elements and for nonsense dims (negative, or a
     * product beyond uint32): either way no check can be satisfied by it. */
    if (!t || t->n_dims > TML_PKG_MAX_DIMS)
        return 0;
    uint64_t n = 1;
    for (uint32_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0)
            return 0;
        n *= (uint64_t)t->dims[i];
        if (n > UINT32_MAX)
            return 0;
    }
    return (uint32_t)n;
}

tml_status_t tml_op_want(const tml_pkg_tensor_t *t, uint32_t dtype, uint32_t min_bytes)
{
    if (!t)
        return TML_ERR_CORRUPT;
    if (t->dtype != dtype)
        return TML_ERR_CORRUPT;
    if (t->byte_len < min_bytes)
        return TML_ERR_CORRUPT;
    return TML_OK;
}
