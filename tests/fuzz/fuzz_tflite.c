/*
 * fuzz_tflite.c - fuzz target for the TFLite importer (models uploaded to the
 * service are untrusted). When an import succeeds, every byte and entry the
 * graph claims to hold is read back (constant data, quantization arrays,
 * node operand lists) and the graph is re-validated, so ASan sees any lie
 * about sizes and UBSan any bad index.
 */
#include <stdint.h>
#include <stddef.h>

#include "tml/tflite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tml_ir_graph_t g;
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_tflite_import(data, size, "fuzz.tflite", &g, &err) != TML_OK)
        return 0;
    volatile uint32_t sum = 0;
    for (int i = 0; i < g.n_tensors; i++) {
        const tml_ir_tensor_t *t = &g.tensors[i];
        for (size_t b = 0; b < t->data_len; b++)
            sum ^= t->data[b];
        for (int q = 0; q < t->quant.n; q++)
            sum ^= (uint32_t)t->quant.zero_point[q] ^ (uint32_t)(t->quant.scale[q] > 0.0f);
        sum ^= (uint32_t)tml_ir_tensor_bytes(t);
    }
    for (int i = 0; i < g.n_nodes; i++) {
        const tml_ir_node_t *n = &g.nodes[i];
        for (int j = 0; j < n->n_in; j++)
            if (n->in[j] >= 0)
                sum ^= (uint32_t)g.tensors[n->in[j]].n_dims;
        for (int j = 0; j < n->n_out; j++)
            sum ^= (uint32_t)g.tensors[n->out[j]].n_dims;
        sum ^= (uint32_t)tml_ir_node_macs(&g, n);
    }
    if (tml_ir_validate(&g, &err) != TML_OK)
        __builtin_trap(); /* an accepted graph must be valid */
    (void)sum;
    tml_ir_free(&g);
    return 0;
}
