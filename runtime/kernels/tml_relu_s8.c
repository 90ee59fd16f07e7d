/*
 * tml_relu_s8.c - int8 RELU, RELU6 and RELU_N1_TO_1 as TFLM's ReluQuantized
 * (TFLite's QuantizedReluX): requantize from the input to the output scale,
 * then clamp to the activation's quantized range. With equal input and
 * output quantization (what converters produce for RELU6) the requantization
 * is the identity and this is TFLM's Relu6Quantized clamp to [zp, q(6)].
 */
#include "tml/kernels.h"
#include "tml_fixedpoint.h"

void tml_relu_s8(const tml_relu_s8_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->n; i++) {
        int32_t r = p->out_zp + tml_mul_by_quantized_mul((int32_t)in[i] - p->in_zp, p->mult, p->shift);
        out[i] = (int8_t)tml_clamp_i32(r, p->act_min, p->act_max);
    }
}
