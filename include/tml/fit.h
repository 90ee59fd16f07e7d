/*
 * fit.h - will a compiled model fit a target, and how fast will it run?
 *
 * RAM:   the planned arena (inputs, outputs, activations, scratch) plus the
 *        runtime's own state and its stack at the deepest kernel the model
 *        uses (frames measured per source file for Cortex-M4 at build time).
 * Flash: the package (weights, quantization tables, op and tensor records)
 *        plus the runtime code for the kernels the model uses, measured per
 *        source file for Cortex-M4 at build time (the interpreter, loader and
 *        digest code are counted once).
 * Both are compared with what the target profile leaves for a model.
 * Latency: MACs and kernel calls through the profile's cycle model.
 */
#ifndef TML_FIT_H
#define TML_FIT_H

#include <stdbool.h>

#include "tml/compiler.h"
#include "tml/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The runtime's RAM when no frame sizes were measured (no cross compiler at
 * build time): tml_rt_t, the interpreter's op context and a kernel frame. */
#define TML_FIT_RUNTIME_RAM 512u
/* tml_rt_t (14 words) and alignment slack, beside the measured frames. */
#define TML_FIT_STATE_RAM 64u

/* RAM of the runtime itself for these ops: TML_FIT_STATE_RAM + the deeper
 * of its two call paths, tml_rt_init (loader, op check, shared check or
 * digest code) and tml_rt_invoke (interpreter, op glue, kernel), from the
 * frames measured per source file; rounded up to 16 (TML_FIT_RUNTIME_RAM
 * when nothing was measured). */
uint32_t tml_fit_runtime_ram(const tml_lowered_t *lw);

typedef struct tml_fit {
    const tml_target_t *target;
    uint32_t arena_bytes;
    uint32_t ram_bytes;      /* arena + runtime */
    uint32_t runtime_ram_bytes; /* tml_rt_t + stack at the deepest kernel used */
    uint32_t package_bytes;
    uint32_t code_bytes;     /* runtime code for the kernels used (estimate) */
    uint32_t flash_bytes;    /* package + code */
    double latency_us;
    bool fits;
    char reason[256];        /* why it does not fit; "" when it does */
} tml_fit_t;

void tml_fit_check(const tml_compiled_t *c, const tml_target_t *t, tml_fit_t *fit);

/* Measured code bytes of one kernel's own source (its math, without glue). */
uint32_t tml_fit_kernel_bytes(uint32_t kernel);

/* Code bytes the runtime needs for the kernels lw uses (interpreter included). */
uint32_t tml_fit_code_bytes(const tml_lowered_t *lw);

#ifdef __cplusplus
}
#endif
#endif /* TML_FIT_H */
