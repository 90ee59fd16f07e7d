/*
 * tml_conv_inplace_bound.c - how far an in-place convolution's output may
 * overlap its input (tml/kernels/inplace.h).
 *
 * Input element i = ((b * H + y) * W + x) * C_in + c is read by the outputs
 * (b, oy, ox, oc) with oy in a set Y(y), ox in X(x) and oc in a channel set
 * (all channels for a conv, c * M .. c * M + M - 1 for a depthwise conv).
 * Linear output indices grow with oy, ox and oc separately, so the last
 * reader is (max Y(y), max X(x), max oc) and last_reader(i) - i splits into
 * a term in b, one in y, one in x and one in c. The maximum is the sum of
 * the terms' maxima; b and c enter linearly, so their end points suffice.
 * Cost: O((H + W) * k) instead of one pass over the input.
 */
#include "tml/kernels/inplace.h"

/* Outputs along one axis whose window covers input position pos. */
static void axis_readers(int32_t pos, int32_t out, int32_t k, int32_t stride, int32_t dilation,
                         int32_t pad_before, int32_t *lo, int32_t *hi)
{
    *lo = -1;
    *hi = -1;
    for (int32_t t = 0; t < k; t++) {
        int64_t num = (int64_t)pos + pad_before - (int64_t)t * dilation;
        if (num < 0 || num % stride)
            continue;
        int64_t o = num / stride;
        if (o >= out)
            continue;
        if (*lo < 0 || o < *lo)
            *lo = (int32_t)o;
        if (o > *hi)
            *hi = (int32_t)o;
    }
}

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

int64_t tml_conv_inplace_bound(const tml_conv_params_t *p, int depthwise, int reverse)
{
    const int64_t in_row = (int64_t)p->in_w * p->in_c, out_row = (int64_t)p->out_w * p->out_c;
    const int64_t in_img = in_row * p->in_h, out_img = out_row * p->out_h;
    /* dist(i) = last_reader(i) - i (forward) or i - first_reader(i)
     * (reverse) = sign * (reader(i) - i) with sign = +1 / -1. */
    const int64_t sign = reverse ? -1 : 1;
    int64_t best_y = INT64_MIN, best_x = INT64_MIN;
    for (int32_t y = 0; y < p->in_h; y++) {
        int32_t lo, hi;
        axis_readers(y, p->out_h, p->k_h, p->stride_h, p->dilation_h, p->pad_top, &lo, &hi);
        if (hi >= 0)
            best_y = max64(best_y, sign * ((reverse ? lo : hi) * out_row - y * in_row));
    }
    for (int32_t x = 0; x < p->in_w; x++) {
        int32_t lo, hi;
        axis_readers(x, p->out_w, p->k_w, p->stride_w, p->dilation_w, p->pad_left, &lo, &hi);
        if (hi >= 0)
            best_x = max64(best_x, sign * ((int64_t)(reverse ? lo : hi) * p->out_c -
                                           (int64_t)x * p->in_c));
    }
    if (best_y == INT64_MIN || best_x == INT64_MIN)
        return reverse ? INT64_MIN : INT64_MAX;
    /* Batch term: sign * b * (out_img - in_img), b in {0, n - 1}. */
    int64_t best_b = max64(0, sign * (int64_t)(p->n - 1) * (out_img - in_img));
    /* Channel term: reader channel minus c, c in {0, in_c - 1}. */
    int64_t best_c = INT64_MIN;
    for (int e = 0; e < 2; e++) {
        int64_t c = e ? p->in_c - 1 : 0, oc;
        if (depthwise)
            oc = c * p->depth_multiplier + (reverse ? 0 : p->depth_multiplier - 1);
        else
            oc = reverse ? 0 : p->out_c - 1;
        best_c = max64(best_c, sign * (oc - c));
    }
    int64_t dist = best_b + best_y + best_x + best_c;
    return reverse ? dist : -dist;
}
