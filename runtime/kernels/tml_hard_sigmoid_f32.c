/*
 * tml_hard_sigmoid_f32.c - float32 hard sigmoid (ONNX HardSigmoid):
 * out = min(1, max(0, alpha * x + beta)).
 */
#include <string.h>

#include "tml/kernels/extra.h"

void tml_hard_sigmoid_f32(const tml_hard_sigmoid_f32_params_t *p, const float *in, float *out)
{
    float alpha, beta;
    memcpy(&alpha, &p->alpha, sizeof(alpha));
    memcpy(&beta, &p->beta, sizeof(beta));
    for (int32_t i = 0; i < p->n; i++) {
        float v = alpha * in[i] + beta;
        out[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
}
