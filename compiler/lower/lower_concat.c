/*
 * lower_concat.c - CONCAT -> TML_K_CONCAT (byte-wise, any dtype).
 *
 * TFLM's int8 CONCATENATION copies bytes and so needs every input quantized
 * like the output; an int8 input that is not gets a REQUANTIZE_S8 into a
 * temporary tensor first (as TFLite's reference concatenation would rescale
 * it). At most 14 inputs; no fused activation.
 */
#include <stdio.h>
#include <string.h>

#include "lower_elem.h"

tml_status_t tml_lower_concat(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    int32_t in0, out;
    tml_status_t st = tml_lower_elem_io(ctx, node, 1, &in0, &out);
    if (st != TML_OK)
        return st;
    const int n_in = node->n_in;
    if (n_in > TML_CONCAT_MAX_INPUTS)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "%d inputs, at most %d", n_in,
                              TML_CONCAT_MAX_INPUTS);
    if (node->attrs.axis.act != TML_ACT_NONE)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "fused activation %s",
                              tml_act_name(node->attrs.axis.act));
    const tml_ir_tensor_t *to = &ctx->g->tensors[out];
    const int axis = node->attrs.axis.axis;
    const int rank = to->n_dims;
    const tml_dtype_t dtype = to->dtype;
    const uint32_t es = tml_dtype_size(dtype);
    if (axis < 0 || axis >= rank || es == 0)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "axis %d of %d dims", axis, rank);
    int32_t out_dims[TML_IR_MAX_DIMS];
    memcpy(out_dims, to->dims, sizeof(out_dims));

    tml_concat_params_t p;
    memset(&p, 0, sizeof(p));
    p.n_inputs = n_in;
    int64_t outer = 1, inner = 1, axis_sum = 0;
    for (int d = 0; d < axis; d++)
        outer *= out_dims[d];
    for (int d = axis + 1; d < rank; d++)
        inner *= out_dims[d];
    int32_t ins[TML_CONCAT_MAX_INPUTS];
    for (int k = 0; k < n_in; k++) {
        int32_t idx = node->in[k];
        if (idx < 0 || idx >= ctx->g->n_tensors)
            return tml_lower_fail(ctx, TML_ERR_CORRUPT, "input %d is missing", k);
        const tml_ir_tensor_t *t = &ctx->g->tensors[idx];
        if (t->dtype != dtype || t->n_dims != rank)
            return tml_lower_fail(ctx, TML_ERR_CORRUPT, "input %d (%s) is %s with %d dims, output %s with %d",
                                  k, t->name, tml_dtype_name(t->dtype), t->n_dims,
                                  tml_dtype_name(dtype), rank);
        for (int d = 0; d < rank; d++)
            if (d != axis && t->dims[d] != out_dims[d])
                return tml_lower_fail(ctx, TML_ERR_CORRUPT, "input %d (%s) dim %d is %d, output %d",
                                      k, t->name, d, (int)t->dims[d], (int)out_dims[d]);
        axis_sum += t->dims[axis];
        int64_t row = (int64_t)t->dims[axis] * inner * es;
        if (row > INT32_MAX)
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "tensor too large");
        p.row_bytes[k] = (int32_t)row;
        ins[k] = idx;
        if (dtype != TML_DT_I8)
            continue;
        float sci, sco;
        int32_t zpi, zpo;
        if ((st = tml_lower_elem_quant(ctx, idx, "input", &sci, &zpi)) != TML_OK ||
            (st = tml_lower_elem_quant(ctx, out, "output", &sco, &zpo)) != TML_OK)
            return st;
        if (sci == sco && zpi == zpo)
            continue;
        /* Rescale this input into a temporary of the output's quantization. */
        int32_t dims[TML_IR_MAX_DIMS];
        memcpy(dims, t->dims, sizeof(dims));
        char name[300];
        snprintf(name, sizeof(name), "%s/requant%d",
                 node->name[0] ? node->name : tml_ir_op_name(node->op), k);
        int32_t tmp;
        if ((st = tml_ir_add_tensor(ctx->g, name, TML_DT_I8, rank, dims, &tmp)) != TML_OK ||
            (st = tml_ir_set_quant(ctx->g, tmp, 1, &sco, &zpo, 0)) != TML_OK)
            return tml_lower_fail(ctx, st, "cannot add tensor %s", name);
        if ((st = tml_lower_elem_requantize(ctx, idx, tmp)) != TML_OK)
            return st;
        ins[k] = tmp;
    }
    if (axis_sum != out_dims[axis])
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "inputs add up to %lld along axis %d, output has %d",
                              (long long)axis_sum, axis, (int)out_dims[axis]);
    if (outer * axis_sum * inner * es > INT32_MAX)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "tensor too large");
    p.outer = (int32_t)outer;
    return tml_lower_emit(ctx, TML_K_CONCAT, ins, n_in, &out, 1, &p, sizeof(p), -1);
}
