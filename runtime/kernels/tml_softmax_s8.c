/*
 * tml_softmax_s8.c - int8 softmax over the last axis.
 *
 * Matches TFLM's reference_ops::Softmax<int8_t, int8_t>: per row, the
 * difference of each input from the row maximum is scaled by beta *
 * input_scale into Q5.26 (skipped, giving -128, when below diff_min), exp()
 * is taken in fixed point, the exps are summed in Q12.19, and each output is
 * exp * (1 / sum) rounded to 1/256 steps and offset by -128.
 */
#include "tml/kernels.h"
#include "tml_fixedpoint_ext.h"

enum { SCALED_DIFF_INT_BITS = 5, ACCUM_INT_BITS = 12 };

/* exp(in - max) in Q0.31 for a difference that passed the diff_min test. */
static inline int32_t exp_of_diff(const tml_softmax_s8_params_t *p, int32_t diff)
{
    /* MultiplyByQuantizedMultiplierGreaterThanOne: diff_min guarantees the
     * shifted difference fits in int32. */
    int32_t scaled = fp_mul((int32_t)((uint32_t)diff << p->input_left_shift), p->input_mult);
    return fp_exp_on_negative_values(scaled, SCALED_DIFF_INT_BITS);
}

void tml_softmax_s8(const tml_softmax_s8_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t row = 0; row < p->outer; row++) {
        const int8_t *x = in + row * p->depth;
        int8_t *y = out + row * p->depth;
        int32_t max = INT8_MIN;
        for (int32_t c = 0; c < p->depth; c++)
            max = x[c] > max ? x[c] : max;

        int32_t sum = 0; /* Q12.19 */
        for (int32_t c = 0; c < p->depth; c++) {
            int32_t diff = (int32_t)x[c] - max;
            if (diff >= p->diff_min)
                sum += fp_mul_by_pot(exp_of_diff(p, diff), -ACCUM_INT_BITS);
        }

        int num_bits_over_unit;
        int32_t scale = fp_get_reciprocal(sum, ACCUM_INT_BITS, &num_bits_over_unit);
        int exponent = num_bits_over_unit + 31 - 8;

        /* Each y[c] is written after x[c] was read for the last time, so
         * in and out may be the same buffer. */
        for (int32_t c = 0; c < p->depth; c++) {
            int32_t diff = (int32_t)x[c] - max;
            if (diff >= p->diff_min) {
                int32_t prod = fp_mul(scale, exp_of_diff(p, diff)); /* >= 0 */
                int32_t r;
                if (exponent <= 31)
                    r = tml_rounding_divide_by_pot(prod, exponent);
                else /* TFLM aborts here (rows of > 511 near-maximal values) */
                    r = (int32_t)(((int64_t)prod + ((int64_t)1 << (exponent - 1))) >> exponent);
                y[c] = (int8_t)tml_clamp_i32(r + INT8_MIN, INT8_MIN, INT8_MAX);
            } else {
                y[c] = INT8_MIN;
            }
        }
    }
}
