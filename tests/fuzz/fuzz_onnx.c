/*
 * fuzz_onnx.c - fuzz target for the ONNX importer (models are uploaded by
 * users: untrusted bytes). Imports without a model path (so no external
 * data is read), and when the import succeeds validates the graph and
 * touches every constant byte so ASan sees any lie about bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "tml/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)tml_onnx_sniff(data, size);
    tml_ir_graph_t g;
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_onnx_import(data, size, NULL, &g, &err) != TML_OK)
        return 0;
    if (tml_ir_validate(&g, &err) != TML_OK)
        __builtin_trap(); /* the importer must only return valid graphs */
    volatile uint8_t sum = 0;
    for (int i = 0; i < g.n_tensors; i++)
        for (size_t j = 0; j < g.tensors[i].data_len; j++)
            sum ^= g.tensors[i].data[j];
    (void)sum;
    tml_ir_free(&g);
    return 0;
}
