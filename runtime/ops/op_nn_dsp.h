/*
 * op_nn_dsp.h - load-time checks of the DSP-extension int8 kernels
 * (op_*_s8_dsp.c). Private to runtime/ops.
 *
 * The geometry proof is the reference kernels' (tml_op_nn_check_conv),
 * run on a view of the op whose weights descriptor has the size the
 * reference layout would have; then the re-ordered weights, the required
 * (folded) bias, the scratch and the kernel's own shape rules are checked.
 */
#ifndef TML_OP_NN_DSP_H
#define TML_OP_NN_DSP_H

#include "op_nn.h"

enum tml_op_dsp_conv_kind {
    TML_OP_DSP_CONV = 0,  /* CONV2D_S8_DSP: im2col, scratch */
    TML_OP_DSP_CONV_1X1,  /* CONV2D_1X1_S8_DSP */
    TML_OP_DSP_DWCONV,    /* DWCONV2D_S8_DSP */
    TML_OP_DSP_CONV_DIRECT, /* CONV2D_DIRECT_S8_DSP */
    TML_OP_DSP_CONV_4PX,    /* CONV2D_4PX_S8_DSP: int16 im2col scratch */
    TML_OP_DSP_CONV_4PX_OUT, /* CONV2D_4PX_OUT_S8_DSP: the same in the output's tail */
    TML_OP_DSP_DWCONV_3X3, /* DWCONV2D_3X3_S8_DSP */
};

/* TML_OK when the operands and params of a DSP conv kernel of this kind
 * keep it inside every operand; TML_ERR_CORRUPT otherwise. */
tml_status_t tml_op_nn_check_conv_dsp(const tml_op_ctx_t *ctx, int kind);

/* The same for FC_S8_DSP. */
tml_status_t tml_op_nn_check_fc_dsp(const tml_op_ctx_t *ctx);

/* The same for CONV2D_S8_DSPW (im2col: scratch, any geometry) and
 * CONV2D_1X1_S8_DSPW (not im2col): operands input, weights, rq records |
 * output [, scratch] (op_nn_dspw_check.c). */
tml_status_t tml_op_nn_check_conv_dspw(const tml_op_ctx_t *ctx, int im2col);

#endif /* TML_OP_NN_DSP_H */
