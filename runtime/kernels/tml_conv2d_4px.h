/*
 * tml_conv2d_4px.h - the engine of CONV2D_4PX_S8_DSP and CONV2D_4PX_OUT_S8_DSP
 * (tml/kernels/nn.h): four output pixels at a time for cores with the DSP
 * extension (tml_dsp.h). Private to runtime/kernels.
 *
 * The windows of four pixels are widened to int16 once, into scratch, and
 * then read by every output channel: per pair of input values the inner
 * loop widens one weight word into the two channels' int16 pairs and
 * multiplies each with the four pixels' pairs, 8 SMLADs for 7 other
 * instructions. The scratch keeps the four pixels' words side by side
 * (word 4 * j + p is pair j of pixel p), so one pointer and constant offsets
 * reach them all and there is no bounds check inside a window: padding was
 * written into the scratch as the input zero point.
 *
 * Pairs follow SXTB16: pair 2g of a window is its values (4g, 4g + 2),
 * pair 2g + 1 is (4g + 1, 4g + 3); the weights are laid out offline so that
 * SXTB16 and SXTB16 ROR #8 of one word give the matching pairs of two
 * channels ("pair-crossed").
 */
#ifndef TML_CONV2D_4PX_H
#define TML_CONV2D_4PX_H

#include "tml/kernels/nn.h"
#include "tml_dsp.h"

static inline void store32(uint32_t *dst, uint32_t v)
{
    __builtin_memcpy(dst, &v, 4);
}

/* Fill n groups of 4 values of pixel column col with the zero point. */
static inline uint32_t *fill_zp(uint32_t *col, int32_t n, uint32_t zp2)
{
    for (int32_t i = 0; i < n; i++, col += 8) {
        store32(col, zp2);
        store32(col + 4, zp2);
    }
    return col;
}

/* n groups of 4 int8 values at src (4-byte aligned: tensors are, and in_c
 * is a multiple of 4) widened into column col; returns col past them. Two
 * groups a pass, read with one LDRD. */
static inline uint32_t *widen(const int8_t *src, int32_t n, uint32_t *col)
{
    for (; n >= 2; n -= 2, src += 8, col += 16) {
        uint32_t v0, v1;
        tml_dsp_load64(src, &v0, &v1);
        store32(col, tml_sxtb16(v0));
        store32(col + 4, tml_sxtb16_ror8(v0));
        store32(col + 8, tml_sxtb16(v1));
        store32(col + 12, tml_sxtb16_ror8(v1));
    }
    if (n) {
        const uint32_t v = tml_dsp_load32(src);
        store32(col, tml_sxtb16(v));
        store32(col + 4, tml_sxtb16_ror8(v));
        col += 8;
    }
    return col;
}

/* The window of output pixel px, widened, into column col (stride 4 words). */
static inline void im2col(const tml_conv_params_t *p, const int8_t *input, int32_t px,
                          uint32_t *col, uint32_t zp2)
{
    const int32_t in_c = p->in_c, per_img = p->out_h * p->out_w, g_c = in_c / 4;
    const int32_t b = px / per_img, oy = (px % per_img) / p->out_w, ox = px % p->out_w;
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    const int32_t kx_lo = x0 < 0 ? -x0 : 0;
    const int32_t kx_hi = x0 + p->k_w > p->in_w ? p->in_w - x0 : p->k_w;
    const int8_t *in_b = input + b * p->in_h * p->in_w * in_c;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t y = y0 + ky;
        if (y < 0 || y >= p->in_h || kx_lo >= kx_hi) {
            col = fill_zp(col, p->k_w * g_c, zp2);
            continue;
        }
        col = fill_zp(col, kx_lo * g_c, zp2);
        col = widen(in_b + (y * p->in_w + x0 + kx_lo) * in_c, (kx_hi - kx_lo) * g_c, col);
        col = fill_zp(col, (p->k_w - kx_hi) * g_c, zp2);
    }
}

/* One channel's requantization, prepared once per channel. */
typedef struct rq {
    uint32_t m2, rc;
    int32_t rs, mult, shift;
} rq_t;

static inline rq_t rq_prep(int32_t mult, int32_t shift, int32_t out_off)
{
    rq_t r = {(uint32_t)mult << 1, 0, -shift, mult, shift};
    if ((uint32_t)(r.rs - 1) < 21u)
        r.rc = (uint32_t)(2 * out_off + 1) << (r.rs - 1);
    return r;
}

/* tml_dsp_rq with the per-channel part done by rq_prep. */
static inline int8_t rq(uint32_t acc, const rq_t *r, int32_t out_off, int32_t lo, int32_t hi)
{
    if ((uint32_t)(r->rs - 1) >= 21u)
        return tml_dsp_requant(acc, r->mult, r->shift, out_off, lo, hi);
    int32_t t = (int32_t)tml_smmlar(acc, r->m2, acc + r->rc);
    t = (int32_t)((uint32_t)t + (uint32_t)((int32_t)acc >> 31));
    t >>= r->rs;
    t = t < lo ? lo : t;
    return (int8_t)(t > hi ? hi : t);
}

/* acc[p][c] += window p . channel c, for the 4 pixel columns of col and the
 * pair-crossed weights of two channels at w; k a multiple of 4, at least 4. */
static inline void mac_4x2(const uint32_t *col, const int8_t *w, int32_t k, uint32_t acc[8])
{
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    uint32_t a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__OPTIMIZE__)
    /* The C below needs 15 live registers and GCC spills accumulators;
     * here the loop bound lives on the stack and every value in a register:
     * 64 instructions per 64 multiply-accumulates (8 values a pass, after
     * one group of 4 when k is an odd number of groups). */
#define MAC_HALF(o0, o1, o2, o3)                                                                   \
    "ldr %[ww], [%[w]], #4\n\t"                                                                    \
    "sxtb16 %[t0], %[ww]\n\t"                                                                      \
    "sxtb16 %[ww], %[ww], ror #8\n\t"                                                              \
    "ldr %[x], [%[col], #" o0 "]\n\t"                                                              \
    "smlad %[a0], %[t0], %[x], %[a0]\n\t"                                                          \
    "smlad %[a1], %[ww], %[x], %[a1]\n\t"                                                          \
    "ldr %[x], [%[col], #" o1 "]\n\t"                                                              \
    "smlad %[a2], %[t0], %[x], %[a2]\n\t"                                                          \
    "smlad %[a3], %[ww], %[x], %[a3]\n\t"                                                          \
    "ldr %[x], [%[col], #" o2 "]\n\t"                                                              \
    "smlad %[a4], %[t0], %[x], %[a4]\n\t"                                                          \
    "smlad %[a5], %[ww], %[x], %[a5]\n\t"                                                          \
    "ldr %[x], [%[col], #" o3 "]\n\t"                                                              \
    "smlad %[a6], %[t0], %[x], %[a6]\n\t"                                                          \
    "smlad %[a7], %[ww], %[x], %[a7]\n\t"
#define MAC_OUTS                                                                                   \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [a4] "+r"(a4), [a5] "+r"(a5),      \
        [a6] "+r"(a6), [a7] "+r"(a7), [w] "+r"(w), [col] "+r"(col), [ww] "=&r"(ww),                \
        [t0] "=&r"(t0), [x] "=&r"(x)
    uint32_t ww, t0, x;
    if (k & 4)
        __asm__(MAC_HALF("0", "4", "8", "12")
                    MAC_HALF("16", "20", "24", "28") "adds %[col], %[col], #32\n\t"
                : MAC_OUTS
                :
                : "cc", "memory");
    if (k >= 8) {
        const int8_t *w_end = w + 2 * (k & ~7);
        __asm__("1:\n\t" MAC_HALF("0", "4", "8", "12") MAC_HALF("16", "20", "24", "28")
                    MAC_HALF("32", "36", "40", "44")
                        MAC_HALF("48", "52", "56", "60") "adds %[col], %[col], #64\n\t"
                                                         "ldr %[x], %[end]\n\t"
                                                         "cmp %[w], %[x]\n\t"
                                                         "bne 1b\n\t"
                : MAC_OUTS
                : [end] "m"(w_end)
                : "cc", "memory");
    }
#undef MAC_HALF
#undef MAC_OUTS
#else
    const int8_t *w_end = w + 2 * k;
    while (w != w_end) {
        for (int h = 0; h < 2; h++, w += 4, col += 4) {
            const uint32_t ww = tml_dsp_load32(w);
            const uint32_t t0 = tml_sxtb16(ww), t1 = tml_sxtb16_ror8(ww);
            uint32_t x = tml_dsp_load32(col + 0);
            a0 = tml_smlad(t0, x, a0);
            a1 = tml_smlad(t1, x, a1);
            x = tml_dsp_load32(col + 1);
            a2 = tml_smlad(t0, x, a2);
            a3 = tml_smlad(t1, x, a3);
            x = tml_dsp_load32(col + 2);
            a4 = tml_smlad(t0, x, a4);
            a5 = tml_smlad(t1, x, a5);
            x = tml_dsp_load32(col + 3);
            a6 = tml_smlad(t0, x, a6);
            a7 = tml_smlad(t1, x, a7);
        }
    }
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = a4;
    acc[5] = a5;
    acc[6] = a6;
    acc[7] = a7;
}

/* acc[p] += window p . the plain weight row at w (k a multiple of 4). */
static inline void mac_4x1(const uint32_t *col, const int8_t *w, int32_t k, uint32_t acc[4])
{
    for (int32_t g = 0; g < k / 4; g++, w += 4, col += 8) {
        const uint32_t ww = tml_dsp_load32(w);
        const uint32_t t0 = tml_sxtb16(ww), t1 = tml_sxtb16_ror8(ww);
        for (int p = 0; p < 4; p++)
            acc[p] = tml_smlad(t1, tml_dsp_load32(col + 4 + p),
                               tml_smlad(t0, tml_dsp_load32(col + p), acc[p]));
    }
}

/* rq for a channel whose shift the fast path takes; full: the activation
 * range is all of int8, which SSAT alone enforces. */
static inline int8_t rq_fast(uint32_t acc, uint32_t m2, uint32_t rc, int32_t rs, int32_t lo,
                             int32_t hi, int full)
{
    int32_t t = (int32_t)tml_smmlar(acc, m2, acc + rc);
    t = (int32_t)((uint32_t)t + (uint32_t)((int32_t)acc >> 31));
    t >>= rs;
    if (full)
        return (int8_t)tml_ssat8(t);
    t = t < lo ? lo : t;
    return (int8_t)(t > hi ? hi : t);
}

/* The 4 x 2 outputs of acc (pixel-major) at out (row stride out_c). */
static inline void store_4x2(const uint32_t acc[8], const rq_t *r0, const rq_t *r1, int8_t *out,
                             int32_t out_c, int32_t lo, int32_t hi, int full)
{
    for (int i = 0; i < 4; i++, out += out_c) {
        out[0] = rq_fast(acc[2 * i], r0->m2, r0->rc, r0->rs, lo, hi, full);
        out[1] = rq_fast(acc[2 * i + 1], r1->m2, r1->rc, r1->rs, lo, hi, full);
    }
}

/* Output pixels [px_lo, px_hi) of the convolution, in groups of four, with
 * col (4-byte aligned, 8 * k bytes) for the widened windows. */
static inline void conv4px_range(const tml_conv_params_t *p, const int8_t *input,
                                 const int8_t *weights, const int32_t *mult, const int32_t *shift,
                                 const int32_t *bias, int8_t *output, uint32_t *col, int32_t px_lo,
                                 int32_t px_hi)
{
    const int32_t k = p->k_h * p->k_w * p->in_c, out_c = p->out_c;
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    const uint32_t zp = (uint16_t)(int16_t)-p->input_offset;
    /* every shift on rq's fast path: no test per output (the usual case) */
    int fast = 1;
    for (int32_t oc = 0; oc < out_c; oc++)
        fast &= (uint32_t)(-shift[oc] - 1) < 21u;
    const int full = lo == -128 && hi == 127;
    for (int32_t px = px_lo; px < px_hi; px += 4) {
        const int n = px_hi - px < 4 ? (int)(px_hi - px) : 4;
        for (int i = 0; i < 4; i++) {
            if (i < n)
                im2col(p, input, px + i, col + i, zp | zp << 16);
            else
                fill_zp(col + i, k / 4, zp | zp << 16);
        }
        int8_t *out = output + px * out_c; /* out is [n, out_h, out_w, out_c] */
        const int8_t *w = weights;
        int32_t oc = 0;
        for (; oc + 2 <= out_c; oc += 2, w += 2 * k) {
            uint32_t acc[8];
            acc[0] = acc[2] = acc[4] = acc[6] = (uint32_t)bias[oc];
            acc[1] = acc[3] = acc[5] = acc[7] = (uint32_t)bias[oc + 1];
            mac_4x2(col, w, k, acc);
            const rq_t r0 = rq_prep(mult[oc], shift[oc], out_off);
            const rq_t r1 = rq_prep(mult[oc + 1], shift[oc + 1], out_off);
            if (fast && n == 4) {
                if (full)
                    store_4x2(acc, &r0, &r1, out + oc, out_c, lo, hi, 1);
                else
                    store_4x2(acc, &r0, &r1, out + oc, out_c, lo, hi, 0);
                continue;
            }
            for (int i = 0; i < n; i++) {
                out[i * out_c + oc] = rq(acc[2 * i], &r0, out_off, lo, hi);
                out[i * out_c + oc + 1] = rq(acc[2 * i + 1], &r1, out_off, lo, hi);
            }
        }
        if (oc < out_c) {
            uint32_t acc[4];
            acc[0] = acc[1] = acc[2] = acc[3] = (uint32_t)bias[oc];
            mac_4x1(col, w, k, acc);
            const rq_t r = rq_prep(mult[oc], shift[oc], out_off);
            for (int i = 0; i < n; i++)
                out[i * out_c + oc] = rq(acc[i], &r, out_off, lo, hi);
        }
    }
}

#endif /* TML_CONV2D_4PX_H */
