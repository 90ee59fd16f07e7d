/*
 * tml_concat.c - concatenation along an axis, byte-wise and so for any
 * dtype (TFLM's int8 CONCATENATION requires equal quantization; the compiler
 * inserts requantizations when it differs). With the tensors viewed as
 * [outer, row], each output row is the inputs' rows one after another.
 */
#include "tml/kernels.h"

void tml_concat(const tml_concat_params_t *p, const void *const *in, void *out)
{
    uint8_t *dst = out;
    for (int32_t o = 0; o < p->outer; o++) {
        for (int32_t k = 0; k < p->n_inputs; k++) {
            const int32_t len = p->row_bytes[k];
            const uint8_t *src = (const uint8_t *)in[k] + o * len;
            for (int32_t i = 0; i < len; i++)
                dst[i] = src[i];
            dst += len;
        }
    }
}
