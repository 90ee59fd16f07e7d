/*
 * tml_dsp.h - what the int8 kernels for cores with the DSP extension
 * (tml_*_s8_dsp.c: Cortex-M4, M7, M33) share: the SIMD instructions they are
 * built from, a requantization that is cheap on those cores, and the
 * multiply-accumulate cores of conv and FC. Private to runtime/kernels.
 *
 * On a core with __ARM_FEATURE_DSP the instructions come from arm_acle.h;
 * anywhere else (the host, Cortex-M0/M3) portable C with exactly their
 * semantics stands in, so the very same kernel runs bit-exact everywhere
 * and is unit-tested on the host.
 *
 * The design every DSP kernel follows:
 *  - The compiler folds input_offset * sum(weights) into the bias, so the
 *    inner loops multiply raw int8 values: sum w * (x + off) + bias ==
 *    sum w * x + (bias + off * sum w), exactly, in mod-2^32 arithmetic.
 *    Window positions outside the input then count as x = input zero point
 *    (-input_offset), whose term w * zp is what the folded bias assumed.
 *  - Both operands are widened with SXTB16 (bytes 0 and 2) and SXTB16 of
 *    the word rotated by 8 (bytes 1 and 3). The two operands are paired
 *    identically, so SMLAD adds two correct products at once and no input
 *    needs reordering or an int16 copy in RAM.
 *  - Weights are re-ordered offline (tml/kernels/nn.h says how) so that
 *    the rows read together are one stream.
 */
#ifndef TML_DSP_H
#define TML_DSP_H

#include <stdint.h>

#include "tml_fixedpoint.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>

/* (int16) bytes 0 and 2 of x. */
static inline uint32_t tml_sxtb16(uint32_t x)
{
    return (uint32_t)__sxtb16((int8x4_t)x);
}
/* (int16) bytes 1 and 3 of x: SXTB16 with its ROR #8 operand. */
static inline uint32_t tml_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
/* acc + lo(a) * lo(b) + hi(a) * hi(b), 16-bit signed halves, mod 2^32. */
static inline uint32_t tml_smlad(uint32_t a, uint32_t b, uint32_t acc)
{
    return (uint32_t)__smlad((int16x2_t)a, (int16x2_t)b, (int32_t)acc);
}
/* acc + lo(a) * lo(b). */
static inline uint32_t tml_smlabb(uint32_t a, uint32_t b, uint32_t acc)
{
    return (uint32_t)__smlabb((int32_t)a, (int32_t)b, (int32_t)acc);
}
/* acc + hi(a) * hi(b). */
static inline uint32_t tml_smlatt(uint32_t a, uint32_t b, uint32_t acc)
{
    return (uint32_t)__smlatt((int32_t)a, (int32_t)b, (int32_t)acc);
}
/* acc + lo(a) * hi(b). */
static inline uint32_t tml_smlabt(uint32_t a, uint32_t b, uint32_t acc)
{
    return (uint32_t)__smlabt((int32_t)a, (int32_t)b, (int32_t)acc);
}
/* acc + hi(a) * lo(b). */
static inline uint32_t tml_smlatb(uint32_t a, uint32_t b, uint32_t acc)
{
    return (uint32_t)__smlatb((int32_t)a, (int32_t)b, (int32_t)acc);
}
/* (acc * 2^32 + a * b + 2^31) >> 32, mod 2^32 (SMMLAR). */
static inline uint32_t tml_smmlar(uint32_t a, uint32_t b, uint32_t acc)
{
    uint32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
/* x saturated to [-128, 127] (SSAT #8). */
static inline int32_t tml_ssat8(int32_t x)
{
    return __ssat(x, 8);
}
/* low halves of a and b: lo(a) | lo(b) << 16 (PKHBT, LSL #16). */
static inline uint32_t tml_pkhbt16(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
/* high halves of b and a: hi(b) >> 16 | hi(a) << 16 (PKHTB a, b, ASR #16). */
static inline uint32_t tml_pkhtb16(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

#else /* portable definitions with the instructions' exact semantics */

static inline int32_t tml_dsp_lo16(uint32_t x)
{
    return (int32_t)((x & 0xFFFFu) ^ 0x8000u) - 0x8000;
}
static inline int32_t tml_dsp_hi16(uint32_t x)
{
    return (int32_t)((x >> 16) ^ 0x8000u) - 0x8000;
}
static inline uint32_t tml_sxtb16(uint32_t x)
{
    uint32_t b0 = (uint32_t)(((int32_t)((x & 0xFFu) ^ 0x80u) - 0x80) & 0xFFFF);
    uint32_t b2 = (uint32_t)(((int32_t)(((x >> 16) & 0xFFu) ^ 0x80u) - 0x80) & 0xFFFF);
    return b0 | b2 << 16;
}
static inline uint32_t tml_sxtb16_ror8(uint32_t x)
{
    return tml_sxtb16(x >> 8 | x << 24);
}
static inline uint32_t tml_smlad(uint32_t a, uint32_t b, uint32_t acc)
{
    return acc + (uint32_t)(tml_dsp_lo16(a) * tml_dsp_lo16(b)) +
           (uint32_t)(tml_dsp_hi16(a) * tml_dsp_hi16(b));
}
static inline uint32_t tml_smlabb(uint32_t a, uint32_t b, uint32_t acc)
{
    return acc + (uint32_t)(tml_dsp_lo16(a) * tml_dsp_lo16(b));
}
static inline uint32_t tml_smlatt(uint32_t a, uint32_t b, uint32_t acc)
{
    return acc + (uint32_t)(tml_dsp_hi16(a) * tml_dsp_hi16(b));
}
static inline uint32_t tml_smlabt(uint32_t a, uint32_t b, uint32_t acc)
{
    return acc + (uint32_t)(tml_dsp_lo16(a) * tml_dsp_hi16(b));
}
static inline uint32_t tml_smlatb(uint32_t a, uint32_t b, uint32_t acc)
{
    return acc + (uint32_t)(tml_dsp_hi16(a) * tml_dsp_lo16(b));
}
static inline uint32_t tml_smmlar(uint32_t a, uint32_t b, uint32_t acc)
{
    uint64_t p = ((uint64_t)acc << 32) + (uint64_t)((int64_t)(int32_t)a * (int32_t)b) +
                 0x80000000u;
    return (uint32_t)(p >> 32);
}
static inline int32_t tml_ssat8(int32_t x)
{
    return x < -128 ? -128 : x > 127 ? 127 : x;
}
static inline uint32_t tml_pkhbt16(uint32_t a, uint32_t b)
{
    return (a & 0xFFFFu) | b << 16;
}
static inline uint32_t tml_pkhtb16(uint32_t a, uint32_t b)
{
    return (a & 0xFFFF0000u) | b >> 16;
}
#endif

/* 4 bytes at p, any alignment (LDR on the M4/M7/M33, which allow it). */
static inline uint32_t tml_dsp_load32(const void *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

/* 8 bytes at p, 4-byte aligned (one LDRD): two words. */
static inline void tml_dsp_load64(const void *p, uint32_t *lo, uint32_t *hi)
{
    uint32_t w[2];
    __builtin_memcpy(w, __builtin_assume_aligned(p, 4), 8);
    *lo = w[0];
    *hi = w[1];
}

/* tml_mul_by_quantized_mul(acc, mult, shift) + out_off, clamped to
 * [lo, hi], bit for bit, in fewer instructions: the loader proves
 * mult >= 0, so SaturatingRoundingDoublingHighMul never saturates, and its
 * (a * b + nudge) / 2^31 (rounded toward zero, nudge 2^30 or 1 - 2^30 by
 * the sign of a * b) equals (a * b + 2^30) >> 31 for either sign. */
static inline int8_t tml_dsp_requant(uint32_t acc, int32_t mult, int32_t shift,
                                     int32_t out_off, int32_t lo, int32_t hi)
{
    int32_t x = (int32_t)acc;
    int32_t right = 0;
    if (shift > 0)
        x = (int32_t)(acc << shift);
    else
        right = -shift;
    int32_t v = (int32_t)(((int64_t)x * mult + ((int64_t)1 << 30)) >> 31);
    if (right > 0) {
        int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
        int32_t threshold = (mask >> 1) + (int32_t)((uint32_t)v >> 31);
        v = (v >> right) + ((v & mask) > threshold);
    }
    v = (int32_t)((uint32_t)v + (uint32_t)out_off);
    return (int8_t)tml_clamp_i32(v, lo, hi);
}

/* The same result as tml_dsp_requant (bit for bit, for every acc, mult >= 0
 * and shift the loader accepts) in about 7 instructions when the right
 * shift rs = -shift is 1..21 and mult is normalized (2^30 .. 2^31 - 1, as
 * TFLite's QuantizeMultiplier makes every non-zero one), which they nearly
 * always are; otherwise the exact general path:
 *  - v = SRDHM(acc, mult) = (acc * mult + 2^30) >> 31. SMMLAR with the
 *    operand 2 * mult mod 2^32 (which reads as 2 * mult - 2^32) gives
 *    (2 * acc * mult + 2^31) >> 32 - acc = v - acc, so adding acc to its
 *    accumulate operand yields v + rc, all mod 2^32.
 *  - TFLite's rounding divide, half away from zero, is
 *    (v + 2^(rs-1) - [v < 0]) >> rs, and [v < 0] is [acc < 0] (mult >= 0;
 *    where they differ v is 0 and both give 0); out_off * 2^rs joins the
 *    rounding constant: rc = (2 * out_off + 1) << (rs - 1).
 *  - No step wraps: the loader bounds |acc| by 1.5 * 2^30 (bias and k, see
 *    tml/kernels/nn.h), so |v| < 1.5 * 2^30, |rc| < 2^28.01, |v + rc| < 2^31. */
static inline int32_t tml_dsp_rq(uint32_t acc, int32_t mult, int32_t shift, int32_t out_off,
                                 int32_t lo, int32_t hi)
{
    const int32_t rs = -shift;
    if ((uint32_t)(rs - 1) >= 21u || mult < (1 << 30))
        return tml_dsp_requant(acc, mult, shift, out_off, lo, hi);
    const uint32_t rc = (uint32_t)(2 * out_off + 1) << (rs - 1);
    int32_t t = (int32_t)tml_smmlar(acc, (uint32_t)mult << 1, acc + rc);
    t = (int32_t)((uint32_t)t + (uint32_t)((int32_t)acc >> 31));
    t = tml_ssat8(t >> rs);
    return tml_clamp_i32(t, lo, hi);
}

/* acc[0..3] += (r0 . w0, r0 . w1, r1 . w0, r1 . w1) over k int8 values, k a
 * multiple of 4. w (4-byte aligned) is an interleaved pair of weight rows:
 * k / 4 groups of [w0 4 bytes, w1 4 bytes]. */
static inline void tml_dsp_mac_2x2(const int8_t *r0, const int8_t *r1, const int8_t *w,
                                   int32_t k, uint32_t *acc)
{
    uint32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const int8_t *r0_end = r0 + k;
    while (r0 != r0_end) {
        uint32_t x0 = tml_dsp_load32(r0), x1 = tml_dsp_load32(r1);
        uint32_t w0, w1;
        tml_dsp_load64(w, &w0, &w1);
        r0 += 4;
        r1 += 4;
        w += 8;
        uint32_t x0a = tml_sxtb16(x0), x0b = tml_sxtb16_ror8(x0);
        uint32_t x1a = tml_sxtb16(x1), x1b = tml_sxtb16_ror8(x1);
        uint32_t wa = tml_sxtb16(w0), wb = tml_sxtb16_ror8(w0);
        a00 = tml_smlad(x0a, wa, a00);
        a00 = tml_smlad(x0b, wb, a00);
        a10 = tml_smlad(x1a, wa, a10);
        a10 = tml_smlad(x1b, wb, a10);
        wa = tml_sxtb16(w1);
        wb = tml_sxtb16_ror8(w1);
        a01 = tml_smlad(x0a, wa, a01);
        a01 = tml_smlad(x0b, wb, a01);
        a11 = tml_smlad(x1a, wa, a11);
        a11 = tml_smlad(x1b, wb, a11);
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* acc[0..1] += (r0 . w, r1 . w) over k int8 values, k a multiple of 4;
 * w one plain row. */
static inline void tml_dsp_mac_2x1(const int8_t *r0, const int8_t *r1, const int8_t *w,
                                   int32_t k, uint32_t *acc)
{
    uint32_t a0 = acc[0], a1 = acc[1];
    const int8_t *r0_end = r0 + k;
    while (r0 != r0_end) {
        uint32_t x0 = tml_dsp_load32(r0), x1 = tml_dsp_load32(r1), w0 = tml_dsp_load32(w);
        r0 += 4;
        r1 += 4;
        w += 4;
        uint32_t wa = tml_sxtb16(w0), wb = tml_sxtb16_ror8(w0);
        a0 = tml_smlad(tml_sxtb16(x0), wa, a0);
        a0 = tml_smlad(tml_sxtb16_ror8(x0), wb, a0);
        a1 = tml_smlad(tml_sxtb16(x1), wa, a1);
        a1 = tml_smlad(tml_sxtb16_ror8(x1), wb, a1);
    }
    acc[0] = a0;
    acc[1] = a1;
}

/* Output rows out0, out1 (out_c int8 each) of two input rows r0, r1 of k
 * int8 values (k a multiple of 4): out[p][oc] = requant(rp . w_oc + bias[oc]).
 * Weights are in the pair-interleaved order (see tml/kernels/nn.h: pairs of rows as
 * tml_dsp_mac_2x2 reads them, an odd last row plain). r1 may equal r0 and
 * out1 be NULL for a single row. */
static inline void tml_dsp_rows_2(const int8_t *r0, const int8_t *r1, const int8_t *w,
                                  int32_t k, int32_t out_c, const int32_t *mult,
                                  const int32_t *shift, const int32_t *bias, int32_t out_off,
                                  int32_t lo, int32_t hi, int8_t *out0, int8_t *out1)
{
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2) {
        uint32_t acc[4];
        acc[0] = acc[2] = (uint32_t)bias[oc];
        acc[1] = acc[3] = (uint32_t)bias[oc + 1];
        tml_dsp_mac_2x2(r0, r1, w, k, acc);
        w += 2 * k;
        out0[oc] = tml_dsp_rq(acc[0], mult[oc], shift[oc], out_off, lo, hi);
        out0[oc + 1] = tml_dsp_rq(acc[1], mult[oc + 1], shift[oc + 1], out_off, lo, hi);
        if (out1) {
            out1[oc] = tml_dsp_rq(acc[2], mult[oc], shift[oc], out_off, lo, hi);
            out1[oc + 1] =
                tml_dsp_rq(acc[3], mult[oc + 1], shift[oc + 1], out_off, lo, hi);
        }
    }
    if (oc < out_c) {
        uint32_t acc[2];
        acc[0] = acc[1] = (uint32_t)bias[oc];
        tml_dsp_mac_2x1(r0, r1, w, k, acc);
        out0[oc] = tml_dsp_rq(acc[0], mult[oc], shift[oc], out_off, lo, hi);
        if (out1)
            out1[oc] = tml_dsp_rq(acc[1], mult[oc], shift[oc], out_off, lo, hi);
    }
}

#endif /* TML_DSP_H */
