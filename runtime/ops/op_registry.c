/*
 * op_registry.c - the kernel id -> descriptor table the loader consults.
 * A kernel id without an entry is reported as unsupported by this runtime.
 */
#include <stddef.h>

#include "ops.h"

static const tml_op_desc_t *const registry[TML_K_COUNT] = {
    /* nn kernels */
    [TML_K_CONV2D_S8] = &tml_op_conv2d_s8,
    [TML_K_CONV2D_F32] = &tml_op_conv2d_f32,
    [TML_K_DWCONV2D_S8] = &tml_op_dwconv2d_s8,
    [TML_K_DWCONV2D_F32] = &tml_op_dwconv2d_f32,
    [TML_K_FC_S8] = &tml_op_fc_s8,
    [TML_K_FC_F32] = &tml_op_fc_f32,
    [TML_K_AVGPOOL_S8] = &tml_op_avgpool_s8,
    [TML_K_AVGPOOL_F32] = &tml_op_avgpool_f32,
    [TML_K_MAXPOOL_S8] = &tml_op_maxpool_s8,
    [TML_K_MAXPOOL_F32] = &tml_op_maxpool_f32,
    /* elementwise kernels */
    [TML_K_ADD_S8] = &tml_op_add_s8,
    [TML_K_ADD_F32] = &tml_op_add_f32,
    [TML_K_MUL_S8] = &tml_op_mul_s8,
    [TML_K_MUL_F32] = &tml_op_mul_f32,
    [TML_K_COPY] = &tml_op_copy,
    [TML_K_SOFTMAX_S8] = &tml_op_softmax_s8,
    [TML_K_SOFTMAX_F32] = &tml_op_softmax_f32,
    [TML_K_QUANTIZE_F32_S8] = &tml_op_quantize_f32_s8,
    [TML_K_DEQUANTIZE_S8_F32] = &tml_op_dequantize_s8_f32,
    [TML_K_REQUANTIZE_S8] = &tml_op_requantize_s8,
    [TML_K_CONCAT] = &tml_op_concat,
    [TML_K_PAD] = &tml_op_pad,
    [TML_K_MEAN_S8] = &tml_op_mean_s8,
    [TML_K_MEAN_F32] = &tml_op_mean_f32,
    [TML_K_LOGISTIC_S8] = &tml_op_logistic_s8,
    [TML_K_LOGISTIC_F32] = &tml_op_logistic_f32,
    [TML_K_TANH_S8] = &tml_op_tanh_s8,
    [TML_K_TANH_F32] = &tml_op_tanh_f32,
    [TML_K_RELU_S8] = &tml_op_relu_s8,
    [TML_K_CLAMP_F32] = &tml_op_clamp_f32,
    [TML_K_HARD_SWISH_S8] = &tml_op_hard_swish_s8,
    [TML_K_HARD_SWISH_F32] = &tml_op_hard_swish_f32,
    /* kernels/extra.h */
    [TML_K_SUB_F32] = &tml_op_sub_f32,
    [TML_K_DIV_F32] = &tml_op_div_f32,
    [TML_K_TRANSPOSE] = &tml_op_transpose,
    [TML_K_LEAKY_RELU_F32] = &tml_op_leaky_relu_f32,
    [TML_K_PRELU_F32] = &tml_op_prelu_f32,
    [TML_K_SLICE] = &tml_op_slice,
    [TML_K_HARD_SIGMOID_F32] = &tml_op_hard_sigmoid_f32,
    /* int8 kernels for the DSP extension */
    [TML_K_CONV2D_S8_DSP] = &tml_op_conv2d_s8_dsp,
    [TML_K_CONV2D_1X1_S8_DSP] = &tml_op_conv2d_1x1_s8_dsp,
    [TML_K_DWCONV2D_S8_DSP] = &tml_op_dwconv2d_s8_dsp,
    [TML_K_FC_S8_DSP] = &tml_op_fc_s8_dsp,
    [TML_K_CONV2D_DIRECT_S8_DSP] = &tml_op_conv2d_direct_s8_dsp,
    [TML_K_ADD_S8_LUT] = &tml_op_add_s8_lut,
    [TML_K_CONV2D_1X1_S8_DSPW] = &tml_op_conv2d_1x1_s8_dspw,
    [TML_K_CONV2D_S8_DSPW] = &tml_op_conv2d_s8_dspw,
    [TML_K_DWCONV2D_3X3_S8_DSP] = &tml_op_dwconv2d_3x3_s8_dsp,
    /* output may overlap input */
    [TML_K_CONV2D_S8_INPLACE] = &tml_op_conv2d_s8_inplace,
    [TML_K_DWCONV2D_S8_INPLACE] = &tml_op_dwconv2d_s8_inplace,
    [TML_K_RESBLOCK_S8] = &tml_op_resblock_s8,
    /* speed kernels for the DSP extension */
    [TML_K_CONV2D_4PX_S8_DSP] = &tml_op_conv2d_4px_s8_dsp,
    [TML_K_ADD_S8_DSP] = &tml_op_add_s8_dsp,
    [TML_K_CONV2D_4PX_OUT_S8_DSP] = &tml_op_conv2d_4px_out_s8_dsp,
};

const tml_op_desc_t *tml_op_find(uint32_t kernel)
{
    return kernel < TML_K_COUNT ? registry[kernel] : NULL;
}

const char *tml_rt_kernel_name(uint32_t kernel)
{
    const tml_op_desc_t *desc = tml_op_find(kernel);
    return desc ? desc->name : 0;
}
