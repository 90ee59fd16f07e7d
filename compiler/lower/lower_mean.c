/*
 * lower_mean.c - MEAN -> TML_K_MEAN_S8/F32 (up to 6 dims).
 *
 * int8 as TFLM's reduce_common.cc: equal input/output quantization uses the
 * plain truncating mean; otherwise QuantizedMeanOrSum, whose multiplier
 * in_scale / out_scale (QuantizeMultiplier) is folded with 1/count: shift =
 * min(floor(log2(count)), 32, 31 + out_shift), mult = (mult << shift) /
 * count, out_shift -= shift. TFLM does that fold at run time; here it is
 * done once, with the same integer arithmetic.
 */
#include <string.h>

#include "lower_elem.h"

tml_status_t tml_lower_mean(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    int32_t in, out;
    tml_status_t st = tml_lower_elem_io(ctx, node, 1, &in, &out);
    if (st != TML_OK)
        return st;
    const tml_ir_tensor_t *ti = &ctx->g->tensors[in];
    const tml_dtype_t dtype = ti->dtype;
    if ((st = tml_lower_elem_dtype(ctx, out, dtype, "output")) != TML_OK)
        return st;
    if (dtype != TML_DT_I8 && dtype != TML_DT_F32)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "no kernel for %s", tml_dtype_name(dtype));
    int32_t dims[TML_ELEM_MAX_DIMS], reduce[TML_ELEM_MAX_DIMS] = {0};
    int lead;
    if ((st = tml_lower_elem_dims6(ctx, in, dims, &lead)) != TML_OK)
        return st;
    const tml_ir_reduce_t *r = &node->attrs.reduce;
    if (r->n_axes < 0 || r->n_axes > ti->n_dims)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "%d axes", (int)r->n_axes);
    for (int i = 0; i < r->n_axes; i++) {
        if (r->axes[i] < 0 || r->axes[i] >= ti->n_dims)
            return tml_lower_fail(ctx, TML_ERR_CORRUPT, "axis %d of %d dims", (int)r->axes[i],
                                  ti->n_dims);
        reduce[lead + r->axes[i]] = 1;
    }
    int64_t n_reduced = 1, n_out = 1;
    for (int d = 0; d < TML_ELEM_MAX_DIMS; d++) {
        if (reduce[d])
            n_reduced *= dims[d];
        else
            n_out *= dims[d];
    }
    if (tml_ir_tensor_elems(&ctx->g->tensors[out]) != n_out)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "output has %lld elements, expected %lld",
                              (long long)tml_ir_tensor_elems(&ctx->g->tensors[out]), (long long)n_out);
    if (tml_ir_tensor_bytes(ti) > INT32_MAX)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "tensor too large");

    if (dtype == TML_DT_F32) {
        tml_mean_f32_params_t p;
        memcpy(p.in_dims, dims, sizeof(dims));
        memcpy(p.reduce, reduce, sizeof(reduce));
        p.n_reduced = (int32_t)n_reduced;
        return tml_lower_emit(ctx, TML_K_MEAN_F32, &in, 1, &out, 1, &p, sizeof(p), -1);
    }
    tml_mean_s8_params_t p;
    memset(&p, 0, sizeof(p));
    memcpy(p.in_dims, dims, sizeof(dims));
    memcpy(p.reduce, reduce, sizeof(reduce));
    p.n_reduced = (int32_t)n_reduced;
    if (n_reduced > (1 << 22))
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "mean over %lld elements (at most 2^22)",
                              (long long)n_reduced);
    float sci, sco;
    if ((st = tml_lower_elem_quant(ctx, in, "input", &sci, &p.in_zp)) != TML_OK ||
        (st = tml_lower_elem_quant(ctx, out, "output", &sco, &p.out_zp)) != TML_OK)
        return st;
    if (!(sci == sco && p.in_zp == p.out_zp)) {
        p.requantize = 1;
        tml_quantize_multiplier((double)sci / (double)sco, &p.mult, &p.shift);
        if (n_reduced > 0) {
            int shift = 63 - __builtin_clzll((unsigned long long)n_reduced);
            if (shift > 32)
                shift = 32;
            if (shift > 31 + p.shift)
                shift = 31 + p.shift;
            p.mult = (int32_t)(((int64_t)p.mult << shift) / n_reduced);
            p.shift -= shift;
        }
        uint64_t max_abs = 255u * (uint64_t)n_reduced;
        if (p.shift > 0 && (p.shift > 30 || (max_abs << p.shift) >= (1ull << 30)))
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "rescale %g -> %g is too large",
                                  (double)sci, (double)sco);
    }
    return tml_lower_emit(ctx, TML_K_MEAN_S8, &in, 1, &out, 1, &p, sizeof(p), -1);
}
