/*
 * op_elem_util.h - check helpers shared by the elementwise op glue
 * (op_add.c, op_softmax.c, ...). Private to runtime/ops. All size
 * arithmetic is done in 64 bits and bounded by INT32_MAX, so that the
 * kernels' int32 index arithmetic provably cannot overflow.
 */
#ifndef TML_OP_ELEM_UTIL_H
#define TML_OP_ELEM_UTIL_H

#include "ops.h"

#define ELEM_I32_MAX 0x7FFFFFFFll

/* TML_OK when t is present, has dtype (any when dtype is TML_DT_UNKNOWN)
 * and exactly n_bytes bytes. */
static inline tml_status_t elem_want_exact(const tml_pkg_tensor_t *t, uint32_t dtype, uint64_t n_bytes)
{
    if (!t || (dtype != TML_DT_UNKNOWN && t->dtype != dtype) || (uint64_t)t->byte_len != n_bytes)
        return TML_ERR_CORRUPT;
    return TML_OK;
}

/* As elem_want_exact, but at least n_bytes. */
static inline tml_status_t elem_want_min(const tml_pkg_tensor_t *t, uint32_t dtype, uint64_t n_bytes)
{
    if (!t || (dtype != TML_DT_UNKNOWN && t->dtype != dtype) || (uint64_t)t->byte_len < n_bytes)
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static inline int elem_in_range(int32_t x, int32_t lo, int32_t hi)
{
    return x >= lo && x <= hi;
}

/* Product of the non-zero values of dims[0..n) in *prod (0 if any is 0);
 * false if a value is negative or the non-zero product exceeds limit. */
static inline int elem_dims_product(const int32_t *dims, int n, int64_t limit, int64_t *prod)
{
    int64_t nonzero = 1;
    int any_zero = 0;
    for (int d = 0; d < n; d++) {
        if (dims[d] < 0)
            return 0;
        if (dims[d] == 0) {
            any_zero = 1;
            continue;
        }
        nonzero *= dims[d];
        if (nonzero > limit)
            return 0;
    }
    *prod = any_zero ? 0 : nonzero;
    return 1;
}

/* Checks a 4-D broadcast (see kernels/elementwise.h) of dtype: operands 0
 * and 1 are the inputs, 2 the output. */
static inline tml_status_t elem_check_bcast(const tml_op_ctx_t *ctx, const int32_t *shape,
                                            const int32_t *stride1, const int32_t *stride2,
                                            uint32_t dtype)
{
    const uint32_t es = tml_dtype_size(dtype);
    int64_t n;
    if (ctx->n_in != 2 || ctx->n_out != 1)
        return TML_ERR_CORRUPT;
    if (!elem_dims_product(shape, TML_BCAST_DIMS, ELEM_I32_MAX / es, &n))
        return TML_ERR_CORRUPT;
    uint64_t last1 = 0, last2 = 0; /* highest element index each input is read at */
    for (int d = 0; d < TML_BCAST_DIMS; d++) {
        if (stride1[d] < 0 || stride2[d] < 0)
            return TML_ERR_CORRUPT;
        if (n > 0) {
            last1 += (uint64_t)(shape[d] - 1) * (uint64_t)stride1[d];
            last2 += (uint64_t)(shape[d] - 1) * (uint64_t)stride2[d];
        }
    }
    if (last1 > (uint64_t)ELEM_I32_MAX || last2 > (uint64_t)ELEM_I32_MAX)
        return TML_ERR_CORRUPT;
    uint64_t need1 = n > 0 ? (last1 + 1) * es : 0, need2 = n > 0 ? (last2 + 1) * es : 0;
    if (elem_want_min(ctx->t[0], dtype, need1) || elem_want_min(ctx->t[1], dtype, need2) ||
        elem_want_exact(ctx->t[2], dtype, (uint64_t)n * es))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

/* Checks a unary op of n elements: operand 0 of in_dtype, operand 1 of
 * out_dtype, exactly n elements each. */
static inline tml_status_t elem_check_unary(const tml_op_ctx_t *ctx, int32_t n, uint32_t in_dtype,
                                            uint32_t out_dtype)
{
    if (ctx->n_in != 1 || ctx->n_out != 1 || n < 0)
        return TML_ERR_CORRUPT;
    if (elem_want_exact(ctx->t[0], in_dtype, (uint64_t)n * tml_dtype_size(in_dtype)) ||
        elem_want_exact(ctx->t[1], out_dtype, (uint64_t)n * tml_dtype_size(out_dtype)))
        return TML_ERR_CORRUPT;
    return TML_OK;
}

/* Whether a float stored as bits is finite and > 0. */
static inline int elem_positive_finite(int32_t bits)
{
    float f;
    __builtin_memcpy(&f, &bits, sizeof(f));
    return f > 0.0f && f <= 3.40282347e+38f;
}

#endif /* TML_OP_ELEM_UTIL_H */
