/*
 * lower_nn.h - helpers shared by the lowering of the nn ops (conv,
 * depthwise, fully-connected, pools). Private to compiler/lower.
 *
 * Each helper reports a failure through tml_lower_fail, naming the node
 * and what is wrong, and returns its status.
 */
#ifndef TML_LOWER_NN_H
#define TML_LOWER_NN_H

#include <stdbool.h>

#include "lower_ops.h"

/* Requantization of an int8 node, all computed offline. */
typedef struct tml_lower_requant {
    int32_t input_offset;   /* -input zero point */
    int32_t weights_offset; /* -weights zero point (per-tensor FC only) */
    int32_t output_offset;  /* output zero point */
    int32_t act_min, act_max;
    int32_t mult_idx, shift_idx; /* the constant int32 arrays added */
    int n_mult;             /* entries in each array */
} tml_lower_requant_t;

/* Picks the kernel flavour from the dtypes of input, weights (w_idx, -1 for
 * pools), output and bias (-1 if absent): all int8 (bias int32) gives
 * *s8 = true, all float32 gives false; anything else fails with
 * TML_ERR_UNSUPPORTED naming the dtypes. */
tml_status_t tml_lower_nn_flavour(tml_lower_ctx_t *ctx, int32_t in_idx, int32_t w_idx,
                                  int32_t out_idx, int32_t bias_idx, bool *s8);

/* Fails unless tensor idx has exactly rank dims, all >= 1, and at most
 * INT32_MAX elements. what names the operand in the message. */
tml_status_t tml_lower_nn_need_shape(tml_lower_ctx_t *ctx, int32_t idx, int rank,
                                     const char *what);

/* Checks one spatial axis of a window op (stride, dilation, pads) and that
 * out == (in + pads - eff_k) / stride + 1 with eff_k = (k - 1) * dil + 1. */
tml_status_t tml_lower_nn_check_axis(tml_lower_ctx_t *ctx, const char *axis, int32_t in,
                                     int32_t out, int32_t k, int32_t stride, int32_t dil,
                                     int32_t pad_before, int32_t pad_after);

/* int8 requantization of a weighted op: per-tensor input and output
 * quantization, weights per-tensor or per-channel along w_axis with n_ch
 * channels. Adds mult/shift constants with n_ch entries (per_tensor_len1:
 * a single entry when the weights are per-tensor, as TFLM's FC does),
 * computing effective_scale = (double)in_scale * (double)w_scale[c] /
 * (double)out_scale and tml_quantize_multiplier as TFLM does. Weight zero
 * points must be 0 unless allow_w_zp (per-tensor FC). */
tml_status_t tml_lower_nn_requant(tml_lower_ctx_t *ctx, int32_t in_idx, int32_t w_idx,
                                  int32_t out_idx, int w_axis, int32_t n_ch,
                                  bool per_tensor_len1, bool allow_w_zp, tml_act_t act,
                                  tml_lower_requant_t *rq);

/* CONV2D and DEPTHWISE_CONV2D share everything but the weight layout
 * (lower_conv2d.c). */
tml_status_t tml_lower_conv_common(tml_lower_ctx_t *ctx, const tml_ir_node_t *node,
                                   bool depthwise);

/* For a target with the DSP extension (lower_dsp.c): emits the DSP kernel
 * of an int8 conv (depthwise) or fully-connected node, with its re-ordered
 * weights, folded bias and scratch, and sets *done, when the shapes suit;
 * otherwise leaves *done false and emits nothing. */
tml_status_t tml_lower_conv_dsp(tml_lower_ctx_t *ctx, const tml_conv_params_t *p,
                                bool depthwise, int32_t in_idx, int32_t w_idx,
                                int32_t mult_idx, int32_t shift_idx, int32_t bias_idx,
                                int32_t out_idx, bool *done);
tml_status_t tml_lower_fc_dsp(tml_lower_ctx_t *ctx, const tml_fc_params_t *p, int32_t in_idx,
                              int32_t w_idx, int32_t mult_idx, int32_t shift_idx,
                              int32_t bias_idx, int32_t out_idx, bool *done);

#endif /* TML_LOWER_NN_H */
