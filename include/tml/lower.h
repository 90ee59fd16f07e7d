/*
 * lower.h - lowering: IR nodes -> runtime kernel calls with their params.
 *
 * Each IR op has one lowering function (compiler/lower/lower_<op>.c) that
 * picks the kernel for the operand dtypes, computes everything the kernel
 * needs offline (fixed-point multipliers and shifts, activation ranges,
 * padding, broadcast strides) into the kernel's params struct, and emits one
 * or more lowered ops. The runtime then decides nothing the compiler could
 * have decided. Lowering may add tensors to the graph (per-channel
 * multiplier/shift arrays, scratch buffers): tensor pointers taken before a
 * tml_lower_add_* call are invalid after it; keep indices.
 */
#ifndef TML_LOWER_H
#define TML_LOWER_H

#include "tml/ir.h"
#include "tml/kernels.h"
#include "tml/target.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TML_LOP_MAX_OPERANDS 16

typedef struct tml_lop {
    tml_kernel_t kernel;
    int n_in, n_out;                        /* scratch, if any, is the last output */
    int32_t operands[TML_LOP_MAX_OPERANDS]; /* IR tensor indices; -1 = absent */
    int32_t *params;                        /* owned; the kernel's params struct as words */
    int n_params;
    int32_t node;                           /* IR node this came from */
    /* Planner hint: index of an input whose buffer output 0 may take over
     * when this op is that input's last reader (same byte size, the kernel
     * reads each element before writing it); -1 if none. */
    int32_t inplace_input;
    /* Planner hint: output 0 may overlap input overlap_input (an operand
     * index, -1 if none) when this op is that input's last reader, starting
     * overlap_off bytes (a multiple of TML_PLAN_ALIGN, may be negative) from
     * the input's start: the kernel never reads an input byte after writing
     * over it at that distance (tml/kernels/inplace.h). */
    int32_t overlap_input;
    int32_t overlap_off;
} tml_lop_t;

typedef struct tml_lowered {
    tml_lop_t *ops;
    int n_ops, cap_ops;
} tml_lowered_t;

typedef struct tml_lower_ctx {
    tml_ir_graph_t *g;
    tml_lowered_t *out;
    tml_err_t *err;
    int32_t node;                           /* index of the node being lowered */
    const tml_target_t *target;             /* NULL: portable reference kernels */
} tml_lower_ctx_t;

/* Lowers every node of g (which must validate) into *out. Errors name the
 * node: "node 7 (CONV2D): ...". Free *out with tml_lowered_free. */
tml_status_t tml_lower_graph(tml_ir_graph_t *g, tml_lowered_t *out, tml_err_t *err);
void tml_lowered_free(tml_lowered_t *lw);
/* tml_lower_graph for a target: with TML_FEAT_DSP, conv, depthwise and
 * fully-connected int8 nodes whose shapes suit use the *_S8_DSP kernels.
 * target may be NULL (same as tml_lower_graph). */
tml_status_t tml_lower_graph_for(tml_ir_graph_t *g, const tml_target_t *target,
                                 tml_lowered_t *out, tml_err_t *err);

/* Appends a lowered op for the current node. params (params_len bytes, a
 * multiple of 4) is copied. */
tml_status_t tml_lower_emit(tml_lower_ctx_t *ctx, tml_kernel_t kernel,
                            const int32_t *in, int n_in, const int32_t *out, int n_out,
                            const void *params, size_t params_len, int32_t inplace_input);

/* Adds a constant tensor (data copied) named "<node name>/<suffix>". */
tml_status_t tml_lower_add_const(tml_lower_ctx_t *ctx, const char *suffix, tml_dtype_t dtype,
                                 int n_dims, const int32_t *dims, const void *data,
                                 size_t len, int32_t *index);
/* Adds an int8 scratch tensor of bytes bytes. */
tml_status_t tml_lower_add_scratch(tml_lower_ctx_t *ctx, uint32_t bytes, int32_t *index);

/* Splits a real multiplier into a Q31 multiplier and a power-of-two shift
 * exactly as TFLite's QuantizeMultiplier does (frexp, round, renormalise;
 * tiny values become 0). real == mult * 2^(shift - 31). */
void tml_quantize_multiplier(double real, int32_t *mult, int32_t *shift);

/* int8 output range of a fused activation for an output with scale/zero
 * point, as TFLite's CalculateActivationRangeQuantized. */
void tml_lower_act_range_s8(tml_act_t act, float scale, int32_t zero_point,
                            int32_t *act_min, int32_t *act_max);
/* float range of a fused activation (NONE -> -FLT_MAX..FLT_MAX). */
void tml_lower_act_range_f32(tml_act_t act, float *act_min, float *act_max);

/* Bit pattern of a float as an int32 param word (params are all int32). */
int32_t tml_lower_f32_word(float value);

/* Weight layouts of the DSP kernels (tml/kernels/nn.h), from the reference
 * layouts. Interleave: w is [rows, k], out [rows, k_pad] (k_pad >= k, a
 * multiple of 4, zero-filled) with rows in groups of `group` (2: pair-, 4:
 * quad-interleaved). Depthwise: w is [taps, c] (c a multiple of 4), out
 * int16 [c / 4, taps, 4]. */
void tml_lower_dsp_interleave(const int8_t *w, int32_t rows, int32_t k, int32_t k_pad,
                              int group, int8_t *out);
void tml_lower_dsp_dw_weights(const int8_t *w, int32_t taps, int32_t c, int16_t *out);
/* CONV2D_4PX_S8_DSP's "pair-crossed" rows (tml/kernels/nn.h): w is
 * [rows, k], k a multiple of 4; out the same size. */
void tml_lower_dsp_cross(const int8_t *w, int32_t rows, int32_t k, int8_t *out);
/* Switches a conv lowered to CONV2D_4PX_S8_DSP between that kernel and its
 * scratch-free twins CONV2D_4PX_OUT_S8_DSP and CONV2D_DIRECT_S8_DSP (same
 * result), re-laying its weights constant in g in place; the scratch
 * tensor stays operand 6 throughout. TML_ERR_INTERNAL for other kernels. */
tml_status_t tml_lower_dsp_conv_4px_set(tml_ir_graph_t *g, tml_lop_t *op, tml_kernel_t want);
/* DWCONV2D_3X3_S8_DSP: w is [9, c] (any c), out int16 [ceil(c / 4) * 48]
 * as tml/kernels/nn.h lays it out (doubled, paired, zero past c). */
void tml_lower_dsp_dw3x3_weights(const int8_t *w, int32_t c, int16_t *out);
/* Folded bias (tml/kernels/nn.h): out[r] = bias[r] (0 if bias is NULL) +
 * input_offset * sum of weights of output r, in mod-2^32 arithmetic. The
 * weights of output r are w[r * r_step + i * i_step] for i < n. */
void tml_lower_dsp_fold_bias(const int8_t *w, int32_t rows, int32_t n, int32_t r_step,
                             int32_t i_step, const int32_t *bias, int32_t input_offset,
                             int32_t *out);
/* Requant records of the *_S8_DSPW kernels (tml/kernels/nn.h) into out
 * [rows, TML_DSP_RQ_LEN]: folded bias, mult and shift per row (n_mult 1:
 * one pair for all rows). false (out partly written) when a mult is below
 * 2^30 or a right shift outside 1..TML_DSP_RQ_MAX_SHIFT. */
bool tml_lower_dsp_rq_records(const int32_t *folded, const int32_t *mult, const int32_t *shift,
                              int32_t n_mult, int32_t rows, int32_t *out);

/* Node-scoped error: records "node N (OP): message" in ctx->err. */
tml_status_t tml_lower_fail(tml_lower_ctx_t *ctx, tml_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif /* TML_LOWER_H */
