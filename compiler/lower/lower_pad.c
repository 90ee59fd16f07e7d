/*
 * lower_pad.c - PAD -> TML_K_PAD (byte-wise, any dtype, up to 6 dims).
 *
 * The fill value is, as TFLM's pad.cc: the constant-value operand (input
 * 2) when present; else for int8 the output zero point, for float the IR
 * attribute value, for other dtypes zero. int8 input and output must share
 * quantization (TFLM requires it).
 */
#include <string.h>

#include "lower_elem.h"

tml_status_t tml_lower_pad(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    int32_t in, out;
    tml_status_t st = tml_lower_elem_io(ctx, node, 1, &in, &out);
    if (st != TML_OK)
        return st;
    const tml_ir_tensor_t *ti = &ctx->g->tensors[in], *to = &ctx->g->tensors[out];
    const tml_dtype_t dtype = ti->dtype;
    const uint32_t es = tml_dtype_size(dtype);
    if (to->dtype != dtype || to->n_dims != ti->n_dims || es == 0)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "input and output differ in dtype or rank");
    tml_pad_params_t p;
    memset(&p, 0, sizeof(p));
    int lead;
    if ((st = tml_lower_elem_dims6(ctx, in, p.in_dims, &lead)) != TML_OK)
        return st;
    for (int d = 0; d < ti->n_dims; d++) {
        int32_t b = node->attrs.pad.before[d], a = node->attrs.pad.after[d];
        if (b < 0 || a < 0)
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "negative padding on dim %d", d);
        if ((int64_t)ti->dims[d] + b + a != to->dims[d])
            return tml_lower_fail(ctx, TML_ERR_CORRUPT, "dim %d: %d + %d + %d is not the output's %d",
                                  d, (int)ti->dims[d], (int)b, (int)a, (int)to->dims[d]);
        p.before[lead + d] = b;
        p.after[lead + d] = a;
    }
    if (tml_ir_tensor_bytes(to) > INT32_MAX)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "tensor too large");
    p.elem_size = (int32_t)es;

    uint8_t fill[8] = {0};
    const tml_ir_tensor_t *tc = node->n_in > 2 && node->in[2] >= 0 ? &ctx->g->tensors[node->in[2]] : NULL;
    if (tc && tml_ir_is_const(tc)) {
        if (tc->dtype != dtype || tc->data_len < es)
            return tml_lower_fail(ctx, TML_ERR_CORRUPT, "constant value operand %s does not match",
                                  tc->name);
        memcpy(fill, tc->data, es);
    } else if (tc) {
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "constant value operand is not constant");
    } else if (dtype == TML_DT_F32) {
        memcpy(fill, &node->attrs.pad.value, 4);
    } else if (dtype == TML_DT_I8) {
        float sco;
        int32_t zpo;
        if ((st = tml_lower_elem_quant(ctx, out, "output", &sco, &zpo)) != TML_OK)
            return st;
        fill[0] = (uint8_t)(int8_t)zpo;
    }
    if (dtype == TML_DT_I8) {
        float sci, sco;
        int32_t zpi, zpo;
        if ((st = tml_lower_elem_quant(ctx, in, "input", &sci, &zpi)) != TML_OK ||
            (st = tml_lower_elem_quant(ctx, out, "output", &sco, &zpo)) != TML_OK)
            return st;
        if (sci != sco || zpi != zpo)
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                                  "int8 input and output quantization differ");
    }
    /* fill_lo/fill_hi hold the element's bytes little-endian. */
    uint32_t lo = 0, hi = 0;
    for (int b = 0; b < 4; b++) {
        lo |= (uint32_t)fill[b] << (8 * b);
        hi |= (uint32_t)fill[4 + b] << (8 * b);
    }
    p.fill_lo = (int32_t)lo;
    p.fill_hi = (int32_t)hi;
    return tml_lower_emit(ctx, TML_K_PAD, &in, 1, &out, 1, &p, sizeof(p), -1);
}
