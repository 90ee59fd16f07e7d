/*
 * lower_pool.c - AVG_POOL2D / MAX_POOL2D -> AVGPOOL_S8/_F32, MAXPOOL_S8/_F32.
 *
 * IR: input [N, H, W, C], output [N, OH, OW, C], explicit pads. int8 pools
 * do not rescale, so input and output must share scale and zero point (as
 * TFLite guarantees). Padding must be thinner than the window on every
 * side (TFLite's SAME always is), so that every window sees the input.
 * ONNX's count_include_pad is kept for float average pools; for int8 it is
 * only accepted when there is no padding (where it changes nothing).
 */
#include "lower_nn.h"

static tml_status_t lower_pool(tml_lower_ctx_t *ctx, const tml_ir_node_t *node, bool avg)
{
    if (node->n_in != 1 || node->n_out != 1 || node->in[0] < 0 || node->out[0] < 0)
        return tml_lower_fail(ctx, TML_ERR_CORRUPT, "expected 1 input and 1 output");
    const int32_t in_idx = node->in[0], out_idx = node->out[0];
    tml_status_t st;
    if ((st = tml_lower_nn_need_shape(ctx, in_idx, 4, "input")) != TML_OK ||
        (st = tml_lower_nn_need_shape(ctx, out_idx, 4, "output")) != TML_OK)
        return st;
    bool s8;
    if ((st = tml_lower_nn_flavour(ctx, in_idx, -1, out_idx, -1, &s8)) != TML_OK)
        return st;
    const tml_ir_tensor_t *in = &ctx->g->tensors[in_idx];
    const tml_ir_tensor_t *out = &ctx->g->tensors[out_idx];
    const tml_ir_pool_t *a = &node->attrs.pool;
    if (in->dims[0] != out->dims[0] || in->dims[3] != out->dims[3])
        return tml_lower_fail(ctx, TML_ERR_CORRUPT,
                              "input [%d, ., ., %d] and output [%d, ., ., %d] differ in "
                              "batch or channels",
                              (int)in->dims[0], (int)in->dims[3], (int)out->dims[0],
                              (int)out->dims[3]);
    tml_pool_params_t p = {
        .n = in->dims[0], .in_h = in->dims[1], .in_w = in->dims[2], .c = in->dims[3],
        .out_h = out->dims[1], .out_w = out->dims[2],
        .k_h = a->filter_h, .k_w = a->filter_w,
        .stride_h = a->stride_h, .stride_w = a->stride_w,
        .pad_top = a->pad_top, .pad_left = a->pad_left,
        .pad_bottom = a->pad_bottom, .pad_right = a->pad_right,
    };
    if ((st = tml_lower_nn_check_axis(ctx, "height", p.in_h, p.out_h, p.k_h, p.stride_h, 1,
                                      p.pad_top, p.pad_bottom)) != TML_OK ||
        (st = tml_lower_nn_check_axis(ctx, "width", p.in_w, p.out_w, p.k_w, p.stride_w, 1,
                                      p.pad_left, p.pad_right)) != TML_OK)
        return st;
    if (p.pad_top >= p.k_h || p.pad_bottom >= p.k_h || p.pad_left >= p.k_w ||
        p.pad_right >= p.k_w)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                              "pads %d/%d/%d/%d (top/left/bottom/right) not all smaller "
                              "than the %dx%d window",
                              (int)p.pad_top, (int)p.pad_left, (int)p.pad_bottom,
                              (int)p.pad_right, (int)p.k_h, (int)p.k_w);
    if ((int64_t)p.k_h * p.k_w > (1 << 23))
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "window %dx%d too large",
                              (int)p.k_h, (int)p.k_w);
    const bool padded = p.pad_top || p.pad_left || p.pad_bottom || p.pad_right;
    if (avg && a->count_include_pad && padded) {
        if (s8)
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                                  "int8 average pool with count_include_pad and padding");
        p.count_include_pad = 1;
    }

    tml_kernel_t kernel;
    if (s8) {
        if (in->quant.n != 1 || out->quant.n != 1)
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                                  "int8 pool needs per-tensor quantized input and output");
        const float scale = out->quant.scale[0];
        const int32_t zp = out->quant.zero_point[0];
        if (in->quant.scale[0] != scale || in->quant.zero_point[0] != zp)
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                                  "int8 pool input (scale %g, zero point %d) and output "
                                  "(scale %g, zero point %d) must share quantization",
                                  (double)in->quant.scale[0], (int)in->quant.zero_point[0],
                                  (double)scale, (int)zp);
        if (!(scale > 0.0f) || zp < -128 || zp > 127)
            return tml_lower_fail(ctx, TML_ERR_CORRUPT, "int8 pool scale %g, zero point %d",
                                  (double)scale, (int)zp);
        tml_lower_act_range_s8(a->act, scale, zp, &p.act_min, &p.act_max);
        if (p.act_min > p.act_max)
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                                  "activation %s leaves no int8 output range",
                                  tml_act_name(a->act));
        kernel = avg ? TML_K_AVGPOOL_S8 : TML_K_MAXPOOL_S8;
    } else {
        float lo, hi;
        tml_lower_act_range_f32(a->act, &lo, &hi);
        p.act_min = tml_lower_f32_word(lo);
        p.act_max = tml_lower_f32_word(hi);
        kernel = avg ? TML_K_AVGPOOL_F32 : TML_K_MAXPOOL_F32;
    }
    return tml_lower_emit(ctx, kernel, &in_idx, 1, &out_idx, 1, &p, sizeof(p), -1);
}

tml_status_t tml_lower_avgpool(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    return lower_pool(ctx, node, true);
}

tml_status_t tml_lower_maxpool(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    return lower_pool(ctx, node, false);
}
