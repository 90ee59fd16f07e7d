/*
 * semihost.h - Arm semihosting for the firmware images: file I/O, console
 * output and the exit status, all served by the debugger or emulator (QEMU
 * with -semihosting) through `bkpt 0xab`.
 *
 * Only the calls the images need. Paths are relative to the emulator's
 * working directory. Every call blocks until the host has answered.
 */
#ifndef TML_FW_SEMIHOST_H
#define TML_FW_SEMIHOST_H

#include <stdint.h>

/* Open modes of SYS_OPEN (ISO C fopen modes in the order the spec lists). */
#define TML_SH_MODE_RB 1u  /* "rb" */
#define TML_SH_MODE_WB 5u  /* "wb": create or truncate */

/* Opens path; returns a handle >= 0, or -1 if the host could not open it. */
int32_t tml_sh_open(const char *path, uint32_t mode);

/* Closes handle; 0 on success, -1 on failure. */
int32_t tml_sh_close(int32_t handle);

/* Length in bytes of the open file, or -1 on error. */
int32_t tml_sh_flen(int32_t handle);

/* Reads up to len bytes into buf; returns the number of bytes NOT read
 * (0 when all were read), as the semihosting spec defines it. */
uint32_t tml_sh_read(int32_t handle, void *buf, uint32_t len);

/* Writes len bytes from buf; returns the number of bytes NOT written. */
uint32_t tml_sh_write(int32_t handle, const void *buf, uint32_t len);

/* Prints a NUL-terminated string on the host console. */
void tml_sh_write0(const char *s);

/* Ends the emulation with an exit status (0..255 are what a shell sees).
 * Uses SYS_EXIT_EXTENDED, because on AArch32 plain SYS_EXIT carries only a
 * reason code and QEMU turns every reason but "application exit" into 1. */
void tml_sh_exit(int32_t status) __attribute__((noreturn));

#endif /* TML_FW_SEMIHOST_H */
