/*
 * lower_fc.c - FULLY_CONNECTED -> FC_S8 / FC_F32.
 *
 * IR: input of any shape whose element count is a multiple of N_in (read
 * as [batches, N_in], as TFLite does), weights [N_out, N_in], optional bias
 * [N_out]; output with batches * N_out elements and last dim N_out.
 * int8: per-tensor weights give one multiplier (TFLM's FullyConnected, which
 * also applies a weight zero point), per-channel weights (axis 0) one per
 * output (TFLM's FullyConnectedPerChannel).
 */
#include "lower_nn.h"

tml_status_t tml_lower_fc(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    if (node->n_in < 2 || node->n_in > 3 || node->n_out != 1)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT,
                              "expected 2 or 3 inputs and 1 output, got %d and %d",
                              node->n_in, node->n_out);
    const int32_t in_idx = node->in[0], w_idx = node->in[1], out_idx = node->out[0];
    const int32_t bias_idx = node->n_in == 3 ? node->in[2] : -1;
    if (in_idx < 0 || w_idx < 0 || out_idx < 0)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "input, weights and output are required");
    tml_status_t st;
    if ((st = tml_lower_nn_need_shape(ctx, w_idx, 2, "weights")) != TML_OK)
        return st;
    bool s8;
    if ((st = tml_lower_nn_flavour(ctx, in_idx, w_idx, out_idx, bias_idx, &s8)) != TML_OK)
        return st;

    const tml_ir_tensor_t *in = &ctx->g->tensors[in_idx];
    const tml_ir_tensor_t *w = &ctx->g->tensors[w_idx];
    const tml_ir_tensor_t *out = &ctx->g->tensors[out_idx];
    const int32_t n_out = w->dims[0], n_in = w->dims[1];
    const int64_t in_elems = tml_ir_tensor_elems(in), out_elems = tml_ir_tensor_elems(out);
    if (in_elems < 1 || in_elems > INT32_MAX || in_elems % n_in != 0)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT,
                              "input has %lld elements, not a positive multiple of the "
                              "weights' %d inputs",
                              (long long)in_elems, (int)n_in);
    const int64_t batches = in_elems / n_in;
    if (out->n_dims < 1 || out->dims[out->n_dims - 1] != n_out || out_elems != batches * n_out)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT,
                              "output has %lld elements (last dim %d), expected %lld x %d",
                              (long long)out_elems,
                              out->n_dims ? (int)out->dims[out->n_dims - 1] : 0,
                              (long long)batches, (int)n_out);
    if (bias_idx >= 0 && tml_ir_tensor_elems(&ctx->g->tensors[bias_idx]) != n_out)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "bias has %lld elements, expected %d",
                              (long long)tml_ir_tensor_elems(&ctx->g->tensors[bias_idx]),
                              (int)n_out);

    tml_fc_params_t p = {.batches = (int32_t)batches, .n_in = n_in, .n_out = n_out};
    if (!s8) {
        float lo, hi;
        tml_lower_act_range_f32(node->attrs.act, &lo, &hi);
        p.act_min = tml_lower_f32_word(lo);
        p.act_max = tml_lower_f32_word(hi);
        int32_t ins[3] = {in_idx, w_idx, bias_idx};
        return tml_lower_emit(ctx, TML_K_FC_F32, ins, bias_idx >= 0 ? 3 : 2, &out_idx, 1, &p,
                              sizeof(p), -1);
    }
    tml_lower_requant_t rq;
    if ((st = tml_lower_nn_requant(ctx, in_idx, w_idx, out_idx, 0, n_out, true, true,
                                   node->attrs.act, &rq)) != TML_OK)
        return st;
    p.input_offset = rq.input_offset;
    p.weights_offset = rq.weights_offset;
    p.output_offset = rq.output_offset;
    p.per_channel = rq.n_mult > 1;
    p.act_min = rq.act_min;
    p.act_max = rq.act_max;
    bool done;
    if ((st = tml_lower_fc_dsp(ctx, &p, in_idx, w_idx, rq.mult_idx, rq.shift_idx, bias_idx,
                               out_idx, &done)) != TML_OK || done)
        return st;
    int32_t ins[5] = {in_idx, w_idx, rq.mult_idx, rq.shift_idx, bias_idx};
    return tml_lower_emit(ctx, TML_K_FC_S8, ins, bias_idx >= 0 ? 5 : 4, &out_idx, 1, &p,
                          sizeof(p), -1);
}
