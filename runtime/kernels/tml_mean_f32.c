/*
 * tml_mean_f32.c - float32 mean over a set of axes, as TFLM's MEAN for
 * float: each output's inputs are summed in row-major order (the order in
 * which reference_ops::Mean / ReduceSumImpl, and the 4-D H,W special case,
 * add them), then divided by the count.
 */
#include "tml/kernels.h"

#define N TML_ELEM_MAX_DIMS

void tml_mean_f32(const tml_mean_f32_params_t *p, const float *in, float *out)
{
    int32_t stride[N], out_dims[N], red_dims[N];
    int32_t s = 1;
    int32_t n_out = 1;
    for (int d = N - 1; d >= 0; d--) {
        stride[d] = s;
        s *= p->in_dims[d];
        out_dims[d] = p->reduce[d] ? 1 : p->in_dims[d];
        red_dims[d] = p->reduce[d] ? p->in_dims[d] : 1;
        n_out *= out_dims[d];
    }
    if (s == 0) { /* an empty input: TFLM leaves the zeroed outputs */
        for (int32_t o = 0; o < n_out; o++)
            out[o] = 0.0f;
        return;
    }
    const float count = (float)p->n_reduced;
    int32_t oi[N] = {0};
    for (int32_t o = 0; o < n_out; o++) {
        int32_t base = 0;
        for (int d = 0; d < N; d++)
            base += oi[d] * stride[d];
        float sum = 0.0f;
        int32_t ri[N] = {0};
        for (int32_t r = 0; r < p->n_reduced; r++) {
            int32_t off = base;
            for (int d = 0; d < N; d++)
                off += ri[d] * stride[d];
            sum += in[off];
            for (int d = N - 1; d >= 0; d--) {
                if (++ri[d] < red_dims[d])
                    break;
                ri[d] = 0;
            }
        }
        out[o] = sum / count;
        for (int d = N - 1; d >= 0; d--) {
            if (++oi[d] < out_dims[d])
                break;
            oi[d] = 0;
        }
    }
}
