/*
 * lower_elem.c - helpers shared by the elementwise lowerings (see
 * lower_elem.h).
 */
#include <math.h>
#include <string.h>

#include "lower_elem.h"

tml_status_t tml_lower_elem_io(tml_lower_ctx_t *ctx, const tml_ir_node_t *node, int min_in,
                               int32_t *in0, int32_t *out0)
{
    if (node->n_in < min_in || node->n_out < 1)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "needs %d input(s) and 1 output, has %d and %d",
                              min_in, node->n_in, node->n_out);
    for (int i = 0; i < min_in; i++)
        if (node->in[i] < 0 || node->in[i] >= ctx->g->n_tensors)
            return tml_lower_fail(ctx, TML_ERR_CORRUPT, "input %d is missing", i);
    if (node->out[0] < 0 || node->out[0] >= ctx->g->n_tensors)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "output is missing");
    *in0 = node->in[0];
    *out0 = node->out[0];
    return TML_OK;
}

tml_status_t tml_lower_elem_quant(tml_lower_ctx_t *ctx, int32_t idx, const char *what,
                                  float *scale, int32_t *zero_point)
{
    const tml_ir_tensor_t *t = &ctx->g->tensors[idx];
    if (t->quant.n != 1)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                              "%s %s needs per-tensor quantization, has %d scales", what, t->name,
                              t->quant.n);
    if (!(t->quant.scale[0] > 0.0f) || !isfinite(t->quant.scale[0]))
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "%s %s has scale %g", what, t->name,
                              (double)t->quant.scale[0]);
    if (t->dtype == TML_DT_I8 && (t->quant.zero_point[0] < -128 || t->quant.zero_point[0] > 127))
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "%s %s has int8 zero point %d", what, t->name,
                              (int)t->quant.zero_point[0]);
    *scale = t->quant.scale[0];
    *zero_point = t->quant.zero_point[0];
    return TML_OK;
}

tml_status_t tml_lower_elem_count(tml_lower_ctx_t *ctx, int32_t idx, int32_t *n)
{
    int64_t count = tml_ir_tensor_elems(&ctx->g->tensors[idx]);
    if (count > INT32_MAX)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "tensor %s has %lld elements",
                              ctx->g->tensors[idx].name, (long long)count);
    *n = (int32_t)count;
    return TML_OK;
}

tml_status_t tml_lower_elem_dtype(tml_lower_ctx_t *ctx, int32_t idx, tml_dtype_t dtype,
                                  const char *what)
{
    const tml_ir_tensor_t *t = &ctx->g->tensors[idx];
    if (t->dtype != dtype)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "%s %s is %s, expected %s", what, t->name,
                              tml_dtype_name(t->dtype), tml_dtype_name(dtype));
    return TML_OK;
}

/* Broadcast class of an output dim: bit 0 set when in1 is broadcast along
 * it, bit 1 for in2. */
tml_status_t tml_lower_elem_bcast(tml_lower_ctx_t *ctx, int32_t in1, int32_t in2, int32_t out,
                                  int32_t shape[4], int32_t stride1[4], int32_t stride2[4])
{
    const tml_ir_tensor_t *a = &ctx->g->tensors[in1], *b = &ctx->g->tensors[in2];
    const tml_ir_tensor_t *o = &ctx->g->tensors[out];
    int n = o->n_dims;
    if (a->n_dims > n || b->n_dims > n)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "inputs have more dims than the output");
    int64_t dims[TML_IR_MAX_DIMS];
    int cls[TML_IR_MAX_DIMS];
    int n_merged = 0;
    for (int d = 0; d < n; d++) {
        int32_t od = o->dims[d];
        int32_t ad = d - (n - a->n_dims) >= 0 ? a->dims[d - (n - a->n_dims)] : 1;
        int32_t bd = d - (n - b->n_dims) >= 0 ? b->dims[d - (n - b->n_dims)] : 1;
        if ((ad != od && ad != 1) || (bd != od && bd != 1))
            return tml_lower_fail(ctx, TML_ERR_CORRUPT,
                                  "shapes do not broadcast: dim %d is %d and %d, output %d", d,
                                  (int)ad, (int)bd, (int)od);
        if (od == 1)
            continue; /* a dim of 1 reads index 0 of everything */
        int c = (ad == 1 ? 1 : 0) | (bd == 1 ? 2 : 0);
        if (n_merged > 0 && cls[n_merged - 1] == c) {
            dims[n_merged - 1] *= od;
        } else {
            dims[n_merged] = od;
            cls[n_merged] = c;
            n_merged++;
        }
    }
    if (n_merged > 4)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                              "broadcast needs %d dims after merging, the kernel has 4", n_merged);
    for (int d = 0; d < n_merged; d++)
        if (dims[d] > INT32_MAX)
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "tensor too large");
    int lead = 4 - n_merged;
    int64_t s1 = 1, s2 = 1;
    for (int d = 3; d >= 0; d--) {
        if (d < lead) {
            shape[d] = 1;
            stride1[d] = stride2[d] = 0;
            continue;
        }
        int m = d - lead;
        shape[d] = (int32_t)dims[m];
        stride1[d] = (cls[m] & 1) ? 0 : (int32_t)s1;
        stride2[d] = (cls[m] & 2) ? 0 : (int32_t)s2;
        if (!(cls[m] & 1))
            s1 *= dims[m];
        if (!(cls[m] & 2))
            s2 *= dims[m];
        if (s1 > INT32_MAX || s2 > INT32_MAX)
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "tensor too large");
    }
    return TML_OK;
}

tml_status_t tml_lower_elem_dims6(tml_lower_ctx_t *ctx, int32_t idx, int32_t dims[6], int *lead)
{
    const tml_ir_tensor_t *t = &ctx->g->tensors[idx];
    if (t->n_dims > TML_ELEM_MAX_DIMS)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "tensor %s has %d dims, at most %d work",
                              t->name, t->n_dims, TML_ELEM_MAX_DIMS);
    *lead = TML_ELEM_MAX_DIMS - t->n_dims;
    for (int d = 0; d < TML_ELEM_MAX_DIMS; d++)
        dims[d] = d < *lead ? 1 : t->dims[d - *lead];
    return TML_OK;
}

tml_status_t tml_lower_elem_mult_gt_one(tml_lower_ctx_t *ctx, double real, int32_t *mult,
                                        int32_t *shift)
{
    if (!(real > 1.0))
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                              "multiplier %g must be greater than one", real);
    tml_quantize_multiplier(real, mult, shift);
    if (*shift < 0 || *shift > 31)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "multiplier %g gives shift %d", real,
                              (int)*shift);
    return TML_OK;
}

int32_t tml_lower_elem_input_radius(int integer_bits, int left_shift)
{
    double max_rescaled = ldexp((double)((1 << integer_bits) - 1), 31 - integer_bits - left_shift);
    double radius = floor(max_rescaled);
    return radius >= (double)INT32_MAX ? INT32_MAX : (int32_t)radius;
}

void tml_lower_elem_q4_multiplier(float scale, int32_t *mult, int32_t *shift)
{
    /* TFLM: q = frexp(scale * 2^27, &shift); mult = round(q * 2^31). A q
     * rounding up to 2^31 would overflow int32 there; renormalise it the
     * way QuantizeMultiplier does instead. */
    int exp;
    double q = frexp((double)scale * (double)(1 << 27), &exp);
    int64_t q_fixed = (int64_t)llround(q * (double)(1ll << 31));
    if (q_fixed == (1ll << 31)) {
        q_fixed /= 2;
        exp++;
    }
    *mult = (int32_t)q_fixed;
    *shift = exp;
}
