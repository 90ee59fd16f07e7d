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
    [TML_OP_CONV2D] = tml_lower_conv2d,
    [TML_OP_DEPTHWISE_CONV2D] = tml_lower_dwconv2d,
    [TML_OP_FULLY_CONNECTED] = tml_lower_fc,
    [TML_OP_AVG_POOL2D] = tml_lower_avgpool,
    [TML_OP_MAX_POOL2D] = tml_lower_maxpool,
};
