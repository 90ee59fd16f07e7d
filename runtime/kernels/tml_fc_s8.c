/*
 * tml_fc_s8.c - int8 fully-connected layer.
 *
 * Matches TFLM's reference_integer_ops::FullyConnected (per-tensor
 * multiplier, weights_offset applied) and FullyConnectedPerChannel (one
 * multiplier/shift per output; TFLM ignores the weight offset there, the
 * compiler passes weights_offset = 0 for per-channel weights):
 * acc = sum (w + weights_offset) * (x + input_offset), + bias if present,
 * requantize, + output_offset, clamp. Input is [batches, n_in] whatever its
 * declared shape. Sums in unsigned arithmetic as in tml_conv2d_s8.c.
 */
#include "tml/kernels/nn.h"
#include "tml_fixedpoint.h"

void tml_fc_s8(const tml_fc_params_t *p, const int8_t *input, const int8_t *weights,
               const int32_t *mult, const int32_t *shift, const int32_t *bias,
               int8_t *output)
{
    const int32_t n_in = p->n_in, n_out = p->n_out;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = input + b * n_in;
        for (int32_t o = 0; o < n_out; o++) {
            const int8_t *w = weights + o * n_in;
            uint32_t acc = 0;
            for (int32_t i = 0; i < n_in; i++)
                acc += (uint32_t)(((int32_t)w[i] + p->weights_offset) *
                                  ((int32_t)x[i] + p->input_offset));
            if (bias)
                acc += (uint32_t)bias[o];
            const int32_t q = p->per_channel ? o : 0;
            int32_t v = tml_mul_by_quantized_mul((int32_t)acc, mult[q], shift[q]);
            v = (int32_t)((uint32_t)v + (uint32_t)p->output_offset);
            output[b * n_out + o] = (int8_t)tml_clamp_i32(v, p->act_min, p->act_max);
        }
    }
}
