/*
 * kernels/elementwise.h - elementwise, activation, softmax, (de)quantize,
 * reshape/concat/pad and reduction kernels (int8 and float32). See
 * tml/kernels.h for conventions.
 *
 * Everything the kernels need is computed by the compiler (compiler/lower/
 * lower_<op>.c) exactly as TensorFlow Lite Micro's Prepare functions do, so
 * the int8 kernels are bit-exact with TFLM's reference kernels. float32
 * values in params are stored as their IEEE-754 bit pattern in an int32
 * word (the _bits fields). Element counts and dims are >= 0.
 *
 * Broadcasting (ADD, MUL): the output is viewed as 4-D [d0, d1, d2, d3]
 * (out_shape, leading 1s for lower ranks); each input has an element stride
 * per output dim, 0 on the dims it is broadcast along. Element (i0..i3) of
 * input k is in_k[i0*s0 + i1*s1 + i2*s2 + i3*s3].
 */
#ifndef TML_KERNELS_ELEMENTWISE_H
#define TML_KERNELS_ELEMENTWISE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TML_BCAST_DIMS 4      /* dims of the broadcast view of ADD/MUL */
#define TML_ELEM_MAX_DIMS 6   /* dims of PAD and MEAN shapes (= TML_PKG_MAX_DIMS) */
#define TML_CONCAT_MAX_INPUTS 14

/* ---- ADD / MUL --------------------------------------------------------- */

/* TML_K_ADD_S8. Operands: in1 int8, in2 int8 -> out int8 [out_shape].
 * As TFLM's quantized ADD: both inputs are offset (in_offset = -zero_point),
 * shifted left by left_shift (20), rescaled to a common scale with their
 * Q31 multiplier/shift (shift <= 0), summed, rescaled to the output
 * (out_mult/out_shift), offset by out_offset (+zero_point) and clamped to
 * [act_min, act_max]. */
typedef struct tml_add_s8_params {
    int32_t out_shape[TML_BCAST_DIMS];
    int32_t in1_stride[TML_BCAST_DIMS];
    int32_t in2_stride[TML_BCAST_DIMS];
    int32_t in1_offset, in2_offset, out_offset;
    int32_t left_shift;
    int32_t in1_mult, in1_shift;
    int32_t in2_mult, in2_shift;
    int32_t out_mult, out_shift;
    int32_t act_min, act_max;
} tml_add_s8_params_t;
_Static_assert(sizeof(tml_add_s8_params_t) == 24 * 4, "ADD_S8 params are 24 words");

/* TML_K_MUL_S8. Operands: in1 int8, in2 int8 -> out int8 [out_shape].
 * out = clamp(out_offset + (in1 + in1_offset) * (in2 + in2_offset) *
 * out_mult * 2^out_shift, act_min, act_max), as TFLM's quantized MUL. */
typedef struct tml_mul_s8_params {
    int32_t out_shape[TML_BCAST_DIMS];
    int32_t in1_stride[TML_BCAST_DIMS];
    int32_t in2_stride[TML_BCAST_DIMS];
    int32_t in1_offset, in2_offset, out_offset;
    int32_t out_mult, out_shift;
    int32_t act_min, act_max;
} tml_mul_s8_params_t;
_Static_assert(sizeof(tml_mul_s8_params_t) == 19 * 4, "MUL_S8 params are 19 words");

/* TML_K_ADD_F32, TML_K_MUL_F32. Operands: in1 f32, in2 f32 -> out f32
 * [out_shape]; out = min(max(in1 op in2, act_min), act_max). */
typedef struct tml_binary_f32_params {
    int32_t out_shape[TML_BCAST_DIMS];
    int32_t in1_stride[TML_BCAST_DIMS];
    int32_t in2_stride[TML_BCAST_DIMS];
    int32_t act_min_bits, act_max_bits;
} tml_binary_f32_params_t;
_Static_assert(sizeof(tml_binary_f32_params_t) == 14 * 4, "binary f32 params are 14 words");

void tml_add_s8(const tml_add_s8_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);
/* TML_K_ADD_S8_LUT: ADD_S8 where each input's rescale (offset, left shift,
 * multiplier) was done offline for all 256 int8 values. Operands: in1, in2,
 * lut1 int32 [256], lut2 int32 [256] (indexed by value + 128) -> out; the
 * same params. Every table entry is within +-2^30 (checked at load), so
 * their sum fits int32. Bit-exact with ADD_S8, for one table read instead of
 * a fixed-point multiply per input element. */
void tml_add_s8_lut(const tml_add_s8_params_t *p, const int8_t *in1, const int8_t *in2,
                    const int32_t *lut1, const int32_t *lut2, int8_t *out);
/* TML_K_ADD_S8_DSP: ADD_S8_LUT (same operands and params, the same result
 * bit for bit) for dense in1, in2 of the output's shape (a stride may
 * differ only on a dimension of size 1), tables within +-2^29 and
 * out_shift in [-21, -1] (checked at load): one flat loop with the output
 * rescale of the DSP kernels (runtime/kernels/tml_dsp.h). Runs on any core. */
void tml_add_s8_dsp(const tml_add_s8_params_t *p, const int8_t *in1, const int8_t *in2,
                    const int32_t *lut1, const int32_t *lut2, int8_t *out);
void tml_mul_s8(const tml_mul_s8_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void tml_add_f32(const tml_binary_f32_params_t *p, const float *in1, const float *in2, float *out);
void tml_mul_f32(const tml_binary_f32_params_t *p, const float *in1, const float *in2, float *out);

/* ---- COPY (RESHAPE) ---------------------------------------------------- */

/* TML_K_COPY. Operands: in (any dtype) -> out, n_bytes each. Copies the
 * bytes; does nothing when in and out are the same buffer (the planner may
 * alias them). */
typedef struct tml_copy_params {
    int32_t n_bytes;
} tml_copy_params_t;
_Static_assert(sizeof(tml_copy_params_t) == 4, "COPY params are 1 word");

void tml_copy(const tml_copy_params_t *p, const void *in, void *out);

/* ---- SOFTMAX ----------------------------------------------------------- */

/* TML_K_SOFTMAX_S8. Operands: in int8 [outer, depth] -> out int8 [outer,
 * depth] (scale 1/256, zero point -128), softmax over each row of depth.
 * input_mult/input_left_shift scale a difference from the row maximum by
 * beta * input_scale into Q5.26; differences below diff_min give -128. */
typedef struct tml_softmax_s8_params {
    int32_t outer, depth;
    int32_t input_mult, input_left_shift;
    int32_t diff_min;
} tml_softmax_s8_params_t;
_Static_assert(sizeof(tml_softmax_s8_params_t) == 5 * 4, "SOFTMAX_S8 params are 5 words");

/* TML_K_SOFTMAX_F32. Operands: in f32 [outer, depth] -> out f32. */
typedef struct tml_softmax_f32_params {
    int32_t outer, depth;
    int32_t beta_bits;
} tml_softmax_f32_params_t;
_Static_assert(sizeof(tml_softmax_f32_params_t) == 3 * 4, "SOFTMAX_F32 params are 3 words");

void tml_softmax_s8(const tml_softmax_s8_params_t *p, const int8_t *in, int8_t *out);
void tml_softmax_f32(const tml_softmax_f32_params_t *p, const float *in, float *out);

/* ---- QUANTIZE / DEQUANTIZE / REQUANTIZE -------------------------------- */

/* TML_K_QUANTIZE_F32_S8: in f32 [n] -> out int8 [n],
 *   out = clamp(round_half_away(in / scale) + zero_point, -128, 127).
 * TML_K_DEQUANTIZE_S8_F32: in int8 [n] -> out f32 [n],
 *   out = scale * (in - zero_point).
 * scale and zero_point are the int8 side's. */
typedef struct tml_quant_params {
    int32_t n;
    int32_t scale_bits;
    int32_t zero_point;
} tml_quant_params_t;
_Static_assert(sizeof(tml_quant_params_t) == 3 * 4, "QUANTIZE params are 3 words");

/* TML_K_REQUANTIZE_S8: in int8 [n] -> out int8 [n],
 *   out = clamp((in - in_zp) * mult * 2^shift + out_zp, -128, 127). */
typedef struct tml_requant_params {
    int32_t n;
    int32_t in_zp, out_zp;
    int32_t mult, shift;
} tml_requant_params_t;
_Static_assert(sizeof(tml_requant_params_t) == 5 * 4, "REQUANTIZE params are 5 words");

void tml_quantize_f32_s8(const tml_quant_params_t *p, const float *in, int8_t *out);
void tml_dequantize_s8_f32(const tml_quant_params_t *p, const int8_t *in, float *out);
void tml_requantize_s8(const tml_requant_params_t *p, const int8_t *in, int8_t *out);

/* ---- CONCAT / PAD ------------------------------------------------------ */

/* TML_K_CONCAT. Operands: in_0 .. in_{n_inputs-1} (any one dtype) -> out.
 * The tensors are viewed as [outer, row_bytes]: input i contributes
 * row_bytes[i] bytes to each of the outer rows of out, in input order. */
typedef struct tml_concat_params {
    int32_t n_inputs;                         /* 1..TML_CONCAT_MAX_INPUTS */
    int32_t outer;
    int32_t row_bytes[TML_CONCAT_MAX_INPUTS];  /* unused entries 0 */
} tml_concat_params_t;
_Static_assert(sizeof(tml_concat_params_t) == 16 * 4, "CONCAT params are 16 words");

void tml_concat(const tml_concat_params_t *p, const void *const *in, void *out);

/* TML_K_PAD. Operands: in [in_dims] -> out [in_dims + before + after] of
 * elements of elem_size bytes (1, 2, 4 or 8). Shapes are 6-D with leading
 * 1s. Padding elements hold the little-endian bytes of fill_hi:fill_lo
 * (the low elem_size bytes). */
typedef struct tml_pad_params {
    int32_t in_dims[TML_ELEM_MAX_DIMS];
    int32_t before[TML_ELEM_MAX_DIMS];
    int32_t after[TML_ELEM_MAX_DIMS];
    int32_t elem_size;
    int32_t fill_lo, fill_hi;
} tml_pad_params_t;
_Static_assert(sizeof(tml_pad_params_t) == 21 * 4, "PAD params are 21 words");

void tml_pad(const tml_pad_params_t *p, const void *in, void *out);

/* ---- MEAN -------------------------------------------------------------- */

/* TML_K_MEAN_S8. Operands: in int8 [in_dims] -> out int8 (in_dims with the
 * reduced dims set to 1, in row-major order; keep_dims only changes the
 * declared shape). n_reduced is the product of the reduced dims (>= 1).
 * As TFLM: when input and output quantization are equal (requantize == 0)
 * out = trunc(sum(in) / n_reduced); otherwise out = clamp((sum(in) -
 * in_zp * n_reduced) * mult * 2^shift + out_zp), where mult/shift already
 * include the 1/n_reduced factor. */
typedef struct tml_mean_s8_params {
    int32_t in_dims[TML_ELEM_MAX_DIMS];
    int32_t reduce[TML_ELEM_MAX_DIMS];   /* 1 on reduced dims, else 0 */
    int32_t n_reduced;
    int32_t requantize;
    int32_t in_zp, out_zp;
    int32_t mult, shift;
} tml_mean_s8_params_t;
_Static_assert(sizeof(tml_mean_s8_params_t) == 18 * 4, "MEAN_S8 params are 18 words");

/* TML_K_MEAN_F32: as MEAN_S8 in float: the sum of each output's inputs in
 * row-major order, divided by n_reduced. */
typedef struct tml_mean_f32_params {
    int32_t in_dims[TML_ELEM_MAX_DIMS];
    int32_t reduce[TML_ELEM_MAX_DIMS];
    int32_t n_reduced;
} tml_mean_f32_params_t;
_Static_assert(sizeof(tml_mean_f32_params_t) == 13 * 4, "MEAN_F32 params are 13 words");

void tml_mean_s8(const tml_mean_s8_params_t *p, const int8_t *in, int8_t *out);
void tml_mean_f32(const tml_mean_f32_params_t *p, const float *in, float *out);

/* ---- Activations ------------------------------------------------------- */

/* TML_K_LOGISTIC_S8 (out scale 1/256, zero point -128) and TML_K_TANH_S8
 * (out scale 1/128, zero point 0): in int8 [n] -> out int8 [n]. Inputs
 * within input_range_radius of in_zp are scaled into Q4.27 by
 * input_mult * 2^input_left_shift; the others saturate. */
typedef struct tml_sigmoid_s8_params {
    int32_t n;
    int32_t in_zp;
    int32_t input_range_radius;
    int32_t input_mult, input_left_shift;
} tml_sigmoid_s8_params_t;
_Static_assert(sizeof(tml_sigmoid_s8_params_t) == 5 * 4, "LOGISTIC/TANH_S8 params are 5 words");

/* TML_K_RELU_S8 (RELU, RELU6, RELU_N1_TO_1): in int8 [n] -> out int8 [n],
 *   out = clamp(out_zp + (in - in_zp) * mult * 2^shift, act_min, act_max). */
typedef struct tml_relu_s8_params {
    int32_t n;
    int32_t in_zp, out_zp;
    int32_t mult, shift;
    int32_t act_min, act_max;
} tml_relu_s8_params_t;
_Static_assert(sizeof(tml_relu_s8_params_t) == 7 * 4, "RELU_S8 params are 7 words");

/* TML_K_HARD_SWISH_S8: in int8 [n] -> out int8 [n], TFLM's 16-bit
 * fixed-point hard-swish. The multipliers are Q15 (int16 range). */
typedef struct tml_hard_swish_s8_params {
    int32_t n;
    int32_t in_zp, out_zp;
    int32_t reluish_mult, reluish_exp;   /* reluish_mult in [0, 32767] */
    int32_t out_mult, out_exp;           /* out_mult in [0, 32767], out_exp <= 0 */
} tml_hard_swish_s8_params_t;
_Static_assert(sizeof(tml_hard_swish_s8_params_t) == 7 * 4, "HARD_SWISH_S8 params are 7 words");

/* TML_K_LOGISTIC_F32, TML_K_TANH_F32, TML_K_HARD_SWISH_F32: in f32 [n] ->
 * out f32 [n]. */
typedef struct tml_unary_f32_params {
    int32_t n;
} tml_unary_f32_params_t;
_Static_assert(sizeof(tml_unary_f32_params_t) == 4, "unary f32 params are 1 word");

/* TML_K_CLAMP_F32: in f32 [n] -> out f32 [n], out = min(max(in, min), max). */
typedef struct tml_clamp_f32_params {
    int32_t n;
    int32_t min_bits, max_bits;
} tml_clamp_f32_params_t;
_Static_assert(sizeof(tml_clamp_f32_params_t) == 3 * 4, "CLAMP_F32 params are 3 words");

void tml_logistic_s8(const tml_sigmoid_s8_params_t *p, const int8_t *in, int8_t *out);
void tml_tanh_s8(const tml_sigmoid_s8_params_t *p, const int8_t *in, int8_t *out);
void tml_relu_s8(const tml_relu_s8_params_t *p, const int8_t *in, int8_t *out);
void tml_hard_swish_s8(const tml_hard_swish_s8_params_t *p, const int8_t *in, int8_t *out);
void tml_logistic_f32(const tml_unary_f32_params_t *p, const float *in, float *out);
void tml_tanh_f32(const tml_unary_f32_params_t *p, const float *in, float *out);
void tml_hard_swish_f32(const tml_unary_f32_params_t *p, const float *in, float *out);
void tml_clamp_f32(const tml_clamp_f32_params_t *p, const float *in, float *out);

#ifdef __cplusplus
}
#endif
#endif /* TML_KERNELS_ELEMENTWISE_H */
