/*
 * semihost.c - the semihosting calls, one `bkpt 0xab` each: r0 holds the
 * operation number, r1 a pointer to its argument block, and the result
 * comes back in r0. Argument blocks are arrays of 32-bit words on the stack.
 */
#include "semihost.h"

/* Operation numbers from Arm's semihosting specification. */
enum {
    SYS_OPEN = 0x01,
    SYS_CLOSE = 0x02,
    SYS_WRITE0 = 0x04,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_FLEN = 0x0C,
    SYS_EXIT = 0x18,
    SYS_EXIT_EXTENDED = 0x20,
};

/* Reason code of SYS_EXIT(_EXTENDED) meaning "the program ended normally";
 * with it, SYS_EXIT_EXTENDED's second word is the exit status. */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static uint32_t sh_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    /* "memory": the host reads and writes buffers the block points at. */
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static uint32_t str_len(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

int32_t tml_sh_open(const char *path, uint32_t mode)
{
    uint32_t block[3] = {(uint32_t)(uintptr_t)path, mode, str_len(path)};
    return (int32_t)sh_call(SYS_OPEN, block);
}

int32_t tml_sh_close(int32_t handle)
{
    uint32_t block[1] = {(uint32_t)handle};
    return (int32_t)sh_call(SYS_CLOSE, block);
}

int32_t tml_sh_flen(int32_t handle)
{
    uint32_t block[1] = {(uint32_t)handle};
    return (int32_t)sh_call(SYS_FLEN, block);
}

uint32_t tml_sh_read(int32_t handle, void *buf, uint32_t len)
{
    uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buf, len};
    return sh_call(SYS_READ, block);
}

uint32_t tml_sh_write(int32_t handle, const void *buf, uint32_t len)
{
    uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buf, len};
    return sh_call(SYS_WRITE, block);
}

void tml_sh_write0(const char *s)
{
    sh_call(SYS_WRITE0, s);
}

void tml_sh_exit(int32_t status)
{
    uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    sh_call(SYS_EXIT_EXTENDED, block);
    /* A host without SYS_EXIT_EXTENDED returns: fall back to the plain call,
     * which still stops it (status 0 or 1 only). */
    sh_call(SYS_EXIT, (const void *)(uintptr_t)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT
                                                            : 0x20023u /* RunTimeErrorUnknown */));
    for (;;)
        ;
}
