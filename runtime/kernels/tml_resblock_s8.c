/*
 * tml_resblock_s8.c - a residual block (conv, conv, shortcut, add) row by
 * row, so the block's output can overwrite its input
 * (tml/kernels/inplace.h).
 *
 * Each row of a is computed once, into a ring of conv_b.k_h rows, just
 * before the first output row that needs it; each output pixel then gets
 * its shortcut pixel (the 1x1 projection's into scratch, or x's own, read
 * element by element) and its values of b, and is written. The arithmetic is tml_conv2d_s8's (TFLM
 * ConvPerChannel) for every conv and tml_add_s8's (TFLM quantized ADD) or
 * tml_add_s8_lut's for the sum, term for term, so the result is the
 * unfused kernels' bit for bit; only the order of the work differs, and
 * tml_resblock_s8_may_overlap() replays that order to say when out may
 * start where x starts.
 */
#include "tml/kernels/inplace.h"
#include "tml_fixedpoint.h"

/* Output (oy, ox, oc) of a conv. Input row y is at in + y * in_w * in_c,
 * or, with ring_rows, in ring slot y % ring_rows (stride_h and
 * dilation_h 1 there). */
static int8_t conv_point(const tml_conv_params_t *p, const int8_t *in, int32_t ring_rows,
                         const int8_t *weights, const int32_t *mult, const int32_t *shift,
                         const int32_t *bias, int32_t oy, int32_t ox, int32_t oc)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c;
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    const int8_t *w_oc = weights + oc * p->k_h * p->k_w * in_c;
    uint32_t acc = 0;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t y = y0 + ky * p->dilation_h;
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
static inline int8_t add_one(const tml_resblock_s8_params_t *p, const int32_t *lut, int8_t s,
                             int8_t b)
{
    int32_t s1, s2;
    if (lut) {
        s1 = lut[s + 128];
        s2 = lut[256 + b + 128];
    } else {
        int32_t x1 = ((int32_t)s + p->s_offset) * ((int32_t)1 << p->left_shift);
        int32_t x2 = ((int32_t)b + p->b_offset) * ((int32_t)1 << p->left_shift);
        s1 = tml_mul_by_quantized_mul(x1, p->s_mult, p->s_shift);
        s2 = tml_mul_by_quantized_mul(x2, p->b_mult, p->b_shift);
    }
    int32_t sum = tml_mul_by_quantized_mul(s1 + s2, p->out_mult, p->out_shift) + p->out_offset;
    return (int8_t)tml_clamp_i32(sum, p->act_min, p->act_max);
}

/* The last row of a that output row r reads, within a. */
static int32_t last_a_row(const tml_resblock_s8_params_t *p, int32_t r)
{
    int32_t need = r - p->conv_b.pad_top + p->conv_b.k_h - 1;
    return need < p->conv_a.out_h - 1 ? need : p->conv_a.out_h - 1;
}

void tml_resblock_s8(const tml_resblock_s8_params_t *p, const int8_t *x,
                     const int8_t *weights_a, const int32_t *mult_a, const int32_t *shift_a,
                     const int32_t *bias_a, const int8_t *weights_b, const int32_t *mult_b,
                     const int32_t *shift_b, const int32_t *bias_b, const int8_t *weights_s,
                     const int32_t *mult_s, const int32_t *shift_s, const int32_t *bias_s,
                     const int32_t *lut, int8_t *out, int8_t *scratch)
{
    const tml_conv_params_t *ca = &p->conv_a, *cb = &p->conv_b, *cs = &p->conv_s;
    const int32_t ring_rows = cb->k_h, a_row_len = ca->out_w * ca->out_c;
    const int32_t h = cb->out_h, w = cb->out_w, c = cb->out_c;
    const int32_t x_len = ca->in_h * ca->in_w * ca->in_c;
    int8_t *ring = scratch, *pixel = scratch + ring_rows * a_row_len;
    for (int32_t n = 0; n < ca->n; n++) {
        const int8_t *x_n = x + n * x_len;
        int8_t *out_n = out + n * h * w * c;
        int32_t a_done = 0; /* rows of a computed so far */
        for (int32_t r = 0; r < h; r++) {
            for (; a_done <= last_a_row(p, r); a_done++) {
                /* a's row is [out_w, out_c] */
                int8_t *a_row = ring + (a_done % ring_rows) * a_row_len;
                for (int32_t ox = 0; ox < ca->out_w; ox++)
                    for (int32_t oc = 0; oc < ca->out_c; oc++)
                        a_row[ox * ca->out_c + oc] = conv_point(ca, x_n, 0, weights_a, mult_a,
                                                                shift_a, bias_a, a_done, ox, oc);
            }
            for (int32_t ox = 0; ox < w; ox++) {
                /* A projected shortcut pixel first: writing this output
                 * pixel may overwrite the bytes of x it reads. x's own
                 * pixel is read element by element, each just before the
                 * output element at its place is written. */
                const int8_t *s_px = pixel;
                if (p->has_proj)
                    for (int32_t oc = 0; oc < c; oc++)
                        pixel[oc] = conv_point(cs, x_n, 0, weights_s, mult_s, shift_s, bias_s, r,
                                               ox, oc);
                else
                    s_px = x_n + (r * w + ox) * c;
                int8_t *o = out_n + (r * w + ox) * c;
                for (int32_t oc = 0; oc < c; oc++) {
                    const int8_t b = conv_point(cb, ring, ring_rows, weights_b, mult_b, shift_b,
                                                bias_b, r, ox, oc);
                    o[oc] = add_one(p, lut, s_px[oc], b);
                }
            }
        }
    }
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

int tml_resblock_s8_may_overlap(const tml_resblock_s8_params_t *p)
{
    const tml_conv_params_t *ca = &p->conv_a, *cb = &p->conv_b, *cs = &p->conv_s;
    const int64_t h = cb->out_h, w = cb->out_w, c = cb->out_c;
    const int64_t x_row = (int64_t)ca->in_w * ca->in_c, x_px = ca->in_c;
    /* Batches after the first start lower in out than in x when out is no
     * larger, which only moves writes onto bytes already consumed. */
    if (ca->n > 1 && h * w * c > (int64_t)ca->in_h * x_row)
        return 0;
    /* Shortcut pixel (r, ox) reads x pixel (sr * r, sc * ox). */
    const int64_t sr = p->has_proj ? cs->stride_h : 1, sc = p->has_proj ? cs->stride_w : 1;
    for (int64_t r = 0; r < h; r++) {
        /* First byte of x read after row r's rows of a: the next row of a,
         * then the shortcut's next rows. */
        int64_t limit = INT64_MAX;
        int64_t next_a = (int64_t)last_a_row(p, (int32_t)r) + 1;
        if (next_a < ca->out_h) {
            int64_t y = next_a * ca->stride_h - ca->pad_top;
            limit = (y > 0 ? y : 0) * x_row;
        }
        if (r + 1 < h)
            limit = min64(limit, sr * (r + 1) * x_row);
        for (int64_t ox = 0; ox < w; ox++) {
            int64_t lim = limit;
            if (ox + 1 < w)
                lim = min64(lim, sr * r * x_row + sc * (ox + 1) * x_px);
            if (r * w * c + (ox + 1) * c > lim)
                return 0;
        }
    }
    return 1;
}
