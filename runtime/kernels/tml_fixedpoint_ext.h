/*
 * tml_fixedpoint_ext.h - the transcendental fixed-point functions of the
 * int8 softmax, logistic and tanh kernels, plus the 16-bit arithmetic of
 * hard-swish and a float-word reader. Private to runtime/kernels.
 *
 * These reproduce gemmlowp's fixedpoint.h semantics, which TFLM's reference
 * kernels use: a value with I integer bits is an int32 raw r meaning
 * r * 2^(I - 31). Products of such values are SaturatingRoundingDoublingHigh
 * Mul of the raws (integer bits add up); sums are raw sums. exp() of a
 * negative value splits it into a part in [-1/4, 0) (a 4th-order Taylor
 * polynomial around -1/8) and a multiple of 1/4 whose bits select constant
 * factors exp(-2^k); 1/(1+x) is three Newton-Raphson steps from 48/17 -
 * 32/17 * x. The constants are exp(-2^k), exp(-1/8), 1/3, 48/17 and -32/17
 * in the fixed-point formats used (checked with Python's math module).
 */
#ifndef TML_FIXEDPOINT_EXT_H
#define TML_FIXEDPOINT_EXT_H

#include <stdint.h>

#include "tml_fixedpoint.h"

/* The float whose IEEE-754 bits are word (params store floats this way). */
static inline float tml_f32_from_word(int32_t word)
{
    float value;
    __builtin_memcpy(&value, &word, sizeof(value));
    return value;
}

/* Shorter name for the Q31 fixed-point product of two raws. */
static inline int32_t fp_mul(int32_t a, int32_t b)
{
    return tml_sat_rounding_doubling_high_mul(a, b);
}

/* x * 2^exponent, rounded to nearest when exponent < 0, saturating to the
 * int32 range when exponent > 0 (gemmlowp SaturatingRoundingMultiplyByPOT). */
static inline int32_t fp_mul_by_pot(int32_t x, int exponent)
{
    if (exponent == 0)
        return x;
    if (exponent < 0)
        return tml_rounding_divide_by_pot(x, -exponent);
    int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold)
        return INT32_MAX;
    if (x < -threshold)
        return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
}

/* (a + b) / 2 rounded to nearest, ties away from zero, without overflow. */
static inline int32_t fp_rounding_half_sum(int32_t a, int32_t b)
{
    int64_t sum = (int64_t)a + (int64_t)b;
    int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

#define FP_ONE_Q0 INT32_MAX /* 1.0 with 0 integer bits (saturated) */

/* exp(a) for a in [-1/4, 0); a and the result have 0 integer bits. */
static inline int32_t fp_exp_on_interval_neg_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    /* Taylor expansion around -1/8: x = a + 1/8. */
    int32_t x = a + (1 << 28);
    int32_t x2 = fp_mul(x, x);
    int32_t x3 = fp_mul(x2, x);
    int32_t x4 = fp_mul(x2, x2);
    int32_t x4_over_4 = fp_mul_by_pot(x4, -2);
    int32_t poly = fp_mul_by_pot(fp_mul(x4_over_4 + x3, one_third) + x2, -1);
    return exp_minus_one_eighth + fp_mul(exp_minus_one_eighth, x + poly);
}

/* exp(a) for a <= 0 with integer_bits (1..5) integer bits; the result has 0
 * integer bits. */
static inline int32_t fp_exp_on_negative_values(int32_t a, int integer_bits)
{
    static const int32_t exp_minus_pot[7] = {
        1672461947, /* exp(-1/4) */
        1302514674, /* exp(-1/2) */
        790015084,  /* exp(-1) */
        290630308,  /* exp(-2) */
        39332535,   /* exp(-4) */
        720401,     /* exp(-8) */
        242,        /* exp(-16) */
    };
    const int frac_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
    int32_t result = fp_exp_on_interval_neg_quarter(
        fp_mul_by_pot(a_mod_quarter_minus_quarter, integer_bits));
    /* remainder = the multiple of 1/4 still to apply, as a positive raw */
    int32_t remainder = (int32_t)((uint32_t)a_mod_quarter_minus_quarter - (uint32_t)a);
    for (int k = 0; k < 7; k++) {
        int exponent = k - 2; /* factor exp(-2^exponent) */
        if (integer_bits > exponent) {
            int shift = frac_bits + exponent;
            if (remainder & ((int32_t)1 << shift))
                result = fp_mul(result, exp_minus_pot[k]);
        }
    }
    return a == 0 ? FP_ONE_Q0 : result;
}

/* Newton-Raphson iterate for 1 / (1 + a) with a in [0, 1]: returns x in
 * Q2.29 approximating 1 / ((1 + a) / 2); half_den receives (1 + a) / 2. */
static inline int32_t fp_reciprocal_half_den(int32_t a, int32_t *half_den)
{
    const int32_t c48_over_17 = 1515870810;       /* Q2.29 */
    const int32_t c_neg32_over_17 = -1010580540;  /* Q2.29 */
    const int32_t one_q2 = (int32_t)1 << 29;
    int32_t hd = fp_rounding_half_sum(a, FP_ONE_Q0);
    int32_t x = c48_over_17 + fp_mul(hd, c_neg32_over_17);
    for (int i = 0; i < 3; i++) {
        int32_t one_minus_hd_x = one_q2 - fp_mul(hd, x);
        x = x + fp_mul_by_pot(fp_mul(x, one_minus_hd_x), 2);
    }
    *half_den = hd;
    return x;
}

/* 1 / (1 + a) for a in [0, 1], both with 0 integer bits. */
static inline int32_t fp_one_over_one_plus_x(int32_t a)
{
    int32_t hd;
    int32_t x = fp_reciprocal_half_den(a, &hd);
    /* x has 2 integer bits and is 2/(1+a); read it with 1 integer bit. */
    return fp_mul_by_pot(x, 1);
}

/* (1 - a) / (1 + a) for a in [0, 1], both with 0 integer bits. */
static inline int32_t fp_one_minus_x_over_one_plus_x(int32_t a)
{
    int32_t hd;
    int32_t x = fp_reciprocal_half_den(a, &hd);
    return fp_mul_by_pot(x - ((int32_t)1 << 29), 2);
}

/* logistic(a) for a with integer_bits integer bits; result 0 integer bits. */
static inline int32_t fp_logistic(int32_t a, int integer_bits)
{
    if (a == 0)
        return (int32_t)1 << 30;
    int32_t neg_abs = a > 0 ? -a : a;
    int32_t positive = fp_one_over_one_plus_x(fp_exp_on_negative_values(neg_abs, integer_bits));
    return a > 0 ? positive : FP_ONE_Q0 - positive;
}

/* tanh(a) for a with integer_bits (<= 4) integer bits; result 0 integer bits. */
static inline int32_t fp_tanh(int32_t a, int integer_bits)
{
    if (a == 0)
        return 0;
    int32_t neg_abs = a < 0 ? a : -a;
    /* exp(-2|a|): the same raw read with one more integer bit is 2|a|. */
    int32_t t = fp_one_minus_x_over_one_plus_x(fp_exp_on_negative_values(neg_abs, integer_bits + 1));
    return a < 0 ? -t : t;
}

/* Reciprocal of x (> 0, with integer_bits integer bits) as a value in
 * [1/2, 1] with 0 integer bits, scaled by 2^-*num_bits_over_unit. */
static inline int32_t fp_get_reciprocal(int32_t x, int integer_bits, int *num_bits_over_unit)
{
    int headroom_plus_one = __builtin_clz((uint32_t)x);
    *num_bits_over_unit = integer_bits - headroom_plus_one;
    int32_t shifted_minus_one = (int32_t)(((uint32_t)x << headroom_plus_one) - (1u << 31));
    return fp_one_over_one_plus_x(shifted_minus_one);
}

/* ---- 16-bit arithmetic (hard-swish) ------------------------------------ */

static inline int16_t fp16_sat_rounding_doubling_high_mul(int16_t a, int16_t b)
{
    if (a == b && a == INT16_MIN)
        return INT16_MAX;
    int32_t ab = (int32_t)a * (int32_t)b;
    int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* As above without the rounding nudge (truncates toward zero). */
static inline int16_t fp16_sat_doubling_high_mul(int16_t a, int16_t b)
{
    if (a == b && a == INT16_MIN)
        return INT16_MAX;
    int32_t ab = (int32_t)a * (int32_t)b;
    return (int16_t)(ab / (1 << 15));
}

static inline int16_t fp16_sat_left_shift(int16_t x, int amount)
{
    int32_t r = (int32_t)x * ((int32_t)1 << amount);
    return (int16_t)tml_clamp_i32(r, INT16_MIN, INT16_MAX);
}

static inline int16_t fp16_rounding_divide_by_pot(int16_t x, int exponent)
{
    return (int16_t)tml_rounding_divide_by_pot(x, exponent);
}

#endif /* TML_FIXEDPOINT_EXT_H */
