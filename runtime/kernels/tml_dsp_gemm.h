/*
 * tml_dsp_gemm.h - the matrix-multiply core of the *_S8_DSPW convolutions
 * (tml/kernels/nn.h): two pixels times all output channels, with the
 * pixels' activations widened to int16 once and reused by every channel.
 * Private to runtime/kernels.
 *
 * Why widen the activations: tml_dsp_mac_2x2 widens both operands of every
 * SMLAD (SXTB16 and SXTB16 ROR #8), 8 SXTB16 per 16 MACs. A pixel's widened
 * row is the same for all out_c channels, so doing it once per pixel
 * leaves 4 SXTB16 (the weights) per 16 MACs. Per 4 weights of 2 channels
 * the inner loop is one LDM (both pixels' 4 widened words), one LDRD (the
 * pair-interleaved weights), 4 SXTB16 and 8 SMLAD: 14 instructions for 16
 * MACs.
 *
 * The widened pair: for each group g of 4 inputs (x0..x3), pixel 0's words
 * (x0 | x2 << 16, x1 | x3 << 16) then pixel 1's: exactly SXTB16 and
 * SXTB16 ROR #8 of the input word, paired with the same split of the
 * weight word, so SMLAD adds x0 w0 + x2 w2 and x1 w1 + x3 w3.
 *
 * Requantization uses per-channel records computed offline (see
 * TML_DSP_RQ_* in tml/kernels/nn.h): tml_dsp_rq's arithmetic without its
 * per-output set-up, for right shifts up to 30.
 *
 * On the DSP cores (optimized builds) the channel loop, MACs and requant
 * included, is one asm block using 14 registers; elsewhere the same steps
 * are portable C, which the unit tests compare with the reference kernels
 * (the asm is checked bit-exact by the MLPerf models in QEMU, M4 and M33).
 */
#ifndef TML_DSP_GEMM_H
#define TML_DSP_GEMM_H

#include "tml/kernels/nn.h"
#include "tml_dsp.h"

/* TFLite's MultiplyByQuantizedMultiplier of acc before the output offset,
 * for a right shift rs in 1..30 and mult in [2^30, 2^31), in 4
 * instructions (tml_dsp.h, tml_dsp_rq, says why each step is exact):
 * SMMLAR with m2 = 2 * mult - 2^32 and accumulate acc + rc gives
 * v + rc, v = SaturatingRoundingDoublingHighMul(acc, mult); then
 * (v + rc - [acc < 0]) >> rs with rc = 2^(rs - 1) is the rounding divide
 * by 2^rs. |acc| <= 1.5 * 2^30 (the loader's bounds) keeps |v| below that
 * and v + rc below 2^31. rc may also carry out_off << rs (tml_dsp_rq's
 * constant, rs <= 21), which adds the output offset for free. */
static inline int32_t tml_dsp_rq_shifted(uint32_t acc, uint32_t m2, uint32_t rc, int32_t rs)
{
    int32_t t = (int32_t)tml_smmlar(acc, m2, acc + rc);
    t = (int32_t)((uint32_t)t + (uint32_t)((int32_t)acc >> 31));
    return t >> rs;
}

/* The output of acc with tml_dsp_rq's constants m2 = 2 * mult and
 * rc = (2 * out_off + 1) << (rs - 1), rs in 1..21, before the activation
 * clamp. */
static inline int8_t tml_dsp_rq_fast(uint32_t acc, uint32_t m2, uint32_t rc, int32_t rs)
{
    return (int8_t)tml_ssat8(tml_dsp_rq_shifted(acc, m2, rc, rs));
}

/* The output of acc with a record's m2, rc (2^(rs - 1)) and rs (fields
 * TML_DSP_RQ_*, tml/kernels/nn.h) and the output offset, before the
 * activation clamp. */
static inline int8_t tml_dsp_rq_apply(uint32_t acc, int32_t m2, int32_t rc, int32_t rs,
                                      int32_t out_off)
{
    return (int8_t)tml_ssat8(tml_dsp_rq_shifted(acc, (uint32_t)m2, (uint32_t)rc, rs) + out_off);
}

/* The same with the record r itself. */
static inline int8_t tml_dsp_rq_rec(uint32_t acc, const int32_t *r, int32_t out_off)
{
    return tml_dsp_rq_apply(acc, r[TML_DSP_RQ_MULT2], r[TML_DSP_RQ_ROUND], r[TML_DSP_RQ_SHIFT],
                            out_off);
}

/* Clamps n int8 values to [lo, hi]: the activation range, applied after
 * tml_dsp_rq_rec when it is narrower than int8 (rare: a ReLU output's zero
 * point is usually -128, so its range is all of int8). */
static inline void tml_dsp_clamp_s8(int8_t *x, int32_t n, int32_t lo, int32_t hi)
{
    if (lo <= -128 && hi >= 127)
        return;
    for (int32_t i = 0; i < n; i++)
        x[i] = (int8_t)tml_clamp_i32(x[i], lo, hi);
}

/* Widens k int8 values of row r (k a multiple of 4, >= 4, any alignment)
 * into one pixel's slot of a widened pair: s (4-byte aligned) points at
 * that pixel's first word (the pair's word 0 or 2). */
static inline void tml_dsp_widen_row(const int8_t *r, int32_t k, uint32_t *s)
{
    const int8_t *r_end = r + k;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__OPTIMIZE__)
    /* 6 instructions per group (k >= 4; unaligned LDR is allowed) */
    uint32_t v, a;
    __asm__ volatile("1:\n\t"
                     "ldr %[v], [%[r]], #4\n\t"
                     "sxtb16 %[a], %[v]\n\t"
                     "sxtb16 %[v], %[v], ror #8\n\t"
                     "strd %[a], %[v], [%[s]], #16\n\t"
                     "cmp %[r], %[end]\n\t"
                     "bne 1b\n"
                     : [r] "+r"(r), [s] "+r"(s), [v] "=&r"(v), [a] "=&r"(a)
                     : [end] "r"(r_end)
                     : "cc", "memory");
#else
    while (r != r_end) {
        uint32_t v = tml_dsp_load32(r);
        r += 4;
        s[0] = tml_sxtb16(v);
        s[1] = tml_sxtb16_ror8(v);
        s += 4;
    }
#endif
}

/* acc[0..3] += (p0 . w0, p0 . w1, p1 . w0, p1 . w1) over the widened pair
 * s (n_groups >= 1 groups of 4 inputs, 4-byte aligned) and a pair of
 * pair-interleaved weight rows w (4-byte aligned): the portable form of
 * TML_DSP_W2X2_STEP, which the DSP cores run in tml_dsp_gemm_w2's asm. */
static inline void tml_dsp_mac_w2x2(const uint32_t *s, int32_t n_groups, const int8_t *w,
                                    uint32_t *acc)
{
    uint32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    for (int32_t g = 0; g < n_groups; g++, s += 4, w += 8) {
        uint32_t w0, w1;
        tml_dsp_load64(w, &w0, &w1);
        uint32_t wa = tml_sxtb16(w0), wb = tml_sxtb16_ror8(w0);
        a00 = tml_smlad(s[0], wa, a00);
        a00 = tml_smlad(s[1], wb, a00);
        a10 = tml_smlad(s[2], wa, a10);
        a10 = tml_smlad(s[3], wb, a10);
        wa = tml_sxtb16(w1);
        wb = tml_sxtb16_ror8(w1);
        a01 = tml_smlad(s[0], wa, a01);
        a01 = tml_smlad(s[1], wb, a01);
        a11 = tml_smlad(s[2], wa, a11);
        a11 = tml_smlad(s[3], wb, a11);
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* acc[0..1] += (p0 . w, p1 . w): the widened pair s (n_groups groups) with
 * one plain weight row w (the odd last channel). */
static inline void tml_dsp_mac_w2x1(const uint32_t *s, int32_t n_groups, const int8_t *w,
                                    uint32_t *acc)
{
    uint32_t a0 = acc[0], a1 = acc[1];
    for (int32_t g = 0; g < n_groups; g++, s += 4, w += 4) {
        uint32_t v = tml_dsp_load32(w);
        uint32_t wa = tml_sxtb16(v), wb = tml_sxtb16_ror8(v);
        a0 = tml_smlad(s[0], wa, a0);
        a0 = tml_smlad(s[1], wb, a0);
        a1 = tml_smlad(s[2], wa, a1);
        a1 = tml_smlad(s[3], wb, a1);
    }
    acc[0] = a0;
    acc[1] = a1;
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__OPTIMIZE__)
/* Both pixels' 4 widened words of one group of 4 inputs with one LDM, the
 * two weight words with one LDRD, 8 SMLAD: acc (a00, a01, a10, a11) gains
 * the products of pixels 0, 1 with weight rows 0, 1. */
#define TML_DSP_W2X2_STEP                                                                     \
    "ldm %[s]!, {%[x0a], %[x0b], %[x1a], %[x1b]}\n\t"                                       \
    "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                       \
    "sxtb16 %[t], %[w0]\n\t"                                                                  \
    "smlad %[a00], %[x0a], %[t], %[a00]\n\t"                                                  \
    "smlad %[a10], %[x1a], %[t], %[a10]\n\t"                                                  \
    "sxtb16 %[w0], %[w0], ror #8\n\t"                                                         \
    "smlad %[a00], %[x0b], %[w0], %[a00]\n\t"                                                 \
    "smlad %[a10], %[x1b], %[w0], %[a10]\n\t"                                                 \
    "sxtb16 %[t], %[w1]\n\t"                                                                  \
    "smlad %[a01], %[x0a], %[t], %[a01]\n\t"                                                  \
    "smlad %[a11], %[x1a], %[t], %[a11]\n\t"                                                  \
    "sxtb16 %[w1], %[w1], ror #8\n\t"                                                         \
    "smlad %[a01], %[x0b], %[w1], %[a01]\n\t"                                                 \
    "smlad %[a11], %[x1b], %[w1], %[a11]\n\t"

/* Requantizes accumulator a in place with the record's m2, rc, rs in
 * w0, w1, x0a and the output offset in x0b (s is free). */
#define TML_DSP_W2_RQ(a)                                                                      \
    "add %[s], %[" a "], %[w1]\n\t"                                                          \
    "smmlar %[s], %[" a "], %[w0], %[s]\n\t"                                                 \
    "add %[s], %[s], %[" a "], asr #31\n\t"                                                  \
    "asr %[s], %[s], %[x0a]\n\t"                                                             \
    "add %[s], %[s], %[x0b]\n\t"                                                             \
    "ssat %[" a "], #8, %[s]\n\t"

/* All channel pairs of tml_dsp_gemm_w2 in one asm loop, so that the 14
 * registers of the MAC loop are not spilled and refilled by the compiler
 * around each pair: the loop's own state (the pair's start, the records,
 * the output pointers) lives in stack slots it reads once per pair.
 * ODD_STEP is TML_DSP_W2X2_STEP plus the exit for 1 group when the group
 * count is odd, empty when it is even. */
#define TML_DSP_W2_PAIRS(ODD_STEP)                                                            \
    "1:\n\t"                                                                                 \
    "ldr %[s], %[s0]\n\t"                                                                    \
    "ldr %[t], %[rqp]\n\t"                                                                   \
    "ldr %[a00], [%[t]]\n\t"                                                                 \
    "ldr %[a01], [%[t], #16]\n\t"                                                            \
    "mov %[a10], %[a00]\n\t"                                                                 \
    "mov %[a11], %[a01]\n\t" ODD_STEP "2:\n\t" TML_DSP_W2X2_STEP TML_DSP_W2X2_STEP           \
    "cmp %[s], %[end]\n\t"                                                                   \
    "bne 2b\n"                                                                               \
    "3:\n\t"                                                                                 \
    "ldr %[t], %[rqp]\n\t"                                                                   \
    "ldr %[x0b], %[oo]\n\t"                                                                  \
    "ldrd %[w0], %[w1], [%[t], #4]\n\t"                                                      \
    "ldr %[x0a], [%[t], #12]\n\t" TML_DSP_W2_RQ("a00") TML_DSP_W2_RQ("a10")                  \
    "ldrd %[w0], %[w1], [%[t], #20]\n\t"                                                     \
    "ldr %[x0a], [%[t], #28]\n\t" TML_DSP_W2_RQ("a01") TML_DSP_W2_RQ("a11")                  \
    "add %[t], %[t], #32\n\t"                                                                \
    "str %[t], %[rqp]\n\t"                                                                   \
    "ldr %[x1a], %[o0]\n\t"                                                                  \
    "strb %[a00], [%[x1a]], #1\n\t"                                                          \
    "strb %[a01], [%[x1a]], #1\n\t"                                                          \
    "str %[x1a], %[o0]\n\t"                                                                  \
    "ldr %[x1a], %[o1]\n\t"                                                                  \
    "strb %[a10], [%[x1a]], #1\n\t"                                                          \
    "strb %[a11], [%[x1a]], #1\n\t"                                                          \
    "str %[x1a], %[o1]\n\t"                                                                  \
    "ldr %[x1b], %[rqe]\n\t"                                                                 \
    "cmp %[t], %[x1b]\n\t"                                                                   \
    "bne 1b\n"

#define TML_DSP_W2_OPERANDS                                                                   \
    : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11), [s] "=&r"(sp),  \
      [w] "+r"(w), [x0a] "=&r"(x0a), [x0b] "=&r"(x0b), [x1a] "=&r"(x1a), [x1b] "=&r"(x1b),     \
      [w0] "=&r"(w0), [w1] "=&r"(w1), [t] "=&r"(t), [rqp] "+m"(rqp), [o0] "+m"(o0),           \
      [o1] "+m"(o1)                                                                           \
    : [end] "r"(s_end), [s0] "m"(s0), [rqe] "m"(rqe), [oo] "m"(oo)                            \
    : "cc", "memory"
#endif

/* Output rows out0, out1 (out_c int8 each, before the activation clamp) of
 * the widened pair s of k inputs (k a multiple of 4): out[p][oc] =
 * rq(p . w_oc + bias[oc]) with the records rq (TML_DSP_RQ_LEN words per
 * channel) and the output offset out_off, weights w pair-interleaved
 * [out_c, k]. For a single pixel both slots of s hold it and out1 == out0
 * (written twice, identically). */
static inline void tml_dsp_gemm_w2(const uint32_t *s, const int8_t *w, int32_t k,
                                   int32_t out_c, const int32_t *rq, int32_t out_off,
                                   int8_t *out0, int8_t *out1)
{
    const int32_t n_groups = k / 4;
    const int32_t *rq_end = rq + (out_c & ~1) * TML_DSP_RQ_LEN;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__OPTIMIZE__)
    if (rq != rq_end) {
        register uint32_t x0a __asm__("r8");
        register uint32_t x0b __asm__("r9");
        register uint32_t x1a __asm__("r10");
        register uint32_t x1b __asm__("r11");
        uint32_t a00, a01, a10, a11, w0, w1, t;
        const uint32_t *sp, *s0 = s, *s_end = s + 4 * n_groups;
        const int32_t *rqp = rq, *rqe = rq_end;
        int8_t *o0 = out0, *o1 = out1;
        int32_t oo = out_off;
        if (n_groups & 1)
            __asm__ volatile(TML_DSP_W2_PAIRS(TML_DSP_W2X2_STEP "cmp %[s], %[end]\n\t"
                                                                "beq 3f\n")
                                 TML_DSP_W2_OPERANDS);
        else
            __asm__ volatile(TML_DSP_W2_PAIRS("") TML_DSP_W2_OPERANDS);
        rq = rqp;
        out0 = o0;
        out1 = o1;
    }
#else
    /* Each pair of channels reads its records into locals before it stores
     * (an int8 store could alias them, forcing reloads). */
    for (; rq != rq_end; rq += 2 * TML_DSP_RQ_LEN, w += 2 * k, out0 += 2, out1 += 2) {
        const int32_t *r1 = rq + TML_DSP_RQ_LEN;
        uint32_t acc[4];
        acc[0] = acc[2] = (uint32_t)rq[TML_DSP_RQ_BIAS];
        acc[1] = acc[3] = (uint32_t)r1[TML_DSP_RQ_BIAS];
        tml_dsp_mac_w2x2(s, n_groups, w, acc);
        const int32_t m0 = rq[TML_DSP_RQ_MULT2], c0 = rq[TML_DSP_RQ_ROUND];
        const int32_t s0 = rq[TML_DSP_RQ_SHIFT], m1 = r1[TML_DSP_RQ_MULT2];
        const int32_t c1 = r1[TML_DSP_RQ_ROUND], s1 = r1[TML_DSP_RQ_SHIFT];
        const int8_t y00 = tml_dsp_rq_apply(acc[0], m0, c0, s0, out_off);
        const int8_t y01 = tml_dsp_rq_apply(acc[1], m1, c1, s1, out_off);
        const int8_t y10 = tml_dsp_rq_apply(acc[2], m0, c0, s0, out_off);
        const int8_t y11 = tml_dsp_rq_apply(acc[3], m1, c1, s1, out_off);
        out0[0] = y00;
        out0[1] = y01;
        out1[0] = y10;
        out1[1] = y11;
    }
#endif
    if (out_c & 1) {
        uint32_t acc[2];
        acc[0] = acc[1] = (uint32_t)rq[TML_DSP_RQ_BIAS];
        tml_dsp_mac_w2x1(s, n_groups, w, acc);
        const int8_t y0 = tml_dsp_rq_rec(acc[0], rq, out_off);
        const int8_t y1 = tml_dsp_rq_rec(acc[1], rq, out_off);
        out0[0] = y0;
        out1[0] = y1;
    }
}

#endif /* TML_DSP_GEMM_H */
