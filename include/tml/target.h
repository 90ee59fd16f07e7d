/*
 * target.h - the catalog of devices we compile for: real MCUs (figures from
 * their vendors' data sheets) and the QEMU boards we prove images on.
 *
 * A profile says what the chip is (core, ISA features, clock, memories) and
 * what a model may use of it: the RAM and flash left once the device's own
 * firmware (RTOS, network stack, LwM2M agent) is counted. The fit check and
 * the latency estimate of the compiler, the ML Capabilities object a device
 * reports over LwM2M, and the service's device records all come from here.
 */
#ifndef TML_TARGET_H
#define TML_TARGET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ISA and core features (bits). */
#define TML_FEAT_DSP     0x01u /* Armv7E-M / Armv8-M DSP extension: SMLAD and friends */
#define TML_FEAT_FPU_SP  0x02u /* single-precision FPU */
#define TML_FEAT_FPU_DP  0x04u /* double-precision FPU */
#define TML_FEAT_DCACHE  0x08u /* data cache (Cortex-M7) */
#define TML_FEAT_RV_M    0x10u /* RISC-V M extension */
#define TML_FEAT_TRUSTZONE 0x20u

typedef struct tml_target {
    const char *name;           /* catalog key, lower case: "stm32f746" */
    const char *part;           /* vendor part: "STM32F746NG" */
    const char *core;           /* "cortex-m7", "rv32imc" */
    const char *arch;           /* "armv7e-m", "armv6-m", "armv8-m.main", "rv32imc" */
    uint32_t clock_hz;          /* maximum core clock */
    uint32_t sram_bytes;        /* on-chip SRAM, all banks */
    uint32_t flash_bytes;       /* program flash (on-chip or the usual module's) */
    uint32_t model_ram_bytes;   /* RAM a model may use: arena + runtime state */
    uint32_t model_flash_bytes; /* flash a model may use: package or code + weights */
    uint32_t features;          /* TML_FEAT_* */
    const char *qemu_machine;   /* QEMU -M value, or NULL for real silicon only */
    /* Latency model: core cycles per int8 MAC of our kernels on this core,
     * and fixed cycles per kernel call. */
    double cycles_per_mac;
    uint32_t cycles_per_op;
} tml_target_t;

/* The catalog, *n entries. */
const tml_target_t *tml_target_list(size_t *n);
/* A profile by name (case-insensitive), or NULL. */
const tml_target_t *tml_target_find(const char *name);

/* Estimated inference latency in microseconds for macs MACs in n_ops kernel calls. */
double tml_target_latency_us(const tml_target_t *t, int64_t macs, int n_ops);

#ifdef __cplusplus
}
#endif
#endif /* TML_TARGET_H */
