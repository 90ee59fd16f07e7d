/*
 * tml_fixedpoint.h - the fixed-point arithmetic of the TFLite quantization
 * spec (gemmlowp semantics), shared by every int8 kernel.
 *
 * Bit-exactness with TensorFlow Lite Micro depends on these matching its
 * reference kernels exactly, including the double rounding of
 * MultiplyByQuantizedMultiplier (TFLM does not define TFLITE_SINGLE_ROUNDING).
 * Multiplications that may wrap are done in unsigned arithmetic so that they
 * are defined behaviour in C.
 */
#ifndef TML_FIXEDPOINT_H
#define TML_FIXEDPOINT_H

#include <stdint.h>

/* (a * b * 2) >> 32 with round-to-nearest, saturating the one overflow case. */
static inline int32_t tml_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN)
        return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero. exponent 0..31. */
static inline int32_t tml_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^shift, multiplier a Q31 value in [2^30, 2^31). */
static inline int32_t tml_mul_by_quantized_mul(int32_t x, int32_t multiplier, int32_t shift)
{
    int32_t left_shift = shift > 0 ? shift : 0;
    int32_t right_shift = shift > 0 ? 0 : -shift;
    int32_t shifted = (int32_t)((uint32_t)x << left_shift);
    return tml_rounding_divide_by_pot(tml_sat_rounding_doubling_high_mul(shifted, multiplier),
                                      right_shift);
}

static inline int32_t tml_clamp_i32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

#endif /* TML_FIXEDPOINT_H */
