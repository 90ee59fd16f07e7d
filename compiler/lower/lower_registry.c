/*
 * lower_registry.c - which function lowers each IR op. Entries are added as
 * the ops' lowering files land; each declares its function here.
 */
#include <stddef.h>

#include "lower_ops.h"

/* nn ops: conv, depthwise, fully-connected, pools */

/* elementwise ops: add, mul, softmax, (de)quantize, reshape, concat, pad,
 * mean, activations */

const tml_lower_fn tml_lower_table[TML_OP_COUNT] = {
    [TML_OP_CONV2D] = NULL, /* replaced when conv lowering lands */
};
