/*
 * tml_pad.c - constant padding, byte-wise and so for any dtype (TFLM's PAD /
 * PADV2: int8 pads with the zero point or the given constant, float with
 * the given value). The output is walked row by row along the innermost
 * dim: a row outside the input region is all fill, a row inside is fill,
 * the input row, fill.
 */
#include "tml/kernels.h"

#define N TML_ELEM_MAX_DIMS

static void fill(uint8_t *dst, int32_t n_elems, const uint8_t *pattern, int32_t elem_size)
{
    for (int32_t i = 0; i < n_elems; i++)
        for (int32_t b = 0; b < elem_size; b++)
            *dst++ = pattern[b];
}

void tml_pad(const tml_pad_params_t *p, const void *in, void *out)
{
    const int32_t es = p->elem_size;
    uint8_t pattern[8];
    for (int b = 0; b < 8; b++)
        pattern[b] = (uint8_t)((uint32_t)(b < 4 ? p->fill_lo : p->fill_hi) >> (8 * (b & 3)));

    int32_t out_dims[N];
    int32_t n_rows = 1;
    for (int d = 0; d < N; d++) {
        out_dims[d] = p->before[d] + p->in_dims[d] + p->after[d];
        if (d < N - 1)
            n_rows *= out_dims[d];
    }
    if (out_dims[N - 1] == 0)
        return;
    const uint8_t *src = in;
    uint8_t *dst = out;
    const int32_t in_row_bytes = p->in_dims[N - 1] * es;
    int32_t idx[N] = {0};
    for (int32_t row = 0; row < n_rows; row++) {
        int inside = 1;
        for (int d = 0; d < N - 1; d++)
            if (idx[d] < p->before[d] || idx[d] >= p->before[d] + p->in_dims[d])
                inside = 0;
        if (!inside || in_row_bytes == 0) {
            fill(dst, out_dims[N - 1], pattern, es);
        } else {
            fill(dst, p->before[N - 1], pattern, es);
            uint8_t *mid = dst + p->before[N - 1] * es;
            for (int32_t i = 0; i < in_row_bytes; i++)
                mid[i] = src[i];
            src += in_row_bytes; /* input rows are met in order */
            fill(mid + in_row_bytes, p->after[N - 1], pattern, es);
        }
        dst += out_dims[N - 1] * es;
        for (int d = N - 2; d >= 0; d--) { /* next row index */
            if (++idx[d] < out_dims[d])
                break;
            idx[d] = 0;
        }
    }
}
