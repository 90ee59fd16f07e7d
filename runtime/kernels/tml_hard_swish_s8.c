/*
 * tml_hard_swish_s8.c - int8 hard-swish x * relu6(x + 3) / 6, as TFLM's
 * reference_ops::HardSwish<int8_t>, in 16-bit fixed point:
 *  - x - zp is moved to a 7-bit finer "hires" scale;
 *  - x on the (pre-shift) output scale via the Q15 output multiplier;
 *  - a "reluish" factor: x rescaled so that 3.0 is 32768 (saturating; the
 *    left shift is split so that only its last bit can saturate), mapped
 *    from [-1, 1] to [0, 1];
 *  - the product (truncating doubling high mul, which TFLM chose to cancel
 *    the bias of the rounding ones), shifted right to the output scale,
 *    offset and clamped.
 */
#include "tml/kernels.h"
#include "tml_fixedpoint_ext.h"

void tml_hard_swish_s8(const tml_hard_swish_s8_params_t *p, const int8_t *in, int8_t *out)
{
    const int16_t out_mult = (int16_t)p->out_mult;
    const int16_t reluish_mult = (int16_t)p->reluish_mult;
    for (int32_t i = 0; i < p->n; i++) {
        int16_t x = (int16_t)((int32_t)in[i] - p->in_zp);
        int16_t x_hires = (int16_t)(x * (1 << 7));
        int16_t x_out_scale = fp16_sat_rounding_doubling_high_mul(x_hires, out_mult);

        int16_t reluish = x_hires;
        if (p->reluish_exp > 0)
            reluish = fp16_sat_left_shift(reluish, p->reluish_exp - 1);
        reluish = fp16_sat_rounding_doubling_high_mul(reluish, reluish_mult);
        if (p->reluish_exp > 0)
            reluish = fp16_sat_left_shift(reluish, 1);
        if (p->reluish_exp < 0)
            reluish = fp16_rounding_divide_by_pot(reluish, -p->reluish_exp);
        reluish = (int16_t)(((int32_t)reluish + (1 << 15)) >> 1); /* [-1, 1] -> [0, 1] */

        int16_t y = fp16_sat_doubling_high_mul(reluish, x_out_scale);
        /* TFLM adds the zero point in int16 (wrapping) before clamping. */
        int16_t r = (int16_t)(uint16_t)((int32_t)fp16_rounding_divide_by_pot(y, -p->out_exp) + p->out_zp);
        out[i] = (int8_t)tml_clamp_i32(r, INT8_MIN, INT8_MAX);
    }
}
