/*
 * core.h - the shared host core: error details, the counted allocator and
 * logging. Every host module (compiler, service, agent, CLI) uses these; the
 * runtime does not (it never allocates and has no stdio).
 */
#ifndef TML_CORE_H
#define TML_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Error detail ----------------------------------------------------------
 * A tml_err_t carries the first error raised during an operation with its
 * message. Later tml_err_set calls keep the first message (the root cause);
 * callers up the stack add context in front with tml_err_wrap, giving
 * messages such as "model kws.tflite: op 7 (CONV_2D): weights have 3 dims".
 * Every function taking a tml_err_t * accepts NULL (details are dropped).
 */
#define TML_ERR_MSG_MAX 512

typedef struct tml_err {
    tml_status_t status;        /* TML_OK until the first error */
    char msg[TML_ERR_MSG_MAX];  /* NUL-terminated; "" when status is TML_OK */
} tml_err_t;

void tml_err_clear(tml_err_t *err);

/* Records status and a printf-style message unless an error is already
 * recorded. Returns status, so callers can write `return tml_err_set(...)`. */
tml_status_t tml_err_set(tml_err_t *err, tml_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts "context: " in front of the recorded message (no-op without an error).
 * Returns the recorded status. */
tml_status_t tml_err_wrap(tml_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The message if any, else tml_strerror(status). Never NULL. */
const char *tml_err_message(const tml_err_t *err);

/* ---- Counted allocator -----------------------------------------------------
 * All host allocations go through these so tests can (a) check that an
 * operation frees what it allocated and (b) make the Nth allocation fail and
 * check that every failure path returns TML_ERR_NOMEM cleanly. Thread-safe.
 */
void *tml_malloc(size_t n);               /* NULL on failure; n == 0 is allowed */
void *tml_calloc(size_t count, size_t size);
void *tml_realloc(void *ptr, size_t n);   /* on failure ptr stays valid */
void tml_free(void *ptr);                 /* NULL is fine */
char *tml_strdup(const char *s);          /* caller frees with tml_free */

uint64_t tml_alloc_count(void);           /* allocations attempted so far */
int64_t tml_alloc_live_bytes(void);       /* bytes currently allocated */
int64_t tml_alloc_live_blocks(void);      /* blocks currently allocated */

/* Makes the nth allocation from now fail (1 = the very next one); 0 disables.
 * Only that one allocation fails; the ones after it succeed again. */
void tml_alloc_fail_at(uint64_t nth);

/* ---- Logging ---------------------------------------------------------------
 * Lines go to stderr as "LEVEL module: message". The level starts from the
 * environment variable TML_LOG (error, warn, info, debug), default warn.
 */
typedef enum tml_log_level {
    TML_LOG_ERROR = 0,
    TML_LOG_WARN = 1,
    TML_LOG_INFO = 2,
    TML_LOG_DEBUG = 3,
} tml_log_level_t;

void tml_log_set_level(tml_log_level_t level);
tml_log_level_t tml_log_get_level(void);
void tml_log(tml_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TML_LOGE(mod, ...) tml_log(TML_LOG_ERROR, mod, __VA_ARGS__)
#define TML_LOGW(mod, ...) tml_log(TML_LOG_WARN, mod, __VA_ARGS__)
#define TML_LOGI(mod, ...) tml_log(TML_LOG_INFO, mod, __VA_ARGS__)
#define TML_LOGD(mod, ...) tml_log(TML_LOG_DEBUG, mod, __VA_ARGS__)

/* ---- Files -----------------------------------------------------------------
 * Reads a whole file. On success *data (caller frees with tml_free) holds
 * *len bytes followed by one NUL byte not counted in *len. */
tml_status_t tml_file_read(const char *path, uint8_t **data, size_t *len, tml_err_t *err);

/* Writes len bytes to path through a temporary file and a rename, so a crash
 * never leaves a half-written file under the final name. */
tml_status_t tml_file_write(const char *path, const void *data, size_t len, tml_err_t *err);

#ifdef __cplusplus
}
#endif
#endif /* TML_CORE_H */
