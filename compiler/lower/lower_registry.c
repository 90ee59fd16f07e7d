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
    [TML_OP_ADD] = tml_lower_add,
    [TML_OP_MUL] = tml_lower_mul,
    [TML_OP_RESHAPE] = tml_lower_reshape,
    [TML_OP_SOFTMAX] = tml_lower_softmax,
    [TML_OP_QUANTIZE] = tml_lower_quantize,
    [TML_OP_DEQUANTIZE] = tml_lower_dequantize,
    [TML_OP_CONCAT] = tml_lower_concat,
    [TML_OP_PAD] = tml_lower_pad,
    [TML_OP_MEAN] = tml_lower_mean,
    [TML_OP_LOGISTIC] = tml_lower_logistic,
    [TML_OP_TANH] = tml_lower_tanh,
    [TML_OP_RELU] = tml_lower_relu,
    [TML_OP_RELU6] = tml_lower_relu,
    [TML_OP_RELU_N1_TO_1] = tml_lower_relu,
    [TML_OP_HARD_SWISH] = tml_lower_hard_swish,
    [TML_OP_CLIP] = tml_lower_clip,
    [TML_OP_SUB] = tml_lower_sub,
    [TML_OP_DIV] = tml_lower_div,
    [TML_OP_PRELU] = tml_lower_prelu,
    [TML_OP_LEAKY_RELU] = tml_lower_leaky_relu,
    [TML_OP_HARD_SIGMOID] = tml_lower_hard_sigmoid,
    [TML_OP_TRANSPOSE] = tml_lower_transpose,
    [TML_OP_SLICE] = tml_lower_slice,
    [TML_OP_SPLIT] = tml_lower_split,
};
