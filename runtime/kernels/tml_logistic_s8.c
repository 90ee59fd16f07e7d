/*
 * tml_logistic_s8.c - int8 logistic (sigmoid), as TFLM's
 * reference_integer_ops::Logistic: inputs at least input_range_radius from
 * the zero point saturate to -128 / 127; the others are scaled into Q4.27,
 * go through gemmlowp's fixed-point logistic, and are rounded to the output
 * scale 1/256 with zero point -128.
 */
#include "tml/kernels.h"
#include "tml_fixedpoint_ext.h"

void tml_logistic_s8(const tml_sigmoid_s8_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->n; i++) {
        int32_t x = (int32_t)in[i] - p->in_zp;
        if (x <= -p->input_range_radius) {
            out[i] = INT8_MIN;
        } else if (x >= p->input_range_radius) {
            out[i] = INT8_MAX;
        } else {
            int32_t x_q4 = tml_mul_by_quantized_mul(x, p->input_mult, p->input_left_shift);
            int32_t y_q0 = fp_logistic(x_q4, 4);
            int32_t y = tml_rounding_divide_by_pot(y_q0, 31 - 8) + INT8_MIN;
            out[i] = (int8_t)tml_clamp_i32(y, INT8_MIN, INT8_MAX);
        }
    }
}
