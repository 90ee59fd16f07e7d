/*
 * lower_transpose.c - TRANSPOSE -> TML_K_TRANSPOSE and SLICE, SPLIT ->
 * TML_K_SLICE (byte-wise, any dtype, up to 6 dims). SPLIT becomes one SLICE
 * per output, so every kernel keeps a fixed operand count. Shapes are
 * padded on the left with unit dims (stride 0) to TML_XK_MAX_DIMS.
 */
#include <string.h>

#include "lower_elem.h"
#include "lower_extra.h"

/* Element strides of a row-major tensor. */
static void strides(const tml_ir_tensor_t *t, int64_t *s)
{
    int64_t acc = 1;
    for (int d = t->n_dims - 1; d >= 0; d--) {
        s[d] = acc;
        acc *= t->dims[d];
    }
}

static tml_status_t same_dtype(tml_lower_ctx_t *ctx, int32_t in, int32_t out, int32_t *es)
{
    const tml_ir_tensor_t *ti = &ctx->g->tensors[in], *to = &ctx->g->tensors[out];
    *es = (int32_t)tml_dtype_size(to->dtype);
    if (ti->dtype != to->dtype || *es == 0)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "input is %s, output %s",
                              tml_dtype_name(ti->dtype), tml_dtype_name(to->dtype));
    if (ti->n_dims != to->n_dims || to->n_dims > TML_XK_MAX_DIMS)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "%d dims in, %d out (at most %d)",
                              ti->n_dims, to->n_dims, TML_XK_MAX_DIMS);
    if (tml_ir_tensor_bytes(ti) > 0x7FFFFFFF || tml_ir_tensor_bytes(to) > 0x7FFFFFFF)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "tensor too large");
    return TML_OK;
}

tml_status_t tml_lower_transpose(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    int32_t in, out, es;
    tml_status_t st = tml_lower_elem_io(ctx, node, 1, &in, &out);
    if (st == TML_OK)
        st = same_dtype(ctx, in, out, &es);
    if (st != TML_OK)
        return st;
    const tml_ir_tensor_t *ti = &ctx->g->tensors[in], *to = &ctx->g->tensors[out];
    int rank = to->n_dims, lead = TML_XK_MAX_DIMS - rank;
    int64_t s[TML_IR_MAX_DIMS];
    strides(ti, s);
    tml_transpose_params_t p;
    memset(&p, 0, sizeof(p));
    p.elem_size = es;
    bool seen[TML_IR_MAX_DIMS] = {false};
    for (int d = 0; d < lead; d++)
        p.out_dims[d] = 1;
    for (int d = 0; d < rank; d++) {
        int32_t k = node->attrs.transpose.perm[d];
        if (k < 0 || k >= rank || seen[k] || to->dims[d] != ti->dims[k])
            return tml_lower_fail(ctx, TML_ERR_CORRUPT, "perm does not map the input onto the "
                                  "output shape");
        seen[k] = true;
        p.out_dims[lead + d] = to->dims[d];
        p.in_stride[lead + d] = (int32_t)s[k];
    }
    return tml_lower_emit(ctx, TML_K_TRANSPOSE, &in, 1, &out, 1, &p, sizeof(p), -1);
}

tml_status_t tml_lower_extra_slice(tml_lower_ctx_t *ctx, int32_t in, int32_t out,
                                   const int32_t *begin, const int32_t *stride)
{
    int32_t es;
    tml_status_t st = same_dtype(ctx, in, out, &es);
    if (st != TML_OK)
        return st;
    const tml_ir_tensor_t *ti = &ctx->g->tensors[in], *to = &ctx->g->tensors[out];
    int rank = to->n_dims, lead = TML_XK_MAX_DIMS - rank;
    int64_t s[TML_IR_MAX_DIMS], offset = 0;
    strides(ti, s);
    tml_slice_params_t p;
    memset(&p, 0, sizeof(p));
    p.elem_size = es;
    for (int d = 0; d < lead; d++)
        p.out_dims[d] = 1;
    bool empty = tml_ir_tensor_elems(to) == 0;
    for (int d = 0; d < rank; d++) {
        int64_t n = to->dims[d], b = begin[d], k = stride[d];
        int64_t last = b + (n - 1) * k;
        if (!empty && (k == 0 || b < 0 || b >= ti->dims[d] || last < 0 || last >= ti->dims[d]))
            return tml_lower_fail(ctx, TML_ERR_CORRUPT, "dim %d: %lld elements from %lld step "
                                  "%lld leave the input's %d", d, (long long)n, (long long)b,
                                  (long long)k, (int)ti->dims[d]);
        p.out_dims[lead + d] = (int32_t)n;
        p.in_step[lead + d] = (int32_t)(k * s[d]);
        offset += b * s[d];
    }
    p.offset = empty ? 0 : (int32_t)offset;
    return tml_lower_emit(ctx, TML_K_SLICE, &in, 1, &out, 1, &p, sizeof(p), -1);
}

tml_status_t tml_lower_slice(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    int32_t in, out;
    tml_status_t st = tml_lower_elem_io(ctx, node, 1, &in, &out);
    if (st != TML_OK)
        return st;
    return tml_lower_extra_slice(ctx, in, out, node->attrs.slice.begin, node->attrs.slice.stride);
}

tml_status_t tml_lower_split(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    int32_t in, out0;
    tml_status_t st = tml_lower_elem_io(ctx, node, 1, &in, &out0);
    if (st != TML_OK)
        return st;
    int rank = ctx->g->tensors[in].n_dims, axis = node->attrs.axis.axis;
    if (axis < 0 || axis >= rank)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "axis %d of %d dims", axis, rank);
    int32_t begin[TML_IR_MAX_DIMS] = {0}, stride[TML_IR_MAX_DIMS];
    for (int d = 0; d < TML_IR_MAX_DIMS; d++)
        stride[d] = 1;
    int64_t at = 0;
    for (int i = 0; i < node->n_out; i++) {
        int32_t out = node->out[i];
        if (out < 0 || out >= ctx->g->n_tensors || ctx->g->tensors[out].n_dims != rank)
            return tml_lower_fail(ctx, TML_ERR_CORRUPT, "output %d is missing or of another rank", i);
        begin[axis] = (int32_t)at;
        if ((st = tml_lower_extra_slice(ctx, in, out, begin, stride)) != TML_OK)
            return st;
        at += ctx->g->tensors[out].dims[axis];
    }
    if (at != ctx->g->tensors[in].dims[axis])
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "outputs cover %lld of %d along the axis",
                              (long long)at, (int)ctx->g->tensors[in].dims[axis]);
    return TML_OK;
}
