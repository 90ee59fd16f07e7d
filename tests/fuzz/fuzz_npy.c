/*
 * fuzz_npy.c - fuzz target for the .npy parser (untrusted input to `tml run`).
 * Template for every fuzz target: parse, and when parsing succeeds, touch
 * every byte the parser says is valid so ASan sees any lie about bounds.
 */
#include <stdint.h>
#include <stddef.h>

#include "tml/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tml_npy_t npy;
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_npy_parse(data, size, &npy, &err) != TML_OK)
        return 0;
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < npy.data_len; i++)
        sum ^= npy.data[i];
    (void)sum;
    return 0;
}
