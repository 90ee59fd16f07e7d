/*
 * op_registry.c - the kernel id -> descriptor table the loader consults.
 * A kernel id without an entry is reported as unsupported by this runtime.
 */
#include <stddef.h>

#include "ops.h"

static const tml_op_desc_t *const registry[TML_K_COUNT] = {
    /* nn kernels */
    [TML_K_CONV2D_S8] = &tml_op_conv2d_s8,
    [TML_K_CONV2D_F32] = &tml_op_conv2d_f32,
    [TML_K_DWCONV2D_S8] = &tml_op_dwconv2d_s8,
    [TML_K_DWCONV2D_F32] = &tml_op_dwconv2d_f32,
    [TML_K_FC_S8] = &tml_op_fc_s8,
    [TML_K_FC_F32] = &tml_op_fc_f32,
    [TML_K_AVGPOOL_S8] = &tml_op_avgpool_s8,
    [TML_K_AVGPOOL_F32] = &tml_op_avgpool_f32,
    [TML_K_MAXPOOL_S8] = &tml_op_maxpool_s8,
    [TML_K_MAXPOOL_F32] = &tml_op_maxpool_f32,
    /* elementwise kernels */
};

const tml_op_desc_t *tml_op_find(uint32_t kernel)
{
    return kernel < TML_K_COUNT ? registry[kernel] : NULL;
}
