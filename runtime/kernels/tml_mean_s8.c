/*
 * tml_mean_s8.c - int8 mean over a set of axes, as TFLM's MEAN for int8
 * (reduce_common.cc EvalIntegerMean): with equal input and output
 * quantization, reference_ops::Mean (the int32 sum of the raw values divided
 * by the count, truncating toward zero); otherwise
 * reference_ops::QuantizedMeanOrSum (the zero-point-corrected sum rescaled
 * by a multiplier that includes 1/count, computed offline). The sums are
 * formed per output directly, so no int32 scratch is needed.
 */
#include "tml/kernels.h"
#include "tml_fixedpoint.h"

#define N TML_ELEM_MAX_DIMS

void tml_mean_s8(const tml_mean_s8_params_t *p, const int8_t *in, int8_t *out)
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
            out[o] = 0;
        return;
    }
    int32_t oi[N] = {0};
    for (int32_t o = 0; o < n_out; o++) {
        int32_t base = 0;
        for (int d = 0; d < N; d++)
            base += oi[d] * stride[d];
        int32_t sum = 0;
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
        int32_t v;
        if (!p->requantize) {
            v = sum / p->n_reduced;
        } else {
            v = tml_mul_by_quantized_mul(sum - p->in_zp * p->n_reduced, p->mult, p->shift) + p->out_zp;
            v = tml_clamp_i32(v, INT8_MIN, INT8_MAX);
        }
        out[o] = (int8_t)v;
        for (int d = N - 1; d >= 0; d--) {
            if (++oi[d] < out_dims[d])
                break;
            oi[d] = 0;
        }
    }
}
