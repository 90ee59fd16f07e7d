/*
 * op_registry.c - the kernel id -> descriptor table the loader consults.
 * A kernel id without an entry is reported as unsupported by this runtime.
 */
#include <stddef.h>

#include "ops.h"

static const tml_op_desc_t *const registry[TML_K_COUNT] = {
    /* nn kernels */
    [TML_K_CONV2D_S8] = NULL,
    /* elementwise kernels */
};

const tml_op_desc_t *tml_op_find(uint32_t kernel)
{
    return kernel < TML_K_COUNT ? registry[kernel] : NULL;
}
