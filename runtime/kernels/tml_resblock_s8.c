/*
 * tml_resblock_s8.c - a residual block (conv, conv, add) row by row, so the
 * block's output can overwrite its input (tml/kernels/inplace.h).
 *
 * Each row of a is computed once, into a ring of conv_b.k_h rows, just
 * before the first row of b that needs it; each row of b is then added to
 * x and written over x's row as soon as it is done. The arithmetic is
 * tml_conv2d_s8's (TFLM ConvPerChannel) for both convs and tml_add_s8's
 * (TFLM quantized ADD) for the sum, term for term, so the result is the
 * three kernels' bit for bit; only the order of the work differs.
 */
#include "tml/kernels/inplace.h"
#include "tml_fixedpoint.h"

/* Output (oy, ox, oc) of a stride_h 1, dilation_h 1 conv. Input row y is
 * at in + (ring_rows ? y % ring_rows : y) * in_w * in_c. */
static int8_t conv_point(const tml_conv_params_t *p, const int8_t *in, int32_t ring_rows,
                         const int8_t *weights, const int32_t *mult, const int32_t *shift,
                         const int32_t *bias, int32_t oy, int32_t ox, int32_t oc)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c;
    const int32_t y0 = oy - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    const int8_t *w_oc = weights + oc * p->k_h * p->k_w * in_c;
    uint32_t acc = 0;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t y = y0 + ky;
        if (y < 0 || y >= in_h)
            continue;
        const int8_t *in_row = in + (ring_rows ? y % ring_rows : y) * in_w * in_c;
        for (int32_t kx = 0; kx < p->k_w; kx++) {
            const int32_t x = x0 + kx * p->dilation_w;
            if (x < 0 || x >= in_w)
                continue;
            const int8_t *px = in_row + x * in_c;
            const int8_t *pw = w_oc + (ky * p->k_w + kx) * in_c;
            for (int32_t ic = 0; ic < in_c; ic++)
                acc += (uint32_t)((int32_t)pw[ic] * ((int32_t)px[ic] + p->input_offset));
        }
    }
    if (bias)
        acc += (uint32_t)bias[oc];
    int32_t v = tml_mul_by_quantized_mul((int32_t)acc, mult[oc], shift[oc]);
    v = (int32_t)((uint32_t)v + (uint32_t)p->output_offset);
    return (int8_t)tml_clamp_i32(v, p->act_min, p->act_max);
}

/* ADD_S8's element (or ADD_S8_LUT's, with the rescales tabulated). */
static inline int8_t add_one(const tml_resblock_s8_params_t *p, const int32_t *lut_x,
                             const int32_t *lut_b, int8_t x, int8_t b)
{
    int32_t s1, s2;
    if (lut_x) {
        s1 = lut_x[x + 128];
        s2 = lut_b[b + 128];
    } else {
        int32_t x1 = ((int32_t)x + p->x_offset) * ((int32_t)1 << p->left_shift);
        int32_t x2 = ((int32_t)b + p->b_offset) * ((int32_t)1 << p->left_shift);
        s1 = tml_mul_by_quantized_mul(x1, p->x_mult, p->x_shift);
        s2 = tml_mul_by_quantized_mul(x2, p->b_mult, p->b_shift);
    }
    int32_t sum = tml_mul_by_quantized_mul(s1 + s2, p->out_mult, p->out_shift) + p->out_offset;
    return (int8_t)tml_clamp_i32(sum, p->act_min, p->act_max);
}

void tml_resblock_s8(const tml_resblock_s8_params_t *p, const int8_t *x,
                     const int8_t *weights_a, const int32_t *mult_a, const int32_t *shift_a,
                     const int32_t *bias_a, const int8_t *weights_b, const int32_t *mult_b,
                     const int32_t *shift_b, const int32_t *bias_b, const int32_t *lut_x,
                     const int32_t *lut_b, int8_t *out, int8_t *ring)
{
    const tml_conv_params_t *ca = &p->conv_a, *cb = &p->conv_b;
    const int32_t ring_rows = cb->k_h, a_row_len = ca->out_w * ca->out_c;
    const int32_t h = cb->out_h, row_len = cb->out_w * cb->out_c;
    for (int32_t n = 0; n < ca->n; n++) {
        const int8_t *x_n = x + n * h * row_len;
        int8_t *out_n = out + n * h * row_len;
        int32_t a_done = 0; /* rows of a in the ring so far: 0 .. a_done - 1 */
        for (int32_t r = 0; r < h; r++) {
            /* The last row of a that row r of b reads. */
            int32_t need = r - cb->pad_top + cb->k_h - 1;
            if (need > ca->out_h - 1)
                need = ca->out_h - 1;
            for (; a_done <= need; a_done++) {
                /* a's row is [out_w, out_c] */
                int8_t *a_row = ring + (a_done % ring_rows) * a_row_len;
                for (int32_t ox = 0; ox < ca->out_w; ox++)
                    for (int32_t oc = 0; oc < ca->out_c; oc++)
                        a_row[ox * ca->out_c + oc] = conv_point(ca, x_n, 0, weights_a, mult_a,
                                                                shift_a, bias_a, a_done, ox, oc);
            }
            /* Each element reads x's element at its own place just before
             * writing it, so out may be x. */
            const int8_t *x_row = x_n + r * row_len;
            int8_t *out_row = out_n + r * row_len;
            for (int32_t ox = 0; ox < cb->out_w; ox++)
                for (int32_t oc = 0; oc < cb->out_c; oc++) {
                    const int8_t b = conv_point(cb, ring, ring_rows, weights_b, mult_b, shift_b,
                                                bias_b, r, ox, oc);
                    const int32_t i = ox * cb->out_c + oc;
                    out_row[i] = add_one(p, lut_x, lut_b, x_row[i], b);
                }
        }
    }
}
