/*
 * tml_fc_f32.c - float32 fully-connected layer.
 *
 * Follows TFLite's reference float FullyConnected: for each batch row and
 * output, the products are summed in input order, the bias (0 if absent)
 * added to the finished sum, then clamped. Input is [batches, n_in].
 */
#include "tml/kernels/nn.h"
#include "tml_nn_f32.h"

void tml_fc_f32(const tml_fc_params_t *p, const float *input, const float *weights,
                const float *bias, float *output)
{
    const int32_t n_in = p->n_in, n_out = p->n_out;
    const float lo = tml_nn_f32_word(p->act_min), hi = tml_nn_f32_word(p->act_max);
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = input + b * n_in;
        for (int32_t o = 0; o < n_out; o++) {
            const float *w = weights + o * n_in;
            float acc = 0.0f;
            for (int32_t i = 0; i < n_in; i++)
                acc += x[i] * w[i];
            output[b * n_out + o] = tml_clamp_f32(acc + (bias ? bias[o] : 0.0f), lo, hi);
        }
    }
}
