/*
 * log.c - levelled logging to stderr. One line per call, written with a single
 * fprintf so lines from different threads do not interleave mid-line.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tml/core.h"

static atomic_int current_level = -1; /* -1: not yet read from TML_LOG */

static tml_log_level_t level_from_env(void)
{
    const char *v = getenv("TML_LOG");
    if (!v)
        return TML_LOG_WARN;
    if (!strcmp(v, "error"))
        return TML_LOG_ERROR;
    if (!strcmp(v, "info"))
        return TML_LOG_INFO;
    if (!strcmp(v, "debug"))
        return TML_LOG_DEBUG;
    return TML_LOG_WARN;
}

void tml_log_set_level(tml_log_level_t level) { atomic_store(&current_level, (int)level); }

tml_log_level_t tml_log_get_level(void)
{
    int level = atomic_load(&current_level);
    if (level < 0) {
        level = (int)level_from_env();
        atomic_store(&current_level, level);
    }
    return (tml_log_level_t)level;
}

void tml_log(tml_log_level_t level, const char *module, const char *fmt, ...)
{
    static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    if (level > tml_log_get_level() || level < TML_LOG_ERROR)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s: %s\n", names[level], module ? module : "tml", line);
}
