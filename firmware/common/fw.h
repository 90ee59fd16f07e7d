/*
 * fw.h - what the firmware images share besides semihosting and SysTick:
 * exit statuses, console output without printf, whole-file helpers and the
 * stack watermark. No malloc and no stdio anywhere in the images.
 */
#ifndef TML_FW_H
#define TML_FW_H

#include <stdint.h>

#include "semihost.h"

/* Exit statuses of the images (what qemu-system-arm exits with). */
#define TML_FW_EXIT_OK 0
#define TML_FW_EXIT_MODEL 1   /* the runtime refused the package or failed */
#define TML_FW_EXIT_IO 2      /* input.bin missing/wrong size, output not written */
#define TML_FW_EXIT_FAULT 3   /* HardFault or another fault exception */
#define TML_FW_EXIT_STACK 4   /* the stack overflowed its region */

/* Nanoseconds per SysTick tick (CPU clock), i.e. instructions per tick under
 * -icount shift=0. The host passes the board's value. */
#ifndef TML_FW_NS_PER_TICK
#error "TML_FW_NS_PER_TICK must be defined (tml firmware passes it)"
#endif

/* A line being assembled for the console; printed with tml_fw_line_end. */
typedef struct tml_fw_line {
    char buf[160];
    uint32_t len;
} tml_fw_line_t;

void tml_fw_line_str(tml_fw_line_t *line, const char *s);
void tml_fw_line_u64(tml_fw_line_t *line, uint64_t value);
void tml_fw_line_i32(tml_fw_line_t *line, int32_t value);
void tml_fw_line_hex(tml_fw_line_t *line, uint32_t value); /* 0x%08x */
/* Appends '\n', prints the line and empties it. */
void tml_fw_line_end(tml_fw_line_t *line);

/* Prints "<what>: <message>\n". */
void tml_fw_report(const char *what, const char *message);

/* Reads the whole file path into buf[0..cap). Fails (reporting why) if it
 * cannot be opened or read, or if its length is not want_len when want_len
 * is not TML_FW_ANY_LEN. On success *len holds its length. Returns 0 or
 * TML_FW_EXIT_IO. */
#define TML_FW_ANY_LEN 0xFFFFFFFFu
int tml_fw_read_file(const char *path, void *buf, uint32_t cap, uint32_t want_len,
                     uint32_t *len);

/* Creating a file and appending to it; each returns 0 or TML_FW_EXIT_IO
 * after reporting. */
int tml_fw_create(const char *path, int32_t *handle);
int tml_fw_append(int32_t handle, const char *path, const void *data, uint32_t len);
int tml_fw_close(int32_t handle, const char *path);

/* Bytes of the stack region ever used (the startup code paints it), and
 * whether its lowest word was overwritten (an overflow). */
uint32_t tml_fw_stack_used(void);
int tml_fw_stack_overflowed(void);

/* The image's entry point after the startup code; returns the exit status. */
int main(void);

#endif /* TML_FW_H */
