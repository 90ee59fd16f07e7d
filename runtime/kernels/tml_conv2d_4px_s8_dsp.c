/*
 * tml_conv2d_4px_s8_dsp.c - int8 2-D convolution (in_c a multiple of 4,
 * dilation 1), four output pixels at a time over int16 windows in scratch,
 * for cores with the DSP extension (the engine and its design:
 * tml_conv2d_4px.h; layouts: tml/kernels/nn.h).
 */
#include "tml_conv2d_4px.h"

uint32_t tml_conv2d_4px_s8_dsp_scratch_size(const tml_conv_params_t *p)
{
    /* 4 pixels of k int16 values */
    return 8u * (uint32_t)p->k_h * (uint32_t)p->k_w * (uint32_t)p->in_c;
}

void tml_conv2d_4px_s8_dsp(const tml_conv_params_t *p, const int8_t *input, const int8_t *weights,
                           const int32_t *mult, const int32_t *shift, const int32_t *bias,
                           int8_t *output, int8_t *scratch)
{
    conv4px_range(p, input, weights, mult, shift, bias, output, (uint32_t *)(void *)scratch, 0,
                  p->n * p->out_h * p->out_w);
}
