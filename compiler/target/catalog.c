/*
 * catalog.c - the device catalog (see tml/target.h).
 *
 * Memory figures are from the vendors' data sheets: STM32F746xx (DS10916),
 * STM32L4R5xx (DS12023), STM32H743xI (DS12110), nRF52840 and nRF5340 product
 * specifications, RP2040 datasheet, ESP32-C3 datasheet. For real chips a
 * model gets the SRAM less 48 KiB and the flash less 256 KiB, the share an
 * RTOS, an IP/CoAP/DTLS stack and our LwM2M agent typically take; a device
 * that reports its own free RAM and flash over LwM2M overrides these. The
 * QEMU boards run our bare-metal image alone and give the model everything.
 *
 * cycles_per_mac: what our int8 kernels cost per MAC on each core family.
 * Measured: the portable kernels take 7.4-14.4 instructions per MAC on the
 * Cortex-M4 under QEMU across the MLPerf Tiny models (bench/RESULTS.md); we
 * take ~1 cycle per instruction on M3/M4/M33 with zero-wait flash, fewer on
 * the dual-issue M7, more on the M0+ (no 32x32->64 multiply, Thumb-1) and on
 * RV32IMC (no post-increment loads). Revised as bench/ measures.
 */
#include <ctype.h>
#include <string.h>

#include "tml/target.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
#define FW_RAM (48u * KIB)
#define FW_FLASH (256u * KIB)

static const tml_target_t catalog[] = {
    {"stm32f746", "STM32F746NG", "cortex-m7", "armv7e-m", 216000000u, 320u * KIB, 1u * MIB,
     320u * KIB - FW_RAM, 1u * MIB - FW_FLASH,
     TML_FEAT_DSP | TML_FEAT_FPU_SP | TML_FEAT_DCACHE, NULL, 6.0, 400},
    {"stm32l4r5", "STM32L4R5ZI", "cortex-m4", "armv7e-m", 120000000u, 640u * KIB, 2u * MIB,
     640u * KIB - FW_RAM, 2u * MIB - FW_FLASH,
     TML_FEAT_DSP | TML_FEAT_FPU_SP, NULL, 10.0, 400},
    {"stm32h743", "STM32H743ZI", "cortex-m7", "armv7e-m", 480000000u, 1u * MIB, 2u * MIB,
     864u * KIB - FW_RAM, 2u * MIB - FW_FLASH, /* 864 KiB user SRAM; TCM for the stack */
     TML_FEAT_DSP | TML_FEAT_FPU_SP | TML_FEAT_FPU_DP | TML_FEAT_DCACHE, NULL, 6.0, 400},
    {"nrf52840", "nRF52840", "cortex-m4", "armv7e-m", 64000000u, 256u * KIB, 1u * MIB,
     256u * KIB - FW_RAM, 1u * MIB - FW_FLASH,
     TML_FEAT_DSP | TML_FEAT_FPU_SP, NULL, 10.0, 400},
    {"nrf5340", "nRF5340 (application core)", "cortex-m33", "armv8-m.main", 128000000u, 512u * KIB, 1u * MIB,
     512u * KIB - FW_RAM, 1u * MIB - FW_FLASH,
     TML_FEAT_DSP | TML_FEAT_FPU_SP | TML_FEAT_TRUSTZONE, NULL, 10.0, 400},
    {"rp2040", "RP2040 (Raspberry Pi Pico, 2 MiB QSPI flash)", "cortex-m0plus", "armv6-m", 133000000u,
     264u * KIB, 2u * MIB, 264u * KIB - FW_RAM, 2u * MIB - FW_FLASH, 0, NULL, 16.0, 500},
    {"esp32c3", "ESP32-C3 (4 MiB flash module)", "rv32imc", "rv32imc", 160000000u, 400u * KIB, 4u * MIB,
     400u * KIB - FW_RAM - 64u * KIB, 4u * MIB - FW_FLASH - 1u * MIB, /* Wi-Fi stack takes more */
     TML_FEAT_RV_M, NULL, 12.0, 500},
    {"mps2-an385", "ARM MPS2 AN385 (QEMU)", "cortex-m3", "armv7-m", 25000000u, 4u * MIB, 4u * MIB,
     4u * MIB, 4u * MIB, 0, "mps2-an385", 11.0, 400},
    {"mps2-an386", "ARM MPS2 AN386 (QEMU)", "cortex-m4", "armv7e-m", 25000000u, 4u * MIB, 4u * MIB,
     4u * MIB, 4u * MIB, TML_FEAT_DSP | TML_FEAT_FPU_SP, "mps2-an386", 10.0, 400},
    {"mps2-an500", "ARM MPS2 AN500 (QEMU)", "cortex-m7", "armv7e-m", 25000000u, 4u * MIB, 4u * MIB,
     4u * MIB, 4u * MIB, TML_FEAT_DSP | TML_FEAT_FPU_SP | TML_FEAT_FPU_DP, "mps2-an500", 6.0, 400},
    {"mps2-an505", "ARM MPS2+ AN505 (QEMU)", "cortex-m33", "armv8-m.main", 25000000u, 4u * MIB, 4u * MIB,
     2u * MIB, 4u * MIB, TML_FEAT_DSP | TML_FEAT_FPU_SP | TML_FEAT_TRUSTZONE, "mps2-an505", 10.0, 400},
};

const tml_target_t *tml_target_list(size_t *n)
{
    *n = sizeof(catalog) / sizeof(catalog[0]);
    return catalog;
}

const tml_target_t *tml_target_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof(catalog) / sizeof(catalog[0]); i++) {
        const char *a = catalog[i].name, *b = name;
        while (*a && tolower((unsigned char)*a) == tolower((unsigned char)*b)) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return &catalog[i];
    }
    return NULL;
}

double tml_target_latency_us(const tml_target_t *t, int64_t macs, int n_ops)
{
    double cycles = (double)macs * t->cycles_per_mac + (double)n_ops * t->cycles_per_op;
    return cycles / ((double)t->clock_hz / 1e6);
}
