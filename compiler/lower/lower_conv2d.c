/*
 * lower_conv2d.c - CONV2D -> CONV2D_S8 / CONV2D_F32.
 *
 * IR: inputs input [N, H, W, C], weights [C_out, KH, KW, C], optional bias
 * [C_out]; output [N, OH, OW, C_out], whose dims must agree with the
 * explicit pads, stride and dilation. int8 adds per-channel mult/shift
 * constants; kernel operands are (input, weights, mult, shift, [bias]) for
 * int8 and (input, weights, [bias]) for float (see tml/kernels/nn.h).
 */
#include "lower_nn.h"

tml_status_t tml_lower_conv_common(tml_lower_ctx_t *ctx, const tml_ir_node_t *node,
                                   bool depthwise)
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
    if ((st = tml_lower_nn_need_shape(ctx, in_idx, 4, "input")) != TML_OK ||
        (st = tml_lower_nn_need_shape(ctx, w_idx, 4, "weights")) != TML_OK ||
        (st = tml_lower_nn_need_shape(ctx, out_idx, 4, "output")) != TML_OK)
        return st;
    bool s8;
    if ((st = tml_lower_nn_flavour(ctx, in_idx, w_idx, out_idx, bias_idx, &s8)) != TML_OK)
        return st;

    const tml_ir_tensor_t *in = &ctx->g->tensors[in_idx];
    const tml_ir_tensor_t *w = &ctx->g->tensors[w_idx];
    const tml_ir_tensor_t *out = &ctx->g->tensors[out_idx];
    const tml_ir_conv_t *a = &node->attrs.conv;
    tml_conv_params_t p = {
        .n = in->dims[0], .in_h = in->dims[1], .in_w = in->dims[2], .in_c = in->dims[3],
        .out_h = out->dims[1], .out_w = out->dims[2], .out_c = out->dims[3],
        .k_h = w->dims[1], .k_w = w->dims[2],
        .stride_h = a->stride_h, .stride_w = a->stride_w,
        .dilation_h = a->dilation_h, .dilation_w = a->dilation_w,
        .pad_top = a->pad_top, .pad_left = a->pad_left,
        .pad_bottom = a->pad_bottom, .pad_right = a->pad_right,
        .depth_multiplier = 1,
    };
    if (out->dims[0] != p.n)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "output batch %d, input batch %d",
                              (int)out->dims[0], (int)p.n);
    if (!depthwise) {
        if (w->dims[0] != p.out_c)
            return tml_lower_fail(ctx, TML_ERR_CORRUPT,
                                  "weights have %d output channels, output has %d",
                                  (int)w->dims[0], (int)p.out_c);
        if (w->dims[3] != p.in_c)
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                                  "weights have %d input channels, input has %d "
                                  "(grouped convolution is not supported)",
                                  (int)w->dims[3], (int)p.in_c);
    } else {
        if (w->dims[0] != 1 || w->dims[3] != p.out_c)
            return tml_lower_fail(ctx, TML_ERR_CORRUPT,
                                  "depthwise weights are [%d, %d, %d, %d], expected "
                                  "[1, KH, KW, %d]",
                                  (int)w->dims[0], (int)w->dims[1], (int)w->dims[2],
                                  (int)w->dims[3], (int)p.out_c);
        /* The multiplier follows from the shapes; an attribute, when set,
         * must agree with them. */
        if (p.out_c % p.in_c != 0)
            return tml_lower_fail(ctx, TML_ERR_CORRUPT,
                                  "output channels %d not a multiple of input channels %d",
                                  (int)p.out_c, (int)p.in_c);
        p.depth_multiplier = p.out_c / p.in_c;
        if (a->depth_multiplier > 0 && a->depth_multiplier != p.depth_multiplier)
            return tml_lower_fail(ctx, TML_ERR_CORRUPT,
                                  "depth_multiplier %d, but %d input and %d output channels",
                                  (int)a->depth_multiplier, (int)p.in_c, (int)p.out_c);
    }
    if ((st = tml_lower_nn_check_axis(ctx, "height", p.in_h, p.out_h, p.k_h, p.stride_h,
                                      p.dilation_h, p.pad_top, p.pad_bottom)) != TML_OK ||
        (st = tml_lower_nn_check_axis(ctx, "width", p.in_w, p.out_w, p.k_w, p.stride_w,
                                      p.dilation_w, p.pad_left, p.pad_right)) != TML_OK)
        return st;
    if (bias_idx >= 0 && tml_ir_tensor_elems(&ctx->g->tensors[bias_idx]) != p.out_c)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "bias has %lld elements, expected %d",
                              (long long)tml_ir_tensor_elems(&ctx->g->tensors[bias_idx]),
                              (int)p.out_c);

    if (!s8) {
        float lo, hi;
        tml_lower_act_range_f32(a->act, &lo, &hi);
        p.act_min = tml_lower_f32_word(lo);
        p.act_max = tml_lower_f32_word(hi);
        int32_t ins[3] = {in_idx, w_idx, bias_idx};
        return tml_lower_emit(ctx, depthwise ? TML_K_DWCONV2D_F32 : TML_K_CONV2D_F32, ins,
                              bias_idx >= 0 ? 3 : 2, &out_idx, 1, &p, sizeof(p), -1);
    }
    /* TFLite quantizes conv weights along axis 0, depthwise along axis 3. */
    tml_lower_requant_t rq;
    if ((st = tml_lower_nn_requant(ctx, in_idx, w_idx, out_idx, depthwise ? 3 : 0, p.out_c,
                                   false, false, a->act, &rq)) != TML_OK)
        return st;
    p.input_offset = rq.input_offset;
    p.output_offset = rq.output_offset;
    p.act_min = rq.act_min;
    p.act_max = rq.act_max;
    bool done;
    if ((st = tml_lower_conv_dsp(ctx, &p, depthwise, in_idx, w_idx, rq.mult_idx, rq.shift_idx,
                                 bias_idx, out_idx, &done)) != TML_OK || done)
        return st;
    int32_t ins[5] = {in_idx, w_idx, rq.mult_idx, rq.shift_idx, bias_idx};
    return tml_lower_emit(ctx, depthwise ? TML_K_DWCONV2D_S8 : TML_K_CONV2D_S8, ins,
                          bias_idx >= 0 ? 5 : 4, &out_idx, 1, &p, sizeof(p), -1);
}

tml_status_t tml_lower_conv2d(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    return tml_lower_conv_common(ctx, node, false);
}
