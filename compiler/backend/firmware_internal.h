/*
 * firmware_internal.h - helpers of the firmware backend: child processes
 * with a time limit, temporary directories, and a growable argv.
 */
#ifndef TML_FIRMWARE_INTERNAL_H
#define TML_FIRMWARE_INTERNAL_H

#include <stddef.h>

#include "tml/core.h"

/* A NULL-terminated argument vector whose strings it owns. */
typedef struct tml_argv {
    char **items;
    size_t n, cap;
} tml_argv_t;

/* Appends a copy of the string (printf-style). */
tml_status_t tml_argv_add(tml_argv_t *argv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tml_argv_free(tml_argv_t *argv);

/* Runs argv->items[0] (searched on PATH) in directory cwd (NULL: ours) with
 * stdin from /dev/null and stdout and stderr appended to log_path (NULL:
 * discarded), in its own process group. Waits at most timeout_ms, then
 * kills the group and returns TML_ERR_TIMEOUT. *status receives the exit
 * status, or 128 + the signal number. TML_ERR_IO if it could not start
 * (the message says why, e.g. not installed). */
tml_status_t tml_proc_run(const tml_argv_t *argv, const char *cwd, const char *log_path,
                          int timeout_ms, int *status, tml_err_t *err);

/* Creates a fresh private directory under $TMPDIR (or /tmp) named
 * prefix-XXXXXX; *path (caller frees with tml_free) receives its path. */
tml_status_t tml_tmpdir_create(const char *prefix, char **path, tml_err_t *err);
/* Removes dir and the plain files directly in it. NULL is a no-op. */
void tml_tmpdir_remove(const char *dir);

/* Collects the *.c files under dir (recursively, sorted) into argv. */
tml_status_t tml_collect_sources(const char *dir, tml_argv_t *argv, tml_err_t *err);

/* Up to max_len trailing bytes of the file (a compiler log, say) in a
 * buffer the caller frees with tml_free; "" if it cannot be read, NULL if
 * out of memory. */
char *tml_file_tail(const char *path, size_t max_len);

#endif /* TML_FIRMWARE_INTERNAL_H */
