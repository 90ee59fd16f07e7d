/*
 * tml_test.c - see tml_test.h.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tml_test.h"

static int64_t leak_baseline_blocks;

const char *tml_test_shared(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", TML_SHARED_DIR, rel);
    return path;
}

const char *tml_test_source(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", TML_SOURCE_DIR, rel);
    return path;
}

int tml_test_have_shared(void)
{
    struct stat st;
    return stat(tml_test_shared("models/mlperf-tiny"), &st) == 0 && S_ISDIR(st.st_mode);
}

uint8_t *tml_test_read(const char *path, size_t *len)
{
    uint8_t *data = NULL;
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_file_read(path, &data, len, &err) != TML_OK)
        fail_msg("cannot read %s: %s", path, tml_err_message(&err));
    return data;
}

int tml_test_leak_setup(void **state)
{
    (void)state;
    leak_baseline_blocks = tml_alloc_live_blocks();
    return 0;
}

int tml_test_leak_teardown(void **state)
{
    (void)state;
    int64_t now = tml_alloc_live_blocks();
    if (now != leak_baseline_blocks) {
        fprintf(stderr, "leak: %lld block(s) still allocated after the test\n",
                (long long)(now - leak_baseline_blocks));
        return -1;
    }
    return 0;
}

unsigned tml_test_alloc_walk(tml_test_op_fn op, tml_test_cleanup_fn cleanup, void *ctx)
{
    for (unsigned n = 1; n < 1000000; n++) {
        int64_t before = tml_alloc_live_blocks();
        uint64_t count_before = tml_alloc_count();
        tml_alloc_fail_at(n);
        tml_status_t st = op(ctx);
        tml_alloc_fail_at(0);
        if (st == TML_OK) {
            unsigned made = (unsigned)(tml_alloc_count() - count_before);
            if (cleanup)
                cleanup(ctx);
            if (tml_alloc_live_blocks() != before)
                fail_msg("alloc walk: success run leaked %lld block(s)",
                         (long long)(tml_alloc_live_blocks() - before));
            return made;
        }
        if (st != TML_ERR_NOMEM)
            fail_msg("alloc walk: allocation %u failing gave '%s', expected out of memory",
                     n, tml_strerror(st));
        if (tml_alloc_live_blocks() != before)
            fail_msg("alloc walk: allocation %u failing leaked %lld block(s)", n,
                     (long long)(tml_alloc_live_blocks() - before));
    }
    fail_msg("alloc walk: operation never succeeded");
    return 0;
}

int64_t tml_test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tml_test_spawn(const char *const *argv, const char *ready, int timeout_ms, int *out_fd,
                   char *out, size_t cap)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a crashed test */
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    *out_fd = fds[0];
    size_t len = 0;
    out[0] = '\0';
    int64_t deadline = tml_test_now_ms() + timeout_ms;
    while (!strstr(out, ready)) {
        struct pollfd p = {fds[0], POLLIN, 0};
        int left = (int)(deadline - tml_test_now_ms());
        if (left <= 0 || poll(&p, 1, left) != 1)
            fail_msg("%s did not print '%s' in time: %s", argv[0], ready, out);
        ssize_t r = read(fds[0], out + len, cap - 1 - len);
        if (r <= 0)
            fail_msg("%s exited before '%s': %s", argv[0], ready, out);
        len += (size_t)r;
        out[len] = '\0';
    }
    return (int)pid;
}
