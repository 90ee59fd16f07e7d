/*
 * tml_test.h - the thin test layer every unit test uses, on top of cmocka.
 *
 * Each module has one test binary (tests/unit/test_<module>.c) registered in
 * CTest by glob. This adds status-aware asserts, access to ../shared, a
 * leak-check fixture over the counted allocator, and the allocation-failure
 * walk: run an operation with its 1st, 2nd, ... allocation failing until it
 * succeeds, checking every failure is a clean TML_ERR_NOMEM with no leak.
 */
#ifndef TML_TEST_H
#define TML_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tml/core.h"

#define TML_ASSERT_OK(expr)                                                    \
    do {                                                                       \
        tml_status_t st_ = (expr);                                             \
        if (st_ != TML_OK)                                                     \
            fail_msg("%s -> %s", #expr, tml_strerror(st_));                    \
    } while (0)

#define TML_ASSERT_STATUS(expr, want)                                          \
    do {                                                                       \
        tml_status_t st_ = (expr);                                             \
        if (st_ != (want))                                                     \
            fail_msg("%s -> %s, expected %s", #expr, tml_strerror(st_),        \
                     tml_strerror(want));                                      \
    } while (0)

/* Like TML_ASSERT_OK but shows the detail message of err on failure. */
#define TML_ASSERT_OK_ERR(expr, errp)                                          \
    do {                                                                       \
        tml_status_t st_ = (expr);                                             \
        if (st_ != TML_OK)                                                     \
            fail_msg("%s -> %s: %s", #expr, tml_strerror(st_),                 \
                     tml_err_message(errp));                                   \
    } while (0)

/* Path of a file under ../shared (TML_SHARED_DIR) in a static buffer. */
const char *tml_test_shared(const char *rel);
/* Path of a file under the source tree in a static buffer. */
const char *tml_test_source(const char *rel);
/* Whether ../shared/models is present (tests that need it skip otherwise). */
int tml_test_have_shared(void);

/* Reads a whole file or fails the test. Free with tml_free. */
uint8_t *tml_test_read(const char *path, size_t *len);

/* Group fixtures: remember live allocations before each test and fail the
 * test if it leaves any behind. Use as cmocka_unit_test_setup_teardown
 * arguments. */
int tml_test_leak_setup(void **state);
int tml_test_leak_teardown(void **state);

/* The allocation-failure walk. op runs with allocation n failing, for
 * n = 1, 2, ... until it returns TML_OK; each failing run must return
 * TML_ERR_NOMEM (or allowed, when non-zero) and leave no allocation behind.
 * cleanup frees what a successful op produced. Returns the number of
 * allocations the successful run made. */
typedef tml_status_t (*tml_test_op_fn)(void *ctx);
typedef void (*tml_test_cleanup_fn)(void *ctx);
unsigned tml_test_alloc_walk(tml_test_op_fn op, tml_test_cleanup_fn cleanup, void *ctx);

/* Monotonic milliseconds, for bounded waits. */
int64_t tml_test_now_ms(void);

/* Starts argv[0] (a path; argv NULL-terminated) with its stdout on a pipe,
 * killed if the test process dies, and reads its output into out (cap bytes,
 * NUL-terminated) until that contains ready; fails the test after timeout_ms
 * or if the program exits first. *out_fd keeps the pipe's read end (the
 * caller closes it). Returns the child's pid. */
int tml_test_spawn(const char *const *argv, const char *ready, int timeout_ms, int *out_fd,
                   char *out, size_t cap);

/* Runs the group and prints cmocka's summary; use as main's return value. */
#define TML_TEST_MAIN(tests) return cmocka_run_group_tests(tests, NULL, NULL)

#endif /* TML_TEST_H */
