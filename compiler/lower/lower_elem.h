/*
 * lower_elem.h - helpers shared by the elementwise lowerings (lower_add.c,
 * lower_softmax.c, ...): operand access with node-scoped errors, per-tensor
 * quantization, broadcast views and the multiplier variants TFLM uses.
 */
#ifndef TML_LOWER_ELEM_H
#define TML_LOWER_ELEM_H

#include "lower_ops.h"

/* Index of node input i (which must be present) or output 0, failing with a
 * message when absent. */
tml_status_t tml_lower_elem_io(tml_lower_ctx_t *ctx, const tml_ir_node_t *node, int min_in,
                               int32_t *in0, int32_t *out0);

/* Per-tensor scale and zero point of tensor idx; fails unless it has
 * exactly one. what names the operand in the message. */
tml_status_t tml_lower_elem_quant(tml_lower_ctx_t *ctx, int32_t idx, const char *what,
                                  float *scale, int32_t *zero_point);

/* Element count of tensor idx, failing above INT32_MAX. */
tml_status_t tml_lower_elem_count(tml_lower_ctx_t *ctx, int32_t idx, int32_t *n);

/* Fails unless tensor idx has dtype. */
tml_status_t tml_lower_elem_dtype(tml_lower_ctx_t *ctx, int32_t idx, tml_dtype_t dtype,
                                  const char *what);

/* The 4-D broadcast view of out = in1 op in2 (numpy rules): out shape and
 * per-input element strides, 0 on broadcast dims. Adjacent dims that
 * broadcast alike are merged, so ranks above 4 work when they collapse. */
tml_status_t tml_lower_elem_bcast(tml_lower_ctx_t *ctx, int32_t in1, int32_t in2, int32_t out,
                                  int32_t shape[4], int32_t stride1[4], int32_t stride2[4]);

/* Pads the dims of tensor idx to TML_ELEM_MAX_DIMS with leading 1s; *lead
 * receives the number of dims added. Fails above TML_ELEM_MAX_DIMS dims. */
tml_status_t tml_lower_elem_dims6(tml_lower_ctx_t *ctx, int32_t idx, int32_t dims[6], int *lead);

/* TFLite's QuantizeMultiplierGreaterThanOne: real > 1, shift >= 0. */
tml_status_t tml_lower_elem_mult_gt_one(tml_lower_ctx_t *ctx, double real, int32_t *mult,
                                        int32_t *shift);

/* TFLite's CalculateInputRadius(integer_bits, left_shift, 31), saturated
 * to INT32_MAX. */
int32_t tml_lower_elem_input_radius(int integer_bits, int left_shift);

/* The frexp-based multiplier of TFLM's LOGISTIC/TANH Prepare for int8:
 * real = scale * 2^27 split into a Q31 multiplier and a left shift. */
void tml_lower_elem_q4_multiplier(float scale, int32_t *mult, int32_t *shift);

/* Emits REQUANTIZE_S8 from int8 tensor in to int8 tensor out (both per-
 * tensor quantized); used by QUANTIZE and CONCAT (lower_quantize.c). */
tml_status_t tml_lower_elem_requantize(tml_lower_ctx_t *ctx, int32_t in, int32_t out);

#endif /* TML_LOWER_ELEM_H */
