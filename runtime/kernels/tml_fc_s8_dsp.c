/*
 * tml_fc_s8_dsp.c - int8 fully-connected layer (weights_offset 0, n_in a
 * multiple of 4) for cores with the DSP extension (see tml/kernels/nn.h,
 * tml_dsp.h).
 *
 * Each input word is widened once and used for four output rows, whose
 * weights (quad-interleaved offline) are one LDM per 4 inputs: 16 MACs per
 * 20 instructions, two groups of 4 inputs per loop iteration. (Widening
 * the whole input once would save the input's SXTB16s but needs scratch
 * of twice the input, which a layer such as AD's 640 -> 128 cannot
 * spare.) The n_out % 4 last rows go one at a time. A per-tensor
 * requantization's set-up is done once per call, and the activation clamp
 * is a pass over the outputs when it is narrower than int8.
 */
#include "tml_dsp_gemm.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__OPTIMIZE__)
/* One group of 4 inputs: 1 LDR, 2 SXTB16 for the input, 1 LDM for the 4
 * rows' words, then per row 2 SXTB16 and 2 SMLAD. */
#define FC_STEP                                                                               \
    "ldr %[xb], [%[x]], #4\n\t"                                                               \
    "ldm %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"                                            \
    "sxtb16 %[xa], %[xb]\n\t"                                                                 \
    "sxtb16 %[xb], %[xb], ror #8\n\t"                                                         \
    "sxtb16 %[t], %[w0]\n\t"                                                                  \
    "smlad %[a0], %[xa], %[t], %[a0]\n\t"                                                     \
    "sxtb16 %[w0], %[w0], ror #8\n\t"                                                         \
    "smlad %[a0], %[xb], %[w0], %[a0]\n\t"                                                    \
    "sxtb16 %[t], %[w1]\n\t"                                                                  \
    "smlad %[a1], %[xa], %[t], %[a1]\n\t"                                                     \
    "sxtb16 %[w1], %[w1], ror #8\n\t"                                                         \
    "smlad %[a1], %[xb], %[w1], %[a1]\n\t"                                                    \
    "sxtb16 %[t], %[w2]\n\t"                                                                  \
    "smlad %[a2], %[xa], %[t], %[a2]\n\t"                                                     \
    "sxtb16 %[w2], %[w2], ror #8\n\t"                                                         \
    "smlad %[a2], %[xb], %[w2], %[a2]\n\t"                                                    \
    "sxtb16 %[t], %[w3]\n\t"                                                                  \
    "smlad %[a3], %[xa], %[t], %[a3]\n\t"                                                     \
    "sxtb16 %[w3], %[w3], ror #8\n\t"                                                         \
    "smlad %[a3], %[xb], %[w3], %[a3]\n\t"
#endif

/* acc[0..3] += x . w_r for the 4 quad-interleaved rows at w, over k
 * inputs (k a multiple of 4, >= 4; w 4-byte aligned). */
static inline void mac_1x4(const int8_t *x, const int8_t *w, int32_t k, uint32_t *acc)
{
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int8_t *x_end = x + k;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__OPTIMIZE__)
    /* 14 registers; the LDM list must ascend, so its 4 are pinned. */
    register uint32_t w0 __asm__("r8");
    register uint32_t w1 __asm__("r9");
    register uint32_t w2 __asm__("r10");
    register uint32_t w3 __asm__("r11");
    uint32_t xa, xb, t;
    __asm__ volatile("sub %[t], %[end], %[x]\n\t"
                     "tst %[t], #4\n\t" /* an odd group count */
                     "beq 2f\n\t" FC_STEP "cmp %[x], %[end]\n\t"
                     "beq 3f\n"
                     "2:\n\t" FC_STEP FC_STEP "cmp %[x], %[end]\n\t"
                     "bne 2b\n"
                     "3:\n"
                     : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x),
                       [w] "+r"(w), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2),
                       [w3] "=&r"(w3), [xa] "=&r"(xa), [xb] "=&r"(xb), [t] "=&r"(t)
                     : [end] "r"(x_end)
                     : "cc", "memory");
#else
    while (x != x_end) {
        uint32_t v = tml_dsp_load32(x);
        x += 4;
        uint32_t xa = tml_sxtb16(v), xb = tml_sxtb16_ror8(v);
        uint32_t w0, w1, w2, w3;
        tml_dsp_load64(w, &w0, &w1);
        tml_dsp_load64(w + 8, &w2, &w3);
        w += 16;
        a0 = tml_smlad(xa, tml_sxtb16(w0), a0);
        a0 = tml_smlad(xb, tml_sxtb16_ror8(w0), a0);
        a1 = tml_smlad(xa, tml_sxtb16(w1), a1);
        a1 = tml_smlad(xb, tml_sxtb16_ror8(w1), a1);
        a2 = tml_smlad(xa, tml_sxtb16(w2), a2);
        a2 = tml_smlad(xb, tml_sxtb16_ror8(w2), a2);
        a3 = tml_smlad(xa, tml_sxtb16(w3), a3);
        a3 = tml_smlad(xb, tml_sxtb16_ror8(w3), a3);
    }
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

static inline uint32_t mac_1x1(const int8_t *x, const int8_t *w, int32_t k, uint32_t acc)
{
    const int8_t *x_end = x + k;
    while (x != x_end) {
        uint32_t v = tml_dsp_load32(x), u = tml_dsp_load32(w);
        x += 4;
        w += 4;
        acc = tml_smlad(tml_sxtb16(v), tml_sxtb16(u), acc);
        acc = tml_smlad(tml_sxtb16_ror8(v), tml_sxtb16_ror8(u), acc);
    }
    return acc;
}

/* Rows of one batch with a per-tensor requantization inside tml_dsp_rq's
 * shortcut range, its set-up done once (m2, rc, rs as tml_dsp_rq computes
 * them); the activation clamp is left to the caller. */
static void rows_tensor_fast(const int8_t *x, const int8_t *w, int32_t n_in, int32_t n_out,
                             const int32_t *bias, int32_t mult, int32_t rs, int32_t out_off,
                             int8_t *out)
{
    const uint32_t m2 = (uint32_t)mult << 1, rc = (uint32_t)(2 * out_off + 1) << (rs - 1);
    int32_t o = 0;
    for (; o + 4 <= n_out; o += 4, w += 4 * n_in) {
        uint32_t acc[4] = {(uint32_t)bias[o], (uint32_t)bias[o + 1], (uint32_t)bias[o + 2],
                           (uint32_t)bias[o + 3]};
        mac_1x4(x, w, n_in, acc);
        const int8_t y0 = tml_dsp_rq_fast(acc[0], m2, rc, rs);
        const int8_t y1 = tml_dsp_rq_fast(acc[1], m2, rc, rs);
        const int8_t y2 = tml_dsp_rq_fast(acc[2], m2, rc, rs);
        const int8_t y3 = tml_dsp_rq_fast(acc[3], m2, rc, rs);
        out[o] = y0;
        out[o + 1] = y1;
        out[o + 2] = y2;
        out[o + 3] = y3;
    }
    for (; o < n_out; o++, w += n_in)
        out[o] = tml_dsp_rq_fast(mac_1x1(x, w, n_in, (uint32_t)bias[o]), m2, rc, rs);
}

/* Rows of one batch, any requantization (per channel when pc is 1). */
static void rows_general(const int8_t *x, const int8_t *w, int32_t n_in, int32_t n_out,
                         const int32_t *bias, const int32_t *mult, const int32_t *shift,
                         int32_t pc, int32_t out_off, int32_t lo, int32_t hi, int8_t *out)
{
    int32_t o = 0;
    for (; o + 4 <= n_out; o += 4, w += 4 * n_in) {
        uint32_t acc[4] = {(uint32_t)bias[o], (uint32_t)bias[o + 1], (uint32_t)bias[o + 2],
                           (uint32_t)bias[o + 3]};
        mac_1x4(x, w, n_in, acc);
        for (int32_t i = 0; i < 4; i++)
            out[o + i] = (int8_t)tml_dsp_rq(acc[i], mult[pc * (o + i)], shift[pc * (o + i)],
                                            out_off, lo, hi);
    }
    for (; o < n_out; o++, w += n_in) {
        uint32_t acc = mac_1x1(x, w, n_in, (uint32_t)bias[o]);
        out[o] = (int8_t)tml_dsp_rq(acc, mult[pc * o], shift[pc * o], out_off, lo, hi);
    }
}

void tml_fc_s8_dsp(const tml_fc_params_t *p, const int8_t *input, const int8_t *weights,
                   const int32_t *mult, const int32_t *shift, const int32_t *bias,
                   int8_t *output)
{
    const int32_t n_in = p->n_in, n_out = p->n_out, pc = p->per_channel ? 1 : 0;
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t rs = -shift[0];
    /* tml_dsp_rq's shortcut range */
    const int fast = !pc && rs >= 1 && rs <= 21 && mult[0] >= (1 << 30);
    for (int32_t b = 0; b < p->batches; b++) {
        int8_t *out = output + b * n_out;
        if (fast) {
            rows_tensor_fast(input + b * n_in, weights, n_in, n_out, bias, mult[0], rs,
                             out_off, out);
            tml_dsp_clamp_s8(out, n_out, lo, hi);
        } else {
            rows_general(input + b * n_in, weights, n_in, n_out, bias, mult, shift, pc,
                         out_off, lo, hi, out);
        }
    }
}
