/*
 * session.h - running a package on the host: the runtime plus the memory it
 * needs (an aligned copy of the package and an arena), with readable errors.
 * The CLI, the tests and the service use this; devices use tml/rt.h directly.
 */
#ifndef TML_SESSION_H
#define TML_SESSION_H

#include "tml/core.h"
#include "tml/rt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tml_session {
    tml_rt_t rt;
    uint8_t *pkg;      /* owned, 16-byte aligned copy */
    uint8_t *arena;    /* owned */
    uint32_t arena_len;
} tml_session_t;

/* Copies pkg and validates it; errors name the failing op and kernel. */
tml_status_t tml_session_open(tml_session_t *s, const uint8_t *pkg, size_t len, tml_err_t *err);
void tml_session_close(tml_session_t *s);

/* Copies data into input i (len must equal its byte length), runs, and
 * points *out and *out_len at output j's bytes in the arena (valid until the
 * next run or close). */
tml_status_t tml_session_set_input(tml_session_t *s, uint32_t i, const void *data, size_t len,
                                   tml_err_t *err);
tml_status_t tml_session_run(tml_session_t *s, tml_err_t *err);
tml_status_t tml_session_output(tml_session_t *s, uint32_t j, const void **out, size_t *out_len,
                                tml_err_t *err);

/* Name of a kernel id ("CONV2D_S8"), "?" if unknown to this runtime. */
const char *tml_kernel_name(uint32_t kernel);

/* The kernel's name in lower case ("conv2d_s8"): its runtime source is
 * runtime/kernels/tml_<stem>.c and its C function tml_<stem>(). */
void tml_kernel_stem(uint32_t kernel, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* TML_SESSION_H */
