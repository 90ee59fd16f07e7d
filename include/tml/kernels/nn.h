/*
 * kernels/nn.h - convolution, depthwise convolution, fully-connected and
 * pooling kernels (int8 and float32). See tml/kernels.h for conventions.
 *
 * The int8 kernels reproduce TensorFlow Lite Micro's reference kernels
 * (reference_integer_ops ConvPerChannel, DepthwiseConvPerChannel,
 * FullyConnected / FullyConnectedPerChannel, AveragePool, MaxPool) bit for
 * bit; the float32 ones follow TFLite's float reference kernels, summing in
 * the same order. Padding is explicit: only pad_top/pad_left move the
 * window, pad_bottom/pad_right are kept so the loader can check that the
 * output dims agree with out = (in + pad_before + pad_after - eff_k) / stride
 * + 1, with eff_k = (k - 1) * dilation + 1.
 *
 * float32 kernels store their float params (activation range) as the bit
 * pattern of the float in an int32_t word; tml_nn_f32_word() reads one.
 */
#ifndef TML_KERNELS_NN_H
#define TML_KERNELS_NN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- CONV2D and DEPTHWISE_CONV2D ------------------------------------------
 * One params struct for the four convolution kernels.
 *
 * CONV2D_S8 operands: inputs  [input  int8  [n, in_h, in_w, in_c],
 *                              weights int8 [out_c, k_h, k_w, in_c],
 *                              mult   int32 [out_c]  (Q31 multipliers),
 *                              shift  int32 [out_c]  (in [-31, 30]),
 *                              bias   int32 [out_c]  (optional: 4 inputs, or
 *                                                      the 5th absent)]
 *                     outputs [output int8  [n, out_h, out_w, out_c]]
 * CONV2D_F32 operands: inputs [input f32, weights f32, bias f32 (optional)],
 *                     outputs [output f32], same layouts.
 * DEPTHWISE_CONV2D_S8/_F32: as above but weights are [1, k_h, k_w, out_c]
 *   with out_c = in_c * depth_multiplier; output channel ic * M + m reads
 *   input channel ic.
 *
 * s8: input_offset = -input zero point ([-127, 128]), output_offset = output
 * zero point ([-128, 127]), act_min/act_max the clamp in [-128, 127].
 * f32: input_offset = output_offset = 0; act_min/act_max are float bits.
 * CONV2D needs depth_multiplier == 1.
 */
typedef struct tml_conv_params {
    int32_t n, in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
    int32_t depth_multiplier;
    int32_t input_offset, output_offset;
    int32_t act_min, act_max;
} tml_conv_params_t;
_Static_assert(sizeof(tml_conv_params_t) == 22 * 4, "tml_conv_params_t is 22 words");

/* ---- FULLY_CONNECTED -------------------------------------------------------
 * FC_S8 operands: inputs  [input   int8  [batches, n_in] (any shape with
 *                                         batches * n_in elements),
 *                          weights int8  [n_out, n_in],
 *                          mult    int32 [1] or [n_out] (see per_channel),
 *                          shift   int32 [1] or [n_out],
 *                          bias    int32 [n_out] (optional)]
 *                 outputs [output  int8  [batches, n_out]]
 * FC_F32 operands: inputs [input f32, weights f32, bias f32 (optional)],
 *                  outputs [output f32].
 *
 * s8: acc = sum (w + weights_offset) * (x + input_offset) (+ bias), then
 * requantized with mult/shift[per_channel ? o : 0], + output_offset, clamped.
 * weights_offset = -weights zero point (TFLM applies it for per-tensor
 * weights only; per-channel weights are symmetric so it is 0 there).
 * f32: offsets 0, per_channel 0, act_min/act_max float bits.
 */
typedef struct tml_fc_params {
    int32_t batches, n_in, n_out;
    int32_t input_offset, weights_offset, output_offset;
    int32_t per_channel;        /* 0: one multiplier; 1: one per output */
    int32_t act_min, act_max;
} tml_fc_params_t;
_Static_assert(sizeof(tml_fc_params_t) == 9 * 4, "tml_fc_params_t is 9 words");

/* ---- AVERAGE_POOL_2D and MAX_POOL_2D ---------------------------------------
 * Operands (all four pool kernels): inputs [input [n, in_h, in_w, c]],
 * outputs [output [n, out_h, out_w, c]], int8 or f32. Input and output
 * share quantization (the compiler checks), so there are no offsets.
 *
 * Only window positions inside the input count: avg divides by the number
 * of valid positions (TFLM rounds half away from zero for int8), max takes
 * the largest valid one. count_include_pad (AVGPOOL_F32 only, ONNX's
 * option) divides by k_h * k_w instead, padding counting as 0.
 * act_min/act_max: int8 range for s8, float bits for f32.
 */
typedef struct tml_pool_params {
    int32_t n, in_h, in_w, c;
    int32_t out_h, out_w;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
    int32_t count_include_pad;
    int32_t act_min, act_max;
} tml_pool_params_t;
_Static_assert(sizeof(tml_pool_params_t) == 17 * 4, "tml_pool_params_t is 17 words");

/* The float whose bit pattern is word (params of float kernels). */
static inline float tml_nn_f32_word(int32_t word)
{
    union {
        int32_t i;
        float f;
    } u;
    u.i = word;
    return u.f;
}

/* Kernels. Pointers are never NULL except an absent bias; buffers have the
 * sizes given above. None needs scratch. Outputs must not alias inputs. */
void tml_conv2d_s8(const tml_conv_params_t *p, const int8_t *input, const int8_t *weights,
                   const int32_t *mult, const int32_t *shift, const int32_t *bias,
                   int8_t *output);
void tml_conv2d_f32(const tml_conv_params_t *p, const float *input, const float *weights,
                    const float *bias, float *output);
void tml_dwconv2d_s8(const tml_conv_params_t *p, const int8_t *input, const int8_t *weights,
                     const int32_t *mult, const int32_t *shift, const int32_t *bias,
                     int8_t *output);
void tml_dwconv2d_f32(const tml_conv_params_t *p, const float *input, const float *weights,
                      const float *bias, float *output);
void tml_fc_s8(const tml_fc_params_t *p, const int8_t *input, const int8_t *weights,
               const int32_t *mult, const int32_t *shift, const int32_t *bias,
               int8_t *output);
void tml_fc_f32(const tml_fc_params_t *p, const float *input, const float *weights,
                const float *bias, float *output);
void tml_avgpool_s8(const tml_pool_params_t *p, const int8_t *input, int8_t *output);
void tml_avgpool_f32(const tml_pool_params_t *p, const float *input, float *output);
void tml_maxpool_s8(const tml_pool_params_t *p, const int8_t *input, int8_t *output);
void tml_maxpool_f32(const tml_pool_params_t *p, const float *input, float *output);

/* ---- int8 kernels for cores with the DSP extension ----------------------
 * Same params structs and the same results, bit for bit, as the kernels
 * above; chosen by the compiler for targets with TML_FEAT_DSP (Cortex-M4,
 * M7, M33), they run on any core (portable C stands in for the SIMD
 * instructions elsewhere). What the reference kernels compute per
 * inference is done offline by the compiler:
 *  - bias (required, int32 [out_c]) is bias + input_offset * sum of the
 *    channel's weights (0 for an absent bias), so the kernels multiply raw
 *    int8 values and treat padding as the input zero point;
 *  - weights are re-ordered so that the rows read together form one stream.
 * "Pair-interleaved" rows of k bytes (k a multiple of 4): each pair of rows
 * (2j, 2j + 1) is k / 4 groups of [row 2j: 4 bytes, row 2j + 1: 4 bytes]; an
 * odd last row follows plain. "Quad-interleaved": the same with groups of 4
 * rows (16 bytes per group); the n % 4 last rows follow plain.
 *
 * CONV2D_S8_DSP: any CONV2D_S8 geometry. k_pad = round_up(k_h * k_w * in_c, 4).
 *   inputs  [input int8 [n, in_h, in_w, in_c], weights int8 [out_c, k_pad]
 *            (rows in (ky, kx, ic) order, zero-padded to k_pad, pair-
 *            interleaved), mult, shift, bias (folded)]
 *   outputs [output int8 [n, out_h, out_w, out_c], scratch int8
 *            [tml_conv2d_s8_dsp_scratch_size()]: two im2col rows]
 * CONV2D_1X1_S8_DSP: k_h = k_w = 1, no padding, in_c a multiple of 4, any
 *   stride: weights int8 [out_c, in_c] pair-interleaved; no scratch.
 * CONV2D_DIRECT_S8_DSP: in_c a multiple of 4, dilation 1, k_h <= 16: as
 *   CONV2D_S8_DSP (k_pad = k) but without scratch.
 * CONV2D_4PX_S8_DSP: in_c a multiple of 4, dilation 1; k = k_h * k_w *
 *   in_c: weights int8 [out_c, k] (rows in (ky, kx, ic) order) "pair-
 *   crossed": per pair of rows (2j, 2j + 1) and 4 values v0..v3 of a row,
 *   the words [r0 v0, r1 v0, r0 v2, r1 v2], [r0 v1, r1 v1, r0 v3, r1 v3];
 *   an odd last row follows plain. outputs [output, scratch int8
 *   [tml_conv2d_4px_s8_dsp_scratch_size()]: 4 windows widened to int16].
 * CONV2D_4PX_OUT_S8_DSP: CONV2D_4PX_S8_DSP without the scratch operand:
 *   the windows are widened into the output's last scratch_size() bytes,
 *   and the pixels whose outputs lie there are computed one at a time
 *   straight from the input.
 * DWCONV2D_S8_DSP: depth_multiplier 1: weights int16 [ceil(in_c / 4),
 *   k_h * k_w, 4]: for channels c..c+3 and each tap the values (w[c],
 *   w[c+2], w[c+1], w[c+3]) widened to int16, 0 past in_c; no scratch.
 * DWCONV2D_3X3_S8_DSP: depth_multiplier 1, k_h = k_w = 3, dilation 1,
 *   strides 1 or 2, any channel count, every shift in [-TML_DW3_MAX_RSHIFT,
 *   -1]: weights int16 [ceil(in_c / 4), 2 (channels c, c+1 | c+2, c+3), 3
 *   (kernel row), 2 (channel), 4]: 2 * (w0, w1, w1, w2) of the row, 0 past
 *   in_c; bias doubled too (2 * folded bias, within +-TML_DW3_MAX_BIAS2);
 *   no scratch.
 * FC_S8_DSP: weights_offset 0, n_in a multiple of 4: weights int8
 *   [n_out, n_in] quad-interleaved; no scratch.
 *
 * Every DSP kernel takes dot products of at most TML_DSP_MAX_K terms and
 * folded biases within +-TML_DSP_MAX_BIAS (the loader checks): accumulators
 * then stay within 1.5 * 2^30, which their requantization relies on.
 */
#define TML_DSP_MAX_K 16384
#define TML_DSP_MAX_BIAS ((1 << 30) + (1 << 28))
/* DWCONV2D_3X3_S8_DSP's own limits: its accumulator is twice the dot
 * product, which these keep below 2^29 + 2^19 (see its requantization). */
#define TML_DW3_MAX_BIAS2 (1 << 29)
#define TML_DW3_MAX_RSHIFT 23
uint32_t tml_conv2d_s8_dsp_scratch_size(const tml_conv_params_t *p);
void tml_conv2d_s8_dsp(const tml_conv_params_t *p, const int8_t *input, const int8_t *weights,
                       const int32_t *mult, const int32_t *shift, const int32_t *bias,
                       int8_t *output, int8_t *scratch);
void tml_conv2d_direct_s8_dsp(const tml_conv_params_t *p, const int8_t *input,
                              const int8_t *weights, const int32_t *mult,
                              const int32_t *shift, const int32_t *bias, int8_t *output);
uint32_t tml_conv2d_4px_s8_dsp_scratch_size(const tml_conv_params_t *p);
void tml_conv2d_4px_s8_dsp(const tml_conv_params_t *p, const int8_t *input,
                           const int8_t *weights, const int32_t *mult, const int32_t *shift,
                           const int32_t *bias, int8_t *output, int8_t *scratch);
void tml_conv2d_4px_out_s8_dsp(const tml_conv_params_t *p, const int8_t *input,
                               const int8_t *weights, const int32_t *mult,
                               const int32_t *shift, const int32_t *bias, int8_t *output);
void tml_conv2d_1x1_s8_dsp(const tml_conv_params_t *p, const int8_t *input,
                           const int8_t *weights, const int32_t *mult, const int32_t *shift,
                           const int32_t *bias, int8_t *output);
void tml_dwconv2d_s8_dsp(const tml_conv_params_t *p, const int8_t *input,
                         const int16_t *weights, const int32_t *mult, const int32_t *shift,
                         const int32_t *bias, int8_t *output);
void tml_dwconv2d_3x3_s8_dsp(const tml_conv_params_t *p, const int8_t *input,
                             const int16_t *weights, const int32_t *mult, const int32_t *shift,
                             const int32_t *bias, int8_t *output);
void tml_fc_s8_dsp(const tml_fc_params_t *p, const int8_t *input, const int8_t *weights,
                   const int32_t *mult, const int32_t *shift, const int32_t *bias,
                   int8_t *output);

/* ---- DSP convolutions with widened activations and requant records -----
 * The same results again, faster (tml_dsp_gemm.h): each pixel's inputs are
 * widened to int16 once for all output channels, and each channel's
 * requantization is one record laid out offline instead of mult, shift and
 * bias, TML_DSP_RQ_LEN int32 per channel:
 *   BIAS   the folded bias (as above)
 *   MULT2  2 * mult - 2^32 (mult in [2^30, 2^31), so a negative even int32)
 *   ROUND  1 << (RSHIFT - 1)
 *   RSHIFT -shift, in 1..30
 * (tml_dsp_gemm.h: tml_dsp_rq_shifted). The compiler uses these kernels
 * when every channel's mult and shift are in those ranges, as TFLite's
 * nearly always are (a multiplier's shift is 0 or positive only for a
 * scale above 1/2).
 *
 * CONV2D_1X1_S8_DSPW: as CONV2D_1X1_S8_DSP (in_c a multiple of 4, weights
 *   pair-interleaved [out_c, in_c]): inputs [input, weights, rq int32
 *   [out_c, TML_DSP_RQ_LEN]], outputs [output]. No scratch: two widened
 *   pixels (4 * in_c bytes) borrow the end of the output until it is
 *   written; the last pixels take a path without widening.
 * CONV2D_S8_DSPW: any CONV2D_S8 geometry, weights as CONV2D_S8_DSP:
 *   inputs [input, weights, rq], outputs [output, scratch int8
 *   [tml_conv2d_s8_dspw_scratch_size()]: a widened pair of im2col rows and
 *   the int8 row they are built from].
 */
enum { TML_DSP_RQ_BIAS, TML_DSP_RQ_MULT2, TML_DSP_RQ_ROUND, TML_DSP_RQ_SHIFT, TML_DSP_RQ_LEN };
#define TML_DSP_RQ_MAX_SHIFT 30
void tml_conv2d_1x1_s8_dspw(const tml_conv_params_t *p, const int8_t *input,
                            const int8_t *weights, const int32_t *rq, int8_t *output);
uint32_t tml_conv2d_s8_dspw_scratch_size(const tml_conv_params_t *p);
void tml_conv2d_s8_dspw(const tml_conv_params_t *p, const int8_t *input, const int8_t *weights,
                        const int32_t *rq, int8_t *output, int8_t *scratch);

#ifdef __cplusplus
}
#endif
#endif /* TML_KERNELS_NN_H */
