/*
 * tml_conv2d_1x1_s8_dspw.c - int8 pointwise (1x1, unpadded, any stride)
 * convolution for cores with the DSP extension, activations widened once
 * per pixel (see tml/kernels/nn.h, tml_dsp_gemm.h).
 *
 * A 1x1 convolution is a matrix multiply of the pixels [n_px, in_c] by the
 * weights [out_c, in_c]. Two pixels at a time are widened to int16 (4 *
 * in_c bytes) and multiplied with all output channels by tml_dsp_gemm_w2.
 * Those bytes are borrowed from the end of the output rather than the
 * arena, whose peak is usually exactly a pointwise layer's input plus
 * output: pixels are written in order, so the end of the output is free
 * until the pixels that own it, which (with any layer too small to lend
 * the bytes) multiply without widening, as CONV2D_1X1_S8_DSP does.
 */
#include <stddef.h>
#include <stdint.h>

#include "tml_dsp_gemm.h"

/* Input pixel of flat output pixel px (over [n, out_h, out_w]). */
static const int8_t *pixel(const tml_conv_params_t *p, const int8_t *input, int32_t px)
{
    const int32_t per_img = p->out_h * p->out_w;
    const int32_t b = px / per_img, oy = (px % per_img) / p->out_w, ox = px % p->out_w;
    return input + ((b * p->in_h + oy * p->stride_h) * p->in_w + ox * p->stride_w) * p->in_c;
}

/* tml_dsp_gemm_w2 without the widened pair: rows r0, r1 of k int8 values
 * (k a multiple of 4) read in place, both operands widened in registers. */
static void rows_2(const int8_t *r0, const int8_t *r1, const int8_t *w, int32_t k,
                   int32_t out_c, const int32_t *rq, int32_t out_off, int8_t *out0,
                   int8_t *out1)
{
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2, w += 2 * k, rq += 2 * TML_DSP_RQ_LEN) {
        const int32_t *q1 = rq + TML_DSP_RQ_LEN;
        uint32_t acc[4];
        acc[0] = acc[2] = (uint32_t)rq[TML_DSP_RQ_BIAS];
        acc[1] = acc[3] = (uint32_t)q1[TML_DSP_RQ_BIAS];
        tml_dsp_mac_2x2(r0, r1, w, k, acc);
        out0[oc] = (int8_t)tml_dsp_rq_rec(acc[0], rq, out_off);
        out1[oc] = (int8_t)tml_dsp_rq_rec(acc[2], rq, out_off);
        out0[oc + 1] = (int8_t)tml_dsp_rq_rec(acc[1], q1, out_off);
        out1[oc + 1] = (int8_t)tml_dsp_rq_rec(acc[3], q1, out_off);
    }
    if (oc < out_c) {
        uint32_t acc[2];
        acc[0] = acc[1] = (uint32_t)rq[TML_DSP_RQ_BIAS];
        tml_dsp_mac_2x1(r0, r1, w, k, acc);
        out0[oc] = (int8_t)tml_dsp_rq_rec(acc[0], rq, out_off);
        out1[oc] = (int8_t)tml_dsp_rq_rec(acc[1], rq, out_off);
    }
}

void tml_conv2d_1x1_s8_dspw(const tml_conv_params_t *p, const int8_t *input,
                            const int8_t *weights, const int32_t *rq, int8_t *output)
{
    const int32_t k = p->in_c, out_c = p->out_c, n_px = p->n * p->out_h * p->out_w;
    const int dense = p->stride_h == 1 && p->stride_w == 1;
    /* out is [n, out_h, out_w, out_c]; the widened pair takes its last
     * 4 * k bytes, 4-byte aligned for LDM (NULL if it has too few). */
    const size_t out_len = (size_t)n_px * (size_t)out_c, s_len = 4u * (size_t)k;
    const uintptr_t out_end = (uintptr_t)(output + out_len);
    const uintptr_t s_addr = out_len >= s_len + 3u ? (out_end - s_len) & ~(uintptr_t)3 : 0;
    uint32_t *s = (uint32_t *)s_addr;
    for (int32_t px = 0; px < n_px; px += 2) {
        const int two = px + 1 < n_px;
        const int8_t *r0 = dense ? input + px * k : pixel(p, input, px);
        const int8_t *r1 = !two ? r0 : dense ? r0 + k : pixel(p, input, px + 1);
        int8_t *out0 = output + px * out_c, *out1 = two ? out0 + out_c : out0;
        if (s && (uintptr_t)(out1 + out_c) <= s_addr) {
            tml_dsp_widen_row(r0, k, s);
            tml_dsp_widen_row(r1, k, s + 2);
            tml_dsp_gemm_w2(s, weights, k, out_c, rq, p->output_offset, out0, out1);
        } else {
            rows_2(r0, r1, weights, k, out_c, rq, p->output_offset, out0, out1);
        }
    }
    tml_dsp_clamp_s8(output, (int32_t)out_len, p->act_min, p->act_max);
}
