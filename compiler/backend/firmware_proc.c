/*
 * firmware_proc.c - running the cross compiler and QEMU as child processes:
 * fork + exec with a deadline (the child gets its own process group so a
 * compiler's cc1/as/ld die with it), exec failures reported through a
 * close-on-exec pipe, and the temporary directories the builds work in.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "firmware_internal.h"

tml_status_t tml_argv_add(tml_argv_t *argv, const char *fmt, ...)
{
    if (argv->n + 2 > argv->cap) {
        size_t cap = argv->cap ? argv->cap * 2 : 32;
        char **items = tml_realloc(argv->items, cap * sizeof(*items));
        if (!items)
            return TML_ERR_NOMEM;
        argv->items = items;
        argv->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return TML_ERR_ARG;
    char *s = tml_malloc((size_t)len + 1);
    if (!s)
        return TML_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    argv->items[argv->n++] = s;
    argv->items[argv->n] = NULL;
    return TML_OK;
}

void tml_argv_free(tml_argv_t *argv)
{
    for (size_t i = 0; i < argv->n; i++)
        tml_free(argv->items[i]);
    tml_free(argv->items);
    argv->items = NULL;
    argv->n = argv->cap = 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What failed in the child before exec could take over. */
enum { STAGE_CHDIR = 1, STAGE_REDIRECT = 2, STAGE_EXEC = 3 };

/* In the child between fork and exec: only async-signal-safe calls. On
 * failure it sends {stage, errno} up the close-on-exec pipe. */
static void child_exec(const tml_argv_t *argv, const char *cwd, const char *log_path,
                       int report_fd)
{
    int report[2] = {STAGE_CHDIR, 0};
    setpgid(0, 0);
    if (cwd && chdir(cwd) != 0)
        goto fail;
    report[0] = STAGE_REDIRECT;
    int in = open("/dev/null", O_RDONLY);
    int out = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        goto fail;
    report[0] = STAGE_EXEC;
    execvp(argv->items[0], argv->items);
fail:
    report[1] = errno;
    if (write(report_fd, report, sizeof(report)) < 0) {
        /* nothing more the child can do */
    }
    _exit(127);
}

tml_status_t tml_proc_run(const tml_argv_t *argv, const char *cwd, const char *log_path,
                          int timeout_ms, int *status, tml_err_t *err)
{
    if (!argv || argv->n == 0 || !status || timeout_ms <= 0)
        return tml_err_set(err, TML_ERR_ARG, "tml_proc_run: bad arguments");
    const char *prog = argv->items[0];
    int fds[2];
    if (pipe(fds) != 0)
        return tml_err_set(err, TML_ERR_IO, "%s: pipe: %s", prog, strerror(errno));
    if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return tml_err_set(err, TML_ERR_IO, "%s: fcntl: %s", prog, strerror(e));
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return tml_err_set(err, TML_ERR_IO, "%s: fork: %s", prog, strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        child_exec(argv, cwd, log_path, fds[1]);
    }
    close(fds[1]);
    /* Set the group from this side too, so a kill cannot miss it. */
    setpgid(pid, pid);
    int report[2] = {0, 0};
    ssize_t got;
    do {
        got = read(fds[0], report, sizeof(report));
    } while (got < 0 && errno == EINTR);
    close(fds[0]);

    int64_t deadline = now_ms() + timeout_ms;
    int wstatus = 0;
    bool timed_out = false;
    for (;;) {
        pid_t r = waitpid(pid, &wstatus, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return tml_err_set(err, TML_ERR_IO, "%s: waitpid: %s", prog, strerror(errno));
        if (now_ms() >= deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
                ;
            timed_out = true;
            break;
        }
        struct timespec nap = {0, 5 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    if (got == (ssize_t)sizeof(report)) {
        if (report[0] == STAGE_CHDIR)
            return tml_err_set(err, TML_ERR_IO, "cannot run %s in %s: %s", prog, cwd,
                               strerror(report[1]));
        if (report[0] == STAGE_REDIRECT)
            return tml_err_set(err, TML_ERR_IO, "cannot run %s: redirecting output to %s: %s",
                               prog, log_path ? log_path : "/dev/null", strerror(report[1]));
        return tml_err_set(err, TML_ERR_IO, "cannot run %s: %s%s", prog, strerror(report[1]),
                           report[1] == ENOENT ? " (is it installed and on PATH?)" : "");
    }
    if (timed_out)
        return tml_err_set(err, TML_ERR_TIMEOUT, "%s: killed after the time limit of %d ms",
                           prog, timeout_ms);
    if (WIFEXITED(wstatus))
        *status = WEXITSTATUS(wstatus);
    else if (WIFSIGNALED(wstatus))
        *status = 128 + WTERMSIG(wstatus);
    else
        *status = 255;
    return TML_OK;
}

tml_status_t tml_tmpdir_create(const char *prefix, char **path, tml_err_t *err)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    size_t len = strlen(base) + strlen(prefix) + 9;
    char *dir = tml_malloc(len);
    if (!dir)
        return TML_ERR_NOMEM;
    snprintf(dir, len, "%s/%s-XXXXXX", base, prefix);
    if (!mkdtemp(dir)) {
        int e = errno;
        tml_err_set(err, TML_ERR_IO, "cannot create a temporary directory in %s: %s", base,
                    strerror(e));
        tml_free(dir);
        return TML_ERR_IO;
    }
    *path = dir;
    return TML_OK;
}

void tml_tmpdir_remove(const char *dir)
{
    if (!dir)
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *ent;
        char path[4096];
        while ((ent = readdir(d)) != NULL) {
            if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
                continue;
            if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name) < sizeof(path))
                unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static tml_status_t collect(const char *dir, tml_argv_t *argv, int depth, tml_err_t *err)
{
    if (depth > 8)
        return tml_err_set(err, TML_ERR_ARG, "%s: directories nested too deep", dir);
    DIR *d = opendir(dir);
    if (!d)
        return tml_err_set(err, TML_ERR_IO, "cannot read directory %s: %s", dir, strerror(errno));
    tml_status_t st = TML_OK;
    struct dirent *ent;
    while (st == TML_OK && (ent = readdir(d)) != NULL) {
        const char *name = ent->d_name;
        if (name[0] == '.')
            continue;
        size_t len = strlen(dir) + strlen(name) + 2;
        char *path = tml_malloc(len);
        if (!path) {
            st = TML_ERR_NOMEM;
            break;
        }
        snprintf(path, len, "%s/%s", dir, name);
        struct stat sb;
        size_t name_len = strlen(name);
        if (stat(path, &sb) != 0)
            st = tml_err_set(err, TML_ERR_IO, "%s: %s", path, strerror(errno));
        else if (S_ISDIR(sb.st_mode))
            st = collect(path, argv, depth + 1, err);
        else if (S_ISREG(sb.st_mode) && name_len > 2 && !strcmp(name + name_len - 2, ".c"))
            st = tml_argv_add(argv, "%s", path);
        tml_free(path);
    }
    closedir(d);
    return st;
}

tml_status_t tml_collect_sources(const char *dir, tml_argv_t *argv, tml_err_t *err)
{
    size_t first = argv->n;
    tml_status_t st = collect(dir, argv, 0, err);
    if (st == TML_OK && argv->n > first)
        qsort(argv->items + first, argv->n - first, sizeof(char *), cmp_str);
    return st;
}

char *tml_file_tail(const char *path, size_t max_len)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (tml_file_read(path, &data, &len, NULL) != TML_OK)
        return tml_strdup("");
    size_t skip = len > max_len ? len - max_len : 0;
    char *tail = tml_strdup((const char *)data + skip);
    tml_free(data);
    return tail;
}
