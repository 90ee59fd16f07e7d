/*
 * firmware.h - building and running Cortex-M firmware images that execute a
 * .tmlm package under QEMU, to show that what the service compiles runs on
 * an MCU instruction set and to measure it (flash, RAM, instructions).
 *
 * An image = firmware/ (startup, semihosting, SysTick, main) + the runtime
 * sources + the package as a generated C array in flash + an arena in .bss
 * sized from the package header, cross-compiled with arm-none-eabi-gcc for
 * one board. Run with
 *   qemu-system-arm -M <machine> -nographic -semihosting -icount shift=0 -kernel fw.elf
 * in a directory holding input.bin (the graph inputs' bytes, concatenated in
 * input order), it writes output.bin (the outputs, concatenated), prints
 * "instructions: N" for tml_rt_invoke alone and exits 0; on any error it
 * prints why and exits non-zero (1 model, 2 files, 3 fault, 4 stack).
 *
 * Tools are found on PATH: arm-none-eabi-gcc (Debian gcc-arm-none-eabi with
 * newlib-nano) and qemu-system-arm. The sources are read from the source
 * tree the library was built from (or $TML_SOURCE_DIR when set).
 */
#ifndef TML_FIRMWARE_H
#define TML_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A board the firmware supports: one QEMU machine with one core. */
typedef struct tml_board {
    const char *name;          /* "mps2-an386"; also firmware/boards/<name>.ld */
    const char *qemu_machine;  /* qemu-system-arm -M value */
    const char *cpu;           /* -mcpu value, "cortex-m4" */
    const char *float_abi;     /* "soft" or "hard" */
    const char *fpu;           /* -mfpu value; NULL for a core without FPU */
    uint32_t cpu_hz;           /* SysTick's CPU clock in QEMU (ns per tick = 1e9 / cpu_hz) */
    uint32_t flash_base, flash_len; /* code region of the linker script */
    uint32_t ram_base, ram_len;     /* data region */
} tml_board_t;

/* The board table; *n receives its length. Never NULL. */
const tml_board_t *tml_firmware_boards(size_t *n);
/* The board called name, or NULL. */
const tml_board_t *tml_firmware_board_find(const char *name);

/* Section sizes of an image in bytes, from its ELF section table (allocated
 * sections only; debug info is not counted). */
typedef struct tml_firmware_sizes {
    uint32_t text;    /* executable code (flash) */
    uint32_t rodata;  /* read-only data: vector table, constants, the package (flash) */
    uint32_t data;    /* initialised data (flash for the initial values + RAM) */
    uint32_t bss;     /* zero-initialised RAM: the arena, I/O buffers */
    uint32_t stack;   /* the reserved stack region (RAM) */
    uint32_t flash;   /* text + rodata + data */
    uint32_t ram;     /* data + bss + stack */
} tml_firmware_sizes_t;

/* Stack reserved by the linker script, bytes. */
#define TML_FIRMWARE_STACK_LEN 0x8000u
/* Default time limits. */
#define TML_FIRMWARE_BUILD_TIMEOUT_MS 600000
#define TML_FIRMWARE_RUN_TIMEOUT_MS 600000

/* Builds the model image for board into out_elf (replaced atomically).
 * pkg[0..pkg_len) is a .tmlm package (copied into the image; the caller
 * keeps ownership). The package header is checked here (magic, version,
 * lengths, the input/output tensor table) and the image must fit the
 * board's regions (TML_ERR_NOFIT otherwise); the full validation runs on
 * the device at tml_rt_init. A compiler failure returns TML_ERR_IO with the
 * end of its output in err. sizes may be NULL. The temporary build
 * directory is always removed. */
tml_status_t tml_firmware_build(const uint8_t *pkg, size_t pkg_len, const char *board,
                                const char *out_elf, tml_firmware_sizes_t *sizes,
                                tml_err_t *err);

/* tml_firmware_build_flags flags. */
enum {
    /* After the timed inference, run the ops once more one at a time and
     * print "op I KERNEL: N" (N instructions) for each. */
    TML_FIRMWARE_PROFILE = 1u << 0,
};

/* tml_firmware_build with flags (TML_FIRMWARE_*). */
tml_status_t tml_firmware_build_flags(const uint8_t *pkg, size_t pkg_len, const char *board,
                                      const char *out_elf, uint32_t flags,
                                      tml_firmware_sizes_t *sizes, tml_err_t *err);

/* Builds the firmware self-test image (firmware/selftest.c: reverses
 * input.bin into output.bin and times known loops) with the same startup,
 * semihosting and SysTick code. Arguments as tml_firmware_build. */
tml_status_t tml_firmware_build_selftest(const char *board, const char *out_elf,
                                         tml_firmware_sizes_t *sizes, tml_err_t *err);

/* Section sizes of an ELF32 little-endian ARM image held in elf[0..len).
 * TML_ERR_CORRUPT if it is not one or its section table is out of bounds. */
tml_status_t tml_firmware_sizes_parse(const uint8_t *elf, size_t len,
                                      tml_firmware_sizes_t *sizes, tml_err_t *err);
/* The same for a file. */
tml_status_t tml_firmware_sizes_read(const char *elf_path, tml_firmware_sizes_t *sizes,
                                     tml_err_t *err);

/* What a run of an image printed and returned. */
typedef struct tml_firmware_run {
    int exit_status;       /* QEMU's exit status (the image's); 128 + n if killed by signal n */
    int64_t instructions;  /* from the last "instructions: N" line; -1 if none */
    char *console;         /* everything printed, NUL-terminated; free with tml_free */
} tml_firmware_run_t;

/* Runs elf under qemu-system-arm for board with -semihosting -icount
 * shift=0, in directory workdir (where it reads input.bin and writes
 * output.bin). TML_OK whenever QEMU ran to its end, whatever the exit
 * status: check run->exit_status. TML_ERR_TIMEOUT if it ran longer than
 * timeout_ms (it is killed), TML_ERR_IO if QEMU could not be started. On
 * TML_OK run->console is owned by the caller. */
tml_status_t tml_firmware_run(const char *elf, const char *board, const char *workdir,
                              int timeout_ms, tml_firmware_run_t *run, tml_err_t *err);

/* Whether an executable called name is on PATH. */
bool tml_firmware_have_tool(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* TML_FIRMWARE_H */
