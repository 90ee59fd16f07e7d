/*
 * tml_dwconv2d_3x3_s8_dsp.c - int8 3x3 depthwise convolution (dilation 1,
 * strides 1 or 2, depth multiplier 1, any channel count) for cores with the
 * DSP extension (see tml/kernels/nn.h, tml_dsp.h).
 *
 * SMLAD adds two products of one channel, so the input is re-laid out, a
 * row at a time, as int16 pairs of adjacent positions (x, x + 1) of one
 * channel: PKHBT / PKHTB interleave two words of 4 channels and SXTB16
 * widens them, 10 instructions for 8 values. A pair is formed once and then
 * serves up to 6 outputs (2 columns of 3 rows). With the weights pre-paired
 * offline as (w0, w1) and (w1, w2), 4 outputs of a channel take 8
 * multiply-accumulates per kernel row (SMLAD, SMLABT, SMLATB: dw3_row).
 * Padding is formatted as the input zero point (the bias is folded, see
 * tml_dsp.h), so the compute loops have no border case.
 *
 * The pairs live in a ring of 3 formatted rows on the stack, input row iy
 * in slot (iy + pad_top) % 3, so each input row is formatted once per group
 * of 4 channels and column tile. Which kernel row reads which slot rotates
 * from one output row to the next; the weight table absorbs that: it holds
 * the kernel rows as 0, 1, 2, 0, 1 and a rotation starts further in.
 * When the output is taller than wide the same runs transposed (ring rows
 * are input columns), so that rows are long: per-row work is then spread
 * over more outputs (KWS: 25 x 5).
 * Weights and bias come doubled from the compiler, so the accumulator is
 * 2 * acc and the requantization's SMMLAR needs no separate add (rq2).
 * A step of 4 outputs of a channel is 61 instructions (stride 2: 64) for 36 MACs:
 * 34 loads and multiply-accumulates, 25 to requantize and store; on cores
 * with the DSP extension it is written in assembly (dw3_blocks_s1/s2; the
 * C of dw3_steps computes the same and runs everywhere else, and when the
 * activation clamps). No scratch: the stack holds the ring (672 bytes)
 * and the group's constants (240 bytes).
 */
#include <stddef.h>

#include "tml/kernels/nn.h"
#include "tml_dsp.h"

#if defined(__GNUC__)
#define DW3_INLINE static inline __attribute__((always_inline))
#else
#define DW3_INLINE static inline
#endif

/* Hides where p points from the optimizer (no code). */
#if defined(__GNUC__)
#define DW3_OPAQUE(p) __asm__("" : "+r"(p))
#else
#define DW3_OPAQUE(p) ((void)0)
#endif

/* Pair groups (2 input columns) per ring row: the column tile is
 * 2 * RING_GROUPS - 2 outputs at stride 1, RING_GROUPS - 1 at stride 2. */
#define RING_GROUPS 14
/* Words of one ring row (slot): for each of the group's 4 channels,
 * RING_GROUPS pairs. */
#define SLOT_WORDS (4 * RING_GROUPS)

/* One channel: its kernel rows' weight pairs (w0, w1), (w1, w2) as rows
 * 0, 1, 2, 0, 1 (a rotation reads 3 from row (3 - slot of row 0) % 3),
 * and its requantization: the accumulator's start (2 * folded bias) and
 * what rq2 needs. */
typedef struct dw3_chan {
    uint32_t w[5 * 2];
    uint32_t bias;
    int32_t mult;
    uint32_t rc;
    int32_t rs;
    int32_t out_step; /* bytes between outputs along a ring row */
} dw3_chan_t;

/* tml_dsp_rq of acc from acc2 = 2 * acc, saturated to int8 (or clamped):
 * SMMLAR(acc2, mult, rc) = rc + (acc * mult + 2^30) >> 31 exactly, then
 * the same sign adjustment and shift. The loader bounds |acc2| by
 * 2^29 + 2^19 and rs by 23, so |v + rc| < 2^28.01 + 255 * 2^22 < 2^31: no
 * step wraps. */
DW3_INLINE int8_t rq2(uint32_t acc2, uint32_t mult, uint32_t rc, int32_t rs, int clamp, int32_t lo,
                      int32_t hi)
{
    int32_t t = (int32_t)tml_smmlar(acc2, mult, rc);
    t += (int32_t)acc2 >> 31;
    t >>= rs;
    return (int8_t)(clamp ? tml_clamp_i32(t, lo, hi) : tml_ssat8(t));
}

/* One kernel row's share of 4 adjacent outputs a[0..3] (see dw3_row). */
DW3_INLINE void taps_4(const uint32_t *rk, const uint32_t *wk, uint32_t *a, int stride2)
{
    uint32_t w01, w12, h0, h1, h2;
    tml_dsp_load64(wk, &w01, &w12);
    tml_dsp_load64(rk, &h0, &h1);
    a[0] = tml_smlad(h0, w01, a[0]);
    a[0] = tml_smlabt(h1, w12, a[0]);
    if (stride2) {
        a[1] = tml_smlad(h1, w01, a[1]);
        tml_dsp_load64(rk + 2, &h0, &h2);
        a[1] = tml_smlabt(h0, w12, a[1]);
        a[2] = tml_smlad(h0, w01, a[2]);
        a[2] = tml_smlabt(h2, w12, a[2]);
        a[3] = tml_smlad(h2, w01, a[3]);
        a[3] = tml_smlabt(rk[4], w12, a[3]);
    } else {
        a[1] = tml_smlatb(h0, w01, a[1]);
        a[1] = tml_smlad(h1, w12, a[1]);
        h2 = rk[2];
        a[2] = tml_smlad(h1, w01, a[2]);
        a[2] = tml_smlabt(h2, w12, a[2]);
        a[3] = tml_smlatb(h1, w01, a[3]);
        a[3] = tml_smlad(h2, w12, a[3]);
    }
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__thumb2__) &&                      \
    !defined(TML_DW3_NO_ASM)
#define DW3_ASM 1
/* dw3_row's steps of 4 outputs without clamping (nb > 0 of them), in
 * assembly: the same instructions GCC picks, minus the spills and loop
 * bookkeeping it adds with 13 values live (61 instead of 73 per step).
 * The offsets are dw3_chan_t's (bias 40, mult 44, rc 48, rs 52,
 * out_step 56) and the ring's (a slot is SLOT_WORDS * 4 = 224 bytes). */
_Static_assert(SLOT_WORDS * 4 == 224, "ring slot offsets in the assembly");
_Static_assert(offsetof(dw3_chan_t, bias) == 40 && offsetof(dw3_chan_t, mult) == 44 &&
                   offsetof(dw3_chan_t, rc) == 48 && offsetof(dw3_chan_t, rs) == 52 &&
                   offsetof(dw3_chan_t, out_step) == 56,
               "dw3_chan_t offsets in the assembly");

#define DW3_RQ_STORE                                                                               \
    "ldrd   %[t0], %[t1], [%[q], #44]\n\t" /* mult, rc */                                          \
    "ldr    %[t2], [%[q], #52]\n\t"        /* rs */                                                \
    "smmlar %[t3], %[a0], %[t0], %[t1]\n\t"                                                        \
    "add    %[t3], %[t3], %[a0], asr #31\n\t"                                                      \
    "asr    %[t3], %[t3], %[t2]\n\t"                                                               \
    "ssat   %[a0], #8, %[t3]\n\t"                                                                  \
    "smmlar %[t3], %[a1], %[t0], %[t1]\n\t"                                                        \
    "add    %[t3], %[t3], %[a1], asr #31\n\t"                                                      \
    "asr    %[t3], %[t3], %[t2]\n\t"                                                               \
    "ssat   %[a1], #8, %[t3]\n\t"                                                                  \
    "smmlar %[t3], %[a2], %[t0], %[t1]\n\t"                                                        \
    "add    %[t3], %[t3], %[a2], asr #31\n\t"                                                      \
    "asr    %[t3], %[t3], %[t2]\n\t"                                                               \
    "ssat   %[a2], #8, %[t3]\n\t"                                                                  \
    "smmlar %[t3], %[a3], %[t0], %[t1]\n\t"                                                        \
    "add    %[t3], %[t3], %[a3], asr #31\n\t"                                                      \
    "asr    %[t3], %[t3], %[t2]\n\t"                                                               \
    "ssat   %[a3], #8, %[t3]\n\t"                                                                  \
    "ldr    %[t0], [%[q], #56]\n\t" /* out_step */                                                 \
    "strb   %[a0], [%[out]]\n\t"                                                                   \
    "strb   %[a1], [%[out], %[t0]]\n\t"                                                            \
    "add    %[out], %[out], %[t0], lsl #1\n\t"                                                     \
    "strb   %[a2], [%[out]]\n\t"                                                                   \
    "strb   %[a3], [%[out], %[t0]]\n\t"                                                            \
    "add    %[out], %[out], %[t0], lsl #1\n\t"

/* Stride 1, kernel row at ring offset OFF (bytes), weights at WOFF. */
#define DW3_ROW_S1(OFF, WOFF)                                                                      \
    "ldrd   %[t0], %[t1], [%[w], #" WOFF "]\n\t"                                                   \
    "ldrd   %[t2], %[t3], [%[r], #" OFF "]\n\t"                                                    \
    "smlad  %[a0], %[t2], %[t0], %[a0]\n\t"                                                        \
    "smlabt %[a0], %[t3], %[t1], %[a0]\n\t"                                                        \
    "smlatb %[a1], %[t2], %[t0], %[a1]\n\t"                                                        \
    "smlad  %[a1], %[t3], %[t1], %[a1]\n\t"                                                        \
    "smlad  %[a2], %[t3], %[t0], %[a2]\n\t"                                                        \
    "smlatb %[a3], %[t3], %[t0], %[a3]\n\t"                                                        \
    "ldr    %[t2], [%[r], #" OFF "+8]\n\t"                                                         \
    "smlabt %[a2], %[t2], %[t1], %[a2]\n\t"                                                        \
    "smlad  %[a3], %[t2], %[t1], %[a3]\n\t"

/* The same for kernel row 0, starting from the bias (in a3). */
#define DW3_ROW0_S1                                                                                \
    "ldr    %[a3], [%[q], #40]\n\t"                                                                \
    "ldrd   %[t0], %[t1], [%[w]]\n\t"                                                              \
    "ldrd   %[t2], %[t3], [%[r]], #8\n\t"                                                          \
    "smlad  %[a0], %[t2], %[t0], %[a3]\n\t"                                                        \
    "smlabt %[a0], %[t3], %[t1], %[a0]\n\t"                                                        \
    "smlatb %[a1], %[t2], %[t0], %[a3]\n\t"                                                        \
    "smlad  %[a1], %[t3], %[t1], %[a1]\n\t"                                                        \
    "smlad  %[a2], %[t3], %[t0], %[a3]\n\t"                                                        \
    "smlatb %[a3], %[t3], %[t0], %[a3]\n\t"                                                        \
    "ldr    %[t2], [%[r]]\n\t"                                                                     \
    "smlabt %[a2], %[t2], %[t1], %[a2]\n\t"                                                        \
    "smlad  %[a3], %[t2], %[t1], %[a3]\n\t"

/* Stride 2. */
#define DW3_ROW_S2(OFF, WOFF)                                                                      \
    "ldrd   %[t0], %[t1], [%[w], #" WOFF "]\n\t"                                                   \
    "ldrd   %[t2], %[t3], [%[r], #" OFF "]\n\t"                                                    \
    "smlad  %[a0], %[t2], %[t0], %[a0]\n\t"                                                        \
    "smlabt %[a0], %[t3], %[t1], %[a0]\n\t"                                                        \
    "smlad  %[a1], %[t3], %[t0], %[a1]\n\t"                                                        \
    "ldrd   %[t2], %[t3], [%[r], #" OFF "+8]\n\t"                                                  \
    "smlabt %[a1], %[t2], %[t1], %[a1]\n\t"                                                        \
    "smlad  %[a2], %[t2], %[t0], %[a2]\n\t"                                                        \
    "smlabt %[a2], %[t3], %[t1], %[a2]\n\t"                                                        \
    "smlad  %[a3], %[t3], %[t0], %[a3]\n\t"                                                        \
    "ldr    %[t2], [%[r], #" OFF "+16]\n\t"                                                        \
    "smlabt %[a3], %[t2], %[t1], %[a3]\n\t"

#define DW3_ROW0_S2                                                                                \
    "ldr    %[a3], [%[q], #40]\n\t"                                                                \
    "ldrd   %[t0], %[t1], [%[w]]\n\t"                                                              \
    "ldrd   %[t2], %[t3], [%[r]], #16\n\t"                                                         \
    "smlad  %[a0], %[t2], %[t0], %[a3]\n\t"                                                        \
    "smlabt %[a0], %[t3], %[t1], %[a0]\n\t"                                                        \
    "smlad  %[a1], %[t3], %[t0], %[a3]\n\t"                                                        \
    "ldrd   %[t2], %[t3], [%[r], #-8]\n\t"                                                         \
    "smlabt %[a1], %[t2], %[t1], %[a1]\n\t"                                                        \
    "smlad  %[a2], %[t2], %[t0], %[a3]\n\t"                                                        \
    "smlabt %[a2], %[t3], %[t1], %[a2]\n\t"                                                        \
    "smlad  %[a3], %[t3], %[t0], %[a3]\n\t"                                                        \
    "ldr    %[t2], [%[r]]\n\t"                                                                     \
    "smlabt %[a3], %[t2], %[t1], %[a3]\n\t"

#define DW3_ASM_OPERANDS                                                                           \
    : [r] "+r"(rp), [out] "+r"(op), [nb] "+r"(nb), [a0] "=&r"(a0), [a1] "=&r"(a1),        \
      [a2] "=&r"(a2), [a3] "=&r"(a3), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),       \
      [t3] "=&r"(t3)                                                                        \
    : [w] "r"(w), [q] "r"(q)                                                                \
    : "cc", "memory"

DW3_INLINE void dw3_blocks_s1(const uint32_t **r, const uint32_t *w, const dw3_chan_t *q,
                              int8_t **out, int32_t nb)
{
    const uint32_t *rp = *r;
    int8_t *op = *out;
    uint32_t a0, a1, a2, a3, t0, t1, t2, t3;
    __asm__ volatile("1:\n\t" DW3_ROW0_S1 DW3_ROW_S1("216", "8") DW3_ROW_S1("440", "16")
                         DW3_RQ_STORE "subs   %[nb], %[nb], #1\n\t"
                                      "bne    1b\n\t" DW3_ASM_OPERANDS);
    *r = rp;
    *out = op;
}

DW3_INLINE void dw3_blocks_s2(const uint32_t **r, const uint32_t *w, const dw3_chan_t *q,
                              int8_t **out, int32_t nb)
{
    const uint32_t *rp = *r;
    int8_t *op = *out;
    uint32_t a0, a1, a2, a3, t0, t1, t2, t3;
    __asm__ volatile("1:\n\t" DW3_ROW0_S2 DW3_ROW_S2("208", "8") DW3_ROW_S2("432", "16")
                         DW3_RQ_STORE "subs   %[nb], %[nb], #1\n\t"
                                      "bne    1b\n\t" DW3_ASM_OPERANDS);
    *r = rp;
    *out = op;
}

/* One output whose window starts at a pair (stride 2, or an even output
 * at stride 1), without clamping: pairs r[0], r[1] of each slot. */
DW3_INLINE void dw3_single(const uint32_t *r, const uint32_t *w, const dw3_chan_t *q, int8_t *out)
{
    uint32_t a0, t0, t1, t2, t3;
    __asm__ volatile(
        "ldr    %[a0], [%[q], #40]\n\t"
        "ldrd   %[t0], %[t1], [%[w]]\n\t"
        "ldrd   %[t2], %[t3], [%[r]]\n\t"
        "smlad  %[a0], %[t2], %[t0], %[a0]\n\t"
        "smlabt %[a0], %[t3], %[t1], %[a0]\n\t"
        "ldrd   %[t0], %[t1], [%[w], #8]\n\t"
        "ldrd   %[t2], %[t3], [%[r], #224]\n\t"
        "smlad  %[a0], %[t2], %[t0], %[a0]\n\t"
        "smlabt %[a0], %[t3], %[t1], %[a0]\n\t"
        "ldrd   %[t0], %[t1], [%[w], #16]\n\t"
        "ldrd   %[t2], %[t3], [%[r], #448]\n\t"
        "smlad  %[a0], %[t2], %[t0], %[a0]\n\t"
        "smlabt %[a0], %[t3], %[t1], %[a0]\n\t"
        "ldrd   %[t0], %[t1], [%[q], #44]\n\t"
        "ldr    %[t2], [%[q], #52]\n\t"
        "smmlar %[t3], %[a0], %[t0], %[t1]\n\t"
        "add    %[t3], %[t3], %[a0], asr #31\n\t"
        "asr    %[t3], %[t3], %[t2]\n\t"
        "ssat   %[a0], #8, %[t3]\n\t"
        "strb   %[a0], [%[out]]\n\t"
        : [a0] "=&r"(a0), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
        : [r] "r"(r), [w] "r"(w), [q] "r"(q), [out] "r"(out)
        : "memory");
}
#else
#define DW3_ASM 0
#endif

/* One kernel row's share of one output: pairs rk[0], rk[1]; odd: the
 * output's window starts at the high half of rk[0] (stride 1). */
DW3_INLINE uint32_t taps_1(const uint32_t *rk, const uint32_t *wk, uint32_t a, int odd)
{
    if (odd)
        return tml_smlad(rk[1], wk[1], tml_smlatb(rk[0], wk[0], a));
    return tml_smlabt(rk[1], wk[1], tml_smlad(rk[0], wk[0], a));
}

/* nb steps of 4 outputs of one channel along a row (see dw3_row), from
 * *r and to *out, both advanced past them. */
DW3_INLINE void dw3_steps(const uint32_t **r, const uint32_t *w, const dw3_chan_t *q, int8_t **out,
                          int32_t out_step, int32_t nb, int stride2, int clamp, int32_t lo,
                          int32_t hi)
{
#if DW3_ASM
    if (!clamp) {
        if (stride2)
            dw3_blocks_s2(r, w, q, out, nb);
        else
            dw3_blocks_s1(r, w, q, out, nb);
        return;
    }
#endif
    const uint32_t *rp = *r;
    int8_t *op = *out;
    for (; nb > 0; nb--, rp += stride2 ? 4 : 2, op += 4 * out_step) {
        /* Re-read the constants each time rather than keep them live
         * across the loop (which only spills them). */
        DW3_OPAQUE(w);
        DW3_OPAQUE(q);
        uint32_t a[4] = {q->bias, q->bias, q->bias, q->bias};
        taps_4(rp, w, a, stride2);
        taps_4(rp + SLOT_WORDS, w + 2, a, stride2);
        taps_4(rp + 2 * SLOT_WORDS, w + 4, a, stride2);
        /* into locals: the int8 stores could alias q */
        const uint32_t mult = (uint32_t)q->mult, rc = q->rc;
        const int32_t rs = q->rs;
        op[0] = rq2(a[0], mult, rc, rs, clamp, lo, hi);
        op[out_step] = rq2(a[1], mult, rc, rs, clamp, lo, hi);
        op[2 * out_step] = rq2(a[2], mult, rc, rs, clamp, lo, hi);
        op[3 * out_step] = rq2(a[3], mult, rc, rs, clamp, lo, hi);
    }
    *r = rp;
    *out = op;
}

/* n_out outputs of one channel along a row, from r (the channel's pairs
 * in ring slot 0 from the tile's first group; slot k is k * SLOT_WORDS
 * further) and w (3 kernel rows of 2 weight words, in slot order). out:
 * the first output, the next ones out_step bytes apart. 4 outputs at a
 * time; per kernel row (h_i the pair of input columns (2i, 2i + 1) from
 * the first output's window):
 *   stride 1: out 0 = h0 . w01 + lo h1 * w2    out 1 = hi h0 * w0 + h1 . w12
 *             out 2 = h1 . w01 + lo h2 * w2    out 3 = hi h1 * w0 + h2 . w12
 *   stride 2: out k = h_k . w01 + lo h_k+1 * w2 */
DW3_INLINE void dw3_row(const uint32_t *r, const uint32_t *w, const dw3_chan_t *q, int8_t *out,
                        int32_t out_step, int32_t n_out, int stride2, int clamp, int32_t lo,
                        int32_t hi)
{
    const int32_t nb = n_out >> 2;
    int32_t rem = n_out & 3;
    if (nb > 0)
        dw3_steps(&r, w, q, &out, out_step, nb, stride2, clamp, lo, hi);
    /* 2 or 3 more: one more step, started back so that it ends at the last
     * output (it writes 2 or 1 outputs again, with the same values), which
     * is cheaper than single outputs. At stride 1 a step starts at a pair
     * (an even output), so 3 more are a step back 2 and a single. */
    if (nb > 0 && rem >= 2) {
        const int32_t back = stride2 || rem == 2 ? 4 - rem : 2;
        r -= stride2 ? back : back / 2;
        out -= (intptr_t)back * out_step;
        dw3_steps(&r, w, q, &out, out_step, 1, stride2, clamp, lo, hi);
        rem -= 4 - back;
    }
    /* the rest one at a time: output o starts at pair o / 2 (stride 1) or
     * o (stride 2) from r */
    for (int32_t o = 0; o < rem; o++, out += out_step) {
        const uint32_t *ro = r + (stride2 ? o : o / 2);
#if DW3_ASM
        if (!clamp && (stride2 || !(o & 1))) {
            dw3_single(ro, w, q, out);
            continue;
        }
#endif
        uint32_t a = q->bias;
        if (!stride2 && (o & 1)) {
            a = taps_1(ro, w, a, 1);
            a = taps_1(ro + SLOT_WORDS, w + 2, a, 1);
            a = taps_1(ro + 2 * SLOT_WORDS, w + 4, a, 1);
        } else {
            a = taps_1(ro, w, a, 0);
            a = taps_1(ro + SLOT_WORDS, w + 2, a, 0);
            a = taps_1(ro + 2 * SLOT_WORDS, w + 4, a, 0);
        }
        out[0] = rq2(a, (uint32_t)q->mult, q->rc, q->rs, clamp, lo, hi);
    }
}

/* Pair group i of a ring row from the words of columns x (a) and x+1 (b):
 * (x, x+1) of each of the 4 channels. */
DW3_INLINE void put_group(uint32_t a, uint32_t b, uint32_t *d)
{
    const uint32_t lo = tml_pkhbt16(a, b); /* a0 a1 b0 b1 */
    const uint32_t hi = tml_pkhtb16(b, a); /* a2 a3 b2 b3 */
    d[0] = tml_sxtb16(lo);
    d[RING_GROUPS] = tml_sxtb16_ror8(lo);
    d[2 * RING_GROUPS] = tml_sxtb16(hi);
    d[3 * RING_GROUPS] = tml_sxtb16_ror8(hi);
}

/* The 4 channels at column x of row (column 0 of the group's first
 * channel; columns col_step bytes apart), or the zero point outside
 * [0, n_cols). */
DW3_INLINE uint32_t col_word(const int8_t *row, int32_t x, int32_t n_cols, int32_t col_step,
                             uint32_t zp4)
{
    return (uint32_t)x < (uint32_t)n_cols ? tml_dsp_load32(row + (intptr_t)x * col_step) : zp4;
}

/* Formats one ring row (slot dst) of a full group of 4 channels: n_grp
 * groups of input columns (x0 + 2i, x0 + 2i + 1) of row. */
static void dw3_format(const int8_t *row, int32_t x0, int32_t n_grp, int32_t n_cols,
                       int32_t col_step, uint32_t zp4, uint32_t *dst)
{
    int32_t i = 0, x = x0;
    for (; i < n_grp && x < 0; i++, x += 2, dst++)
        put_group(col_word(row, x, n_cols, col_step, zp4),
                  col_word(row, x + 1, n_cols, col_step, zp4), dst);
    if (i < n_grp && x + 1 < n_cols) { /* both columns inside */
        const int8_t *px = row + (intptr_t)x * col_step;
        const int32_t step = 2 * col_step;
        int32_t n = (n_cols - x) / 2;
        if (n > n_grp - i)
            n = n_grp - i;
        i += n;
        x += 2 * n;
        for (; n > 0; n--, px += step, dst++)
            put_group(tml_dsp_load32(px), tml_dsp_load32(px + col_step), dst);
    }
    for (; i < n_grp; i++, x += 2, dst++)
        put_group(col_word(row, x, n_cols, col_step, zp4),
                  col_word(row, x + 1, n_cols, col_step, zp4), dst);
}

/* The same for the last n_ch < 4 channels (byte loads: a word could leave
 * the input); the missing channels are the zero point. */
static void dw3_format_part(const int8_t *row, int32_t x0, int32_t n_grp, int32_t n_cols,
                            int32_t col_step, int32_t n_ch, uint32_t zp4, uint32_t *dst)
{
    for (int32_t i = 0; i < n_grp; i++, dst++) {
        uint32_t v[2] = {zp4, zp4};
        for (int k = 0; k < 2; k++) {
            const int32_t x = x0 + 2 * i + k;
            if ((uint32_t)x < (uint32_t)n_cols)
                for (int32_t j = 0; j < n_ch; j++)
                    v[k] = (v[k] & ~(0xFFu << (8 * j))) |
                           (uint32_t)(uint8_t)row[(intptr_t)x * col_step + j] << (8 * j);
        }
        put_group(v[0], v[1], dst);
    }
}

/* The convolution seen along ring rows: the input's rows (or, transposed,
 * its columns) are the ring rows, and a ring row runs along the other
 * axis. Transposing (weights too) keeps the ring rows long when the output
 * is taller than wide, so that fewer, longer rows carry the per-row work. */
typedef struct dw3_geo {
    int32_t rows, cols; /* input extent across and along ring rows */
    int32_t out_rows, out_cols;
    int32_t row_step, col_step; /* input bytes between rows, columns */
    int32_t out_row_step, out_col_step;
    int32_t stride_r, stride_c, pad_r, pad_c;
    int transposed;
} dw3_geo_t;

/* Loads the n_ch channels from c0: weights int16 [group][pass][kernel
 * row][channel of the pass][4] = 2 * (w0, w1, w1, w2) (4-byte aligned),
 * re-paired along kernel columns when transposed; requantization. */
static void dw3_group(const tml_conv_params_t *p, const int16_t *weights, const int32_t *mult,
                      const int32_t *shift, const int32_t *bias, int32_t c0, int32_t n_ch,
                      int transposed, int32_t out_step, dw3_chan_t *ch)
{
    const int16_t *wg = weights + (intptr_t)c0 * 12;
    for (int j = 0; j < n_ch; j++) {
        dw3_chan_t *q = &ch[j];
        const int32_t c = c0 + j;
        uint32_t a[3], b[3]; /* kernel row r: (w0, w1), (w1, w2) */
        for (int r = 0; r < 3; r++)
            tml_dsp_load64(wg + ((j / 2 * 3 + r) * 2 + j % 2) * 4, &a[r], &b[r]);
        if (transposed) { /* kernel column k: (w0k, w1k), (w1k, w2k) */
            q->w[0] = tml_pkhbt16(a[0], a[1]);
            q->w[1] = tml_pkhbt16(a[1], a[2]);
            q->w[2] = tml_pkhtb16(a[1], a[0]);
            q->w[3] = tml_pkhtb16(a[2], a[1]);
            q->w[4] = tml_pkhtb16(b[1], b[0]);
            q->w[5] = tml_pkhtb16(b[2], b[1]);
        } else {
            for (int r = 0; r < 3; r++) {
                q->w[2 * r] = a[r];
                q->w[2 * r + 1] = b[r];
            }
        }
        for (int k = 6; k < 10; k++)
            q->w[k] = q->w[k - 6];
        q->bias = (uint32_t)bias[c];
        q->mult = mult[c];
        q->rs = -shift[c];
        q->rc = (uint32_t)(2 * p->output_offset + 1) << (q->rs - 1);
        q->out_step = out_step;
    }
}

/* The whole convolution for one stride (along ring rows) and clamping
 * variant. */
DW3_INLINE void dw3_body(const tml_conv_params_t *p, const dw3_geo_t *g, const int8_t *input,
                         const int16_t *weights, const int32_t *mult, const int32_t *shift,
                         const int32_t *bias, int8_t *output, int stride2, int clamp)
{
    const int32_t c_n = p->in_c, n_rows = g->rows, n_cols = g->cols;
    const int32_t sr = g->stride_r;
    /* column tiles as even as the ring allows, in whole steps of 4 */
    const int32_t tile_max = stride2 ? RING_GROUPS - 1 : 2 * RING_GROUPS - 2;
    const int32_t n_tiles = (g->out_cols + tile_max - 1) / tile_max;
    int32_t tile = (g->out_cols + n_tiles - 1) / n_tiles;
    if (n_tiles > 1 && (tile + 3) / 4 * 4 <= tile_max)
        tile = (tile + 3) / 4 * 4;
    const int32_t lo = p->act_min, hi = p->act_max;
    const uint32_t zp4 = ((uint32_t)-p->input_offset & 0xFFu) * 0x01010101u;
    const uint32_t zp_pair = ((uint32_t)-p->input_offset & 0xFFFFu) * 0x10001u;
    uint32_t ring[3 * SLOT_WORDS];
    dw3_chan_t ch[4];
    for (int32_t b = 0; b < p->n; b++) {
        const int8_t *in_b = input + (intptr_t)b * p->in_h * p->in_w * c_n;
        int8_t *out_b = output + (intptr_t)b * p->out_h * p->out_w * c_n;
        for (int32_t c0 = 0; c0 < c_n; c0 += 4) {
            const int32_t n_ch = c_n - c0 < 4 ? c_n - c0 : 4;
            dw3_group(p, weights, mult, shift, bias, c0, n_ch, g->transposed, g->out_col_step, ch);
            for (int32_t ox0 = 0; ox0 < g->out_cols; ox0 += tile) {
                const int32_t n_out = g->out_cols - ox0 < tile ? g->out_cols - ox0 : tile;
                const int32_t x0 = ox0 * g->stride_c - g->pad_c;
                /* pairs read: stride 1 up to (n_out + 1) / 2 */
                const int32_t n_grp = stride2 ? n_out + 1 : (n_out + 3) / 2;
                int32_t slot_iy[3] = {INT32_MIN, INT32_MIN, INT32_MIN};
                int32_t y3 = 0; /* (oy * sr) % 3: the slot of kernel row 0 */
                for (int32_t oy = 0; oy < g->out_rows; oy++) {
                    const int32_t iy0 = oy * sr - g->pad_r;
                    for (int32_t ky = 0; ky < 3; ky++) {
                        const int32_t iy = iy0 + ky;
                        const int32_t slot = y3 + ky < 3 ? y3 + ky : y3 + ky - 3;
                        if (slot_iy[slot] == iy)
                            continue;
                        slot_iy[slot] = iy;
                        uint32_t *dst = ring + slot * SLOT_WORDS;
                        if ((uint32_t)iy >= (uint32_t)n_rows) {
                            for (int32_t i = 0; i < SLOT_WORDS; i += 2) /* STRD */
                                dst[i] = dst[i + 1] = zp_pair;
                            continue;
                        }
                        const int8_t *row = in_b + (intptr_t)iy * g->row_step + c0;
                        if (n_ch == 4)
                            dw3_format(row, x0, n_grp, n_cols, g->col_step, zp4, dst);
                        else
                            dw3_format_part(row, x0, n_grp, n_cols, g->col_step, n_ch, zp4, dst);
                    }
                    const int32_t start = y3 ? 3 - y3 : 0;
                    int8_t *out = out_b + (intptr_t)oy * g->out_row_step +
                                  (intptr_t)ox0 * g->out_col_step + c0;
                    for (int32_t j = 0; j < n_ch; j++)
                        dw3_row(ring + j * RING_GROUPS, &ch[j].w[2 * start], &ch[j], out + j,
                                g->out_col_step, n_out, stride2, clamp, lo, hi);
                    y3 += sr;
                    while (y3 >= 3)
                        y3 -= 3;
                }
            }
        }
    }
}

void tml_dwconv2d_3x3_s8_dsp(const tml_conv_params_t *p, const int8_t *input,
                             const int16_t *weights, const int32_t *mult, const int32_t *shift,
                             const int32_t *bias, int8_t *output)
{
    const int32_t c_n = p->in_c;
    dw3_geo_t g;
    g.transposed = p->out_h > p->out_w;
    if (g.transposed) { /* ring rows are input columns; out is [n, out_h, out_w, c_n] */
        g.rows = p->in_w, g.cols = p->in_h, g.out_rows = p->out_w, g.out_cols = p->out_h;
        g.row_step = c_n, g.col_step = p->in_w * c_n;
        g.out_row_step = c_n, g.out_col_step = p->out_w * c_n;
        g.stride_r = p->stride_w, g.stride_c = p->stride_h;
        g.pad_r = p->pad_left, g.pad_c = p->pad_top;
    } else {
        g.rows = p->in_h, g.cols = p->in_w, g.out_rows = p->out_h, g.out_cols = p->out_w;
        g.row_step = p->in_w * c_n, g.col_step = c_n;
        g.out_row_step = p->out_w * c_n, g.out_col_step = c_n;
        g.stride_r = p->stride_h, g.stride_c = p->stride_w;
        g.pad_r = p->pad_top, g.pad_c = p->pad_left;
    }
    /* Specialized copies for the common case (no clamping beyond int8);
     * one copy, with the stride a variable, for activations that clamp. */
    if (p->act_min > -128 || p->act_max < 127)
        dw3_body(p, &g, input, weights, mult, shift, bias, output, g.stride_c == 2, 1);
    else if (g.stride_c == 2)
        dw3_body(p, &g, input, weights, mult, shift, bias, output, 1, 0);
    else
        dw3_body(p, &g, input, weights, mult, shift, bias, output, 0, 0);
}
