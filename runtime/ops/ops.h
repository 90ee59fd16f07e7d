/*
 * ops.h - the contract between the interpreter and each kernel's glue.
 *
 * For every tml_kernel_t there is one tml_op_desc_t (in runtime/ops/op_*.c):
 * `check` runs once, at load time, and must prove that `eval` cannot read or
 * write outside any operand given these params and operand descriptors
 * (shapes, byte lengths, dtypes); `eval` then just unpacks and calls the
 * kernel. Kernels themselves (runtime/kernels/) are pure math and never fail.
 */
#ifndef TML_RT_OPS_H
#define TML_RT_OPS_H

#include "tml/kernels.h"
#include "tml/rt.h"

#define TML_OP_MAX_OPERANDS 16

typedef struct tml_op_ctx {
    const tml_rt_t *rt;
    const tml_pkg_op_t *op;
    const int32_t *params;        /* op->n_params words, 4-byte aligned */
    uint32_t n_in, n_out;
    /* Operands: [0, n_in) inputs, [n_in, n_in + n_out) outputs; NULL when
     * an optional operand is absent. */
    const tml_pkg_tensor_t *t[TML_OP_MAX_OPERANDS];
    void *data[TML_OP_MAX_OPERANDS];
} tml_op_ctx_t;

typedef struct tml_op_desc {
    const char *name;             /* "CONV2D_S8" */
    uint8_t min_inputs, max_inputs;
    uint8_t n_outputs;            /* exact, scratch included */
    uint32_t n_params;            /* exact word count of the params struct */
    tml_status_t (*check)(const tml_op_ctx_t *ctx);
    void (*eval)(const tml_op_ctx_t *ctx);
} tml_op_desc_t;

/* The descriptor for a kernel id, or NULL if this runtime lacks it. */
const tml_op_desc_t *tml_op_find(uint32_t kernel);

/* Helpers for check functions. */
/* Element count of t (product of its dims). */
uint32_t tml_op_elems(const tml_pkg_tensor_t *t);
/* TML_OK when t is present, has dtype and at least min_bytes bytes. */
tml_status_t tml_op_want(const tml_pkg_tensor_t *t, uint32_t dtype, uint32_t min_bytes);

/* Descriptors, one per kernel; each defined in its runtime/ops/op_*.c. */
extern const tml_op_desc_t tml_op_conv2d_s8, tml_op_conv2d_f32;
extern const tml_op_desc_t tml_op_dwconv2d_s8, tml_op_dwconv2d_f32;
extern const tml_op_desc_t tml_op_fc_s8, tml_op_fc_f32;
extern const tml_op_desc_t tml_op_avgpool_s8, tml_op_avgpool_f32;
extern const tml_op_desc_t tml_op_maxpool_s8, tml_op_maxpool_f32;
extern const tml_op_desc_t tml_op_add_s8, tml_op_add_f32, tml_op_add_s8_lut;
extern const tml_op_desc_t tml_op_mul_s8, tml_op_mul_f32;
extern const tml_op_desc_t tml_op_copy;
extern const tml_op_desc_t tml_op_softmax_s8, tml_op_softmax_f32;
extern const tml_op_desc_t tml_op_quantize_f32_s8, tml_op_dequantize_s8_f32, tml_op_requantize_s8;
extern const tml_op_desc_t tml_op_concat, tml_op_pad;
extern const tml_op_desc_t tml_op_mean_s8, tml_op_mean_f32;
extern const tml_op_desc_t tml_op_logistic_s8, tml_op_logistic_f32;
extern const tml_op_desc_t tml_op_tanh_s8, tml_op_tanh_f32;
extern const tml_op_desc_t tml_op_relu_s8, tml_op_clamp_f32;
extern const tml_op_desc_t tml_op_hard_swish_s8, tml_op_hard_swish_f32;
/* kernels/extra.h (runtime/ops/op_<kernel>.c) */
extern const tml_op_desc_t tml_op_sub_f32, tml_op_div_f32, tml_op_prelu_f32;
extern const tml_op_desc_t tml_op_leaky_relu_f32, tml_op_hard_sigmoid_f32;
extern const tml_op_desc_t tml_op_transpose, tml_op_slice;
extern const tml_op_desc_t tml_op_conv2d_s8_dsp, tml_op_conv2d_1x1_s8_dsp;
extern const tml_op_desc_t tml_op_dwconv2d_s8_dsp, tml_op_fc_s8_dsp;
extern const tml_op_desc_t tml_op_conv2d_direct_s8_dsp;
extern const tml_op_desc_t tml_op_conv2d_1x1_s8_dspw, tml_op_conv2d_s8_dspw;
extern const tml_op_desc_t tml_op_dwconv2d_3x3_s8_dsp;
extern const tml_op_desc_t tml_op_conv2d_s8_inplace, tml_op_dwconv2d_s8_inplace;
extern const tml_op_desc_t tml_op_resblock_s8;
extern const tml_op_desc_t tml_op_conv2d_4px_s8_dsp, tml_op_add_s8_dsp;
extern const tml_op_desc_t tml_op_conv2d_4px_out_s8_dsp;

#endif /* TML_RT_OPS_H */
