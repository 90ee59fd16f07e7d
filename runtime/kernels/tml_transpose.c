/*
 * tml_transpose.c - byte-wise transpose of a tensor of any dtype up to 6-D:
 * out [out_dims] row-major, out dim d walking the input with in_stride[d].
 */
#include <string.h>

#include "tml/kernels/extra.h"

void tml_transpose(const tml_transpose_params_t *p, const void *in_, void *out_)
{
    const uint8_t *in = in_;
    uint8_t *out = out_;
    const int32_t *d = p->out_dims, *s = p->in_stride;
    size_t elem = (size_t)p->elem_size;
    for (int32_t i0 = 0; i0 < d[0]; i0++)
    for (int32_t i1 = 0; i1 < d[1]; i1++)
    for (int32_t i2 = 0; i2 < d[2]; i2++)
    for (int32_t i3 = 0; i3 < d[3]; i3++)
    for (int32_t i4 = 0; i4 < d[4]; i4++) {
        int32_t base = i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3] + i4 * s[4];
        for (int32_t i5 = 0; i5 < d[5]; i5++) {
            memcpy(out, in + (size_t)(base + i5 * s[5]) * elem, elem);
            out += elem;
        }
    }
}
