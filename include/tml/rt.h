/*
 * rt.h - libtmlrt, the on-device runtime: load a .tmlm package and run it.
 *
 * Freestanding C99: no malloc, no stdio. The caller owns two buffers, the
 * package (read in place: it may sit in flash) and the arena (RAM for every
 * activation, the graph's inputs and outputs included, and kernel scratch).
 * tml_rt_init validates the whole package once; tml_rt_invoke then runs
 * without further checks.
 */
#ifndef TML_RT_H
#define TML_RT_H

#include <stddef.h>
#include <stdint.h>

#include "tml/pkg.h"
#include "tml/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TML_RT_VERSION_MAJOR 0
#define TML_RT_VERSION_MINOR 1
#define TML_RT_VERSION_PATCH 0

typedef struct tml_rt {
    const uint8_t *pkg;                /* package base, 4-byte aligned */
    uint32_t pkg_len;
    const tml_pkg_header_t *hdr;
    const tml_pkg_tensor_t *tensors;
    const tml_pkg_op_t *ops;
    const uint32_t *operands;
    const int32_t *params;
    const uint32_t *io;                /* inputs, then outputs */
    const uint8_t *consts;
    uint8_t *arena;
    uint32_t arena_len;
    uint32_t failed_op;                /* op index that failed validation, else TML_PKG_NONE */
    uint32_t n_invokes;
} tml_rt_t;

/* Options bits for tml_rt_init. */
#define TML_RT_SKIP_BODY_DIGEST 1u /* skip the body SHA-256 (already verified on install) */

/* Validates pkg (header CRC, version, body SHA-256 unless skipped, every
 * section, tensor and op, each op against its kernel's own checks) and binds
 * it to arena. pkg must be 4-byte aligned and stay valid and unchanged while
 * rt is used; arena must be at least tml_rt_arena_len(pkg) bytes, 16-byte
 * aligned is best. On error rt->failed_op names the offending op if any. */
tml_status_t tml_rt_init(tml_rt_t *rt, const void *pkg, size_t pkg_len,
                         void *arena, size_t arena_len, uint32_t options);

/* Arena bytes a package needs (from its header), 0 if pkg is not a package. */
uint32_t tml_rt_arena_len(const void *pkg, size_t pkg_len);

uint32_t tml_rt_n_inputs(const tml_rt_t *rt);
uint32_t tml_rt_n_outputs(const tml_rt_t *rt);

/* Descriptor of graph input/output i (NULL if out of range). */
const tml_pkg_tensor_t *tml_rt_input(const tml_rt_t *rt, uint32_t i);
const tml_pkg_tensor_t *tml_rt_output(const tml_rt_t *rt, uint32_t i);

/* Where a tensor's bytes are: in the arena (writable) or the package. */
void *tml_rt_tensor_data(const tml_rt_t *rt, const tml_pkg_tensor_t *t);

/* Model name from the package, "" if none. */
const char *tml_rt_model_name(const tml_rt_t *rt);

/* Runs every op in order. Inputs must have been written to their arena
 * places first; outputs are read from theirs afterwards. */
tml_status_t tml_rt_invoke(tml_rt_t *rt);

/* Runs op op_index alone (ops must run in order, 0 first, for the result to
 * mean anything): what tml_rt_invoke does for each op, exposed so that a
 * profiler can time one op at a time. TML_ERR_ARG if out of range. */
tml_status_t tml_rt_invoke_op(tml_rt_t *rt, uint32_t op_index);
uint32_t tml_rt_n_ops(const tml_rt_t *rt);
/* Kernel id of op op_index (TML_PKG_NONE if out of range). */
uint32_t tml_rt_op_kernel(const tml_rt_t *rt, uint32_t op_index);

/* Name of a kernel this runtime build carries ("CONV2D_S8"), or NULL when it
 * lacks that kernel: what a device reports as its supported kernels. */
const char *tml_rt_kernel_name(uint32_t kernel);

/* CRC-32 (IEEE 802.3, reflected, as zlib) and SHA-256, used by the loader;
 * exported because the agent and the package writer need the same ones. */
uint32_t tml_crc32(uint32_t crc, const void *data, size_t len);
void tml_sha256(const void *data, size_t len, uint8_t digest[32]);

#ifdef __cplusplus
}
#endif
#endif /* TML_RT_H */
